import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbAuditStore } from '../../../src/audit/dynamodb-store';

/** The lease calls' error paths that moto does not produce (it always returns the old item on a failed condition). */
describe('DynamoDbAuditStore leases: error paths', () => {
  const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const mock = mockClient(client);
  const store = new DynamoDbAuditStore(client, 'cordon-audit');
  const conditionFailed = (item?: Record<string, { S?: string; N?: string }>): ConditionalCheckFailedException =>
    Object.assign(
      new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      item ? { Item: item } : {},
    );

  beforeEach(() => mock.reset());

  it('asks for the lease with a condition on absence or expiry, and for the old item when it fails', async () => {
    mock.on(PutItemCommand).resolves({});

    await expect(store.tryLease('k', 'owner-a', 1_000, 500)).resolves.toEqual({ taken: true });

    expect(mock.commandCalls(PutItemCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'cordon-audit',
      ConditionExpression: 'attribute_not_exists(pk) OR leaseExpiresAtMs < :now',
      ExpressionAttributeValues: { ':now': { N: '1000' } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      Item: { pk: { S: 'lease#k' }, sk: { S: 'lease' }, leaseOwner: { S: 'owner-a' }, leaseExpiresAtMs: { N: '1500' } },
    });
  });

  it('reports the lease busy without a holder when DynamoDB returns no old item (or one without lease fields)', async () => {
    mock
      .on(PutItemCommand)
      .rejectsOnce(conditionFailed())
      .rejectsOnce(conditionFailed({ pk: { S: 'lease#k' }, sk: { S: 'lease' } }));

    const bare = await store.tryLease('k', 'owner-b', 1_000, 500);
    const partial = await store.tryLease('k', 'owner-b', 1_000, 500);

    expect(bare).toEqual({ taken: false });
    expect(partial).toEqual({ taken: false });
  });

  it('reports the holder from the old item', async () => {
    mock.on(PutItemCommand).rejects(conditionFailed({ leaseOwner: { S: 'owner-a' }, leaseExpiresAtMs: { N: '1500' } }));

    await expect(store.tryLease('k', 'owner-b', 1_000, 500)).resolves.toEqual({
      taken: false,
      holder: { owner: 'owner-a', expiresAtMs: 1500 },
    });
  });

  it('rethrows throttling from tryLease rather than calling the lease busy', async () => {
    mock.on(PutItemCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' }));

    await expect(store.tryLease('k', 'owner-b', 1_000, 500)).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
  });

  it('gives back only its own lease (condition on the owner) and treats a failed condition as not ours to delete', async () => {
    mock
      .on(DeleteItemCommand)
      .rejectsOnce(conditionFailed())
      .rejectsOnce(Object.assign(new Error('boom'), { name: 'InternalServerError' }));

    await expect(store.releaseLease('k', 'owner-a')).resolves.toBeUndefined();
    await expect(store.releaseLease('k', 'owner-a')).rejects.toMatchObject({ name: 'InternalServerError' });

    expect(mock.commandCalls(DeleteItemCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: { S: 'lease#k' }, sk: { S: 'lease' } },
      ConditionExpression: 'leaseOwner = :owner',
      ExpressionAttributeValues: { ':owner': { S: 'owner-a' } },
    });
  });
});
