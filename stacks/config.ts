import * as fs from 'node:fs';
import * as path from 'node:path';
import { ACTION_CATALOGUE } from '../src/actions/registry';
import { ConfigurationError } from '../src/errors';
import { RESPONDER_ENV, responderSettings } from '../src/config/settings';
import { DEFAULT_PLAN_KEYS } from '../src/org/features';
import { ENABLER_ENV, enablerSettingsFromEnv } from '../src/org/settings';
import { customActions, type CustomActionSpec } from '../src/runbooks/custom-actions';
import { loadRunbooks } from '../src/runbooks/load';
import type { Runbook } from '../src/runbooks/runbook';
import { DEFAULT_ROLE_NAMES } from '../stacksets/role-names';

/**
 * cordon's deployment configuration: one validated place for everything the
 * stacks need. Values come, highest precedence first, from
 *
 * 1. CDK context: `-c cordon:<key>=<value>` on the command line, or a
 *    `"cordon:<key>"` entry in `cdk.json` / `cdk.context.json` / `~/.cdk.json`;
 * 2. a JSON file named by `-c cordon:configFile=<path>` whose keys are the
 *    same names without the `cordon:` prefix;
 * 3. the defaults below. Those marked as placeholders are example values that
 *    let `npx cdk synth` run out of the box; every stack that uses one carries
 *    a warning until it is replaced.
 *
 * Any responder environment variable (`RESPONDER_ENV` in src/config/settings.ts)
 * that has no key of its own here can be set with a context or file key of the
 * same name, e.g. `-c CORDON_CIRCUIT_ORG_LIMIT=50`: new responder settings
 * reach the Lambda without a change to the stacks, and are validated at synth
 * by the responder's own `responderSettings`.
 */
export interface CordonConfig {
  /** Region of the responder (the Security Hub aggregation region). @default 'us-east-1' */
  readonly homeRegion: string;
  /** Every covered region, the home region first (forwarders go to the others). */
  readonly regions: readonly string[];
  /** The organization id (`o-…`) the member role trusts and the responder may assume roles in. Placeholder default. */
  readonly organizationId: string;
  /** Root (`r-…`) or OU (`ou-…`) ids the StackSet deploys the member role to. Placeholder default. */
  readonly deploymentTargets: readonly string[];
  /** Name of the member role in every member account. @default 'cordon-responder' */
  readonly roleName: string;
  /** External id the member role requires, if any. */
  readonly externalId: string | undefined;
  /** Name of the responder Lambda's role in the security account (the member role trusts it). @default 'cordon-responder-lambda' */
  readonly functionRoleName: string;
  /** Absolute path of the runbooks folder bundled into the Lambda. @default '<cwd>/runbooks' */
  readonly runbooksDir: string;
  /** The runbooks in `runbooksDir`, validated at synth. */
  readonly runbooks: readonly Runbook[];
  /** The Security Hub custom actions those runbooks (and cordon's built-ins) offer. */
  readonly customActions: readonly CustomActionSpec[];
  /** Where alarms go: a new topic with an e-mail subscription, an existing topic, or a new topic without subscriber. */
  readonly alarm:
    { readonly kind: 'email'; readonly email: string } | { readonly kind: 'topic'; readonly topicArn: string } | { readonly kind: 'none' };
  /** Report what would be done and change nothing. @default true (a first rollout should watch before it acts) */
  readonly dryRun: boolean;
  /** Reserved concurrency of the responder, also its SQS maximum concurrency. @default 5 */
  readonly reservedConcurrency: number;
  /** SQS messages per Lambda invocation. @default DEFAULT_BATCH_SIZE (100) */
  readonly batchSize: number;
  /** How long SQS gathers a batch. @default DEFAULT_MAX_BATCHING_WINDOW_SECONDS (2) */
  readonly maxBatchingWindowSeconds: number;
  /** Retention of the responder's logs, in days (a CloudWatch Logs retention value). @default 365 */
  readonly logRetentionDays: number;
  /** How the StackSet is created: from a StackSets delegated administrator (the security account) or the management account. @default 'DELEGATED_ADMIN' */
  readonly stackSetCallAs: 'DELEGATED_ADMIN' | 'SELF';
  /**
   * The security account's id: required when the StackSet stack is deployed in the management
   * account (`stackSetCallAs` SELF) and for the enabler. When set, every stack meant for the
   * security account is pinned to it (CDK refuses to deploy it with another account's credentials).
   */
  readonly securityAccountId: string | undefined;
  /** The management account's id: when set, the app adds the enabler stacks. */
  readonly managementAccountId: string | undefined;
  /** Name of the role the enabler assumes in the security account; the member role may never change it. @default 'cordon-enabler' */
  readonly enablerRoleName: string;
  /** Name of the enabler Lambda's role in the management account; the member role may never change it. @default 'cordon-enabler-lambda' */
  readonly enablerFunctionRoleName: string;
  /** The scheduled enabler, when `managementAccountId` (and `securityAccountId`) are set. */
  readonly enabler: EnablerDeployment | undefined;
  /** Environment of the responder Lambda, validated (the stack adds the audit table and the runbooks folder). */
  readonly responderEnv: Readonly<Partial<Record<ResponderEnvVar, string>>>;
  /** Keys still at their placeholder value (each stack that uses one warns). */
  readonly placeholders: readonly ConfigKey[];
  /** Keys set that have no effect (enabler settings without `managementAccountId`); the responder stack warns. */
  readonly unusedKeys: readonly ConfigKey[];
}

