/**
 * Security Hub CSPM with AWS Organizations: delegated administrator
 * (Enable/Disable/ListOrganizationAdminAccounts, by the management account),
 * organization configuration (by the administrator), members
 * (Create/List/Get/Delete/Disassociate members), finding aggregators and
 * central configuration (configuration policies and their associations).
 *
 * Emulated rules (Security Hub CSPM API reference and user guide):
 * - CreateMembers by the administrator: "If the organization account does not
 *   have Security Hub CSPM enabled, then Security Hub CSPM and the default
 *   standards are automatically enabled. … Security Hub CSPM cannot be
 *   enabled automatically for the organization management account. The
 *   organization management account must enable Security Hub CSPM before the
 *   administrator account enables it as a member account."
 *   (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_CreateMembers.html):
 *   the management account without a hub stays `Created`, not `Enabled`,
 *   until it enables Security Hub and is added again. Other accounts are
 *   `Created` (invitation flow not emulated further).
 * - Organization configuration: `ConfigurationType` LOCAL or CENTRAL. Under
 *   LOCAL, AutoEnable and AutoEnableStandards (default DEFAULT) apply to
 *   accounts that join the organization after AutoEnable was turned on, not
 *   to those already in it ({@link SecurityHubOrganization.settle}). CENTRAL
 *   needs a finding aggregator and is set from its region, the home region, by
 *   a delegated administrator that is not the management account; it then
 *   holds in the home region and every linked region, where AutoEnable is
 *   false and AutoEnableStandards NONE and "can't be changed"
 *   (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_UpdateOrganizationConfiguration.html),
 *   the delegated administrator is set in every linked region, and
 *   CreateMembers changes nothing: configuration policies decide
 *   (https://docs.aws.amazon.com/securityhub/latest/userguide/start-central-configuration.html).
 * - Configuration policies (home region, delegated administrator only): an
 *   account associated with a policy that enables Security Hub — directly or
 *   through the root — gets Security Hub (with the policy's standards) in the
 *   home and linked regions and is an `Enabled` member; the management account
 *   only once it has enabled Security Hub itself. AWS applies associations
 *   asynchronously; the emulator applies them at once, and again on
 *   ListMembers/GetMembers and {@link SecurityHubOrganization.settle} (for
 *   accounts that joined since).
 */
import { randomUUID } from 'node:crypto';

import type {
  ConfigurationPolicyAssociationSummary,
  CreateConfigurationPolicyRequest,
  CreateConfigurationPolicyResponse,
  CreateFindingAggregatorRequest,
  CreateFindingAggregatorResponse,
  CreateMembersRequest,
  CreateMembersResponse,
  DeleteFindingAggregatorRequest,
  DeleteMembersRequest,
  DeleteMembersResponse,
  DescribeOrganizationConfigurationResponse,
  DisableOrganizationAdminAccountRequest,
  DisassociateMembersRequest,
  EnableOrganizationAdminAccountRequest,
  EnableOrganizationAdminAccountResponse,
  GetFindingAggregatorRequest,
  GetFindingAggregatorResponse,
  GetMembersRequest,
  GetMembersResponse,
  ListConfigurationPoliciesRequest,
  ListConfigurationPoliciesResponse,
  ListConfigurationPolicyAssociationsRequest,
  ListConfigurationPolicyAssociationsResponse,
  ListFindingAggregatorsRequest,
  ListFindingAggregatorsResponse,
  ListMembersRequest,
  ListMembersResponse,
  ListOrganizationAdminAccountsRequest,
  ListOrganizationAdminAccountsResponse,
  Member,
  Policy,
  Result,
  StartConfigurationPolicyAssociationRequest,
  StartConfigurationPolicyAssociationResponse,
  UpdateFindingAggregatorRequest,
  UpdateFindingAggregatorResponse,
  UpdateOrganizationConfigurationRequest,
} from '@aws-sdk/client-securityhub';

import { ApiError } from '../errors';
import type { OrganizationDirectory } from '../organizations';
import { typed, type CallContext, type Handler } from '../service';
import { paginate } from '../util';
import {
  defaultStandards,
  type Aggregator,
  type ConfigurationPolicyRecord,
  type HubMember,
  type PolicyAssociation,
  type SecurityHubStore,
} from './store';

