import { diagnose, doctorExitCode, type DoctorDeps, type DoctorSettings, type StackInstance } from '../../../src/doctor/doctor';
import type { CoverageReport } from '../../../src/org/coverage';
import type { CoverageCell } from '../../../src/org/model';

const ADMIN = '111111111111';
const MANAGEMENT = '222222222222';
const MEMBERS = ['333333333333', '444444444444', '555555555555'];

function cell(accountId: string, region: string, status: CoverageCell['status'], gap = false): CoverageCell {
  return { accountId, accountName: accountId, region, status, detail: '', plans: [], missingPlans: [], gap };
}

function report(): CoverageReport {
  const accounts = [ADMIN, MANAGEMENT, ...MEMBERS];
  return {
    adminAccountId: ADMIN,
    managementAccountId: MANAGEMENT,
    partition: 'aws',
    accounts: accounts.map((accountId) => ({ accountId, name: accountId })),
    regions: ['us-east-1'],
    cells: accounts.map((a) => cell(a, 'us-east-1', a === ADMIN ? 'administrator' : 'member-enabled')),
    skippedAccounts: [],
    errors: [],
    warnings: [],
    gaps: 0,
  };
}

const SETTINGS: DoctorSettings = {
  stackSetName: 'cordon-member-role',
  roleName: 'cordon-responder',
  sample: undefined,
  homeRegion: 'us-east-1',
  expectedActionIds: ['CordonIsolate'],
  concurrency: 4,
};

function deps(instances: readonly StackInstance[], overrides: Partial<DoctorDeps> = {}): DoctorDeps & { assumed: string[] } {
  const assumed: string[] = [];
  return {
    assumed,
    coverage: () => Promise.resolve(report()),
    stackInstances: () => Promise.resolve(instances),
    assumeMemberRole: (id) => {
      assumed.push(id);
      return Promise.resolve();
    },
    securityHub: () => Promise.resolve({ cspm: false, v2: true }),
    actionTargets: () => Promise.resolve(new Set(['CordonIsolate'])),
    stackOutputs: () => Promise.resolve({ DeadLetterQueueUrl: 'https://sqs.us-east-1.amazonaws.com/111111111111/dlq', DryRun: 'false' }),
    queueDepth: () => Promise.resolve(0),
    ...overrides,
  };
}

const current = (account: string): StackInstance => ({
  account,
  region: 'us-east-1',
  status: 'CURRENT',
  detailedStatus: 'SUCCEEDED',
  reason: undefined,
});

describe('diagnose', () => {
  it('lists failed and outdated StackSet instances with their reason, and never asks for one in the management account', async () => {
    // Prepare
    const instances: StackInstance[] = [
      current(ADMIN),
      { account: MEMBERS[0] as string, region: 'us-east-1', status: 'OUTDATED', detailedStatus: 'FAILED', reason: 'Role already exists' },
      { account: MEMBERS[1] as string, region: 'us-east-1', status: 'INOPERABLE', detailedStatus: undefined, reason: 'retained' },
      current(MEMBERS[2] as string),
    ];

    // Act
    const checks = await diagnose(SETTINGS, deps(instances));

    // Assess
    const stackset = checks.filter((c) => c.check === 'stackset');
    expect(stackset.map((c) => [c.scope, c.status, c.detail])).toEqual([
      [`${MEMBERS[0]}/us-east-1`, 'fail', 'member-role instance OUTDATED (FAILED): Role already exists'],
      [`${MEMBERS[1]}/us-east-1`, 'fail', 'member-role instance INOPERABLE: retained'],
    ]);
    expect(stackset[0]?.fix).toMatch(/update-stack-instances --stack-set-name cordon-member-role/);
    expect(doctorExitCode(checks)).toBe(1);
    expect(checks.find((c) => c.check === 'securityhub')?.detail).toBe('Security Hub (BatchUpdateFindingsV2)');
  });

  it('assumes the role in a sample of N accounts only, never the management account', async () => {
    // Prepare
    const d = deps([ADMIN, ...MEMBERS].map(current));

    // Act
    const checks = await diagnose({ ...SETTINGS, sample: 2, random: () => 0.5 }, d);

    // Assess
    expect(d.assumed).toHaveLength(2);
    expect(d.assumed).not.toContain(MANAGEMENT);
    expect(checks.find((c) => c.check === 'member-role')?.detail).toBe('assumed in 2 account(s) (a sample of 4)');
    expect(doctorExitCode(checks)).toBe(0);
  });

  it('fails a region with neither Security Hub, and a check that cannot read what it needs, while the others still run', async () => {
    // Prepare
    const d = deps([ADMIN, ...MEMBERS].map(current), {
      securityHub: () => Promise.resolve({ cspm: false, v2: false }),
      actionTargets: () => Promise.reject(Object.assign(new Error('not subscribed'), { name: 'InvalidAccessException' })),
    });

    // Act
    const checks = await diagnose(SETTINGS, d);

    // Assess
    expect(checks.filter((c) => c.status === 'fail').map((c) => c.check)).toEqual(['securityhub', 'action-targets']);
    expect(checks.find((c) => c.check === 'action-targets')?.detail).toMatch(/InvalidAccessException|not subscribed/);
    expect(checks.find((c) => c.check === 'dead-letter-queue')?.status).toBe('ok');
  });
});
