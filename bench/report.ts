/**
 * The benchmark report: one JSON document (bench/results/latest.json) and a
 * Markdown table on stdout, both from the same measured numbers.
 */
import type { BurstMetrics } from './burst';
import type { ContainmentRun } from './containment';
import type { EnablementReport } from './enablement';

/** Everything one `npm run bench` measured. */
export interface BenchReport {
  readonly generatedAt: string;
  readonly scale: string;
  readonly environment: {
    readonly node: string;
    readonly cpus: number;
    readonly platform: string;
    readonly moto: string;
    /** moto_server processes the burst's world was split over by account (1: one moto). */
    readonly motoShards?: number;
  };
  readonly world?: {
    readonly accounts: number;
    readonly regions: readonly string[];
    readonly accountRegions: number;
    readonly buildMs: number;
    readonly buildCalls: number;
    readonly buildCallsPerSecond: number;
    /** Requests each moto shard served while the world was built (shard 0 first; absent with one moto). */
    readonly motoRequestsByShard?: readonly number[];
  };
  readonly burst?: {
    readonly latencyMs: number;
    readonly cordon: BurstMetrics;
    readonly baseline: BurstMetrics;
    readonly ratios: Readonly<Record<string, number>>;
  };
  readonly containment?: {
    readonly latencyMs: number;
    readonly runs: readonly ContainmentRun[];
    readonly ratios: Readonly<Record<string, number>>;
  };
  readonly enablement?: EnablementReport;
  readonly totalMs: number;
}

const fmt = (n: number | undefined): string =>
  n === undefined ? '–' : Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 2 });
const ratio = (a: number, b: number): string => (b === 0 ? '–' : `${fmt(Math.round((a / b) * 100) / 100)}×`);

