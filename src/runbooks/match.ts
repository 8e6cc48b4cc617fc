import type { Runbook } from './runbook';

/** How specifically a pattern matches a type: exact matches beat every wildcard. */
export function patternSpecificity(pattern: string): number {
  return pattern.includes('*') ? pattern.replace(/\*/g, '').length : Number.MAX_SAFE_INTEGER;
}

/** True when a GuardDuty type matches an exact name or a `*` pattern. */
export function typeMatches(pattern: string, type: string): boolean {
  if (!pattern.includes('*')) return pattern === type;
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return re.test(type);
}

/** A runbook and the pattern that chose it. */
export interface RunbookMatch {
  readonly runbook: Runbook;
  readonly pattern: string;
}

/** The runbook whose most specific pattern matches the type, if any. */
export function matchRunbook(runbooks: readonly Runbook[], type: string): RunbookMatch | undefined {
  let best: (RunbookMatch & { score: number }) | undefined;
  for (const runbook of runbooks) {
    for (const pattern of runbook.findingTypes) {
      if (!typeMatches(pattern, type)) continue;
      const score = patternSpecificity(pattern);
      if (!best || score > best.score) best = { runbook, pattern, score };
    }
  }
  return best ? { runbook: best.runbook, pattern: best.pattern } : undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
