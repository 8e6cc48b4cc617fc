import { LambdaClient, ListTagsCommand, TagResourceCommand } from '@aws-sdk/client-lambda';
import { defineTagAction } from '../tagging';
import { functionId } from './function';

/**
 * Tags the function with the finding id, type and time (evidence on the
 * function itself; release keeps it). Lambda tags a function by its
 * unqualified ARN, which `ListTags` on the name does not take: the ARN is
 * built when the finding gives only a name.
 */
export const tagFunction = defineTagAction({
  name: 'lambda.tag',
  summary: 'Tag the function with the finding id, type and time',
  target: 'lambda-function',
  permissions: ['lambda:ListTags', 'lambda:TagResource'],
  resourceOf(ctx) {
    const fn = ctx.finding.lambda;
    if (!fn) return undefined;
    const id = functionId(ctx);
    const { partition, region, accountId } = ctx.finding;
    return { id: fn.functionName, arn: id.startsWith('arn:') ? id : `arn:${partition}:lambda:${region}:${accountId}:function:${id}` };
  },
  async read(ctx, arn) {
    return (await ctx.member(LambdaClient).send(new ListTagsCommand({ Resource: arn }))).Tags ?? {};
  },
  async write(ctx, arn, tags) {
    await ctx.member(LambdaClient).send(new TagResourceCommand({ Resource: arn, Tags: { ...tags } }));
  },
});
