import { type AttributeValue, BatchWriteItemCommand, type DynamoDBClient, paginateQuery } from '@aws-sdk/client-dynamodb';
import type { AuditRecord, CircuitEntry, ResponderStore } from './store';

/** DynamoDB's BatchWriteItem limit. */
const MAX_BATCH_WRITE_ITEMS = 25;

/** Partition of the circuit breaker's ledger. */
const CIRCUIT_PK = 'circuit';
/** Ledger entries expire (DynamoDB TTL on `expiresAt`) this long after they are written: `status` shows a day of history. */
const CIRCUIT_TTL_SECONDS = 2 * 24 * 3600;

/**
 * The audit trail in a DynamoDB table with string keys `pk` (`finding#<id>`)
 * and `sk` (`<time>#<seq>#<action>#<resource>`); the record is stored whole in
 * `record` (JSON). The circuit breaker's ledger is in the same table under
 * `pk = circuit`, `sk = <time>#<kind>#<account>#<finding>#<resource>`, with a
 * TTL (`expiresAt`, epoch seconds). The table is created by the responder stack.
 */
export class DynamoDbAuditStore implements ResponderStore {
  public readonly description: string;
  private seq = 0;

  public constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.description = `DynamoDB table ${tableName}`;
  }

  public async append(records: readonly AuditRecord[]): Promise<void> {
    await this.put(
      records.map((r) => ({
        pk: { S: `finding#${r.findingId}` },
        sk: { S: `${r.at}#${String((this.seq += 1)).padStart(6, '0')}#${r.action}#${r.resource}` },
        accountId: { S: r.accountId },
        region: { S: r.region },
        record: { S: JSON.stringify(r) },
      })),
    );
  }

  public async recordCircuit(entries: readonly CircuitEntry[]): Promise<void> {
    // One batch may not hold the same key twice (a finding delivered twice in one batch).
    const unique = new Map(entries.map((e) => [`${e.at}#${e.kind}#${e.accountId}#${e.findingId}#${e.resource}`, e]));
    await this.put(
      [...unique].map(([sk, e]) => ({
        pk: { S: CIRCUIT_PK },
        sk: { S: sk },
        expiresAt: { N: String(Math.floor(Date.parse(e.at) / 1000) + CIRCUIT_TTL_SECONDS) },
        record: { S: JSON.stringify(e) },
      })),
    );
  }

  public async circuitEntries(since: string): Promise<CircuitEntry[]> {
    const entries: CircuitEntry[] = [];
    const pages = paginateQuery(
      { client: this.client },
      { TableName: this.tableName, KeyConditionExpression: 'pk = :pk AND sk >= :since', ExpressionAttributeValues: { ':pk': { S: CIRCUIT_PK }, ':since': { S: since } } },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) if (item.record?.S) entries.push(JSON.parse(item.record.S) as CircuitEntry);
    }
    return entries;
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

  public async forFinding(findingId: string): Promise<AuditRecord[]> {
    const records: AuditRecord[] = [];
    const pages = paginateQuery(
      { client: this.client },
      { TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `finding#${findingId}` } } },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) if (item.record?.S) records.push(JSON.parse(item.record.S) as AuditRecord);
    }
    return records;
  }
}
