/**
 * Drives cordon's Lambda handler (`handleBatch`) the way the SQS event
 * source mapping does: several warm execution environments ("containers"),
 * each with its own responder built on first use (its own credentials and
 * client caches, as separate Lambda environments have), each taking batches
 * of up to 10 messages off one queue. Messages a batch reports in
 * `batchItemFailures` are received again (after their visibility timeout)
 * until their receive count reaches maxReceiveCount; then they go to the
 * dead-letter queue. The handler's log lines (one JSON line per finding)
 * are captured and parsed: they are its only per-finding output.
 */
import { handleBatch, type SqsEvent } from '../src/handlers/responder';
import { createTelemetry, SERVICES, type Telemetry } from '../src/handlers/telemetry';
import type { Responder } from '../src/respond/wiring';
import type { BenchMessage } from './findings';

/** One finding result as the handler logs it (the fields the bench reads). */
export interface LoggedResult {
  readonly level: 'info' | 'error';
  readonly messageId: string;
  readonly findingId: string;
  readonly decision: 'act' | 'skip';
  readonly reason: string;
  readonly actions: ReadonlyArray<{ action: string; resource: string; status: string; detail: string }>;
  readonly securityHub?: { status: string; detail: string };
}

/** What happened to the queue. */
export interface QueueRun {
  readonly invocations: number;
  /** Responders built (cold starts). */
  readonly coldStarts: number;
  /** Message id → times received. */
  readonly receives: ReadonlyMap<string, number>;
  /** Messages moved to the dead-letter queue. */
  readonly deadLettered: readonly string[];
  /** Every per-finding result the handler logged, in order. */
  readonly results: readonly LoggedResult[];
  /** Other error lines (unreadable messages, failed batches). */
  readonly errors: readonly string[];
  /**
   * Σ over execution environments of the account-regions each one acted in:
   * the fewest AssumeRole calls possible, since environments share no memory
   * (and cordon stores no credentials anywhere else).
   */
  readonly environmentAccountRegions: number;
  readonly wallMs: number;
}

/** How the queue is drained. */
export interface QueueOptions {
  readonly messages: readonly BenchMessage[];
  /** Concurrent execution environments. */
  readonly containers: number;
  /** Messages per invocation (SQS: at most 10). */
  readonly batchSize: number;
  /** Receives before a message is dead-lettered (the queue's redrive policy). */
  readonly maxReceiveCount: number;
  /** Builds a container's responder. */
  readonly newResponder: () => Responder;
  /** Build a fresh responder for every invocation and close it after (no caches at all). @default false */
  readonly freshPerInvocation?: boolean;
}

/**
 * The responder's Powertools Logger and Metrics bound to the global console
 * (Powertools' dev mode, read when they are built), so that
 * {@link capturingLogs} sees what the handler logs; in Lambda they write to
 * standard output through a console of their own. Pass it to `handleBatch`.
 */
export function consoleTelemetry(): Telemetry {
  const saved = { dev: process.env.POWERTOOLS_DEV, disabled: process.env.POWERTOOLS_METRICS_DISABLED };
  process.env.POWERTOOLS_DEV = 'true';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  try {
    return createTelemetry(SERVICES.responder);
  } finally {
    if (saved.dev === undefined) delete process.env.POWERTOOLS_DEV;
    else process.env.POWERTOOLS_DEV = saved.dev;
    if (saved.disabled === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = saved.disabled;
  }
}

/**
 * Captures the handler's console output for the duration of `work`, one entry per console call
 * (the handler logs one JSON record per finding; printing 5,000 of them would
 * only slow the benchmark down). The handler must log through {@link consoleTelemetry}.
 */
export async function capturingLogs<T>(work: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const lines: string[] = [];
  const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error };
  const capture = (...args: unknown[]): void => {
    lines.push(args.map(String).join(' '));
  };
  console.log = capture;
  console.info = capture;
  console.warn = capture;
  console.error = capture;
  try {
    return { value: await work(), lines };
  } finally {
    Object.assign(console, saved);
  }
}

/** Drains the queue; see the module comment. */
export async function drainQueue(options: QueueOptions): Promise<QueueRun> {
  const started = performance.now();
  const pending: BenchMessage[] = [...options.messages];
  const receives = new Map<string, number>();
  const deadLettered: string[] = [];
  let invocations = 0;
  let coldStarts = 0;
  let environmentAccountRegions = 0;
  const container = async (): Promise<void> => {
    const telemetry = consoleTelemetry();
    let responder: Responder | undefined;
    let seen = new Set<string>();
    try {
      while (pending.length > 0) {
        const batch = pending.splice(0, options.batchSize);
        for (const m of batch) receives.set(m.messageId, (receives.get(m.messageId) ?? 0) + 1);
        if (!responder || options.freshPerInvocation) {
          responder?.close();
          responder = options.newResponder();
          coldStarts += 1;
          environmentAccountRegions += seen.size;
          seen = new Set();
        }
        for (const m of batch) if (m.family !== 'low-severity') seen.add(`${m.accountId}|${m.region}`);
        invocations += 1;
        const event: SqsEvent = { Records: batch.map((m) => ({ messageId: m.messageId, body: m.body })) };
        const out = await handleBatch(event, responder, telemetry);
        const failed = new Set(out.batchItemFailures.map((f) => f.itemIdentifier));
        for (const m of batch) {
          if (!failed.has(m.messageId)) continue;
          if ((receives.get(m.messageId) ?? 0) >= options.maxReceiveCount) deadLettered.push(m.messageId);
          // Visible again after its visibility timeout: behind what is already queued.
          else pending.push(m);
        }
      }
    } finally {
      responder?.close();
      environmentAccountRegions += seen.size;
    }
  };
  const { lines } = await capturingLogs(() => Promise.all(Array.from({ length: options.containers }, () => container())));
  const results: LoggedResult[] = [];
  const errors: string[] = [];
  for (const line of lines) {
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      // Not one of the handler's JSON lines (e.g. an SDK warning): kept as text.
      errors.push(line);
      continue;
    }
    if (typeof parsed.findingId === 'string' && typeof parsed.messageId === 'string') results.push(parsed as unknown as LoggedResult);
    else if (parsed.level === 'ERROR') errors.push(line);
  }
  return {
    invocations,
    coldStarts,
    receives,
    deadLettered,
    results,
    errors,
    environmentAccountRegions,
    wallMs: performance.now() - started,
  };
}

/** How one finding result ended. */
export type ResultOutcome = 'contained' | 'failed' | 'held' | 'skipped' | 'exempt' | 'nothing-to-do';

/** Classifies a logged result. */
export function outcomeOf(r: LoggedResult): ResultOutcome {
  if (r.actions.some((a) => a.status === 'failed')) return 'failed';
  if (r.reason.startsWith('circuit-open')) return 'held';
  if (r.decision === 'skip') return /exempt/.test(r.reason) ? 'exempt' : 'skipped';
  if (r.actions.some((a) => a.status === 'done' || a.status === 'already')) return 'contained';
  return 'nothing-to-do';
}
