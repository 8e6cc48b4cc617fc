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
