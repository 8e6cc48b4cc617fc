import * as fs from 'node:fs';
import { DescribeInstanceAttributeCommand, DescribeSecurityGroupsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { buildWorld, type World, type LocalAws } from '../../local-aws';
import { interfaceGroups, launchAwsLikeInstance } from '../support/aws-like-instance';
import { runCli, type CliRun } from '../support/cli';
import { startLocal } from '../support/local';
import { auditFile, eventsFile, instanceOf, memberClients, publish } from '../support/world';

type Line = { action: string; resource: string; status: string; detail: string };
type Row = Record<string, unknown> & { action: string; resource: string; status: string; actor: string };

/**
 * Release reads each audited change with its action's schemas before undoing
 * it. A record it cannot read (written by another version of cordon, or
 * edited by hand) is refused, naming the action, the resource and the field;
 * the rest of the release still runs.
 */
describe('release: audit records this version cannot read', () => {
  let local: LocalAws;
  let world: World;
  let account: string;
  let ec2: EC2Client;
  let vpcId: string;
  let subnetId: string;
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
  }, 120_000);
  afterAll(async () => local?.stop());

  const groupId = async (name: string) =>
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
  const termination = async (instanceId: string) =>
    (await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'disableApiTermination' })))
      .DisableApiTermination?.Value;
  const isolationLine = (run: CliRun, resource: string): Line | undefined =>
    ((run.lines[0]?.actions as Line[] | undefined) ?? []).find((a) => a.action === 'ec2.isolate' && a.resource === resource);
  const readAudit = (file: string): Row[] =>
    fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Row);

  it("refuses to undo a change whose record has another shape, naming the field, even with --force; the finding's other changes are restored", async () => {
    // Prepare: a two-interface instance contained…
    const audit = auditFile();
    const box = await launchAwsLikeInstance(ec2, {
      vpcId,
      subnetId,
      groupIds: [await groupId('web')],
      secondInterfaceGroupIds: [await groupId('admin')],
      name: 'older-record',
    });
    const before = await interfaceGroups(ec2, box.instanceId);
    const finding = publish(local, 'CryptoCurrency:EC2/BitcoinTool.B!DNS', { accountId: account, region, instance: box });
    expect((await runCli(['respond', eventsFile([finding]), '--json'], { CORDON_AUDIT_FILE: audit })).code).toBe(0);
    const quarantine = await groupId('cordon-quarantine');
    expect(await termination(box.instanceId)).toBe(true);
    // …then the record of one interface's isolation rewritten as another version might have written it (its groups under another name).
    const rows = readAudit(audit);
    const isolations = rows.filter((r) => r.action === 'ec2.isolate' && r.status === 'done');
    expect(isolations).toHaveLength(2);
    const [unreadable, readable] = isolations as [Row, Row];
    unreadable.prior = { instanceId: box.instanceId, groups: before[unreadable.resource] };
    fs.writeFileSync(audit, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);

    // Act
    const released = await runCli(['release', '--finding', String(finding.id), '--json'], { CORDON_AUDIT_FILE: audit });
    const afterRelease = await interfaceGroups(ec2, box.instanceId);
    const forced = await runCli(['release', '--finding', String(finding.id), '--force', '--json'], { CORDON_AUDIT_FILE: audit });

    // Assess: the unreadable record is refused, naming the action, the interface and the fields, and saying what the change was…
    expect(released.stderr).toBe('');
    expect(released.code).toBe(1);
    const refusal = {
      action: 'ec2.isolate',
      resource: unreadable.resource,
      status: 'failed',
      detail: `refused: cannot read the audit record of ec2.isolate on ${unreadable.resource} (prior.networkInterfaceId: Invalid input: expected string, received undefined; prior.groupIds: Invalid input: expected array, received undefined): written by another version of cordon or edited by hand; restore by hand (${String(unreadable.detail)})`,
    };
    expect(isolationLine(released, unreadable.resource)).toEqual(refusal);
    // …that interface stays isolated, while the other interface and the protection are restored
    expect(afterRelease).toEqual({ ...before, [unreadable.resource]: [quarantine] });
    expect(isolationLine(released, readable.resource)).toMatchObject({ status: 'done' });
    expect(((released.lines[0]?.actions as Line[] | undefined) ?? []).find((a) => a.action === 'ec2.protect')).toMatchObject({
      status: 'done',
    });
    expect(await termination(box.instanceId)).toBe(false);
    // --force overrides a changed resource, never an unreadable record
    expect(forced.code).toBe(1);
    expect(isolationLine(forced, unreadable.resource)).toEqual(refusal);
    expect(isolationLine(forced, readable.resource)).toMatchObject({ status: 'already' });
    expect((await interfaceGroups(ec2, box.instanceId))[unreadable.resource]).toEqual([quarantine]);
    // The refusals are audited as the release's own failed lines
    expect(
      readAudit(audit)
        .filter((r) => r.actor === 'release' && r.resource === unreadable.resource)
        .map((r) => r.status),
    ).toEqual(['failed', 'failed']);
  });
});
