/**
 * Security Hub with AWS Organizations: delegated administrator
 * (Enable/Disable/ListOrganizationAdminAccounts, by the management account),
 * organization configuration (by the administrator), members
 * (Create/List/Get/Delete/Disassociate members) and finding aggregators.
 *
 * Emulated rules: an organization account added with CreateMembers by the
 * administrator is `Enabled` and gets Security Hub enabled; other accounts
 * are `Created` (invitation flow not emulated further). AutoEnable applies to
 * accounts that join later, as in AWS, so it enrolls nobody by itself.
 */
import { randomUUID } from 'node:crypto';

import type {
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
  ListFindingAggregatorsRequest,
  ListFindingAggregatorsResponse,
  ListMembersRequest,
  ListMembersResponse,
  ListOrganizationAdminAccountsRequest,
  ListOrganizationAdminAccountsResponse,
  Member,
  Result,
  UpdateFindingAggregatorRequest,
  UpdateFindingAggregatorResponse,
  UpdateOrganizationConfigurationRequest,
} from '@aws-sdk/client-securityhub';

import { ApiError } from '../errors';
import type { OrganizationDirectory } from '../organizations';
import { typed, type CallContext, type Handler } from '../service';
import { paginate } from '../util';
import type { Aggregator, HubMember, SecurityHubStore } from './store';

const LINKING_MODES = ['ALL_REGIONS', 'ALL_REGIONS_EXCEPT_SPECIFIED', 'SPECIFIED_REGIONS', 'NO_REGIONS'];

function invalid(message: string): ApiError {
  return new ApiError('InvalidInputException', message);
}

/** The Security Hub organization handlers, keyed by operation name. */
export function securityHubOrganizationHandlers(store: SecurityHubStore, organizations: OrganizationDirectory): Record<string, Handler> {
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

    UpdateOrganizationConfiguration: typed<UpdateOrganizationConfigurationRequest, object>((ctx, input) => {
      requireAdmin(ctx);
      const config = store.orgConfig(ctx.accountId, ctx.region);
      config.autoEnable = input.AutoEnable ?? config.autoEnable;
      if (input.AutoEnableStandards) config.autoEnableStandards = input.AutoEnableStandards;
      if (input.OrganizationConfiguration?.ConfigurationType) config.configurationType = input.OrganizationConfiguration.ConfigurationType;
      return {};
    }),

    DescribeOrganizationConfiguration: typed<object, DescribeOrganizationConfigurationResponse>((ctx) => {
      requireAdmin(ctx);
      const config = store.orgConfig(ctx.accountId, ctx.region);
      return {
        AutoEnable: config.autoEnable,
        MemberAccountLimitReached: false,
        AutoEnableStandards: config.autoEnableStandards,
        OrganizationConfiguration: { ConfigurationType: config.configurationType, Status: 'ENABLED' },
      };
    }),

    CreateMembers: typed<CreateMembersRequest, CreateMembersResponse>(async (ctx, input) => {
      store.requireHub(ctx.accountId, ctx.region);
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
        if (existing && existing.memberStatus !== 'Removed' && existing.memberStatus !== 'Deleted') continue;
        members.set(accountId, {
          accountId,
          administratorId: ctx.accountId,
          email: detail.Email,
          memberStatus: inOrg ? 'Enabled' : 'Created',
          invitedAt: ctx.now,
          updatedAt: ctx.now,
        });
        if (inOrg) store.enableHub(accountId, ctx.region, ctx.now);
      }
      return { UnprocessedAccounts: unprocessed };
    }),

    ListMembers: typed<ListMembersRequest, ListMembersResponse>((ctx, input) => {
      store.requireHub(ctx.accountId, ctx.region);
      const onlyAssociated = input.OnlyAssociated ?? true;
      const all = [...store.membersOf(ctx.accountId, ctx.region).values()].filter((m) => !onlyAssociated || m.memberStatus === 'Enabled');
      const page = paginate(all, input.MaxResults, input.NextToken, 50, 'InvalidInputException');
      return { Members: page.items.map(toMember), NextToken: page.nextToken };
    }),

    GetMembers: typed<GetMembersRequest, GetMembersResponse>((ctx, input) => {
      store.requireHub(ctx.accountId, ctx.region);
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

function invalidThrow(message: string): never {
  throw invalid(message);
}
