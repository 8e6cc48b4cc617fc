import { describeError } from '../../errors';
import type { Finding } from '../../findings/finding';
import { releaseFinding, releaseUpdate, type Release } from '../../release/release';
import { aboutFinding } from '../audit-records';
import { resourceLabel } from '../execute';
import { actionLine } from '../result';
import type { Builtin } from './builtin';

/**
 * "Release": undoes what cordon changed for the finding, from its audit
 * records (src/release, which audits the release itself), and notes it in
 * Security Hub. Never forced, and access keys stay deactivated.
 */
export const release: Builtin = async (finding, deps) => {
  const released = await releaseFinding(finding.id, deps, { dryRun: deps.dryRun, force: false, reactivateKeys: false }).catch(
    (err: unknown) => failedRelease(finding, err),
  );
  const actions =
    released.actions.length > 0
      ? released.actions.map(actionLine)
      : [{ action: 'release', resource: resourceLabel(finding), status: 'skipped' as const, detail: released.summary }];
  return { actions, update: releaseUpdate({ ...released, findingArn: finding.arn, region: finding.region }), records: [] };
};

function failedRelease(finding: Finding, err: unknown): Release {
  return {
    ...aboutFinding(finding),
    actions: [{ action: 'release', resource: resourceLabel(finding), status: 'failed', detail: describeError(err) }],
    summary: `release failed: ${describeError(err)}`,
  };
}
