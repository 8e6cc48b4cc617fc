/**
 * Deliveries close together (pure): a delivery of a finding that comes while
 * another delivery of the same finding contains its resource, or less than
 * five minutes after, from the same inputs, reports that containment instead of
 * making every read and change again (SQS delivers at least once, and
 * GuardDuty re-publishes a finding as its count grows).
 */
import { createHash } from 'node:crypto';
import type { AuditRecord } from '../audit/store';
import type { Finding } from '../findings/finding';
import type { ActionOutcome } from '../outcome';
import type { Runbook } from '../runbooks/runbook';
import type { Execution } from './execute';

/**
 * What a run acts on, as a short digest: the runbook's steps, and the
 * finding's resources, attacker addresses and domains, buckets and objects.
 * Two versions of a finding (GuardDuty re-publishes one with a higher count)
 * have the same digest only when the runbook would do the same with either;
 * a new attacker address or domain, or a runbook changed since, changes it.
 * Written on every record of a run.
 */
export function runInputs(finding: Finding, runbook: Pick<Runbook, 'name' | 'actions'> | undefined): string {
  const inputs = {
    runbook: runbook ? { name: runbook.name, actions: runbook.actions } : null,
    type: finding.type,
    resourceType: finding.resourceType,
    resourceRole: finding.resourceRole,
    instance: finding.instance,
    accessKey: finding.accessKey,
    buckets: finding.buckets,
    objects: finding.objects,
    lambda: finding.lambda,
    task: finding.task,
    kubernetes: finding.kubernetes,
    database: finding.database,
    backup: finding.backup,
    resources: finding.resources,
    remoteIps: finding.remoteIps,
    domains: finding.domains ?? [],
  };
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
}

/**
 * The run of another delivery this one can report, or undefined (run the
 * runbook). Only with a complete history (the lease's: every change any
 * delivery made is recorded), for an automatic delivery of a single finding
 * (an analyst's custom action always runs; an attack sequence's targets share
 * its id). The last thing recorded for the finding must be a run from the
 * same inputs ({@link runInputs}: the same runbook too), recorded at most
 * {@link FRESH_RUN_MS} before this delivery began (while it waited for the
 * lease, or moments before it arrived) and no earlier than the activity the
 * finding reports (activity seen after a containment means something may not
 * have held), with every action in place: none failed, nothing only decided
 * (held, exempt, skipped). Otherwise the runbook runs and checks AWS itself.
 */
/**
 * How long before a delivery began a run of its finding is fresh enough to
 * report for it: a third of GuardDuty's shortest publishing frequency for
 * updated findings (15 minutes), so a re-published finding whose activity
 * came after the run (which then runs again) rarely falls inside it.
 */
const FRESH_RUN_MS = 5 * 60_000;

export function coalescedRun(
  finding: Finding,
  runbook: Pick<Runbook, 'name' | 'actions'>,
  history: readonly AuditRecord[],
  arrivedAtMs: number,
): Execution | undefined {
  if (finding.origin.kind === 'custom-action' || finding.sequence !== undefined || history.length === 0) return undefined;
  const lastAt = history.reduce((at, r) => (r.at > at ? r.at : at), '');
  // A run's records share its time (a run under the lease is recorded before the next one starts).
  const last = history.filter((r) => r.at === lastAt);
  const ran = Date.parse(lastAt);
  if (!(ran >= arrivedAtMs - FRESH_RUN_MS) || (finding.lastSeenAt !== undefined && !(ran >= Date.parse(finding.lastSeenAt))))
    return undefined;
  const inputs = runInputs(finding, runbook);
  const inPlace = last.every(
    (r) =>
      r.actor === 'respond' &&
      r.runbook === runbook.name &&
      r.inputs === inputs &&
      (r.status === 'done' || r.status === 'already' || r.status === 'skipped') &&
      r.action !== 'decision' &&
      r.action !== 'audit',
  );
  if (!inPlace) return undefined;
  const when = ran >= arrivedAtMs ? 'after this one arrived' : `${Math.ceil((arrivedAtMs - ran) / 1000)} s before this one arrived`;
  return { exemptReason: undefined, outcomes: last.map((r) => restated(r, lastAt, when)) };
}

/** A record of the other delivery's run as this delivery's outcome: what it did is now already in place. */
function restated(r: AuditRecord, at: string, when: string): ActionOutcome {
  return {
    action: r.action,
    resource: r.resource,
    status: r.status === 'done' ? 'already' : r.status,
    detail: `${r.detail} (a delivery of this finding did this at ${at}, ${when}: not made again)`,
    ...(r.remains ? { remains: r.remains } : {}),
    ...(r.closes ? { closes: r.closes } : {}),
  };
}
