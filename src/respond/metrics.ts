/**
 * What the responder measures, per finding (pure): findings contained, held
 * and failed on, per runbook, and the time to containment: from GuardDuty's
 * last update of the finding (`updatedAt`) to cordon's last action on it.
 * The Lambda publishes them through Powertools Metrics (src/handlers/telemetry.ts).
 */
import { outcomeOf } from '../notify/notification';
import type { FindingResult } from './result';

/** CloudWatch namespace of every cordon metric. */
export const METRICS_NAMESPACE = 'cordon';

/** The responder's metrics, by what they count (the stack's dashboard and alarms use these names). */
export const RESPONDER_METRICS = {
  contained: 'FindingsContained',
  held: 'FindingsHeld',
  failed: 'FindingsFailed',
  timeToContainment: 'TimeToContainment',
  circuitOpen: 'CircuitOpenFindings',
} as const;

/** The `service` of each Lambda's logs and metrics (Powertools' default dimension of every metric: the stack's alarms name it). */
export const SERVICES = { responder: 'cordon-responder', enabler: 'cordon-enabler' } as const;

/** The enabler's metrics. */
export const ENABLER_METRICS = { runs: 'EnablerRuns', gaps: 'EnablerUncoveredPairs', failures: 'EnablerFailedChanges' } as const;

/** The dimension the per-runbook metrics carry. */
export const RUNBOOK_DIMENSION = 'Runbook';

/** A result with when the finding was last updated and when cordon's actions on it ended. */
export interface ResultReport {
  readonly result: FindingResult;
  /** GuardDuty's `updatedAt` of the finding (undefined when the finding could not be read). */
  readonly findingUpdatedAt: string | undefined;
  /** When the last action of the batch ended. */
  readonly actedAt: Date;
}

/** One data point. */
export interface MetricPoint {
  readonly name: (typeof RESPONDER_METRICS)[keyof typeof RESPONDER_METRICS];
  readonly unit: 'Count' | 'Seconds';
  readonly value: number;
  /** The runbook, or `none`. */
  readonly runbook: string;
}

/**
 * The data points of a batch's results: one count per finding contained
 * (fully or partly), held (circuit open, manual runbook) or failed on, and its
 * time to containment when it was contained. Skips by policy and dry runs
 * count nothing.
 */
export function resultMetrics(reports: readonly ResultReport[]): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const { result, findingUpdatedAt, actedAt } of reports) {
    const outcome = outcomeOf(result);
    const runbook = result.runbook ?? 'none';
    if (outcome === 'contained' || outcome === 'partially-contained') {
      points.push({ name: RESPONDER_METRICS.contained, unit: 'Count', value: 1, runbook });
      const updated = findingUpdatedAt === undefined ? Number.NaN : Date.parse(findingUpdatedAt);
      if (Number.isFinite(updated))
        points.push({
          name: RESPONDER_METRICS.timeToContainment,
          unit: 'Seconds',
          value: Math.max(0, (actedAt.getTime() - updated) / 1000),
          runbook,
        });
    } else if (outcome === 'held') points.push({ name: RESPONDER_METRICS.held, unit: 'Count', value: 1, runbook });
    else if (outcome === 'failed') points.push({ name: RESPONDER_METRICS.failed, unit: 'Count', value: 1, runbook });
  }
  return points;
}