/** The scheduled enabler (src/handlers/enable.ts), run in the management account, and the role it assumes in the security account. */
export interface EnablerDeployment {
  readonly managementAccountId: string;
  readonly securityAccountId: string;
  /** EventBridge schedule expression (`rate(12 hours)`, `cron(…)`). */
  readonly schedule: string;
  /** The role assumed in the security account (CORDON_ADMIN_ROLE_NAME). */
  readonly adminRoleName: string;
  /** The Lambda's own role in the management account (the admin role trusts only it). */
  readonly functionRoleName: string;
  /** Plan only, change nothing (CORDON_DRY_RUN). */
  readonly dryRun: boolean;
  /** The Lambda's environment, validated at synth by the enabler's own settings check. */
  readonly env: Readonly<Partial<Record<EnablerEnvVar, string>>>;
}

/** An enabler environment variable (`ENABLER_ENV` in src/org/settings.ts, and its dry-run switch). */
export type EnablerEnvVar = (typeof ENABLER_ENV)[number] | 'CORDON_DRY_RUN';

/** A responder environment variable. */
export type ResponderEnvVar = (typeof RESPONDER_ENV)[number];

/** Context keys are `cordon:<ConfigKey>`. */
export type ConfigKey =
  | 'homeRegion'
  | 'regions'
  | 'organizationId'
  | 'deploymentTargets'
  | 'roleName'
  | 'externalId'
  | 'functionRoleName'
  | 'runbooksDir'
  | 'alarmEmail'
  | 'alarmTopicArn'
  | 'dryRun'
  | 'actionThreshold'
  | 'exemptAccounts'
  | 'exemptTag'
  | 'reservedConcurrency'
  | 'batchSize'
  | 'maxBatchingWindowSeconds'
  | 'logRetentionDays'
  | 'stackSetCallAs'
  | 'securityAccountId'
  | 'managementAccountId'
  | 'enablerSchedule'
  | 'enableFeatures'
  | 'enableSecurityHub'
  | 'enablerDryRun'
  | 'enablerRoleName'
  | 'enablerFunctionRoleName';

/** Prefix of cordon's context keys. */
export const CONTEXT_PREFIX = 'cordon:';
/** Context key naming an optional JSON configuration file. */
export const CONFIG_FILE_KEY = 'cordon:configFile';

/** Example organization id: valid in form, never a real organization. */
export const PLACEHOLDER_ORGANIZATION_ID = 'o-exampleorgid';
/** Example organization root id: valid in form, never a real root. */
export const PLACEHOLDER_ROOT_ID = 'r-exampleroot';

/**
 * Default SQS messages per responder invocation. Security Hub's BatchUpdateFindings takes 100
 * findings a call and cordon groups identical updates, so a batch of 100 costs a few calls where
 * batches of 10 cost about one call per finding.
 */
