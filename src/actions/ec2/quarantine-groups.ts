import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  type EC2Client,
  type IpPermission,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';

/** Name of the group with no rule at all that isolates an instance. */
export const QUARANTINE_GROUP_NAME = 'cordon-quarantine';
/** Name of the allow-all group used for a moment to make tracked connections untracked. */
export const UNTRACK_GROUP_NAME = 'cordon-untrack';

/** Finds a group cordon created in a VPC by name. */
export async function findGroup(ec2: EC2Client, vpcId: string, name: string): Promise<SecurityGroup | undefined> {
  const out = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'group-name', Values: [name] },
      ],
    }),
  );
  return out.SecurityGroups?.[0];
}

/**
 * The address families whose flows the allow-all group must untrack: IPv4
 * always, IPv6 when an interface to move has an IPv6 address (an interface
 * without one has no IPv6 flow to untrack).
 */
export type UntrackFamilies = ReadonlyArray<'v4' | 'v6'>;

/** Both families: for interfaces whose addresses are not known. */
export const BOTH_FAMILIES: UntrackFamilies = ['v4', 'v6'];

/** The families whose flows interfaces may carry (see {@link UntrackFamilies}). */
export function familiesOf(interfaces: ReadonlyArray<{ readonly Ipv6Addresses?: readonly unknown[] }>): UntrackFamilies {
  return interfaces.some((ni) => (ni.Ipv6Addresses ?? []).length > 0) ? BOTH_FAMILIES : ['v4'];
}

/** The groups isolation uses in one VPC. */
export interface IsolationGroups {
  readonly quarantineId: string;
  /** Set when tracked connections are to be cut. */
  readonly untrackId: string | undefined;
}

/**
 * The VPC's quarantine group (and allow-all group when `untrack`, allowing all
 * traffic of `families` both ways), each found in the state isolation needs,
 * or made so. No lease: making them is
 * idempotent (a second maker finds the name taken and uses that group; a rule
 * another maker added or removed first is not an error), so two findings in
 * one VPC never create a group twice nor wait for each other.
 */
export async function ensureIsolationGroups(
  ec2: EC2Client,
  vpcId: string,
  untrack: boolean,
  found?: readonly SecurityGroup[],
  families: UntrackFamilies = BOTH_FAMILIES,
): Promise<IsolationGroups> {
  const groups = (found ?? (await findIsolationGroups(ec2, [vpcId]))).filter((g) => g.VpcId === undefined || g.VpcId === vpcId);
  const quarantine = groups.find((g) => g.GroupName === QUARANTINE_GROUP_NAME);
  const open = groups.find((g) => g.GroupName === UNTRACK_GROUP_NAME);
  const quarantineReady =
    quarantine?.GroupId && (quarantine.IpPermissions ?? []).length === 0 && (quarantine.IpPermissionsEgress ?? []).length === 0;
  const untrackReady = !untrack || (open?.GroupId && allowsAll(open, families));
  if (quarantineReady && untrackReady)
    return { quarantineId: quarantine.GroupId as string, untrackId: untrack ? open?.GroupId : undefined };
  // Both at once: independent groups.
  const [q, u] = await Promise.all([
    quarantineReady ? { groupId: quarantine.GroupId as string } : ensureQuarantineGroup(ec2, vpcId, quarantine),
    untrack ? (untrackReady ? (open?.GroupId as string) : ensureUntrackGroup(ec2, vpcId, open, families)) : undefined,
  ]);
  return { quarantineId: q.groupId, untrackId: u };
}

/** cordon's quarantine and allow-all groups of some VPCs as EC2 describes them now (one call for all). */
export async function findIsolationGroups(ec2: EC2Client, vpcIds: readonly string[]): Promise<SecurityGroup[]> {
  const out = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'vpc-id', Values: [...vpcIds] },
        { Name: 'group-name', Values: [QUARANTINE_GROUP_NAME, UNTRACK_GROUP_NAME] },
      ],
    }),
  );
  return out.SecurityGroups ?? [];
}

