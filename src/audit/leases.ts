/**
 * Taking and giving back leases (short exclusive holds on what cordon
 * changes, kept by the audit store), waiting in turn within one environment
 * first; and what a traced lease's give-back carries of its findings' histories.
 */
import { randomUUID } from 'node:crypto';
import type { AuditRecord, LeaseGiveBack, LeaseHolder, LeaseStore, LeaseTrace } from './store';
import { CordonError, describeError } from '../errors';

/**
 * How long a lease lasts when its holder never gives it back (it died): longer
 * than the responder Lambda's timeout, so a live holder is never overtaken.
 */
export const LEASE_TTL_MS = 5 * 60_000;
/** How long to wait for a lease another invocation holds before giving up (the delivery is then retried). */
export const LEASE_WAIT_MS = 30_000;
/** First pause between tries; doubles up to LEASE_MAX_POLL_MS, with jitter. */
const LEASE_FIRST_POLL_MS = 100;
const LEASE_MAX_POLL_MS = 2_000;

/** Another cordon invocation held the lease for longer than we waited. */
export class LeaseBusyError extends CordonError {
  public constructor(
    public readonly key: string,
    public readonly holder: LeaseHolder | undefined,
    waitedMs: number,
  ) {
    const until = holder ? ` (held until ${new Date(holder.expiresAtMs).toISOString()} unless given back)` : '';
    super(`another cordon invocation is acting on ${key}${until}; waited ${Math.round(waitedMs / 1000)} s, this delivery will be retried`);
    this.name = 'LeaseBusyError';
  }
}

/** A lease was being waited for when its caller no longer needed it (`acquireLease`'s signal). */
class LeaseNotWantedError extends CordonError {
  public constructor(public readonly key: string) {
    super(`stopped waiting for the lease on ${key}: no longer needed`);
    this.name = 'LeaseNotWantedError';
  }
}

/** What taking leases needs. */
export interface LeaseOptions {
  readonly store: LeaseStore;
  /** Real time (leases must expire in real time even when a test fixes the responder's clock). @default Date.now */
  readonly nowMs?: () => number;
  /** @default LEASE_WAIT_MS */
  readonly waitMs?: number;
  /** @default LEASE_TTL_MS */
  readonly ttlMs?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Told when a lease could not be given back. The change it guarded is done
   * and stays reported as done; the lease only expires later (LEASE_TTL_MS).
   * @default a process warning on stderr
   */
  readonly onReleaseError?: (key: string, err: unknown) => void;
  /**
   * Give the lease back in the background: the release (one call) leaves the
   * critical path and its promise is handed here, to be awaited before the
   * invocation ends. @default the release is awaited
   */
  readonly deferRelease?: (release: Promise<void>) => void;
}

/** A lease we hold; give it back with `release` once the change is recorded (never throws). */
export interface HeldLease {
  readonly key: string;
  /** A traced lease's trace, when the store keeps one (else read the audit trail). */
  readonly trace: LeaseTrace | undefined;
  /** Gives it back; a traced lease adds the findings whose records were written under it to its trace. */
  release(written?: readonly string[]): Promise<void>;
  /**
   * Writes `records` and gives the lease back (a traced lease: in one write
   * when the store can, adding `written`, and carrying `histories`: the whole
   * history, these records included, of those of `written` whose history the
   * holder knew). Throws when the records could not be written; the lease is then still held.
   */
  releaseWith(
    records: readonly AuditRecord[],
    written: readonly string[],
    append: (records: readonly AuditRecord[]) => Promise<void>,
    histories?: ReadonlyMap<string, readonly AuditRecord[]>,
  ): Promise<void>;
}

/** The most of one finding's history a lease item carries (more is read from the trail). */
export const MAX_CARRIED_HISTORY_BYTES = 32 * 1024;
/** The most of all its findings' histories a lease item carries: well within DynamoDB's 400 KB an item. */
export const MAX_CARRIED_HISTORIES_BYTES = 192 * 1024;

