/**
 * cordon's in-process emulator of GuardDuty, Security Hub and the Account
 * API's region opt-in operations, speaking the REST-JSON wire protocol of the
 * SDK v3 and validating requests against botocore's official models.
 *
 * Why it owns GuardDuty and Security Hub entirely, even the few operations
 * moto implements: state coherence. A GuardDuty finding must show up in its
 * administrator's GetFindings and, as ASFF, in Security Hub; a
 * BatchUpdateFindings must be visible to the next GetFindings; archiving in
 * GuardDuty must archive the Security Hub copy. Splitting one service between
 * two state stores would break exactly the flows cordon is tested on.
 */
import type { RegionOptStatus } from '@aws-sdk/client-account';
import type { Finding } from '@aws-sdk/client-guardduty';

import { accountHandlers, ALL_REGIONS, RegionOptStore } from './account';
import { guardDutyToAsff } from './asff';
import { podIdentityHandlers, type ClusterLookup } from './eks-pod-identity';
import { ApiError, SeedInputError } from './errors';
import { detectorHandlers } from './guardduty/detectors';
import { findingHandlers, storePublishedFinding, type GuardDutyFindingDeps } from './guardduty/findings';
import { GuardDutyOrganization } from './guardduty/organization';
import { GuardDutyStore } from './guardduty/store';
import { DnsFirewall, type VpcLookup } from './route53resolver/dns-firewall';
import { GuardDutyLists, type EmulatedList, type ListObjectReader } from './guardduty/threat-lists';
import { loadServiceModel, locateBotocore } from './model';
import { OrganizationDirectory, type DelegationRegistry, type OrganizationsLookup } from './organizations';
import { OrganizationsDelegation } from './organizations-delegation';
import { OrganizationPolicies } from './organizations-policies';
import { ACTION_TARGET_LIMITS, actionTargetHandlers } from './securityhub/action-targets';
import { securityHubFindingHandlers, importAsff } from './securityhub/findings';
import { hubHandlers } from './securityhub/hub';
import { importOcsf, ocsfFindingHandlers, type OcsfFinding } from './securityhub/ocsf';
import { SecurityHubOrganization } from './securityhub/organization';
import { SecurityHubStore } from './securityhub/store';
import { EmulatedService, type CallContext, type EmulatorRequest, type EmulatorResponse } from './service';
import { isAccountId } from './util';
import type { DocumentedLimits } from './validate';

/** One API call the emulator (or the proxy to moto) saw. */
export interface CallRecord {
  /** SigV4 signing name: `guardduty`, `securityhub`, `account`, `ec2`, `sts`… */
  readonly service: string;
  /** Operation name (`GetFindings`); for proxied REST calls without one, `HTTP <METHOD>`. */
  readonly operation: string;
  readonly accountId: string;
  readonly region: string;
}

/** Who sends a request. */
export interface Caller {
  readonly accountId: string;
  readonly region: string;
  readonly accessKeyId: string;
}

/** Options of {@link AwsEmulator}. */
export interface AwsEmulatorOptions {
  /**
   * botocore's package directory.
   * @default located by running `python3 -c "import botocore…"` once
   */
  readonly botocoreDir?: string;
  /**
   * How to read the caller's AWS Organization (the local endpoint asks moto).
   * @default none: only `seedOrganization` declares an organization
   */
  readonly organizations?: OrganizationsLookup;
  /**
   * AWS Organizations' delegated administrators (the local endpoint uses moto's):
   * written when an administrator is designated, read by the Account API.
   * @default none: designations stay inside the emulator
   */
  readonly delegation?: DelegationRegistry;
  /**
   * Whether an EKS cluster exists (the local endpoint asks moto, which holds clusters).
   * @default none: every cluster is unknown, as to an account without clusters
   */
  readonly eksClusters?: ClusterLookup;
  /**
   * Clock.
   * @default () => new Date()
   */
  readonly now?: () => Date;
  /**
   * How GuardDuty reads list objects from S3 (the local endpoint reads them from moto).
   * @default none: an activated list is ERROR
   */
  readonly listObjects?: ListObjectReader;
  /**
   * Whether a VPC exists (the local endpoint asks moto's EC2), for DNS Firewall's associations.
   * @default none: every association is refused (VPC not found)
   */
  readonly vpcs?: VpcLookup;
}

