import { DeleteRolePolicyCommand, GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { outcome, REFUSED, type ActionOutcome, type UndoContext } from '../types';

/** Inline policy cordon attaches to a role to revoke its older sessions. */
export const REVOKE_SESSIONS_POLICY = 'cordon-revoke-older-sessions';

/** The policy AWS's console "Revoke active sessions" uses: deny everything to tokens issued before `before`. */
export function revokeSessionsPolicy(before: Date): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'CordonRevokeOlderSessions',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': before.toISOString() } },
      },
    ],
  });
}

/** Reads cordon's revocation policy on a role, if present (NoSuchEntity → undefined; other errors propagate). */
export async function existingRevocation(iam: IAMClient, roleName: string): Promise<string | undefined> {
  try {
    const out = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: REVOKE_SESSIONS_POLICY }));
    return decodeURIComponent(out.PolicyDocument ?? '');
  } catch (err) {
    if ((err as Error).name === 'NoSuchEntityException' || (err as Error).name === 'NoSuchEntity') return undefined;
    throw err;
  }
}

/** Attaches the revocation policy. */
export async function putRevocation(iam: IAMClient, roleName: string, before: Date): Promise<void> {
  await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: REVOKE_SESSIONS_POLICY, PolicyDocument: revokeSessionsPolicy(before) }));
}

/** IAM actions {@link removeRevocation} calls. */
export const REMOVE_REVOCATION_PERMISSIONS = ['iam:GetRolePolicy', 'iam:DeleteRolePolicy'] as const;

/**
 * Undo of a revocation: deletes cordon's policy from the role. Refuses (unless
 * forced) when the policy of that name no longer is cordon's statement.
 */
export async function removeRevocation(action: string, ctx: UndoContext, roleName: string): Promise<ActionOutcome> {
  const iam = ctx.member(IAMClient);
  const document = await existingRevocation(iam, roleName);
  if (document === undefined) return outcome(action, roleName, 'already', `${REVOKE_SESSIONS_POLICY} is no longer on ${roleName}`);
  if (!document.includes('CordonRevokeOlderSessions') && !ctx.force) {
    return outcome(action, roleName, 'failed', `${REFUSED} ${REVOKE_SESSIONS_POLICY} on ${roleName} is not the policy cordon wrote (changed since); rerun with --force to delete it anyway`);
  }
  if (ctx.dryRun) return outcome(action, roleName, 'planned', `would delete ${REVOKE_SESSIONS_POLICY} from ${roleName}`);
  await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: REVOKE_SESSIONS_POLICY }));
  return outcome(action, roleName, 'done', `deleted ${REVOKE_SESSIONS_POLICY} from ${roleName}: its older sessions work again`, { prior: { policyName: REVOKE_SESSIONS_POLICY }, changed: { policyName: null } });
}
