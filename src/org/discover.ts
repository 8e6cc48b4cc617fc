/**
 * Discovery: who calls (account and partition), the organization's accounts
 * (ACTIVE ones covered, the rest skipped), the regions to cover (Account API
 * ListRegions), trusted access and AWS Account Management's delegated
 * administrator (management caller) and, for opt-in regions, which accounts
 * have enabled them. Read-only.
 */
import { AccountClient, ListRegionsCommand, type Region } from '@aws-sdk/client-account';
import {
  DescribeOrganizationCommand,
  OrganizationsClient,
  paginateListAccounts,
  paginateListAWSServiceAccessForOrganization,
  paginateListDelegatedAdministrators,
} from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import pLimit from 'p-limit';

import { RatePacer } from '../aws/pace';
import { ConfigurationError, CordonError, describeError } from '../errors';
import type { OrgClients, OrgClientSet } from './clients';
import type { CallerRole, OrgAccount, Organization, RegionOptState } from './model';
import { ACCOUNT_PRINCIPAL } from './organization-plan';
import { readOrganizationPolicies, type OrganizationPolicy } from './policies';
import type { RegionSelection } from './settings';

/** Organizations' ListAccounts returns at most 20 accounts a page. */
export const LIST_ACCOUNTS_PAGE_SIZE = 20;

/**
 * The Account API's quota: "Rate of ListRegions requests per account: 5 per
 * second, burst to 5 per second"
 * (https://docs.aws.amazon.com/accounts/latest/reference/quotas.html).
 * Discovery paces its ListRegions calls to it.
 */
export const LIST_REGIONS_PER_SECOND = 5;

/** Discovery failed for a reason that is not the user's configuration. */
export class DiscoveryError extends CordonError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DiscoveryError';
  }
}

/** What discovery needs to know. */
export interface DiscoverOptions {
  /** The security account; undefined: the caller is it (`cordon coverage`). */
  readonly adminAccountId: string | undefined;
  readonly regions: RegionSelection;
  /** Explicit Security Hub home region, if any. */
  readonly homeRegion: string | undefined;
  /** The caller's region (AWS_REGION): global services are called there, and it is the default home region. */
  readonly callerRegion: string;
  readonly concurrency: number;
  /** Which caller roles may run (coverage: the security account only). */
  readonly allowedRoles: readonly CallerRole[];
  /** Security Hub is managed too: its organization policies are read. @default false */
  readonly securityHub?: boolean;
  /** The run may register the security account as AWS Account Management's delegated administrator: the current one is read. @default false */
  readonly registerAccountAdmin?: boolean;
}

/** Discovery's result plus the clients bound to the caller. */
export interface Discovery {
  readonly organization: Organization;
  readonly clients: OrgClients;
  /** Paces the caller's ListRegions calls (the quota is per calling account); {@link resolveRegionOptIn} goes on with it. */
  readonly listRegionsPacer: RatePacer;
}

/**
 * Discovers the organization. Throws ConfigurationError (exit 2, nothing
 * changed) when the caller or the security account is not what the options
 * say, or a requested region does not exist.
 */
