import { coverageCells, sortCells } from '../../../src/org/cells';
import { DEFAULT_PLAN_KEYS, findPlan, type ProtectionPlan } from '../../../src/org/features';
import type { GuardDutyMember, Organization, RegionOptState, RegionState } from '../../../src/org/model';
import { describeStep, planOrganization, planRegion, PUBLISHING_FREQUENCY, regionBlocker, regionNotEnabled } from '../../../src/org/plan';

const MANAGEMENT = '100000000000';
const ADMIN = '200000000000';
const PLANS = DEFAULT_PLAN_KEYS.map((k) => findPlan(k) as ProtectionPlan);
const memberIds = (n: number): string[] => Array.from({ length: n }, (_, i) => String(300000000000 + i));

function organization(members: string[], overrides: Partial<Organization> = {}): Organization {
  return {
    callerAccountId: MANAGEMENT,
    callerRole: 'management',
    partition: 'aws',
    adminRoleArn: `arn:aws:iam::${ADMIN}:role/cordon-enabler`,
    managementAccountId: MANAGEMENT,
    adminAccountId: ADMIN,
    accounts: [MANAGEMENT, ADMIN, ...members].map((id) => ({ id, name: `n-${id}`, email: `${id}@example.com`, state: 'ACTIVE' })),
    skipped: [],
    regions: ['us-east-1', 'eu-west-1'],
    homeRegion: 'us-east-1',
    regionStatus: new Map(),
    optInRegions: [],
    trustedAccess: new Set(),
    accountManagementAdmins: new Set(),
    warnings: [],
    ...overrides,
  };
}

function emptyState(region: string): RegionState {
  return {
    region,
    guardDuty: { delegatedAdmin: { status: 'none' }, detector: undefined, orgConfig: undefined, members: new Map(), readError: undefined },
    securityHub: {
      delegatedAdmin: { status: 'none' },
      hubEnabled: false,
      autoEnable: undefined,
      members: new Map(),
      aggregator: undefined,
      readError: undefined,
    },
  };
}

