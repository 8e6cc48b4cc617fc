/**
 * The building blocks of the settings table (./spec.ts): each identifier
 * pattern once, as a zod schema, and the value kinds settings are read as —
 * text from an environment variable or a flag, or a value of the deployment
 * configuration (a `-c` string, or JSON from cdk.json or the config file).
 * Messages belong to the settings that use these blocks.
 */
import { z } from 'zod';

/** An AWS account id: 12 digits. */
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;
/** An IAM role name, as IAM accepts it: 1-64 of letters, digits and `+=,.@_-`. */
export const ROLE_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;
/** An STS external id: 2-1224 of letters, digits and `+=,.@:/_-`. */
export const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]{2,1224}$/;
/** A region name: `us-east-1`, `ap-southeast-7`, `us-gov-west-1`, `eu-isoe-west-1`. */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
/** A DynamoDB table name: 3-255 of letters, digits and `_.-`. */
export const DYNAMODB_TABLE_NAME_PATTERN = /^[a-zA-Z0-9_.-]{3,255}$/;
/** An AWS Organizations organization id (`o-…`). */
export const ORGANIZATION_ID_PATTERN = /^o-[a-z0-9]{10,32}$/;
/** An organization root id (`r-…`) or organizational unit id (`ou-…-…`). */
export const DEPLOYMENT_TARGET_PATTERN = /^r-[0-9a-z]{4,32}$|^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
/** An ARN, or an ARN pattern with IAM's ArnLike wildcards `*` and `?` (`arn:aws:iam::*:role/break-glass-*`). */
export const ARN_PATTERN = /^arn:[^:\s]+:[^:\s]+:[^:\s]*:[^:\s]*:\S+$/;
/** An SNS topic ARN; the first group is its region. */
export const SNS_TOPIC_ARN_PATTERN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[\w-]{1,256}$/;
/** An e-mail address, loosely (SNS confirms it). */
export const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** A 12-digit account id. */
export const accountId = z.string().regex(ACCOUNT_ID_PATTERN);
/** An IAM role name. */
export const roleName = z.string().regex(ROLE_NAME_PATTERN);
/** An STS external id. */
export const externalId = z.string().regex(EXTERNAL_ID_PATTERN);
/** A region name. */
export const regionName = z.string().regex(REGION_PATTERN);
/** A DynamoDB table name. */
export const dynamoDbTableName = z.string().regex(DYNAMODB_TABLE_NAME_PATTERN);
/** An IAM role's ARN, exactly (no wildcards): `arn:aws:iam::111122223333:role/path/name`; group 1 is the account. */
export const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;

/** See {@link ARN_PATTERN}. */
export const arnPattern = z.string().regex(ARN_PATTERN);
/** An organization root (`r-…`) or OU (`ou-…`) id. */
export const organizationUnitId = z.string().regex(DEPLOYMENT_TARGET_PATTERN);

/** Items of a comma-separated list, trimmed, without empty items. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

// Text values: an environment variable or a flag. Blank variables are unset before they get here.

/** A number read from text (`"8"`), within bounds; `integer` for whole numbers. */
export function numberText(min: number, max: number, integer: boolean) {
  const number = integer ? z.int() : z.number();
  return z.preprocess((value) => (typeof value === 'string' ? Number(value) : value), number.min(min).max(max));
}

/** `true`/`false` (also `1`/`0`, any case) read from text. */
export const booleanText = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const text = value.trim().toLowerCase();
  return text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : value;
}, z.boolean());

/** A comma-separated list read from text, each item checked by `item`. */
export function listText<T extends z.ZodType>(item: T) {
  return z.preprocess((value) => (typeof value === 'string' ? splitList(value) : value), z.array(item));
}

// Deployment values: a `-c` string, or JSON (cdk.json, the config file).

/** A deployment value as text: strings trimmed, other JSON values as JSON, nothing as ''. */
export function configText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return (typeof value === 'string' ? value : JSON.stringify(value)).trim();
}

/** A deployment value as a list: a JSON array, or a comma-separated string (what `-c key=a,b` gives); trimmed, deduplicated. */
export function configList(value: unknown): string[] {
  const items = Array.isArray(value) ? value.map((v) => configText(v)) : configText(value).split(',');
  return [...new Set(items.map((s) => s.trim()).filter((s) => s !== ''))];
}

/** A text key: the value as text, checked by `inner`. */
export function textKey<T extends z.ZodType>(inner: T) {
  return z.preprocess(configText, inner);
}

/** A key that may be unset (empty): undefined then, else checked by `inner`. */
export function optionalTextKey<T extends z.ZodType>(inner: T) {
  return z.preprocess((value) => (configText(value) === '' ? undefined : configText(value)), inner.optional());
}

/** A list key, each item checked by `item`. */
export function listKey<T extends z.ZodType>(item: T) {
  return z.preprocess(configList, z.array(item));
}

/** A boolean key: JSON true/false or the text `true`/`false`. */
export const booleanKey = z.preprocess((value) => {
  if (typeof value === 'boolean') return value;
  const text = configText(value).toLowerCase();
  return text === 'true' ? true : text === 'false' ? false : value;
}, z.boolean());

/** A whole-number key from `min` to `max`: a JSON number or its text. */
export function wholeNumberKey(min: number, max: number) {
  return z.preprocess((value) => Number(configText(value)), z.int().min(min).max(max));
}

/** A whole-number key from `min` to `max` that may be left unset (empty text is unset). */
export function optionalWholeNumberKey(min: number, max: number) {
  return z.preprocess((value) => (configText(value) === '' ? undefined : Number(configText(value))), z.int().min(min).max(max).optional());
}
