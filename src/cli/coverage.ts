import { ConfigurationError, describeError } from '../errors';
import { requireCallerCredentials } from '../aws/caller-credentials';
import { buildOrgClients } from '../org/clients';
import { surveyCoverage } from '../org/coverage';
import { streamProgress } from '../org/progress';
import { formatCoverage } from '../org/report';
import { DEFAULT_ADMIN_ROLE_NAME, validateCoverageSettings } from '../org/settings';
import type { CliIo } from './io';
import { COVERAGE_COMMAND } from './commands';
import { commandHelp, parseCommand, withEnv } from './options';

/** `cordon coverage`: argument parsing and printing; the work is in src/org. */
export async function runCoverage(argv: string[], io: CliIo): Promise<number> {
  let settings: ReturnType<typeof validateCoverageSettings>;
  let json: boolean;
  try {
    const parsed = parseCommand(COVERAGE_COMMAND, argv);
    if (parsed.help) {
      io.stdout.write(`${commandHelp(COVERAGE_COMMAND)}\n`);
      return 0;
    }
    settings = validateCoverageSettings(withEnv(COVERAGE_COMMAND, parsed, io.env));
    json = parsed.options.json;
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
