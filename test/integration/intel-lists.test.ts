import { CreateBucketCommand, GetObjectCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { createAuditTable } from '../../bench/harness';
import { guardDutyEvent, type LocalAws, type World } from '../../local-aws';
import { responderSettings } from '../../src/config/settings';
import { parseInput } from '../../src/findings/parse';
import { LEDGER_KEY } from '../../src/intel/bucket';
import { releaseFinding } from '../../src/release/release';
import { respond } from '../../src/respond/responder';
import type { FindingResult } from '../../src/respond/result';
import { buildResponder, type Responder } from '../../src/respond/wiring';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { addReferences, type Ledger } from '../../src/intel/ledger';
import { ledgerRows, type IntelLists } from '../../src/intel/lists';
import { runCli } from '../support/cli';
import { HOME_CREDENTIALS } from '../support/local';
import { auditFile, hubFinding, instanceOf, publish, startWorld } from '../support/world';

/**
 * The threat-intelligence loop against moto (S3, DynamoDB) and the emulator
 * (GuardDuty's lists read their object from moto's S3): the indicators of a
 * batch go into the ledger and each region's GuardDuty once, release takes off
 * only what a finding alone listed, entries expire, and two responders writing
 * at once lose nothing.
 */
describe('intel: indicators into GuardDuty', () => {
  let local: LocalAws;
  let world: World;
  let s3: S3Client;
  const bucket = 'cordon-intel-test';
  const regions = ['us-east-1', 'us-west-2'];
  const responders: Responder[] = [];
  const env = {
    CORDON_INTEL_BUCKET: bucket,
    CORDON_INTEL_REGIONS: regions.join(','),
    CORDON_CIRCUIT_ACCOUNT_LIMIT: '1000',
    CORDON_CIRCUIT_ORG_LIMIT: '1000',
  };

  const responder = (extra: Record<string, string> = {}, now?: () => Date): Responder => {
    const r = buildResponder(responderSettings({ ...process.env, CORDON_AUDIT_FILE: auditFile(), ...env, ...extra }), {
      actor: 'test',
      ...(now ? { now } : {}),
    });
    responders.push(r);
    return r;
  };
  const deliver = (r: Responder, findings: ReadonlyArray<Record<string, unknown>>): Promise<FindingResult[]> =>
    respond(parseInput(findings.map((f) => JSON.stringify(guardDutyEvent(f))).join('\n')), r.deps);
  const intelLines = (result: FindingResult | undefined) =>
    (result?.actions ?? []).filter((a) => a.action.startsWith('intel.')).map((a) => ({ resource: a.resource, status: a.status }));
  const listed = (region: string) =>
    local.emulator
      .guardDutyLists(world.securityAccountId, region)
      .map((l) => ({ kind: l.kind, name: l.name, status: l.status, entries: [...l.entries].sort(), error: l.errorDetails }));
  const target = (name: string, extra: Record<string, unknown> = {}) => {
    const i = instanceOf(world, world.memberAccountIds[0] as string, 'us-east-1', name);
    return { accountId: i.accountId, region: i.region, instance: i.target, ...extra };
  };

  beforeAll(async () => {
    ({ local, world } = await startWorld({ memberCount: 1, regions }));
    // us-west-2 has no entity sets yet: cordon falls back to a threat intel set (IPv4 only) there.
    local.emulator.withoutEntityLists(['us-west-2']);
    s3 = new S3Client({ endpoint: local.endpoint, region: 'us-east-1', credentials: HOME_CREDENTIALS, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  }, 120_000);

  afterAll(async () => {
    for (const r of responders) r.close();
    s3?.destroy();
    await local?.stop();
  });

  it('lists the batch’s indicators once per region, refuses private addresses, and takes off only what a released finding alone listed', async () => {
    // Prepare
    const r = responder();
    const brute = publish(local, 'UnauthorizedAccess:EC2/SSHBruteForce', target('web-1', { remoteIp: '198.51.100.77', seed: 'brute-a' }));
    const brute2 = publish(local, 'UnauthorizedAccess:EC2/SSHBruteForce', target('web-2', { remoteIp: '198.51.100.77', seed: 'brute-b' }));
    const dns = publish(local, 'CryptoCurrency:EC2/BitcoinTool.B!DNS', target('web-1', { domain: 'pool.attacker.example', seed: 'dns' }));
    const internal = publish(local, 'UnauthorizedAccess:EC2/SSHBruteForce', target('web-2', { remoteIp: '10.9.8.7', seed: 'internal' }));
    local.emulator.resetCalls();

    // Act
    const results = await deliver(r, [brute, brute2, dns, internal]);

    // Assess: one line per indicator, the private address refused with why.
    expect(intelLines(results[0])).toEqual([{ resource: '198.51.100.77', status: 'done' }]);
    expect(intelLines(results[2])).toEqual([{ resource: 'pool.attacker.example', status: 'done' }]);
    expect(results[3]?.actions.find((a) => a.action === 'intel.threat-list')).toMatchObject({
      status: 'skipped',
      detail: expect.stringContaining('private (RFC 1918)'),
    });
    // GuardDuty read the list from S3: an entity list where the region has them, IPv4 only elsewhere.
    expect(listed('us-east-1')).toEqual([
      {
        kind: 'ThreatEntitySet',
        name: 'cordon-threats',
        status: 'ACTIVE',
        entries: ['198.51.100.77', 'pool.attacker.example'],
        error: undefined,
      },
    ]);
    expect(listed('us-west-2')).toEqual([
      { kind: 'ThreatIntelSet', name: 'cordon-threats', status: 'ACTIVE', entries: ['198.51.100.77'], error: undefined },
    ]);
    // One create (later: one update) per region for the whole batch, never one per finding.
    const writes = local.emulator.calls().filter((c) => /^(Create|Update)(ThreatEntitySet|ThreatIntelSet)$/.test(c.operation));
    expect(writes.map((c) => `${c.region} ${c.operation}`).sort()).toEqual([
      'us-east-1 CreateThreatEntitySet',
      'us-west-2 CreateThreatIntelSet',
    ]);

    // Act: release the first brute force (the second still lists the address) and the DNS finding (alone).
    const releasedBrute = await releaseFinding(String(brute.id), r.deps, { dryRun: false, force: false, reactivateKeys: false });
    const releasedDns = await releaseFinding(String(dns.id), r.deps, { dryRun: false, force: false, reactivateKeys: false });

    // Assess
    expect(releasedBrute.actions.filter((a) => a.action === 'intel.threat-list')).toEqual([
      expect.objectContaining({
        resource: '198.51.100.77',
        status: 'skipped',
        detail: expect.stringContaining(`finding ${String(brute2.id)}`),
      }),
    ]);
    expect(releasedDns.actions.filter((a) => a.action === 'intel.threat-list')).toEqual([
      expect.objectContaining({ resource: 'pool.attacker.example', status: 'done' }),
    ]);
    expect(listed('us-east-1')[0]?.entries).toEqual(['198.51.100.77']);
  }, 120_000);

  it('False positive: the finding leaves the threat list, and its address is trusted only because the note says trust: 7d', async () => {
    // Prepare: a finding cordon acted on (its address listed), which an analyst then calls a false positive.
    const r = responder();
    const finding = publish(local, 'UnauthorizedAccess:EC2/SSHBruteForce', target('web-1', { remoteIp: '198.51.100.200', seed: 'fp' }));
    await deliver(r, [finding]);
    expect(listed('us-east-1').find((l) => l.kind === 'ThreatEntitySet')?.entries).toContain('198.51.100.200');
    const asff = {
      ...((await hubFinding(local, finding)) as AwsSecurityFinding),
      Note: { Text: 'Our pentest box. trust: 7d', UpdatedBy: 'alice', UpdatedAt: '2026-11-24T10:00:00Z' },
    };
    const event = {
      version: '0',
      id: 'c0ffee00-1428-4cd3-a780-95db273d1603',
      'detail-type': 'Security Hub Findings - Custom Action',
      source: 'aws.securityhub',
      account: world.securityAccountId,
      time: '2026-11-24T10:20:00Z',
      region: 'us-east-1',
      resources: [`arn:aws:securityhub:us-east-1:${world.securityAccountId}:action/custom/CordonFalsePositive`],
      detail: { actionName: 'False positive', actionDescription: 'cordon', findings: [asff] },
    };

    // Act
    const [result] = await respond(parseInput(JSON.stringify(event)), r.deps);

    // Assess: off the threat list, on the trusted list of both regions (an entity list and an IP set), for 7 days
    expect(intelLines(result)).toEqual([
      { resource: '198.51.100.200', status: 'done' },
      { resource: '198.51.100.200', status: 'done' },
    ]);
    expect(listed('us-east-1').find((l) => l.kind === 'ThreatEntitySet')?.entries).not.toContain('198.51.100.200');
    expect(listed('us-east-1').find((l) => l.kind === 'TrustedEntitySet')?.entries).toEqual(['198.51.100.200']);
    expect(listed('us-west-2').find((l) => l.kind === 'IPSet')?.entries).toEqual(['198.51.100.200']);
    const rows = ledgerRows(await (r.deps.intel as IntelLists).read(), new Date().toISOString(), regions);
    const trusted = rows.find((row) => row.list === 'trusted' && row.value === '198.51.100.200');
    expect(Date.parse(trusted?.expiresAt ?? '') - Date.now()).toBeGreaterThan(6 * 86_400_000);
    expect(Date.parse(trusted?.expiresAt ?? '') - Date.now()).toBeLessThanOrEqual(7 * 86_400_000);
  }, 120_000);

  it('cordon intel: bad indicators refused with exit 2 and nothing changed; add, list, remove and sync', async () => {
    // Prepare
    const cli = (args: string[]) => runCli(['intel', ...args], { ...env, CORDON_AUDIT_FILE: auditFile() });
    const before = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: LEDGER_KEY }));

    // Act / Assess: one bad value refuses them all
    const refused = await cli(['add', '203.0.113.9', '10.1.2.3', 'not a domain', 'ec2.amazonaws.com']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('10.1.2.3: private (RFC 1918)');
    expect(refused.stderr).toContain('not a domain: not an IP address');
    expect(refused.stderr).toContain('ec2.amazonaws.com: an AWS service');
    expect((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: LEDGER_KEY }))).ETag).toBe(before.ETag);

    // Act / Assess: a dry run says what it would add and writes nothing
    const planned = await cli(['add', '203.0.113.10', '--dry-run', '--json']);
    expect(planned.code).toBe(0);
    expect(planned.lines.map((l) => l.value)).toEqual(['203.0.113.10']);
    expect((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: LEDGER_KEY }))).ETag).toBe(before.ETag);

    // Act / Assess: add, then list
    const added = await cli(['add', '203.0.113.9', '*.evil.example', '--days', '5', '--json']);
    expect(added.code).toBe(0);
    expect(added.lines.map((l) => [l.value, l.status])).toEqual([
      ['203.0.113.9', 'done'],
      ['*.evil.example', 'done'],
    ]);
    expect(listed('us-east-1').find((l) => l.kind === 'ThreatEntitySet')?.entries).toEqual(
      expect.arrayContaining(['203.0.113.9', '*.evil.example']),
    );
    const rows = await cli(['list', '--json']);
    expect(rows.lines.find((l) => l.value === '*.evil.example')).toMatchObject({
      list: 'threat',
      from: [expect.stringMatching(/^added by cli:/)],
      inSync: regions,
    });

    // Act / Assess: remove; dry-run sync changes nothing
    expect((await cli(['remove', '*.evil.example'])).code).toBe(0);
    expect(listed('us-east-1').find((l) => l.kind === 'ThreatEntitySet')?.entries).not.toContain('*.evil.example');
    const dry = await cli(['sync', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(dry.lines.length).toBeGreaterThan(0);
  }, 120_000);

  it('drops what has expired (30 days by default): an empty list is deactivated', async () => {
    // Prepare: a responder 31 days on.
    const later = new Date(Date.now() + 31 * 86_400_000);
    const r = responder({}, () => later);

    // Act
    const published = await r.deps.intel?.publish([], true);

    // Assess
    expect(published?.syncs.filter((s) => s.list === 'threat').map((s) => `${s.region} ${s.status}`)).toEqual([
      'us-east-1 deactivated',
      'us-west-2 deactivated',
    ]);
    expect(listed('us-east-1')[0]?.status).toBe('INACTIVE');
  }, 60_000);

  it('a ledger write that lost the race (412) is applied again on what the other responder wrote: both changes kept', async () => {
    // Prepare: A's ledger write waits until B has read and written the ledger, so A's ETag is stale (deterministic race).
    const a = responder();
    const b = responder();
    const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
    const s3a = a.clients.home(S3Client, region);
    const add = (value: string, id: string) => (ledger: Ledger, nowIso: string) =>
      addReferences(ledger, 'threat', [{ kind: 'ipv4', value }], { source: 'manual', id, addedAt: nowIso, ttlMs: 86_400_000 });
    let interleaved = false;
    s3a.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Key?: string };
        if (!interleaved && context.commandName === 'PutObjectCommand' && input.Key === LEDGER_KEY) {
          interleaved = true;
          await (b.deps.intel as IntelLists).change(add('198.51.100.151', 'b'));
        }
        return next(args);
      },
      { step: 'initialize', name: 'interleaveLedgerWrite' },
    );
    let attempts = 0;

    // Act
    try {
      await (a.deps.intel as IntelLists).change((ledger, nowIso) => {
        attempts += 1;
        return add('198.51.100.150', 'a')(ledger, nowIso);
      });
    } finally {
      s3a.middlewareStack.remove('interleaveLedgerWrite');
    }

    // Assess: A read twice (its first write was refused), and the ledger holds both.
    expect(interleaved).toBe(true);
    expect(attempts).toBe(2);
    const entries = Object.keys((await (a.deps.intel as IntelLists).read()).entries);
    expect(entries).toEqual(expect.arrayContaining(['threat|198.51.100.150', 'threat|198.51.100.151']));
  }, 60_000);

  it('two responders on one DynamoDB table updating the list at once lose no indicator', async () => {
    // Prepare: two Lambda environments, each with its own clients.
    await createAuditTable(local, 'cordon-intel-race');
    const a = responder({ CORDON_AUDIT_TABLE: 'cordon-intel-race' });
    const b = responder({ CORDON_AUDIT_TABLE: 'cordon-intel-race' });
    const ips = ['198.51.100.101', '198.51.100.102', '198.51.100.103', '198.51.100.104'];
    const findings = ips.map((ip, i) =>
      publish(local, 'UnauthorizedAccess:EC2/SSHBruteForce', target(i % 2 === 0 ? 'web-1' : 'web-2', { remoteIp: ip, seed: `race-${ip}` })),
    );

    // Act: both at the same moment, two findings each.
    await Promise.all([deliver(a, findings.slice(0, 2)), deliver(b, findings.slice(2))]);

    // Assess: the ledger and the list GuardDuty read hold all four.
    const ledger = JSON.parse(
      (await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: LEDGER_KEY }))).Body?.transformToString()) ?? '{}',
    ) as { entries: Record<string, unknown> };
    expect(Object.keys(ledger.entries).sort()).toEqual(expect.arrayContaining(ips.map((ip) => `threat|${ip}`)));
    expect(listed('us-east-1')[0]?.entries).toEqual(expect.arrayContaining(ips));
    expect(listed('us-west-2')[0]?.entries).toEqual(expect.arrayContaining(ips));
  }, 120_000);
});
