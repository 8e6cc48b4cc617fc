import { CORDON_UPDATED_BY, type Finding, type FindingOrigin } from '../findings/finding';
import { builtinFor, type BuiltinAction } from './custom-actions';
import { matchRunbook } from './match';
import { DEFAULT_ACTION_THRESHOLD, type Runbook } from './runbook';

/** Organization-wide policy applied before any runbook acts. */
export interface ResponsePolicy {
  /** Actions run when reliability + severity is strictly above this. @default 10 */
  readonly threshold: number;
  /** Accounts where cordon never contains anything. */
  readonly exemptAccounts: ReadonlySet<string>;
}

/** The default policy: GDPatrol's threshold and no exempt account. */
export const DEFAULT_POLICY: ResponsePolicy = { threshold: DEFAULT_ACTION_THRESHOLD, exemptAccounts: new Set() };

/** What cordon will do with one finding, and why. */
export interface Decision {
  readonly runbook: Runbook | undefined;
  readonly decision: 'act' | 'skip';
  readonly reason: string;
  /** Set when an analyst picked one of cordon's built-in custom actions (False positive, Release) rather than a runbook's. */
  readonly builtin?: BuiltinAction;
}

export { CORDON_UPDATED_BY } from '../findings/finding';

/** The reason every GuardDuty sample finding is skipped with. */
export const SAMPLE_FINDING_REASON = 'sample finding';

/**
 * Picks the runbook for a finding and decides whether it may act (pure). A
 * sample finding (CreateSampleFindings) is skipped first, whatever asked for
 * it: its resources are made up, or worse, real ones named by accident.
 */
export function decide(finding: Finding, runbooks: readonly Runbook[], policy: ResponsePolicy): Decision {
  if (finding.sample) return skip(matchRunbook(runbooks, finding.type, finding.resourceType)?.runbook, SAMPLE_FINDING_REASON);
  const origin = finding.origin;
  if (origin.kind === 'custom-action') {
    const builtin = builtinFor(origin.actionArn, origin.actionName);
    if (builtin) return { runbook: undefined, decision: 'act', reason: `analyst chose custom action "${origin.actionName}"`, builtin };
    const actionId = origin.actionArn?.split('/').pop();
    const runbook = runbooks.find((r) => r.customAction && (r.customAction.id === actionId || r.customAction.name === origin.actionName));
    if (!runbook) return skip(undefined, `custom action "${origin.actionName}" maps to no runbook`);
    if (policy.exemptAccounts.has(finding.accountId)) return skip(runbook, `account ${finding.accountId} is exempt`);
    return { runbook, decision: 'act', reason: `analyst chose custom action "${origin.actionName}"` };
  }
  if (origin.kind === 'imported') {
    const ignored = importedSkipReason(origin);
    if (ignored) return skip(undefined, ignored);
  }
  const match = matchRunbook(runbooks, finding.type, finding.resourceType);
  if (finding.archived) return skip(match?.runbook, 'finding is archived in GuardDuty');
  if (!match) return skip(undefined, `no runbook for ${finding.type}`);
  const { runbook } = match;
  if (policy.exemptAccounts.has(finding.accountId)) return skip(runbook, `account ${finding.accountId} is exempt`);
  if (runbook.mode === 'manual') {
    return skip(runbook, `runbook "${runbook.name}" is manual: run it from Security Hub with the custom action "${runbook.customAction?.name ?? runbook.name}"`);
  }
  const score = runbook.reliability + finding.severity;
  const sum = `reliability ${runbook.reliability} + severity ${finding.severity} = ${round(score)}`;
  if (score <= policy.threshold) return skip(runbook, `${sum}, not above the threshold ${policy.threshold}`);
  return { runbook, decision: 'act', reason: `${sum} > ${policy.threshold}` };
}

/**
 * Why an imported Security Hub finding is not acted on, or undefined when it
 * is (pure): only NEW findings are, and never cordon's own update coming back
 * (every BatchUpdateFindings emits an Imported event) unless GuardDuty has
 * updated the finding since cordon's note. The responder writes nothing back
 * for these either, or each write would echo forever.
 */
export function importedSkipReason(origin: Extract<FindingOrigin, { kind: 'imported' }>): string | undefined {
  if (origin.workflowStatus !== 'NEW') return `Security Hub workflow is ${origin.workflowStatus}: imported findings are acted on only while NEW`;
  const noteAt = origin.noteUpdatedAt ? Date.parse(origin.noteUpdatedAt) : Number.NaN;
  if (origin.noteUpdatedBy === CORDON_UPDATED_BY && !Number.isNaN(noteAt)) {
    const findingAt = origin.findingUpdatedAt ? Date.parse(origin.findingUpdatedAt) : Number.NaN;
    if (Number.isNaN(findingAt) || findingAt <= noteAt) return `already handled by cordon (note of ${origin.noteUpdatedAt}); no GuardDuty update since`;
  }
  return undefined;
}

function skip(runbook: Runbook | undefined, reason: string): Decision {
  return { runbook, decision: 'skip', reason };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
