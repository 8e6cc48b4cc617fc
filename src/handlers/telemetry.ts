/**
 * The Lambdas' logs and metrics, through Powertools for AWS Lambda: Logger
 * (JSON lines with the function's request id once the handler adds its
 * context) and Metrics (Embedded Metric Format, written to standard output
 * by Powertools' own console, so that CloudWatch extracts the metrics whatever
 * the function's log format, text or JSON).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

import { METRICS_NAMESPACE, RESPONDER_METRICS, RUNBOOK_DIMENSION, SERVICES, type MetricPoint } from '../respond/metrics';

export { SERVICES } from '../respond/metrics';

/** A Lambda's logger and metrics. */
export interface Telemetry {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Builds a Lambda's logger and metrics (once per container). */
export function createTelemetry(service: (typeof SERVICES)[keyof typeof SERVICES]): Telemetry {
  return {
    // `source` kept from cordon's earlier log lines: Logs Insights queries and docs/deploy.md filter on it.
    logger: new Logger({ serviceName: service, persistentKeys: { source: service } }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service }),
  };
}

/** Publishes a batch's data points: one EMF record per runbook (the Runbook dimension), every point in it. */
export function publishPoints(metrics: Metrics, points: readonly MetricPoint[]): void {
  const byRunbook = new Map<string, MetricPoint[]>();
  for (const p of points) byRunbook.set(p.runbook, [...(byRunbook.get(p.runbook) ?? []), p]);
  for (const [runbook, list] of byRunbook) {
    metrics.addDimension(RUNBOOK_DIMENSION, runbook);
    for (const p of list) metrics.addMetric(p.name, p.unit === 'Seconds' ? MetricUnit.Seconds : MetricUnit.Count, p.value);
    metrics.publishStoredMetrics();
  }
}

/** Publishes how many findings the circuit breaker held (the stack's CircuitOpen alarm). */
export function publishCircuitOpen(metrics: Metrics, held: number): void {
  metrics.addMetric(RESPONDER_METRICS.circuitOpen, MetricUnit.Count, held);
  metrics.publishStoredMetrics();
}
