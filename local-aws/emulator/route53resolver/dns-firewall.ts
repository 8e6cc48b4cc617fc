/**
 * Route 53 Resolver DNS Firewall, which moto lacks (its Route 53 Resolver has
 * endpoints, rules and query logging; those stay moto's): domain lists, rule
 * groups, rules and rule group associations. JSON 1.1, validated against
 * botocore's `route53resolver` model by the service; what the API reference
 * and the quotas page state in prose is checked here:
 *
 * - UpdateFirewallDomains: at most 1,000 domains a request; a domain is an
 *   optional leading `*` then letters, digits, hyphens and dots, 1-255
 *   characters (API reference, UpdateFirewallDomains);
 * - CreateFirewallRule: BLOCK needs a BlockResponse, OVERRIDE its three
 *   BlockOverride settings; one domain list (or DNS Firewall Advanced
 *   threat) per rule; priorities unique in a group;
 * - AssociateFirewallRuleGroup: the VPC must exist in the caller's account
 *   and region (read from moto's EC2); "The allowed values for Priority are
 *   between 100 and 9900", read strictly (101-9899: Firewall Manager keeps
 *   the ends); one priority per VPC, a group once per VPC; MutationProtection
 *   ENABLED refuses disassociation;
 * - quotas ("Quotas on Route 53 Resolver DNS Firewall",
 *   https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html#limits-api-entities-resolver):
 *   1,000 domain lists and 1,000 rule groups per account per region, 100,000
 *   domains per list, 100 rules per group, 5 rule group associations per VPC
 *   (LimitExceededException);
 * - a repeated CreatorRequestId returns what the first request created.
 *
 * AWS applies changes asynchronously (UPDATING, then COMPLETE); the emulator
 * completes them during the call. {@link DnsFirewall.answer} says what the
 * Resolver would answer a query from a VPC, for tests of what a block achieves.
 */
import type {
  AssociateFirewallRuleGroupRequest,
  CreateFirewallDomainListRequest,
  CreateFirewallRuleGroupRequest,
  CreateFirewallRuleRequest,
  DisassociateFirewallRuleGroupRequest,
  GetFirewallDomainListRequest,
  GetFirewallRuleGroupAssociationRequest,
  GetFirewallRuleGroupRequest,
  ListFirewallDomainListsRequest,
  ListFirewallDomainsRequest,
  ListFirewallRuleGroupAssociationsRequest,
  ListFirewallRuleGroupsRequest,
  ListFirewallRulesRequest,
  UpdateFirewallDomainsRequest,
} from '@aws-sdk/client-route53resolver';

import { ApiError } from '../errors';
import { typed, type CallContext, type Handler } from '../service';
import { hexId, key, paginate } from '../util';

/** DNS Firewall's documented quotas (per account per region unless said). */
export const DNS_FIREWALL_QUOTAS = {
  domainListsPerRegion: 1_000,
  domainsPerList: 100_000,
  ruleGroupsPerRegion: 1_000,
  rulesPerGroup: 100,
  associationsPerVpc: 5,
  domainsPerUpdate: 1_000,
} as const;

interface DomainList {
  readonly id: string;
  readonly arn: string;
  readonly name: string;
  readonly creatorRequestId: string;
  readonly domains: Set<string>;
  readonly createdAt: string;
  modifiedAt: string;
}

interface Rule {
  readonly groupId: string;
  readonly domainListId: string;
  readonly name: string;
  readonly priority: number;
  readonly action: string;
  readonly blockResponse: string | undefined;
  readonly creatorRequestId: string;
  readonly createdAt: string;
}

interface RuleGroup {
  readonly id: string;
  readonly arn: string;
  readonly name: string;
  readonly ownerId: string;
  readonly creatorRequestId: string;
  readonly rules: Rule[];
  readonly createdAt: string;
}

interface Association {
  readonly id: string;
  readonly arn: string;
  readonly groupId: string;
  readonly vpcId: string;
  readonly name: string;
  readonly priority: number;
  readonly mutationProtection: string;
  readonly creatorRequestId: string;
  readonly createdAt: string;
}

interface RegionState {
  readonly lists: Map<string, DomainList>;
  readonly groups: Map<string, RuleGroup>;
  readonly associations: Map<string, Association>;
}

/** CreateFirewallRule as botocore's model has it (the SDK this project pins predates DNS Firewall Advanced). */
type CreateFirewallRuleInput = CreateFirewallRuleRequest & { readonly DnsThreatProtection?: string };

