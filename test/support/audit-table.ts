import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AUDIT_TIME_INDEX } from '../../src/audit/dynamodb-store';

/** Creates the audit table as the responder stack does: `pk`/`sk`, and the time-ordered index `history` reads. */
export async function createAuditTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: AUDIT_TIME_INDEX.partitionKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: AUDIT_TIME_INDEX.name,
          KeySchema: [
            { AttributeName: AUDIT_TIME_INDEX.partitionKey, KeyType: 'HASH' },
            { AttributeName: AUDIT_TIME_INDEX.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
}
