import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { ActionContext } from '../types';

/**
 * The function a finding names, as Lambda's calls take it: its ARN when the
 * finding gives one (unqualified: a version's ARN is cut to the function's,
 * since reserved concurrency, mappings and tags are the function's), else its name.
 */
export function functionId(ctx: Pick<ActionContext, 'finding'>): string {
  const fn = ctx.finding.lambda;
  const arn = fn?.functionArn?.split(':').slice(0, 7).join(':');
  return arn && /^arn:aws[a-z-]*:lambda:/.test(arn) ? arn : (fn?.functionName ?? '');
}

/** The function's execution role ARN, as Lambda reports it now (`GetFunctionConfiguration`). */
export async function executionRoleArn(ctx: ActionContext): Promise<string | undefined> {
  return (await ctx.member(LambdaClient).send(new GetFunctionConfigurationCommand({ FunctionName: functionId(ctx) }))).Role;
}
