/**
 * A lease's item in the DynamoDB audit table (pure): its key, the item of a
 * plain lease, the trace a traced one's item gives when taken, the update that
 * gives it back, and what DynamoDB's refusals mean. `DynamoDbAuditStore`
 * sends them.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AuditRecord, LeaseGiveBack, LeaseHolder, LeaseTrace } from './store';

/** Partition key prefix and sort key of lease items. */
const LEASE_PK_PREFIX = 'lease#';
const LEASE_SK = 'lease';
/** DynamoDB's TTL deletes a lease item this long after it expired (TTL deletion is lazy anyway). */
const LEASE_TTL_GRACE_SECONDS = 3600;

/** Attribute of a resource's lease item carrying one finding's whole history (JSON records): `h#<finding id>`. */
const HISTORY_ATTRIBUTE_PREFIX = 'h#';

/** The key of the item of the lease on `key`. */
export function leaseItemKey(key: string): Record<'pk' | 'sk', AttributeValue> {
  return { pk: { S: `${LEASE_PK_PREFIX}${key}` }, sk: { S: LEASE_SK } };
}

/** A plain lease's item: its holder, until when, and a TTL that removes it if its holder dies. */
export function plainLeaseItem(key: string, owner: string, expiresAtMs: number): Record<string, AttributeValue> {
  return {
    ...leaseItemKey(key),
    leaseOwner: { S: owner },
    leaseExpiresAtMs: { N: String(expiresAtMs) },
    expiresAt: { N: String(Math.ceil(expiresAtMs / 1000) + LEASE_TTL_GRACE_SECONDS) },
  };
}

/**
 * The trace of a traced lease's item as the take found it (`old`): which
 * findings have records written under it, when it was last given back, and
 * the histories it carries. They stand only if the last give-back kept them:
 * not after a holder that never gave the lease back (taken over), nor after a
 * give-back by a cordon that predates them (it sets `givenBackAtMs` alone,
 * never `historiesAtMs`). What either wrote may be missing from them.
 */
export function traceOf(old: Record<string, AttributeValue>, since: string): LeaseTrace {
  const givenBack = old.givenBackAtMs?.N;
  const histories = carriedHistories(old);
  const trusted = old.leaseOwner === undefined && old.historiesAtMs?.N === givenBack;
  return {
    findings: new Set(old.findings?.SS ?? []),
    givenBackAtMs: givenBack === undefined ? undefined : Number(givenBack),
    since,
    ...(trusted ? { histories } : { untrusted: [...histories.keys()] }),
  };
}

/**
 * The give-back of a traced lease: the holder leaves, the findings it wrote
 * about join the trace, and each of them has its whole history carried
 * (`h#<finding>`, JSON) when the holder knew it, else dropped.
 */
export function giveBackUpdate(key: string, owner: string, written: LeaseGiveBack) {
  const findings = [...new Set(written.findings)];
  const carried = written.histories ?? new Map<string, readonly AuditRecord[]>();
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = { ':owner': { S: owner }, ':at': { N: String(written.atMs) } };
  // `historiesAtMs`: this give-back kept the histories (see traceOf).
  const set = ['givenBackAtMs = :at', 'historiesAtMs = :at'];
  const remove = ['leaseOwner', 'leaseExpiresAtMs'];
  const dropped = [...new Set([...findings, ...(written.dropped ?? [])])];
  dropped.forEach((id, i) => {
    names[`#h${i}`] = `${HISTORY_ATTRIBUTE_PREFIX}${id}`;
    const history = carried.get(id);
    if (history && findings.includes(id)) {
      values[`:h${i}`] = { S: JSON.stringify(history) };
      set.push(`#h${i} = :h${i}`);
    } else remove.push(`#h${i}`);
  });
  if (findings.length > 0) values[':findings'] = { SS: findings };
  return {
    Key: leaseItemKey(key),
    UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}${findings.length > 0 ? ' ADD findings :findings' : ''}`,
    ConditionExpression: 'leaseOwner = :owner',
    ...(dropped.length > 0 ? { ExpressionAttributeNames: names } : {}),
    ExpressionAttributeValues: values,
  };
}

/** The histories a lease item carries, by finding (an unreadable one is left to the trail: an empty list is never assumed). */
function carriedHistories(item: Record<string, AttributeValue>): Map<string, AuditRecord[]> {
  const histories = new Map<string, AuditRecord[]>();
  for (const [name, value] of Object.entries(item)) {
    if (!name.startsWith(HISTORY_ATTRIBUTE_PREFIX) || value.S === undefined) continue;
    try {
      const records: unknown = JSON.parse(value.S);
      if (Array.isArray(records) && records.length > 0)
        histories.set(name.slice(HISTORY_ATTRIBUTE_PREFIX.length), records as AuditRecord[]);
    } catch {
      // Not JSON: the finding's history is read from the trail.
    }
  }
  return histories;
}

/** A lease another owner holds (the condition failed), with its holder when DynamoDB returned it. */
export function notTaken(err: unknown): { taken: false; holder?: LeaseHolder } {
  if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
  const item = (err as { Item?: Record<string, AttributeValue> }).Item;
  const holder =
    item?.leaseOwner?.S && item.leaseExpiresAtMs?.N
      ? { owner: item.leaseOwner.S, expiresAtMs: Number(item.leaseExpiresAtMs.N) }
      : undefined;
  return holder ? { taken: false, holder } : { taken: false };
}

/** True when a records-and-give-back transaction failed only because the lease item's condition did (the lease is not ours). */
export function leaseLost(err: unknown, leaseIndex: number): boolean {
  if ((err as Error).name !== 'TransactionCanceledException') return false;
  const reasons = (err as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
  return (
    reasons[leaseIndex]?.Code === 'ConditionalCheckFailed' && reasons.every((r, i) => i === leaseIndex || !r.Code || r.Code === 'None')
  );
}
