/**
 * Deliveries that raced (pure): a delivery of a finding that waited for its
 * resource's lease while another delivery of the same finding contained the
 * resource, after this one arrived and from the same inputs, reports that
 * containment instead of making every read and change again.
 */
import { createHash } from 'node:crypto';
import type { AuditRecord } from '../audit/store';
import type { Finding } from '../findings/finding';
import type { ActionOutcome } from '../outcome';
import type { Execution } from './execute';

/**
 * What a finding's runbook acts on, as a short digest: its resources, the
 * attacker's addresses and domains, its buckets and objects. Two versions of
 * a finding (GuardDuty re-publishes one with a higher count) have the same
 * digest only when a runbook would do the same with either; a new attacker
 * address or domain changes it. Written on every record of a run.
 */
export function findingInputs(finding: Finding): string {
  const inputs = {
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
 * its id). The last thing recorded for the finding must be a run of the same
 * runbook from the same inputs ({@link findingInputs}), recorded no earlier
 * than this delivery began (so after it arrived and after the activity the
 * finding reports), with every action in place: none failed, nothing only
 * decided (held, exempt, skipped). Otherwise the runbook runs and checks AWS
 * itself, as for a delivery that comes after the other one ended.
 */
export function coalescedRun(
  finding: Finding,
  runbook: string,
  history: readonly AuditRecord[],
  arrivedAtMs: number,
): Execution | undefined {
  if (finding.origin.kind === 'custom-action' || finding.sequence !== undefined || history.length === 0) return undefined;
  const lastAt = history.reduce((at, r) => (r.at > at ? r.at : at), '');
  const last = history.filter((r) => r.at === lastAt);
  const ran = Date.parse(lastAt);
  if (!(ran >= arrivedAtMs) || (finding.lastSeenAt !== undefined && !(ran >= Date.parse(finding.lastSeenAt)))) return undefined;
  const inputs = findingInputs(finding);
  const inPlace = last.every(
    (r) =>
      r.actor === 'respond' &&
      r.runbook === runbook &&
      r.inputs === inputs &&
      (r.status === 'done' || r.status === 'already' || r.status === 'skipped') &&
      r.action !== 'decision' &&
      r.action !== 'audit',
  );
  if (!inPlace) return undefined;
  return { exemptReason: undefined, outcomes: last.map((r) => restated(r, lastAt)) };
}

/** A record of the other delivery's run as this delivery's outcome: what it did is now already in place. */
function restated(r: AuditRecord, at: string): ActionOutcome {
  return {
    action: r.action,
    resource: r.resource,
    status: r.status === 'done' ? 'already' : r.status,
    detail: `${r.detail} (a delivery of this finding did this at ${at}, after this one arrived: not made again)`,
    ...(r.remains ? { remains: r.remains } : {}),
    ...(r.closes ? { closes: r.closes } : {}),
  };
}
