import { CreateTagsCommand, DescribeInstanceAttributeCommand, EC2Client, ModifyInstanceAttributeCommand } from '@aws-sdk/client-ec2';
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

/**
 * Turns on termination (and stop) protection so the evidence survives, and
 * tags the instance with the finding id, type and time. Records the previous
 * protection settings for `release`.
 */
export const protectInstance = defineAction({
  name: 'ec2.protect',
  summary: 'Turn on termination and stop protection and tag the instance with the finding',
  params,
  target: 'instance',
  disruptive: false,
  permissions: { member: ['ec2:DescribeInstanceAttribute', 'ec2:ModifyInstanceAttribute', 'ec2:CreateTags'], home: [] },
  /**
   * Both protections as they were before cordon.
   * @example { disableApiTermination: false, disableApiStop: false }
   */
  prior: z.object({ disableApiTermination: z.boolean(), disableApiStop: z.boolean() }),
  /**
   * The protections cordon turned on (none when only the tags were added).
   * @example { disableApiTermination: true, disableApiStop: true }
   */
  changed: z.object({ disableApiTermination: z.boolean().optional(), disableApiStop: z.boolean().optional() }),
  undo: {
    kind: 'restore',
    permissions: ['ec2:DescribeInstanceAttribute', 'ec2:ModifyInstanceAttribute'],
    async run(ctx, record, report) {
      const instanceId = record.resource;
      const ec2 = ctx.member(EC2Client);
      const turnOff: Protection[] = [];
      for (const attribute of ['disableApiTermination', 'disableApiStop'] as const) {
        if (record.changed[attribute] !== true || record.prior[attribute] === true) continue;
        const now = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: attribute }));
        const on = attribute === 'disableApiTermination' ? now.DisableApiTermination?.Value : now.DisableApiStop?.Value;
        if (on) turnOff.push(attribute);
      }
      const label = (a: string): string => (a === 'disableApiTermination' ? 'termination protection' : 'stop protection');
      if (turnOff.length === 0)
        return [report.already(instanceId, 'protection is already as it was before cordon (tags kept as evidence)')];
      if (ctx.dryRun) return [report.planned(instanceId, `would turn off ${turnOff.map(label).join(', ')}`)];
      for (const attribute of turnOff) {
        const input =
          attribute === 'disableApiTermination' ? { DisableApiTermination: { Value: false } } : { DisableApiStop: { Value: false } };
        await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, ...input }));
      }
      return [
        report.done(instanceId, `turned off ${turnOff.map(label).join(', ')} as before cordon (tags kept as evidence)`, {
          changed: Object.fromEntries(turnOff.map((a) => [a, false])),
        }),
      ];
    },
  },
  async run(ctx, p, report) {
    const instanceId = ctx.finding.instance?.instanceId as string;
    const ec2 = ctx.member(EC2Client);
    const [termination, stop, instance] = await Promise.all([
      ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'disableApiTermination' })),
      p.stopProtection
        ? ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'disableApiStop' }))
        : undefined,
      ctx.instance(),
    ]);
    const wasTermination = termination.DisableApiTermination?.Value ?? false;
    const wasStop = stop?.DisableApiStop?.Value ?? false;
    const tagged = instance.Tags?.some((t) => t.Key === TAG_FINDING_ID && t.Value === ctx.finding.id) ?? false;
    const prior = { disableApiTermination: wasTermination, disableApiStop: wasStop };
    const needs: string[] = [];
    if (!wasTermination) needs.push('termination protection');
    if (p.stopProtection && !wasStop) needs.push('stop protection');
    if (!tagged) needs.push('finding tags');
    if (needs.length === 0) return [report.already(instanceId, 'already protected and tagged for this finding', { prior })];
    if (ctx.dryRun) return [report.planned(instanceId, `would turn on ${needs.join(', ')}`, { prior })];
    // Each change is recorded as soon as it is made: a failure later (tags) keeps the protection on record for release.
    const changed: Partial<Record<Protection, boolean>> = {};
    const made: string[] = [];
    const unsupported: string[] = [];
    const result = (): ActionOutcome =>
      report.done(
        instanceId,
        `turned on ${made.join(', ') || 'nothing'}${unsupported.length > 0 ? `; ${unsupported.join(', ')} not supported for this instance (a Spot instance?)` : ''}`,
        { prior, changed: { ...changed } },
      );
    const turnOn = async (attribute: Protection, label: string): Promise<void> => {
      const input =
        attribute === 'disableApiTermination' ? { DisableApiTermination: { Value: true } } : { DisableApiStop: { Value: true } };
      try {
        await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, ...input }));
      } catch (err) {
        // Spot instances support neither protection; the tags still matter.
        if ((err as Error).name !== 'UnsupportedOperation') throw err;
        unsupported.push(label);
        return;
      }
      changed[attribute] = true;
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
    // Three independent calls at once (ModifyInstanceAttribute takes one attribute per call).
    const settled = await Promise.allSettled([
      !wasTermination ? turnOn('disableApiTermination', 'termination protection') : undefined,
      p.stopProtection && !wasStop ? turnOn('disableApiStop', 'stop protection') : undefined,
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
