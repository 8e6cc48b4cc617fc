import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DescribeInstanceAttributeCommand, DescribeSecurityGroupsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { sampleFinding, buildWorld, type World, type LocalAws } from '../../local-aws';
import { interfaceGroups, launchAwsLikeInstance } from '../support/aws-like-instance';
import { runCli } from '../support/cli';
import { startLocal } from '../support/local';
import { auditFile, eventsFile, hubFinding, instanceOf, memberClients, publish } from '../support/world';

type Line = { action: string; resource: string; status: string; detail: string };

/**
 * Release when more than one finding relies on a containment, and what a
 * release means for the findings GuardDuty publishes again afterwards.
 * Instances are launched so that moto reports interface groups as AWS does
 * (see launchAwsLikeInstance): a second finding then sees the isolation.
 */
describe('release: shared containments and released findings', () => {
  let local: LocalAws;
  let world: World;
  let account: string;
  let ec2: EC2Client;
  let vpcId: string;
  let subnetId: string;
  let groups: { web: string; admin: string; quarantine?: string };
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
    ec2 = (await memberClients(local, world, account, region)).ec2;
    ({ vpcId, subnetId } = instanceOf(world, account, region, 'web-1').target);
    const id = async (name: string) =>
      (
        await ec2.send(
          new DescribeSecurityGroupsCommand({
            Filters: [
              { Name: 'vpc-id', Values: [vpcId] },
              { Name: 'group-name', Values: [name] },
            ],
          }),
        )
      ).SecurityGroups?.[0]?.GroupId as string;
    groups = { web: await id('web'), admin: await id('admin') };
  }, 120_000);
  afterAll(async () => local?.stop());

  const launch = (name: string) =>
    launchAwsLikeInstance(ec2, { vpcId, subnetId, groupIds: [groups.web], secondInterfaceGroupIds: [groups.admin], name });
  const quarantineId = async () =>
    (groups.quarantine ??= (
      await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [vpcId] },
            { Name: 'group-name', Values: ['cordon-quarantine'] },
          ],
        }),
      )
    ).SecurityGroups?.[0]?.GroupId as string);
  const isolated = async (instanceId: string) =>
    Object.values(await interfaceGroups(ec2, instanceId)).every((g) => g.length === 1 && g[0] === groups.quarantine);
  const termination = async (instanceId: string) =>
    (await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'disableApiTermination' })))
      .DisableApiTermination?.Value;
  const actions = (run: { lines: Array<Record<string, unknown>> }, i = 0): Line[] => (run.lines[i]?.actions as Line[] | undefined) ?? [];

  /** Contains an instance with two findings of different types, one after the other (two deliveries). */
  const containTwice = async (audit: string, name: string) => {
    const box = await launch(name);
    const before = await interfaceGroups(ec2, box.instanceId);
    const crypto = publish(local, 'CryptoCurrency:EC2/BitcoinTool.B!DNS', { accountId: account, region, instance: box });
    const backdoor = publish(local, 'Backdoor:EC2/C&CActivity.B!DNS', { accountId: account, region, instance: box });
    const first = await runCli(['respond', eventsFile([crypto]), '--json'], { CORDON_AUDIT_FILE: audit });
    const second = await runCli(['respond', eventsFile([backdoor]), '--json'], { CORDON_AUDIT_FILE: audit });
    expect([first.code, second.code]).toEqual([0, 0]);
    await quarantineId();
    // The second finding found the interfaces isolated by the first.
    expect(
      actions(first)
        .filter((a) => a.action === 'ec2.isolate')
        .map((a) => a.status),
    ).toEqual(['done', 'done']);
    expect(
      actions(second)
        .filter((a) => a.action === 'ec2.isolate')
        .map((a) => a.status),
    ).toEqual(['already', 'already']);
    expect(await isolated(box.instanceId)).toBe(true);
    return { box, before, crypto, backdoor };
  };

  it('refuses to release the interfaces of a finding while another finding about the instance relies on them; --force releases them', async () => {
    // Prepare
    const audit = auditFile();
    const { box, before, crypto, backdoor } = await containTwice(audit, 'shared-1');

    // Act
    const refused = await runCli(['release', '--finding', String(crypto.id), '--json'], { CORDON_AUDIT_FILE: audit });
    const stillIsolated = await isolated(box.instanceId);
    const stillProtected = await termination(box.instanceId);
    const forced = await runCli(['release', '--finding', String(crypto.id), '--force', '--json'], { CORDON_AUDIT_FILE: audit });

    // Assess: refused for each interface, naming the other finding; nothing opened
    expect(refused.code).toBe(1);
    const refusals = actions(refused).filter((a) => a.action === 'ec2.isolate');
    expect(refusals).toHaveLength(2);
    for (const a of refusals)
      expect(a).toMatchObject({
        status: 'failed',
        detail: expect.stringMatching(
          new RegExp(`^refused: finding ${String(backdoor.id)} still relies on this containment: release it first, or rerun with --force$`),
        ),
      });
    expect(actions(refused).find((a) => a.action === 'ec2.protect')).toMatchObject({
      status: 'failed',
      detail: expect.stringMatching(/^refused: /),
    });
    expect(stillIsolated).toBe(true);
    expect(stillProtected).toBe(true);
    // --force restores the interfaces' own groups and the protection
    expect(forced.code).toBe(0);
    expect(
      actions(forced)
        .filter((a) => a.action === 'ec2.isolate')
        .map((a) => a.status),
    ).toEqual(['done', 'done']);
    expect(await interfaceGroups(ec2, box.instanceId)).toEqual(before);
    expect(await termination(box.instanceId)).toBe(false);
  });

  it('releases the other finding first (it changed nothing the first relies on), then the first', async () => {
    // Prepare
    const audit = auditFile();
    const { box, before, crypto, backdoor } = await containTwice(audit, 'shared-2');
    expect(await termination(box.instanceId)).toBe(true);

    // Act
    const other = await runCli(['release', '--finding', String(backdoor.id), '--json'], { CORDON_AUDIT_FILE: audit });
    const afterOther = { isolated: await isolated(box.instanceId), termination: await termination(box.instanceId) };
    const first = await runCli(['release', '--finding', String(crypto.id), '--json'], { CORDON_AUDIT_FILE: audit });

    // Assess: the other's release leaves the containment in place…
    expect(other.stderr).toBe('');
    expect(other.code).toBe(0);
    expect(actions(other).filter((a) => a.status === 'failed')).toEqual([]);
    expect(afterOther).toEqual({ isolated: true, termination: true });
    // …then the first's release restores every interface and the protection
    expect(first.code).toBe(0);
    expect(actions(first).filter((a) => a.status === 'failed')).toEqual([]);
    expect(
      actions(first)
        .filter((a) => a.action === 'ec2.isolate')
        .map((a) => a.status),
    ).toEqual(['done', 'done']);
    expect(await interfaceGroups(ec2, box.instanceId)).toEqual(before);
    expect(await termination(box.instanceId)).toBe(false);
    // Evidence stays: the snapshots of both findings.
    const records = fs
      .readFileSync(audit, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { findingId: string; action: string; status: string; actor: string });
    expect(
      records
        .filter((r) => r.action === 'ec2.snapshot' && r.status === 'done' && r.actor === 'respond')
        .map((r) => r.findingId)
        .sort(),
    ).toEqual([String(crypto.id), String(crypto.id), String(backdoor.id), String(backdoor.id)].sort());
  });

  it('does not contain a released finding again when GuardDuty publishes it again; its custom action still does', async () => {
    // Prepare: contained, then released
    const audit = auditFile();
    const box = await launch('released');
    const before = await interfaceGroups(ec2, box.instanceId);
    const finding = publish(local, 'Trojan:EC2/BlackholeTraffic', { accountId: account, region, instance: box });
    expect((await runCli(['respond', eventsFile([finding]), '--json'], { CORDON_AUDIT_FILE: audit })).code).toBe(0);
    expect((await runCli(['release', '--finding', String(finding.id)], { CORDON_AUDIT_FILE: audit })).code).toBe(0);
    expect(await interfaceGroups(ec2, box.instanceId)).toEqual(before);
    // GuardDuty sees the activity again: same finding, higher count, later update
    const again = {
      ...sampleFinding('Trojan:EC2/BlackholeTraffic', { accountId: account, region, instance: box, count: 7 }),
      updatedAt: '2026-11-24T16:00:00.000Z',
    };
    local.emulator.publishGuardDutyFinding(again);

    // Act
    const republished = await runCli(['respond', eventsFile([again]), '--json'], { CORDON_AUDIT_FILE: audit });
    const afterRepublish = await interfaceGroups(ec2, box.instanceId);
    const asff = (await hubFinding(local, again)) as AwsSecurityFinding;
    const eventFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cordon-release-')), 'custom-action.json');
    fs.writeFileSync(
      eventFile,
      JSON.stringify({
        version: '0',
        id: 'c0ffee00-1428-4cd3-a780-95db273d1603',
        'detail-type': 'Security Hub Findings - Custom Action',
        source: 'aws.securityhub',
        account: world.securityAccountId,
        time: '2026-11-24T16:05:00Z',
        region,
        resources: [`arn:aws:securityhub:${region}:${world.securityAccountId}:action/custom/IsolateEC2`],
        detail: { actionName: 'Isolate EC2', actionDescription: 'cordon', findings: [asff] },
      }),
    );
    const analyst = await runCli(['respond', eventFile, '--json'], { CORDON_AUDIT_FILE: audit });

    // Assess: the re-published finding is skipped, saying who released it, and nothing changed
    expect(republished.code).toBe(0);
    expect(republished.lines[0]).toMatchObject({ findingId: String(finding.id), decision: 'skip', actions: [] });
    expect(String(republished.lines[0]?.reason)).toMatch(
      /^released by cli at \d{4}-\d\d-\d\dT.*: not contained again automatically; run its custom action to contain it again$/,
    );
    expect(afterRepublish).toEqual(before);
    // …and the analyst's custom action contains it again
    expect(analyst.code).toBe(0);
    expect(analyst.lines[0]).toMatchObject({ decision: 'act', reason: 'analyst chose custom action "Isolate EC2"' });
    expect(
      actions(analyst)
        .filter((a) => a.action === 'ec2.isolate')
        .map((a) => a.status),
    ).toEqual(['done', 'done']);
    expect(await isolated(box.instanceId)).toBe(true);
  });

  it('exits 0 releasing a finding cordon changed nothing for, and 1 for a finding it has no record of', async () => {
    // Prepare: a finding cordon skipped (below the threshold) and so changed nothing for
    const audit = auditFile();
    const web2 = instanceOf(world, account, region, 'web-2');
    const low = publish(local, 'Trojan:EC2/DriveBySourceTraffic!DNS', { accountId: account, region, instance: web2.target, severity: 4 });
    const skipped = await runCli(['respond', eventsFile([low]), '--json'], { CORDON_AUDIT_FILE: audit });
    expect(skipped.lines[0]).toMatchObject({ decision: 'skip', reason: expect.stringContaining('not above the threshold') });
    const groupsBefore = await interfaceGroups(ec2, web2.target.instanceId);

    // Act
    const nothing = await runCli(['release', '--finding', String(low.id), '--json'], { CORDON_AUDIT_FILE: audit });
    const unknown = await runCli(['release', '--finding', '0123456789abcdef0123456789abcdef', '--json'], { CORDON_AUDIT_FILE: audit });

    // Assess
    expect(nothing.code).toBe(0);
    expect(nothing.lines[0]).toMatchObject({
      findingId: String(low.id),
      actions: [],
      summary: 'nothing to release: cordon changed nothing for this finding (every action was skipped, already done or failed)',
      securityHub: 'not written (nothing released)',
    });
    expect(await interfaceGroups(ec2, web2.target.instanceId)).toEqual(groupsBefore);
    expect(unknown.code).toBe(1);
    expect(unknown.lines[0]).toMatchObject({
      findingId: '0123456789abcdef0123456789abcdef',
      summary: expect.stringMatching(/^nothing to release: no audit record of this finding in file /),
    });
  });
});
