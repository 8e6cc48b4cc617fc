import { DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient, StopTaskCommand } from '@aws-sdk/client-ecs';
import { z } from 'zod';
import type { ResidualChannel } from '../../outcome';
import { defineAction } from '../define';
import {
  cordonGroupName,
  isolationLeavesOpen,
  moveToQuarantine,
  onlyIn,
  recordedGroups,
  restoreInterfaceGroups,
  ISOLATE_INTERFACE_PERMISSIONS,
  RESTORE_INTERFACE_PERMISSIONS,
} from '../ec2/interface-isolation';
import { ensureIsolationGroups, familiesOf, findIsolationGroups, QUARANTINE_GROUP_NAME } from '../ec2/quarantine-groups';
import { describeTask, stopped, taskInterface, taskName } from './task';

const params = z.strictObject({
  /** Cut the task's established TCP/UDP connections (through the allow-all group, as for instances). @default true */
  cutTrackedConnections: z.boolean().default(true),
  /**
   * Stop the task when its interface cannot be isolated: a requester-managed
   * interface (Fargate's), or no interface of its own (bridge or host network
   * mode). Its memory and ephemeral storage are lost. @default true
   */
  stopWhenNotIsolable: z.boolean().default(true),
});

/**
 * Two kinds of record: the task's awsvpc interface moved into the quarantine group, with its groups before,
 * e.g. `{ taskArn: 'arn:aws:ecs:…:task/payments/0a1b…', networkInterfaceId: 'eni-0abc', groupIds: ['sg-0api'] }`;
 * or the task stopped, with why it could not be isolated.
 */
const prior = z.union([
  z.object({ taskArn: z.string(), networkInterfaceId: z.string(), groupIds: z.array(z.string()) }),
  z.object({ taskArn: z.string(), lastStatus: z.string(), notIsolable: z.string() }),
]);

/** The interface's groups after (the quarantine group alone), or the task's desired status. */
const changed = z.union([z.object({ groupIds: z.array(z.string()) }), z.object({ desiredStatus: z.literal('STOPPED') })]);

/** A stopped task has no traffic and gets no new credentials: every channel isolation leaves open closes with it. */
const STOP_CLOSES: ResidualChannel[] = [
  'dns-resolver',
  'gateway-tracked-flows',
  'direct-tracked-flows',
  'established-connections',
  'role-new-sessions',
];

/**
 * Isolates an ECS task (GuardDuty's "Remediating Runtime Monitoring findings",
 * https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-remediate-runtime-monitoring.html,
 * and "Remediating a potentially compromised ECS cluster": deny all ingress
 * and egress traffic to the task). A task with an awsvpc interface EC2 lets
 * cordon change goes into its VPC's quarantine group the way an instance's
 * interfaces do (through the allow-all group first). A task whose interface
 * cannot be changed is stopped instead, and the outcome says which and why:
 * Fargate's interfaces are requester-managed (EC2 refuses to change their
 * security groups: EC2 User Guide, "Requester-managed network interfaces"),
 * a bridge- or host-mode task shares its container instance's interface, and
 * EC2 may refuse the change itself. A task of a service is replaced by the
 * service from the same task definition: the outcome says so.
 */