export const DEFAULT_BATCH_SIZE = 100;
/** Receives of a message before the responder queue dead-letters it (its findings failed that many times). */
export const MAX_RECEIVE_COUNT = 5;
/** Default seconds SQS gathers a batch (Lambda requires at least 1 for batches above 10). */
export const DEFAULT_MAX_BATCHING_WINDOW_SECONDS = 2;
/** Largest batch Lambda accepts without a batching window (SQS event sources). */
export const MAX_BATCH_SIZE_WITHOUT_WINDOW = 10;
/** Upper bound of `cordon:batchSize` (Lambda allows 10,000 for standard queues; a failed batch is retried whole). */
export const MAX_BATCH_SIZE = 1000;
/** Default schedule of the enabler. */
export const DEFAULT_ENABLER_SCHEDULE = 'rate(12 hours)';
/** Shortest interval between two enabler runs, in minutes (a run may take the Lambda's 15 minutes and calls every region). */
export const MIN_ENABLER_INTERVAL_MINUTES = 60;

/** Every key, its default and what it means (docs/deploy.md lists the same table). */
export const CONFIG_KEYS: Readonly<
  Record<ConfigKey, { readonly default: string | undefined; readonly placeholder?: true; readonly summary: string }>
> = {
  homeRegion: { default: 'us-east-1', summary: 'region of the responder; make it your Security Hub aggregation region' },
  regions: {
    default: 'us-east-1,us-west-2',
    placeholder: true,
    summary: 'every region GuardDuty covers (comma-separated); the home region is always included',
  },
  organizationId: { default: PLACEHOLDER_ORGANIZATION_ID, placeholder: true, summary: 'organization id (o-…)' },
  deploymentTargets: {
    default: PLACEHOLDER_ROOT_ID,
    placeholder: true,
    summary: 'root id (r-…) or OU ids (ou-…), comma-separated, that get the member role',
  },
  roleName: { default: DEFAULT_ROLE_NAMES.member, summary: 'member role name in every member account' },
  externalId: { default: '', summary: 'external id the member role requires (empty: none)' },
  functionRoleName: { default: DEFAULT_ROLE_NAMES.responderFunction, summary: "responder Lambda's role name in the security account" },
  runbooksDir: { default: 'runbooks', summary: 'runbooks folder (relative to the working directory), bundled into the Lambda' },
  alarmEmail: { default: undefined, summary: 'e-mail address subscribed to a new alarm topic' },
  alarmTopicArn: { default: undefined, summary: 'existing SNS topic (in the home region) for alarms, instead of alarmEmail' },
  dryRun: { default: 'true', summary: 'plan only, change nothing; set false once the dry-run results look right' },
  actionThreshold: { default: undefined, summary: 'act when reliability + severity exceeds this (responder default 10)' },
  exemptAccounts: { default: '', summary: 'account ids never contained, comma-separated' },
  exemptTag: { default: undefined, summary: 'tag key=value that exempts a resource (responder default cordon:exempt=true)' },
  reservedConcurrency: { default: '5', summary: 'reserved concurrency of the responder Lambda (2-1000), also its SQS maximum concurrency' },
  batchSize: {
    default: String(DEFAULT_BATCH_SIZE),
    summary: `SQS messages per invocation (1-${MAX_BATCH_SIZE}; above ${MAX_BATCH_SIZE_WITHOUT_WINDOW} needs maxBatchingWindowSeconds of 1 or more)`,
  },
  maxBatchingWindowSeconds: { default: String(DEFAULT_MAX_BATCHING_WINDOW_SECONDS), summary: 'seconds SQS gathers a batch (0-300)' },
  logRetentionDays: { default: '365', summary: 'CloudWatch Logs retention of the responder, in days' },
  stackSetCallAs: {
    default: 'DELEGATED_ADMIN',
    summary: 'DELEGATED_ADMIN (StackSet stack in the security account) or SELF (in the management account)',
  },
  securityAccountId: {
    default: undefined,
    summary: 'security account id; required when stackSetCallAs is SELF and for the enabler; pins the security-account stacks to it',
  },
  managementAccountId: {
    default: undefined,
    summary:
      'management account id; when set (with securityAccountId) the app adds the enabler stacks cordon-enabler and cordon-enabler-role',
  },
  enablerSchedule: {
    default: DEFAULT_ENABLER_SCHEDULE,
    summary: `when the enabler runs: rate(…), cron(…) or a number of hours; at least ${MIN_ENABLER_INTERVAL_MINUTES} minutes apart`,
  },
  enableFeatures: {
    default: undefined,
    summary: `GuardDuty protection plans the enabler turns on org-wide: plan keys (comma-separated), all or none (enabler default ${DEFAULT_PLAN_KEYS.join(',')})`,
  },
  enableSecurityHub: {
    default: 'true',
    summary: 'the enabler also sets up Security Hub (administrator, members, auto-enable, aggregator in the home region)',
  },
  enablerDryRun: { default: undefined, summary: 'the enabler only reports what it would change (default: the value of dryRun)' },
  enablerRoleName: { default: DEFAULT_ROLE_NAMES.enablerAdmin, summary: 'role the enabler assumes in the security account' },
  enablerFunctionRoleName: {
    default: DEFAULT_ROLE_NAMES.enablerFunction,
    summary: "enabler Lambda's role name in the management account (the only principal the enabler role trusts)",
  },
};

