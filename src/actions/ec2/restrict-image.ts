import { DescribeImageAttributeCommand, ModifyImageAttributeCommand, type LaunchPermission } from '@aws-sdk/client-ec2';
import { defineSharingRestriction, type Grant } from './restrict-sharing';

/** Grants as EC2's LaunchPermission list. */
function asLaunch(grants: readonly Grant[]): LaunchPermission[] {
  return grants.map((g) => ({
    ...(g.userId ? { UserId: g.userId } : {}),
    ...(g.group === 'all' ? { Group: 'all' as const } : {}),
    ...(g.organizationArn ? { OrganizationArn: g.organizationArn } : {}),
    ...(g.organizationalUnitArn ? { OrganizationalUnitArn: g.organizationalUnitArn } : {}),
  }));
}

/**
 * An AMI Malware Protection for Backup found malware in
 * (`Execution:EC2/MaliciousFile!AMI`): no other account, organization, OU
 * nor the public may launch it any more, and it is tagged with the finding.
 * GuardDuty's guide: "Remediating a potentially compromised EC2 AMI"
 * (https://docs.aws.amazon.com/guardduty/latest/ug/compromised-ami.html: remove its launch permissions).
 */
export const restrictImage = defineSharingRestriction({
  name: 'ec2.restrict-image',
  summary: 'Remove every launch permission of the malicious AMI and tag it (kept as evidence)',
  target: 'ec2-image',
  noun: 'AMI',
  verb: 'launch',
  permissions: ['ec2:DescribeImageAttribute', 'ec2:ModifyImageAttribute'],
  undoPermissions: ['ec2:DescribeImageAttribute', 'ec2:ModifyImageAttribute'],
  async read(ec2, id) {
    const out = await ec2.send(new DescribeImageAttributeCommand({ ImageId: id, Attribute: 'launchPermission' }));
    return (out.LaunchPermissions ?? []).map((p) => ({
      ...(p.UserId ? { userId: p.UserId } : {}),
      ...(p.Group ? { group: p.Group } : {}),
      ...(p.OrganizationArn ? { organizationArn: p.OrganizationArn } : {}),
      ...(p.OrganizationalUnitArn ? { organizationalUnitArn: p.OrganizationalUnitArn } : {}),
    }));
  },
  async remove(ec2, id, grants) {
    await ec2.send(new ModifyImageAttributeCommand({ ImageId: id, LaunchPermission: { Remove: asLaunch(grants) } }));
  },
  async add(ec2, id, grants) {
    await ec2.send(new ModifyImageAttributeCommand({ ImageId: id, LaunchPermission: { Add: asLaunch(grants) } }));
  },
});