/** The all-traffic ranges of `families` a rule set lacks (a flow of either family must be untracked). */
function missingRanges(perms: SecurityGroup['IpPermissions'], families: UntrackFamilies): Array<'v4' | 'v6'> {
  const all = (perms ?? []).filter((p) => p.IpProtocol === '-1');
  const missing: Array<'v4' | 'v6'> = [];
  if (families.includes('v4') && !all.some((p) => (p.IpRanges ?? []).some((r) => r.CidrIp === '0.0.0.0/0'))) missing.push('v4');
  if (families.includes('v6') && !all.some((p) => (p.Ipv6Ranges ?? []).some((r) => r.CidrIpv6 === '::/0'))) missing.push('v6');
  return missing;
}

function allowsAll(group: SecurityGroup, families: UntrackFamilies): boolean {
  return missingRanges(group.IpPermissions, families).length === 0 && missingRanges(group.IpPermissionsEgress, families).length === 0;
}

/** An all-traffic rule for the given families. */
function allTrafficRule(families: ReadonlyArray<'v4' | 'v6'>): IpPermission[] {
  return [
    {
      IpProtocol: '-1',
      ...(families.includes('v4') ? { IpRanges: [{ CidrIp: '0.0.0.0/0' }] } : {}),
      ...(families.includes('v6') ? { Ipv6Ranges: [{ CidrIpv6: '::/0' }] } : {}),
    },
  ];
}

/**
 * One of cordon's groups as found, else created (tagged cordon:managed=true as
 * it is created). A group just created is not described: EC2 gives a new
 * group of a VPC no inbound rule and one outbound rule allowing all traffic
 * (IPv4, and IPv6 in a VPC with an IPv6 block) (VPC User Guide, "Security
 * group rules"), which is what `undefined` rules below stand for. When the name
 * is taken (another finding made it a moment ago), that group is described.
 */
async function findOrCreateGroup(
  ec2: EC2Client,
  vpcId: string,
  name: string,
  description: string,
  found: SecurityGroup | undefined,
): Promise<{ readonly group: SecurityGroup; readonly created: boolean }> {
  if (found?.GroupId) return { group: found, created: false };
  try {
    const out = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: name,
        Description: description,
        VpcId: vpcId,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'cordon:managed', Value: 'true' }] }],
      }),
    );
    return { group: { GroupId: out.GroupId, GroupName: name, VpcId: vpcId }, created: true };
  } catch (err) {
    if ((err as Error).name !== 'InvalidGroup.Duplicate') throw err;
    const existing = await findGroup(ec2, vpcId, name);
    if (!existing?.GroupId) throw new Error(`EC2 says ${name} exists in ${vpcId} but does not describe it`, { cause: err });
    return { group: existing, created: false };
  }
}

/** A rule another maker of the group already added (or removed): no error for a maker. */
function alreadyDone(err: unknown): boolean {
  const name = (err as Error).name;
  return name === 'InvalidPermission.Duplicate' || name === 'InvalidPermission.NotFound';
}

/**
 * Several rule changes of one kind on one group in one call, falling back to
 * one call per rule, at once, when EC2 refuses the batch because a rule is
 * already there (or already gone): EC2 applies a batch whole or not at all, so
 * a rule another maker of the group added a moment ago fails every rule of the
 * batch, and each is then made on its own (EC2 API Reference,
 * AuthorizeSecurityGroupIngress/Egress, RevokeSecurityGroupEgress/Ingress).
 */
async function ruleChanges(rules: readonly IpPermission[], send: (rules: IpPermission[]) => Promise<unknown>): Promise<void> {
  const tolerant = async (batch: IpPermission[]): Promise<boolean> => {
    try {
      await send(batch);
      return true;
    } catch (err) {
      if (!alreadyDone(err)) throw err;
      return false;
    }
  };
  if (rules.length === 0 || (await tolerant([...rules])) || rules.length === 1) return;
  // eslint-disable-next-line cordon/no-unbounded-fan-out -- the rules of one group's direction (a few at most)
  await Promise.all(rules.map((rule) => tolerant([rule])));
}

