import { coverageCells, sortCells } from '../../../src/org/cells';
import { DEFAULT_PLAN_KEYS, findPlan, type ProtectionPlan } from '../../../src/org/features';
import type { GuardDutyMember, Organization, RegionOptState, RegionState } from '../../../src/org/model';
import { describeStep, planRegion, planTrustedAccess, PUBLISHING_FREQUENCY } from '../../../src/org/plan';

const MANAGEMENT = '100000000000';
const ADMIN = '200000000000';
const PLANS = DEFAULT_PLAN_KEYS.map((k) => findPlan(k) as ProtectionPlan);
const memberIds = (n: number): string[] => Array.from({ length: n }, (_, i) => String(300000000000 + i));

function organization(members: string[], overrides: Partial<Organization> = {}): Organization {
  return {
    callerAccountId: MANAGEMENT,
    callerRole: 'management',
    managementAccountId: MANAGEMENT,
    adminAccountId: ADMIN,
    accounts: [MANAGEMENT, ADMIN, ...members].map((id) => ({ id, name: `n-${id}`, email: `${id}@example.com`, state: 'ACTIVE' })),
    skipped: [],
    regions: ['us-east-1', 'eu-west-1'],
    homeRegion: 'us-east-1',
    regionStatus: new Map(),
    optInRegions: [],
    trustedAccess: new Set(),
    warnings: [],
    ...overrides,
  };
}

function emptyState(region: string): RegionState {
  return {
    region,
    guardDuty: { delegatedAdmin: { status: 'none' }, detector: undefined, orgConfig: undefined, members: new Map() },
    securityHub: { delegatedAdmin: { status: 'none' }, hubEnabled: false, autoEnable: undefined, members: new Map(), aggregator: undefined },
  };
}

/** A region where everything is already as cordon wants it. */
function coveredState(org: Organization, region: string): RegionState {
  const others = org.accounts.filter((a) => a.id !== ADMIN).map((a) => a.id);
  const features = new Set(PLANS.map((p) => p.feature));
  return {
    region,
    guardDuty: {
      delegatedAdmin: { status: 'self' },
      detector: {
        id: 'd1',
        enabled: true,
        publishingFrequency: PUBLISHING_FREQUENCY,
        features: new Map([...features, 'CLOUD_TRAIL'].map((f) => [f, { enabled: true, additional: new Set<string>() }])),
      },
      orgConfig: { autoEnableMembers: 'ALL', features: new Map(PLANS.map((p) => [p.feature, { autoEnable: 'ALL', additional: new Map() }])) },
      members: new Map<string, GuardDutyMember>(others.map((id) => [id, { relationship: 'Enabled', features }])),
    },
    securityHub: {
      delegatedAdmin: { status: 'self' },
      hubEnabled: true,
      autoEnable: true,
      members: new Map(others.map((id) => [id, 'Enabled'])),
      aggregator: region === org.homeRegion ? { arn: 'arn:agg', region, linkingMode: 'ALL_REGIONS' } : undefined,
    },
  };
}

