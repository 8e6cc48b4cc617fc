import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import {
  BOTH_FAMILIES,
  ensureIsolationGroups,
  ensureQuarantineGroup,
  ensureUntrackGroup,
  familiesOf,
  UNTRACK_GROUP_NAME,
} from '../../src/actions/ec2/quarantine-groups';
import type { LocalAws } from '../../local-aws';
import { HOME_CREDENTIALS, startLocal } from '../support/local';

/** The EC2 operations a client sent, in order (first attempts and retries alike). */
function counted(client: EC2Client): string[] {
  const sent: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize' },
  );
  return sent;
}

/** Whether a rule set lets every IPv4 and IPv6 packet through. */
function allowsEverything(rules: SecurityGroup['IpPermissions']): boolean {
  const all = (rules ?? []).filter((r) => r.IpProtocol === '-1');
  return (
    all.some((r) => r.IpRanges?.some((x) => x.CidrIp === '0.0.0.0/0')) && all.some((r) => r.Ipv6Ranges?.some((x) => x.CidrIpv6 === '::/0'))
  );
}

/**
 * cordon's two groups made in a VPC for the first time, against moto: each
 * direction's rules in one call (the quarantine group's default outbound rules
 * revoked together, the allow-all group's rules authorized together), in a VPC
 * with IPv6 and one without; and a batch EC2 refuses because another maker
 * added one of its rules first falls back to one rule a call.
 */
describe('quarantine groups: one call per direction', () => {
  let local: LocalAws;
  let ec2: EC2Client;
  const vpcs: Record<'v4' | 'dual', string> = { v4: '', dual: '' };

  beforeAll(async () => {
    local = await startLocal();
    ec2 = new EC2Client({ region: 'us-east-1', credentials: HOME_CREDENTIALS });
    vpcs.v4 = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.60.0.0/16' }))).Vpc?.VpcId as string;
    vpcs.dual = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.61.0.0/16', AmazonProvidedIpv6CidrBlock: true }))).Vpc
      ?.VpcId as string;
  }, 60_000);
  afterAll(async () => local?.stop());

  const described = async (groupId: string): Promise<SecurityGroup> =>
    (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).SecurityGroups?.[0] as SecurityGroup;

  it.each(['v4', 'dual'] as const)('a new quarantine group (%s VPC) has no rule, after one create and one revoke', async (kind) => {
    // EC2 gives a new group an allow-all outbound rule, IPv6 too in a VPC with an IPv6 block.
    const probe = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: `probe-${kind}`, Description: 'p', VpcId: vpcs[kind] })))
      .GroupId as string;
    expect(allowsEverything((await described(probe)).IpPermissionsEgress)).toBe(kind === 'dual');
    const client = new EC2Client({ region: 'us-east-1', credentials: HOME_CREDENTIALS });
    const sent = counted(client);
    const { groupId } = await ensureQuarantineGroup(client, vpcs[kind]);
    expect(sent).toEqual(['CreateSecurityGroup', 'RevokeSecurityGroupEgress']);
    const group = await described(groupId);
    expect(group.IpPermissions).toEqual([]);
    expect(group.IpPermissionsEgress).toEqual([]);
  });

  it.each(['v4', 'dual'] as const)(
    'a new allow-all group for interfaces with IPv6 (%s VPC) lets everything through, after three calls',
    async (kind) => {
      const client = new EC2Client({ region: 'us-east-1', credentials: HOME_CREDENTIALS });
      const sent = counted(client);
      const groupId = await ensureUntrackGroup(client, vpcs[kind], undefined, BOTH_FAMILIES);
      expect([...sent].sort()).toEqual(['AuthorizeSecurityGroupEgress', 'AuthorizeSecurityGroupIngress', 'CreateSecurityGroup']);
      const group = await described(groupId);
      expect(allowsEverything(group.IpPermissions)).toBe(true);
      expect(allowsEverything(group.IpPermissionsEgress)).toBe(true);
    },
  );

  it('a new allow-all group for IPv4-only interfaces takes two calls and lets all IPv4 through both ways; IPv6 interfaces later get IPv6 outbound added', async () => {
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.63.0.0/16' }))).Vpc?.VpcId as string;
    const client = new EC2Client({ region: 'us-east-1', credentials: HOME_CREDENTIALS });
    const sent = counted(client);
    const ipv4Only = familiesOf([{ Ipv6Addresses: [] }, {}]);
    expect(ipv4Only).toEqual(['v4']);
    const { untrackId } = await ensureIsolationGroups(client, vpcId, true, [], ipv4Only);
    expect(sent.filter((op) => op !== 'CreateSecurityGroup' && op !== 'RevokeSecurityGroupEgress')).toEqual([
      'AuthorizeSecurityGroupIngress',
    ]);
    const group = await described(untrackId as string);
    const allIpv4 = (rules: SecurityGroup['IpPermissions']) =>
      (rules ?? []).some((r) => r.IpProtocol === '-1' && r.IpRanges?.some((x) => x.CidrIp === '0.0.0.0/0'));
    expect(allIpv4(group.IpPermissions)).toBe(true);
    expect(allIpv4(group.IpPermissionsEgress)).toBe(true);

    // Found as it is: ready for IPv4 interfaces (no call); an interface with an IPv6 address gets IPv6 outbound added.
    sent.length = 0;
    const found = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).SecurityGroups;
    await ensureIsolationGroups(client, vpcId, true, found, ipv4Only);
    expect(sent).toEqual([]);
    const dual = familiesOf([{ Ipv6Addresses: [{ Ipv6Address: '2600:1f18::1' }] }]);
    await ensureIsolationGroups(client, vpcId, true, found, dual);
    expect(sent).toEqual(['AuthorizeSecurityGroupEgress']);
    const after = await described(untrackId as string);
    expect(allowsEverything(after.IpPermissions)).toBe(true);
    expect(allowsEverything(after.IpPermissionsEgress)).toBe(true);
  });

  it('a batch refused because another maker added one rule first falls back to one rule a call', async () => {
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.62.0.0/16' }))).Vpc?.VpcId as string;
    const groupId = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: UNTRACK_GROUP_NAME, Description: 'd', VpcId: vpcId })))
      .GroupId as string;
    // This finding described the group before the other maker's IPv4 rule was added.
    const stale = await described(groupId);
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    const client = new EC2Client({ region: 'us-east-1', credentials: HOME_CREDENTIALS });
    const sent = counted(client);
    await expect(ensureUntrackGroup(client, vpcId, stale)).resolves.toBe(groupId);
    // Inbound: the batch of both families (refused whole: EC2 says Duplicate), then each family alone; outbound: IPv6.
    expect(sent.filter((op) => op === 'AuthorizeSecurityGroupIngress')).toHaveLength(3);
    expect(sent.filter((op) => op === 'AuthorizeSecurityGroupEgress')).toHaveLength(1);
    const after = await described(groupId);
    expect(allowsEverything(after.IpPermissions)).toBe(true);
    expect(allowsEverything(after.IpPermissionsEgress)).toBe(true);
  });
});