/** Keys that only the enabler stacks use. */
const ENABLER_ONLY_KEYS: readonly ConfigKey[] = ['enablerSchedule', 'enableFeatures', 'enableSecurityHub', 'enablerDryRun'];

/** Enabler variables set from the keys above, for messages that name the key. */
const ENABLER_ENV_KEYS: Readonly<Partial<Record<EnablerEnvVar, ConfigKey>>> = {
  CORDON_ADMIN_ACCOUNT_ID: 'securityAccountId',
  CORDON_ADMIN_ROLE_NAME: 'enablerRoleName',
  CORDON_REGIONS: 'regions',
  CORDON_FEATURES: 'enableFeatures',
  CORDON_SECURITY_HUB: 'enableSecurityHub',
  CORDON_HOME_REGION: 'homeRegion',
  CORDON_DRY_RUN: 'enablerDryRun',
};

/** Responder variables that have a key of their own here (one place to set each). */
const ENV_KEYS = {
  CORDON_ROLE_NAME: 'roleName',
  CORDON_EXTERNAL_ID: 'externalId',
  CORDON_DRY_RUN: 'dryRun',
  CORDON_ACTION_THRESHOLD: 'actionThreshold',
  CORDON_EXEMPT_ACCOUNTS: 'exemptAccounts',
  CORDON_EXEMPT_TAG: 'exemptTag',
} as const satisfies Partial<Record<ResponderEnvVar, ConfigKey>>;

/** Responder variables the responder stack sets itself. */
const STACK_ENV: ReadonlyArray<{ readonly name: ResponderEnvVar; readonly why: string }> = [
  { name: 'CORDON_AUDIT_TABLE', why: 'the stack creates the audit table' },
  { name: 'CORDON_AUDIT_FILE', why: 'the deployed responder audits to DynamoDB' },
  { name: 'CORDON_RUNBOOKS_DIR', why: 'the stack bundles the runbooks; set cordon:runbooksDir' },
];

/** CloudWatch Logs' accepted retention periods, in days. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
const ACCOUNT_ID = /^\d{12}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/**
 * The configuration is invalid; `problems` lists every bad key with what was
 * expected. `cdk synth` stops with this message and nothing is deployed.
 */
