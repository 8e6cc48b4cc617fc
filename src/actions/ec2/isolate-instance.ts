import { DescribeNetworkInterfacesCommand, EC2Client, ModifyNetworkInterfaceAttributeCommand } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { REFUSED } from '../types';
import { defineAction, type OutcomeReporter, type Residuals } from '../define';
import type { ActionOutcome, ResidualChannel } from '../../outcome';
import type { AuditRecord } from '../../audit/store';
import { describeError } from '../../errors';
import { ensureIsolationGroups, findIsolationGroups, QUARANTINE_GROUP_NAME, UNTRACK_GROUP_NAME } from './quarantine-groups';
import { instanceInterfaces, TRUNK_ENI_TAG, vpcOf } from './interfaces';

const params = z.strictObject({
  /**
   * Cut connections that are already established: a security group change does
   * not stop tracked flows, so each interface goes through an allow-all group
   * (whose flows are untracked) before the quarantine group.
   * @default true
   */
  cutTrackedConnections: z.boolean().default(true),
});

/**
 * What isolation records as `prior` for each interface: its groups before
 * cordon moved it (empty when they were unknown: it was already in a cordon
 * group and no earlier record named them).
 * @example { instanceId: 'i-0abc', networkInterfaceId: 'eni-0abc', groupIds: ['sg-0web', 'sg-0admin'] }
 */
const prior = z.object({ instanceId: z.string(), networkInterfaceId: z.string(), groupIds: z.array(z.string()) });

/**
 * What isolation records as `changed`: the interface's groups after, the quarantine group alone.
 * @example { groupIds: ['sg-0quarantine'] }
 */
const changed = z.object({ groupIds: z.array(z.string()) });

/** The outcomes of isolation. */
type IsolationReporter = OutcomeReporter<z.output<typeof prior>, z.output<typeof changed>>;

/**
 * Isolates the instance: a quarantine group (no inbound, no outbound) becomes
 * the only group of every network interface, in the interface's own VPC (an
 * interface attached from another VPC gets that VPC's group), EKS pods'
 * branch interfaces included. `ModifyInstanceAttribute` would reach only the
 * primary interface, so each interface is changed with
 * `ModifyNetworkInterfaceAttribute`. Original groups are recorded per
 * interface. What security groups cannot cut is named in each outcome's
 * residuals. GuardDuty's guide: "Remediating a potentially compromised Amazon
 * EC2 instance" (isolate it).
 */
