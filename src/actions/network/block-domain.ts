import {
  AssociateFirewallRuleGroupCommand,
  CreateFirewallDomainListCommand,
  CreateFirewallRuleCommand,
  CreateFirewallRuleGroupCommand,
  type FirewallDomainListMetadata,
  type FirewallRuleGroupAssociation,
  type FirewallRuleGroupMetadata,
  ListFirewallDomainListsCommand,
  ListFirewallDomainsCommand,
  ListFirewallRuleGroupAssociationsCommand,
  ListFirewallRuleGroupsCommand,
  ListFirewallRulesCommand,
  Route53ResolverClient,
  UpdateFirewallDomainsCommand,
} from '@aws-sdk/client-route53resolver';
import { z } from 'zod';
import { parseIndicator } from '../../intel/indicators';
import { collecting } from '../../outcome';
import { defineAction } from '../define';
import type { ActionContext } from '../types';

/** Names (and idempotency tokens) of what cordon creates in each account and region. */
const LIST_NAME = 'cordon-blocked-domains';
const GROUP_NAME = 'cordon-block';
/** The rule's priority inside cordon's own group (its only rule). */
const RULE_PRIORITY = 100;

/**
 * DNS Firewall's limits ("Quotas on Route 53 Resolver DNS Firewall",
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html#limits-api-entities-resolver,
 * and the API reference of UpdateFirewallDomains and AssociateFirewallRuleGroup).
 */
const QUOTAS = { domainsPerList: 100_000, domainsPerUpdate: 1_000, associationsPerVpc: 5, minPriority: 101, maxPriority: 9899 } as const;

const params = z.strictObject({
  /**
   * Priority of cordon's rule group in the VPC: DNS Firewall evaluates the
   * lowest first, so 101 (the lowest allowed) blocks before any other group
   * can allow; taken by another group, the next free one above is used (the
   * result names the groups that come first). @default 101
   */
  priority: z.number().int().min(QUOTAS.minPriority).max(QUOTAS.maxPriority).default(QUOTAS.minPriority),
});

/** What a block recorded: the domain list, whether this finding added the domain, and the VPC associations it made. */
const changed = z.object({
  domainListId: z.string(),
  ruleGroupId: z.string(),
  domain: z.string(),
  /** False: another finding (or a person) had already listed the domain; release then leaves it. */
  domainAdded: z.boolean(),
  /** VPCs whose association with cordon's rule group this finding made (kept on release: an empty list blocks nothing). */
  associated: z.array(z.object({ vpcId: z.string(), associationId: z.string(), priority: z.number() })),
});

/** What lists of a page of results look like, for one paging helper. */
async function allPages<T>(page: (token: string | undefined) => Promise<{ items?: T[]; next?: string }>): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const p = await page(token);
    out.push(...(p.items ?? []));
    token = p.next;
  } while (token);
  return out;
}

/**
 * Blocks the domains of a DNS finding where they were used: a cordon-managed
 * Route 53 Resolver DNS Firewall domain list, in a rule group whose one rule
 * answers NXDOMAIN (BLOCK), associated with each VPC of the finding's
 * instance (an association already there is kept; others' groups are left
 * alone). Security groups and network ACLs cannot filter DNS to the VPC
 * resolver; this closes it for the finding's domains only: every other domain
 * still resolves, which the result says. Domains of AWS services and of the
 * VPC's own network are refused. GuardDuty's guide: "Remediating a
 * potentially compromised Amazon EC2 instance" (block the malicious domain);
 * Route 53 Developer Guide, "DNS Firewall rule groups and rules".
 */
