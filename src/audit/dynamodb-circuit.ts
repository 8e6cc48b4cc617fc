/**
 * The circuit breaker's ledger as DynamoDB items (pure): entries, the
 * batched verdicts of one decision, the version item every decision moves on,
 * and how a refused decision reads. `dynamodb-store.ts` sends them.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { CircuitEntry } from './store';

/** Partition of the circuit breaker's ledger. */
export const CIRCUIT_PK = 'circuit';
/**
 * Ledger entries expire (DynamoDB TTL on `expiresAt`) this long after they are
 * written: longer than the longest window the settings accept (7 days), so an
 * entry never leaves the ledger while it still counts.
 */
const CIRCUIT_TTL_SECONDS = 8 * 24 * 3600;
/** Sort key of the ledger's version item: after every ISO time, so a window's query returns it with the entries. */
const CIRCUIT_VERSION_SK = '~version';
/** Verdicts in one ledger item (each about 250 bytes: well below DynamoDB's 400 KB an item). */
const MAX_ENTRIES_PER_VERDICTS_ITEM = 500;

type Item = Record<string, AttributeValue>;

/** A ledger entry's key: its time, kind, account, finding and resource. */
function circuitKey(e: CircuitEntry): string {
  return `${e.at}#${e.kind}#${e.accountId}#${e.findingId}#${e.resource}`;
}

/** When an item written at `at` expires (DynamoDB TTL, seconds since the epoch). */
function expiresAt(at: string): AttributeValue {
  return { N: String(Math.floor(Date.parse(at) / 1000) + CIRCUIT_TTL_SECONDS) };
}

/** The ledger items of `entries`, each key once (a finding delivered twice in one batch). */
export function circuitItems(entries: readonly CircuitEntry[]): Item[] {
  const unique = new Map(entries.map((e) => [circuitKey(e), e]));
  return [...unique].map(([sk, e]) => ({
    pk: { S: CIRCUIT_PK },
    sk: { S: sk },
    expiresAt: expiresAt(e.at),
    record: { S: JSON.stringify(e) },
  }));
}

/**
 * One decision's verdicts (each key once) in as few items as fit, each keyed
 * by its earliest time and the version the decision moves the ledger to.
 */
export function verdictItems(entries: readonly CircuitEntry[], version: number): { count: number; items: Item[] } {
  const unique = [...new Map(entries.map((e) => [circuitKey(e), e])).values()];
  const items: Item[] = [];
  for (let i = 0; i < unique.length; i += MAX_ENTRIES_PER_VERDICTS_ITEM) {
    const chunk = unique.slice(i, i + MAX_ENTRIES_PER_VERDICTS_ITEM);
    const first = chunk.reduce((min, e) => (e.at < min ? e.at : min), chunk[0]?.at ?? '');
    const last = chunk.reduce((max, e) => (e.at > max ? e.at : max), first);
    items.push({
      pk: { S: CIRCUIT_PK },
      sk: { S: `${first}#verdicts#${version + 1}#${items.length}` },
      expiresAt: expiresAt(last),
      records: { S: JSON.stringify(chunk) },
    });
  }
  return { count: unique.length, items };
}

/** The update that moves the ledger's version from `version` on by one, only if no one moved it first. */
export function versionUpdate(version: number) {
  return {
    Key: { pk: { S: CIRCUIT_PK }, sk: { S: CIRCUIT_VERSION_SK } },
    UpdateExpression: 'SET #version = :next',
    ConditionExpression: version === 0 ? 'attribute_not_exists(#version) OR #version = :v' : '#version = :v',
    ExpressionAttributeNames: { '#version': 'version' },
    ExpressionAttributeValues: { ':v': { N: String(version) }, ':next': { N: String(version + 1) } },
  };
}

/** What one item of the ledger's partition holds: entries (one, or a decision's verdicts), the version, or neither. */
export function ledgerItem(item: Item): { entries: CircuitEntry[] } | { version: number | undefined } {
  if (item.record?.S) return { entries: [JSON.parse(item.record.S) as CircuitEntry] };
  if (item.records?.S) return { entries: JSON.parse(item.records.S) as CircuitEntry[] };
  return { version: item.sk?.S === CIRCUIT_VERSION_SK ? Number(item.version?.N ?? '0') : undefined };
}

/**
 * True when a conditional write of verdicts failed because another writer
 * moved the ledger's version first, or was writing it at that moment.
 */
export function versionMoved(err: unknown): boolean {
  if ((err as Error).name !== 'TransactionCanceledException') return false;
  const reasons = (err as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
  return reasons.length === 0 || reasons.some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict');
}