/**
 * What a give-back carries (pure): the histories handed back that fit
 * (`MAX_CARRIED_HISTORY_BYTES` each, `MAX_CARRIED_HISTORIES_BYTES` in all,
 * in the order handed), and, when with those the item's would pass
 * `MAX_CARRIED_HISTORIES_BYTES`, the item's least recent ones dropped. What
 * is not carried is read from the trail next time. `trace`: the item as the
 * lease found it.
 */
export function historiesToCarry(
  trace: Pick<LeaseTrace, 'histories' | 'untrusted'> | undefined,
  handed: ReadonlyMap<string, readonly AuditRecord[]>,
): { histories: Map<string, readonly AuditRecord[]>; dropped: string[] } {
  // An item whose histories are unknown (a lease taken over) carries nothing new, and drops what it carried.
  if (!trace?.histories) return { histories: new Map(), dropped: [...(trace?.untrusted ?? [])] };
  const size = (records: readonly AuditRecord[]): number => Buffer.byteLength(JSON.stringify(records));
  let budget = MAX_CARRIED_HISTORIES_BYTES;
  const histories = new Map<string, readonly AuditRecord[]>();
  for (const [id, records] of handed) {
    const bytes = size(records);
    if (bytes > MAX_CARRIED_HISTORY_BYTES || bytes > budget) continue;
    histories.set(id, records);
    budget -= bytes;
  }
  const lastAt = (records: readonly AuditRecord[]): string => records[records.length - 1]?.at ?? '';
  const kept = [...trace.histories].filter(([id]) => !handed.has(id)).sort(([, a], [, b]) => lastAt(b).localeCompare(lastAt(a)));
  const dropped: string[] = [];
  for (const [id, records] of kept) {
    budget -= size(records);
    if (budget < 0) dropped.push(id);
  }
  return { histories, dropped };
}

/**
 * Takes the lease on `key`, waiting (with growing, jittered pauses) while
 * another owner holds it, up to `waitMs`; then throws LeaseBusyError.
 */
export async function acquireLease(key: string, options: LeaseOptions, traced = false, signal?: AbortSignal): Promise<HeldLease> {
  const nowMs = options.nowMs ?? Date.now;
  const waitMs = options.waitMs ?? LEASE_WAIT_MS;
  const ttlMs = options.ttlMs ?? LEASE_TTL_MS;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const owner = randomUUID();
  const started = nowMs();
  let pause = LEASE_FIRST_POLL_MS;
  for (;;) {
    const attempt = await options.store.tryLease(key, owner, nowMs(), ttlMs, { traced });
    if (attempt.taken) {
      const store = options.store;
      const trace = attempt.trace;
      // A traced give-back: the findings written about, and their histories when known (else the item drops them).
      const giveBack = (written: readonly string[] = [], handed = new Map<string, readonly AuditRecord[]>()): LeaseGiveBack | undefined =>
        traced ? { findings: written, atMs: nowMs(), ...historiesToCarry(trace, handed) } : undefined;
      return {
        key,
        trace,
        release: (written) =>
          store.releaseLease(key, owner, giveBack(written)).catch((err: unknown) => {
            (options.onReleaseError ?? warnRelease)(key, err);
          }),
        async releaseWith(records, written, append, histories) {
          const back = giveBack(written, new Map(histories));
          if (back && store.appendReleasing) return store.appendReleasing(records, key, owner, back);
          await append(records);
          await store.releaseLease(key, owner, back).catch((err: unknown) => {
            (options.onReleaseError ?? warnRelease)(key, err);
          });
        },
      };
    }
    const waited = nowMs() - started;
    if (waited >= waitMs) throw new LeaseBusyError(key, attempt.holder, waited);
    // No longer wanted (its findings were found exempt or held meanwhile): stop waiting.
    if (signal?.aborted) throw new LeaseNotWantedError(key);
    await sleep(Math.min(pause * (0.5 + Math.random() / 2), waitMs - waited));
    if (signal?.aborted) throw new LeaseNotWantedError(key);
    pause = Math.min(pause * 2, LEASE_MAX_POLL_MS);
  }
}

