import { EC2Client } from '@aws-sdk/client-ec2';
import { DescribeDBClustersCommand, ModifyDBClusterCommand, ModifyDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { z } from 'zod';
import { defineAction } from '../define';
import { ensureIsolationGroups, QUARANTINE_GROUP_NAME, QUARANTINE_GROUP_PERMISSIONS } from '../ec2/quarantine-groups';
import { REFUSED, type ActionContext, type UndoContext } from '../types';
import { describeDatabase } from './database';

/**
 * The database's (or its Aurora cluster's) VPC security groups before.
 * @example { dbInstanceId: 'orders-db', clusterId: 'orders', groupIds: ['sg-0db'] }
 */
const prior = z.object({ dbInstanceId: z.string(), clusterId: z.string().optional(), groupIds: z.array(z.string()) });

/** @example { groupIds: ['sg-0quarantine'] } */
const changed = z.object({ groupIds: z.array(z.string()) });

/** The VPC security groups of the database (its cluster's, for Aurora) now. */
async function groupsOf(rds: RDSClient, clusterId: string | undefined, instanceGroups: readonly string[]): Promise<string[]> {
  if (!clusterId) return [...instanceGroups];
  const cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterId }))).DBClusters?.[0];
  return (cluster?.VpcSecurityGroups ?? []).flatMap((g) => (g.VpcSecurityGroupId ? [g.VpcSecurityGroupId] : []));
}

/** Gives the database (or its Aurora cluster) these VPC security groups, at once. */
async function setGroups(
  ctx: Pick<ActionContext, 'member'> | Pick<UndoContext, 'member'>,
  dbInstanceId: string,
  clusterId: string | undefined,
  groupIds: string[],
): Promise<void> {
  const rds = ctx.member(RDSClient);
  if (clusterId)
    await rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: clusterId, VpcSecurityGroupIds: groupIds, ApplyImmediately: true }));
  else
    await rds.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: dbInstanceId, VpcSecurityGroupIds: groupIds, ApplyImmediately: true }),
    );
}

/**
 * Moves the database (its Aurora cluster's groups, for Aurora) into its VPC's
 * quarantine group (no rule in or out), recording its groups. Only from a
 * custom action, never automatic (the `rds-login-activity` runbook's `when: { trigger: custom-action }` step): the
 * database's own applications lose it too. Sessions already open stay open
 * (a security group change does not end tracked connections, and RDS's
 * interfaces are AWS's: no allow-all hop): the outcome says so. Release puts
 * the groups back. GuardDuty's guide: "Remediating a potentially compromised
 * database" (restrict network access).
 */
export const isolateDatabase = defineAction({
  name: 'rds.isolate',
  summary: "Replace the database's VPC security groups with the VPC's quarantine group (groups recorded)",
  params: z.strictObject({}),
  target: 'database',
  disruptive: true,
  permissions: {
    member: [
      'rds:DescribeDBInstances',
      'rds:DescribeDBClusters',
      'rds:ModifyDBInstance',
      'rds:ModifyDBCluster',
      // The VPC's isolation groups are made by one module for instances, tasks and databases;
      // a database never needs the allow-all group (untrack=false), but the module can authorize it.
      ...QUARANTINE_GROUP_PERMISSIONS,
    ],
    home: [],
  },
  prior,
  changed,
  undo: {
    kind: 'restore',
    permissions: ['rds:DescribeDBInstances', 'rds:DescribeDBClusters', 'rds:ModifyDBInstance', 'rds:ModifyDBCluster'],
    async run(ctx, record, report) {
      const { dbInstanceId, clusterId, groupIds } = record.prior;
      const quarantine = record.changed.groupIds[0];
      const db = await describeDatabase(ctx, dbInstanceId);
      const instanceGroups = (db.VpcSecurityGroups ?? []).flatMap((g) => (g.VpcSecurityGroupId ? [g.VpcSecurityGroupId] : []));
      const current = await groupsOf(ctx.member(RDSClient), clusterId, instanceGroups);
      const subject = clusterId ?? dbInstanceId;
      if (current.length === groupIds.length && current.every((g) => groupIds.includes(g)))
        return [report.already(subject, `${subject} is already in its groups [${groupIds.join(', ')}]`)];
      if ((current.length !== 1 || current[0] !== quarantine) && !ctx.force)
        return [
          report.failed(
            subject,
            `${REFUSED} ${subject} is now in [${current.join(', ')}], not only cordon's quarantine ${quarantine}: rerun with --force`,
          ),
        ];
      if (ctx.dryRun) return [report.planned(subject, `would put ${subject} back in [${groupIds.join(', ')}]`)];
      await setGroups(ctx, dbInstanceId, clusterId, groupIds);
      return [
        report.done(subject, `put ${subject} back in [${groupIds.join(', ')}]`, { prior: { groupIds: current }, changed: { groupIds } }),
      ];
    },
  },
  async run(ctx, _params, report) {
    const db = await describeDatabase(ctx);
    const dbInstanceId = db.DBInstanceIdentifier as string;
    const clusterId = db.DBClusterIdentifier;
    const subject = clusterId ?? dbInstanceId;
    const vpc = db.DBSubnetGroup?.VpcId;
    if (!vpc) return [report.failed(subject, `${subject} is not in a VPC: no security group isolates it`)];
    const instanceGroups = (db.VpcSecurityGroups ?? []).flatMap((g) => (g.VpcSecurityGroupId ? [g.VpcSecurityGroupId] : []));
    const groupIds = await groupsOf(ctx.member(RDSClient), clusterId, instanceGroups);
    const residuals = { remains: ['database-connections' as const] };
    const recorded = { dbInstanceId, ...(clusterId ? { clusterId } : {}), groupIds };
    if (ctx.dryRun)
      return [
        report.planned(subject, `would move ${subject} from [${groupIds.join(', ')}] to ${QUARANTINE_GROUP_NAME} of ${vpc}`, {
          prior: recorded,
          ...residuals,
        }),
      ];
    const { quarantineId } = await ensureIsolationGroups(ctx.member(EC2Client), vpc, false);
    if (groupIds.length === 1 && groupIds[0] === quarantineId)
      return [report.already(subject, `${subject} is already in ${QUARANTINE_GROUP_NAME} (${quarantineId})`, residuals)];
    await setGroups(ctx, dbInstanceId, clusterId, [quarantineId]);
    return [
      report.done(
        subject,
        `moved ${subject} from [${groupIds.join(', ')}] to ${QUARANTINE_GROUP_NAME} (${quarantineId}): no new connection reaches it`,
        {
          prior: recorded,
          changed: { groupIds: [quarantineId] },
          ...residuals,
        },
      ),
    ];
  },
});
