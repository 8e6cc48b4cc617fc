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
 * Lambda), the enabler (`enable`, `coverage` and the enabler Lambda), and
 * the deployment (`cdk synth`). A deployment key that passes its value to a
 * Lambda as a variable says so (`sets`).
 */
import { z } from 'zod';
import { DEFAULT_PLAN_KEYS, findPlan, PROTECTION_PLANS, type ProtectionPlan } from '../org/features';
import { DEFAULT_ACTION_THRESHOLD } from '../runbooks/runbook';
import {
  DEFAULT_ADMIN_ROLE_NAME,
  DEFAULT_BATCH_SIZE,
  DEFAULT_CIRCUIT_LIMITS,
  DEFAULT_CONCURRENCY,
  DEFAULT_ENABLE_CONCURRENCY,
  DEFAULT_ENABLER_FUNCTION_ROLE_NAME,
  DEFAULT_ENABLER_SCHEDULE,
  DEFAULT_EXEMPT_TAG,
  DEFAULT_INTEL_TTL_DAYS,
  DEFAULT_MAX_BATCHING_WINDOW_SECONDS,
  DEFAULT_MAX_CONCURRENCY,
  DEFAULT_RESPONDER_FUNCTION_ROLE_NAME,
  DEFAULT_RUNBOOKS_DIR,
  DEFAULT_ROLE_NAME,
  DEFAULT_AUDIT_FILE,
  LOG_RETENTION_DAYS,
  MAX_BATCH_SIZE,
  MAX_BATCH_SIZE_WITHOUT_WINDOW,
  MAX_ENABLE_CONCURRENCY,
  MIN_ENABLER_INTERVAL_MINUTES,
  parseExemptTag,
  PLACEHOLDER_ORGANIZATION_ID,
  PLACEHOLDER_ROOT_ID,
  type ExemptTag,
} from './defaults';
import { parseSchedule } from './schedule';
import {
  accountId,
  arnPattern,
  booleanKey,
  booleanText,
  DEPLOYMENT_TARGET_PATTERN,
  dynamoDbTableName,
  EMAIL_PATTERN,
  externalId,
  listKey,
  listText,
  numberText,
  optionalTextKey,
  optionalWholeNumberKey,
  ORGANIZATION_ID_PATTERN,
  organizationUnitId,
  ROLE_ARN_PATTERN,
  regionName,
  roleName,
  SNS_TOPIC_ARN_PATTERN,
  splitList,
  textKey,
  wholeNumberKey,
  configList,
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

/** A deployment key: read by `cdk synth` from CDK context or the config file. */
export interface DeploymentSetting<T> {
  /** One line for docs/deploy.md and the JSON Schema. */
  readonly summary: string;
  /** Reads the key's value: a `-c` string, or JSON from cdk.json or the config file. */
  readonly schema: z.ZodType<T>;
  /** What a bad value should have been: `expected <this> (got …)`. */
  readonly expected: string;
  /** The problem with a bad item of a list. */
  readonly invalidItem?: (item: string) => string;
  /** The value when the key is not set, as a `-c` value would give it. */
  readonly default: string | undefined;
  /** The default is an example value: stacks that use it warn until it is replaced. */
  readonly placeholder?: true;
  /** The runtime setting whose variable this key sets in the deployed Lambda. */
  readonly sets?: SettingRef;
  /** The key's form in cordon.config.json, when `schema` accepts any text (the runtime setting it sets checks it). @default schema */
  readonly fileSchema?: z.ZodType;
}

/** Which regions the enabler covers. */
export type RegionSelection =
  /** Every region enabled for the caller's account (Account API ListRegions: ENABLED, ENABLED_BY_DEFAULT). */
  | { readonly kind: 'enabled' }
  /** Every region the Account API knows; those not enabled are reported as such. */
  | { readonly kind: 'all' }
  /** These regions. */
  | { readonly kind: 'list'; readonly regions: readonly string[] };

/** A runtime setting of type `T`, read from variable `E`. */
function runtime<T, E extends EnvName = never>(setting: RuntimeSetting<T, E>): RuntimeSetting<T, E> {
  return setting;
}

/** A deployment key of type `T`. */
function key<T>(setting: DeploymentSetting<T>): DeploymentSetting<T> {
  return setting;
}

/** A whole-number deployment key. */
function wholeNumber(min: number, max: number, setting: Omit<DeploymentSetting<number>, 'schema' | 'expected'>): DeploymentSetting<number> {
  return { ...setting, schema: wholeNumberKey(min, max), expected: `a whole number from ${min} to ${max}` };
}

/** A path from text: any text names a path (the caller resolves it). */
const pathText = z.string();

/** A role name read as the enabler reads it (trimmed). */
const trimmedRoleName = z.string().trim().pipe(roleName);

/** IAM's rule for role names, as messages say it. */
const ROLE_NAME_RULE = '1-64 of letters, digits and +=,.@_-';

/** What a bad role name should have been, as deployment messages say it. */
const ROLE_NAME_EXPECTED = `an IAM role name (${ROLE_NAME_RULE})`;

/** Protection plans from text: plan keys or GuardDuty feature names (comma-separated), `all` or `none`. */
const protectionPlans = z.preprocess(
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
const unknownPlan = (name: string): string =>
  `unknown protection plan "${name}" (expected ${PROTECTION_PLANS.map((p) => p.key).join(', ')}, all or none)`;

/** The plans cordon turns on by default. */
const DEFAULT_PLANS: readonly ProtectionPlan[] = DEFAULT_PLAN_KEYS.map((k) => findPlan(k)).filter(
  (p): p is ProtectionPlan => p !== undefined,
);

/** The message of a bad true/false value. */
const notBoolean = (value: string): string => `"${value}" must be true or false`;

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
  dryRun: runtime({
    summary: 'report what would be done (status "planned"); change nothing',
    env: 'CORDON_DRY_RUN',
    flag: { name: '--dry-run' },
    schema: booleanText,
    invalid: notBoolean,
    default: false,
    defaultText: 'false',
  }),
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

/** The enabler's settings: `enable`, `coverage` and the enabler Lambda. */
export const ENABLER_SETTINGS = {
  adminAccountId: runtime({
    summary: 'the security account (GuardDuty and Security Hub delegated administrator)',
    env: 'CORDON_ADMIN_ACCOUNT_ID',
    flag: { name: '--admin-account', value: 'ID' },
    schema: z.string().trim().pipe(accountId),
    invalid: (v) => `"${v}" is not a 12-digit account id`,
    default: '',
    defaultText: 'none (required)',
    required: 'the security account',
  }),
  adminRoleName: runtime({
    summary: 'role assumed in the security account when the caller is another account',
    env: 'CORDON_ADMIN_ROLE_NAME',
    flag: { name: '--admin-role-name', value: 'NAME' },
    schema: trimmedRoleName,
    invalid: (v) => `"${v}" is not a valid IAM role name (${ROLE_NAME_RULE})`,
    default: DEFAULT_ADMIN_ROLE_NAME,
    defaultText: DEFAULT_ADMIN_ROLE_NAME,
  }),
  regions: runtime({
    summary: 'regions to cover: comma-separated, all, or enabled',
    env: 'CORDON_REGIONS',
    flag: { name: '--regions', value: 'LIST|all' },
    schema: z.preprocess(
      (value) => {
        if (typeof value !== 'string') return value;
        const text = value.trim();
        return text === 'all' || text === 'enabled' ? { kind: text } : { kind: 'list', regions: splitList(text) };
      },
      z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('all') }),
        z.object({ kind: z.literal('enabled') }),
        z.object({
          kind: z.literal('list'),
          regions: z
            .array(regionName)
            .min(1, { error: 'expected a comma-separated list of regions, "all" or "enabled"' })
            .transform((names) => [...new Set(names)]),
        }),
      ]),
    ),
    invalid: (r) => `"${r}" is not a region name (e.g. us-east-1), "all" or "enabled"`,
    default: { kind: 'enabled' } as RegionSelection,
    defaultText: 'every region enabled for the calling account',
  }),
  features: runtime({
    summary: `protection plans to turn on: ${PROTECTION_PLANS.map((p) => p.key).join(', ')}, all or none`,
    env: 'CORDON_FEATURES',
    flag: { name: '--features', value: 'LIST' },
    schema: protectionPlans,
    invalid: unknownPlan,
    default: DEFAULT_PLANS,
    defaultText: DEFAULT_PLAN_KEYS.join(','),
  }),
  securityHub: runtime({
    summary: 'also set up Security Hub (administrator, members, auto-enable, aggregator)',
    env: 'CORDON_SECURITY_HUB',
    flag: { name: '--security-hub', negation: '--no-security-hub' },
    schema: booleanText,
    invalid: notBoolean,
    default: true,
    defaultText: 'true',
  }),
  homeRegion: runtime({
    summary: 'Security Hub aggregation region',
    env: 'CORDON_HOME_REGION',
    flag: { name: '--home-region', value: 'REGION' },
    schema: z.string().trim().pipe(regionName).optional(),
    invalid: (v) => `"${v}" is not a region name (e.g. us-east-1)`,
    default: undefined,
    defaultText: 'AWS_REGION when covered, else the first region covered',
  }),
  concurrency: runtime({
    summary: `regions worked on at once, 1-${MAX_ENABLE_CONCURRENCY}`,
    env: 'CORDON_CONCURRENCY',
    flag: { name: '--concurrency', value: 'N' },
    schema: numberText(1, MAX_ENABLE_CONCURRENCY, true),
    invalid: (v) => `"${v}" must be a whole number from 1 to ${MAX_ENABLE_CONCURRENCY}`,
    default: DEFAULT_ENABLE_CONCURRENCY,
    defaultText: String(DEFAULT_ENABLE_CONCURRENCY),
  }),
  dryRun: runtime({
    summary: 'print the plan; change nothing',
    env: 'CORDON_DRY_RUN',
    flag: { name: '--dry-run' },
    schema: booleanText,
    invalid: notBoolean,
    default: false,
    defaultText: 'false',
  }),
  registerAccountAdmin: runtime({
    summary:
      "with opt-in regions, also register the security account as AWS Account Management's delegated administrator (wide account control, the organization's single slot), so that it can read other accounts' opt-in regions itself; otherwise the management account reads them",
    env: 'CORDON_REGISTER_ACCOUNT_ADMIN',
    flag: { name: '--register-account-admin' },
    schema: booleanText,
    invalid: notBoolean,
    default: false,
    defaultText: 'false',
  }),
  expectedPlans: runtime({
    summary: `for \`coverage\`: protection plans every covered account must have (${PROTECTION_PLANS.map((p) => p.key).join(', ')} or all); an account missing one is a gap`,
    flag: { name: '--features', value: 'LIST' },
    schema: protectionPlans,
    invalid: unknownPlan,
    default: [],
    defaultText: 'none required',
  }),
};

