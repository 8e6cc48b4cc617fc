import {
  CreateTagsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  EC2Client,
  type Instance,
  ModifyInstanceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { z } from 'zod';
import { TAG_CONTAINED_AT, TAG_FINDING_ID, TAG_FINDING_TYPE } from '../types';
import { defineAction } from '../define';
import { PartialActionError, type ActionOutcome } from '../../outcome';

const params = z.strictObject({
  /** Also turn on stop protection. @default true */
  stopProtection: z.boolean().default(true),
});

/** The two protections, as DescribeInstanceAttribute and ModifyInstanceAttribute name them. */
type Protection = 'disableApiTermination' | 'disableApiStop';

/** What `shutdown` run on the instance does: `stop` (kept) or `terminate` (gone, with its evidence). */
const shutdownBehavior = z.enum(['stop', 'terminate']);

/** DeleteOnTermination by device name, for the instance's EBS volumes. */
const deleteOnTermination = z.record(z.string(), z.boolean());

/** The order the outcome names the changes in, whatever order the calls (made at once) ended in. */
const CHANGE_ORDER = ['termination protection', 'stop protection', 'shutdown behaviour stop', 'kept on termination', 'finding tags'];

function inOrder(labels: readonly string[]): string[] {
  const rank = (label: string): number => CHANGE_ORDER.findIndex((c) => label.includes(c));
  return [...labels].sort((a, b) => rank(a) - rank(b));
}

/** The EBS volumes of an instance that would be deleted with it, by device name. */
function deletedWithInstance(instance: Instance): string[] {
  return (instance.BlockDeviceMappings ?? []).flatMap((m) => (m.DeviceName && m.Ebs?.DeleteOnTermination === true ? [m.DeviceName] : []));
}

/**
 * Makes sure the evidence survives, whatever anyone does from inside the
 * instance or with the API: termination (and stop) protection only guard the
 * API, so an instance whose shutdown behaviour is `terminate` still terminates
 * itself with `shutdown -h now`, and its volumes marked DeleteOnTermination go
 * with it (EC2 User Guide, "Change the instance initiated shutdown behavior"
 * and "Preserve data when an instance is terminated"). So the shutdown
 * behaviour becomes `stop` and every attached EBS volume's DeleteOnTermination
 * false. Tags the instance with the finding id, type and time. Records every
 * prior value for `release`. GuardDuty's guide: "Remediating a potentially
 * compromised Amazon EC2 instance".
 */
export const protectInstance = defineAction({
  name: 'ec2.protect',
  summary: 'Termination and stop protection, shutdown behaviour stop, volumes kept on termination; tag the instance with the finding',
  params,
  target: 'instance',
  disruptive: false,
  runs: 'concurrent',
  permissions: { member: ['ec2:DescribeInstanceAttribute', 'ec2:ModifyInstanceAttribute', 'ec2:CreateTags'], home: [] },
  /**
   * Both protections, the shutdown behaviour and the volumes' DeleteOnTermination as they were before cordon
   * (the last two absent in records of older versions).
   * @example { disableApiTermination: false, disableApiStop: false, instanceInitiatedShutdownBehavior: 'terminate',
   *   deleteOnTermination: { '/dev/xvda': true, '/dev/sdf': false } }
   */
  prior: z.object({
    disableApiTermination: z.boolean(),
    disableApiStop: z.boolean(),
    instanceInitiatedShutdownBehavior: shutdownBehavior.optional(),
    deleteOnTermination: deleteOnTermination.optional(),
  }),
  /**
   * What cordon changed (none of the protections when only the tags were added).
   * @example { disableApiTermination: true, disableApiStop: true, instanceInitiatedShutdownBehavior: 'stop',
   *   deleteOnTermination: { '/dev/xvda': false } }
   */
  changed: z.object({
    disableApiTermination: z.boolean().optional(),
    disableApiStop: z.boolean().optional(),
    instanceInitiatedShutdownBehavior: z.literal('stop').optional(),
    deleteOnTermination: z.record(z.string(), z.literal(false)).optional(),
  }),
  undo: {
    kind: 'restore',
    permissions: ['ec2:DescribeInstanceAttribute', 'ec2:DescribeInstances', 'ec2:ModifyInstanceAttribute'],
    async run(ctx, record, report) {
      const instanceId = record.resource;
      const ec2 = ctx.member(EC2Client);
      const restore: Array<{ label: string; input: ConstructorParameters<typeof ModifyInstanceAttributeCommand>[0] }> = [];
      for (const attribute of ['disableApiTermination', 'disableApiStop'] as const) {
        if (record.changed[attribute] !== true || record.prior[attribute] === true) continue;
        const now = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: attribute }));
        const on = attribute === 'disableApiTermination' ? now.DisableApiTermination?.Value : now.DisableApiStop?.Value;
        if (!on) continue;
        restore.push(
          attribute === 'disableApiTermination'
            ? { label: 'termination protection off', input: { InstanceId: instanceId, DisableApiTermination: { Value: false } } }
            : { label: 'stop protection off', input: { InstanceId: instanceId, DisableApiStop: { Value: false } } },
        );
      }
      const behavior = record.prior.instanceInitiatedShutdownBehavior;
      if (record.changed.instanceInitiatedShutdownBehavior === 'stop' && behavior && behavior !== 'stop') {
        const now = await ec2.send(
          new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'instanceInitiatedShutdownBehavior' }),
        );
        // Someone else's later choice (not cordon's `stop`) is left alone.
        if (now.InstanceInitiatedShutdownBehavior?.Value === 'stop')
          restore.push({
            label: `shutdown behaviour ${behavior}`,
            input: { InstanceId: instanceId, Attribute: 'instanceInitiatedShutdownBehavior', Value: behavior },
          });
      }
      const devices = Object.keys(record.changed.deleteOnTermination ?? {}).filter((d) => record.prior.deleteOnTermination?.[d] === true);
      if (devices.length > 0) {
        // The instance's description, not DescribeInstanceAttribute blockDeviceMapping (which moto answers in another shape).
        const now = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]?.Instances?.[0];
        const still = devices.filter((d) =>
          now?.BlockDeviceMappings?.some((m) => m.DeviceName === d && m.Ebs?.DeleteOnTermination === false),
        );
        if (still.length > 0)
          restore.push({
            label: `DeleteOnTermination back on for ${still.join(', ')}`,
            input: {
              InstanceId: instanceId,
              BlockDeviceMappings: still.map((d) => ({ DeviceName: d, Ebs: { DeleteOnTermination: true } })),
            },
          });
      }
      if (restore.length === 0)
        return [report.already(instanceId, 'protection is already as it was before cordon (tags kept as evidence)')];
      const labels = restore.map((r) => r.label).join(', ');
      if (ctx.dryRun) return [report.planned(instanceId, `would restore ${labels}`)];
      // ModifyInstanceAttribute takes one attribute per call.
      for (const r of restore) await ec2.send(new ModifyInstanceAttributeCommand(r.input));
      return [report.done(instanceId, `restored ${labels} as before cordon (tags kept as evidence)`, { changed: { restored: labels } })];
    },
  },
  async run(ctx, p, report) {
    const instanceId = ctx.finding.instance?.instanceId as string;
    const ec2 = ctx.member(EC2Client);
    const attribute = (name: 'disableApiTermination' | 'disableApiStop' | 'instanceInitiatedShutdownBehavior') =>
      ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: name }));
    const [termination, stop, shutdown, instance] = await Promise.all([
      attribute('disableApiTermination'),
      p.stopProtection ? attribute('disableApiStop') : undefined,
      attribute('instanceInitiatedShutdownBehavior'),
      ctx.instance(),
    ]);
    const wasTermination = termination.DisableApiTermination?.Value ?? false;
    const wasStop = stop?.DisableApiStop?.Value ?? false;
    const wasBehavior = shutdownBehavior.safeParse(shutdown.InstanceInitiatedShutdownBehavior?.Value).data;
    const volumes = Object.fromEntries(
      (instance.BlockDeviceMappings ?? []).flatMap((m) =>
        m.DeviceName && m.Ebs ? [[m.DeviceName, m.Ebs.DeleteOnTermination === true]] : [],
      ),
    );
    const doomed = deletedWithInstance(instance);
    const tagged = instance.Tags?.some((t) => t.Key === TAG_FINDING_ID && t.Value === ctx.finding.id) ?? false;
    const prior = {
      disableApiTermination: wasTermination,
      disableApiStop: wasStop,
      ...(wasBehavior ? { instanceInitiatedShutdownBehavior: wasBehavior } : {}),
      deleteOnTermination: volumes,
    };
    const needs: string[] = [];
    if (!wasTermination) needs.push('termination protection');
    if (p.stopProtection && !wasStop) needs.push('stop protection');
    if (wasBehavior !== 'stop') needs.push('shutdown behaviour stop');
    if (doomed.length > 0) needs.push(`keep ${doomed.join(', ')} on termination`);
    if (!tagged) needs.push('finding tags');
    if (needs.length === 0) return [report.already(instanceId, 'already protected and tagged for this finding', { prior })];
    if (ctx.dryRun) return [report.planned(instanceId, `would turn on ${needs.join(', ')}`, { prior })];
    // Each change is recorded as soon as it is made: a failure later (tags) keeps the protection on record for release.
    const changed: {
      disableApiTermination?: boolean;
      disableApiStop?: boolean;
      instanceInitiatedShutdownBehavior?: 'stop';
      deleteOnTermination?: Record<string, false>;
    } = {};
    const made: string[] = [];
    const unsupported: string[] = [];
    const result = (): ActionOutcome =>
      report.done(
        instanceId,
        `turned on ${inOrder(made).join(', ') || 'nothing'}${unsupported.length > 0 ? `; ${inOrder(unsupported).join(', ')} not supported for this instance (a Spot instance?)` : ''}`,
        { prior, changed: { ...changed } },
      );
    const modify = async (
      label: string,
      input: Omit<ConstructorParameters<typeof ModifyInstanceAttributeCommand>[0], 'InstanceId'>,
      record: () => void,
    ): Promise<void> => {
      try {
        await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, ...input }));
      } catch (err) {
        // Spot instances support neither protection; the rest still matters.
        if ((err as Error).name !== 'UnsupportedOperation') throw err;
        unsupported.push(label);
        return;
      }
      record();
      made.push(label);
    };
    const tag = async (): Promise<void> => {
      await ec2.send(
        new CreateTagsCommand({
          Resources: [instanceId],
          Tags: [
            { Key: TAG_FINDING_ID, Value: ctx.finding.id },
            { Key: TAG_FINDING_TYPE, Value: ctx.finding.type },
            { Key: TAG_CONTAINED_AT, Value: ctx.now.toISOString() },
          ],
        }),
      );
      made.push('finding tags');
    };
    const turnOn = (attr: Protection, label: string): Promise<void> =>
      modify(
        label,
        attr === 'disableApiTermination' ? { DisableApiTermination: { Value: true } } : { DisableApiStop: { Value: true } },
        () => (changed[attr] = true),
      );
    // Independent calls at once (ModifyInstanceAttribute takes one attribute per call).
    const settled = await Promise.allSettled([
      !wasTermination ? turnOn('disableApiTermination', 'termination protection') : undefined,
      p.stopProtection && !wasStop ? turnOn('disableApiStop', 'stop protection') : undefined,
      wasBehavior !== 'stop'
        ? modify(
            'shutdown behaviour stop',
            { Attribute: 'instanceInitiatedShutdownBehavior', Value: 'stop' },
            () => (changed.instanceInitiatedShutdownBehavior = 'stop'),
          )
        : undefined,
      doomed.length > 0
        ? modify(
            `${doomed.join(', ')} kept on termination`,
            { BlockDeviceMappings: doomed.map((d) => ({ DeviceName: d, Ebs: { DeleteOnTermination: false } })) },
            () => (changed.deleteOnTermination = Object.fromEntries(doomed.map((d) => [d, false as const]))),
          )
        : undefined,
      !tagged ? tag() : undefined,
    ]);
    const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      if (made.length > 0) throw new PartialActionError([result()], failure.reason);
      throw failure.reason;
    }
    return [result()];
  },
});
