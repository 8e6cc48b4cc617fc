import { AssociateFirewallRuleGroupCommand, CreateFirewallRuleGroupCommand, Route53ResolverClient } from '@aws-sdk/client-route53resolver';
import { CreateSubnetCommand, CreateVpcCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { guardDutyEvent, type LocalAws, type World } from '../../local-aws';
import { responderSettings } from '../../src/config/settings';
import { parseInput } from '../../src/findings/parse';
import { releaseFinding } from '../../src/release/release';
import { respond } from '../../src/respond/responder';
import type { FindingResult } from '../../src/respond/result';
import { buildResponder, type Responder } from '../../src/respond/wiring';
import { launchAwsLikeInstance } from '../support/aws-like-instance';
import { auditFile, instanceOf, memberClients, publish, startWorld } from '../support/world';

/**
 * network.block-domain against the emulator's DNS Firewall (VPCs from moto's
 * EC2): the finding's domain answers NXDOMAIN in the instance's VPC, every
 * other domain still resolves and the result says so, a second delivery
 * changes nothing, a dry run creates nothing, release lets the domain resolve
 * again, and a VPC at its rule-group quota fails clearly.
 */
describe('respond: network.block-domain (Route 53 Resolver DNS Firewall)', () => {
  let local: LocalAws;
  let world: World;
  let account: string;
  const region = 'us-east-1';
  const responders: Responder[] = [];
  const responder = (extra: Record<string, string> = {}): Responder => {
    const r = buildResponder(responderSettings({ ...process.env, CORDON_AUDIT_FILE: auditFile(), ...extra }), { actor: 'test' });
    responders.push(r);
    return r;
  };
  const deliver = (r: Responder, findings: ReadonlyArray<Record<string, unknown>>): Promise<FindingResult[]> =>
    respond(parseInput(findings.map((f) => JSON.stringify(guardDutyEvent(f))).join('\n')), r.deps);
  const blockLines = (result: FindingResult | undefined) => (result?.actions ?? []).filter((a) => a.action === 'network.block-domain');

  beforeAll(async () => {
    ({ local, world } = await startWorld({ memberCount: 1, regions: [region] }));
    account = world.memberAccountIds[0] as string;
  }, 120_000);

  afterAll(async () => {
    for (const r of responders) r.close();
    await local?.stop();
  });

  it('plans in a dry run and creates nothing', async () => {
    // Prepare
    const web = instanceOf(world, account, region, 'web-1');
    const finding = publish(local, 'Backdoor:EC2/C&CActivity.B!DNS', {
      accountId: account,
      region,
      instance: web.target,
      domain: 'c2.dry.example',
      seed: 'dry',
    });

    // Act
    const [result] = await deliver(responder({ CORDON_DRY_RUN: 'true' }), [finding]);

    // Assess
    expect(blockLines(result)).toEqual([
      expect.objectContaining({ status: 'planned', detail: expect.stringContaining('would block c2.dry.example') }),
    ]);
    expect(local.emulator.dnsAnswer(account, region, web.target.vpcId, 'c2.dry.example')).toBe('resolves');
  }, 60_000);

  it("blocks the finding's domain in the instance's VPC, says other domains still resolve, is idempotent and undone by release", async () => {
    // Prepare
    const web = instanceOf(world, account, region, 'web-1');
    const r = responder();
    const finding = publish(local, 'Backdoor:EC2/C&CActivity.B!DNS', {
      accountId: account,
      region,
      instance: web.target,
      domain: 'c2.attacker.example',
      seed: 'c2',
    });

    // Act
    const [first] = await deliver(r, [finding]);
    const [again] = await deliver(r, [{ ...finding, service: { ...(finding.service as object), count: 2 } }]);

    // Assess: the resolver answers NXDOMAIN for it, not for anything else
    expect(blockLines(first)).toEqual([
      expect.objectContaining({ status: 'done', detail: expect.stringContaining('c2.attacker.example answers NXDOMAIN') }),
    ]);
    expect(local.emulator.dnsAnswer(account, region, web.target.vpcId, 'c2.attacker.example')).toBe('NXDOMAIN');
    expect(local.emulator.dnsAnswer(account, region, web.target.vpcId, 'www.example.org')).toBe('resolves');
    expect(first?.remains).toContain(
      "DNS Firewall blocks only the finding's domains: every other domain still resolves; stop the instance to end DNS",
    );
    expect(first?.remains?.some((n) => n.startsWith('DNS to the VPC resolver is still open'))).toBe(false);
    expect(blockLines(again).map((l) => l.status)).toEqual(['already']);

    // Act: release
    const released = await releaseFinding(String(finding.id), r.deps, { dryRun: false, force: false, reactivateKeys: false });

    // Assess
    expect(released.actions.filter((a) => a.action === 'network.block-domain')).toEqual([expect.objectContaining({ status: 'done' })]);
    expect(local.emulator.dnsAnswer(account, region, web.target.vpcId, 'c2.attacker.example')).toBe('resolves');
  }, 120_000);

  it('refuses AWS service domains and fails clearly when the VPC holds its quota of rule groups', async () => {
    // Prepare: an instance in a new VPC that already has five rule groups (DNS Firewall's quota).
    const { ec2 } = await memberClients(local, world, account, region);
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.77.0.0/16' }))).Vpc?.VpcId as string;
    const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.77.1.0/24' }))).Subnet?.SubnetId as string;
    const groupId = (
      await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [vpcId] },
            { Name: 'group-name', Values: ['default'] },
          ],
        }),
      )
    ).SecurityGroups?.[0]?.GroupId as string;
    const target = { target: await launchAwsLikeInstance(ec2, { vpcId, subnetId, groupIds: [groupId], name: 'full-vpc' }) };
    const r53 = new Route53ResolverClient({ endpoint: local.endpoint, region, credentials: await world.credentialsFor(account) });
    for (let i = 0; i < 5; i += 1) {
      const group = await r53.send(new CreateFirewallRuleGroupCommand({ CreatorRequestId: `full-${i}`, Name: `full-${i}` }));
      await r53.send(
        new AssociateFirewallRuleGroupCommand({
          CreatorRequestId: `full-assoc-${i}`,
          FirewallRuleGroupId: group.FirewallRuleGroup?.Id,
          VpcId: vpcId,
          Priority: 200 + i,
          Name: `full-${i}`,
        }),
      );
    }
    const aws = publish(local, 'Trojan:EC2/DNSDataExfiltration', {
      accountId: account,
      region,
      instance: target.target,
      domain: 's3.amazonaws.com',
      seed: 'aws',
    });
    const full = publish(local, 'Trojan:EC2/DNSDataExfiltration', {
      accountId: account,
      region,
      instance: target.target,
      domain: 'exfil.attacker.example',
      seed: 'full',
    });

    // Act
    const [refused, quota] = await deliver(responder(), [aws, full]);

    // Assess
    expect(blockLines(refused)).toEqual([expect.objectContaining({ status: 'skipped', detail: expect.stringContaining('AWS service') })]);
    expect(blockLines(quota).map((l) => l.status)).toContain('failed');
    expect(blockLines(quota).find((l) => l.status === 'failed')?.detail).toContain('the quota');
    expect(local.emulator.dnsAnswer(account, region, vpcId, 'exfil.attacker.example')).toBe('resolves');
    r53.destroy();
  }, 120_000);
});