export class DeployConfigError extends ConfigurationError {
  public constructor(public readonly problems: readonly string[]) {
    super(`invalid cordon deployment configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'DeployConfigError';
  }
}

/** Where raw values come from: a context lookup (what `app.node` offers) and the working directory. */
export interface ConfigSource {
  /** Every context entry (`app.node.getAllContext()`). */
  readonly context: Readonly<Record<string, unknown>>;
  /** Directory relative paths are resolved against. @default process.cwd() */
  readonly cwd?: string;
}

/**
 * Reads, validates and resolves the configuration. Every problem is reported
 * at once, each naming its key (`cordon:organizationId: …`).
 */
export function loadConfig(source: ConfigSource): CordonConfig {
  const cwd = source.cwd ?? process.cwd();
  const problems: string[] = [];
  const raw = collectRaw(source.context, cwd, problems);
  const get = (key: ConfigKey): unknown => (raw.values.has(key) ? raw.values.get(key) : CONFIG_KEYS[key].default);
  const label = (key: ConfigKey): string => `${CONTEXT_PREFIX}${key}`;
  const bad = (key: ConfigKey, expected: string): void => {
    problems.push(`${label(key)}: ${expected} (got ${JSON.stringify(get(key))})`);
  };

  const homeRegion = text(get('homeRegion'));
  if (!REGION.test(homeRegion)) bad('homeRegion', 'expected a region such as us-east-1');
  const listedRegions = list(get('regions'));
  for (const r of listedRegions) if (!REGION.test(r)) problems.push(`${label('regions')}: "${r}" is not a region such as eu-west-1`);
  const regions = [...new Set([homeRegion, ...listedRegions])];

  const organizationId = text(get('organizationId'));
  if (!/^o-[a-z0-9]{10,32}$/.test(organizationId)) bad('organizationId', 'expected an organization id such as o-a1b2c3d4e5');

  const deploymentTargets = list(get('deploymentTargets'));
  if (deploymentTargets.length === 0) bad('deploymentTargets', 'expected the root id (r-…) or at least one OU id (ou-…)');
  for (const t of deploymentTargets) {
    if (!/^r-[0-9a-z]{4,32}$/.test(t) && !/^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/.test(t)) {
      problems.push(`${label('deploymentTargets')}: "${t}" is neither a root id (r-…) nor an OU id (ou-…-…)`);
    }
  }

  const roleName = text(get('roleName'));
  const externalId = text(get('externalId')) || undefined;
  const roleNameOf = (key: ConfigKey): string => {
    const name = text(get(key));
    if (!ROLE_NAME.test(name)) bad(key, 'expected an IAM role name (1-64 of letters, digits and +=,.@_-)');
    return name;
  };
  const functionRoleName = roleNameOf('functionRoleName');
  const enablerRoleName = roleNameOf('enablerRoleName');
  const enablerFunctionRoleName = roleNameOf('enablerFunctionRoleName');
  // The member role is deployed to the security account too (and may be deployed to the management
  // account by hand): a shared name would make two stacks own one role, or let the member role be it.
  const roleKeys: readonly ConfigKey[] = ['roleName', 'functionRoleName', 'enablerRoleName', 'enablerFunctionRoleName'];
  roleKeys.forEach((key, i) => {
    const earlier = roleKeys.slice(0, i).find((k) => text(get(k)) === text(get(key)));
    if (earlier)
      problems.push(
        `${label(key)}: must differ from ${label(earlier)} ("${text(get(key))}"): each of cordon's roles needs its own name, and the member role is also deployed to the security account`,
      );
  });

  const runbooksDir = path.resolve(cwd, text(get('runbooksDir')));
  let runbooks: Runbook[] = [];
  try {
    runbooks = loadRunbooks(runbooksDir, ACTION_CATALOGUE);
  } catch (err) {
    problems.push(`${label('runbooksDir')}: ${(err as Error).message}`);
  }

  const alarmEmail = optionalText(get('alarmEmail'));
  const alarmTopicArn = optionalText(get('alarmTopicArn'));
  let alarm: CordonConfig['alarm'] = { kind: 'none' };
  if (alarmEmail && alarmTopicArn) {
    problems.push(`${label('alarmEmail')} and ${label('alarmTopicArn')}: set one or the other, not both`);
  } else if (alarmEmail) {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) bad('alarmEmail', 'expected an e-mail address');
    alarm = { kind: 'email', email: alarmEmail };
  } else if (alarmTopicArn) {
    const m = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[\w-]{1,256}$/.exec(alarmTopicArn);
    if (!m) bad('alarmTopicArn', 'expected an SNS topic ARN');
    else if (m[1] !== homeRegion)
      bad('alarmTopicArn', `expected a topic in the home region ${homeRegion} (CloudWatch alarms notify topics of their own region)`);
    alarm = { kind: 'topic', topicArn: alarmTopicArn };
  }

  const dryRun = bool(get('dryRun'));
  if (dryRun === undefined) bad('dryRun', 'expected true or false');

  const int = (key: ConfigKey, min: number, max: number): number => {
    const n = Number(text(get(key)));
    if (!Number.isInteger(n) || n < min || n > max) {
      bad(key, `expected a whole number from ${min} to ${max}`);
      return min;
    }
    return n;
  };
  const reservedConcurrency = int('reservedConcurrency', 2, 1000);
  const batchSize = int('batchSize', 1, MAX_BATCH_SIZE);
  const maxBatchingWindowSeconds = int('maxBatchingWindowSeconds', 0, 300);
  if (batchSize > MAX_BATCH_SIZE_WITHOUT_WINDOW && maxBatchingWindowSeconds < 1) {
    problems.push(
      `${label('batchSize')} and ${label('maxBatchingWindowSeconds')}: a batch of more than ${MAX_BATCH_SIZE_WITHOUT_WINDOW} messages needs a batching window of at least 1 second (Lambda's rule for SQS event sources); got batchSize ${batchSize} with maxBatchingWindowSeconds ${maxBatchingWindowSeconds}`,
    );
  }
  const logRetentionDays = int('logRetentionDays', 1, 3653);
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays))
    bad('logRetentionDays', `expected one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(', ')}`);

  const callAs = text(get('stackSetCallAs'));
  if (callAs !== 'DELEGATED_ADMIN' && callAs !== 'SELF') bad('stackSetCallAs', 'expected DELEGATED_ADMIN or SELF');
  const securityAccountId = optionalText(get('securityAccountId'));
  if (securityAccountId !== undefined && !ACCOUNT_ID.test(securityAccountId)) bad('securityAccountId', 'expected a 12-digit account id');
  if (callAs === 'SELF' && securityAccountId === undefined) {
    problems.push(
      `${label('securityAccountId')}: required when ${label('stackSetCallAs')} is SELF (the StackSet stack then runs in the management account and cannot derive the responder role's account)`,
    );
  }
  const managementAccountId = optionalText(get('managementAccountId'));
  if (managementAccountId !== undefined && !ACCOUNT_ID.test(managementAccountId))
    bad('managementAccountId', 'expected a 12-digit account id');
  if (managementAccountId !== undefined && securityAccountId === undefined) {
    problems.push(
      `${label('securityAccountId')}: required with ${label('managementAccountId')} (the enabler in the management account assumes a role in the security account)`,
    );
  }
  if (managementAccountId !== undefined && managementAccountId === securityAccountId) {
    problems.push(
      `${label('managementAccountId')}: must differ from ${label('securityAccountId')} (${managementAccountId}): the delegated administrator must be a member account, not the management account`,
    );
  }

  // The responder's environment: keys above, then pass-through variables.
  const env: Partial<Record<ResponderEnvVar, string>> = { CORDON_ROLE_NAME: roleName, CORDON_DRY_RUN: String(dryRun ?? true) };
  if (externalId) env.CORDON_EXTERNAL_ID = externalId;
  const threshold = optionalText(get('actionThreshold'));
  if (threshold !== undefined) env.CORDON_ACTION_THRESHOLD = threshold;
  const exemptAccounts = list(get('exemptAccounts'));
  if (exemptAccounts.length > 0) env.CORDON_EXEMPT_ACCOUNTS = exemptAccounts.join(',');
  const exemptTag = optionalText(get('exemptTag'));
  if (exemptTag !== undefined) env.CORDON_EXEMPT_TAG = exemptTag;
  for (const [name, value] of raw.env) env[name] = value;
  validateResponderEnv(env, homeRegion, runbooksDir, problems);

  // The enabler: its schedule and environment, validated even when it is not deployed (a typo fails now, not later).
  const schedule = parseSchedule(text(get('enablerSchedule')));
  if ('problem' in schedule) bad('enablerSchedule', schedule.problem);
  const enableSecurityHub = bool(get('enableSecurityHub'));
  if (enableSecurityHub === undefined) bad('enableSecurityHub', 'expected true or false');
  const enablerDryRunRaw = get('enablerDryRun');
  const enablerDryRun = enablerDryRunRaw === undefined ? (dryRun ?? true) : bool(enablerDryRunRaw);
  if (enablerDryRun === undefined) bad('enablerDryRun', 'expected true or false (or unset: the value of cordon:dryRun)');
  const features = list(get('enableFeatures'));
  const enablerEnv: Partial<Record<EnablerEnvVar, string>> = {
    // Validation only needs some account id when the security account is not known (no enabler then).
    CORDON_ADMIN_ACCOUNT_ID: securityAccountId ?? '000000000000',
    CORDON_ADMIN_ROLE_NAME: enablerRoleName,
    CORDON_REGIONS: regions.join(','),
    CORDON_HOME_REGION: homeRegion,
    CORDON_SECURITY_HUB: String(enableSecurityHub ?? true),
    CORDON_DRY_RUN: String(enablerDryRun ?? true),
  };
  if (features.length > 0) enablerEnv.CORDON_FEATURES = features.join(',');
  // The dry-run switch matters only where the enabler is deployed.
  validateEnablerEnv(enablerEnv, managementAccountId !== undefined ? (enablerDryRun ?? true) : undefined, problems);
  const unusedKeys = managementAccountId === undefined ? ENABLER_ONLY_KEYS.filter((k) => raw.values.has(k)) : [];

  if (problems.length > 0) throw new DeployConfigError(problems);
  const placeholders = (Object.keys(CONFIG_KEYS) as ConfigKey[]).filter((k) => CONFIG_KEYS[k].placeholder && !raw.values.has(k));
  return {
    homeRegion,
    regions,
    organizationId,
    deploymentTargets,
    roleName,
    externalId,
    functionRoleName,
    runbooksDir,
    runbooks,
    customActions: customActions(runbooks),
    alarm,
    dryRun: dryRun ?? true,
    reservedConcurrency,
    batchSize,
    maxBatchingWindowSeconds,
    logRetentionDays,
    stackSetCallAs: callAs === 'SELF' ? 'SELF' : 'DELEGATED_ADMIN',
    securityAccountId,
    managementAccountId,
    enablerRoleName,
    enablerFunctionRoleName,
    enabler:
      managementAccountId !== undefined && securityAccountId !== undefined && 'expression' in schedule
        ? {
            managementAccountId,
            securityAccountId,
            schedule: schedule.expression,
            adminRoleName: enablerRoleName,
            functionRoleName: enablerFunctionRoleName,
            dryRun: enablerDryRun ?? true,
            env: enablerEnv,
          }
        : undefined,
    responderEnv: env,
    placeholders,
    unusedKeys,
  };
}

