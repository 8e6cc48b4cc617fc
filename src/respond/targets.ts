/**
 * An attack sequence as a list of targets (pure): each resource it names is
 * contained on its own, by its type's actions, under its own lease and
 * counted by the circuit breaker as its own containment; their outcomes come
 * back together as the one execution of the sequence finding (one Security
 * Hub update).
 */
import { NO_SUBJECT, type FindingResource } from '../findings/finding';
import { openChannels, RESIDUAL_CHANNELS, type ActionOutcome } from '../outcome';
import { resourceLabel, type Execution } from './execute';
import type { ResolvedFinding } from './resolve';

/**
 * The findings to act on for one finding: itself, or for an attack sequence
 * one per resource cordon has actions for, each the sequence finding
 * narrowed to that resource (its subject, and that resource alone in
 * `resources`). Same id, ARN and decision: the audit trail keeps them together.
 */
export function targetsOf(r: ResolvedFinding): ResolvedFinding[] {
  if (r.finding.sequence === undefined) return [r];
  return r.finding.resources.flatMap((resource) =>
    resource.subject ? [{ ...r, finding: { ...r.finding, ...NO_SUBJECT, ...resource.subject, resources: [resource] } }] : [],
  );
}

/** The resources of an attack sequence cordon cannot contain, each as a skipped line of its result. */
export function uncontainedLines(r: ResolvedFinding): ActionOutcome[] {
  if (r.finding.sequence === undefined) return [];
  return r.finding.resources.flatMap((resource) =>
    resource.subject ? [] : [{ action: 'sequence', resource: resource.uid, status: 'skipped' as const, detail: uncontainedNote(resource) }],
  );
}

/** What an analyst must do about a resource cordon does not contain. */
function uncontainedNote(resource: Pick<FindingResource, 'type' | 'uid' | 'uncontained'>, why = resource.uncontained): string {
  return `${resource.type} ${resource.uid} is not contained (${why ?? 'no action applies'}): contain it by hand`;
}

/**
 * The one execution of an attack sequence from its targets' (pure). Every
 * target's lines, in order; a target that did not run (exempt, held by the
 * circuit breaker, released, failed screening) as one skipped line with the
 * reason. What stays open is worked out per target (a stopped task closes
 * nothing of an isolated instance) and named, with the resources not
 * contained. Nothing ran at all: the sequence is held, exempt or skipped as its targets were.
 */
export function mergeTargets(
  r: ResolvedFinding,
  targets: ReadonlyArray<{ readonly target: ResolvedFinding; readonly execution: Execution }>,
): Execution {
  const uncontained = uncontainedLines(r);
  const ran = targets.filter((t) => !notRun(t.execution));
  if (ran.length === 0 && uncontained.length === 0 && targets.length > 0) {
    const held = targets.find((t) => t.execution.heldReason)?.execution;
    return held ?? targets.find((t) => t.execution.exemptReason)?.execution ?? (targets[0] as (typeof targets)[number]).execution;
  }
  const outcomes: ActionOutcome[] = [];
  const remains = new Set<string>();
  for (const { target, execution } of targets) {
    const [resource] = target.finding.resources;
    const reason = notRun(execution);
    if (reason) {
      outcomes.push({ action: 'sequence', resource: resourceLabel(target.finding), status: 'skipped', detail: reason });
      if (resource) remains.add(uncontainedNote(resource, reason));
      continue;
    }
    const lines = execution.outcomes.length > 0 ? execution.outcomes : [noStepLine(target)];
    outcomes.push(...lines);
    if (execution.outcomes.length === 0 && resource)
      remains.add(uncontainedNote(resource, `no step of runbook ${r.decision.runbook?.name ?? ''} applies to it`));
    for (const c of openChannels(execution.outcomes)) remains.add(RESIDUAL_CHANNELS[c]);
  }
  for (const line of uncontained) remains.add(line.detail);
  return { exemptReason: undefined, outcomes: [...outcomes, ...uncontained], remains: [...remains] };
}

/** Why a target's execution did not run, if it did not. */
function notRun(execution: Execution): string | undefined {
  return execution.exemptReason ?? execution.heldReason ?? execution.skippedReason;
}

/** The line of a target no step of the runbook applies to. */
function noStepLine(target: ResolvedFinding): ActionOutcome {
  const [resource] = target.finding.resources;
  return {
    action: 'sequence',
    resource: resourceLabel(target.finding),
    status: 'skipped',
    detail: `no step of runbook ${target.decision.runbook?.name ?? ''} applies to ${resource?.type ?? 'this'} resources`,
  };
}
