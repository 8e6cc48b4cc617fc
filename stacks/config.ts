import * as fs from 'node:fs';
import * as path from 'node:path';
import { ACTIONS } from '../src/actions/registry';
import { problemLine, SettingsError, type SettingProblem, type SettingSource } from '../src/errors';
import { MAX_BATCH_SIZE_WITHOUT_WINDOW } from '../src/config/defaults';
import { readKey, type RawKey, type SettingIssue } from '../src/config/read';
import { configList, configText, SNS_TOPIC_ARN_PATTERN } from '../src/config/schemas';
import { checkResponderSettings, RESPONDER_ENV } from '../src/config/settings';
import {
  CONFIG_KEY_NAMES,
  configKeyOf,
  DEPLOYMENT_SETTINGS,
  type ConfigKey,
  type DeploymentSetting,
  type SettingRef,
} from '../src/config/deployment-spec';
import { RESPONDER_SETTINGS } from '../src/config/spec';
import { checkEnablerSettings, ENABLER_ENV, rawEnablerSettingsFromEnv } from '../src/org/settings';
import { customActions, type CustomActionSpec } from '../src/runbooks/custom-actions';
import { loadRunbooks } from '../src/runbooks/load';
import type { Runbook } from '../src/runbooks/runbook';

export {
  DEFAULT_BATCH_SIZE,
  DEFAULT_MAX_BATCHING_WINDOW_SECONDS,
  PLACEHOLDER_ORGANIZATION_ID,
  PLACEHOLDER_ROOT_ID,
} from '../src/config/defaults';
export { parseSchedule } from '../src/config/schedule';
export type { ConfigKey } from '../src/config/deployment-spec';

/**
 * cordon's deployment configuration: one validated place for everything the
 * stacks need, derived from the settings table (src/config/spec.ts, its
 * deployment part). Values come, highest precedence first, from
 *
 * 1. CDK context: `-c cordon:<key>=<value>` on the command line, or a
 *    `"cordon:<key>"` entry in `cdk.json` / `cdk.context.json` / `~/.cdk.json`;
 * 2. a JSON file named by `-c cordon:configFile=<path>` whose keys are the
 *    same names without the `cordon:` prefix (docs/cordon.config.schema.json
 *    describes it);
 * 3. the table's defaults. Those marked as placeholders are example values that
 *    let `npx cdk synth` run out of the box; every stack that uses one carries
 *    a warning until it is replaced.
 *
 * A responder environment variable that the table deploys by name (no key of
 * its own, not set by the stack) can be set with a context or file key of the
 * same name, e.g. `-c CORDON_CIRCUIT_ORG_LIMIT=50`. The Lambdas' environments
 * are validated at synth by the responder's and the enabler's own settings.
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
  /** Roles of the security account that operators run `npx cordon` with; the member role trusts them too. @default none */
  readonly operatorRoleArns: readonly string[];
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
  /** Where the responder's notifications go: the bus it publishes to, e-mail subscribers, AWS Chatbot channels. */
  readonly notifications: {
    readonly eventBusName: string;
    readonly emails: readonly string[];
    readonly slack: { readonly workspaceId: string; readonly channelId: string } | undefined;
    readonly teams: { readonly tenantId: string; readonly teamId: string; readonly channelId: string } | undefined;
  };
  /** Report what would be done and change nothing. @default true (a first rollout should watch before it acts) */
  readonly dryRun: boolean;
  /** Responder Lambdas running at once at most: the SQS event source's maximum concurrency (no reservation needed). @default 5 */
  readonly maxConcurrency: number;
  /**
   * Concurrency reserved for the responder (and 1 for the enabler), at least
   * `maxConcurrency`. @default undefined: none (a concurrency quota of 10, as
   * new accounts have, refuses any reservation)
   */
  readonly reservedConcurrency: number | undefined;
  /** SQS messages per Lambda invocation. @default DEFAULT_BATCH_SIZE (100) */
  readonly batchSize: number;
  /** How long SQS gathers a batch. @default DEFAULT_MAX_BATCHING_WINDOW_SECONDS (2) */
  readonly maxBatchingWindowSeconds: number;
  /** Retention of the responder's logs, in days (a CloudWatch Logs retention value). @default 365 */
  readonly logRetentionDays: number;
  /** The member-role StackSet's rollout: accounts at once and accounts that may fail, in percent (SOFT_FAILURE_TOLERANCE). */
  readonly stackSetRollout: { readonly maxConcurrentPercentage: number; readonly failureTolerancePercentage: number };
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
  /** The service control policy guarding cordon's tags, when `tagGuard` is set (with `managementAccountId`). */
  readonly tagGuard: TagGuardDeployment | undefined;
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
  /**
   * Register the security account as AWS Account Management's delegated
   * administrator (CORDON_REGISTER_ACCOUNT_ADMIN): only then may the enabler
   * call RegisterDelegatedAdministrator for account.amazonaws.com.
   */
  readonly registerAccountAdmin: boolean;
  /** The Lambda's environment, validated at synth by the enabler's own settings check. */
  readonly env: Readonly<Partial<Record<EnablerEnvVar, string>>>;
}

