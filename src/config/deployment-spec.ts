/**
 * The deployment's keys (read by \`cdk synth\` from CDK context or
 * cordon.config.json): the third part of cordon's settings table (see
 * \`spec.ts\`), and which runtime setting each key sets in a deployed Lambda.
 */
import { z } from 'zod';
import { DEFAULT_PLAN_KEYS, PROTECTION_PLANS } from '../org/features';
import { DEFAULT_ACTION_THRESHOLD } from '../runbooks/runbook';
import {
  DEFAULT_ADMIN_ROLE_NAME,
  DEFAULT_BATCH_SIZE,
  DEFAULT_ENABLER_FUNCTION_ROLE_NAME,
  DEFAULT_ENABLER_SCHEDULE,
  DEFAULT_EXEMPT_TAG,
  DEFAULT_MAX_BATCHING_WINDOW_SECONDS,
  DEFAULT_MAX_CONCURRENCY,
  DEFAULT_RESPONDER_FUNCTION_ROLE_NAME,
  DEFAULT_ROLE_NAME,
  LOG_RETENTION_DAYS,
  MAX_BATCH_SIZE,
  MAX_BATCH_SIZE_WITHOUT_WINDOW,
  MIN_ENABLER_INTERVAL_MINUTES,
  PLACEHOLDER_ORGANIZATION_ID,
  PLACEHOLDER_ROOT_ID,
} from './defaults';
import { parseSchedule } from './schedule';
import {
  accountId,
  arnPattern,
  booleanKey,
  DEPLOYMENT_TARGET_PATTERN,
  EMAIL_PATTERN,
  listKey,
  optionalTextKey,
  optionalWholeNumberKey,
  ORGANIZATION_ID_PATTERN,
  organizationUnitId,
  ROLE_ARN_PATTERN,
  regionName,
  roleName,
  SNS_TOPIC_ARN_PATTERN,
  textKey,
  wholeNumberKey,
  configList,
} from './schemas';
import { ROLE_NAME_EXPECTED, RESPONDER_SETTINGS, type ResponderSettingId, type RuntimeSetting } from './spec';
import { ENABLER_SETTINGS, type EnablerSettingId } from './enabler-spec';

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

/** A deployment key of type `T`. */
function key<T>(setting: DeploymentSetting<T>): DeploymentSetting<T> {
  return setting;
}

/** A whole-number deployment key. */
function wholeNumber(min: number, max: number, setting: Omit<DeploymentSetting<number>, 'schema' | 'expected'>): DeploymentSetting<number> {
  return { ...setting, schema: wholeNumberKey(min, max), expected: `a whole number from ${min} to ${max}` };
}

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
