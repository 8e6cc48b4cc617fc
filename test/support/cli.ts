import { Writable } from 'node:stream';
import { main } from '../../src/cli/main';

/** What a CLI run printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON lines (for `--json`). */
  readonly lines: Array<Record<string, unknown>>;
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** Runs `cordon <args>` in this process (AWS endpoints come from process.env, as for the real CLI). */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const out = sink();
  const err = sink();
  const code = await main(args, { stdout: out.stream, stderr: err.stream, env: { ...process.env, ...env } });
  const stdout = out.text();
  const lines = args.includes('--json')
    ? stdout
        .split('\n')
        .filter((l) => l.trim().startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];
  return { code, stdout, stderr: err.text(), lines };
}
