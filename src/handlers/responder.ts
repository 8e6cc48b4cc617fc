import { describeError } from '../errors';
import { responderSettings } from '../config/settings';
import { parseInput, type ParsedItem } from '../findings/parse';
import { resultMetrics } from '../respond/metrics';
import { respond, type ResponderDeps } from '../respond/responder';
import { hasFailure } from '../respond/result';
import { buildResponder, type Responder } from '../respond/wiring';
import { createTelemetry, publishCircuitOpen, publishPoints, SERVICES, type Telemetry } from './telemetry';

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

/** The part of Lambda's context the handler reads (Logger adds the request id and function to every line). */
export interface LambdaContext {
  readonly awsRequestId: string;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly getRemainingTimeInMillis: () => number;
}

let built: { responder: Responder; telemetry: Telemetry } | undefined;

/**
 * Lambda entry point of the responder: SQS batches of EventBridge events
 * (GuardDuty findings, Security Hub custom actions). Dependencies are built
 * once per container from environment variables (the responder's part of the settings table, src/config/spec.ts).
 * A message whose JSON cannot be read, or whose findings had a failed action,
 * is reported as a batch item failure so that SQS retries it (actions are
 * idempotent) and finally moves it to the dead-letter queue.
 */
export async function handler(event: SqsEvent, context?: LambdaContext): Promise<SqsBatchResponse> {
  built ??= (() => {
    const telemetry = createTelemetry(SERVICES.responder);
    const responder = buildResponder(responderSettings(process.env), {
      actor: process.env.AWS_LAMBDA_FUNCTION_NAME,
      ...telemetryHooks(telemetry),
    });
    return { responder, telemetry };
  })();
  if (context) built.telemetry.logger.addContext(context as unknown as Parameters<Telemetry['logger']['addContext']>[0]);
  return handleBatch(event, built.responder, built.telemetry);
}

/** What the Lambda's responder tells its telemetry: findings the circuit breaker held, and every batch's results (metrics). */
export function telemetryHooks(telemetry: Telemetry): Required<Pick<ResponderDeps, 'onHeld' | 'onResults'>> {
  return {
    onHeld: (held) => emitCircuitOpen(held, telemetry),
    onResults: (reports) => publishPoints(telemetry.metrics, resultMetrics(reports)),
  };
}

/**
 * The handler's work, with its dependencies injected (tests and benchmarks call this). Metrics of the results are
 * published by the responder's `onResults` (the handler wires it to `telemetry`).
 */
export async function handleBatch(
  event: SqsEvent,
  r: Responder,
  telemetry: Telemetry = createTelemetry(SERVICES.responder),
): Promise<SqsBatchResponse> {
  const { logger } = telemetry;
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
      logger.error(`unreadable message: ${describeError(err)}`, { messageId: record.messageId });
      failures.add(record.messageId);
    }
  }
  if (items.length > 0) {
    try {
      const results = await respond(items, r.deps);
      results.forEach((result, i) => {
        const line = { messageId: owner[i], ...result };
        if (hasFailure(result)) logger.error(`${result.decision} ${result.type}: failed`, line);
        else logger.info(`${result.decision} ${result.type}`, line);
        if (hasFailure(result)) failures.add(owner[i] as string);
      });
    } catch (err) {
      logger.error(`batch failed: ${describeError(err)}`);
      for (const id of owner) failures.add(id);
    }
  }
  return { batchItemFailures: [...failures].map((itemIdentifier) => ({ itemIdentifier })) };
}

/**
 * Alarm signal when the circuit breaker holds findings: an error line per
 * account and the `cordon/CircuitOpenFindings` metric (Embedded Metric Format
 * through Powertools, no PutMetricData permission needed), which the stack's
 * CircuitOpen alarm watches.
 */
export function emitCircuitOpen(held: ReadonlyArray<{ accountId: string; findingId: string; reason: string }>, telemetry: Telemetry): void {
  const byAccount = new Map<string, string[]>();
  for (const h of held) byAccount.set(h.accountId, [...(byAccount.get(h.accountId) ?? []), h.findingId]);
  for (const [accountId, findingIds] of byAccount) {
    const reason = held.find((h) => h.accountId === accountId)?.reason ?? 'circuit open';
    telemetry.logger.error(reason, { alarm: 'circuit-open', accountId, findingIds });
  }
  publishCircuitOpen(telemetry.metrics, held.length);
}
