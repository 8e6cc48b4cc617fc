import { CreateSnapshotCommand, DescribeSnapshotsCommand, EC2Client, type Instance, type Snapshot } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { CordonError, describeError } from '../../errors';
import { TAG_FINDING_ID, TAG_FINDING_TYPE, type ActionContext } from '../types';
import { defineAction } from '../define';
import { PartialActionError, type ActionOutcome } from '../../outcome';

const params = z.strictObject({});

/**
 * The snapshot taken of a volume (its id as CreateSnapshot returned it).
 * @example { snapshotId: 'snap-0123456789abcdef0' }
 */
const changed = z.object({ snapshotId: z.string().optional() });

/** The instance's attached EBS volumes. */
function volumesOf(instance: Instance): Array<{ volumeId: string; device: string }> {
  return (instance.BlockDeviceMappings ?? []).flatMap((m) =>
    m.Ebs?.VolumeId ? [{ volumeId: m.Ebs.VolumeId, device: m.DeviceName ?? '' }] : [],
  );
}

/**
 * The snapshots of the instance's volumes already tagged with this finding
 * (an earlier delivery's, or taken outside this audit trail's knowledge),
 * looked up once per context: while the finding is screened, a snapshot of
 * this finding can only be taken by another delivery, which then records it
 * and makes the responder read afresh under the lease.
 */
function takenSnapshots(ctx: ActionContext): Promise<Snapshot[]> {
  // By the finding's tag alone (the caller keeps the instance's volumes): the lookup needs no description first.
  return ctx.lookup('ec2.snapshot:taken', async () => {
    const out = await ctx
      .member(EC2Client)
      .send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: `tag:${TAG_FINDING_ID}`, Values: [ctx.finding.id] }] }));
    return out.Snapshots ?? [];
  });
}

/**
 * A CreateSnapshot command that calls `onSent` once it is signed and handed
 * to the HTTP handler (its last middleware, below the SDK's retries): the
 * snapshot's point in time is set when EC2 receives it, so a network move may
 * start from then on. `attempts` counts what the SDK sent: above 1, the first
 * request was refused (throttled, a server error) and the snapshot's point in
 * time is a later attempt's.
 */
function signalWhenSent(command: CreateSnapshotCommand, onSent: () => void): { command: CreateSnapshotCommand; attempts: () => number } {
  let attempts = 0;
  command.middlewareStack.add(
    (next) => async (args) => {
      attempts += 1;
      // Once: a retried attempt is the same snapshot.
      if (attempts === 1) onSent();
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'cordonEvidenceRequested' },
  );
  return { command, attempts: () => attempts };
}

/**
 * Snapshots every EBS volume attached to the instance, tagged with the finding,
 * before anything else changes it. A snapshot already tagged with this finding
 * for a volume, or recorded in the audit trail for it, is reused, so a finding
 * delivered twice never doubles evidence.
 */
export const snapshotVolumes = defineAction({
  name: 'ec2.snapshot',
  summary: 'Snapshot every attached EBS volume for forensics, tagged with the finding id',
  params,
  target: 'instance',
  disruptive: false,
  runs: 'evidence',
  permissions: { member: ['ec2:DescribeInstances', 'ec2:DescribeSnapshots', 'ec2:CreateSnapshot', 'ec2:CreateTags'], home: [] },
  /** Nothing: a snapshot replaces no state. */
  prior: z.undefined(),
  changed,
  undo: { kind: 'keep', reason: 'snapshots are kept as evidence' },
  prefetch(ctx) {
    // Answered when run awaits it; a failure then is run's to report.
    takenSnapshots(ctx).catch(() => undefined);
  },
  async run(ctx, _params, report) {
    const { finding } = ctx;
    const instance = await ctx.instance();
    const volumes = volumesOf(instance);
    if (volumes.length === 0) return [report.skipped(finding.instance?.instanceId ?? '', 'instance has no EBS volume')];
    const ec2 = ctx.member(EC2Client);
    // Two sources, read together: EC2's tags (a snapshot taken outside this
    // audit trail's knowledge) and the audit trail (DescribeSnapshots is
    // eventually consistent: a snapshot of a moment ago may not be listed yet).
    const [tagged, history] = await Promise.all([takenSnapshots(ctx), ctx.history()]);
    const snapshots = tagged.filter((s) => volumes.some((v) => v.volumeId === s.VolumeId));
    const audited = new Map<string, string>();
    for (const r of history) {
      const snapshotId = changed.safeParse(r.changed).data?.snapshotId;
      if (r.action === report.action && r.status === 'done' && snapshotId !== undefined) audited.set(r.resource, snapshotId);
    }
    const results: ActionOutcome[] = [];
    const toTake: Array<{ volumeId: string; device: string }> = [];
    for (const { volumeId, device } of volumes) {
      const prior = snapshots.find((s) => s.VolumeId === volumeId)?.SnapshotId ?? audited.get(volumeId);
      if (prior)
        results.push(report.already(volumeId, `snapshot ${prior} already taken for this finding`, { changed: { snapshotId: prior } }));
      else if (ctx.dryRun) results.push(report.planned(volumeId, `would snapshot ${volumeId} (${device}) of ${instance.InstanceId}`));
      else toTake.push({ volumeId, device });
    }
    // Isolation may start once every snapshot still to take is on its way (all of them, when none is left to take).
    let unsent = toTake.length;
    const sent = (): void => {
      unsent -= 1;
      if (unsent === 0) ctx.evidenceRequested();
    };
    if (unsent === 0) ctx.evidenceRequested();
    // All volumes at once: each snapshot is point-in-time when EC2 receives its call, so they are taken as close together as possible.
    const requests = toTake.map(({ volumeId, device }) =>
      signalWhenSent(
        new CreateSnapshotCommand({
          VolumeId: volumeId,
          Description:
            `cordon forensic snapshot of ${volumeId} (${device}) of ${instance.InstanceId} for GuardDuty finding ${finding.id}`.slice(
              0,
              255,
            ),
          TagSpecifications: [
            {
              ResourceType: 'snapshot',
              Tags: [
                { Key: TAG_FINDING_ID, Value: finding.id },
                { Key: TAG_FINDING_TYPE, Value: finding.type },
                { Key: 'cordon:instance-id', Value: instance.InstanceId ?? '' },
              ],
            },
          ],
        }),
        sent,
      ),
    );
    // eslint-disable-next-line cordon/no-unbounded-fan-out -- an instance has at most a few dozen attached volumes (its type's attachment limit)
    const taken = await Promise.allSettled(requests.map((r) => ec2.send(r.command)));
    let failure: unknown;
    taken.forEach((t, i) => {
      const volumeId = toTake[i]?.volumeId as string;
      // The SDK sent it again (a throttled or failed first attempt): isolation started on the first attempt, so this
      // snapshot's point in time, the later attempt's, may come after the first interface move.
      const again = requests[i]?.attempts() ?? 1;
      const late =
        again > 1 ? ` (on attempt ${again}: the first request was refused, so its point in time may come after isolation began)` : '';
      if (t.status === 'fulfilled')
        results.push(
          report.done(volumeId, `snapshot ${t.value.SnapshotId} started${late}`, { changed: { snapshotId: t.value.SnapshotId } }),
        );
      else failure ??= new CordonError(`snapshot of ${volumeId} failed: ${describeError(t.reason)}`, { cause: t.reason });
    });
    if (failure !== undefined) {
      if (results.length > 0) throw new PartialActionError(results, failure);
      throw failure;
    }
    return results;
  },
});
