import * as fs from 'node:fs';
import { ConfigurationError, describeError } from '../errors';
import { responderSettings } from '../config/settings';
import { parseInput } from '../findings/parse';
import { respond } from '../respond/responder';
import { hasFailure, type FindingResult } from '../respond/result';
import { requireCallerCredentials } from '../aws/caller-credentials';
import { buildResponder } from '../respond/wiring';
import type { CliIo } from './io';
import { RESPOND_COMMAND } from './commands';
import { deploymentOf } from './deployment';
import { commandHelp, parseCommand } from './options';

/** `cordon respond`: argument parsing and printing; the work is in src/respond. */
export async function runRespond(argv: string[], io: CliIo): Promise<number> {
  let text: string;
  let flags: { json: boolean };
  let responder: ReturnType<typeof buildResponder>;
  let items: ReturnType<typeof parseInput>;
  try {
    const { help, positionals, settings: given, options } = parseCommand(RESPOND_COMMAND, argv);
    if (help) {
      io.stdout.write(`${commandHelp(RESPOND_COMMAND)}\n`);
      return 0;
    }
    if (positionals.length > 1)
      throw new ConfigurationError(`respond: expected at most one input file, got ${positionals.length}: ${positionals.join(' ')}`);
    const source = positionals[0] ?? '-';
    if (source === '-' && io.stdin?.isTTY === true) {
      // Nothing piped in: say how to give findings rather than wait for them on a terminal.
      io.stderr.write(
        `cordon respond: no input (standard input is a terminal): give FILE, or pipe findings in\n\n${commandHelp(RESPOND_COMMAND)}\n`,
      );
      return 2;
    }
    text = readInput(source);
    flags = { json: options.json };
    const settings = responderSettings((await deploymentOf(io.env, options.stack)).env, {
      roleName: given.roleName?.value,
      runbooksDir: given.runbooksDir?.value,
      dryRun: given.dryRun !== undefined,
    });
    items = parseInput(text);
    await requireCallerCredentials();
    responder = buildResponder(settings, {
      onNotifyFailure: (failures) => {
        for (const f of failures) io.stderr.write(`cordon respond: notification of finding ${f.findingId} not published: ${f.error}\n`);
      },
      onHeld: (held) => {
        const accounts = [...new Set(held.map((h) => h.accountId))].join(', ');
        io.stderr.write(
          `cordon respond: CIRCUIT OPEN: ${held.length} finding(s) in ${accounts} held for a manual decision (blast-radius cap reached; see \`cordon status\`)\n`,
        );
      },
    });
  } catch (err) {
    io.stderr.write(`cordon respond: ${err instanceof ConfigurationError ? err.message : describeError(err)}\n`);
    return 2;
  }
  try {
    const results = await respond(items, responder.deps);
    for (const r of results) io.stdout.write(flags.json ? `${JSON.stringify(r)}\n` : formatResult(r, responder.deps.dryRun));
    if (!flags.json) io.stdout.write(summaryLine(results, responder.deps.audit.description, responder.deps.dryRun));
    return results.some(hasFailure) ? 1 : 0;
  } catch (err) {
    io.stderr.write(`cordon respond: ${describeError(err)}\n`);
    return 1;
  } finally {
    responder.close();
  }
}

function readInput(source: string): string {
  try {
    return fs.readFileSync(source === '-' ? 0 : source, 'utf8');
  } catch (err) {
    throw new ConfigurationError(`cannot read ${source === '-' ? 'standard input' : source}: ${(err as Error).message}`, { cause: err });
  }
}

function formatResult(r: FindingResult, dryRun: boolean): string {
  const head = `${r.decision === 'act' ? (dryRun ? 'PLAN' : 'ACT ') : 'SKIP'} ${r.type} sev ${r.severity ?? '-'} in ${r.accountId}/${r.region} (${r.findingId})`;
  const lines = [head, `     runbook ${r.runbook ?? '-'}: ${r.reason}`];
  for (const a of r.actions) lines.push(`     ${a.status.padEnd(7)} ${a.action} ${a.resource}: ${a.detail}`);
  for (const channel of r.remains ?? []) lines.push(`     STILL OPEN: ${channel}`);
  lines.push(`     security hub: ${r.securityHub.status} (${r.securityHub.detail})`);
  return `${lines.join('\n')}\n`;
}

function summaryLine(results: readonly FindingResult[], audit: string, dryRun: boolean): string {
  const acted = results.filter((r) => r.decision === 'act').length;
  const failed = results.filter(hasFailure).length;
  return `\n${results.length} finding(s): ${acted} ${dryRun ? 'planned' : 'acted on'}, ${results.length - acted} skipped, ${failed} with failed actions.${dryRun ? ` Dry run: nothing changed, nothing written to the audit trail (${audit}).` : ` Audit: ${audit}.`}\n`;
}
