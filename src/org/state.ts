/**
 * Reads GuardDuty and Security Hub state in one region: who the delegated
 * administrator is (asked by the management account), the security
 * account's detector, organization configuration, members and their
 * protection plans, its hub, Security Hub members and the finding
 * aggregator. Read-only.
 *
 * Each service, and within it each side (management, security account), is
 * read on its own: a failure is recorded in the state (`DelegatedAdmin`
 * status `error`, `readError`) instead of thrown, so that an AccessDenied in
 * GuardDuty does not hide Security Hub, and a security account that cannot
 * be reached (AssumeRole refused) does not stop the management account's own
 * steps. Only the documented "not subscribed / not administrator" answers are
 * interpreted; every other error is kept with its name.
 */
import {
  DescribeOrganizationConfigurationCommand,
  GetDetectorCommand,
  GetMemberDetectorsCommand,
  GuardDutyClient,
  ListDetectorsCommand,
  paginateListMembers,
  paginateListOrganizationAdminAccounts,
} from '@aws-sdk/client-guardduty';
import {
  DescribeHubCommand,
  DescribeOrganizationConfigurationCommand as ShDescribeOrganizationConfigurationCommand,
  DescribeSecurityHubV2Command,
  GetFindingAggregatorCommand,
  ListFindingAggregatorsCommand,
  paginateListMembers as shPaginateListMembers,
  paginateListOrganizationAdminAccounts as shPaginateListOrganizationAdminAccounts,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';

import { describeError } from '../errors';
import type { OrgClients } from './clients';
import type {
  DelegatedAdmin,
  DetectorState,
  GuardDutyMember,
  GuardDutyOrgConfig,
  GuardDutyRegionState,
  Organization,
  RegionState,
  SecurityHubRegionState,
} from './model';

/** GuardDuty and Security Hub take at most 50 account ids a call. */
export const MEMBER_BATCH_SIZE = 50;

/** Splits a list into chunks of at most `size` (pure). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Reads everything the planner and the coverage report need in one region; service failures end up in the state. */
export async function readRegionState(clients: OrgClients, org: Organization, region: string, securityHub: boolean): Promise<RegionState> {
  // Neither read rejects: each records its failures in the state it returns.
  const [guardDuty, hub] = await Promise.all([
    readGuardDuty(clients, org, region),
    securityHub ? readSecurityHub(clients, org, region) : undefined,
  ]);
  return { region, guardDuty, securityHub: hub };
}

function adminFrom(listed: ReadonlyArray<{ id: string | undefined; status: string | undefined }>, adminAccountId: string): DelegatedAdmin {
  const active = listed.filter((a) => a.id && a.status === 'ENABLED');
  if (active.some((a) => a.id === adminAccountId)) return { status: 'self' };
  const other = active[0]?.id;
  return other ? { status: 'other', accountId: other } : { status: 'none' };
}

/** The delegated administrator as the management account sees it; `unknown` for the security account, `error` when the call fails. */
async function readDelegatedAdmin(
  org: Organization,
  what: string,
  list: () => Promise<Array<{ id: string | undefined; status: string | undefined }>>,
): Promise<DelegatedAdmin> {
  if (org.callerRole !== 'management') return { status: 'unknown' };
  try {
    return adminFrom(await list(), org.adminAccountId);
  } catch (err) {
    return { status: 'error', error: `${what}: ${describeError(err)}` };
  }
}

async function readGuardDuty(clients: OrgClients, org: Organization, region: string): Promise<GuardDutyRegionState> {
  const delegatedAdmin = await readDelegatedAdmin(org, 'GuardDuty ListOrganizationAdminAccounts', async () => {
    const listed: Array<{ id: string | undefined; status: string | undefined }> = [];
    for await (const page of paginateListOrganizationAdminAccounts({ client: clients.home(GuardDutyClient, region) }, {})) {
      for (const a of page.AdminAccounts ?? []) listed.push({ id: a.AdminAccountId, status: a.AdminStatus });
    }
    return listed;
  });
  const empty = { detector: undefined, orgConfig: undefined, members: new Map<string, GuardDutyMember>() };
  if (delegatedAdmin.status === 'other') return { delegatedAdmin, ...empty, readError: undefined };
  try {
    return await readGuardDutyAdmin(clients, region, delegatedAdmin);
  } catch (err) {
    return { delegatedAdmin, ...empty, readError: describeError(err) };
  }
}

/** Names of a GuardDuty feature's additional configuration that is enabled (detector and member answers alike). */
function enabledAdditional(feature: {
  readonly AdditionalConfiguration?: ReadonlyArray<{ readonly Name?: string; readonly Status?: string }>;
}): Set<string> {
  return new Set((feature.AdditionalConfiguration ?? []).filter((a) => a.Status === 'ENABLED').map((a) => a.Name ?? ''));
}

/** The security account's side of GuardDuty. */
async function readGuardDutyAdmin(clients: OrgClients, region: string, known: DelegatedAdmin): Promise<GuardDutyRegionState> {
  let delegatedAdmin = known;
  const gd = clients.admin(GuardDutyClient, region);
  const detectorId = (await gd.send(new ListDetectorsCommand({}))).DetectorIds?.[0];
  if (!detectorId) return { delegatedAdmin, detector: undefined, orgConfig: undefined, members: new Map(), readError: undefined };
  const got = await gd.send(new GetDetectorCommand({ DetectorId: detectorId }));
  const detector: DetectorState = {
    id: detectorId,
    enabled: got.Status === 'ENABLED',
    publishingFrequency: got.FindingPublishingFrequency,
    features: new Map(
      (got.Features ?? []).map((f) => [f.Name ?? '', { enabled: f.Status === 'ENABLED', additional: enabledAdditional(f) }]),
    ),
  };

  let orgConfig: GuardDutyOrgConfig | undefined;
  if (delegatedAdmin.status !== 'none') {
    try {
      const config = await gd.send(new DescribeOrganizationConfigurationCommand({ DetectorId: detectorId }));
      orgConfig = {
        autoEnableMembers: config.AutoEnableOrganizationMembers ?? 'NONE',
        features: new Map(
          (config.Features ?? []).map((f) => [
            f.Name ?? '',
            {
              autoEnable: f.AutoEnable ?? 'NONE',
              additional: new Map((f.AdditionalConfiguration ?? []).map((a) => [a.Name ?? '', a.AutoEnable ?? 'NONE'])),
            },
          ]),
        ),
      };
      delegatedAdmin = { status: 'self' };
    } catch (err) {
      // GuardDuty answers BadRequestException to an account that is not the delegated administrator;
      // only a caller that could not ask the management's question learns it this way.
      const unknownBefore = delegatedAdmin.status === 'unknown' || delegatedAdmin.status === 'error';
      if (!(err instanceof Error && err.name === 'BadRequestException' && unknownBefore)) throw err;
    }
  }

  const listed: Array<{ accountId: string; relationship: string }> = [];
  for await (const page of paginateListMembers({ client: gd, pageSize: 50 }, { DetectorId: detectorId, OnlyAssociated: 'false' })) {
    for (const m of page.Members ?? []) listed.push({ accountId: m.AccountId ?? '', relationship: m.RelationshipStatus ?? 'Unknown' });
  }
  const features = new Map<string, Map<string, Set<string>>>();
  const enabled = listed.filter((m) => m.relationship === 'Enabled').map((m) => m.accountId);
  for (const batch of chunk(enabled, MEMBER_BATCH_SIZE)) {
    const out = await gd.send(new GetMemberDetectorsCommand({ DetectorId: detectorId, AccountIds: batch }));
    for (const c of out.MemberDataSourceConfigurations ?? []) {
      const on = new Map<string, Set<string>>();
      for (const f of c.Features ?? []) {
        if (f.Status !== 'ENABLED' || !f.Name) continue;
        on.set(f.Name, enabledAdditional(f));
      }
      features.set(c.AccountId ?? '', on);
    }
  }
  const members = new Map<string, GuardDutyMember>(
    listed.map((m) => [
      m.accountId,
      { relationship: m.relationship, features: features.get(m.accountId) ?? new Map<string, Set<string>>() },
    ]),
  );
  return { delegatedAdmin, detector, orgConfig, members, readError: undefined };
}

async function readSecurityHub(clients: OrgClients, org: Organization, region: string): Promise<SecurityHubRegionState> {
  const delegatedAdmin = await readDelegatedAdmin(org, 'Security Hub ListOrganizationAdminAccounts', async () => {
    const listed: Array<{ id: string | undefined; status: string | undefined }> = [];
    for await (const page of shPaginateListOrganizationAdminAccounts({ client: clients.home(SecurityHubClient, region) }, {})) {
      for (const a of page.AdminAccounts ?? []) listed.push({ id: a.AccountId, status: a.Status });
    }
    return listed;
  });
  const managementHub = await readManagementHub(clients, org, region);
  if (delegatedAdmin.status === 'other') return noHub(delegatedAdmin, managementHub, undefined, undefined);
  try {
    return await readSecurityHubAdmin(clients, org, region, delegatedAdmin, managementHub);
  } catch (err) {
    return noHub(delegatedAdmin, managementHub, undefined, describeError(err));
  }
}

/** Security Hub's state when the security account has no hub here, or its side was not read. */
function noHub(
  delegatedAdmin: DelegatedAdmin,
  managementHub: boolean | undefined,
  v2: boolean | undefined,
  readError: string | undefined,
): SecurityHubRegionState {
  return {
    delegatedAdmin,
    hubEnabled: false,
    autoEnable: undefined,
    members: new Map(),
    aggregator: undefined,
    configurationType: undefined,
    autoEnableStandards: undefined,
    managementHub,
    v2,
    readError,
  };
}

/** True when `err` is Security Hub's answer to an account that has not enabled it. */
function notSubscribed(err: unknown): boolean {
  return err instanceof Error && err.name === 'InvalidAccessException';
}

/**
 * Whether the management account has Security Hub in the region (management
 * caller only): AWS never enables it there through membership. Undefined
 * when the caller is another account or the call fails otherwise.
 */
async function readManagementHub(clients: OrgClients, org: Organization, region: string): Promise<boolean | undefined> {
  if (org.callerRole !== 'management') return undefined;
  try {
    await clients.home(SecurityHubClient, region).send(new DescribeHubCommand({}));
    return true;
  } catch (err) {
    if (notSubscribed(err)) return false;
    // Not known: the plan does not enable it, and the report counts the account as long as it is not a member.
    return undefined;
  }
}

/**
 * Whether the new Security Hub (v2) is on for the security account in the
 * region: DescribeSecurityHubV2 answers ResourceNotFoundException when it is
 * not. cordon only reports it (it never turns it on); any other answer
 * (AccessDenied, an endpoint without it) leaves it unknown.
 */
async function readSecurityHubV2(sh: SecurityHubClient): Promise<boolean | undefined> {
  try {
    await sh.send(new DescribeSecurityHubV2Command({}));
    return true;
  } catch (err) {
    if (err instanceof Error && err.name === 'ResourceNotFoundException') return false;
    return undefined;
  }
}

/** The security account's side of Security Hub. */
async function readSecurityHubAdmin(
  clients: OrgClients,
  org: Organization,
  region: string,
  known: DelegatedAdmin,
  managementHub: boolean | undefined,
): Promise<SecurityHubRegionState> {
  let delegatedAdmin = known;
  const sh = clients.admin(SecurityHubClient, region);
  const v2 = await readSecurityHubV2(sh);
  try {
    await sh.send(new DescribeHubCommand({}));
  } catch (err) {
    // Security Hub answers InvalidAccessException to an account that has not enabled it.
    if (notSubscribed(err)) return noHub(delegatedAdmin, managementHub, v2, undefined);
    throw err;
  }
  let autoEnable: boolean | undefined;
  let configurationType: SecurityHubRegionState['configurationType'];
  let autoEnableStandards: string | undefined;
  if (delegatedAdmin.status !== 'none') {
    try {
      const config = await sh.send(new ShDescribeOrganizationConfigurationCommand({}));
      autoEnable = config.AutoEnable ?? false;
      configurationType = config.OrganizationConfiguration?.ConfigurationType === 'CENTRAL' ? 'CENTRAL' : 'LOCAL';
      autoEnableStandards = config.AutoEnableStandards ?? 'DEFAULT';
      delegatedAdmin = { status: 'self' };
    } catch (err) {
      const unknownBefore = delegatedAdmin.status === 'unknown' || delegatedAdmin.status === 'error';
      if (!(notSubscribed(err) && unknownBefore)) throw err;
    }
  }
  const members = new Map<string, string>();
  for await (const page of shPaginateListMembers({ client: sh, pageSize: 50 }, { OnlyAssociated: false })) {
    for (const m of page.Members ?? []) members.set(m.AccountId ?? '', m.MemberStatus ?? 'Unknown');
  }
  let aggregator: SecurityHubRegionState['aggregator'];
  if (region === org.homeRegion) {
    const arn = (await sh.send(new ListFindingAggregatorsCommand({}))).FindingAggregators?.[0]?.FindingAggregatorArn;
    if (arn) {
      const got = await sh.send(new GetFindingAggregatorCommand({ FindingAggregatorArn: arn }));
      aggregator = { arn, region: got.FindingAggregationRegion ?? region, linkingMode: got.RegionLinkingMode ?? 'UNKNOWN' };
    }
  }
  return {
    delegatedAdmin,
    hubEnabled: true,
    autoEnable,
    members,
    aggregator,
    configurationType,
    autoEnableStandards,
    managementHub,
    v2,
    readError: undefined,
  };
}
