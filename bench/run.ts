/**
 * `npm run bench` (`tsx bench/run.ts [--quick|--full] [--only=burst,containment,enablement] [--out=FILE] [--shards=N]`):
 * runs the benchmarks against moto + cordon's emulator behind the fault and
 * latency proxy (moto split over `--shards` processes by account; the full
 * scale uses 3), prints a Markdown table to stdout and writes the JSON
 * report (default bench/results/latest.json). Progress goes to stderr.
 * See the README, "Benchmarks".
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BENCH_SEED, BURST_LATENCY_MS, CONTAINMENT_LATENCY_MS, parseBenchArgs, SQS_BATCH_SIZE, type BenchArgs } from './config';
import { burstRatios, countDuplicates, publishBurst, runQueue } from './burst';
import { measureContainment, type ContainmentRun } from './containment';
import { runEnablement } from './enablement';
import { buildBurst, findingFor } from './findings';
import { buildOrganization, createAuditTable, responderFactory, round1, startHarness } from './harness';
import { markdown, type BenchReport } from './report';
import { guardDutyEvent, type LocalAws } from '../local-aws';
import type { Responder } from '../src/respond/wiring';
import { handleBatch } from '../src/handlers/responder';
import { capturingLogs, consoleTelemetry } from './lambda';

/** Runs the benchmarks `args` selects and returns the report (also used by the smoke test). */
export async function runBenchmarks(args: BenchArgs, progress: (line: string) => void = () => undefined): Promise<BenchReport> {
  const started = performance.now();
  const { scale } = args;
  const harness = await startHarness({ throttle: true, latencyMs: BURST_LATENCY_MS }, scale.motoShards);
  const { local, proxy } = harness;
  const motoPids = local.moto.shards.map((s) => s.pid);
  const motoRequestsByShard = (): readonly number[] => local.moto.requestsByShard();
  const report: { -readonly [K in keyof BenchReport]: BenchReport[K] } = {
    generatedAt: new Date().toISOString(),
    scale: `${scale.name}: burst ${scale.burstFindings} findings over ${scale.burstAccounts} accounts × ${scale.regions.length} regions; baseline ${scale.baselineFindings} findings over ${scale.baselineAccounts} accounts`,
    environment: {
      node: process.version,
      cpus: os.cpus().length,
      platform: `${os.platform()} ${os.arch()}`,
      moto: motoVersion(),
      motoShards: scale.motoShards,
    },
    totalMs: 0,
  };
  try {
    const needsWorld = args.only.has('burst') || args.only.has('containment');
    if (needsWorld) {
      // One account per run: IAM is global, so runs in one account would share the instance role's state.
      const containmentAccounts = 3;
      const accounts = scale.burstAccounts + scale.baselineAccounts + containmentAccounts;
      progress(
        `building ${accounts} accounts × ${scale.regions.length} regions in moto${scale.motoShards > 1 ? ` (${scale.motoShards} processes split by account)` : ''}…`,
      );
      const world = await buildOrganization(local, accounts, scale.regions, progress);
      report.world = {
        accounts,
        regions: scale.regions,
        accountRegions: world.sites.length,
        buildMs: Math.round(world.buildMs),
        buildCalls: world.buildCalls,
        buildCallsPerSecond: round1(world.buildCalls / (world.buildMs / 1000)),
        ...(scale.motoShards > 1 ? { motoRequestsByShard: motoRequestsByShard() } : {}),
      };
      const byAccount = (from: number, count: number) => {
        const ids = new Set(world.memberAccountIds.slice(from, from + count));
        return world.sites.filter((s) => ids.has(s.accountId));
      };
      const burstSites = byAccount(0, scale.burstAccounts);
      const baselineSites = byAccount(scale.burstAccounts, scale.baselineAccounts);
      const containmentSites = byAccount(scale.burstAccounts + scale.baselineAccounts, containmentAccounts);

      if (args.only.has('burst')) {
        await createAuditTable(local, 'cordon-bench-burst');
        await createAuditTable(local, 'cordon-bench-baseline');
        const burst = buildBurst(burstSites, scale.burstFindings, BENCH_SEED);
        publishBurst(local, burst);
        progress(`burst: ${burst.messages.length} messages, ${scale.containers} execution environments × batches of ${SQS_BATCH_SIZE}…`);
        const cordon = await runQueue({
          messages: burst.messages,
          containers: scale.containers,
          batchSize: SQS_BATCH_SIZE,
          newResponder: responderFactory('cordon-bench-burst'),
          freshPerInvocation: false,
          calls: () => proxy.calls(),
          resetCalls: () => proxy.resetCalls(),
          motoPids,
          motoRequestsByShard,
        });
        progress(`  cordon: ${Math.round(cordon.metrics.wallMs / 1000)} s; checking AWS for duplicated containment…`);
        const cordonMetrics = { ...cordon.metrics, duplicates: await countDuplicates(local, world, burstSites) };
        const baseBurst = buildBurst(baselineSites, scale.baselineFindings, BENCH_SEED + 1);
        publishBurst(local, baseBurst);
        progress(`baseline: ${baseBurst.messages.length} messages, one at a time, fresh responder each…`);
        const baseline = await runQueue({
          messages: baseBurst.messages,
          containers: 1,
          batchSize: 1,
          newResponder: responderFactory('cordon-bench-baseline', { CORDON_CONCURRENCY: '1' }),
          freshPerInvocation: true,
          calls: () => proxy.calls(),
          resetCalls: () => proxy.resetCalls(),
          motoPids,
          motoRequestsByShard,
        });
        progress(`  baseline: ${Math.round(baseline.metrics.wallMs / 1000)} s; checking AWS for duplicated containment…`);
        const baselineMetrics = { ...baseline.metrics, duplicates: await countDuplicates(local, world, baselineSites) };
        report.burst = {
          latencyMs: BURST_LATENCY_MS,
          cordon: cordonMetrics,
          baseline: baselineMetrics,
          ratios: burstRatios(cordonMetrics, baselineMetrics),
        };
      }

      if (args.only.has('containment')) {
        await createAuditTable(local, 'cordon-bench-containment');
        proxy.setLatency(CONTAINMENT_LATENCY_MS, 'fixed');
        progress(`time to containment (every call ${CONTAINMENT_LATENCY_MS} ms)…`);
        const firstRegion = containmentSites.filter((s) => s.region === scale.regions[0]);
        const [cold, warm, base] = firstRegion;
        if (!cold || !warm || !base) throw new Error('time to containment needs 3 accounts');
        const factory = responderFactory('cordon-bench-containment');
        const runs: ContainmentRun[] = [];
        const common = { local, latencyMs: CONTAINMENT_LATENCY_MS, calls: () => proxy.calls(), resetCalls: () => proxy.resetCalls() };
        // The process runs cordon's code once first: without it, the process's one-time start-up work on first use of
        // some SDK clients' code (about 200 ms of CPU here) lands in the cold run and counts as a round trip at this
        // latency. A throwaway responder contains the same finding in another region of the warm account; the measured
        // cold environment still has no credentials, clients or quarantine groups of its own.
        const spare = containmentSites.find((s) => s.accountId === warm.accountId && s.region !== warm.region);
        if (!spare) throw new Error('time to containment needs a second region for the warm-up of the process');
        const processWarmUp = factory();
        await containOnce(local, processWarmUp, findingFor('ec2-compromise', spare, 0), 'process-warm-up');
        processWarmUp.close();
        const coldResponder = factory();
        runs.push(await measureContainment({ ...common, label: 'cordon, cold environment', site: cold, responder: coldResponder }));
        coldResponder.close();
        const warmResponder = factory();
        // Warm-up: another instance of the same VPC contained (credentials and clients cached, the VPC's quarantine groups made).
        await containOnce(local, warmResponder, findingFor('ec2-compromise', { ...warm, compromised: warm.attacked }, 1), 'warm-up');
        runs.push(await measureContainment({ ...common, label: 'cordon, warm environment', site: warm, responder: warmResponder }));
        warmResponder.close();
        const baseResponder = responderFactory('cordon-bench-containment', { CORDON_CONCURRENCY: '1' })();
        runs.push(
          await measureContainment({ ...common, label: 'baseline (fresh responder, concurrency 1)', site: base, responder: baseResponder }),
        );
        baseResponder.close();
        proxy.setLatency(BURST_LATENCY_MS);
        const [c0, c1, c2] = runs as [ContainmentRun, ContainmentRun, ContainmentRun];
        report.containment = {
          latencyMs: CONTAINMENT_LATENCY_MS,
          runs,
          ratios: {
            'baseline/cordon-warm round trips to isolation': Math.round((c2.roundTripsToIsolation / c1.roundTripsToIsolation) * 100) / 100,
            'baseline/cordon-warm round trips to containment':
              Math.round((c2.roundTripsToContainment / c1.roundTripsToContainment) * 100) / 100,
            'baseline/cordon-warm time to containment': Math.round((c2.containedMs / c1.containedMs) * 100) / 100,
            'baseline/cordon-cold time to containment': Math.round((c2.containedMs / c0.containedMs) * 100) / 100,
          },
        };
      }
    }
  } finally {
    await harness.stop();
  }
  if (args.only.has('enablement')) {
    // Organizations of their own, in fresh emulators: the burst's world has GuardDuty administration seeded.
    report.enablement = await runEnablement({
      accounts: scale.enableAccounts,
      regions: scale.enableRegions,
      baselineAccounts: scale.enableBaselineAccounts,
      latencyMs: BURST_LATENCY_MS,
      progress,
    });
  }
  report.totalMs = Math.round(performance.now() - started);
  return report;
}

function motoVersion(): string {
  try {
    return execFileSync('python3', ['-c', 'import moto;print(moto.__version__)'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const report = await runBenchmarks(args, (line) => process.stderr.write(`${line}\n`));
  fs.mkdirSync(path.dirname(args.out), { recursive: true });
  fs.writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${markdown(report)}\n`);
  process.stderr.write(`JSON report: ${args.out}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}

/** Publishes `finding` and has `responder` handle it once, unmeasured. */
async function containOnce(local: LocalAws, responder: Responder, finding: Record<string, unknown>, messageId: string): Promise<void> {
  local.emulator.publishGuardDutyFinding(finding);
  await capturingLogs(() =>
    handleBatch({ Records: [{ messageId, body: JSON.stringify(guardDutyEvent(finding)) }] }, responder, consoleTelemetry()),
  );
}
