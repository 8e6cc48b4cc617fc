/**
 * Deny rules in network ACLs, as two actions place them: `network.block-ip`
 * (an attacker's address in the instance's subnets) and
 * `network.isolate-transit` (the instance's own addresses in the subnets its
 * traffic crosses). Rule placement (lowest free number in cordon's range,
 * before any allow rule that matches, within the rule quota per direction and
 * address family), the records they keep and their undo live here once.
 */
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
import type { OutcomeReporter, UndoReporter } from '../define';
import type { ActionContext, UndoContext, UndoRecord } from '../types';
import type { ActionOutcome } from '../../outcome';
import { familyOf, cidrContains, sameCidr } from './addresses';

/**
 * AWS's default quota of rules per direction in a network ACL, counted for
 * IPv4 and IPv6 rules separately, the default (`*`) rules aside (VPC User
 * Guide, "Amazon VPC quotas": rules per network ACL, 20; adjustable to 40).
 */
export const NACL_RULES_PER_DIRECTION = 20;

/** Rule numbers of the ACL's default rules (`*`): 32767 for IPv4, 32768 for IPv6. */
const FIRST_DEFAULT_RULE_NUMBER = 32767;

/** Where cordon may put its deny rules: the parameters both ACL actions take. */
export const placementParams = {
  /** Lowest rule number cordon may use; deny rules must come before the ACL's allow rules. @default 1 */
  firstRuleNumber: z.number().int().min(1).max(32766).default(1),
  /** Highest rule number cordon may use. @default 99 */
  lastRuleNumber: z.number().int().min(1).max(32766).default(99),
  /** Rules per direction and address family the ACL may hold (raise it if your quota is higher). @default 20 */
  maxRulesPerDirection: z.number().int().min(1).max(40).default(NACL_RULES_PER_DIRECTION),
};

/** The refinement both ACL actions' parameters need. */
export const placementInRange = [
  (p: Placement) => p.firstRuleNumber <= p.lastRuleNumber,
  { message: 'firstRuleNumber must not be above lastRuleNumber' },
] as const;

/** Where cordon may put its deny rules, as parsed. */
export interface Placement {
  readonly firstRuleNumber: number;
  readonly lastRuleNumber: number;
  readonly maxRulesPerDirection: number;
}

/** One network ACL entry cordon added: its direction and rule number. */
const entry = z.object({ egress: z.boolean(), ruleNumber: z.number().int() });

/**
 * What a deny records as `prior`: the ACL, the address denied and the entries added (whose numbers were free before).
 * @example { networkAclId: 'acl-0abc', cidr: '203.0.113.7/32', entriesAdded: [{ egress: false, ruleNumber: 1 }, { egress: true, ruleNumber: 1 }] }
 */
const aclDenyPrior = z.object({ networkAclId: z.string(), cidr: z.string(), entriesAdded: z.array(entry) });

/**
 * What a deny records as `changed`: the entries it added, the ones its undo deletes.
 * @example { entriesAdded: [{ egress: false, ruleNumber: 1 }, { egress: true, ruleNumber: 1 }] }
 */
const aclDenyChanged = z.object({ entriesAdded: z.array(entry) });

/** One network ACL entry cordon added. */
type Entry = z.output<typeof entry>;

/** The outcome builders of an action that denies addresses in ACLs. */
export type AclDenyReporter = OutcomeReporter<z.output<typeof aclDenyPrior>, z.output<typeof aclDenyChanged>>;

/** The CIDR an entry matches, of either family. */
function entryCidr(e: NetworkAclEntry): string | undefined {
  return e.CidrBlock ?? e.Ipv6CidrBlock;
}

/** True when the entries deny `cidr` in one direction. */
function denies(entries: readonly NetworkAclEntry[], egress: boolean, cidr: string): boolean {
  return entries.some((e) => e.Egress === egress && e.RuleAction === 'deny' && sameCidr(entryCidr(e), cidr));
}

/** True when the entries deny `cidr` both ways. */
export function deniedBothWays(entries: readonly NetworkAclEntry[], cidr: string): boolean {
  return denies(entries, false, cidr) && denies(entries, true, cidr);
}

/**
 * How many times a deny picks its rule numbers again after another writer took
 * one of them first (each time from the ACL read again).
 */
const MAX_NUMBER_CONFLICTS = 5;

/** How often, and how long apart, a writer refused by another one denying the same address reads the ACL again for its second rule. */
const SETTLE_LOOKS = 5;
const SETTLE_PAUSE_MS = 200;

/** EC2's answer when a rule number of that direction is already used in the ACL (EC2 API Reference, "Error codes"). */
const RULE_NUMBER_TAKEN = 'NetworkAclEntryAlreadyExists';

