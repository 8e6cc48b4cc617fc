import {
  CreateNetworkAclEntryCommand,
  DeleteNetworkAclEntryCommand,
  DescribeNetworkAclsCommand,
  EC2Client,
  type NetworkAcl,
  type NetworkAclEntry,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { describeError } from '../../errors';
import { defineAction, type OutcomeReporter } from '../define';
import { collecting, type ActionOutcome } from '../../outcome';

/** AWS's default quota of rules per direction in a network ACL (the `*` default rule excluded). */
export const NACL_RULES_PER_DIRECTION = 20;

const params = z
  .strictObject({
    /** Lowest rule number cordon may use; deny rules must come before the ACL's allow rules. @default 1 */
    firstRuleNumber: z.number().int().min(1).max(32766).default(1),
    /** Highest rule number cordon may use. @default 99 */
    lastRuleNumber: z.number().int().min(1).max(32766).default(99),
    /** Rules per direction the ACL may hold (raise it if your quota is higher). @default 20 */
    maxRulesPerDirection: z.number().int().min(1).max(40).default(NACL_RULES_PER_DIRECTION),
    /** Also block addresses the instance connected out to (e.g. a C&C server), not only inbound attackers. @default false */
    includeOutbound: z.boolean().default(false),
  })
  .refine((p) => p.firstRuleNumber <= p.lastRuleNumber, { message: 'firstRuleNumber must not be above lastRuleNumber' });

type BlockIpParams = z.infer<typeof params>;

/** One network ACL entry cordon added: its direction and rule number. */
const entry = z.object({ egress: z.boolean(), ruleNumber: z.number().int() });

/**
 * What a block records as `prior`: the ACL, the address denied and the entries added (whose numbers were free before).
 * @example { networkAclId: 'acl-0abc', cidr: '203.0.113.7/32', entriesAdded: [{ egress: false, ruleNumber: 1 }, { egress: true, ruleNumber: 1 }] }
 */
const prior = z.object({ networkAclId: z.string(), cidr: z.string(), entriesAdded: z.array(entry) });

/**
 * What a block records as `changed`: the entries it added, the ones its undo deletes.
 * @example { entriesAdded: [{ egress: false, ruleNumber: 1 }, { egress: true, ruleNumber: 1 }] }
 */
const changed = z.object({ entriesAdded: z.array(entry) });

/** One network ACL entry cordon added. */
type Entry = z.output<typeof entry>;

/**
 * Denies the finding's remote address in the network ACL of each subnet of
 * the instance, inbound and outbound, with the lowest free rule numbers in
 * cordon's range so the deny is evaluated before the ACL's allow rules. Fails
 * clearly when the ACL is at its rule quota rather than dropping other rules.
 */
export const blockIp = defineAction({
  name: 'network.block-ip',
  summary: "Deny the attacker's address in the subnet's network ACL, both directions",
  params,
  target: 'remote-ip',
  disruptive: false,
  permissions: {
    member: ['ec2:DescribeInstances', 'ec2:DescribeNetworkAcls', 'ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAclEntry'],
    home: [],
  },
  prior,
  changed,
  undo: {
    kind: 'restore',
    permissions: ['ec2:DescribeNetworkAcls', 'ec2:DeleteNetworkAclEntry'],
    /** Deletes the entries cordon added, and only those: a rule number now holding another rule is never touched, even with --force. */
    async run(ctx, record, report) {
      const { networkAclId: aclId, cidr } = record.prior;
      const added = record.changed.entriesAdded;
      const ec2 = ctx.member(EC2Client);
      let entries: NetworkAclEntry[];
      try {
        const out = await ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [aclId] }));
        entries = out.NetworkAcls?.[0]?.Entries ?? [];
      } catch (err) {
        if ((err as Error).name === 'InvalidNetworkAclID.NotFound') return [report.skipped(record.resource, `${aclId} no longer exists`)];
        throw err;
      }
      const ours: Entry[] = [];
      const others: string[] = [];
      for (const rule of added) {
        const entry = entries.find((e) => e.Egress === rule.egress && e.RuleNumber === rule.ruleNumber);
        if (!entry) continue;
        if (entry.CidrBlock === cidr && entry.RuleAction === 'deny' && entry.Protocol === '-1' && !entry.PortRange) ours.push(rule);
        else
          others.push(
            `${rule.egress ? 'outbound' : 'inbound'} #${rule.ruleNumber} (${entry.RuleAction} ${entry.CidrBlock ?? entry.Ipv6CidrBlock})`,
          );
      }
      const label = (rules: readonly Entry[]): string =>
        rules.map((r) => `${r.egress ? 'outbound' : 'inbound'} #${r.ruleNumber}`).join(', ');
      // cordon's entries gone and someone's rules at those numbers: nothing of cordon's to restore, theirs stay.
      if (ours.length === 0)
        return [
          report.already(
            record.resource,
            `cordon's deny of ${cidr} is no longer in ${aclId}${others.length > 0 ? `; left ${others.join(', ')} (not cordon's)` : ''}`,
          ),
        ];
      if (ctx.dryRun) return [report.planned(record.resource, `would delete ${label(ours)} denying ${cidr} from ${aclId}`)];
      for (const rule of ours)
        await ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: rule.ruleNumber, Egress: rule.egress }));
      const kept = others.length > 0 ? `; left ${others.join(', ')} (not cordon's)` : '';
      return [
        report.done(record.resource, `deleted ${label(ours)} denying ${cidr} from ${aclId}${kept}`, {
          prior: { entriesDeleted: ours },
          changed: { entriesDeleted: ours },
        }),
      ];
    },
  },
  async run(ctx, p, report) {
    const ips = ctx.finding.remoteIps.filter((r) => r.direction === 'INBOUND' || p.includeOutbound);
    const v4 = ips.filter((r) => /^\d{1,3}(\.\d{1,3}){3}$/.test(r.ip));
    if (v4.length === 0) return [report.skipped('', 'finding names no inbound remote IPv4 address to block')];
    const instance = await ctx.instance();
    const subnets = [...new Set((instance.NetworkInterfaces ?? []).flatMap((ni) => (ni.SubnetId ? [ni.SubnetId] : [])))];
    if (subnets.length === 0) return [report.failed(instance.InstanceId ?? '', 'instance has no subnet')];
    const ec2 = ctx.member(EC2Client);
    const acls = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: subnets }] }));
    const cidrs = [...new Set(v4.map((r) => `${r.ip}/32`))];
    return collecting(async (results) => {
      for (const acl of acls.NetworkAcls ?? []) {
        const aclId = acl.NetworkAclId as string;
        const missing = cidrs.filter((cidr) => !deniedBothWays(acl.Entries ?? [], cidr));
        for (const cidr of cidrs.filter((c) => !missing.includes(c)))
          results.push(report.already(`${aclId}:${cidr}`, `${cidr} already denied both ways in ${aclId}`));
        if (missing.length === 0) continue;
        if (ctx.dryRun) {
          results.push(...(await denyIn(report, ec2, acl, missing, p, true)));
          continue;
        }
        // Rule numbers are chosen from what the ACL holds: two findings about one
        // subnet (another instance, another Lambda environment) must not choose at once.
        results.push(
          ...(await ctx.exclusive(`network-acl:${aclId}`, async () => {
            const fresh = (await ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [aclId] }))).NetworkAcls?.[0] ?? acl;
            return denyIn(report, ec2, fresh, missing, p, false);
          })),
        );
      }
    });
  },
});

