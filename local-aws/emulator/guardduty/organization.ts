/**
 * GuardDuty with AWS Organizations: delegated administrator
 * (Enable/Disable/ListOrganizationAdminAccounts, called by the management
 * account), organization configuration (Update/Describe, called by the
 * delegated administrator), and members (Create/List/Get/Delete/Disassociate
 * members, GetMemberDetectors, GetAdministratorAccount).
 *
 * Emulated rules (GuardDuty API reference and user guide):
 * - Designating the delegated administrator enables GuardDuty for it: its
 *   detector exists in that region afterwards
 *   (https://docs.aws.amazon.com/guardduty/latest/ug/organizations_permissions.html),
 *   and a second CreateDetector is refused.
 * - An organization account added with CreateMembers by the delegated
 *   administrator is `Enabled` at once and gets a detector; "GuardDuty applies
 *   your organization's auto-enable settings to the member accounts in this
 *   request, irrespective of the accounts being new or existing members"
 *   (https://docs.aws.amazon.com/guardduty/latest/APIReference/API_CreateMembers.html).
 *   Any other account is `Created` (invitation flow, not emulated further).
 * - UpdateOrganizationConfiguration changes the settings only: "It may take
 *   up to 24 hours to update the configuration for all the member accounts"
 *   (https://docs.aws.amazon.com/guardduty/latest/APIReference/API_UpdateOrganizationConfiguration.html).
 *   What AWS does later in the background (enrolling organization accounts
 *   with ALL, turning ALL features on for existing members) happens when
 *   {@link GuardDutyOrganization.settle} is called (`AwsEmulator.settle()`).
 * - Malware Protection for EC2 is not turned on in member accounts when the
 *   delegated administrator is not the management account and the
 *   organization has no trusted access for
 *   `malware-protection.guardduty.amazonaws.com`: its service-linked role
 *   cannot be created there
 *   (https://docs.aws.amazon.com/guardduty/latest/ug/configure-malware-protection-guardduty-initiated-multi-account.html).
 * - A feature a GuardDuty organization policy manages is read-only through the
 *   API: organization configuration and member updates naming it are refused
 *   (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-organization-policies-considerations.html).
 * - Members whose monitoring was stopped stay `Disabled` until
 *   StartMonitoringMembers. StopMonitoringMembers is refused for organization
 *   accounts while auto-enable is ALL.
 */
import type {
  AccountDetail,
  CreateMembersRequest,
  CreateMembersResponse,
  DeleteMembersRequest,
  DeleteMembersResponse,
  DescribeOrganizationConfigurationRequest,
  DescribeOrganizationConfigurationResponse,
  DisableOrganizationAdminAccountRequest,
  DisassociateMembersRequest,
  DisassociateMembersResponse,
  EnableOrganizationAdminAccountRequest,
  GetAdministratorAccountRequest,
  GetAdministratorAccountResponse,
  GetMemberDetectorsRequest,
  GetMemberDetectorsResponse,
  GetMembersRequest,
  GetMembersResponse,
  ListMembersRequest,
  ListMembersResponse,
  ListOrganizationAdminAccountsRequest,
  ListOrganizationAdminAccountsResponse,
  Member,
  StartMonitoringMembersRequest,
  StartMonitoringMembersResponse,
  StopMonitoringMembersRequest,
  StopMonitoringMembersResponse,
  UpdateMemberDetectorsRequest,
  UpdateMemberDetectorsResponse,
  OrganizationFeatureConfigurationResult,
  UnprocessedAccount,
  UpdateOrganizationConfigurationRequest,
} from '@aws-sdk/client-guardduty';

import { ApiError } from '../errors';
import type { OrganizationDirectory } from '../organizations';
import type { OrganizationPolicies } from '../organizations-policies';
import { typed, type CallContext, type Handler } from '../service';
import { paginate } from '../util';
import {
  applyDetectorFeatures,
  assertNoRuntimeConflict,
  assertNotBothDataSourcesAndFeatures,
  dataSourcesResult,
  featureResults,
} from './detectors';
import {
  assertFeaturesOffered,
  OPTIONAL_FEATURES,
  optionalFeaturesIn,
  type Detector,
  type GuardDutyStore,
  type MemberRecord,
  type OrgConfiguration,
} from './store';