/** The Markdown tables. */
export function markdown(report: BenchReport): string {
  const out: string[] = [];
  out.push(`### cordon benchmarks (${report.scale}, ${report.generatedAt})`, '');
  out.push(
    `Node ${report.environment.node}, ${report.environment.cpus} CPUs, moto ${report.environment.moto}${(report.environment.motoShards ?? 1) > 1 ? ` (${report.environment.motoShards} processes, split by account)` : ''}. Total ${fmt(Math.round(report.totalMs / 1000))} s.`,
    '',
  );
  if (report.world) {
    const w = report.world;
    out.push(
      `World: ${fmt(w.accounts)} member accounts × ${w.regions.length} regions (${fmt(w.accountRegions)} account-regions) built in moto in ${fmt(Math.round(w.buildMs / 1000))} s (${fmt(w.buildCalls)} calls, ${fmt(w.buildCallsPerSecond)} calls/s).`,
      '',
    );
  }
  if (report.burst) {
    const { cordon: c, baseline: b } = report.burst;
    const pf = (m: BurstMetrics, v: number): number => Math.round((v / m.findings) * 100) / 100;
    out.push(`#### 1. Burst (${report.burst.latencyMs} ms latency per call, AWS throttling enforced)`, '');
    out.push('| metric | cordon (Lambda, SQS batches) | baseline (sequential, no caches) | cordon / baseline |', '|---|---|---|---|');
    const row = (name: string, cv: string, bv: string, r = ''): void => {
      out.push(`| ${name} | ${cv} | ${bv} | ${r} |`);
    };
    row(
      'findings (messages) / unique findings',
      `${fmt(c.findings)} / ${fmt(c.uniqueFindings)}`,
      `${fmt(b.findings)} / ${fmt(b.uniqueFindings)}`,
    );
    row('account-regions acted in', fmt(c.accountRegions), fmt(b.accountRegions));
    row(
      'execution environments × batch size',
      `${c.containers} × ${c.batchSize}`,
      `${b.containers} × ${b.batchSize} (fresh responder per finding)`,
    );
    row('invocations / cold starts', `${fmt(c.invocations)} / ${fmt(c.coldStarts)}`, `${fmt(b.invocations)} / ${fmt(b.coldStarts)}`);
    row('wall time', `${fmt(Math.round(c.wallMs / 100) / 10)} s`, `${fmt(Math.round(b.wallMs / 100) / 10)} s`);
    row('findings per second', fmt(c.findingsPerSecond), fmt(b.findingsPerSecond), ratio(c.findingsPerSecond, b.findingsPerSecond));
    row(
      'API calls per finding (all attempts)',
      fmt(c.calls.perFinding),
      fmt(b.calls.perFinding),
      ratio(c.calls.perFinding, b.calls.perFinding),
    );
    const services = [...new Set([...Object.keys(c.calls.perFindingByService), ...Object.keys(b.calls.perFindingByService)])].sort();
    for (const s of services)
      row(
        `  ${s} calls per finding`,
        fmt(c.calls.perFindingByService[s] ?? 0),
        fmt(b.calls.perFindingByService[s] ?? 0),
        ratio(c.calls.perFindingByService[s] ?? 0, b.calls.perFindingByService[s] ?? 0),
      );
    row(
      'AssumeRole calls (target: 1 per account-region and execution environment)',
      `${fmt(c.assumeRole.calls)} (target ${fmt(c.assumeRole.target)}: ${fmt(c.assumeRole.perEnvironmentAccountRegion)} per account-region per environment; ${fmt(c.assumeRole.perAccountRegion)} per account-region over ${fmt(c.assumeRole.accountRegions)})`,
      `${fmt(b.assumeRole.calls)} (${fmt(b.assumeRole.perAccountRegion)} per account-region)`,
      ratio(pf(c, c.assumeRole.calls), pf(b, b.assumeRole.calls)) + ' per finding',
    );
    row(
      'Security Hub BatchUpdateFindings (target: ⌈findings/100⌉ per region)',
      `${fmt(c.securityHub.batchUpdateFindings)} (target ${fmt(c.securityHub.target)})`,
      `${fmt(b.securityHub.batchUpdateFindings)} (target ${fmt(b.securityHub.target)})`,
      ratio(pf(c, c.securityHub.batchUpdateFindings), pf(b, b.securityHub.batchUpdateFindings)) + ' per finding',
    );
    row(
      'throttled answers',
      describeCounts(c.throttled.total, c.throttled.byService),
      describeCounts(b.throttled.total, b.throttled.byService),
    );
    row('SDK retries (attempt > 1)', fmt(c.retries), fmt(b.retries));
    row('outcomes (last delivery of each message)', describeOutcomes(c.outcomes), describeOutcomes(b.outcomes));
    row('Security Hub write-back status', describeOutcomes(c.securityHubStatus), describeOutcomes(b.securityHubStatus));
    row(
      'SQS redeliveries / dead-lettered',
      `${fmt(c.redeliveries)} / ${fmt(c.deadLettered)}`,
      `${fmt(b.redeliveries)} / ${fmt(b.deadLettered)}`,
    );
    const reasons = (m: typeof c): string =>
      Object.entries(m.failureReasons ?? {})
        .map(([why, k]) => `${fmt(k)} × ${why}`)
        .join('; ') || 'none';
    row('failed deliveries: why', reasons(c), reasons(b));
    if (c.duplicates && b.duplicates) {
      row(
        'snapshots (duplicates)',
        `${fmt(c.duplicates.snapshots)} (${fmt(c.duplicates.duplicateSnapshots)})`,
        `${fmt(b.duplicates.snapshots)} (${fmt(b.duplicates.duplicateSnapshots)})`,
      );
      row(
        'NACL deny rules (duplicates)',
        `${fmt(c.duplicates.naclDenyRules)} (${fmt(c.duplicates.duplicateNaclRules)})`,
        `${fmt(b.duplicates.naclDenyRules)} (${fmt(b.duplicates.duplicateNaclRules)})`,
      );
    }
    row(
      'peak RSS / heap of the process (MB)',
      `${fmt(c.memory.peakRssMb)} / ${fmt(c.memory.peakHeapMb)}`,
      `${fmt(b.memory.peakRssMb)} / ${fmt(b.memory.peakHeapMb)}`,
    );
    if (c.memory.motoPeakRssMb !== undefined || b.memory.motoPeakRssMb !== undefined)
      row(
        'peak RSS of the moto processes, summed (per process) (MB)',
        `${fmt(c.memory.motoPeakRssMb)} (${(c.memory.motoPeakRssMbByShard ?? []).map(fmt).join(' / ')})`,
        `${fmt(b.memory.motoPeakRssMb)} (${(b.memory.motoPeakRssMbByShard ?? []).map(fmt).join(' / ')})`,
      );
    if (c.motoRequestsByShard || b.motoRequestsByShard)
      row(
        'moto requests by shard (shard 0: security account, Organizations)',
        (c.motoRequestsByShard ?? []).map(fmt).join(' / '),
        (b.motoRequestsByShard ?? []).map(fmt).join(' / '),
      );
    out.push('');
  }
  if (report.containment) {
    out.push(`#### 2. Time to containment of one finding (every call ${report.containment.latencyMs} ms, moto's time included)`, '');
    out.push(
      '| run | outcome | calls | sequential round trips (to isolation / to containment / whole handler) | peak parallel calls | calls slower than the latency | contained after | handler time |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const r of report.containment.runs) {
      out.push(
        `| ${r.label} | ${r.outcome} | ${r.calls} | ${r.roundTripsToIsolation} / ${r.roundTripsToContainment} / ${r.sequentialRoundTrips} | ${r.peakParallelCalls} | ${r.callsOverLatency} | ${fmt(r.containedMs)} ms | ${fmt(r.handlerMs)} ms |`,
      );
    }
    out.push('');
    for (const r of report.containment.runs) {
      out.push(`- ${r.label} critical path to isolation: ${r.chainToIsolation.join(' → ')}`);
      out.push(`- ${r.label} critical path: ${r.chain.join(' → ')}`);
    }
    out.push(
      '',
      `Ratios: ${Object.entries(report.containment.ratios)
        .map(([k, v]) => `${k} ${fmt(v)}×`)
        .join(', ')}`,
      '',
    );
  }
  if (report.enablement) {
    const e = report.enablement;
    out.push(
      `#### 3. Enablement (${e.latencyMs} ms latency per call, AWS throttling enforced; organization built in ${fmt(Math.round(e.buildMs / 1000))} s)`,
      '',
    );
    out.push(
      '| run | accounts × regions | concurrency / accounts per CreateMembers | wall time | ms per account×region | calls (mutating) | calls per account×region | CreateMembers per region (GuardDuty / Security Hub) | AssumeRole | throttled / retries | covered | nothing to change |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const r of [e.cordon, e.second, e.baseline]) {
      out.push(
        `| ${r.label} | ${fmt(r.accounts)} × ${r.regions} | ${r.concurrency} / ${r.membersPerCall} | ${fmt(Math.round(r.wallMs / 100) / 10)} s | ${fmt(r.msPerAccountRegion)} | ${fmt(r.calls.total)} (${fmt(r.calls.mutating)}) | ${fmt(r.calls.perAccountRegion)} | ${fmt(r.createMembersPerRegion.guardduty)} / ${fmt(r.createMembersPerRegion.securityhub)} | ${fmt(r.assumeRole)} | ${fmt(r.throttled)} / ${fmt(r.retries)} | ${fmt(r.coveredAccountRegions)}/${fmt(r.accountRegions)}${r.covered ? '' : ' (gaps)'} | ${r.nothingToChange ? 'yes' : 'no'} |`,
      );
    }
    out.push(
      '',
      `Ratios: ${Object.entries(e.ratios)
        .map(([k, v]) => `${k} ${fmt(v)}×`)
        .join(', ')}`,
      '',
    );
  }
  return out.join('\n');
}

function describeCounts(total: number, by: Readonly<Record<string, number>>): string {
  const parts = Object.entries(by).map(([k, v]) => `${k} ${fmt(v)}`);
  return parts.length > 0 ? `${fmt(total)} (${parts.join(', ')})` : fmt(total);
}

function describeOutcomes(by: Readonly<Record<string, number>>): string {
  const parts = Object.entries(by)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${fmt(v)}`);
  return parts.length > 0 ? parts.join(', ') : '–';
}