/** Input of {@link AwsEmulator.seedOrganization}. */
export interface SeedOrganizationInput {
  readonly administratorAccountId: string;
  readonly memberAccountIds: readonly string[];
  readonly regions: readonly string[];
  /** @default undefined (the seeded organization has no known management account) */
  readonly managementAccountId?: string;
}

/**
 * Limits AWS documents that botocore's models do not carry. Only those: a
 * limit the model already has (CreateMembers' 50 accounts, BatchImportFindings'
 * 100 findings) is validated from the model, and repeating it here would
 * report one violation twice.
 */
const LIMITS: Readonly<Record<string, DocumentedLimits>> = {
  guardduty: { shapes: { AccountId: { pattern: '\\d{12}' } } },
  securityhub: {
    shapes: { AccountId: { pattern: '\\d{12}' } },
    operations: {
      BatchUpdateFindings: {
        FindingIdentifiers: { min: 1, max: 100 },
        'Note.Text': { max: 512 },
        'Note.UpdatedBy': { max: 512 },
        UserDefinedFields: { max: 50 },
        'UserDefinedFields.{key}': { max: 128 },
        'UserDefinedFields.{}': { max: 1024 },
      },
      ...ACTION_TARGET_LIMITS,
    },
  },
};

/**
 * The emulator: three {@link EmulatedService}s over shared state, plus
 * seeding helpers for tests and the demo. All helpers are synchronous.
 */
export class AwsEmulator {
  private readonly gd = new GuardDutyStore();
  private readonly sh = new SecurityHubStore();
  private readonly regionOpt = new RegionOptStore();
  private readonly organizations: OrganizationDirectory;
  private readonly delegation: OrganizationsDelegation;
  private readonly policies = new OrganizationPolicies();
  private readonly gdOrganization: GuardDutyOrganization;
  private readonly shOrganization: SecurityHubOrganization;
  /** Accounts and regions a service control policy denies (see {@link denyByServiceControlPolicy}). */
  private readonly scpDenied = new Map<string, ReadonlySet<string>>();
  private readonly services = new Map<string, EmulatedService>();
  private readonly callLog: CallRecord[] = [];
  private readonly now: () => Date;
  private readonly gdDeps: GuardDutyFindingDeps;
  private readonly gdLists: GuardDutyLists;
  private readonly dnsFirewall: DnsFirewall;

