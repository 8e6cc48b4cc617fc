import * as fs from 'node:fs';
import * as path from 'node:path';
import { ACTION_CATALOGUE } from '../src/actions/registry';
import { ConfigurationError } from '../src/aws/errors';
import { RESPONDER_ENV, responderSettings } from '../src/config/settings';
import { customActions, type CustomActionSpec } from '../src/runbooks/custom-actions';
import { loadRunbooks } from '../src/runbooks/load';
import type { Runbook } from '../src/runbooks/runbook';

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
  readonly alarm: { readonly kind: 'email'; readonly email: string } | { readonly kind: 'topic'; readonly topicArn: string } | { readonly kind: 'none' };
  /** Report what would be done and change nothing. @default true (a first rollout should watch before it acts) */
  readonly dryRun: boolean;
  /** Reserved concurrency of the responder, also its SQS maximum concurrency. @default 5 */
  readonly reservedConcurrency: number;
  /** SQS messages per Lambda invocation. @default 10 */
  readonly batchSize: number;
  /** How long SQS gathers a batch. @default 5 */
  readonly maxBatchingWindowSeconds: number;
  /** Retention of the responder's logs, in days (a CloudWatch Logs retention value). @default 365 */
  readonly logRetentionDays: number;
  /** How the StackSet is created: from a StackSets delegated administrator (the security account) or the management account. @default 'DELEGATED_ADMIN' */
  readonly stackSetCallAs: 'DELEGATED_ADMIN' | 'SELF';
  /** The security account's id; needed only when the StackSet stack is deployed in the management account (`stackSetCallAs` SELF). */
  readonly securityAccountId: string | undefined;
  /** Environment of the responder Lambda, validated (the stack adds the audit table and the runbooks folder). */
  readonly responderEnv: Readonly<Partial<Record<ResponderEnvVar, string>>>;
  /** Keys still at their placeholder value (each stack that uses one warns). */
  readonly placeholders: readonly ConfigKey[];
}

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
  | 'securityAccountId';

/** Prefix of cordon's context keys. */
export const CONTEXT_PREFIX = 'cordon:';
/** Context key naming an optional JSON configuration file. */
export const CONFIG_FILE_KEY = 'cordon:configFile';

/** Example organization id: valid in form, never a real organization. */
export const PLACEHOLDER_ORGANIZATION_ID = 'o-exampleorgid';
/** Example organization root id: valid in form, never a real root. */
export const PLACEHOLDER_ROOT_ID = 'r-exampleroot';