/** GuardDuty Malware Protection's service principal (trusted access in AWS Organizations). */
export const MALWARE_PROTECTION_PRINCIPAL = 'malware-protection.guardduty.amazonaws.com';

/** The Malware Protection for EC2 feature. */
const MALWARE_FEATURE = 'EBS_MALWARE_PROTECTION';

/** What the GuardDuty organization handlers need. */
export interface GuardDutyOrganizationDeps {
  readonly store: GuardDutyStore;
  readonly organizations: OrganizationDirectory;
  readonly policies: OrganizationPolicies;
  /**
   * Whether an account has enabled a region (Account API opt-in): an account
   * is not enrolled in a region it has not enabled, since GuardDuty cannot
   * run there.
   */
  readonly regionEnabled: (accountId: string, region: string) => boolean;
}

function bad(message: string): ApiError {
  return new ApiError('BadRequestException', message);
}

/** What applying the organization's settings to a member's detector depends on. */
interface ApplyContext {
  readonly now: Date;
  /** Malware Protection cannot be turned on in member accounts (see the file's comment). */
  readonly malwareBlocked: boolean;
}

/**
 * Apply the organization's auto-enabled features to a member's detector:
 * those set to ALL, and those set to NEW when the member is new.
 */
function applyOrgFeatures(config: OrgConfiguration, detector: Detector, apply: ApplyContext, newMember: boolean): void {
  for (const [name, feature] of config.features) {
    if (!(feature.autoEnable === 'ALL' || (feature.autoEnable === 'NEW' && newMember))) continue;
    if (name === MALWARE_FEATURE && apply.malwareBlocked) continue;
    const state = detector.features.get(name);
    if (!state) continue;
    state.status = 'ENABLED';
    state.updatedAt = apply.now;
    for (const [extra, mode] of feature.additional) {
      if (mode === 'ALL' || (mode === 'NEW' && newMember)) state.additional.set(extra, { status: 'ENABLED', updatedAt: apply.now });
    }
  }
}

/**
 * GuardDuty's organization side: the handlers ({@link handlers}) and what AWS
 * does later in the background ({@link settle}).
 */
export class GuardDutyOrganization {
  public constructor(private readonly deps: GuardDutyOrganizationDeps) {}

  /**
   * What AWS does asynchronously after UpdateOrganizationConfiguration (up to
   * 24 hours): with auto-enable ALL, every organization account that has the
   * region enabled and is not a member yet becomes one; features set to ALL
   * are turned on for every Enabled member.
   */
  public async settle(now: Date): Promise<void> {
    const { store, organizations, regionEnabled } = this.deps;
    for (const [region, admin] of store.allOrgAdmins()) {
      const config = store.orgConfig(admin.adminAccountId, region);
      const apply = await this.applyContext(admin.managementAccountId, admin.adminAccountId, now);
      if (config.autoEnableOrganizationMembers === 'ALL') {
        const org = await organizations.organizationOfManagement(admin.managementAccountId);
        for (const accountId of org?.accountIds ?? []) {
          if (accountId === admin.adminAccountId || store.membershipOf(accountId, region) || !regionEnabled(accountId, region)) continue;
          this.enroll(admin.adminAccountId, region, accountId, `${accountId}@organization`, apply);
        }
      }
      for (const member of store.membersOf(admin.adminAccountId, region).values()) {
        const detector = store.detectorOf(member.accountId, region);
        if (member.relationshipStatus === 'Enabled' && detector) applyOrgFeatures(config, detector, apply, false);
      }
    }
  }

  /** Whether Malware Protection can be turned on in the members of `adminAccountId`'s organization. */
  private async applyContext(managementAccountId: string | undefined, adminAccountId: string, now: Date): Promise<ApplyContext> {
    const blocked =
      managementAccountId !== adminAccountId &&
      !(await this.deps.organizations.managementHasTrustedAccess(managementAccountId, MALWARE_PROTECTION_PRINCIPAL));
    return { now, malwareBlocked: blocked };
  }

