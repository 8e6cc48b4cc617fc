/**
 * GuardDuty with AWS Organizations: delegated administrator
 * (Enable/Disable/ListOrganizationAdminAccounts, called by the management
 * account), organization configuration (Update/Describe, called by the
 * delegated administrator), and members (Create/List/Get/Delete/Disassociate
 * members, GetMemberDetectors, GetAdministratorAccount).
 *
 * Emulated rules (from the GuardDuty API reference): an organization account
 * added with CreateMembers by the delegated administrator is `Enabled` at
 * once and gets a detector; any other account is `Created` (invitation flow,
 * not emulated further). AutoEnableOrganizationMembers=ALL enrolls every
 * current organization account that is not a member yet immediately (AWS
 * does it asynchronously); members whose monitoring was stopped stay
 * `Disabled` until StartMonitoringMembers. StopMonitoringMembers is refused
 * for organization accounts while auto-enable is ALL.
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
import { typed, type CallContext, type Handler } from '../service';
import { paginate } from '../util';
import {
  applyDetectorFeatures,
  assertNoRuntimeConflict,
  assertNotBothDataSourcesAndFeatures,
  dataSourcesResult,
  featureResults,
} from './detectors';
import { OPTIONAL_FEATURES, type Detector, type GuardDutyStore, type MemberRecord, type OrgConfiguration } from './store';

function bad(message: string): ApiError {
  return new ApiError('BadRequestException', message);
}

/**
 * The GuardDuty organization handlers, keyed by operation name.
 * `regionEnabled` tells whether an account has enabled a region (Account API
 * opt-in): auto-enable does not enroll an account in a region it has not
 * enabled, since GuardDuty cannot run there.
 */
export function guardDutyOrganizationHandlers(
  store: GuardDutyStore,
  organizations: OrganizationDirectory,
  regionEnabled: (accountId: string, region: string) => boolean = () => true,
): Record<string, Handler> {
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

  /** Apply the organization's auto-enabled features to a member's detector. */
  const applyOrgFeatures = (config: OrgConfiguration, detector: Detector, ctx: CallContext, newMember: boolean): void => {
    for (const [name, feature] of config.features) {
      if (feature.autoEnable === 'ALL' || (feature.autoEnable === 'NEW' && newMember)) {
        const state = detector.features.get(name);
        if (state) {
          state.status = 'ENABLED';
          state.updatedAt = ctx.now;
          for (const [extra, mode] of feature.additional) {
            if (mode === 'ALL' || (mode === 'NEW' && newMember)) state.additional.set(extra, { status: 'ENABLED', updatedAt: ctx.now });
          }
        }
      }
    }
  };

  /** Add one account as a member; returns the unprocessed reason, if any. */
  const addMember = (
    ctx: CallContext,
    detail: AccountDetail,
    orgAccounts: ReadonlySet<string>,
    isDelegatedAdmin: boolean,
  ): string | undefined => {
    const accountId = detail.AccountId ?? '';
    if (accountId === ctx.accountId) return 'The request is rejected because the current account cannot be added as its own member.';
    const existing = store.membershipOf(accountId, ctx.region);
    if (existing && existing.relationshipStatus !== 'Removed') {
      return existing.administratorId === ctx.accountId
        ? 'The request is rejected because the current account has already invited or is already the GuardDuty administrator of the given member account ID.'
        : `The request is rejected because the given account ID is already associated with GuardDuty administrator ${existing.administratorId}.`;
    }
    const stamp = ctx.now.toISOString();
    const inOrg = isDelegatedAdmin && orgAccounts.has(accountId);
    store.membersOf(ctx.accountId, ctx.region).set(accountId, {
      accountId,
      administratorId: ctx.accountId,
      email: detail.Email ?? '',
      relationshipStatus: inOrg ? 'Enabled' : 'Created',
      invitedAt: inOrg ? stamp : undefined,
      updatedAt: stamp,
    });
    if (inOrg) {
      const hadDetector = store.detectorOf(accountId, ctx.region) !== undefined;
      const detector = store.ensureDetector(accountId, ctx.region, ctx.now);
      detector.status = 'ENABLED';
      applyOrgFeatures(store.orgConfig(ctx.accountId, ctx.region), detector, ctx, !hadDetector);
    }
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
  const setMonitoring = (ctx: CallContext, accountIds: readonly string[] | undefined, to: 'Enabled' | 'Disabled'): UnprocessedAccount[] => {
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
      if (config.autoEnableOrganizationMembers === 'ALL') {
        const orgAccounts = await orgAccountsFor(ctx);
        for (const accountId of orgAccounts) {
          if (accountId === ctx.accountId || store.membershipOf(accountId, ctx.region) || !regionEnabled(accountId, ctx.region)) continue;
          addMember(ctx, { AccountId: accountId, Email: `${accountId}@organization` }, orgAccounts, true);
        }
      }
      // Features set to ALL apply to every current member at once.
      for (const member of store.membersOf(ctx.accountId, ctx.region).values()) {
        const detector = store.detectorOf(member.accountId, ctx.region);
        if (member.relationshipStatus === 'Enabled' && detector) applyOrgFeatures(config, detector, ctx, false);
      }
      return {};
    }),

    DescribeOrganizationConfiguration: typed<DescribeOrganizationConfigurationRequest, DescribeOrganizationConfigurationResponse>(
      (ctx, input) => {
        requireDelegatedAdmin(ctx, input.DetectorId ?? '');
        const config = store.orgConfig(ctx.accountId, ctx.region);
        const mode = (name: string): 'NEW' | 'ALL' | 'NONE' => config.features.get(name)?.autoEnable ?? 'NONE';
        const features: OrganizationFeatureConfigurationResult[] = OPTIONAL_FEATURES.map((name) => ({
          Name: name,
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
      const isDelegatedAdmin = store.orgAdmin(ctx.region)?.adminAccountId === ctx.accountId;
      const orgAccounts = isDelegatedAdmin ? await orgAccountsFor(ctx) : new Set<string>();
      const unprocessed: UnprocessedAccount[] = [];
      for (const detail of input.AccountDetails ?? []) {
        const reason = addMember(ctx, detail, orgAccounts, isDelegatedAdmin);
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

    UpdateMemberDetectors: typed<UpdateMemberDetectorsRequest, UpdateMemberDetectorsResponse>((ctx, input) => {
      store.ownedDetector(input.DetectorId ?? '', ctx.accountId, ctx.region);
      // Checked for the whole request first: a rejected request changes no member.
      assertNoRuntimeConflict(input.Features);
      assertNotBothDataSourcesAndFeatures(input.Features, input.DataSources);
      const members = store.membersOf(ctx.accountId, ctx.region);
      const unprocessed: UnprocessedAccount[] = [];
      for (const id of input.AccountIds ?? []) {
        const m = members.get(id);
        const detector = m && m.relationshipStatus !== 'Removed' ? store.detectorOf(id, ctx.region) : undefined;
        if (!detector) {
          unprocessed.push(notMember(id));
          continue;
        }
        applyDetectorFeatures(detector, input.Features, input.DataSources, ctx.now);
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
