import { coverageCells, sortCells } from '../../../src/org/cells';
import { DEFAULT_PLAN_KEYS, findPlan, type ProtectionPlan } from '../../../src/org/features';
import type { GuardDutyMember, Organization, RegionOptState, RegionState } from '../../../src/org/model';
import { describeStep } from '../../../src/org/describe-step';
import { planOrganization } from '../../../src/org/organization-plan';
import { decideSecurityHubMode, planRegion, PUBLISHING_FREQUENCY, regionBlocker, regionNotEnabled } from '../../../src/org/plan';

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
    guardDutyPolicies: [],
    securityHubPolicies: [],
    unknownOptIn: [],
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
      configurationType: undefined,
      autoEnableStandards: undefined,
      managementHub: false,
      v2: false,
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
      configurationType: 'LOCAL',
      autoEnableStandards: 'NONE',
      managementHub: true,
      v2: false,
      readError: undefined,
    },
  };
}

describe('planning a region', () => {
  it('plans everything in order for an untouched region: management steps first, settings before members, members in batches of at most 50', () => {
    // Prepare
    const org = organization(memberIds(118));

    // Act: local configuration (an organization that already uses it).
    const plan = planRegion(org, emptyState('us-east-1'), { plans: PLANS, securityHub: true, securityHubMode: 'local' });

    // Assess
    expect(plan.blocked).toBeUndefined();
    expect(plan.steps.map((s) => s.kind)).toEqual([
      'gd-designate-admin',
      'sh-designate-admin',
      'sh-enable-management-hub',
      'gd-create-detector',
      'gd-org-config',
      'gd-add-members',
      'gd-add-members',
      'gd-add-members',
      'sh-enable-hub',
      'sh-aggregator',
      'sh-org-config',
      'sh-add-members',
      'sh-add-members',
      'sh-add-members',
    ]);
    const batches = plan.steps.flatMap((s) => (s.kind === 'gd-add-members' ? [s.accountIds.length] : []));
    expect(batches).toEqual([50, 50, 19]);
    expect(plan.steps.some((s) => s.kind === 'gd-add-members' && s.accountIds.includes(ADMIN))).toBe(false);
    expect(plan.steps.find((s) => s.kind === 'gd-create-detector')).toMatchObject({ afterDesignation: true });
    expect(describeStep(plan.steps[3] as never)).toBe(
      "set up the security account's GuardDuty detector, which designating it creates (publishing FIFTEEN_MINUTES, plans s3,eks,malware,rds,lambda)",
    );
    expect(plan.steps.map((step) => describeStep(step))).toContain(
      'turn on Security Hub auto-enable for new organization accounts, without the default standards (AutoEnableStandards NONE)',
    );
  });

  it('starts central configuration for an organization with no Security Hub set up: aggregator, configuration, policy in the home region; nothing of members anywhere', () => {
    // Prepare
    const org = organization(memberIds(3));
    const mode = decideSecurityHubMode(org, emptyState('us-east-1'));

    // Act
    const home = planRegion(org, emptyState('us-east-1'), { plans: PLANS, securityHub: true, securityHubMode: mode });
    const other = planRegion(org, emptyState('eu-west-1'), { plans: PLANS, securityHub: true, securityHubMode: mode });

    // Assess
    expect(mode).toBe('start-central');
    expect(home.steps.filter((s) => s.kind.startsWith('sh-')).map((s) => s.kind)).toEqual([
      'sh-designate-admin',
      'sh-enable-management-hub',
      'sh-enable-hub',
      'sh-aggregator',
      'sh-central-config',
      'sh-central-policy',
    ]);
    // The other regions: central configuration sets the administrator and enables Security Hub there; only the management account's own hub.
    expect(other.steps.filter((s) => s.kind.startsWith('sh-')).map((s) => s.kind)).toEqual(['sh-enable-management-hub']);
  });

  it('decides how the organization manages Security Hub from the home region', () => {
    const org = organization(memberIds(2));
    const covered = coveredState(org, 'us-east-1');
    const sh = covered.securityHub as NonNullable<RegionState['securityHub']>;
    const withSh = (changes: Partial<NonNullable<RegionState['securityHub']>>): RegionState => ({
      ...covered,
      securityHub: { ...sh, ...changes },
    });
    expect(decideSecurityHubMode(org, withSh({ configurationType: 'CENTRAL' }))).toBe('central');
    expect(decideSecurityHubMode(org, covered)).toBe('local');
    expect(decideSecurityHubMode(org, withSh({ autoEnable: false, members: new Map() }))).toBe('start-central');
    // Not possible: the security account is the management account, or the aggregator is elsewhere.
    expect(decideSecurityHubMode({ ...org, adminAccountId: MANAGEMENT }, emptyState('us-east-1'))).toBe('local');
    expect(
      decideSecurityHubMode(
        org,
        withSh({ autoEnable: false, members: new Map(), aggregator: { arn: 'a', region: 'eu-west-1', linkingMode: 'ALL_REGIONS' } }),
      ),
    ).toBe('local');
    expect(
      decideSecurityHubMode(
        { ...org, securityHubPolicies: [{ id: 'p-1', name: 'sh', type: 'SECURITYHUB_POLICY', managedFeatures: [] }] },
        covered,
      ),
    ).toBe('policies');
  });

  it('under central configuration or Security Hub policies adds no members and sets no auto-enable, and names a region central configuration does not reach', () => {
    // Prepare: members missing, auto-enable off.
    const org = organization(memberIds(2));
    const covered = coveredState(org, 'eu-west-1');
    const sh = covered.securityHub as NonNullable<RegionState['securityHub']>;
    const missing = (configurationType: 'LOCAL' | 'CENTRAL'): RegionState => ({
      ...covered,
      securityHub: { ...sh, members: new Map(), autoEnable: false, configurationType },
    });

    // Act
    const central = planRegion(org, missing('CENTRAL'), { plans: PLANS, securityHub: true, securityHubMode: 'central' });
    const unlinked = planRegion(org, missing('LOCAL'), { plans: PLANS, securityHub: true, securityHubMode: 'central' });
    const policies = planRegion(org, missing('LOCAL'), { plans: PLANS, securityHub: true, securityHubMode: 'policies' });
    const local = planRegion(org, missing('LOCAL'), { plans: PLANS, securityHub: true, securityHubMode: 'local' });

    // Assess
    expect(central.steps).toEqual([]);
    expect(unlinked.steps).toEqual([]);
    expect(unlinked.problems).toEqual([
      'eu-west-1 is not linked to the finding aggregator in us-east-1, so central configuration does not reach it: link it (UpdateFindingAggregator) in us-east-1',
    ]);
    expect(policies.steps).toEqual([]);
    expect(local.steps.map((s) => s.kind)).toEqual(['sh-org-config', 'sh-add-members']);
  });

  it('reports the new Security Hub where it is on, and plans nothing for it (cordon never turns it on)', () => {
    // Prepare
    const org = organization(memberIds(1));
    const covered = coveredState(org, 'eu-west-1');
    const withV2: RegionState = {
      ...covered,
      securityHub: { ...(covered.securityHub as NonNullable<RegionState['securityHub']>), v2: true },
    };
    // Act
    const plan = planRegion(org, withV2, { plans: PLANS, securityHub: true, securityHubMode: 'local' });
    // Assess
    expect(plan.steps).toEqual([]);
    expect(plan.notes).toEqual(['the new Security Hub is on in eu-west-1; cordon leaves it as it is']);
  });

  it("enables the management account's own hub before adding it, and leaves it out while its hub is off and nobody can turn it on", () => {
    // Prepare
    const org = organization(memberIds(1));
    const covered = coveredState(org, 'eu-west-1');
    const sh = covered.securityHub as NonNullable<RegionState['securityHub']>;
    const withoutManagement = new Map([...sh.members].filter(([id]) => id !== MANAGEMENT));
    const state = (managementHub: boolean | undefined, members = withoutManagement): RegionState => ({
      ...covered,
      securityHub: { ...sh, members, managementHub },
    });
    const options = { plans: PLANS, securityHub: true, securityHubMode: 'local' as const };

    // Act + Assess
    expect(planRegion(org, state(false), options).steps).toEqual([
      { kind: 'sh-enable-management-hub', as: 'management' },
      { kind: 'sh-add-members', as: 'admin', accountIds: [MANAGEMENT] },
    ]);
    // Left Created by an earlier CreateMembers, before its hub was on: added again.
    expect(planRegion(org, state(true, new Map([...withoutManagement, [MANAGEMENT, 'Created']])), options).steps).toEqual([
      { kind: 'sh-add-members', as: 'admin', accountIds: [MANAGEMENT] },
    ]);
    const asAdmin = { ...org, callerAccountId: ADMIN, callerRole: 'admin' as const };
    expect(planRegion(asAdmin, state(undefined), options).steps).toEqual([
      { kind: 'sh-add-members', as: 'admin', accountIds: [MANAGEMENT] },
    ]);
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
      { kind: 'gd-org-config', as: 'admin', plans: PLANS },
      { kind: 'gd-add-members', as: 'admin', accountIds: [removed] },
      { kind: 'gd-start-monitoring', as: 'admin', accountIds: [stopped] },
      { kind: 'gd-member-plans', as: 'admin', accountIds: [lacking], plans: PLANS },
    ]);
    expect(plan.steps.map((step) => describeStep(step)).slice(1)).toEqual([
      'set GuardDuty organization auto-enable to ALL with plans s3,eks,malware,rds,lambda',
      'add 1 account(s) as GuardDuty members',
      'restart GuardDuty monitoring of 1 member(s) whose monitoring was stopped',
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
      { kind: 'sh-enable-management-hub', as: 'management' },
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

  it("plans only the trusted access designation does not give: Account Management's for opt-in regions, Malware Protection's; the delegation only when asked", () => {
    // Prepare
    const org = organization([], { trustedAccess: new Set(['guardduty.amazonaws.com']) });
    const optIn = { ...org, optInRegions: ['af-south-1'] };
    const options = (
      registerAccountAdmin: boolean,
      plans = PLANS,
    ): { plans: readonly ProtectionPlan[]; registerAccountAdmin: boolean } => ({
      plans,
      registerAccountAdmin,
    });
    const malware = { kind: 'trusted-access', servicePrincipal: 'malware-protection.guardduty.amazonaws.com' };
    const account = { kind: 'trusted-access', servicePrincipal: 'account.amazonaws.com' };

    // Act + Assess: GuardDuty's and Security Hub's come with designating their administrator.
    expect(planOrganization(org, options(false)).steps).toEqual([malware]);
    expect(planOrganization(org, options(false, [findPlan('s3') as ProtectionPlan])).steps).toEqual([]);
    // The security account is the management account: GuardDuty creates Malware Protection's role itself.
    expect(planOrganization({ ...org, adminAccountId: MANAGEMENT }, options(false)).steps).toEqual([]);
    expect(planOrganization(optIn, options(false)).steps).toEqual([account, malware]);
    expect(planOrganization(optIn, options(true)).steps).toEqual([account, malware, { kind: 'account-admin', adminAccountId: ADMIN }]);
    expect(
      planOrganization(
        {
          ...optIn,
          trustedAccess: new Set(['account.amazonaws.com', 'malware-protection.guardduty.amazonaws.com']),
          accountManagementAdmins: new Set([ADMIN]),
        },
        options(true),
      ),
    ).toEqual({ steps: [], notes: [] });
    const other = planOrganization({ ...optIn, accountManagementAdmins: new Set(['999999999999']) }, options(true));
    expect(other.steps).toEqual([account, malware]);
    expect(other.notes[0]).toContain(
      "AWS Account Management's delegated administrator is 999999999999, not the security account 200000000000",
    );
    expect(
      planOrganization({ ...optIn, callerRole: 'admin', trustedAccess: undefined, accountManagementAdmins: undefined }, options(true)),
    ).toEqual({ steps: [], notes: [] });
  });

  it('asks only for the plans GuardDuty offers in a region, saying so once, and expects no more of covered accounts', () => {
    // Prepare: ap-east-2 has no RDS Protection (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_regions.html).
    const org = organization(memberIds(1));
    const state = emptyState('ap-east-2');

    // Act
    const plan = planRegion(org, state, { plans: PLANS, securityHub: false });
    const covered = coveredState(org, 'ap-east-2');
    const withoutRds = (m: GuardDutyMember): GuardDutyMember => ({
      ...m,
      features: new Map([...m.features].filter(([f]) => f !== 'RDS_LOGIN_EVENTS')),
    });
    const noRds: RegionState = {
      ...covered,
      guardDuty: {
        ...covered.guardDuty,
        members: new Map([...covered.guardDuty.members].map(([id, m]) => [id, withoutRds(m)])),
        orgConfig: {
          autoEnableMembers: 'ALL',
          features: new Map(PLANS.filter((p) => p.key !== 'rds').map((p) => [p.feature, { autoEnable: 'ALL', additional: new Map() }])),
        },
      },
    };

    // Assess
    expect(plan.steps.find((s) => s.kind === 'gd-org-config')).toMatchObject({ plans: PLANS.filter((p) => p.key !== 'rds') });
    expect(plan.notes).toEqual([
      'rds not offered by GuardDuty in ap-east-2 (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_regions.html): not turned on here, not a gap',
    ]);
    expect(planRegion(org, noRds, { plans: PLANS, securityHub: false }).steps).toEqual([]);
    expect(coverageCells(org, 'ap-east-2', noRds, PLANS).filter((c) => c.gap)).toEqual([]);
  });

  it('leaves the plans a GuardDuty organization policy manages to it, and says so once for the organization', () => {
    // Prepare
    const policy = { id: 'p-1', name: 'baseline', type: 'GUARDDUTY_POLICY' as const, managedFeatures: ['S3_DATA_EVENTS'] };
    const org = organization(memberIds(1), { guardDutyPolicies: [policy] });

    // Act
    const plan = planRegion(org, emptyState('us-east-1'), { plans: PLANS, securityHub: false });
    const notes = planOrganization(org, { plans: PLANS, registerAccountAdmin: false }).notes;

    // Assess
    expect(plan.steps.find((s) => s.kind === 'gd-org-config')).toMatchObject({ plans: PLANS.filter((p) => p.key !== 's3') });
    expect(notes).toEqual(['GuardDuty organization policy "baseline" (p-1) manages S3_DATA_EVENTS: cordon leaves plans s3 to it']);
  });

  it('plans nothing in a region a service control policy denies, and says so once', () => {
    // Prepare
    const org = organization(memberIds(1));
    const state = emptyState('eu-west-1');
    const denied =
      'AccessDeniedException: User: arn:aws:sts::200000000000:assumed-role/r/s is not authorized to perform: guardduty:ListDetectors with an explicit deny in a service control policy';

    // Act
    const plan = planRegion(
      org,
      {
        ...state,
        guardDuty: { ...state.guardDuty, readError: denied },
        securityHub: { ...(state.securityHub as NonNullable<RegionState['securityHub']>), readError: denied },
      },
      { plans: PLANS, securityHub: true },
    );

    // Assess
    expect(plan).toMatchObject({ steps: [], problems: [], deniedByScp: true });
    expect(plan.blocked).toBe(
      `denied by a service control policy in eu-west-1 (${denied}): leave eu-west-1 out of --regions, or exempt the security account's role from the policy`,
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