/** A region where everything is already as cordon wants it. */
function coveredState(org: Organization, region: string): RegionState {
  const others = org.accounts.filter((a) => a.id !== ADMIN).map((a) => a.id);
  const features = new Map<string, ReadonlySet<string>>(PLANS.map((p) => [p.feature, new Set<string>()]));
  return {
    region,
    guardDuty: {
      delegatedAdmin: { status: 'self' },
      detector: {
        id: 'd1',
        enabled: true,
        publishingFrequency: PUBLISHING_FREQUENCY,
        features: new Map([...features.keys(), 'CLOUD_TRAIL'].map((f) => [f, { enabled: true, additional: new Set<string>() }])),
      },
      orgConfig: {
        autoEnableMembers: 'ALL',
        features: new Map(PLANS.map((p) => [p.feature, { autoEnable: 'ALL', additional: new Map() }])),
      },
      members: new Map<string, GuardDutyMember>(others.map((id) => [id, { relationship: 'Enabled', features }])),
      readError: undefined,
    },
    securityHub: {
      delegatedAdmin: { status: 'self' },
      hubEnabled: true,
      autoEnable: true,
      members: new Map(others.map((id) => [id, 'Enabled'])),
      aggregator: region === org.homeRegion ? { arn: 'arn:agg', region, linkingMode: 'ALL_REGIONS' } : undefined,
      readError: undefined,
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

  it('repairs only what drifted: a removed member, stopped monitoring, a plan off in the configuration and on a member, the publishing frequency', () => {
    // Prepare
    const org = organization(memberIds(3));
    const [removed, stopped, lacking] = memberIds(3) as [string, string, string];
    const state = coveredState(org, 'us-east-1');
    const members = new Map(state.guardDuty.members);
    members.set(removed, { relationship: 'Removed', features: new Map() });
    members.set(stopped, { relationship: 'Disabled', features: new Map() });
    members.set(lacking, { relationship: 'Enabled', features: new Map([['S3_DATA_EVENTS', new Set<string>()]]) });
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
      { kind: 'gd-add-members', as: 'admin', accountIds: [removed] },
      { kind: 'gd-start-monitoring', as: 'admin', accountIds: [stopped] },
      { kind: 'gd-org-config', as: 'admin', plans: PLANS },
      { kind: 'gd-member-plans', as: 'admin', accountIds: [lacking], plans: PLANS },
    ]);
    expect(plan.steps.map((step) => describeStep(step)).slice(2)).toEqual([
      'restart GuardDuty monitoring of 1 member(s) whose monitoring was stopped',
      'set GuardDuty organization auto-enable to ALL with plans s3,eks,malware,rds,lambda',
      'turn on plans s3,eks,malware,rds,lambda for 1 member(s) missing some',
    ]);
  });

  it('counts a plan with additional configuration as on only when every part is', () => {
    // Prepare: runtime monitoring on for a member, but without EC2 agent management.
    const runtime = findPlan('runtime') as ProtectionPlan;
    const org = organization(memberIds(1));
    const [member] = memberIds(1) as [string];
    const state = coveredState(org, 'eu-west-1');
    const partial = new Map([['RUNTIME_MONITORING', new Set(['EKS_ADDON_MANAGEMENT', 'ECS_FARGATE_AGENT_MANAGEMENT'])]]);
    const full = new Map([['RUNTIME_MONITORING', new Set(runtime.additional)]]);
    const config = {
      autoEnableMembers: 'ALL',
      features: new Map([['RUNTIME_MONITORING', { autoEnable: 'ALL', additional: new Map(runtime.additional.map((a) => [a, 'ALL'])) }]]),
    };
    const detector = {
      id: 'd1',
      enabled: true,
      publishingFrequency: PUBLISHING_FREQUENCY,
      features: new Map([['RUNTIME_MONITORING', { enabled: true, additional: new Set<string>(runtime.additional) }]]),
    };
    const others = [...state.guardDuty.members.keys()].filter((id) => id !== member);
    const withMember = (features: ReadonlyMap<string, ReadonlySet<string>>): RegionState => ({
      ...state,
      guardDuty: {
        ...state.guardDuty,
        detector,
        orgConfig: config,
        members: new Map<string, GuardDutyMember>([
          ...others.map((id): [string, GuardDutyMember] => [id, { relationship: 'Enabled', features: full }]),
          [member, { relationship: 'Enabled', features }],
        ]),
      },
    });

    // Act
    const lacking = planRegion(org, withMember(partial), { plans: [runtime], securityHub: false });
    const complete = planRegion(org, withMember(full), { plans: [runtime], securityHub: false });

    // Assess
    expect(
      lacking.steps.filter((s) => s.kind === 'gd-member-plans').map((s) => (s.kind === 'gd-member-plans' ? s.accountIds : [])),
    ).toEqual([[member]]);
    expect(complete.steps.filter((s) => s.kind === 'gd-member-plans')).toEqual([]);
    expect(coverageCells(org, 'eu-west-1', withMember(partial), [runtime]).find((c) => c.accountId === member)).toMatchObject({
      missingPlans: ['runtime'],
      gap: true,
    });
  });

  it('leaves another GuardDuty delegated administrator alone and says so, and still plans Security Hub', () => {
    // Prepare
    const org = organization(memberIds(2));
    const state = emptyState('us-east-1');

    // Act
    const plan = planRegion(
      org,
      { ...state, guardDuty: { ...state.guardDuty, delegatedAdmin: { status: 'other', accountId: '999999999999' } } },
      { plans: PLANS, securityHub: true },
    );

    // Assess
    expect(plan.blocked).toBeUndefined();
    expect(plan.problems).toEqual([
      "GuardDuty's delegated administrator in us-east-1 is 999999999999, not 200000000000; cordon does not replace it (DisableOrganizationAdminAccount first)",
    ]);
    expect(plan.steps.every((s) => s.kind.startsWith('sh-'))).toBe(true);
    expect(plan.steps.map((s) => s.kind)).toContain('sh-designate-admin');
  });

  it('plans the management steps when the security account cannot be read, and names what to do', () => {
    // Prepare: AssumeRole into the security account refused in GuardDuty and Security Hub alike.
    const org = organization(memberIds(3));
    const state = emptyState('eu-west-1');
    const refused =
      'AssumeRoleError: cannot assume arn:aws:iam::200000000000:role/cordon-enabler in eu-west-1: AccessDenied: not authorized';

    // Act
    const plan = planRegion(
      org,
      {
        ...state,
        guardDuty: { ...state.guardDuty, readError: refused },
        securityHub: { ...(state.securityHub as NonNullable<RegionState['securityHub']>), readError: refused },
      },
      { plans: PLANS, securityHub: true },
    );

    // Assess
    expect(plan.steps).toEqual([
      { kind: 'gd-designate-admin', as: 'management', adminAccountId: ADMIN },
      { kind: 'sh-designate-admin', as: 'management', adminAccountId: ADMIN },
    ]);
    expect(plan.problems).toEqual([
      `the security account's GuardDuty in eu-west-1 could not be read (${refused}); run \`cordon enable --admin-account ${ADMIN}\` with the security account's credentials to do its part, or let the management account assume arn:aws:iam::${ADMIN}:role/cordon-enabler`,
      `the security account's Security Hub in eu-west-1 could not be read (${refused}); run \`cordon enable --admin-account ${ADMIN}\` with the security account's credentials to do its part, or let the management account assume arn:aws:iam::${ADMIN}:role/cordon-enabler`,
    ]);
  });

  it('keeps planning one service when the management account cannot read the other', () => {
    // Prepare: GuardDuty's ListOrganizationAdminAccounts denied, Security Hub fine.
    const org = organization(memberIds(1));
    const covered = coveredState(org, 'us-east-1');
    const state: RegionState = {
      ...covered,
      guardDuty: {
        ...covered.guardDuty,
        delegatedAdmin: { status: 'error', error: 'GuardDuty ListOrganizationAdminAccounts: AccessDeniedException: no' },
      },
      securityHub: { ...(covered.securityHub as NonNullable<RegionState['securityHub']>), members: new Map() },
    };

    // Act
    const plan = planRegion(org, state, { plans: PLANS, securityHub: true });

    // Assess: the security account's own view says it administers GuardDuty: nothing to do there; Security Hub members are added.
    expect(plan.problems).toEqual([
      "GuardDuty's delegated administrator in us-east-1 could not be read: GuardDuty ListOrganizationAdminAccounts: AccessDeniedException: no",
    ]);
    expect(plan.steps.map((s) => s.kind)).toEqual(['sh-add-members']);
  });

  it('reports a region no account has enabled as such, and blocks one only some accounts have enabled', () => {
    // Prepare
    const [a, b] = memberIds(2) as [string, string];
    const status = (s: RegionOptState): ReadonlyMap<string, RegionOptState> => new Map([['me-south-1', s]]);
    const nowhere = organization([a, b], {
      regions: ['me-south-1'],
      optInRegions: ['me-south-1'],
      regionStatus: new Map([MANAGEMENT, ADMIN, a, b].map((id) => [id, status('DISABLED')])),
    });
    const somewhere = { ...nowhere, regionStatus: new Map([...nowhere.regionStatus, [a, status('ENABLED')]]) };

    // Act + Assess
    expect(regionNotEnabled(nowhere, 'me-south-1')).toBe(true);
    expect(regionNotEnabled(somewhere, 'me-south-1')).toBe(false);
    expect(regionBlocker(somewhere, 'me-south-1')).toBe(
      `me-south-1 is enabled in 1 account(s) but not in the calling account ${MANAGEMENT} (DISABLED): enable it there, or leave it out of --regions`,
    );
    expect(regionNotEnabled(nowhere, 'us-east-1')).toBe(false);
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
    const blocked = planRegion(
      { ...org, regionStatus: new Map([...org.regionStatus, [ADMIN, status('DISABLED')]]) },
      emptyState('af-south-1'),
      { plans: PLANS, securityHub: false },
    );
    const cells = coverageCells(org, 'af-south-1', emptyState('af-south-1'), []);

    // Assess
    expect(plan.steps.flatMap((s) => (s.kind === 'gd-add-members' ? s.accountIds : []))).toEqual([MANAGEMENT, a]);
    // Enabled or unknown: the management account, a and c.
    expect(blocked.blocked).toBe(
      'af-south-1 is enabled in 3 account(s) but not in the security account 200000000000 (DISABLED): enable it there so that GuardDuty can administer them',
    );
    expect(cells.find((x) => x.accountId === b)).toMatchObject({ status: 'region-not-enabled', gap: false });
    expect(cells.find((x) => x.accountId === c)).toMatchObject({
      status: 'unknown',
      gap: true,
      detail: 'the security account has no detector; opt-in status of af-south-1 unknown',
    });
  });

  it('plans trusted access the management account lacks, and Account Management (trusted access, delegated administrator) only for opt-in regions', () => {
    // Prepare
    const org = organization([], { trustedAccess: new Set(['guardduty.amazonaws.com']) });
    const optIn = { ...org, optInRegions: ['af-south-1'] };

    // Act + Assess
    expect(planOrganization(org, true).steps).toEqual([{ kind: 'trusted-access', servicePrincipal: 'securityhub.amazonaws.com' }]);
    expect(planOrganization(optIn, false).steps).toEqual([
      { kind: 'trusted-access', servicePrincipal: 'account.amazonaws.com' },
      { kind: 'account-admin', adminAccountId: ADMIN },
    ]);
    expect(
      planOrganization(
        {
          ...optIn,
          trustedAccess: new Set(['guardduty.amazonaws.com', 'account.amazonaws.com']),
          accountManagementAdmins: new Set([ADMIN]),
        },
        false,
      ),
    ).toEqual({ steps: [], notes: [] });
    const other = planOrganization({ ...optIn, accountManagementAdmins: new Set(['999999999999']) }, false);
    expect(other.steps).toEqual([{ kind: 'trusted-access', servicePrincipal: 'account.amazonaws.com' }]);
    expect(other.notes[0]).toContain(
      "AWS Account Management's delegated administrator is 999999999999, not the security account 200000000000",
    );
    expect(planOrganization({ ...optIn, callerRole: 'admin', trustedAccess: undefined, accountManagementAdmins: undefined }, true)).toEqual(
      { steps: [], notes: [] },
    );
  });

  it('in the security account alone, reports a region where it is not the delegated administrator', () => {
    const org = organization(memberIds(1), {
      callerAccountId: ADMIN,
      callerRole: 'admin',
      trustedAccess: undefined,
      adminRoleArn: undefined,
    });
    const state = coveredState(org, 'us-east-1');
    const plan = planRegion(
      org,
      { ...state, guardDuty: { ...state.guardDuty, delegatedAdmin: { status: 'unknown' }, orgConfig: undefined } },
      { plans: PLANS, securityHub: false },
    );
    expect(plan.problems).toEqual([
      "the security account is not GuardDuty's delegated administrator in us-east-1: run `cordon enable` once with the management account's credentials",
    ]);
    expect(plan.steps).toEqual([]);
  });

  it('in the security account without a detector, creates it first and adds members only once the delegation is confirmed', () => {
    // Prepare: the security account cannot ask who the delegated administrator is, and has no detector or hub yet.
    const org = organization(memberIds(3), {
      callerAccountId: ADMIN,
      callerRole: 'admin',
      trustedAccess: undefined,
      adminRoleArn: undefined,
    });
    const state = emptyState('us-east-1');
    const unknown: RegionState = {
      ...state,
      guardDuty: { ...state.guardDuty, delegatedAdmin: { status: 'unknown' } },
      securityHub: { ...(state.securityHub as NonNullable<RegionState['securityHub']>), delegatedAdmin: { status: 'unknown' } },
    };

    // Act
    const plan = planRegion(org, unknown, { plans: PLANS, securityHub: true });

    // Assess: no CreateMembers that would make invitation-style members.
    expect(plan.steps.map((s) => s.kind)).toEqual(['gd-create-detector', 'sh-enable-hub']);
    expect(plan.problems).toEqual([]);
    expect(plan.notes).toEqual([
      "GuardDuty members in us-east-1 are planned once the security account's detector exists and its delegation is confirmed",
      "Security Hub members in us-east-1 are planned once the security account's hub is enabled and its administration confirmed",
    ]);
  });
});

