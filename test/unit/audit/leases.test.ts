import type { AuditRecord, LeaseHolder, LeaseStore } from '../../../src/audit/store';
import {
  acquireLease,
  historiesToCarry,
  LeaseBusyError,
  MAX_CARRIED_HISTORIES_BYTES,
  MAX_CARRIED_HISTORY_BYTES,
  withLease,
} from '../../../src/audit/leases';
import { auditRecord } from '../../support/audit-records';

/**
 * A lease store in memory with the semantics of the real ones (take unless
 * an unexpired lease of another owner exists; give back only one's own),
 * recording each call.
 */
class MemoryLeaseStore implements LeaseStore {
  public readonly leases = new Map<string, LeaseHolder>();
  public readonly tries: Array<{ key: string; owner: string; nowMs: number; ttlMs: number }> = [];
  public readonly releases: Array<{ key: string; owner: string }> = [];
  public failRelease: Error | undefined;

  public async tryLease(
    key: string,
    owner: string,
    nowMs: number,
    ttlMs: number,
  ): Promise<{ taken: true } | { taken: false; holder?: LeaseHolder }> {
    this.tries.push({ key, owner, nowMs, ttlMs });
    const held = this.leases.get(key);
    if (held && held.owner !== owner && held.expiresAtMs >= nowMs) return { taken: false, holder: held };
    this.leases.set(key, { owner, expiresAtMs: nowMs + ttlMs });
    return { taken: true };
  }

  public async releaseLease(key: string, owner: string): Promise<void> {
    this.releases.push({ key, owner });
    if (this.failRelease) throw this.failRelease;
    if (this.leases.get(key)?.owner === owner) this.leases.delete(key);
  }
}

/** A clock that only moves when the code under test sleeps. */
function fakeClock(startMs = 1_000_000): {
  nowMs: () => number;
  sleep: (ms: number) => Promise<void>;
  slept: number[];
  onSleep: (hook: (totalMs: number) => void) => void;
} {
  let now = startMs;
  const slept: number[] = [];
  let hook: ((totalMs: number) => void) | undefined;
  return {
    nowMs: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
      hook?.(now - startMs);
    },
    slept,
    onSleep: (h) => {
      hook = h;
    },
  };
}

