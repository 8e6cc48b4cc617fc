import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  EC2Client,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { defineAction } from '../define';

const params = z.strictObject({});

/** What a stopped instance no longer has: every network channel isolation leaves open. */
const CLOSES = {
  closes: ['dns-resolver' as const, 'gateway-tracked-flows' as const, 'direct-tracked-flows' as const, 'established-connections' as const],
};

/**
 * Stops the instance: every network channel isolation cannot close (DNS to
 * the Route 53 Resolver, flows AWS tracks automatically) closes with it, and
 * its memory is lost, so only runbooks that accept losing that evidence name
 * it. Stop protection (`DisableApiStop`) makes EC2 refuse StopInstances (EC2
 * User Guide, "Enable stop protection for your EC2 instances"): runbook
 * validation puts `ec2.stop` before an `ec2.protect` that turns it on, and a
 * protection already on is reported, never lifted. GuardDuty's guide:
 * "Remediating a potentially compromised Amazon EC2 instance".
 */
export const stopInstance = defineAction({
  name: 'ec2.stop',
  summary: 'Stop the instance (memory is lost): closes DNS and the flows security groups cannot cut',
  params,
  target: 'instance',
  disruptive: true,
  permissions: { member: ['ec2:DescribeInstances', 'ec2:DescribeInstanceAttribute', 'ec2:StopInstances'], home: [] },
  /**
   * The instance was running when cordon stopped it (cordon stops nothing else).
   * @example { instanceId: 'i-0abc', state: 'running' }
   */
  prior: z.object({ instanceId: z.string(), state: z.literal('running') }),
  /** @example { state: 'stopped' } */
  changed: z.object({ state: z.literal('stopped') }),
  undo: {
    kind: 'restore',
    permissions: ['ec2:DescribeInstances', 'ec2:StartInstances'],
    /** Starts the instance again: only ever for a stop cordon made (a `done` record), and only while it is stopped. */
    async run(ctx, record, report) {
      const instanceId = record.resource;
      const ec2 = ctx.member(EC2Client);
      const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      const state = described.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId)?.State?.Name;
      if (state === 'running' || state === 'pending') return [report.already(instanceId, `${instanceId} is ${state} already`)];
      if (state === 'terminated' || state === 'shutting-down' || state === undefined)
        return [report.skipped(instanceId, `${instanceId} is ${state ?? 'gone'}: nothing to start`)];
      if (state !== 'stopped') return [report.failed(instanceId, `${instanceId} is ${state}: release again once it has stopped`)];
      if (ctx.dryRun) return [report.planned(instanceId, `would start ${instanceId} (cordon stopped it)`)];
      await ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
      return [
        report.done(instanceId, `started ${instanceId} again (cordon had stopped it)`, { prior: { state }, changed: { state: 'pending' } }),
      ];
    },
  },
  async run(ctx, _params, report) {
    const instance = await ctx.instance();
    const instanceId = instance.InstanceId as string;
    const state = instance.State?.Name;
    if (state === 'stopped' || state === 'stopping') return [report.already(instanceId, `${instanceId} is ${state}`, CLOSES)];
    if (state !== 'running') return [report.failed(instanceId, `${instanceId} is ${state ?? 'in an unknown state'}: not stopped`)];
    const ec2 = ctx.member(EC2Client);
    const protection = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'disableApiStop' }));
    if (protection.DisableApiStop?.Value)
      return [
        report.failed(
          instanceId,
          `stop protection is on for ${instanceId} (EC2 refuses StopInstances): cordon does not lift it; stop the instance by hand, or put ec2.stop before ec2.protect in the runbook`,
        ),
      ];
    if (ctx.dryRun) return [report.planned(instanceId, `would stop ${instanceId} (its memory is lost)`, CLOSES)];
    await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    return [
      report.done(instanceId, `stopped ${instanceId} (memory lost; volumes kept): DNS and every flow of the instance end`, {
        prior: { instanceId, state: 'running' },
        changed: { state: 'stopped' },
        ...CLOSES,
      }),
    ];
  },
});
