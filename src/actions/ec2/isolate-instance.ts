import { EC2Client, type NetworkInterface, type SecurityGroup } from '@aws-sdk/client-ec2';
import type { ActionContext } from '../types';
import { z } from 'zod';
import { defineAction } from '../define';
import type { ActionOutcome } from '../../outcome';
import { ensureIsolationGroups, familiesOf, findIsolationGroups, QUARANTINE_GROUP_NAME } from './quarantine-groups';
import { interfacesOf, TRUNK_ENI_TAG, vpcOf } from './interfaces';
import {
  cordonGroupName,
  isolationLeavesOpen,
  moveToQuarantine,
  onlyIn,
  recordedGroups,
  restoreInterfaceGroups,
  ISOLATE_INTERFACE_PERMISSIONS,
  RESTORE_INTERFACE_PERMISSIONS,
} from './interface-isolation';

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

/**
 * cordon's groups in the VPCs of the instance's interfaces as the finding
 * names them (else as EC2 describes the instance), looked up once per context
 * and while the finding is screened.
 */
function isolationGroupsOf(ctx: ActionContext): Promise<{ readonly described: readonly string[]; readonly found: SecurityGroup[] }> {
  return ctx.lookup('ec2.isolate:groups', async () => {
    const named = (ctx.finding.instance?.networkInterfaces ?? []).map((ni) => ni.vpcId).filter((v): v is string => !!v);
    const instance = named.length > 0 ? undefined : await ctx.instance();
    const described = [
      ...new Set(
        instance ? [instance.VpcId, ...(instance.NetworkInterfaces ?? []).map((ni) => ni.VpcId)].filter((v): v is string => !!v) : named,
      ),
    ];
    return { described, found: described.length > 0 ? await findIsolationGroups(ctx.member(EC2Client), described) : [] };
  });
}

/**
 * A VPC's isolation groups made ready once per context (by `prepare`, or by
 * `run` when it did not) for the instance's interfaces in that VPC still to
 * move: the allow-all group untracks the address families they have.
 */
function readyGroups(
  ctx: ActionContext,
  vpcId: string,
  untrack: boolean,
  found: readonly SecurityGroup[],
  moving: readonly NetworkInterface[],
) {
  const families = familiesOf(moving);
  return ctx.lookup(`ec2.isolate:ready:${vpcId}:${String(untrack)}:${families.join('+')}`, () =>
    ensureIsolationGroups(ctx.member(EC2Client), vpcId, untrack, found, families),
  );
}

/** The interfaces in `vpc` that are not yet in the quarantine group alone. */
function stillToMove(interfaces: readonly NetworkInterface[], vpc: string, instanceVpc: string): NetworkInterface[] {
  return interfaces.filter((ni) => vpcOf(ni, instanceVpc) === vpc && !onlyIn(ni.Groups, QUARANTINE_GROUP_NAME));
}

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
  runs: 'concurrent',
  permissions: {
    member: ['ec2:DescribeInstances', ...ISOLATE_INTERFACE_PERMISSIONS],
    home: [],
  },
  prior,
  changed,
  undo: {
    kind: 'restore',
    permissions: RESTORE_INTERFACE_PERMISSIONS,
    run: (ctx, record, report) => restoreInterfaceGroups(ctx, report, record),
  },
  prefetch(ctx) {
    // Answered when run awaits them; a failure then is run's to report.
    isolationGroupsOf(ctx).catch(() => undefined);
    interfacesOf(ctx).catch(() => undefined);
  },
  prepare(ctx, p) {
    // The groups of every VPC where an interface still has to move, made beside the admission; run awaits the same
    // promises (a failure then is run's to report).
    void (async () => {
      const [interfaces, { found }] = await Promise.all([interfacesOf(ctx), isolationGroupsOf(ctx)]);
      const instanceVpc = (await ctx.instance()).VpcId;
      if (!instanceVpc) return;
      const pending = new Set(interfaces.filter((ni) => !onlyIn(ni.Groups, QUARANTINE_GROUP_NAME)).map((ni) => vpcOf(ni, instanceVpc)));
      for (const vpc of pending)
        readyGroups(
          ctx,
          vpc,
          p.cutTrackedConnections,
          found.filter((g) => g.VpcId === vpc),
          stillToMove(interfaces, vpc, instanceVpc),
        ).catch(() => undefined);
    })().catch(() => undefined);
  },
  async run(ctx, p, report) {
    const instance = await ctx.instance();
    const instanceId = instance.InstanceId as string;
    const instanceVpc = instance.VpcId;
    if (!instanceVpc) return [report.failed(instanceId, 'instance is not in a VPC (EC2-Classic cannot be isolated with security groups)')];
    const ec2 = ctx.member(EC2Client);
    // The interfaces and cordon's groups were looked up while the finding was screened (a context made afresh under
    // the lease, when another delivery may have moved them since, looks them up again).
    const [interfaces, { described, found: foundFirst }] = await Promise.all([interfacesOf(ctx), isolationGroupsOf(ctx)]);
    if (interfaces.length === 0) return [report.failed(instanceId, 'instance has no network interface to isolate')];
    // Each interface is isolated in its own VPC: a group of another VPC cannot be given to it.
    const vpcs = [...new Set(interfaces.map((ni) => vpcOf(ni, instanceVpc)))];
    const unseen = vpcs.filter((v) => !described.includes(v));
    const found = unseen.length === 0 ? foundFirst : [...foundFirst, ...(await findIsolationGroups(ec2, unseen))];
    const residuals = { remains: isolationLeavesOpen(p.cutTrackedConnections) };

    const pendingVpcs = vpcs.filter((vpc) => stillToMove(interfaces, vpc, instanceVpc).length > 0);
    // Groups are made only where an interface still has to move (a second delivery changes nothing); every VPC's at once.
    const groups = new Map<string, { quarantineId: string | undefined; untrackId: string | undefined }>(
      // eslint-disable-next-line cordon/no-unbounded-fan-out -- the VPCs of one instance's interfaces (a few at most)
      await Promise.all(
        vpcs.map(async (vpc) => {
          const ofVpc = found.filter((g) => g.VpcId === vpc);
          return [
            vpc,
            ctx.dryRun || !pendingVpcs.includes(vpc)
              ? { quarantineId: ofVpc.find((g) => g.GroupName === QUARANTINE_GROUP_NAME)?.GroupId, untrackId: undefined }
              : await readyGroups(ctx, vpc, p.cutTrackedConnections, ofVpc, stillToMove(interfaces, vpc, instanceVpc)),
          ] as const;
        }),
      ),
    );
    // The snapshots of the runbook are requested before any interface moves (evidence first), while the groups were readied.
    await ctx.evidence();
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
        const moved = await moveToQuarantine(ec2, {
          eniId,
          owner: instanceId,
          kind,
          groupIds,
          quarantine: quarantine as string,
          untrack,
          originalGroupIds: recorded.groupIds,
          unknown,
        });
        return moved.moved
          ? report.done(eniId, moved.detail, { prior: recorded, changed: { groupIds: [quarantine as string] }, ...residuals })
          : report.failed(eniId, moved.detail);
      }),
    );
    return perInterface;
  },
});