/** Raw values by key (context over file), and pass-through responder variables. */
function collectRaw(
  context: Readonly<Record<string, unknown>>,
  cwd: string,
  problems: string[],
): { values: Map<ConfigKey, unknown>; env: Map<ResponderEnvVar, string> } {
  const values = new Map<ConfigKey, unknown>();
  const env = new Map<ResponderEnvVar, string>();
  const accept = (key: string, value: unknown, where: string, name: string): void => {
    if (isConfigKey(key)) {
      values.set(key, value);
      return;
    }
    if (key.startsWith('CORDON_')) {
      const envKey = RESPONDER_ENV.find((v) => v === key);
      const own = (ENV_KEYS as Partial<Record<string, ConfigKey>>)[key];
      const managed = STACK_ENV.find((s) => s.name === key);
      if (!envKey) problems.push(`${where}${name}: not a responder environment variable (known: ${RESPONDER_ENV.join(', ')})`);
      else if (own) problems.push(`${where}${name}: set ${CONTEXT_PREFIX}${own} instead (one place per setting)`);
      else if (managed) problems.push(`${where}${name}: cannot be set, ${managed.why}`);
      else if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
        problems.push(`${where}${name}: expected a string, number or boolean`);
      else env.set(envKey, String(value));
      return;
    }
    problems.push(`${where}${name}: unknown key (known: ${Object.keys(CONFIG_KEYS).join(', ')}, or a responder variable CORDON_…)`);
  };

  const file = context[CONFIG_FILE_KEY];
  if (file !== undefined) {
    const filePath = path.resolve(cwd, text(file));
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(filePath, 'utf8'));
    } catch (err) {
      problems.push(`${CONFIG_FILE_KEY}: cannot read ${filePath} as JSON: ${(err as Error).message}`);
    }
    if (parsed !== undefined) {
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        problems.push(`${CONFIG_FILE_KEY}: ${filePath} must hold a JSON object`);
      else for (const [k, v] of Object.entries(parsed)) accept(k, v, `${filePath}: `, k);
    }
  }
  for (const [k, v] of Object.entries(context)) {
    if (k === CONFIG_FILE_KEY) continue;
    if (k.startsWith(CONTEXT_PREFIX)) accept(k.slice(CONTEXT_PREFIX.length), v, '', k);
    else if (k.startsWith('CORDON_')) accept(k, v, '', k);
  }
  return { values, env };
}

