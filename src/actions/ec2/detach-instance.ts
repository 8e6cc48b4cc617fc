import { AutoScalingClient, DescribeAutoScalingInstancesCommand, DetachInstancesCommand } from '@aws-sdk/client-auto-scaling';
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  paginateDescribeTargetGroups,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import pLimit from 'p-limit';
import { z } from 'zod';
import { defineAction } from '../define';
import { collecting } from '../../outcome';

const params = z.strictObject({
  /**
   * Let the Auto Scaling group launch a healthy replacement (keeps capacity).
   * `false` detaches without replacement (decrements the desired capacity).
   * @default true
   */
  replace: z.boolean().default(true),
});

/** Target groups asked about at once (an account may have hundreds; ELB's describe rate is shared). */
const TARGET_HEALTH_CONCURRENCY = 8;

/** The instance-type target groups the instance is registered in, with its port in each. */
async function registrations(
  elb: ElasticLoadBalancingV2Client,
  instanceId: string,
): Promise<Array<{ targetGroupArn: string; port: number | undefined }>> {
  const arns: string[] = [];
  for await (const page of paginateDescribeTargetGroups({ client: elb }, {})) {
    for (const tg of page.TargetGroups ?? []) if (tg.TargetType === 'instance' && tg.TargetGroupArn) arns.push(tg.TargetGroupArn);
  }
  const limit = pLimit(TARGET_HEALTH_CONCURRENCY);
  const healths = await Promise.all(
    arns.map((arn) =>
      limit(async () => {
        try {
          return {
            arn,
            targets: (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }))).TargetHealthDescriptions ?? [],
          };
        } catch (err) {
          // Deleted between the two calls: the instance is not in it.
          if ((err as Error).name === 'TargetGroupNotFoundException') return { arn, targets: [] };
          throw err;
        }
      }),
    ),
  );
  return healths.flatMap(({ arn, targets }) =>
    targets.filter((d) => d.Target?.Id === instanceId).map((d) => ({ targetGroupArn: arn, port: d.Target?.Port })),
  );
}

/**
 * Takes the instance out of its Auto Scaling group and every load balancer
 * target group, so that health checks do not terminate the evidence and no
 * traffic reaches it. Records the group and target groups for `release`.
 */
export const detachInstance = defineAction({
  name: 'ec2.detach',
  summary: 'Detach the instance from its Auto Scaling group and deregister it from load balancer target groups',
  params,
  target: 'instance',
  disruptive: true,
  runs: 'concurrent',
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
  /**
   * The Auto Scaling group it left, `{ autoScalingGroupName: 'web-asg' }`, or
   * the target group it left, `{ targetGroupArn: 'arn:aws:elasticloadbalancing:…:targetgroup/web/0123…', port: 8080 }`.
   */
  prior: z.union([
    z.object({ autoScalingGroupName: z.string() }),
    z.object({ targetGroupArn: z.string(), port: z.number().int().optional() }),
  ]),
  /** Nothing: the membership it ended is all in `prior`. */
  changed: z.undefined(),
  undo: { kind: 'keep', reason: 'not re-attached: Auto Scaling may have replaced the instance; re-attach it by hand once it is clean' },
  async run(ctx, p, report) {
    const instanceId = ctx.finding.instance?.instanceId as string;
    const asg = ctx.member(AutoScalingClient);
    const elb = ctx.member(ElasticLoadBalancingV2Client);
    // Both lookups at once: they do not depend on each other.
    const [membership, registered] = await Promise.all([
      asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] })),
      registrations(elb, instanceId),
    ]);
    return collecting(async (results) => {
      const groupName = membership.AutoScalingInstances?.[0]?.AutoScalingGroupName;
      if (!groupName) {
        results.push(report.already(instanceId, 'not in an Auto Scaling group'));
      } else if (ctx.dryRun) {
        results.push(
          report.planned(
            `${instanceId}@${groupName}`,
            `would detach from Auto Scaling group ${groupName} (${p.replace ? 'with' : 'without'} replacement)`,
          ),
        );
      } else {
        await asg.send(
          new DetachInstancesCommand({
            InstanceIds: [instanceId],
            AutoScalingGroupName: groupName,
            ShouldDecrementDesiredCapacity: !p.replace,
          }),
        );
        results.push(
          report.done(
            `${instanceId}@${groupName}`,
            `detached from Auto Scaling group ${groupName} (${p.replace ? 'with' : 'without'} replacement)`,
            { prior: { autoScalingGroupName: groupName } },
          ),
        );
      }
      if (registered.length === 0) results.push(report.already(instanceId, 'not registered in any load balancer target group'));
      for (const target of registered) {
        const name = target.targetGroupArn.split(':').pop() ?? target.targetGroupArn;
        if (ctx.dryRun) {
          results.push(report.planned(`${instanceId}@${name}`, `would deregister from ${name}`));
          continue;
        }
        await elb.send(
          new DeregisterTargetsCommand({ TargetGroupArn: target.targetGroupArn, Targets: [{ Id: instanceId, Port: target.port }] }),
        );
        results.push(
          report.done(`${instanceId}@${name}`, `deregistered from ${name}`, {
            prior: { targetGroupArn: target.targetGroupArn, port: target.port },
          }),
        );
      }
    });
  },
});
