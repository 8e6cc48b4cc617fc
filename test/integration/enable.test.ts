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

import type { LocalAws } from '../../src/emulator/local-aws';
import type { EnableSummary } from '../../src/org/enable';
import { runCli } from '../support/cli';
import { startFaultProxy } from '../support/fault-proxy';
import { HOME_CREDENTIALS, startLocal } from '../support/local';
import { credentialsFor, type Credentials } from './emulator/helpers';

const REGIONS = ['af-south-1', 'ap-southeast-2', 'eu-west-1', 'us-east-1'];
const OPT_IN = 'af-south-1';
const HOME = 'us-east-1';
/** moto's default account: the one that creates the organization, so its management account. */
const MANAGEMENT = '123456789012';
/** Accounts created besides the management account (56 in all: CreateMembers needs two batches of ≤ 50). */
const CREATED = 55;
/** Member accounts that opt in to af-south-1 (besides the management and security accounts). */
const OPTED_IN_MEMBERS = 20;
const MUTATING = /^(Create|Enable|Update|Delete|Disable|Register|Deregister|Accept|Invite|Start|Stop|Disassociate|Archive|Unarchive|Put|Tag|Untag|Batch|Close|Move|Attach|Detach)/;

interface Captured {
  readonly region: string;
  readonly service: 'guardduty' | 'securityhub';
  readonly accounts: number;
}

