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

/**
 * The runbook whose most specific pattern matches the type, if any, among the
 * runbooks for the finding's resource type (a runbook naming no resource
 * types is for any). At equal specificity, a runbook for the resource type
 * beats one for any.
 */
export function matchRunbook(runbooks: readonly Runbook[], type: string, resourceType?: string): RunbookMatch | undefined {
  let best: (RunbookMatch & { score: number; typed: boolean }) | undefined;
  for (const runbook of runbooks) {
    const typed = runbook.resourceTypes !== undefined;
    if (typed && (resourceType === undefined || !runbook.resourceTypes?.includes(resourceType))) continue;
    for (const pattern of runbook.findingTypes) {
      if (!typeMatches(pattern, type)) continue;
      const score = patternSpecificity(pattern);
      if (!best || score > best.score || (score === best.score && typed && !best.typed)) best = { runbook, pattern, score, typed };
    }
  }
  return best ? { runbook: best.runbook, pattern: best.pattern } : undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
