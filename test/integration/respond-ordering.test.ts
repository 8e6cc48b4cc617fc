import { startFaultyEndpoint, type FaultProxy, type ProxyCall, guardDutyEvent, startLocalAws, type LocalAws } from '../../local-aws';
import { findingFor } from '../../bench/findings';
import { createAuditTable, responderFactory } from '../../bench/harness';
import { capturingLogs, consoleTelemetry, outcomeOf, type LoggedResult } from '../../bench/lambda';
import { buildBenchWorld, SECURITY_CREDENTIALS, type BenchWorld } from '../../bench/world';
import { handleBatch } from '../../src/handlers/responder';

/** Latency the proxy adds to every call: a round trip is at least this long. */
const LATENCY_MS = 20;
/**
 * These answer this late: an interface moved without waiting for CreateSnapshots would move first, and a revocation
 * written without waiting for the instance profile's removal would be written first.
 */
const SLOW_LATENCY_MS = 400;
const SLOW = new Set(['CreateSnapshots', 'DisassociateIamInstanceProfile']);

/**
 * The order of the calls of one containment, as the proxy in front of moto
 * timed them: the runbook's steps start together, and only data dependencies
 * order them. No interface moves before the instance's tags were read (the
 * exemption check), before the circuit breaker recorded its admission, or
 * before every volume's snapshot was requested; no interface waits in the
 * allow-all group for another round trip.
 */
describe('respond: what must come before the first interface moves', () => {
  let local: LocalAws;
  let proxy: FaultProxy;
  let world: BenchWorld;

  beforeAll(async () => {
    local = await startLocalAws();
    proxy = await startFaultyEndpoint({
      target: local.endpoint,
      motoEndpoint: local.motoEndpoint,
      latencyMs: (call) => (SLOW.has(call.operation) ? SLOW_LATENCY_MS : LATENCY_MS),
    });
    process.env.AWS_ENDPOINT_URL = proxy.endpoint;
    process.env.AWS_ACCESS_KEY_ID = SECURITY_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = SECURITY_CREDENTIALS.secretAccessKey;
    process.env.AWS_REGION = 'us-east-1';
    // Setup talks to moto directly: only cordon's calls go through the proxy.
    world = await buildBenchWorld({ endpoint: local.endpoint, accounts: 1, regions: ['us-east-1'] });
    local.emulator.seedOrganization({
      administratorAccountId: world.securityAccountId,
      memberAccountIds: world.memberAccountIds,
      regions: world.regions,
    });
    await createAuditTable(local, 'cordon-ordering');
  }, 60_000);
  afterAll(async () => {
    await proxy?.stop();
    await local?.stop();
  });

  it('moves an interface only after the exemption check, the circuit admission and the snapshot requests', async () => {
    // Prepare: a compromised instance with two volumes, its finding published; another instance of its VPC contained
    // first, so that the quarantine groups exist and isolation is ready to move as soon as the interfaces are listed
    const site = world.sites[0];
    if (!site) throw new Error('the world has no site');
    const responder = responderFactory('cordon-ordering', { CORDON_CIRCUIT_ACCOUNT_LIMIT: '5', CORDON_CIRCUIT_ORG_LIMIT: '50' })();
    const first = findingFor('ec2-compromise', { ...site, compromised: site.attacked }, 1);
    local.emulator.publishGuardDutyFinding(first);
    // The handler's result records are Powertools log lines: bound to the console the test captures.
    const telemetry = consoleTelemetry();
    await capturingLogs(() =>
      handleBatch({ Records: [{ messageId: 'first', body: JSON.stringify(guardDutyEvent(first)) }] }, responder, telemetry),
    );
    const finding = findingFor('ec2-compromise', site, 0);
    local.emulator.publishGuardDutyFinding(finding);
    proxy.resetCalls();

    // Act: the Lambda handler contains it
    const { lines } = await capturingLogs(() =>
      handleBatch({ Records: [{ messageId: 'ordering', body: JSON.stringify(guardDutyEvent(finding)) }] }, responder, telemetry),
    );
    responder.close();
    const calls = proxy.calls();

    // Assess: contained
    const result = lines.map((l) => JSON.parse(l) as LoggedResult).find((r) => r.findingId === finding.id);
    expect(result && outcomeOf(result)).toBe('contained');
    const of = (operation: string): ProxyCall[] => calls.filter((c) => c.operation === operation);
    const moves = of('ModifyNetworkInterfaceAttribute').sort((a, b) => a.startMs - b.startMs);
    // One interface, through the allow-all group into the quarantine group.
    expect(moves).toHaveLength(2);
    const firstMove = (moves[0] as ProxyCall).startMs;
    // …the instance's tags were read (exemption check) before the first move
    const describes = of('DescribeInstances');
    expect(describes.length).toBeGreaterThan(0);
    expect(Math.min(...describes.map((c) => c.endMs))).toBeLessThanOrEqual(firstMove);
    // …the circuit breaker's admission was recorded before it
    const admissions = of('TransactWriteItems');
    expect(admissions.length).toBeGreaterThan(0);
    expect(Math.min(...admissions.map((c) => c.endMs))).toBeLessThanOrEqual(firstMove);
    // …every volume's snapshot was requested no later than it, in one set (a snapshot's point in time is when EC2
    // receives the call: EC2 User Guide, "Amazon EBS snapshots"; the move need not wait for the answer)
    expect(of('CreateSnapshot')).toEqual([]);
    const snapshots = of('CreateSnapshots');
    expect(snapshots).toHaveLength(1);
    for (const s of snapshots) expect(s.startMs).toBeLessThanOrEqual(firstMove);
    // …and no whole round trip fits between leaving the allow-all group's move and the quarantine move
    const [untrack, quarantine] = moves as [ProxyCall, ProxyCall];
    expect(calls.filter((c) => c.startMs >= untrack.endMs && c.endMs <= quarantine.startMs)).toEqual([]);
    // The instance role's revocation is read beside the profile's removal but written only after it: a session the
    // instance got before the removal is older than the cut-off
    const [removal] = of('DisassociateIamInstanceProfile');
    const writes = of('PutRolePolicy');
    expect(removal).toBeDefined();
    expect(writes).toHaveLength(1);
    for (const w of writes) expect(w.startMs).toBeGreaterThanOrEqual((removal as ProxyCall).endMs);
  }, 60_000);
});
