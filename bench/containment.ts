/**
 * Benchmark 2, time to containment of one finding: a compromised instance
 * (the longest runbook: snapshot, protect, detach, isolate, remove the
 * instance profile) through the Lambda handler, every call taking the same
 * fixed time (the proxy answers that long after the call arrived). The
 * proxy's timestamps give the sequential round trips: the longest chain of
 * calls none of which overlapped. Run three ways: cordon in a cold
 * execution environment (a fresh responder: AssumeRole, new clients, the
 * VPC's groups made; in a process that has run cordon's code once, so the
 * process's own one-time start-up work is not counted), cordon warm
 * (credentials for the account and region already cached, as during a
 * burst), and the baseline (a fresh responder).
 */
import { handleBatch } from '../src/handlers/responder';
import type { Responder } from '../src/respond/wiring';
import { sequentialChain, peakConcurrency, summarize, type ProxyCall, guardDutyEvent, type LocalAws } from '../local-aws';
import { findingFor } from './findings';
import { capturingLogs, consoleTelemetry, outcomeOf, type LoggedResult } from './lambda';
import type { BenchSite } from './world';

/** One measured containment. */
export interface ContainmentRun {
  readonly label: string;
  readonly latencyMs: number;
  readonly outcome: string;
  /** Handler start to its answer. */
  readonly handlerMs: number;
  /** Handler start to the end of the last call in the member account (the instance is contained). */
  readonly containedMs: number;
  readonly calls: number;
  /** The calls by `service:Operation`, most frequent first. */
  readonly byOperation: Readonly<Record<string, number>>;
  /** Length of the longest chain of non-overlapping calls (whole handler). */
  readonly sequentialRoundTrips: number;
  /** The same, up to the last call in the member account. */
  readonly roundTripsToContainment: number;
  /** The same, up to the end of the last `ModifyNetworkInterfaceAttribute` (the last interface is in the quarantine group). */
  readonly roundTripsToIsolation: number;
  /** The chain up to isolation: `service Operation` in time order. */
  readonly chainToIsolation: readonly string[];
  /** Most calls in flight at once. */
  readonly peakParallelCalls: number;
  /** Calls that took longer than the fixed latency (moto was slower): they can stretch the count; 0 makes it exact. */
  readonly callsOverLatency: number;
  /** The chain: `service Operation` in time order. */
  readonly chain: readonly string[];
}

/** Timer and event-loop slack before a call counts as slower than the fixed latency. */
const OVER_LATENCY_SLACK_MS = 20;

const MEMBER_SERVICES = new Set(['ec2', 'iam', 's3', 'autoscaling', 'elasticloadbalancing']);

/** Contains one compromise finding on `site` with `responder` and measures it from the proxy's call log. */
export async function measureContainment(options: {
  readonly label: string;
  readonly local: LocalAws;
  readonly site: BenchSite;
  readonly responder: Responder;
  readonly latencyMs: number;
  readonly calls: () => readonly ProxyCall[];
  readonly resetCalls: () => void;
}): Promise<ContainmentRun> {
  const finding = findingFor('ec2-compromise', options.site, 0);
  options.local.emulator.publishGuardDutyFinding(finding);
  options.resetCalls();
  const t0 = performance.now();
  const { lines } = await capturingLogs(() =>
    handleBatch(
      { Records: [{ messageId: `ttc-${options.label}`, body: JSON.stringify(guardDutyEvent(finding)) }] },
      options.responder,
      consoleTelemetry(),
    ),
  );
  const handlerMs = performance.now() - t0;
  const calls = options.calls();
  const result = lines.map((l) => JSON.parse(l) as LoggedResult).find((r) => r.findingId === finding.id);
  const spans = calls.map((c) => ({ ...c, label: `${c.service} ${c.operation}` }));
  const chain = sequentialChain(spans);
  const lastMember = Math.max(...calls.filter((c) => MEMBER_SERVICES.has(c.service)).map((c) => c.endMs));
  const toContainment = sequentialChain(spans.filter((c) => c.endMs <= lastMember));
  const isolated = Math.max(...calls.filter((c) => c.operation === 'ModifyNetworkInterfaceAttribute').map((c) => c.endMs));
  const toIsolation = sequentialChain(spans.filter((c) => c.endMs <= isolated));
  return {
    label: options.label,
    latencyMs: options.latencyMs,
    outcome: result ? outcomeOf(result) : 'lost',
    handlerMs: Math.round(handlerMs),
    // The handler's time minus what came after the last member-account call (the final Security Hub write).
    containedMs: Math.round(handlerMs - (Math.max(...calls.map((c) => c.endMs)) - lastMember)),
    calls: calls.length,
    byOperation: Object.fromEntries(
      Object.entries(summarize(calls).byOperation)
        .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
        .map(([op, k]) => [op.replace(' ', ':'), k]),
    ),
    sequentialRoundTrips: chain.length,
    roundTripsToContainment: toContainment.length,
    roundTripsToIsolation: toIsolation.length,
    chainToIsolation: toIsolation.map((c) => c.label),
    peakParallelCalls: peakConcurrency(spans),
    callsOverLatency: calls.filter((c) => c.endMs - c.startMs > options.latencyMs + OVER_LATENCY_SLACK_MS).length,
    chain: chain.map((c) => c.label),
  };
}