export const isolateInstance = defineAction({
  name: 'ec2.isolate',
  summary: 'Replace the security groups of every network interface with a no-traffic quarantine group',
  params,
  target: 'instance',
  disruptive: true,
  permissions: {
    member: [
      'ec2:DescribeInstances',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSecurityGroups',
      'ec2:CreateSecurityGroup',
      'ec2:CreateTags',
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:AuthorizeSecurityGroupEgress',
      'ec2:RevokeSecurityGroupEgress',
      'ec2:RevokeSecurityGroupIngress',
      'ec2:ModifyNetworkInterfaceAttribute',
    ],
    home: [],
  },
  prior,
  changed,
  undo: {
    kind: 'restore',
    permissions: ['ec2:DescribeNetworkInterfaces', 'ec2:ModifyNetworkInterfaceAttribute'],
    /**
     * Puts the interface back in the groups it had. The interface must still
     * be in cordon's quarantine group and in no group that is neither the
     * quarantine nor an original one; otherwise someone changed it since and
     * release refuses unless forced. (Checking membership rather than equality
     * also keeps this right under moto, which reports an attached interface's
     * groups unioned with the instance's launch groups.)
     */
    async run(ctx, record, report) {
      const eniId = record.prior.networkInterfaceId;
      const original = record.prior.groupIds;
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
    },
  },
  async run(ctx, p, report) {
    const instance = await ctx.instance();
    const instanceId = instance.InstanceId as string;
    const instanceVpc = instance.VpcId;
    if (!instanceVpc) return [report.failed(instanceId, 'instance is not in a VPC (EC2-Classic cannot be isolated with security groups)')];
    const ec2 = ctx.member(EC2Client);
    // The VPCs of the attached interfaces (a pod's branch interface is in its trunk's subnet): cordon's groups there are
    // looked up while the interfaces are listed (independent calls).
    const described = [...new Set([instanceVpc, ...(instance.NetworkInterfaces ?? []).flatMap((ni) => (ni.VpcId ? [ni.VpcId] : []))])];
    const [interfaces, foundFirst] = await Promise.all([instanceInterfaces(ec2, instanceId), findIsolationGroups(ec2, described)]);
    if (interfaces.length === 0) return [report.failed(instanceId, 'instance has no network interface to isolate')];
    // Each interface is isolated in its own VPC: a group of another VPC cannot be given to it.
    const vpcs = [...new Set(interfaces.map((ni) => vpcOf(ni, instanceVpc)))];
    const unseen = vpcs.filter((v) => !described.includes(v));
    const found = unseen.length === 0 ? foundFirst : [...foundFirst, ...(await findIsolationGroups(ec2, unseen))];
    const residuals = { remains: leftOpen(p.cutTrackedConnections) };

    const pendingVpcs = vpcs.filter((vpc) =>
      interfaces.some((ni) => vpcOf(ni, instanceVpc) === vpc && !onlyIn(ni.Groups, QUARANTINE_GROUP_NAME)),
    );
    // Groups are made only where an interface still has to move (a second delivery changes nothing); one VPC's groups at a time.
    const groups = new Map<string, { quarantineId: string | undefined; untrackId: string | undefined }>();
    for (const vpc of vpcs) {
      const ofVpc = found.filter((g) => g.VpcId === vpc);
      groups.set(
        vpc,
        ctx.dryRun || !pendingVpcs.includes(vpc)
          ? { quarantineId: ofVpc.find((g) => g.GroupName === QUARANTINE_GROUP_NAME)?.GroupId, untrackId: undefined }
          : await ensureIsolationGroups(ec2, vpc, p.cutTrackedConnections, (scope, work) => ctx.exclusive(scope, work), ofVpc),
      );
    }
    const ours = new Set([...groups.values()].flatMap((g) => [g.quarantineId, g.untrackId]).filter((g): g is string => g !== undefined));
    // Every interface at once (each goes through its own two moves).
    // eslint-disable-next-line cordon/no-unbounded-fan-out -- an instance has at most a few dozen interfaces (its type's ENI and branch limits)
    const perInterface = await Promise.all(
      interfaces.map(async (ni): Promise<ActionOutcome> => {
        const eniId = ni.NetworkInterfaceId as string;
        const vpcId = vpcOf(ni, instanceVpc);
        const { quarantineId: quarantine, untrackId: untrack } = groups.get(vpcId) ?? { quarantineId: undefined, untrackId: undefined };
        const groupIds = (ni.Groups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : []));
        const kind = ni.InterfaceType === 'branch' || ni.TagSet?.some((t) => t.Key === TRUNK_ENI_TAG) ? 'pod branch interface ' : '';
        if (quarantine && onlyIn(ni.Groups, QUARANTINE_GROUP_NAME)) {
          return report.already(
            eniId,
            `${kind}${eniId} of ${instanceId} is already in ${QUARANTINE_GROUP_NAME} (${quarantine})`,
            residuals,
          );
        }
        // An interface still in one of cordon's groups (a run cut short) keeps
        // the original groups an earlier delivery recorded, never cordon's own.
        const original = groupIds.some((g) => ours.has(g) || cordonGroupName(ni.Groups, g))
          ? recordedGroups(await ctx.history(), report.action, eniId)
          : groupIds;
        const recorded = { instanceId, networkInterfaceId: eniId, groupIds: original ?? [] };
        const unknown = original === undefined ? ' (its original groups are unknown: it was already in a cordon group)' : '';
        if (ctx.dryRun) {
          return report.planned(
            eniId,
            `would move ${kind}${eniId} of ${instanceId} from [${groupIds.join(', ')}] to ${quarantine ?? `a new ${QUARANTINE_GROUP_NAME} group in ${vpcId}`}${unknown}`,
            { prior: recorded, ...residuals },
          );
        }
        return isolateInterface(
          report,
          ec2,
          { eniId, instanceId, kind, groupIds, quarantine: quarantine as string, untrack, recorded, unknown },
          residuals,
        );
      }),
    );
    return perInterface;
  },
});

/**
 * What isolation leaves open (VPC User Guide, "Security group connection
 * tracking"; see RESIDUAL_CHANNELS): DNS to the Route 53 Resolver, which no
 * security group filters; flows AWS tracks automatically (through a NAT
 * gateway, load balancer, Transit Gateway or PrivateLink endpoint), which the
 * allow-all hop cannot untrack; ICMP and egress-only internet gateway flows,
 * always tracked; and without the hop, every established connection.
 */
function leftOpen(cutTrackedConnections: boolean): ResidualChannel[] {
  return [
    'dns-resolver',
    'gateway-tracked-flows',
    'direct-tracked-flows',
    ...(cutTrackedConnections ? [] : ['established-connections' as const]),
  ];
}

