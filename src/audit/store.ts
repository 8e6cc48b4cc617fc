import type { ActionStatus, ResidualChannel } from '../outcome';

/** One audited action: what cordon did to a resource, and the state it replaced. */
export interface AuditRecord {
  readonly findingId: string;
  readonly findingArn: string;
  readonly accountId: string;
  readonly region: string;
  readonly findingType: string;
  readonly runbook: string | null;
  readonly action: string;
  readonly resource: string;
  readonly status: ActionStatus;
  readonly detail: string;
  /** What cordon was asked to do: the runbook step (action and parameters) this outcome came from. */
  readonly request?: { readonly action: string; readonly params: unknown; readonly dryRun: boolean };
  /** State before the change, for `release`. */
  readonly prior?: Readonly<Record<string, unknown>>;
  readonly changed?: Readonly<Record<string, unknown>>;
  /** ISO time of the action. */
  readonly at: string;
  /** Who acted: the responder, or a `release`. */
  readonly actor: 'respond' | 'release';
  /** Security-account principal or Lambda that ran cordon, when known. */
  readonly by?: string;
  /** The finding's main resource (instance, access key, user, bucket): what the responder's lease is on. */
  readonly subject?: string;
  /** What the runbook acted on, as a digest (`findingInputs`): a delivery with the same may report this run. */
  readonly inputs?: string;
  /** The channels the outcome left open, and those it closed (see `ActionOutcome`). */
  readonly remains?: readonly ResidualChannel[];
  readonly closes?: readonly ResidualChannel[];
}

/** Which audit records `cordon history` reads: a time range (ISO times), optionally one account or one finding. */
export interface HistoryQuery {
  readonly since: string;
  readonly until: string;
  readonly accountId?: string;
  readonly findingId?: string;
}

/** Where the audit trail lives: a local file for the CLI, DynamoDB when deployed (or from the CLI too). */
export interface AuditStore {
  /** A short description for messages (`file .cordon/audit.jsonl`, `DynamoDB table cordon-audit`). */
  readonly description: string;
  append(records: readonly AuditRecord[]): Promise<void>;
  /** Every record of one finding, oldest first. */
  forFinding(findingId: string): Promise<AuditRecord[]>;
  /** Every record, of any finding, of one action on one resource (an interface, a role, an ACL entry…), oldest first. */
  forResource(accountId: string, region: string, action: string, resource: string): Promise<AuditRecord[]>;
  /** Every record in the query's time range (and account or finding, when given), oldest first. */
  history(query: HistoryQuery): Promise<AuditRecord[]>;
}

/** One entry of the circuit breaker's ledger: an automatic containment, or a finding held because a circuit was open. */
export interface CircuitEntry {
  readonly kind: 'containment' | 'held';
  /** ISO time. */
  readonly at: string;
  readonly accountId: string;
  readonly region: string;
  readonly findingId: string;
  readonly resource: string;
}

/** The circuit breaker's state, kept with the audit trail so that it survives restarts. */
export interface CircuitLedger {
  /** Entries at or after `since` (ISO time), oldest first. */
  circuitEntries(since: string): Promise<CircuitEntry[]>;
  recordCircuit(entries: readonly CircuitEntry[]): Promise<void>;
}

/** The ledger as one read saw it: its entries, and the version a conditional write must still find. */
export interface CircuitSnapshot {
  readonly entries: readonly CircuitEntry[];
  readonly version: number;
}

/**
 * A ledger that admits without a lease (optimistic concurrency): one read
 * returns the entries with the ledger's version, one conditional write records
 * the verdicts only if no other writer moved the version since. Two
 * invocations deciding at once: one write succeeds, the other reads again.
 */
export interface VersionedCircuitLedger {
  /** Entries at or after `since` (ISO time), oldest first, with the ledger's version (0 before the first write). */
  readCircuit(since: string): Promise<CircuitSnapshot>;
  /** Records `entries` and moves the version on from `version`; false, recording nothing, when the version had moved. */
  recordCircuitIf(entries: readonly CircuitEntry[], version: number): Promise<boolean>;
}

/** Who holds a lease, when another holder was found. */
export interface LeaseHolder {
  readonly owner: string;
  /** Epoch milliseconds after which the lease may be taken over (its holder is presumed dead). */
  readonly expiresAtMs: number;
}

/**
 * What a resource's lease item says about the audit trail, read in the same
 * call that takes the lease: which findings have records written under it
 * (every holder adds the findings it wrote about when it gives the lease back),
 * when it was last given back, and since when the table traces this (records
 * of findings created before it may be missing from `findings`).
 */
export interface LeaseTrace {
  readonly findings: ReadonlySet<string>;
  /** Epoch milliseconds of the last give-back (the giver's clock), if any. */
  readonly givenBackAtMs: number | undefined;
  /** ISO time since which every record written under a lease is traced ('0000…' for a table that began with tracing). */
  readonly since: string;
  /**
   * The whole audit history (oldest first) of some of `findings`, as the item
   * carries it: read with the lease, so a finding seen before needs no query
   * of the trail. A finding missing here is read from the trail. Absent when
   * the lease was taken over from a holder that never gave it back, or was last
   * given back by a cordon that does not keep histories (either may have
   * written records the item does not show).
   */
  readonly histories?: ReadonlyMap<string, readonly AuditRecord[]>;
  /** When `histories` is absent: the findings whose history the item carried, which the give-back drops. */
  readonly untrusted?: readonly string[];
}

/** How a lease is taken: `traced` for a finding's resource (the audit trail is traced on its item). */
export interface LeaseRequest {
  readonly traced?: boolean;
}

/**
 * Short exclusive holds on what cordon changes (a resource, a subnet's network
 * ACL, a VPC's quarantine groups), so that two deliveries of one finding in two
 * Lambda environments, or two findings about one subnet, never change it at the
 * same moment. A lease expires by itself: a holder that dies never blocks for long.
 */
export interface LeaseStore {
  /**
   * Takes `key` for `ttlMs` unless another owner holds an unexpired lease on
   * it. A traced lease also returns its trace, when the store keeps one (else
   * the caller reads the audit trail itself).
   */
  tryLease(
    key: string,
    owner: string,
    nowMs: number,
    ttlMs: number,
    request?: LeaseRequest,
  ): Promise<{ readonly taken: true; readonly trace?: LeaseTrace } | { readonly taken: false; readonly holder?: LeaseHolder }>;
  /**
   * Gives the lease back if `owner` still holds it (an expired lease taken
   * over by another owner is left alone); a traced lease adds `written` (the
   * findings whose records were written under it) to its trace.
   */
  releaseLease(key: string, owner: string, written?: LeaseGiveBack): Promise<void>;
  /**
   * Appends `records` and gives the traced lease back in one atomic write
   * when the store can (else one after the other). @default append, then releaseLease
   */
  appendReleasing?(records: readonly AuditRecord[], key: string, owner: string, written: LeaseGiveBack): Promise<void>;
}

/** What a traced lease's give-back adds to its trace. */
export interface LeaseGiveBack {
  readonly findings: readonly string[];
  readonly atMs: number;
  /**
   * The whole history of some of `findings` (their records so far, these
   * included) for the item to carry; the item drops what it carried for the
   * other `findings` (their history is then read from the trail) and for
   * `dropped` (to stay within DynamoDB's item size). @default none carried
   */
  readonly histories?: ReadonlyMap<string, readonly AuditRecord[]>;
  readonly dropped?: readonly string[];
}

/** Where cordon keeps its audit trail, its circuit ledger and its leases. */
export type ResponderStore = AuditStore & CircuitLedger & LeaseStore;
