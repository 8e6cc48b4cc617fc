import type { BuiltinAction } from '../../runbooks/custom-actions';
import type { ResponderDeps } from '../deps';
import type { ResolvedFinding } from '../resolve';
import type { Builtin, BuiltinRun } from './builtin';
import { falsePositive } from './false-positive';
import { release } from './release';

export type { BuiltinRun } from './builtin';

/** cordon's built-in custom actions, by the name the runbook decision gives them. */
const BUILTINS: Readonly<Record<BuiltinAction, Builtin>> = { falsePositive, release };

/**
 * Runs the built-in custom actions analysts chose for these findings (the
 * others are left out), all at once so that archives share ArchiveFindings
 * calls; the records they return go to the audit trail in one append (none in a dry run).
 */
export async function runBuiltins(findings: readonly ResolvedFinding[], deps: ResponderDeps): Promise<Map<ResolvedFinding, BuiltinRun>> {
  const stamp = { at: deps.now().toISOString(), by: deps.actor };
  const chosen = findings.flatMap((r) => (r.decision.builtin ? [{ r, builtin: BUILTINS[r.decision.builtin] }] : []));
  // An analyst's pick (a custom action event holds at most 100 findings); False positive's archives must reach
  // the archiver together to share ArchiveFindings calls (50 ids each), which a limiter would split.
  // eslint-disable-next-line cordon/no-unbounded-fan-out -- bounded by the event, batched by the archiver
  const runs = await Promise.all(chosen.map(async ({ r, builtin }) => [r, await builtin(r.finding, deps, stamp)] as const));
  if (!deps.dryRun) await deps.audit.append(runs.flatMap(([, run]) => run.records));
  return new Map(runs);
}
