import {
  GetEventSourceMappingCommand,
  LambdaClient,
  paginateListAliases,
  paginateListEventSourceMappings,
  UpdateEventSourceMappingCommand,
  type EventSourceMappingConfiguration,
} from '@aws-sdk/client-lambda';
import { z } from 'zod';
import { collecting } from '../../outcome';
import { defineAction } from '../define';
import { REFUSED } from '../types';
import { functionId } from './function';

/**
 * A mapping's state before cordon disabled it (`Enabled`, `Enabling`, `Creating`, `Updating`).
 * @example { uuid: '6f1c…', eventSourceArn: 'arn:aws:sqs:us-east-1:111122223333:orders', state: 'Enabled' }
 */
const prior = z.object({ uuid: z.string(), eventSourceArn: z.string().optional(), state: z.string() });

/** @example { state: 'Disabled' } */
const changed = z.object({ state: z.literal('Disabled') });

/** States of a mapping that polls (or will): the ones to disable. */
const POLLING = new Set(['Enabled', 'Enabling', 'Creating', 'Updating']);

/**
 * Disables every event source mapping of the function (those of the
 * function and of each of its aliases: SQS queues, Kinesis and DynamoDB
 * streams, Kafka, MQ…), each recorded with its state before, so that no
 * poller feeds it events; the events wait in their source instead of being
 * consumed by a throttled function. Release enables again the mappings cordon
 * disabled, and only those. GuardDuty's guide: "Remediating a potentially
 * compromised Lambda function" (disable the function's execution triggers).
 */
export const disableEventSources = defineAction({
  name: 'lambda.disable-event-sources',
  summary: 'Disable every event source mapping of the function and of its aliases (each prior state recorded)',
  params: z.strictObject({}),
  target: 'lambda-function',
  disruptive: true,
  permissions: { member: ['lambda:ListAliases', 'lambda:ListEventSourceMappings', 'lambda:UpdateEventSourceMapping'], home: [] },
  prior,
  changed,
  undo: {
    kind: 'restore',
    permissions: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping'],
    async run(ctx, record, report) {
      const { uuid } = record.prior;
      const lambda = ctx.member(LambdaClient);
      let state: string | undefined;
      try {
        state = (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State;
      } catch (err) {
        if ((err as Error).name === 'ResourceNotFoundException')
          return [report.skipped(uuid, `event source mapping ${uuid} no longer exists`)];
        throw err;
      }
      if (state === 'Enabled' || state === 'Enabling')
        return [report.already(uuid, `event source mapping ${uuid} is already ${state.toLowerCase()}`)];
      if (state !== 'Disabled' && !ctx.force)
        return [
          report.failed(
            uuid,
            `${REFUSED} event source mapping ${uuid} is ${state ?? 'in an unknown state'}, not cordon's Disabled; rerun with --force`,
          ),
        ];
      if (ctx.dryRun) return [report.planned(uuid, `would enable event source mapping ${uuid} again`)];
      await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true }));
      return [report.done(uuid, `enabled event source mapping ${uuid} again`, { prior: { state }, changed: { state: 'Enabling' } })];
    },
  },
  async run(ctx, _params, report) {
    const lambda = ctx.member(LambdaClient);
    const id = functionId(ctx);
    const name = ctx.finding.lambda?.functionName as string;
    // A mapping may name the function or one of its aliases: each is listed on its own.
    const targets = [id];
    for await (const page of paginateListAliases({ client: lambda }, { FunctionName: id }))
      targets.push(...(page.Aliases ?? []).flatMap((a) => (a.AliasArn ? [a.AliasArn] : [])));
    const mappings = new Map<string, EventSourceMappingConfiguration>();
    for (const target of targets)
      for await (const page of paginateListEventSourceMappings({ client: lambda }, { FunctionName: target }))
        for (const m of page.EventSourceMappings ?? []) if (m.UUID) mappings.set(m.UUID, m);
    if (mappings.size === 0) return [report.skipped(name, `${name} has no event source mapping`)];
    return collecting(async (results) => {
      for (const m of mappings.values()) {
        const uuid = m.UUID as string;
        const from = m.EventSourceArn ? ` (${m.EventSourceArn})` : '';
        if (!POLLING.has(m.State ?? '')) {
          results.push(report.already(uuid, `event source mapping ${uuid}${from} is already ${(m.State ?? 'disabled').toLowerCase()}`));
          continue;
        }
        const before = { uuid, ...(m.EventSourceArn ? { eventSourceArn: m.EventSourceArn } : {}), state: m.State as string };
        if (ctx.dryRun) {
          results.push(report.planned(uuid, `would disable event source mapping ${uuid}${from}`, { prior: before }));
          continue;
        }
        await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
        results.push(
          report.done(uuid, `disabled event source mapping ${uuid}${from}: its events wait in their source`, {
            prior: before,
            changed: { state: 'Disabled' },
          }),
        );
      }
    });
  },
});
