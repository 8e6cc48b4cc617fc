import { DescribeNetworkInterfacesCommand, EC2Client, ModifyNetworkInterfaceAttributeCommand } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { outcome, type ActionDefinition, type ActionOutcome } from '../types';
import { ensureQuarantineGroup, ensureUntrackGroup, findGroup, QUARANTINE_GROUP_NAME } from './quarantine-groups';

const params = z.strictObject({
  /**
   * Cut connections that are already established: a security group change does
   * not stop tracked flows, so each interface goes through an allow-all group
   * (whose flows are untracked) before the quarantine group.
   * @default true
   */
  cutTrackedConnections: z.boolean().default(true),
});

/**
 * Isolates the instance: the VPC's quarantine group (no inbound, no outbound)
 * becomes the only group of every network interface. `ModifyInstanceAttribute`
 * would reach only the primary interface, so each interface is changed with
 * `ModifyNetworkInterfaceAttribute`. Original groups are recorded per interface.
 */
export const isolateInstance: ActionDefinition<z.infer<typeof params>> = {
  name: 'ec2.isolate',
  summary: 'Replace the security groups of every network interface with a no-traffic quarantine group',
  params,
  target: 'instance',
  permissions: {
    member: [
      'ec2:DescribeInstances',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSecurityGroups',
      'ec2:CreateSecurityGroup',
      'ec2:CreateTags',
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:RevokeSecurityGroupEgress',
      'ec2:RevokeSecurityGroupIngress',
      'ec2:ModifyNetworkInterfaceAttribute',
    ],
    home: [],
  },
  async run(ctx, p) {
    const instance = await ctx.instance();
    const instanceId = instance.InstanceId as string;
    const vpcId = instance.VpcId;
    if (!vpcId) return [outcome(this.name, instanceId, 'failed', 'instance is not in a VPC (EC2-Classic cannot be isolated with security groups)')];
    const ec2 = ctx.member(EC2Client);
    const enis = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] }));
    const interfaces = (enis.NetworkInterfaces ?? []).filter((ni) => ni.NetworkInterfaceId);
    if (interfaces.length === 0) return [outcome(this.name, instanceId, 'failed', 'instance has no network interface to isolate')];

    const existing = ctx.dryRun ? await findGroup(ec2, vpcId, QUARANTINE_GROUP_NAME) : undefined;
    const quarantine = ctx.dryRun ? existing?.GroupId : (await ensureQuarantineGroup(ec2, vpcId)).groupId;
    const results: ActionOutcome[] = [];
    let untrack: string | undefined;
    for (const ni of interfaces) {
      const eniId = ni.NetworkInterfaceId as string;
      const groups = (ni.Groups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : []));
      if (quarantine && groups.length === 1 && groups[0] === quarantine) {
        results.push(outcome(this.name, eniId, 'already', `${eniId} of ${instanceId} is already in ${QUARANTINE_GROUP_NAME} (${quarantine})`));
        continue;
      }
      const prior = { instanceId, networkInterfaceId: eniId, groupIds: groups };
      if (ctx.dryRun) {
        results.push(outcome(this.name, eniId, 'planned', `would move ${eniId} of ${instanceId} from [${groups.join(', ')}] to ${quarantine ?? `a new ${QUARANTINE_GROUP_NAME} group in ${vpcId}`}`, { prior }));
        continue;
      }
      if (p.cutTrackedConnections) {
        untrack ??= await ensureUntrackGroup(ec2, vpcId);
        await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: [untrack] }));
      }
      await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: [quarantine as string] }));
      results.push(
        outcome(this.name, eniId, 'done', `moved ${eniId} of ${instanceId} from [${groups.join(', ')}] to ${QUARANTINE_GROUP_NAME} (${quarantine})${p.cutTrackedConnections ? ', tracked connections cut' : ''}`, {
          prior,
          changed: { groupIds: [quarantine] },
        }),
      );
    }
    return results;
  },
};
