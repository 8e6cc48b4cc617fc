/**
 * Benchmark 1, the burst: thousands of findings across many accounts and
 * regions through the Lambda handler, as SQS batches of 10 drained by
 * several execution environments, against AWS's throttling; and its
 * sequential baseline in the same run (one finding per invocation, a fresh
 * responder each time, concurrency 1: no credentials cache, no client reuse,
 * no batching, one Security Hub write per finding, as the GDPatrol Lambda).
 */
import { DescribeNetworkAclsCommand, DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import * as http from 'node:http';
import pLimit from 'p-limit';
import { type LocalAws, summarize, type ProxyCall } from '../local-aws';
import { MAX_RECEIVE_COUNT } from './config';
import { MAX_FINDINGS_PER_UPDATE } from '../src/securityhub/writer';
import type { BenchMessage, Burst } from './findings';
import { round1, round2, withMemory } from './harness';
import { drainQueue, outcomeOf, type QueueRun, type ResultOutcome } from './lambda';
import type { Responder } from '../src/respond/wiring';
import type { BenchSite, BenchWorld } from './world';

/** The measured numbers of one run of a queue (cordon or baseline). */
export interface BurstMetrics {
  readonly findings: number;
  readonly uniqueFindings: number;
  readonly accountRegions: number;
  readonly regions: number;
  readonly containers: number;
  readonly batchSize: number;
  readonly invocations: number;
  readonly coldStarts: number;
  readonly wallMs: number;
  readonly findingsPerSecond: number;
  readonly calls: {
    readonly total: number;
    readonly firstAttempts: number;
    readonly perFinding: number;
    readonly byService: Readonly<Record<string, number>>;
    readonly perFindingByService: Readonly<Record<string, number>>;
    /** Every call by `service:Operation`, most frequent first: where the calls per finding go. */
    readonly byOperation: Readonly<Record<string, number>>;
    /** DynamoDB calls (audit trail, leases, circuit breaker) per finding (target ≤ 2). */
    readonly dynamoDbPerFinding: number;
  };
  /**
   * `target`: one per account-region each execution environment acted in
   * (environments cannot share credentials); `accountRegions` is the
   * organization-wide count the issue names, reached only with one environment.
   */
  readonly assumeRole: {
    readonly calls: number;
    readonly target: number;
    readonly accountRegions: number;
    readonly perAccountRegion: number;
    readonly perEnvironmentAccountRegion: number;
  };
  readonly securityHub: {
    readonly batchUpdateFindings: number;
    readonly target: number;
    readonly targetByRegion: Readonly<Record<string, number>>;
    readonly byRegion: Readonly<Record<string, number>>;
  };
  readonly throttled: { readonly total: number; readonly byService: Readonly<Record<string, number>> };
  readonly retries: number;
  readonly outcomes: Readonly<Record<ResultOutcome | 'lost' | 'dead-lettered', number>>;
  readonly securityHubStatus: Readonly<Record<string, number>>;
  readonly redeliveries: number;
  /** Why deliveries failed (and were received again): failed action and its detail, ids masked → deliveries. */
  readonly failureReasons: Readonly<Record<string, number>>;
  readonly deadLettered: number;
  /**
   * This (Node) process's peak RSS and heap while the queue drained; the
   * moto_server processes' peak summed RSS and each one's peak (shard 0
   * first), where they could be read; and this process's peak RSS since it
   * started (`maxRssMbSinceStart`, the world build included).
   */
  readonly memory: {
    readonly peakRssMb: number;
    readonly peakHeapMb: number;
    readonly maxRssMbSinceStart?: number;
    readonly motoPeakRssMb?: number;
    readonly motoPeakRssMbByShard?: readonly number[];
  };
  /** Requests each moto shard served during the run (shard 0 first; absent with one moto). */
  readonly motoRequestsByShard?: readonly number[];
  readonly duplicates?: {
    readonly sitesChecked: number;
    readonly snapshots: number;
    readonly duplicateSnapshots: number;
    readonly naclDenyRules: number;
    readonly duplicateNaclRules: number;
  };
}

/**
 * Drains `messages` with `containers` environments and measures it from the
 * proxy's call log and the handler's logs.
 */
export async function runQueue(options: {
  readonly messages: readonly BenchMessage[];
  readonly containers: number;
  readonly batchSize: number;
  readonly newResponder: () => Responder;
  readonly freshPerInvocation: boolean;
  readonly calls: () => readonly ProxyCall[];
  readonly resetCalls: () => void;
  /** The moto_server processes, for their memory. */
  readonly motoPids?: readonly number[];
  /** Requests served by each moto shard so far. */
  readonly motoRequestsByShard?: () => readonly number[];
}): Promise<{ run: QueueRun; metrics: BurstMetrics }> {
  options.resetCalls();
  const requestsBefore = options.motoRequestsByShard?.() ?? [];
  const measured = await withMemory(
    () =>
      drainQueue({
        messages: options.messages,
        containers: options.containers,
        batchSize: options.batchSize,
        maxReceiveCount: MAX_RECEIVE_COUNT,
        newResponder: options.newResponder,
        freshPerInvocation: options.freshPerInvocation,
      }),
    options.motoPids,
  );
  const run = measured.value;
  const calls = options.calls();
  const requestsAfter = options.motoRequestsByShard?.() ?? [];
  const metrics = measure(options.messages, run, calls, {
    containers: options.containers,
    batchSize: options.batchSize,
    peakRssMb: measured.peakRssMb,
    peakHeapMb: measured.peakHeapMb,
  });
  return {
    run,
    metrics: {
      ...metrics,
      memory: {
        ...metrics.memory,
        maxRssMbSinceStart: measured.maxRssMbSinceStart,
        ...(measured.childPeakRssMb === undefined
          ? {}
          : { motoPeakRssMb: measured.childPeakRssMb, motoPeakRssMbByShard: measured.childPeakRssMbByPid }),
      },
      ...(requestsAfter.length > 1 ? { motoRequestsByShard: requestsAfter.map((n, i) => n - (requestsBefore[i] ?? 0)) } : {}),
    },
  };
}

function measure(
  messages: readonly BenchMessage[],
  run: QueueRun,
  calls: readonly ProxyCall[],
  shape: { containers: number; batchSize: number; peakRssMb: number; peakHeapMb: number },
): BurstMetrics {
  const n = messages.length;
  const inc = (m: Record<string, number>, k: string, by = 1): void => {
    m[k] = (m[k] ?? 0) + by;
  };
  const { byService, byOperation, throttledByService, firstAttempts, retries, byOutcome } = summarize(calls);
  const throttled = byOutcome.throttled ?? 0;
  // First attempts only: a retried call is one call the code made.
  const assumeRole = calls.filter((c) => c.service === 'sts' && c.operation === 'AssumeRole' && c.attempt <= 1).length;
  const shWrites = calls.filter((c) => c.service === 'securityhub' && c.operation === 'BatchUpdateFindings' && c.attempt <= 1);
  const shCalls = shWrites.length;
  const shByRegion: Record<string, number> = {};
  for (const c of shWrites) inc(shByRegion, c.region);
  const perRegion: Record<string, number> = {};
  for (const m of messages) inc(perRegion, m.region);
  const targetByRegion = Object.fromEntries(Object.entries(perRegion).map(([r, k]) => [r, Math.ceil(k / MAX_FINDINGS_PER_UPDATE)]));
  const accountRegions = new Set(messages.filter((m) => m.family !== 'low-severity').map((m) => `${m.accountId}|${m.region}`)).size;

  // The last result logged for each message is how it ended.
  const last = new Map<string, (typeof run.results)[number]>();
  for (const r of run.results) last.set(r.messageId, r);
  const outcomes: Record<string, number> = {
    contained: 0,
    failed: 0,
    held: 0,
    skipped: 0,
    exempt: 0,
    'nothing-to-do': 0,
    lost: 0,
    'dead-lettered': run.deadLettered.length,
  };
  const shStatus: Record<string, number> = {};
  const dead = new Set(run.deadLettered);
  for (const m of messages) {
    const r = last.get(m.messageId);
    if (!r) {
      if (!dead.has(m.messageId)) inc(outcomes, 'lost');
      continue;
    }
    inc(outcomes, outcomeOf(r));
    inc(shStatus, r.securityHub?.status ?? 'none');
  }
  let redeliveries = 0;
  for (const count of run.receives.values()) redeliveries += count - 1;
  const failureReasons: Record<string, number> = {};
  for (const r of run.results)
    for (const a of r.actions) if (a.status === 'failed') inc(failureReasons, `${a.action}: ${masked(a.detail)}`);
  for (const line of run.errors) inc(failureReasons, `handler: ${masked(line)}`);
  const perFindingByService = Object.fromEntries(Object.entries(byService).map(([s, k]) => [s, round2(k / n)]));
  return {
    findings: n,
    uniqueFindings: new Set(messages.map((m) => m.findingId)).size,
    accountRegions,
    regions: Object.keys(perRegion).length,
    containers: shape.containers,
    batchSize: shape.batchSize,
    invocations: run.invocations,
    coldStarts: run.coldStarts,
    wallMs: Math.round(run.wallMs),
    findingsPerSecond: round1(n / (run.wallMs / 1000)),
    calls: {
      total: calls.length,
      firstAttempts,
      perFinding: round2(calls.length / n),
      byService,
      perFindingByService,
      byOperation: Object.fromEntries(
        Object.entries(byOperation)
          .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
          .map(([op, k]) => [op.replace(' ', ':'), k]),
      ),
      dynamoDbPerFinding: perFindingByService.dynamodb ?? 0,
    },
    assumeRole: {
      calls: assumeRole,
      target: run.environmentAccountRegions,
      accountRegions,
      perAccountRegion: round2(assumeRole / Math.max(1, accountRegions)),
      perEnvironmentAccountRegion: round2(assumeRole / Math.max(1, run.environmentAccountRegions)),
    },
    securityHub: {
      batchUpdateFindings: shCalls,
      target: Object.values(targetByRegion).reduce((a, b) => a + b, 0),
      targetByRegion,
      byRegion: shByRegion,
    },
    throttled: { total: throttled, byService: throttledByService },
    retries,
    outcomes: outcomes as BurstMetrics['outcomes'],
    securityHubStatus: shStatus,
    redeliveries,
    failureReasons,
    deadLettered: run.deadLettered.length,
    memory: { peakRssMb: shape.peakRssMb, peakHeapMb: shape.peakHeapMb },
  };
}

/**
 * Looks in AWS (moto, directly, not through the proxy) for doubled
 * containment: two snapshots of one volume for one finding, or two deny rules
 * for one address and direction in one network ACL.
 */
export async function countDuplicates(
  local: LocalAws,
  world: BenchWorld,
  sites: readonly BenchSite[],
): Promise<NonNullable<BurstMetrics['duplicates']>> {
  const requestHandler = new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: 16 }) });
  const limit = pLimit(8);
  let snapshots = 0;
  let duplicateSnapshots = 0;
  let naclDenyRules = 0;
  let duplicateNaclRules = 0;
  await Promise.all(
    sites.map((site) =>
      limit(async () => {
        const ec2 = new EC2Client({
          endpoint: local.endpoint,
          region: site.region,
          credentials: await world.credentialsFor(site.accountId),
          requestHandler,
        });
        const snaps = await ec2.send(
          new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag-key', Values: ['cordon:finding-id'] }] }),
        );
        const perKey = new Map<string, number>();
        for (const s of snaps.Snapshots ?? []) {
          const finding = s.Tags?.find((t) => t.Key === 'cordon:finding-id')?.Value ?? '';
          const key = `${finding}|${s.VolumeId ?? ''}`;
          perKey.set(key, (perKey.get(key) ?? 0) + 1);
          snapshots += 1;
        }
        for (const count of perKey.values()) duplicateSnapshots += count - 1;
        const acls = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'vpc-id', Values: [site.attacked.vpcId] }] }));
        for (const acl of acls.NetworkAcls ?? []) {
          const perRule = new Map<string, number>();
          for (const e of acl.Entries ?? []) {
            if (e.RuleAction !== 'deny' || e.RuleNumber === 32767) continue;
            naclDenyRules += 1;
            const key = `${e.CidrBlock ?? ''}|${String(e.Egress)}`;
            perRule.set(key, (perRule.get(key) ?? 0) + 1);
          }
          for (const count of perRule.values()) duplicateNaclRules += count - 1;
        }
      }),
    ),
  );
  requestHandler.destroy();
  return { sitesChecked: sites.length, snapshots, duplicateSnapshots, naclDenyRules, duplicateNaclRules };
}