export const isolateTask = defineAction({
  name: 'ecs.isolate-task',
  summary: "Move the task's awsvpc interface into the VPC's quarantine group, or stop the task where the interface cannot be changed",
  params,
  target: 'ecs-task',
  disruptive: true,
  permissions: {
    member: ['ecs:DescribeTasks', 'ecs:StopTask', ...ISOLATE_INTERFACE_PERMISSIONS],
    home: [],
  },
  prior,
  changed,
  undo: {
    kind: 'restore',
    permissions: RESTORE_INTERFACE_PERMISSIONS,
    async run(ctx, record, report) {
      if ('networkInterfaceId' in record.prior && 'groupIds' in record.changed)
        return restoreInterfaceGroups(ctx, report, { prior: record.prior, changed: record.changed });
      return [
        report.skipped(
          record.prior.taskArn,
          `${taskName(record.prior.taskArn)} was stopped and cannot be started again: its service (if any) has replaced it; run a new task by hand once its image is clean`,
        ),
      ];
    },
  },
  async run(ctx, p, report) {
    const task = await describeTask(ctx);
    const arn = task.taskArn as string;
    const name = taskName(arn);
    const service: ResidualChannel[] = task.group?.startsWith('service:') ? ['service-replacement'] : [];
    if (stopped(task))
      return [
        report.already(arn, `${name} is ${(task.lastStatus ?? 'stopping').toLowerCase()}: it has no traffic`, {
          closes: STOP_CLOSES,
          remains: service,
        }),
      ];
    const ec2 = ctx.member(EC2Client);
    const eniId = taskInterface(task);
    const ni = eniId
      ? (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }))).NetworkInterfaces?.[0]
      : undefined;
    let notIsolable: string | undefined;
    if (!eniId || !ni)
      notIsolable = `${name} has no network interface of its own (network mode bridge or host: it shares its container instance's), so no security group isolates it alone`;
    else if (ni.RequesterManaged)
      notIsolable = `its interface ${eniId} is requester-managed (${task.launchType === 'FARGATE' ? 'Fargate' : 'ECS'} made it) and EC2 refuses to change a requester-managed interface's security groups (EC2 User Guide, "Requester-managed network interfaces")`;
    else {
      const residuals = { remains: [...isolationLeavesOpen(p.cutTrackedConnections), ...service] };
      const groupIds = (ni.Groups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : []));
      const vpc = ni.VpcId as string;
      if (onlyIn(ni.Groups, QUARANTINE_GROUP_NAME))
        return [report.already(eniId, `${eniId} of ${name} is already in ${QUARANTINE_GROUP_NAME}`, residuals)];
      // An interface still in one of cordon's groups (a run cut short) keeps the original groups an earlier delivery recorded.
      const original = groupIds.some((g) => cordonGroupName(ni.Groups, g))
        ? recordedGroups(await ctx.history(), report.action, eniId)
        : groupIds;
      const recorded = { taskArn: arn, networkInterfaceId: eniId, groupIds: original ?? [] };
      const unknown = original === undefined ? ' (its original groups are unknown: it was already in a cordon group)' : '';
      const found = await findIsolationGroups(ec2, [vpc]);
      if (ctx.dryRun) {
        const quarantine =
          found.find((g) => g.GroupName === QUARANTINE_GROUP_NAME)?.GroupId ?? `a new ${QUARANTINE_GROUP_NAME} group in ${vpc}`;
        return [
          report.planned(eniId, `would move ${eniId} of ${name} from [${groupIds.join(', ')}] to ${quarantine}${unknown}`, {
            prior: recorded,
            ...residuals,
          }),
        ];
      }
      const groups = await ensureIsolationGroups(ec2, vpc, p.cutTrackedConnections, found, familiesOf([ni]));
      const move = {
        eniId,
        owner: name,
        kind: '',
        groupIds,
        quarantine: groups.quarantineId,
        untrack: groups.untrackId,
        originalGroupIds: recorded.groupIds,
        unknown,
      };
      const moved = await moveToQuarantine(ec2, move);
      if (moved.moved)
        return [report.done(eniId, moved.detail, { prior: recorded, changed: { groupIds: [groups.quarantineId] }, ...residuals })];
      if (!moved.untouched) return [report.failed(eniId, moved.detail)];
      notIsolable = `EC2 refused to change its interface (${moved.detail})`;
    }
    if (!p.stopWhenNotIsolable)
      return [report.failed(arn, `${name} cannot be isolated: ${notIsolable}; stopWhenNotIsolable is off: stop it by hand`)];
    const before = { taskArn: arn, lastStatus: task.lastStatus ?? 'UNKNOWN', notIsolable };
    if (ctx.dryRun)
      return [report.planned(arn, `would stop ${name}: ${notIsolable}`, { prior: before, closes: STOP_CLOSES, remains: service })];
    await ctx.member(ECSClient).send(
      new StopTaskCommand({
        ...(task.clusterArn ? { cluster: task.clusterArn } : {}),
        task: arn,
        reason: `cordon: GuardDuty finding ${ctx.finding.id}`.slice(0, 255),
      }),
    );
    return [
      report.done(arn, `stopped ${name} instead of isolating it (its memory and ephemeral storage are lost): ${notIsolable}`, {
        prior: before,
        changed: { desiredStatus: 'STOPPED' },
        closes: STOP_CLOSES,
        remains: service,
      }),
    ];
  },
});
