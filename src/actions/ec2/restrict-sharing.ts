/**
 * Unsharing a malicious EBS snapshot or AMI (Malware Protection for Backup
 * findings) and tagging it with the finding, evidence-only: the artefact is
 * kept, no instance is touched. One implementation for both: only the EC2
 * attribute calls differ (`createVolumePermission` of a snapshot,
 * `launchPermission` of an image).
 */
import { CreateTagsCommand, DescribeTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import type { ActionOutcome } from '../../outcome';
import { defineAction } from '../define';
import { findingTags } from '../tagging';
import { TAG_FINDING_ID, type ActionContext, type ActionDefinition, type ActionTarget, type UndoContext } from '../types';

/** One grant of a snapshot's or image's sharing: an account, `all` (public), an organization or an OU. */
const grant = z.object({
  userId: z.string().optional(),
  group: z.string().optional(),
  organizationArn: z.string().optional(),
  organizationalUnitArn: z.string().optional(),
});

/** A sharing grant, as recorded. */
export type Grant = z.output<typeof grant>;

/**
 * Who could use the artefact before (empty: it was not shared).
 * @example { id: 'snap-0abc', grants: [{ userId: '444455556666' }, { group: 'all' }] }
 */
const prior = z.object({ id: z.string(), grants: z.array(grant) });

/** @example { removed: [{ userId: '444455556666' }, { group: 'all' }] } */
const changed = z.object({ removed: z.array(grant) });

/** The EC2 calls of one kind of artefact. */
export interface SharingSpec {
  readonly name: string;
  readonly summary: string;
  readonly target: ActionTarget;
  /** What the artefact is, for messages (`snapshot`, `AMI`) and what sharing means for it (`create volumes from`, `launch`). */
  readonly noun: string;
  readonly verb: string;
  /** IAM actions of `read` and `remove`; of `add` (release). */
  readonly permissions: readonly string[];
  readonly undoPermissions: readonly string[];
  read(ec2: EC2Client, id: string): Promise<Grant[]>;
  remove(ec2: EC2Client, id: string, grants: readonly Grant[]): Promise<void>;
  add(ec2: EC2Client, id: string, grants: readonly Grant[]): Promise<void>;
}

/** `444455556666, all` */
function said(grants: readonly Grant[]): string {
  return grants.map((g) => g.userId ?? g.group ?? g.organizationArn ?? g.organizationalUnitArn ?? '?').join(', ');
}

/** True when the artefact already carries this finding's tag. */
async function tagged(ec2: EC2Client, id: string, findingId: string): Promise<boolean> {
  const out = await ec2.send(
    new DescribeTagsCommand({
      Filters: [
        { Name: 'resource-id', Values: [id] },
        { Name: 'key', Values: [TAG_FINDING_ID] },
      ],
    }),
  );
  return (out.Tags ?? []).some((t) => t.Value === findingId);
}

/**
 * An action that removes every sharing grant of the finding's artefact
 * (GuardDuty's guides for a malicious EBS snapshot and AMI: restrict access,
 * remove the sharing permissions) and tags it with the finding; the grants it
 * removed are recorded and release grants them again. Not disruptive: no
 * running workload uses a sharing grant.
 */
export function defineSharingRestriction(
  spec: SharingSpec,
): ActionDefinition<Record<string, never>, z.output<typeof prior>, z.output<typeof changed>> {
  return defineAction({
    name: spec.name,
    summary: spec.summary,
    params: z.strictObject({}),
    target: spec.target,
    disruptive: false,
    permissions: { member: [...spec.permissions, 'ec2:DescribeTags', 'ec2:CreateTags'], home: [] },
    prior,
    changed,
    undo: {
      kind: 'restore',
      permissions: [...spec.undoPermissions],
      async run(ctx: UndoContext, record, report) {
        const { id, grants } = record.prior;
        const ec2 = ctx.member(EC2Client);
        const now = await spec.read(ec2, id);
        const missing = grants.filter((g) => !now.some((n) => said([n]) === said([g])));
        if (missing.length === 0) return [report.already(id, `${id} is shared again with ${said(grants)}`)];
        if (ctx.dryRun) return [report.planned(id, `would share ${id} again with ${said(missing)}`)];
        await spec.add(ec2, id, missing);
        return [report.done(id, `shared ${id} again with ${said(missing)}`, { prior: { grants: now }, changed: { added: missing } })];
      },
    },
    async run(ctx: ActionContext, _params, report): Promise<ActionOutcome[]> {
      const id = ctx.finding.backup?.id as string;
      const ec2 = ctx.member(EC2Client);
      const [grants, isTagged] = await Promise.all([spec.read(ec2, id), tagged(ec2, id, ctx.finding.id)]);
      if (grants.length === 0 && isTagged) return [report.already(id, `${id} is shared with no one and tagged with this finding`)];
      const unshare =
        grants.length > 0
          ? `stop sharing ${id} (no one may ${spec.verb} it but its account: ${said(grants)} could)`
          : `${id} is shared with no one`;
      if (ctx.dryRun) return [report.planned(id, `would ${unshare}; tag it with the finding`, { prior: { id, grants } })];
      if (grants.length > 0) await spec.remove(ec2, id, grants);
      const Tags = Object.entries(findingTags(ctx.finding, ctx.now)).map(([Key, Value]) => ({ Key, Value }));
      await ec2.send(new CreateTagsCommand({ Resources: [id], Tags }));
      const done =
        grants.length > 0 ? `stopped sharing ${spec.noun} ${id} with ${said(grants)}` : `${spec.noun} ${id} was shared with no one`;
      return [
        report.done(id, `${done}; tagged it with the finding (the ${spec.noun} is kept as evidence)`, {
          prior: { id, grants },
          changed: { removed: grants },
        }),
      ];
    },
  });
}