/**
 * Finds or creates the quarantine group of a VPC: no inbound rule and no
 * outbound rule (the default allow-all egress rules are removed, both
 * families in one call). If an existing
 * group of that name has gained rules, they are removed again.
 */
export async function ensureQuarantineGroup(ec2: EC2Client, vpcId: string, found?: SecurityGroup): Promise<{ groupId: string }> {
  const { group, created } = await findOrCreateGroup(
    ec2,
    vpcId,
    QUARANTINE_GROUP_NAME,
    'cordon: isolates compromised instances (no inbound, no outbound)',
    found,
  );
  const groupId = group.GroupId as string;
  // A new group's default outbound rules, IPv4 and IPv6 in one call: in a VPC without IPv6 EC2 answers the IPv6 rule as
  // unknown and revokes the rest (EC2 API Reference, RevokeSecurityGroupEgress: "[VPC only] If the values you specify do
  // not match the existing rule's values, no error is returned").
  const egress = created ? [...allTrafficRule(['v4']), ...allTrafficRule(['v6'])] : (group.IpPermissionsEgress ?? []);
  const ingress = created ? [] : (group.IpPermissions ?? []);
  // Both directions at once: independent.
  await Promise.all([
    ruleChanges(egress, (rules) => ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: rules }))),
    ruleChanges(ingress, (rules) => ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: rules }))),
  ]);
  return { groupId };
}

/**
 * Finds or creates the allow-all group of a VPC. Traffic allowed by rules open
 * to the world in both directions is not connection-tracked, so moving an
 * interface here first and then to the quarantine group cuts connections that
 * were already established (as AWS's forensic orchestrator does). A group of
 * that name missing its allow-all rules for `families` (say, a creation cut
 * short, or made for IPv4 interfaces only) gets them. A new group gets both
 * families inbound (one call either way) and IPv6 outbound only when
 * `families` has it: EC2's default outbound rule allows all IPv4 (and IPv6
 * in a VPC with an IPv6 block), and an IPv4-only interface has no IPv6 flow.
 */
export async function ensureUntrackGroup(
  ec2: EC2Client,
  vpcId: string,
  found?: SecurityGroup,
  families: UntrackFamilies = BOTH_FAMILIES,
): Promise<string> {
  const { group, created } = await findOrCreateGroup(
    ec2,
    vpcId,
    UNTRACK_GROUP_NAME,
    'cordon: allow-all for an instant so that tracked connections become untracked before quarantine',
    found,
  );
  const groupId = group.GroupId as string;
  const inbound = created ? BOTH_FAMILIES : missingRanges(group.IpPermissions, families);
  // A new group's default outbound rule may cover IPv4 only.
  const outbound = created ? (families.includes('v6') ? (['v6'] as const) : []) : missingRanges(group.IpPermissionsEgress, families);
  // Each direction in one call, both at once.
  await Promise.all([
    ruleChanges(
      inbound.map((f) => allTrafficRule([f])[0] as IpPermission),
      (rules) => ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: rules })),
    ),
    ruleChanges(
      outbound.map((f) => allTrafficRule([f])[0] as IpPermission),
      (rules) => ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: rules })),
    ),
  ]);
  return groupId;
}

/** What making a VPC's quarantine groups needs (one module makes them for instances, tasks and databases). */
export const QUARANTINE_GROUP_PERMISSIONS = [
  'ec2:DescribeSecurityGroups',
  'ec2:CreateSecurityGroup',
  'ec2:CreateTags',
  'ec2:AuthorizeSecurityGroupIngress',
  'ec2:AuthorizeSecurityGroupEgress',
  'ec2:RevokeSecurityGroupEgress',
  'ec2:RevokeSecurityGroupIngress',
] as const;