describe('coverage cells', () => {
  it('gives each account a status, its plans, and sorts gaps first', () => {
    // Prepare
    const [enabled, removed, stopped, absent] = memberIds(4) as [string, string, string, string];
    const org = organization([enabled, removed, stopped, absent]);
    const state = coveredState(org, 'us-east-1');
    const members = new Map<string, GuardDutyMember>([
      [
        MANAGEMENT,
        {
          relationship: 'Enabled',
          features: new Map(['S3_DATA_EVENTS', 'CLOUD_TRAIL', 'RUNTIME_MONITORING'].map((f) => [f, new Set<string>()])),
        },
      ],
      [enabled, { relationship: 'Enabled', features: new Map(PLANS.map((p) => [p.feature, new Set<string>()])) }],
      [removed, { relationship: 'Removed', features: new Map() }],
      [stopped, { relationship: 'Disabled', features: new Map() }],
    ]);

    // Act
    const cells = sortCells(
      coverageCells(org, 'us-east-1', { ...state, guardDuty: { ...state.guardDuty, members } }, [
        findPlan('s3') as ProtectionPlan,
        findPlan('eks') as ProtectionPlan,
      ]),
    );

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

  it("marks every account unknown when the region, or the security account's GuardDuty there, could not be read", () => {
    const org = organization(memberIds(1));
    const cells = coverageCells(org, 'eu-west-1', undefined, [], 'AccessDeniedException: no');
    expect(cells.map((c) => [c.status, c.detail, c.gap])).toEqual(org.accounts.map(() => ['unknown', 'AccessDeniedException: no', true]));
    const state = coveredState(org, 'eu-west-1');
    const unread = coverageCells(
      org,
      'eu-west-1',
      { ...state, guardDuty: { ...state.guardDuty, readError: 'AssumeRoleError: refused' } },
      [],
    );
    expect(unread.map((c) => [c.status, c.detail, c.gap])).toEqual(org.accounts.map(() => ['unknown', 'AssumeRoleError: refused', true]));
  });
});
