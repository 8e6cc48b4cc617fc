/**
 * What an action did to a resource, as the CLI prints it, the audit trail
 * records it and Security Hub notes summarise it. A leaf module: actions,
 * the audit store, release and the responder all build on it.
 */
import { CordonError, describeError } from './errors';

/** Outcome of one action on one resource (the `status` of the CLI's JSON lines). */
export type ActionStatus = 'done' | 'already' | 'skipped' | 'failed' | 'planned';

/** What one action did (or would do) to one resource. */
export interface ActionOutcome {
  readonly action: string;
  /** The resource acted on: an instance id, an access key id, `acl-…:203.0.113.7/32`… */
  readonly resource: string;
  readonly status: ActionStatus;
  readonly detail: string;
  /** The resource's state before cordon changed it, for `release`. */
  readonly prior?: Readonly<Record<string, unknown>>;
  /** What cordon created or changed (snapshot ids, rule numbers, policy names…). */
  readonly changed?: Readonly<Record<string, unknown>>;
}

/** One action's line in a finding's result (the CLI's JSON contract). */
export interface ActionLine {
  readonly action: string;
  readonly resource: string;
  readonly status: ActionStatus;
  readonly detail: string;
}

/**
 * An action failed part-way: `completed` holds the outcomes of the changes it
 * had already made (with their prior state, so `release` can undo them). The
 * runner records them, then one `failed` line with the cause.
 */
export class PartialActionError extends CordonError {
  public constructor(
    public readonly completed: readonly ActionOutcome[],
    cause: unknown,
  ) {
    super(describeError(cause), { cause });
    this.name = 'PartialActionError';
  }
}

/**
 * Runs an action's work with a list it appends each outcome to as soon as the
 * change is made. If the work throws after some changes, they are not lost:
 * they travel in a PartialActionError.
 */
export async function collecting(work: (results: ActionOutcome[]) => Promise<void>): Promise<ActionOutcome[]> {
  const results: ActionOutcome[] = [];
  try {
    await work(results);
  } catch (err) {
    if (results.length === 0) throw err;
    throw new PartialActionError(results, err);
  }
  return results;
}

/** Builds an outcome; keeps action files short. */
export function outcome(
  action: string,
  resource: string,
  status: ActionStatus,
  detail: string,
  extra: { prior?: Record<string, unknown>; changed?: Record<string, unknown> } = {},
): ActionOutcome {
  return { action, resource, status, detail, ...extra };
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