export const blockDomain = defineAction({
  name: 'network.block-domain',
  summary: "Block the finding's domains with Route 53 Resolver DNS Firewall (NXDOMAIN) in the instance's VPCs",
  params,
  target: 'instance',
  disruptive: false,
  // Its own resources (the account's domain list, the VPCs' rule group): it waits for no other step, and none waits for it.
  runs: 'concurrent',
  permissions: {
    member: [
      'ec2:DescribeInstances',
      'route53resolver:ListFirewallDomainLists',
      'route53resolver:CreateFirewallDomainList',
      'route53resolver:ListFirewallDomains',
      'route53resolver:UpdateFirewallDomains',
      'route53resolver:ListFirewallRuleGroups',
      'route53resolver:CreateFirewallRuleGroup',
      'route53resolver:ListFirewallRules',
      'route53resolver:CreateFirewallRule',
      'route53resolver:ListFirewallRuleGroupAssociations',
      'route53resolver:AssociateFirewallRuleGroup',
      // IAM's dependent action of AssociateFirewallRuleGroup (Service Authorization Reference, Route 53 Resolver).
      'ec2:DescribeVpcs',
    ],
    home: [],
  },
  /** Nothing: the domain was not on cordon's list, or `domainAdded` is false. */
  prior: z.undefined(),
  changed,
  undo: {
    kind: 'restore',
    permissions: ['route53resolver:UpdateFirewallDomains'],
    /** Takes the domain off cordon's list when this finding put it there (the association stays: an empty list blocks nothing). */
    async run(ctx, record, report) {
      const { domain, domainListId, domainAdded } = record.changed;
      if (!domainAdded)
        return [report.skipped(record.resource, `${domain} was on cordon's DNS Firewall list before this finding: left there`)];
      if (ctx.dryRun) return [report.planned(record.resource, `would take ${domain} off cordon's DNS Firewall list ${domainListId}`)];
      await ctx
        .member(Route53ResolverClient)
        .send(new UpdateFirewallDomainsCommand({ FirewallDomainListId: domainListId, Operation: 'REMOVE', Domains: [domain] }));
      return [
        report.done(
          record.resource,
          `took ${domain} off cordon's DNS Firewall list ${domainListId}; it resolves again (the rule group stays associated)`,
          {
            prior: { listed: true },
            changed: { listed: false },
          },
        ),
      ];
    },
  },
  prefetch(ctx) {
    // Answered when run awaits them; a failure then is run's to report.
    if ((ctx.finding.domains ?? []).length === 0) return;
    firewallOf(ctx).catch(() => undefined);
    for (const vpcId of namedVpcs(ctx)) associationsOf(ctx, vpcId).catch(() => undefined);
  },
  async run(ctx, p, report) {
    const guard = { ownHosts: new Set<string>() };
    const read = (ctx.finding.domains ?? []).map((d) => parseIndicator(d, guard));
    const refused = read.flatMap((r) => (r.ok ? [] : [report.skipped(r.refusal.value, `not blocked: ${r.refusal.reason}`)]));
    const domains = [...new Set(read.flatMap((r) => (r.ok && r.indicator.kind === 'domain' ? [r.indicator.value] : [])))];
    if (domains.length === 0) return refused.length > 0 ? refused : [report.skipped('', 'finding names no domain to block')];
    const instance = await ctx.instance();
    const vpcs = [...new Set((instance.NetworkInterfaces ?? []).flatMap((ni) => (ni.VpcId ? [ni.VpcId] : [])))];
    if (vpcs.length === 0) return [...refused, report.failed(instance.InstanceId ?? '', 'instance has no VPC: no DNS Firewall to attach')];
    const r53 = ctx.member(Route53ResolverClient);
    const dry = ctx.dryRun;
    return collecting(async (results) => {
      results.push(...refused);
      // The list, the group (with its rule) and the associations are made idempotently (creator request ids), side by side;
      // only reading the list's domains and adding to it run alone (two findings of one account must not both think they
      // added a domain).
      const { lists, groups } = await firewallOf(ctx);
      const [listId, groupId] = await Promise.all([ensureList(r53, lists, dry), ensureGroup(r53, groups, dry)]);
      const [, associations, added] = await Promise.all([
        ensureRule(r53, groupId, listId, groups, dry),
        associate(ctx, r53, groupId, vpcs, p.priority, dry),
        ctx.exclusive('dns-firewall', () => addDomains(r53, listId, domains, dry, lists)),
      ]);
      if ('quota' in added) {
        for (const d of added.missing) results.push(report.failed(d, added.quota));
        return;
      }
      const blocked = associations.problems.length === 0;
      const failing = new Set(associations.problems.map((x) => x.vpcId));
      const covered = vpcs.filter((v) => !failing.has(v));
      const where = covered.length > 0 ? covered.join(', ') : 'no VPC (see the failure)';
      const first =
        associations.before.length > 0 ? `; rule groups evaluated before cordon's there: ${associations.before.join(', ')}` : '';
      const residuals = blocked ? { remains: ['dns-other-domains' as const], closes: ['dns-resolver' as const] } : {};
      for (const problem of associations.problems) results.push(report.failed(problem.vpcId, problem.detail));
      for (const domain of domains) {
        const resource = `${listId ?? LIST_NAME}:${domain}`;
        const isNew = added.missing.includes(domain);
        if (dry) {
          results.push(report.planned(resource, `would block ${domain} (NXDOMAIN) in ${where}`, residuals));
          continue;
        }
        const record = {
          changed: { domainListId: listId ?? '', ruleGroupId: groupId ?? '', domain, domainAdded: isNew, associated: associations.made },
          ...residuals,
        };
        if (isNew || associations.made.length > 0)
          results.push(
            report.done(resource, `${domain} answers NXDOMAIN in ${where} (cordon's DNS Firewall list ${listId ?? ''})${first}`, record),
          );
        else results.push(report.already(resource, `${domain} already answers NXDOMAIN in ${where}${first}`, residuals));
      }
    });
  },
});

