import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { auditTableDefinition } from '../../bench/harness';

/** Creates the audit table as the responder stack does, with the caller's client. */
export async function createAuditTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand(auditTableDefinition(tableName)));
}
