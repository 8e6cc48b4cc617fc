import type { Finding } from '../findings/finding';
import type { FindingRef, ForeignFinding, ParsedItem } from '../findings/parse';
import { decide, importedSkipReason, type Decision } from '../runbooks/decide';
import type { ResponderDeps } from './deps';
import { hydrateRefs } from './hydrate';

/** One input item once read: a GuardDuty finding with the runbook's decision, or why there is none. */
export type Resolved =
  | ResolvedFinding
  | { readonly kind: 'foreign'; readonly foreign: ForeignFinding }
  | { readonly kind: 'unreadable'; readonly ref: FindingRef; readonly error: Error }
  /** An imported Security Hub update cordon ignores (not NEW, or its own write coming back): nothing is read or written. */
  | { readonly kind: 'ignored'; readonly ref: FindingRef; readonly reason: string };

/** A GuardDuty finding and what the runbooks decided for it. The pipeline keys its steps' results by this object. */
export interface ResolvedFinding {
  readonly kind: 'finding';
  readonly finding: Finding;
  readonly decision: Decision;
}

/**
 * Parsed input → Findings → runbook decisions, in input order. Security Hub
 * findings are read in full from GuardDuty (`hydrateRefs`), except imported
 * updates cordon ignores: those are decided from the Security Hub copy alone.
 */
export async function resolve(
  items: readonly ParsedItem[],
  deps: Pick<ResponderDeps, 'clients' | 'archiver' | 'runbooks' | 'policy'>,
): Promise<Resolved[]> {
  const ignored = ignoredImports(items);
  const refs = items.flatMap((i) => (i.kind === 'ref' && !ignored.has(i.ref) ? [i.ref] : []));
  const hydrated = refs.length > 0 ? await hydrateRefs(refs, deps.clients, deps.archiver) : new Map<string, Finding | Error>();
  const decided = (finding: Finding): ResolvedFinding => ({
    kind: 'finding',
    finding,
    decision: decide(finding, deps.runbooks, deps.policy),
  });
  return items.map((item): Resolved => {
    if (item.kind === 'foreign') return { kind: 'foreign', foreign: item.foreign };
    if (item.kind === 'finding') return decided(item.finding);
    const reason = ignored.get(item.ref);
    if (reason) return { kind: 'ignored', ref: item.ref, reason };
    const read = hydrated.get(item.ref.arn);
    if (!read || read instanceof Error) return { kind: 'unreadable', ref: item.ref, error: read ?? new Error('finding not read') };
    return decided(read);
  });
}

/** Imported Security Hub updates cordon does not act on, with the reason. */
function ignoredImports(items: readonly ParsedItem[]): Map<FindingRef, string> {
  const ignored = new Map<FindingRef, string>();
  for (const item of items) {
    if (item.kind !== 'ref' || item.ref.origin.kind !== 'imported') continue;
    const reason = importedSkipReason(item.ref.origin);
    if (reason) ignored.set(item.ref, reason);
  }
  return ignored;
}
