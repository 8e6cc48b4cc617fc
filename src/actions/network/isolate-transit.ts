import { DescribeNetworkAclsCommand, EC2Client, type NetworkInterface, paginateDescribeNetworkInterfaces } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { defineAction } from '../define';
import { collecting } from '../../outcome';
import { interfacesOf, vpcOf } from '../ec2/interfaces';
import { ACL_DENY_RECORDS, denyInAcl, placementInRange, placementParams } from './acl-denies';
import { hostCidr } from './addresses';

const params = z.strictObject({ ...placementParams }).refine(...placementInRange);

/** The channel this action closes when every deny is in place. */
const CLOSES = { closes: ['gateway-tracked-flows' as const] };

/**
 * What AWS tracks connections through automatically (VPC User Guide,
 * "Security group connection tracking", automatically tracked connections),
 * by the interface type of the requester-managed interface each has in every
 * subnet it uses, as DescribeNetworkInterfaces' `interface-type` filter names
 * them: NAT gateways, PrivateLink endpoints (interface and Gateway Load
 * Balancer), Transit Gateway attachments, Network and Gateway Load Balancers.
 */
const TRANSIT_INTERFACE_TYPES = [
  'nat_gateway',
  'vpc_endpoint',
  'gateway_load_balancer_endpoint',
  'transit_gateway',
  'network_load_balancer',
  'gateway_load_balancer',
];

/**
 * The subnets of some VPCs that hold something AWS tracks connections
 * through: one (paginated) DescribeNetworkInterfaces by VPC and interface
 * type, managed resources included even where the account hides them (EC2 API
 * Reference, DescribeNetworkInterfaces, IncludeManagedResources).
 */
async function transitSubnets(ec2: EC2Client, vpcIds: readonly string[]): Promise<Set<string>> {
  const subnets = new Set<string>();
  for await (const page of paginateDescribeNetworkInterfaces(
    { client: ec2 },
    {
      IncludeManagedResources: true,
      Filters: [
        { Name: 'vpc-id', Values: [...vpcIds] },
        { Name: 'interface-type', Values: TRANSIT_INTERFACE_TYPES },
      ],
    },
  ))
    for (const ni of page.NetworkInterfaces ?? []) if (ni.SubnetId && ni.VpcId && vpcIds.includes(ni.VpcId)) subnets.add(ni.SubnetId);
  return subnets;
}

/** The instance's own addresses (private IPv4 and IPv6 of every interface), as single-address ranges, by VPC. */
function addressesByVpc(interfaces: readonly NetworkInterface[], instanceVpc: string): Map<string, string[]> {
  const byVpc = new Map<string, string[]>();
  for (const ni of interfaces) {
    const ips = [
      ...(ni.PrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress),
      ni.PrivateIpAddress,
      ...(ni.Ipv6Addresses ?? []).map((a) => a.Ipv6Address),
    ];
    const cidrs = ips.flatMap((ip) => (ip ? (hostCidr(ip) ?? []) : []));
    const vpc = vpcOf(ni, instanceVpc);
    byVpc.set(vpc, [...new Set([...(byVpc.get(vpc) ?? []), ...cidrs])]);
  }
  return byVpc;
}

/**
 * Cuts the flows of an isolated instance that AWS tracks automatically, which
 * security groups cannot cut: in the network ACLs of the subnets of its VPC
 * that hold a NAT gateway, a Network or Gateway Load Balancer, a PrivateLink
 * endpoint or a Transit Gateway attachment, an inbound deny with the
 * instance's address as source and an outbound deny with it as destination.
 * A subnet's ACL matches the remote side of a flow, so the instance's own
 * subnet's ACL cannot name it; ACLs are stateless, so established flows stop
 * at once. Rule placement is network.block-ip's (within the quota, before the
 * allow rules); release deletes the rules. Only for instances that are being
 * isolated: every flow of the instance through those subnets stops.
 */
export const isolateTransit = defineAction({
  name: 'network.isolate-transit',
  summary:
    "Deny the instance's own addresses in the network ACLs of its VPC's NAT gateway, load balancer, endpoint and Transit Gateway subnets",
  params,
  target: 'instance',
  disruptive: true,
  runs: 'concurrent',
  permissions: {
    member: [
      'ec2:DescribeInstances',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeNetworkAcls',
      'ec2:CreateNetworkAclEntry',
      'ec2:DeleteNetworkAclEntry',
    ],
    home: [],
  },
  ...ACL_DENY_RECORDS,
  prefetch(ctx) {
    // Answered when run awaits it; a failure then is run's to report.
    interfacesOf(ctx).catch(() => undefined);
  },
  async run(ctx, p, report) {
    const instance = await ctx.instance();
    const instanceId = instance.InstanceId as string;
    const instanceVpc = instance.VpcId;
    if (!instanceVpc) return [report.failed(instanceId, 'instance is not in a VPC')];
    const ec2 = ctx.member(EC2Client);
    const interfaces = await interfacesOf(ctx);
    const byVpc = addressesByVpc(interfaces, instanceVpc);
    const own = new Set(interfaces.flatMap((ni) => (ni.SubnetId ? [ni.SubnetId] : [])));
    const transit = await transitSubnets(ec2, [...byVpc.keys()]);
    const subnets = [...transit].filter((id) => !own.has(id));
    if (subnets.length === 0)
      return [
        report.skipped(
          instanceId,
          `no NAT gateway, Network or Gateway Load Balancer, PrivateLink endpoint or Transit Gateway attachment in another subnet of ${[...byVpc.keys()].join(', ')}: no such flow to cut`,
          CLOSES,
        ),
      ];
    const acls = (await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: subnets }] })))
      .NetworkAcls;
    return collecting(async (results) => {
      for (const acl of acls ?? []) {
        const cidrs = byVpc.get(acl.VpcId ?? instanceVpc) ?? [];
        if (cidrs.length > 0) results.push(...(await denyInAcl(ctx, report, ec2, acl, cidrs, p, CLOSES)));
      }
    });
  },
});