describe('planning a region', () => {
  it('plans everything in order for an untouched region: management steps first, members in batches of at most 50', () => {
    // Prepare
    const org = organization(memberIds(118));

    // Act
    const plan = planRegion(org, emptyState('us-east-1'), { plans: PLANS, securityHub: true });

    // Assess
    expect(plan.blocked).toBeUndefined();
    expect(plan.steps.map((s) => s.kind)).toEqual([
      'gd-designate-admin',
      'sh-designate-admin',
      'gd-create-detector',
      'gd-add-members',
      'gd-add-members',
      'gd-add-members',
      'gd-org-config',
      'sh-enable-hub',
      'sh-add-members',
      'sh-add-members',
      'sh-add-members',
      'sh-org-config',
      'sh-aggregator',
    ]);
    const batches = plan.steps.flatMap((s) => (s.kind === 'gd-add-members' ? [s.accountIds.length] : []));
    expect(batches).toEqual([50, 50, 19]);
    expect(plan.steps.some((s) => s.kind === 'gd-add-members' && s.accountIds.includes(ADMIN))).toBe(false);
    expect(describeStep(plan.steps[2] as never)).toBe(
      "create the security account's GuardDuty detector (publishing FIFTEEN_MINUTES, plans s3,eks,malware,rds,lambda)",
    );
  });

  it('plans nothing for a covered region (idempotence), and no aggregator outside the home region', () => {
    const org = organization(memberIds(3));
    expect(planRegion(org, coveredState(org, 'us-east-1'), { plans: PLANS, securityHub: true }).steps).toEqual([]);
    expect(planRegion(org, coveredState(org, 'eu-west-1'), { plans: PLANS, securityHub: true }).steps).toEqual([]);
  });

  it('repairs only what drifted: a removed member, a plan turned off, the publishing frequency', () => {
    // Prepare
    const org = organization(memberIds(3));
    const state = coveredState(org, 'us-east-1');
    const members = new Map(state.guardDuty.members);
    members.set(memberIds(1)[0] as string, { relationship: 'Removed', features: new Set() });
    const orgFeatures = new Map(state.guardDuty.orgConfig?.features);
    orgFeatures.set('RDS_LOGIN_EVENTS', { autoEnable: 'NEW', additional: new Map() });
    const drifted: RegionState = {
      ...state,
      guardDuty: {
        ...state.guardDuty,
        detector: { ...(state.guardDuty.detector as NonNullable<RegionState['guardDuty']['detector']>), publishingFrequency: 'SIX_HOURS' },
        orgConfig: { autoEnableMembers: 'ALL', features: orgFeatures },
        members,
      },
    };

    // Act
    const plan = planRegion(org, drifted, { plans: PLANS, securityHub: true });

    // Assess
    expect(plan.steps).toEqual([
      { kind: 'gd-update-detector', as: 'admin', enable: false, publishingFrequency: 'FIFTEEN_MINUTES', plans: [] },
      { kind: 'gd-add-members', as: 'admin', accountIds: [memberIds(1)[0]] },
      { kind: 'gd-org-config', as: 'admin', plans: PLANS },
    ]);
  });

  it('leaves another delegated administrator alone and says so', () => {
    const org = organization(memberIds(2));
    const state = emptyState('us-east-1');
    const plan = planRegion(org, { ...state, guardDuty: { ...state.guardDuty, delegatedAdmin: { status: 'other', accountId: '999999999999' } } }, { plans: PLANS, securityHub: true });
    expect(plan.steps).toEqual([]);
    expect(plan.blocked).toContain("GuardDuty's delegated administrator in us-east-1 is 999999999999, not 200000000000");
  });

  it('blocks a region the security account has not enabled, and adds only accounts known to have enabled an opt-in region', () => {
    // Prepare
    const [a, b, c] = memberIds(3) as [string, string, string];
    const status = (s: RegionOptState): ReadonlyMap<string, RegionOptState> => new Map([['af-south-1', s]]);
    const org = organization([a, b, c], {
      regions: ['af-south-1'],
      optInRegions: ['af-south-1'],
      regionStatus: new Map([
        [MANAGEMENT, status('ENABLED')],
        [ADMIN, status('ENABLED')],
        [a, status('ENABLED')],
        [b, status('DISABLED')],
        [c, status('UNKNOWN')],
      ]),
    });

    // Act
    const plan = planRegion(org, emptyState('af-south-1'), { plans: PLANS, securityHub: false });
    const blocked = planRegion({ ...org, regionStatus: new Map([...org.regionStatus, [ADMIN, status('DISABLED')]]) }, emptyState('af-south-1'), { plans: PLANS, securityHub: false });
    const cells = coverageCells(org, 'af-south-1', emptyState('af-south-1'), []);

    // Assess
    expect(plan.steps.flatMap((s) => (s.kind === 'gd-add-members' ? s.accountIds : []))).toEqual([MANAGEMENT, a]);
    expect(blocked.blocked).toBe('af-south-1 is not enabled in the security account 200000000000 (DISABLED)');
    expect(cells.find((x) => x.accountId === b)).toMatchObject({ status: 'region-not-enabled', gap: false });
    expect(cells.find((x) => x.accountId === c)).toMatchObject({ status: 'unknown', gap: true, detail: 'the security account has no detector; opt-in status of af-south-1 unknown' });
  });

  it('plans trusted access the management account lacks, Account Management only for opt-in regions', () => {
    const org = organization([], { trustedAccess: new Set(['guardduty.amazonaws.com']) });
    expect(planTrustedAccess(org, true).map((s) => s.servicePrincipal)).toEqual(['securityhub.amazonaws.com']);
    expect(planTrustedAccess({ ...org, optInRegions: ['af-south-1'] }, false).map((s) => s.servicePrincipal)).toEqual(['account.amazonaws.com']);
    expect(planTrustedAccess({ ...org, callerRole: 'admin', trustedAccess: undefined }, true)).toEqual([]);
  });

  it('in the security account alone, reports a region where it is not the delegated administrator', () => {
    const org = organization(memberIds(1), { callerAccountId: ADMIN, callerRole: 'admin', trustedAccess: undefined });
    const state = coveredState(org, 'us-east-1');
    const plan = planRegion(org, { ...state, guardDuty: { ...state.guardDuty, delegatedAdmin: { status: 'unknown' }, orgConfig: undefined } }, { plans: PLANS, securityHub: false });
    expect(plan.blocked).toContain("the security account is not GuardDuty's delegated administrator in us-east-1");
    expect(plan.steps).toEqual([]);
  });
});

