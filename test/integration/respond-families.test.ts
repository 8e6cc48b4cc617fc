import * as fs from 'node:fs';
import {
  DescribeImageAttributeCommand,
  DescribeNetworkAclsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSnapshotAttributeCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeTasksCommand, ECSClient, ListTagsForResourceCommand as ListTaskTagsCommand } from '@aws-sdk/client-ecs';
import { CreatePodIdentityAssociationCommand, EKSClient, ListTagsForResourceCommand as ListClusterTagsCommand } from '@aws-sdk/client-eks';
import { CreateRoleCommand, GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetEventSourceMappingCommand, GetFunctionConcurrencyCommand, LambdaClient, ListTagsCommand } from '@aws-sdk/client-lambda';
import { DescribeDBSnapshotsCommand, ListTagsForResourceCommand as ListDbTagsCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { buildFamilies, familyFindings, type Families, type LocalAws, type World } from '../../local-aws';
import { runCli, type CliRun } from '../support/cli';
import { attachedPolicies, auditFile, AWS_DENY_ALL_ARN, eventsFile, hubFinding, instanceOf, publish, startWorld } from '../support/world';

/**
 * Every 2026 finding family against moto over HTTP: the AWS state after
 * containment, and after release. One organization for the file; each test
 * keeps its own audit trail (the circuit breaker counts per trail).
 */
describe('respond: every finding family', () => {
  let local: LocalAws;
  let world: World;
  let fam: Families;
  let findings: Record<string, Record<string, unknown>>;
  let clients: {
    ec2: EC2Client;
    ecs: ECSClient;
    eks: EKSClient;
    iam: IAMClient;
    lambda: LambdaClient;
    rds: RDSClient;
    s3: S3Client;
  };
  const region = 'us-east-1';
  // Several families act in one account: the breaker's hourly cap is not what these tests are about (the sequence test sets its own).
  const env = (audit: string, extra: Record<string, string> = {}): Record<string, string> => ({
    CORDON_AUDIT_FILE: audit,
    CORDON_CIRCUIT_ACCOUNT_LIMIT: '50',
    ...extra,
  });
  const respond = async (finding: Record<string, unknown>, audit: string, extra: Record<string, string> = {}): Promise<CliRun> =>
    runCli(['respond', eventsFile([finding]), '--json'], env(audit, extra));
  const release = async (finding: Record<string, unknown>, audit: string): Promise<CliRun> =>
    runCli(['release', '--finding', String(finding.id), '--json'], env(audit));
  type Line = { action: string; resource: string; status: string; detail: string };
  const actionsOf = (run: CliRun, i = 0): Line[] => (run.lines[i]?.actions as Line[] | undefined) ?? [];
  const statusOf = (run: CliRun, action: string): string[] =>
    actionsOf(run)
      .filter((a) => a.action === action)
      .map((a) => a.status);

  beforeAll(async () => {
    ({ local, world } = await startWorld({ memberCount: 2, regions: [region] }));
    fam = await buildFamilies(world, local.endpoint);
    findings = familyFindings(world, fam);
    for (const f of Object.values(findings)) local.emulator.publishGuardDutyFinding(f);
    const credentials = await world.credentialsFor(fam.accountId);
    const cfg = { endpoint: local.endpoint, region, credentials };
    clients = {
      ec2: new EC2Client(cfg),
      ecs: new ECSClient(cfg),
      eks: new EKSClient(cfg),
      iam: new IAMClient(cfg),
      lambda: new LambdaClient(cfg),
      rds: new RDSClient(cfg),
      s3: new S3Client({ ...cfg, forcePathStyle: true }),
    };
  }, 180_000);
  afterAll(async () => {
    for (const client of Object.values(clients ?? {})) client.destroy();
    await local?.stop();
  });

  /** The inline policies cordon's revocation wrote on a role. */
  const revocation = async (roleName: string): Promise<string | undefined> => {
    const names = (await clients.iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
    const name = names.find((n) => n.startsWith('cordon-revoke'));
    if (!name) return undefined;
    return decodeURIComponent(
      (await clients.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }))).PolicyDocument ?? '',
    );
  };

  it('Lambda: reserved concurrency 0, its event source mapping disabled, its role revoked, tagged; release restores each, the tags stay', async () => {
    // Prepare
    const audit = auditFile();
    const finding = findings.lambda as Record<string, unknown>;
    const fn = { FunctionName: fam.lambda.functionName };
    expect((await clients.lambda.send(new GetFunctionConcurrencyCommand(fn))).ReservedConcurrentExecutions).toBe(5);

    // Act
    const run = await respond(finding, audit);

    // Assess: the function starts nothing new, its stream waits, its role's older sessions are denied
    expect(run.code).toBe(0);
    expect(run.lines[0]).toMatchObject({ runbook: 'lambda-compromise', decision: 'act', securityHub: { detail: 'workflow NOTIFIED' } });
    expect(statusOf(run, 'lambda.throttle')).toEqual(['done']);
    expect(statusOf(run, 'lambda.disable-event-sources')).toEqual(['done']);
    expect((await clients.lambda.send(new GetFunctionConcurrencyCommand(fn))).ReservedConcurrentExecutions).toBe(0);
    expect((await clients.lambda.send(new GetEventSourceMappingCommand({ UUID: fam.lambda.mappingUuid }))).State).toBe('Disabled');
    expect(await revocation('orders-worker-role')).toContain('aws:TokenIssueTime');
    const tags = (await clients.lambda.send(new ListTagsCommand({ Resource: fam.lambda.functionArn }))).Tags ?? {};
    expect(tags['cordon:finding-id']).toBe(finding.id);
    expect((run.lines[0]?.remains as string[]).join(' ')).toContain('invocations already running');

    // Act: an analyst releases it
    const released = await release(finding, audit);

    // Assess: the prior concurrency and mapping state are back, the revocation lifted; the evidence tags stay
    expect(released.code).toBe(0);
    expect((await clients.lambda.send(new GetFunctionConcurrencyCommand(fn))).ReservedConcurrentExecutions).toBe(5);
    expect((await clients.lambda.send(new GetEventSourceMappingCommand({ UUID: fam.lambda.mappingUuid }))).State).toMatch(/^Enabl/);
    expect(await revocation('orders-worker-role')).toBeUndefined();
    expect(((await clients.lambda.send(new ListTagsCommand({ Resource: fam.lambda.functionArn }))).Tags ?? {})['cordon:finding-id']).toBe(
      finding.id,
    );
  });

  it("ECS runtime: the task's own interface moves into the quarantine group, the task is tagged and its task role revoked; release puts the groups back", async () => {
    // Prepare
    const audit = auditFile();
    const finding = findings['runtime-ecs'] as Record<string, unknown>;
    const task = (await clients.ecs.send(new DescribeTasksCommand({ cluster: fam.task.clusterArn, tasks: [fam.task.taskArn] }))).tasks?.[0];
    const eni = task?.attachments?.[0]?.details?.find((d) => d.name === 'networkInterfaceId')?.value as string;
    const groupsOf = async (): Promise<string[]> =>
      (
        (await clients.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] }))).NetworkInterfaces?.[0]?.Groups ?? []
      ).map((g) => g.GroupName ?? '');
    expect(await groupsOf()).toEqual(['web']);

    // Act
    const run = await respond(finding, audit);

    // Assess
    expect(run.code).toBe(0);
    expect(run.lines[0]).toMatchObject({ runbook: 'runtime-ecs-task', decision: 'act' });
    expect(statusOf(run, 'ecs.isolate-task')).toEqual(['done']);
    expect(await groupsOf()).toEqual(['cordon-quarantine']);
    expect(await revocation(fam.task.roleName)).toContain('aws:TokenIssueTime');
    const tags = (await clients.ecs.send(new ListTaskTagsCommand({ resourceArn: fam.task.taskArn }))).tags ?? [];
    expect(tags.find((t) => t.key === 'cordon:finding-id')?.value).toBe(finding.id);
    // The task belongs to a service group: the service would start another from the same image (NOTIFIED, said).
    expect((run.lines[0]?.remains as string[]).join(' ')).toContain('replacement from the same task definition');
    expect((await hubFinding(local, finding))?.Workflow?.Status).toBe('NOTIFIED');

    // Act
    const released = await release(finding, audit);

    // Assess
    expect(released.code).toBe(0);
    expect(await groupsOf()).toEqual(['web']);
    expect(await revocation(fam.task.roleName)).toBeUndefined();
  });

  it("RDS login activity: a manual snapshot tagged with the finding, the address denied in the database subnets' ACL, the database user named to rotate", async () => {
    // Prepare
    const audit = auditFile();
    const finding = findings.rds as Record<string, unknown>;

    // Act
    const run = await respond(finding, audit);

    // Assess: evidence, block, and rds.isolate kept for the custom action
    expect(run.code).toBe(0);
    expect(run.lines[0]).toMatchObject({ runbook: 'rds-login-activity', decision: 'act' });
    expect(statusOf(run, 'rds.snapshot')).toEqual(['done']);
    expect(statusOf(run, 'network.block-ip')).toEqual(['done']);
    expect(statusOf(run, 'rds.isolate')).toEqual(['skipped']);
    const snapshots = (
      await clients.rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: fam.database.instanceId, SnapshotType: 'manual' }))
    ).DBSnapshots;
    expect(snapshots).toHaveLength(1);
    const tags = (await clients.rds.send(new ListDbTagsCommand({ ResourceName: snapshots?.[0]?.DBSnapshotArn }))).TagList ?? [];
    expect(tags.find((t) => t.Key === 'cordon:finding-id')?.Value).toBe(finding.id);
    const acls = await clients.ec2.send(
      new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [...fam.database.subnetIds] }] }),
    );
    expect(acls.NetworkAcls?.length).toBeGreaterThan(0);
    for (const acl of acls.NetworkAcls ?? []) {
      const denies = (acl.Entries ?? []).filter((e) => e.CidrBlock === '203.0.113.99/32' && e.RuleAction === 'deny');
      expect(denies.map((e) => e.Egress).sort()).toEqual([false, true]);
    }
    const hub = await hubFinding(local, finding);
    expect(hub?.Workflow?.Status).toBe('NOTIFIED');
    expect(hub?.Note?.Text).toContain('orders_app');

    // Act: delivered again, no second snapshot or rule
    const again = await respond(finding, audit);

    // Assess
    expect(again.code).toBe(0);
    const after = await clients.rds.send(
      new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: fam.database.instanceId, SnapshotType: 'manual' }),
    );
    expect(after.DBSnapshots).toHaveLength(1);
  });

  it("S3 malicious object: a deny on its key beside the bucket's own statement; release removes only cordon's", async () => {
    // Prepare
    const audit = auditFile();
    const finding = findings['s3-object'] as Record<string, unknown>;
    const policyOf = async (): Promise<{ Statement: Array<Record<string, unknown>> }> =>
      JSON.parse((await clients.s3.send(new GetBucketPolicyCommand({ Bucket: fam.object.bucket }))).Policy ?? '{}') as {
        Statement: Array<Record<string, unknown>>;
      };

    // Act
    const run = await respond(finding, audit);

    // Assess
    expect(run.code).toBe(0);
    expect(statusOf(run, 's3.deny-object-read')).toEqual(['done']);
    const statements = (await policyOf()).Statement;
    expect(statements.map((s) => s.Sid)).toEqual(['TeamRead', expect.stringMatching(/^CordonDenyObject/)]);
    expect(statements[1]).toMatchObject({
      Effect: 'Deny',
      Principal: '*',
      Resource: `arn:aws:s3:::${fam.object.bucket}/${fam.object.key}`,
    });

    // Act
    const released = await release(finding, audit);

    // Assess: the bucket's own statement, untouched; the object never deleted
    expect(released.code).toBe(0);
    expect((await policyOf()).Statement).toEqual(JSON.parse(fam.object.policy).Statement);
  });

  it('infected snapshot and AMI: their sharing removed and recorded, tagged, never deleted; release shares them again', async () => {
    // Prepare
    const audit = auditFile();
    const snap = findings['malware-snapshot'] as Record<string, unknown>;
    const ami = findings['malware-ami'] as Record<string, unknown>;
    const volumePermissions = async (): Promise<string[]> =>
      (
        (
          await clients.ec2.send(
            new DescribeSnapshotAttributeCommand({ SnapshotId: fam.snapshot.snapshotId, Attribute: 'createVolumePermission' }),
          )
        ).CreateVolumePermissions ?? []
      ).map((p) => p.UserId ?? p.Group ?? '');
    const launchPermissions = async (): Promise<string[]> =>
      (
        (await clients.ec2.send(new DescribeImageAttributeCommand({ ImageId: fam.image.imageId, Attribute: 'launchPermission' })))
          .LaunchPermissions ?? []
      ).map((p) => p.UserId ?? p.Group ?? '');
    expect(await volumePermissions()).toEqual([fam.snapshot.sharedWith]);
    expect(await launchPermissions()).toEqual([fam.image.sharedWith]);

    // Act
    const run = await runCli(['respond', eventsFile([snap, ami]), '--json'], env(audit));

    // Assess
    expect(run.code).toBe(0);
    expect(run.lines.map((l) => l.runbook)).toEqual(['malware-backup-evidence', 'malware-backup-evidence']);
    expect(await volumePermissions()).toEqual([]);
    expect(await launchPermissions()).toEqual([]);

    // Act
    const released = await runCli(['release', '--finding', String(snap.id), '--json'], env(audit));
    const releasedImage = await runCli(['release', '--finding', String(ami.id), '--json'], env(audit));

    // Assess
    expect([released.code, releasedImage.code]).toEqual([0, 0]);
    expect(await volumePermissions()).toEqual([fam.snapshot.sharedWith]);
    expect(await launchPermissions()).toEqual([fam.image.sharedWith]);
  });

  it('Kubernetes audit by an IAM user: the user denied, the cluster tagged, and the finding NOTIFIED (EKS still authenticates the user)', async () => {
    // Prepare
    const audit = auditFile();
    const finding = findings.kubernetes as Record<string, unknown>;

    // Act
    const run = await respond(finding, audit);

    // Assess
    expect(run.code).toBe(0);
    expect(run.lines[0]).toMatchObject({ runbook: 'kubernetes-audit', decision: 'act' });
    expect(await attachedPolicies(clients.iam, 'deploy-bot')).toEqual([AWS_DENY_ALL_ARN]);
    const tags = (
      await clients.eks.send(
        new ListClusterTagsCommand({ resourceArn: `arn:aws:eks:${region}:${fam.accountId}:cluster/${fam.eks.clusterName}` }),
      )
    ).tags;
    expect(tags?.['cordon:finding-id']).toBe(finding.id);
    expect((run.lines[0]?.remains as string[]).join(' ')).toContain('still authenticates to the cluster');
    expect((await hubFinding(local, finding))?.Workflow?.Status).toBe('NOTIFIED');
  });

  it("EKS runtime: the pod's Pod Identity role revoked, the cluster tagged, the shared node untouched until an analyst runs the custom action", async () => {
    // Prepare: the pod's service account default/web gets its role through EKS Pod Identity
    const audit = auditFile();
    const finding = findings['runtime-eks'] as Record<string, unknown>;
    const role = await clients.iam.send(
      new CreateRoleCommand({
        RoleName: 'web-pod-role',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] }],
        }),
      }),
    );
    const associate = (clusterName: string) =>
      clients.eks.send(
        new CreatePodIdentityAssociationCommand({ clusterName, namespace: 'default', serviceAccount: 'web', roleArn: role.Role?.Arn }),
      );
    await associate(fam.eks.clusterName);
    const node = instanceOf(world, fam.accountId, region, 'web-2').target;
    const eni = { NetworkInterfaceIds: [node.networkInterfaces[0]?.networkInterfaceId ?? ''] };
    const groupsBefore = (await clients.ec2.send(new DescribeNetworkInterfacesCommand(eni))).NetworkInterfaces?.[0]?.Groups;

    // Act
    const run = await respond(finding, audit);

    // Assess
    expect(run.code).toBe(0);
    expect(run.lines[0]).toMatchObject({ runbook: 'runtime-eks-pod', decision: 'act' });
    expect(statusOf(run, 'eks.tag-cluster')).toEqual(['done']);
    expect(actionsOf(run).find((a) => a.action === 'eks.revoke-pod-role')).toMatchObject({ status: 'done', resource: 'web-pod-role' });
    expect(await revocation('web-pod-role')).toContain('aws:TokenIssueTime');
    expect(statusOf(run, 'ec2.isolate')).toEqual(['skipped']);
    expect((await clients.ec2.send(new DescribeNetworkInterfacesCommand(eni))).NetworkInterfaces?.[0]?.Groups).toEqual(groupsBefore);
    expect((await hubFinding(local, finding))?.Workflow?.Status).toBe('NOTIFIED');
    // As EKS does: one association per service account, none on a cluster that does not exist
    await expect(associate(fam.eks.clusterName)).rejects.toMatchObject({ name: 'ResourceInUseException' });
    await expect(associate('no-such-cluster')).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('attack sequence: every resource contained on its own, each audited and counted by the circuit breaker, one Security Hub update', async () => {
    // Prepare: a sequence naming an instance, a user's key, a bucket, an EKS cluster and another account's bucket
    const audit = auditFile();
    const web1 = instanceOf(world, fam.accountId, region, 'web-1');
    const key = world.users.find((u) => u.accountId === fam.accountId && u.userName === 'deploy-bot');
    const other = world.memberAccountIds[1] as string;
    const base = { accountId: fam.accountId, region, cloudPartition: 'aws' };
    const finding = publish(local, 'AttackSequence:EC2/CompromisedInstanceGroup', {
      accountId: fam.accountId,
      region,
      severity: 9,
      sequence: [
        { ...base, uid: web1.target.instanceId, name: 'web-1', resourceType: 'EC2_INSTANCE', service: 'EC2' },
        {
          ...base,
          uid: key?.accessKeyId,
          name: key?.accessKeyId,
          resourceType: 'ACCESS_KEY',
          service: 'IAM',
          data: { accessKey: { principalId: 'AIDAEXAMPLEDEPLOYBOT', userName: 'deploy-bot', userType: 'IAMUser' } },
        },
        { ...base, uid: `arn:aws:s3:::${fam.object.bucket}`, name: fam.object.bucket, resourceType: 'S3_BUCKET', service: 'S3' },
        {
          ...base,
          uid: `arn:aws:eks:${region}:${fam.accountId}:cluster/${fam.eks.clusterName}`,
          name: 'platform',
          resourceType: 'EKS_CLUSTER',
          service: 'EKS',
        },
        { ...base, accountId: other, uid: 'arn:aws:s3:::partner-drop', name: 'partner-drop', resourceType: 'S3_BUCKET', service: 'S3' },
      ],
    });
    const callsBefore = local.emulator.calls().length;

    // Act: a breaker of 2 containments an hour in the account
    const run = await respond(finding, audit, { CORDON_CIRCUIT_ACCOUNT_LIMIT: '2' });

    // Assess: the instance and the key are contained, the bucket is held by the breaker (the third), the others named
    expect(run.code).toBe(0);
    expect(run.lines).toHaveLength(1);
    expect(run.lines[0]).toMatchObject({ runbook: 'attack-sequence', decision: 'act' });
    const lines = actionsOf(run);
    expect(lines.filter((l) => l.action === 'ec2.isolate').map((l) => l.status)).toContain('done');
    expect(lines.find((l) => l.action === 'iam.deactivate-access-key')).toMatchObject({ status: 'done', resource: key?.accessKeyId });
    const sequenceLines = lines.filter((l) => l.action === 'sequence');
    expect(sequenceLines.find((l) => l.resource === fam.object.bucket)?.detail).toMatch(/^circuit-open/);
    expect(sequenceLines.find((l) => l.resource.includes('cluster/platform'))?.detail).toContain('cordon has no action for EKS_CLUSTER');
    expect(sequenceLines.find((l) => l.resource === 'arn:aws:s3:::partner-drop')?.detail).toContain(`in account ${other}`);
    // Each contained resource has its own audit records under the sequence's finding id
    const rows = fs
      .readFileSync(audit, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { findingId: string; subject: string; status: string });
    const subjects = new Set(rows.filter((r) => r.findingId === finding.id && r.status === 'done').map((r) => r.subject));
    expect(subjects).toEqual(new Set([web1.target.instanceId, key?.accessKeyId]));
    // One Security Hub update for the sequence (its in-progress note, then its outcome: as for any one finding, not one per resource),
    // NOTIFIED, naming what a person must contain
    const updates = local.emulator
      .calls()
      .slice(callsBefore)
      .filter((c) => c.operation === 'BatchUpdateFindings');
    expect(updates).toHaveLength(2);
    const hub = await hubFinding(local, finding);
    expect(hub?.Workflow?.Status).toBe('NOTIFIED');
    expect(hub?.Note?.Text).toContain(`S3_BUCKET arn:aws:s3:::${fam.object.bucket} is not contained (circuit-open`);
  });

  it('--dry-run plans every family and changes nothing', async () => {
    // Prepare
    const audit = auditFile();
    const all = Object.values(findings);

    // Act
    const run = await runCli(['respond', eventsFile(all), '--dry-run', '--json'], env(audit));

    // Assess: each family meets its runbook; nothing was written
    expect(run.code).toBe(0);
    expect(run.lines.map((l) => [l.type, l.runbook])).toEqual(all.map((f) => [f.type, expect.any(String)]));
    expect(run.lines.every((l) => l.runbook !== null)).toBe(true);
    for (const line of run.lines)
      for (const a of (line.actions as Line[]) ?? []) expect(['planned', 'already', 'skipped']).toContain(a.status);
    expect(fs.existsSync(audit) ? fs.readFileSync(audit, 'utf8').trim() : '').toBe('');
  });
});
