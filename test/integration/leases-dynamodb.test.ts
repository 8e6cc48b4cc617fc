import { DynamoDBClient, GetItemCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { createAuditTable } from '../../bench/harness';
import { DynamoDbAuditStore } from '../../src/audit/dynamodb-store';
import { type LocalAws } from '../../local-aws';
import { CircuitBreaker, type CircuitCandidate } from '../../src/respond/circuit';
import { acquireLease, LeaseBusyError } from '../../src/audit/leases';
import { HOME_CREDENTIALS, startLocal } from '../support/local';
import { auditRecord } from '../support/audit-records';

/**
 * The DynamoDB store's leases and the circuit breaker's admissions against
 * moto's DynamoDB: conditional PutItem/DeleteItem as AWS evaluates them.
 */
describe('DynamoDB leases and circuit admissions', () => {
  let local: LocalAws;
  const table = 'cordon-leases';
  const clients: DynamoDBClient[] = [];
  const newClient = (): DynamoDBClient => {
    const c = new DynamoDBClient({ endpoint: local.endpoint, region: 'us-east-1', credentials: HOME_CREDENTIALS });
    clients.push(c);
    return c;
  };
  const T0 = Date.parse('2026-11-24T10:00:00Z');
  const TTL_MS = 60_000;

  beforeAll(async () => {
    local = await startLocal();
    await createAuditTable(local, table);
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await local?.stop();
  });

  const leaseItem = async (key: string) =>
    (
      await newClient().send(
        new GetItemCommand({ TableName: table, ConsistentRead: true, Key: { pk: { S: `lease#${key}` }, sk: { S: 'lease' } } }),
      )
    ).Item;

  it('takes a free lease with a conditional put and refuses another owner while it is unexpired', async () => {
    // Prepare
    const store = new DynamoDbAuditStore(newClient(), table);

    // Act
    const first = await store.tryLease('acct|us-east-1|i-1', 'owner-a', T0, TTL_MS);
    const second = await store.tryLease('acct|us-east-1|i-1', 'owner-b', T0 + 1_000, TTL_MS);
    const atExpiry = await store.tryLease('acct|us-east-1|i-1', 'owner-b', T0 + TTL_MS, TTL_MS);

    // Assess: the item holds owner-a, its expiry in ms, and a TTL attribute an hour after it (epoch seconds)
    expect(first).toEqual({ taken: true });
    expect(second).toEqual({ taken: false, holder: { owner: 'owner-a', expiresAtMs: T0 + TTL_MS } });
    expect(atExpiry).toMatchObject({ taken: false });
    expect(await leaseItem('acct|us-east-1|i-1')).toEqual({
      pk: { S: 'lease#acct|us-east-1|i-1' },
      sk: { S: 'lease' },
      leaseOwner: { S: 'owner-a' },
      leaseExpiresAtMs: { N: String(T0 + TTL_MS) },
      expiresAt: { N: String((T0 + TTL_MS) / 1000 + 3600) },
    });
  });

  it('lets another owner take over an expired lease, and gives a lease back only for its owner', async () => {
    // Prepare
    const store = new DynamoDbAuditStore(newClient(), table);
    await store.tryLease('k-expire', 'owner-a', T0, TTL_MS);

    // Act
    const takeover = await store.tryLease('k-expire', 'owner-b', T0 + TTL_MS + 1, TTL_MS);
    await store.releaseLease('k-expire', 'owner-a'); // slow, thinks it still holds it: must not delete b's
    const afterStaleRelease = await leaseItem('k-expire');
    await store.releaseLease('k-expire', 'owner-b');
    const afterRelease = await leaseItem('k-expire');
    await store.releaseLease('k-expire', 'owner-b'); // already gone: no error

    // Assess
    expect(takeover).toEqual({ taken: true });
    expect(afterStaleRelease?.leaseOwner).toEqual({ S: 'owner-b' });
    expect(afterRelease).toBeUndefined();
    expect(await store.tryLease('k-expire', 'owner-c', T0 + TTL_MS + 2, TTL_MS)).toEqual({ taken: true });
  });

  it('admits exactly one of many owners (separate clients, as separate Lambda environments) at the same moment', async () => {
    // Prepare
    const stores = Array.from({ length: 8 }, () => new DynamoDbAuditStore(newClient(), table));

    // Act
    const results = await Promise.all(stores.map((s, i) => s.tryLease('k-race', `owner-${i}`, T0, TTL_MS)));

    // Assess
    const winners = results.flatMap((r, i) => (r.taken ? [`owner-${i}`] : []));
    expect(winners).toHaveLength(1);
    for (const r of results.filter((x) => !x.taken))
      expect(r).toEqual({ taken: false, holder: { owner: winners[0], expiresAtMs: T0 + TTL_MS } });
    expect((await leaseItem('k-race'))?.leaseOwner).toEqual({ S: winners[0] });
  });

  it('lets errors other than a failed condition through (a missing table is not "busy")', async () => {
    const store = new DynamoDbAuditStore(newClient(), 'no-such-table');

    await expect(store.tryLease('k', 'owner-a', T0, TTL_MS)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(store.releaseLease('k', 'owner-a')).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('makes a second acquireLease wait, then fail with the holder named; once given back, the lease is free', async () => {
    // Prepare
    const a = new DynamoDbAuditStore(newClient(), table);
    const b = new DynamoDbAuditStore(newClient(), table);
    const held = await acquireLease('acct|us-east-1|network-acl:acl-1', { store: a });

    // Act
    const busy = await acquireLease('acct|us-east-1|network-acl:acl-1', { store: b, waitMs: 400 }).catch((e: unknown) => e);
    await held.release();
    const taken = await acquireLease('acct|us-east-1|network-acl:acl-1', { store: b, waitMs: 400 });

    // Assess
    expect(busy).toBeInstanceOf(LeaseBusyError);
    expect((busy as LeaseBusyError).holder).toEqual({ owner: expect.any(String), expiresAtMs: expect.any(Number) });
    expect((busy as LeaseBusyError).message).toMatch(
      /^another cordon invocation is acting on acct\|us-east-1\|network-acl:acl-1 \(held until /,
    );
    await taken.release();
    expect(await leaseItem('acct|us-east-1|network-acl:acl-1')).toBeUndefined();
  });

  it.each([
    ['one store shared by both breakers', true],
    ['a store (and client) per breaker, as two Lambda environments', false],
  ])('admits at most 5 of 5+5 candidates of one account offered at once to two circuit breakers (%s)', async (_label, shared) => {
    // Prepare: a fresh ledger table; 10 different instances of one account
    const ledgerTable = `cordon-circuit-${shared ? 'shared' : 'split'}`;
    await createAuditTable(local, ledgerTable);
    const storeA = new DynamoDbAuditStore(newClient(), ledgerTable);
    const storeB = shared ? storeA : new DynamoDbAuditStore(newClient(), ledgerTable);
    const limits = { perAccount: 5, perOrganization: 50, windowMinutes: 60 };
    const breakerA = new CircuitBreaker(storeA, limits);
    const breakerB = new CircuitBreaker(storeB, limits);
    const candidates = (from: number): CircuitCandidate[] =>
      Array.from({ length: 5 }, (_, i) => ({
        accountId: '111122223333',
        region: 'us-east-1',
        findingId: `f-${from + i}`,
        resource: `i-${from + i}`,
      }));
    const now = new Date();

    // Act
    const [va, vb] = await Promise.all([breakerA.admit(candidates(0), now, false), breakerB.admit(candidates(5), now, false)]);

    // Assess: 5 admitted in total, the rest held with circuit-open
    const verdicts = [...va, ...vb];
    expect(verdicts.filter((v) => v.admitted)).toHaveLength(5);
    for (const v of verdicts.filter((x) => !x.admitted))
      expect(v).toMatchObject({ admitted: false, reason: expect.stringMatching(/^circuit-open: 5 resources of account 111122223333/) });
    // …and the ledger in DynamoDB agrees: 5 containments and 5 held entries, and no lease left behind
    const entries = await storeA.circuitEntries(new Date(now.getTime() - 60_000).toISOString());
    expect(entries.filter((e) => e.kind === 'containment')).toHaveLength(5);
    expect(entries.filter((e) => e.kind === 'held')).toHaveLength(5);
    const items = (await newClient().send(new ScanCommand({ TableName: ledgerTable }))).Items ?? [];
    expect(items.filter((i) => i.pk?.S?.startsWith('lease#'))).toEqual([]);
    // A third breaker later in the window admits no new resource of that account.
    const later = await new CircuitBreaker(new DynamoDbAuditStore(newClient(), ledgerTable), limits).admit(candidates(10), now, false);
    expect(later.filter((v) => v.admitted)).toEqual([]);
  });
  it('admits every candidate when many breakers race one ledger far below its caps (the burst: environments × batches of 100)', async () => {
    // Prepare: 12 Lambda environments (more than a breaker once retried), each with a batch of 100 instances (two
    // transactions of verdicts each)
    const ledgerTable = 'cordon-circuit-race';
    await createAuditTable(local, ledgerTable);
    const limits = { perAccount: 1_000_000, perOrganization: 1_000_000, windowMinutes: 60 };
    const environments = 12;
    const batch = (env: number): CircuitCandidate[] =>
      Array.from({ length: 100 }, (_, i) => ({
        accountId: `1111222233${String(env).padStart(2, '0')}`,
        region: 'us-east-1',
        findingId: `f-${env}-${i}`,
        resource: `i-${env}-${i}`,
      }));
    const now = new Date();

    // Act: each breaker reads the ledger early (as while screening), then all decide at once
    const breakers = Array.from(
      { length: environments },
      () => new CircuitBreaker(new DynamoDbAuditStore(newClient(), ledgerTable), limits),
    );
    const reads = breakers.map((b) => b.read(now));
    const verdicts = await Promise.all(breakers.map((b, env) => b.admit(batch(env), now, false, undefined, reads[env])));

    // Assess: nobody held, and the ledger counts every resource once
    expect(verdicts.flat().filter((v) => !v.admitted)).toEqual([]);
    const entries = await new DynamoDbAuditStore(newClient(), ledgerTable).circuitEntries(new Date(now.getTime() - 60_000).toISOString());
    expect(entries.filter((e) => e.kind === 'containment')).toHaveLength(environments * 100);
    expect(new Set(entries.map((e) => e.resource)).size).toBe(environments * 100);
    // …in one item of verdicts per decision (one small transaction each), beside the version moved on by each
    const items = (await newClient().send(new ScanCommand({ TableName: ledgerTable }))).Items ?? [];
    expect(items.filter((i) => i.sk?.S?.includes('#verdicts#'))).toHaveLength(environments);
    expect(items.find((i) => i.sk?.S === '~version')?.version).toEqual({ N: String(environments) });
  }, 120_000);

  it("traces a resource's lease: the call that takes it says which findings had records written under it, and the give-back rides with the records", async () => {
    // Prepare: a table with no finding record yet traces from its start; two stores, as two Lambda environments
    const traced = 'cordon-traced';
    await createAuditTable(local, traced);
    const a = new DynamoDbAuditStore(newClient(), traced);
    const b = new DynamoDbAuditStore(newClient(), traced);
    const key = 'acct|us-east-1|i-traced';
    const record = (findingId: string) => auditRecord(findingId);

    // Act: a takes the fresh lease; b waits; a writes f-1's record and gives the lease back in one transaction; b takes it
    const first = await a.tryLease(key, 'owner-a', T0, TTL_MS, { traced: true });
    const busy = await b.tryLease(key, 'owner-b', T0 + 1, TTL_MS, { traced: true });
    await a.appendReleasing!([record('f-1')], key, 'owner-a', { findings: ['f-1'], atMs: T0 + 2 });
    const second = await b.tryLease(key, 'owner-b', T0 + 3, TTL_MS, { traced: true });

    // Assess: the first take knew of no finding, from the table's start; the second knows f-1 and when it was given back
    expect(first).toEqual({
      taken: true,
      trace: { findings: new Set(), givenBackAtMs: undefined, since: '0000-01-01T00:00:00.000Z', histories: new Map() },
    });
    expect(busy).toMatchObject({ taken: false, holder: { owner: 'owner-a' } });
    expect(second).toEqual({
      taken: true,
      trace: { findings: new Set(['f-1']), givenBackAtMs: T0 + 2, since: '0000-01-01T00:00:00.000Z', histories: new Map() },
    });
    expect((await a.forFinding('f-1')).map((r) => r.detail)).toEqual(['moved']);
    const item = await newClient().send(
      new GetItemCommand({ TableName: traced, ConsistentRead: true, Key: { pk: { S: `lease#${key}` }, sk: { S: 'lease' } } }),
    );
    expect(item.Item?.leaseOwner?.S).toBe('owner-b');
    // …the item has no TTL: its trace outlives the lease
    expect(item.Item?.expiresAt).toBeUndefined();
  });

  it("carries the whole history of the findings its holder knew on the lease's item, drops the others', and trusts none after a takeover", async () => {
    // Prepare: two stores on one table, as two Lambda environments
    const traced = 'cordon-traced-histories';
    await createAuditTable(local, traced);
    const a = new DynamoDbAuditStore(newClient(), traced);
    const b = new DynamoDbAuditStore(newClient(), traced);
    const key = 'acct|us-east-1|i-histories';
    const record = (findingId: string, detail: string) =>
      auditRecord(findingId, { action: 'ec2.snapshot', resource: 'vol-1', detail, changed: { snapshotId: 'snap-1' } });
    const [f1, f2] = [record('f-1', 'first'), record('f-2', 'second')];

    // Act: a writes f-1 and f-2, carrying both; b writes f-2 again without knowing its history (f-2's is dropped);
    // a's next lease expires unreturned and b takes it over
    await a.tryLease(key, 'owner-a', T0, TTL_MS, { traced: true });
    await a.appendReleasing!([f1, f2], key, 'owner-a', {
      findings: ['f-1', 'f-2'],
      atMs: T0 + 1,
      histories: new Map([
        ['f-1', [f1]],
        ['f-2', [f2]],
      ]),
    });
    const second = await b.tryLease(key, 'owner-b', T0 + 2, TTL_MS, { traced: true });
    await b.appendReleasing!([f2], key, 'owner-b', { findings: ['f-2'], atMs: T0 + 3 });
    const third = await a.tryLease(key, 'owner-a', T0 + 4, TTL_MS, { traced: true });
    const takenOver = await b.tryLease(key, 'owner-b', T0 + 4 + TTL_MS + 1, TTL_MS, { traced: true });
    await b.releaseLease(key, 'owner-b', { findings: [], atMs: T0 + TTL_MS + 6, dropped: ['f-1'] });
    const after = await a.tryLease(key, 'owner-a', T0 + TTL_MS + 7, TTL_MS, { traced: true });

    // Assess: the second take read both histories with the lease; after b's give-back only f-1's is carried
    expect(second).toMatchObject({
      taken: true,
      trace: {
        histories: new Map([
          ['f-1', [f1]],
          ['f-2', [f2]],
        ]),
      },
    });
    expect(third).toMatchObject({ taken: true, trace: { findings: new Set(['f-1', 'f-2']), histories: new Map([['f-1', [f1]]]) } });
    // …a takeover trusts no carried history (the holder that never gave the lease back may have written more), and
    // its give-back drops them
    expect(takenOver).toMatchObject({ taken: true, trace: { untrusted: ['f-1'] } });
    expect((takenOver as { trace?: { histories?: unknown } }).trace?.histories).toBeUndefined();
    expect(after).toMatchObject({ taken: true, trace: { histories: new Map() } });
  });

  it('trusts no carried history after a give-back by a cordon that does not keep them (a rollback or a rolling upgrade)', async () => {
    // Prepare: f-1's history carried; then an older cordon takes the lease and gives it back its own way (the
    // give-back as it was before histories: givenBackAtMs set, f-2 added, nothing said of histories)
    const traced = 'cordon-traced-older-giver';
    await createAuditTable(local, traced);
    const store = new DynamoDbAuditStore(newClient(), traced);
    const key = 'acct|us-east-1|i-older-giver';
    const f1 = auditRecord('f-1');
    await store.tryLease(key, 'owner-a', T0, TTL_MS, { traced: true });
    await store.appendReleasing!([f1], key, 'owner-a', { findings: ['f-1'], atMs: T0 + 1, histories: new Map([['f-1', [f1]]]) });
    await store.tryLease(key, 'owner-old', T0 + 2, TTL_MS, { traced: true });
    await newClient().send(
      new UpdateItemCommand({
        TableName: traced,
        Key: { pk: { S: `lease#${key}` }, sk: { S: 'lease' } },
        UpdateExpression: 'SET givenBackAtMs = :at REMOVE leaseOwner, leaseExpiresAtMs ADD findings :findings',
        ConditionExpression: 'leaseOwner = :owner',
        ExpressionAttributeValues: { ':owner': { S: 'owner-old' }, ':at': { N: String(T0 + 3) }, ':findings': { SS: ['f-1'] } },
      }),
    );

    // Act: this cordon takes the lease, gives it back (dropping what it does not trust), and takes it again
    const afterOlder = await store.tryLease(key, 'owner-b', T0 + 4, TTL_MS, { traced: true });
    await store.releaseLease(key, 'owner-b', { findings: [], atMs: T0 + 5, dropped: ['f-1'] });
    const next = await store.tryLease(key, 'owner-c', T0 + 6, TTL_MS, { traced: true });

    // Assess: f-1's carried history is not trusted (the older cordon may have written f-1 records it does not show),
    // and once dropped the item is trusted again, carrying nothing
    expect(afterOlder).toMatchObject({ taken: true, trace: { untrusted: ['f-1'] } });
    expect((afterOlder as { trace?: { histories?: unknown } }).trace?.histories).toBeUndefined();
    expect(next).toMatchObject({ taken: true, trace: { findings: new Set(['f-1']), histories: new Map() } });
  });

  it('writes the records alone when the lease expired and another owner took it: the transaction does not give back what is not ours', async () => {
    // Prepare: a's lease expires and b takes it over
    const traced = 'cordon-traced-lost';
    await createAuditTable(local, traced);
    const a = new DynamoDbAuditStore(newClient(), traced);
    const b = new DynamoDbAuditStore(newClient(), traced);
    const key = 'acct|us-east-1|i-lost';
    await a.tryLease(key, 'owner-a', T0, TTL_MS, { traced: true });
    await b.tryLease(key, 'owner-b', T0 + TTL_MS + 1, TTL_MS, { traced: true });
    const rec = auditRecord('f-late', { runbook: null, action: 'ec2.protect', resource: 'i-lost', detail: 'protected' });

    // Act: a, late, writes its record with its give-back
    await a.appendReleasing!([rec], key, 'owner-a', { findings: ['f-late'], atMs: T0 + TTL_MS + 2 });

    // Assess: the record is written; b still holds the lease, and the trace did not gain f-late (a's give-back failed as a whole)
    expect((await a.forFinding('f-late')).map((r) => r.detail)).toEqual(['protected']);
    const item = await newClient().send(
      new GetItemCommand({ TableName: traced, ConsistentRead: true, Key: { pk: { S: `lease#${key}` }, sk: { S: 'lease' } } }),
    );
    expect(item.Item?.leaseOwner?.S).toBe('owner-b');
    expect(item.Item?.findings).toBeUndefined();
  });

  it('a table that already held finding records when tracing began traces from then: older findings are read', async () => {
    // Prepare: a record written before any traced lease
    const older = 'cordon-traced-older';
    await createAuditTable(local, older);
    const store = new DynamoDbAuditStore(newClient(), older);
    await store.append([
      auditRecord('f-old', {
        runbook: null,
        action: 'decision',
        resource: 'i-old',
        status: 'skipped',
        detail: 'before tracing',
        at: '2026-11-01T10:00:00.000Z',
      }),
    ]);
    const before = new Date().toISOString();

    // Act
    const taken = await new DynamoDbAuditStore(newClient(), older).tryLease('acct|us-east-1|i-old', 'owner', T0, TTL_MS, { traced: true });

    // Assess: since is now-ish, not the table's start
    expect(taken.taken).toBe(true);
    const since = taken.taken ? taken.trace?.since : undefined;
    expect(since && since >= before).toBe(true);
  });
});
