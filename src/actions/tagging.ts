/**
 * Tagging a resource with the finding (its id, type and the time cordon
 * acted): evidence that survives in the resource itself, made once for each
 * kind of resource by `defineTagAction` (Lambda functions, ECS tasks, EKS
 * clusters, recovery points), each with its own service's tag calls.
 */
import { z } from 'zod';
import type { Finding } from '../findings/finding';
import type { ActionOutcome } from '../outcome';
import { defineAction, type Residuals } from './define';
import { TAG_CONTAINED_AT, TAG_FINDING_ID, TAG_FINDING_TYPE, type ActionContext, type ActionDefinition, type ActionTarget } from './types';

/** The tags cordon writes for a finding, by key. */
export function findingTags(finding: Pick<Finding, 'id' | 'type'>, now: Date): Record<string, string> {
  return { [TAG_FINDING_ID]: finding.id, [TAG_FINDING_TYPE]: finding.type, [TAG_CONTAINED_AT]: now.toISOString() };
}

/**
 * The values cordon's tag keys had before (null: absent).
 * @example { tags: { 'cordon:finding-id': null, 'cordon:finding-type': null, 'cordon:contained-at': null } }
 */
const prior = z.object({ tags: z.record(z.string(), z.string().nullable()) });

/**
 * The tags cordon wrote.
 * @example { tags: { 'cordon:finding-id': '5eb0…', 'cordon:finding-type': 'Backdoor:Lambda/C&CActivity.B',
 *   'cordon:contained-at': '2026-11-24T10:00:00.000Z' } }
 */
const changed = z.object({ tags: z.record(z.string(), z.string()) });

/** One resource a tag action tags: its id (for outcome lines) and the ARN its service's tag calls take. */
export interface TaggedResource {
  readonly id: string;
  readonly arn: string;
}

/** How one kind of resource is tagged. */
export interface TagActionSpec {
  readonly name: string;
  readonly summary: string;
  readonly target: ActionTarget;
  /** The service's read and write of tags, e.g. `lambda:ListTags`, `lambda:TagResource`. */
  readonly permissions: readonly string[];
  /** The resource of the finding to tag (undefined: none; the action is then skipped). */
  resourceOf(ctx: ActionContext): Promise<TaggedResource | undefined> | TaggedResource | undefined;
  /** Its tags now. */
  read(ctx: ActionContext, arn: string): Promise<Readonly<Record<string, string>>>;
  /** Adds or overwrites these tags (never removes another). */
  write(ctx: ActionContext, arn: string, tags: Readonly<Record<string, string>>): Promise<void>;
  /** What tagging this finding's resource leaves open (evidence closes nothing; a note may belong here). */
  residuals?(finding: Finding): Residuals;
}

/**
 * A tag action: idempotent (a resource already tagged with this finding
 * says `already`), dry-run aware, recording the values it overwrote; release
 * keeps the tags (evidence). Not disruptive: nothing stops.
 */
export function defineTagAction(
  spec: TagActionSpec,
): ActionDefinition<Record<string, never>, z.output<typeof prior>, z.output<typeof changed>> {
  return defineAction({
    name: spec.name,
    summary: spec.summary,
    params: z.strictObject({}),
    target: spec.target,
    disruptive: false,
    permissions: { member: [...spec.permissions], home: [] },
    prior,
    changed,
    undo: { kind: 'keep', reason: 'tags are kept as evidence' },
    async run(ctx, _params, report): Promise<ActionOutcome[]> {
      const residuals = spec.residuals?.(ctx.finding) ?? {};
      const resource = await spec.resourceOf(ctx);
      if (!resource) return [report.skipped('', 'finding names nothing to tag', residuals)];
      const current = await spec.read(ctx, resource.arn);
      if (current[TAG_FINDING_ID] === ctx.finding.id)
        return [report.already(resource.id, `${resource.id} is already tagged with this finding`, residuals)];
      const tags = findingTags(ctx.finding, ctx.now);
      const before = { tags: Object.fromEntries(Object.keys(tags).map((k) => [k, current[k] ?? null])) };
      if (ctx.dryRun)
        return [
          report.planned(resource.id, `would tag ${resource.id} with the finding id, type and time`, { prior: before, ...residuals }),
        ];
      await spec.write(ctx, resource.arn, tags);
      return [
        report.done(resource.id, `tagged ${resource.id} with the finding id, type and time`, {
          prior: before,
          changed: { tags },
          ...residuals,
        }),
      ];
    },
  });
}
