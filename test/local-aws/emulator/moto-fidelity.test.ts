import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand, GetBucketTaggingCommand, PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';

import { startLocalAws, type LocalAws } from '../../../local-aws/start';
import { clientConfig, credentialsFor, DEFAULT_ACCOUNT } from './helpers';

/**
 * Where moto answered kinder than AWS and the emulator now answers as AWS
 * documents (local-aws/emulator/moto-patches/sitecustomize.py): an
 * interface's security groups are its own, and S3 honours ExpectedBucketOwner.
 */
describe('moto as AWS documents it', () => {
  let local: LocalAws;

  beforeAll(async () => {
    local = await startLocalAws();
  }, 60_000);

  afterAll(async () => {
    await local?.stop();
  });

  it("an instance's interface reports only its own groups once moved (EC2 User Guide, security groups belong to interfaces)", async () => {
    const ec2 = new EC2Client(clientConfig(local));
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.8.0.0/16' }))).Vpc?.VpcId as string;
    const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.8.1.0/24' }))).Subnet?.SubnetId as string;
    const group = async (name: string) =>
      (await ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: name, VpcId: vpcId }))).GroupId as string;
    const [web, quarantine, admin] = [await group('web'), await group('quarantine'), await group('admin')];
    const run = await ec2.send(
      new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1, SubnetId: subnetId, SecurityGroupIds: [web] }),
    );
    const instanceId = run.Instances?.[0]?.InstanceId as string;
    const describe = async () =>
      (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]?.Instances?.[0];
    const ids = (groups: ReadonlyArray<{ GroupId?: string }> | undefined) => (groups ?? []).map((g) => g.GroupId).sort();

    const launched = await describe();
    const eniId = launched?.NetworkInterfaces?.[0]?.NetworkInterfaceId as string;
    expect(ids(launched?.NetworkInterfaces?.[0]?.Groups)).toEqual([web]);

    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: [quarantine] }));
    const moved = await describe();
    // moto 5.2 answered [quarantine, web] here.
    expect(ids(moved?.NetworkInterfaces?.[0]?.Groups)).toEqual([quarantine]);
    expect(ids(moved?.SecurityGroups)).toEqual([quarantine]);

    // ModifyInstanceAttribute's groupSet replaces the primary interface's groups.
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, Groups: [admin] }));
    const replaced = await describe();
    expect(ids(replaced?.NetworkInterfaces?.[0]?.Groups)).toEqual([admin]);
    expect(ids(replaced?.SecurityGroups)).toEqual([admin]);
    ec2.destroy();
  }, 60_000);

  it('S3 refuses a request whose ExpectedBucketOwner is not the bucket owner (403 Access Denied) and answers the owner', async () => {
    const member = '210987654321';
    const s3 = new S3Client({ ...clientConfig(local, 'us-east-1', await credentialsFor(local, member)), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'owner-check' }));
    await s3.send(new PutBucketTaggingCommand({ Bucket: 'owner-check', Tagging: { TagSet: [{ Key: 'team', Value: 'data' }] } }));

    const owned = await s3.send(new GetBucketTaggingCommand({ Bucket: 'owner-check', ExpectedBucketOwner: member }));
    expect(owned.TagSet).toEqual([{ Key: 'team', Value: 'data' }]);

    const refused = await s3.send(new GetBucketTaggingCommand({ Bucket: 'owner-check', ExpectedBucketOwner: DEFAULT_ACCOUNT })).then(
      () => undefined,
      (err: { name: string; $metadata?: { httpStatusCode?: number } }) => err,
    );
    expect(refused?.name).toBe('AccessDenied');
    expect(refused?.$metadata?.httpStatusCode).toBe(403);
    s3.destroy();
  }, 60_000);
});
