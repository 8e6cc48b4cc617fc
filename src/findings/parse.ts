import { z } from 'zod';
import { asffFindingSchema, securityHubEventSchema } from './asff-schema';
import { InputError } from '../errors';
import { CORDON_UPDATED_BY, cordonCommentUpdate, type Finding, type FindingOrigin } from './finding';
import { OCSF_STATUS, ocsfFindingSchema, securityHubV2EventSchema } from './ocsf-schema';
import { guardDutyFindingSchema } from './guardduty-schema';
import { camelCaseKeys, normalizeGuardDutyFinding } from './normalize';

/** A GuardDuty finding's ARN: partition, region, account, finding id. */
const GUARDDUTY_FINDING_ARN = /^arn:([^:]+):guardduty:([^:]+):(\d{12}):detector\/[^/]+\/finding\/([^/]+)$/;

/**
 * A Security Hub finding that names a GuardDuty finding: cordon reads the
 * full finding from the administrator's GuardDuty before acting on it.
 */
export interface FindingRef {
  readonly arn: string;
  readonly findingId: string;
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  readonly origin: FindingOrigin;
  /** GuardDuty's count as Security Hub last saw it (`aws/guardduty/service/count`). */
  readonly count: number | undefined;
}

/** A finding from another product (Inspector, Macie…) selected alongside GuardDuty findings. */
export interface ForeignFinding {
  readonly id: string;
  readonly accountId: string;
  readonly region: string;
  readonly productArn: string;
  readonly origin: FindingOrigin;
}

/** One finding read from the input, with where it came from (`item 3`, `item 2, finding 1`). */
export type ParsedItem =
  | { readonly kind: 'finding'; readonly where: string; readonly finding: Finding }
  | { readonly kind: 'ref'; readonly where: string; readonly ref: FindingRef }
  | { readonly kind: 'foreign'; readonly where: string; readonly foreign: ForeignFinding };

/**
 * Reads `respond`'s input: one JSON value, a JSON array, or JSON lines, each
 * a GuardDuty EventBridge event, a Security Hub EventBridge event, a bare
 * GuardDuty finding (wire camelCase or the SDK/CLI's PascalCase), or a whole
 * `GetFindings` response. Throws InputError naming the item and field at the
 * first problem, so that nothing is acted on when any of the input is bad.
 */
export function parseInput(text: string): ParsedItem[] {
  const values = splitJson(text);
  const items: ParsedItem[] = [];
  values.forEach((value, i) => items.push(...parseValue(value, `item ${i + 1}`)));
  if (items.length === 0) throw new InputError('input holds no findings');
  return items;
}

function splitJson(text: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === '')
    throw new InputError('input is empty: expected a GuardDuty or Security Hub event, a finding, or a JSON array or JSON lines of them');
  try {
    const whole: unknown = JSON.parse(trimmed);
    return Array.isArray(whole) ? whole : [whole];
  } catch (wholeErr) {
    // Not one JSON value: try JSON lines, naming the first bad line.
    const lines = trimmed.split(/\r?\n/);
    const whole = new InputError(`input is not valid JSON (truncated or not JSON at all?): ${(wholeErr as Error).message}`);
    if (lines.length === 1) throw whole;
    return lines.flatMap((line, i) => {
      if (line.trim() === '') return [];
      try {
        return [JSON.parse(line) as unknown];
      } catch (err) {
        // A first line that is not JSON means the input is one (broken) document, not JSON lines.
        if (i === 0) throw whole;
        throw new InputError(`line ${i + 1} is not valid JSON: ${(err as Error).message}`);
      }
    });
  }
}

function parseValue(value: unknown, where: string): ParsedItem[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError(
      `${where}: expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`,
    );
  }
  const obj = value as Record<string, unknown>;
  if ('detail-type' in obj || 'source' in obj) return parseEvent(obj, where);
  if (Array.isArray(obj.Findings)) {
    return obj.Findings.flatMap((f, i) => parseValue(f, `${where}, Findings[${i}]`));
  }
  if ('AccountId' in obj && 'Type' in obj && !('accountId' in obj)) {
    return [bareFinding(camelCaseKeys(obj), where)];
  }
  if ('accountId' in obj || 'type' in obj || 'schemaVersion' in obj) return [bareFinding(obj, where)];
  throw new InputError(
    `${where}: not a GuardDuty finding event, Security Hub findings event or GuardDuty finding (keys: ${Object.keys(obj).slice(0, 6).join(', ') || 'none'})`,
  );
}

