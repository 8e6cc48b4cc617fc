import { runActions } from './actions';
import { runCoverage } from './coverage';
import { runEnable } from './enable';
import type { CliIo } from './io';
import { runRelease } from './release';
import { runRespond } from './respond';
import { runRunbooks } from './runbooks';
import { runStatus } from './status';

/** A CLI command: parses its own arguments, returns the exit code. */
type Command = (argv: string[], io: CliIo) => Promise<number>;

/** Every `cordon <command>`, with a one-line description for `cordon help`. */
const COMMANDS: Record<string, { run: Command; summary: string }> = {
  respond: { run: runRespond, summary: 'contain the resources of GuardDuty findings (events or findings as JSON)' },
  runbooks: { run: runRunbooks, summary: 'validate runbooks, or explain which runbook a finding gets and why' },
  enable: { run: runEnable, summary: 'turn GuardDuty (and Security Hub) on in every account and region of the organization' },
  coverage: { run: runCoverage, summary: 'show which accounts and regions GuardDuty covers, gaps first (security account)' },
  release: { run: runRelease, summary: "undo a finding's containment from the audit trail (snapshots and tags stay)" },
  status: { run: runStatus, summary: 'the blast-radius circuit breaker: open circuits and recent containments' },
  actions: { run: runActions, summary: 'list the Security Hub custom actions (runbooks and built-ins)' },
};

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
