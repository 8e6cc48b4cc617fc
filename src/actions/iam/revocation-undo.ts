/**
 * Undoing a session revocation (release): removes cordon's statement from the
 * role, or puts back the one it replaced. See `session-revocation.ts`.
 */
import { DeleteRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { REFUSED, type UndoContext } from '../types';
import type { UndoReporter } from '../define';
import type { ActionOutcome } from '../../outcome';
import { deleteRolePolicies, putRolePolicyIfRoom, readRolePolicy } from './role-policies';
import {
  cutoffOf,
  REVOKE_SESSIONS_POLICY,
  revokeSessionsPolicy,
  statementsOf,
  type RevocationChanged,
  type RevocationPrior,
} from './revocation-policy';

/** IAM actions {@link removeRevocation} calls. */
export const REMOVE_REVOCATION_PERMISSIONS = ['iam:GetRolePolicy', 'iam:DeleteRolePolicy', 'iam:PutRolePolicy'] as const;

/**
 * Undo of a revocation: removes cordon's statement, or puts back the earlier
 * statement(s) it replaced. An instance's policy is deleted (after its
 * earlier one, if any, is written back); in the shared
 * policy, other statements (other findings, other instances) stay and the
 * policy goes when none is left. Runs under the lease on the role. Refuses
 * (unless forced) when the statement is no longer the one cordon wrote for
 * this finding (another cut-off since).
 */
export async function removeRevocation(
  report: UndoReporter,
  ctx: UndoContext,
  roleName: string,
  written: RevocationChanged,
  prior: Partial<Pick<RevocationPrior, 'previousStatement' | 'previousPolicyName' | 'replacedStatements'>>,
): Promise<ActionOutcome> {
  const iam = ctx.member(IAMClient);
  const { policyName, sid } = written;
  return ctx.exclusivePrincipal(`role/${roleName}`, async () => {
    const document = await readRolePolicy(iam, roleName, policyName);
    const statements = statementsOf(document);
    const current = statements.find((s) => s.Sid === sid);
    if (document === undefined || !current)
      return report.already(roleName, `cordon's statement ${sid} is no longer in ${policyName} on ${roleName}`);
    if (cutoffOf(current)?.toISOString() !== new Date(written.cutoff).toISOString() && !ctx.force) {
      return report.failed(
        roleName,
        `${REFUSED} ${sid} on ${roleName} is not the statement cordon wrote for this finding (cut-off changed since); rerun with --force to restore it anyway`,
      );
    }
    if (policyName !== REVOKE_SESSIONS_POLICY) return removeInstanceRevocation(report, ctx, roleName, policyName, document, prior);
    const rest = statements.filter((s) => s.Sid !== sid);
    const back = [...(prior.previousStatement ? [prior.previousStatement] : []), ...(prior.replacedStatements ?? [])].filter(
      (s) => !rest.some((r) => r.Sid === s.Sid),
    );
    const next = [...rest, ...back];
    const what =
      back.length > 0
        ? `put back the earlier revocation of ${roleName} (sessions issued before ${back.map((s) => cutoffOf(s)?.toISOString() ?? 'an earlier time').join(', ')} stay denied)`
        : `removed ${sid} from ${REVOKE_SESSIONS_POLICY} on ${roleName}: those older sessions work again`;
    if (ctx.dryRun)
      return report.planned(
        roleName,
        `would ${what.replace(/^(put back|removed)/, (v) => (v === 'put back' ? 'put back' : 'remove'))}${next.length === 0 ? ' and delete the policy' : ''}`,
      );
    if (next.length === 0) {
      await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: REVOKE_SESSIONS_POLICY }));
      return report.done(roleName, `deleted ${REVOKE_SESSIONS_POLICY} from ${roleName}: its older sessions work again`, {
        prior: { document },
        changed: { policyName: null },
      });
    }
    const updated = revokeSessionsPolicy(next);
    await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: REVOKE_SESSIONS_POLICY, PolicyDocument: updated }));
    return report.done(roleName, what, { prior: { document }, changed: { document: updated } });
  });
}

/**
 * Undo of one instance's revocation: its earlier policy (the statement this
 * one superseded) is written back first, so the older sessions it denied never
 * work in between (one whose cut-off has expired by then denies nothing and is
 * deleted by the next revocation on the role); then this finding's policy is
 * deleted.
 */
async function removeInstanceRevocation(
  report: UndoReporter,
  ctx: UndoContext,
  roleName: string,
  policyName: string,
  document: string,
  prior: Partial<Pick<RevocationPrior, 'previousStatement' | 'previousPolicyName'>>,
): Promise<ActionOutcome> {
  const iam = ctx.member(IAMClient);
  const previous = prior.previousStatement;
  const back = previous && prior.previousPolicyName ? prior.previousPolicyName : undefined;
  const before = previous ? cutoffOf(previous)?.toISOString() : undefined;
  const what = back
    ? `put back the earlier revocation of ${roleName} (${back}: sessions issued before ${before} stay denied) and deleted ${policyName}`
    : `deleted ${policyName} from ${roleName}: those older sessions work again`;
  if (ctx.dryRun)
    return report.planned(
      roleName,
      back
        ? `would put back ${back} (sessions issued before ${before} stay denied) and delete ${policyName}`
        : `would delete ${policyName} from ${roleName}`,
    );
  if (back && previous && !(await putRolePolicyIfRoom(iam, roleName, back, revokeSessionsPolicy([previous])))) {
    // No room for both at once: this one goes first, and the earlier one takes its place.
    await deleteRolePolicies(iam, roleName, [policyName]);
    await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: back, PolicyDocument: revokeSessionsPolicy([previous]) }));
  } else {
    await deleteRolePolicies(iam, roleName, [policyName]);
  }
  return report.done(roleName, what, { prior: { document }, changed: { policyName: back ?? null } });
}
