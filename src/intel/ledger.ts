/**
 * The ledger of cordon's shared indicators (pure): every entry of the threat
 * and trusted lists, with who put it there (the findings, an analyst's False
 * positive, `cordon intel add`) and until when. It lives as one JSON object
 * beside the lists in the security account's bucket; the lists GuardDuty reads
 * are rendered from it, deduplicated, without what has expired, within
 * GuardDuty's quotas.
 */
import { z } from 'zod';
import type { Indicator } from './indicators';

/** The action name of a finding's indicators on cordon's threat list, in results and the audit trail (undone by `release`). */
export const THREAT_LIST_ACTION = 'intel.threat-list';
/** The action name of addresses an analyst trusted (False positive), in results and the audit trail. */
export const TRUSTED_LIST_ACTION = 'intel.trusted-list';

/** Which list an entry is on: GuardDuty raises findings for `threat` entries and none for `trusted` ones. */
export type ListName = 'threat' | 'trusted';

/** Why an entry is on a list. */
const referenceSchema = z.object({
  /** `finding`: seen in a finding cordon acted on; `analyst`: a False positive note; `manual`: `cordon intel add`. */
  source: z.enum(['finding', 'analyst', 'manual']),
  /** The finding id (finding, analyst), or who added it (manual). */
  id: z.string().min(1),
  accountId: z.string().optional(),
  region: z.string().optional(),
  /** ISO times. */
  addedAt: z.string(),
  expiresAt: z.string(),
});

/** One reason an entry is listed. */
export type Reference = z.infer<typeof referenceSchema>;

const entrySchema = z.object({
  kind: z.enum(['ipv4', 'ipv6', 'domain']),
  list: z.enum(['threat', 'trusted']),
  refs: z.array(referenceSchema).min(1),
});

/** A listed indicator and every reason it is listed. */
export type LedgerEntry = z.infer<typeof entrySchema>;

/**
 * The ledger as stored (`cordon/intel/ledger.json`).
 *
 * @example
 * { "version": 1,
 *   "entries": { "threat|198.51.100.7": { "kind": "ipv4", "list": "threat",
 *     "refs": [{ "source": "finding", "id": "abc", "accountId": "111122223333", "region": "us-east-1",
 *                "addedAt": "2026-05-01T10:00:00.000Z", "expiresAt": "2026-05-31T10:00:00.000Z" }] } },
 *   "synced": { "us-east-1|threat": "sha256:…" } }
 */
export const ledgerSchema = z.object({
  version: z.literal(1),
  /** By `<list>|<value>`. */
  entries: z.record(z.string(), entrySchema),
  /** By `<region>|<list>`: the digest of the list GuardDuty was last given there. */
  synced: z.record(z.string(), z.string()).default({}),
});

/** The ledger. */
export type Ledger = z.infer<typeof ledgerSchema>;

/** An empty ledger. */
export function emptyLedger(): Ledger {
  return { version: 1, entries: {}, synced: {} };
}

/** The key of an entry. */
export function entryKey(list: ListName, value: string): string {
  return `${list}|${value}`;
}

/** What a change did to one indicator. */
export interface EntryChange {
  readonly list: ListName;
  readonly indicator: Indicator;
  /**
   * `added`: the list gains it; `referenced`: already listed for another reason, this one added;
   * `refreshed`: this very reason was there (a finding delivered again), its expiry moved later;
   * `removed`: the list loses it; `kept`: still listed for other reasons.
   */
  readonly effect: 'added' | 'referenced' | 'refreshed' | 'removed' | 'kept';
  /** For `kept`: the other reasons. */
  readonly others?: readonly Reference[];
  readonly expiresAt?: string;
}

/** A ledger after a change, and what changed. */
export interface Changed {
  readonly ledger: Ledger;
  readonly changes: readonly EntryChange[];
}

/** Adds one reason per indicator (an existing reason of the same source and id gets the later expiry). */
export function addReferences(
  ledger: Ledger,
  list: ListName,
  indicators: readonly Indicator[],
  reference: Omit<Reference, 'expiresAt'> & { readonly ttlMs: number },
): Changed {
  const { ttlMs, ...ref } = reference;
  const expiresAt = new Date(Date.parse(ref.addedAt) + ttlMs).toISOString();
  const entries = { ...ledger.entries };
  const changes: EntryChange[] = [];
  for (const indicator of indicators) {
    const key = entryKey(list, indicator.value);
    const entry = entries[key];
    const live = entry?.refs.filter((r) => r.expiresAt > ref.addedAt) ?? [];
    const same = live.find((r) => r.source === ref.source && r.id === ref.id);
    const refs = same
      ? live.map((r) => (r === same ? { ...r, expiresAt: r.expiresAt > expiresAt ? r.expiresAt : expiresAt } : r))
      : [...live, { ...ref, expiresAt }];
    entries[key] = { kind: indicator.kind, list, refs };
    changes.push({ list, indicator, effect: same ? 'refreshed' : live.length === 0 ? 'added' : 'referenced', expiresAt });
  }
  return { ledger: { ...ledger, entries }, changes };
}

