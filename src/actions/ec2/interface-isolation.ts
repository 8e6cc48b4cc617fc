/**
 * Moving one network interface into its VPC's quarantine group and back: the
 * two-step move (through the allow-all group, so established TCP/UDP flows
 * become untracked and are cut) that isolates an instance's interfaces and an
 * ECS task's awsvpc interface alike, and its undo.
 */
import { DescribeNetworkInterfacesCommand, EC2Client, ModifyNetworkInterfaceAttributeCommand } from '@aws-sdk/client-ec2';
import type { AuditRecord } from '../../audit/store';
import { describeError } from '../../errors';
import type { ActionOutcome, ResidualChannel } from '../../outcome';
import type { UndoReporter } from '../define';
import { REFUSED, type UndoContext } from '../types';
import { QUARANTINE_GROUP_NAME, QUARANTINE_GROUP_PERMISSIONS, UNTRACK_GROUP_NAME } from './quarantine-groups';

/** What a move records as `prior` (with its owner's fields): the interface and its groups before (empty when unknown). */
interface InterfacePrior {
  readonly networkInterfaceId: string;
  readonly groupIds: readonly string[];
}

/**
 * What isolation leaves open (VPC User Guide, "Security group connection
 * tracking"; see RESIDUAL_CHANNELS): DNS to the Route 53 Resolver, which no
 * security group filters; flows AWS tracks automatically (through a NAT
 * gateway, load balancer, Transit Gateway or PrivateLink endpoint), which the
 * allow-all hop cannot untrack; ICMP and egress-only internet gateway flows,
 * always tracked; and without the hop, every established connection.
 */
export function isolationLeavesOpen(cutTrackedConnections: boolean): ResidualChannel[] {
  return [
    'dns-resolver',
    'gateway-tracked-flows',
    'direct-tracked-flows',
    ...(cutTrackedConnections ? [] : ['established-connections' as const]),
  ];
}

/** One interface to move: its id, whose it is (for messages), its groups now, the groups to use. */
export interface InterfaceMove {
  readonly eniId: string;
  /** `i-0abc` or `task …`: whose interface it is, for messages. */
  readonly owner: string;
  /** `pod branch interface ` for an EKS branch interface, else empty. */
  readonly kind: string;
  readonly groupIds: readonly string[];
  readonly quarantine: string;
  readonly untrack: string | undefined;
  /** The original groups as recorded (empty when unknown). */
  readonly originalGroupIds: readonly string[];
  /** Said when the original groups are unknown. */
  readonly unknown: string;
}

/**
 * How a move went: `moved`; or not, with why and where the interface was
 * left; `untouched` when EC2 refused the first change (the interface is as it
 * was: an ECS task's interface may then be stopped instead).
 */
export type MoveResult =
  { readonly moved: true; readonly detail: string } | { readonly moved: false; readonly detail: string; readonly untouched: boolean };

/**
 * Moves one interface to the quarantine group (through the allow-all group
 * when `untrack` is set). If the final move fails, the interface is put back
 * in its groups at once rather than left in the allow-all group; the result
 * says whether that worked.
 */
export async function moveToQuarantine(ec2: EC2Client, move: InterfaceMove): Promise<MoveResult> {
  const { eniId, owner, groupIds, quarantine, untrack, unknown } = move;
  const failed = (detail: string, untouched = false): MoveResult => ({ moved: false, detail, untouched });
  if (untrack) {
    try {
      await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: [untrack] }));
    } catch (err) {
      return failed(
        `could not move ${eniId} of ${owner} to ${UNTRACK_GROUP_NAME}: ${describeError(err)}; left in [${groupIds.join(', ')}]`,
        true,
      );
    }
  }
  try {
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: [quarantine] }));
  } catch (err) {
    if (!untrack)
      return failed(
        `could not move ${eniId} of ${owner} to ${QUARANTINE_GROUP_NAME}: ${describeError(err)}; left in [${groupIds.join(', ')}]`,
        true,
      );
    // Never leave an interface in the allow-all group: back to its original
    // groups, not to the allow-all group a cut-short run may have left it in.
    const originals = move.originalGroupIds.length > 0 ? move.originalGroupIds : groupIds.filter((g) => g !== untrack);
    if (originals.length === 0) {
      return failed(
        `could not move ${eniId} of ${owner} to ${QUARANTINE_GROUP_NAME} (${describeError(err)}) and its original groups are unknown: it is in the ALLOW-ALL group ${UNTRACK_GROUP_NAME} (${untrack}); isolate it by hand NOW`,
      );
    }
    try {
      await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: [...originals] }));
      return failed(
        `could not move ${eniId} of ${owner} to ${QUARANTINE_GROUP_NAME}: ${describeError(err)}; put back in [${originals.join(', ')}]`,
      );
    } catch (back) {
      return failed(
        `could not move ${eniId} of ${owner} to ${QUARANTINE_GROUP_NAME} (${describeError(err)}) nor back to [${originals.join(', ')}] (${describeError(back)}): it is in the ALLOW-ALL group ${UNTRACK_GROUP_NAME} (${untrack}); isolate it by hand NOW`,
      );
    }
  }
  // The allow-all hop makes established TCP and UDP flows untracked, so the quarantine group cuts them; never ICMP, nor
  // flows AWS tracks automatically (the outcome's residuals name them).
  return {
    moved: true,
    detail: `moved ${move.kind}${eniId} of ${owner} from [${groupIds.join(', ')}] to ${QUARANTINE_GROUP_NAME} (${quarantine})${untrack ? ', established TCP/UDP connections untracked and cut (not those AWS tracks automatically)' : ''}${unknown}`,
  };
}

