import { DescribeTaskDefinitionCommand, ECSClient, type Task } from '@aws-sdk/client-ecs';
import { defineRoleRevocation, roleNameOf } from '../iam/workload-role';
import type { ActionContext } from '../types';
import { describeTask, taskName } from './task';

/** The role a task runs as: its run's override, else its task definition's. */
async function taskRoleArn(ctx: ActionContext, task: Task): Promise<string | undefined> {
  if (task.overrides?.taskRoleArn) return task.overrides.taskRoleArn;
  if (!task.taskDefinitionArn) return undefined;
  const out = await ctx.member(ECSClient).send(new DescribeTaskDefinitionCommand({ taskDefinition: task.taskDefinitionArn }));
  return out.taskDefinition?.taskRoleArn;
}

/**
 * Revokes the sessions of the task's IAM role issued before now (the
 * credentials the task's containers hold, and any copy taken from them), the
 * role read from the task (its override, else its task definition). Release
 * removes the revocation. GuardDuty's guide: "Remediating Runtime Monitoring
 * findings" (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-remediate-runtime-monitoring.html)
 * and "Remediating potentially compromised AWS credentials".
 */
export const revokeTaskRole = defineRoleRevocation({
  name: 'ecs.revoke-task-role',
  summary: "Deny the task role's sessions issued before now (role-wide)",
  target: 'ecs-task',
  reads: ['ecs:DescribeTasks', 'ecs:DescribeTaskDefinition'],
  async roleOf(ctx) {
    const task = await describeTask(ctx);
    const arn = task.taskArn as string;
    const roleArn = await taskRoleArn(ctx, task);
    if (!roleArn) return { skip: `${taskName(arn)} runs without a task role`, resource: arn };
    const roleName = roleNameOf(roleArn, ctx.finding.accountId);
    if (!roleName) return { skip: `${taskName(arn)}'s role ${roleArn} is not a role of account ${ctx.finding.accountId}`, resource: arn };
    return { roleName, owner: taskName(arn) };
  },
});
