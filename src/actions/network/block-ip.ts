import { DescribeNetworkAclsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { defineAction } from '../define';
import { collecting } from '../../outcome';
import { ACL_DENY_RECORDS, deniedBothWays, denyInAcl, placementInRange, placementParams } from './acl-denies';
import { hostCidr } from './addresses';
import { describeDatabase } from '../rds/database';
import type { ActionContext } from '../types';

const params = z
  .strictObject({
    ...placementParams,
    /** Also block addresses the instance connected out to (e.g. a C&C server), not only inbound attackers. @default false */
    includeOutbound: z.boolean().default(false),
  })
  .refine(...placementInRange);

/** The subnets whose ACLs a block goes into: the instance's, or the database's (its DB subnet group's). */
async function subnetsOf(ctx: ActionContext): Promise<{ owner: string; subnets: string[] }> {
  if (ctx.finding.instance) {
    const instance = await ctx.instance();
    return {
      owner: instance.InstanceId ?? '',
      subnets: [...new Set((instance.NetworkInterfaces ?? []).flatMap((ni) => (ni.SubnetId ? [ni.SubnetId] : [])))],
    };
  }
  const db = await describeDatabase(ctx);
  return {
    owner: db.DBInstanceIdentifier ?? '',
    subnets: [...new Set((db.DBSubnetGroup?.Subnets ?? []).flatMap((s) => (s.SubnetIdentifier ? [s.SubnetIdentifier] : [])))],
  };
}

/**
 * Denies the finding's remote addresses, IPv4 and IPv6, in the network ACL of
 * each subnet of the instance (or of the database: its DB subnet group's,
 * GuardDuty's "Remediating a potentially compromised database": restrict
 * network access), inbound and outbound, with the lowest free rule
 * numbers in cordon's range so the deny is evaluated before the ACL's allow
 * rules (see acl-denies.ts). Fails clearly when the ACL is at its rule quota
 * rather than dropping other rules. GuardDuty's guide: "Remediating a
 * potentially compromised Amazon EC2 instance" (block the source of the attack).
 */
export const blockIp = defineAction({
  name: 'network.block-ip',
  summary: "Deny the attacker's addresses (IPv4 and IPv6) in the subnet's network ACL, both directions",
  params,
  target: 'remote-ip',
  disruptive: false,
  permissions: {
    member: [
      'ec2:DescribeInstances',
      'rds:DescribeDBInstances',
      'ec2:DescribeNetworkAcls',
      'ec2:CreateNetworkAclEntry',
      'ec2:DeleteNetworkAclEntry',
    ],
    home: [],
  },
  ...ACL_DENY_RECORDS,
  async run(ctx, p, report) {
    // A database user's password is untouched by any block: the address was one of many it could log in from.
    const residuals = ctx.finding.database?.user ? { remains: ['database-credentials' as const] } : {};
    const ips = ctx.finding.remoteIps.filter((r) => r.direction === 'INBOUND' || p.includeOutbound);
    const cidrs = [...new Set(ips.flatMap((r) => hostCidr(r.ip) ?? []))];
    if (cidrs.length === 0) return [report.skipped('', 'finding names no inbound remote IPv4 or IPv6 address to block', residuals)];
    const { owner, subnets } = await subnetsOf(ctx);
    if (subnets.length === 0) return [report.failed(owner, `${owner} has no subnet`)];
    const ec2 = ctx.member(EC2Client);
    const acls = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: subnets }] }));
    return collecting(async (results) => {
      for (const acl of acls.NetworkAcls ?? []) {
        const aclId = acl.NetworkAclId as string;
        const missing = cidrs.filter((cidr) => !deniedBothWays(acl.Entries ?? [], cidr));
        for (const cidr of cidrs.filter((c) => !missing.includes(c)))
          results.push(report.already(`${aclId}:${cidr}`, `${cidr} already denied both ways in ${aclId}`, residuals));
        if (missing.length > 0) results.push(...(await denyInAcl(ctx, report, ec2, acl, missing, p, residuals)));
      }
    });
  },
});