/** True when an interface's only group is named `name` (as DescribeNetworkInterfaces reports it). */
export function onlyIn(groups: ReadonlyArray<{ GroupName?: string }> | undefined, name: string): boolean {
  return (groups ?? []).length === 1 && groups?.[0]?.GroupName === name;
}

/** True when group `id` of an interface is one of cordon's by name. */
export function cordonGroupName(groups: ReadonlyArray<{ GroupId?: string; GroupName?: string }> | undefined, id: string): boolean {
  const name = groups?.find((g) => g.GroupId === id)?.GroupName;
  return name === QUARANTINE_GROUP_NAME || name === UNTRACK_GROUP_NAME;
}

/** The original groups of an interface as an earlier delivery of the finding recorded them (`prior.groupIds`). */
export function recordedGroups(history: readonly AuditRecord[], action: string, eniId: string): string[] | undefined {
  for (const r of history) {
    if (r.action !== action || r.actor !== 'respond' || r.status !== 'done' || r.resource !== eniId) continue;
    const ids = (r.prior as { groupIds?: unknown } | undefined)?.groupIds;
    if (Array.isArray(ids) && ids.length > 0 && ids.every((g): g is string => typeof g === 'string')) return ids;
  }
  return undefined;
}

/**
 * Puts an interface back in the groups it had. The interface must still be
 * in cordon's quarantine group and in no group that is neither the
 * quarantine nor an original one; otherwise someone changed it since and
 * release refuses unless forced. (Checking membership rather than equality
 * also keeps this right under moto, which reports an attached interface's
 * groups unioned with the instance's launch groups.)
 */
export async function restoreInterfaceGroups(
  ctx: UndoContext,
  report: UndoReporter,
  record: { readonly prior: InterfacePrior; readonly changed: { readonly groupIds: readonly string[] } },
): Promise<ActionOutcome[]> {
  const eniId = record.prior.networkInterfaceId;
  const original = [...record.prior.groupIds];
  const quarantine = record.changed.groupIds[0];
  if (original.length === 0 || !quarantine) return [report.failed(eniId, 'the audit record holds no original groups to restore')];
  const ec2 = ctx.member(EC2Client);
  let current: string[];
  try {
    const out = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }));
    current = (out.NetworkInterfaces?.[0]?.Groups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : []));
  } catch (err) {
    if ((err as Error).name === 'InvalidNetworkInterfaceID.NotFound') return [report.skipped(eniId, `${eniId} no longer exists`)];
    throw err;
  }
  if (!current.includes(quarantine) && sameSet(current, original))
    return [report.already(eniId, `${eniId} is already in its original groups [${original.join(', ')}]`)];
  const foreign = current.filter((g) => g !== quarantine && !original.includes(g));
  if ((!current.includes(quarantine) || foreign.length > 0) && !ctx.force) {
    return [
      report.failed(
        eniId,
        `${REFUSED} ${eniId} is now in [${current.join(', ')}], not only cordon's quarantine ${quarantine}: someone changed it since; restore it by hand or rerun with --force`,
      ),
    ];
  }
  if (ctx.dryRun) return [report.planned(eniId, `would move ${eniId} from [${current.join(', ')}] back to [${original.join(', ')}]`)];
  await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: original }));
  return [
    report.done(eniId, `moved ${eniId} back to [${original.join(', ')}]`, {
      prior: { groupIds: current },
      changed: { groupIds: original },
    }),
  ];
}

/** IAM actions {@link restoreInterfaceGroups} calls. */
/** What moving an interface into them needs, beside making them. */
export const ISOLATE_INTERFACE_PERMISSIONS = [
  'ec2:DescribeNetworkInterfaces',
  ...QUARANTINE_GROUP_PERMISSIONS,
  'ec2:ModifyNetworkInterfaceAttribute',
] as const;

export const RESTORE_INTERFACE_PERMISSIONS = ['ec2:DescribeNetworkInterfaces', 'ec2:ModifyNetworkInterfaceAttribute'];

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === new Set(b).size && a.every((x) => b.includes(x));
}