/** Whether a VPC exists in an account and region (the local endpoint asks moto's EC2). */
export type VpcLookup = (
  caller: { readonly accountId: string; readonly accessKeyId: string },
  region: string,
  vpcId: string,
) => Promise<boolean>;

const DOMAIN = /^\*?[A-Za-z0-9.-]{1,255}$/;

function notFound(what: string, id: string): ApiError {
  return new ApiError('ResourceNotFoundException', `${what} ${id} not found.`);
}

function invalid(message: string): ApiError {
  return new ApiError('ValidationException', message);
}

/** The emulator's DNS Firewall, per account and region. */
export class DnsFirewall {
  private readonly regions = new Map<string, RegionState>();

  public constructor(private readonly vpcs: VpcLookup | undefined) {}

  private state(accountId: string, region: string): RegionState {
    const k = key(accountId, region);
    let s = this.regions.get(k);
    if (!s) {
      s = { lists: new Map(), groups: new Map(), associations: new Map() };
      this.regions.set(k, s);
    }
    return s;
  }

  /**
   * What the Resolver answers a query for `domain` from `vpcId`: the first
   * matching rule of the associated groups, lowest priority first (a domain
   * `example.com` matches itself; `*.example.com` its subdomains), else `resolves`.
   */
  public answer(
    accountId: string,
    region: string,
    vpcId: string,
    domain: string,
  ): 'resolves' | 'ALLOW' | 'ALERT' | 'NXDOMAIN' | 'NODATA' | 'OVERRIDE' {
    const s = this.state(accountId, region);
    const name = domain.toLowerCase().replace(/\.$/, '');
    const associated = [...s.associations.values()].filter((a) => a.vpcId === vpcId).sort((a, b) => a.priority - b.priority);
    for (const a of associated) {
      const rules = [...(s.groups.get(a.groupId)?.rules ?? [])].sort((x, y) => x.priority - y.priority);
      for (const r of rules) {
        const list = s.lists.get(r.domainListId);
        const hit = [...(list?.domains ?? [])].some((d) => (d.startsWith('*.') ? name.endsWith(d.slice(1)) : name === d));
        if (!hit) continue;
        if (r.action === 'ALERT') continue;
        return r.action === 'BLOCK' ? ((r.blockResponse ?? 'NODATA') as 'NXDOMAIN' | 'NODATA' | 'OVERRIDE') : 'ALLOW';
      }
    }
    return 'resolves';
  }

