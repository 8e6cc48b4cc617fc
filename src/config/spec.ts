/**
 * cordon's settings, each declared once: the environment variable, the CLI
 * flag, the deployment key (`cordon:<key>` in CDK context, `<key>` in
 * cordon.config.json), the zod schema, the default and a one-line summary.
 * Everything else is derived from this table: the responder's settings
 * (./settings.ts), the enabler's (src/org/settings.ts), the deployment
 * configuration (stacks/config.ts) and its JSON Schema (./json-schema.ts),
 * each command's options and `--help` (src/cli/options.ts) and the README's
 * configuration table (./docs.ts).
 *
 * The table has three parts, by the program that reads the value: the
 * responder (every command but `enable` and `coverage`, and the responder
 * Lambda) here, the enabler (`enable`, `coverage` and the enabler Lambda) in
 * ./enabler-spec.ts, and the deployment (`cdk synth`) in ./deployment-spec.ts.
 * A deployment key that passes its value to a Lambda as a variable says so
 * (`sets`). This file also holds what the parts share: the shapes of a
 * setting and the schemas more than one part reads.
 */
import { z } from 'zod';
import { DEFAULT_PLAN_KEYS, findPlan, PROTECTION_PLANS, type ProtectionPlan } from '../org/features';
import { DEFAULT_ACTION_THRESHOLD } from '../runbooks/runbook';
import {
  DEFAULT_CIRCUIT_LIMITS,
  DEFAULT_CONCURRENCY,
  DEFAULT_EXEMPT_TAG,
  DEFAULT_INTEL_TTL_DAYS,
  DEFAULT_RUNBOOKS_DIR,
  DEFAULT_ROLE_NAME,
  DEFAULT_AUDIT_FILE,
  parseExemptTag,
  type ExemptTag,
} from './defaults';
import {
  accountId,
  arnPattern,
  booleanText,
  dynamoDbTableName,
  externalId,
  listText,
  numberText,
  organizationUnitId,
  regionName,
  roleName,
  splitList,
} from './schemas';

/** A flag of the CLI. */
export interface FlagSpec {
  /** `--role-name`. */
  readonly name: `--${string}`;
  /** What the value is called in `--help` (`NAME`); a switch has none. */
  readonly value?: string;
  /** The switch that turns the setting off (`--no-security-hub`). */
  readonly negation?: `--${string}`;
}

/** The name of one of cordon's environment variables. */
export type EnvName = `CORDON_${string}`;

/** A setting the responder or the enabler reads from an environment variable, a flag, or both (the flag wins). */
export interface RuntimeSetting<T, E extends EnvName = EnvName> {
  /** One line for `--help` and the README. */
  readonly summary: string;
  /** The environment variable. Blank counts as unset. */
  readonly env?: E;
  readonly flag?: FlagSpec;
  /** Reads the variable's or the flag's text. */
  readonly schema: z.ZodType<T>;
  /** The problem with a bad value, or with a bad item of a list. */
  readonly invalid: (value: string) => string;
  /** The value when neither is given. */
  readonly default: T;
  /** The default as `--help` and the README show it. */
  readonly defaultText: string;
  /** The setting has no default: what it is, for the message when it is missing (`the security account`). */
  readonly required?: string;
  /**
   * How a deployed Lambda gets the variable when no deployment key sets it:
   * by its own name (`-c CORDON_CONCURRENCY=8`), or from the stack itself (why).
   * @default not at all
   */
  readonly deployed?: 'by-name' | { readonly setByStack: string };
}

/** A runtime setting of type `T`, read from variable `E`. */
export function runtime<T, E extends EnvName = never>(setting: RuntimeSetting<T, E>): RuntimeSetting<T, E> {
  return setting;
}

/** The dry-run switch every command that changes AWS has (`--dry-run`, CORDON_DRY_RUN); `summary` says what it means there. */
export function dryRunSetting(summary: string) {
  return runtime({
    summary,
    env: 'CORDON_DRY_RUN',
    flag: { name: '--dry-run' },
    schema: booleanText,
    invalid: notBoolean,
    default: false,
    defaultText: 'false',
  });
}

/** A path from text: any text names a path (the caller resolves it). */
export const pathText = z.string();

/** A role name read as the enabler reads it (trimmed). */
export const trimmedRoleName = z.string().trim().pipe(roleName);

/** IAM's rule for role names, as messages say it. */
export const ROLE_NAME_RULE = '1-64 of letters, digits and +=,.@_-';

/** What a bad role name should have been, as deployment messages say it. */
export const ROLE_NAME_EXPECTED = `an IAM role name (${ROLE_NAME_RULE})`;

/** Protection plans from text: plan keys or GuardDuty feature names (comma-separated), `all` or `none`. */
export const protectionPlans = z.preprocess(
  (value) => {
    if (typeof value !== 'string') return value;
    const text = value.trim().toLowerCase();
    if (text === 'none') return null;
    return text === 'all' ? PROTECTION_PLANS.map((p) => p.key) : splitList(text);
  },
  z
    .array(
      z.string().transform((name, ctx) => {
        const plan = findPlan(name);
        if (plan !== undefined) return plan;
        ctx.issues.push({ code: 'custom', input: name });
        return z.NEVER;
      }),
    )
    .min(1, { error: 'expected a comma-separated list of protection plans, all or none' })
    .nullable()
    .transform((plans): ProtectionPlan[] => [...new Set(plans ?? [])]),
);

