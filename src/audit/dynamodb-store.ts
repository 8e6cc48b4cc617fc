import { BatchWriteItemCommand, type DynamoDBClient, paginateQuery } from '@aws-sdk/client-dynamodb';
import type { AuditRecord, AuditStore } from './store';

/** DynamoDB's BatchWriteItem limit. */
const MAX_BATCH_WRITE_ITEMS = 25;

/**
 * The audit trail in a DynamoDB table with string keys `pk` (`finding#<id>`)
 * and `sk` (`<time>#<seq>#<action>#<resource>`); the record is stored whole in
 * `record` (JSON). The table is created by the responder stack.
 */
export class DynamoDbAuditStore implements AuditStore {
  public readonly description: string;
  private seq = 0;

  public constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.description = `DynamoDB table ${tableName}`;
  }

  public async append(records: readonly AuditRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += MAX_BATCH_WRITE_ITEMS) {
      let requests = records.slice(i, i + MAX_BATCH_WRITE_ITEMS).map((r) => ({
        PutRequest: {
          Item: {
            pk: { S: `finding#${r.findingId}` },
            sk: { S: `${r.at}#${String((this.seq += 1)).padStart(6, '0')}#${r.action}#${r.resource}` },
            accountId: { S: r.accountId },
            region: { S: r.region },
            record: { S: JSON.stringify(r) },
          },
        },
      }));
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