const LINKING_MODES = ['ALL_REGIONS', 'ALL_REGIONS_EXCEPT_SPECIFIED', 'SPECIFIED_REGIONS', 'NO_REGIONS'];

function invalid(message: string): ApiError {
  return new ApiError('InvalidInputException', message);
}

/** What the Security Hub organization handlers need. */
export interface SecurityHubOrganizationDeps {
  readonly store: SecurityHubStore;
  readonly organizations: OrganizationDirectory;
  /** Every region the emulator knows (an aggregator's ALL_REGIONS). */
  readonly allRegions: () => readonly string[];
  /** Whether an account has enabled a region (Account API opt-in): Security Hub cannot be enabled for it elsewhere. */
  readonly regionEnabled: (accountId: string, region: string) => boolean;
}

/** The identifier of self-managed behaviour in a configuration policy association. */
const SELF_MANAGED = 'SELF_MANAGED_SECURITY_HUB';

/**
 * Security Hub's organization side: the handlers ({@link handlers}) and what
 * AWS does later in the background ({@link settle}).
 */
export class SecurityHubOrganization {
  public constructor(private readonly deps: SecurityHubOrganizationDeps) {}

  /** Regions an account's finding aggregator links (its own region included); none without an aggregator. */
  private linkedRegions(adminAccountId: string): string[] {
    const a = this.deps.store.aggregatorOf(adminAccountId);
    if (!a) return [];
    const all = this.deps.allRegions();
    const linked =
      a.linkingMode === 'ALL_REGIONS'
        ? all
        : a.linkingMode === 'ALL_REGIONS_EXCEPT_SPECIFIED'
          ? all.filter((r) => !a.regions.includes(r))
          : a.linkingMode === 'SPECIFIED_REGIONS'
            ? a.regions
            : [];
    return [...new Set([a.homeRegion, ...linked])];
  }

  /** True when central configuration holds in the region (the home region or one it links). */
  private centralIn(region: string): boolean {
    const central = this.deps.store.central;
    return central !== undefined && this.linkedRegions(central.adminAccountId).includes(region);
  }

  /**
   * What AWS does later in the background: under central configuration, the
   * policies reach accounts that joined since; under local configuration,
   * AutoEnable enrolls organization accounts that are not members yet, with
   * the default standards when AutoEnableStandards is DEFAULT.
   */
  public async settle(now: Date): Promise<void> {
    const { store, organizations } = this.deps;
    await this.applyCentral(now);
    for (const [region, admin] of store.allOrgAdmins()) {
      if (this.centralIn(region)) continue;
      const config = store.orgConfig(admin.adminAccountId, region);
      if (!config.autoEnable) continue;
      const org = await organizations.organizationOfManagement(admin.managementAccountId);
      const members = store.membersOf(admin.adminAccountId, region);
      for (const accountId of org?.accountIds ?? []) {
        if (accountId === admin.adminAccountId || config.accountsWhenAutoEnabled.has(accountId) || members.has(accountId)) continue;
        if (!store.hubOf(accountId, region)) {
          const hub = store.enableHub(accountId, region, now);
          if (config.autoEnableStandards === 'DEFAULT') for (const arn of defaultStandards(region)) hub.standards.add(arn);
        }
        members.set(accountId, {
          accountId,
          administratorId: admin.adminAccountId,
          email: undefined,
          memberStatus: 'Enabled',
          invitedAt: now,
          updatedAt: now,
        });
      }
    }
  }

