import type { ActionLine, ActionOutcome } from '../outcome';

/** What cordon did with one finding: one JSON line of `cordon respond --json`. */
export interface FindingResult {
  readonly findingId: string;
  readonly findingArn: string;
  readonly accountId: string;
  readonly region: string;
  readonly type: string;
  readonly severity: number | null;
  readonly runbook: string | null;
  readonly decision: 'act' | 'skip';
  readonly reason: string;
  readonly actions: readonly ActionLine[];
  /**
   * What the actions leave open (a note per channel, no resource ids), when
   * anything: the finding is then NOTIFIED, not RESOLVED. Absent otherwise.
   */
  readonly remains?: readonly string[];
  /** How the Security Hub write-back ended (`skipped` in dry-run). */
  readonly securityHub: { readonly status: 'updated' | 'unprocessed' | 'failed' | 'skipped'; readonly detail: string };
}

/**
 * True when any action of the result failed, or the Security Hub write itself
 * failed (analysts would not see the outcome): the CLI then exits 1 and the
 * Lambda has the message retried (actions are idempotent). A finding Security
 * Hub leaves unprocessed (e.g. not in Security Hub) is reported, not retried.
 */
export function hasFailure(result: FindingResult): boolean {
  return result.actions.some((a) => a.status === 'failed') || result.securityHub.status === 'failed';
}

/** An outcome as its result line shows it: what was done to which resource, without the state kept for release. */
export function actionLine(o: ActionOutcome): ActionLine {
  return { action: o.action, resource: o.resource, status: o.status, detail: o.detail };
}