function warnRelease(key: string, err: unknown): void {
  process.emitWarning(`cordon could not give back its lease on ${key} (${describeError(err)}); it expires in ${LEASE_TTL_MS / 60_000} min`);
}

/**
 * The key of a lease on something in one account and region: a finding's
 * resource (the responder and release lock the same key), a network ACL, a
 * VPC's isolation groups.
 */
export function leaseKey(accountId: string, region: string, scope: string): string {
  return `${accountId}|${region}|${scope}`;
}

/**
 * The key of a lease on an IAM principal's policies (`role/web`, `user/bot`):
 * IAM is global, so the key names the account and no region, and two findings
 * about one role from two regions take turns too.
 */
export function iamLeaseKey(accountId: string, principal: string): string {
  return `${accountId}|iam|${principal}`;
}

/** Gives a lease back: in the background when `deferRelease` is set, otherwise now. */
export async function giveBack(lease: HeldLease, options: Pick<LeaseOptions, 'deferRelease'>, written?: readonly string[]): Promise<void> {
  if (options.deferRelease) options.deferRelease(lease.release(written));
  else await lease.release(written);
}

/**
 * Runs `work` holding the lease on `key`, and gives it back whatever happens.
 * `tracing`: the lease is a finding resource's (traced), and these findings'
 * records are written under it.
 */
export async function withLease<T>(key: string, options: LeaseOptions, work: () => Promise<T>, tracing?: readonly string[]): Promise<T> {
  const nowMs = options.nowMs ?? Date.now;
  const waitMs = options.waitMs ?? LEASE_WAIT_MS;
  const started = nowMs();
  // Callers of one store (one Lambda environment) take turns here first: a
  // second finding of the batch that wants the same lease waits for the first
  // to give it back instead of asking DynamoDB again and again meanwhile. The
  // wait here counts toward the same budget as the wait for DynamoDB's lease.
  const leave = await localTurn(options.store, key, waitMs);
  try {
    const remaining = Math.max(0, waitMs - (nowMs() - started));
    const lease = await acquireLease(key, { ...options, waitMs: remaining }, tracing !== undefined);
    try {
      return await work();
    } finally {
      await giveBack(lease, options, tracing);
    }
  } finally {
    leave();
  }
}

/** Per store, the last turn queued for each key. */
const turns = new WeakMap<LeaseStore, Map<string, Promise<void>>>();

/**
 * Waits for the callers of `store` ahead on `key`, at most `waitMs` (then
 * LeaseBusyError, as for a lease held elsewhere; the callers behind still wait
 * only for those ahead); the function returned ends this caller's turn.
 */
async function localTurn(store: LeaseStore, key: string, waitMs: number): Promise<() => void> {
  let queued = turns.get(store);
  if (!queued) {
    queued = new Map();
    turns.set(store, queued);
  }
  const byKey = queued;
  const ahead = byKey.get(key) ?? Promise.resolve();
  let end = (): void => undefined;
  const mine = new Promise<void>((resolve) => {
    end = resolve;
  });
  const last = ahead.then(() => mine);
  byKey.set(key, last);
  const leave = (): void => {
    end();
    if (byKey.get(key) === last) byKey.delete(key);
  };
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), waitMs);
  });
  const turn = await Promise.race([ahead.then(() => 'turn' as const), expired]);
  clearTimeout(timer);
  if (turn === 'expired') {
    // This caller gives up; its place ends as soon as the ones ahead have had theirs.
    void ahead.then(leave);
    throw new LeaseBusyError(key, undefined, waitMs);
  }
  return leave;
}