/** The VPCs of the instance's interfaces as the finding names them. */
function namedVpcs(ctx: ActionContext): string[] {
  return [...new Set((ctx.finding.instance?.networkInterfaces ?? []).flatMap((ni) => (ni.vpcId ? [ni.vpcId] : [])))];
}

/** The account-region's domain lists and rule groups (both at once), looked up once per context and while the finding is screened. */
function firewallOf(ctx: ActionContext): Promise<{ lists: FirewallDomainListMetadata[]; groups: FirewallRuleGroupMetadata[] }> {
  return ctx.lookup('network.block-domain:firewall', async () => {
    const r53 = ctx.member(Route53ResolverClient);
    const [lists, groups] = await Promise.all([
      allPages(async (NextToken) => {
        const o = await r53.send(new ListFirewallDomainListsCommand({ NextToken }));
        return { items: o.FirewallDomainLists, next: o.NextToken };
      }),
      allPages(async (NextToken) => {
        const o = await r53.send(new ListFirewallRuleGroupsCommand({ NextToken }));
        return { items: o.FirewallRuleGroups, next: o.NextToken };
      }),
    ]);
    return { lists, groups };
  });
}

/** A VPC's rule group associations, looked up once per context. */
function associationsOf(ctx: ActionContext, vpcId: string): Promise<FirewallRuleGroupAssociation[]> {
  return ctx.lookup(`network.block-domain:associations:${vpcId}`, () =>
    allPages(async (NextToken) => {
      const o = await ctx.member(Route53ResolverClient).send(new ListFirewallRuleGroupAssociationsCommand({ VpcId: vpcId, NextToken }));
      return { items: o.FirewallRuleGroupAssociations, next: o.NextToken };
    }),
  );
}

/** cordon's domain list (created unless a dry run; undefined in a dry run before it exists). */
async function ensureList(
  r53: Route53ResolverClient,
  lists: readonly FirewallDomainListMetadata[],
  dryRun: boolean,
): Promise<string | undefined> {
  const own = lists.find((l) => l.Name === LIST_NAME && !l.ManagedOwnerName)?.Id;
  if (own || dryRun) return own;
  const created = await r53.send(new CreateFirewallDomainListCommand({ CreatorRequestId: LIST_NAME, Name: LIST_NAME }));
  return created.FirewallDomainList?.Id;
}

/** cordon's rule group (created unless a dry run). */
async function ensureGroup(
  r53: Route53ResolverClient,
  groups: readonly FirewallRuleGroupMetadata[],
  dryRun: boolean,
): Promise<string | undefined> {
  const groupId = groups.find((g) => g.Name === GROUP_NAME)?.Id;
  if (groupId || dryRun) return groupId;
  return (await r53.send(new CreateFirewallRuleGroupCommand({ CreatorRequestId: GROUP_NAME, Name: GROUP_NAME }))).FirewallRuleGroup?.Id;
}

