import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, DescribeInstancesCommand, DescribeNetworkAclsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { type IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { GetPublicAccessBlockCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { sampleFinding, type SampleTarget, buildWorld, type World, type LocalAws } from '../../local-aws';
import { runCli } from '../support/cli';
import { startLocal } from '../support/local';
import { attachedPolicies, auditFile, eventsFile, hubFinding, instanceOf, memberClients, publish } from '../support/world';

type Line = { action: string; resource: string; status: string; detail: string };

function jsonFile(value: unknown): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-detach-')), 'event.json');
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

/** A "Security Hub Findings - Imported" event, as EventBridge delivers it. */
function importedEvent(findings: readonly AwsSecurityFinding[], region: string): Record<string, unknown> {
  return {
    version: '0',
    id: '7bf73129-1428-4cd3-a780-95db273d1699',
    'detail-type': 'Security Hub Findings - Imported',
    source: 'aws.securityhub',
    account: '123456789012',
    time: '2026-11-24T10:20:00Z',
    region,
    resources: findings.map((f) => f.ProductArn),
    detail: { findings },
  };
}

describe('respond: detach from Auto Scaling and load balancers, dry runs, imported echoes', () => {
  let local: LocalAws;
  let world: World;
  let account: string;
  let member: { ec2: EC2Client; iam: IAMClient; s3: S3Client };
  const region = 'us-east-1';

  beforeAll(async () => {
    local = await startLocal();
    world = await buildWorld({ endpoint: local.endpoint, memberCount: 1, regions: [region] });
    local.emulator.seedOrganization({
      administratorAccountId: world.securityAccountId,
      memberAccountIds: world.memberAccountIds,
      regions: world.regions,
    });
    account = world.memberAccountIds[0] as string;
    member = await memberClients(local, world, account, region);
  }, 120_000);
  afterAll(async () => local?.stop());

  const actionsOf = (line: Record<string, unknown> | undefined): Line[] => (line?.actions as Line[] | undefined) ?? [];
  const callsOf = (operation: string) =>
    local.emulator.calls().filter((c) => c.operation === operation && (c.service === 'securityhub' || c.service === 'guardduty'));

  it('takes an instance out of its Auto Scaling group and its target group before isolating it, and audits both', async () => {
    // Prepare: an Auto Scaling group of one instance, registered in an instance target group
    const credentials = await world.credentialsFor(account);
    const cfg = { endpoint: local.endpoint, region, credentials };
    const asg = new AutoScalingClient(cfg);
    const elb = new ElasticLoadBalancingV2Client(cfg);
    const { vpcId, subnetId } = instanceOf(world, account, region, 'web-1').target;
    await member.ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'web-template',
        LaunchTemplateData: { ImageId: 'ami-12c6146b', InstanceType: 't3.micro' },
      }),
    );
    await asg.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'web-asg',
        LaunchTemplate: { LaunchTemplateName: 'web-template', Version: '$Latest' },
        MinSize: 1,
        MaxSize: 2,
        DesiredCapacity: 1,
        VPCZoneIdentifier: subnetId,
      }),
    );
    const instanceId = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web-asg'] }))).AutoScalingGroups?.[0]
      ?.Instances?.[0]?.InstanceId as string;
    const tg = (
      await elb.send(new CreateTargetGroupCommand({ Name: 'web-tg', Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'instance' }))
    ).TargetGroups?.[0]?.TargetGroupArn as string;
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: instanceId, Port: 8080 }] }));
    expect(
      (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }))).TargetHealthDescriptions?.map((d) => d.Target?.Id),
    ).toEqual([instanceId]);
    const described = (await member.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]
      ?.Instances?.[0];
    const target: NonNullable<SampleTarget['instance']> = {
      instanceId,
      vpcId,
      subnetId,
      networkInterfaces: (described?.NetworkInterfaces ?? []).map((ni) => ({
        networkInterfaceId: ni.NetworkInterfaceId as string,
        subnetId,
        groupIds: (ni.Groups ?? []).map((g) => g.GroupId as string),
      })),
    };
    const finding = publish(local, 'CryptoCurrency:EC2/BitcoinTool.B', { accountId: account, region, instance: target });
    const audit = auditFile();

    // Act
    const run = await runCli(['respond', eventsFile([finding]), '--json'], { CORDON_AUDIT_FILE: audit });

    // Assess: the outcome lines, detach first
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = actionsOf(run.lines[0]);
    expect(lines.filter((a) => a.action === 'ec2.detach')).toEqual([
      {
        action: 'ec2.detach',
        resource: `${instanceId}@web-asg`,
        status: 'done',
        detail: 'detached from Auto Scaling group web-asg (with replacement)',
      },
      {
        action: 'ec2.detach',
        resource: `${instanceId}@${tg.split(':').pop() as string}`,
        status: 'done',
        detail: expect.stringMatching(/^deregistered from targetgroup\/web-tg\//),
      },
    ]);
    const order = lines.map((a) => a.action);
    expect(order.lastIndexOf('ec2.detach')).toBeLessThan(order.indexOf('ec2.isolate'));
    // …AWS state: no longer in the group (a replacement is launched), no longer a target
    expect((await asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }))).AutoScalingInstances ?? []).toEqual([]);
    const group = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web-asg'] }))).AutoScalingGroups?.[0];
    expect(group?.DesiredCapacity).toBe(1);
    expect(group?.Instances?.map((i) => i.InstanceId)).not.toContain(instanceId);
    // AWS keeps a deregistered target listed as "draining" for the deregistration delay; moto drops it at once.
    const health = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }))).TargetHealthDescriptions ?? [];
    for (const d of health.filter((h) => h.Target?.Id === instanceId)) expect(d.TargetHealth?.State).toBe('draining');
    // …and the audit trail, in the same order, with what was there before
    const records = fs
      .readFileSync(audit, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; resource: string; status: string; prior?: Record<string, unknown> });
    expect(records.filter((r) => r.action === 'ec2.detach')).toEqual([
      expect.objectContaining({ resource: `${instanceId}@web-asg`, status: 'done', prior: { autoScalingGroupName: 'web-asg' } }),
      expect.objectContaining({
        resource: `${instanceId}@${tg.split(':').pop() as string}`,
        status: 'done',
        prior: { targetGroupArn: tg, port: 8080 },
      }),
    ]);
    const audited = records.map((r) => r.action);
    expect(audited.lastIndexOf('ec2.detach')).toBeLessThan(audited.indexOf('ec2.isolate'));
    asg.destroy();
    elb.destroy();
  });

  it('in a dry run plans key, user, bucket and network ACL changes, changes nothing, records nothing and writes nothing to Security Hub', async () => {
    // Prepare
    const bot = world.users.find((u) => u.accountId === account && u.userName === 'deploy-bot');
    const bucket = world.buckets.find((b) => b.accountId === account)?.name as string;
    const web2 = instanceOf(world, account, region, 'web-2');
    const web1 = instanceOf(world, account, region, 'web-1');
    const leaked = publish(local, 'UnauthorizedAccess:IAMUser/MaliciousIPCaller', {
      accountId: account,
      region,
      accessKey: { accessKeyId: bot?.accessKeyId ?? '', userName: 'deploy-bot', userType: 'IAMUser' },
    });
    const exposed = publish(local, 'Policy:S3/BucketAnonymousAccessGranted', { accountId: account, region, bucket });
    const attacked = publish(local, 'UnauthorizedAccess:EC2/SSHBruteForce', {
      accountId: account,
      region,
      instance: web2.target,
      resourceRole: 'TARGET',
      remoteIp: '198.51.100.77',
    });
    const attacker = publish(local, 'UnauthorizedAccess:EC2/SSHBruteForce', {
      accountId: account,
      region,
      instance: web1.target,
      resourceRole: 'ACTOR',
      remoteIp: '198.51.100.78',
    });
    const notesBefore = await Promise.all([leaked, exposed, attacked, attacker].map(async (f) => (await hubFinding(local, f))?.Note));
    const aclEntries = async () =>
      (
        await member.ec2.send(
          new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [web2.target.subnetId] }] }),
        )
      ).NetworkAcls?.[0]?.Entries ?? [];
    const entriesBefore = await aclEntries();
    const audit = auditFile();
    local.emulator.resetCalls();

    // Act
    const run = await runCli(['respond', eventsFile([leaked, exposed, attacked, attacker]), '--dry-run', '--json'], {
      CORDON_AUDIT_FILE: audit,
    });

    // Assess: planned, with the Security Hub write skipped
    const writes = callsOf('BatchUpdateFindings').length;
    expect(run.code).toBe(0);
    const [keyLine, bucketLine, targetLine, actorLine] = run.lines;
    expect(actionsOf(keyLine).map((a) => `${a.action}:${a.status}`)).toEqual([
      'iam.deactivate-access-key:planned',
      'iam.deny-user:planned',
      'iam.revoke-role-sessions:skipped',
    ]);
    expect(actionsOf(bucketLine)).toEqual([
      { action: 's3.block-public-access', resource: bucket, status: 'planned', detail: `would turn on Block Public Access for ${bucket}` },
    ]);
    expect(actionsOf(targetLine).filter((a) => a.status !== 'skipped')).toEqual([
      expect.objectContaining({
        action: 'network.block-ip',
        status: 'planned',
        detail: expect.stringMatching(/^would deny 198\.51\.100\.77\/32 in acl-[0-9a-f]+ as inbound #\d+, outbound #\d+/),
      }),
    ]);
    // The instance as the ACTOR of a brute force: the runbook's compromise steps, no address block
    expect([
      ...new Set(
        actionsOf(actorLine)
          .filter((a) => a.status !== 'skipped')
          .map((a) => a.action),
      ),
    ]).toEqual(['ec2.snapshot', 'ec2.protect', 'ec2.detach', 'ec2.isolate', 'ec2.remove-instance-profile']);
    expect(actionsOf(actorLine).find((a) => a.action === 'network.block-ip')?.status).toBe('skipped');
    for (const line of run.lines) {
      expect(line.securityHub).toEqual({ status: 'skipped', detail: 'dry run: Security Hub not written' });
      for (const a of actionsOf(line)) expect(['planned', 'skipped', 'already']).toContain(a.status);
    }
    // …nothing changed in the member account
    const keys = await member.iam.send(new ListAccessKeysCommand({ UserName: 'deploy-bot' }));
    expect(keys.AccessKeyMetadata?.find((k) => k.AccessKeyId === bot?.accessKeyId)?.Status).toBe('Active');
    expect(await attachedPolicies(member.iam, 'deploy-bot')).toEqual([]);
    expect((await member.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: false,
      IgnorePublicAcls: false,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: false,
    });
    expect(await aclEntries()).toEqual(entriesBefore);
    // …nothing recorded (no audit file, no circuit ledger, no lease files) and nothing written to Security Hub
    expect(fs.readdirSync(path.dirname(audit))).toEqual([]);
    expect(writes).toBe(0);
    expect(await Promise.all([leaked, exposed, attacked, attacker].map(async (f) => (await hubFinding(local, f))?.Note))).toEqual(
      notesBefore,
    );
  });

  it("reads and writes nothing for an Imported event carrying cordon's own note, nor for a resolved finding; acts when GuardDuty updated it since", async () => {
    // Prepare: a finding cordon skipped (below the threshold): cordon's note is on it, its workflow still NEW
    const web2 = instanceOf(world, account, region, 'web-2');
    const audit = auditFile();
    const low = publish(local, 'Backdoor:EC2/DenialOfService.Tcp', { accountId: account, region, instance: web2.target, severity: 3 });
    expect((await runCli(['respond', eventsFile([low]), '--json'], { CORDON_AUDIT_FILE: audit })).lines[0]).toMatchObject({
      decision: 'skip',
    });
    const echo = (await hubFinding(local, low)) as AwsSecurityFinding;
    expect(echo.Note?.UpdatedBy).toBe('cordon');
    expect(echo.Workflow?.Status).toBe('NEW');
    expect(Date.parse(echo.Note?.UpdatedAt ?? '')).toBeGreaterThan(Date.parse(echo.UpdatedAt ?? ''));
    // …and a resolved finding, with an analyst's note
    const resolved: AwsSecurityFinding = {
      ...echo,
      Id: echo.Id?.replace(/finding\/[0-9a-f]+$/, 'finding/00000000000000000000000000000001'),
      Workflow: { Status: 'RESOLVED' },
      Note: { Text: 'closed by alice', UpdatedBy: 'alice', UpdatedAt: '2026-11-24T10:10:00Z' },
    };
    const file = jsonFile(importedEvent([echo, resolved], region));
    local.emulator.resetCalls();

    // Act
    const run = await runCli(['respond', file, '--json'], { CORDON_AUDIT_FILE: audit });

    // Assess: both skipped without a call to GuardDuty or Security Hub
    const reads = callsOf('GetFindings').length;
    const writes = callsOf('BatchUpdateFindings').length;
    expect(run.code).toBe(0);
    expect(run.lines).toEqual([
      expect.objectContaining({
        findingId: String(low.id),
        decision: 'skip',
        reason: `already handled by cordon (note of ${echo.Note?.UpdatedAt}); no GuardDuty update since`,
        actions: [],
        securityHub: { status: 'skipped', detail: expect.stringContaining('imported update') },
      }),
      expect.objectContaining({
        decision: 'skip',
        reason: 'Security Hub workflow is RESOLVED: imported findings are acted on only while NEW',
        actions: [],
        securityHub: { status: 'skipped', detail: expect.stringContaining('imported update') },
      }),
    ]);
    expect(reads).toBe(0);
    expect(writes).toBe(0);
    expect((await hubFinding(local, low))?.Note).toEqual(echo.Note);

    // Act + Assess: GuardDuty updates the finding after cordon's note (a higher severity): the next Imported event is acted on
    const updated = {
      ...sampleFinding('Backdoor:EC2/DenialOfService.Tcp', { accountId: account, region, instance: web2.target, severity: 8, count: 3 }),
      updatedAt: new Date(Date.parse(echo.Note?.UpdatedAt ?? '') + 60_000).toISOString(),
    };
    local.emulator.publishGuardDutyFinding(updated);
    const fresh = (await hubFinding(local, updated)) as AwsSecurityFinding;
    expect(Date.parse(fresh.UpdatedAt ?? '')).toBeGreaterThan(Date.parse(fresh.Note?.UpdatedAt ?? ''));
    local.emulator.resetCalls();
    const acted = await runCli(['respond', jsonFile(importedEvent([fresh], region)), '--json'], { CORDON_AUDIT_FILE: audit });
    expect(acted.lines[0]).toMatchObject({ findingId: String(low.id), decision: 'act', runbook: 'ec2-instance-compromise' });
    expect(callsOf('GetFindings').length).toBe(1);
    expect(callsOf('BatchUpdateFindings').length).toBeGreaterThan(0);
  });
});