/** The plan for one address: the entries to add, or why it cannot be denied. */
function planFor(entries: readonly NetworkAclEntry[], aclId: string, cidr: string, p: Placement): { plan: Entry[] } | { problem: string } {
  const family = familyOf(cidr);
  const plan: Entry[] = [];
  for (const egress of [false, true]) {
    if (denies(entries, egress, cidr)) continue;
    const direction = egress ? 'outbound' : 'inbound';
    const sameKind = entries.filter(
      (e) =>
        e.Egress === egress &&
        familyOf(entryCidr(e) ?? '') === family &&
        e.RuleNumber !== undefined &&
        e.RuleNumber < FIRST_DEFAULT_RULE_NUMBER,
    );
    if (sameKind.length >= p.maxRulesPerDirection)
      return {
        problem: `${aclId} already holds ${sameKind.length} ${direction} ${family} rules (quota ${p.maxRulesPerDirection}); raise the quota or release older blocks`,
      };
    // A deny after an allow that matches the address would never be evaluated.
    const shadow = lowestAllowFor(entries, egress, cidr);
    const last = Math.min(p.lastRuleNumber, shadow === undefined ? p.lastRuleNumber : shadow - 1);
    const ruleNumber = freeRuleNumber(entries, egress, p.firstRuleNumber, last, plan);
    if (ruleNumber === undefined)
      return {
        problem:
          shadow !== undefined && shadow <= p.lastRuleNumber
            ? `no free ${direction} rule number in ${p.firstRuleNumber}-${last} of ${aclId} below its allow rule #${shadow}, which matches ${cidr}: a deny after it would have no effect`
            : `no free ${direction} rule number in ${p.firstRuleNumber}-${p.lastRuleNumber} of ${aclId}`,
      };
    plan.push({ egress, ruleNumber });
  }
  return { plan };
}

/**
 * Denies each address (a /32 or /128) in one ACL, both directions, at the
 * lowest free rule numbers of cordon's range, before any allow rule that
 * matches it, within the quota of its family and direction. Both rules of an
 * address are added or neither: when the second cannot be created, the first
 * is deleted again, so that the audit trail never misses a rule cordon left behind.
 *
 * No lease: EC2 itself refuses a rule number already used in that direction
 * (`NetworkAclEntryAlreadyExists`), so two findings about one subnet (another
 * instance, another Lambda environment, either ACL action) that chose the same
 * number from the same read cannot both have it. The one refused reads the ACL
 * again and plans from what it holds now: an address the other one denied
 * meanwhile is `already` denied (when it is halfway, its second rule is waited
 * for, about a second at most), another address gets the next free number.
 * `acl` must have been read by the caller's own run (it is the first plan's).
 */
export async function denyInAcl(
  ctx: Pick<ActionContext, 'dryRun'>,
  report: AclDenyReporter,
  ec2: EC2Client,
  acl: NetworkAcl,
  cidrs: readonly string[],
  p: Placement,
  residuals: Pick<ActionOutcome, 'closes' | 'remains'> = {},
): Promise<ActionOutcome[]> {
  const aclId = acl.NetworkAclId as string;
  let entries = [...(acl.Entries ?? [])];
  const results: ActionOutcome[] = [];
  for (const cidr of cidrs) {
    const resource = `${aclId}:${cidr}`;
    // What this address got so far (kept across a conflict: the other direction may already be added).
    const created: Entry[] = [];
    let outcome: ActionOutcome | undefined;
    for (let conflicts = 0; outcome === undefined;) {
      if (created.length === 0 && deniedBothWays(entries, cidr)) {
        outcome = report.already(resource, `${cidr} already denied both ways in ${aclId}`, residuals);
        break;
      }
      const planned = planFor(entries, aclId, cidr, p);
      if ('problem' in planned) {
        outcome = report.failed(resource, `${planned.problem}${await rollBack(ec2, aclId, created)}`);
        break;
      }
      const shared = acl.IsDefault ? ' (the VPC default ACL: every subnet using it is affected)' : '';
      const describe = (rules: readonly Entry[]): string =>
        rules.map((r) => `${r.egress ? 'outbound' : 'inbound'} #${r.ruleNumber}`).join(', ');
      if (ctx.dryRun) {
        outcome = report.planned(resource, `would deny ${cidr} in ${aclId} as ${describe(planned.plan)}${shared}`, residuals);
        break;
      }
      try {
        for (const r of planned.plan) {
          const address = familyOf(cidr) === 'IPv6' ? { Ipv6CidrBlock: cidr } : { CidrBlock: cidr };
          await ec2.send(
            new CreateNetworkAclEntryCommand({
              NetworkAclId: aclId,
              RuleNumber: r.ruleNumber,
              Egress: r.egress,
              Protocol: '-1',
              RuleAction: 'deny',
              ...address,
            }),
          );
          created.push(r);
          entries.push({ RuleNumber: r.ruleNumber, Egress: r.egress, RuleAction: 'deny', Protocol: '-1', ...address });
        }
      } catch (err) {
        conflicts += 1;
        if ((err as Error).name === RULE_NUMBER_TAKEN && conflicts <= MAX_NUMBER_CONFLICTS) {
          entries = await entriesOf(ec2, aclId);
          // Another writer is denying this very address (one direction there, none of them ours): it adds the other
          // direction next, so let it finish and say `already` rather than split the address's rules between findings.
          const halfway = (): boolean => created.length === 0 && denies(entries, false, cidr) !== denies(entries, true, cidr);
          for (let look = 0; look < SETTLE_LOOKS && halfway(); look += 1) {
            await new Promise((resolve) => setTimeout(resolve, SETTLE_PAUSE_MS));
            entries = await entriesOf(ec2, aclId);
          }
          continue;
        }
        const why =
          (err as Error).name === RULE_NUMBER_TAKEN
            ? `other writers took the rule numbers it chose ${conflicts} times`
            : describeError(err);
        outcome = report.failed(resource, `could not deny ${cidr} in ${aclId}: ${why}${await rollBack(ec2, aclId, created)}`);
        break;
      }
      // An address another writer denied in one direction meanwhile: only the other direction was added.
      if (created.length === 0) outcome = report.already(resource, `${cidr} already denied both ways in ${aclId}`, residuals);
      else
        outcome = report.done(resource, `denied ${cidr} in ${aclId} as ${describe(created)}${shared}`, {
          prior: { networkAclId: aclId, cidr, entriesAdded: created },
          changed: { entriesAdded: created },
          ...residuals,
        });
    }
    results.push(outcome);
  }
  return results;
}