/** The group's one rule (BLOCK, NXDOMAIN) on the list; a group just made has none, so it is not listed first. */
async function ensureRule(
  r53: Route53ResolverClient,
  groupId: string | undefined,
  listId: string | undefined,
  groups: readonly FirewallRuleGroupMetadata[],
  dryRun: boolean,
): Promise<void> {
  if (!groupId || !listId || dryRun) return;
  const existed = groups.some((g) => g.Id === groupId);
  const rules = existed
    ? await allPages(async (NextToken) => {
        const o = await r53.send(new ListFirewallRulesCommand({ FirewallRuleGroupId: groupId, NextToken }));
        return { items: o.FirewallRules, next: o.NextToken };
      })
    : [];
  if (rules.some((r) => r.FirewallDomainListId === listId)) return;
  await r53.send(
    new CreateFirewallRuleCommand({
      CreatorRequestId: `${GROUP_NAME}-${listId}`,
      FirewallRuleGroupId: groupId,
      FirewallDomainListId: listId,
      Priority: RULE_PRIORITY,
      Action: 'BLOCK',
      BlockResponse: 'NXDOMAIN',
      Name: LIST_NAME,
    }),
  );
}

/**
 * Adds the domains the list lacks (read, then added, under the account's
 * DNS Firewall lease): which domains this finding added is what release
 * takes off. A list just made is empty, so it is not read.
 */
async function addDomains(
  r53: Route53ResolverClient,
  listId: string | undefined,
  domains: readonly string[],
  dryRun: boolean,
  lists: readonly FirewallDomainListMetadata[],
): Promise<{ missing: string[] } | { missing: string[]; quota: string }> {
  const existed = lists.some((l) => l.Id === listId);
  const listed = new Set(
    listId && existed
      ? await allPages(async (NextToken) => {
          const o = await r53.send(new ListFirewallDomainsCommand({ FirewallDomainListId: listId, MaxResults: 5000, NextToken }));
          return { items: o.Domains, next: o.NextToken };
        })
      : [],
  );
  const missing = domains.filter((d) => !listed.has(d));
  if (listed.size + missing.length > QUOTAS.domainsPerList)
    return { missing, quota: `cordon's DNS Firewall list holds ${listed.size} domains: ${QUOTAS.domainsPerList} is the quota` };
  for (let i = 0; i < missing.length && !dryRun && listId; i += QUOTAS.domainsPerUpdate)
    await r53.send(
      new UpdateFirewallDomainsCommand({
        FirewallDomainListId: listId,
        Operation: 'ADD',
        Domains: missing.slice(i, i + QUOTAS.domainsPerUpdate),
      }),
    );
  return { missing };
}

/** The associations of cordon's group with the VPCs (every VPC at once): made, kept, or why not; and the groups other than cordon's evaluated first. */
async function associate(
  ctx: ActionContext,
  r53: Route53ResolverClient,
  groupId: string | undefined,
  vpcs: readonly string[],
  priority: number,
  dryRun: boolean,
): Promise<{
  made: Array<{ vpcId: string; associationId: string; priority: number }>;
  problems: Array<{ vpcId: string; detail: string }>;
  before: string[];
}> {
  const made: Array<{ vpcId: string; associationId: string; priority: number }> = [];
  const problems: Array<{ vpcId: string; detail: string }> = [];
  const before: string[] = [];
  // eslint-disable-next-line cordon/no-unbounded-fan-out -- the VPCs of one instance's interfaces (a few at most)
  await Promise.all(
    vpcs.map(async (vpcId) => {
      const existing = await associationsOf(ctx, vpcId);
      const own = existing.find((a) => groupId !== undefined && a.FirewallRuleGroupId === groupId);
      const taken = new Set(existing.map((a) => a.Priority));
      let chosen = own?.Priority ?? priority;
      while (!own && taken.has(chosen) && chosen < QUOTAS.maxPriority) chosen += 1;
      before.push(...existing.filter((a) => a !== own && (a.Priority ?? 0) < chosen).map((a) => `${a.Name ?? a.Id} (${a.Priority})`));
      if (own || dryRun) return;
      if (existing.length >= QUOTAS.associationsPerVpc) {
        problems.push({ vpcId, detail: `${vpcId} has ${existing.length} DNS Firewall rule groups, the quota: cordon's cannot be added` });
        return;
      }
      const out = await r53.send(
        new AssociateFirewallRuleGroupCommand({
          CreatorRequestId: `${GROUP_NAME}-${vpcId}`,
          FirewallRuleGroupId: groupId,
          VpcId: vpcId,
          Priority: chosen,
          Name: GROUP_NAME,
          MutationProtection: 'DISABLED',
        }),
      );
      made.push({ vpcId, associationId: out.FirewallRuleGroupAssociation?.Id ?? '', priority: chosen });
    }),
  );
  return { made, problems, before };
}
