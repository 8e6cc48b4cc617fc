import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileAuditStore } from '../../../src/audit/file-store';
import { acquireLease, LeaseBusyError } from '../../../src/audit/leases';

const T0 = Date.parse('2026-11-24T10:00:00Z');
const TTL_MS = 60_000;

function freshStore(): { store: FileAuditStore; file: string; leaseDir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-file-store-'));
  const file = path.join(dir, 'audit.jsonl');
  return { store: new FileAuditStore(file), file, leaseDir: path.join(dir, 'audit.leases') };
}

const leaseFiles = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);

describe('FileAuditStore leases (lock files)', () => {
  it('refuses a second owner while the lease is unexpired, naming the holder', async () => {
    // Prepare
    const { store, leaseDir } = freshStore();

    // Act
    const first = await store.tryLease('111122223333|us-east-1|i-1', 'owner-a', T0, TTL_MS);
    const second = await store.tryLease('111122223333|us-east-1|i-1', 'owner-b', T0 + 1_000, TTL_MS);
    const atExpiry = await store.tryLease('111122223333|us-east-1|i-1', 'owner-b', T0 + TTL_MS, TTL_MS);

    // Assess: one lock file beside the audit file, holding owner-a until T0 + TTL
    expect(first).toEqual({ taken: true });
    expect(second).toEqual({ taken: false, holder: { owner: 'owner-a', expiresAtMs: T0 + TTL_MS } });
    expect(atExpiry).toEqual({ taken: false, holder: { owner: 'owner-a', expiresAtMs: T0 + TTL_MS } });
    const files = leaseFiles(leaseDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]{40}\.json$/);
    expect(JSON.parse(fs.readFileSync(path.join(leaseDir, files[0] as string), 'utf8'))).toEqual({
      key: '111122223333|us-east-1|i-1',
      owner: 'owner-a',
      expiresAtMs: T0 + TTL_MS,
    });
  });

  it('keeps leases on different keys apart', async () => {
    const { store, leaseDir } = freshStore();

    const a = await store.tryLease('acct|us-east-1|network-acl:acl-1', 'owner-a', T0, TTL_MS);
    const b = await store.tryLease('acct|us-east-1|network-acl:acl-2', 'owner-b', T0, TTL_MS);

    expect([a, b]).toEqual([{ taken: true }, { taken: true }]);
    expect(leaseFiles(leaseDir)).toHaveLength(2);
  });

  it('lets a new owner take over a lease its holder left to expire', async () => {
    // Prepare
    const { store, leaseDir } = freshStore();
    await store.tryLease('k', 'dead-owner', T0, TTL_MS);

    // Act
    const takeover = await store.tryLease('k', 'owner-b', T0 + TTL_MS + 1, TTL_MS);
    const third = await store.tryLease('k', 'owner-c', T0 + TTL_MS + 2, TTL_MS);

    // Assess: owner-b holds it now, for its own TTL
    expect(takeover).toEqual({ taken: true });
    expect(third).toEqual({ taken: false, holder: { owner: 'owner-b', expiresAtMs: T0 + TTL_MS + 1 + TTL_MS } });
    expect(leaseFiles(leaseDir)).toHaveLength(1);
  });

  it('gives a lease back only for its owner: an owner whose lease was taken over leaves the new holder alone', async () => {
    // Prepare: a's lease expired and b took it over
    const { store, leaseDir } = freshStore();
    await store.tryLease('k', 'owner-a', T0, TTL_MS);
    await store.tryLease('k', 'owner-b', T0 + TTL_MS + 1, TTL_MS);

    // Act: a (slow, still thinking it holds the lease) gives it back, then b does
    await store.releaseLease('k', 'owner-a');
    const whileB = await store.tryLease('k', 'owner-c', T0 + TTL_MS + 2, TTL_MS);
    await store.releaseLease('k', 'owner-b');
    const afterB = await store.tryLease('k', 'owner-c', T0 + TTL_MS + 3, TTL_MS);

    // Assess
    expect(whileB).toMatchObject({ taken: false, holder: { owner: 'owner-b' } });
    expect(afterB).toEqual({ taken: true });
    await store.releaseLease('k', 'owner-c');
    expect(leaseFiles(leaseDir)).toEqual([]);
  });

  it('gives back a lease that is already gone without an error', async () => {
    const { store } = freshStore();

    await expect(store.releaseLease('never-taken', 'owner-a')).resolves.toBeUndefined();
  });

  it('treats a half-written lock file as held for a minute after it was written, then takes it over', async () => {
    // Prepare: a process died while writing its lock file
    const { store, leaseDir } = freshStore();
    await store.tryLease('k', 'owner-a', T0, TTL_MS);
    const [name] = leaseFiles(leaseDir) as [string];
    const lock = path.join(leaseDir, name);
    fs.writeFileSync(lock, '{"key":"k","own');
    const writtenAt = fs.statSync(lock).mtimeMs;

    // Act
    const soon = await store.tryLease('k', 'owner-b', writtenAt + 1_000, TTL_MS);
    const later = await store.tryLease('k', 'owner-b', writtenAt + 61_000, TTL_MS);

    // Assess
    expect(soon).toEqual({ taken: false, holder: { owner: 'unknown', expiresAtMs: writtenAt + 60_000 } });
    expect(later).toEqual({ taken: true });
    expect(JSON.parse(fs.readFileSync(lock, 'utf8'))).toMatchObject({ owner: 'owner-b' });
  });

  it('admits exactly one of many owners trying one free key at the same moment', async () => {
    // Prepare
    const { store } = freshStore();
    const owners = Array.from({ length: 12 }, (_, i) => `owner-${i}`);

    // Act
    const results = await Promise.all(owners.map((o) => store.tryLease('k', o, T0, TTL_MS)));

    // Assess
    expect(results.filter((r) => r.taken)).toHaveLength(1);
    const winner = owners[results.findIndex((r) => r.taken)];
    for (const r of results.filter((x) => !x.taken))
      expect(r).toEqual({ taken: false, holder: { owner: winner, expiresAtMs: T0 + TTL_MS } });
  });

  it('admits exactly one of many owners taking over one expired lease at the same moment', async () => {
    // Prepare: in each round the holder died and its lease expired; 12 owners
    // arrive within a few milliseconds of each other (the interleavings vary).
    const owners = Array.from({ length: 12 }, (_, i) => `owner-${i}`);
    const jitter = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
    const rounds: Array<{ winners: string[]; file: unknown; left: string[] }> = [];

    // Act
    for (let round = 0; round < 25; round += 1) {
      const { store, leaseDir } = freshStore();
      await store.tryLease('k', 'dead-owner', T0, TTL_MS);
      const results = await Promise.all(owners.map(async (o) => (await jitter(), store.tryLease('k', o, T0 + TTL_MS + 1, TTL_MS))));
      const files = leaseFiles(leaseDir);
      rounds.push({
        winners: owners.filter((_, i) => results[i]?.taken),
        file: JSON.parse(fs.readFileSync(path.join(leaseDir, files[0] as string), 'utf8')),
        left: files,
      });
    }

    // Assess: one winner per round, and the lock file is the winner's (no takeover guard left behind)
    for (const r of rounds) {
      expect(r.winners).toHaveLength(1);
      expect(r.file).toMatchObject({ owner: r.winners[0] });
      expect(r.left).toHaveLength(1);
    }
  });

  it('ignores a takeover guard left by a process that died during a takeover once it is a minute old', async () => {
    // Prepare: an expired lease, and the guard of a takeover that never finished
    const { store, leaseDir } = freshStore();
    await store.tryLease('k', 'dead-owner', T0, TTL_MS);
    const [name] = leaseFiles(leaseDir) as [string];
    const guard = path.join(leaseDir, `${name}.takeover`);
    fs.writeFileSync(guard, '');
    const guardAt = fs.statSync(guard).mtimeMs;

    // Act
    const whileFresh = await store.tryLease('k', 'owner-b', guardAt + 1_000, TTL_MS);
    const once = await store.tryLease('k', 'owner-b', guardAt + 61_000, TTL_MS);
    const next = await store.tryLease('k', 'owner-b', guardAt + 61_001, TTL_MS);

    // Assess: refused while another takeover may be running, then taken over
    expect(whileFresh).toEqual({ taken: false, holder: { owner: 'dead-owner', expiresAtMs: T0 + TTL_MS } });
    expect(once).toMatchObject({ taken: false });
    expect(next).toEqual({ taken: true });
    expect(leaseFiles(leaseDir)).toEqual([name]);
  });

  it('makes two acquireLease callers (two cordon processes) wait for each other through the lock file', async () => {
    // Prepare
    const { store } = freshStore();
    const first = await acquireLease('acct|us-east-1|i-1', { store });

    // Act: the second gives up after 300 ms while the first holds the lease, then gets it once given back
    const busy = await acquireLease('acct|us-east-1|i-1', { store, waitMs: 300 }).catch((e: unknown) => e);
    await first.release();
    const second = await acquireLease('acct|us-east-1|i-1', { store, waitMs: 300 });

    // Assess
    expect(busy).toBeInstanceOf(LeaseBusyError);
    expect((busy as LeaseBusyError).holder).toMatchObject({ owner: expect.any(String), expiresAtMs: expect.any(Number) });
    await second.release();
  });
});