function parseEvent(obj: Record<string, unknown>, where: string): ParsedItem[] {
  const detailType = String(obj['detail-type']);
  const source = String(obj.source);
  if (source === 'aws.guardduty' && detailType === 'GuardDuty Finding') {
    return [bareFinding(obj.detail, `${where}, detail`)];
  }
  if (source === 'aws.securityhub' && detailType === 'Findings Imported V2') return parseV2Event(obj, where);
  if (source === 'aws.securityhub') {
    const event = check(securityHubEventSchema, obj, where);
    const isCustom = event['detail-type'] === 'Security Hub Findings - Custom Action';
    if (isCustom && !event.detail.actionName) throw new InputError(`${where}: detail.actionName: required for a custom action event`);
    return event.detail.findings.map((raw, i) => {
      const at = `${where}, detail.findings[${i}]`;
      const asff = check(asffFindingSchema, raw, at);
      const origin: FindingOrigin = isCustom
        ? {
            kind: 'custom-action',
            actionName: event.detail.actionName as string,
            actionArn: event.resources?.[0],
            ...(asff.Note?.Text && asff.Note.UpdatedBy !== CORDON_UPDATED_BY ? { analystNote: asff.Note.Text } : {}),
          }
        : {
            kind: 'imported',
            workflowStatus: asff.Workflow?.Status ?? 'NEW',
            noteUpdatedBy: asff.Note?.UpdatedBy,
            noteUpdatedAt: asff.Note?.UpdatedAt,
            findingUpdatedAt: asff.UpdatedAt,
          };
      const region = asff.Region ?? asff.Id.split(':')[3] ?? '';
      if (!/\/guardduty$/.test(asff.ProductArn)) {
        return {
          kind: 'foreign',
          where: at,
          foreign: { id: asff.Id, accountId: asff.AwsAccountId, region, productArn: asff.ProductArn, origin },
        } as const;
      }
      const m = GUARDDUTY_FINDING_ARN.exec(asff.Id);
      if (!m) throw new InputError(`${at}: Id: expected a GuardDuty finding ARN for a GuardDuty product finding, got "${asff.Id}"`);
      return {
        kind: 'ref',
        where: at,
        ref: {
          arn: asff.Id,
          partition: m[1] as string,
          region: m[2] as string,
          accountId: m[3] as string,
          findingId: m[4] as string,
          origin,
          count: numberOrUndefined(asff.ProductFields?.['aws/guardduty/service/count']),
        },
      } as const;
    });
  }
  throw new InputError(
    `${where}: events of source "${source}" and detail-type "${detailType}" are not handled; expected "GuardDuty Finding" from aws.guardduty, or "Security Hub Findings - Custom Action"/"- Imported" or "Findings Imported V2" from aws.securityhub`,
  );
}

/** OCSF `status_id` → the workflow status cordon's import rules read (`NEW` is the one acted on). */
const V2_WORKFLOW: Readonly<Record<number, string>> = {
  [OCSF_STATUS.unknown]: 'UNKNOWN',
  [OCSF_STATUS.new]: 'NEW',
  [OCSF_STATUS.inProgress]: 'IN_PROGRESS',
  [OCSF_STATUS.suppressed]: 'SUPPRESSED',
  [OCSF_STATUS.resolved]: 'RESOLVED',
  [OCSF_STATUS.archived]: 'ARCHIVED',
  [OCSF_STATUS.other]: 'OTHER',
};

/**
 * The new Security Hub's "Findings Imported V2" event: OCSF findings. A
 * GuardDuty one (its product uid ends in `/guardduty`) names the finding by
 * its ARN (`finding_info.uid`), read in full from GuardDuty like CSPM's.
 */
function parseV2Event(obj: Record<string, unknown>, where: string): ParsedItem[] {
  const event = check(securityHubV2EventSchema, obj, where);
  return event.detail.findings.map((raw, i): ParsedItem => {
    const at = `${where}, detail.findings[${i}]`;
    const ocsf = check(ocsfFindingSchema, raw, at);
    const handled = cordonCommentUpdate(ocsf.comment);
    const status = ocsf.status_id !== undefined ? V2_WORKFLOW[ocsf.status_id] : undefined;
    const origin: FindingOrigin = {
      kind: 'imported',
      workflowStatus: status ?? (ocsf.status ?? 'NEW').toUpperCase().replace(/ /g, '_'),
      noteUpdatedBy: handled !== undefined ? CORDON_UPDATED_BY : undefined,
      noteUpdatedAt: handled,
      findingUpdatedAt: ocsf.finding_info.modified_time_dt,
    };
    const productUid = ocsf.metadata.product.uid;
    const region = ocsf.cloud.region ?? ocsf.finding_info.uid.split(':')[3] ?? '';
    if (!/\/guardduty$/.test(productUid)) {
      return {
        kind: 'foreign',
        where: at,
        foreign: { id: ocsf.finding_info.uid, accountId: ocsf.cloud.account.uid, region, productArn: productUid, origin },
      };
    }
    const m = GUARDDUTY_FINDING_ARN.exec(ocsf.finding_info.uid);
    if (!m)
      throw new InputError(
        `${at}: finding_info.uid: expected a GuardDuty finding ARN for a GuardDuty finding, got "${ocsf.finding_info.uid}"`,
      );
    return {
      kind: 'ref',
      where: at,
      ref: {
        arn: ocsf.finding_info.uid,
        partition: m[1] as string,
        region: m[2] as string,
        accountId: m[3] as string,
        findingId: m[4] as string,
        origin,
        count: undefined,
      },
    };
  });
}

function bareFinding(raw: unknown, where: string): ParsedItem {
  const f = check(guardDutyFindingSchema, raw, where);
  return { kind: 'finding', where, finding: normalizeGuardDutyFinding(f, { kind: 'guardduty' }) };
}

function check<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
  const message = issue?.message ?? 'invalid';
  throw new InputError(
    `${where}: ${path}: ${/received undefined$/.test(message) ? `required field is missing (${message.replace(/^Invalid input: /, '')})` : message}`,
  );
}

function numberOrUndefined(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}
