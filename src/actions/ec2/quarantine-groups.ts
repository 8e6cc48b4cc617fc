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

/** The groups isolation uses in one VPC. */
export interface IsolationGroups {
  readonly quarantineId: string;
  /** Set when tracked connections are to be cut. */
  readonly untrackId: string | undefined;
}

/**
 * The VPC's quarantine group (and allow-all group when `untrack`), each found
 * in the state isolation needs, or made so. Creating or fixing them runs
 * under `exclusive` (a lease on the VPC's groups), so that two findings in one
 * VPC never create a group twice or revoke a rule the other just revoked;
 * when both are already as they should be, no lease is taken.
 */
export async function ensureIsolationGroups(
  ec2: EC2Client,
  vpcId: string,
  untrack: boolean,
  exclusive: <T>(scope: string, work: () => Promise<T>) => Promise<T>,
  found?: readonly SecurityGroup[],
): Promise<IsolationGroups> {
  const groups = (found ?? (await findIsolationGroups(ec2, [vpcId]))).filter((g) => g.VpcId === undefined || g.VpcId === vpcId);
  const quarantine = groups.find((g) => g.GroupName === QUARANTINE_GROUP_NAME);
  const open = groups.find((g) => g.GroupName === UNTRACK_GROUP_NAME);
  const quarantineReady =
    quarantine?.GroupId && (quarantine.IpPermissions ?? []).length === 0 && (quarantine.IpPermissionsEgress ?? []).length === 0;
  const untrackReady = !untrack || (open?.GroupId && allowsAll(open));
  if (quarantineReady && untrackReady)
    return { quarantineId: quarantine.GroupId as string, untrackId: untrack ? open?.GroupId : undefined };
  return exclusive(`vpc-groups:${vpcId}`, async () => {
    // Both at once: independent groups.
    const [q, u] = await Promise.all([ensureQuarantineGroup(ec2, vpcId), untrack ? ensureUntrackGroup(ec2, vpcId) : undefined]);
    return { quarantineId: q.groupId, untrackId: u };
  });
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

/** The all-traffic ranges a rule set lacks (IPv4 and IPv6: a flow of either family must be untracked). */
function missingRanges(perms: SecurityGroup['IpPermissions']): Array<'v4' | 'v6'> {
  const all = (perms ?? []).filter((p) => p.IpProtocol === '-1');
  const missing: Array<'v4' | 'v6'> = [];
  if (!all.some((p) => (p.IpRanges ?? []).some((r) => r.CidrIp === '0.0.0.0/0'))) missing.push('v4');
  if (!all.some((p) => (p.Ipv6Ranges ?? []).some((r) => r.CidrIpv6 === '::/0'))) missing.push('v6');
  return missing;
}

function allowsAll(group: SecurityGroup): boolean {
  return missingRanges(group.IpPermissions).length === 0 && missingRanges(group.IpPermissionsEgress).length === 0;
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
 * Creates one of cordon's groups (tagged cordon:managed=true as it is created)
 * and describes it, default rules included; when a group of that name exists
 * already (made by an earlier run), describes that one instead. Creating first
 * saves the lookup in the common case, a VPC that has none yet.
 */
async function findOrCreateGroup(ec2: EC2Client, vpcId: string, name: string, description: string): Promise<SecurityGroup> {
  let out;
  try {
    out = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: name,
        Description: description,
        VpcId: vpcId,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'cordon:managed', Value: 'true' }] }],
      }),
    );
  } catch (err) {
    if ((err as Error).name !== 'InvalidGroup.Duplicate') throw err;
    const existing = await findGroup(ec2, vpcId, name);
    if (!existing?.GroupId) throw new Error(`EC2 says ${name} exists in ${vpcId} but does not describe it`, { cause: err });
    return existing;
  }
  const group = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [out.GroupId as string] }))).SecurityGroups?.[0];
  if (!group?.GroupId) throw new Error(`created ${out.GroupId} but cannot describe it`);
  return group;
}

/**
 * Finds or creates the quarantine group of a VPC: no inbound rule and no
 * outbound rule (the default allow-all egress rule is removed). If an existing
 * group of that name has gained rules, they are removed again.
 */
export async function ensureQuarantineGroup(ec2: EC2Client, vpcId: string): Promise<{ groupId: string }> {
  const group = await findOrCreateGroup(
    ec2,
    vpcId,
    QUARANTINE_GROUP_NAME,
    'cordon: isolates compromised instances (no inbound, no outbound)',
  );
  const groupId = group.GroupId as string;
  // Both directions at once: independent rule sets.
  await Promise.all([
    (group.IpPermissionsEgress ?? []).length > 0
      ? ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: group.IpPermissionsEgress }))
      : undefined,
    (group.IpPermissions ?? []).length > 0
      ? ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: group.IpPermissions }))
      : undefined,
  ]);
  return { groupId };
}

/**
 * Finds or creates the allow-all group of a VPC. Traffic allowed by rules open
 * to the world in both directions is not connection-tracked, so moving an
 * interface here first and then to the quarantine group cuts connections that
 * were already established (as AWS's forensic orchestrator does). A group of
 * that name missing its allow-all inbound rule (say, a creation cut short) gets it.
 */
export async function ensureUntrackGroup(ec2: EC2Client, vpcId: string): Promise<string> {
  const group = await findOrCreateGroup(
    ec2,
    vpcId,
    UNTRACK_GROUP_NAME,
    'cordon: allow-all for an instant so that tracked connections become untracked before quarantine',
  );
  const groupId = group.GroupId as string;
  const inbound = missingRanges(group.IpPermissions);
  // A new group's default outbound rule may cover IPv4 only.
  const outbound = missingRanges(group.IpPermissionsEgress);
  // Both directions at once: independent rule sets.
  await Promise.all([
    inbound.length > 0
      ? ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: allTrafficRule(inbound) }))
      : undefined,
    outbound.length > 0
      ? ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: allTrafficRule(outbound) }))
      : undefined,
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