/** The ACL's entries as they are now. */
async function entriesOf(ec2: EC2Client, aclId: string): Promise<NetworkAclEntry[]> {
  return (await ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [aclId] }))).NetworkAcls?.[0]?.Entries ?? [];
}

/** Deletes the rules of a half-made deny; says what it could not delete. */
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

/** The lowest-numbered allow rule of a direction whose range (of the address's family) contains `cidr`, if any. */
function lowestAllowFor(entries: readonly NetworkAclEntry[], egress: boolean, cidr: string): number | undefined {
  const address = cidr.split('/')[0] ?? '';
  let lowest: number | undefined;
  for (const e of entries) {
    const range = entryCidr(e);
    if (e.Egress !== egress || e.RuleAction !== 'allow' || !range || e.RuleNumber === undefined) continue;
    if (cidrContains(range, address) && (lowest === undefined || e.RuleNumber < lowest)) lowest = e.RuleNumber;
  }
  return lowest;
}

function freeRuleNumber(
  entries: readonly NetworkAclEntry[],
  egress: boolean,
  first: number,
  last: number,
  planned: readonly Entry[],
): number | undefined {
  // One numbering per direction, whatever the address family.
  const used = new Set(entries.filter((e) => e.Egress === egress).map((e) => e.RuleNumber));
  for (const r of planned) if (r.egress === egress) used.add(r.ruleNumber);
  for (let n = first; n <= last; n += 1) if (!used.has(n)) return n;
  return undefined;
}

/** IAM actions {@link removeDenies} calls. */
const REMOVE_DENIES_PERMISSIONS = ['ec2:DescribeNetworkAcls', 'ec2:DeleteNetworkAclEntry'];

/** What both ACL actions record, and how release undoes it: the part of their declarations they share. */
export const ACL_DENY_RECORDS = {
  prior: aclDenyPrior,
  changed: aclDenyChanged,
  undo: {
    kind: 'restore' as const,
    permissions: REMOVE_DENIES_PERMISSIONS,
    run: (
      ctx: UndoContext,
      record: UndoRecord<z.output<typeof aclDenyPrior>, z.output<typeof aclDenyChanged>>,
      report: UndoReporter,
    ): Promise<ActionOutcome[]> => removeDenies(report, ctx, record),
  },
};

/**
 * Undo of a deny: deletes the entries cordon added, and only those: a rule
 * number now holding another rule is never touched, even with --force.
 */
async function removeDenies(
  report: UndoReporter,
  ctx: UndoContext,
  record: { readonly resource: string; readonly prior: z.output<typeof aclDenyPrior>; readonly changed: z.output<typeof aclDenyChanged> },
): Promise<ActionOutcome[]> {
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
    const found = entries.find((e) => e.Egress === rule.egress && e.RuleNumber === rule.ruleNumber);
    if (!found) continue;
    if (sameCidr(entryCidr(found), cidr) && found.RuleAction === 'deny' && found.Protocol === '-1' && !found.PortRange) ours.push(rule);
    else others.push(`${rule.egress ? 'outbound' : 'inbound'} #${rule.ruleNumber} (${found.RuleAction} ${entryCidr(found)})`);
  }
  const label = (rules: readonly Entry[]): string => rules.map((r) => `${r.egress ? 'outbound' : 'inbound'} #${r.ruleNumber}`).join(', ');
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
}