/**
 * Moves one interface to the quarantine group (through the allow-all group
 * when `untrack` is set). If the final move fails, the interface is put back
 * in its groups at once rather than left in the allow-all group; the outcome
 * says whether that worked.
 */
async function isolateInterface(
  report: IsolationReporter,
  ec2: EC2Client,
  move: {
    readonly eniId: string;
    readonly instanceId: string;
    /** `pod branch interface ` for an EKS branch interface, else empty. */
    readonly kind: string;
    readonly groupIds: readonly string[];
    readonly quarantine: string;
    readonly untrack: string | undefined;
    readonly recorded: z.output<typeof prior>;
    readonly unknown: string;
  },
  residuals: Residuals,
): Promise<ActionOutcome> {
  const { eniId, instanceId, groupIds, quarantine, untrack, recorded, unknown } = move;
  if (untrack) {
    try {
      await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: [untrack] }));
    } catch (err) {
      return report.failed(
        eniId,
        `could not move ${eniId} of ${instanceId} to ${UNTRACK_GROUP_NAME}: ${describeError(err)}; left in [${groupIds.join(', ')}]`,
      );
    }
  }
  try {
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: [quarantine] }));
  } catch (err) {
    if (!untrack)
      return report.failed(
        eniId,
        `could not move ${eniId} of ${instanceId} to ${QUARANTINE_GROUP_NAME}: ${describeError(err)}; left in [${groupIds.join(', ')}]`,
      );
    // Never leave an interface in the allow-all group: back to its original
    // groups, not to the allow-all group a cut-short run may have left it in.
    const originals = recorded.groupIds.length > 0 ? recorded.groupIds : groupIds.filter((g) => g !== untrack);
    if (originals.length === 0) {
      return report.failed(
        eniId,
        `could not move ${eniId} of ${instanceId} to ${QUARANTINE_GROUP_NAME} (${describeError(err)}) and its original groups are unknown: it is in the ALLOW-ALL group ${UNTRACK_GROUP_NAME} (${untrack}); isolate it by hand NOW`,
      );
    }
    try {
      await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: [...originals] }));
      return report.failed(
        eniId,
        `could not move ${eniId} of ${instanceId} to ${QUARANTINE_GROUP_NAME}: ${describeError(err)}; put back in [${originals.join(', ')}]`,
      );
    } catch (back) {
      return report.failed(
        eniId,
        `could not move ${eniId} of ${instanceId} to ${QUARANTINE_GROUP_NAME} (${describeError(err)}) nor back to [${originals.join(', ')}] (${describeError(back)}): it is in the ALLOW-ALL group ${UNTRACK_GROUP_NAME} (${untrack}); isolate it by hand NOW`,
      );
    }
  }
  // The allow-all hop makes established TCP and UDP flows untracked, so the quarantine group cuts them; never ICMP, nor
  // flows AWS tracks automatically (the outcome's residuals name them).
  return report.done(
    eniId,
    `moved ${move.kind}${eniId} of ${instanceId} from [${groupIds.join(', ')}] to ${QUARANTINE_GROUP_NAME} (${quarantine})${untrack ? ', established TCP/UDP connections untracked and cut (not those AWS tracks automatically)' : ''}${unknown}`,
    { prior: recorded, changed: { groupIds: [quarantine] }, ...residuals },
  );
}

/** True when an interface's only group is named `name` (as DescribeNetworkInterfaces reports it). */
function onlyIn(groups: ReadonlyArray<{ GroupName?: string }> | undefined, name: string): boolean {
  return (groups ?? []).length === 1 && groups?.[0]?.GroupName === name;
}

/** True when group `id` of an interface is one of cordon's by name. */
function cordonGroupName(groups: ReadonlyArray<{ GroupId?: string; GroupName?: string }> | undefined, id: string): boolean {
  const name = groups?.find((g) => g.GroupId === id)?.GroupName;
  return name === QUARANTINE_GROUP_NAME || name === UNTRACK_GROUP_NAME;
}

/** The original groups of an interface as an earlier delivery of the finding recorded them. */
function recordedGroups(history: readonly AuditRecord[], action: string, eniId: string): string[] | undefined {
  for (const r of history) {
    if (r.action !== action || r.actor !== 'respond' || r.status !== 'done' || r.resource !== eniId) continue;
    const ids = prior.safeParse(r.prior).data?.groupIds ?? [];
    if (ids.length > 0) return ids;
  }
  return undefined;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === new Set(b).size && a.every((x) => b.includes(x));
}
