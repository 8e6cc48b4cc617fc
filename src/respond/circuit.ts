import type { CircuitEntry, CircuitLedger, CircuitSnapshot, LeaseStore, VersionedCircuitLedger } from '../audit/store';
import { withLease, type LeaseOptions } from '../audit/leases';
import type { CircuitLimits } from '../config/defaults';
import { CordonError } from '../errors';

/** The start of every reason a finding held by the breaker gets. */
export const CIRCUIT_OPEN = 'circuit-open';

/** A finding about to be contained automatically. */
export interface CircuitCandidate {
  readonly accountId: string;
  readonly region: string;
  readonly findingId: string;
  /** The main resource (instance id, access key, user, bucket): what a containment is counted by. */
  readonly resource: string;
}

/** The breaker's verdict on each candidate (same order), and the ledger entries to record. */
export interface Allocation {
  readonly verdicts: ReadonlyArray<{ readonly admitted: true } | { readonly admitted: false; readonly reason: string }>;
  readonly entries: readonly CircuitEntry[];
}

/**
 * Decides, in input order, which candidates may be contained (pure). A
 * resource already contained in the window does not count again (a finding
 * delivered twice, or two findings about one instance); past a cap, the
 * candidate is held with a reason that starts with `circuit-open`.
 */
export function allocate(
  ledger: readonly CircuitEntry[],
  candidates: readonly CircuitCandidate[],
  limits: CircuitLimits,
  now: Date,
): Allocation {
  const since = windowStart(now, limits).toISOString();
  const at = now.toISOString();
  const perAccount = new Map<string, Set<string>>();
  const organization = new Set<string>();
  const count = (e: { accountId: string; region: string; resource: string }): void => {
    const key = `${e.accountId}|${e.region}|${e.resource}`;
    organization.add(key);
    perAccount.set(e.accountId, (perAccount.get(e.accountId) ?? new Set()).add(key));
  };
  for (const e of ledger) if (e.kind === 'containment' && e.at >= since) count(e);
  const entries: CircuitEntry[] = [];
  const verdicts = candidates.map((c) => {
    const key = `${c.accountId}|${c.region}|${c.resource}`;
    if (organization.has(key)) return { admitted: true as const };
    const inAccount = perAccount.get(c.accountId)?.size ?? 0;
    let reason: string | undefined;
    if (inAccount >= limits.perAccount) {
      reason = `${CIRCUIT_OPEN}: ${inAccount} resources of account ${c.accountId} contained automatically in the last ${limits.windowMinutes} min (limit ${limits.perAccount}); cordon will not act automatically there until the window passes. Decide manually: run a custom action on this finding`;
    } else if (organization.size >= limits.perOrganization) {
      reason = `${CIRCUIT_OPEN}: ${organization.size} resources contained automatically across the organization in the last ${limits.windowMinutes} min (limit ${limits.perOrganization}); cordon will not act automatically until the window passes. Decide manually: run a custom action on this finding`;
    }
    if (reason) {
      entries.push({ kind: 'held', at, accountId: c.accountId, region: c.region, findingId: c.findingId, resource: c.resource });
      return { admitted: false as const, reason };
    }
    count(c);
    entries.push({ kind: 'containment', at, accountId: c.accountId, region: c.region, findingId: c.findingId, resource: c.resource });
    return { admitted: true as const };
  });
  return { verdicts, entries };
}

/** When the window that counts begins. */
export function windowStart(now: Date, limits: CircuitLimits): Date {
  return new Date(now.getTime() - limits.windowMinutes * 60_000);
}

/** Key of the lease that makes admissions one at a time across invocations. */
export const CIRCUIT_LEASE_KEY = 'circuit-breaker';

/**
 * How a breaker on a versioned ledger retries after losing its write to
 * other writers. Every lost write means another writer's verdicts landed, so
 * contention converges; the pauses grow exponentially with full jitter (so
 * writers that collided do not collide again in step) up to `maxDelayMs`, and
 * the breaker gives up (and holds) only once `budgetMs` has passed.
 */
export interface CircuitContention {
  readonly budgetMs: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Defaults: well within a Lambda's timeout, many writers' turns at DynamoDB's latency. */
export const DEFAULT_CIRCUIT_CONTENTION: CircuitContention = { budgetMs: 60_000, baseDelayMs: 25, maxDelayMs: 2_000 };

/** A versioned ledger read started ahead of the decision (while the findings are screened). */
export interface CircuitRead {
  readonly snapshot: Promise<CircuitSnapshot> | undefined;
}

/** The circuit breaker lost its write to other writers too many times in a row. */
export class CircuitContendedError extends CordonError {
  public constructor(attempts: number, ms: number) {
    super(`the circuit breaker's ledger was written by other invocations ${attempts} times in a row while deciding (${ms} ms)`);
    this.name = 'CircuitContendedError';
  }
}

function isVersioned(ledger: CircuitLedger): ledger is CircuitLedger & VersionedCircuitLedger {
  return 'readCircuit' in ledger && 'recordCircuitIf' in ledger;
}

/**
 * The breaker with its state in the ledger (the audit store), so it survives
 * process and Lambda restarts. Concurrent invocations in several Lambda
 * environments never exceed a cap: with a versioned ledger (DynamoDB), the
 * read (started while the findings are screened) and one conditional write
 * (verdicts recorded only if no other writer came in between; else read and
 * decide again); otherwise the read and the write under one lease
 * (CIRCUIT_LEASE_KEY), one invocation after another.
 */
export class CircuitBreaker {
  public constructor(
    private readonly ledger: CircuitLedger & LeaseStore,
    public readonly limits: CircuitLimits,
    private readonly leaseOptions: Omit<LeaseOptions, 'store'> = {},
    private readonly contention: CircuitContention = DEFAULT_CIRCUIT_CONTENTION,
  ) {}

