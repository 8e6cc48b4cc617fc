import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RESPONDER_ENV } from '../../src/config/settings';
import { CONFIG_KEYS, DeployConfigError, loadConfig, PLACEHOLDER_ORGANIZATION_ID, PLACEHOLDER_ROOT_ID, type CordonConfig } from '../../stacks/config';
import { REPO_ROOT, TEST_CONTEXT } from './support/synth';

/** Loads a config from context entries, as the app does from `-c` flags and cdk.json. */
function load(context: Record<string, unknown>): CordonConfig {
  return loadConfig({ context, cwd: REPO_ROOT });
}

/** The problems a bad configuration reports. */
function problemsOf(context: Record<string, unknown>): readonly string[] {
  try {
    load(context);
  } catch (err) {
    if (err instanceof DeployConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('deployment configuration (stacks/config.ts)', () => {
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
    expect(config.responderEnv).toEqual({ CORDON_ROLE_NAME: 'cordon-responder', CORDON_DRY_RUN: 'true' });
    expect(config.runbooksDir).toBe(path.join(REPO_ROOT, 'runbooks'));
    expect(config.customActions.map((a) => a.id)).toEqual(expect.arrayContaining(['CordonFalsePositive', 'CordonRelease']));
  });

  it('reads -c values (strings) and cdk.json values (JSON) alike, and always covers the home region', () => {
    // Act
    const fromCli = load({ 'cordon:homeRegion': 'eu-west-1', 'cordon:regions': 'eu-central-1, us-east-1', 'cordon:dryRun': 'false', 'cordon:reservedConcurrency': '8' });
    const fromJson = load({ 'cordon:homeRegion': 'eu-west-1', 'cordon:regions': ['eu-central-1', 'us-east-1'], 'cordon:dryRun': false, 'cordon:reservedConcurrency': 8 });
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
    expect(text).toMatch(/^cordon:reservedConcurrency: expected a whole number from 2 to 1000/m);
    expect(text).toMatch(/^cordon:logRetentionDays: expected one of CloudWatch Logs' retention periods/m);
    expect(text).toMatch(/^cordon:securityAccountId: required when cordon:stackSetCallAs is SELF/m);
    expect(problems).toHaveLength(8);
  });

  it("validates responder settings with the responder's own rules, naming the key that set them", () => {
    // Act
    const problems = problemsOf({ 'cordon:actionThreshold': 'high', 'cordon:exemptAccounts': '1234', CORDON_CIRCUIT_ORG_LIMIT: '0', 'cordon:roleName': 'no spaces allowed' });
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
    fs.writeFileSync(path.join(dir, 'bad.yaml'), 'name: bad\ndescription: x\nfindingTypes: ["Backdoor:EC2/*"]\nactions:\n  - action: ec2.explode\n');
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
    const problems = problemsOf({ 'cordon:functionRoleName': 'cordon-responder', 'cordon:alarmEmail': 'a@example.com', 'cordon:alarmTopicArn': 'arn:aws:sns:us-east-1:123456789012:alarms' });
    const otherRegion = problemsOf({ 'cordon:alarmTopicArn': 'arn:aws:sns:eu-west-1:123456789012:alarms' });
    // Assess
    expect(problems.join('\n')).toMatch(/^cordon:functionRoleName: must differ from cordon:roleName/m);
    expect(problems.join('\n')).toMatch(/^cordon:alarmEmail and cordon:alarmTopicArn: set one or the other, not both$/m);
    expect(otherRegion.join('\n')).toMatch(/^cordon:alarmTopicArn: expected a topic in the home region us-east-1/m);
  });

  it('reads a config file named by cordon:configFile; context values win', () => {
    // Prepare
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-config-'));
    const file = path.join(dir, 'cordon.config.json');
    fs.writeFileSync(file, JSON.stringify({ homeRegion: 'eu-west-1', organizationId: 'o-fromfile00', deploymentTargets: ['ou-ab12-33333333'], CORDON_CIRCUIT_ACCOUNT_LIMIT: 3 }));
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
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CDK_CONTEXT_JSON: JSON.stringify({ 'cordon:organizationId': 'my-org' }), CDK_OUTDIR: fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-bad-')) },
    });
    // Assess
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/invalid cordon deployment configuration:\n {2}- cordon:organizationId: expected an organization id/);
  });
});
