import { main, usageLines } from '../../../src/cli/main';
import type { CliIo } from '../../../src/cli/io';
import { runCli } from '../../support/cli';
import { Writable } from 'node:stream';

/** The CLI's top-level conventions: --version, --help everywhere, usage errors on standard error. */
describe('cordon CLI conventions (src/cli/main.ts)', () => {
  it('prints its version (package.json) with --version', async () => {
    // Act
    const run = await runCli(['--version']);
    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^cordon \d+\.\d+\.\d+\n$/);
  });

  it('prints usage on standard output for --help (exit 0) and on standard error without a command (exit 2)', async () => {
    // Act
    const help = await runCli(['--help']);
    const none = await runCli([]);
    const unknown = await runCli(['contain']);
    // Assess
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toContain('usage: npx cordon <command> [options]');
    expect(none).toMatchObject({ code: 2, stdout: '' });
    expect(none.stderr).toContain('usage: npx cordon <command> [options]');
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toContain('unknown command "contain"');
  });

  it('answers --help on every command and subcommand, on standard output, with exit 0', async () => {
    // Prepare: every command line the README lists, by its words before the first option.
    const commands = usageLines().map((line) =>
      line
        .replace(/^npx cordon /, '')
        .split(' ')
        .filter((w) => /^[a-z]+$/.test(w)),
    );
    expect(commands.length).toBeGreaterThanOrEqual(9);
    for (const words of commands) {
      // Act
      const run = await runCli([...words, '--help']);
      // Assess
      expect({ words, code: run.code, stderr: run.stderr }).toEqual({ words, code: 0, stderr: '' });
      expect(run.stdout).toContain(`npx cordon ${words.join(' ')}`);
    }
  });

  it('sends a subcommand group called without its subcommand to standard error with exit 2', async () => {
    for (const group of ['runbooks', 'actions']) {
      // Act
      const run = await runCli([group]);
      // Assess
      expect({ group, code: run.code, stdout: run.stdout }).toEqual({ group, code: 2, stdout: '' });
      expect(run.stderr).toContain(`npx cordon ${group}`);
    }
  });

  it('prints the usage of respond instead of waiting when standard input is a terminal', async () => {
    // Prepare
    const out: string[] = [];
    const err: string[] = [];
    const sink = (to: string[]): Writable => new Writable({ write: (chunk: Buffer, _e, cb) => (to.push(String(chunk)), cb()) });
    const io: CliIo = { stdout: sink(out), stderr: sink(err), env: { ...process.env }, stdin: { isTTY: true } };
    // Act
    const code = await main(['respond', '--json'], io);
    // Assess
    expect(code).toBe(2);
    expect(out.join('')).toBe('');
    expect(err.join('')).toContain('no input (standard input is a terminal)');
    expect(err.join('')).toContain('usage: npx cordon respond [FILE|-]');
  });
});