  /** An organization account becomes an Enabled member of `adminAccountId` (detector created, organization features applied). */
  private enroll(adminAccountId: string, region: string, accountId: string, email: string, apply: ApplyContext): void {
    const { store } = this.deps;
    const stamp = apply.now.toISOString();
    store.membersOf(adminAccountId, region).set(accountId, {
      accountId,
      administratorId: adminAccountId,
      email,
      relationshipStatus: 'Enabled',
      invitedAt: stamp,
      updatedAt: stamp,
    });
    const hadDetector = store.detectorOf(accountId, region) !== undefined;
    const detector = store.ensureDetector(accountId, region, apply.now);
    detector.status = 'ENABLED';
    applyOrgFeatures(store.orgConfig(adminAccountId, region), detector, apply, !hadDetector);
  }

  /** The GuardDuty organization handlers, keyed by operation name. */
  public handlers(): Record<string, Handler> {
    const { store, organizations, policies } = this.deps;
    const requireManagement = async (ctx: CallContext): Promise<void> => {
      const org = await organizations.forCaller(ctx.accountId, ctx.accessKeyId);
      if (!org || org.managementAccountId !== ctx.accountId) {
        throw bad(`The request is rejected because account ${ctx.accountId} is not the management account of an AWS organization.`);
      }
    };

    const requireDelegatedAdmin = (ctx: CallContext, detectorId: string): Detector => {
      const detector = store.ownedDetector(detectorId, ctx.accountId, ctx.region);
      if (store.orgAdmin(ctx.region)?.adminAccountId !== ctx.accountId) {
        throw bad(
          `The request is rejected because account ${ctx.accountId} is not the GuardDuty delegated administrator of the organization in ${ctx.region}.`,
        );
      }
      return detector;
    };

    /** Refuses a request naming a feature that a GuardDuty organization policy manages. */
    const assertNotPolicyManaged = (features: ReadonlyArray<{ readonly Name?: string }> | undefined): void => {
      const managed = policies.guardDutyManagedFeatures();
      const named = (features ?? []).map((f) => f.Name ?? '').filter((n) => managed.has(n));
      if (named.length > 0) {
        throw bad(
          `The request is rejected because ${named.join(', ')} ${named.length === 1 ? 'is' : 'are'} managed by an AWS Organizations GuardDuty policy; change the policy instead.`,
        );
      }
    };

    const toMember = (m: MemberRecord, region: string): Member => ({
      AccountId: m.accountId,
      DetectorId: store.detectorOf(m.accountId, region)?.id,
      MasterId: m.administratorId,
      AdministratorId: m.administratorId,
      Email: m.email,
      RelationshipStatus: m.relationshipStatus,
      InvitedAt: m.invitedAt,
      UpdatedAt: m.updatedAt,
    });

    /** Add one account as a member (or, for an organization member of the caller, apply the settings again); the unprocessed reason, if any. */
    const addMember = (
      ctx: CallContext,
      detail: AccountDetail,
      orgAccounts: ReadonlySet<string>,
      isDelegatedAdmin: boolean,
      apply: ApplyContext,
    ): string | undefined => {
      const accountId = detail.AccountId ?? '';
      if (accountId === ctx.accountId) return 'The request is rejected because the current account cannot be added as its own member.';
      const inOrg = isDelegatedAdmin && orgAccounts.has(accountId);
      const existing = store.membershipOf(accountId, ctx.region);
      if (existing && existing.relationshipStatus !== 'Removed') {
        if (existing.administratorId !== ctx.accountId) {
          return `The request is rejected because the given account ID is already associated with GuardDuty administrator ${existing.administratorId}.`;
        }
        if (!inOrg) {
          return 'The request is rejected because the current account has already invited or is already the GuardDuty administrator of the given member account ID.';
        }
        const detector = store.detectorOf(accountId, ctx.region);
        if (detector && existing.relationshipStatus === 'Enabled')
          applyOrgFeatures(store.orgConfig(ctx.accountId, ctx.region), detector, apply, false);
        return undefined;
      }
      if (inOrg) {
        this.enroll(ctx.accountId, ctx.region, accountId, detail.Email ?? '', apply);
        return undefined;
      }
      const stamp = ctx.now.toISOString();
      store.membersOf(ctx.accountId, ctx.region).set(accountId, {
        accountId,
        administratorId: ctx.accountId,
        email: detail.Email ?? '',
        relationshipStatus: 'Created',
        invitedAt: undefined,
        updatedAt: stamp,
      });
      return undefined;
    };

    const orgAccountsFor = async (ctx: CallContext): Promise<ReadonlySet<string>> => {
      const admin = store.orgAdmin(ctx.region);
      const org = await organizations.accountsOf(admin?.managementAccountId, ctx.accountId, ctx.accessKeyId);
      return org?.accountIds ?? new Set();
    };

    const notMember = (accountId: string): UnprocessedAccount => ({
      AccountId: accountId,
      Result: 'The request is rejected because the input account ID is not associated with the current account.',
    });

    /**
     * Stop (`to` Disabled) or start (`to` Enabled) monitoring of the caller's
     * members: an Enabled or Disabled member moves to `to` (already there, it
     * is left as it is); any other account is unprocessed.
     */
    const setMonitoring = (
      ctx: CallContext,
      accountIds: readonly string[] | undefined,
      to: 'Enabled' | 'Disabled',
    ): UnprocessedAccount[] => {
      const members = store.membersOf(ctx.accountId, ctx.region);
      const unprocessed: UnprocessedAccount[] = [];
      for (const id of accountIds ?? []) {
        const m = members.get(id);
        if (!m || (m.relationshipStatus !== 'Enabled' && m.relationshipStatus !== 'Disabled')) unprocessed.push(notMember(id));
        else if (m.relationshipStatus !== to) {
          m.relationshipStatus = to;
          m.updatedAt = ctx.now.toISOString();
        }
      }
      return unprocessed;
    };

    return {
      EnableOrganizationAdminAccount: typed<EnableOrganizationAdminAccountRequest, object>(async (ctx, input) => {
        await requireManagement(ctx);
        const org = await organizations.forCaller(ctx.accountId, ctx.accessKeyId);
        const adminId = input.AdminAccountId ?? '';
        if (!org?.accountIds.has(adminId)) {
          throw bad(`The request is rejected because account ${adminId} is not a member of the organization.`);
        }
        const current = store.orgAdmin(ctx.region);
        if (current && current.adminAccountId !== adminId) {
          throw bad(
            `The request is rejected because account ${current.adminAccountId} is already the delegated administrator in ${ctx.region}.`,
          );
        }
        if (!current) await organizations.registerDelegatedAdministrator(ctx, adminId, 'guardduty.amazonaws.com');
        store.setOrgAdmin(ctx.region, { adminAccountId: adminId, managementAccountId: ctx.accountId });
        // "It also enables GuardDuty for the delegated GuardDuty administrator account" (in this region).
        store.ensureDetector(adminId, ctx.region, ctx.now).status = 'ENABLED';
        return {};
      }),

      DisableOrganizationAdminAccount: typed<DisableOrganizationAdminAccountRequest, object>(async (ctx, input) => {
        await requireManagement(ctx);
        const current = store.orgAdmin(ctx.region);
        if (!current || current.adminAccountId !== input.AdminAccountId) {
          throw bad(
            `The request is rejected because account ${input.AdminAccountId ?? ''} is not the delegated administrator in ${ctx.region}.`,
          );
        }
        store.setOrgAdmin(ctx.region, undefined);
        store.membersOf(current.adminAccountId, ctx.region).clear();
        // The Organizations registration is organization-wide: it goes with the last region.
        if (![...store.allOrgAdmins().values()].some((a) => a.adminAccountId === current.adminAccountId)) {
          await organizations.deregisterDelegatedAdministrator(ctx, current.adminAccountId, 'guardduty.amazonaws.com');
        }
        return {};
      }),

      ListOrganizationAdminAccounts: typed<ListOrganizationAdminAccountsRequest, ListOrganizationAdminAccountsResponse>(
        async (ctx, input) => {
          await requireManagement(ctx);
          const current = store.orgAdmin(ctx.region);
          const all = current ? [{ AdminAccountId: current.adminAccountId, AdminStatus: 'ENABLED' as const }] : [];
          const page = paginate(all, input.MaxResults, input.NextToken, 50, 'BadRequestException');
          return { AdminAccounts: page.items, NextToken: page.nextToken };
        },
      ),

      UpdateOrganizationConfiguration: typed<UpdateOrganizationConfigurationRequest, object>(async (ctx, input) => {
        requireDelegatedAdmin(ctx, input.DetectorId ?? '');
        // "You must provide a value for either autoEnableOrganizationMembers or autoEnable, but not both."
        if (input.AutoEnable !== undefined && input.AutoEnableOrganizationMembers !== undefined) {
          throw bad(
            'The request is rejected because both autoEnable and autoEnableOrganizationMembers are specified; use autoEnableOrganizationMembers only.',
          );
        }
        if (input.AutoEnable === undefined && input.AutoEnableOrganizationMembers === undefined) {
          throw bad(
            'The request is rejected because neither autoEnable nor autoEnableOrganizationMembers is specified; provide autoEnableOrganizationMembers.',
          );
        }
        assertNoRuntimeConflict(input.Features);
        assertNotBothDataSourcesAndFeatures(input.Features, input.DataSources);
        assertFeaturesOffered(input.Features, ctx.region);
        assertNotPolicyManaged(input.Features);
        const config = store.orgConfig(ctx.accountId, ctx.region);
        if (input.AutoEnableOrganizationMembers) config.autoEnableOrganizationMembers = input.AutoEnableOrganizationMembers;
        else if (input.AutoEnable !== undefined) config.autoEnableOrganizationMembers = input.AutoEnable ? 'NEW' : 'NONE';
        for (const feature of input.Features ?? []) {
          if (!feature.Name) continue;
          const previous = config.features.get(feature.Name);
          const additional = new Map(previous?.additional ?? []);
          for (const extra of feature.AdditionalConfiguration ?? []) {
            if (extra.Name && extra.AutoEnable) additional.set(extra.Name, extra.AutoEnable);
          }
          config.features.set(feature.Name, { autoEnable: feature.AutoEnable ?? previous?.autoEnable ?? 'NONE', additional });
        }
        const legacy: Array<[string, boolean | undefined]> = [
          ['S3_DATA_EVENTS', input.DataSources?.S3Logs?.AutoEnable],
          ['EKS_AUDIT_LOGS', input.DataSources?.Kubernetes?.AuditLogs?.AutoEnable],
          ['EBS_MALWARE_PROTECTION', input.DataSources?.MalwareProtection?.ScanEc2InstanceWithFindings?.EbsVolumes?.AutoEnable],
        ];
        for (const [name, on] of legacy) {
          if (on !== undefined) config.features.set(name, { autoEnable: on ? 'NEW' : 'NONE', additional: new Map() });
        }
        // Only the settings change now: AWS applies them to existing accounts later (settle()).
        return {};
      }),

      DescribeOrganizationConfiguration: typed<DescribeOrganizationConfigurationRequest, DescribeOrganizationConfigurationResponse>(
        (ctx, input) => {
          requireDelegatedAdmin(ctx, input.DetectorId ?? '');
          const config = store.orgConfig(ctx.accountId, ctx.region);
          const mode = (name: string): 'NEW' | 'ALL' | 'NONE' => config.features.get(name)?.autoEnable ?? 'NONE';
          const features: OrganizationFeatureConfigurationResult[] = optionalFeaturesIn(ctx.region).map((name) => ({
            Name: name as OrganizationFeatureConfigurationResult['Name'],
            AutoEnable: mode(name),
            AdditionalConfiguration: [...(config.features.get(name)?.additional ?? new Map<string, 'NEW' | 'ALL' | 'NONE'>())].map(
              ([extra, m]) => ({
                Name: extra as NonNullable<OrganizationFeatureConfigurationResult['AdditionalConfiguration']>[number]['Name'],
                AutoEnable: m,
              }),
            ),
          }));
          return {
            AutoEnable: config.autoEnableOrganizationMembers !== 'NONE',
            AutoEnableOrganizationMembers: config.autoEnableOrganizationMembers,
            MemberAccountLimitReached: false,
            DataSources: {
              S3Logs: { AutoEnable: mode('S3_DATA_EVENTS') !== 'NONE' },
              Kubernetes: { AuditLogs: { AutoEnable: mode('EKS_AUDIT_LOGS') !== 'NONE' } },
              MalwareProtection: { ScanEc2InstanceWithFindings: { EbsVolumes: { AutoEnable: mode('EBS_MALWARE_PROTECTION') !== 'NONE' } } },
            },
            Features: features,
          };
        },
      ),

      CreateMembers: typed<CreateMembersRequest, CreateMembersResponse>(async (ctx, input) => {
        store.ownedDetector(input.DetectorId ?? '', ctx.accountId, ctx.region);
        const admin = store.orgAdmin(ctx.region);
        const isDelegatedAdmin = admin?.adminAccountId === ctx.accountId;
        const orgAccounts = isDelegatedAdmin ? await orgAccountsFor(ctx) : new Set<string>();
        const apply = await this.applyContext(admin?.managementAccountId, ctx.accountId, ctx.now);
        const unprocessed: UnprocessedAccount[] = [];
        for (const detail of input.AccountDetails ?? []) {
          const reason = addMember(ctx, detail, orgAccounts, isDelegatedAdmin, apply);
          if (reason) unprocessed.push({ AccountId: detail.AccountId, Result: reason });
        }
        return { UnprocessedAccounts: unprocessed };
      }),

      ListMembers: typed<ListMembersRequest, ListMembersResponse>((ctx, input) => {
        store.ownedDetector(input.DetectorId ?? '', ctx.accountId, ctx.region);
        const onlyAssociated = input.OnlyAssociated !== 'false';
        const all = [...store.membersOf(ctx.accountId, ctx.region).values()].filter(
          (m) => !onlyAssociated || m.relationshipStatus === 'Enabled',
        );
        const page = paginate(all, input.MaxResults, input.NextToken, 50, 'BadRequestException');
        return { Members: page.items.map((m) => toMember(m, ctx.region)), NextToken: page.nextToken };
      }),

      GetMembers: typed<GetMembersRequest, GetMembersResponse>((ctx, input) => {
        store.ownedDetector(input.DetectorId ?? '', ctx.accountId, ctx.region);
        const members = store.membersOf(ctx.accountId, ctx.region);
        const found: Member[] = [];
        const unprocessed: UnprocessedAccount[] = [];
        for (const id of input.AccountIds ?? []) {
          const m = members.get(id);
          if (m) found.push(toMember(m, ctx.region));
          else unprocessed.push(notMember(id));
        }
        return { Members: found, UnprocessedAccounts: unprocessed };
      }),

      GetMemberDetectors: typed<GetMemberDetectorsRequest, GetMemberDetectorsResponse>((ctx, input) => {
        store.ownedDetector(input.DetectorId ?? '', ctx.accountId, ctx.region);
        const members = store.membersOf(ctx.accountId, ctx.region);
        const configs: GetMemberDetectorsResponse['MemberDataSourceConfigurations'] = [];
        const unprocessed: UnprocessedAccount[] = [];
        const orgFeatures = new Set<string>(OPTIONAL_FEATURES);
        for (const id of input.AccountIds ?? []) {
          const detector = members.has(id) ? store.detectorOf(id, ctx.region) : undefined;
          if (!detector) {
            unprocessed.push(notMember(id));
            continue;
          }
          configs.push({
            AccountId: id,
            DataSources: dataSourcesResult(detector),
            Features: featureResults(detector)
              .filter((f) => f.Name !== undefined && orgFeatures.has(f.Name))
              .map((f) => ({ ...f, Name: f.Name as NonNullable<OrganizationFeatureConfigurationResult['Name']> })),
          });
        }
        return { MemberDataSourceConfigurations: configs, UnprocessedAccounts: unprocessed };
      }),

      GetAdministratorAccount: typed<GetAdministratorAccountRequest, GetAdministratorAccountResponse>((ctx, input) => {
        store.ownedDetector(input.DetectorId ?? '', ctx.accountId, ctx.region);
        const membership = store.membershipOf(ctx.accountId, ctx.region);
        if (!membership) return {} as GetAdministratorAccountResponse;
        return {
          Administrator: {
            AccountId: membership.administratorId,
            RelationshipStatus: membership.relationshipStatus,
            InvitedAt: membership.invitedAt,
          },
        };
      }),

      StopMonitoringMembers: typed<StopMonitoringMembersRequest, StopMonitoringMembersResponse>(async (ctx, input) => {
        store.ownedDetector(input.DetectorId ?? '', ctx.accountId, ctx.region);
        if (
          store.orgAdmin(ctx.region)?.adminAccountId === ctx.accountId &&
          store.orgConfig(ctx.accountId, ctx.region).autoEnableOrganizationMembers === 'ALL'
        ) {
          const orgAccounts = await orgAccountsFor(ctx);
          const inOrg = (input.AccountIds ?? []).filter((id) => orgAccounts.has(id));
          if (inOrg.length > 0) {
            throw bad(
              `The request is rejected because autoEnableOrganizationMembers is ALL: monitoring of organization accounts (${inOrg.join(', ')}) cannot be stopped.`,
            );
          }
        }
        return { UnprocessedAccounts: setMonitoring(ctx, input.AccountIds, 'Disabled') };
      }),

      StartMonitoringMembers: typed<StartMonitoringMembersRequest, StartMonitoringMembersResponse>((ctx, input) => {
        store.ownedDetector(input.DetectorId ?? '', ctx.accountId, ctx.region);
        return { UnprocessedAccounts: setMonitoring(ctx, input.AccountIds, 'Enabled') };
      }),

      UpdateMemberDetectors: typed<UpdateMemberDetectorsRequest, UpdateMemberDetectorsResponse>(async (ctx, input) => {
        store.ownedDetector(input.DetectorId ?? '', ctx.accountId, ctx.region);
        // Checked for the whole request first: a rejected request changes no member.
        assertNoRuntimeConflict(input.Features);
        assertNotBothDataSourcesAndFeatures(input.Features, input.DataSources);
        assertFeaturesOffered(input.Features, ctx.region);
        assertNotPolicyManaged(input.Features);
        const admin = store.orgAdmin(ctx.region);
        const apply = await this.applyContext(admin?.managementAccountId, ctx.accountId, ctx.now);
        // Without its service-linked role a member cannot have Malware Protection turned on.
        const features = apply.malwareBlocked
          ? input.Features?.filter((f) => f.Name !== MALWARE_FEATURE || f.Status !== 'ENABLED')
          : input.Features;
        const members = store.membersOf(ctx.accountId, ctx.region);
        const unprocessed: UnprocessedAccount[] = [];
        for (const id of input.AccountIds ?? []) {
          const m = members.get(id);
          const detector = m && m.relationshipStatus !== 'Removed' ? store.detectorOf(id, ctx.region) : undefined;
          if (!detector) {
            unprocessed.push(notMember(id));
            continue;
          }
          applyDetectorFeatures(detector, features, input.DataSources, ctx.now);
          detector.updatedAt = ctx.now.toISOString();
        }
        return { UnprocessedAccounts: unprocessed };
      }),

      DisassociateMembers: typed<DisassociateMembersRequest, DisassociateMembersResponse>((ctx, input) => {
        store.ownedDetector(input.DetectorId ?? '', ctx.accountId, ctx.region);
        const members = store.membersOf(ctx.accountId, ctx.region);
        const unprocessed: UnprocessedAccount[] = [];
        for (const id of input.AccountIds ?? []) {
          const m = members.get(id);
          if (!m) unprocessed.push(notMember(id));
          else {
            m.relationshipStatus = 'Removed';
            m.updatedAt = ctx.now.toISOString();
          }
        }
        return { UnprocessedAccounts: unprocessed };
      }),

      DeleteMembers: typed<DeleteMembersRequest, DeleteMembersResponse>((ctx, input) => {
        store.ownedDetector(input.DetectorId ?? '', ctx.accountId, ctx.region);
        const members = store.membersOf(ctx.accountId, ctx.region);
        const unprocessed: UnprocessedAccount[] = [];
        for (const id of input.AccountIds ?? []) {
          if (!members.delete(id)) unprocessed.push(notMember(id));
        }
        return { UnprocessedAccounts: unprocessed };
      }),
    };
  }
}
