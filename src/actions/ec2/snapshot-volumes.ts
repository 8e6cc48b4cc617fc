import {
  CreateSnapshotCommand,
  CreateSnapshotsCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  type Instance,
  type Snapshot,
  type TagSpecification,
} from '@aws-sdk/client-ec2';
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
 * (an earlier delivery's whose record is missing: it stopped between the
 * snapshot and its record), looked up once per context.
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
 * A CreateSnapshots command that calls `onSent` once it is signed and handed
 * to the HTTP handler (its last middleware, below the SDK's retries): the
 * snapshot's point in time is set when EC2 receives it, so a network move may
 * start from then on. `attempts` counts what the SDK sent: above 1, the first
 * request was refused (throttled, a server error) and the snapshot's point in
 * time is a later attempt's.
 */
function signalWhenSent(command: CreateSnapshotsCommand, onSent: () => void): { command: CreateSnapshotsCommand; attempts: () => number } {
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

/** What a late attempt means for a snapshot's point in time, said in its outcome. */
function lateness(attempts: number): string {
  // The SDK sent it again (a throttled or failed first attempt): isolation started on the first attempt, so the
  // snapshot's point in time, the later attempt's, may come after the first interface move.
  return attempts > 1
    ? ` (on attempt ${attempts}: the first request was refused, so its point in time may come after isolation began)`
    : '';
}

/**
 * Snapshots every EBS volume attached to the instance, tagged with the finding,
 * before anything else changes it: one CreateSnapshots, so the volumes' snapshots
 * are crash-consistent with each other. A snapshot recorded in the audit trail
 * for a volume is reused, so a finding delivered twice never doubles evidence;
 * so is one tagged with this finding, looked for in EC2 only when the history
 * may lack a record (`historyComplete` false: no lease, or a lease whose holder
 * stopped without giving it back). A first delivery under a clean lease asks EC2
 * nothing, and a snapshot someone else tagged with the finding id is not taken
 * for cordon's own evidence.
 */
export const snapshotVolumes = defineAction({
  name: 'ec2.snapshot',
  summary: 'Snapshot every attached EBS volume for forensics (one crash-consistent set), tagged with the finding id',
  params,
  target: 'instance',
  disruptive: false,
  runs: 'evidence',
  permissions: {
    member: ['ec2:DescribeInstances', 'ec2:DescribeSnapshots', 'ec2:CreateSnapshots', 'ec2:CreateSnapshot', 'ec2:CreateTags'],
    home: [],
  },
  /** Nothing: a snapshot replaces no state. */
  prior: z.undefined(),
  changed,
  undo: { kind: 'keep', reason: 'snapshots are kept as evidence' },
  async run(ctx, _params, report) {
    const { finding } = ctx;
    const instance = await ctx.instance();
    const volumes = volumesOf(instance);
    if (volumes.length === 0) return [report.skipped(finding.instance?.instanceId ?? '', 'instance has no EBS volume')];
    const ec2 = ctx.member(EC2Client);
    // The audit trail (DescribeSnapshots is eventually consistent: a snapshot of a moment ago may not be listed yet),
    // and EC2's tags when the trail may lack a record (read together).
    const [tagged, history] = await Promise.all([ctx.historyComplete ? [] : takenSnapshots(ctx), ctx.history()]);
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
    if (toTake.length === 0) {
      // Isolation may start at once: nothing is left to take.
      ctx.evidenceRequested();
      return results;
    }
    const instanceId = instance.InstanceId as string;
    const tags: TagSpecification[] = [
      {
        ResourceType: 'snapshot',
        Tags: [
          { Key: TAG_FINDING_ID, Value: finding.id },
          { Key: TAG_FINDING_TYPE, Value: finding.type },
          { Key: 'cordon:instance-id', Value: instanceId },
        ],
      },
    ];
    // One crash-consistent set of every volume still to take, in one call: each snapshot's point in time is the same
    // instant, when EC2 receives it (EC2 User Guide, "Create multi-volume snapshots"). Volumes already taken for this
    // finding are left out, the boot volume by its own flag (EC2 refuses its id among the data volumes).
    const done = volumes.filter((v) => !toTake.some((t) => t.volumeId === v.volumeId));
    const request = signalWhenSent(
      new CreateSnapshotsCommand({
        InstanceSpecification: {
          InstanceId: instanceId,
          ...(done.some((v) => v.device === instance.RootDeviceName) ? { ExcludeBootVolume: true } : {}),
          ...(done.some((v) => v.device !== instance.RootDeviceName)
            ? { ExcludeDataVolumeIds: done.filter((v) => v.device !== instance.RootDeviceName).map((v) => v.volumeId) }
            : {}),
        },
        Description: `cordon forensic snapshot of ${instanceId} for GuardDuty finding ${finding.id}`.slice(0, 255),
        TagSpecifications: tags,
      }),
      () => ctx.evidenceRequested(),
    );
    let set: Snapshot[];
    try {
      set = (await ec2.send(request.command)).Snapshots ?? [];
    } catch (err) {
      throw new CordonError(`snapshot of the volumes of ${instanceId} failed: ${describeError(err)}`, { cause: err });
    }
    const late = lateness(request.attempts());
    for (const snapshot of set)
      if (snapshot.VolumeId && snapshot.SnapshotId)
        results.push(
          report.done(snapshot.VolumeId, `snapshot ${snapshot.SnapshotId} started${late}`, {
            changed: { snapshotId: snapshot.SnapshotId },
          }),
        );
    // A described volume missing from the set was not attached when it was taken (CreateSnapshots takes every attached
    // EBS volume not excluded): snapshotted on its own, after it.
    const missed = toTake.filter((v) => !set.some((s) => s.VolumeId === v.volumeId));
    // eslint-disable-next-line cordon/no-unbounded-fan-out -- an instance has at most a few dozen attached volumes (its type's attachment limit)
    const alone = await Promise.allSettled(
      missed.map(({ volumeId, device }) =>
        ec2.send(
          new CreateSnapshotCommand({
            VolumeId: volumeId,
            Description: `cordon forensic snapshot of ${volumeId} (${device}) of ${instanceId} for GuardDuty finding ${finding.id}`.slice(
              0,
              255,
            ),
            TagSpecifications: tags,
          }),
        ),
      ),
    );
    let failure: unknown;
    alone.forEach((t, i) => {
      const volumeId = missed[i]?.volumeId as string;
      if (t.status === 'fulfilled')
        results.push(
          report.done(
            volumeId,
            `snapshot ${t.value.SnapshotId} started on its own, after the set: ${volumeId} was no longer attached to ${instanceId} when the set was taken, so it is not crash-consistent with the others`,
            {
              changed: { snapshotId: t.value.SnapshotId },
            },
          ),
        );
      else failure ??= new CordonError(`snapshot of ${volumeId} failed: ${describeError(t.reason)}`, { cause: t.reason });
    });
    if (failure !== undefined) throw new PartialActionError(results, failure);
    return results;
  },
});
