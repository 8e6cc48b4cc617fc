import type { CliIo } from './io';
import { runRespond } from './respond';
import { runRunbooks } from './runbooks';

/** A CLI command: parses its own arguments, returns the exit code. */
type Command = (argv: string[], io: CliIo) => Promise<number>;

/** Every `cordon <command>`, with a one-line description for `cordon help`. */
const COMMANDS: Record<string, { run: Command; summary: string }> = {
  respond: { run: runRespond, summary: 'contain the resources of GuardDuty findings (events or findings as JSON)' },
  runbooks: { run: runRunbooks, summary: 'validate runbooks, or explain which runbook a finding gets and why' },
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
    'Run `npx cordon <command> --help` for a command\'s options.',
  ].join('\n');
}

/** Entry point of `npx cordon`. */
export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
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
