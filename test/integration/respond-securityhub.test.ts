import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeNetworkInterfacesCommand } from '@aws-sdk/client-ec2';
import { GetFindingsCommand as GetGuardDutyFindings, GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { ListAccessKeysCommand } from '@aws-sdk/client-iam';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { DynamoDbAuditStore } from '../../src/audit/dynamodb-store';
import { buildWorld, type World, type LocalAws } from '../../local-aws';
import { handleBatch, telemetryHooks } from '../../src/handlers/responder';
import { createTelemetry, SERVICES } from '../../src/handlers/telemetry';
import { responderSettings } from '../../src/config/settings';
import { buildResponder } from '../../src/respond/wiring';
import { runCli } from '../support/cli';
import { HOME_CREDENTIALS, startLocal } from '../support/local';
import { auditFile, hubFinding, instanceOf, memberClients, publish } from '../support/world';

const ROOT = path.resolve(__dirname, '../..');

function writeJson(value: unknown): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-sh-')), 'event.json');
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

function securityHubEvent(
  detailType: 'Security Hub Findings - Custom Action' | 'Security Hub Findings - Imported',
  findings: readonly AwsSecurityFinding[],
  action?: { id: string; name: string; account: string },
) {
  return {
    version: '0',
    id: '7bf73129-1428-4cd3-a780-95db273d1602',
    'detail-type': detailType,
    source: 'aws.securityhub',
    account: action?.account ?? '123456789012',
    time: '2026-11-24T10:20:00Z',
    region: 'us-east-1',
    resources: action ? [`arn:aws:securityhub:us-east-1:${action.account}:action/custom/${action.id}`] : findings.map((f) => f.ProductArn),
    detail: action ? { actionName: action.name, actionDescription: 'cordon', findings } : { findings },
  };
}

describe('respond: Security Hub events, archive, DynamoDB audit and the Lambda handler', () => {
  let local: LocalAws;
  let world: World;
  const region = 'us-east-1';

  beforeAll(async () => {
    local = await startLocal();
    world = await buildWorld({ endpoint: local.endpoint, memberCount: 2, regions: [region] });
    local.emulator.seedOrganization({
      administratorAccountId: world.securityAccountId,
      memberAccountIds: world.memberAccountIds,
      regions: world.regions,
    });
  }, 120_000);
  afterAll(async () => local?.stop());

  it('runs the custom action on every selected GuardDuty finding and reports other products as skipped', async () => {
    // Prepare: a low-severity EC2 finding (below the threshold), an IAM finding, and an Inspector finding.
    const [a1, a2] = world.memberAccountIds as [string, string];
    const web = instanceOf(world, a1, region, 'web-2');
    const ec2Finding = publish(local, 'Recon:EC2/Portscan', { accountId: a1, region, instance: web.target, severity: 2 });
    const bot = world.users.find((u) => u.accountId === a2 && u.userName === 'deploy-bot');
    const iamFinding = publish(local, 'Persistence:IAMUser/AnomalousBehavior', {
      accountId: a2,
      region,
      accessKey: { accessKeyId: bot?.accessKeyId ?? '', userName: 'deploy-bot', userType: 'IAMUser' },
      severity: 5,
    });
    const asff = [(await hubFinding(local, ec2Finding)) as AwsSecurityFinding, (await hubFinding(local, iamFinding)) as AwsSecurityFinding];
    const inspector = {
      ...asff[0],
      Id: `arn:aws:inspector2:${region}:${a1}:finding/0123456789abcdef`,
      ProductArn: `arn:aws:securityhub:${region}::product/aws/inspector`,
      ProductName: 'Inspector',
    } as AwsSecurityFinding;
    const isolate = writeJson(
      securityHubEvent('Security Hub Findings - Custom Action', [...asff, inspector], {
        id: 'IsolateEC2',
        name: 'Isolate EC2',
        account: world.securityAccountId,
      }),
    );
    const disable = writeJson(
      securityHubEvent('Security Hub Findings - Custom Action', [asff[1] as AwsSecurityFinding], {
        id: 'DisableIAMCreds',
        name: 'Disable IAM creds',
        account: world.securityAccountId,
      }),
    );

    // Act
    const first = await runCli(['respond', isolate, '--json'], { CORDON_AUDIT_FILE: auditFile() });
    const second = await runCli(['respond', disable, '--json'], { CORDON_AUDIT_FILE: auditFile() });

    // Assess: the analyst's choice bypasses the threshold; actions that do not fit are skipped
    expect(first.code).toBe(0);
    expect(first.lines.map((l) => [l.runbook, l.decision])).toEqual([
      ['ec2-instance-compromise', 'act'],
      ['ec2-instance-compromise', 'act'],
      [null, 'skip'],
    ]);
    expect(first.lines[0]?.reason).toBe('analyst chose custom action "Isolate EC2"');
    expect((first.lines[1]?.actions as Array<{ status: string }>).every((a) => a.status === 'skipped')).toBe(true);
    expect(first.lines[2]).toMatchObject({ reason: 'not a GuardDuty finding', securityHub: { status: 'skipped' } });
    const { ec2 } = await memberClients(local, world, a1, region);
    const enis = await ec2.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [web.target.instanceId] }] }),
    );
    expect(enis.NetworkInterfaces?.every((ni) => ni.Groups?.some((g) => g.GroupName === 'cordon-quarantine'))).toBe(true);
    // Isolation leaves DNS to the VPC resolver open: NOTIFIED, not RESOLVED.
    expect((await hubFinding(local, ec2Finding))?.Workflow?.Status).toBe('NOTIFIED');

    expect(second.lines[0]).toMatchObject({ runbook: 'iam-credential-misuse', decision: 'act' });
    const { iam } = await memberClients(local, world, a2, region);
    expect(
      (await iam.send(new ListAccessKeysCommand({ UserName: 'deploy-bot' }))).AccessKeyMetadata?.find(
        (k) => k.AccessKeyId === bot?.accessKeyId,
      )?.Status,
    ).toBe('Inactive');
  });

  it("acts on imported findings while NEW and never on its own update's Imported event", async () => {
    const [, a2] = world.memberAccountIds as [string, string];
    const finding = publish(local, 'CryptoCurrency:EC2/BitcoinTool.B', {
      accountId: a2,
      region,
      instance: instanceOf(world, a2, region, 'web-1').target,
    });
    const imported = writeJson(
      securityHubEvent('Security Hub Findings - Imported', [(await hubFinding(local, finding)) as AwsSecurityFinding]),
    );

    const first = await runCli(['respond', imported, '--json'], { CORDON_AUDIT_FILE: auditFile() });
    // BatchUpdateFindings emits an Imported event carrying cordon's own update.
    const echo = writeJson(
      securityHubEvent('Security Hub Findings - Imported', [(await hubFinding(local, finding)) as AwsSecurityFinding]),
    );
    const second = await runCli(['respond', echo, '--json'], { CORDON_AUDIT_FILE: auditFile() });

    expect(first.lines[0]).toMatchObject({ decision: 'act', runbook: 'ec2-instance-compromise' });
    expect(second.lines[0]).toMatchObject({
      decision: 'skip',
      reason: 'Security Hub workflow is NOTIFIED: imported findings are acted on only while NEW',
      actions: [],
    });
  });

  it('archives findings in the administrator detector when a runbook says so', async () => {
    const [a1, a2] = world.memberAccountIds as [string, string];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-runbooks-'));
    fs.writeFileSync(
      path.join(dir, 'archive.yaml'),
      'name: archive-probes\ndescription: archive noise\nreliability: 10\nfindingTypes: ["Recon:EC2/PortProbeEMRUnprotectedPort"]\nactions:\n  - action: guardduty.archive\n',
    );
    // Three different instances, so the three findings are handled in parallel and share one call.
    const targets = [
      instanceOf(world, a1, region, 'web-1'),
      instanceOf(world, a1, region, 'web-2'),
      instanceOf(world, a2, region, 'web-2'),
    ];
    const findings = targets.map((t, i) =>
      publish(local, 'Recon:EC2/PortProbeEMRUnprotectedPort', { accountId: t.accountId, region, instance: t.target, seed: `probe-${i}` }),
    );
    const file = writeJson(findings.map((f) => ({ 'detail-type': 'GuardDuty Finding', source: 'aws.guardduty', detail: f })));

    const run = await runCli(['respond', file, '--json', '--runbooks', dir], { CORDON_AUDIT_FILE: auditFile() });

    expect(run.code).toBe(0);
    expect(run.lines.map((l) => (l.actions as Array<{ status: string }>)[0]?.status)).toEqual(['done', 'done', 'done']);
    const gd = new GuardDutyClient({ endpoint: local.endpoint, region, credentials: HOME_CREDENTIALS });
    const detectorId = (await gd.send(new ListDetectorsCommand({}))).DetectorIds?.[0];
    const out = await gd.send(new GetGuardDutyFindings({ DetectorId: detectorId, FindingIds: findings.map((f) => String(f.id)) }));
    expect(out.Findings?.map((f) => f.Service?.Archived)).toEqual([true, true, true]);
    expect(local.emulator.calls().filter((c) => c.operation === 'ArchiveFindings')).toHaveLength(1);
    gd.destroy();
  });

  it('runs as the Lambda handler on SQS batches: DynamoDB audit, partial batch failures for poison messages', async () => {
    // Prepare
    const dynamo = new DynamoDBClient({ endpoint: local.endpoint, region, credentials: HOME_CREDENTIALS });
    await dynamo.send(
      new CreateTableCommand({
        TableName: 'cordon-audit',
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
    const [a1] = world.memberAccountIds as [string];
    const finding = publish(local, 'Trojan:EC2/DropPoint', {
      accountId: a1,
      region,
      instance: instanceOf(world, a1, region, 'web-1').target,
    });
    // Powertools' dev mode writes logs and metrics through the global console, which the test reads.
    process.env.POWERTOOLS_DEV = 'true';
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const logged: string[] = [];
    const spies = (['log', 'info', 'error', 'warn'] as const).map((m) =>
      jest.spyOn(console, m).mockImplementation((...args: unknown[]) => void logged.push(String(args[0]))),
    );
    const telemetry = createTelemetry(SERVICES.responder);
    const responder = buildResponder(
      responderSettings({ ...process.env, CORDON_AUDIT_TABLE: 'cordon-audit', CORDON_RUNBOOKS_DIR: path.join(ROOT, 'runbooks') }),
      telemetryHooks(telemetry),
    );

    // Act
    let response: Awaited<ReturnType<typeof handleBatch>>;
    try {
      response = await handleBatch(
        {
          Records: [
            { messageId: 'm-1', body: JSON.stringify({ 'detail-type': 'GuardDuty Finding', source: 'aws.guardduty', detail: finding }) },
            { messageId: 'm-poison', body: '{"detail-type": "GuardDuty Finding", "source": "aws.guardduty", "detail": {"id": 1}}' },
          ],
        },
        responder,
        telemetry,
      );
    } finally {
      responder.close();
      for (const spy of spies) spy.mockRestore();
      delete process.env.POWERTOOLS_DEV;
      delete process.env.POWERTOOLS_METRICS_DISABLED;
    }

    // Assess: partial batch failure, Powertools log lines, the per-runbook metrics as EMF
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-poison' }] });
    const lines = logged.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ level: 'ERROR', service: 'cordon-responder', source: 'cordon-responder', messageId: 'm-poison' }),
        expect.objectContaining({ level: 'INFO', messageId: 'm-1', decision: 'act' }),
      ]),
    );
    const emf = lines.find((l) => '_aws' in l);
    expect(emf).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'cordon',
            Dimensions: [['service', 'Runbook']],
            Metrics: expect.arrayContaining([
              { Name: 'FindingsContained', Unit: 'Count' },
              { Name: 'TimeToContainment', Unit: 'Seconds' },
            ]) as unknown,
          },
        ],
      },
      service: 'cordon-responder',
      Runbook: 'ec2-instance-compromise',
      FindingsContained: 1,
    });
    expect(emf?.TimeToContainment).toEqual(expect.any(Number));
    const records = await new DynamoDbAuditStore(dynamo, 'cordon-audit').forFinding(String(finding.id));
    expect(records.map((r) => r.action)).toEqual(expect.arrayContaining(['ec2.snapshot', 'ec2.protect', 'ec2.isolate']));
    expect(records.find((r) => r.action === 'ec2.isolate')?.prior).toMatchObject({
      groupIds: expect.any(Array),
      networkInterfaceId: expect.stringMatching(/^eni-/),
    });
    dynamo.destroy();
  });
});
