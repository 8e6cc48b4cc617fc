/**
 * The moto_server child process: find a free loopback port, spawn it, wait
 * until it answers, and stop it (also when the Node process exits), leaving
 * no process behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import * as path from 'node:path';

import { MotoMissingError, MotoStartError } from './errors';

/** The folder whose sitecustomize.py fixes moto's defects (and two of its slownesses) in the moto_server child. */
const MOTO_PATCHES_DIR = path.join(__dirname, 'moto-patches');

/** How long to wait for moto_server to answer after spawning it. */
export const MOTO_START_TIMEOUT_MS = 20_000;
const POLL_INTERVAL_MS = 100;
const STOP_GRACE_MS = 3_000;

/** A running moto_server. */
export interface MotoProcess {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  /** Kill moto and wait for it to exit. Idempotent. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function ping(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${endpoint}/moto-api/`, { method: 'GET', timeout: 1_000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 500);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Spawn `moto_server -H 127.0.0.1 -p <free port>` and wait until `/moto-api/`
 * answers. AWS managed policies are loaded unless `awsManagedPolicies` is
 * false: moto then builds them for every account and partition it looks at
 * (about 0.6 s an account), which organizations of dozens of accounts that
 * never attach one may skip. Throws MotoMissingError when moto_server is not installed and
 * MotoStartError when it does not come up within MOTO_START_TIMEOUT_MS.
 */
export async function startMoto(
  log: (line: string) => void = () => undefined,
  options: { readonly awsManagedPolicies?: boolean } = {},
): Promise<MotoProcess> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    detached: false,
    stdio: ['ignore', 'pipe', 'pipe'],
    // AWS managed policies exist in every AWS account (cordon attaches AWSDenyAll); moto loads them only when asked.
    env: {
      ...process.env,
      PYTHONUNBUFFERED: '1',
      // Fixes to moto's own defects and slownesses (moto-patches/sitecustomize.py), loaded before moto_server starts.
      PYTHONPATH: [MOTO_PATCHES_DIR, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
      ...(options.awsManagedPolicies === false ? {} : { MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' }),
    },
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    if (output.length < 20_000) output += text;
    for (const line of text.split('\n')) if (line.trim() !== '') log(`[moto] ${line}`);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = waitForExit(child);
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };

  const spawnError = new Promise<Error>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      resolve(
        err.code === 'ENOENT'
          ? new MotoMissingError('moto_server is not on PATH', { cause: err })
          : new MotoStartError(`cannot spawn moto_server: ${err.message}`, { cause: err }),
      );
    });
    child.once('exit', (code, signal) => {
      // 127: a shell or pyenv shim found no moto_server for the active Python.
      resolve(
        code === 127 || /command not found|No module named/.test(output)
          ? new MotoMissingError(`moto_server exited with code ${code ?? signal ?? '?'}: ${output.trim().slice(0, 500)}`)
          : new MotoStartError(`moto_server exited before answering (code ${code ?? signal ?? '?'}): ${output.trim().slice(0, 2_000)}`),
      );
    });
  });

  const deadline = Date.now() + MOTO_START_TIMEOUT_MS;
  let failure: Error | undefined;
  void spawnError.then((err) => {
    failure = err;
  });
  while (Date.now() < deadline) {
    if (failure) {
      await stop();
      throw failure;
    }
    if (await ping(endpoint)) {
      log(`moto_server ${child.pid ?? '?'} listening on ${endpoint}`);
      return { endpoint, port, pid: child.pid ?? -1, stop };
    }
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }
  await stop();
  throw new MotoStartError(
    `moto_server did not answer on ${endpoint}/moto-api/ within ${MOTO_START_TIMEOUT_MS / 1000} s. Its output:\n${output.trim().slice(0, 2_000)}`,
  );
}
