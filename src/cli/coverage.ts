import { ConfigurationError, describeError } from '../errors';
import { requireCallerCredentials } from '../aws/caller-credentials';
import { buildOrgClients } from '../org/clients';
import { surveyCoverage } from '../org/coverage';
import { PROTECTION_PLANS } from '../org/features';
import { streamProgress } from '../org/progress';
import { formatCoverage } from '../org/report';
import { DEFAULT_ADMIN_ROLE_NAME, DEFAULT_ENABLE_CONCURRENCY, validateCoverageSettings, type RawSetting } from '../org/settings';
import { parseFlags } from './args';
import type { CliIo } from './io';

const HELP = `usage: npx cordon coverage [--regions LIST|all] [--features LIST|all] [--concurrency N] [--json]

Run with the security (GuardDuty delegated administrator) account's
credentials. Lists every active account of the organization in every region
with its GuardDuty status — administrator, member-enabled, not-a-member,
detector-disabled, region-not-enabled (or unknown when the region could not be
read) — and the protection plans on, gaps first.

  --regions LIST|all  comma-separated regions, or all (CORDON_REGIONS; default: every
                      region enabled for the security account)
  --features LIST     protection plans every covered account must have (${PROTECTION_PLANS.map((p) => p.key).join(', ')}
                      or all); an account missing one is a gap. Default: none required.
  --concurrency N     regions read at once, 1-64 (CORDON_CONCURRENCY, default ${DEFAULT_ENABLE_CONCURRENCY})
  --json              one JSON object per account and region, one per line

Exit: 0 no gaps, 1 gaps (or a region could not be read), 2 bad flags or configuration.`;

/** `cordon coverage`: argument parsing and printing; the work is in src/org. */
export async function runCoverage(argv: string[], io: CliIo): Promise<number> {
  let settings: ReturnType<typeof validateCoverageSettings>;
  let json: boolean;
  try {
    const { values } = parseFlags(
      'coverage',
      argv,
      {
        regions: { type: 'string' },
        features: { type: 'string' },
        concurrency: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      false,
    );
    if (values.help) {
      io.stdout.write(`${HELP}\n`);
      return 0;
    }
    const pick = (flag: string, value: string | undefined, envName: string): RawSetting | undefined => {
      if (value !== undefined) return { value, source: `--${flag}` };
      const fromEnv = io.env[envName];
      return fromEnv === undefined || fromEnv.trim() === '' ? undefined : { value: fromEnv, source: envName };
    };
    settings = validateCoverageSettings({
      regions: pick('regions', values.regions, 'CORDON_REGIONS'),
      features: values.features === undefined ? undefined : { value: values.features, source: '--features' },
      concurrency: pick('concurrency', values.concurrency, 'CORDON_CONCURRENCY'),
    });
    json = values.json === true;
    await requireCallerCredentials();
  } catch (err) {
    io.stderr.write(`cordon coverage: ${err instanceof ConfigurationError ? err.message : describeError(err)}\n`);
    return 2;
  }
  const clients = buildOrgClients({ adminAccountId: undefined, adminRoleName: DEFAULT_ADMIN_ROLE_NAME, concurrency: settings.concurrency });
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  try {
    const report = await surveyCoverage(settings, {
      clients,
      callerRegion: io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      progress: streamProgress((text) => io.stderr.write(text), tty, 'cordon coverage'),
    });
    if (json) {
      for (const cell of report.cells) io.stdout.write(`${JSON.stringify(cell)}\n`);
    } else {
      io.stdout.write(formatCoverage(report.cells, report.skippedAccounts, report.warnings));
    }
    for (const e of report.errors) io.stderr.write(`cordon coverage: ${e.region}: ${e.error}\n`);
    return report.gaps === 0 && report.errors.length === 0 ? 0 : 1;
  } catch (err) {
    io.stderr.write(`cordon coverage: ${err instanceof ConfigurationError ? err.message : describeError(err)}\n`);
    return err instanceof ConfigurationError ? 2 : 1;
  } finally {
    clients.close();
  }
}