/** The problem with an unknown protection plan. */
export const unknownPlan = (name: string): string =>
  `unknown protection plan "${name}" (expected ${PROTECTION_PLANS.map((p) => p.key).join(', ')}, all or none)`;

/** The plans cordon turns on by default. */
export const DEFAULT_PLANS: readonly ProtectionPlan[] = DEFAULT_PLAN_KEYS.map((k) => findPlan(k)).filter(
  (p): p is ProtectionPlan => p !== undefined,
);

/** The message of a bad true/false value. */
export const notBoolean = (value: string): string => `"${value}" must be true or false`;

/** The responder's settings: `respond`, `release`, `status`, `runbooks`, `actions` and the responder Lambda. */
export const RESPONDER_SETTINGS = {
  roleName: runtime({
    summary: 'member role cordon assumes',
    env: 'CORDON_ROLE_NAME',
    flag: { name: '--role-name', value: 'NAME' },
    schema: roleName,
    invalid: (v) => `role name "${v}" is not a valid IAM role name (${ROLE_NAME_RULE})`,
    default: DEFAULT_ROLE_NAME,
    defaultText: DEFAULT_ROLE_NAME,
  }),
  externalId: runtime({
    summary: "external id the member role's trust requires",
    env: 'CORDON_EXTERNAL_ID',
    schema: externalId.optional(),
    invalid: () => 'external id must be 2-1224 characters of letters, digits and +=,.@:/_-',
    default: undefined,
    defaultText: 'none',
  }),
  runbooksDir: runtime({
    summary: 'runbooks folder',
    env: 'CORDON_RUNBOOKS_DIR',
    flag: { name: '--runbooks', value: 'DIR' },
    schema: pathText,
    invalid: (v) => `"${v}" is not a folder`,
    default: DEFAULT_RUNBOOKS_DIR,
    defaultText: 'the runbooks shipped with cordon (its runbooks/ folder)',
    deployed: { setByStack: 'the stack bundles the runbooks; set cordon:runbooksDir' },
  }),
  threshold: runtime({
    summary: 'act when reliability + severity is above this',
    env: 'CORDON_ACTION_THRESHOLD',
    schema: numberText(0, 20, false),
    invalid: (v) => `"${v}" must be a number from 0 to 20`,
    default: DEFAULT_ACTION_THRESHOLD,
    defaultText: String(DEFAULT_ACTION_THRESHOLD),
  }),
  exemptAccounts: runtime({
    summary: 'comma-separated account ids never contained',
    env: 'CORDON_EXEMPT_ACCOUNTS',
    schema: listText(accountId).transform((ids): ReadonlySet<string> => new Set(ids)),
    invalid: (id) => `"${id}" is not a 12-digit account id`,
    default: new Set<string>() as ReadonlySet<string>,
    defaultText: 'none',
  }),
  exemptResourceArns: runtime({
    summary: 'comma-separated ARNs (ArnLike wildcards * and ?) of instances, IAM users and roles, buckets never contained',
    env: 'CORDON_EXEMPT_RESOURCE_ARNS',
    schema: listText(arnPattern).transform((arns): readonly string[] => [...new Set(arns)]),
    invalid: (arn) => `"${arn}" is not an ARN (arn:partition:service:region:account:resource, * and ? allowed)`,
    default: [] as readonly string[],
    defaultText: 'none',
  }),
  exemptOus: runtime({
    summary: 'comma-separated OU ids (ou-…) or a root id (r-…) whose accounts, nested OUs included, are never contained',
    env: 'CORDON_EXEMPT_OUS',
    schema: listText(organizationUnitId).transform((ids): ReadonlySet<string> => new Set(ids)),
    invalid: (id) => `"${id}" is neither an OU id (ou-…-…) nor a root id (r-…)`,
    default: new Set<string>() as ReadonlySet<string>,
    defaultText: 'none',
  }),
  exemptTag: runtime({
    summary: 'resource tag that exempts an instance, user, role or bucket (key=value, or none: no tag exempts)',
    env: 'CORDON_EXEMPT_TAG',
    schema: z.string().transform((text, ctx): ExemptTag | undefined => {
      try {
        return parseExemptTag(text);
      } catch (err) {
        ctx.issues.push({ code: 'custom', input: text, message: (err as Error).message });
        return z.NEVER;
      }
    }),
    invalid: (v) => `exempt tag "${v}" is not valid`,
    default: DEFAULT_EXEMPT_TAG as ExemptTag | undefined,
    defaultText: `${DEFAULT_EXEMPT_TAG.key}=${DEFAULT_EXEMPT_TAG.value}`,
  }),
  concurrency: runtime({
    summary: 'findings handled at once (same resource: always in order)',
    env: 'CORDON_CONCURRENCY',
    schema: numberText(1, 256, true),
    invalid: (v) => `"${v}" must be a whole number from 1 to 256`,
    default: DEFAULT_CONCURRENCY,
    defaultText: String(DEFAULT_CONCURRENCY),
    deployed: 'by-name',
  }),
  auditTable: runtime({
    summary: 'DynamoDB audit table (in `AWS_REGION`); else a file',
    env: 'CORDON_AUDIT_TABLE',
    schema: dynamoDbTableName.optional(),
    invalid: (v) => `"${v}" is not a valid DynamoDB table name`,
    default: undefined,
    defaultText: 'none',
    deployed: { setByStack: 'the stack creates the audit table' },
  }),
  auditFile: runtime({
    summary: 'local audit trail',
    env: 'CORDON_AUDIT_FILE',
    schema: pathText,
    invalid: (v) => `"${v}" is not a file name`,
    default: DEFAULT_AUDIT_FILE,
    defaultText: DEFAULT_AUDIT_FILE,
    deployed: { setByStack: 'the deployed responder audits to DynamoDB' },
  }),
  notifyBus: runtime({
    summary: 'event bus (name or ARN, in AWS_REGION) that gets a `source: cordon` event per finding contained, held or failed on',
    env: 'CORDON_NOTIFY_BUS',
    schema: z
      .string()
      .regex(/^(arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/)?[\w.\-/]{1,256}$/)
      .optional(),
    invalid: (v) => `"${v}" is not an event bus name or ARN`,
    default: undefined,
    defaultText: 'none: nothing is published',
  }),
  dryRun: dryRunSetting('report what would be done (status "planned"); change nothing'),
  intelBucket: runtime({
    summary: "S3 bucket (security account) of cordon's threat and trusted lists; unset: indicators are not shared with GuardDuty",
    env: 'CORDON_INTEL_BUCKET',
    schema: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/)
      .optional(),
    invalid: (v) => `"${v}" is not an S3 bucket name (3-63 of lowercase letters, digits, dots and hyphens)`,
    default: undefined,
    defaultText: 'none',
    deployed: { setByStack: 'the stack creates the list bucket' },
  }),
  intelTtlDays: runtime({
    summary: 'days an indicator seen in a finding stays on the threat list (seen again: from then)',
    env: 'CORDON_INTEL_TTL_DAYS',
    schema: numberText(1, 365, true),
    invalid: (v) => `"${v}" must be a whole number from 1 to 365`,
    default: DEFAULT_INTEL_TTL_DAYS,
    defaultText: String(DEFAULT_INTEL_TTL_DAYS),
    deployed: 'by-name',
  }),
  intelRegions: runtime({
    summary: "regions whose GuardDuty administrator gets cordon's lists (comma-separated; the findings' regions are always added)",
    env: 'CORDON_INTEL_REGIONS',
    schema: listText(regionName),
    invalid: (r) => `"${r}" is not a region name (e.g. us-east-1)`,
    default: [] as readonly string[],
    defaultText: "the findings' regions",
    deployed: { setByStack: 'the stack passes cordon:regions' },
  }),
  circuitAccountLimit: runtime({
    summary: 'resources contained automatically per account per window',
    env: 'CORDON_CIRCUIT_ACCOUNT_LIMIT',
    schema: numberText(1, 1_000_000, true),
    invalid: (v) => `"${v}" must be a whole number from 1 to 1000000`,
    default: DEFAULT_CIRCUIT_LIMITS.perAccount,
    defaultText: String(DEFAULT_CIRCUIT_LIMITS.perAccount),
    deployed: 'by-name',
  }),
  circuitOrgLimit: runtime({
    summary: 'resources contained automatically across the organization per window',
    env: 'CORDON_CIRCUIT_ORG_LIMIT',
    schema: numberText(1, 1_000_000, true),
    invalid: (v) => `"${v}" must be a whole number from 1 to 1000000`,
    default: DEFAULT_CIRCUIT_LIMITS.perOrganization,
    defaultText: String(DEFAULT_CIRCUIT_LIMITS.perOrganization),
    deployed: 'by-name',
  }),
  circuitWindowMinutes: runtime({
    summary: "the circuit breaker's rolling window, in minutes",
    env: 'CORDON_CIRCUIT_WINDOW_MINUTES',
    schema: numberText(1, 7 * 24 * 60, true),
    invalid: (v) => `"${v}" must be a whole number from 1 to ${7 * 24 * 60}`,
    default: DEFAULT_CIRCUIT_LIMITS.windowMinutes,
    defaultText: String(DEFAULT_CIRCUIT_LIMITS.windowMinutes),
    deployed: 'by-name',
  }),
};

/** A responder setting's name in the table. */
export type ResponderSettingId = keyof typeof RESPONDER_SETTINGS;

/** The responder's environment variables, in table order. */
export const RESPONDER_ENV = Object.values(RESPONDER_SETTINGS).flatMap((s) => (s.env === undefined ? [] : [s.env]));
