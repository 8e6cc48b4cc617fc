import { MetricUnit } from '@aws-lambda-powertools/metrics';

import { describeError } from '../errors';
import { buildOrgClients, type OrgClientSet } from '../org/clients';
import { enableOrganization, type EnableSummary } from '../org/enable';
import { streamProgress } from '../org/progress';
import { enablerSettingsFromEnv, type EnablerSettings } from '../org/settings';
import { ENABLER_METRICS } from '../respond/metrics';
import { createTelemetry, SERVICES, type Telemetry } from './telemetry';
import type { LambdaContext } from './responder';

/** Built once per container: settings from the environment and the clients (with their credentials cache). */
let built: { settings: EnablerSettings; clients: OrgClientSet; telemetry: Telemetry } | undefined;

/**
 * Lambda entry point of the scheduled enabler (an EventBridge schedule; the
 * event's content is not used). Settings come from environment variables
 * (the enabler's part of the settings table, src/config/spec.ts; `CORDON_DRY_RUN=true` plans and
 * logs without changing anything); bad ones throw a ConfigurationError
 * before any AWS call. It runs in the security account, which does its own
 * part; the management account's part (trusted access, delegated
 * administrators) is done once by `cordon enable` from that account. Runs `cordon enable` and returns
 * its summary; progress and the summary are logged as JSON lines. Gaps do
 * not throw — the summary says `covered: false` and an error line is logged
 * (alarm on it) — because the next scheduled run retries anyway.
 */
export async function handler(event?: unknown, context?: LambdaContext): Promise<EnableSummary> {
  void event;
  built ??= (() => {
    const settings = enablerSettingsFromEnv(process.env);
    return { settings, clients: buildOrgClients(settings), telemetry: createTelemetry(SERVICES.enabler) };
  })();
  if (context) built.telemetry.logger.addContext(context as unknown as Parameters<Telemetry['logger']['addContext']>[0]);
  return runEnabler(
    built.settings,
    built.clients,
    process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    built.telemetry,
  );
}

/**
 * The handler's work with its dependencies injected (tests call this). Logs through Powertools Logger (progress as
 * INFO lines, the summary as INFO when covered, ERROR otherwise: the stack's EnablerGaps alarm counts ERROR lines) and
 * publishes `cordon/EnablerRuns`, `EnablerUncoveredPairs` and `EnablerFailedChanges` (the dashboard's).
 */
export async function runEnabler(
  settings: EnablerSettings,
  clients: OrgClientSet,
  callerRegion: string,
  telemetry: Telemetry = createTelemetry(SERVICES.enabler),
): Promise<EnableSummary> {
  const { logger, metrics } = telemetry;
  const progress = streamProgress((line) => logger.info(line.trim()), false, 'enable');
  metrics.addMetric(ENABLER_METRICS.runs, MetricUnit.Count, 1);
  try {
    const summary = await enableOrganization(settings, { clients, callerRegion, progress });
    const uncovered = summary.regions.reduce((n, r) => n + r.uncovered.length, 0);
    metrics.addMetric(ENABLER_METRICS.gaps, MetricUnit.Count, uncovered);
    metrics.addMetric(ENABLER_METRICS.failures, MetricUnit.Count, summary.failures);
    const text = summary.covered ? 'every account and region covered' : 'accounts or regions left uncovered';
    if (summary.covered) logger.info(text, { ...summary });
    else logger.error(text, { ...summary });
    return summary;
  } catch (err) {
    logger.error(describeError(err));
    throw err;
  } finally {
    metrics.publishStoredMetrics();
  }
}
