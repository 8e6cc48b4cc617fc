import {
  type AttributeValue,
  BatchWriteItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  paginateQuery,
  PutItemCommand,
  type QueryCommandInput,
  ScanCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import { daysBetween, inHistory } from './history';
import { giveBackUpdate, leaseItemKey, leaseLost, notTaken, plainLeaseItem, traceOf } from './dynamodb-leases';
import { CIRCUIT_PK, circuitItems, ledgerItem, verdictItems, versionMoved, versionUpdate } from './dynamodb-circuit';
import type {
  AuditRecord,
  CircuitEntry,
  CircuitSnapshot,
  HistoryQuery,
  LeaseGiveBack,
  LeaseHolder,
  LeaseRequest,
  LeaseTrace,
  ResponderStore,
  VersionedCircuitLedger,
} from './store';

/** DynamoDB's BatchWriteItem limit. */
const MAX_BATCH_WRITE_ITEMS = 25;

/**
 * The table's time-ordered index (the responder stack creates it): a finding's
 * records by the UTC day of their time (`day`, `YYYY-MM-DD`), in time order
 * (`sk` starts with the record's ISO time). Sparse: only finding records carry
 * `day` (not their copies by resource, nor ledger or lease items).
 */
export const AUDIT_TIME_INDEX = { name: 'byTime', partitionKey: 'day', sortKey: 'sk' } as const;

/** Days of the time index queried at once by `history`. */
const MAX_PARALLEL_DAY_QUERIES = 8;

/**
 * The item saying since when resource lease items trace the audit trail
 * (`since`, ISO time): written once, by the first responder that uses the table.
 */
const TRACE_KEY = { pk: { S: 'meta' }, sk: { S: 'lease-trace' } } as const;
/** `since` of a table that had no finding record when tracing began: every record is traced. */
const TRACED_FROM_START = '0000-01-01T00:00:00.000Z';
/** DynamoDB's TransactWriteItems limit: the version item and up to this many less one items of verdicts a transaction. */
const MAX_TRANSACT_ITEMS = 100;

/**
 * The audit trail in a DynamoDB table with string keys `pk` (`finding#<id>`)
 * and `sk` (`<time>#<seq>#<action>#<resource>`); the record is stored whole in
 * `record` (JSON), and again under its resource (`pk =
 * resource#<account>#<region>#<action>#<resource>`) so that release can see
 * which other findings rely on the same change. The circuit breaker's ledger is in the same table under
 * `pk = circuit`: a decision's verdicts together (`sk = <time>#verdicts#<version>#<n>`,
 * `records`: JSON entries; or one entry, `sk = <time>#<kind>#<account>#<finding>#<resource>`, `record`), with a
 * TTL (`expiresAt`, epoch seconds), and its version (`sk = ~version`, moved on
 * by every conditional write of verdicts, which is one small transaction). Leases are items `pk = lease#<key>`,
 * `sk = lease`, taken with a conditional PutItem (absent, or expired) and given
 * back with a conditional DeleteItem (still ours); the TTL removes those a dead
 * holder left. A finding's resource lease (traced) is one UpdateItem that
 * returns the item as it was: the item is kept (no TTL) and traces which
 * findings have records written under it (`findings`, a string set every
 * give-back adds to, in the same transaction as the records), so a delivery
 * learns with its lease whether the finding has history to read; and the
 * item carries the whole history of the findings whose holder knew it
 * (`h#<finding>`), so a finding seen before is read with its lease too. The
 * table is created by the responder stack.
 */
export class DynamoDbAuditStore implements ResponderStore, VersionedCircuitLedger {
  public readonly description: string;
  private seq = 0;

  public constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.description = `DynamoDB table ${tableName}`;
  }

  public async append(records: readonly AuditRecord[]): Promise<void> {
    await this.put(this.recordItems(records));
  }

  /** Each record as its two items: under its finding, and again under its resource. */
  private recordItems(records: readonly AuditRecord[]): Array<Record<string, AttributeValue>> {
    return records.flatMap((r): Array<Record<string, AttributeValue>> => {
      const seq = String((this.seq += 1)).padStart(6, '0');
      const record = { S: JSON.stringify(r) };
      return [
        {
          pk: { S: `finding#${r.findingId}` },
          sk: { S: `${r.at}#${seq}#${r.action}#${r.resource}` },
          accountId: { S: r.accountId },
          region: { S: r.region },
          [AUDIT_TIME_INDEX.partitionKey]: { S: r.at.slice(0, 10) },
          record,
        },
        // The same record under its resource: release asks which other findings still rely on a change.
        { pk: { S: resourceKey(r.accountId, r.region, r.action, r.resource) }, sk: { S: `${r.at}#${seq}#${r.findingId}` }, record },
      ];
    });
  }

  public async forResource(accountId: string, region: string, action: string, resource: string): Promise<AuditRecord[]> {
    return this.query({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: resourceKey(accountId, region, action, resource) } },
    });
  }

  public async recordCircuit(entries: readonly CircuitEntry[]): Promise<void> {
    await this.put(circuitItems(entries));
  }

  public async circuitEntries(since: string): Promise<CircuitEntry[]> {
    return [...(await this.readCircuit(since)).entries];
  }

  public async recordCircuitIf(entries: readonly CircuitEntry[], version: number): Promise<boolean> {
    // One small transaction whatever the batch: the version moved on by one, and the verdicts in a few items (a
    // decision's entries share their time). A writer in between fails it, and the decision is made again.
    const { count, items } = verdictItems(entries, version);
    if (items.length > MAX_TRANSACT_ITEMS - 1)
      throw new Error(`${count} circuit verdicts do not fit one DynamoDB transaction of ${this.tableName}`);
    const puts: TransactWriteItem[] = items.map((Item) => ({ Put: { TableName: this.tableName, Item } }));
    try {
      await this.client.send(
        new TransactWriteItemsCommand({ TransactItems: [{ Update: { TableName: this.tableName, ...versionUpdate(version) } }, ...puts] }),
      );
    } catch (err) {
      if (!versionMoved(err)) throw err;
      return false;
    }
    return true;
  }

  public async readCircuit(since: string): Promise<CircuitSnapshot> {
    const entries: CircuitEntry[] = [];
    let version = 0;
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        ConsistentRead: true,
        KeyConditionExpression: 'pk = :pk AND sk >= :since',
        ExpressionAttributeValues: { ':pk': { S: CIRCUIT_PK }, ':since': { S: since } },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const read = ledgerItem(item);
        if ('entries' in read) entries.push(...read.entries);
        else if (read.version !== undefined) version = read.version;
      }
    }
    return { entries, version };
  }

  private async put(items: ReadonlyArray<Record<string, AttributeValue>>): Promise<void> {
    for (let i = 0; i < items.length; i += MAX_BATCH_WRITE_ITEMS) {
      let requests = items.slice(i, i + MAX_BATCH_WRITE_ITEMS).map((Item) => ({ PutRequest: { Item } }));
      // Unprocessed items come back under throttling; the SDK has already
      // retried the call itself, so this only re-sends what DynamoDB declined.
      for (let attempt = 0; requests.length > 0; attempt += 1) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** attempt)));
        if (attempt > 8) throw new Error(`DynamoDB kept ${requests.length} audit records unprocessed in ${this.tableName}`);
        const out = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (out.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
      }
    }
  }

  public async tryLease(
    key: string,
    owner: string,
    nowMs: number,
    ttlMs: number,
    request: LeaseRequest = {},
  ): Promise<{ taken: true; trace?: LeaseTrace } | { taken: false; holder?: LeaseHolder }> {
    if (request.traced) return this.tryTracedLease(key, owner, nowMs, ttlMs);
    const expiresAtMs = nowMs + ttlMs;
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: plainLeaseItem(key, owner, expiresAtMs),
          ConditionExpression: 'attribute_not_exists(pk) OR leaseExpiresAtMs < :now',
          ExpressionAttributeValues: { ':now': { N: String(nowMs) } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { taken: true };
    } catch (err) {
      return notTaken(err);
    }
  }

  /** One UpdateItem: the lease taken (no TTL: the item keeps its trace), and the item as it was. */
  private async tryTracedLease(
    key: string,
    owner: string,
    nowMs: number,
    ttlMs: number,
  ): Promise<{ taken: true; trace?: LeaseTrace } | { taken: false; holder?: LeaseHolder }> {
    // Known once per store (one read per Lambda environment); without it, the caller reads the trail itself.
    const since = this.traceSince().catch(() => undefined);
    let old: Record<string, AttributeValue> | undefined;
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: leaseItemKey(key),
          UpdateExpression: 'SET leaseOwner = :owner, leaseExpiresAtMs = :expires REMOVE expiresAt',
          ConditionExpression: 'attribute_not_exists(leaseOwner) OR leaseExpiresAtMs < :now',
          ExpressionAttributeValues: {
            ':owner': { S: owner },
            ':expires': { N: String(nowMs + ttlMs) },
            ':now': { N: String(nowMs) },
          },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      old = out.Attributes;
    } catch (err) {
      return notTaken(err);
    }
    const tracedSince = await since;
    return tracedSince === undefined ? { taken: true } : { taken: true, trace: traceOf(old ?? {}, tracedSince) };
  }

  public async releaseLease(key: string, owner: string, written?: LeaseGiveBack): Promise<void> {
    try {
      await this.client.send(
        written
          ? new UpdateItemCommand({ TableName: this.tableName, ...giveBackUpdate(key, owner, written) })
          : new DeleteItemCommand({
              TableName: this.tableName,
              Key: leaseItemKey(key),
              ConditionExpression: 'leaseOwner = :owner',
              ExpressionAttributeValues: { ':owner': { S: owner } },
            }),
      );
    } catch (err) {
      // Expired and taken over by another owner (or already gone): not ours to delete.
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    }
  }

  /**
   * The records and the traced lease's give-back in one transaction (the
   * records, twice each, and the lease item: up to DynamoDB's 100 items);
   * beyond that, or when the lease is no longer ours, the records alone.
   */
  public async appendReleasing(records: readonly AuditRecord[], key: string, owner: string, written: LeaseGiveBack): Promise<void> {
    const items = this.recordItems(records);
    if (items.length + 1 > MAX_TRANSACT_ITEMS) {
      await this.put(items);
      await this.releaseLease(key, owner, written);
      return;
    }
    try {
      await this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            ...items.map((Item) => ({ Put: { TableName: this.tableName, Item } })),
            { Update: { TableName: this.tableName, ...giveBackUpdate(key, owner, written) } },
          ],
        }),
      );
    } catch (err) {
      // The lease expired and another owner took it: the records are written on their own, the lease is theirs.
      if (!leaseLost(err, items.length)) throw err;
      await this.put(items);
    }
  }

  /**
   * Since when lease items trace the audit trail: read once per store; the
   * first responder on the table writes it (from the start when the table
   * holds no finding record yet, else from now: older findings' records are read).
   */
  private traceSince(): Promise<string> {
    this.since ??= this.loadTraceSince().catch((err: unknown) => {
      this.since = undefined;
      throw err;
    });
    return this.since;
  }

  private since: Promise<string> | undefined;

  private async loadTraceSince(): Promise<string> {
    // Both reads at once (one round trip beside the lease's own call): the item, and whether the table has any
    // finding record yet (for the first responder on it).
    const [got, empty] = await Promise.all([
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: TRACE_KEY, ConsistentRead: true })),
      // A table without the time index (made by hand) cannot say: from now, then (older findings' records are read).
      this.client
        .send(new ScanCommand({ TableName: this.tableName, IndexName: AUDIT_TIME_INDEX.name, Limit: 1 }))
        .then((any) => (any.Count ?? 0) === 0 && !any.LastEvaluatedKey)
        .catch(() => false),
    ]);
    const known = got.Item?.since?.S;
    if (known) return known;
    const since = empty ? TRACED_FROM_START : new Date().toISOString();
    // Written in the background, and used at once: when another responder wrote it first, theirs is no later
    // than ours (a table that had records for them has them for us), so trusting ours trusts no more than theirs.
    this.client
      .send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { ...TRACE_KEY, since: { S: since } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      )
      .catch(() => undefined);
    return since;
  }

  public async forFinding(findingId: string): Promise<AuditRecord[]> {
    return this.query({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `finding#${findingId}` } } });
  }

  /**
   * A finding's records (its partition), or the time index's days in the
   * range (a few queried at once), filtered by account; oldest first.
   */
  public async history(query: HistoryQuery): Promise<AuditRecord[]> {
    if (query.findingId !== undefined) return (await this.forFinding(query.findingId)).filter((r) => inHistory(r, query));
    const limit = pLimit(MAX_PARALLEL_DAY_QUERIES);
    const days = await Promise.all(
      daysBetween(query.since, query.until).map((day) =>
        limit(() =>
          this.query({
            IndexName: AUDIT_TIME_INDEX.name,
            ConsistentRead: false,
            KeyConditionExpression: '#day = :day AND sk BETWEEN :since AND :until',
            ExpressionAttributeNames: { '#day': AUDIT_TIME_INDEX.partitionKey },
            ExpressionAttributeValues: { ':day': { S: day }, ':since': { S: query.since }, ':until': { S: `${query.until}\uffff` } },
          }),
        ),
      ),
    );
    return days.flat().filter((r) => inHistory(r, query));
  }

  private async query(input: Omit<QueryCommandInput, 'TableName'>): Promise<AuditRecord[]> {
    const records: AuditRecord[] = [];
    const pages = paginateQuery({ client: this.client }, { TableName: this.tableName, ConsistentRead: true, ...input });
    for await (const page of pages) {
      for (const item of page.Items ?? []) if (item.record?.S) records.push(JSON.parse(item.record.S) as AuditRecord);
    }
    return records;
  }
}

/** Partition of a resource's records: `resource#<account>#<region>#<action>#<resource>`. */
function resourceKey(accountId: string, region: string, action: string, resource: string): string {
  return `resource#${accountId}#${region}#${action}#${resource}`;
}