describe('coverage cells', () => {
  it('gives each account a status, its plans, and sorts gaps first', () => {
    // Prepare
    const [enabled, removed, stopped, absent] = memberIds(4) as [string, string, string, string];
    const org = organization([enabled, removed, stopped, absent]);
    const state = coveredState(org, 'us-east-1');
    const members = new Map<string, GuardDutyMember>([
      [MANAGEMENT, { relationship: 'Enabled', features: new Set(['S3_DATA_EVENTS', 'CLOUD_TRAIL', 'RUNTIME_MONITORING']) }],
      [enabled, { relationship: 'Enabled', features: new Set(PLANS.map((p) => p.feature)) }],
      [removed, { relationship: 'Removed', features: new Set() }],
      [stopped, { relationship: 'Disabled', features: new Set() }],
    ]);

    // Act
    const cells = sortCells(coverageCells(org, 'us-east-1', { ...state, guardDuty: { ...state.guardDuty, members } }, [findPlan('s3') as ProtectionPlan, findPlan('eks') as ProtectionPlan]));

    // Assess
    expect(cells.map((c) => [c.accountId, c.status, c.detail, c.plans.join(','), c.missingPlans.join(','), c.gap])).toEqual([
      [removed, 'not-a-member', 'member, Removed', '', '', true],
      [absent, 'not-a-member', 'not a member', '', '', true],
      [stopped, 'detector-disabled', 'member, monitoring stopped (Disabled)', '', '', true],
      [MANAGEMENT, 'member-enabled', 'member, Enabled', 's3,runtime', 'eks', true],
      [enabled, 'member-enabled', 'member, Enabled', 's3,eks,malware,rds,lambda', '', false],
      [ADMIN, 'administrator', 'delegated administrator', 's3,eks,malware,rds,lambda', '', false],
    ]);
  });

  it('marks every account unknown when the region could not be read', () => {
    const org = organization(memberIds(1));
    const cells = coverageCells(org, 'eu-west-1', undefined, [], 'AccessDeniedException: no');
    expect(cells.map((c) => [c.status, c.detail, c.gap])).toEqual(org.accounts.map(() => ['unknown', 'AccessDeniedException: no', true]));
  });
});
