import type { OutcomeReporter } from '../define';
import type { AuditPayload } from '../types';
import type { ActionOutcome } from '../../outcome';
import type { FindingAccessKey } from '../../findings/finding';

/**
 * The outcome of a principal-containment action on a finding about the
 * account's root user (`userType` Root): cordon neither can nor should act on
 * it (no deny applies to root, its keys are not an IAM user's), so it says
 * so and the finding stays NOTIFIED with the root channel open. Undefined for
 * any other principal.
 */
export function rootSkip<Prior extends AuditPayload, Changed extends AuditPayload>(
  report: Pick<OutcomeReporter<Prior, Changed>, 'skipped'>,
  key: FindingAccessKey | undefined,
): ActionOutcome | undefined {
  if (key?.userType !== 'Root') return undefined;
  return report.skipped(key.accessKeyId ?? 'root', "the credentials are the account's root user's: cordon cannot contain the root user", {
    remains: ['root-credentials'],
  });
}