describe('acquireLease', () => {
  afterEach(() => jest.restoreAllMocks());

  it('takes a free lease at once, for the TTL asked, without sleeping', async () => {
    // Prepare
    const store = new MemoryLeaseStore();
    const clock = fakeClock();

    // Act
    const lease = await acquireLease('111122223333|us-east-1|i-1', { store, nowMs: clock.nowMs, sleep: clock.sleep, ttlMs: 60_000 });

    // Assess
    expect(lease.key).toBe('111122223333|us-east-1|i-1');
    expect(clock.slept).toEqual([]);
    expect(store.tries).toEqual([{ key: '111122223333|us-east-1|i-1', owner: expect.any(String), nowMs: 1_000_000, ttlMs: 60_000 }]);
    expect(store.leases.get('111122223333|us-east-1|i-1')).toEqual({ owner: store.tries[0]?.owner, expiresAtMs: 1_060_000 });
  });

  it('stops waiting once its caller no longer needs the lease (the signal is aborted), without taking it', async () => {
    // Prepare: someone else holds the lease; the caller gives up after the first pause
    const store = new MemoryLeaseStore();
    store.leases.set('k', { owner: 'other', expiresAtMs: 9_999_999_999 });
    const clock = fakeClock();
    const controller = new AbortController();
    clock.onSleep(() => controller.abort());

    // Act
    const waiting = acquireLease('k', { store, nowMs: clock.nowMs, sleep: clock.sleep }, true, controller.signal);

    // Assess: refused with why, after one try and one pause; the other owner still holds it
    await expect(waiting).rejects.toThrow('stopped waiting for the lease on k: no longer needed');
    expect(store.tries).toHaveLength(1);
    expect(clock.slept).toHaveLength(1);
    expect(store.leases.get('k')?.owner).toBe('other');
  });

  it('waits with growing, jittered pauses while another owner holds the lease, and takes it once given back', async () => {
    // Prepare: someone else holds the lease; they give it back after 1.5 s of our waiting.
    const store = new MemoryLeaseStore();
    store.leases.set('k', { owner: 'other', expiresAtMs: 9_999_999_999 });
    const clock = fakeClock();
    clock.onSleep((total) => {
      if (total >= 1_500) store.leases.delete('k');
    });
    jest.spyOn(Math, 'random').mockReturnValue(1); // no jitter: pause × (0.5 + 1/2)

    // Act
    const lease = await acquireLease('k', { store, nowMs: clock.nowMs, sleep: clock.sleep, waitMs: 30_000 });

    // Assess: 100, 200, 400, 800 ms (doubling), then taken
    expect(clock.slept).toEqual([100, 200, 400, 800]);
    expect(store.leases.get('k')?.owner).not.toBe('other');
    expect(store.tries.map((t) => t.nowMs - 1_000_000)).toEqual([0, 100, 300, 700, 1_500]);
    // The same owner on every try, and the lease it took is the one it gives back.
    expect(new Set(store.tries.map((t) => t.owner)).size).toBe(1);
    await lease.release();
    expect(store.releases).toEqual([{ key: 'k', owner: store.tries[0]?.owner }]);
    expect(store.leases.has('k')).toBe(false);
  });

  it('throws LeaseBusyError naming the key and the holder after waitMs, having slept no longer than waitMs', async () => {
    // Prepare
    const store = new MemoryLeaseStore();
    const holder = { owner: 'lambda-env-2', expiresAtMs: Date.parse('2026-11-24T10:05:00Z') };
    store.leases.set('111122223333|us-east-1|network-acl:acl-1', holder);
    const clock = fakeClock();
    jest.spyOn(Math, 'random').mockReturnValue(0); // the shortest pauses: pause × 0.5

    // Act
    const attempt = acquireLease('111122223333|us-east-1|network-acl:acl-1', {
      store,
      nowMs: clock.nowMs,
      sleep: clock.sleep,
      waitMs: 5_000,
    });

    // Assess
    const err = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LeaseBusyError);
    expect(err).toMatchObject({
      name: 'LeaseBusyError',
      key: '111122223333|us-east-1|network-acl:acl-1',
      holder,
      message:
        'another cordon invocation is acting on 111122223333|us-east-1|network-acl:acl-1 (held until 2026-11-24T10:05:00.000Z unless given back); waited 5 s, this delivery will be retried',
    });
    // Pauses double (with jitter) up to 2 s; the last one is cut to what is left of the wait.
    const total = clock.slept.reduce((a, b) => a + b, 0);
    expect(total).toBe(5_000);
    expect(clock.slept.slice(0, 5)).toEqual([50, 100, 200, 400, 800]);
    expect(Math.max(...clock.slept)).toBeLessThanOrEqual(2_000);
    // It kept trying until the end: the last try was at the deadline.
    expect(store.tries.at(-1)?.nowMs).toBe(1_005_000);
    expect(store.leases.get('111122223333|us-east-1|network-acl:acl-1')).toBe(holder);
  });

  it('with waitMs 0 tries once and fails at once', async () => {
    const store = new MemoryLeaseStore();
    store.leases.set('k', { owner: 'other', expiresAtMs: Date.parse('2030-01-01T00:00:00Z') });
    const clock = fakeClock();

    await expect(acquireLease('k', { store, nowMs: clock.nowMs, sleep: clock.sleep, waitMs: 0 })).rejects.toMatchObject({
      name: 'LeaseBusyError',
      message: expect.stringContaining('waited 0 s'),
    });

    expect(store.tries).toHaveLength(1);
    expect(clock.slept).toEqual([]);
  });

  it('takes over a lease whose holder let it expire', async () => {
    const store = new MemoryLeaseStore();
    const clock = fakeClock();
    store.leases.set('k', { owner: 'dead', expiresAtMs: clock.nowMs() - 1 });

    const lease = await acquireLease('k', { store, nowMs: clock.nowMs, sleep: clock.sleep });

    expect(clock.slept).toEqual([]);
    expect(store.leases.get('k')?.owner).not.toBe('dead');
    await lease.release();
  });

  it('never throws from release: a store error goes to onReleaseError with the key', async () => {
    // Prepare
    const store = new MemoryLeaseStore();
    const seen: Array<[string, unknown]> = [];
    const lease = await acquireLease('k', { store, onReleaseError: (key, err) => seen.push([key, err]) });
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    store.failRelease = throttled;

    // Act
    await expect(lease.release()).resolves.toBeUndefined();

    // Assess
    expect(seen).toEqual([['k', throttled]]);
    expect(store.releases).toHaveLength(1);
  });

  it('warns on stderr (a process warning) when no onReleaseError is given', async () => {
    const store = new MemoryLeaseStore();
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const lease = await acquireLease('k', { store });
    store.failRelease = new Error('connection reset');

    await lease.release();

    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(
      /^cordon could not give back its lease on k \(.*connection reset.*\); it expires in 5 min$/,
    );
  });
});