  public constructor(options: AwsEmulatorOptions = {}) {
    const botocoreDir = options.botocoreDir ?? locateBotocore();
    this.now = options.now ?? ((): Date => new Date());
    this.organizations = new OrganizationDirectory(options.organizations, options.delegation);
    const gdModel = loadServiceModel(botocoreDir, 'guardduty');
    const shModel = loadServiceModel(botocoreDir, 'securityhub');
    const accountModel = loadServiceModel(botocoreDir, 'account');
    this.delegation = new OrganizationsDelegation(this.organizations, loadServiceModel(botocoreDir, 'organizations'), this.policies);
    const regionEnabled = (accountId: string, region: string): boolean => {
      const status = this.regionOpt.status(accountId, region);
      return status === 'ENABLED' || status === 'ENABLED_BY_DEFAULT';
    };
    this.gdOrganization = new GuardDutyOrganization({
      store: this.gd,
      organizations: this.organizations,
      policies: this.policies,
      regionEnabled,
    });
    this.shOrganization = new SecurityHubOrganization({
      store: this.sh,
      organizations: this.organizations,
      allRegions: () => ALL_REGIONS,
      regionEnabled,
    });
    this.gdLists = new GuardDutyLists(this.gd, options.listObjects);
    this.dnsFirewall = new DnsFirewall(options.vpcs);
    this.gdDeps = {
      store: this.gd,
      model: gdModel,
      onFindingChanged: (finding: Finding): void => {
        importAsff(this.sh, finding.Region ?? '', guardDutyToAsff(finding), this.now());
        importOcsf(this.sh, finding);
      },
    };
    this.services.set(
      'guardduty',
      new EmulatedService({
        signingName: 'guardduty',
        model: gdModel,
        validationErrorCode: 'BadRequestException',
        limits: LIMITS['guardduty'],
        authorize: (ctx) => this.authorize(ctx),
        handlers: {
          ...detectorHandlers(this.gd),
          ...findingHandlers(this.gdDeps),
          ...this.gdOrganization.handlers(),
          ...this.gdLists.handlers(),
        },
      }),
    );
    this.services.set(
      'securityhub',
      new EmulatedService({
        signingName: 'securityhub',
        model: shModel,
        validationErrorCode: 'InvalidInputException',
        limits: LIMITS['securityhub'],
        authorize: (ctx) => this.authorize(ctx),
        handlers: {
          ...hubHandlers(this.sh),
          ...securityHubFindingHandlers(this.sh, () => ALL_REGIONS),
          ...ocsfFindingHandlers(this.sh),
          ...actionTargetHandlers(this.sh),
          ...this.shOrganization.handlers(),
        },
      }),
    );
    // EKS Pod Identity associations (moto has none); every other EKS call goes to moto.
    this.services.set(
      'eks',
      new EmulatedService({
        signingName: 'eks',
        model: loadServiceModel(botocoreDir, 'eks'),
        validationErrorCode: 'InvalidParameterException',
        authorize: (ctx) => this.authorize(ctx),
        handlers: podIdentityHandlers(options.eksClusters ?? (async () => false)),
      }),
    );
    this.services.set(
      'account',
      new EmulatedService({
        signingName: 'account',
        model: accountModel,
        validationErrorCode: 'ValidationException',
        authorize: (ctx) => this.authorize(ctx),
        handlers: accountHandlers(this.regionOpt, this.organizations),
      }),
    );
    this.services.set(
      'route53resolver',
      new EmulatedService({
        signingName: 'route53resolver',
        model: loadServiceModel(botocoreDir, 'route53resolver'),
        validationErrorCode: 'ValidationException',
        authorize: (ctx) => this.authorize(ctx),
        handlers: this.dnsFirewall.handlers(),
      }),
    );
  }

  /**
   * True when a request signed for `service` belongs to the emulator: every
   * GuardDuty and Security Hub request (known or not, so an unknown one gets
   * an error instead of moto's answer), and the Account operations emulated.
   */
  public handles(service: string, method: string, path: string, query: URLSearchParams, target?: string): boolean {
    if (service === 'guardduty' || service === 'securityhub') return true;
    const emulated = this.services.get(service);
    return emulated !== undefined && emulated.implements(method, path, query, target);
  }

  /** Answer one request for an emulated service. */
  public async handle(service: string, request: EmulatorRequest, caller: Caller): Promise<EmulatorResponse> {
    const emulated = this.services.get(service);
    if (!emulated) throw new SeedInputError(`the emulator does not serve ${service}`);
    return emulated.dispatch(request, { ...caller, now: this.now() }, (ctx: CallContext) => {
      this.recordCall({ service: ctx.service, operation: ctx.operation, accountId: ctx.accountId, region: ctx.region });
    });
  }

  /**
   * True when the emulator answers this AWS Organizations request instead of
   * moto: RegisterDelegatedAdministrator, DeregisterDelegatedAdministrator or
   * ListDelegatedAdministrators for a service AWS lets an organization
   * delegate and moto does not (AWS Account Management, Security Hub).
   * `body` is the raw JSON 1.1 request body.
   */
  public handlesOrganizations(operation: string, body: Buffer): boolean {
    return this.delegation.handles(operation, body);
  }

  /** Answer an Organizations request {@link handlesOrganizations} accepted (and record it). */
  public async handleOrganizations(operation: string, body: Buffer, caller: Caller): Promise<EmulatorResponse> {
    this.recordCall({ service: 'organizations', operation, accountId: caller.accountId, region: caller.region });
    return this.delegation.dispatch(operation, body, caller, this.now());
  }