/** The tag guard (stacks/tag-guard-stack.ts): who may change cordon's tags, where. */
export interface TagGuardDeployment {
  readonly managementAccountId: string;
  /** Root or OU ids the policy is attached to (`deploymentTargets`). */
  readonly targetIds: readonly string[];
  /** Role ARN patterns allowed to change cordon:* tags besides cordon's member role (`tagApproverRoleArns`). */
  readonly approverRoleArns: readonly string[];
  /** The member role's name: cordon tags what it contains. */
  readonly memberRoleName: string;
  /** The tag key that exempts a resource, when it is not already a `cordon:*` key (`exemptTag`). */
  readonly exemptTagKey: string | undefined;
}

/** An enabler environment variable (`ENABLER_ENV` in src/config/spec.ts). */
export type EnablerEnvVar = (typeof ENABLER_ENV)[number];

/** A responder environment variable. */
export type ResponderEnvVar = (typeof RESPONDER_ENV)[number];

/** Prefix of cordon's context keys. */
export const CONTEXT_PREFIX = 'cordon:';
/** Context key naming an optional JSON configuration file. */
export const CONFIG_FILE_KEY = 'cordon:configFile';

/** Receives of a message before the responder queue dead-letters it (its findings failed that many times). */
export const MAX_RECEIVE_COUNT = 5;

/** Every key, its default and what it means (the deployment part of the settings table; docs/deploy.md lists the same). */
export const CONFIG_KEYS: Readonly<
  Record<ConfigKey, { readonly default: string | undefined; readonly placeholder?: true; readonly summary: string }>
> = DEPLOYMENT_SETTINGS;

/** Keys that only the enabler stacks use. */
const ENABLER_ONLY_KEYS: readonly ConfigKey[] = [
  'enablerSchedule',
  'enableFeatures',
  'enableSecurityHub',
  'enablerDryRun',
  'enablerRegisterAccountAdmin',
];

/**
 * Keys that feed an enabler variable besides the key that sets it: the stack
 * puts the home region first in CORDON_REGIONS, so either key's problem
 * covers both variables.
 */
const ALSO_FED_BY: Partial<Record<ConfigKey, readonly ConfigKey[]>> = { regions: ['homeRegion'], homeRegion: ['regions'] };

/**
 * The configuration is invalid; `problems` lists every bad key with what was
 * expected. `cdk synth` stops with this message and nothing is deployed.
 */