export async function discoverOrganization(
  clientSet: Pick<OrgClientSet, 'home' | 'forCaller'>,
  options: DiscoverOptions,
): Promise<Discovery> {
  const region = options.callerRegion;
  const identity = await call('STS GetCallerIdentity', () => clientSet.home(STSClient, region).send(new GetCallerIdentityCommand({})));
  const callerAccountId = identity.Account ?? '';
  const partition = partitionOf(identity.Arn);
  const clients = clientSet.forCaller({ accountId: callerAccountId, partition });
  const orgs = clients.home(OrganizationsClient, region);

  const described = await call('Organizations DescribeOrganization', () => orgs.send(new DescribeOrganizationCommand({})), {
    AWSOrganizationsNotInUseException: `account ${callerAccountId} is not in an AWS Organization`,
  });
  const managementAccountId = described.Organization?.MasterAccountId ?? '';
  const adminAccountId = options.adminAccountId ?? callerAccountId;
  const callerRole: CallerRole | undefined =
    callerAccountId === managementAccountId ? 'management' : callerAccountId === adminAccountId ? 'admin' : undefined;
  if (!options.adminAccountId && callerRole === 'management') {
    throw new ConfigurationError(
      `the credentials are of the management account ${callerAccountId}; run with those of the security (GuardDuty delegated administrator) account`,
    );
  }
  if (!callerRole || !options.allowedRoles.includes(callerRole)) {
    const wanted = options.allowedRoles.map((r) =>
      r === 'management' ? `the management account ${managementAccountId}` : `the security account ${adminAccountId}`,
    );
    throw new ConfigurationError(`the credentials are of account ${callerAccountId}; run with those of ${wanted.join(' or ')}`);
  }

  const all: OrgAccount[] = [];
  await call('Organizations ListAccounts', async () => {
    for await (const page of paginateListAccounts({ client: orgs, pageSize: LIST_ACCOUNTS_PAGE_SIZE }, {})) {
      for (const a of page.Accounts ?? []) {
        if (a.Id) all.push({ id: a.Id, name: a.Name ?? '', email: a.Email ?? '', state: a.State ?? a.Status ?? 'UNKNOWN' });
      }
    }
  });
  all.sort((a, b) => a.id.localeCompare(b.id));
  const accounts = all.filter((a) => a.state === 'ACTIVE');
  const skipped = all.filter((a) => a.state !== 'ACTIVE');
  const admin = all.find((a) => a.id === adminAccountId);
  if (!admin)
    throw new ConfigurationError(
      `the security account ${adminAccountId} is not an account of organization ${described.Organization?.Id ?? ''}`,
    );
  if (admin.state !== 'ACTIVE') throw new ConfigurationError(`the security account ${adminAccountId} is ${admin.state}, not ACTIVE`);

  const account = clients.home(AccountClient, region);
  const listRegionsPacer = new RatePacer(LIST_REGIONS_PER_SECOND);
  const own = await call('Account ListRegions', () => listRegions(account, undefined, listRegionsPacer));
  const regions = selectRegions(own, options.regions);
  const homeRegion = chooseHomeRegion(regions, options.homeRegion, options.callerRegion);

  const ownStatus = new Map(own.map((r) => [r.RegionName ?? '', (r.RegionOptStatus ?? 'UNKNOWN') as RegionOptState]));
  // Regions on by default are on in every account; only opt-in regions need asking account by account.
  const optInRegions = regions.filter((r) => ownStatus.get(r) !== 'ENABLED_BY_DEFAULT');
  const regionStatus = new Map<string, ReadonlyMap<string, RegionOptState>>([[callerAccountId, ownStatus]]);
  for (const a of accounts) {
    if (a.id !== callerAccountId && optInRegions.length > 0)
      regionStatus.set(a.id, new Map(optInRegions.map((r) => [r, 'UNKNOWN' as const])));
  }

  let trustedAccess: Set<string> | undefined;
  let accountManagementAdmins: Set<string> | undefined;
  if (callerRole === 'management') {
    trustedAccess = new Set();
    await call('Organizations ListAWSServiceAccessForOrganization', async () => {
      for await (const page of paginateListAWSServiceAccessForOrganization({ client: orgs }, {})) {
        for (const p of page.EnabledServicePrincipals ?? []) if (p.ServicePrincipal) trustedAccess?.add(p.ServicePrincipal);
      }
    });
    // Only a run that may register the security account there needs to know AWS Account Management's delegated administrator.
    if (optInRegions.length > 0 && options.registerAccountAdmin === true) {
      accountManagementAdmins = new Set();
      await call('Organizations ListDelegatedAdministrators', async () => {
        for await (const page of paginateListDelegatedAdministrators({ client: orgs }, { ServicePrincipal: ACCOUNT_PRINCIPAL })) {
          for (const a of page.DelegatedAdministrators ?? []) if (a.Id) accountManagementAdmins?.add(a.Id);
        }
      });
    }
  }

  const warnings: string[] = [];
  const policies = async (type: OrganizationPolicy['type']): Promise<OrganizationPolicy[] | undefined> => {
    try {
      return await readOrganizationPolicies(orgs, type);
    } catch (err) {
      warnings.push(
        `the organization's ${type} policies could not be read (${describeError(err)}); what they manage is not known, and cordon may plan changes they refuse`,
      );
      return undefined;
    }
  };
  const guardDutyPolicies = await policies('GUARDDUTY_POLICY');
  const securityHubPolicies = options.securityHub === true ? await policies('SECURITYHUB_POLICY') : undefined;

  return {
    clients,
    listRegionsPacer,
    organization: {
      callerAccountId,
      callerRole,
      partition,
      adminRoleArn: clients.adminRoleArn,
      managementAccountId,
      adminAccountId,
      accounts,
      skipped,
      regions,
      homeRegion,
      regionStatus,
      optInRegions,
      trustedAccess,
      accountManagementAdmins,
      guardDutyPolicies,
      securityHubPolicies,
      unknownOptIn: [],
      warnings,
    },
  };
}

/**
 * Asks the Account API, account by account, which of the opt-in regions to
 * cover each account has enabled (the management account may ask, after
 * trusted access for account.amazonaws.com; so may Account Management's
 * delegated administrator), paced to the API's quota. Accounts it will not
 * answer for, after the SDK's retries, keep UNKNOWN and are named in a
 * warning and in `unknownOptIn`.
 */