describe('FileAuditStore audit trail', () => {
  it('reads records by finding and by resource, oldest first, across appends', async () => {
    // Prepare
    const { store, file } = freshStore();
    const base = {
      findingArn: 'arn',
      accountId: '111122223333',
      region: 'us-east-1',
      findingType: 't',
      runbook: 'r',
      status: 'done' as const,
      detail: '',
      actor: 'respond' as const,
    };

    // Act
    await store.append([
      { ...base, findingId: 'f1', action: 'ec2.isolate', resource: 'eni-1', at: '2026-11-24T10:00:00.000Z' },
      { ...base, findingId: 'f1', action: 'ec2.snapshot', resource: 'vol-1', at: '2026-11-24T10:00:00.000Z' },
    ]);
    await store.append([
      { ...base, findingId: 'f2', action: 'ec2.isolate', resource: 'eni-1', status: 'already', at: '2026-11-24T10:05:00.000Z' },
    ]);
    await store.append([]);

    // Assess
    expect((await store.forFinding('f1')).map((r) => r.action)).toEqual(['ec2.isolate', 'ec2.snapshot']);
    expect((await store.forResource('111122223333', 'us-east-1', 'ec2.isolate', 'eni-1')).map((r) => `${r.findingId}:${r.status}`)).toEqual(
      ['f1:done', 'f2:already'],
    );
    expect(await store.forResource('111122223333', 'eu-west-1', 'ec2.isolate', 'eni-1')).toEqual([]);
    expect(fs.readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(3);
  });
});
