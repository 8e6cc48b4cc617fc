import {
  AutoScalingClient,
  DescribeAutoScalingInstancesCommand,
  DetachInstancesCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  paginateDescribeTargetGroups,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { z } from 'zod';
import { collecting, outcome, type ActionDefinition } from '../types';

const params = z.strictObject({
  /**
   * Let the Auto Scaling group launch a healthy replacement (keeps capacity).
   * `false` detaches without replacement (decrements the desired capacity).
   * @default true
   */
  replace: z.boolean().default(true),
});

/**
 * Takes the instance out of its Auto Scaling group and every load balancer
 * target group, so that health checks do not terminate the evidence and no
 * traffic reaches it. Records the group and target groups for `release`.
 */
export const detachInstance: ActionDefinition<z.infer<typeof params>> = {
  name: 'ec2.detach',
  summary: 'Detach the instance from its Auto Scaling group and deregister it from load balancer target groups',
  params,
  target: 'instance',
  permissions: {
    member: [
      'autoscaling:DescribeAutoScalingInstances',
      'autoscaling:DetachInstances',
      'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:DescribeTargetHealth',
      'elasticloadbalancing:DeregisterTargets',
    ],
    home: [],
  },
  undo: { kind: 'keep', reason: 'not re-attached: Auto Scaling may have replaced the instance; re-attach it by hand once it is clean' },
  async run(ctx, p) {
    const instanceId = ctx.finding.instance?.instanceId as string;
    return collecting(async (results) => {
      const asg = ctx.member(AutoScalingClient);
      const membership = await asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }));
      const groupName = membership.AutoScalingInstances?.[0]?.AutoScalingGroupName;
      if (!groupName) {
        results.push(outcome(this.name, instanceId, 'already', 'not in an Auto Scaling group'));
      } else if (ctx.dryRun) {
        results.push(outcome(this.name, `${instanceId}@${groupName}`, 'planned', `would detach from Auto Scaling group ${groupName} (${p.replace ? 'with' : 'without'} replacement)`));
      } else {
        await asg.send(new DetachInstancesCommand({ InstanceIds: [instanceId], AutoScalingGroupName: groupName, ShouldDecrementDesiredCapacity: !p.replace }));
        results.push(outcome(this.name, `${instanceId}@${groupName}`, 'done', `detached from Auto Scaling group ${groupName} (${p.replace ? 'with' : 'without'} replacement)`, { prior: { autoScalingGroupName: groupName } }));
      }

      const elb = ctx.member(ElasticLoadBalancingV2Client);
      const registered: Array<{ targetGroupArn: string; port: number | undefined }> = [];
      for await (const page of paginateDescribeTargetGroups({ client: elb }, {})) {
        for (const tg of page.TargetGroups ?? []) {
          if (tg.TargetType !== 'instance' || !tg.TargetGroupArn) continue;
          const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn }));
          for (const d of health.TargetHealthDescriptions ?? []) {
            if (d.Target?.Id === instanceId) registered.push({ targetGroupArn: tg.TargetGroupArn, port: d.Target.Port });
          }
        }
      }
      if (registered.length === 0) {
        results.push(outcome(this.name, instanceId, 'already', 'not registered in any load balancer target group'));
      }
      for (const target of registered) {
        const name = target.targetGroupArn.split(':').pop() ?? target.targetGroupArn;
        if (ctx.dryRun) {
          results.push(outcome(this.name, `${instanceId}@${name}`, 'planned', `would deregister from ${name}`));
          continue;
        }
        await elb.send(new DeregisterTargetsCommand({ TargetGroupArn: target.targetGroupArn, Targets: [{ Id: instanceId, Port: target.port }] }));
        results.push(outcome(this.name, `${instanceId}@${name}`, 'done', `deregistered from ${name}`, { prior: { targetGroupArn: target.targetGroupArn, port: target.port } }));
      }
    });
  },
};