  /** True when the account is a delegated administrator of a service whose delegation the emulator holds (moto cannot). */
  public isLocallyDelegated(accountId: string): boolean {
    return this.organizations.localDelegates().has(accountId);
  }

  /** Every call seen so far, in order (emulated and, through the local endpoint, proxied to moto). */
  /** The new Security Hub's finding for a GuardDuty finding ARN in a region (a copy), if that region holds one. */
  public ocsfFinding(region: string, findingArn: string): OcsfFinding | undefined {
    const f = this.sh.ocsfFindingsIn(region).get(findingArn);
    return f ? (JSON.parse(JSON.stringify(f)) as OcsfFinding) : undefined;
  }

  public calls(): CallRecord[] {
    return [...this.callLog];
  }

  /** Forget the recorded calls (state is kept). */
  public resetCalls(): void {
    this.callLog.length = 0;
  }

  /** Record a call (used by the local endpoint for calls proxied to moto). */
  public recordCall(record: CallRecord): void {
    this.callLog.push(record);
  }

  /**
   * Publish a GuardDuty finding as GuardDuty would generate it: `finding` is
   * in the wire / EventBridge `detail` shape (camelCase: accountId, region,
   * id, type, severity, resource, service{count, archived…}, createdAt…).
   * It is stored in the account's detector in its region (created if
   * absent), becomes visible to that account's GuardDuty administrator, and
   * is imported into Security Hub in that region as ASFF (Security Hub need
   * not be enabled for the import; reading it back needs a hub). Publishing
   * the same id again updates it (count taken from the finding or
   * incremented; createdAt and archived state kept). Throws SeedInputError
   * when the finding does not satisfy the model's `Finding` shape.
   * @returns the stored finding (member form, as the SDK types it)
   */
  public publishGuardDutyFinding(finding: Record<string, unknown>): Finding {
    return storePublishedFinding(this.gdDeps, finding, this.now());
  }

  /**
   * Make `administratorAccountId` the GuardDuty and Security Hub
   * administrator of `memberAccountIds` in `regions`, with detectors and
   * hubs enabled everywhere and member relationships `Enabled` — a shortcut
   * for tests that do not run the enable flow.
   */
  public seedOrganization(input: SeedOrganizationInput): void {
    const accounts = [
      input.administratorAccountId,
      ...input.memberAccountIds,
      ...(input.managementAccountId ? [input.managementAccountId] : []),
    ];
    const bad = accounts.filter((a) => !isAccountId(a));
    if (bad.length > 0) throw new SeedInputError(`seedOrganization: account ids must be 12 digits: ${bad.join(', ')}`);
    const badRegions = input.regions.filter((r) => !ALL_REGIONS.includes(r));
    if (badRegions.length > 0) throw new SeedInputError(`seedOrganization: unknown regions: ${badRegions.join(', ')}`);
    const now = this.now();
    const admin = input.administratorAccountId;
    this.organizations.seed(input.managementAccountId, accounts);
    for (const region of input.regions) {
      this.gd.setOrgAdmin(region, { adminAccountId: admin, managementAccountId: input.managementAccountId });
      this.gd.ensureDetector(admin, region, now);
      this.gd.orgConfig(admin, region).autoEnableOrganizationMembers = 'ALL';
      this.sh.setOrgAdmin(region, { adminAccountId: admin, managementAccountId: input.managementAccountId });
      this.sh.enableHub(admin, region, now);
      this.sh.orgConfig(admin, region).autoEnable = true;
      const gdMembers = this.gd.membersOf(admin, region);
      const shMembers = this.sh.membersOf(admin, region);
      for (const member of input.memberAccountIds) {
        if (member === admin) continue;
        this.gd.ensureDetector(member, region, now);
        gdMembers.set(member, {
          accountId: member,
          administratorId: admin,
          email: `${member}@example.com`,
          relationshipStatus: 'Enabled',
          invitedAt: now.toISOString(),
          updatedAt: now.toISOString(),
        });
        this.sh.enableHub(member, region, now);
        shMembers.set(member, {
          accountId: member,
          administratorId: admin,
          email: undefined,
          memberStatus: 'Enabled',
          invitedAt: now,
          updatedAt: now,
        });
      }
    }
  }

