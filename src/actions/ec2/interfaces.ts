import { DescribeNetworkInterfacesCommand, EC2Client, type NetworkInterface } from '@aws-sdk/client-ec2';
import type { ActionContext } from '../types';

/**
 * The tag the Amazon VPC resource controller puts on each branch interface it
 * creates for EKS "security groups for Pods": the id of the trunk interface
 * (attached to the node) it rides on. A branch interface (interface type
 * `branch`) is not attached to the instance, so `attachment.instance-id`
 * misses it; the controller finds its own branches by this tag, and so does
 * cordon (EKS User Guide, "Assign security groups to individual Pods";
 * aws/amazon-vpc-resource-controller-k8s).
 */
export const TRUNK_ENI_TAG = 'vpcresources.k8s.aws/trunk-eni-id';

/**
 * Every network interface whose traffic is the instance's: the ones attached
 * to it (from any VPC: an interface attached from another VPC of the account,
 * in the same Availability Zone, keeps its own VPC, subnet and security groups;
 * EC2 User Guide, "Multi-VPC ENI attachments"),
 * and the branch interfaces of EKS pods riding on any of them. Two
 * DescribeNetworkInterfaces calls at once when the trunks are known (the
 * finding names the instance's interfaces); a third only for an interface
 * attached since (it finds nothing on an instance without pods).
 */
export async function instanceInterfaces(
  ec2: EC2Client,
  instanceId: string,
  knownTrunks: readonly string[] = [],
): Promise<NetworkInterface[]> {
  const branchesOf = async (trunks: readonly string[]): Promise<NetworkInterface[]> =>
    trunks.length === 0
      ? []
      : ((await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: `tag:${TRUNK_ENI_TAG}`, Values: [...trunks] }] })))
          .NetworkInterfaces ?? []);
  const [attachedOut, branchesFirst] = await Promise.all([
    ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] })),
    branchesOf(knownTrunks),
  ]);
  const attached = attachedOut.NetworkInterfaces?.filter((ni) => ni.NetworkInterfaceId);
  if (!attached || attached.length === 0) return [];
  const trunks = attached.map((ni) => ni.NetworkInterfaceId as string);
  const branches = [...branchesFirst, ...(await branchesOf(trunks.filter((t) => !knownTrunks.includes(t))))].filter(
    (ni) =>
      ni.NetworkInterfaceId &&
      !trunks.includes(ni.NetworkInterfaceId) &&
      trunks.some((t) => ni.TagSet?.some((x) => x.Key === TRUNK_ENI_TAG && x.Value === t)),
  );
  return [...attached, ...branches];
}

/**
 * The finding's instance's interfaces (see `instanceInterfaces`), looked up
 * once per context and shared by isolation and the transit ACLs; it needs
 * only the finding, so it starts while the finding is screened.
 */
export function interfacesOf(ctx: ActionContext): Promise<NetworkInterface[]> {
  return ctx.lookup('ec2:interfaces', () => {
    const instance = ctx.finding.instance;
    if (!instance) throw new Error('finding names no instance');
    return instanceInterfaces(
      ctx.member(EC2Client),
      instance.instanceId,
      instance.networkInterfaces.map((ni) => ni.networkInterfaceId),
    );
  });
}

/** An interface's VPC (the instance's when EC2 does not say). */
export function vpcOf(ni: NetworkInterface, instanceVpcId: string): string {
  return ni.VpcId ?? instanceVpcId;
}
