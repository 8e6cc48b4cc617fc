import { describeError } from '../errors';
import { buildOrgClients, type OrgClientSet } from '../org/clients';
import { enableOrganization, type EnableSummary } from '../org/enable';
import { streamProgress } from '../org/progress';
import { enablerSettingsFromEnv, type EnablerSettings } from '../org/settings';

/** Built once per container: settings from the environment and the clients (with their credentials cache). */
let built: { settings: EnablerSettings; clients: OrgClientSet } | undefined;

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
export async function handler(event?: unknown): Promise<EnableSummary> {
  void event;
  built ??= (() => {
    const settings = enablerSettingsFromEnv(process.env);
    return { settings, clients: buildOrgClients(settings) };
  })();
  return runEnabler(built.settings, built.clients, process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1');
}

/** The handler's work with its dependencies injected (tests call this). */
export async function runEnabler(settings: EnablerSettings, clients: OrgClientSet, callerRegion: string): Promise<EnableSummary> {
  const progress = streamProgress(
    (line) => console.log(JSON.stringify({ level: 'info', source: 'cordon-enabler', message: line.trim() })),
    false,
    'enable',
  );
  try {
    const summary = await enableOrganization(settings, { clients, callerRegion, progress });
    const line = JSON.stringify({ level: summary.covered ? 'info' : 'error', source: 'cordon-enabler', ...summary });
    if (summary.covered) console.log(line);
    else console.error(line);
    return summary;
  } catch (err) {
    console.error(JSON.stringify({ level: 'error', source: 'cordon-enabler', message: describeError(err) }));
    throw err;
  }
}