  /** The handlers of the operations emulated. */
  public handlers(): Record<string, Handler> {
    return {
      CreateFirewallDomainList: typed((ctx, i: CreateFirewallDomainListRequest) => this.createList(ctx, i)),
      ListFirewallDomainLists: typed((ctx, i: ListFirewallDomainListsRequest) => {
        const page = paginate(
          [...this.state(ctx.accountId, ctx.region).lists.values()],
          i.MaxResults,
          i.NextToken,
          100,
          'ValidationException',
        );
        return {
          FirewallDomainLists: page.items.map((l) => ({ Id: l.id, Arn: l.arn, Name: l.name, CreatorRequestId: l.creatorRequestId })),
          ...(page.nextToken ? { NextToken: page.nextToken } : {}),
        };
      }),
      GetFirewallDomainList: typed((ctx, i: GetFirewallDomainListRequest) => ({
        FirewallDomainList: listView(this.list(ctx, i.FirewallDomainListId)),
      })),
      UpdateFirewallDomains: typed((ctx, i: UpdateFirewallDomainsRequest) => this.updateDomains(ctx, i)),
      ListFirewallDomains: typed((ctx, i: ListFirewallDomainsRequest) => {
        const page = paginate(
          [...this.list(ctx, i.FirewallDomainListId).domains].sort(),
          i.MaxResults,
          i.NextToken,
          100,
          'ValidationException',
        );
        return { Domains: page.items, ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
      }),
      CreateFirewallRuleGroup: typed((ctx, i: CreateFirewallRuleGroupRequest) => this.createGroup(ctx, i)),
      ListFirewallRuleGroups: typed((ctx, i: ListFirewallRuleGroupsRequest) => {
        const page = paginate(
          [...this.state(ctx.accountId, ctx.region).groups.values()],
          i.MaxResults,
          i.NextToken,
          100,
          'ValidationException',
        );
        return {
          FirewallRuleGroups: page.items.map((g) => ({
            Id: g.id,
            Arn: g.arn,
            Name: g.name,
            OwnerId: g.ownerId,
            CreatorRequestId: g.creatorRequestId,
            ShareStatus: 'NOT_SHARED',
          })),
          ...(page.nextToken ? { NextToken: page.nextToken } : {}),
        };
      }),
      GetFirewallRuleGroup: typed((ctx, i: GetFirewallRuleGroupRequest) => ({
        FirewallRuleGroup: groupView(this.group(ctx, i.FirewallRuleGroupId)),
      })),
      CreateFirewallRule: typed((ctx, i: CreateFirewallRuleInput) => this.createRule(ctx, i)),
      ListFirewallRules: typed((ctx, i: ListFirewallRulesRequest) => {
        const rules = this.group(ctx, i.FirewallRuleGroupId).rules.filter(
          (r) => (i.Priority === undefined || r.priority === i.Priority) && (i.Action === undefined || r.action === i.Action),
        );
        const page = paginate(rules, i.MaxResults, i.NextToken, 100, 'ValidationException');
        return { FirewallRules: page.items.map(ruleView), ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
      }),
      AssociateFirewallRuleGroup: typed((ctx, i: AssociateFirewallRuleGroupRequest) => this.associate(ctx, i)),
      ListFirewallRuleGroupAssociations: typed((ctx, i: ListFirewallRuleGroupAssociationsRequest) => {
        const all = [...this.state(ctx.accountId, ctx.region).associations.values()].filter(
          (a) =>
            (i.FirewallRuleGroupId === undefined || a.groupId === i.FirewallRuleGroupId) &&
            (i.VpcId === undefined || a.vpcId === i.VpcId) &&
            (i.Priority === undefined || a.priority === i.Priority) &&
            (i.Status === undefined || i.Status === 'COMPLETE'),
        );
        const page = paginate(all, i.MaxResults, i.NextToken, 100, 'ValidationException');
        return { FirewallRuleGroupAssociations: page.items.map(associationView), ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
      }),
      GetFirewallRuleGroupAssociation: typed((ctx, i: GetFirewallRuleGroupAssociationRequest) => ({
        FirewallRuleGroupAssociation: associationView(this.association(ctx, i.FirewallRuleGroupAssociationId)),
      })),
      DisassociateFirewallRuleGroup: typed((ctx, i: DisassociateFirewallRuleGroupRequest) => {
        const a = this.association(ctx, i.FirewallRuleGroupAssociationId);
        if (a.mutationProtection === 'ENABLED')
          throw invalid(`The association ${a.id} has mutation protection enabled: disable it before removing the association.`);
        this.state(ctx.accountId, ctx.region).associations.delete(a.id);
        return { FirewallRuleGroupAssociation: { ...associationView(a), Status: 'DELETING' } };
      }),
    };
  }

  private list(ctx: CallContext, id: string | undefined): DomainList {
    const l = this.state(ctx.accountId, ctx.region).lists.get(id ?? '');
    if (!l) throw notFound('Firewall domain list', id ?? '');
    return l;
  }

  private group(ctx: CallContext, id: string | undefined): RuleGroup {
    const g = this.state(ctx.accountId, ctx.region).groups.get(id ?? '');
    if (!g) throw notFound('Firewall rule group', id ?? '');
    return g;
  }

  private association(ctx: CallContext, id: string | undefined): Association {
    const a = this.state(ctx.accountId, ctx.region).associations.get(id ?? '');
    if (!a) throw notFound('Firewall rule group association', id ?? '');
    return a;
  }

  private createList(ctx: CallContext, i: CreateFirewallDomainListRequest): object {
    const s = this.state(ctx.accountId, ctx.region);
    const again = [...s.lists.values()].find((l) => l.creatorRequestId === i.CreatorRequestId);
    if (again) return { FirewallDomainList: listView(again) };
    if (s.lists.size >= DNS_FIREWALL_QUOTAS.domainListsPerRegion)
      throw new ApiError('LimitExceededException', `The account has ${s.lists.size} domain lists in ${ctx.region}: the quota.`);
    const id = `rslvr-fdl-${hexId(17)}`;
    const now = ctx.now.toISOString();
    const list: DomainList = {
      id,
      arn: `arn:aws:route53resolver:${ctx.region}:${ctx.accountId}:firewall-domain-list/${id}`,
      name: i.Name ?? '',
      creatorRequestId: i.CreatorRequestId ?? '',
      domains: new Set(),
      createdAt: now,
      modifiedAt: now,
    };
    s.lists.set(id, list);
    return { FirewallDomainList: listView(list) };
  }

  private updateDomains(ctx: CallContext, i: UpdateFirewallDomainsRequest): object {
    const list = this.list(ctx, i.FirewallDomainListId);
    const domains = i.Domains ?? [];
    if (domains.length > DNS_FIREWALL_QUOTAS.domainsPerUpdate)
      throw invalid(
        `${domains.length} domains in one request: there is a limit of ${DNS_FIREWALL_QUOTAS.domainsPerUpdate} domains per request.`,
      );
    const bad = domains.find((d) => !DOMAIN.test(d) || d.indexOf('*') > 0);
    if (bad !== undefined)
      throw invalid(
        `Invalid domain ${JSON.stringify(bad)}: an optional leading * then letters, digits, hyphens and dots, 1-255 characters.`,
      );
    const names = domains.map((d) => d.toLowerCase().replace(/\.$/, ''));
    const next = i.Operation === 'REPLACE' ? new Set(names) : new Set(list.domains);
    if (i.Operation === 'ADD') for (const d of names) next.add(d);
    if (i.Operation === 'REMOVE') for (const d of names) next.delete(d);
    if (next.size > DNS_FIREWALL_QUOTAS.domainsPerList)
      throw new ApiError(
        'LimitExceededException',
        `The domain list would hold ${next.size} domains: the quota is ${DNS_FIREWALL_QUOTAS.domainsPerList}.`,
      );
    list.domains.clear();
    for (const d of next) list.domains.add(d);
    list.modifiedAt = ctx.now.toISOString();
    return { Id: list.id, Name: list.name, Status: 'COMPLETE', StatusMessage: 'Created Firewall Domain List' };
  }

  private createGroup(ctx: CallContext, i: CreateFirewallRuleGroupRequest): object {
    const s = this.state(ctx.accountId, ctx.region);
    const again = [...s.groups.values()].find((g) => g.creatorRequestId === i.CreatorRequestId);
    if (again) return { FirewallRuleGroup: groupView(again) };
    if (s.groups.size >= DNS_FIREWALL_QUOTAS.ruleGroupsPerRegion)
      throw new ApiError('LimitExceededException', `The account has ${s.groups.size} rule groups in ${ctx.region}: the quota.`);
    const id = `rslvr-frg-${hexId(17)}`;
    const group: RuleGroup = {
      id,
      arn: `arn:aws:route53resolver:${ctx.region}:${ctx.accountId}:firewall-rule-group/${id}`,
      name: i.Name ?? '',
      ownerId: ctx.accountId,
      creatorRequestId: i.CreatorRequestId ?? '',
      rules: [],
      createdAt: ctx.now.toISOString(),
    };
    s.groups.set(id, group);
    return { FirewallRuleGroup: groupView(group) };
  }

  private createRule(ctx: CallContext, i: CreateFirewallRuleInput): object {
    const group = this.group(ctx, i.FirewallRuleGroupId);
    const again = group.rules.find((r) => r.creatorRequestId === i.CreatorRequestId);
    if (again) return { FirewallRule: ruleView(again) };
    if ((i.FirewallDomainListId === undefined) === (i.DnsThreatProtection === undefined))
      throw invalid('A rule needs exactly one of FirewallDomainListId and DnsThreatProtection.');
    if (i.DnsThreatProtection !== undefined) throw invalid("cordon's emulator has no DNS Firewall Advanced rules.");
    this.list(ctx, i.FirewallDomainListId);
    if (i.Action === 'BLOCK' && i.BlockResponse === undefined) throw invalid('BlockResponse is required when the rule action is BLOCK.');
    if (
      i.BlockResponse === 'OVERRIDE' &&
      (i.BlockOverrideDomain === undefined || i.BlockOverrideDnsType === undefined || i.BlockOverrideTtl === undefined)
    )
      throw invalid('BlockOverrideDomain, BlockOverrideDnsType and BlockOverrideTtl are required with the OVERRIDE block response.');
    if (group.rules.some((r) => r.priority === i.Priority)) throw invalid(`The rule group already has a rule with priority ${i.Priority}.`);
    if (group.rules.some((r) => r.domainListId === i.FirewallDomainListId))
      throw invalid(`The rule group already has a rule for domain list ${i.FirewallDomainListId}.`);
    if (group.rules.length >= DNS_FIREWALL_QUOTAS.rulesPerGroup)
      throw new ApiError('LimitExceededException', `The rule group has ${group.rules.length} rules: the quota.`);
    const rule: Rule = {
      groupId: group.id,
      domainListId: i.FirewallDomainListId ?? '',
      name: i.Name ?? '',
      priority: i.Priority ?? 0,
      action: i.Action ?? '',
      blockResponse: i.BlockResponse,
      creatorRequestId: i.CreatorRequestId ?? '',
      createdAt: ctx.now.toISOString(),
    };
    group.rules.push(rule);
    return { FirewallRule: ruleView(rule) };
  }

  private async associate(ctx: CallContext, i: AssociateFirewallRuleGroupRequest): Promise<object> {
    const s = this.state(ctx.accountId, ctx.region);
    const again = [...s.associations.values()].find((a) => a.creatorRequestId === i.CreatorRequestId);
    if (again) return { FirewallRuleGroupAssociation: associationView(again) };
    const group = this.group(ctx, i.FirewallRuleGroupId);
    const priority = i.Priority ?? 0;
    if (priority <= 100 || priority >= 9900) throw invalid(`Priority ${priority} is invalid: the allowed values are between 100 and 9900.`);
    const vpcId = i.VpcId ?? '';
    if (!this.vpcs || !(await this.vpcs(ctx, ctx.region, vpcId))) throw notFound('VPC', vpcId);
    const inVpc = [...s.associations.values()].filter((a) => a.vpcId === vpcId);
    if (inVpc.some((a) => a.groupId === group.id))
      throw new ApiError('ConflictException', `The rule group ${group.id} is already associated with ${vpcId}.`);
    if (inVpc.some((a) => a.priority === priority))
      throw new ApiError('ConflictException', `Another rule group is associated with ${vpcId} at priority ${priority}.`);
    if (inVpc.length >= DNS_FIREWALL_QUOTAS.associationsPerVpc)
      throw new ApiError('LimitExceededException', `${vpcId} has ${inVpc.length} rule group associations: the quota.`);
    const id = `rslvr-frgassoc-${hexId(17)}`;
    const association: Association = {
      id,
      arn: `arn:aws:route53resolver:${ctx.region}:${ctx.accountId}:firewall-rule-group-association/${id}`,
      groupId: group.id,
      vpcId,
      name: i.Name ?? '',
      priority,
      mutationProtection: i.MutationProtection ?? 'DISABLED',
      creatorRequestId: i.CreatorRequestId ?? '',
      createdAt: ctx.now.toISOString(),
    };
    s.associations.set(id, association);
    return { FirewallRuleGroupAssociation: associationView(association) };
  }
}

function listView(l: DomainList): object {
  return {
    Id: l.id,
    Arn: l.arn,
    Name: l.name,
    DomainCount: l.domains.size,
    Status: 'COMPLETE',
    CreatorRequestId: l.creatorRequestId,
    CreationTime: l.createdAt,
    ModificationTime: l.modifiedAt,
  };
}

function groupView(g: RuleGroup): object {
  return {
    Id: g.id,
    Arn: g.arn,
    Name: g.name,
    RuleCount: g.rules.length,
    Status: 'COMPLETE',
    OwnerId: g.ownerId,
    CreatorRequestId: g.creatorRequestId,
    ShareStatus: 'NOT_SHARED',
    CreationTime: g.createdAt,
    ModificationTime: g.createdAt,
  };
}

function ruleView(r: Rule): object {
  return {
    FirewallRuleGroupId: r.groupId,
    FirewallDomainListId: r.domainListId,
    Name: r.name,
    Priority: r.priority,
    Action: r.action,
    ...(r.blockResponse ? { BlockResponse: r.blockResponse } : {}),
    CreatorRequestId: r.creatorRequestId,
    CreationTime: r.createdAt,
    ModificationTime: r.createdAt,
  };
}

function associationView(a: Association): object {
  return {
    Id: a.id,
    Arn: a.arn,
    FirewallRuleGroupId: a.groupId,
    VpcId: a.vpcId,
    Name: a.name,
    Priority: a.priority,
    MutationProtection: a.mutationProtection,
    Status: 'COMPLETE',
    CreatorRequestId: a.creatorRequestId,
    CreationTime: a.createdAt,
    ModificationTime: a.createdAt,
  };
}