export class DeployConfigError extends SettingsError {
  public constructor(problems: readonly SettingProblem[]) {
    super(problems, 'invalid cordon deployment configuration:');
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

/** The value type a key's schema reads. */
type KeyValue<K extends ConfigKey> = (typeof DEPLOYMENT_SETTINGS)[K] extends DeploymentSetting<infer T> ? T : never;

/**
 * Reads, validates and resolves the configuration. Every problem is reported
 * at once, each naming its key (`cordon:organizationId: …`).
 */
export function loadConfig(source: ConfigSource): CordonConfig {
  const cwd = source.cwd ?? process.cwd();
  const problems: SettingProblem[] = [];
  const raw = collectRaw(source.context, cwd, problems);
  const rawOf = (key: ConfigKey): RawKey => raw.values.get(key) ?? { source: 'default', value: DEPLOYMENT_SETTINGS[key].default };
  const label = (key: ConfigKey): string => `${CONTEXT_PREFIX}${key}`;
  /** A problem with a key, or with keys judged together. */
  const report = (keys: readonly [ConfigKey, ...ConfigKey[]], message: string): void => {
    problems.push({ source: rawOf(keys[0]).source, key: keys.map(label).join(' and '), message });
  };
  const read = new Map<ConfigKey, { value: unknown } | undefined>();
  /** The key's value (read once); when bad (its problems reported), what `fallback` makes of the raw value, so later checks see it. */
  const value = <K extends ConfigKey, F>(key: K, fallback: (raw: unknown) => F): KeyValue<K> | F => {
    if (!read.has(key))
      read.set(key, readKey(DEPLOYMENT_SETTINGS[key] as DeploymentSetting<KeyValue<K>>, label(key), rawOf(key), problems));
    const got = read.get(key) as { value: KeyValue<K> } | undefined;
    return got ? got.value : fallback(rawOf(key).value);
  };
  const optionalText = (v: unknown): string | undefined => configText(v) || undefined;

  const homeRegion = value('homeRegion', configText);
  const regions = [...new Set([homeRegion, ...value('regions', configList)])];
  const organizationId = value('organizationId', configText);
  const deploymentTargets = value('deploymentTargets', configList);

  const roleName = value('roleName', configText);
  const externalId = value('externalId', optionalText);
  const functionRoleName = value('functionRoleName', configText);
  const operatorRoleArns = value('operatorRoleArns', configList);
  const enablerRoleName = value('enablerRoleName', configText);
  const enablerFunctionRoleName = value('enablerFunctionRoleName', configText);
  // The member role is deployed to the security account too (and may be deployed to the management
  // account by hand): a shared name would make two stacks own one role, or let the member role be it.
  const roleKeys: readonly ConfigKey[] = ['roleName', 'functionRoleName', 'enablerRoleName', 'enablerFunctionRoleName'];
  const roleText = (key: ConfigKey): string => configText(rawOf(key).value);
  roleKeys.forEach((key, i) => {
    const earlier = roleKeys.slice(0, i).find((k) => roleText(k) === roleText(key));
    if (earlier)
      report(
        [key],
        `must differ from ${label(earlier)} ("${roleText(key)}"): each of cordon's roles needs its own name, and the member role is also deployed to the security account`,
      );
  });

  const runbooksDir = path.resolve(cwd, value('runbooksDir', configText));
  let runbooks: Runbook[] = [];
  try {
    runbooks = loadRunbooks(runbooksDir, ACTIONS);
  } catch (err) {
    report(['runbooksDir'], (err as Error).message);
  }

  const alarmEmail = optionalText(rawOf('alarmEmail').value);
  const alarmTopicArn = optionalText(rawOf('alarmTopicArn').value);
  let alarm: CordonConfig['alarm'] = { kind: 'none' };
  if (alarmEmail && alarmTopicArn) {
    report(['alarmEmail', 'alarmTopicArn'], 'set one or the other, not both');
  } else if (alarmEmail) {
    value('alarmEmail', optionalText);
    alarm = { kind: 'email', email: alarmEmail };
  } else if (alarmTopicArn) {
    const region = SNS_TOPIC_ARN_PATTERN.exec(value('alarmTopicArn', () => undefined) ?? '')?.[1];
    if (region !== undefined && region !== homeRegion)
      report(
        ['alarmTopicArn'],
        `expected a topic in the home region ${homeRegion} (CloudWatch alarms notify topics of their own region) (got ${JSON.stringify(alarmTopicArn)})`,
      );
    alarm = { kind: 'topic', topicArn: alarmTopicArn };
  }

  const dryRun = value('dryRun', () => undefined);
  const [slackWorkspace, slackChannel] = (value('slackChannel', () => undefined) ?? '').split('/');
  const [teamsTenant, teamsTeam, teamsChannel] = (value('teamsChannel', () => undefined) ?? '').split('/');
  const notifications: CordonConfig['notifications'] = {
    eventBusName: value('notificationBus', configText),
    emails: value('notificationEmails', configList),
    slack: slackWorkspace && slackChannel ? { workspaceId: slackWorkspace, channelId: slackChannel } : undefined,
    teams: teamsTenant && teamsTeam && teamsChannel ? { tenantId: teamsTenant, teamId: teamsTeam, channelId: teamsChannel } : undefined,
  };
  const maxConcurrency = value('maxConcurrency', () => 2);
  const reservedConcurrency = value('reservedConcurrency', () => undefined);
  if (reservedConcurrency !== undefined && reservedConcurrency < maxConcurrency) {
    report(
      ['reservedConcurrency', 'maxConcurrency'],
      `a reservation of ${reservedConcurrency} is below the ${maxConcurrency} Lambdas the queue may run at once: Lambda would throttle polled messages back to the queue (set reservedConcurrency to ${maxConcurrency} or more, or leave it unset)`,
    );
  }
  const stackSetRollout = {
    maxConcurrentPercentage: value('stackSetMaxConcurrentPercentage', () => 25),
    failureTolerancePercentage: value('stackSetFailureTolerancePercentage', () => 10),
  };
  const batchSize = value('batchSize', () => 1);
  const maxBatchingWindowSeconds = value('maxBatchingWindowSeconds', () => 0);
  if (batchSize > MAX_BATCH_SIZE_WITHOUT_WINDOW && maxBatchingWindowSeconds < 1) {
    report(
      ['batchSize', 'maxBatchingWindowSeconds'],
      `a batch of more than ${MAX_BATCH_SIZE_WITHOUT_WINDOW} messages needs a batching window of at least 1 second (Lambda's rule for SQS event sources); got batchSize ${batchSize} with maxBatchingWindowSeconds ${maxBatchingWindowSeconds}`,
    );
  }
  const logRetentionDays = value('logRetentionDays', () => 1);

  const callAs = value('stackSetCallAs', () => 'DELEGATED_ADMIN' as const);
  const securityAccountId = value('securityAccountId', optionalText);
  if (configText(rawOf('stackSetCallAs').value) === 'SELF' && securityAccountId === undefined) {
    report(
      ['securityAccountId'],
      `required when ${label('stackSetCallAs')} is SELF (the StackSet stack then runs in the management account and cannot derive the responder role's account)`,
    );
  }
  const managementAccountId = value('managementAccountId', optionalText);
  // The member role trusts the security account's principals only: an operator role elsewhere could never assume it.
  const foreign = operatorRoleArns.filter((arn) => securityAccountId !== undefined && !arn.includes(`::${securityAccountId}:role/`));
  if (foreign.length > 0)
    report(['operatorRoleArns'], `must be roles of ${label('securityAccountId')} ${securityAccountId ?? ''} (got ${foreign.join(', ')})`);
  if (managementAccountId !== undefined && securityAccountId === undefined) {
    report(
      ['securityAccountId'],
      `required with ${label('managementAccountId')} (the enabler in the management account assumes a role in the security account)`,
    );
  }
  if (managementAccountId !== undefined && managementAccountId === securityAccountId) {
    report(
      ['managementAccountId'],
      `must differ from ${label('securityAccountId')} (${managementAccountId}): the delegated administrator must be a member account, not the management account`,
    );
  }

  // The responder's environment: the keys that set its variables, then the variables set by name.
  const env: Partial<Record<ResponderEnvVar, string>> = {};
  for (const key of CONFIG_KEY_NAMES) {
    const sets: SettingRef | undefined = DEPLOYMENT_SETTINGS[key].sets;
    const name = sets && 'responder' in sets ? RESPONDER_SETTINGS[sets.responder].env : undefined;
    const text = name && envText(value(key, () => undefined));
    if (name && text) env[name] = text;
  }
  for (const [name, text] of raw.env) env[name] = text;
  const responder = checkResponderSettings({
    ...env,
    AWS_REGION: homeRegion,
    CORDON_AUDIT_TABLE: 'cordon-audit',
    CORDON_RUNBOOKS_DIR: runbooksDir,
  });
  if ('problems' in responder) for (const issue of responder.problems) reportIssue(issue);

  // The enabler: its schedule and environment, validated even when it is not deployed (a typo fails now, not later).
  const schedule = value('enablerSchedule', () => undefined);
  const enableSecurityHub = value('enableSecurityHub', () => undefined);
  const enablerDryRun = rawOf('enablerDryRun').value === undefined ? (dryRun ?? true) : value('enablerDryRun', () => undefined);
  const features = value('enableFeatures', configList);
  const registerAccountAdmin = value('enablerRegisterAccountAdmin', () => false);
  const enablerEnv: Partial<Record<EnablerEnvVar, string>> = {
    // Validation only needs some account id when the security account is not known (no enabler then).
    CORDON_ADMIN_ACCOUNT_ID: securityAccountId ?? '000000000000',
    CORDON_ADMIN_ROLE_NAME: enablerRoleName,
    CORDON_REGIONS: regions.join(','),
    CORDON_HOME_REGION: homeRegion,
    CORDON_SECURITY_HUB: String(enableSecurityHub ?? true),
    CORDON_DRY_RUN: String(enablerDryRun ?? true),
    CORDON_REGISTER_ACCOUNT_ADMIN: String(registerAccountAdmin),
  };
  if (features.length > 0) enablerEnv.CORDON_FEATURES = features.join(',');
  const enabler = checkEnablerSettings(rawEnablerSettingsFromEnv(enablerEnv));
  if ('problems' in enabler) for (const issue of enabler.problems) reportIssue(issue);
  // The dry-run switch matters only where the enabler is deployed: a dry run it would ignore would change the organization.
  else if (managementAccountId !== undefined && enabler.settings.dryRun !== (enablerDryRun ?? true)) {
    report(
      ['enablerDryRun'],
      `the enabler (src/org/settings.ts) reads dry run = ${String(enabler.settings.dryRun)} from CORDON_DRY_RUN=${String(enablerDryRun ?? true)}; it would not run as configured`,
    );
  }
  const unusedKeys = managementAccountId === undefined ? ENABLER_ONLY_KEYS.filter((k) => raw.values.has(k)) : [];

  // The tag guard is a service control policy: created in the management account.
  const tagGuardOn = value('tagGuard', () => false) === true;
  const approverRoleArns = value('tagApproverRoleArns', configList);
  if (tagGuardOn && managementAccountId === undefined)
    report(['tagGuard'], `needs ${label('managementAccountId')}: service control policies are created in the management account`);
  const exemptTagKey = 'settings' in responder ? responder.settings.exemptTag?.key : undefined;

  if (problems.length > 0) throw new DeployConfigError(problems);
  const placeholders = CONFIG_KEY_NAMES.filter((k) => DEPLOYMENT_SETTINGS[k].placeholder && !raw.values.has(k));
  return {
    homeRegion,
    regions,
    organizationId,
    deploymentTargets,
    roleName,
    externalId,
    functionRoleName,
    operatorRoleArns,
    runbooksDir,
    runbooks,
    customActions: customActions(runbooks),
    alarm,
    notifications,
    dryRun: dryRun ?? true,
    maxConcurrency,
    reservedConcurrency,
    stackSetRollout,
    batchSize,
    maxBatchingWindowSeconds,
    logRetentionDays,
    stackSetCallAs: callAs,
    securityAccountId,
    managementAccountId,
    enablerRoleName,
    enablerFunctionRoleName,
    enabler:
      managementAccountId !== undefined && securityAccountId !== undefined && schedule !== undefined
        ? {
            managementAccountId,
            securityAccountId,
            schedule,
            adminRoleName: enablerRoleName,
            functionRoleName: enablerFunctionRoleName,
            dryRun: enablerDryRun ?? true,
            registerAccountAdmin,
            env: enablerEnv,
          }
        : undefined,
    tagGuard:
      tagGuardOn && managementAccountId !== undefined
        ? {
            managementAccountId,
            targetIds: deploymentTargets,
            approverRoleArns,
            memberRoleName: roleName,
            exemptTagKey: exemptTagKey === undefined || exemptTagKey.startsWith('cordon:') ? undefined : exemptTagKey,
          }
        : undefined,
    responderEnv: env,
    placeholders,
    unusedKeys,
  };

  /**
   * A problem the responder's or the enabler's own check found in the environment the
   * configuration gives its Lambda, named after the keys that set it (`cordon:roleName: …`).
   * One those keys already reported is not reported twice.
   */
  function reportIssue(issue: SettingIssue): void {
    const keys = [...new Set(issue.settings.flatMap((ref) => configKeyOf(ref) ?? []))];
    const covering = keys.flatMap((k) => [k, ...(ALSO_FED_BY[k] ?? [])]);
    if (covering.some((k) => problems.some((p) => p.key === label(k)))) return;
    const { settings: _settings, ...problem } = issue;
    const [first] = keys;
    problems.push(
      first === undefined ? problem : { source: rawOf(first).source, key: keys.map(label).join('/'), message: problemLine(issue) },
    );
  }
}

/** A key's value as the text of an environment variable, or undefined when it sets nothing (unset, empty). */
function envText(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (Array.isArray(value)) return value.length > 0 ? value.join(',') : undefined;
  return String(value);
}

/** Raw values by key (context over file), and responder variables set by name. */
function collectRaw(
  context: Readonly<Record<string, unknown>>,
  cwd: string,
  problems: SettingProblem[],
): { values: Map<ConfigKey, RawKey>; env: Map<ResponderEnvVar, string> } {
  const values = new Map<ConfigKey, RawKey>();
  const env = new Map<ResponderEnvVar, string>();
  const accept = (key: string, value: unknown, source: SettingSource, where: string, name: string): void => {
    const problem = (message: string): void => void problems.push({ source, key: `${where}${name}`, message });
    if (isConfigKey(key)) {
      values.set(key, { source, value });
      return;
    }
    if (key.startsWith('CORDON_')) {
      const id = (Object.keys(RESPONDER_SETTINGS) as Array<keyof typeof RESPONDER_SETTINGS>).find((s) => RESPONDER_SETTINGS[s].env === key);
      const setting = id && RESPONDER_SETTINGS[id];
      const own = id && configKeyOf({ responder: id });
      if (!setting?.env) problem(`not a responder environment variable (known: ${RESPONDER_ENV.join(', ')})`);
      else if (own) problem(`set ${CONTEXT_PREFIX}${own} instead (one place per setting)`);
      else if (typeof setting.deployed === 'object') problem(`cannot be set, ${setting.deployed.setByStack}`);
      else if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
        problem('expected a string, number or boolean');
      else env.set(setting.env, String(value));
      return;
    }
    problem(`unknown key (known: ${CONFIG_KEY_NAMES.join(', ')}, or a responder variable CORDON_…)`);
  };

  const file = context[CONFIG_FILE_KEY];
  if (file !== undefined) {
    const filePath = path.resolve(cwd, configText(file));
    const fileProblem = (message: string): void => void problems.push({ source: 'context', key: CONFIG_FILE_KEY, message });
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(filePath, 'utf8'));
    } catch (err) {
      fileProblem(`cannot read ${filePath} as JSON: ${(err as Error).message}`);
    }
    if (parsed !== undefined) {
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fileProblem(`${filePath} must hold a JSON object`);
      // `$schema` points editors to docs/cordon.config.schema.json.
      else for (const [k, v] of Object.entries(parsed)) if (k !== '$schema') accept(k, v, 'config', `${filePath}: `, k);
    }
  }
  for (const [k, v] of Object.entries(context)) {
    if (k === CONFIG_FILE_KEY) continue;
    if (k.startsWith(CONTEXT_PREFIX)) accept(k.slice(CONTEXT_PREFIX.length), v, 'context', '', k);
    else if (k.startsWith('CORDON_')) accept(k, v, 'context', '', k);
  }
  return { values, env };
}

function isConfigKey(key: string): key is ConfigKey {
  return Object.prototype.hasOwnProperty.call(DEPLOYMENT_SETTINGS, key);
}
