import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';

import { startLocalAws, type LocalAws } from '../../../local-aws/start';
import { clientConfig } from './helpers';

/**
 * moto's TransactWriteItems keeps only the items a transaction names for its
 * rollback (local-aws/emulator/moto-patches/sitecustomize.py): what it does
 * must stay what DynamoDB documents, all or nothing (DynamoDB Developer Guide,
 * "Amazon DynamoDB Transactions: How it works", TransactWriteItems).
 */
describe('moto DynamoDB transactions (all or nothing)', () => {
  let local: LocalAws;
  let ddb: DynamoDBClient;
  const table = 'tx';
  const key = (pk: string) => ({ pk: { S: pk }, sk: { S: 'x' } });
  const get = async (pk: string) => (await ddb.send(new GetItemCommand({ TableName: table, Key: key(pk), ConsistentRead: true }))).Item;

  beforeAll(async () => {
    local = await startLocalAws();
    ddb = new DynamoDBClient(clientConfig(local));
    await ddb.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
  }, 60_000);

  afterAll(async () => {
    ddb?.destroy();
    await local?.stop();
  });

  it('a failed condition cancels the whole transaction: items put and updated before it in the list are as they were', async () => {
    // Prepare: an item the transaction updates, one it overwrites, and the condition's item held by someone else
    await ddb.send(new PutItemCommand({ TableName: table, Item: { ...key('updated'), n: { N: '1' } } }));
    await ddb.send(new PutItemCommand({ TableName: table, Item: { ...key('overwritten'), v: { S: 'before' } } }));
    await ddb.send(new PutItemCommand({ TableName: table, Item: { ...key('lease'), owner: { S: 'someone-else' } } }));
    await ddb.send(new PutItemCommand({ TableName: table, Item: { ...key('untouched'), v: { S: 'kept' } } }));

    // Act
    const attempt = ddb.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: table, Item: { ...key('new'), v: { S: 'new' } } } },
          { Put: { TableName: table, Item: { ...key('overwritten'), v: { S: 'after' } } } },
          {
            Update: {
              TableName: table,
              Key: key('updated'),
              UpdateExpression: 'SET n = :two',
              ExpressionAttributeValues: { ':two': { N: '2' } },
            },
          },
          {
            Update: {
              TableName: table,
              Key: key('lease'),
              UpdateExpression: 'REMOVE #o',
              ConditionExpression: '#o = :me',
              ExpressionAttributeNames: { '#o': 'owner' },
              ExpressionAttributeValues: { ':me': { S: 'me' } },
            },
          },
        ],
      }),
    );

    // Assess: cancelled with the failing item's reason, and nothing of it applied
    await expect(attempt).rejects.toMatchObject({
      name: 'TransactionCanceledException',
      CancellationReasons: [{ Code: 'None' }, { Code: 'None' }, { Code: 'None' }, { Code: 'ConditionalCheckFailed' }],
    });
    expect(await get('new')).toBeUndefined();
    expect((await get('overwritten'))?.v?.S).toBe('before');
    expect((await get('updated'))?.n?.N).toBe('1');
    expect((await get('lease'))?.owner?.S).toBe('someone-else');
    expect((await get('untouched'))?.v?.S).toBe('kept');
  });

  it('a transaction whose conditions hold applies every item', async () => {
    // Act
    await ddb.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: table, Item: { ...key('a'), v: { S: 'a' } } } },
          {
            Update: {
              TableName: table,
              Key: key('lease'),
              UpdateExpression: 'SET #o = :me',
              ConditionExpression: '#o = :them',
              ExpressionAttributeNames: { '#o': 'owner' },
              ExpressionAttributeValues: { ':me': { S: 'me' }, ':them': { S: 'someone-else' } },
            },
          },
        ],
      }),
    );

    // Assess
    expect((await get('a'))?.v?.S).toBe('a');
    expect((await get('lease'))?.owner?.S).toBe('me');
  });
});
