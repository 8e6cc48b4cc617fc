/**
 * The benchmark's organization, built in moto as fast as moto allows: the
 * security account creates an organization and N member accounts; every
 * member gets the role cordon assumes, an IAM user with an access key, an
 * instance role and profile, and in every region a VPC with two running
 * instances (each with a root and a data volume) and an S3 bucket.
 *
 * Unlike local-aws/demo/world.ts (sequential, richer, for the demo and the
 * integration tests), accounts are built in parallel under a limit, and
 * each region costs six calls, so a few hundred accounts take a minute or two.
 */
import {
  AssociateIamInstanceProfileCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
  RunInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import {
  AddRoleToInstanceProfileCommand,
  CreateAccessKeyCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { CreateAccountCommand, CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { CreateBucketCommand, PutPublicAccessBlockCommand, S3Client, type BucketLocationConstraint } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity } from '@smithy/types';
import * as http from 'node:http';
import pLimit from 'p-limit';
import { DEFAULT_ROLE_NAME } from '../src/config/defaults';
import { instanceTarget, type SampleTarget, LOCAL_CREDENTIALS } from '../local-aws';

/** Credentials of the security account (moto's default account). */
export const SECURITY_CREDENTIALS = LOCAL_CREDENTIALS;

/** One member account and region of the bench organization, with what findings name. */
export interface BenchSite {
  readonly accountId: string;
  readonly region: string;
  /** Target of compromise findings (has an instance profile). */
  readonly compromised: NonNullable<SampleTarget['instance']>;
  /** Target of brute-force findings (TARGET role: its subnet ACL blocks the attacker). */
  readonly attacked: NonNullable<SampleTarget['instance']>;
  readonly bucket: string;
  readonly user: { readonly userName: string; readonly accessKeyId: string };
}

/** The organization the benchmarks run against. */
export interface BenchWorld {
  readonly securityAccountId: string;
  readonly memberAccountIds: readonly string[];
  readonly regions: readonly string[];
  readonly sites: readonly BenchSite[];
  /** Member credentials (OrganizationAccountAccessRole), for checking state after a run. */
  credentialsFor(accountId: string): Promise<AwsCredentialIdentity>;
  /** Wall time of the build, and the calls it made to moto. */
  readonly buildMs: number;
  readonly buildCalls: number;
}

/** What to build. */
export interface BenchWorldOptions {
  readonly endpoint: string;
  readonly accounts: number;
  readonly regions: readonly string[];
  /** Accounts built at once. @default 8 */
  readonly parallelism?: number;
  /** Called after each account is built (progress). */
  readonly onAccount?: (done: number, total: number) => void;
}

/** The IAM user each member account has (the target of credential findings). */
export const BENCH_USER = 'deploy-bot';
/** The instance profile attached to the compromised instance. */
export const BENCH_INSTANCE_PROFILE = 'web-instance-profile';

/** Builds the organization; see the module comment. */
export async function buildBenchWorld(options: BenchWorldOptions): Promise<BenchWorld> {
  const started = performance.now();
  const home = options.regions[0] ?? 'us-east-1';
  // One keep-alive handler for every setup client: building hundreds of clients must not open thousands of sockets.
  const requestHandler = new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }) });
  let calls = 0;
  const cfg = (region: string, credentials: AwsCredentialIdentity = SECURITY_CREDENTIALS) => ({
    endpoint: options.endpoint,
    region,
    credentials,
    requestHandler,
    maxAttempts: 3,
  });
  const count = <T>(p: Promise<T>): Promise<T> => {
    calls += 1;
    return p;
  };
  const org = new OrganizationsClient(cfg(home));
  const sts = new STSClient(cfg(home));
  await count(org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' })));
  const securityAccountId = (await count(sts.send(new GetCallerIdentityCommand({})))).Account as string;

  const limit = pLimit(options.parallelism ?? 8);
  const memberAccountIds = await Promise.all(
    Array.from({ length: options.accounts }, (_, i) =>
      limit(async () => {
        const out = await count(org.send(new CreateAccountCommand({ AccountName: `bench-${i + 1}`, Email: `bench-${i + 1}@example.com` })));
        const id = out.CreateAccountStatus?.AccountId;
        if (!id) throw new Error(`moto CreateAccount returned no account id for bench-${i + 1}`);
        return id;
      }),
    ),
  );

  const creds = new Map<string, Promise<AwsCredentialIdentity>>();
  const credentialsFor = (accountId: string): Promise<AwsCredentialIdentity> => {
    let c = creds.get(accountId);
    if (!c) {
      c = count(
        sts.send(
          new AssumeRoleCommand({
            RoleArn: `arn:aws:iam::${accountId}:role/OrganizationAccountAccessRole`,
            RoleSessionName: 'cordon-bench-setup',
          }),
        ),
      ).then((out) => ({
        accessKeyId: out.Credentials?.AccessKeyId as string,
        secretAccessKey: out.Credentials?.SecretAccessKey as string,
        sessionToken: out.Credentials?.SessionToken,
      }));
      creds.set(accountId, c);
    }
    return c;
  };

  const sites: BenchSite[] = [];
  let done = 0;
  await Promise.all(
    memberAccountIds.map((accountId, a) =>
      limit(async () => {
        const credentials = await credentialsFor(accountId);
        const iam = new IAMClient(cfg(home, credentials));
        const trust = (principal: Record<string, string>): string =>
          JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }] });
        await count(
          iam.send(
            new CreateRoleCommand({
              RoleName: DEFAULT_ROLE_NAME,
              AssumeRolePolicyDocument: trust({ AWS: `arn:aws:iam::${securityAccountId}:root` }),
            }),
          ),
        );
        await count(
          iam.send(
            new CreateRoleCommand({ RoleName: 'web-instance-role', AssumeRolePolicyDocument: trust({ Service: 'ec2.amazonaws.com' }) }),
          ),
        );
        await count(iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: BENCH_INSTANCE_PROFILE })));
        await count(
          iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: BENCH_INSTANCE_PROFILE, RoleName: 'web-instance-role' })),
        );
        await count(iam.send(new CreateUserCommand({ UserName: BENCH_USER })));
        const key = await count(iam.send(new CreateAccessKeyCommand({ UserName: BENCH_USER })));
        const user = { userName: BENCH_USER, accessKeyId: key.AccessKey?.AccessKeyId as string };
        for (const region of options.regions) {
          const ec2 = new EC2Client(cfg(region, credentials));
          const vpcId = (await count(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' })))).Vpc?.VpcId as string;
          const subnetId = (
            await count(ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24', AvailabilityZone: `${region}a` })))
          ).Subnet?.SubnetId as string;
          const groupId = (
            await count(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web servers', VpcId: vpcId })))
          ).GroupId as string;
          const run = await count(
            ec2.send(
              new RunInstancesCommand({
                ImageId: 'ami-12c6146b',
                InstanceType: 't3.micro',
                MinCount: 2,
                MaxCount: 2,
                SubnetId: subnetId,
                SecurityGroupIds: [groupId],
                BlockDeviceMappings: [
                  { DeviceName: '/dev/sda1', Ebs: { VolumeSize: 8 } },
                  { DeviceName: '/dev/sdf', Ebs: { VolumeSize: 20 } },
                ],
                TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'team', Value: `team-${a + 1}` }] }],
              }),
            ),
          );
          const [first, second] = run.Instances ?? [];
          if (!first?.InstanceId || !second?.InstanceId)
            throw new Error(`moto RunInstances returned fewer than 2 instances in ${accountId} ${region}`);
          await count(
            ec2.send(
              new AssociateIamInstanceProfileCommand({
                InstanceId: first.InstanceId,
                IamInstanceProfile: { Name: BENCH_INSTANCE_PROFILE },
              }),
            ),
          );
          const s3 = new S3Client({ ...cfg(region, credentials), forcePathStyle: true });
          const bucket = `bench-${accountId}-${region}`;
          await count(
            s3.send(
              new CreateBucketCommand({
                Bucket: bucket,
                ...(region === 'us-east-1'
                  ? {}
                  : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
              }),
            ),
          );
          await count(
            s3.send(
              new PutPublicAccessBlockCommand({
                Bucket: bucket,
                PublicAccessBlockConfiguration: {
                  BlockPublicAcls: false,
                  IgnorePublicAcls: false,
                  BlockPublicPolicy: false,
                  RestrictPublicBuckets: false,
                },
              }),
            ),
          );
          sites.push({
            accountId,
            region,
            compromised: target(first, vpcId, subnetId),
            attacked: target(second, vpcId, subnetId),
            bucket,
            user,
          });
        }
        done += 1;
        options.onAccount?.(done, memberAccountIds.length);
      }),
    ),
  );
  requestHandler.destroy();
  // Sites in a stable order (accounts were built in parallel).
  const order = new Map(memberAccountIds.map((id, i) => [id, i]));
  sites.sort(
    (x, y) =>
      (order.get(x.accountId) ?? 0) - (order.get(y.accountId) ?? 0) ||
      options.regions.indexOf(x.region) - options.regions.indexOf(y.region),
  );
  return {
    securityAccountId,
    memberAccountIds,
    regions: options.regions,
    sites,
    credentialsFor,
    buildMs: performance.now() - started,
    buildCalls: calls,
  };
}

function target(instance: Instance, vpcId: string, subnetId: string): NonNullable<SampleTarget['instance']> {
  return instanceTarget(instance.InstanceId as string, vpcId, subnetId, instance);
}