export async function resolveRegionOptIn(
  clients: OrgClients,
  org: Organization,
  options: { readonly callerRegion: string; readonly concurrency: number; readonly pacer: RatePacer },
): Promise<Organization> {
  if (org.optInRegions.length === 0) return org;
  const account = clients.home(AccountClient, options.callerRegion);
  const regionStatus = new Map(org.regionStatus);
  const limit = pLimit(options.concurrency);
  const failed: string[] = [];
  // Once the Account API refuses the caller, asking for the other accounts would only be refused too.
  let refused = false;
  await Promise.allSettled(
    org.accounts
      .filter((a) => a.id !== org.callerAccountId)
      .map((a) =>
        limit(async () => {
          if (refused) return;
          try {
            const listed = await listRegions(account, a.id, options.pacer);
            regionStatus.set(a.id, new Map(listed.map((r) => [r.RegionName ?? '', (r.RegionOptStatus ?? 'UNKNOWN') as RegionOptState])));
          } catch (err) {
            if (err instanceof Error && /AccessDenied/.test(err.name)) refused = true;
            failed.push(`${a.id}: ${describeError(err)}`);
          }
        }),
      ),
  );
  const unknownOptIn = org.accounts.filter((a) => [...(regionStatus.get(a.id)?.values() ?? [])].includes('UNKNOWN')).map((a) => a.id);
  const warnings = [...org.warnings];
  if (unknownOptIn.length > 0) {
    const how =
      org.callerRole === 'management'
        ? 'the Account API answers for them once trusted access for account.amazonaws.com is enabled, which a run that is not a dry run does first'
        : "run `cordon enable` with the management account's credentials (it reads them), or register the security account as AWS Account Management's delegated administrator once (`--register-account-admin`) so that it can read them itself";
    const shown = unknownOptIn.slice(0, 20).join(', ');
    warnings.push(
      `opt-in status of ${org.optInRegions.join(', ')} unknown for ${unknownOptIn.length} account(s): ${shown}${unknownOptIn.length > 20 ? `, and ${unknownOptIn.length - 20} more` : ''} ` +
        `(${failed.slice(0, 2).join('; ')}${failed.length > 2 ? '; …' : ''}); such accounts are added there only once known: ${how}`,
    );
  }
  return { ...org, regionStatus, unknownOptIn, warnings };
}

/** Every region the Account API lists for `accountId` (the caller when undefined), each page paced. */
async function listRegions(client: AccountClient, accountId: string | undefined, pacer: RatePacer): Promise<Region[]> {
  const regions: Region[] = [];
  let nextToken: string | undefined;
  do {
    await pacer.take();
    const page = await client.send(new ListRegionsCommand({ AccountId: accountId, MaxResults: 50, NextToken: nextToken }));
    regions.push(...(page.Regions ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return regions;
}

/** The partition of an ARN (`arn:aws-us-gov:sts::…` → `aws-us-gov`); `aws` when there is none (pure). */
export function partitionOf(arn: string | undefined): string {
  const partition = /^arn:([a-z-]+):/.exec(arn ?? '')?.[1];
  return partition ?? 'aws';
}

/** The regions a selection names, checked against the Account API's list (pure). */
export function selectRegions(listed: readonly Region[], selection: RegionSelection): string[] {
  const known = new Map(listed.map((r) => [r.RegionName ?? '', r.RegionOptStatus ?? 'UNKNOWN']));
  if (selection.kind === 'all') return [...known.keys()].filter((r) => r !== '').sort();
  if (selection.kind === 'enabled') {
    return [...known]
      .filter(([, s]) => s === 'ENABLED' || s === 'ENABLED_BY_DEFAULT')
      .map(([r]) => r)
      .sort();
  }
  const unknown = selection.regions.filter((r) => !known.has(r));
  if (unknown.length > 0)
    throw new ConfigurationError(
      `--regions/CORDON_REGIONS: unknown region(s) ${unknown.join(', ')} (the Account API lists ${[...known.keys()].sort().join(', ')})`,
    );
  return [...selection.regions].sort();
}

/** The Security Hub home region (pure): the explicit one, else the caller's region if covered, else the first region. */
export function chooseHomeRegion(regions: readonly string[], explicit: string | undefined, callerRegion: string): string {
  if (explicit !== undefined) {
    if (!regions.includes(explicit))
      throw new ConfigurationError(
        `--home-region/CORDON_HOME_REGION: ${explicit} is not one of the regions to cover (${regions.join(', ')})`,
      );
    return explicit;
  }
  if (regions.includes(callerRegion)) return callerRegion;
  const first = regions[0];
  if (first === undefined)
    throw new ConfigurationError('no region to cover: the Account API lists no region matching --regions/CORDON_REGIONS');
  return first;
}

/** Runs one discovery call; known error names become ConfigurationError, others DiscoveryError with context. */
async function call<T>(what: string, fn: () => Promise<T>, configErrors: Record<string, string> = {}): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CordonError) throw err;
    const name = err instanceof Error ? err.name : '';
    const known = configErrors[name];
    if (known) throw new ConfigurationError(known, { cause: err });
    throw new DiscoveryError(`${what} failed: ${describeError(err)}`, { cause: err });
  }
}
