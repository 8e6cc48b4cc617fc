import { ACTIONS_LIST_COMMAND, runActions } from './actions';
import { COVERAGE_COMMAND, runCoverage } from './coverage';
import { ENABLE_COMMAND, runEnable } from './enable';
import { INTEL_COMMANDS, runIntel } from './intel';
import type { CliIo } from './io';
import { usageLine, type CommandSpec } from './options';
import { RELEASE_COMMAND, runRelease } from './release';
import { RESPOND_COMMAND, runRespond } from './respond';
import { RUNBOOKS_COMMANDS, runRunbooks } from './runbooks';
import { runStatus, STATUS_COMMAND } from './status';

/** A CLI command: parses its own arguments, returns the exit code. */
type Command = (argv: string[], io: CliIo) => Promise<number>;

/** Every `cordon <command>`: how it runs, a one-line description for `cordon help`, and its (sub)commands' declarations. */
const COMMANDS: Record<string, { run: Command; summary: string; specs: readonly CommandSpec[] }> = {
  respond: { run: runRespond, summary: RESPOND_COMMAND.summary, specs: [RESPOND_COMMAND] },
  runbooks: { run: runRunbooks, summary: 'validate runbooks, or explain which runbook a finding gets and why', specs: RUNBOOKS_COMMANDS },
  enable: { run: runEnable, summary: ENABLE_COMMAND.summary, specs: [ENABLE_COMMAND] },
  coverage: { run: runCoverage, summary: COVERAGE_COMMAND.summary, specs: [COVERAGE_COMMAND] },
  release: { run: runRelease, summary: RELEASE_COMMAND.summary, specs: [RELEASE_COMMAND] },
  status: { run: runStatus, summary: STATUS_COMMAND.summary, specs: [STATUS_COMMAND] },
  intel: {
    run: runIntel,
    summary: "cordon's threat and trusted lists in GuardDuty: list, add, remove, sync",
    specs: INTEL_COMMANDS,
  },
  actions: { run: runActions, summary: 'list the Security Hub custom actions (runbooks and built-ins)', specs: [ACTIONS_LIST_COMMAND] },
};

/** The usage line of every command and subcommand (the README's Usage lists them). */
export function usageLines(): string[] {
  return Object.values(COMMANDS).flatMap((c) => c.specs.map(usageLine));
}

/** Exit codes of every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'usage: npx cordon <command> [options]',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    "Run `npx cordon <command> --help` for a command's options.",
  ].join('\n');
}

/** Entry point of `npx cordon`. */
export async function main(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    io.stdout.write(`${usage()}\n`);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`cordon: unknown command "${name}"\n\n${usage()}\n`);
    return EXIT.usage;
  }
  return command.run(rest, io);
}