/**
 * Runs the responder's own validation on the environment the Lambda will get,
 * so a bad threshold or exemption tag fails synth with the responder's
 * message, named after the key that set it.
 */
function validateResponderEnv(
  env: Partial<Record<ResponderEnvVar, string>>,
  homeRegion: string,
  runbooksDir: string,
  problems: string[],
): void {
  try {
    responderSettings({ ...env, AWS_REGION: homeRegion, CORDON_AUDIT_TABLE: 'cordon-audit', CORDON_RUNBOOKS_DIR: runbooksDir });
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    for (const line of err.message.split('\n')) {
      const names = line.split(': ')[0] ?? '';
      const keys = Object.entries(ENV_KEYS)
        .filter(([name]) => names.split('/').includes(name))
        .map(([, key]) => `${CONTEXT_PREFIX}${key}`);
      problems.push(keys.length > 0 ? `${keys.join('/')}: ${line}` : line);
    }
  }
}

/**
 * Runs the enabler's own validation (src/org/settings.ts) on the environment its Lambda will
 * get, naming the key that set each bad variable, and checks that the dry-run switch is read
 * (a dry run the enabler would ignore would change the organization).
 */
function validateEnablerEnv(env: Partial<Record<EnablerEnvVar, string>>, dryRun: boolean | undefined, problems: string[]): void {
  try {
    const settings = enablerSettingsFromEnv(env);
    if (dryRun !== undefined && settings.dryRun !== dryRun) {
      problems.push(
        `${CONTEXT_PREFIX}enablerDryRun: the enabler (src/org/settings.ts) reads dry run = ${String(settings.dryRun)} from CORDON_DRY_RUN=${String(dryRun)}; it would not run as configured`,
      );
    }
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    for (const line of err.message.split('\n')) {
      const name = (line.split(': ')[0] ?? '') as EnablerEnvVar;
      const key = ENABLER_ENV_KEYS[name];
      // A key already reported bad (a region, an account id, a role name) is not reported twice;
      // the home region is one of the regions, so either key's problem covers both variables.
      const sources = name === 'CORDON_REGIONS' || name === 'CORDON_HOME_REGION' ? ['regions', 'homeRegion'] : key ? [key] : [];
      if (sources.some((k) => problems.some((p) => p.startsWith(`${CONTEXT_PREFIX}${k}:`)))) continue;
      problems.push(key ? `${CONTEXT_PREFIX}${key}: ${line}` : `enabler settings: ${line}`);
    }
  }
}

