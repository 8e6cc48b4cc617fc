import { describeError } from '../errors';
import { responderSettings } from '../config/settings';
import { parseInput, type ParsedItem } from '../findings/parse';
import { respond } from '../respond/responder';
import { hasFailure } from '../respond/result';
import { buildResponder, type Responder } from '../respond/wiring';

/** The part of an SQS record the handler reads. */
export interface SqsRecord {
  readonly messageId: string;
  readonly body: string;
}

/** The SQS event Lambda delivers (EventBridge events in the bodies). */
export interface SqsEvent {
  readonly Records: readonly SqsRecord[];
}

/** Partial batch response: only these messages are retried (and, after maxReceiveCount, dead-lettered). */
export interface SqsBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

let responder: Responder | undefined;

/**
 * Lambda entry point of the responder: SQS batches of EventBridge events
 * (GuardDuty findings, Security Hub custom actions). Dependencies are built
 * once per container from environment variables (the responder's part of the settings table, src/config/spec.ts).
 * A message whose JSON cannot be read, or whose findings had a failed action,
 * is reported as a batch item failure so that SQS retries it (actions are
 * idempotent) and finally moves it to the dead-letter queue.
 */
export async function handler(event: SqsEvent): Promise<SqsBatchResponse> {
  responder ??= buildResponder(responderSettings(process.env), { actor: process.env.AWS_LAMBDA_FUNCTION_NAME, onHeld: emitCircuitOpen });
  return handleBatch(event, responder);
}

/** The handler's work, with its dependencies injected (tests and benchmarks call this). */
export async function handleBatch(event: SqsEvent, r: Responder): Promise<SqsBatchResponse> {
  const failures = new Set<string>();
  const items: ParsedItem[] = [];
  const owner: string[] = [];
  for (const record of event.Records) {
    try {
      for (const item of parseInput(record.body)) {
        items.push(item);
        owner.push(record.messageId);
      }
    } catch (err) {
      log('error', { messageId: record.messageId, message: `unreadable message: ${describeError(err)}` });
      failures.add(record.messageId);
    }
  }
  if (items.length > 0) {
    try {
      const results = await respond(items, r.deps);
      results.forEach((result, i) => {
        log(hasFailure(result) ? 'error' : 'info', { messageId: owner[i], ...result });
        if (hasFailure(result)) failures.add(owner[i] as string);
      });
    } catch (err) {
      log('error', { message: `batch failed: ${describeError(err)}` });
      for (const id of owner) failures.add(id);
    }
  }
  return { batchItemFailures: [...failures].map((itemIdentifier) => ({ itemIdentifier })) };
}

function log(level: 'info' | 'error', fields: Record<string, unknown>): void {
  const line = JSON.stringify({ level, source: 'cordon-responder', ...fields });
  if (level === 'error') console.error(line);
  else console.log(line);
}

/** CloudWatch namespace and metric of findings the circuit breaker held (the stack alarms on it). */
export const CIRCUIT_METRIC = { namespace: 'cordon', name: 'CircuitOpenFindings' } as const;

/**
 * Alarm signal when the circuit breaker holds findings: an error log line per
 * account and an Embedded Metric Format record, which CloudWatch turns into
 * the `cordon/CircuitOpenFindings` metric with no PutMetricData permission.
 */
export function emitCircuitOpen(held: ReadonlyArray<{ accountId: string; findingId: string; reason: string }>, now = new Date()): void {
  const byAccount = new Map<string, string[]>();
  for (const h of held) byAccount.set(h.accountId, [...(byAccount.get(h.accountId) ?? []), h.findingId]);
  for (const [accountId, findingIds] of byAccount) {
    log('error', { alarm: 'circuit-open', accountId, findingIds, message: held.find((h) => h.accountId === accountId)?.reason });
  }
  console.log(
    JSON.stringify({
      _aws: {
        Timestamp: now.getTime(),
        CloudWatchMetrics: [
          { Namespace: CIRCUIT_METRIC.namespace, Dimensions: [[]], Metrics: [{ Name: CIRCUIT_METRIC.name, Unit: 'Count' }] },
        ],
      },
      [CIRCUIT_METRIC.name]: held.length,
    }),
  );
}
