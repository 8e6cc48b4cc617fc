/**
 * What every benchmark stands on: the local AWS endpoint (moto + cordon's
 * emulator), the fault/latency proxy in front of it (the SDK points at the
 * proxy through AWS_ENDPOINT_URL, as users point it anywhere), the bench
 * organization, DynamoDB audit tables (the deployed responder's store), and
 * responders built the way the Lambda builds them.
 */
import { AUDIT_TIME_INDEX } from '../src/audit/dynamodb-store';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as fs from 'node:fs';
import { responderSettings } from '../src/config/settings';
import { startLocalAws, type LocalAws, pointSdkAt, startFaultyEndpoint, type FaultProxy, type FaultProxyOptions } from '../local-aws';
import { buildResponder, type Responder } from '../src/respond/wiring';
import { buildBenchWorld, SECURITY_CREDENTIALS, type BenchWorld } from './world';

/** A running bench environment. */
export interface Harness {
  readonly local: LocalAws;
  readonly proxy: FaultProxy;
  stop(): Promise<void>;
}

/** Starts moto (`motoShards` processes, split by account) + the emulator and the proxy, and points the SDK at the proxy. */
export async function startHarness(
  proxyOptions: Omit<FaultProxyOptions, 'target' | 'motoEndpoint'> = {},
  motoShards = 1,
): Promise<Harness> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const local = await startLocalAws({ motoShards });
  let proxy: FaultProxy;
  try {
    proxy = await startFaultyEndpoint({ target: local.endpoint, motoEndpoint: local.motoEndpoint, ...proxyOptions });
  } catch (err) {
    await local.stop();
    throw err;
  }
  pointSdkAt(proxy.endpoint);
  return {
    local,
    proxy,
    stop: async () => {
      await proxy.stop();
      await local.stop();
    },
  };
}

/** Builds the organization (directly against the endpoint: setup is not measured) and seeds GuardDuty/Security Hub administration. */
export async function buildOrganization(
  local: LocalAws,
  accounts: number,
  regions: readonly string[],
  progress?: (line: string) => void,
): Promise<BenchWorld> {
  let last = 0;
  const world = await buildBenchWorld({
    endpoint: local.endpoint,
    accounts,
    regions,
    onAccount: (done, total) => {
      if (progress && (done === total || performance.now() - last > 10_000)) {
        last = performance.now();
        progress(`  world: ${done}/${total} accounts`);
      }
    },
  });
  local.emulator.seedOrganization({ administratorAccountId: world.securityAccountId, memberAccountIds: world.memberAccountIds, regions });
  return world;
}

/** The audit table as the responder stack creates it: string keys `pk`, `sk`, and the time-ordered index `history` reads. */
export function auditTableDefinition(table: string): CreateTableCommandInput {
  return {
    TableName: table,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: AUDIT_TIME_INDEX.partitionKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: AUDIT_TIME_INDEX.name,
        KeySchema: [
          { AttributeName: AUDIT_TIME_INDEX.partitionKey, KeyType: 'HASH' },
          { AttributeName: AUDIT_TIME_INDEX.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

/** Creates the audit table (see `auditTableDefinition`) in the local endpoint's security account. */
export async function createAuditTable(local: LocalAws, table: string): Promise<void> {
  const ddb = new DynamoDBClient({ endpoint: local.endpoint, region: 'us-east-1', credentials: SECURITY_CREDENTIALS });
  await ddb.send(new CreateTableCommand(auditTableDefinition(table)));
  ddb.destroy();
}

/**
 * The responder exactly as the Lambda handler builds it, from environment
 * variables: the DynamoDB audit table, and the circuit breaker's caps
 * raised out of the way (a benchmark of containment must contain; with the
 * defaults, 5 resources per account and 50 per organization per hour,
 * cordon would hold the rest of a burst by design).
 */
export function responderFactory(table: string, extraEnv: NodeJS.ProcessEnv = {}): () => Responder {
  const settings = responderSettings({
    ...process.env,
    CORDON_AUDIT_TABLE: table,
    AWS_REGION: 'us-east-1',
    CORDON_CIRCUIT_ACCOUNT_LIMIT: '1000000',
    CORDON_CIRCUIT_ORG_LIMIT: '1000000',
    ...extraEnv,
  });
  return () => buildResponder(settings, { actor: 'cordon-bench' });
}

/** Resident memory of another process in bytes (Linux /proc), or undefined where it cannot be read. */
function residentBytesOf(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    // Not Linux, or the process has exited: no figure rather than a wrong one.
    return undefined;
  }
}

/**
 * Peak memory of this process while `work` runs (sampled every 50 ms), the
 * process's peak RSS so far, and, for `pids` (the moto_server processes),
 * the peak of their summed RSS and each one's peak.
 */
export async function withMemory<T>(
  work: () => Promise<T>,
  pids: readonly number[] = [],
): Promise<{
  value: T;
  peakRssMb: number;
  peakHeapMb: number;
  maxRssMbSinceStart: number;
  childPeakRssMb?: number;
  childPeakRssMbByPid?: readonly number[];
}> {
  let peakRss = process.memoryUsage().rss;
  let peakHeap = process.memoryUsage().heapUsed;
  let childPeak = 0;
  const childPeaks = pids.map(() => 0);
  let childRead = false;
  const sampleChildren = (): void => {
    let sum = 0;
    pids.forEach((pid, i) => {
      const rss = residentBytesOf(pid);
      if (rss === undefined) return;
      childRead = true;
      sum += rss;
      childPeaks[i] = Math.max(childPeaks[i] ?? 0, rss);
    });
    childPeak = Math.max(childPeak, sum);
  };
  sampleChildren();
  let ticks = 0;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    // Other processes every second: reading /proc is not free.
    ticks += 1;
    if (ticks % 20 === 0) sampleChildren();
  }, 50);
  try {
    const value = await work();
    sampleChildren();
    return {
      value,
      peakRssMb: round1(peakRss / 2 ** 20),
      peakHeapMb: round1(peakHeap / 2 ** 20),
      maxRssMbSinceStart: round1(process.resourceUsage().maxRSS / 1024),
      ...(childRead
        ? { childPeakRssMb: round1(childPeak / 2 ** 20), childPeakRssMbByPid: childPeaks.map((b) => round1(b / 2 ** 20)) }
        : {}),
    };
  } finally {
    clearInterval(timer);
  }
}

/** Rounds to one decimal. */
export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Rounds to two decimals. */
export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
