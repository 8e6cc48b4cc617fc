import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DescribeNetworkInterfacesCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { buildWorld, type World, type LocalAws } from '../../local-aws';
import { runCli } from '../support/cli';
import { EC2_THROTTLED, startFaultProxy, stsAccessDenied } from '../support/fault-proxy';
import { startLocal } from '../support/local';
import { auditFile, eventsFile, hubFinding, instanceOf, memberClients, publish } from '../support/world';

const ROOT = path.resolve(__dirname, '../..');

function cordon(args: string[], env: NodeJS.ProcessEnv, stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/cordon.cjs'), ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    child.stdin.end(stdin);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('respond: failures', () => {
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
  afterEach(() => {
    delete process.env.AWS_ENDPOINT_URL_STS;
    delete process.env.AWS_ENDPOINT_URL_EC2;
    delete process.env.AWS_MAX_ATTEMPTS;
  });

  it('reports AccessDenied on the member role as failed actions and still contains the other account', async () => {
    // Prepare: the member role of account 1 does not trust cordon
    const [a1, a2] = world.memberAccountIds as [string, string];
    const proxy = await startFaultProxy(local.endpoint, ({ body }) =>
      body.includes('Action=AssumeRole') && body.includes(a1) ? stsAccessDenied(`arn:aws:iam::${a1}:role/cordon-responder`) : undefined,
    );
    process.env.AWS_ENDPOINT_URL_STS = proxy.endpoint;
    const denied = publish(local, 'Trojan:EC2/BlackholeTraffic', {
      accountId: a1,
      region,
      instance: instanceOf(world, a1, region, 'web-2').target,
    });
    const bot = world.users.find((u) => u.accountId === a2 && u.userName === 'deploy-bot');
    const other = publish(local, 'Exfiltration:IAMUser/AnomalousBehavior', {
      accountId: a2,
      region,
      accessKey: { accessKeyId: bot?.accessKeyId ?? '', userName: 'deploy-bot', userType: 'IAMUser' },
    });

    // Act
    const run = await runCli(['respond', eventsFile([denied, other]), '--json'], { CORDON_AUDIT_FILE: auditFile() });
    await proxy.stop();

    // Assess
    expect(run.code).toBe(1);
    const actions = run.lines[0]?.actions as Array<{ status: string; detail: string }>;
    expect(actions.length).toBeGreaterThan(0);
    expect(
      actions.every(
        (a) => a.status === 'failed' && a.detail.includes('AccessDenied') && a.detail.includes(`arn:aws:iam::${a1}:role/cordon-responder`),
      ),
    ).toBe(true);
    expect(run.lines[1]).toMatchObject({
      decision: 'act',
      actions: expect.arrayContaining([expect.objectContaining({ action: 'iam.deactivate-access-key', status: 'done' })]),
    });
    expect((await hubFinding(local, denied))?.Workflow?.Status).toBe('NOTIFIED');
    expect((await hubFinding(local, denied))?.Note?.Text).toContain('FAILED');
    const { iam } = await memberClients(local, world, a2, region);
    expect((await iam.send(new ListAccessKeysCommand({ UserName: 'deploy-bot' }))).AccessKeyMetadata?.[0]?.Status).toBe('Inactive');
  });

  it('assumes the named role with the external id and a session name that names the finding', async () => {
    const [a1] = world.memberAccountIds as [string];
    const bodies: string[] = [];
    const proxy = await startFaultProxy(local.endpoint, ({ body }) => {
      if (body.includes('Action=AssumeRole')) bodies.push(decodeURIComponent(body));
      return undefined;
    });
    process.env.AWS_ENDPOINT_URL_STS = proxy.endpoint;
    const finding = publish(local, 'CryptoCurrency:EC2/BitcoinTool.B', {
      accountId: a1,
      region,
      instance: instanceOf(world, a1, region, 'web-1').target,
      seed: 'role-name',
    });

    const run = await runCli(['respond', eventsFile([finding]), '--dry-run', '--json', '--role-name', 'SecOpsResponder'], {
      CORDON_EXTERNAL_ID: 'cordon-ext-42',
    });
    await proxy.stop();

    expect(run.code).toBe(0);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toContain(`RoleArn=arn:aws:iam::${a1}:role/SecOpsResponder`);
    expect(bodies[0]).toContain('ExternalId=cordon-ext-42');
    expect(bodies[0]).toContain(`RoleSessionName=cordon-${String(finding.id)}`);
  });

  it('reports a missing instance as failed without stopping the next finding', async () => {
    const [a1, a2] = world.memberAccountIds as [string, string];
    const web = instanceOf(world, a1, region, 'web-1');
    const gone = publish(local, 'CryptoCurrency:EC2/BitcoinTool.B', {
      accountId: a1,
      region,
      instance: { ...web.target, instanceId: 'i-0deadbeef00000000' },
    });
    const live = publish(local, 'CryptoCurrency:EC2/BitcoinTool.B', {
      accountId: a2,
      region,
      instance: instanceOf(world, a2, region, 'web-2').target,
    });

    const run = await runCli(['respond', eventsFile([gone, live]), '--json'], { CORDON_AUDIT_FILE: auditFile() });

    expect(run.code).toBe(1);
    const failed = run.lines[0]?.actions as Array<{ status: string; detail: string }>;
    expect(failed.every((a) => a.status === 'failed' && a.detail.includes('instance i-0deadbeef00000000 not found'))).toBe(true);
    expect((run.lines[1]?.actions as Array<{ status: string }>).some((a) => a.status === 'done')).toBe(true);
  });

  it('rides out EC2 throttling through the SDK retry strategy, and reports what stays throttled', async () => {
    // Prepare: the first two interface changes are throttled (retried), every CreateSnapshot always is.
    const [, a2] = world.memberAccountIds as [string, string];
    const web = instanceOf(world, a2, region, 'web-1');
    let throttledModify = 0;
    const proxy = await startFaultProxy(local.endpoint, ({ body }) => {
      if (body.includes('Action=CreateSnapshot')) return EC2_THROTTLED;
      if (body.includes('Action=ModifyNetworkInterfaceAttribute') && throttledModify < 2) {
        throttledModify += 1;
        return EC2_THROTTLED;
      }
      return undefined;
    });
    process.env.AWS_ENDPOINT_URL_EC2 = proxy.endpoint;
    process.env.AWS_MAX_ATTEMPTS = '3';
    const finding = publish(local, 'Backdoor:EC2/Spambot', { accountId: a2, region, instance: web.target });

    // Act
    const run = await runCli(['respond', eventsFile([finding]), '--json'], { CORDON_AUDIT_FILE: auditFile() });
    await proxy.stop();

    // Assess
    expect(run.code).toBe(1);
    const actions = run.lines[0]?.actions as Array<{ action: string; status: string; detail: string }>;
    const snapshots = actions.filter((a) => a.action === 'ec2.snapshot');
    expect(snapshots).toEqual([expect.objectContaining({ status: 'failed', detail: expect.stringContaining('RequestLimitExceeded') })]);
    expect(actions.filter((a) => a.action === 'ec2.isolate').map((a) => a.status)).toEqual(['done', 'done']);
    const { ec2 } = await memberClients(local, world, a2, region);
    expect(
      (
        await ec2.send(
          new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag:cordon:finding-id', Values: [String(finding.id)] }] }),
        )
      ).Snapshots,
    ).toEqual([]);
    const enis = await ec2.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [web.target.instanceId] }] }),
    );
    expect(enis.NetworkInterfaces?.every((ni) => ni.Groups?.some((g) => g.GroupName === 'cordon-quarantine'))).toBe(true);
  });

  describe('bad input: exit 2, a message naming the problem, nothing changed', () => {
    it.each([
      ['malformed/empty.json', 'input is empty'],
      ['malformed/truncated.json', 'not valid JSON'],
      ['malformed/missing-account.json', 'detail: accountId: required field is missing'],
      ['malformed/missing-resource.json', 'detail: resource: required field is missing'],
      ['malformed/severity-not-number.json', 'detail: severity'],
      ['malformed/other-source.json', 'source "aws.ec2"'],
    ])('%s', async (fixture, message) => {
      const audit = auditFile();
      const run = await runCli(['respond', path.join(ROOT, 'test/fixtures', fixture), '--json'], { CORDON_AUDIT_FILE: audit });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(message);
      expect(fs.existsSync(audit)).toBe(false);
    });

    it('rejects bad settings and unknown flags', async () => {
      const file = path.join(ROOT, 'test/fixtures/guardduty/crypto-ec2.event.json');
      expect(await runCli(['respond', file, '--role-name', 'bad role!'])).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('not a valid IAM role name'),
      });
      expect(await runCli(['respond', file, '--force'])).toMatchObject({
        code: 2,
        stderr: expect.stringContaining("Unknown option '--force'"),
      });
      expect(await runCli(['respond', file], { CORDON_ACTION_THRESHOLD: 'ten' })).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('CORDON_ACTION_THRESHOLD: "ten" must be a number'),
      });
      expect(await runCli(['respond', file], { CORDON_EXEMPT_ACCOUNTS: '12345' })).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('"12345" is not a 12-digit account id'),
      });
      expect(await runCli(['respond', '/nonexistent.json'])).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('cannot read /nonexistent.json'),
      });
      expect(await runCli(['respond', file, '--runbooks', path.join(ROOT, 'test/fixtures/guardduty')])).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('invalid runbooks'),
      });
      expect(await runCli(['respond', file, file])).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('expected at most one input file'),
      });
    });

    it('exits 2 from the real binary, reading standard input', async () => {
      const run = await cordon(
        ['respond', '-', '--json'],
        { CORDON_AUDIT_FILE: auditFile() },
        '{"detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{"accountId":"1"}}',
      );
      expect(run).toMatchObject({
        code: 2,
        stdout: '',
        stderr: expect.stringContaining('item 1, detail: accountId: expected a 12-digit AWS account id'),
      });
    });

    it('exits 2 naming the problem when the machine has no AWS credentials (respond, enable), before any AWS call', async () => {
      // Prepare: no keys, no profile, no home config, no instance metadata
      const audit = auditFile();
      const home = path.dirname(audit);
      const env = {
        CORDON_AUDIT_FILE: audit,
        HOME: home,
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_SESSION_TOKEN: '',
        AWS_PROFILE: '',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: path.join(home, 'none'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'),
      };
      local.emulator.resetCalls();

      // Act
      const run = await cordon(['respond', path.join(ROOT, 'test/fixtures/guardduty/crypto-ec2.event.json'), '--json'], env);
      const enable = await cordon(['enable', '--admin-account', '111122223333', '--regions', 'us-east-1'], env);

      // Assess
      expect(run).toMatchObject({ code: 2, stdout: '', stderr: expect.stringContaining('cordon respond: no usable AWS credentials') });
      expect(enable).toMatchObject({ code: 2, stderr: expect.stringContaining('cordon enable: no usable AWS credentials') });
      expect(local.emulator.calls()).toEqual([]);
      expect(fs.existsSync(audit)).toBe(false);
    });

    it('does not act on any finding of an input that is partly bad', async () => {
      const [a1] = world.memberAccountIds as [string];
      const web = instanceOf(world, a1, region, 'web-2');
      const good = publish(local, 'CryptoCurrency:EC2/BitcoinTool.B!DNS', {
        accountId: a1,
        region,
        instance: web.target,
        seed: 'partly-bad',
      });
      const dir = path.dirname(auditFile());
      const file = path.join(dir, 'mixed.jsonl');
      fs.writeFileSync(
        file,
        `${JSON.stringify({ 'detail-type': 'GuardDuty Finding', source: 'aws.guardduty', detail: good })}\n{"detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{}}\n`,
      );
      const run = await runCli(['respond', file], { CORDON_AUDIT_FILE: path.join(dir, 'audit.jsonl') });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('item 2, detail:');
      expect((await hubFinding(local, good))?.Workflow?.Status).toBe('NEW');
    });
  });
});
