import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CreateNetworkAclEntryCommand,
  CreateSecurityGroupCommand,
  DescribeInstanceAttributeCommand,
  DescribeNetworkAclsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { GetFindingsCommand as GetGuardDutyFindings, GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { CreateActionTargetCommand, SecurityHubClient, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbAuditStore } from '../../src/audit/dynamodb-store';
import { responderSettings } from '../../src/config/settings';
import { buildWorld, type World, type LocalAws } from '../../local-aws';
import { handleBatch } from '../../src/handlers/responder';
import { buildResponder } from '../../src/respond/wiring';
import { runCli } from '../support/cli';
import { HOME_CREDENTIALS, startLocal } from '../support/local';
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

const ROOT = path.resolve(__dirname, '../..');
const region = 'us-east-1';

function customActionEvent(
  findings: readonly AwsSecurityFinding[],
  action: { id: string; name: string; account: string },
): Record<string, unknown> {
  return {
    version: '0',
    id: 'c0ffee00-1428-4cd3-a780-95db273d1602',
    'detail-type': 'Security Hub Findings - Custom Action',
    source: 'aws.securityhub',
    account: action.account,
    time: '2026-11-24T10:20:00Z',
    region,
    resources: [`arn:aws:securityhub:${region}:${action.account}:action/custom/${action.id}`],
    detail: { actionName: action.name, actionDescription: 'cordon', findings },
  };
}

function jsonFile(value: unknown): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-analyst-')), 'event.json');
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

describe('analyst workflow: release, built-in custom actions and the circuit breaker', () => {
  let local: LocalAws;
  let world: World;

  beforeAll(async () => {
    local = await startLocal();
    world = await buildWorld({ endpoint: local.endpoint, memberCount: 3, regions: [region] });
    local.emulator.seedOrganization({
      administratorAccountId: world.securityAccountId,
      memberAccountIds: world.memberAccountIds,
      regions: world.regions,
    });
  }, 120_000);
  afterAll(async () => local?.stop());

  const groupsOf = async (accountId: string, instanceId: string): Promise<Record<string, string[]>> => {
    const { ec2 } = await memberClients(local, world, accountId, region);
    const out = await ec2.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] }),
    );
    return Object.fromEntries(
      (out.NetworkInterfaces ?? []).map((ni) => [ni.NetworkInterfaceId, (ni.Groups ?? []).map((g) => g.GroupId as string).sort()]),
    );
  };

  it("release restores the prior groups of a two-interface instance, protection, and removes only cordon's NACL entries and policies", async () => {
    // Prepare: a compromised instance, an SSH brute force against a second one, a leaked key.
    const account = world.memberAccountIds[0] as string;
    const audit = auditFile();
    const web1 = instanceOf(world, account, region, 'web-1');
    const web2 = instanceOf(world, account, region, 'web-2');
    const bot = world.users.find((u) => u.accountId === account && u.userName === 'deploy-bot');
    const { ec2, iam } = await memberClients(local, world, account, region);
    const acl = (
      await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [web2.target.subnetId] }] }))
    ).NetworkAcls?.[0];
    // Someone else's rule in the same ACL, which release must leave alone.
    await ec2.send(
      new CreateNetworkAclEntryCommand({
        NetworkAclId: acl?.NetworkAclId,
        RuleNumber: 150,
        Egress: false,
        Protocol: '6',
        RuleAction: 'allow',
        CidrBlock: '10.0.0.0/8',
        PortRange: { From: 443, To: 443 },
      }),
    );
    const groupsBefore = await groupsOf(account, web1.target.instanceId);
    expect(Object.keys(groupsBefore)).toHaveLength(2);
    const entriesBefore =
      (await ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [acl?.NetworkAclId as string] }))).NetworkAcls?.[0]?.Entries ?? [];
    const crypto = publish(local, 'CryptoCurrency:EC2/BitcoinTool.B!DNS', { accountId: account, region, instance: web1.target });
    const brute = publish(local, 'UnauthorizedAccess:EC2/SSHBruteForce', {
      accountId: account,
      region,
      instance: web2.target,
      remoteIp: '198.51.100.23',
      severity: 5,
    });
    const leaked = publish(local, 'CredentialAccess:IAMUser/AnomalousBehavior', {
      accountId: account,
      region,
      accessKey: { accessKeyId: bot?.accessKeyId ?? '', userName: 'deploy-bot', userType: 'IAMUser' },
    });
    const contained = await runCli(['respond', eventsFile([crypto, brute, leaked]), '--json'], { CORDON_AUDIT_FILE: audit });
    expect(contained.code).toBe(0);
    expect(contained.lines.map((l) => l.decision)).toEqual(['act', 'act', 'act']);
    expect(await attachedPolicies(iam, 'deploy-bot')).toEqual([AWS_DENY_ALL_ARN]);
    expect(await revocationStatements(iam, 'web-instance-role')).toHaveLength(1);

    // Act: a dry run first, then the release of all three.
    const plan = await runCli(['release', '--finding', String(crypto.id), '--dry-run', '--json'], { CORDON_AUDIT_FILE: audit });
    const groupsAfterPlan = await groupsOf(account, web1.target.instanceId);
    const release = await runCli(
      ['release', '--finding', String(crypto.id), '--finding', String(brute.arn), '--finding', String(leaked.id), '--json'],
      { CORDON_AUDIT_FILE: audit },
    );

    // Assess: the dry run planned and changed nothing
    expect(plan.code).toBe(0);
    expect(
      (plan.lines[0]?.actions as Array<{ action: string; status: string }>).filter((a) => a.action === 'ec2.isolate').map((a) => a.status),
    ).toEqual(['planned', 'planned']);
    expect(Object.values(groupsAfterPlan).every((g) => g.some((id) => !Object.values(groupsBefore).flat().includes(id)))).toBe(true);

    // Assess: each interface is back in exactly its groups, protection is as it was
    expect(release.stderr).toBe('');
    expect(release.code).toBe(0);
    expect(await groupsOf(account, web1.target.instanceId)).toEqual(groupsBefore);
    const termination = await ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: web1.target.instanceId, Attribute: 'disableApiTermination' }),
    );
    expect(termination.DisableApiTermination?.Value).toBe(false);
    // Evidence stays: the snapshots are still there.
    const snapshots = await ec2.send(
      new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag:cordon:finding-id', Values: [String(crypto.id)] }] }),
    );
    expect(snapshots.Snapshots).toHaveLength(2);
    // Only cordon's NACL entries are gone; the other rule stays.
    const entriesAfter =
      (await ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [acl?.NetworkAclId as string] }))).NetworkAcls?.[0]?.Entries ?? [];
    const shape = (es: typeof entriesAfter) => es.map((e) => `${e.Egress}:${e.RuleNumber}:${e.RuleAction}:${e.CidrBlock}`).sort();
    expect(shape(entriesAfter)).toEqual(shape(entriesBefore));
    expect(shape(entriesAfter)).toContain('false:150:allow:10.0.0.0/8');
    // Policies cordon attached are gone; the leaked key stays off without --reactivate-keys.
    expect(await attachedPolicies(iam, 'deploy-bot')).toEqual([]);
    expect(await revocationStatements(iam, 'web-instance-role')).toEqual([]);
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: 'deploy-bot' }));
    expect(keys.AccessKeyMetadata?.find((k) => k.AccessKeyId === bot?.accessKeyId)?.Status).toBe('Inactive');
    const keyLine = (release.lines[2]?.actions as Array<{ action: string; status: string; detail: string }>).find(
      (a) => a.action === 'iam.deactivate-access-key',
    );
    expect(keyLine).toMatchObject({ status: 'skipped', detail: expect.stringContaining('--reactivate-keys') });
    // The Security Hub note says so.
    expect((await hubFinding(local, crypto))?.Note?.Text).toMatch(/^cordon released: /);

    // Act + Assess: idempotent; a second release restores nothing more, and the key comes back only when asked.
    const again = await runCli(['release', '--finding', String(crypto.id), '--json'], { CORDON_AUDIT_FILE: audit });
    expect(again.code).toBe(0);
    expect((again.lines[0]?.actions as Array<{ status: string }>).filter((a) => a.status === 'done')).toEqual([]);
    const keysBack = await runCli(['release', '--finding', String(leaked.id), '--reactivate-keys', '--json'], { CORDON_AUDIT_FILE: audit });
    expect(keysBack.code).toBe(0);
    const keysAfter = await iam.send(new ListAccessKeysCommand({ UserName: 'deploy-bot' }));
    expect(keysAfter.AccessKeyMetadata?.find((k) => k.AccessKeyId === bot?.accessKeyId)?.Status).toBe('Active');
  });

  it('refuses to release an instance whose groups someone changed since, unless --force', async () => {
    // Prepare: isolate, then an engineer moves one interface to their own group.
    const account = world.memberAccountIds[1] as string;
    const audit = auditFile();
    const web1 = instanceOf(world, account, region, 'web-1');
    const before = await groupsOf(account, web1.target.instanceId);
    const finding = publish(local, 'Backdoor:EC2/C&CActivity.B!DNS', { accountId: account, region, instance: web1.target });
    expect((await runCli(['respond', eventsFile([finding]), '--json'], { CORDON_AUDIT_FILE: audit })).code).toBe(0);
    const { ec2 } = await memberClients(local, world, account, region);
    const mine = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: 'forensics-team', Description: 'manual', VpcId: web1.target.vpcId }),
    );
    const [eni] = Object.keys(before) as [string];
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Groups: [mine.GroupId as string] }));
    const moved = await groupsOf(account, web1.target.instanceId);

    // Act
    const refused = await runCli(['release', '--finding', String(finding.id), '--json'], { CORDON_AUDIT_FILE: audit });
    const afterRefusal = await groupsOf(account, web1.target.instanceId);
    const forced = await runCli(['release', '--finding', String(finding.id), '--force', '--json'], { CORDON_AUDIT_FILE: audit });

    // Assess: refused with a clear reason and the moved interface untouched; --force restores.
    expect(refused.code).toBe(1);
    const isolateLines = (refused.lines[0]?.actions as Array<{ action: string; resource: string; status: string; detail: string }>).filter(
      (a) => a.action === 'ec2.isolate',
    );
    expect(isolateLines.find((a) => a.resource === eni)).toMatchObject({
      status: 'failed',
      detail: expect.stringMatching(/^refused: .*someone changed it since.*--force/),
    });
    expect(afterRefusal[eni]).toEqual(moved[eni]);
    expect(forced.code).toBe(0);
    expect(await groupsOf(account, web1.target.instanceId)).toEqual(before);
  });

  it('rejects bad release input with exit 2 and changes nothing', async () => {
    const missing = await runCli(['release'], { CORDON_AUDIT_FILE: auditFile() });
    const bad = await runCli(['release', '--finding', 'not a finding!'], { CORDON_AUDIT_FILE: auditFile() });
    const unknown = await runCli(['release', '--finding', 'abcdef0123456789abcdef0123456789'], { CORDON_AUDIT_FILE: auditFile() });
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('--finding ID is required') });
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('"not a finding!" is not a GuardDuty finding id or ARN') });
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain('nothing to release: no audit record of this finding');
  });

  it('"False positive" archives the GuardDuty finding and suppresses it in Security Hub with the analyst\'s note; "Release" runs through the Lambda handler', async () => {
    // Prepare: a finding cordon contained, and one an analyst calls a false positive.
    const account = world.memberAccountIds[2] as string;
    const audit = auditFile();
    const web2 = instanceOf(world, account, region, 'web-2');
    const web1 = instanceOf(world, account, region, 'web-1');
    const before = await groupsOf(account, web2.target.instanceId);
    const contained = publish(local, 'Trojan:EC2/DNSDataExfiltration', { accountId: account, region, instance: web2.target });
    const benign = publish(local, 'Recon:EC2/Portscan', { accountId: account, region, instance: web1.target, severity: 2 });
    const responder = buildResponder(responderSettings({ ...process.env, CORDON_AUDIT_FILE: audit }), { actor: 'test-lambda' });
    const sqs = (events: unknown[]) => ({ Records: events.map((e, i) => ({ messageId: `m${i}`, body: JSON.stringify(e) })) });
    expect(
      (await handleBatch(sqs([{ 'detail-type': 'GuardDuty Finding', source: 'aws.guardduty', detail: contained }]), responder))
        .batchItemFailures,
    ).toEqual([]);
    const benignAsff = {
      ...((await hubFinding(local, benign)) as AwsSecurityFinding),
      Note: { Text: 'Known scanner run by the platform team', UpdatedBy: 'alice', UpdatedAt: '2026-11-24T10:00:00Z' },
    };
    const containedAsff = (await hubFinding(local, contained)) as AwsSecurityFinding;

    // Act: the analyst picks the two built-in actions in the console.
    const out = await handleBatch(
      sqs([
        customActionEvent([benignAsff], { id: 'CordonFalsePositive', name: 'False positive', account: world.securityAccountId }),
        customActionEvent([containedAsff], { id: 'CordonRelease', name: 'Release', account: world.securityAccountId }),
      ]),
      responder,
    );
    responder.close();

    // Assess: no failures; the benign finding is archived and suppressed with the analyst's note
    expect(out.batchItemFailures).toEqual([]);
    const gd = new GuardDutyClient({ endpoint: local.endpoint, region, credentials: HOME_CREDENTIALS });
    const detectorId = (await gd.send(new ListDetectorsCommand({}))).DetectorIds?.[0] as string;
    const got = await gd.send(new GetGuardDutyFindings({ DetectorId: detectorId, FindingIds: [String(benign.id)] }));
    expect(got.Findings?.[0]?.Service?.Archived).toBe(true);
    gd.destroy();
    const hub = await hubFinding(local, benign);
    expect(hub?.Workflow?.Status).toBe('SUPPRESSED');
    expect(hub?.Note?.Text).toContain('Known scanner run by the platform team');
    // The contained instance is released: its interfaces are back in their groups.
    expect(await groupsOf(account, web2.target.instanceId)).toEqual(before);
    expect((await hubFinding(local, contained))?.Note?.Text).toMatch(/^cordon released: /);
    const records = fs
      .readFileSync(audit, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { actor: string; action: string; status: string });
    expect(records.some((r) => r.actor === 'release' && r.action === 'ec2.isolate' && r.status === 'done')).toBe(true);
  });

  it('a storm of 20 crypto-mining findings in one account opens the circuit after the cap; the state survives a new process; an analyst can still act', async () => {
    // Prepare: 20 more instances in one account, one finding each.
    const account = world.memberAccountIds[0] as string;
    const audit = auditFile();
    const web = instanceOf(world, account, region, 'web-2');
    const { ec2 } = await memberClients(local, world, account, region);
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-12c6146b',
        InstanceType: 't3.micro',
        MinCount: 20,
        MaxCount: 20,
        SubnetId: web.target.subnetId,
      }),
    );
    const instances = (run.Instances ?? []).map((i) => ({
      instanceId: i.InstanceId as string,
      vpcId: web.target.vpcId,
      subnetId: web.target.subnetId,
      networkInterfaces: (i.NetworkInterfaces ?? []).map((n) => ({
        networkInterfaceId: n.NetworkInterfaceId as string,
        subnetId: web.target.subnetId,
        groupIds: (n.Groups ?? []).map((g) => g.GroupId as string),
      })),
    }));
    const findings = instances.map((instance) =>
      publish(local, 'CryptoCurrency:EC2/BitcoinTool.B', { accountId: account, region, instance }),
    );
    const env = { CORDON_AUDIT_FILE: audit, CORDON_CIRCUIT_ACCOUNT_LIMIT: '5', CORDON_CIRCUIT_ORG_LIMIT: '100' };

    // Act
    const storm = await runCli(['respond', eventsFile(findings), '--json'], env);

    // Assess: 5 contained, 15 held with circuit-open, NOTIFIED in Security Hub, and a warning
    expect(storm.code).toBe(0);
    const acted = storm.lines.filter((l) => l.decision === 'act');
    const held = storm.lines.filter((l) => String(l.reason).startsWith('circuit-open'));
    expect(acted).toHaveLength(5);
    expect(held).toHaveLength(15);
    expect(storm.stderr).toContain('CIRCUIT OPEN: 15 finding(s)');
    const quarantine = (
      await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: 'group-name', Values: ['cordon-quarantine'] },
            { Name: 'vpc-id', Values: [web.target.vpcId] },
          ],
        }),
      )
    ).SecurityGroups?.[0]?.GroupId as string;
    const isolated = async (): Promise<number> => {
      const enis = await ec2.send(
        new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: instances.map((i) => i.instanceId) }] }),
      );
      return (enis.NetworkInterfaces ?? []).filter((ni) => ni.Groups?.some((g) => g.GroupId === quarantine)).length;
    };
    expect(await isolated()).toBe(5);
    const heldFinding = findings.find((f) => f.id === held[0]?.findingId) as Record<string, unknown>;
    const hub = await hubFinding(local, heldFinding);
    expect(hub?.Workflow?.Status).toBe('NOTIFIED');
    expect(hub?.Note?.Text).toContain('did NOT contain this finding automatically');

    // Act + Assess: a redelivery of the whole storm isolates nothing more (the circuit is still open).
    const again = await runCli(['respond', eventsFile(findings), '--json'], env);
    expect(again.lines.filter((l) => String(l.reason).startsWith('circuit-open'))).toHaveLength(15);
    expect(await isolated()).toBe(5);

    // Act + Assess: a new process sees the open circuit.
    const status = spawnSync(process.execPath, [path.join(ROOT, 'bin/cordon.cjs'), 'status', '--json'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    expect(status.status).toBe(1);
    const parsed = JSON.parse(status.stdout) as { accounts: Array<{ accountId: string; open: boolean; contained: number; held: number }> };
    expect(parsed.accounts.find((a) => a.accountId === account)).toMatchObject({ open: true, contained: 5, held: 30 });

    // Act + Assess: the analyst decides; the custom action is not capped.
    const asff = (await hubFinding(local, heldFinding)) as AwsSecurityFinding;
    const manual = await runCli(
      [
        'respond',
        jsonFile(customActionEvent([asff], { id: 'IsolateEC2', name: 'Isolate EC2', account: world.securityAccountId })),
        '--json',
      ],
      env,
    );
    expect(manual.code).toBe(0);
    expect(manual.lines[0]).toMatchObject({ decision: 'act', reason: 'analyst chose custom action "Isolate EC2"' });
    expect(await isolated()).toBe(6);
  });

  it('keeps the circuit ledger in the DynamoDB audit table (TTL attribute set, duplicates in one batch accepted)', async () => {
    // Prepare
    const ddb = new DynamoDBClient({ endpoint: local.endpoint, region, credentials: HOME_CREDENTIALS });
    await ddb.send(
      new CreateTableCommand({
        TableName: 'cordon-ledger',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
      }),
    );
    const store = new DynamoDbAuditStore(ddb, 'cordon-ledger');
    const entry = { kind: 'containment' as const, accountId: '111111111111', region, findingId: 'f1', resource: 'i-1' };

    // Act
    await store.recordCircuit([
      { ...entry, at: '2026-11-24T10:00:00.000Z' },
      { ...entry, at: '2026-11-24T11:30:00.000Z' },
      { ...entry, at: '2026-11-24T11:30:00.000Z' },
      { ...entry, kind: 'held', at: '2026-11-24T11:45:00.000Z', findingId: 'f2', resource: 'i-2' },
    ]);
    await store.append([
      {
        findingId: 'f1',
        findingArn: 'arn',
        accountId: '111111111111',
        region,
        findingType: 't',
        runbook: null,
        action: 'a',
        resource: 'r',
        status: 'done',
        detail: '',
        at: '2026-11-24T11:31:00.000Z',
        actor: 'respond',
      },
    ]);

    // Assess: only the window, oldest first, audit records not mixed in
    const since = await store.circuitEntries('2026-11-24T11:00:00.000Z');
    expect(since.map((e) => `${e.kind}:${e.at}`)).toEqual(['containment:2026-11-24T11:30:00.000Z', 'held:2026-11-24T11:45:00.000Z']);
    const items = (await ddb.send(new ScanCommand({ TableName: 'cordon-ledger' }))).Items ?? [];
    const ledgerItems = items.filter((i) => i.pk?.S === 'circuit');
    expect(ledgerItems).toHaveLength(3);
    // TTL: eight days after the entry (beyond the longest window, 7 days), in epoch seconds; audit records have none.
    const ttl = 8 * 24 * 3600;
    expect(ledgerItems.map((i) => Number(i.expiresAt?.N)).sort()).toEqual([
      Date.parse('2026-11-24T10:00:00Z') / 1000 + ttl,
      Date.parse('2026-11-24T11:30:00Z') / 1000 + ttl,
      Date.parse('2026-11-24T11:45:00Z') / 1000 + ttl,
    ]);
    expect(items.find((i) => i.pk?.S === 'finding#f1')?.expiresAt).toBeUndefined();
    ddb.destroy();
  });

  it('lists the custom actions: one per runbook that declares one, plus False positive and Release', async () => {
    const run = await runCli(['actions', 'list', '--json']);
    expect(run.code).toBe(0);
    const ids = run.lines.map((l) => l.id);
    expect(ids).toEqual(
      expect.arrayContaining(['IsolateEC2', 'DisableIAMCreds', 'BlockAttackerIP', 'CordonFalsePositive', 'CordonRelease']),
    );
    for (const l of run.lines) {
      expect(String(l.id)).toMatch(/^[A-Za-z0-9]{1,20}$/);
      expect(String(l.name).length).toBeLessThanOrEqual(20);
    }
    expect(run.lines.find((l) => l.id === 'CordonRelease')).toMatchObject({ name: 'Release', runs: 'built-in release' });
    // --deployed compares with Security Hub's action targets in the security account.
    const hub = new SecurityHubClient({ endpoint: local.endpoint, region, credentials: HOME_CREDENTIALS });
    await hub.send(new CreateActionTargetCommand({ Id: 'CordonRelease', Name: 'Release', Description: 'cordon release' }));
    hub.destroy();
    const deployed = await runCli(['actions', 'list', '--deployed', '--json']);
    expect(deployed.code).toBe(1);
    expect(deployed.lines.find((l) => l.id === 'CordonRelease')).toMatchObject({ deployed: true });
    expect(deployed.lines.find((l) => l.id === 'IsolateEC2')).toMatchObject({ deployed: false });
    const bad = await runCli(['actions', 'remove']);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown subcommand "remove"') });
  });
});