  /**
   * Central configuration's effect: every organization account whose
   * association (its own, else the root's) is a policy that enables Security
   * Hub has it, with the policy's standards, in the home and linked regions,
   * and is an Enabled member (the management account once its hub is on).
   */
  private async applyCentral(now: Date): Promise<void> {
    const { store, organizations } = this.deps;
    const central = store.central;
    if (!central) return;
    const management = store.orgAdmin(central.homeRegion)?.managementAccountId;
    const org = await organizations.organizationOfManagement(management);
    const root = [...store.associations.values()].find((a) => a.targetType === 'ROOT');
    for (const accountId of org?.accountIds ?? []) {
      const policyId = store.associations.get(accountId)?.policyId ?? root?.policyId;
      const policy = policyId === undefined ? undefined : store.configurationPolicies.get(policyId);
      if (policy?.policy.SecurityHub?.ServiceEnabled !== true) continue;
      for (const region of this.linkedRegions(central.adminAccountId)) {
        if (!this.deps.regionEnabled(accountId, region)) continue;
        if (!store.hubOf(accountId, region)) {
          if (accountId === management) continue;
          const hub = store.enableHub(accountId, region, now);
          for (const arn of policy.policy.SecurityHub.EnabledStandardIdentifiers ?? []) hub.standards.add(arn);
        }
        if (accountId === central.adminAccountId) continue;
        const members = store.membersOf(central.adminAccountId, region);
        if (members.get(accountId)?.memberStatus !== 'Enabled') {
          members.set(accountId, {
            accountId,
            administratorId: central.adminAccountId,
            email: undefined,
            memberStatus: 'Enabled',
            invitedAt: now,
            updatedAt: now,
          });
        }
      }
    }
  }