function deniedBothWays(entries: readonly NetworkAclEntry[], cidr: string): boolean {
  const has = (egress: boolean): boolean => entries.some((e) => e.Egress === egress && e.CidrBlock === cidr && e.RuleAction === 'deny');
  return has(false) && has(true);
}

/**
 * Denies each address in one ACL, both directions, at the lowest free rule
 * numbers of cordon's range. Both rules of an address are added or neither:
 * when the second cannot be created, the first is deleted again, so that the
 * audit trail never misses a rule cordon left behind.
 */
async function denyIn(
  report: OutcomeReporter<z.output<typeof prior>, z.output<typeof changed>>,
  ec2: EC2Client,
  acl: NetworkAcl,
  cidrs: readonly string[],
  p: BlockIpParams,
  dryRun: boolean,
): Promise<ActionOutcome[]> {
  const aclId = acl.NetworkAclId as string;
  const entries = [...(acl.Entries ?? [])];
  const results: ActionOutcome[] = [];
  for (const cidr of cidrs) {
    const resource = `${aclId}:${cidr}`;
    const has = (egress: boolean): boolean => entries.some((e) => e.Egress === egress && e.CidrBlock === cidr && e.RuleAction === 'deny');
    if (has(false) && has(true)) {
      results.push(report.already(resource, `${cidr} already denied both ways in ${aclId}`));
      continue;
    }
    const plan: Entry[] = [];
    let problem: string | undefined;
    for (const egress of [false, true]) {
      if (has(egress)) continue;
      const direction = egress ? 'outbound' : 'inbound';
      // The quota holds per direction, for IPv4 and IPv6 rules separately, the default (*) rule aside.
      const sameDirection = entries.filter((e) => e.Egress === egress && e.CidrBlock !== undefined && e.RuleNumber !== DEFAULT_RULE_NUMBER);
      if (sameDirection.length >= p.maxRulesPerDirection) {
        problem = `${aclId} already holds ${sameDirection.length} ${direction} IPv4 rules (quota ${p.maxRulesPerDirection}); raise the quota or release older blocks`;
        break;
      }
      // A deny after an allow that matches the address would never be evaluated.
      const shadow = lowestAllowFor(entries, egress, cidr);
      const last = Math.min(p.lastRuleNumber, shadow === undefined ? p.lastRuleNumber : shadow - 1);
      const ruleNumber = freeRuleNumber(entries, egress, p.firstRuleNumber, last, plan);
      if (ruleNumber === undefined) {
        problem =
          shadow !== undefined && shadow <= p.lastRuleNumber
            ? `no free ${direction} rule number in ${p.firstRuleNumber}-${last} of ${aclId} below its allow rule #${shadow}, which matches ${cidr}: a deny after it would have no effect`
            : `no free ${direction} rule number in ${p.firstRuleNumber}-${p.lastRuleNumber} of ${aclId}`;
        break;
      }
      plan.push({ egress, ruleNumber });
    }
    if (problem) {
      results.push(report.failed(resource, problem));
      continue;
    }
    const shared = acl.IsDefault ? ' (the VPC default ACL: every subnet using it is affected)' : '';
    const rules = plan.map((r) => `${r.egress ? 'outbound' : 'inbound'} #${r.ruleNumber}`).join(', ');
    if (dryRun) {
      results.push(report.planned(resource, `would deny ${cidr} in ${aclId} as ${rules}${shared}`));
      continue;
    }
    const created: typeof plan = [];
    try {
      for (const r of plan) {
        await ec2.send(
          new CreateNetworkAclEntryCommand({
            NetworkAclId: aclId,
            RuleNumber: r.ruleNumber,
            Egress: r.egress,
            Protocol: '-1',
            RuleAction: 'deny',
            CidrBlock: cidr,
          }),
        );
        created.push(r);
        entries.push({ RuleNumber: r.ruleNumber, Egress: r.egress, CidrBlock: cidr, RuleAction: 'deny', Protocol: '-1' });
      }
    } catch (err) {
      results.push(
        report.failed(resource, `could not deny ${cidr} in ${aclId}: ${describeError(err)}${await rollBack(ec2, aclId, created)}`),
      );
      continue;
    }
    results.push(
      report.done(resource, `denied ${cidr} in ${aclId} as ${rules}${shared}`, {
        prior: { networkAclId: aclId, cidr, entriesAdded: plan },
        changed: { entriesAdded: plan },
      }),
    );
  }
  return results;
}

