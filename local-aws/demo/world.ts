import {
  AttachNetworkInterfaceCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  AssociateIamInstanceProfileCommand,
} from '@aws-sdk/client-ec2';
import {
  AddRoleToInstanceProfileCommand,
  CreateAccessKeyCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  TagUserCommand,
} from '@aws-sdk/client-iam';
import { CreateAccountCommand, CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { CreateBucketCommand, PutPublicAccessBlockCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { DEFAULT_ROLE_NAME } from '../../src/config/defaults';
import { instanceTarget, type SampleTarget } from './findings';
import { LOCAL_CREDENTIALS } from '../sdk-env';

/** An instance the world created, with what a finding needs to name it. */
export interface WorldInstance {
  readonly accountId: string;
  readonly region: string;
  readonly name: string;
  readonly target: NonNullable<SampleTarget['instance']>;
}

/** The small organization the demo and the integration tests run against. */
export interface World {
  readonly securityAccountId: string;
  readonly memberAccountIds: readonly string[];
  readonly regions: readonly string[];
  readonly instances: readonly WorldInstance[];
  readonly users: ReadonlyArray<{ accountId: string; userName: string; accessKeyId: string; exempt: boolean }>;
  readonly buckets: ReadonlyArray<{ accountId: string; region: string; name: string }>;
  readonly instanceRoles: ReadonlyArray<{ accountId: string; roleName: string }>;
  /** Credentials of a member account (through OrganizationAccountAccessRole), for checking state. */
  credentialsFor(accountId: string): Promise<AwsCredentialIdentity>;
}

/** What to build. */
export interface WorldOptions {
  readonly endpoint: string;
  /** @default 3 */
  readonly memberCount?: number;
  /** @default ['us-east-1', 'eu-west-1'] */
  readonly regions?: readonly string[];
}

const HOME_CREDS = LOCAL_CREDENTIALS;

/**
 * Builds an organization in moto: the caller's account (the security
 * account) creates the organization and N member accounts; each member gets,
 * in each region, a VPC with a running instance (the first also a second
 * network interface, an Auto Scaling-free web server and an instance profile),
 * plus an IAM user with an access key, an exempt instance and a bucket.
 */
export async function buildWorld(options: WorldOptions): Promise<World> {
  const regions = options.regions ?? ['us-east-1', 'eu-west-1'];
  const home = regions[0] as string;
  const base = { endpoint: options.endpoint, region: home, credentials: HOME_CREDS };
  const org = new OrganizationsClient(base);
  await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  const sts = new STSClient(base);
  const security = (await sts.send(new GetCallerIdentityCommand({}))).Account as string;
  const memberAccountIds: string[] = [];
  for (let i = 0; i < (options.memberCount ?? 3); i += 1) {
    const out = await org.send(new CreateAccountCommand({ AccountName: `workload-${i + 1}`, Email: `workload-${i + 1}@example.com` }));
    memberAccountIds.push(out.CreateAccountStatus?.AccountId as string);
  }
  const creds = new Map<string, AwsCredentialIdentity>();
  const credentialsFor = async (accountId: string): Promise<AwsCredentialIdentity> => {
    let c = creds.get(accountId);
    if (!c) {
      const out = await sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${accountId}:role/OrganizationAccountAccessRole`,
          RoleSessionName: 'cordon-demo-setup',
        }),
      );
      c = {
        accessKeyId: out.Credentials?.AccessKeyId as string,
        secretAccessKey: out.Credentials?.SecretAccessKey as string,
        sessionToken: out.Credentials?.SessionToken,
      };
      creds.set(accountId, c);
    }
    return c;
  };

  const instances: WorldInstance[] = [];
  const users: Array<World['users'][number]> = [];
  const buckets: Array<World['buckets'][number]> = [];
  const instanceRoles: Array<World['instanceRoles'][number]> = [];
  for (const [a, accountId] of memberAccountIds.entries()) {
    const credentials = await credentialsFor(accountId);
    const iam = new IAMClient({ endpoint: options.endpoint, region: home, credentials });
    // The role the StackSet deploys (moto does not check its trust policy).
    await iam.send(
      new CreateRoleCommand({
        RoleName: DEFAULT_ROLE_NAME,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${security}:root` }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    const roleName = 'web-instance-role';
    await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'web-instance-profile' }));
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'web-instance-profile', RoleName: roleName }));
    instanceRoles.push({ accountId, roleName });
    for (const userName of ['deploy-bot', 'break-glass']) {
      await iam.send(new CreateUserCommand({ UserName: userName }));
      const exempt = userName === 'break-glass';
      if (exempt) await iam.send(new TagUserCommand({ UserName: userName, Tags: [{ Key: 'cordon:exempt', Value: 'true' }] }));
      const key = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
      users.push({ accountId, userName, accessKeyId: key.AccessKey?.AccessKeyId as string, exempt });
    }
    for (const region of regions) {
      const ec2 = new EC2Client({ endpoint: options.endpoint, region, credentials });
      const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
      const vpcId = vpc.Vpc?.VpcId as string;
      const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24', AvailabilityZone: `${region}a` }));
      const subnetId = subnet.Subnet?.SubnetId as string;
      const web = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web servers', VpcId: vpcId }));
      const webSg = web.GroupId as string;
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: webSg,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
        }),
      );
      const admin = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'admin', Description: 'admin access', VpcId: vpcId }));
      const adminSg = admin.GroupId as string;
      for (const name of ['web-1', 'web-2', 'bastion']) {
        const run = await ec2.send(
          new RunInstancesCommand({
            ImageId: 'ami-12c6146b',
            InstanceType: 't3.micro',
            MinCount: 1,
            MaxCount: 1,
            SubnetId: subnetId,
            SecurityGroupIds: [webSg],
            BlockDeviceMappings: [
              { DeviceName: '/dev/sda1', Ebs: { VolumeSize: 8 } },
              { DeviceName: '/dev/sdf', Ebs: { VolumeSize: 20 } },
            ],
            TagSpecifications: [
              {
                ResourceType: 'instance',
                Tags: [{ Key: 'Name', Value: name }, ...(name === 'bastion' ? [{ Key: 'cordon:exempt', Value: 'true' }] : [])],
              },
            ],
          }),
        );
        const instanceId = run.Instances?.[0]?.InstanceId as string;
        if (name === 'web-1') {
          // A second interface, in another group: isolation must reach it too.
          const eni = await ec2.send(
            new CreateNetworkInterfaceCommand({ SubnetId: subnetId, Groups: [adminSg], Description: 'admin interface' }),
          );
          await ec2.send(
            new AttachNetworkInterfaceCommand({
              NetworkInterfaceId: eni.NetworkInterface?.NetworkInterfaceId,
              InstanceId: instanceId,
              DeviceIndex: 1,
            }),
          );
          await ec2.send(
            new AssociateIamInstanceProfileCommand({ InstanceId: instanceId, IamInstanceProfile: { Name: 'web-instance-profile' } }),
          );
        }
        await ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: 'team', Value: `team-${a + 1}` }] }));
        const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
        const inst = described.Reservations?.[0]?.Instances?.[0];
        instances.push({
          accountId,
          region,
          name,
          target: instanceTarget(instanceId, vpcId, subnetId, inst),
        });
      }
      const s3 = new S3Client({ endpoint: options.endpoint, region, credentials, forcePathStyle: true });
      const bucket = `workload-${a + 1}-${region}-assets`;
      await s3.send(
        new CreateBucketCommand({
          Bucket: bucket,
          ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
        }),
      );
      await s3.send(
        new PutPublicAccessBlockCommand({
          Bucket: bucket,
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: false,
            IgnorePublicAcls: false,
            BlockPublicPolicy: false,
            RestrictPublicBuckets: false,
          },
        }),
      );
      buckets.push({ accountId, region, name: bucket });
    }
  }
  return { securityAccountId: security, memberAccountIds, regions, instances, users, buckets, instanceRoles, credentialsFor };
}
