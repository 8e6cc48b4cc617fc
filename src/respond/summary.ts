import type { ActionOutcome } from '../actions/types';
import type { FindingUpdate } from '../securityhub/writer';
import type { Finding } from '../findings/finding';
import type { FindingResult } from './result';

/**
 * The Security Hub update for a finding's result (pure). Notes summarise by
 * action and status, not by resource, so that findings with the same outcome
 * share one BatchUpdateFindings call; resource details are in the audit trail.
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
  } else if (effective > 0) {
    workflow = 'RESOLVED';
    outcomeLabel = 'contained';
  } else {
    workflow = undefined;
    outcomeLabel = 'nothing-to-do';
  }
  // Nothing finding-specific (scores, resource ids, counts) in an acted-on
  // note: findings with the same outcome share one call of up to 100.
  const note =
    result.decision === 'skip'
      ? `cordon skipped this finding: ${result.reason}.`
      : `cordon ran runbook ${result.runbook}: ${statusSummary(result.actions)}.${failed > 0 ? ' Some actions FAILED: containment is incomplete, act manually.' : ''} Details in cordon's audit trail.`;
  const fields: Record<string, string> = { cordon_result: outcomeLabel, cordon_decision: result.decision };
  if (result.runbook) fields.cordon_runbook = result.runbook;
  return { findingArn: finding.arn, region: finding.region, partition: finding.partition, workflow, note, fields };
}

/** The Security Hub update of a finding the circuit breaker held: NOTIFIED, asking for a manual decision. */
export function heldUpdate(finding: Finding, reason: string): FindingUpdate {
  return {
    findingArn: finding.arn,
    region: finding.region,
    partition: finding.partition,
    workflow: 'NOTIFIED',
    note: `cordon did NOT contain this finding automatically: ${reason}.`,
    fields: { cordon_result: 'circuit-open', cordon_decision: 'skip' },
  };
}

/** How a note words a status: `done` and `already` both mean the containment is in place. */
const NOTE_STATUS: Readonly<Record<ActionOutcome['status'], string>> = {
  done: 'in place',
  already: 'in place',
  skipped: 'not applicable',
  failed: 'FAILED',
  planned: 'planned',
};

/** `ec2.snapshot in place; ec2.isolate in place, FAILED`: each action's outcome, without counts or resources. */
export function statusSummary(actions: ReadonlyArray<Pick<ActionOutcome, 'action' | 'status'>>): string {
  const byAction = new Map<string, Set<string>>();
  for (const a of actions) byAction.set(a.action, (byAction.get(a.action) ?? new Set()).add(NOTE_STATUS[a.status]));
  if (byAction.size === 0) return 'no action applied';
  return [...byAction].map(([action, statuses]) => `${action} ${[...statuses].join(', ')}`).join('; ');
}

/** `ec2.snapshot 2 done; ec2.isolate 1 done, 1 failed` */
export function summarizeActions(actions: ReadonlyArray<Pick<ActionOutcome, 'action' | 'status'>>): string {
  const byAction = new Map<string, Map<string, number>>();
  for (const a of actions) {
    const counts = byAction.get(a.action) ?? new Map<string, number>();
    counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
    byAction.set(a.action, counts);
  }
  if (byAction.size === 0) return 'no action applied';
  return [...byAction].map(([action, counts]) => `${action} ${[...counts].map(([status, n]) => `${n} ${status}`).join(', ')}`).join('; ');
}
