import { ConfigurationError, describeError } from '../errors';
import { requireCallerCredentials } from '../aws/caller-credentials';
import { buildOrgClients } from '../org/clients';
import { enableOrganization } from '../org/enable';
import { streamProgress } from '../org/progress';
import { formatEnableSummary } from '../org/report';
import { validateEnablerSettings } from '../org/settings';
import type { CliIo } from './io';
import { ENABLE_COMMAND } from './commands';
import { commandHelp, parseCommand, withEnv } from './options';

/** `cordon enable`: argument parsing and printing; the work is in src/org. */
export async function runEnable(argv: string[], io: CliIo): Promise<number> {
  let settings: ReturnType<typeof validateEnablerSettings>;
  let json: boolean;
  try {
    const parsed = parseCommand(ENABLE_COMMAND, argv);
    if (parsed.help) {
      io.stdout.write(`${commandHelp(ENABLE_COMMAND)}\n`);
      return 0;
    }
    settings = validateEnablerSettings(withEnv(ENABLE_COMMAND, parsed, io.env));
    json = parsed.options.json;
    await requireCallerCredentials();
  } catch (err) {
    io.stderr.write(`cordon enable: ${err instanceof ConfigurationError ? err.message : describeError(err)}\n`);
    return 2;
  }
  const clients = buildOrgClients(settings);
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  try {
    const summary = await enableOrganization(settings, {
      clients,
      callerRegion: io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      progress: streamProgress((text) => io.stderr.write(text), tty, 'cordon enable'),
    });
    io.stdout.write(json ? `${JSON.stringify(summary)}\n` : formatEnableSummary(summary));
    return summary.covered ? 0 : 1;
  } catch (err) {
    io.stderr.write(`cordon enable: ${err instanceof ConfigurationError ? err.message : describeError(err)}\n`);
    return err instanceof ConfigurationError ? 2 : 1;
  } finally {
    clients.close();
  }
}