/** Deletes the rules of a half-made block; says what it could not delete. */
async function rollBack(ec2: EC2Client, aclId: string, created: readonly Entry[]): Promise<string> {
  const left: string[] = [];
  for (const r of created) {
    try {
      await ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: r.ruleNumber, Egress: r.egress }));
    } catch (err) {
      left.push(`${r.egress ? 'outbound' : 'inbound'} #${r.ruleNumber} (${describeError(err)})`);
    }
  }
  if (created.length === 0) return '';
  return left.length === 0
    ? '; the rule already added was deleted again'
    : `; cordon's rule ${left.join(', ')} is LEFT in ${aclId}: delete it by hand`;
}

/** Rule number of the ACL's default rule (`*`). */
const DEFAULT_RULE_NUMBER = 32767;

/** The lowest-numbered allow rule of a direction whose IPv4 range contains `cidr` (a /32), if any. */
function lowestAllowFor(entries: readonly NetworkAclEntry[], egress: boolean, cidr: string): number | undefined {
  const ip = ipv4ToNumber(cidr.split('/')[0] ?? '');
  let lowest: number | undefined;
  for (const e of entries) {
    if (e.Egress !== egress || e.RuleAction !== 'allow' || !e.CidrBlock || e.RuleNumber === undefined) continue;
    if (ip !== undefined && cidrContains(e.CidrBlock, ip) && (lowest === undefined || e.RuleNumber < lowest)) lowest = e.RuleNumber;
  }
  return lowest;
}

function ipv4ToNumber(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return undefined;
  return (((parts[0] as number) << 24) >>> 0) + ((parts[1] as number) << 16) + ((parts[2] as number) << 8) + (parts[3] as number);
}

/** True when the IPv4 range `cidr` contains the address `ip` (as a number). */
export function cidrContains(cidr: string, ip: number): boolean {
  const [base, bits] = cidr.split('/');
  const network = ipv4ToNumber(base ?? '');
  const prefix = Number(bits ?? '32');
  if (network === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return false;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (network & mask) >>> 0 === (ip & mask) >>> 0;
}

function freeRuleNumber(
  entries: readonly NetworkAclEntry[],
  egress: boolean,
  first: number,
  last: number,
  planned: readonly Entry[],
): number | undefined {
  const used = new Set(entries.filter((e) => e.Egress === egress).map((e) => e.RuleNumber));
  for (const r of planned) if (r.egress === egress) used.add(r.ruleNumber);
  for (let n = first; n <= last; n += 1) if (!used.has(n)) return n;
  return undefined;
}
