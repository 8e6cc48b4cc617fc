import {
  DescribeOrganizationConfigurationCommand,
  GetDetectorCommand,
  GetMemberDetectorsCommand,
  GuardDutyClient,
  ListDetectorsCommand,
  ListOrganizationAdminAccountsCommand,
  paginateListMembers,
} from '@aws-sdk/client-guardduty';
import {
  CloseAccountCommand,
  CreateAccountCommand,
  AttachPolicyCommand,
  CreateOrganizationCommand,
  CreatePolicyCommand,
  DetachPolicyCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListDelegatedAdministratorsCommand,
  ListRootsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import {
  DescribeOrganizationConfigurationCommand as ShDescribeOrganizationConfigurationCommand,
  GetEnabledStandardsCommand,
  GetFindingAggregatorCommand,
  ListFindingAggregatorsCommand,
  ListOrganizationAdminAccountsCommand as ShListOrganizationAdminAccountsCommand,
  paginateListMembers as shPaginateListMembers,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';

import { type LocalAws } from '../../local-aws';
import type { EnableSummary } from '../../src/org/enable';
import { runCli } from '../support/cli';
import { startFaultProxy } from '../support/fault-proxy';
import { HOME_CREDENTIALS, startLocal } from '../support/local';
import { credentialsFor, withCredentials, type Credentials } from '../local-aws/emulator/helpers';

/** ap-east-2 is an opt-in region where GuardDuty offers no RDS Protection (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_regions.html). */
const OPT_IN = 'ap-east-2';
const REGIONS = [OPT_IN, 'ap-southeast-2', 'eu-west-1', 'us-east-1'];
const HOME = 'us-east-1';
/** A region the first runs leave out: a later run turns it on while one of its steps is denied. */
const LATE_REGION = 'ca-central-1';
/** moto's default account: the one that creates the organization, so its management account. */
const MANAGEMENT = '123456789012';
/** Accounts created besides the management account (56 in all: CreateMembers needs two batches of ≤ 50). */
const CREATED = 55;
/** Member accounts that opt in to the opt-in region (besides the management and security accounts). */
const OPTED_IN_MEMBERS = 20;
const MUTATING =
  /^(Create|Enable|Update|Delete|Disable|Register|Deregister|Accept|Invite|Start|Stop|Disassociate|Archive|Unarchive|Put|Tag|Untag|Batch|Close|Move|Attach|Detach)/;
/** The role the management account assumes in the security account (`--admin-role-name`). */
const ADMIN_ROLE = 'OrgGuardDutyAdmin';
const DEFAULT_PLANS = ['EBS_MALWARE_PROTECTION', 'EKS_AUDIT_LOGS', 'LAMBDA_NETWORK_LOGS', 'RDS_LOGIN_EVENTS', 'S3_DATA_EVENTS'];

interface Captured {
  readonly region: string;
  readonly service: 'guardduty' | 'securityhub';
  readonly accounts: number;
}

describe('cordon enable from nothing: one run covers the organization (moto Organizations + the GuardDuty/Security Hub emulator)', () => {
  let local: LocalAws;
  let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
  let stsProxy: Awaited<ReturnType<typeof startFaultProxy>>;
  /** RoleArn of every STS AssumeRole the code under test made, with its region. */
  const assumed: Array<{ region: string; roleArn: string }> = [];
  let security = '';
  let suspended = '';
  let members: string[] = [];
  let optedIn: Set<string>;
  let adminCreds: Credentials;
  const captured: Captured[] = [];
  /** GuardDuty operations answered AccessDenied, by region (the proxy's rule). */
  const denied = new Map<string, RegExp>();

  const baseArgs = (regions: readonly string[] = REGIONS): string[] => [
    'enable',
    '--admin-account',
    security,
    '--admin-role-name',
    ADMIN_ROLE,
    '--regions',
    regions.join(','),
    '--home-region',
    HOME,
  ];
  const calls = (operation: string): number => local.emulator.calls().filter((c) => c.operation === operation).length;
  const mutatingCalls = (): string[] =>
    local.emulator
      .calls()
      .filter((c) => MUTATING.test(c.operation))
      .map((c) => `${c.service}:${c.operation}@${c.region}`);
  const config = (region: string, credentials: Credentials = HOME_CREDENTIALS): Record<string, unknown> => ({
    endpoint: local.endpoint,
    region,
    credentials,
    maxAttempts: 1,
  });
  /** Accounts that should be covered in a region (active, region enabled). */
  const targets = (region: string): string[] =>
    [MANAGEMENT, security, ...members].filter((id) => id !== suspended && (region !== OPT_IN || optedIn.has(id)));
  const pairs = (regions: readonly string[] = REGIONS): number => regions.reduce((n, r) => n + targets(r).length, 0);

  async function gdMembers(region: string): Promise<Map<string, string>> {
    const gd = new GuardDutyClient(config(region, adminCreds));
    const detectorId = (await gd.send(new ListDetectorsCommand({}))).DetectorIds?.[0] ?? '';
    const out = new Map<string, string>();
    for await (const page of paginateListMembers({ client: gd }, { DetectorId: detectorId, OnlyAssociated: 'false' })) {
      for (const m of page.Members ?? []) out.set(m.AccountId ?? '', m.RelationshipStatus ?? '');
    }
    return out;
  }
  async function memberPlans(region: string, accountIds: readonly string[]): Promise<string[][]> {
    const gd = new GuardDutyClient(config(region, adminCreds));
    const detectorId = (await gd.send(new ListDetectorsCommand({}))).DetectorIds?.[0] ?? '';
    const out = await gd.send(new GetMemberDetectorsCommand({ DetectorId: detectorId, AccountIds: [...accountIds] }));
    return (out.MemberDataSourceConfigurations ?? []).map((m) =>
      (m.Features ?? [])
        .filter((f) => f.Status === 'ENABLED' && DEFAULT_PLANS.includes(f.Name ?? ''))
        .map((f) => f.Name ?? '')
        .sort(),
    );
  }
  async function shMembers(region: string): Promise<Map<string, string>> {
    const sh = new SecurityHubClient(config(region, adminCreds));
    const out = new Map<string, string>();
    for await (const page of shPaginateListMembers({ client: sh }, { OnlyAssociated: false })) {
      for (const m of page.Members ?? []) out.set(m.AccountId ?? '', m.MemberStatus ?? '');
    }
    return out;
  }

  beforeAll(async () => {
    // Dozens of accounts and no IAM policy attached: moto need not build the AWS managed policies for each.
    local = await startLocal({ awsManagedPolicies: false });
    // Prepare: an organization of 56 accounts where nothing is enabled; one suspended; the opt-in region opted in by some.
    const org = new OrganizationsClient(config(HOME));
    await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const created: string[] = [];
    for (let i = 0; i < CREATED; i += 1) {
      const out = await org.send(new CreateAccountCommand({ AccountName: `account-${i}`, Email: `account-${i}@example.com` }));
      created.push(out.CreateAccountStatus?.AccountId ?? '');
    }
    [security = '', suspended = '', ...members] = created;
    await org.send(new CloseAccountCommand({ AccountId: suspended }));
    optedIn = new Set([MANAGEMENT, security, ...members.slice(0, OPTED_IN_MEMBERS)]);
    for (const id of optedIn) local.emulator.setRegionOptStatus(id, OPT_IN, 'ENABLED');
    adminCreds = await credentialsFor(local, security);

    // Every GuardDuty and Security Hub request passes through a recording proxy (and can be denied per region and operation).
    proxy = await startFaultProxy(local.endpoint, ({ path, body, authorization, call }) => {
      const scope = /Credential=[^/]+\/\d+\/([^/]+)\/([^/]+)\//.exec(authorization);
      const region = scope?.[1] ?? '';
      const service = scope?.[2] === 'securityhub' ? 'securityhub' : 'guardduty';
      const rule = denied.get(region);
      if (service === 'guardduty' && rule?.test(call?.operation ?? '')) {
        return {
          status: 403,
          contentType: 'application/json',
          body: JSON.stringify({
            __type: 'AccessDeniedException',
            message: `User is not authorized to perform guardduty:${call?.operation ?? ''} in ${region}`,
          }),
        };
      }
      if (/^\/detector\/[^/]+\/member$/.test(path) || path === '/members') {
        const parsed = JSON.parse(body) as { accountDetails?: unknown[]; AccountDetails?: unknown[] };
        captured.push({ region, service, accounts: (parsed.accountDetails ?? parsed.AccountDetails ?? []).length });
      }
      return undefined;
    });
    process.env.AWS_ENDPOINT_URL_GUARDDUTY = proxy.endpoint;
    process.env.AWS_ENDPOINT_URL_SECURITYHUB = proxy.endpoint;
    // STS too, to see which role the management account assumes.
    stsProxy = await startFaultProxy(local.endpoint, ({ call }) => {
      if (call?.operation === 'AssumeRole') assumed.push({ region: call.region, roleArn: call.params.get('RoleArn') ?? '' });
      return undefined;
    });
    process.env.AWS_ENDPOINT_URL_STS = stsProxy.endpoint;
  });

  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_GUARDDUTY;
    delete process.env.AWS_ENDPOINT_URL_SECURITYHUB;
    delete process.env.AWS_ENDPOINT_URL_STS;
    await proxy?.stop();
    await stsProxy?.stop();
    await local?.stop();
  });

  it('plans every change in a dry run, settings before members, and makes none', async () => {
    // Act
    local.emulator.resetCalls();
    const run = await runCli([...baseArgs(), '--dry-run']);

    // Assess
    expect(run.stderr).toContain(`${CREATED} active account(s), 1 skipped (${suspended} SUSPENDED)`);
    expect(run.code).toBe(0);
    expect(mutatingCalls()).toEqual([]);
    // GuardDuty's and Security Hub's trusted access come with designating them; Malware Protection's and Account Management's do not.
    expect(run.stdout).not.toContain('trusted access for guardduty.amazonaws.com');
    expect(run.stdout).not.toContain('trusted access for securityhub.amazonaws.com');
    expect(run.stdout).toContain('PLAN    organization: enable trusted access for account.amazonaws.com in AWS Organizations');
    expect(run.stdout).toContain(
      'PLAN    organization: enable trusted access for malware-protection.guardduty.amazonaws.com in AWS Organizations',
    );
    // Registering the security account with AWS Account Management is opt-in (--register-account-admin).
    expect(run.stdout).not.toContain('AWS Account Management delegated administrator');
    for (const region of REGIONS) {
      const lines = run.stdout.split('\n').filter((l) => l.startsWith(`PLAN    ${region}: `));
      const at = (text: string): number => lines.findIndex((l) => l.includes(text));
      expect(at(`designate ${security} as GuardDuty delegated administrator`)).toBeGreaterThanOrEqual(0);
      expect(at("set up the security account's GuardDuty detector, which designating it creates")).toBeGreaterThan(0);
      expect(at('set GuardDuty organization auto-enable to ALL')).toBeLessThan(at('account(s) as GuardDuty members'));
      expect(at('account(s) as GuardDuty members')).toBeGreaterThan(0);
      // Central configuration decides Security Hub's members: no CreateMembers, no AutoEnable.
      expect(at('as Security Hub members')).toBe(-1);
      expect(at('auto-enable for new organization accounts')).toBe(-1);
    }
    expect(run.stdout).toContain(`PLAN    ${OPT_IN}: set GuardDuty organization auto-enable to ALL with plans s3,eks,malware,lambda`);
    expect(run.stdout).toContain(`PLAN    ${HOME}: set GuardDuty organization auto-enable to ALL with plans s3,eks,malware,rds,lambda`);
    expect(run.stdout).toContain(`Note: ${OPT_IN}: rds not offered by GuardDuty in ${OPT_IN}`);
    expect(run.stdout).toContain('PLAN    us-east-1: add 50 account(s) as GuardDuty members');
    expect(run.stdout).toContain(`PLAN    ${HOME}: create the Security Hub finding aggregator (all regions)`);
    expect(run.stdout).toContain(`PLAN    ${HOME}: start Security Hub central configuration from this home region (as AWS recommends)`);
    expect(run.stdout).toContain(
      `PLAN    ${HOME}: associate the organization root with a configuration policy that enables Security Hub without standards`,
    );
    expect(run.stdout).toContain(`PLAN    ${HOME}: enable Security Hub in the management account (without default standards)`);
    // Central configuration, started in the home region, sets Security Hub's administrator in the regions it links.
    expect(run.stdout).not.toContain(`PLAN    eu-west-1: designate ${security} as Security Hub administrator`);
    expect(run.stdout).toMatch(/Dry run: \d+ change\(s\) planned; nothing changed\./);
    const admins = await new GuardDutyClient(config(HOME)).send(new ListOrganizationAdminAccountsCommand({}));
    expect(admins.AdminAccounts).toEqual([]);
  });

  it('covers every active account in every region in ONE run: GuardDuty with its plans as offered there, Security Hub by central configuration', async () => {
    // Act
    local.emulator.resetCalls();
    assumed.length = 0;
    captured.length = 0;
    const run = await runCli([...baseArgs(), '--json']);
    const summary = run.lines[0] as unknown as EnableSummary;

    // Assess: the run
    expect(run.code).toBe(0);
    expect(summary.covered).toBe(true);
    expect(summary.failures).toBe(0);
    expect(summary.securityHubMode).toBe('central');
    expect(summary.skippedAccounts).toEqual([{ accountId: suspended, name: 'account-1', state: 'SUSPENDED' }]);
    expect(summary.regions.map((r) => [r.region, r.covered, r.targeted, r.withAllPlans, r.errors, r.gaps])).toEqual(
      REGIONS.map((r) => [r, targets(r).length, targets(r).length, targets(r).length, [], []]),
    );
    expect(summary.organization.map((c) => [c.step, c.status])).toEqual([
      ['enable trusted access for account.amazonaws.com in AWS Organizations', 'done'],
      ['enable trusted access for malware-protection.guardduty.amazonaws.com in AWS Organizations', 'done'],
    ]);
    expect(summary.regions.find((r) => r.region === OPT_IN)?.notes).toEqual([
      expect.stringMatching(
        /^rds not offered by GuardDuty in ap-east-2 \(https:\/\/docs\.aws\.amazon\.com\/guardduty\/latest\/ug\/guardduty_regions\.html\)/,
      ),
    ]);
    // The detector designating created is adopted, never created twice; members get their plans from CreateMembers.
    expect(calls('CreateDetector')).toBe(0);
    expect(calls('UpdateMemberDetectors')).toBe(0);
    // ListRegions paced under the Account API's quota (5 a second): every call answered the first time.
    expect(calls('ListRegions')).toBe(1 + CREATED - 1);
    // One AssumeRole into the security account's --admin-role-name role per region, reused for every call there.
    expect(assumed.map((a) => a.region).sort()).toEqual(REGIONS);
    expect(new Set(assumed.map((a) => a.roleArn))).toEqual(new Set([`arn:aws:iam::${security}:role/${ADMIN_ROLE}`]));

    // Assess: batches of at most 50, and no Security Hub CreateMembers (central configuration)
    for (const region of REGIONS) {
      const sizes = captured.filter((c) => c.service === 'guardduty' && c.region === region).map((c) => c.accounts);
      expect(sizes.every((n) => n >= 1 && n <= 50)).toBe(true);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(targets(region).length - 1);
    }
    expect(captured.filter((c) => c.service === 'securityhub')).toEqual([]);

    // Assess: the organization
    const orgs = new OrganizationsClient(config(HOME));
    const trusted = await orgs.send(new ListAWSServiceAccessForOrganizationCommand({}));
    expect(trusted.EnabledServicePrincipals?.map((p) => p.ServicePrincipal)).toEqual(
      expect.arrayContaining(['guardduty.amazonaws.com', 'account.amazonaws.com', 'malware-protection.guardduty.amazonaws.com']),
    );
    const accountAdmins = await orgs.send(new ListDelegatedAdministratorsCommand({ ServicePrincipal: 'account.amazonaws.com' }));
    expect(accountAdmins.DelegatedAdministrators).toEqual([]);

    // Assess: the state in AWS, region by region
    for (const region of REGIONS) {
      const rds = region === OPT_IN ? [] : ['RDS_LOGIN_EVENTS'];
      const expectedPlans = DEFAULT_PLANS.filter((p) => p !== 'RDS_LOGIN_EVENTS' || rds.length > 0);
      expect((await new GuardDutyClient(config(region)).send(new ListOrganizationAdminAccountsCommand({}))).AdminAccounts).toEqual([
        { AdminAccountId: security, AdminStatus: 'ENABLED' },
      ]);
      const gd = new GuardDutyClient(config(region, adminCreds));
      const detectorIds = (await gd.send(new ListDetectorsCommand({}))).DetectorIds ?? [];
      expect(detectorIds).toHaveLength(1);
      const detector = await gd.send(new GetDetectorCommand({ DetectorId: detectorIds[0] ?? '' }));
      expect(detector.Status).toBe('ENABLED');
      expect(detector.FindingPublishingFrequency).toBe('FIFTEEN_MINUTES');
      expect(
        detector.Features?.filter((f) => f.Status === 'ENABLED' && DEFAULT_PLANS.includes(f.Name ?? ''))
          .map((f) => f.Name)
          .sort(),
      ).toEqual(expectedPlans);
      const orgConfig = await gd.send(new DescribeOrganizationConfigurationCommand({ DetectorId: detectorIds[0] ?? '' }));
      expect(orgConfig.AutoEnableOrganizationMembers).toBe('ALL');
      const expected = targets(region)
        .filter((id) => id !== security)
        .sort();
      const gdStatus = await gdMembers(region);
      expect(
        [...gdStatus]
          .filter(([, s]) => s === 'Enabled')
          .map(([id]) => id)
          .sort(),
      ).toEqual(expected);
      expect(gdStatus.has(suspended)).toBe(false);
      // Malware Protection reached the members: trusted access came before them.
      for (const plans of await memberPlans(region, expected.slice(0, 3))) expect(plans).toEqual(expectedPlans);

      // Security Hub: the delegated administrator everywhere, central configuration, every account an Enabled member.
      expect((await new SecurityHubClient(config(region)).send(new ShListOrganizationAdminAccountsCommand({}))).AdminAccounts).toEqual([
        { AccountId: security, Status: 'ENABLED' },
      ]);
      const sh = new SecurityHubClient(config(region, adminCreds));
      expect((await sh.send(new ShDescribeOrganizationConfigurationCommand({}))).OrganizationConfiguration?.ConfigurationType).toBe(
        'CENTRAL',
      );
      const shStatus = await shMembers(region);
      expect(
        [...shStatus]
          .filter(([, s]) => s === 'Enabled')
          .map(([id]) => id)
          .filter((id) => expected.includes(id))
          .sort(),
      ).toEqual(expected);
    }
    const sh = new SecurityHubClient(config(HOME, adminCreds));
    const arn = (await sh.send(new ListFindingAggregatorsCommand({}))).FindingAggregators?.[0]?.FindingAggregatorArn;
    const aggregator = await sh.send(new GetFindingAggregatorCommand({ FindingAggregatorArn: arn }));
    expect(aggregator).toMatchObject({ FindingAggregationRegion: HOME, RegionLinkingMode: 'ALL_REGIONS' });
    // No paid standards turned on: not in the management account, not in a member.
    for (const creds of [HOME_CREDENTIALS, await credentialsFor(local, members[0] ?? '')]) {
      expect((await new SecurityHubClient(config(HOME, creds)).send(new GetEnabledStandardsCommand({}))).StandardsSubscriptions).toEqual(
        [],
      );
    }
  });

  it("without AWS Account Management's delegation, the security account cannot tell who opted in: coverage says so, and how to fix it", async () => {
    // Act: as the security account, as the scheduled enabler's own checks or an analyst would run it.
    const run = await withCredentials(adminCreds, () => runCli(['coverage', '--regions', REGIONS.join(','), '--json']));

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`warning: opt-in status of ${OPT_IN} unknown for ${CREATED - 1} account(s)`);
    expect(run.stderr).toContain('--register-account-admin');
    const unknown = run.lines.filter((c) => c.status === 'unknown');
    expect(new Set(unknown.map((c) => c.region))).toEqual(new Set([OPT_IN]));
    expect(unknown).toHaveLength(CREATED - optedIn.size);
    // Members in the opt-in region are covered even so.
    expect(run.lines.filter((c) => c.region === OPT_IN && c.status === 'member-enabled')).toHaveLength(optedIn.size - 1);
  });

  it('changes nothing on a second run, and says so', async () => {
    // Act
    local.emulator.resetCalls();
    const run = await runCli(baseArgs());

    // Assess
    expect(run.code).toBe(0);
    expect(mutatingCalls()).toEqual([]);
    expect(run.stdout).toContain(
      `Nothing to change: every targeted account and region is covered (${pairs()} account×region pairs, ${CREATED} accounts, 4 regions).`,
    );
    expect(run.stdout).not.toMatch(/^DONE/m);
    expect(run.stdout).toMatch(
      /^us-east-1\s+self\s+55\/55\s+55\/55\s+s3,eks,malware,rds,lambda\s+FIFTEEN_MINUTES\s+admin self, 54\/54 members, central, aggregator\s+-$/m,
    );
    expect(run.stdout).toMatch(/^ap-east-2\s+self\s+22\/22\s+22\/22\s+s3,eks,malware,lambda\s+/m);
    // "Not offered here" is a note, said once, never a gap.
    expect(run.stdout.match(/rds not offered by GuardDuty in ap-east-2/g)).toHaveLength(1);
  });

  it('leaves the plans a GuardDuty organization policy manages to it: said once, nothing planned for them, no gap', async () => {
    // Prepare: a GUARDDUTY_POLICY attached to the root that manages Lambda Protection
    // (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_guardduty.html).
    const org = new OrganizationsClient(config(HOME));
    const rootId = (await org.send(new ListRootsCommand({}))).Roots?.[0]?.Id ?? '';
    const created = await org.send(
      new CreatePolicyCommand({
        Name: 'gd-lambda',
        Description: 'Lambda Protection everywhere',
        Type: 'GUARDDUTY_POLICY',
        Content: JSON.stringify({ guardduty: { default: { lambda_network_logs: { enable: { '@@assign': true } } } } }),
      }),
    );
    const policyId = created.Policy?.PolicySummary?.Id ?? '';
    await org.send(new AttachPolicyCommand({ PolicyId: policyId, TargetId: rootId }));

    try {
      // Act
      local.emulator.resetCalls();
      const run = await runCli(baseArgs());

      // Assess
      expect(run.code).toBe(0);
      expect(mutatingCalls()).toEqual([]);
      expect(run.stdout.match(/GuardDuty organization policy "gd-lambda"/g)).toEqual(['GuardDuty organization policy "gd-lambda"']);
      expect(run.stdout).toContain(
        `Note: organization: GuardDuty organization policy "gd-lambda" (${policyId}) manages LAMBDA_NETWORK_LOGS: cordon leaves plans lambda to it`,
      );
    } finally {
      await org.send(new DetachPolicyCommand({ PolicyId: policyId, TargetId: rootId }));
    }
  });

  it('registers the security account with AWS Account Management only when asked; then coverage from it sees every opt-in region: exit 0', async () => {
    // Act
    const run = await runCli([...baseArgs(), '--register-account-admin', '--json']);
    const coverage = await withCredentials(adminCreds, () =>
      runCli(['coverage', '--regions', REGIONS.join(','), '--features', 's3,eks,malware,rds,lambda']),
    );

    // Assess
    const summary = run.lines[0] as unknown as EnableSummary;
    expect(run.code).toBe(0);
    expect(summary.organization.map((c) => [c.step, c.status])).toEqual([
      [`register ${security} as AWS Account Management delegated administrator (to read accounts' opt-in regions)`, 'done'],
    ]);
    expect(coverage.stderr).not.toContain('unknown');
    expect(coverage.code).toBe(0);
    expect(coverage.stdout).toContain(`Covered: ${pairs()} account×region pair(s), no gaps.`);
  });

  it('reports a region a service control policy denies once, with what to do, and completes the others', async () => {
    // Prepare: a region-deny SCP over the security account (Control Tower's, say) in eu-west-1.
    local.emulator.denyByServiceControlPolicy([security], ['eu-west-1']);

    try {
      // Act
      const run = await runCli([...baseArgs(), '--json']);
      const text = await runCli(baseArgs());
      const summary = run.lines[0] as unknown as EnableSummary;

      // Assess
      expect(run.code).toBe(1);
      expect(summary.deniedByScp).toEqual(['eu-west-1']);
      const region = summary.regions.find((r) => r.region === 'eu-west-1');
      expect(region?.errors).toEqual([
        expect.stringMatching(
          /^denied by a service control policy in eu-west-1 \(.*with an explicit deny in a service control policy\): leave eu-west-1 out of --regions, or exempt the security account's role from the policy$/,
        ),
      ]);
      expect(region?.gaps).toEqual([]);
      expect(region?.changes).toEqual([]);
      expect(summary.regions.filter((r) => r.region !== 'eu-west-1').every((r) => r.errors.length === 0 && r.gaps.length === 0)).toBe(true);
      expect(text.stdout.split('\n').filter((l) => l.startsWith('  eu-west-1: '))).toEqual([
        expect.stringContaining('  eu-west-1: denied by a service control policy in eu-west-1'),
      ]);
      expect(text.stdout).toContain(
        "Denied by a service control policy: eu-west-1 (leave them out of --regions, or exempt the security account's role from the policy)",
      );
    } finally {
      local.emulator.denyByServiceControlPolicy([security], []);
    }
  });

  it('one failing step stops no other: GuardDuty organization configuration denied in a new region, members still added with their plans, a new account picked up', async () => {
    // Prepare
    const org = new OrganizationsClient(config(HOME));
    const added =
      (await org.send(new CreateAccountCommand({ AccountName: 'late', Email: 'late@example.com' }))).CreateAccountStatus?.AccountId ?? '';
    members.push(added);
    denied.set(LATE_REGION, /^UpdateOrganizationConfiguration$/);
    const regions = [...REGIONS, LATE_REGION];

    try {
      // Act
      const run = await runCli([...baseArgs(regions), '--json']);
      const summary = run.lines[0] as unknown as EnableSummary;

      // Assess
      expect(run.code).toBe(1);
      const late = summary.regions.find((r) => r.region === LATE_REGION);
      expect(late?.changes.map((c) => [c.step, c.status])).toEqual([
        [`designate ${security} as GuardDuty delegated administrator`, 'done'],
        ['enable Security Hub in the management account (without default standards), which membership never does', 'done'],
        [
          "set up the security account's GuardDuty detector, which designating it creates (publishing FIFTEEN_MINUTES, plans s3,eks,malware,rds,lambda)",
          'done',
        ],
        ['set GuardDuty organization auto-enable to ALL with plans s3,eks,malware,rds,lambda', 'failed'],
        ['add 50 account(s) as GuardDuty members', 'done'],
        [`add ${targets(LATE_REGION).length - 1 - 50} account(s) as GuardDuty members`, 'done'],
        // The second round sets the plans the organization configuration could not.
        ['turn on plans s3,eks,malware,rds,lambda for 50 member(s) missing some', 'done'],
        [`turn on plans s3,eks,malware,rds,lambda for ${targets(LATE_REGION).length - 1 - 50} member(s) missing some`, 'done'],
      ]);
      expect(late?.errors).toEqual([
        expect.stringMatching(/^set GuardDuty organization auto-enable to ALL .*: AccessDeniedException: User is not authorized/),
      ]);
      expect(late?.covered).toBe(targets(LATE_REGION).length);
      expect(late?.withAllPlans).toBe(targets(LATE_REGION).length);
      expect(late?.securityHub).toMatchObject({ admin: 'self', membersEnabled: targets(LATE_REGION).length - 1 });
      const byRegion = new Map(summary.regions.map((r) => [r.region, r]));
      for (const region of REGIONS) {
        expect(byRegion.get(region)?.errors).toEqual([]);
        expect(byRegion.get(region)?.gaps).toEqual([]);
      }
      expect((await gdMembers(HOME)).get(added)).toBe('Enabled');
      expect((await shMembers(HOME)).get(added)).toBe('Enabled');
      expect((await gdMembers(OPT_IN)).has(added)).toBe(false);
    } finally {
      denied.delete(LATE_REGION);
    }
  });

  it('repairs the organization configuration on the next run once access is back', async () => {
    // Act
    const run = await runCli([...baseArgs([...REGIONS, LATE_REGION]), '--json']);
    const summary = run.lines[0] as unknown as EnableSummary;

    // Assess
    expect(run.code).toBe(0);
    expect(summary.regions.find((r) => r.region === LATE_REGION)?.changes.map((c) => [c.step, c.status])).toEqual([
      ['set GuardDuty organization auto-enable to ALL with plans s3,eks,malware,rds,lambda', 'done'],
    ]);
    expect(summary.regions.map((r) => [r.region, r.covered, r.targeted])).toEqual(
      [...REGIONS, LATE_REGION].sort().map((r) => [r, targets(r).length, targets(r).length]),
    );
  });
});