describe('cordon enable against moto Organizations and the GuardDuty/Security Hub emulator', () => {
  let local: LocalAws;
  let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
  let security = '';
  let suspended = '';
  let members: string[] = [];
  let optedIn: Set<string>;
  let adminCreds: Credentials;
  const captured: Captured[] = [];
  let denyRegion: string | undefined;

  const baseArgs = (): string[] => ['enable', '--admin-account', security, '--regions', REGIONS.join(','), '--home-region', HOME];
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
    local = await startLocal();
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
    proxy = await startFaultProxy(local.endpoint, ({ path, body, authorization }) => {
      const scope = /Credential=[^/]+\/\d+\/([^/]+)\/([^/]+)\//.exec(authorization);
      const region = scope?.[1] ?? '';
      const service = scope?.[2] === 'securityhub' ? 'securityhub' : 'guardduty';
      if (service === 'guardduty' && region === denyRegion) {
        return {
          status: 403,
          contentType: 'application/json',
          body: JSON.stringify({ __type: 'AccessDeniedException', message: `User is not authorized to perform guardduty actions in ${region}` }),
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
  });

  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_GUARDDUTY;
    delete process.env.AWS_ENDPOINT_URL_SECURITYHUB;
    await proxy?.stop();
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
    for (const region of REGIONS) {
      expect(run.stdout).toContain(`PLAN    ${region}: designate ${security} as GuardDuty delegated administrator`);
      expect(run.stdout).toContain(`PLAN    ${region}: set GuardDuty organization auto-enable to ALL with plans s3,eks,malware,rds,lambda`);
    }
    expect(run.stdout).toContain('PLAN    us-east-1: add 50 account(s) as GuardDuty members');
    expect(run.stdout).toContain(`PLAN    us-east-1: add ${targets('us-east-1').length - 1 - 50} account(s) as GuardDuty members`);
    expect(run.stdout).toContain(`PLAN    ${OPT_IN}: add ${targets(OPT_IN).length - 1} account(s) as GuardDuty members`);
    expect(run.stdout).toContain('PLAN    us-east-1: create the Security Hub finding aggregator (all regions)');
    expect(run.stdout).not.toContain('PLAN    eu-west-1: create the Security Hub finding aggregator');
    expect(run.stdout).toMatch(/Dry run: \d+ change\(s\) planned; nothing changed\./);
    const admins = await new GuardDutyClient(config(HOME)).send(new ListOrganizationAdminAccountsCommand({}));
    expect(admins.AdminAccounts).toEqual([]);
  });

  it('covers every active account in every region, in batches of at most 50', async () => {
    // Act
    local.emulator.resetCalls();
    const run = await runCli([...baseArgs(), '--json']);
    const summary = run.lines[0] as unknown as EnableSummary;

    // Assess: the run
    expect(run.stderr).not.toContain('gaps');
    expect(run.code).toBe(0);
    expect(summary.covered).toBe(true);
    expect(summary.skippedAccounts).toEqual([{ accountId: suspended, name: 'account-1', state: 'SUSPENDED' }]);
    expect(summary.regions.map((r) => [r.region, r.covered, r.targeted, r.errors])).toEqual(REGIONS.map((r) => [r, targets(r).length, targets(r).length, []]));
    // One AssumeRole into the security account per region, reused for every call there.
    expect(local.emulator.calls().filter((c) => c.operation === 'AssumeRole').map((c) => c.region).sort()).toEqual(REGIONS);

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
    expect(trusted.EnabledServicePrincipals?.map((p) => p.ServicePrincipal)).toEqual(expect.arrayContaining(['guardduty.amazonaws.com', 'securityhub.amazonaws.com']));
    for (const region of REGIONS) {
      const gdManagement = new GuardDutyClient(config(region));
      expect((await gdManagement.send(new ListOrganizationAdminAccountsCommand({}))).AdminAccounts).toEqual([{ AdminAccountId: security, AdminStatus: 'ENABLED' }]);
      const shManagement = new SecurityHubClient(config(region));
      expect((await shManagement.send(new ShListOrganizationAdminAccountsCommand({}))).AdminAccounts).toEqual([{ AccountId: security, Status: 'ENABLED' }]);

      const gd = new GuardDutyClient(config(region, adminCreds));
      const detectorId = (await gd.send(new ListDetectorsCommand({}))).DetectorIds?.[0] ?? '';
      const detector = await gd.send(new GetDetectorCommand({ DetectorId: detectorId }));
      expect(detector.Status).toBe('ENABLED');
      expect(detector.FindingPublishingFrequency).toBe('FIFTEEN_MINUTES');
      expect(detector.Features?.filter((f) => f.Status === 'ENABLED').map((f) => f.Name).sort()).toEqual(
        ['CLOUD_TRAIL', 'DNS_LOGS', 'EBS_MALWARE_PROTECTION', 'EKS_AUDIT_LOGS', 'FLOW_LOGS', 'LAMBDA_NETWORK_LOGS', 'RDS_LOGIN_EVENTS', 'S3_DATA_EVENTS'],
      );
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
      const expected = targets(region).filter((id) => id !== security).sort();
      expect([...gdStatus].filter(([, s]) => s === 'Enabled').map(([id]) => id).sort()).toEqual(expected);
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

  it('changes nothing on a second run, and says so', async () => {
    // Act
    local.emulator.resetCalls();
    const run = await runCli(baseArgs());

    // Assess
    expect(run.code).toBe(0);
    expect(mutatingCalls()).toEqual([]);
    const pairs = REGIONS.reduce((n, r) => n + targets(r).length, 0);
    expect(run.stdout).toContain(`Nothing to change: every targeted account and region is covered (${pairs} account×region pairs, ${CREATED} accounts, 4 regions).`);
    expect(run.stdout).not.toMatch(/^DONE/m);
    expect(run.stdout).toMatch(/^us-east-1\s+self\s+55\/55\s+s3,eks,malware,rds,lambda\s+FIFTEEN_MINUTES\s+admin self, 54\/54 members, auto-enable, aggregator\s+-$/m);
  });

  it('reports a region that answers AccessDenied and completes the others, picking up a new account', async () => {
    // Prepare
    const org = new OrganizationsClient(config(HOME));
    const added = (await org.send(new CreateAccountCommand({ AccountName: 'late', Email: 'late@example.com' }))).CreateAccountStatus?.AccountId ?? '';
    members.push(added);
    denyRegion = 'eu-west-1';

    // Act
    try {
      local.emulator.resetCalls();
      const run = await runCli([...baseArgs(), '--json']);
      const summary = run.lines[0] as unknown as EnableSummary;

      // Assess
      expect(run.code).toBe(1);
      expect(summary.covered).toBe(false);
      const byRegion = new Map(summary.regions.map((r) => [r.region, r]));
      expect(byRegion.get('eu-west-1')?.errors.join()).toContain('AccessDeniedException');
      expect(byRegion.get('eu-west-1')?.admin).toBe('error');
      for (const region of REGIONS.filter((r) => r !== 'eu-west-1' && r !== OPT_IN)) {
        const r = byRegion.get(region);
        expect(r?.errors).toEqual([]);
        expect(r?.gaps).toEqual([]);
        expect(r?.changes.map((c) => [c.step, c.status])).toEqual([
          ['add 1 account(s) as GuardDuty members', 'done'],
          ['add 1 account(s) as Security Hub members', 'done'],
        ]);
        expect((await gdMembers(region)).get(added)).toBe('Enabled');
      }
      // The late account has not opted in to af-south-1: nothing to do there.
      expect(byRegion.get(OPT_IN)?.changes).toEqual([]);
      const text = await runCli(baseArgs());
      expect(text.code).toBe(1);
      expect(text.stdout).toMatch(/gaps remain:\n(.*\n)*  eu-west-1: reading eu-west-1: AccessDeniedException/);
    } finally {
      denyRegion = undefined;
    }
  });
});
