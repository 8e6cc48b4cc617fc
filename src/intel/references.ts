/**
 * Taking a finding's reasons off cordon's lists (its release, an analyst's
 * False positive) and an analyst's trust in an address: ledger changes,
 * published at once, reported as action outcomes.
 */
import type { Finding } from '../findings/finding';
import { outcome, type ActionOutcome } from '../outcome';
import { findingIndicators } from './indicators';
import { addReferences, removeReferences, THREAT_LIST_ACTION, TRUSTED_LIST_ACTION, type EntryChange, type ListName } from './ledger';
import type { IntelLists, Published } from './lists';

/** What each region's GuardDuty did with a list, for a line's detail. */
export function regionSummary(published: Pick<Published, 'syncs'>, list: ListName): string {
  const syncs = published.syncs.filter((s) => s.list === list);
  return syncs.length === 0
    ? 'no region'
    : syncs.map((s) => `${s.region} ${s.status}${s.status === 'failed' ? ` (${s.detail})` : ''}`).join(', ');
}

/** The status of a line about a published change: failed when a region could not take the list. */
function statusOf(published: Pick<Published, 'syncs'>, list: ListName, dryRun: boolean): ActionOutcome['status'] {
  if (published.syncs.some((s) => s.list === list && s.status === 'failed')) return 'failed';
  return dryRun ? 'planned' : 'done';
}

/**
 * Takes the reasons `findingId` gave off the lists (the threat list's for
 * `release`; both for a False positive): an indicator only this finding
 * listed leaves the list; one another finding or an analyst also listed stays,
 * naming them. Nothing to take off: no line.
 */
export async function forgetFinding(
  intel: IntelLists,
  findingId: string,
  lists: readonly ListName[] = ['threat'],
): Promise<ActionOutcome[]> {
  const { changes } = await intel.change((ledger, nowIso) =>
    removeReferences(ledger, (entry, ref) => lists.includes(entry.list) && ref.source !== 'manual' && ref.id === findingId, nowIso),
  );
  if (changes.length === 0) return [];
  const published = changes.some((c) => c.effect === 'removed') ? await intel.publish() : { syncs: [] };
  return changes.map((c) => {
    const action = c.list === 'threat' ? THREAT_LIST_ACTION : TRUSTED_LIST_ACTION;
    if (c.effect === 'kept') {
      const who = (c.others ?? []).map((r) => (r.source === 'manual' ? `added by ${r.id}` : `finding ${r.id}`)).join(', ');
      return outcome(action, c.indicator.value, 'skipped', `stays on cordon's ${c.list} list, still listed for: ${who}`);
    }
    return outcome(
      action,
      c.indicator.value,
      statusOf(published, c.list, intel.dryRun),
      `${intel.dryRun ? 'would be taken' : 'taken'} off cordon's ${c.list} list; GuardDuty: ${regionSummary(published, c.list)}`,
    );
  });
}

/**
 * An analyst's trust (False positive with `trust: <days>d`): the finding's
 * remote addresses and domains go on cordon's trusted list for that long,
 * referenced by the finding. Refused indicators are reported, not trusted.
 */
export async function trustFinding(intel: IntelLists, finding: Finding, days: number): Promise<ActionOutcome[]> {
  const { accepted, refused } = findingIndicators(finding, intel.guard);
  const lines = refused.map((r) => outcome(TRUSTED_LIST_ACTION, r.value, 'skipped', `not trusted: ${r.reason}`));
  if (accepted.length === 0)
    return lines.length > 0
      ? lines
      : [outcome(TRUSTED_LIST_ACTION, finding.id, 'skipped', 'the finding names no remote address or domain to trust')];
  let changes: readonly EntryChange[] = [];
  await intel.change((ledger, nowIso) => {
    const added = addReferences(ledger, 'trusted', accepted, {
      source: 'analyst',
      id: finding.id,
      accountId: finding.accountId,
      region: finding.region,
      addedAt: nowIso,
      ttlMs: days * 86_400_000,
    });
    changes = added.changes;
    return added;
  });
  const published = await intel.publish([finding.region]);
  return [
    ...changes.map((c) =>
      c.indicator.kind === 'ipv6'
        ? outcome(TRUSTED_LIST_ACTION, c.indicator.value, 'skipped', "kept in cordon's ledger only: GuardDuty lists accept IPv4 only")
        : outcome(
            TRUSTED_LIST_ACTION,
            c.indicator.value,
            statusOf(published, 'trusted', intel.dryRun),
            `${intel.dryRun ? 'would be ' : ''}trusted until ${c.expiresAt ?? '?'} (analyst's note); GuardDuty: ${regionSummary(published, 'trusted')}`,
          ),
    ),
    ...lines,
  ];
}

/**
 * The analyst's trust in a False positive note: `trust: <N>d` (or `trust <N>d`,
 * N from 1 to 365 days), anywhere in the note, case-insensitive. Anything else
 * trusts nothing: cordon never trusts an address on its own.
 */
export function trustRequest(note: string | undefined): { readonly days: number } | { readonly problem: string } | undefined {
  if (!note) return undefined;
  const m = /\btrust\s*:?\s*(\d+)\s*d(?:ays?)?\b/i.exec(note);
  if (!m)
    return /\btrust\b/i.test(note)
      ? { problem: 'the note mentions trust but not as "trust: <days>d" (1-365): nothing trusted' }
      : undefined;
  const days = Number(m[1]);
  return days >= 1 && days <= 365 ? { days } : { problem: `trust for ${days} days is outside 1-365: nothing trusted` };
}
