import * as fs from 'node:fs';
import * as path from 'node:path';
import { ACTIONS } from '../actions/registry';
import { ConfigurationError, describeError } from '../errors';
import { responderSettings } from '../config/settings';
import { RESPONDER_SETTINGS } from '../config/spec';
import { parseInput } from '../findings/parse';
import { decide } from '../runbooks/decide';
import { loadRunbooks } from '../runbooks/load';
import { matchRunbook } from '../runbooks/match';
import { notApplicable } from '../respond/execute';
import type { CliIo } from './io';
import { command, groupHelp, parseCommand, type CommandSpec } from './options';

/** `cordon runbooks validate`: its options and help. */
export const RUNBOOKS_VALIDATE_COMMAND = command({
  name: 'runbooks validate',
  summary: `check every runbook in DIR (default: ${RESPONDER_SETTINGS.runbooksDir.env} or ${RESPONDER_SETTINGS.runbooksDir.defaultText})`,
  positionals: '[DIR]',
  options: {},
});

/** `cordon runbooks explain`: its options and help. */
export const RUNBOOKS_EXPLAIN_COMMAND = command({
  name: 'runbooks explain',
  summary: 'which runbook each finding in the file gets, the decision and why',
  positionals: 'FINDING.json',
  options: {
    runbooksDir: { setting: RESPONDER_SETTINGS.runbooksDir },
    json: { flag: '--json', help: 'one JSON object per finding per line' },
  },
});

/** `cordon runbooks list`: its options and help. */
export const RUNBOOKS_LIST_COMMAND = command({
  name: 'runbooks list',
  summary: 'the runbooks and the actions they run',
  options: { runbooksDir: { setting: RESPONDER_SETTINGS.runbooksDir } },
});

/** `cordon runbooks`: its subcommands, in `--help` order. */
export const RUNBOOKS_COMMANDS: readonly CommandSpec[] = [RUNBOOKS_VALIDATE_COMMAND, RUNBOOKS_EXPLAIN_COMMAND, RUNBOOKS_LIST_COMMAND];

/** `cordon runbooks validate|explain|list`. */
export async function runRunbooks(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (!sub || sub === '--help' || sub === '-h') {
      io.stdout.write(`${groupHelp(RUNBOOKS_COMMANDS)}\n`);
      return sub ? 0 : 2;
    }
    if (sub === 'validate') return validate(rest, io);
    if (sub === 'explain') return explain(rest, io);
    if (sub === 'list') return list(rest, io);
    throw new ConfigurationError(`runbooks: unknown subcommand "${sub}" (expected validate, explain or list)`);
  } catch (err) {
    io.stderr.write(`cordon runbooks: ${err instanceof ConfigurationError ? err.message : describeError(err)}\n`);
    return 2;
  }
}

function validate(argv: string[], io: CliIo): number {
  const { help, positionals } = parseCommand(RUNBOOKS_VALIDATE_COMMAND, argv);
  if (help) return printHelp(io);
  const dir = path.resolve(positionals[0] ?? responderSettings(io.env).runbooksDir);
  const runbooks = loadRunbooks(dir, ACTIONS);
  io.stdout.write(`${runbooks.length} runbook(s) in ${dir} are valid:\n`);
  for (const rb of runbooks)
    io.stdout.write(
      `  ${rb.name} (${rb.mode}, reliability ${rb.reliability}): ${rb.findingTypes.length} type pattern(s), ${rb.actions.length} action(s)\n`,
    );
  return 0;
}

function list(argv: string[], io: CliIo): number {
  const { help, settings: given } = parseCommand(RUNBOOKS_LIST_COMMAND, argv);
  if (help) return printHelp(io);
  const settings = responderSettings(io.env, { runbooksDir: given.runbooksDir?.value });
  for (const rb of loadRunbooks(settings.runbooksDir, ACTIONS)) {
    io.stdout.write(
      `${rb.name} [${rb.mode}, reliability ${rb.reliability}${rb.customAction ? `, custom action "${rb.customAction.name}"` : ''}]\n`,
    );
    io.stdout.write(`  types:   ${rb.findingTypes.join(', ')}\n`);
    io.stdout.write(`  actions: ${rb.actions.map((a) => a.action).join(' → ')}\n`);
  }
  return 0;
}

function explain(argv: string[], io: CliIo): number {
  const { help, positionals, settings: given, options } = parseCommand(RUNBOOKS_EXPLAIN_COMMAND, argv);
  if (help) return printHelp(io);
  if (positionals.length !== 1) throw new ConfigurationError('runbooks explain: expected one FINDING.json file (or - for standard input)');
  const source = positionals[0] as string;
  let text: string;
  try {
    text = fs.readFileSync(source === '-' ? 0 : source, 'utf8');
  } catch (err) {
    throw new ConfigurationError(`cannot read ${source}: ${(err as Error).message}`);
  }
  const settings = responderSettings(io.env, { runbooksDir: given.runbooksDir?.value });
  const runbooks = loadRunbooks(settings.runbooksDir, ACTIONS);
  for (const item of parseInput(text)) {
    if (item.kind !== 'finding') {
      throw new ConfigurationError(
        `${item.where}: explain needs the GuardDuty finding itself; a Security Hub finding only points to it (run \`aws guardduty get-findings\` in the administrator account)`,
      );
    }
    const f = item.finding;
    const match = matchRunbook(runbooks, f.type);
    const d = decide(f, runbooks, { threshold: settings.threshold, exemptAccounts: settings.exemptAccounts });
    const steps = (d.runbook?.actions ?? []).map((s) => {
      const action = ACTIONS.get(s.action);
      const why = action ? notApplicable(action, f) : 'unknown action';
      return { action: s.action, applies: !why, why: why ?? action?.summary ?? '' };
    });
    if (options.json) {
      io.stdout.write(
        `${JSON.stringify({ findingId: f.id, type: f.type, severity: f.severity, runbook: d.runbook?.name ?? null, pattern: match?.pattern ?? null, decision: d.decision, reason: d.reason, actions: steps })}\n`,
      );
      continue;
    }
    io.stdout.write(`${f.type} (severity ${f.severity}) in ${f.accountId}/${f.region}, finding ${f.id}\n`);
    io.stdout.write(
      `  runbook:  ${d.runbook ? `${d.runbook.name}, matched by "${match?.pattern}" in ${path.basename(d.runbook.file)}` : 'none'}\n`,
    );
    io.stdout.write(`  decision: ${d.decision}: ${d.reason}\n`);
    for (const s of steps) io.stdout.write(`  ${s.applies ? '→' : '×'} ${s.action}: ${s.why}\n`);
    io.stdout.write('  (resource exemption tags are checked live when cordon responds)\n');
  }
  return 0;
}

function printHelp(io: CliIo): number {
  io.stdout.write(`${groupHelp(RUNBOOKS_COMMANDS)}\n`);
  return 0;
}