describe('withLease', () => {
  it('gives the lease back after the work, and after work that throws (rethrowing its error)', async () => {
    // Prepare
    const store = new MemoryLeaseStore();
    const boom = new Error('CreateSnapshot failed');

    // Act
    const value = await withLease('a', { store }, async () => {
      expect(store.leases.has('a')).toBe(true);
      return 42;
    });
    const failure = withLease('b', { store }, async () => {
      throw boom;
    });

    // Assess
    expect(value).toBe(42);
    await expect(failure).rejects.toBe(boom);
    expect(store.releases.map((r) => r.key)).toEqual(['a', 'b']);
    expect(store.leases.size).toBe(0);
  });

  it('runs works on one key one after another, and on different keys at once', async () => {
    // Prepare: a real clock, short pauses
    const store = new MemoryLeaseStore();
    const order: string[] = [];
    const work = (name: string, ms: number) => async (): Promise<void> => {
      order.push(`${name}:start`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      order.push(`${name}:end`);
    };

    // Act
    await Promise.all([
      withLease('acl-1', { store }, work('first', 150)),
      withLease('acl-1', { store }, work('second', 10)),
      withLease('acl-2', { store }, work('other', 10)),
    ]);

    // Assess: "second" started only after "first" ended; "other" did not wait
    expect(order.indexOf('second:start')).toBeGreaterThan(order.indexOf('first:end'));
    expect(order.indexOf('other:end')).toBeLessThan(order.indexOf('first:end'));
  });

  it('callers of one store take turns before asking the store (no refused tries); another store still contends through it', async () => {
    // Prepare: one shared lease table seen through two stores (two Lambda environments)
    const shared = new MemoryLeaseStore();
    const second: LeaseStore = {
      tryLease: (key, owner, nowMs, ttlMs) => shared.tryLease(key, owner, nowMs, ttlMs),
      releaseLease: (key, owner) => shared.releaseLease(key, owner),
    };
    const hold = (ms: number) => () => new Promise<void>((resolve) => setTimeout(resolve, ms));
    const options = { waitMs: 5_000 };

    // Act: three callers of one store on one key
    await Promise.all([
      withLease('role/web', { ...options, store: shared }, hold(60)),
      withLease('role/web', { ...options, store: shared }, hold(10)),
      withLease('role/web', { ...options, store: shared }, hold(10)),
    ]);
    const local = shared.tries.length;
    // Act: one caller of each store at once
    await Promise.all([
      withLease('role/web', { ...options, store: shared }, hold(150)),
      withLease('role/web', { ...options, store: second }, hold(10)),
    ]);

    // Assess: one try each in one environment; across environments the store refuses the second until given back
    expect(local).toBe(3);
    expect(shared.tries.length - local).toBeGreaterThan(2);
    expect(shared.leases.size).toBe(0);
  });

  it('bounds the wait for the callers ahead in one environment by the lease wait, and lets the ones behind go on', async () => {
    // Prepare
    const store = new MemoryLeaseStore();
    const hold = (ms: number) => () => new Promise<void>((resolve) => setTimeout(resolve, ms));

    // Act: the first holds 300 ms; the second waits at most 100 ms; the third waits long enough
    const t0 = Date.now();
    const [first, second, third] = await Promise.allSettled([
      withLease('user/deploy-bot', { store, waitMs: 5_000 }, hold(300)),
      withLease('user/deploy-bot', { store, waitMs: 100 }, hold(10)).finally(() => {
        expect(Date.now() - t0).toBeLessThan(250);
      }),
      withLease('user/deploy-bot', { store, waitMs: 5_000 }, async () => 'third'),
    ]);

    // Assess: the second gave up (LeaseBusyError, without asking the store); the third ran after the first
    expect(first.status).toBe('fulfilled');
    expect(second).toEqual({ status: 'rejected', reason: expect.any(LeaseBusyError) });
    expect(third).toEqual({ status: 'fulfilled', value: 'third' });
    expect(store.tries).toHaveLength(2);
    expect(store.leases.size).toBe(0);
  });
});

describe('historiesToCarry', () => {
  /** A history of one record whose JSON is about `bytes` long, last written at `at`. */
  const history = (findingId: string, bytes: number, at: string): AuditRecord[] => [
    auditRecord(findingId, { detail: 'x'.repeat(Math.max(0, bytes - 300)), at }),
  ];

  it('carries what is handed back and keeps what the item carries while both fit', () => {
    // Prepare
    const old = new Map([['f-old', history('f-old', 1_000, '2026-11-24T09:00:00.000Z')]]);
    const handed = new Map([['f-new', history('f-new', 1_000, '2026-11-24T10:00:00.000Z')]]);

    // Act
    const carried = historiesToCarry({ histories: old }, handed);

    // Assess
    expect(carried).toEqual({ histories: handed, dropped: [] });
  });

  it("carries no history larger than a finding's share, and drops the item's least recent ones past the item's budget", () => {
    // Prepare: the item is nearly full; one handed history is too large to carry at all
    const share = MAX_CARRIED_HISTORY_BYTES - 1_000;
    const olds = Array.from({ length: Math.floor(MAX_CARRIED_HISTORIES_BYTES / share) }, (_, i) => [
      `f-${i}`,
      history(`f-${i}`, share, `2026-11-24T0${i}:00:00.000Z`),
    ]) as Array<[string, AuditRecord[]]>;
    const handed = new Map([
      ['f-new', history('f-new', share, '2026-11-24T10:00:00.000Z')],
      ['f-huge', history('f-huge', MAX_CARRIED_HISTORY_BYTES + 1, '2026-11-24T10:00:00.000Z')],
    ]);

    // Act
    const carried = historiesToCarry({ histories: new Map(olds) }, handed);

    // Assess: f-new is carried, f-huge is not (its written finding is then dropped), and the oldest gives way to f-new
    expect([...carried.histories.keys()]).toEqual(['f-new']);
    expect(carried.dropped).toEqual(['f-0']);
  });

  it('carries no more than the budget of what is handed back in one give-back (many findings about one resource)', () => {
    // Prepare: more handed back at once than an item carries
    const share = MAX_CARRIED_HISTORY_BYTES - 1_000;
    const count = Math.floor(MAX_CARRIED_HISTORIES_BYTES / share) + 2;
    const handed = new Map(
      Array.from({ length: count }, (_, i) => [`f-${i}`, history(`f-${i}`, share, '2026-11-24T10:00:00.000Z')] as [string, AuditRecord[]]),
    );

    // Act
    const carried = historiesToCarry({ histories: new Map() }, handed);

    // Assess: the first ones up to the budget; the rest are left to the trail
    const bytes = [...carried.histories.values()].reduce((n, records) => n + Buffer.byteLength(JSON.stringify(records)), 0);
    expect(carried.histories.size).toBe(Math.floor(MAX_CARRIED_HISTORIES_BYTES / share));
    expect(bytes).toBeLessThanOrEqual(MAX_CARRIED_HISTORIES_BYTES);
    expect(carried.dropped).toEqual([]);
  });

  it('carries nothing new on an item whose histories are unknown (a lease taken over), and drops what it carried', () => {
    // Act
    const carried = historiesToCarry({ untrusted: ['f-1', 'f-2'] }, new Map([['f-3', history('f-3', 500, '2026-11-24T10:00:00.000Z')]]));

    // Assess
    expect(carried).toEqual({ histories: new Map(), dropped: ['f-1', 'f-2'] });
  });
});
