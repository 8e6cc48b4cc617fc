import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isThrottlingError, isTransientError } from '@smithy/core/retry';
import { DescribeInstancesCommand, EC2Client, ModifyNetworkInterfaceAttributeCommand } from '@aws-sdk/client-ec2';
import { ArchiveFindingsCommand, GetFindingsCommand, GuardDutyClient } from '@aws-sdk/client-guardduty';
import { IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { ListBucketsCommand, PutPublicAccessBlockCommand, S3Client } from '@aws-sdk/client-s3';
import { BatchUpdateFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  sequentialChain,
  serverFault,
  startFaultyEndpoint,
  throttleFault,
  throttleLimitFor,
  type FaultProxy,
  type ResolvedCall,
} from '../../../local-aws/faults';

const CREDS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
const ACCOUNT = '111122223333';
const DETECTOR = 'a'.repeat(32);

/** Sends one command and returns the error it ends with (every call here is answered with a fault). */
async function errorOf(send: () => Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await send();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

describe('fault proxy: classifying real SDK requests', () => {
  let proxy: FaultProxy;
  const seen: ResolvedCall[] = [];
  let answer: (call: ResolvedCall) => ReturnType<typeof throttleFault> = throttleFault;

  beforeAll(async () => {
    // Every request is answered by the rule: no upstream needed.
    proxy = await startFaultyEndpoint({
      target: 'http://127.0.0.1:9',
      accountOf: async () => ACCOUNT,
      rule: ({ call }) => {
        if (!call) return { status: 400, body: 'unsigned' };
        seen.push(call);
        return answer(call);
      },
    });
  });
  afterAll(async () => proxy.stop());
  beforeEach(() => {
    seen.length = 0;
    answer = throttleFault;
  });

  const cfg = (region = 'eu-west-1') => ({ endpoint: proxy.endpoint, region, credentials: CREDS, maxAttempts: 1 });

  it.each([
    [
      'EC2 (query, RequestLimitExceeded, 503)',
      () => new EC2Client(cfg()).send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })),
      { service: 'ec2', operation: 'DescribeInstances', protocol: 'ec2' },
      'RequestLimitExceeded',
      503,
    ],
    [
      'STS (query, Throttling, 400)',
      () =>
        new STSClient(cfg()).send(
          new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/cordon-responder`, RoleSessionName: 's1' }),
        ),
      { service: 'sts', operation: 'AssumeRole', protocol: 'query' },
      'Throttling',
      400,
    ],
    [
      'IAM (query, Throttling, 400; global, so throttled per account whatever the signing region)',
      () => new IAMClient(cfg()).send(new PutUserPolicyCommand({ UserName: 'u', PolicyName: 'p', PolicyDocument: '{}' })),
      { service: 'iam', operation: 'PutUserPolicy' },
      'Throttling',
      400,
    ],
    [
      'GuardDuty (REST-JSON route, 429)',
      () => new GuardDutyClient(cfg()).send(new GetFindingsCommand({ DetectorId: DETECTOR, FindingIds: ['f1'] })),
      { service: 'guardduty', operation: 'GetFindings', protocol: 'rest-json' },
      'TooManyRequestsException',
      429,
    ],
    [
      'GuardDuty ArchiveFindings',
      () => new GuardDutyClient(cfg()).send(new ArchiveFindingsCommand({ DetectorId: DETECTOR, FindingIds: ['f1'] })),
      { service: 'guardduty', operation: 'ArchiveFindings' },
      'TooManyRequestsException',
      429,
    ],
    [
      'Security Hub (REST-JSON route, 429)',
      () => new SecurityHubClient(cfg()).send(new BatchUpdateFindingsCommand({ FindingIdentifiers: [{ Id: 'x', ProductArn: 'y' }] })),
      { service: 'securityhub', operation: 'BatchUpdateFindings' },
      'TooManyRequestsException',
      429,
    ],
    [
      'Organizations (JSON target)',
      () => new OrganizationsClient(cfg()).send(new ListAccountsCommand({})),
      { service: 'organizations', operation: 'ListAccounts', protocol: 'json' },
      'TooManyRequestsException',
      400,
    ],
    [
      'S3 (REST-XML, SlowDown, 503)',
      () =>
        new S3Client({ ...cfg(), forcePathStyle: true }).send(
          new PutPublicAccessBlockCommand({ Bucket: 'b', PublicAccessBlockConfiguration: { BlockPublicAcls: true } }),
        ),
      { service: 's3', operation: 'PutPublicAccessBlock', protocol: 'rest-xml' },
      'SlowDown',
      503,
    ],
    [
      'S3 ListBuckets (REST-XML, no bucket in the path)',
      () => new S3Client({ ...cfg(), forcePathStyle: true }).send(new ListBucketsCommand({ Prefix: 'b' })),
      { service: 's3', operation: 'ListBuckets', protocol: 'rest-xml' },
      'SlowDown',
      503,
    ],
  ])('%s', async (_label, send, expected, errorName, status) => {
    // Act
    const err = await errorOf(send);

    // Assess: named from the wire, and the SDK classifies the answer as throttling
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ region: 'eu-west-1', accessKeyId: CREDS.accessKeyId, accountId: ACCOUNT, attempt: 1, ...expected });
    expect(seen[0]?.invocationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(err.name).toBe(errorName);
    expect(err.$metadata?.httpStatusCode).toBe(status);
    expect(isThrottlingError(err as never)).toBe(true);
  });

  it.each([
    ['EC2', () => new EC2Client(cfg()).send(new DescribeInstancesCommand({})), 'InternalError'],
    ['STS', () => new STSClient(cfg()).send(new GetCallerIdentityCommand({})), 'InternalFailure'],
    [
      'GuardDuty',
      () => new GuardDutyClient(cfg()).send(new GetFindingsCommand({ DetectorId: DETECTOR, FindingIds: ['f1'] })),
      'InternalServerErrorException',
    ],
    [
      'Security Hub',
      () => new SecurityHubClient(cfg()).send(new BatchUpdateFindingsCommand({ FindingIdentifiers: [{ Id: 'x', ProductArn: 'y' }] })),
      'InternalException',
    ],
  ])('answers %s server errors in its own shape, which the SDK retries as transient', async (_label, send, errorName) => {
    answer = serverFault;
    const err = await errorOf(send);
    expect(err.name).toBe(errorName);
    expect(err.$metadata?.httpStatusCode).toBe(500);
    expect(isTransientError(err as never)).toBe(true);
  });

  it('reads the SDK attempt number of retries', async () => {
    const ec2 = new EC2Client({ ...cfg(), maxAttempts: 3, retryStrategy: undefined });
    await errorOf(() => ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: 'eni-1', Groups: ['sg-1'] })));
    expect(seen.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(new Set(seen.map((c) => c.invocationId)).size).toBe(1);
  });
});

describe('throttle limits', () => {
  const limit = (service: string, operation: string, params: Record<string, string> = {}) =>
    throttleLimitFor({ service, operation, params: new Map(Object.entries(params)) });

  it.each([
    ['ec2', 'DescribeInstances', { 'InstanceId.1': 'i-1' }, { bucket: 'DescribeInstances:unfiltered', capacity: 50, refillPerSecond: 10 }],
    ['ec2', 'DescribeInstances', { 'Filter.1.Name': 'tag:x' }, { bucket: 'DescribeInstances', capacity: 100, refillPerSecond: 20 }],
    ['ec2', 'DescribeNetworkAcls', {}, { bucket: 'DescribeNetworkAcls', capacity: 100, refillPerSecond: 20 }],
    ['ec2', 'CreateNetworkAclEntry', {}, { bucket: 'CreateNetworkAclEntry', capacity: 50, refillPerSecond: 5 }],
    ['ec2', 'CreateSnapshot', {}, { bucket: 'CreateSnapshot', capacity: 100, refillPerSecond: 5 }],
    ['ec2', 'CreateTags', {}, { capacity: 100, refillPerSecond: 10 }],
    [
      'ec2',
      'AuthorizeSecurityGroupIngress',
      {},
      { capacity: 50, refillPerSecond: 5, source: expect.stringContaining('resource-intensive') },
    ],
    ['securityhub', 'BatchUpdateFindings', {}, { bucket: 'BatchUpdateFindings', capacity: 30, refillPerSecond: 10, documented: true }],
    ['securityhub', 'GetFindings', {}, { capacity: 6, refillPerSecond: 3 }],
    ['securityhub', 'CreateActionTarget', {}, { bucket: 'other-operations', capacity: 30, refillPerSecond: 10 }],
    ['account', 'ListRegions', {}, { capacity: 5, refillPerSecond: 5, global: true }],
    ['iam', 'PutUserPolicy', {}, { bucket: 'write', global: true, documented: false }],
    ['guardduty', 'GetFindings', {}, { documented: false }],
  ])('%s %s %j', (service, operation, params, expected) => {
    expect(limit(service, operation, params)).toMatchObject(expected);
  });

  it('does not throttle services it has no limit for', () => {
    expect(limit('dynamodb', 'PutItem')).toBeUndefined();
  });
});

describe('fault proxy: throttling, latency and injected faults in front of a service', () => {
  let upstream: http.Server;
  let target: string;
  let forwarded = 0;

  beforeAll(async () => {
    // A stand-in STS that answers GetCallerIdentity.
    upstream = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        forwarded += 1;
        const body = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::${ACCOUNT}:user/u</Arn><UserId>AIDA</UserId><Account>${ACCOUNT}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;
        res.writeHead(200, { 'content-type': 'text/xml', 'content-length': String(Buffer.byteLength(body)) });
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((resolve) => upstream.close(() => resolve())));
  beforeEach(() => {
    forwarded = 0;
  });

  it('throttles past the bucket and the SDK retries until the bucket refills', async () => {
    // Prepare: a bucket of 2 refilling 10/s in front of STS
    const proxy = await startFaultyEndpoint({
      target,
      accountOf: async () => ACCOUNT,
      throttle: { override: () => ({ bucket: 'tiny', capacity: 2, refillPerSecond: 10, documented: false, source: 'test' }) },
    });
    const sts = new STSClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: CREDS, maxAttempts: 10 });

    // Act: 4 calls at once
    const out = await Promise.all(Array.from({ length: 4 }, () => sts.send(new GetCallerIdentityCommand({}))));
    const summary = proxy.summary();
    await proxy.stop();

    // Assess: all succeed; the two over the burst were throttled then retried
    expect(out.every((o) => o.Account === ACCOUNT)).toBe(true);
    expect(forwarded).toBe(4);
    expect(summary.byOutcome.forwarded).toBe(4);
    expect(summary.byOutcome.throttled).toBeGreaterThanOrEqual(2);
    expect(summary.throttledByService).toEqual({ sts: summary.byOutcome.throttled });
    expect(summary.retries).toBe(summary.byOutcome.throttled);
    expect(summary.firstAttempts).toBe(4);
  });

  it('keeps separate buckets per account and region', async () => {
    const proxy = await startFaultyEndpoint({
      target,
      accountOf: async (key) => (key === 'K1' ? '111111111111' : '222222222222'),
      throttle: { override: () => ({ bucket: 'one', capacity: 1, refillPerSecond: 0.001, documented: false, source: 'test' }) },
    });
    const client = (key: string, region: string) =>
      new STSClient({ endpoint: proxy.endpoint, region, credentials: { accessKeyId: key, secretAccessKey: 's' }, maxAttempts: 1 });

    const results = await Promise.allSettled(
      [client('K1', 'us-east-1'), client('K2', 'us-east-1'), client('K1', 'eu-west-1'), client('K1', 'us-east-1')].map((c) =>
        c.send(new GetCallerIdentityCommand({})),
      ),
    );
    await proxy.stop();

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
  });

  it('adds latency to every call', async () => {
    const proxy = await startFaultyEndpoint({ target, accountOf: async () => ACCOUNT, latencyMs: 50 });
    const sts = new STSClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: CREDS });
    const t0 = performance.now();
    await sts.send(new GetCallerIdentityCommand({}));
    await sts.send(new GetCallerIdentityCommand({}));
    const elapsed = performance.now() - t0;
    const calls = proxy.calls();
    await proxy.stop();
    expect(elapsed).toBeGreaterThanOrEqual(100);
    expect(calls.every((c) => c.endMs - c.startMs >= 49)).toBe(true);
  });

  it('under a fixed latency, answers every call that long after it arrived, however long the service took', async () => {
    // Prepare: the service itself takes 250 ms for key SLOW and no time for FAST
    const timed = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const slow = String(req.headers.authorization).includes('Credential=SLOW/');
        const body = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::${ACCOUNT}:user/u</Arn><UserId>AIDA</UserId><Account>${ACCOUNT}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;
        setTimeout(
          () => {
            res.writeHead(200, { 'content-type': 'text/xml', 'content-length': String(Buffer.byteLength(body)) });
            res.end(body);
          },
          slow ? 250 : 0,
        );
      });
    });
    await new Promise<void>((resolve) => timed.listen(0, '127.0.0.1', resolve));
    const timedTarget = `http://127.0.0.1:${(timed.address() as AddressInfo).port}`;
    const sts = (proxy: FaultProxy, key: string) =>
      new STSClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: { accessKeyId: key, secretAccessKey: 's' } });
    // Two slow calls one after the other, beside three quick ones one after the other: at most 3 dependent round trips.
    const run = async (proxy: FaultProxy): Promise<number> => {
      const chainOf = async (key: string, n: number) => {
        for (let i = 0; i < n; i += 1) await sts(proxy, key).send(new GetCallerIdentityCommand({}));
      };
      await Promise.all([chainOf('SLOW', 2), chainOf('FAST', 3)]);
      return sequentialChain(proxy.calls().map((c) => ({ ...c, label: c.operation }))).length;
    };

    // Act: the same work under 50 ms added, then under 400 ms fixed
    const added = await startFaultyEndpoint({ target: timedTarget, accountOf: async () => ACCOUNT, latencyMs: 50 });
    const addedChain = await run(added);
    await added.stop();
    const fixed = await startFaultyEndpoint({ target: timedTarget, accountOf: async () => ACCOUNT, latencyMs: 400, latencyMode: 'fixed' });
    const fixedChain = await run(fixed);
    const fixedCalls = fixed.calls();
    await fixed.stop();
    await new Promise<void>((resolve) => timed.close(() => resolve()));

    // Assess: added latency lets the quick chain fit inside a slow call and overstates the round trips (4);
    // fixed latency makes every call take 400 ms and counts the deepest chain of dependent calls (3)
    expect(addedChain).toBe(4);
    expect(fixedChain).toBe(3);
    // …each answered 400 ms after it arrived: never sooner, and the slow ones well before 400 + 250 ms (latency added to
    // the service's own time); the margin above is for a loaded machine (the test suite's other workers)
    expect(fixedCalls.map((c) => c.endMs - c.startMs).filter((ms) => ms < 399.5 || ms >= 600)).toEqual([]);
  });

  it('injects the same faults for the same seed, and the SDK rides them out', async () => {
    const run = async (seed: number) => {
      const proxy = await startFaultyEndpoint({
        target,
        accountOf: async () => ACCOUNT,
        faults: { rate: 0.3, seed, stallMs: 20, kinds: ['5xx', 'drop', 'timeout'] },
      });
      // Distinct regions make distinct requests (the draw depends on the request, not on arrival order).
      const regions = [
        'us-east-1',
        'us-east-2',
        'us-west-1',
        'us-west-2',
        'eu-west-1',
        'eu-west-2',
        'eu-west-3',
        'eu-central-1',
        'ap-south-1',
        'ap-northeast-1',
      ];
      const out = await Promise.all(
        regions.map((region) =>
          new STSClient({ endpoint: proxy.endpoint, region, credentials: CREDS, maxAttempts: 8 }).send(new GetCallerIdentityCommand({})),
        ),
      );
      const faulted = proxy
        .calls()
        .filter((c) => c.outcome !== 'forwarded')
        .map((c) => `${c.region}#${c.attempt}:${c.outcome}`)
        .sort();
      await proxy.stop();
      return { ok: out.length, faulted };
    };

    const first = await run(7);
    const second = await run(7);
    const other = await run(8);

    expect(first.ok).toBe(10);
    expect(first.faulted.length).toBeGreaterThan(0);
    expect(second.faulted).toEqual(first.faulted);
    expect(other.faulted).not.toEqual(first.faulted);
  });

  it('forwards a lost-response call to the service before dropping its answer', async () => {
    const proxy = await startFaultyEndpoint({
      target,
      accountOf: async () => ACCOUNT,
      faults: { rate: 1, kinds: ['lost-response'], when: (c) => c.attempt === 1 },
    });
    const sts = new STSClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: CREDS, maxAttempts: 2 });
    const out = await sts.send(new GetCallerIdentityCommand({}));
    const outcomes = proxy.calls().map((c) => c.outcome);
    await proxy.stop();
    // The service saw the call twice: once whose answer was lost, once retried.
    expect(out.Account).toBe(ACCOUNT);
    expect(forwarded).toBe(2);
    expect(outcomes).toEqual(['lost-response', 'forwarded']);
  });
});
