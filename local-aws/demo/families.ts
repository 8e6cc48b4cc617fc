import { sampleFinding } from './findings';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateImageCommand,
  CreateSnapshotCommand,
  CreateSubnetCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
} from '@aws-sdk/client-ec2';
import { CreateClusterCommand, ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { CreateClusterCommand as CreateEksClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  LambdaClient,
  PutFunctionConcurrencyCommand,
} from '@aws-sdk/client-lambda';
import { CreateDBInstanceCommand, CreateDBSubnetGroupCommand, RDSClient } from '@aws-sdk/client-rds';
import { PutBucketPolicyCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { World } from './world';

/**
 * The resources of the 2026 finding families in one member account and
 * region of the demo organization: a Lambda function with a reserved
 * concurrency and a DynamoDB stream mapping, an ECS cluster with a Fargate
 * task (awsvpc, a task role), an RDS database in a DB subnet group, an
 * uploaded S3 object under a bucket policy, an EBS snapshot and an AMI each
 * shared with another account, and an EKS cluster.
 */
export interface Families {
  readonly accountId: string;
  readonly region: string;
  readonly lambda: { readonly functionName: string; readonly functionArn: string; readonly roleArn: string; readonly mappingUuid: string };
  readonly task: { readonly clusterArn: string; readonly taskArn: string; readonly definitionArn: string; readonly roleName: string };
  readonly database: { readonly instanceId: string; readonly subnetIds: readonly string[] };
  readonly object: { readonly bucket: string; readonly key: string; readonly policy: string };
  readonly snapshot: { readonly snapshotId: string; readonly arn: string; readonly sharedWith: string };
  readonly image: { readonly imageId: string; readonly arn: string; readonly sharedWith: string };
  readonly eks: { readonly clusterName: string };
}

const trust = (service: string): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });

/** A minimal zip (one empty `index.js`) for CreateFunction. */
function tinyZip(): Uint8Array {
  // Stored (no compression) zip of index.js containing nothing: local header, central directory, end record.
  const name = Buffer.from('index.js');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(local.length + name.length, 16);
  return Buffer.concat([local, name, central, name, end]);
}

