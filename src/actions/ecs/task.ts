import { DescribeTasksCommand, ECSClient, type Task } from '@aws-sdk/client-ecs';
import { CordonError } from '../../errors';
import type { ActionContext } from '../types';

/** The task a finding names no longer exists (ECS forgets stopped tasks after about an hour). */
export class TaskNotFoundError extends CordonError {
  public constructor(taskArn: string, options?: { cause?: unknown }) {
    super(`ECS task ${taskArn} not found (ECS keeps a stopped task for about an hour)`, options);
    this.name = 'TaskNotFoundError';
  }
}

/** The finding's task as ECS describes it now, with its tags. */
export async function describeTask(ctx: ActionContext): Promise<Task> {
  const task = ctx.finding.task;
  if (!task) throw new CordonError('finding names no ECS task');
  const out = await ctx
    .member(ECSClient)
    .send(new DescribeTasksCommand({ ...(task.cluster ? { cluster: task.cluster } : {}), tasks: [task.taskArn], include: ['TAGS'] }));
  const found = out.tasks?.find((t) => t.taskArn === task.taskArn) ?? out.tasks?.[0];
  if (!found) throw new TaskNotFoundError(task.taskArn);
  return found;
}

/** The awsvpc network interface of a task (its `ElasticNetworkInterface` attachment), if it has one. */
export function taskInterface(task: Task): string | undefined {
  const attachment = task.attachments?.find((a) => a.type === 'ElasticNetworkInterface' && a.status !== 'DELETED');
  return attachment?.details?.find((d) => d.name === 'networkInterfaceId')?.value;
}

/** True when the task is stopped or stopping. */
export function stopped(task: Task): boolean {
  return task.lastStatus === 'STOPPED' || task.desiredStatus === 'STOPPED';
}

/** `arn:…:task/payments/0a1b…` → `task 0a1b… of payments` (for messages). */
export function taskName(taskArn: string): string {
  const parts = taskArn.split('/');
  return parts.length >= 3 ? `task ${parts[parts.length - 1]} of ${parts[parts.length - 2]}` : `task ${parts[parts.length - 1]}`;
}
