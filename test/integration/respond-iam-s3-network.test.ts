import { CreateNetworkAclEntryCommand, CreateSubnetCommand, CreateVpcCommand, DescribeNetworkAclsCommand } from '@aws-sdk/client-ec2';
import { ListAccessKeysCommand, ListUserPoliciesCommand } from '@aws-sdk/client-iam';
import { GetPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { buildWorld, type World, type LocalAws } from '../../local-aws';
import { launchAwsLikeInstance } from '../support/aws-like-instance';
import { runCli } from '../support/cli';
import { startLocal } from '../support/local';
import { revocationStatements } from '../support/revocations';
import {
  attachedPolicies,
  auditFile,
  AWS_DENY_ALL_ARN,
  eventsFile,
  hubFinding,
  instanceOf,
  memberClients,
  publish,
} from '../support/world';

describe('respond: credentials, buckets and attacker addresses', () => {
  let local: LocalAws;
  let world: World;
  let audit: string;
  const region = 'us-east-1';

  beforeAll(async () => {
    local = await startLocal();
    world = await buildWorld({ endpoint: local.endpoint, memberCount: 2, regions: [region] });
    local.emulator.seedOrganization({
      administratorAccountId: world.securityAccountId,
      memberAccountIds: world.memberAccountIds,
      regions: world.regions,
    });
    audit = auditFile();
  }, 120_000);
  afterAll(async () => local?.stop());

  it('deactivates the leaked key and denies the user, but never touches an exempt user', async () => {
    // Prepare
    const [a1, a2] = world.memberAccountIds as [string, string];
    const bot = world.users.find((u) => u.accountId === a1 && u.userName === 'deploy-bot');
    const glass = world.users.find((u) => u.accountId === a2 && u.userName === 'break-glass');
    const leaked = publish(local, 'UnauthorizedAccess:IAMUser/MaliciousIPCaller', {
      accountId: a1,
      region,
      accessKey: { accessKeyId: bot?.accessKeyId ?? '', userName: 'deploy-bot', userType: 'IAMUser' },
    });
    const exempt = publish(local, 'CredentialAccess:IAMUser/AnomalousBehavior', {
      accountId: a2,
      region,
      accessKey: { accessKeyId: glass?.accessKeyId ?? '', userName: 'break-glass', userType: 'IAMUser' },
      severity: 8,
    });

    // Act
    const run = await runCli(['respond', eventsFile([leaked, exempt]), '--json'], { CORDON_AUDIT_FILE: audit });

    // Assess
    expect(run.code).toBe(0);
    expect(run.lines[0]).toMatchObject({ decision: 'act', runbook: 'iam-credential-misuse' });
    expect(run.lines[1]).toMatchObject({ decision: 'skip', reason: 'IAM user break-glass is exempt (tag cordon:exempt=true)' });
    const m1 = await memberClients(local, world, a1, region);
    const keys = await m1.iam.send(new ListAccessKeysCommand({ UserName: 'deploy-bot' }));
    expect(keys.AccessKeyMetadata?.find((k) => k.AccessKeyId === bot?.accessKeyId)?.Status).toBe('Inactive');
    expect(await attachedPolicies(m1.iam, 'deploy-bot')).toEqual([AWS_DENY_ALL_ARN]);
    expect(await m1.iam.send(new ListUserPoliciesCommand({ UserName: 'deploy-bot' }))).toMatchObject({ PolicyNames: [] });
    const m2 = await memberClients(local, world, a2, region);
    const glassKeys = await m2.iam.send(new ListAccessKeysCommand({ UserName: 'break-glass' }));
    expect(glassKeys.AccessKeyMetadata?.[0]?.Status).toBe('Active');
    expect(await attachedPolicies(m2.iam, 'break-glass')).toEqual([]);
  });

  it("revokes an instance role's older sessions when its credentials are exfiltrated", async () => {
    const [, a2] = world.memberAccountIds as [string, string];
    const finding = publish(local, 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', {
      accountId: a2,
      region,
      accessKey: { accessKeyId: 'ASIAEXFILTRATED00001', userName: 'web-instance-role', userType: 'AssumedRole' },
    });

    const run = await runCli(['respond', eventsFile([finding]), '--json'], { CORDON_AUDIT_FILE: audit });

    expect(run.code).toBe(0);
    expect(run.lines[0]).toMatchObject({
      runbook: 'iam-instance-credential-exfiltration',
      actions: [{ action: 'iam.revoke-role-sessions', resource: 'web-instance-role', status: 'done' }],
    });
    const { iam } = await memberClients(local, world, a2, region);
    const [statement] = await revocationStatements(iam, 'web-instance-role');
    expect(statement).toMatchObject({
      Effect: 'Deny',
      Action: '*',
      Condition: { DateLessThan: { 'aws:TokenIssueTime': expect.stringMatching(/^\d{4}-\d\d-\d\dT/) } },
    });
  });

  it("turns on Block Public Access for the finding's bucket", async () => {
    const [a1] = world.memberAccountIds as [string];
    const bucket = world.buckets.find((b) => b.accountId === a1)?.name as string;
    const finding = publish(local, 'Policy:S3/BucketAnonymousAccessGranted', { accountId: a1, region, bucket });

    const run = await runCli(['respond', eventsFile([finding]), '--json'], { CORDON_AUDIT_FILE: audit });

    expect(run.lines[0]).toMatchObject({
      decision: 'act',
      actions: [{ action: 's3.block-public-access', resource: bucket, status: 'done' }],
    });
    const { s3 } = await memberClients(local, world, a1, region);
    const bpa = await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
    expect(bpa.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect((await hubFinding(local, finding))?.Workflow?.Status).toBe('RESOLVED');
  });

  it("denies the attacker's address in the subnet's network ACL both ways, once", async () => {
    // Prepare
    const [a1] = world.memberAccountIds as [string];
    const web2 = instanceOf(world, a1, region, 'web-2');
    const first = publish(local, 'UnauthorizedAccess:EC2/SSHBruteForce', {
      accountId: a1,
      region,
      instance: web2.target,
      resourceRole: 'TARGET',
      remoteIp: '198.51.100.7',
    });
    const second = publish(local, 'Recon:EC2/PortProbeUnprotectedPort', {
      accountId: a1,
      region,
      instance: web2.target,
      remoteIp: '198.51.100.8',
    });

    // Act: two attackers, then the first again
    const run = await runCli(['respond', eventsFile([first, second, first]), '--json'], { CORDON_AUDIT_FILE: audit });

    // Assess
    expect(run.code).toBe(0);
    expect(
      run.lines.map((l) => (l.actions as Array<{ action: string; status: string }>).find((a) => a.action === 'network.block-ip')?.status),
    ).toEqual(['done', 'done', 'already']);
    const { ec2 } = await memberClients(local, world, a1, region);
    const acl = (
      await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [web2.target.subnetId] }] }))
    ).NetworkAcls?.[0];
    const denies = (acl?.Entries ?? []).filter((e) => e.RuleAction === 'deny' && e.CidrBlock?.startsWith('198.51.100.'));
    expect(denies.map((e) => [e.CidrBlock, e.Egress, e.RuleNumber]).sort()).toEqual([
      ['198.51.100.7/32', false, 1],
      ['198.51.100.7/32', true, 1],
      ['198.51.100.8/32', false, 2],
      ['198.51.100.8/32', true, 2],
    ]);
  });

  it('denies an IPv6 attacker with IPv6 entries, whose quota is counted apart from the IPv4 rules', async () => {
    // Prepare: a subnet whose ACL already holds 20 inbound and 20 outbound IPv4 rules (the default ACL's allow-all #100 and
    // 19 more), and a brute force from both families
    const [a1] = world.memberAccountIds as [string];
    const { ec2 } = await memberClients(local, world, a1, region);
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.6.0.0/16' }))).Vpc?.VpcId as string;
    const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.6.1.0/24', AvailabilityZone: `${region}a` })))
      .Subnet?.SubnetId as string;
    const aclOf = async () =>
      (await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] })))
        .NetworkAcls?.[0];
    const aclId = (await aclOf())?.NetworkAclId as string;
    for (let n = 1; n < 20; n += 1)
      for (const egress of [false, true])
        await ec2.send(
          new CreateNetworkAclEntryCommand({
            NetworkAclId: aclId,
            RuleNumber: 100 + n,
            Egress: egress,
            Protocol: '6',
            RuleAction: 'allow',
            CidrBlock: `10.${n}.0.0/16`,
            PortRange: { From: 443, To: 443 },
          }),
        );
    const target = await launchAwsLikeInstance(ec2, { vpcId, subnetId, groupIds: [], name: 'dual-stack' });
    const finding = publish(local, 'UnauthorizedAccess:EC2/SSHBruteForce', {
      accountId: a1,
      region,
      instance: target,
      resourceRole: 'TARGET',
      remoteIp: '198.51.100.60',
      remoteIpV6: '2001:0DB8:0:0:0:0:0:66',
    });

    // Act
    const run = await runCli(['respond', eventsFile([finding]), '--json'], { CORDON_AUDIT_FILE: audit });

    // Assess: the IPv4 deny fails at the IPv4 quota (saying so); the IPv6 one is in place, both ways
    const blocks = (run.lines[0]?.actions as Array<{ action: string; resource: string; status: string; detail: string }>).filter(
      (x) => x.action === 'network.block-ip',
    );
    expect(blocks).toEqual([
      {
        action: 'network.block-ip',
        resource: `${aclId}:198.51.100.60/32`,
        status: 'failed',
        detail: `${aclId} already holds 20 inbound IPv4 rules (quota 20); raise the quota or release older blocks`,
      },
      {
        action: 'network.block-ip',
        resource: `${aclId}:2001:db8::66/128`,
        status: 'done',
        detail: `denied 2001:db8::66/128 in ${aclId} as inbound #1, outbound #1 (the VPC default ACL: every subnet using it is affected)`,
      },
    ]);
    const v6 = ((await aclOf())?.Entries ?? []).filter((e) => e.Ipv6CidrBlock !== undefined && e.RuleAction === 'deny');
    expect(v6.map((e) => [e.Egress, e.RuleNumber, e.Ipv6CidrBlock, e.Protocol]).sort()).toEqual([
      [false, 1, '2001:db8::66/128', '-1'],
      [true, 1, '2001:db8::66/128', '-1'],
    ]);
  });
});
