import { statusSummary } from '../outcome';
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
