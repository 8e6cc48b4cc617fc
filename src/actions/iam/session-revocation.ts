import { GetRolePolicyCommand, type IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';

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
