import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ACTIONS_LIST_COMMAND,
  COVERAGE_COMMAND,
  DOCTOR_COMMAND,
  ENABLE_COMMAND,
  HISTORY_COMMAND,
  INTEL_COMMANDS,
  RELEASE_COMMAND,
  RESPOND_COMMAND,
  RUNBOOKS_COMMANDS,
  STATUS_COMMAND,
} from './commands';
import type { CliIo } from './io';
import { usageLine, type CommandSpec } from './options';

/** A CLI command: parses its own arguments, returns the exit code. */
type Command = (argv: string[], io: CliIo) => Promise<number>;

/* eslint-disable @typescript-eslint/no-require-imports -- a command's module is loaded when it runs, with CommonJS `require`
   (the build's module format): tsx's require hook, which runs the sources in a checkout, does not see `import()`. */
/** Every `cordon <command>`: how it runs, a one-line description for `cordon help`, and its (sub)commands' declarations. */
const COMMANDS: Record<string, { run: Command; summary: string; specs: readonly CommandSpec[] }> = {
  // Each command's implementation (and the AWS SDK) is loaded only when it runs: `cordon --help` starts fast.
  respond: {
    run: (a, io) => (require('./respond') as typeof import('./respond')).runRespond(a, io),
    summary: RESPOND_COMMAND.summary,
    specs: [RESPOND_COMMAND],
  },
  runbooks: {
    run: (a, io) => (require('./runbooks') as typeof import('./runbooks')).runRunbooks(a, io),
    summary: 'validate runbooks, or explain which runbook a finding gets and why',
    specs: RUNBOOKS_COMMANDS,
  },
  enable: {
    run: (a, io) => (require('./enable') as typeof import('./enable')).runEnable(a, io),
    summary: ENABLE_COMMAND.summary,
    specs: [ENABLE_COMMAND],
  },
  coverage: {
    run: (a, io) => (require('./coverage') as typeof import('./coverage')).runCoverage(a, io),
    summary: COVERAGE_COMMAND.summary,
    specs: [COVERAGE_COMMAND],
  },
  doctor: {
    run: (a, io) => (require('./doctor') as typeof import('./doctor')).runDoctor(a, io),
    summary: DOCTOR_COMMAND.summary,
    specs: [DOCTOR_COMMAND],
  },
  release: {
    run: (a, io) => (require('./release') as typeof import('./release')).runRelease(a, io),
    summary: RELEASE_COMMAND.summary,
    specs: [RELEASE_COMMAND],
  },
  status: {
    run: (a, io) => (require('./status') as typeof import('./status')).runStatus(a, io),
    summary: STATUS_COMMAND.summary,
    specs: [STATUS_COMMAND],
  },
  history: {
    run: (a, io) => (require('./history') as typeof import('./history')).runHistory(a, io),
    summary: HISTORY_COMMAND.summary,
    specs: [HISTORY_COMMAND],
  },
  intel: {
    run: (a, io) => (require('./intel') as typeof import('./intel')).runIntel(a, io),
    summary: "cordon's threat and trusted lists in GuardDuty: list, add, remove, sync",
    specs: INTEL_COMMANDS,
  },
  actions: {
    run: (a, io) => (require('./actions') as typeof import('./actions')).runActions(a, io),
    summary: 'list the Security Hub custom actions (runbooks and built-ins)',
    specs: [ACTIONS_LIST_COMMAND],
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The usage line of every command and subcommand (the README's Usage lists them). */
export function usageLines(): string[] {
  return Object.values(COMMANDS).flatMap((c) => c.specs.map(usageLine));
}

/** cordon's version: package.json's, two folders up from this file in the sources (src/cli) and in the build (dist/cli). */
export function cordonVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
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
    "Run `npx cordon <command> --help` for a command's options, `npx cordon --version` for the version.",
  ].join('\n');
}

/** Entry point of `npx cordon`. */
export async function main(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, stdin: process.stdin },
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    io.stdout.write(`cordon ${cordonVersion()}\n`);
    return EXIT.ok;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    io.stdout.write(`${usage()}\n`);
    return EXIT.ok;
  }
  // No command is a usage error: the usage goes to standard error.
  if (!name) {
    io.stderr.write(`${usage()}\n`);
    return EXIT.usage;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`cordon: unknown command "${name}"\n\n${usage()}\n`);
    return EXIT.usage;
  }
  return command.run(rest, io);
}
