import { statusSummary } from '../outcome';
import type { FindingUpdate } from '../securityhub/writer';
import type { Finding } from '../findings/finding';
import type { FindingResult } from './result';

/** The note of findings being acted on: the same for all, so one call per region covers up to 100 of them. */
export const IN_PROGRESS_NOTE = 'cordon is containing this finding now; the outcome follows in a later note.';

/** A Security Hub update of a GuardDuty finding: the finding as Security Hub knows it, and what to write on it. */
export function updateOf(finding: Finding, write: Pick<FindingUpdate, 'workflow' | 'note' | 'fields'>): FindingUpdate {
  return {
    findingArn: finding.arn,
    region: finding.region,
    partition: finding.partition,
    ...write,
    ...(finding.updatedAt !== undefined ? { findingUpdatedAt: finding.updatedAt } : {}),
  };
}

/** The Security Hub update of a finding cordon is acting on now: NOTIFIED, until the outcome's update. */
export function inProgressUpdate(finding: Finding): FindingUpdate {
  return updateOf(finding, { workflow: 'NOTIFIED', note: IN_PROGRESS_NOTE, fields: { cordon_result: 'in-progress' } });
}

/**
 * The Security Hub update for a finding's result (pure). Notes summarise by
 * action and status, not by resource, so that findings with the same outcome
 * share one BatchUpdateFindings call; resource details are in the audit trail.
 * RESOLVED only when every action is in place and none leaves a known channel
 * open (`result.remains`); otherwise NOTIFIED, the note naming what remains.
 */
export function securityHubUpdate(finding: Finding, result: Omit<FindingResult, 'securityHub'>, exempt: boolean): FindingUpdate {
  const failed = result.actions.filter((a) => a.status === 'failed').length;
  const effective = result.actions.filter((a) => a.status === 'done' || a.status === 'already').length;
  let workflow: FindingUpdate['workflow'];
  let outcomeLabel: string;
  if (result.decision === 'skip' || exempt) {
    workflow = undefined;
    outcomeLabel = 'skipped';
  } else if (failed > 0) {
    workflow = 'NOTIFIED';
    outcomeLabel = 'failed';
  } else if ((result.remains ?? []).length > 0) {
    workflow = 'NOTIFIED';
    outcomeLabel = 'partially-contained';
  } else if (effective > 0) {
    workflow = 'RESOLVED';
    outcomeLabel = 'contained';
  } else {
    workflow = undefined;
    outcomeLabel = 'nothing-to-do';
  }
  // Nothing finding-specific (scores, resource ids, counts) in an acted-on
  // note: findings with the same outcome share one call of up to 100.
  const incomplete = failed > 0 ? ' Some actions FAILED: containment is incomplete, act manually.' : '';
  const open = (result.remains ?? []).length > 0 ? ` STILL OPEN: ${(result.remains ?? []).join('; ')}.` : '';
  // What is incomplete or open comes first: Security Hub keeps 512 characters of a note.
  const note =
    result.decision === 'skip'
      ? `cordon skipped this finding: ${result.reason}.`
      : `cordon ran runbook ${result.runbook}.${incomplete}${open} Actions: ${statusSummary(result.actions)}. Details in cordon's audit trail.`;
  const fields: Record<string, string> = { cordon_result: outcomeLabel, cordon_decision: result.decision };
  if (result.runbook) fields.cordon_runbook = result.runbook;
  return updateOf(finding, { workflow, note, fields });
}

/** The Security Hub update of a finding the circuit breaker held: NOTIFIED, asking for a manual decision. */
export function heldUpdate(finding: Finding, reason: string): FindingUpdate {
  return updateOf(finding, {
    workflow: 'NOTIFIED',
    note: `cordon did NOT contain this finding automatically: ${reason}.`,
    fields: { cordon_result: 'circuit-open', cordon_decision: 'skip' },
  });
}
