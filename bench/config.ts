/**
 * Benchmark sizes. `full` is the burst (5,000 findings over 200
 * accounts × 4 regions); `standard` (the default of `npm run bench`) keeps
 * its shape (4 regions, about 6 findings per account and region, the same mix
 * of families, duplicates and re-published findings) at a fifth of the
 * accounts, because moto answers about 70 calls a second on this machine and
 * the full burst needs about 75,000 calls; `quick` is a smoke test.
 */

import { DEFAULT_BATCH_SIZE, MAX_RECEIVE_COUNT } from '../stacks/config';

/** One benchmark size. */
export interface BenchScale {
  readonly name: 'quick' | 'standard' | 'full';
  readonly regions: readonly string[];
  /** Member accounts the burst's findings are about. */
  readonly burstAccounts: number;
  readonly burstFindings: number;
  /** Separate accounts for the sequential baseline (it must find the resources uncontained). */
  readonly baselineAccounts: number;
  readonly baselineFindings: number;
  /** Concurrent Lambda execution environments draining the queue (the SQS event source starts with 5). */
  readonly containers: number;
  /** Accounts and regions of the enablement benchmark. */
  readonly enableAccounts: number;
  readonly enableRegions: number;
  /** Accounts of the enablement baseline (same regions; compared per account×region). */
  readonly enableBaselineAccounts: number;
  /**
   * moto_server processes of the burst and containment world (`--shards=N`
   * overrides): one Python process serves about 70 calls a second on one core
   * and slows as its world grows, so the full burst spreads the member
   * accounts over several (see local-aws/emulator/moto-shards.ts).
   */
  readonly motoShards: number;
}

const FOUR_REGIONS = ['us-east-1', 'eu-west-1', 'us-west-2', 'ap-southeast-2'] as const;

/** The sizes by name. */
export const SCALES: Readonly<Record<BenchScale['name'], BenchScale>> = {
  quick: {
    name: 'quick',
    regions: ['us-east-1', 'eu-west-1'],
    burstAccounts: 2,
    burstFindings: 24,
    baselineAccounts: 1,
    baselineFindings: 10,
    containers: 2,
    enableAccounts: 10,
    enableRegions: 2,
    enableBaselineAccounts: 5,
    motoShards: 1,
  },
  standard: {
    name: 'standard',
    regions: FOUR_REGIONS,
    burstAccounts: 40,
    burstFindings: 1_000,
    baselineAccounts: 4,
    baselineFindings: 100,
    containers: 5,
    enableAccounts: 1_000,
    enableRegions: 17,
    enableBaselineAccounts: 50,
    motoShards: 1,
  },
  full: {
    name: 'full',
    regions: FOUR_REGIONS,
    burstAccounts: 200,
    burstFindings: 5_000,
    baselineAccounts: 10,
    baselineFindings: 250,
    containers: 5,
    enableAccounts: 1_000,
    enableRegions: 17,
    enableBaselineAccounts: 100,
    motoShards: 3,
  },
};

/**
 * Messages per invocation: the responder stack's event source default (Lambda
 * gathers up to this many from the queue within its batching window), so
 * the benchmark drives the handler as the deployed code is driven.
 */
export const SQS_BATCH_SIZE = DEFAULT_BATCH_SIZE;
/** The responder queue's redrive policy, as the stack sets it. */
export { MAX_RECEIVE_COUNT };
/** Latency added to every call in the burst (a same-region AWS API round trip). */
export const BURST_LATENCY_MS = 20;
/**
 * Time of every call in the time-to-containment benchmark, applied as a
 * fixed latency (the proxy answers this long after the call arrived, moto's
 * own time included): round trips are counted from the proxy's timestamps,
 * which is exact only when every call takes the same time, and moto takes up
 * to about 200 ms when a dozen calls arrive at once. The report counts the
 * calls moto answered later than this (0 makes the count exact).
 */
export const CONTAINMENT_LATENCY_MS = 300;
/** Seed of the findings' order and mix. */
export const BENCH_SEED = 20261124;

/** Command-line options of `npm run bench`. */
export interface BenchArgs {
  readonly scale: BenchScale;
  readonly only: ReadonlySet<'burst' | 'containment' | 'enablement'>;
  readonly out: string;
}

/** Parses `--quick`, `--full`, `--only=burst,containment,enablement`, `--out=FILE`, `--shards=N` (and BENCH_SCALE). */
export function parseBenchArgs(argv: readonly string[], env: NodeJS.ProcessEnv): BenchArgs {
  let name: BenchScale['name'] = 'standard';
  const fromEnv = env.BENCH_SCALE;
  if (fromEnv) {
    if (fromEnv !== 'quick' && fromEnv !== 'standard' && fromEnv !== 'full')
      throw new Error(`BENCH_SCALE must be quick, standard or full, got "${fromEnv}"`);
    name = fromEnv;
  }
  let only: Set<'burst' | 'containment' | 'enablement'> = new Set(['burst', 'containment', 'enablement']);
  let out = 'bench/results/latest.json';
  let shards: number | undefined;
  for (const arg of argv) {
    if (arg === '--quick') name = 'quick';
    else if (arg === '--full') name = 'full';
    else if (arg.startsWith('--only=')) {
      const parts = arg.slice('--only='.length).split(',');
      const bad = parts.filter((p) => p !== 'burst' && p !== 'containment' && p !== 'enablement');
      if (bad.length > 0) throw new Error(`--only takes burst, containment and/or enablement, got "${bad.join(',')}"`);
      only = new Set(parts as Array<'burst' | 'containment' | 'enablement'>);
    } else if (arg.startsWith('--out=')) out = arg.slice('--out='.length);
    else if (arg.startsWith('--shards=')) {
      shards = Number(arg.slice('--shards='.length));
      if (!Number.isInteger(shards) || shards < 1 || shards > 64)
        throw new Error(`--shards takes a whole number of moto processes from 1 to 64, got "${arg}"`);
    } else
      throw new Error(`unknown argument "${arg}" (expected --quick, --full, --only=burst,containment,enablement, --out=FILE, --shards=N)`);
  }
  const scale = SCALES[name];
  return { scale: shards === undefined ? scale : { ...scale, motoShards: shards }, only, out };
}
