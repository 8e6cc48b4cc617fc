import type { AuditRecord } from '../audit/store';
import type { Finding } from '../findings/finding';
import type { ActionOutcome } from '../outcome';
import type { ResponderDeps } from './deps';
import { resourceLabel, type Execution } from './execute';
import { actionLine } from './result';
import { runInputs } from './coalesce';
import type { ResolvedFinding } from './resolve';

/** When and for whom the responder writes records: one time per batch step, the principal that ran cordon. */
export interface AuditStamp {
  /** ISO time of the records. */
  readonly at: string;
  readonly by: string | undefined;
}

/** How records name the finding they are about (audit records, and the release summaries built from them). */
export function aboutFinding(finding: Finding): Pick<AuditRecord, 'findingId' | 'findingArn' | 'accountId' | 'region' | 'findingType'> {
  return {
    findingId: finding.id,
    findingArn: finding.arn,
    accountId: finding.accountId,
    region: finding.region,
    findingType: finding.type,
  };
}

/** The fields every record the responder writes about a finding shares. */
export function findingRecord(finding: Finding, runbook: string | null, stamp: AuditStamp) {
  return { ...aboutFinding(finding), runbook, at: stamp.at, actor: 'respond' as const, by: stamp.by };
}

/**
 * The audit records of a finding a runbook decided on (pure): one per outcome
 * when it acted, with the runbook step it came from (release reads it); else
 * one `decision` record saying why nothing ran (skipped, exempt, held).
 * Built-ins are not recorded here: they audit themselves.
 */
export function runbookRecords(r: ResolvedFinding, execution: Execution | undefined, stamp: AuditStamp, dryRun: boolean): AuditRecord[] {
  if (r.decision.builtin) return [];
  const base = {
    ...findingRecord(r.finding, r.decision.runbook?.name ?? null, stamp),
    subject: resourceLabel(r.finding),
    inputs: runInputs(r.finding, r.decision.runbook),
  };
  if (!execution || execution.exemptReason || execution.heldReason || execution.skippedReason) {
    const detail = execution?.exemptReason ?? execution?.heldReason ?? execution?.skippedReason ?? r.decision.reason;
    return [{ ...base, action: 'decision', resource: resourceLabel(r.finding), status: 'skipped', detail }];
  }
  return execution.outcomes.map((o) => ({
    ...base,
    ...actionLine(o),
    ...requestOf(r, o, dryRun),
    prior: o.prior,
    changed: o.changed,
    ...(o.remains && o.remains.length > 0 ? { remains: o.remains } : {}),
    ...(o.closes && o.closes.length > 0 ? { closes: o.closes } : {}),
  }));
}

/**
 * Writes the records of findings a runbook decided on, in one append (none
 * in a dry run: nothing changed, so nothing is recorded).
 */
export async function recordAudit(
  decided: ReadonlyArray<{ readonly resolved: ResolvedFinding; readonly execution: Execution | undefined }>,
  deps: Pick<ResponderDeps, 'audit' | 'dryRun' | 'now' | 'actor'>,
): Promise<void> {
  if (deps.dryRun) return;
  const stamp = { at: deps.now().toISOString(), by: deps.actor };
  await deps.audit.append(decided.flatMap((d) => runbookRecords(d.resolved, d.execution, stamp, deps.dryRun)));
}

function requestOf(r: ResolvedFinding, o: ActionOutcome, dryRun: boolean): Pick<AuditRecord, 'request'> {
  const step = r.decision.runbook?.actions.find((st) => st.action === o.action);
  return step ? { request: { action: step.action, params: step.with ?? {}, dryRun } } : {};
}
