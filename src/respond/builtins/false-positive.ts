import { archiveFinding } from '../../actions/guardduty/archive-finding';
import type { Finding } from '../../findings/finding';
import type { ActionLine, ActionStatus } from '../../outcome';
import { analystIntel } from '../analyst-intel';
import { BUILTIN_ACTIONS } from '../../runbooks/custom-actions';
import type { FindingUpdate } from '../../securityhub/writer';
import { findingRecord } from '../audit-records';
import { actionContext, runAction } from '../execute';
import { actionLine } from '../result';
import { updateOf } from '../summary';
import type { Builtin } from './builtin';

const NAME = BUILTIN_ACTIONS.falsePositive.name;

/** Words analysts have always read on this built-in's lines where the action's own detail says it differently. */
const WORDING: Readonly<Partial<Record<ActionStatus, string>>> = {
  already: 'already archived in GuardDuty',
  planned: 'would archive in the administrator detector',
};

/**
 * "False positive": runs the `guardduty.archive` action on the finding, as a
 * runbook would (archived in the administrator's detector, batched with the
 * other archives), then suppresses it in Security Hub with the analyst's note
 * (NOTIFIED if the archive failed). Audited with the analyst's note.
 */
export const falsePositive: Builtin = async (finding, deps, stamp) => {
  const analystNote = finding.origin.kind === 'custom-action' ? finding.origin.analystNote : undefined;
  const outcomes = await runAction(archiveFinding, archiveFinding.params.parse({}), actionContext(finding, deps), finding.id);
  const actions = [
    ...outcomes.map((o) => ({ ...actionLine(o), detail: WORDING[o.status] ?? o.detail })),
    // Its indicators leave the threat list; its addresses are trusted only if the analyst's note asks (`trust: 30d`).
    ...(await analystIntel(finding, analystNote, deps)).map(actionLine),
  ];
  const noted = analystNote ? ` (analyst note: ${analystNote})` : '';
  return {
    actions,
    update: falsePositiveUpdate(finding, actions, analystNote),
    records: actions.map((a) => ({ ...findingRecord(finding, null, stamp), ...a, detail: `${NAME}: ${a.detail}${noted}` })),
  };
};

function falsePositiveUpdate(finding: Finding, actions: readonly ActionLine[], analystNote: string | undefined): FindingUpdate {
  const failed = actions.find((a) => a.status === 'failed' && a.action === archiveFinding.name);
  const archived = failed ? `cordon could NOT archive it in GuardDuty: ${failed.detail}.` : 'cordon archived it in GuardDuty.';
  const noted = analystNote ? ` Analyst's note: ${analystNote}` : '';
  return updateOf(finding, {
    workflow: failed ? 'NOTIFIED' : 'SUPPRESSED',
    // cordon's part first: a long analyst note is what gets cut at Security Hub's limit.
    note: `An analyst marked this finding a false positive (custom action "${NAME}"). ${archived}${noted}`,
    fields: { cordon_result: failed ? 'failed' : 'false-positive' },
  });
}