  /**
   * Make an account a delegated administrator of a service in AWS
   * Organizations as the emulated services see it — for services moto cannot
   * delegate, such as `account.amazonaws.com` (whose delegated administrator
   * may read other accounts' regions with the Account API).
   */
  public seedDelegatedAdministrator(accountId: string, servicePrincipal: string): void {
    if (!isAccountId(accountId)) throw new SeedInputError(`seedDelegatedAdministrator: account id must be 12 digits: ${accountId}`);
    this.organizations.seedDelegatedAdministrator(accountId, servicePrincipal);
  }

  /**
   * A service control policy denies every GuardDuty, Security Hub and Account
   * call of `accountIds` in `regions` (as Control Tower's region deny does for
   * the regions it governs not): such a call is answered AccessDeniedException
   * "… with an explicit deny in a service control policy", AWS's wording
   * (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
   * SCPs never restrict the management account: do not name it. Calling it
   * again for an account replaces its denied regions; no regions lifts the deny.
   */
  public denyByServiceControlPolicy(accountIds: readonly string[], regions: readonly string[]): void {
    const bad = accountIds.filter((a) => !isAccountId(a));
    if (bad.length > 0) throw new SeedInputError(`denyByServiceControlPolicy: account ids must be 12 digits: ${bad.join(', ')}`);
    const badRegions = regions.filter((r) => !ALL_REGIONS.includes(r));
    if (badRegions.length > 0) throw new SeedInputError(`denyByServiceControlPolicy: unknown regions: ${badRegions.join(', ')}`);
    for (const id of accountIds) {
      if (regions.length === 0) this.scpDenied.delete(id);
      else this.scpDenied.set(id, new Set(regions));
    }
  }

  /**
   * What AWS does later in the background, at once: GuardDuty's auto-enable
   * ALL (organization accounts enrolled, ALL features on for existing
   * members) and Security Hub's auto-enable and configuration policies
   * (accounts that joined since). AWS takes up to 24 hours; the emulator
   * does nothing of it until this is called.
   */
  public async settle(): Promise<void> {
    const now = this.now();
    await this.gdOrganization.settle(now);
    await this.shOrganization.settle(now);
  }

  /** Answers a call a service control policy denies (see {@link denyByServiceControlPolicy}). */
  private authorize(ctx: CallContext): void {
    if (!this.scpDenied.get(ctx.accountId)?.has(ctx.region)) return;
    throw new ApiError(
      'AccessDeniedException',
      `User: arn:aws:sts::${ctx.accountId}:assumed-role/caller/session is not authorized to perform: ${ctx.service}:${ctx.operation} with an explicit deny in a service control policy`,
      403,
    );
  }

  /** GuardDuty's lists (entity sets, threat intel sets, IP sets) of an account in a region, with the entries read at activation. */
  public guardDutyLists(accountId: string, region: string): EmulatedList[] {
    return this.gdLists.listsOf(accountId, region);
  }

  /** Regions where GuardDuty has no entity sets yet: their operations answer 404 UnknownOperationException there. */
  public withoutEntityLists(regions: readonly string[]): void {
    this.gdLists.withoutEntityLists(regions);
  }

  /**
   * What the Route 53 Resolver of a VPC answers a query for `domain` under its DNS Firewall rule groups:
   * `resolves` when no rule matches, else the matching rule's action (`NXDOMAIN`… for a BLOCK).
   */
  public dnsAnswer(accountId: string, region: string, vpcId: string, domain: string): ReturnType<DnsFirewall['answer']> {
    return this.dnsFirewall.answer(accountId, region, vpcId, domain);
  }

  /** Set the Account API's opt-in status of a region for an account. */
  public setRegionOptStatus(accountId: string, region: string, status: RegionOptStatus): void {
    if (!isAccountId(accountId)) throw new SeedInputError(`setRegionOptStatus: account id must be 12 digits: ${accountId}`);
    if (!ALL_REGIONS.includes(region)) throw new SeedInputError(`setRegionOptStatus: unknown region ${region}`);
    this.regionOpt.set(accountId, region, status);
  }
}