/** A responder setting's name in the table. */
export type ResponderSettingId = keyof typeof RESPONDER_SETTINGS;

/** An enabler setting's name in the table. */
export type EnablerSettingId = keyof typeof ENABLER_SETTINGS;

/** A runtime setting, by the program that reads it. */
export type SettingRef = { readonly responder: ResponderSettingId } | { readonly enabler: EnablerSettingId };

/** The runtime setting a reference names. */
export function runtimeSetting(ref: SettingRef): RuntimeSetting<unknown> {
  return 'responder' in ref ? RESPONDER_SETTINGS[ref.responder] : ENABLER_SETTINGS[ref.enabler];
}

/** The deployment's keys, in the order docs/deploy.md lists them. */
export const DEPLOYMENT_SETTINGS = {
  homeRegion: key({
    summary: 'region of the responder; make it your Security Hub aggregation region',
    schema: textKey(regionName),
    expected: 'a region such as us-east-1',
    default: 'us-east-1',
    sets: { enabler: 'homeRegion' },
  }),
  regions: key({
    summary: 'every region GuardDuty covers (comma-separated); the home region is always included',
    schema: listKey(regionName),
    expected: 'a list of regions',
    invalidItem: (r) => `"${r}" is not a region such as eu-west-1`,
    default: 'us-east-1,us-west-2',
    placeholder: true,
    sets: { enabler: 'regions' },
  }),
  organizationId: key({
    summary: 'organization id (o-…)',
    schema: textKey(z.string().regex(ORGANIZATION_ID_PATTERN)),
    expected: 'an organization id such as o-a1b2c3d4e5',
    default: PLACEHOLDER_ORGANIZATION_ID,
    placeholder: true,
  }),
  deploymentTargets: key({
    summary: 'root id (r-…) or OU ids (ou-…), comma-separated, that get the member role',
    schema: z.preprocess(
      configList,
      z.array(z.string().regex(DEPLOYMENT_TARGET_PATTERN)).min(1, { error: 'expected the root id (r-…) or at least one OU id (ou-…)' }),
    ),
    expected: 'root or OU ids',
    invalidItem: (t) => `"${t}" is neither a root id (r-…) nor an OU id (ou-…-…)`,
    default: PLACEHOLDER_ROOT_ID,
    placeholder: true,
  }),
  roleName: key({
    summary: 'member role name in every member account',
    // Checked by the responder's own rule (CORDON_ROLE_NAME); only emptiness is the deployment's (the responder would take its default).
    schema: textKey(z.string().min(1)),
    expected: ROLE_NAME_EXPECTED,
    default: DEFAULT_ROLE_NAME,
    sets: { responder: 'roleName' },
    fileSchema: RESPONDER_SETTINGS.roleName.schema,
  }),
  externalId: key({
    summary: 'external id the member role requires (empty: none)',
    schema: optionalTextKey(z.string()),
    expected: 'an external id',
    default: '',
    sets: { responder: 'externalId' },
    fileSchema: z.union([z.literal(''), RESPONDER_SETTINGS.externalId.schema]),
  }),
  operatorRoleArns: key({
    summary:
      "roles of the security account (exact ARNs) that operators run npx cordon with (release, respond, status, history, doctor): the member role trusts them beside the responder's role, with the same conditions (organization, external id)",
    schema: listKey(z.string().regex(ROLE_ARN_PATTERN)),
    expected: 'role ARNs',
    invalidItem: (arn) => `"${arn}" is not a role ARN (arn:partition:iam::account:role/name, no wildcards)`,
    default: '',
  }),
  functionRoleName: key({
    summary: "responder Lambda's role name in the security account",
    schema: textKey(roleName),
    expected: ROLE_NAME_EXPECTED,
    default: DEFAULT_RESPONDER_FUNCTION_ROLE_NAME,
  }),
  runbooksDir: key({
    summary: 'runbooks folder (relative to the working directory), bundled into the Lambda',
    schema: textKey(z.string()),
    expected: 'a folder',
    default: 'runbooks',
  }),
  alarmEmail: key({
    summary: 'e-mail address subscribed to a new alarm topic',
    schema: optionalTextKey(z.string().regex(EMAIL_PATTERN)),
    expected: 'an e-mail address',
    default: undefined,
  }),
  alarmTopicArn: key({
    summary: 'existing SNS topic (in the home region) for alarms, instead of alarmEmail',
    schema: optionalTextKey(z.string().regex(SNS_TOPIC_ARN_PATTERN)),
    expected: 'an SNS topic ARN',
    default: undefined,
  }),
  notificationBus: key({
    summary:
      "event bus of the security account's home region the responder publishes its notifications to (source cordon), and the stack's notification rules listen on",
    schema: textKey(z.string().min(1)),
    expected: 'an event bus name',
    default: 'default',
    sets: { responder: 'notifyBus' },
    fileSchema: z.string(),
  }),
  notificationEmails: key({
    summary: 'e-mail addresses subscribed to the notification topic (one message per finding contained, held or failed on)',
    schema: listKey(z.string().regex(EMAIL_PATTERN)),
    expected: 'e-mail addresses',
    invalidItem: (e) => `"${e}" is not an e-mail address`,
    default: '',
  }),
  slackChannel: key({
    summary: 'AWS Chatbot Slack channel for notifications: workspaceId/channelId (the workspace authorized in the Chatbot console once)',
    schema: optionalTextKey(z.string().regex(/^T[A-Z0-9]{4,}\/[A-Z0-9]{6,}$/)),
    expected: 'a Slack workspace id and channel id as T0123ABCD/C0123ABCDEF',
    default: undefined,
  }),
  teamsChannel: key({
    summary:
      'AWS Chatbot Microsoft Teams channel for notifications: tenantId/teamId/channelId (the team authorized in the Chatbot console once)',
    schema: optionalTextKey(z.string().regex(/^[0-9a-f-]{36}\/[0-9a-f-]{36}\/\S+$/)),
    expected: 'tenantId/teamId/channelId (two GUIDs and a channel id)',
    default: undefined,
  }),
  dryRun: key({
    summary: 'plan only, change nothing; set false once the dry-run results look right',
    schema: booleanKey,
    expected: 'true or false',
    default: 'true',
    sets: { responder: 'dryRun' },
  }),
  actionThreshold: key({
    summary: `act when reliability + severity exceeds this (responder default ${DEFAULT_ACTION_THRESHOLD})`,
    schema: optionalTextKey(z.string()),
    expected: 'a number',
    default: undefined,
    sets: { responder: 'threshold' },
    fileSchema: RESPONDER_SETTINGS.threshold.schema,
  }),
  exemptAccounts: key({
    summary: 'account ids never contained, comma-separated',
    schema: listKey(z.string()),
    expected: 'account ids',
    default: '',
    sets: { responder: 'exemptAccounts' },
    fileSchema: z.array(accountId),
  }),
  exemptResourceArns: key({
    summary: 'ARNs (ArnLike wildcards * and ?) of resources never contained; no workload can change this list',
    schema: listKey(z.string()),
    expected: 'ARNs',
    default: '',
    sets: { responder: 'exemptResourceArns' },
    fileSchema: z.array(arnPattern),
  }),
  exemptOus: key({
    summary: 'OU ids (ou-…) or the root id whose accounts, nested OUs included, are never contained',
    schema: listKey(z.string()),
    expected: 'OU ids',
    default: '',
    sets: { responder: 'exemptOus' },
    fileSchema: z.array(organizationUnitId),
  }),
  exemptTag: key({
    summary: `tag key=value that exempts a resource, or none (responder default ${DEFAULT_EXEMPT_TAG.key}=${DEFAULT_EXEMPT_TAG.value})`,
    schema: optionalTextKey(z.string()),
    expected: 'a tag',
    default: undefined,
    sets: { responder: 'exemptTag' },
    fileSchema: z.string(),
  }),
  maxConcurrency: wholeNumber(2, 1000, {
    summary:
      "responder Lambdas running at once at most (2-1000): the SQS event source's maximum concurrency, which needs no reserved concurrency",
    default: String(DEFAULT_MAX_CONCURRENCY),
  }),
  reservedConcurrency: key({
    summary:
      'concurrency reserved for the responder (at least maxConcurrency, up to 1000), and 1 for the enabler; unset: none, as an account whose concurrency quota is 10 (new accounts) refuses any reservation',
    schema: optionalWholeNumberKey(2, 1000),
    expected: 'a whole number from 2 to 1000, or nothing',
    default: undefined,
  }),
  batchSize: wholeNumber(1, MAX_BATCH_SIZE, {
    summary: `SQS messages per invocation (1-${MAX_BATCH_SIZE}; above ${MAX_BATCH_SIZE_WITHOUT_WINDOW} needs maxBatchingWindowSeconds of 1 or more)`,
    default: String(DEFAULT_BATCH_SIZE),
  }),
  maxBatchingWindowSeconds: wholeNumber(0, 300, {
    summary: 'seconds SQS gathers a batch (0-300)',
    default: String(DEFAULT_MAX_BATCHING_WINDOW_SECONDS),
  }),
  logRetentionDays: key({
    summary: 'CloudWatch Logs retention of the responder, in days',
    schema: wholeNumberKey(1, 3653)
      .refine((days) => LOG_RETENTION_DAYS.includes(days), {
        error: `expected one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .meta({ enum: [...LOG_RETENTION_DAYS] }),
    expected: 'a whole number from 1 to 3653',
    default: '365',
  }),
  stackSetMaxConcurrentPercentage: wholeNumber(1, 100, {
    summary:
      'accounts the member-role StackSet deploys to at once, in percent (1-100; rounded down, at least one account); failures do not lower it (SOFT_FAILURE_TOLERANCE)',
    default: '25',
  }),
  stackSetFailureTolerancePercentage: wholeNumber(0, 100, {
    summary: 'accounts the member-role StackSet may fail in, in percent (0-100; rounded down), before it stops the operation',
    default: '10',
  }),
  stackSetCallAs: key({
    summary: 'DELEGATED_ADMIN (StackSet stack in the security account) or SELF (in the management account)',
    schema: textKey(z.enum(['DELEGATED_ADMIN', 'SELF'])),
    expected: 'DELEGATED_ADMIN or SELF',
    default: 'DELEGATED_ADMIN',
  }),
  securityAccountId: key({
    summary: 'security account id; required when stackSetCallAs is SELF and for the enabler; pins the security-account stacks to it',
    schema: optionalTextKey(accountId),
    expected: 'a 12-digit account id',
    default: undefined,
    sets: { enabler: 'adminAccountId' },
  }),
  managementAccountId: key({
    summary:
      'management account id; when set (with securityAccountId) the app adds the enabler stacks cordon-enabler and cordon-enabler-role',
    schema: optionalTextKey(accountId),
    expected: 'a 12-digit account id',
    default: undefined,
  }),
  enablerSchedule: key({
    summary: `when the enabler runs: rate(…), cron(…) or a number of hours; at least ${MIN_ENABLER_INTERVAL_MINUTES} minutes apart`,
    schema: textKey(
      z.string().transform((value, ctx) => {
        const schedule = parseSchedule(value);
        if ('expression' in schedule) return schedule.expression;
        ctx.issues.push({ code: 'custom', input: value, message: schedule.problem });
        return z.NEVER;
      }),
    ),
    expected: 'a schedule',
    default: DEFAULT_ENABLER_SCHEDULE,
  }),
  enableFeatures: key({
    summary: `GuardDuty protection plans the enabler turns on org-wide: plan keys (comma-separated), all or none (enabler default ${DEFAULT_PLAN_KEYS.join(',')})`,
    schema: listKey(z.string()),
    expected: 'protection plans',
    default: undefined,
    sets: { enabler: 'features' },
    fileSchema: z.union([z.enum(['all', 'none']), z.array(z.enum(PROTECTION_PLANS.map((p) => p.key)))]),
  }),
  enableSecurityHub: key({
    summary: 'the enabler also sets up Security Hub (administrator, members, auto-enable, aggregator in the home region)',
    schema: booleanKey,
    expected: 'true or false',
    default: 'true',
    sets: { enabler: 'securityHub' },
  }),
  enablerDryRun: key({
    summary: 'the enabler only reports what it would change (default: the value of dryRun)',
    schema: booleanKey.optional(),
    expected: 'true or false (or unset: the value of cordon:dryRun)',
    default: undefined,
    sets: { enabler: 'dryRun' },
  }),
  enablerRegisterAccountAdmin: key({
    summary:
      "the enabler registers the security account as AWS Account Management's delegated administrator when opt-in regions are covered (grants it wide account control; off: the management account reads opt-in regions)",
    schema: booleanKey,
    expected: 'true or false',
    default: 'false',
    sets: { enabler: 'registerAccountAdmin' },
  }),
  enablerRoleName: key({
    summary: 'role the enabler assumes in the security account',
    schema: textKey(roleName),
    expected: ROLE_NAME_EXPECTED,
    default: DEFAULT_ADMIN_ROLE_NAME,
    sets: { enabler: 'adminRoleName' },
  }),
  tagGuard: key({
    summary:
      'add the stack cordon-tag-guard (management account): a service control policy on deploymentTargets that lets only tagApproverRoleArns and cordon change cordon:* tags (needs managementAccountId)',
    schema: booleanKey,
    expected: 'true or false',
    default: 'false',
  }),
  tagApproverRoleArns: key({
    summary:
      'role ARNs (ArnLike wildcards) allowed to set, change or remove cordon:* tags under the tag guard (e.g. arn:aws:iam::*:role/security-approver)',
    schema: listKey(arnPattern),
    expected: 'role ARNs',
    invalidItem: (arn) => `"${arn}" is not a role ARN (arn:partition:iam::account:role/name, * and ? allowed)`,
    default: '',
  }),
  enablerFunctionRoleName: key({
    summary: "enabler Lambda's role name in the management account (the only principal the enabler role trusts)",
    schema: textKey(roleName),
    expected: ROLE_NAME_EXPECTED,
    default: DEFAULT_ENABLER_FUNCTION_ROLE_NAME,
  }),
};

/** A deployment key: `cordon:<ConfigKey>` in CDK context, `<ConfigKey>` in cordon.config.json. */
export type ConfigKey = keyof typeof DEPLOYMENT_SETTINGS;

/** Every deployment key, in order. */
export const CONFIG_KEY_NAMES = Object.keys(DEPLOYMENT_SETTINGS) as ConfigKey[];

/** The deployment key that sets a runtime setting's variable, if one does. */
export function configKeyOf(ref: SettingRef): ConfigKey | undefined {
  return CONFIG_KEY_NAMES.find((k) => {
    const sets: SettingRef | undefined = DEPLOYMENT_SETTINGS[k].sets;
    if (sets === undefined) return false;
    return 'responder' in ref ? 'responder' in sets && sets.responder === ref.responder : 'enabler' in sets && sets.enabler === ref.enabler;
  });
}

/** The responder's environment variables, in table order. */
export const RESPONDER_ENV = Object.values(RESPONDER_SETTINGS).flatMap((s) => (s.env === undefined ? [] : [s.env]));

/** The enabler's environment variables, in table order. */
export const ENABLER_ENV = Object.values(ENABLER_SETTINGS).flatMap((s) => (s.env === undefined ? [] : [s.env]));