  /** The Security Hub organization handlers, keyed by operation name. */
  public handlers(): Record<string, Handler> {
    const { store, organizations } = this.deps;
    const requireManagement = async (ctx: CallContext): Promise<void> => {
      const org = await organizations.forCaller(ctx.accountId, ctx.accessKeyId);
      if (!org || org.managementAccountId !== ctx.accountId) {
        throw new ApiError('AccessDeniedException', `Account ${ctx.accountId} is not the management account of an AWS organization`);
      }
    };

    const requireAdmin = (ctx: CallContext): void => {
      store.requireHub(ctx.accountId, ctx.region);
      if (store.orgAdmin(ctx.region)?.adminAccountId !== ctx.accountId) {
        throw new ApiError(
          'InvalidAccessException',
          `Account ${ctx.accountId} is not the Security Hub administrator of the organization in ${ctx.region}`,
        );
      }
    };

    /** Central configuration's calls: the delegated administrator, from the home region. */
    const requireHome = (ctx: CallContext): void => {
      requireAdmin(ctx);
      if (store.central?.homeRegion !== ctx.region) {
        throw new ApiError(
          'InvalidAccessException',
          store.central
            ? `Configuration policies are managed from the home Region ${store.central.homeRegion}, not ${ctx.region}`
            : 'The organization does not use central configuration (UpdateOrganizationConfiguration with ConfigurationType CENTRAL first)',
        );
      }
    };

    const policyView = (p: ConfigurationPolicyRecord): CreateConfigurationPolicyResponse => ({
      Arn: p.arn,
      Id: p.id,
      Name: p.name,
      Description: p.description,
      UpdatedAt: p.createdAt,
      CreatedAt: p.createdAt,
      ConfigurationPolicy: p.policy,
    });

    const associationView = (a: PolicyAssociation): ConfigurationPolicyAssociationSummary => ({
      ConfigurationPolicyId: a.policyId,
      TargetId: a.targetId,
      TargetType: a.targetType,
      AssociationType: 'APPLIED',
      UpdatedAt: a.updatedAt,
      AssociationStatus: 'SUCCESS',
    });

    const toMember = (m: HubMember): Member => ({
      AccountId: m.accountId,
      Email: m.email,
      MasterId: m.administratorId,
      AdministratorId: m.administratorId,
      MemberStatus: m.memberStatus,
      InvitedAt: m.invitedAt,
      UpdatedAt: m.updatedAt,
    });

    const validateLinking = (mode: string | undefined, regions: readonly string[] | undefined): void => {
      if (mode === undefined) return;
      if (!LINKING_MODES.includes(mode)) invalidThrow(`RegionLinkingMode must be one of ${LINKING_MODES.join(', ')}`);
      const needsRegions = mode === 'ALL_REGIONS_EXCEPT_SPECIFIED' || mode === 'SPECIFIED_REGIONS';
      if (needsRegions && (!regions || regions.length === 0)) invalidThrow(`Regions is required with RegionLinkingMode ${mode}`);
      if (!needsRegions && regions && regions.length > 0) invalidThrow(`Regions must not be given with RegionLinkingMode ${mode}`);
    };

    const aggregatorView = (a: Aggregator): GetFindingAggregatorResponse => ({
      FindingAggregatorArn: a.arn,
      FindingAggregationRegion: a.homeRegion,
      RegionLinkingMode: a.linkingMode,
      Regions: a.regions.length > 0 ? a.regions : undefined,
    });

    const ownAggregator = (ctx: CallContext, arn: string): Aggregator => {
      const a = store.aggregatorOf(ctx.accountId);
      if (!a || a.arn !== arn) throw new ApiError('ResourceNotFoundException', `Finding aggregator ${arn} does not exist`);
      return a;
    };

    return {
      EnableOrganizationAdminAccount: typed<EnableOrganizationAdminAccountRequest, EnableOrganizationAdminAccountResponse>(
        async (ctx, input) => {
          await requireManagement(ctx);
          const org = await organizations.forCaller(ctx.accountId, ctx.accessKeyId);
          const adminId = input.AdminAccountId ?? '';
          if (!org?.accountIds.has(adminId)) throw invalid(`Account ${adminId} is not a member of the organization`);
          const current = store.orgAdmin(ctx.region);
          if (current && current.adminAccountId !== adminId) {
            throw invalid(`Account ${current.adminAccountId} is already the Security Hub administrator in ${ctx.region}`);
          }
          if (!current) await organizations.registerDelegatedAdministrator(ctx, adminId, 'securityhub.amazonaws.com');
          store.setOrgAdmin(ctx.region, { adminAccountId: adminId, managementAccountId: ctx.accountId });
          return { AdminAccountId: adminId, Feature: input.Feature ?? 'SecurityHub' };
        },
      ),

      DisableOrganizationAdminAccount: typed<DisableOrganizationAdminAccountRequest, object>(async (ctx, input) => {
        await requireManagement(ctx);
        const current = store.orgAdmin(ctx.region);
        if (!current || current.adminAccountId !== input.AdminAccountId) {
          throw invalid(`Account ${input.AdminAccountId ?? ''} is not the Security Hub administrator in ${ctx.region}`);
        }
        store.setOrgAdmin(ctx.region, undefined);
        store.membersOf(current.adminAccountId, ctx.region).clear();
        // The Organizations registration is organization-wide: it goes with the last region.
        if (![...store.allOrgAdmins().values()].some((a) => a.adminAccountId === current.adminAccountId)) {
          await organizations.deregisterDelegatedAdministrator(ctx, current.adminAccountId, 'securityhub.amazonaws.com');
        }
        return {};
      }),

      ListOrganizationAdminAccounts: typed<ListOrganizationAdminAccountsRequest, ListOrganizationAdminAccountsResponse>(
        async (ctx, input) => {
          await requireManagement(ctx);
          const current = store.orgAdmin(ctx.region);
          const all = current ? [{ AccountId: current.adminAccountId, Status: 'ENABLED' as const }] : [];
          const page = paginate(all, input.MaxResults, input.NextToken, 10, 'InvalidInputException');
          return { AdminAccounts: page.items, NextToken: page.nextToken };
        },
      ),

      UpdateOrganizationConfiguration: typed<UpdateOrganizationConfigurationRequest, object>(async (ctx, input) => {
        requireAdmin(ctx);
        const wanted = input.OrganizationConfiguration?.ConfigurationType;
        const central = this.centralIn(ctx.region);
        const centralFields = (): void => {
          // "If the ConfigurationType of your organization is set to CENTRAL, then this field is set to false and can't be changed"
          if (input.AutoEnable === true)
            throw invalid('AutoEnable must be false when the organization uses central configuration (ConfigurationType CENTRAL)');
          if (input.AutoEnableStandards === 'DEFAULT') {
            throw invalid('AutoEnableStandards must be NONE when the organization uses central configuration (ConfigurationType CENTRAL)');
          }
        };
        if (wanted === 'CENTRAL') {
          centralFields();
          const admin = store.orgAdmin(ctx.region);
          if (admin?.managementAccountId === ctx.accountId) {
            throw invalid('The organization management account cannot be the delegated administrator of central configuration');
          }
          const aggregator = store.aggregatorOf(ctx.accountId);
          if (!aggregator || aggregator.homeRegion !== ctx.region) {
            throw invalid(
              `Central configuration needs a finding aggregator, and is started from its Region (the home Region)${aggregator ? `: ${aggregator.homeRegion}` : ''}`,
            );
          }
          store.central = { adminAccountId: ctx.accountId, homeRegion: ctx.region };
          // "When you start using central configuration, the same delegated administrator is automatically set in all linked Regions"
          for (const region of this.linkedRegions(ctx.accountId)) {
            if (!store.orgAdmin(region))
              store.setOrgAdmin(region, { adminAccountId: ctx.accountId, managementAccountId: admin?.managementAccountId });
          }
          return {};
        }
        if (central) {
          if (wanted === 'LOCAL' && store.central?.homeRegion === ctx.region) {
            store.central = undefined;
          } else {
            centralFields();
            return {};
          }
        }
        const config = store.orgConfig(ctx.accountId, ctx.region);
        if (input.AutoEnable === true && !config.autoEnable) {
          // "Whether to automatically enable Security Hub in new member accounts when they join the organization."
          const org = await organizations.accountsOf(store.orgAdmin(ctx.region)?.managementAccountId, ctx.accountId, ctx.accessKeyId);
          config.accountsWhenAutoEnabled = new Set(org?.accountIds ?? []);
        }
        config.autoEnable = input.AutoEnable ?? config.autoEnable;
        if (input.AutoEnableStandards) config.autoEnableStandards = input.AutoEnableStandards;
        return {};
      }),

      DescribeOrganizationConfiguration: typed<object, DescribeOrganizationConfigurationResponse>((ctx) => {
        requireAdmin(ctx);
        if (this.centralIn(ctx.region)) {
          return {
            AutoEnable: false,
            MemberAccountLimitReached: false,
            AutoEnableStandards: 'NONE',
            OrganizationConfiguration: { ConfigurationType: 'CENTRAL', Status: 'ENABLED' },
          };
        }
        const config = store.orgConfig(ctx.accountId, ctx.region);
        return {
          AutoEnable: config.autoEnable,
          MemberAccountLimitReached: false,
          AutoEnableStandards: config.autoEnableStandards,
          OrganizationConfiguration: { ConfigurationType: 'LOCAL', Status: 'ENABLED' },
        };
      }),

      CreateMembers: typed<CreateMembersRequest, CreateMembersResponse>(async (ctx, input) => {
        store.requireHub(ctx.accountId, ctx.region);
        // Under central configuration, configuration policies decide who is a member.
        if (this.centralIn(ctx.region)) return { UnprocessedAccounts: [] };
        const admin = store.orgAdmin(ctx.region);
        const isAdmin = admin?.adminAccountId === ctx.accountId;
        const org = isAdmin ? await organizations.accountsOf(admin.managementAccountId, ctx.accountId, ctx.accessKeyId) : undefined;
        const members = store.membersOf(ctx.accountId, ctx.region);
        const unprocessed: Result[] = [];
        for (const detail of input.AccountDetails ?? []) {
          const accountId = detail.AccountId ?? '';
          if (accountId === ctx.accountId) {
            unprocessed.push({ AccountId: accountId, ProcessingResult: 'Cannot add the administrator account as a member' });
            continue;
          }
          const otherAdmin = store.administratorOf(accountId, ctx.region);
          if (otherAdmin && otherAdmin !== ctx.accountId) {
            unprocessed.push({ AccountId: accountId, ProcessingResult: `Account is already a member of administrator ${otherAdmin}` });
            continue;
          }
          const inOrg = isAdmin && (org?.accountIds.has(accountId) ?? false);
          const existing = members.get(accountId);
          // Added again: an organization account left Created (the management account before it enabled Security Hub) is looked at afresh.
          if (
            existing &&
            existing.memberStatus !== 'Removed' &&
            existing.memberStatus !== 'Deleted' &&
            !(inOrg && existing.memberStatus === 'Created')
          )
            continue;
          const management = inOrg && accountId === admin?.managementAccountId;
          const enabled = inOrg && (!management || store.hubOf(accountId, ctx.region) !== undefined);
          members.set(accountId, {
            accountId,
            administratorId: ctx.accountId,
            email: detail.Email,
            memberStatus: enabled ? 'Enabled' : 'Created',
            invitedAt: existing?.invitedAt ?? ctx.now,
            updatedAt: ctx.now,
          });
          if (enabled && !store.hubOf(accountId, ctx.region)) {
            const hub = store.enableHub(accountId, ctx.region, ctx.now);
            for (const arn of defaultStandards(ctx.region)) hub.standards.add(arn);
          }
        }
        return { UnprocessedAccounts: unprocessed };
      }),

      ListMembers: typed<ListMembersRequest, ListMembersResponse>(async (ctx, input) => {
        store.requireHub(ctx.accountId, ctx.region);
        await this.applyCentral(ctx.now);
        const onlyAssociated = input.OnlyAssociated ?? true;
        const all = [...store.membersOf(ctx.accountId, ctx.region).values()].filter((m) => !onlyAssociated || m.memberStatus === 'Enabled');
        const page = paginate(all, input.MaxResults, input.NextToken, 50, 'InvalidInputException');
        return { Members: page.items.map(toMember), NextToken: page.nextToken };
      }),

      GetMembers: typed<GetMembersRequest, GetMembersResponse>(async (ctx, input) => {
        store.requireHub(ctx.accountId, ctx.region);
        await this.applyCentral(ctx.now);
        const members = store.membersOf(ctx.accountId, ctx.region);
        const found: Member[] = [];
        const unprocessed: Result[] = [];
        for (const id of input.AccountIds ?? []) {
          const m = members.get(id);
          if (m) found.push(toMember(m));
          else unprocessed.push({ AccountId: id, ProcessingResult: 'Account is not a member of the current administrator' });
        }
        return { Members: found, UnprocessedAccounts: unprocessed };
      }),

      DisassociateMembers: typed<DisassociateMembersRequest, object>((ctx, input) => {
        store.requireHub(ctx.accountId, ctx.region);
        const members = store.membersOf(ctx.accountId, ctx.region);
        for (const id of input.AccountIds ?? []) {
          const m = members.get(id);
          if (m) {
            m.memberStatus = 'Removed';
            m.updatedAt = ctx.now;
          }
        }
        return {};
      }),

      DeleteMembers: typed<DeleteMembersRequest, DeleteMembersResponse>((ctx, input) => {
        store.requireHub(ctx.accountId, ctx.region);
        const members = store.membersOf(ctx.accountId, ctx.region);
        const unprocessed: Result[] = [];
        for (const id of input.AccountIds ?? []) {
          if (!members.delete(id))
            unprocessed.push({ AccountId: id, ProcessingResult: 'Account is not a member of the current administrator' });
        }
        return { UnprocessedAccounts: unprocessed };
      }),

      CreateConfigurationPolicy: typed<CreateConfigurationPolicyRequest, CreateConfigurationPolicyResponse>((ctx, input) => {
        requireHome(ctx);
        if ([...store.configurationPolicies.values()].some((p) => p.name === input.Name)) {
          throw new ApiError('ResourceConflictException', `A configuration policy named ${input.Name ?? ''} already exists`);
        }
        const id = randomUUID();
        const record: ConfigurationPolicyRecord = {
          id,
          arn: `arn:aws:securityhub:${ctx.region}:${ctx.accountId}:configuration-policy/${id}`,
          name: input.Name ?? '',
          description: input.Description,
          // Required by the model (validated before the handler runs).
          policy: input.ConfigurationPolicy as Policy,
          createdAt: ctx.now,
        };
        store.configurationPolicies.set(id, record);
        return policyView(record);
      }),

      ListConfigurationPolicies: typed<ListConfigurationPoliciesRequest, ListConfigurationPoliciesResponse>((ctx, input) => {
        requireHome(ctx);
        const all = [...store.configurationPolicies.values()].map((p) => ({
          Arn: p.arn,
          Id: p.id,
          Name: p.name,
          Description: p.description,
          UpdatedAt: p.createdAt,
          ServiceEnabled: p.policy.SecurityHub?.ServiceEnabled,
        }));
        const page = paginate(all, input.MaxResults, input.NextToken, 10, 'InvalidInputException');
        return { ConfigurationPolicySummaries: page.items, NextToken: page.nextToken };
      }),

      StartConfigurationPolicyAssociation: typed<StartConfigurationPolicyAssociationRequest, StartConfigurationPolicyAssociationResponse>(
        async (ctx, input) => {
          requireHome(ctx);
          const identifier = input.ConfigurationPolicyIdentifier ?? '';
          const policy = [...store.configurationPolicies.values()].find((p) => p.id === identifier || p.arn === identifier);
          if (!policy && identifier !== SELF_MANAGED)
            throw new ApiError('ResourceNotFoundException', `Configuration policy ${identifier} does not exist`);
          const target: { AccountId?: string; OrganizationalUnitId?: string; RootId?: string } = input.Target ?? {};
          const given = [target.AccountId, target.OrganizationalUnitId, target.RootId].filter((t) => t !== undefined);
          if (given.length !== 1) throw invalid('Target must name exactly one of AccountId, OrganizationalUnitId and RootId');
          const association: PolicyAssociation = {
            policyId: policy?.id ?? SELF_MANAGED,
            targetId: given[0] ?? '',
            targetType: target.AccountId ? 'ACCOUNT' : target.OrganizationalUnitId ? 'ORGANIZATIONAL_UNIT' : 'ROOT',
            updatedAt: ctx.now,
          };
          store.associations.set(association.targetId, association);
          await this.applyCentral(ctx.now);
          return associationView(association);
        },
      ),

      ListConfigurationPolicyAssociations: typed<ListConfigurationPolicyAssociationsRequest, ListConfigurationPolicyAssociationsResponse>(
        (ctx, input) => {
          requireHome(ctx);
          const f = input.Filters;
          const all = [...store.associations.values()]
            .filter((a) => f?.ConfigurationPolicyId === undefined || a.policyId === f.ConfigurationPolicyId)
            .map(associationView);
          const page = paginate(all, input.MaxResults, input.NextToken, 10, 'InvalidInputException');
          return { ConfigurationPolicyAssociationSummaries: page.items, NextToken: page.nextToken };
        },
      ),

      CreateFindingAggregator: typed<CreateFindingAggregatorRequest, CreateFindingAggregatorResponse>((ctx, input) => {
        store.requireHub(ctx.accountId, ctx.region);
        validateLinking(input.RegionLinkingMode, input.Regions);
        if (store.aggregatorOf(ctx.accountId)) {
          throw invalid(`Account ${ctx.accountId} already has a finding aggregator; only one is allowed`);
        }
        const aggregator: Aggregator = {
          arn: `arn:aws:securityhub:${ctx.region}:${ctx.accountId}:finding-aggregator/${randomUUID()}`,
          accountId: ctx.accountId,
          homeRegion: ctx.region,
          linkingMode: input.RegionLinkingMode ?? 'ALL_REGIONS',
          regions: [...(input.Regions ?? [])],
        };
        store.setAggregator(ctx.accountId, aggregator);
        return aggregatorView(aggregator);
      }),

      ListFindingAggregators: typed<ListFindingAggregatorsRequest, ListFindingAggregatorsResponse>((ctx, input) => {
        store.requireHub(ctx.accountId, ctx.region);
        const a = store.aggregatorOf(ctx.accountId);
        const page = paginate(a ? [{ FindingAggregatorArn: a.arn }] : [], input.MaxResults, input.NextToken, 10, 'InvalidInputException');
        return { FindingAggregators: page.items, NextToken: page.nextToken };
      }),

      GetFindingAggregator: typed<GetFindingAggregatorRequest, GetFindingAggregatorResponse>((ctx, input) => {
        store.requireHub(ctx.accountId, ctx.region);
        return aggregatorView(ownAggregator(ctx, input.FindingAggregatorArn ?? ''));
      }),

      UpdateFindingAggregator: typed<UpdateFindingAggregatorRequest, UpdateFindingAggregatorResponse>((ctx, input) => {
        store.requireHub(ctx.accountId, ctx.region);
        const a = ownAggregator(ctx, input.FindingAggregatorArn ?? '');
        validateLinking(input.RegionLinkingMode, input.Regions);
        a.linkingMode = input.RegionLinkingMode ?? a.linkingMode;
        a.regions = [...(input.Regions ?? [])];
        return aggregatorView(a);
      }),

      DeleteFindingAggregator: typed<DeleteFindingAggregatorRequest, object>((ctx, input) => {
        store.requireHub(ctx.accountId, ctx.region);
        ownAggregator(ctx, input.FindingAggregatorArn ?? '');
        store.setAggregator(ctx.accountId, undefined);
        return {};
      }),
    };
  }
}

function invalidThrow(message: string): never {
  throw invalid(message);
}