/** Publishes a burst's findings to GuardDuty and Security Hub (the emulator), as GuardDuty would before EventBridge delivers them. */
export function publishBurst(local: LocalAws, burst: Burst): void {
  for (const f of burst.published) local.emulator.publishGuardDutyFinding(f);
}

/** Ratios of the burst: cordon over the baseline, per finding. */
export function burstRatios(cordon: BurstMetrics, baseline: BurstMetrics): Record<string, number> {
  const perFinding = (m: BurstMetrics, v: number): number => v / m.findings;
  return {
    throughput: round2(cordon.findingsPerSecond / baseline.findingsPerSecond),
    callsPerFinding: round2(cordon.calls.perFinding / baseline.calls.perFinding),
    assumeRolePerFinding: round2(perFinding(cordon, cordon.assumeRole.calls) / perFinding(baseline, baseline.assumeRole.calls)),
    securityHubCallsPerFinding: round2(
      perFinding(cordon, cordon.securityHub.batchUpdateFindings) / perFinding(baseline, baseline.securityHub.batchUpdateFindings),
    ),
  };
}

/** A failure's text with its ids and numbers masked, so that failures of one kind count together. */
function masked(text: string): string {
  return text.replace(/[0-9a-f]{8,}|\d+/g, '…').slice(0, 200);
}
