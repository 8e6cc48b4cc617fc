import {
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { z } from 'zod';
import { defineAction } from '../define';
import { findingTags } from '../tagging';
import { describeDatabase } from './database';

/**
 * The manual snapshot taken (of the instance, or of its Aurora cluster).
 * @example { snapshotId: 'cordon-5eb0…-orders-db', of: 'cluster' }
 */
const changed = z.object({ snapshotId: z.string(), of: z.enum(['instance', 'cluster']) });

/** RDS's limit on a snapshot identifier: 1-255 letters, digits and hyphens, first a letter, no `--`, no final `-`. */
const MAX_SNAPSHOT_ID = 255;

/** The snapshot's identifier, the same for every delivery of the finding (so a second one finds it). */
export function snapshotIdentifier(findingId: string, source: string): string {
  const id = `cordon-${findingId}-${source}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-');
  return id.slice(0, MAX_SNAPSHOT_ID).replace(/-+$/, '');
}

/** True when an error says the snapshot does not exist. */
function notFound(err: unknown): boolean {
  return ['DBSnapshotNotFoundFault', 'DBSnapshotNotFound', 'DBClusterSnapshotNotFoundFault', 'DBClusterSnapshotNotFound'].includes(
    (err as Error).name,
  );
}

/**
 * Takes a manual snapshot of the database, tagged with the finding, before
 * anything else: of the instance, or of its Aurora cluster (an Aurora
 * instance has no snapshot of its own). Its identifier derives from the
 * finding, so a second delivery finds it (`already`) and never doubles it.
 * Kept by release (evidence). GuardDuty's guide: "Remediating a potentially
 * compromised database" (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-remediate-compromised-database-rds.html:
 * assess the impact, review what was accessed).
 */
export const snapshotDatabase = defineAction({
  name: 'rds.snapshot',
  summary: 'Take a manual snapshot of the database (or its Aurora cluster), tagged with the finding id',
  params: z.strictObject({}),
  target: 'database',
  disruptive: false,
  permissions: {
    member: [
      'rds:DescribeDBInstances',
      'rds:DescribeDBSnapshots',
      'rds:DescribeDBClusterSnapshots',
      'rds:CreateDBSnapshot',
      'rds:CreateDBClusterSnapshot',
      'rds:AddTagsToResource',
    ],
    home: [],
  },
  /** Nothing: a snapshot replaces no state. */
  prior: z.undefined(),
  changed,
  undo: { kind: 'keep', reason: 'snapshots are kept as evidence' },
  async run(ctx, _params, report) {
    const db = await describeDatabase(ctx);
    const rds = ctx.member(RDSClient);
    const cluster = db.DBClusterIdentifier;
    const source = cluster ?? (db.DBInstanceIdentifier as string);
    const of = cluster ? ('cluster' as const) : ('instance' as const);
    const snapshotId = snapshotIdentifier(ctx.finding.id, source);
    const made = { snapshotId, of };
    try {
      const existing = cluster
        ? (await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: snapshotId }))).DBClusterSnapshots?.[0]
            ?.Status
        : (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshotId }))).DBSnapshots?.[0]?.Status;
      if (existing)
        return [
          report.already(source, `snapshot ${snapshotId} of ${of} ${source} already taken for this finding (${existing})`, {
            changed: made,
          }),
        ];
    } catch (err) {
      if (!notFound(err)) throw err;
    }
    if (ctx.dryRun) return [report.planned(source, `would take snapshot ${snapshotId} of ${of} ${source}`)];
    // Tags as RDS takes them (the Create call tags it, with rds:AddTagsToResource).
    const Tags = Object.entries(findingTags(ctx.finding, ctx.now)).map(([Key, Value]) => ({ Key, Value }));
    try {
      if (cluster)
        await rds.send(new CreateDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: snapshotId, DBClusterIdentifier: cluster, Tags }));
      else await rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: snapshotId, DBInstanceIdentifier: source, Tags }));
    } catch (err) {
      // Another delivery took it a moment ago.
      if ((err as Error).name.startsWith('DBSnapshotAlreadyExists') || (err as Error).name.startsWith('DBClusterSnapshotAlreadyExists'))
        return [report.already(source, `snapshot ${snapshotId} of ${of} ${source} already taken for this finding`, { changed: made })];
      throw err;
    }
    return [report.done(source, `snapshot ${snapshotId} of ${of} ${source} started`, { changed: made })];
  },
});