/** Builds the family resources in the world's first member account and first region. */
export async function buildFamilies(world: World, endpoint: string): Promise<Families> {
  const accountId = world.memberAccountIds[0] as string;
  const other = (world.memberAccountIds[1] ?? world.securityAccountId) as string;
  const region = world.regions[0] as string;
  const credentials = await world.credentialsFor(accountId);
  const cfg = { endpoint, region, credentials };
  const iam = new IAMClient(cfg);
  const ec2 = new EC2Client(cfg);
  const web = world.instances.find((i) => i.accountId === accountId && i.region === region && i.name === 'web-2');
  if (!web) throw new Error(`the world has no web-2 in ${accountId} ${region}`);
  const { vpcId, subnetId } = web.target;
  const groups = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'group-name', Values: ['web'] },
      ],
    }),
  );
  const webSg = groups.SecurityGroups?.[0]?.GroupId as string;

  // Lambda: a function with reserved concurrency 5, fed by a DynamoDB stream.
  const fnRole = await iam.send(
    new CreateRoleCommand({ RoleName: 'orders-worker-role', AssumeRolePolicyDocument: trust('lambda.amazonaws.com') }),
  );
  const lambda = new LambdaClient(cfg);
  const fn = await lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'orders-worker',
      Runtime: 'nodejs22.x',
      Role: fnRole.Role?.Arn,
      Handler: 'index.handler',
      Code: { ZipFile: tinyZip() },
    }),
  );
  await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'orders-worker', ReservedConcurrentExecutions: 5 }));
  const table = await new DynamoDBClient(cfg).send(
    new CreateTableCommand({
      TableName: 'orders',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
    }),
  );
  const mapping = await lambda.send(
    new CreateEventSourceMappingCommand({
      FunctionName: 'orders-worker',
      EventSourceArn: table.TableDescription?.LatestStreamArn,
      StartingPosition: 'LATEST',
      Enabled: true,
    }),
  );

  // ECS: a Fargate task of a service-like group, awsvpc in the web subnet, with a task role.
  const taskRole = await iam.send(
    new CreateRoleCommand({ RoleName: 'api-task-role', AssumeRolePolicyDocument: trust('ecs-tasks.amazonaws.com') }),
  );
  const ecs = new ECSClient(cfg);
  const cluster = await ecs.send(new CreateClusterCommand({ clusterName: 'payments' }));
  const definition = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'api',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      taskRoleArn: taskRole.Role?.Arn,
      containerDefinitions: [{ name: 'app', image: 'public.ecr.aws/nginx/nginx:latest', essential: true, cpu: 256, memory: 512 }],
    }),
  );
  const run = await ecs.send(
    new RunTaskCommand({
      cluster: 'payments',
      taskDefinition: definition.taskDefinition?.taskDefinitionArn,
      launchType: 'FARGATE',
      group: 'service:api',
      networkConfiguration: { awsvpcConfiguration: { subnets: [subnetId], securityGroups: [webSg], assignPublicIp: 'DISABLED' } },
    }),
  );

  // RDS: a database in a DB subnet group of two subnets (two zones, as RDS requires).
  const second = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.2.0/24', AvailabilityZone: `${region}b` }));
  const subnetIds = [subnetId, second.Subnet?.SubnetId as string];
  const rds = new RDSClient(cfg);
  await rds.send(
    new CreateDBSubnetGroupCommand({ DBSubnetGroupName: 'orders-db', DBSubnetGroupDescription: 'orders database', SubnetIds: subnetIds }),
  );
  await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: 'orders-db',
      DBInstanceClass: 'db.t3.micro',
      Engine: 'postgres',
      AllocatedStorage: 20,
      MasterUsername: 'orders_admin',
      MasterUserPassword: 'not-a-real-password-1',
      DBSubnetGroupName: 'orders-db',
      VpcSecurityGroupIds: [webSg],
    }),
  );

  // S3: an uploaded object in the account's bucket, under a policy of the bucket's own.
  const bucket = world.buckets.find((b) => b.accountId === accountId && b.region === region)?.name as string;
  const s3 = new S3Client({ ...cfg, forcePathStyle: true });
  const key = 'uploads/invoice-2026-11.pdf.exe';
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' }),
  );
  const policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'TeamRead',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${bucket}/*`,
      },
    ],
  });
  await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy }));

  // A snapshot and an AMI, each shared with another account of the organization.
  const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [web.target.instanceId] }));
  const volumeId = described.Reservations?.[0]?.Instances?.[0]?.BlockDeviceMappings?.[0]?.Ebs?.VolumeId as string;
  const snapshot = await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId, Description: 'nightly backup of web-2' }));
  const snapshotId = snapshot.SnapshotId as string;
  await ec2.send(
    new ModifySnapshotAttributeCommand({
      SnapshotId: snapshotId,
      Attribute: 'createVolumePermission',
      OperationType: 'add',
      UserIds: [other],
    }),
  );
  const image = await ec2.send(new CreateImageCommand({ InstanceId: web.target.instanceId, Name: 'web-golden-2026-11' }));
  const imageId = image.ImageId as string;
  await ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Add: [{ UserId: other }] } }));

  // EKS: a cluster (its API is out of cordon's reach; the cluster carries the finding's tags).
  const eksRole = await iam.send(
    new CreateRoleCommand({ RoleName: 'eks-cluster-role', AssumeRolePolicyDocument: trust('eks.amazonaws.com') }),
  );
  await new EKSClient(cfg).send(
    new CreateEksClusterCommand({
      name: 'platform',
      roleArn: eksRole.Role?.Arn,
      resourcesVpcConfig: { subnetIds, securityGroupIds: [webSg] },
    }),
  );

  return {
    accountId,
    region,
    lambda: {
      functionName: 'orders-worker',
      functionArn: fn.FunctionArn as string,
      roleArn: fnRole.Role?.Arn as string,
      mappingUuid: mapping.UUID as string,
    },
    task: {
      clusterArn: cluster.cluster?.clusterArn as string,
      taskArn: run.tasks?.[0]?.taskArn as string,
      definitionArn: definition.taskDefinition?.taskDefinitionArn as string,
      roleName: 'api-task-role',
    },
    database: { instanceId: 'orders-db', subnetIds },
    object: { bucket, key, policy },
    snapshot: { snapshotId, arn: `arn:aws:ec2:${region}::snapshot/${snapshotId}`, sharedWith: other },
    image: { imageId, arn: `arn:aws:ec2:${region}::image/${imageId}`, sharedWith: other },
    eks: { clusterName: 'platform' },
  };
}

/** One real-shaped finding per 2026 family about the resources `buildFamilies` made, keyed by family. */
export function familyFindings(world: World, f: Families): Record<string, Record<string, unknown>> {
  const { accountId, region } = f;
  const web = world.instances.find((i) => i.accountId === accountId && i.region === region && i.name === 'web-2')?.target;
  const bot = world.users.find((u) => u.accountId === accountId && u.userName === 'deploy-bot');
  const base = { accountId, region };
  const task = {
    clusterArn: f.task.clusterArn,
    taskArn: f.task.taskArn,
    launchType: 'FARGATE' as const,
    definitionArn: f.task.definitionArn,
  };
  return {
    'malware-ec2': sampleFinding('Execution:EC2/MaliciousFile', { ...base, ...(web ? { instance: web } : {}), severity: 8 }),
    'malware-snapshot': sampleFinding('Execution:EC2/MaliciousFile!Snapshot', {
      ...base,
      backup: { kind: 'ebs-snapshot', arn: f.snapshot.arn },
      severity: 8,
    }),
    'malware-ami': sampleFinding('Execution:EC2/MaliciousFile!AMI', {
      ...base,
      backup: { kind: 'ec2-image', arn: f.image.arn },
      severity: 8,
    }),
    'runtime-ecs': sampleFinding('Execution:Runtime/ReverseShell', {
      ...base,
      task,
      process: { name: 'bash', executablePath: '/usr/bin/bash' },
      severity: 8,
    }),
    'runtime-eks': sampleFinding('CryptoCurrency:Runtime/BitcoinTool.B', {
      ...base,
      ...(web ? { instance: web } : {}),
      kubernetes: { clusterName: f.eks.clusterName, pod: { name: 'miner-5c9f', namespace: 'default', serviceAccountName: 'web' } },
      process: { name: 'xmrig', executablePath: '/tmp/xmrig' },
      severity: 8,
    }),
    lambda: sampleFinding('Backdoor:Lambda/C&CActivity.B', {
      ...base,
      lambda: { functionName: f.lambda.functionName, functionArn: f.lambda.functionArn, roleArn: f.lambda.roleArn },
      remoteIp: '198.51.100.77',
      severity: 8,
    }),
    rds: sampleFinding('CredentialAccess:RDS/MaliciousIPCaller.SuccessfulBruteForce', {
      ...base,
      database: { instanceId: f.database.instanceId, user: 'orders_app', engine: 'postgres' },
      remoteIp: '203.0.113.99',
      resourceRole: 'TARGET',
      severity: 8,
    }),
    's3-object': sampleFinding('Object:S3/MaliciousFile', { ...base, object: { bucket: f.object.bucket, key: f.object.key }, severity: 8 }),
    kubernetes: sampleFinding('Discovery:Kubernetes/MaliciousIPCaller', {
      ...base,
      kubernetes: { clusterName: f.eks.clusterName, username: `arn:aws:iam::${accountId}:user/deploy-bot` },
      remoteIp: '203.0.113.120',
      severity: 8,
    }),
    sequence: sampleFinding('AttackSequence:ECS/CompromisedCluster', {
      ...base,
      severity: 9,
      sequence: [
        {
          uid: f.task.taskArn,
          name: f.task.taskArn.split('/').pop(),
          accountId,
          region,
          resourceType: 'ECS_TASK',
          service: 'ECS',
          cloudPartition: 'aws',
          data: { ecsTask: { taskDefinitionArn: f.task.definitionArn, launchType: 'FARGATE' } },
        },
        ...(bot
          ? [
              {
                uid: bot.accessKeyId,
                name: bot.accessKeyId,
                accountId,
                region,
                resourceType: 'ACCESS_KEY',
                service: 'IAM',
                cloudPartition: 'aws',
                data: { accessKey: { principalId: 'AIDAEXAMPLEDEPLOYBOT', userName: 'deploy-bot', userType: 'IAMUser' } },
              },
            ]
          : []),
        {
          uid: `arn:aws:s3:::${f.object.bucket}`,
          name: f.object.bucket,
          accountId,
          region,
          resourceType: 'S3_BUCKET',
          service: 'S3',
          cloudPartition: 'aws',
        },
        {
          uid: `arn:aws:eks:${region}:${accountId}:cluster/${f.eks.clusterName}`,
          name: f.eks.clusterName,
          accountId,
          region,
          resourceType: 'EKS_CLUSTER',
          service: 'EKS',
          cloudPartition: 'aws',
        },
      ],
    }),
  };
}
