import { describeError } from '../errors';
import type { Finding } from '../findings/finding';
import { THREAT_LIST_ACTION, TRUSTED_LIST_ACTION } from '../intel/ledger';
import { forgetFinding, trustFinding, trustRequest } from '../intel/references';
import { outcome, type ActionOutcome } from '../outcome';
import type { ResponderDeps } from './deps';

/**
 * What an analyst's False positive does to cordon's lists: the finding's
 * indicators leave the threat list (other findings' stay), and its remote
 * addresses and domains go on the trusted list only when the note asks for
 * it with `trust: <days>d`. Nothing when no list bucket is set.
 */
export async function analystIntel(
  finding: Finding,
  note: string | undefined,
  deps: Pick<ResponderDeps, 'intel'>,
): Promise<ActionOutcome[]> {
  const intel = deps.intel;
  if (!intel) return [];
  const lines: ActionOutcome[] = [];
  try {
    lines.push(...(await forgetFinding(intel, finding.id, ['threat'])));
  } catch (err) {
    lines.push(outcome(THREAT_LIST_ACTION, finding.id, 'failed', `cordon's threat list could not be updated: ${describeError(err)}`));
  }
  const trust = trustRequest(note);
  if (!trust) return lines;
  if ('problem' in trust) return [...lines, outcome(TRUSTED_LIST_ACTION, finding.id, 'skipped', trust.problem)];
  try {
    lines.push(...(await trustFinding(intel, finding, trust.days)));
  } catch (err) {
    lines.push(outcome(TRUSTED_LIST_ACTION, finding.id, 'failed', `cordon's trusted list could not be updated: ${describeError(err)}`));
  }
  return lines;
}
