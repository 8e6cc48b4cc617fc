import { ConfigurationError, describeError } from '../errors';
import { responderSettings } from '../config/settings';
import { circuitStatus, windowStart } from '../respond/circuit';
import { buildResponder } from '../respond/wiring';
import type { CliIo } from './io';
import { STATUS_COMMAND } from './commands';
import { deploymentOf } from './deployment';
import { commandHelp, parseCommand } from './options';

/** `cordon status`: open circuits and recent containments. */
export async function runStatus(argv: string[], io: CliIo): Promise<number> {
  let responder: ReturnType<typeof buildResponder>;
  let json: boolean;
  try {
    const { help, options } = parseCommand(STATUS_COMMAND, argv);
    if (help) {
      io.stdout.write(`${commandHelp(STATUS_COMMAND)}\n`);
      return 0;
    }
    json = options.json;
    responder = buildResponder(responderSettings((await deploymentOf(io.env, options.stack)).env));
  } catch (err) {
    io.stderr.write(`cordon status: ${err instanceof ConfigurationError ? err.message : describeError(err)}\n`);
    return 2;
  }
  try {
    const { circuit, audit } = responder.deps;
    const now = responder.deps.now();
    const status = circuitStatus(await audit.circuitEntries(windowStart(now, circuit.limits).toISOString()), circuit.limits, now);
    const open = status.organization.open || status.accounts.some((a) => a.open);
    if (json) {
      io.stdout.write(`${JSON.stringify(status)}\n`);
      return open ? 1 : 0;
    }
    const l = status.limits;
    io.stdout.write(
      `Circuit breaker (${audit.description}): at most ${l.perAccount} automatic containments per account and ${l.perOrganization} per organization per ${l.windowMinutes} min.\n`,
    );
    io.stdout.write(
      `Organization: ${status.organization.contained} contained since ${status.windowStart} — circuit ${status.organization.open ? 'OPEN' : 'closed'}.\n`,
    );
    if (status.accounts.length === 0) {
      io.stdout.write('No automatic containment in the window.\n');
      return open ? 1 : 0;
    }
    io.stdout.write(`\n${'account'.padEnd(14)}${'circuit'.padEnd(9)}${'contained'.padEnd(11)}${'held'.padEnd(6)}closes at\n`);
    for (const a of status.accounts) {
      io.stdout.write(
        `${a.accountId.padEnd(14)}${(a.open ? 'OPEN' : 'closed').padEnd(9)}${String(a.contained).padEnd(11)}${String(a.held).padEnd(6)}${a.closesAt ?? '-'}\n`,
      );
    }
    io.stdout.write('\nRecent (newest first):\n');
    for (const e of status.recent.slice(0, 20)) {
      io.stdout.write(
        `  ${e.at}  ${e.kind === 'containment' ? 'contained' : 'HELD     '}  ${e.accountId}/${e.region}  ${e.resource}  (finding ${e.findingId})\n`,
      );
    }
    if (status.recent.length > 20) io.stdout.write(`  … ${status.recent.length - 20} more (--json for all)\n`);
    return open ? 1 : 0;
  } catch (err) {
    io.stderr.write(`cordon status: ${describeError(err)}\n`);
    return 1;
  } finally {
    responder.close();
  }
}