/**
 * Removes the reasons `matches` picks (a finding's, or every reason of an
 * indicator): an entry with no reason left leaves the list; one still
 * referenced by others stays (`kept`, naming them).
 */
export function removeReferences(
  ledger: Ledger,
  matches: (entry: LedgerEntry, ref: Reference, key: string) => boolean,
  nowIso: string,
): Changed {
  const entries: Record<string, LedgerEntry> = {};
  const changes: EntryChange[] = [];
  for (const [key, entry] of Object.entries(ledger.entries)) {
    const removed = entry.refs.filter((r) => matches(entry, r, key));
    if (removed.length === 0) {
      entries[key] = entry;
      continue;
    }
    const others = entry.refs.filter((r) => !matches(entry, r, key) && r.expiresAt > nowIso);
    const indicator = { kind: entry.kind, value: valueOf(key) };
    if (others.length > 0) {
      entries[key] = { ...entry, refs: others };
      changes.push({ list: entry.list, indicator, effect: 'kept', others });
    } else {
      changes.push({ list: entry.list, indicator, effect: 'removed' });
    }
  }
  return { ledger: { ...ledger, entries }, changes };
}

/** Drops the reasons that have expired, and the entries left with none (`removed`). */
export function expire(ledger: Ledger, nowIso: string): Changed {
  return removeReferences(ledger, (_e, r) => r.expiresAt <= nowIso, nowIso);
}

/** The indicator text of an entry key. */
export function valueOf(key: string): string {
  return key.slice(key.indexOf('|') + 1);
}

/** The latest expiry of an entry's reasons. */
export function expiryOf(entry: LedgerEntry): string {
  return entry.refs.reduce((latest, r) => (r.expiresAt > latest ? r.expiresAt : latest), '');
}

/** The kinds of GuardDuty list cordon renders: entity lists (IPv4 and domains) and the older IP lists (IPv4 only). */
export type ListFormat = 'entity' | 'ip';

/**
 * GuardDuty's quotas on what one list may hold (GuardDuty User Guide,
 * "Amazon GuardDuty quotas", https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_limits.html,
 * and "Customizing threat detection with entity lists and IP address lists":
 * 35 MB a file). IP lists: 2,000 entries trusted, 250,000 threat. Entity
 * lists: the quota page's entity rows could only be read in its Japanese
 * translation (1,000 entities per threat entity list); cordon keeps both
 * entity lists to 1,000 until checked against the Service Quotas console.
 */
export const LIST_QUOTAS: Readonly<Record<ListFormat, Readonly<Record<ListName, number>>>> = {
  entity: { threat: 1_000, trusted: 1_000 },
  ip: { threat: 250_000, trusted: 2_000 },
};

/** A list as GuardDuty reads it (TXT: one entry per line), and what it had to leave out. */
export interface RenderedList {
  readonly text: string;
  readonly entries: readonly string[];
  /** Entries not in this list, each with why (IPv6, a domain on an IP list, past the quota). */
  readonly omitted: ReadonlyArray<{ readonly value: string; readonly reason: string }>;
}

/**
 * Renders one list (pure): the live entries of `list` that the format
 * accepts, newest reasons first when the quota cuts (what was seen last
 * matters most), then sorted so that the text only changes when the entries do.
 */
export function renderList(ledger: Ledger, list: ListName, format: ListFormat, nowIso: string): RenderedList {
  const omitted: Array<{ value: string; reason: string }> = [];
  const candidates: Array<{ value: string; latest: string }> = [];
  for (const [key, entry] of Object.entries(ledger.entries)) {
    if (entry.list !== list) continue;
    const live = entry.refs.filter((r) => r.expiresAt > nowIso);
    if (live.length === 0) continue;
    const value = valueOf(key);
    if (entry.kind === 'ipv6') omitted.push({ value, reason: 'GuardDuty lists accept IPv4 only' });
    else if (entry.kind === 'domain' && format === 'ip') omitted.push({ value, reason: 'IP lists hold no domains (no entity lists here)' });
    else candidates.push({ value, latest: live.reduce((l, r) => (r.addedAt > l ? r.addedAt : l), '') });
  }
  const quota = LIST_QUOTAS[format][list];
  candidates.sort((a, b) => (a.latest === b.latest ? a.value.localeCompare(b.value) : b.latest.localeCompare(a.latest)));
  for (const c of candidates.slice(quota))
    omitted.push({ value: c.value, reason: `past GuardDuty's quota of ${quota} entries per ${format} list` });
  const entries = candidates
    .slice(0, quota)
    .map((c) => c.value)
    .sort();
  // Within the quotas a list stays far below GuardDuty's 35 MB: 250,000 IPv4 ranges of at most 19 characters, 1,000 domains of at most 253.
  return { text: entries.length > 0 ? `${entries.join('\n')}\n` : '', entries, omitted };
}
