import { ConfigurationError } from '../../../src/errors';
import {
  DEFAULT_ADMIN_ROLE_NAME,
  DEFAULT_ENABLE_CONCURRENCY,
  ENABLER_ENV,
  enablerSettingsFromEnv,
  validateCoverageSettings,
  validateEnablerSettings,
} from '../../../src/org/settings';

const ADMIN = '222222222222';

function problems(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}

describe('enabler settings', () => {
  it('lists the environment variables the Lambda reads', () => {
    expect(ENABLER_ENV).toEqual([
      'CORDON_ADMIN_ACCOUNT_ID',
      'CORDON_ADMIN_ROLE_NAME',
      'CORDON_REGIONS',
      'CORDON_FEATURES',
      'CORDON_SECURITY_HUB',
      'CORDON_HOME_REGION',
      'CORDON_CONCURRENCY',
      'CORDON_DRY_RUN',
      'CORDON_REGISTER_ACCOUNT_ADMIN',
    ]);
  });

  it('reads CORDON_DRY_RUN as true or false, off by default, and rejects anything else', () => {
    expect(enablerSettingsFromEnv({ CORDON_ADMIN_ACCOUNT_ID: ADMIN }).dryRun).toBe(false);
    expect(enablerSettingsFromEnv({ CORDON_ADMIN_ACCOUNT_ID: ADMIN, CORDON_DRY_RUN: 'true' }).dryRun).toBe(true);
    expect(enablerSettingsFromEnv({ CORDON_ADMIN_ACCOUNT_ID: ADMIN, CORDON_DRY_RUN: ' TRUE ' }).dryRun).toBe(true);
    expect(enablerSettingsFromEnv({ CORDON_ADMIN_ACCOUNT_ID: ADMIN, CORDON_DRY_RUN: 'false' }).dryRun).toBe(false);
    expect(enablerSettingsFromEnv({ CORDON_ADMIN_ACCOUNT_ID: ADMIN, CORDON_DRY_RUN: '' }).dryRun).toBe(false);
    expect(problems(() => enablerSettingsFromEnv({ CORDON_ADMIN_ACCOUNT_ID: ADMIN, CORDON_DRY_RUN: 'yes' }))).toBe(
      'CORDON_DRY_RUN: "yes" must be true or false',
    );
    expect(
      validateEnablerSettings({
        adminAccountId: { value: ADMIN, source: '--admin-account' },
        dryRun: { value: 'true', source: '--dry-run' },
      }).dryRun,
    ).toBe(true);
  });

  it('applies defaults: enabled regions, five plans without runtime monitoring, Security Hub on', () => {
    // Act
    const settings = enablerSettingsFromEnv({ CORDON_ADMIN_ACCOUNT_ID: ADMIN });

    // Assess
    expect(settings).toMatchObject({
      adminAccountId: ADMIN,
      adminRoleName: DEFAULT_ADMIN_ROLE_NAME,
      regions: { kind: 'enabled' },
      securityHub: true,
      homeRegion: undefined,
      concurrency: DEFAULT_ENABLE_CONCURRENCY,
      dryRun: false,
    });
    expect(settings.plans.map((p) => p.feature)).toEqual([
      'S3_DATA_EVENTS',
      'EKS_AUDIT_LOGS',
      'EBS_MALWARE_PROTECTION',
      'RDS_LOGIN_EVENTS',
      'LAMBDA_NETWORK_LOGS',
    ]);
  });

  it('reads every variable', () => {
    const settings = enablerSettingsFromEnv({
      CORDON_ADMIN_ACCOUNT_ID: ADMIN,
      CORDON_ADMIN_ROLE_NAME: 'OrgGuardDuty',
      CORDON_REGIONS: 'eu-west-1, us-east-1,eu-west-1',
      CORDON_FEATURES: 'runtime,S3_DATA_EVENTS',
      CORDON_SECURITY_HUB: 'false',
      CORDON_HOME_REGION: 'eu-west-1',
      CORDON_CONCURRENCY: '3',
    });
    expect(settings.adminRoleName).toBe('OrgGuardDuty');
    expect(settings.regions).toEqual({ kind: 'list', regions: ['eu-west-1', 'us-east-1'] });
    expect(settings.plans.map((p) => p.key)).toEqual(['runtime', 's3']);
    expect(settings.plans[0]?.additional).toEqual(['EKS_ADDON_MANAGEMENT', 'ECS_FARGATE_AGENT_MANAGEMENT', 'EC2_AGENT_MANAGEMENT']);
    expect(settings.securityHub).toBe(false);
    expect(settings.homeRegion).toBe('eu-west-1');
    expect(settings.concurrency).toBe(3);
  });

  it('accepts all and none', () => {
    expect(enablerSettingsFromEnv({ CORDON_ADMIN_ACCOUNT_ID: ADMIN, CORDON_REGIONS: 'all', CORDON_FEATURES: 'all' })).toMatchObject({
      regions: { kind: 'all' },
    });
    expect(enablerSettingsFromEnv({ CORDON_ADMIN_ACCOUNT_ID: ADMIN, CORDON_FEATURES: 'all' }).plans).toHaveLength(6);
    expect(enablerSettingsFromEnv({ CORDON_ADMIN_ACCOUNT_ID: ADMIN, CORDON_FEATURES: 'none' }).plans).toEqual([]);
  });

  it('reports every bad value at once, naming where it came from', () => {
    const message = problems(() =>
      validateEnablerSettings({
        adminAccountId: { value: '1234', source: '--admin-account' },
        adminRoleName: { value: 'bad role', source: 'CORDON_ADMIN_ROLE_NAME' },
        regions: { value: 'us-east-1,mars', source: '--regions' },
        features: { value: 's3,guardrails', source: 'CORDON_FEATURES' },
        securityHub: { value: 'maybe', source: 'CORDON_SECURITY_HUB' },
        homeRegion: { value: 'eu-west-1', source: '--home-region' },
        concurrency: { value: '0', source: '--concurrency' },
        dryRun: { value: 'maybe', source: 'CORDON_DRY_RUN' },
      }),
    );
    expect(message.split('\n')).toEqual([
      '--admin-account: "1234" is not a 12-digit account id',
      'CORDON_ADMIN_ROLE_NAME: "bad role" is not a valid IAM role name (1-64 of letters, digits and +=,.@_-)',
      '--regions: "mars" is not a region name (e.g. us-east-1), "all" or "enabled"',
      'CORDON_FEATURES: unknown protection plan "guardrails" (expected s3, eks, malware, rds, lambda, runtime, all or none)',
      'CORDON_SECURITY_HUB: "maybe" must be true or false',
      '--home-region: home region eu-west-1 is not one of the regions to cover (us-east-1, mars)',
      '--concurrency: "0" must be a whole number from 1 to 64',
      'CORDON_DRY_RUN: "maybe" must be true or false',
    ]);
  });

  it('requires the security account', () => {
    expect(problems(() => enablerSettingsFromEnv({}))).toBe(
      'the security account is required: --admin-account ID or CORDON_ADMIN_ACCOUNT_ID',
    );
  });

  it('treats empty variables as unset', () => {
    expect(enablerSettingsFromEnv({ CORDON_ADMIN_ACCOUNT_ID: ADMIN, CORDON_REGIONS: ' ', CORDON_CONCURRENCY: '' }).regions).toEqual({
      kind: 'enabled',
    });
  });
});

describe('coverage settings', () => {
  it('requires no plan by default and validates the rest', () => {
    expect(validateCoverageSettings({})).toEqual({
      regions: { kind: 'enabled' },
      expectedPlans: [],
      concurrency: DEFAULT_ENABLE_CONCURRENCY,
    });
    expect(validateCoverageSettings({ features: { value: 's3', source: '--features' } }).expectedPlans.map((p) => p.key)).toEqual(['s3']);
    expect(problems(() => validateCoverageSettings({ concurrency: { value: '65', source: 'CORDON_CONCURRENCY' } }))).toBe(
      'CORDON_CONCURRENCY: "65" must be a whole number from 1 to 64',
    );
  });
});