/**
 * An EventBridge schedule expression from `rate(N unit)`, `cron(…)` or a
 * number of hours, or what is wrong with it. Rates shorter than
 * MIN_ENABLER_INTERVAL_MINUTES are refused; cron expressions are checked for
 * their shape (six fields, `?` in day-of-month or day-of-week), and
 * EventBridge checks the rest at deploy.
 */
export function parseSchedule(value: string): { readonly expression: string } | { readonly problem: string } {
  const hours = /^\d+$/.test(value) ? Number(value) : undefined;
  const expression = hours !== undefined ? `rate(${hours} ${hours === 1 ? 'hour' : 'hours'})` : value;
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2] ?? '';
    if (n < 1) return { problem: 'expected a rate of at least 1' };
    if ((n === 1) !== !unit.endsWith('s'))
      return { problem: `EventBridge expects a singular unit for 1 and a plural one otherwise, e.g. rate(1 hour), rate(12 hours)` };
    const minutes = n * ({ minute: 1, hour: 60, day: 1440 }[unit.replace(/s$/, '') as 'minute' | 'hour' | 'day'] ?? 1);
    if (minutes < MIN_ENABLER_INTERVAL_MINUTES)
      return {
        problem: `expected runs at least ${MIN_ENABLER_INTERVAL_MINUTES} minutes apart (each run may take 15 minutes and calls every region)`,
      };
    return { expression };
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (cron) {
    const fields = (cron[1] ?? '').trim().split(/\s+/);
    if (fields.length !== 6) return { problem: 'expected cron(minutes hours day-of-month month day-of-week year), six fields' };
    if ((fields[2] === '?') === (fields[4] === '?'))
      return { problem: 'expected "?" in exactly one of day-of-month and day-of-week (EventBridge cron rule)' };
    return { expression };
  }
  return { problem: 'expected rate(12 hours), cron(0 */12 * * ? *) or a number of hours' };
}

function isConfigKey(key: string): key is ConfigKey {
  return Object.prototype.hasOwnProperty.call(CONFIG_KEYS, key);
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return (typeof value === 'string' ? value : JSON.stringify(value)).trim();
}

function optionalText(value: unknown): string | undefined {
  const t = text(value);
  return t === '' ? undefined : t;
}

/** A list from a JSON array or a comma-separated string (what `-c key=a,b` gives). */
function list(value: unknown): string[] {
  const items = Array.isArray(value) ? value.map((v) => text(v)) : text(value).split(',');
  return [...new Set(items.map((s) => s.trim()).filter((s) => s !== ''))];
}

function bool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const t = text(value).toLowerCase();
  if (t === 'true') return true;
  if (t === 'false') return false;
  return undefined;
}
