import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  type EC2Client,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';

/** Name of the group with no rule at all that isolates an instance. */
export const QUARANTINE_GROUP_NAME = 'cordon-quarantine';
/** Name of the allow-all group used for a moment to make tracked connections untracked. */
export const UNTRACK_GROUP_NAME = 'cordon-untrack';

const ALL_TRAFFIC = [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] }];

/** Finds a group cordon created in a VPC by name. */
export async function findGroup(ec2: EC2Client, vpcId: string, name: string): Promise<SecurityGroup | undefined> {
  const out = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'group-name', Values: [name] }] }),
  );
  return out.SecurityGroups?.[0];
}

/**
 * Finds or creates the quarantine group of a VPC: no inbound rule and no
 * outbound rule (the default allow-all egress rule is removed). If an existing
 * group of that name has gained rules, they are removed again.
 */
export async function ensureQuarantineGroup(ec2: EC2Client, vpcId: string): Promise<{ groupId: string; created: boolean }> {
  let group = await findGroup(ec2, vpcId, QUARANTINE_GROUP_NAME);
  let created = false;
  if (!group) {
    const out = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: QUARANTINE_GROUP_NAME,
        Description: 'cordon: isolates compromised instances (no inbound, no outbound)',
        VpcId: vpcId,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'cordon:managed', Value: 'true' }] }],
      }),
    );
    created = true;
    group = await findGroup(ec2, vpcId, QUARANTINE_GROUP_NAME);
    if (!group?.GroupId) throw new Error(`created ${out.GroupId} but cannot describe it`);
  }
  const groupId = group.GroupId as string;
  if ((group.IpPermissionsEgress ?? []).length > 0) {
    await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: group.IpPermissionsEgress }));
  }
  if ((group.IpPermissions ?? []).length > 0) {
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: group.IpPermissions }));
  }
  return { groupId, created };
}

/**
 * Finds or creates the allow-all group of a VPC. Traffic allowed by rules open
 * to the world in both directions is not connection-tracked, so moving an
 * interface here first and then to the quarantine group cuts connections that
 * were already established (as AWS's forensic orchestrator does).
 */
export async function ensureUntrackGroup(ec2: EC2Client, vpcId: string): Promise<string> {
  const group = await findGroup(ec2, vpcId, UNTRACK_GROUP_NAME);
  if (group?.GroupId) return group.GroupId;
  const out = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: UNTRACK_GROUP_NAME,
      Description: 'cordon: allow-all for an instant so that tracked connections become untracked before quarantine',
      VpcId: vpcId,
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'cordon:managed', Value: 'true' }] }],
    }),
  );
  const groupId = out.GroupId as string;
  // The default egress rule already allows all outbound traffic.
  await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: ALL_TRAFFIC }));
  return groupId;
}
