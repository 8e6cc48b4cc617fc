import { DescribeSnapshotAttributeCommand, ModifySnapshotAttributeCommand } from '@aws-sdk/client-ec2';
import { defineSharingRestriction, type Grant } from './restrict-sharing';

/** A snapshot's grants as ModifySnapshotAttribute takes them. */
function asParams(grants: readonly Grant[]): { UserIds?: string[]; GroupNames?: Array<'all'> } {
  const UserIds = grants.flatMap((g) => (g.userId ? [g.userId] : []));
  const GroupNames = grants.some((g) => g.group === 'all') ? (['all'] as Array<'all'>) : [];
  return { ...(UserIds.length > 0 ? { UserIds } : {}), ...(GroupNames.length > 0 ? { GroupNames } : {}) };
}

/**
 * An EBS snapshot Malware Protection for Backup found malware in
 * (`Execution:EC2/MaliciousFile!Snapshot`): no other account, nor the public,
 * may create volumes from it any more, and it is tagged with the finding.
 * GuardDuty's guide: "Remediating a potentially compromised EBS Snapshot"
 * (https://docs.aws.amazon.com/guardduty/latest/ug/compromised-snapshot.html: review and remove its
 * `createVolumePermission`).
 */
export const restrictSnapshot = defineSharingRestriction({
  name: 'ec2.restrict-snapshot',
  summary: 'Remove every createVolumePermission grant of the malicious snapshot and tag it (kept as evidence)',
  target: 'ebs-snapshot',
  noun: 'snapshot',
  verb: 'create volumes from',
  permissions: ['ec2:DescribeSnapshotAttribute', 'ec2:ModifySnapshotAttribute'],
  undoPermissions: ['ec2:DescribeSnapshotAttribute', 'ec2:ModifySnapshotAttribute'],
  async read(ec2, id) {
    const out = await ec2.send(new DescribeSnapshotAttributeCommand({ SnapshotId: id, Attribute: 'createVolumePermission' }));
    return (out.CreateVolumePermissions ?? []).map((p) => ({
      ...(p.UserId ? { userId: p.UserId } : {}),
      ...(p.Group ? { group: p.Group } : {}),
    }));
  },
  async remove(ec2, id, grants) {
    await ec2.send(
      new ModifySnapshotAttributeCommand({
        SnapshotId: id,
        Attribute: 'createVolumePermission',
        OperationType: 'remove',
        ...asParams(grants),
      }),
    );
  },
  async add(ec2, id, grants) {
    await ec2.send(
      new ModifySnapshotAttributeCommand({
        SnapshotId: id,
        Attribute: 'createVolumePermission',
        OperationType: 'add',
        ...asParams(grants),
      }),
    );
  },
});
