import {
  GetMemberDetectorsCommand,
  GuardDutyClient,
  ListDetectorsCommand,
  ListOrganizationAdminAccountsCommand,
  paginateListMembers,
  StopMonitoringMembersCommand,
  UpdateMemberDetectorsCommand,
  UpdateOrganizationConfigurationCommand,
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
  ListOrganizationAdminAccountsCommand as ShListOrganizationAdminAccountsCommand,
  paginateListMembers as shPaginateListMembers,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';

import { DEFAULT_REGIONS, type LocalAws } from '../../local-aws';
import { handler, runEnabler } from '../../src/handlers/enable';
import { buildOrgClients } from '../../src/org/clients';
import type { EnableSummary } from '../../src/org/enable';
import { enablerSettingsFromEnv } from '../../src/org/settings';
import { runCli } from '../support/cli';
import { startFaultProxy, stsAccessDenied } from '../support/fault-proxy';
import { HOME_CREDENTIALS, startLocal } from '../support/local';
import { credentialsFor, withCredentials, type Credentials } from '../local-aws/emulator/helpers';

const OPT_IN = 'af-south-1';
const HOME = 'us-east-1';
/** moto's default account: the one that creates the organization, so its management account. */
const MANAGEMENT = '123456789012';
/** The regions enabled for the management and security accounts: the default selection. */
const ENABLED_REGIONS = [...DEFAULT_REGIONS, OPT_IN].sort();
const MUTATING = /^(Create|Enable|Update|Delete|Disable|Register|Deregister|Start|Stop|Disassociate|Put|Tag|Untag|Batch|Close)/;
const DEFAULT_PLANS = 's3,eks,malware,rds,lambda';

describe('cordon enable in two steps, cordon coverage, and the scheduled enabler', () => {
  let local: LocalAws;
  let sts: Awaited<ReturnType<typeof startFaultProxy>>;
  let denyAssumeRole = false;
  let security = '';
  let suspended = '';
  let members: string[] = [];
  let adminCreds: Credentials;
  let optedIn: Set<string>;

  const config = (region: string, credentials: Credentials = HOME_CREDENTIALS): Record<string, unknown> => ({
    endpoint: local.endpoint,
    region,
    credentials,
    maxAttempts: 1,
  });
  /** Accounts that should be covered in a region (active, region enabled). */
  const targets = (region: string): string[] => [MANAGEMENT, security, ...members].filter((id) => region !== OPT_IN || optedIn.has(id));
  const mutatingCalls = (): string[] =>
    local.emulator
      .calls()
      .filter((c) => MUTATING.test(c.operation))
      .map((c) => `${c.service}:${c.operation}@${c.region}`);
  const gd = (region: string): GuardDutyClient => new GuardDutyClient(config(region, adminCreds));
  const detectorIn = async (region: string): Promise<string> =>
    (await gd(region).send(new ListDetectorsCommand({}))).DetectorIds?.[0] ?? '';
  async function gdMembers(region: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for await (const page of paginateListMembers(
      { client: gd(region) },
      { DetectorId: await detectorIn(region), OnlyAssociated: 'false' },
    )) {
      for (const m of page.Members ?? []) out.set(m.AccountId ?? '', m.RelationshipStatus ?? '');
    }
    return out;
  }
  async function s3Status(region: string, accountId: string): Promise<string | undefined> {
    const out = await gd(region).send(new GetMemberDetectorsCommand({ DetectorId: await detectorIn(region), AccountIds: [accountId] }));
    return out.MemberDataSourceConfigurations?.[0]?.Features?.find((f) => f.Name === 'S3_DATA_EVENTS')?.Status;
  }

  beforeAll(async () => {
    // Dozens of accounts and no IAM policy attached: moto need not build the AWS managed policies for each.
    local = await startLocal({ awsManagedPolicies: false });
    // Prepare: management + security + 4 members + 1 suspended; af-south-1 opted in by some.
    const org = new OrganizationsClient(config(HOME));
    await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const created: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      created.push(
        (await org.send(new CreateAccountCommand({ AccountName: `account-${i}`, Email: `account-${i}@example.com` }))).CreateAccountStatus
          ?.AccountId ?? '',
      );
    }
    [security = '', suspended = '', ...members] = created;
    await org.send(new CloseAccountCommand({ AccountId: suspended }));
    optedIn = new Set([MANAGEMENT, security, members[0] ?? '', members[1] ?? '']);
    for (const id of optedIn) local.emulator.setRegionOptStatus(id, OPT_IN, 'ENABLED');
    adminCreds = await credentialsFor(local, security);
    // STS through a proxy that can refuse AssumeRole into the security account, as a missing role or trust policy does.
    sts = await startFaultProxy(local.endpoint, ({ call }) =>
      denyAssumeRole && call?.operation === 'AssumeRole' ? stsAccessDenied(call.params.get('RoleArn') ?? '') : undefined,
    );
    process.env.AWS_ENDPOINT_URL_STS = sts.endpoint;
  });

  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_STS;
    await sts?.stop();
    await local?.stop();
  });

  it("does the management account's part when the security account's role cannot be assumed, and says how to finish", async () => {
    // Prepare
    denyAssumeRole = true;

    try {
      // Act: default regions (those enabled for the management account), default role name; the security account registered with
      // AWS Account Management (--register-account-admin) so that it can read the opt-in regions when it runs alone.
      const run = await runCli(['enable', '--admin-account', security, '--register-account-admin', '--json']);
      const summary = run.lines[0] as unknown as EnableSummary;

      // Assess: the run
      expect(run.code).toBe(1);
      expect(summary.regions.map((r) => r.region)).toEqual(ENABLED_REGIONS);
      expect(summary.organization.map((c) => [c.step, c.status])).toEqual([
        ['enable trusted access for account.amazonaws.com in AWS Organizations', 'done'],
        ['enable trusted access for malware-protection.guardduty.amazonaws.com in AWS Organizations', 'done'],
        [`register ${security} as AWS Account Management delegated administrator (to read accounts' opt-in regions)`, 'done'],
      ]);
      const roleArn = `arn:aws:iam::${security}:role/cordon-enabler`;
      for (const r of summary.regions) {
        expect(r.changes.map((c) => [c.step, c.status])).toEqual([
          [`designate ${security} as GuardDuty delegated administrator`, 'done'],
          [`designate ${security} as Security Hub administrator`, 'done'],
          ['enable Security Hub in the management account (without default standards), which membership never does', 'done'],
        ]);
        expect(r.errors).toEqual([
          expect.stringMatching(
            new RegExp(
              `^the security account's GuardDuty in ${r.region} could not be read \\(AssumeRoleError: cannot assume ${roleArn} in ${r.region}: AccessDenied: .*\\); run \`cordon enable --admin-account ${security}\` with the security account's credentials to do its part, or let the management account assume ${roleArn}$`,
            ),
          ),
          expect.stringContaining(`the security account's Security Hub in ${r.region} could not be read (AssumeRoleError`),
        ]);
      }

      // Assess: the state in AWS — delegation done everywhere, nothing of the security account's part.
      const orgs = new OrganizationsClient(config(HOME));
      const trusted = (await orgs.send(new ListAWSServiceAccessForOrganizationCommand({}))).EnabledServicePrincipals?.map(
        (p) => p.ServicePrincipal,
      );
      // GuardDuty's and Security Hub's trusted access came with designating their administrator.
      expect(trusted).toEqual(expect.arrayContaining(['guardduty.amazonaws.com', 'securityhub.amazonaws.com', 'account.amazonaws.com']));
      expect(
        (
          await orgs.send(new ListDelegatedAdministratorsCommand({ ServicePrincipal: 'account.amazonaws.com' }))
        ).DelegatedAdministrators?.map((a) => a.Id),
      ).toEqual([security]);
      for (const region of ENABLED_REGIONS) {
        expect((await new GuardDutyClient(config(region)).send(new ListOrganizationAdminAccountsCommand({}))).AdminAccounts).toEqual([
          { AdminAccountId: security, AdminStatus: 'ENABLED' },
        ]);
        expect((await new SecurityHubClient(config(region)).send(new ShListOrganizationAdminAccountsCommand({}))).AdminAccounts).toEqual([
          { AccountId: security, Status: 'ENABLED' },
        ]);
        // Designating the administrator created its detector (AWS does); nothing else of the security account's part.
        expect(await detectorIn(region)).not.toBe('');
        expect((await gdMembers(region)).size).toBe(0);
      }
    } finally {
      denyAssumeRole = false;
    }
  });

  it("finishes with the security account's own credentials (second step), adding organization members, not invitations", async () => {
    // Act
    local.emulator.resetCalls();
    const run = await withCredentials(adminCreds, () => runCli(['enable', '--admin-account', security, '--json']));
    const summary = run.lines[0] as unknown as EnableSummary;

    // Assess: the run
    expect(run.code).toBe(0);
    expect(summary).toMatchObject({ callerRole: 'admin', covered: true, organization: [] });
    expect(summary.regions.map((r) => r.region)).toEqual(ENABLED_REGIONS);
    expect(local.emulator.calls().filter((c) => c.operation === 'AssumeRole')).toEqual([]);
    // The detector designation created is set up, the organization configuration comes before the members; Security Hub by
    // central configuration (nothing was set up), in the same run.
    expect(summary.regions.find((r) => r.region === HOME)?.changes.map((c) => c.step)).toEqual([
      `update the security account's GuardDuty detector: publishing FIFTEEN_MINUTES, turn on ${DEFAULT_PLANS}`,
      `set GuardDuty organization auto-enable to ALL with plans ${DEFAULT_PLANS}`,
      `add ${targets(HOME).length - 1} account(s) as GuardDuty members`,
      'enable Security Hub in the security account',
      'create the Security Hub finding aggregator (all regions)',
      'start Security Hub central configuration from this home region (as AWS recommends)',
      'associate the organization root with a configuration policy that enables Security Hub without standards',
    ]);

    // Assess: the state, including the opt-in region the security account learnt about as Account Management's delegated administrator.
    for (const region of [HOME, 'eu-west-1', OPT_IN]) {
      const expected = targets(region)
        .filter((id) => id !== security)
        .sort();
      const status = await gdMembers(region);
      expect([...status].map(([id, s]) => `${id}:${s}`).sort()).toEqual(expected.map((id) => `${id}:Enabled`));
      const sh = new SecurityHubClient(config(region, adminCreds));
      const listed: string[] = [];
      for await (const page of shPaginateListMembers({ client: sh }, { OnlyAssociated: true }))
        listed.push(...(page.Members ?? []).map((m) => m.AccountId ?? ''));
      expect(listed.sort()).toEqual(expected);
    }
  });

  it('cordon coverage: no gaps after enabling; after drift, gaps first in the table and in --json, exit 1; bad flags exit 2', async () => {
    // Prepare: a member's monitoring stopped (auto-enable lowered to NEW first, as AWS requires), another member's S3 plan
    // turned off, and a new account that no region has yet.
    const clean = await withCredentials(adminCreds, () => runCli(['coverage']));
    const [stopped = '', lacking = ''] = members;
    const detectorId = await detectorIn(HOME);
    await gd(HOME).send(new UpdateOrganizationConfigurationCommand({ DetectorId: detectorId, AutoEnableOrganizationMembers: 'NEW' }));
    await gd(HOME).send(new StopMonitoringMembersCommand({ DetectorId: detectorId, AccountIds: [stopped] }));
    await gd(HOME).send(
      new UpdateMemberDetectorsCommand({
        DetectorId: detectorId,
        AccountIds: [lacking],
        Features: [{ Name: 'S3_DATA_EVENTS', Status: 'DISABLED' }],
      }),
    );
    const org = new OrganizationsClient(config(HOME));
    const added =
      (await org.send(new CreateAccountCommand({ AccountName: 'late', Email: 'late@example.com' }))).CreateAccountStatus?.AccountId ?? '';
    members.push(added);

    // Act
    const text = await withCredentials(adminCreds, () => runCli(['coverage', '--features', 's3']));
    const json = await withCredentials(adminCreds, () => runCli(['coverage', '--json']));
    const asManagement = await runCli(['coverage']);
    const badFlag = await withCredentials(adminCreds, () => runCli(['coverage', '--concurrency', '0']));

    // Assess: before the drift
    const pairs = ENABLED_REGIONS.reduce((n, r) => n + targets(r).length - (r === OPT_IN ? 0 : 1), 0);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain(`Covered: ${pairs} account×region pair(s), no gaps.`);

    // Assess: the table, gaps first
    expect(text.code).toBe(1);
    const rows = text.stdout
      .split('\n')
      .slice(1)
      .filter((l) => /^(GAP)?\s+\d{12}|^GAP/.test(l));
    const firstClean = rows.findIndex((l) => !l.startsWith('GAP'));
    expect(rows.slice(firstClean).some((l) => l.startsWith('GAP'))).toBe(false);
    expect(rows.slice(0, firstClean).filter((l) => l.includes(added))).toHaveLength(DEFAULT_REGIONS.length);
    expect(rows).toContainEqual(
      expect.stringMatching(
        new RegExp(`^GAP\\s+${stopped}\\s+account-2\\s+${HOME}\\s+detector-disabled\\s+-\\s+member, monitoring stopped \\(Disabled\\)$`),
      ),
    );
    expect(rows).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^GAP\\s+${lacking}\\s+account-3\\s+${HOME}\\s+member-enabled\\s+eks,malware,rds,lambda \\(missing s3\\)\\s+member, Enabled$`,
        ),
      ),
    );
    expect(rows).toContainEqual(expect.stringMatching(new RegExp(`^\\s+${added}\\s+late\\s+${OPT_IN}\\s+region-not-enabled`)));
    expect(text.stdout.trimEnd().split('\n').at(-1)).toBe(
      `${DEFAULT_REGIONS.length + 2} gap(s) among ${pairs + DEFAULT_REGIONS.length} account×region pair(s).`,
    );

    // Assess: --json, one cell per line, gaps first; without --features no plan is required
    expect(json.code).toBe(1);
    const gaps = json.lines.map((c) => c.gap === true);
    expect(gaps.indexOf(false)).toBe(DEFAULT_REGIONS.length + 1);
    expect(gaps.slice(gaps.indexOf(false)).includes(true)).toBe(false);
    expect(json.lines[0]).toMatchObject({ status: 'not-a-member', gap: true, missingPlans: [] });
    expect(json.lines.find((c) => c.accountId === lacking && c.region === HOME)).toMatchObject({
      status: 'member-enabled',
      gap: false,
      missingPlans: [],
    });

    // Assess: wrong caller and bad flags are configuration errors
    expect(asManagement.code).toBe(2);
    expect(asManagement.stderr).toContain(`the credentials are of the management account ${MANAGEMENT}; run with those of the security`);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toBe('cordon coverage: --concurrency: "0" must be a whole number from 1 to 64\n');
  });

  it('the scheduled enabler (Lambda handler) plans the repairs with CORDON_DRY_RUN=true and changes nothing', async () => {
    // Prepare
    // Powertools' dev mode writes logs and metrics through the global console, which the test reads.
    const env = {
      CORDON_ADMIN_ACCOUNT_ID: security,
      CORDON_REGIONS: `${HOME},${OPT_IN}`,
      CORDON_DRY_RUN: 'true',
      POWERTOOLS_DEV: 'true',
      POWERTOOLS_METRICS_DISABLED: 'false',
    };
    Object.assign(process.env, env);
    const logged: string[] = [];
    const spies = (['log', 'info', 'error', 'warn'] as const).map((m) =>
      jest.spyOn(console, m).mockImplementation((...args: unknown[]) => void logged.push(String(args[0]))),
    );
    local.emulator.resetCalls();

    try {
      // Act
      const summary = await withCredentials(adminCreds, () => handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }));

      // Assess
      expect(mutatingCalls()).toEqual([]);
      expect(summary).toMatchObject({ dryRun: true, callerRole: 'admin' });
      const home = summary.regions.find((r) => r.region === HOME);
      // Settings first; Security Hub's central configuration takes the new account in by itself.
      expect(home?.changes.map((c) => [c.step, c.status])).toEqual([
        [`set GuardDuty organization auto-enable to ALL with plans ${DEFAULT_PLANS}`, 'planned'],
        ['add 1 account(s) as GuardDuty members', 'planned'],
        ['restart GuardDuty monitoring of 1 member(s) whose monitoring was stopped', 'planned'],
        [`turn on plans ${DEFAULT_PLANS} for 1 member(s) missing some`, 'planned'],
      ]);
      const records = logged.map((l) => JSON.parse(l) as Record<string, unknown>);
      const lines = records.filter((l) => !('_aws' in l));
      expect(lines.every((l) => l.source === 'cordon-enabler' && l.service === 'cordon-enabler')).toBe(true);
      expect(lines.at(-1)).toMatchObject({ level: 'INFO', dryRun: true, message: 'every account and region covered' });
      expect(lines.some((l) => String(l.message).includes('(dry run)'))).toBe(true);
      // One EMF record: the run, and what it left uncovered (the dashboard's and the schedule alarm's source).
      const uncovered = summary.regions.reduce((n, r) => n + r.uncovered.length, 0);
      expect(uncovered).toBeGreaterThan(0);
      expect(records.filter((l) => '_aws' in l)).toEqual([
        expect.objectContaining({ service: 'cordon-enabler', EnablerRuns: 1, EnablerUncoveredPairs: uncovered, EnablerFailedChanges: 0 }),
      ]);
    } finally {
      for (const spy of spies) spy.mockRestore();
      for (const name of Object.keys(env)) delete process.env[name];
    }
  });

  it('the scheduled enabler repairs the drift: restarts monitoring, turns the plan back on, adds the new account', async () => {
    // Prepare
    const settings = enablerSettingsFromEnv({ CORDON_ADMIN_ACCOUNT_ID: security, CORDON_FEATURES: DEFAULT_PLANS });
    const clients = buildOrgClients(settings);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const added = members.at(-1) ?? '';
    const [stopped = '', lacking = ''] = members;

    try {
      // Act
      const summary = await withCredentials(adminCreds, () => runEnabler(settings, clients, HOME));
      const after = await withCredentials(adminCreds, () => runCli(['coverage', '--features', DEFAULT_PLANS]));

      // Assess
      expect(summary.covered).toBe(true);
      expect(summary.regions.map((r) => r.region)).toEqual(ENABLED_REGIONS);
      expect((await gdMembers(HOME)).get(stopped)).toBe('Enabled');
      expect(await s3Status(HOME, lacking)).toBe('ENABLED');
      for (const region of DEFAULT_REGIONS) expect((await gdMembers(region)).get(added)).toBe('Enabled');
      expect((await gdMembers(OPT_IN)).has(added)).toBe(false);
      expect(after.code).toBe(0);
    } finally {
      log.mockRestore();
      clients.close();
    }
  });

  it('with --regions all, reports regions no account enabled as not enabled (no gap, no call there), and flags one only some account enabled', async () => {
    // Act: from the management account, whose role into the security account works now.
    local.emulator.resetCalls();
    const all = await runCli(['enable', '--admin-account', security, '--regions', 'all', '--json']);
    const summary = all.lines[0] as unknown as EnableSummary;
    const notEnabled = summary.regions.filter((r) => !r.enabled).map((r) => r.region);
    const calledThere = local.emulator.calls().filter((c) => notEnabled.includes(c.region));
    local.emulator.setRegionOptStatus(members[2] ?? '', 'me-south-1', 'ENABLED');
    const text = await runCli(['enable', '--admin-account', security, '--regions', 'all']);
    local.emulator.setRegionOptStatus(members[2] ?? '', 'me-south-1', 'DISABLED');

    // Assess
    expect(all.code).toBe(0);
    expect(summary.covered).toBe(true);
    expect(summary.regions).toHaveLength(ENABLED_REGIONS.length + notEnabled.length);
    expect(notEnabled).toContain('me-south-1');
    expect(notEnabled).not.toContain(OPT_IN);
    expect(
      summary.regions.filter((r) => !r.enabled).every((r) => r.errors.length === 0 && r.gaps.length === 0 && r.admin === 'not enabled'),
    ).toBe(true);
    expect(calledThere).toEqual([]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^me-south-1\s+-\s+0\/1\s+/m);
    expect(text.stdout).toContain(
      `  me-south-1: me-south-1 is enabled in 1 account(s) but not in the calling account ${MANAGEMENT} (DISABLED): enable it there, or leave it out of --regions`,
    );
    expect(text.stdout).toMatch(/^Not enabled in any active account \(nothing to cover\): .*ap-east-1/m);
  });
});