  /**
   * Starts reading a versioned ledger now, for `admit` to decide on: the read
   * leaves the path to the first change. Nothing with a lease-guarded ledger
   * (its read must wait for the lease).
   */
  public read(now: Date): CircuitRead {
    if (!isVersioned(this.ledger)) return { snapshot: undefined };
    const snapshot = this.ledger.readCircuit(windowStart(now, this.limits).toISOString());
    // Awaited by `admit`, or unused when no candidate comes: a failure then is nobody's.
    snapshot.catch(() => undefined);
    return { snapshot };
  }

  /** Verdicts for the candidates; records them unless `dryRun` (which takes no lease either). */
  public async admit(
    candidates: readonly CircuitCandidate[],
    now: Date,
    dryRun: boolean,
    deferRelease?: LeaseOptions['deferRelease'],
    early: CircuitRead = { snapshot: undefined },
  ): Promise<Allocation['verdicts']> {
    if (candidates.length === 0) return [];
    if (isVersioned(this.ledger)) return this.admitVersioned(this.ledger, candidates, now, dryRun, early);
    const decide = async (): Promise<Allocation['verdicts']> => {
      const entries = await this.ledger.circuitEntries(windowStart(now, this.limits).toISOString());
      const allocation = allocate(entries, candidates, this.limits, now);
      if (!dryRun) await this.ledger.recordCircuit(allocation.entries);
      return allocation.verdicts;
    };
    return dryRun
      ? decide()
      : withLease(CIRCUIT_LEASE_KEY, { ...this.leaseOptions, ...(deferRelease ? { deferRelease } : {}), store: this.ledger }, decide);
  }

  /** Read (the early one first), decide, write if the version has not moved; else again. */
  private async admitVersioned(
    ledger: VersionedCircuitLedger,
    candidates: readonly CircuitCandidate[],
    now: Date,
    dryRun: boolean,
    early: CircuitRead,
  ): Promise<Allocation['verdicts']> {
    const since = windowStart(now, this.limits).toISOString();
    const started = Date.now();
    let snapshot = early.snapshot ?? ledger.readCircuit(since);
    for (let attempt = 1; ; attempt += 1) {
      const { entries, version } = await snapshot;
      const allocation = allocate(entries, candidates, this.limits, now);
      if (dryRun || allocation.entries.length === 0 || (await ledger.recordCircuitIf(allocation.entries, version)))
        return allocation.verdicts;
      const elapsed = Date.now() - started;
      if (elapsed >= this.contention.budgetMs) throw new CircuitContendedError(attempt, elapsed);
      const ceiling = Math.min(this.contention.maxDelayMs, this.contention.baseDelayMs * 2 ** Math.min(attempt, 16));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
      snapshot = ledger.readCircuit(since);
    }
  }
}

/** What `cordon status` shows. */
export interface CircuitStatus {
  readonly windowStart: string;
  readonly limits: CircuitLimits;
  readonly organization: { readonly contained: number; readonly open: boolean };
  /** Accounts with at least one containment or held finding in the window, open circuits first. */
  readonly accounts: ReadonlyArray<{
    readonly accountId: string;
    readonly contained: number;
    readonly held: number;
    readonly open: boolean;
    readonly closesAt: string | undefined;
  }>;
  /** Containments and held findings in the window, newest first. */
  readonly recent: readonly CircuitEntry[];
}

/** Summarises the ledger for `cordon status` (pure). */
export function circuitStatus(ledger: readonly CircuitEntry[], limits: CircuitLimits, now: Date): CircuitStatus {
  const since = windowStart(now, limits).toISOString();
  const recent = ledger.filter((e) => e.at >= since).sort((a, b) => (a.at < b.at ? 1 : -1));
  const firstContained = new Map<string, Map<string, string>>();
  const held = new Map<string, number>();
  const org = new Set<string>();
  for (const e of [...recent].reverse()) {
    const key = `${e.region}|${e.resource}`;
    if (e.kind === 'containment') {
      const resources = firstContained.get(e.accountId) ?? new Map<string, string>();
      if (!resources.has(key)) resources.set(key, e.at);
      firstContained.set(e.accountId, resources);
      org.add(`${e.accountId}|${key}`);
    } else {
      held.set(e.accountId, (held.get(e.accountId) ?? 0) + 1);
    }
  }
  const accounts = [...new Set([...firstContained.keys(), ...held.keys()])].map((accountId) => {
    const times = [...(firstContained.get(accountId)?.values() ?? [])].sort();
    const open = times.length >= limits.perAccount;
    // The circuit closes when enough containments have left the window to go below the cap.
    const leaving = times[times.length - limits.perAccount];
    const closesAt = open && leaving ? new Date(Date.parse(leaving) + limits.windowMinutes * 60_000).toISOString() : undefined;
    return { accountId, contained: times.length, held: held.get(accountId) ?? 0, open, closesAt };
  });
  accounts.sort((a, b) => Number(b.open) - Number(a.open) || b.contained - a.contained || a.accountId.localeCompare(b.accountId));
  return { windowStart: since, limits, organization: { contained: org.size, open: org.size >= limits.perOrganization }, accounts, recent };
}
