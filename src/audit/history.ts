/**
 * The audit trail as a history (pure): which records a history query keeps,
 * the UTC days a time range spans (the time index's partitions), and the
 * records grouped into one timeline per incident (finding).
 */
import type { AuditRecord, HistoryQuery } from './store';

/** Days a history may span at most: a year and a day (the time index is queried one day at a time). */
export const MAX_HISTORY_DAYS = 366;

/** True when a record is in the query's range, account and finding. */
export function inHistory(r: AuditRecord, q: HistoryQuery): boolean {
  return (
    r.at >= q.since &&
    r.at <= q.until &&
    (q.accountId === undefined || r.accountId === q.accountId) &&
    (q.findingId === undefined || r.findingId === q.findingId)
  );
}

/** The UTC days (`YYYY-MM-DD`) from `since` to `until` (ISO times), both included. */
export function daysBetween(since: string, until: string): string[] {
  const days: string[] = [];
  const end = Date.parse(until.slice(0, 10));
  for (let t = Date.parse(since.slice(0, 10)); t <= end && days.length <= MAX_HISTORY_DAYS; t += 86_400_000)
    days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/** One step of an incident's timeline: what cordon (or a release) did, and the state it replaced. */
export interface TimelineEvent {
  readonly at: string;
  readonly actor: AuditRecord['actor'];
  readonly by: string | undefined;
  readonly action: string;
  readonly resource: string;
  readonly status: AuditRecord['status'];
  readonly detail: string;
  /** The state before the change (what a release restores). */
  readonly prior: AuditRecord['prior'];
  readonly changed: AuditRecord['changed'];
}

/** One incident: a finding and everything cordon did about it, in time order. */
export interface Incident {
  readonly findingId: string;
  readonly findingArn: string;
  readonly accountId: string;
  readonly region: string;
  readonly findingType: string;
  readonly runbook: string | null;
  readonly firstAt: string;
  readonly lastAt: string;
  /** `released` when a release ran last; `contained` when every action took; `failed`, or `skipped` (nothing ran). */
  readonly outcome: 'contained' | 'failed' | 'skipped' | 'released';
  readonly events: readonly TimelineEvent[];
}

/** Records grouped by finding, each timeline oldest first, incidents newest first (by their last event). */
export function incidents(records: readonly AuditRecord[]): Incident[] {
  const byFinding = new Map<string, AuditRecord[]>();
  for (const r of [...records].sort((a, b) => a.at.localeCompare(b.at))) {
    byFinding.set(r.findingId, [...(byFinding.get(r.findingId) ?? []), r]);
  }
  const list = [...byFinding.values()].map((rs): Incident => {
    const first = rs[0] as AuditRecord;
    const last = rs[rs.length - 1] as AuditRecord;
    const events = rs.map((r) => ({
      at: r.at,
      actor: r.actor,
      by: r.by,
      action: r.action,
      resource: r.resource,
      status: r.status,
      detail: r.detail,
      prior: r.prior,
      changed: r.changed,
    }));
    return {
      findingId: first.findingId,
      findingArn: first.findingArn,
      accountId: first.accountId,
      region: first.region,
      findingType: first.findingType,
      runbook: rs.find((r) => r.runbook !== null)?.runbook ?? null,
      firstAt: first.at,
      lastAt: last.at,
      outcome: outcomeOf(rs),
      events,
    };
  });
  return list.sort((a, b) => b.lastAt.localeCompare(a.lastAt) || a.findingId.localeCompare(b.findingId));
}

function outcomeOf(rs: readonly AuditRecord[]): Incident['outcome'] {
  if (rs[rs.length - 1]?.actor === 'release') return 'released';
  if (rs.some((r) => r.status === 'failed')) return 'failed';
  return rs.some((r) => r.status === 'done' || r.status === 'already') ? 'contained' : 'skipped';
}
