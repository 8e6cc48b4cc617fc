import { CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { request } from 'node:http';

import { shardOfAccount } from '../../../local-aws/emulator/moto-shards';
import { startLocalAws, type LocalAws } from '../../../local-aws/start';
import { clientConfig, credentialsFor, DEFAULT_ACCOUNT } from './helpers';

/** An EC2 query call straight to one shard, as `accountId` (moto reads the header before the key). */
function askShard(local: LocalAws, shard: number, accountId: string, region: string, form: Record<string, string>): Promise<string> {
  const process = local.moto.shards[shard];
  if (!process) throw new Error(`no shard ${shard}`);
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      `${process.endpoint}/`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          'content-length': String(Buffer.byteLength(body)),
          'x-moto-account-id': accountId,
          authorization: `AWS4-HMAC-SHA256 Credential=shard-test/20260101/${region}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** DynamoDB table names one shard holds for an account (JSON protocol). */
function tablesOnShard(local: LocalAws, shard: number, accountId: string): Promise<string[]> {
  const process = local.moto.shards[shard];
  if (!process) throw new Error(`no shard ${shard}`);
  return new Promise((resolve, reject) => {
    const req = request(
      `${process.endpoint}/`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.ListTables',
          'x-moto-account-id': accountId,
          authorization: 'AWS4-HMAC-SHA256 Credential=shard-test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { TableNames: string[] }).TableNames));
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

describe('shardOfAccount', () => {
  it('keeps home accounts and non-accounts on shard 0 and spreads the others over shards 1..n-1', () => {
    // Prepare
    const home = new Set([DEFAULT_ACCOUNT]);

    // Act
    const shards = ['111111111111', '222222222222', '333333333333'].map((a) => shardOfAccount(a, 3, home));

    // Assess
    expect(shardOfAccount(DEFAULT_ACCOUNT, 3, home)).toBe(0);
    expect(shardOfAccount('not-an-account', 3, home)).toBe(0);
    expect(shardOfAccount('111111111111', 1, home)).toBe(0);
    expect(shards).toEqual([2, 1, 2]);
  });
});

describe('moto split by account behind one endpoint', () => {
  let local: LocalAws;
  const memberA = '111111111111';
  const memberB = '222222222222';

  beforeAll(async () => {
    local = await startLocalAws({ motoShards: 3, awsManagedPolicies: false });
  });

  afterAll(async () => {
    await local?.stop();
  });

  it('sends a member account call, made with keys shard 0 issued, to the member shard only', async () => {
    // Prepare
    const shardA = local.moto.shardOf(memberA);
    const shardB = local.moto.shardOf(memberB);
    const credentials = await credentialsFor(local, memberA);

    // Act
    const vpc = await new EC2Client(clientConfig(local, 'eu-west-1', credentials)).send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
    const form = { Action: 'DescribeVpcs', Version: '2016-11-15', 'VpcId.1': vpc.Vpc?.VpcId ?? '' };
    const onA = await askShard(local, shardA, memberA, 'eu-west-1', form);
    const onB = await askShard(local, shardB, memberA, 'eu-west-1', form);
    const onHome = await askShard(local, 0, memberA, 'eu-west-1', form);

    // Assess
    expect(shardA).not.toBe(shardB);
    expect(shardA).not.toBe(0);
    expect(onA).toContain(`<vpcId>${vpc.Vpc?.VpcId}</vpcId>`);
    expect(onB).toContain('InvalidVpcID.NotFound');
    expect(onHome).toContain('InvalidVpcID.NotFound');
  });

  it('answers GetCallerIdentity with the assumed role of the account, wherever the key was issued', async () => {
    // Prepare
    const credentials = await credentialsFor(local, memberB, 'shard-role');

    // Act
    const identity = await new STSClient(clientConfig(local, 'us-east-1', credentials)).send(new GetCallerIdentityCommand({}));

    // Assess
    expect(identity.Account).toBe(memberB);
    expect(identity.Arn).toMatch(new RegExp(`^arn:aws:sts::${memberB}:assumed-role/shard-role/`));
  });

  it('keeps the security account on shard 0', async () => {
    // Prepare
    const ddb = new DynamoDBClient(clientConfig(local));
    const before = local.moto.requestsByShard();

    // Act
    await ddb.send(
      new CreateTableCommand({
        TableName: 'shard-audit',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    const after = local.moto.requestsByShard();

    // Assess
    expect(await tablesOnShard(local, 0, DEFAULT_ACCOUNT)).toContain('shard-audit');
    expect(await tablesOnShard(local, 1, DEFAULT_ACCOUNT)).not.toContain('shard-audit');
    expect(await tablesOnShard(local, 2, DEFAULT_ACCOUNT)).not.toContain('shard-audit');
    expect((after[0] ?? 0) - (before[0] ?? 0)).toBe(1);
    expect(after.slice(1)).toEqual(before.slice(1));
  });

  it("sends a call naming another account's bucket to the owner's shard", async () => {
    // Prepare
    const owner = await credentialsFor(local, memberA);
    const reader = await credentialsFor(local, memberB);
    const bucket = `shard-test-${memberA}`;
    await new S3Client({ ...clientConfig(local, 'us-east-1', owner), forcePathStyle: true }).send(
      new CreateBucketCommand({ Bucket: bucket }),
    );

    // Act
    const head = new S3Client({ ...clientConfig(local, 'us-east-1', reader), forcePathStyle: true }).send(
      new HeadBucketCommand({ Bucket: bucket }),
    );

    // Assess
    await expect(head).resolves.toBeDefined();
  });
});
