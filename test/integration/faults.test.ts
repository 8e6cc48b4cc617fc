import { ListAccessKeysCommand, IAMClient } from '@aws-sdk/client-iam';
import { countDuplicates, publishBurst } from '../../bench/burst';
import {
  startFaultyEndpoint,
  unprocessedFindings,
  type FaultProxy,
  type Interception,
  type ResolvedCall,
  guardDutyEvent,
  startLocalAws,
  type LocalAws,
} from '../../local-aws';
import { buildBurst, findingFor } from '../../bench/findings';
import { createAuditTable, responderFactory } from '../../bench/harness';
import { capturingLogs, consoleTelemetry, drainQueue, outcomeOf, type LoggedResult } from '../../bench/lambda';
import { SqsWire } from '../../bench/sqs';
import { buildBenchWorld, SECURITY_CREDENTIALS, type BenchSite, type BenchWorld } from '../../bench/world';
import { handleBatch } from '../../src/handlers/responder';
import { attachedPolicies, AWS_DENY_ALL_ARN, hubFinding } from '../support/world';

/**
 * Failure tests: cordon's Lambda handler against AWS's throttling (its
 * documented token buckets, scaled down 10× so that a few dozen findings
 * meet them) and injected faults, through the bench's fault proxy.
 */
describe('faults: throttling, injected failures, poison messages, partial Security Hub writes', () => {
  let local: LocalAws;
  let proxy: FaultProxy;
  let world: BenchWorld;
  let intercept: ((call: ResolvedCall, body: Buffer) => Interception | undefined) | undefined;
  const sitesOf = (account: number): BenchSite[] => world.sites.filter((s) => s.accountId === world.memberAccountIds[account]);

  beforeAll(async () => {
    local = await startLocalAws();
    proxy = await startFaultyEndpoint({
      target: local.endpoint,
      motoEndpoint: local.motoEndpoint,
      throttle: {
        override: (_call, documented) =>
          documented && {
            ...documented,
            capacity: Math.max(1, Math.floor(documented.capacity / 10)),
            refillPerSecond: Math.max(1, documented.refillPerSecond / 10),
          },
      },
      intercept: (call, body) => intercept?.(call, body),
    });
    process.env.AWS_ENDPOINT_URL = proxy.endpoint;
    process.env.AWS_ACCESS_KEY_ID = SECURITY_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = SECURITY_CREDENTIALS.secretAccessKey;
    process.env.AWS_REGION = 'us-east-1';
    // Setup talks to the endpoint directly: only cordon's calls go through the proxy.
    world = await buildBenchWorld({ endpoint: local.endpoint, accounts: 4, regions: ['us-east-1', 'eu-west-1'] });
    local.emulator.seedOrganization({
      administratorAccountId: world.securityAccountId,
      memberAccountIds: world.memberAccountIds,
      regions: world.regions,
    });
    await createAuditTable(local, 'cordon-faults');
  }, 60_000);
  afterAll(async () => {
    await proxy?.stop();
    await local?.stop();
  });
  afterEach(() => {
    proxy.setFaults(undefined);
    intercept = undefined;
  });

  it('contains every finding or reports it failed, and never doubles a snapshot, NACL rule or policy, under throttling and 10% faults', async () => {
    // Prepare: 2 accounts × 2 regions, every family, duplicates and re-published findings
    const sites = [...sitesOf(0), ...sitesOf(1)];
    const burst = buildBurst(sites, 30, 7);
    publishBurst(local, burst);
    proxy.setFaults({ rate: 0.1, seed: 20261124, stallMs: 300, kinds: ['5xx', 'drop', 'timeout'] });
    proxy.resetCalls();

    // Act: 3 execution environments, SQS batches of 10, redelivery up to 5 receives
    const run = await drainQueue({
      messages: burst.messages,
      containers: 3,
      batchSize: 10,
      maxReceiveCount: 5,
      newResponder: responderFactory('cordon-faults'),
    });
    const summary = proxy.summary();
    proxy.setFaults(undefined);

    // Assess: the faults and throttling happened…
    expect((summary.byOutcome['5xx'] ?? 0) + (summary.byOutcome.drop ?? 0) + (summary.byOutcome.timeout ?? 0)).toBeGreaterThan(0);
    expect(summary.byOutcome.throttled ?? 0).toBeGreaterThan(0);
    expect(summary.retries).toBeGreaterThan(0);
    // …every message ended with a result: contained, failed (reported), or skipped by policy (low severity); none lost
    const last = new Map<string, LoggedResult>();
    for (const r of run.results) last.set(r.messageId, r);
    const outcomes = burst.messages.map((m) => ({
      family: m.family,
      outcome: last.get(m.messageId) ? outcomeOf(last.get(m.messageId) as LoggedResult) : 'lost',
    }));
    expect(outcomes.filter((o) => o.outcome === 'lost')).toEqual([]);
    for (const o of outcomes) expect(o.family === 'low-severity' ? ['skipped'] : ['contained', 'failed']).toContain(o.outcome);
    // A failed finding is reported: logged at error level and its message retried, then dead-lettered.
    for (const id of run.deadLettered) expect(last.get(id)?.level).toBe('error');
    // …and AWS holds each containment once
    const duplicates = await countDuplicates(local, world, sites);
    expect(duplicates).toMatchObject({ duplicateSnapshots: 0, duplicateNaclRules: 0 });
    expect(duplicates.snapshots).toBeGreaterThan(0);
    for (const accountId of new Set(sites.map((s) => s.accountId))) {
      const iam = new IAMClient({ endpoint: local.endpoint, region: 'us-east-1', credentials: await world.credentialsFor(accountId) });
      expect(await attachedPolicies(iam, 'deploy-bot')).toEqual([AWS_DENY_ALL_ARN]);
      expect((await iam.send(new ListAccessKeysCommand({ UserName: 'deploy-bot' }))).AccessKeyMetadata?.map((k) => k.Status)).toEqual([
        'Inactive',
      ]);
    }
  }, 90_000);

  it('sends a poison message to the dead-letter queue after maxReceiveCount receives, and the others once', async () => {
    // Prepare: a queue with a redrive policy (maxReceiveCount 5), as the responder stack creates it
    const sqs = new SqsWire(local.endpoint);
    const dlqUrl = await sqs.createQueue('cordon-responder-dlq');
    const dlqArn = (await sqs.attributes(dlqUrl, ['QueueArn'])).QueueArn as string;
    const queueUrl = await sqs.createQueue('cordon-responder', {
      VisibilityTimeout: '1',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }),
    });
    const [site] = sitesOf(2) as [BenchSite];
    const good = findingFor('iam-credentials', site, 0);
    const gone = findingFor('ec2-compromise', { ...site, compromised: { ...site.compromised, instanceId: 'i-0deadbeef00000000' } }, 0);
    for (const f of [good, gone]) local.emulator.publishGuardDutyFinding(f);
    const [goodId, unreadableId, goneId] = (await sqs.sendBatch(queueUrl, [
      JSON.stringify(guardDutyEvent(good)),
      '{"detail-type": "GuardDuty Finding", "source": "aws.guardduty", "detail": {',
      JSON.stringify(guardDutyEvent(gone)),
    ])) as [string, string, string];
    const poison = new Set([unreadableId, goneId]);
    const responder = responderFactory('cordon-faults')();
    const telemetry = consoleTelemetry();

    // Act: what the Lambda event source does, until the queue is empty
    const received = new Map<string, number>();
    const failuresPerInvocation: string[][] = [];
    for (let round = 0; round < 40; round += 1) {
      const messages = await sqs.receive(queueUrl, 10, 1);
      if (messages.length === 0) {
        const left = await sqs.attributes(queueUrl, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']);
        if (left.ApproximateNumberOfMessages === '0' && left.ApproximateNumberOfMessagesNotVisible === '0') break;
        continue;
      }
      for (const m of messages) received.set(m.MessageId, (received.get(m.MessageId) ?? 0) + 1);
      const { value } = await capturingLogs(() =>
        handleBatch({ Records: messages.map((m) => ({ messageId: m.MessageId, body: m.Body })) }, responder, telemetry),
      );
      const failed = value.batchItemFailures.map((f) => f.itemIdentifier);
      failuresPerInvocation.push(failed);
      await sqs.deleteBatch(
        queueUrl,
        messages.filter((m) => !failed.includes(m.MessageId)).map((m) => m.ReceiptHandle),
      );
    }
    responder.close();
    const dead = await sqs.receive(dlqUrl, 10);

    // Assess: the poison messages failed every time they were received, the good one never
    expect(received.get(goodId)).toBe(1);
    for (const id of poison) expect(received.get(id)).toBe(5);
    for (const failed of failuresPerInvocation) expect(failed.every((id) => poison.has(id))).toBe(true);
    expect(failuresPerInvocation.filter((f) => f.includes(goneId))).toHaveLength(5);
    expect(failuresPerInvocation.filter((f) => f.includes(unreadableId))).toHaveLength(5);
    expect(new Set(dead.map((m) => m.MessageId))).toEqual(poison);
  }, 60_000);

  it('retries the findings Security Hub leaves unprocessed with a transient error, and reports those it keeps refusing', async () => {
    // Prepare: four findings in one region; Security Hub refuses two of them once (transient), one always (not found)
    const [site] = sitesOf(3) as [BenchSite];
    const findings = (['ec2-compromise', 'ec2-attacked', 'iam-credentials', 's3-exposure'] as const).map((family) =>
      findingFor(family, site, 0),
    );
    for (const f of findings) local.emulator.publishGuardDutyFinding(f);
    const [transient1, transient2, , refused] = findings.map((f) => String(f.arn)) as [string, string, string, string];
    const partial = unprocessedFindings([
      { errorCode: 'InternalFailure', select: (arn) => arn === transient1 || arn === transient2 },
      { errorCode: 'FindingNotFound', errorMessage: 'Finding Not Found', select: (arn) => arn === refused, once: false },
    ]);
    intercept = partial;
    proxy.resetCalls();
    const responder = responderFactory('cordon-faults')();

    // Act
    const { value, lines } = await capturingLogs(() =>
      handleBatch(
        { Records: findings.map((f, i) => ({ messageId: `m${i}`, body: JSON.stringify(guardDutyEvent(f)) })) },
        responder,
        consoleTelemetry(),
      ),
    );
    responder.close();
    intercept = undefined;

    // Assess: the transient ones were sent again and their outcome is in Security Hub (the isolated instance NOTIFIED: DNS
    // to the VPC resolver stays open; the blocked attacker RESOLVED)
    const results = lines.map((l) => JSON.parse(l) as LoggedResult & { findingArn: string });
    const byArn = new Map(results.map((r) => [r.findingArn, r]));
    expect(partial.failed()).toEqual(expect.arrayContaining([transient1, transient2, refused]));
    for (const [arn, status] of [
      [transient1, 'NOTIFIED'],
      [transient2, 'RESOLVED'],
    ] as const) {
      expect(byArn.get(arn)?.securityHub).toMatchObject({ status: 'updated' });
      expect((await hubFinding(local, findings.find((f) => f.arn === arn) as Record<string, unknown>))?.Workflow?.Status).toBe(status);
    }
    // …and the refused one is reported in its result (not silently dropped)
    expect(byArn.get(refused)?.securityHub).toEqual({ status: 'unprocessed', detail: 'FindingNotFound: Finding Not Found' });
    expect(outcomeOf(byArn.get(refused) as LoggedResult)).toBe('contained');
    expect(value.batchItemFailures).toEqual([]);
    const writes = proxy
      .calls()
      .filter((c) => c.service === 'securityhub' && c.operation === 'BatchUpdateFindings' && c.outcome === 'forwarded');
    expect(writes.length).toBeGreaterThan(1);
  }, 60_000);
});
