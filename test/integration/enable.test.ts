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
  CreateOrganizationCommand,
  ListAWSServiceAccessForOrganizationCommand,
  ListDelegatedAdministratorsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import {
  DescribeOrganizationConfigurationCommand as ShDescribeOrganizationConfigurationCommand,
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

const REGIONS = ['af-south-1', 'ap-southeast-2', 'eu-west-1', 'us-east-1'];
const OPT_IN = 'af-south-1';
const HOME = 'us-east-1';
/** moto's default account: the one that creates the organization, so its management account. */
const MANAGEMENT = '123456789012';
/** Accounts created besides the management account (56 in all: CreateMembers needs two batches of ≤ 50). */
const CREATED = 55;
/** Member accounts that opt in to af-south-1 (besides the management and security accounts). */
const OPTED_IN_MEMBERS = 20;
const MUTATING =
  /^(Create|Enable|Update|Delete|Disable|Register|Deregister|Accept|Invite|Start|Stop|Disassociate|Archive|Unarchive|Put|Tag|Untag|Batch|Close|Move|Attach|Detach)/;
/** The role the management account assumes in the security account (`--admin-role-name`). */
const ADMIN_ROLE = 'OrgGuardDutyAdmin';

interface Captured {
  readonly region: string;
  readonly service: 'guardduty' | 'securityhub';
  readonly accounts: number;
}

describe('cordon enable against moto Organizations and the GuardDuty/Security Hub emulator', () => {
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
  let denyRegion: string | undefined;
  /** A region where GuardDuty CreateMembers (only) is denied: a failure while applying. */
  let denyCreateMembersRegion: string | undefined;

  const baseArgs = (): string[] => [
    'enable',
    '--admin-account',
    security,
    '--admin-role-name',
    ADMIN_ROLE,
    '--regions',
    REGIONS.join(','),
    '--home-region',
    HOME,
  ];
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

  async function gdMembers(region: string): Promise<Map<string, string>> {
    const gd = new GuardDutyClient(config(region, adminCreds));
    const detectorId = (await gd.send(new ListDetectorsCommand({}))).DetectorIds?.[0] ?? '';
    const out = new Map<string, string>();
    for await (const page of paginateListMembers({ client: gd }, { DetectorId: detectorId, OnlyAssociated: 'false' })) {
      for (const m of page.Members ?? []) out.set(m.AccountId ?? '', m.RelationshipStatus ?? '');
    }
    return out;
  }

  beforeAll(async () => {
    // Dozens of accounts and no IAM policy attached: moto need not build the AWS managed policies for each.
    local = await startLocal({ awsManagedPolicies: false });
    // Prepare: an organization of 56 accounts; one suspended; af-south-1 opted in by some.
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

    // Every GuardDuty and Security Hub request passes through a recording proxy (and can be denied per region).
    proxy = await startFaultProxy(local.endpoint, ({ path, body, authorization, call }) => {
      const scope = /Credential=[^/]+\/\d+\/([^/]+)\/([^/]+)\//.exec(authorization);
      const region = scope?.[1] ?? '';
      const service = scope?.[2] === 'securityhub' ? 'securityhub' : 'guardduty';
      const denied = (what: string): { status: number; contentType: string; body: string } => ({
        status: 403,
        contentType: 'application/json',
        body: JSON.stringify({ __type: 'AccessDeniedException', message: `User is not authorized to perform ${what} in ${region}` }),
      });
      if (service === 'guardduty' && region === denyRegion) return denied('guardduty actions');
      if (service === 'guardduty' && region === denyCreateMembersRegion && call?.operation === 'CreateMembers')
        return denied('guardduty:CreateMembers');
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

  it('plans every change in a dry run and makes none', async () => {
    // Act
    local.emulator.resetCalls();
    const run = await runCli([...baseArgs(), '--dry-run']);

    // Assess
    expect(run.stderr).toContain(`${CREATED + 1 - 1} active account(s), 1 skipped (${suspended} SUSPENDED)`);
    expect(run.code).toBe(0);
    expect(mutatingCalls()).toEqual([]);
    expect(run.stdout).toContain('PLAN    organization: enable trusted access for guardduty.amazonaws.com in AWS Organizations');
    expect(run.stdout).toContain('PLAN    organization: enable trusted access for account.amazonaws.com in AWS Organizations');
    expect(run.stdout).toContain(
      `PLAN    organization: register ${security} as AWS Account Management delegated administrator (to read accounts' opt-in regions)`,
    );
    for (const region of REGIONS) {
      expect(run.stdout).toContain(`PLAN    ${region}: designate ${security} as GuardDuty delegated administrator`);
      expect(run.stdout).toContain(`PLAN    ${region}: set GuardDuty organization auto-enable to ALL with plans s3,eks,malware,rds,lambda`);
    }
    expect(run.stdout).toContain('PLAN    us-east-1: add 50 account(s) as GuardDuty members');
    expect(run.stdout).toContain(`PLAN    us-east-1: add ${targets('us-east-1').length - 1 - 50} account(s) as GuardDuty members`);
    // AWS answers other accounts' opt-in status only after trusted access for Account Management, which a dry run does not
    // enable: only the management account (which asks about itself) is known to have opted in to af-south-1.
    expect(run.stdout).toContain(`PLAN    ${OPT_IN}: add 1 account(s) as GuardDuty members`);
    expect(run.stdout).toMatch(
      /Warning: opt-in status of af-south-1 unknown for 54 account\(s\) .*Your organization must first enable trusted access with AWS Account Management/,
    );
    expect(run.stdout).toContain('PLAN    us-east-1: create the Security Hub finding aggregator (all regions)');
    expect(run.stdout).not.toContain('PLAN    eu-west-1: create the Security Hub finding aggregator');
    expect(run.stdout).toMatch(/Dry run: \d+ change\(s\) planned; nothing changed\./);
    const admins = await new GuardDutyClient(config(HOME)).send(new ListOrganizationAdminAccountsCommand({}));
    expect(admins.AdminAccounts).toEqual([]);
  });

  it('covers every active account in every region, in batches of at most 50', async () => {
    // Act
    local.emulator.resetCalls();
    assumed.length = 0;
    const run = await runCli([...baseArgs(), '--json']);
    const summary = run.lines[0] as unknown as EnableSummary;

    // Assess: the run
    expect(run.stderr).not.toContain('gaps');
    expect(run.code).toBe(0);
    expect(summary.covered).toBe(true);
    expect(summary.skippedAccounts).toEqual([{ accountId: suspended, name: 'account-1', state: 'SUSPENDED' }]);
    expect(summary.regions.map((r) => [r.region, r.covered, r.targeted, r.errors])).toEqual(
      REGIONS.map((r) => [r, targets(r).length, targets(r).length, []]),
    );
    // One AssumeRole into the security account's --admin-role-name role per region, reused for every call there.
    expect(
      local.emulator
        .calls()
        .filter((c) => c.operation === 'AssumeRole')
        .map((c) => c.region)
        .sort(),
    ).toEqual(REGIONS);
    expect(assumed.map((a) => a.region).sort()).toEqual(REGIONS);
    expect(new Set(assumed.map((a) => a.roleArn))).toEqual(new Set([`arn:aws:iam::${security}:role/${ADMIN_ROLE}`]));
    expect(summary.regions.every((r) => r.withAllPlans === r.targeted)).toBe(true);

    // Assess: progress in accounts × regions, advancing as member batches are added, not only per region
    const progress = run.stderr.split('\n').filter((l) => l.includes('accounts×regions)'));
    const total = REGIONS.reduce((n, r) => n + targets(r).length, 0);
    expect(run.stderr).toContain(`cordon enable: ${total} account×region pairs to cover`);
    expect(progress.filter((l) => l.includes('add 50 account(s) as GuardDuty members'))).toHaveLength(3);
    const counts = progress.map((l) => Number(/\((\d+)\/\d+ accounts×regions\)/.exec(l)?.[1]));
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBe(total);
    expect(progress.length).toBeGreaterThan(REGIONS.length);

    // Assess: batches
    const gdBatches = captured.filter((c) => c.service === 'guardduty');
    expect(Math.max(...captured.map((c) => c.accounts))).toBe(50);
    for (const region of REGIONS) {
      const sizes = gdBatches.filter((c) => c.region === region).map((c) => c.accounts);
      expect(sizes.every((n) => n >= 1 && n <= 50)).toBe(true);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(targets(region).length - 1);
      const shSizes = captured.filter((c) => c.service === 'securityhub' && c.region === region).map((c) => c.accounts);
      expect(shSizes.every((n) => n >= 1 && n <= 50)).toBe(true);
      expect(shSizes.reduce((a, b) => a + b, 0)).toBe(targets(region).length - 1);
    }

    // Assess: the state in AWS, region by region
    const orgs = new OrganizationsClient(config(HOME));
    const trusted = await orgs.send(new ListAWSServiceAccessForOrganizationCommand({}));
    expect(trusted.EnabledServicePrincipals?.map((p) => p.ServicePrincipal)).toEqual(
      expect.arrayContaining(['guardduty.amazonaws.com', 'securityhub.amazonaws.com', 'account.amazonaws.com']),
    );
    const accountAdmins = await orgs.send(new ListDelegatedAdministratorsCommand({ ServicePrincipal: 'account.amazonaws.com' }));
    expect(accountAdmins.DelegatedAdministrators?.map((a) => a.Id)).toEqual([security]);
    for (const region of REGIONS) {
      const gdManagement = new GuardDutyClient(config(region));
      expect((await gdManagement.send(new ListOrganizationAdminAccountsCommand({}))).AdminAccounts).toEqual([
        { AdminAccountId: security, AdminStatus: 'ENABLED' },
      ]);
      const shManagement = new SecurityHubClient(config(region));
      expect((await shManagement.send(new ShListOrganizationAdminAccountsCommand({}))).AdminAccounts).toEqual([
        { AccountId: security, Status: 'ENABLED' },
      ]);

      const gd = new GuardDutyClient(config(region, adminCreds));
      const detectorId = (await gd.send(new ListDetectorsCommand({}))).DetectorIds?.[0] ?? '';
      const detector = await gd.send(new GetDetectorCommand({ DetectorId: detectorId }));
      expect(detector.Status).toBe('ENABLED');
      expect(detector.FindingPublishingFrequency).toBe('FIFTEEN_MINUTES');
      expect(
        detector.Features?.filter((f) => f.Status === 'ENABLED')
          .map((f) => f.Name)
          .sort(),
      ).toEqual([
        'CLOUD_TRAIL',
        'DNS_LOGS',
        'EBS_MALWARE_PROTECTION',
        'EKS_AUDIT_LOGS',
        'FLOW_LOGS',
        'LAMBDA_NETWORK_LOGS',
        'RDS_LOGIN_EVENTS',
        'S3_DATA_EVENTS',
      ]);
      const orgConfig = await gd.send(new DescribeOrganizationConfigurationCommand({ DetectorId: detectorId }));
      expect(orgConfig.AutoEnableOrganizationMembers).toBe('ALL');
      expect(Object.fromEntries((orgConfig.Features ?? []).map((f) => [f.Name, f.AutoEnable]))).toMatchObject({
        S3_DATA_EVENTS: 'ALL',
        EKS_AUDIT_LOGS: 'ALL',
        EBS_MALWARE_PROTECTION: 'ALL',
        RDS_LOGIN_EVENTS: 'ALL',
        LAMBDA_NETWORK_LOGS: 'ALL',
        RUNTIME_MONITORING: 'NONE',
      });
      const gdStatus = await gdMembers(region);
      const expected = targets(region)
        .filter((id) => id !== security)
        .sort();
      expect(
        [...gdStatus]
          .filter(([, s]) => s === 'Enabled')
          .map(([id]) => id)
          .sort(),
      ).toEqual(expected);
      expect(gdStatus.has(suspended)).toBe(false);
      const memberDetectors = await gd.send(new GetMemberDetectorsCommand({ DetectorId: detectorId, AccountIds: expected.slice(0, 3) }));
      for (const m of memberDetectors.MemberDataSourceConfigurations ?? []) {
        expect(m.Features?.find((f) => f.Name === 'S3_DATA_EVENTS')?.Status).toBe('ENABLED');
      }

      const sh = new SecurityHubClient(config(region, adminCreds));
      expect((await sh.send(new ShDescribeOrganizationConfigurationCommand({}))).AutoEnable).toBe(true);
      const shStatus: string[] = [];
      for await (const page of shPaginateListMembers({ client: sh }, { OnlyAssociated: true })) {
        shStatus.push(...(page.Members ?? []).filter((m) => m.MemberStatus === 'Enabled').map((m) => m.AccountId ?? ''));
      }
      expect(shStatus.sort()).toEqual(expected);
    }
    const sh = new SecurityHubClient(config(HOME, adminCreds));
    const arn = (await sh.send(new ListFindingAggregatorsCommand({}))).FindingAggregators?.[0]?.FindingAggregatorArn;
    const aggregator = await sh.send(new GetFindingAggregatorCommand({ FindingAggregatorArn: arn }));
    expect(aggregator).toMatchObject({ FindingAggregationRegion: HOME, RegionLinkingMode: 'ALL_REGIONS' });
  });

  it('lets the security account see the opt-in region covered right after: cordon coverage exits 0', async () => {
    // Act: as the security account (Account Management's delegated administrator now), as the scheduled enabler runs.
    const text = await withCredentials(adminCreds, () =>
      runCli(['coverage', '--regions', REGIONS.join(','), '--features', 's3,eks,malware,rds,lambda']),
    );
    const json = await withCredentials(adminCreds, () => runCli(['coverage', '--regions', REGIONS.join(','), '--json']));

    // Assess
    const pairs = REGIONS.reduce((n, r) => n + targets(r).length, 0);
    expect(text.stderr).not.toContain('unknown');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Covered: ${pairs} account×region pair(s), no gaps.`);
    expect(json.code).toBe(0);
    const optIn = json.lines.filter((c) => c.region === OPT_IN);
    expect(
      optIn
        .filter((c) => c.status === 'member-enabled' || c.status === 'administrator')
        .map((c) => c.accountId)
        .sort(),
    ).toEqual([...optedIn].sort());
    expect(optIn.filter((c) => c.status === 'region-not-enabled')).toHaveLength(CREATED - optedIn.size);
    expect(json.lines.some((c) => c.gap === true)).toBe(false);
  });

  it('changes nothing on a second run, and says so', async () => {
    // Act
    local.emulator.resetCalls();
    const run = await runCli(baseArgs());

    // Assess
    expect(run.code).toBe(0);
    expect(mutatingCalls()).toEqual([]);
    const pairs = REGIONS.reduce((n, r) => n + targets(r).length, 0);
    expect(run.stdout).toContain(
      `Nothing to change: every targeted account and region is covered (${pairs} account×region pairs, ${CREATED} accounts, 4 regions).`,
    );
    expect(run.stdout).not.toMatch(/^DONE/m);
    expect(run.stdout).toMatch(
      /^us-east-1\s+self\s+55\/55\s+55\/55\s+s3,eks,malware,rds,lambda\s+FIFTEEN_MINUTES\s+admin self, 54\/54 members, auto-enable, aggregator\s+-$/m,
    );
    expect(run.stdout).toMatch(/^af-south-1\s+self\s+22\/22\s+22\/22\s+/m);
  });

  it('reports a region denied GuardDuty and one failing while applying, completes the rest (Security Hub included), picking up a new account', async () => {
    // Prepare
    const org = new OrganizationsClient(config(HOME));
    const added =
      (await org.send(new CreateAccountCommand({ AccountName: 'late', Email: 'late@example.com' }))).CreateAccountStatus?.AccountId ?? '';
    members.push(added);
    denyRegion = 'eu-west-1';
    denyCreateMembersRegion = 'ap-southeast-2';

    try {
      // Act
      local.emulator.resetCalls();
      const run = await runCli([...baseArgs(), '--json']);
      const summary = run.lines[0] as unknown as EnableSummary;
      const text = await runCli(baseArgs());

      // Assess: the run as a whole
      expect(run.code).toBe(1);
      expect(summary.covered).toBe(false);
      const byRegion = new Map(summary.regions.map((r) => [r.region, r]));

      // Assess: GuardDuty denied in eu-west-1 is reported, and Security Hub there still gets the new account.
      const denied = byRegion.get('eu-west-1');
      expect(denied?.admin).toBe('error');
      expect(denied?.errors.join()).toContain('GuardDuty ListOrganizationAdminAccounts: AccessDeniedException');
      expect(denied?.errors.join()).toContain("the security account's GuardDuty in eu-west-1 could not be read (AccessDeniedException");
      expect(denied?.changes.map((c) => [c.step, c.status])).toEqual([['add 1 account(s) as Security Hub members', 'done']]);
      expect(denied?.securityHub).toMatchObject({ admin: 'self', membersEnabled: 55, membersTargeted: 55 });

      // Assess: CreateMembers denied in ap-southeast-2 while applying: that step fails, Security Hub's completes.
      const failing = byRegion.get('ap-southeast-2');
      expect(failing?.changes.map((c) => [c.step, c.status])).toEqual([
        ['add 1 account(s) as GuardDuty members', 'failed'],
        ['add 1 account(s) as Security Hub members', 'done'],
      ]);
      expect(failing?.errors).toEqual([
        expect.stringMatching(
          /^add 1 account\(s\) as GuardDuty members: AccessDeniedException: User is not authorized to perform guardduty:CreateMembers/,
        ),
      ]);
      expect(failing?.gaps).toEqual([
        'not done: add 1 account(s) as GuardDuty members',
        expect.stringContaining(`1 account(s) not covered: ${added} (not a member)`),
      ]);
      expect((await gdMembers('ap-southeast-2')).has(added)).toBe(false);

      // Assess: the other regions complete.
      const us = byRegion.get(HOME);
      expect(us?.errors).toEqual([]);
      expect(us?.gaps).toEqual([]);
      expect(us?.changes.map((c) => [c.step, c.status])).toEqual([
        ['add 1 account(s) as GuardDuty members', 'done'],
        ['add 1 account(s) as Security Hub members', 'done'],
      ]);
      expect((await gdMembers(HOME)).get(added)).toBe('Enabled');
      for (const region of [HOME, 'eu-west-1', 'ap-southeast-2']) {
        const sh = new SecurityHubClient(config(region, adminCreds));
        const listed: string[] = [];
        for await (const page of shPaginateListMembers({ client: sh }, { OnlyAssociated: true }))
          listed.push(...(page.Members ?? []).map((m) => m.AccountId ?? ''));
        expect(listed).toContain(added);
      }
      // The late account has not opted in to af-south-1: nothing to do there.
      expect(byRegion.get(OPT_IN)?.changes).toEqual([]);
      expect(byRegion.get(OPT_IN)?.gaps).toEqual([]);

      // Assess: the text form lists the gaps.
      expect(text.code).toBe(1);
      expect(text.stdout).toMatch(
        /gaps remain:\n(.*\n)*  eu-west-1: GuardDuty's delegated administrator in eu-west-1 could not be read: GuardDuty ListOrganizationAdminAccounts: AccessDeniedException/,
      );
      expect(text.stdout).toMatch(/^ {2}ap-southeast-2: add 1 account\(s\) as GuardDuty members: AccessDeniedException/m);
    } finally {
      denyRegion = undefined;
      denyCreateMembersRegion = undefined;
    }
  });

  it('repairs the denied regions on the next run once access is back', async () => {
    // Act
    const run = await runCli([...baseArgs(), '--json']);
    const summary = run.lines[0] as unknown as EnableSummary;

    // Assess
    expect(run.code).toBe(0);
    expect(summary.regions.map((r) => [r.region, r.covered, r.targeted])).toEqual(
      REGIONS.map((r) => [r, targets(r).length, targets(r).length]),
    );
    const late = members.at(-1) ?? '';
    for (const region of ['eu-west-1', 'ap-southeast-2']) expect((await gdMembers(region)).get(late)).toBe('Enabled');
  });
});
