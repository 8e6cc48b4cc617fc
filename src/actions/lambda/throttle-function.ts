import {
  DeleteFunctionConcurrencyCommand,
  GetFunctionConcurrencyCommand,
  LambdaClient,
  PutFunctionConcurrencyCommand,
} from '@aws-sdk/client-lambda';
import { z } from 'zod';
import { defineAction } from '../define';
import { REFUSED } from '../types';
import { functionId } from './function';

/**
 * The function's reserved concurrency before (null: none, the function drew on the account's unreserved pool).
 * @example { functionName: 'orders-worker', reservedConcurrency: null }
 */
const prior = z.object({ functionName: z.string(), reservedConcurrency: z.number().int().min(0).nullable() });

/** @example { reservedConcurrency: 0 } */
const changed = z.object({ reservedConcurrency: z.literal(0) });

/**
 * Throttles the function to nothing: reserved concurrency 0, so that Lambda
 * starts no new invocation of it, whatever invokes it (event source mappings,
 * pushed events, function URLs, direct calls); its execution environments
 * obtain no new sessions of its role either. Invocations already running
 * finish (within the function's timeout). Release puts back the reserved
 * concurrency it had, or removes it (`DeleteFunctionConcurrency`) when there
 * was none. GuardDuty's guide: "Remediating a potentially compromised Lambda
 * function" (https://docs.aws.amazon.com/guardduty/latest/ug/remediate-lambda-protection-finding-types.html:
 * disable the function's execution triggers).
 */
export const throttleFunction = defineAction({
  name: 'lambda.throttle',
  summary: 'Set the function’s reserved concurrency to 0 so that no new invocation starts (prior value recorded)',
  params: z.strictObject({}),
  target: 'lambda-function',
  disruptive: true,
  permissions: { member: ['lambda:GetFunctionConcurrency', 'lambda:PutFunctionConcurrency'], home: [] },
  prior,
  changed,
  undo: {
    kind: 'restore',
    permissions: ['lambda:GetFunctionConcurrency', 'lambda:PutFunctionConcurrency', 'lambda:DeleteFunctionConcurrency'],
    async run(ctx, record, report) {
      const { functionName, reservedConcurrency } = record.prior;
      const lambda = ctx.member(LambdaClient);
      const now = (await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName }))).ReservedConcurrentExecutions;
      const wanted = reservedConcurrency ?? undefined;
      const said = (n: number | undefined) => (n === undefined ? 'no reserved concurrency' : `reserved concurrency ${n}`);
      if (now === wanted) return [report.already(functionName, `${functionName} already has ${said(wanted)}`)];
      if (now !== 0 && !ctx.force)
        return [
          report.failed(
            functionName,
            `${REFUSED} ${functionName} now has ${said(now)}, not cordon's 0: someone changed it since; rerun with --force to restore ${said(wanted)}`,
          ),
        ];
      if (ctx.dryRun) return [report.planned(functionName, `would give ${functionName} ${said(wanted)} again`)];
      if (wanted === undefined) await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: functionName }));
      else await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: functionName, ReservedConcurrentExecutions: wanted }));
      return [
        report.done(functionName, `gave ${functionName} ${said(wanted)} again`, {
          prior: { reservedConcurrency: now ?? null },
          changed: { reservedConcurrency: wanted ?? null },
        }),
      ];
    },
  },
  async run(ctx, _params, report) {
    const name = ctx.finding.lambda?.functionName as string;
    const id = functionId(ctx);
    const lambda = ctx.member(LambdaClient);
    const residuals = { remains: ['running-invocations' as const], closes: ['role-new-sessions' as const] };
    const before = (await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: id }))).ReservedConcurrentExecutions;
    if (before === 0) return [report.already(name, `${name} already has reserved concurrency 0: no invocation starts`, residuals)];
    const recorded = { functionName: id, reservedConcurrency: before ?? null };
    const was = before === undefined ? 'no reserved concurrency' : `reserved concurrency ${before}`;
    if (ctx.dryRun)
      return [report.planned(name, `would set ${name}'s reserved concurrency to 0 (it has ${was})`, { prior: recorded, ...residuals })];
    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: id, ReservedConcurrentExecutions: 0 }));
    return [
      report.done(name, `set ${name}'s reserved concurrency to 0 (it had ${was}): no new invocation starts; those running finish`, {
        prior: recorded,
        changed: { reservedConcurrency: 0 },
        ...residuals,
      }),
    ];
  },
});