/** Every key, its default and what it means (docs/deploy.md lists the same table). */
export const CONFIG_KEYS: Readonly<Record<ConfigKey, { readonly default: string | undefined; readonly placeholder?: true; readonly summary: string }>> = {
  homeRegion: { default: 'us-east-1', summary: 'region of the responder; make it your Security Hub aggregation region' },
  regions: { default: 'us-east-1,us-west-2', placeholder: true, summary: 'every region GuardDuty covers (comma-separated); the home region is always included' },
  organizationId: { default: PLACEHOLDER_ORGANIZATION_ID, placeholder: true, summary: 'organization id (o-…)' },
  deploymentTargets: { default: PLACEHOLDER_ROOT_ID, placeholder: true, summary: 'root id (r-…) or OU ids (ou-…), comma-separated, that get the member role' },
  roleName: { default: 'cordon-responder', summary: 'member role name in every member account' },
  externalId: { default: '', summary: 'external id the member role requires (empty: none)' },
  functionRoleName: { default: 'cordon-responder-lambda', summary: "responder Lambda's role name in the security account" },
  runbooksDir: { default: 'runbooks', summary: 'runbooks folder (relative to the working directory), bundled into the Lambda' },
  alarmEmail: { default: undefined, summary: 'e-mail address subscribed to a new alarm topic' },
  alarmTopicArn: { default: undefined, summary: 'existing SNS topic (in the home region) for alarms, instead of alarmEmail' },
  dryRun: { default: 'true', summary: 'plan only, change nothing; set false once the dry-run results look right' },
  actionThreshold: { default: undefined, summary: 'act when reliability + severity exceeds this (responder default 10)' },
  exemptAccounts: { default: '', summary: 'account ids never contained, comma-separated' },
  exemptTag: { default: undefined, summary: 'tag key=value that exempts a resource (responder default cordon:exempt=true)' },
  reservedConcurrency: { default: '5', summary: 'reserved concurrency of the responder Lambda (2-1000), also its SQS maximum concurrency' },
  batchSize: { default: '10', summary: 'SQS messages per invocation (1-100)' },
  maxBatchingWindowSeconds: { default: '5', summary: 'seconds SQS gathers a batch (0-300)' },
  logRetentionDays: { default: '365', summary: 'CloudWatch Logs retention of the responder, in days' },
  stackSetCallAs: { default: 'DELEGATED_ADMIN', summary: 'DELEGATED_ADMIN (StackSet stack in the security account) or SELF (in the management account)' },
  securityAccountId: { default: undefined, summary: 'security account id; required when stackSetCallAs is SELF' },
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
  const functionRoleName = text(get('functionRoleName'));
  if (!/^[\w+=,.@-]{1,64}$/.test(functionRoleName)) bad('functionRoleName', 'expected an IAM role name (1-64 of letters, digits and +=,.@_-)');
  if (functionRoleName === roleName) {
    problems.push(`${label('functionRoleName')}: must differ from ${label('roleName')} ("${roleName}"): the member role is also deployed to the security account`);
  }

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
    else if (m[1] !== homeRegion) bad('alarmTopicArn', `expected a topic in the home region ${homeRegion} (CloudWatch alarms notify topics of their own region)`);
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
  const batchSize = int('batchSize', 1, 100);
  const maxBatchingWindowSeconds = int('maxBatchingWindowSeconds', 0, 300);
  const logRetentionDays = int('logRetentionDays', 1, 3653);
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays)) bad('logRetentionDays', `expected one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(', ')}`);

  const callAs = text(get('stackSetCallAs'));
  if (callAs !== 'DELEGATED_ADMIN' && callAs !== 'SELF') bad('stackSetCallAs', 'expected DELEGATED_ADMIN or SELF');
  const securityAccountId = optionalText(get('securityAccountId'));
  if (securityAccountId !== undefined && !ACCOUNT_ID.test(securityAccountId)) bad('securityAccountId', 'expected a 12-digit account id');
  if (callAs === 'SELF' && securityAccountId === undefined) {
    problems.push(`${label('securityAccountId')}: required when ${label('stackSetCallAs')} is SELF (the StackSet stack then runs in the management account and cannot derive the responder role's account)`);
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
    responderEnv: env,
    placeholders,
  };
}

/** Raw values by key (context over file), and pass-through responder variables. */
function collectRaw(context: Readonly<Record<string, unknown>>, cwd: string, problems: string[]): { values: Map<ConfigKey, unknown>; env: Map<ResponderEnvVar, string> } {
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
      else if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') problems.push(`${where}${name}: expected a string, number or boolean`);
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
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) problems.push(`${CONFIG_FILE_KEY}: ${filePath} must hold a JSON object`);
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
function validateResponderEnv(env: Partial<Record<ResponderEnvVar, string>>, homeRegion: string, runbooksDir: string, problems: string[]): void {
  try {
    responderSettings({ ...env, AWS_REGION: homeRegion, CORDON_AUDIT_TABLE: 'cordon-audit', CORDON_RUNBOOKS_DIR: runbooksDir });
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    for (const line of err.message.split('\n')) {
      const names = line.split(': ')[0] ?? '';
      const keys = Object.entries(ENV_KEYS).filter(([name]) => names.split('/').includes(name)).map(([, key]) => `${CONTEXT_PREFIX}${key}`);
      problems.push(keys.length > 0 ? `${keys.join('/')}: ${line}` : line);
    }
  }
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
