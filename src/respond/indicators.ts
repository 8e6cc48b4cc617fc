import type { AuditRecord } from '../audit/store';
import { describeError } from '../errors';
import type { Finding } from '../findings/finding';
import { findingIndicators, type Indicator } from '../intel/indicators';
import { addReferences, THREAT_LIST_ACTION, type EntryChange } from '../intel/ledger';
import type { SetSync } from '../intel/guardduty-sets';
import type { ActionOutcome } from '../outcome';
import { findingRecord } from './audit-records';
import type { ResponderDeps } from './deps';
import type { Execution } from './execute';
import { actionLine } from './result';
import type { ResolvedFinding } from './resolve';

/**
 * Shares the indicators of the findings acted on (not exempt, held or
 * released; never a sample) with GuardDuty: one ledger change and one
 * publication, so one update of each region's set, for the whole batch.
 * Each finding's result gains a line per indicator (added, already listed,
 * refused and why); the lines are audited here. Without a list bucket, or
 * with nothing to share, the executions are returned as they are.
 */
export async function shareIndicators(
  acting: readonly ResolvedFinding[],
  executions: ReadonlyMap<ResolvedFinding, Execution>,
  deps: ResponderDeps,
): Promise<ReadonlyMap<ResolvedFinding, Execution>> {
  const intel = deps.intel;
  if (!intel) return executions;
  const sharing = acting.flatMap((r) => {
    const e = executions.get(r);
    if (!e || e.exemptReason || e.heldReason || e.skippedReason || r.finding.sample) return [];
    const found = findingIndicators(r.finding, intel.guard);
    return found.accepted.length + found.refused.length > 0 ? [{ r, e, found }] : [];
  });
  if (sharing.length === 0) return executions;

  const lines = new Map<ResolvedFinding, ActionOutcome[]>();
  const listed = sharing.filter((s) => s.found.accepted.length > 0);
  try {
    let perFinding = new Map<ResolvedFinding, readonly EntryChange[]>();
    await intel.change((ledger, nowIso) => {
      perFinding = new Map();
      let next = ledger;
      for (const { r, found } of listed) {
        const { finding } = r;
        const added = addReferences(next, 'threat', found.accepted, {
          source: 'finding',
          id: finding.id,
          accountId: finding.accountId,
          region: finding.region,
          addedAt: nowIso,
          ttlMs: intel.ttlMs,
        });
        perFinding.set(r, added.changes);
        next = added.ledger;
      }
      return { ledger: next, changes: [...perFinding.values()].flat() };
    });
    const published = listed.length > 0 ? await intel.publish([...new Set(listed.map((s) => s.r.finding.region))]) : { syncs: [] };
    for (const { r } of listed)
      lines.set(
        r,
        (perFinding.get(r) ?? []).map((c) => lineOf(c, published.syncs, deps.dryRun)),
      );
  } catch (err) {
    for (const { r, found } of listed)
      lines.set(
        r,
        found.accepted.map((i) => failed(i, `cordon's threat list could not be updated: ${describeError(err)}`)),
      );
  }
  for (const { r, found } of sharing)
    lines.set(r, [...(lines.get(r) ?? []), ...found.refused.map((x) => skipped(x.value, `not shared: ${x.reason}`))]);

  if (!deps.dryRun)
    await deps.audit.append(sharing.flatMap(({ r }) => records(r.finding, r.decision.runbook?.name ?? null, lines.get(r) ?? [], deps)));
  const out = new Map(executions);
  for (const { r, e } of sharing) out.set(r, { ...e, outcomes: [...e.outcomes, ...(lines.get(r) ?? [])] });
  return out;
}

/** One indicator's line: what the list and each region's GuardDuty did. */
function lineOf(change: EntryChange, syncs: readonly SetSync[], dryRun: boolean): ActionOutcome {
  const { indicator } = change;
  if (indicator.kind === 'ipv6') return skipped(indicator.value, "kept in cordon's ledger only: GuardDuty lists accept IPv4 only");
  const threat = syncs.filter((s) => s.list === 'threat');
  const problems = threat.filter((s) => s.status === 'failed');
  const where = threat
    .map((s) => `${s.region} ${s.status}${s.status === 'failed' || s.status === 'pending' ? ` (${s.detail})` : ''}`)
    .join(', ');
  const until = change.expiresAt ? ` until ${change.expiresAt}` : '';
  const ipOnly = indicator.kind === 'domain' ? threat.filter((s) => s.format === 'ip').map((s) => s.region) : [];
  const caveat = ipOnly.length > 0 ? `; not in ${ipOnly.join(', ')} (IP lists only there)` : '';
  const verb = change.effect === 'added' ? 'added to' : change.effect === 'referenced' ? 'already on (another finding)' : 'already on';
  const detail = `${dryRun ? 'would be ' : ''}${verb} cordon's threat list${until}${caveat}; GuardDuty: ${where || 'no region'}`;
  if (problems.length > 0) return failed(indicator, detail);
  const status = dryRun ? 'planned' : change.effect === 'refreshed' ? 'already' : 'done';
  return {
    action: THREAT_LIST_ACTION,
    resource: indicator.value,
    status,
    detail,
    changed: { list: 'threat', expiresAt: change.expiresAt },
  };
}

function failed(indicator: Indicator, detail: string): ActionOutcome {
  return { action: THREAT_LIST_ACTION, resource: indicator.value, status: 'failed', detail };
}

function skipped(value: string, detail: string): ActionOutcome {
  return { action: THREAT_LIST_ACTION, resource: value, status: 'skipped', detail };
}

function records(finding: Finding, runbook: string | null, outcomes: readonly ActionOutcome[], deps: ResponderDeps): AuditRecord[] {
  const stamp = { at: deps.now().toISOString(), by: deps.actor };
  return outcomes.map((o) => ({ ...findingRecord(finding, runbook, stamp), ...actionLine(o), changed: o.changed }));
}
