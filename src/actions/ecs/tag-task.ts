import { ECSClient, ListTagsForResourceCommand, TagResourceCommand } from '@aws-sdk/client-ecs';
import { defineTagAction } from '../tagging';

/** Tags the ECS task with the finding id, type and time (evidence on the task; release keeps it). */
export const tagTask = defineTagAction({
  name: 'ecs.tag-task',
  summary: 'Tag the ECS task with the finding id, type and time',
  target: 'ecs-task',
  permissions: ['ecs:ListTagsForResource', 'ecs:TagResource'],
  resourceOf: (ctx) => (ctx.finding.task ? { id: ctx.finding.task.taskArn, arn: ctx.finding.task.taskArn } : undefined),
  async read(ctx, arn) {
    const tags = (await ctx.member(ECSClient).send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags ?? [];
    return Object.fromEntries(tags.flatMap((t) => (t.key ? [[t.key, t.value ?? '']] : [])));
  },
  async write(ctx, arn, tags) {
    await ctx
      .member(ECSClient)
      .send(new TagResourceCommand({ resourceArn: arn, tags: Object.entries(tags).map(([key, value]) => ({ key, value })) }));
  },
});
