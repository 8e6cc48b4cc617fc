import {
  DescribeNetworkAclsCommand,
  EC2Client,
  paginateDescribeNatGateways,
  paginateDescribeTransitGatewayVpcAttachments,
  paginateDescribeVpcEndpoints,
  type NetworkInterface,
} from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client, paginateDescribeLoadBalancers } from '@aws-sdk/client-elastic-load-balancing-v2';
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
 * The subnets of some VPCs that hold what AWS tracks connections through
 * automatically (VPC User Guide, "Security group connection tracking",
 * automatically tracked connections): NAT gateways, Network and Gateway Load
 * Balancers, PrivateLink (interface and Gateway Load Balancer) endpoints and
 * Transit Gateway attachments. Four independent reads, at once.
 */
async function transitSubnets(ec2: EC2Client, elb: ElasticLoadBalancingV2Client, vpcIds: readonly string[]): Promise<Map<string, string>> {
  const subnets = new Map<string, string>();
  const add = (vpcId: string | undefined, subnetIds: ReadonlyArray<string | undefined>, what: string): void => {
    if (!vpcId || !vpcIds.includes(vpcId)) return;
    for (const id of subnetIds) if (id && !subnets.has(id)) subnets.set(id, what);
  };
  const vpcFilter = [{ Name: 'vpc-id', Values: [...vpcIds] }];
  // Four fixed reads of one account and region, at once.
  await Promise.all([
    (async () => {
      for await (const page of paginateDescribeNatGateways({ client: ec2 }, { Filter: vpcFilter }))
        for (const gw of page.NatGateways ?? [])
          if (gw.State !== 'deleted' && gw.State !== 'failed') add(gw.VpcId, [gw.SubnetId], 'NAT gateway');
    })(),
    (async () => {
      // By type, then by VPC here (the VPC filter is one moto lacks; AWS answers the same).
      const types = [{ Name: 'vpc-endpoint-type', Values: ['Interface', 'GatewayLoadBalancer'] }];
      for await (const page of paginateDescribeVpcEndpoints({ client: ec2 }, { Filters: types }))
        for (const ep of page.VpcEndpoints ?? []) add(ep.VpcId, ep.SubnetIds ?? [], 'PrivateLink endpoint');
    })(),
    (async () => {
      for await (const page of paginateDescribeTransitGatewayVpcAttachments({ client: ec2 }, { Filters: vpcFilter }))
        for (const att of page.TransitGatewayVpcAttachments ?? [])
          if (att.State !== 'deleted' && att.State !== 'deleting') add(att.VpcId, att.SubnetIds ?? [], 'Transit Gateway attachment');
    })(),
    (async () => {
      for await (const page of paginateDescribeLoadBalancers({ client: elb }, {}))
        for (const lb of page.LoadBalancers ?? [])
          if (lb.Type === 'network' || lb.Type === 'gateway')
            add(
              lb.VpcId,
              (lb.AvailabilityZones ?? []).map((az) => az.SubnetId),
              `${lb.Type === 'network' ? 'Network' : 'Gateway'} Load Balancer`,
            );
    })(),
  ]);
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
      'ec2:DescribeNatGateways',
      'ec2:DescribeVpcEndpoints',
      'ec2:DescribeTransitGatewayVpcAttachments',
      'elasticloadbalancing:DescribeLoadBalancers',
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
    const transit = await transitSubnets(ec2, ctx.member(ElasticLoadBalancingV2Client), [...byVpc.keys()]);
    const subnets = [...transit.keys()].filter((id) => !own.has(id));
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
