import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RESPONDER_ENV } from '../../src/config/settings';
import { problemLine } from '../../src/errors';
import { DEFAULT_ADMIN_ROLE_NAME, enablerSettingsFromEnv } from '../../src/org/settings';
import {
  CONFIG_KEYS,
  DEFAULT_BATCH_SIZE,
  DEFAULT_MAX_BATCHING_WINDOW_SECONDS,
  DeployConfigError,
  loadConfig,
  parseSchedule,
  PLACEHOLDER_ORGANIZATION_ID,
  PLACEHOLDER_ROOT_ID,
  type CordonConfig,
} from '../../stacks/config';
import { ENABLER_CONTEXT, MANAGEMENT_ACCOUNT_ID, REPO_ROOT, SECURITY_ACCOUNT_ID, TEST_CONTEXT } from './support/synth';

/** Loads a config from context entries, as the app does from `-c` flags and cdk.json. */
function load(context: Record<string, unknown>): CordonConfig {
  return loadConfig({ context, cwd: REPO_ROOT });
}

/** The problems a bad configuration reports, one line each. */
function problemsOf(context: Record<string, unknown>): readonly string[] {
  try {
    load(context);
  } catch (err) {
    if (err instanceof DeployConfigError) return err.problems.map(problemLine);
    throw err;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('deployment configuration (stacks/config.ts)', () => {
  it('takes operator roles of the security account only, as exact role ARNs', () => {
    // Act
    const config = load({ ...TEST_CONTEXT, 'cordon:operatorRoleArns': 'arn:aws:iam::111111111111:role/secops' });
    // Assess
    expect(config.operatorRoleArns).toEqual(['arn:aws:iam::111111111111:role/secops']);
    expect(load(TEST_CONTEXT).operatorRoleArns).toEqual([]);
    expect(problemsOf({ ...TEST_CONTEXT, 'cordon:operatorRoleArns': 'arn:aws:iam::*:role/secops' })).toEqual([
      'cordon:operatorRoleArns: "arn:aws:iam::*:role/secops" is not a role ARN (arn:partition:iam::account:role/name, no wildcards)',
    ]);
    expect(
      problemsOf({
        ...TEST_CONTEXT,
        'cordon:securityAccountId': '111111111111',
        'cordon:operatorRoleArns': 'arn:aws:iam::222222222222:role/x',
      }),
    ).toEqual(['cordon:operatorRoleArns: must be roles of cordon:securityAccountId 111111111111 (got arn:aws:iam::222222222222:role/x)']);
  });

  it('works out of the box with documented placeholders, in dry-run', () => {
    // Act
    const config = load({});
    // Assess
    expect(config.homeRegion).toBe('us-east-1');
    expect(config.regions).toEqual(['us-east-1', 'us-west-2']);
    expect(config.organizationId).toBe(PLACEHOLDER_ORGANIZATION_ID);
    expect(config.deploymentTargets).toEqual([PLACEHOLDER_ROOT_ID]);
    expect(config.placeholders).toEqual(['regions', 'organizationId', 'deploymentTargets']);
    expect(config.dryRun).toBe(true);
    expect(config.responderEnv).toEqual({ CORDON_ROLE_NAME: 'cordon-responder', CORDON_DRY_RUN: 'true', CORDON_NOTIFY_BUS: 'default' });
    expect(config.runbooksDir).toBe(path.join(REPO_ROOT, 'runbooks'));
    expect(config.customActions.map((a) => a.id)).toEqual(expect.arrayContaining(['CordonFalsePositive', 'CordonRelease']));
    expect({ batchSize: config.batchSize, window: config.maxBatchingWindowSeconds }).toEqual({ batchSize: 100, window: 2 });
    expect({ enabler: config.enabler, managementAccountId: config.managementAccountId, unusedKeys: config.unusedKeys }).toEqual({
      enabler: undefined,
      managementAccountId: undefined,
      unusedKeys: [],
    });
    expect({ enablerRoleName: config.enablerRoleName, enablerFunctionRoleName: config.enablerFunctionRoleName }).toEqual({
      enablerRoleName: DEFAULT_ADMIN_ROLE_NAME,
      enablerFunctionRoleName: 'cordon-enabler-lambda',
    });
  });

  it('batches 100 findings per invocation by default (BatchUpdateFindings takes 100), and exports the defaults', () => {
    // Assess
    expect({ DEFAULT_BATCH_SIZE, DEFAULT_MAX_BATCHING_WINDOW_SECONDS }).toEqual({
      DEFAULT_BATCH_SIZE: 100,
      DEFAULT_MAX_BATCHING_WINDOW_SECONDS: 2,
    });
    expect([CONFIG_KEYS.batchSize.default, CONFIG_KEYS.maxBatchingWindowSeconds.default]).toEqual([
      String(DEFAULT_BATCH_SIZE),
      String(DEFAULT_MAX_BATCHING_WINDOW_SECONDS),
    ]);
  });

  it('rejects batches above 10 messages without a batching window, naming both keys, before CDK would throw', () => {
    // Act
    const noWindow = problemsOf({ 'cordon:batchSize': '100', 'cordon:maxBatchingWindowSeconds': '0' });
    const tooBig = problemsOf({ 'cordon:batchSize': '1001' });
    const ten = load({ 'cordon:batchSize': '10', 'cordon:maxBatchingWindowSeconds': '0' });
    // Assess
    expect(noWindow).toEqual([
      "cordon:batchSize and cordon:maxBatchingWindowSeconds: a batch of more than 10 messages needs a batching window of at least 1 second (Lambda's rule for SQS event sources); got batchSize 100 with maxBatchingWindowSeconds 0",
    ]);
    expect(tooBig.join('\n')).toMatch(/^cordon:batchSize: expected a whole number from 1 to 1000/m);
    expect([ten.batchSize, ten.maxBatchingWindowSeconds]).toEqual([10, 0]);
  });

  it('reads -c values (strings) and cdk.json values (JSON) alike, and always covers the home region', () => {
    // Act
    const fromCli = load({
      'cordon:homeRegion': 'eu-west-1',
      'cordon:regions': 'eu-central-1, us-east-1',
      'cordon:dryRun': 'false',
      'cordon:reservedConcurrency': '8',
    });
    const fromJson = load({
      'cordon:homeRegion': 'eu-west-1',
      'cordon:regions': ['eu-central-1', 'us-east-1'],
      'cordon:dryRun': false,
      'cordon:reservedConcurrency': 8,
    });
    // Assess
    for (const config of [fromCli, fromJson]) {
      expect(config.regions).toEqual(['eu-west-1', 'eu-central-1', 'us-east-1']);
      expect(config.dryRun).toBe(false);
      expect(config.reservedConcurrency).toBe(8);
      expect(config.responderEnv.CORDON_DRY_RUN).toBe('false');
    }
  });

  it('maps its own keys and pass-through responder variables to the Lambda environment', () => {
    // Act
    const config = load({
      ...TEST_CONTEXT,
      'cordon:externalId': 'cordon-ext-1234',
      'cordon:actionThreshold': '9',
      'cordon:exemptAccounts': '111111111111,222222222222',
      'cordon:exemptTag': 'team=security',
      CORDON_CIRCUIT_ORG_LIMIT: '40',
      CORDON_CONCURRENCY: 8,
    });
    // Assess
    expect(config.responderEnv).toEqual({
      CORDON_ROLE_NAME: 'cordon-responder',
      CORDON_DRY_RUN: 'true',
      CORDON_EXTERNAL_ID: 'cordon-ext-1234',
      CORDON_ACTION_THRESHOLD: '9',
      CORDON_EXEMPT_ACCOUNTS: '111111111111,222222222222',
      CORDON_EXEMPT_TAG: 'team=security',
      CORDON_CIRCUIT_ORG_LIMIT: '40',
      CORDON_CONCURRENCY: '8',
      CORDON_NOTIFY_BUS: 'default',
    });
    expect(Object.keys(config.responderEnv).every((k) => (RESPONDER_ENV as readonly string[]).includes(k))).toBe(true);
    expect(config.placeholders).toEqual([]);
  });

  it('names every bad key at once, with what was expected', () => {
    // Act
    const problems = problemsOf({
      'cordon:homeRegion': 'mars-north-1x',
      'cordon:organizationId': 'my-org',
      'cordon:deploymentTargets': 'r-ab12,production',
      'cordon:alarmEmail': 'not-an-address',
      'cordon:dryRun': 'maybe',
      'cordon:reservedConcurrency': '1',
      'cordon:maxConcurrency': '1',
      'cordon:logRetentionDays': '42',
      'cordon:stackSetCallAs': 'SELF',
    });
    // Assess
    const text = problems.join('\n');
    expect(text).toMatch(/^cordon:homeRegion: expected a region such as us-east-1 \(got "mars-north-1x"\)$/m);
    expect(text).toMatch(/^cordon:organizationId: expected an organization id/m);
    expect(text).toMatch(/^cordon:deploymentTargets: "production" is neither a root id/m);
    expect(text).toMatch(/^cordon:alarmEmail: expected an e-mail address/m);
    expect(text).toMatch(/^cordon:dryRun: expected true or false/m);
    expect(text).toMatch(/^cordon:reservedConcurrency: expected a whole number from 2 to 1000, or nothing/m);
    // AWS's minimum maximum concurrency of an SQS event source is 2.
    expect(text).toMatch(/^cordon:maxConcurrency: expected a whole number from 2 to 1000 \(got "1"\)$/m);
    expect(text).toMatch(/^cordon:logRetentionDays: expected one of CloudWatch Logs' retention periods/m);
    expect(text).toMatch(/^cordon:securityAccountId: required when cordon:stackSetCallAs is SELF/m);
    expect(problems).toHaveLength(9);
  });

  it("validates responder settings with the responder's own rules, naming the key that set them", () => {
    // Act
    const problems = problemsOf({
      'cordon:actionThreshold': 'high',
      'cordon:exemptAccounts': '1234',
      CORDON_CIRCUIT_ORG_LIMIT: '0',
      'cordon:roleName': 'no spaces allowed',
    });
    // Assess
    const text = problems.join('\n');
    expect(text).toMatch(/^cordon:actionThreshold: CORDON_ACTION_THRESHOLD: "high" must be a number from 0 to 20$/m);
    expect(text).toMatch(/^cordon:exemptAccounts: CORDON_EXEMPT_ACCOUNTS: "1234" is not a 12-digit account id$/m);
    expect(text).toMatch(/^CORDON_CIRCUIT_ORG_LIMIT: "0" must be a whole number/m);
    expect(text).toMatch(/^cordon:roleName\/cordon:externalId: CORDON_ROLE_NAME\/CORDON_EXTERNAL_ID: role name "no spaces allowed"/m);
  });

  it('rejects unknown keys, variables the stack sets, and second ways to set a key', () => {
    // Act
    const problems = problemsOf({ 'cordon:regoins': 'eu-west-1', CORDON_BOGUS: '1', CORDON_AUDIT_TABLE: 'mine', CORDON_DRY_RUN: 'false' });
    // Assess
    const text = problems.join('\n');
    expect(text).toMatch(/^cordon:regoins: unknown key \(known: homeRegion, regions/m);
    expect(text).toMatch(/^CORDON_BOGUS: not a responder environment variable/m);
    expect(text).toMatch(/^CORDON_AUDIT_TABLE: cannot be set, the stack creates the audit table$/m);
    expect(text).toMatch(/^CORDON_DRY_RUN: set cordon:dryRun instead/m);
  });

  it('validates the runbooks at synth and names the folder key', () => {
    // Prepare
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-runbooks-'));
    fs.writeFileSync(
      path.join(dir, 'bad.yaml'),
      'name: bad\ndescription: x\nfindingTypes: ["Backdoor:EC2/*"]\nactions:\n  - action: ec2.explode\n',
    );
    try {
      // Act
      const missing = problemsOf({ 'cordon:runbooksDir': path.join(dir, 'nope') });
      const invalid = problemsOf({ 'cordon:runbooksDir': dir });
      // Assess
      expect(missing.join('\n')).toMatch(/^cordon:runbooksDir: cannot read runbooks folder/m);
      expect(invalid.join('\n')).toMatch(/^cordon:runbooksDir: invalid runbooks:[\s\S]*bad\.yaml[\s\S]*ec2\.explode/m);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the member role and the Lambda role apart, and one alarm destination', () => {
    // Act
    const problems = problemsOf({
      'cordon:functionRoleName': 'cordon-responder',
      'cordon:alarmEmail': 'a@example.com',
      'cordon:alarmTopicArn': 'arn:aws:sns:us-east-1:123456789012:alarms',
    });
    const otherRegion = problemsOf({ 'cordon:alarmTopicArn': 'arn:aws:sns:eu-west-1:123456789012:alarms' });
    const enablerRoles = problemsOf({
      'cordon:enablerRoleName': 'cordon-responder-lambda',
      'cordon:enablerFunctionRoleName': 'cordon-responder-lambda',
    });
    // Assess
    expect(problems.join('\n')).toMatch(/^cordon:functionRoleName: must differ from cordon:roleName \("cordon-responder"\)/m);
    expect(enablerRoles).toEqual([
      `cordon:enablerRoleName: must differ from cordon:functionRoleName ("cordon-responder-lambda"): each of cordon's roles needs its own name, and the member role is also deployed to the security account`,
      `cordon:enablerFunctionRoleName: must differ from cordon:functionRoleName ("cordon-responder-lambda"): each of cordon's roles needs its own name, and the member role is also deployed to the security account`,
    ]);
    expect(problems.join('\n')).toMatch(/^cordon:alarmEmail and cordon:alarmTopicArn: set one or the other, not both$/m);
    expect(otherRegion.join('\n')).toMatch(/^cordon:alarmTopicArn: expected a topic in the home region us-east-1/m);
  });

  it('reads a config file named by cordon:configFile; context values win', () => {
    // Prepare
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-config-'));
    const file = path.join(dir, 'cordon.config.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        homeRegion: 'eu-west-1',
        organizationId: 'o-fromfile00',
        deploymentTargets: ['ou-ab12-33333333'],
        CORDON_CIRCUIT_ACCOUNT_LIMIT: 3,
      }),
    );
    try {
      // Act
      const config = load({ 'cordon:configFile': file, 'cordon:organizationId': 'o-fromcontext1' });
      const bad = problemsOf({ 'cordon:configFile': path.join(dir, 'missing.json') });
      // Assess
      expect(config.homeRegion).toBe('eu-west-1');
      expect(config.organizationId).toBe('o-fromcontext1');
      expect(config.deploymentTargets).toEqual(['ou-ab12-33333333']);
      expect(config.responderEnv.CORDON_CIRCUIT_ACCOUNT_LIMIT).toBe('3');
      expect(bad.join('\n')).toMatch(/^cordon:configFile: cannot read .*missing\.json as JSON/m);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('adds the enabler only with both account ids, with its environment taken from the configuration', () => {
    // Act
    const without = load({ ...TEST_CONTEXT, 'cordon:securityAccountId': SECURITY_ACCOUNT_ID });
    const config = load({
      ...ENABLER_CONTEXT,
      'cordon:enableFeatures': 's3, runtime',
      'cordon:enableSecurityHub': 'false',
      'cordon:enablerSchedule': '6',
      'cordon:enablerRegisterAccountAdmin': 'true',
    });
    // Assess
    expect(without.enabler).toBeUndefined();
    expect(config.enabler).toEqual({
      managementAccountId: MANAGEMENT_ACCOUNT_ID,
      securityAccountId: SECURITY_ACCOUNT_ID,
      schedule: 'rate(6 hours)',
      adminRoleName: DEFAULT_ADMIN_ROLE_NAME,
      functionRoleName: 'cordon-enabler-lambda',
      dryRun: false,
      registerAccountAdmin: true,
      env: {
        CORDON_ADMIN_ACCOUNT_ID: SECURITY_ACCOUNT_ID,
        CORDON_ADMIN_ROLE_NAME: DEFAULT_ADMIN_ROLE_NAME,
        CORDON_REGIONS: 'eu-west-1,eu-central-1,us-east-1',
        CORDON_HOME_REGION: 'eu-west-1',
        CORDON_FEATURES: 's3,runtime',
        CORDON_SECURITY_HUB: 'false',
        CORDON_DRY_RUN: 'false',
        CORDON_REGISTER_ACCOUNT_ADMIN: 'true',
      },
    });
    // The enabler's own settings read the environment as intended.
    const settings = enablerSettingsFromEnv(config.enabler?.env ?? {});
    expect({
      admin: settings.adminAccountId,
      regions: settings.regions,
      plans: settings.plans.map((p) => p.key),
      securityHub: settings.securityHub,
      home: settings.homeRegion,
      registerAccountAdmin: settings.registerAccountAdmin,
    }).toEqual({
      admin: SECURITY_ACCOUNT_ID,
      regions: { kind: 'list', regions: ['eu-west-1', 'eu-central-1', 'us-east-1'] },
      plans: ['s3', 'runtime'],
      securityHub: false,
      home: 'eu-west-1',
      registerAccountAdmin: true,
    });
  });

  it('deploys the enabler in dry-run when cordon:dryRun is on, and refuses a dry run the enabler would not honour', () => {
    // Prepare: does the enabler (src/org/settings.ts) read CORDON_DRY_RUN?
    const honoured = enablerSettingsFromEnv({ CORDON_ADMIN_ACCOUNT_ID: SECURITY_ACCOUNT_ID, CORDON_DRY_RUN: 'true' }).dryRun;
    const { 'cordon:enablerDryRun': _explicit, ...context } = ENABLER_CONTEXT;
    // Act / Assess: dryRun defaults to true and enablerDryRun follows it.
    if (honoured) {
      const config = load(context);
      expect([config.enabler?.dryRun, config.enabler?.env.CORDON_DRY_RUN]).toEqual([true, 'true']);
    } else {
      expect(problemsOf(context).join('\n')).toMatch(
        /^cordon:enablerDryRun: the enabler \(src\/org\/settings\.ts\) reads dry run = false from CORDON_DRY_RUN=true/m,
      );
    }
    expect(load({ ...context, 'cordon:dryRun': 'true', 'cordon:enablerDryRun': 'false' }).enabler?.dryRun).toBe(false);
  });

  it("validates the enabler's keys with clear errors, through the enabler's own settings check", () => {
    // Act
    const problems = problemsOf({
      ...ENABLER_CONTEXT,
      'cordon:enablerSchedule': 'rate(5 minutes)',
      'cordon:enableFeatures': 's3,bogus',
      'cordon:enableSecurityHub': 'maybe',
      'cordon:enablerFunctionRoleName': 'bad name',
    });
    const accounts = problemsOf({ ...TEST_CONTEXT, 'cordon:managementAccountId': '1234' });
    const missingSecurity = problemsOf({ ...TEST_CONTEXT, 'cordon:managementAccountId': MANAGEMENT_ACCOUNT_ID });
    const same = problemsOf({ ...ENABLER_CONTEXT, 'cordon:managementAccountId': SECURITY_ACCOUNT_ID });
    // Assess
    const text = problems.join('\n');
    expect(text).toMatch(/^cordon:enablerSchedule: expected runs at least 60 minutes apart .* \(got "rate\(5 minutes\)"\)$/m);
    expect(text).toMatch(
      /^cordon:enableFeatures: CORDON_FEATURES: unknown protection plan "bogus" \(expected s3, eks, malware, rds, lambda, runtime, all or none\)$/m,
    );
    expect(text).toMatch(/^cordon:enableSecurityHub: expected true or false \(got "maybe"\)$/m);
    expect(text).toMatch(/^cordon:enablerFunctionRoleName: expected an IAM role name/m);
    expect(problems).toHaveLength(4);
    expect(accounts.join('\n')).toMatch(/^cordon:managementAccountId: expected a 12-digit account id \(got "1234"\)$/m);
    expect(missingSecurity).toEqual([
      'cordon:securityAccountId: required with cordon:managementAccountId (the enabler in the management account assumes a role in the security account)',
    ]);
    expect(same.join('\n')).toMatch(/^cordon:managementAccountId: must differ from cordon:securityAccountId \(111111111111\)/m);
  });

  it.each([
    ['rate(12 hours)', { expression: 'rate(12 hours)' }],
    ['rate(1 day)', { expression: 'rate(1 day)' }],
    ['12', { expression: 'rate(12 hours)' }],
    ['1', { expression: 'rate(1 hour)' }],
    ['cron(0 */12 * * ? *)', { expression: 'cron(0 */12 * * ? *)' }],
    ['rate(1 hours)', { problem: expect.stringMatching(/singular unit for 1/) }],
    ['rate(2 hour)', { problem: expect.stringMatching(/singular unit for 1 and a plural one otherwise/) }],
    ['rate(30 minutes)', { problem: expect.stringMatching(/at least 60 minutes apart/) }],
    ['cron(0 12 * * *)', { problem: expect.stringMatching(/six fields/) }],
    ['cron(0 12 * * MON *)', { problem: expect.stringMatching(/"\?" in exactly one of day-of-month and day-of-week/) }],
    ['every day', { problem: expect.stringMatching(/^expected rate\(12 hours\), cron/) }],
  ])('reads the enabler schedule %s', (value, expected) => {
    // Assess
    expect(parseSchedule(value)).toEqual(expected);
  });

  it('notes enabler keys that have no effect without cordon:managementAccountId', () => {
    // Act
    const config = load({ ...TEST_CONTEXT, 'cordon:enablerSchedule': 'rate(6 hours)', 'cordon:enableSecurityHub': 'false' });
    // Assess
    expect(config.unusedKeys).toEqual(['enablerSchedule', 'enableSecurityHub']);
  });

  it('documents every key in docs/deploy.md', () => {
    // Prepare
    const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs/deploy.md'), 'utf8');
    // Assess
    expect(Object.keys(CONFIG_KEYS).filter((k) => !doc.includes(`cordon:${k}`))).toEqual([]);
  });

  it('stops the CDK app with exit code 2 and the bad key named, before any stack is built', () => {
    // Act
    const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'), 'stacks/app.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CDK_CONTEXT_JSON: JSON.stringify({ 'cordon:organizationId': 'my-org' }),
        CDK_OUTDIR: fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-bad-')),
      },
    });
    // Assess
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/invalid cordon deployment configuration:\n {2}- cordon:organizationId: expected an organization id/);
  });
});
