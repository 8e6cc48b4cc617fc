import type { ParsedItem } from '../findings/parse';
import type { UpdateResult } from '../securityhub/writer';
import { act } from './act';
import { recordAudit } from './audit-records';
import { runBuiltins } from './builtins';
import type { ResponderDeps } from './deps';
import { organizationPaths } from './exemptions';
import { shareIndicators } from './indicators';
import { resolve, type ResolvedFinding } from './resolve';
import type { FindingResult } from './result';
import { securityHubResult, shapeAll, type Shaped } from './shape';

export type { ResponderDeps } from './deps';

/**
 * The pipeline: parsed input → Finding → runbook decision → (exemption
 * screen, circuit admission, leases) → execution in the member account →
 * audit record → Security Hub update → notification. Results come back in input order, one per finding.
 */
export async function respond(items: readonly ParsedItem[], base: ResponderDeps): Promise<FindingResult[]> {
  // Leases are given back in the background (off the critical path), and all of them before this returns.
  const releases: Array<Promise<void>> = [];
  const deps: ResponderDeps = {
    ...base,
    leases: { ...base.leases, deferRelease: (p) => releases.push(p) },
    // Each account's OUs are read once per run (only when exemptOus is set).
    organizationPaths: base.organizationPaths ?? organizationPaths(base.clients),
  };
  try {
    return await respondTo(items, deps);
  } finally {
    // eslint-disable-next-line cordon/no-unbounded-fan-out -- waits for calls already under way; starts none
    await Promise.all(releases);
  }
}

async function respondTo(items: readonly ParsedItem[], deps: ResponderDeps): Promise<FindingResult[]> {
  // Event → Finding → runbook decision.
  const resolved = await resolve(items, deps);
  const findings = resolved.filter((r): r is ResolvedFinding => r.kind === 'finding');
  // An analyst's built-in custom action (False positive, Release) instead of a runbook.
  const builtins = await runBuiltins(findings, deps);
  // Exemption screen → circuit admission → leases → execution → audit record, resource by resource.
  const acting = findings.filter((r) => r.decision.decision === 'act' && !r.decision.builtin);
  const { executions, audited } = await act(acting, deps);
  const actedAt = deps.now();
  // The indicators of what was acted on → cordon's threat list: one ledger change and one update per region for the batch (audited there).
  const shared = await shareIndicators(acting, executions, deps);
  const shaped = shapeAll(resolved, builtins, shared);
  // What acted was audited as each resource finished; the rest (skips, holds, exemptions) now. Built-ins audit themselves.
  const unrecorded = findings.filter((r) => !r.decision.builtin && !audited.has(r));
  await recordAudit(
    unrecorded.map((r) => ({ resolved: r, execution: executions.get(r) })),
    deps,
  );
  // Security Hub update.
  const written = await writeSecurityHub(shaped, deps);
  reportHeld(shaped, deps);
  const results = shaped.map((s) => ({ ...s.result, securityHub: securityHubResult(s, written, deps.dryRun) }));
  // Notification: one event per finding contained, held or failed on.
  await deps.notifier?.notify(results);
  deps.onResults?.(
    results.map((result, i) => {
      const r = resolved[i];
      return { result, findingUpdatedAt: r?.kind === 'finding' ? r.finding.updatedAt : undefined, actedAt };
    }),
  );
  return results;
}

/** One write for the whole batch (the writer groups identical updates, ≤ 100 findings a call); none in a dry run. */
async function writeSecurityHub(shaped: readonly Shaped[], deps: ResponderDeps): Promise<ReadonlyMap<string, UpdateResult>> {
  if (deps.dryRun) return new Map();
  return deps.writer.write(shaped.flatMap((s) => (s.securityHub.kind === 'update' ? [s.securityHub.update] : [])));
}

/** Tells the caller which findings the circuit breaker held (the Lambda emits a metric, the CLI a warning). */
function reportHeld(shaped: readonly Shaped[], deps: ResponderDeps): void {
  const held = shaped.filter((s) => s.held).map(({ result: r }) => ({ accountId: r.accountId, findingId: r.findingId, reason: r.reason }));
  if (held.length > 0) deps.onHeld?.(held);
}
