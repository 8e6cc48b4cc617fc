import {
  EC2Client,
  type Instance,
  type InstanceNetworkInterface,
  type NetworkInterface,
  paginateDescribeNetworkInterfaces,
} from '@aws-sdk/client-ec2';
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
 * An interface as DescribeInstances lists it, in DescribeNetworkInterfaces'
 * shape for what isolation and the transit ACLs read: its id, type, VPC,
 * subnet, groups and addresses.
 */
function described(ni: InstanceNetworkInterface): NetworkInterface {
  return {
    NetworkInterfaceId: ni.NetworkInterfaceId,
    InterfaceType: ni.InterfaceType as NetworkInterface['InterfaceType'],
    VpcId: ni.VpcId,
    SubnetId: ni.SubnetId,
    Groups: ni.Groups,
    PrivateIpAddress: ni.PrivateIpAddress,
    PrivateIpAddresses: ni.PrivateIpAddresses?.map((a) => ({ PrivateIpAddress: a.PrivateIpAddress, Primary: a.Primary })),
    Ipv6Addresses: ni.Ipv6Addresses?.map((a) => ({ Ipv6Address: a.Ipv6Address })),
  };
}

/**
 * Every network interface whose traffic is the instance's: the ones attached
 * to it, as DescribeInstances lists them (from any VPC: an interface attached
 * from another VPC of the account, in the same Availability Zone, keeps its
 * own VPC, subnet and security groups; EC2 User Guide, "Multi-VPC ENI
 * attachments"), and the branch interfaces of EKS pods riding on a trunk
 * among them. Only an instance with a trunk interface (InterfaceType `trunk`,
 * as the VPC resource controller creates it) costs a call: the branches of
 * its trunks, by the controller's tag.
 */
export async function instanceInterfaces(ec2: EC2Client, instance: Instance): Promise<NetworkInterface[]> {
  const attached = (instance.NetworkInterfaces ?? []).filter((ni) => ni.NetworkInterfaceId).map(described);
  const trunks = attached.filter((ni) => ni.InterfaceType === 'trunk').map((ni) => ni.NetworkInterfaceId as string);
  if (trunks.length === 0) return attached;
  const branches: NetworkInterface[] = [];
  for await (const page of paginateDescribeNetworkInterfaces(
    { client: ec2 },
    { Filters: [{ Name: `tag:${TRUNK_ENI_TAG}`, Values: trunks }] },
  ))
    branches.push(
      ...(page.NetworkInterfaces ?? []).filter(
        (ni) =>
          ni.NetworkInterfaceId &&
          !trunks.includes(ni.NetworkInterfaceId) &&
          trunks.some((t) => ni.TagSet?.some((x) => x.Key === TRUNK_ENI_TAG && x.Value === t)),
      ),
    );
  return [...attached, ...branches];
}

/**
 * The finding's instance's interfaces (see `instanceInterfaces`), looked up
 * once per context and shared by isolation and the transit ACLs: from the
 * instance's description, which the finding's screening already asked for.
 */
export function interfacesOf(ctx: ActionContext): Promise<NetworkInterface[]> {
  return ctx.lookup('ec2:interfaces', async () => instanceInterfaces(ctx.member(EC2Client), await ctx.instance()));
}

/** An interface's VPC (the instance's when EC2 does not say). */
export function vpcOf(ni: NetworkInterface, instanceVpcId: string): string {
  return ni.VpcId ?? instanceVpcId;
}
