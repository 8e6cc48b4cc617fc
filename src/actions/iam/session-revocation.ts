import { DeleteRolePolicyCommand, GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { outcome, REFUSED, type ActionOutcome, type UndoContext, type UndoRecord } from '../types';

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

/** The cut-off of a revocation policy cordon wrote (`aws:TokenIssueTime` it denies before), or undefined. */
export function revocationCutoff(document: string | undefined): Date | undefined {
  if (!document) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    // Not JSON: not a policy cordon wrote; treated as no usable cut-off (it is rewritten).
    return undefined;
  }
  const statements = (parsed as { Statement?: unknown }).Statement;
  for (const st of Array.isArray(statements) ? statements : [statements]) {
    const before = (st as { Sid?: unknown; Condition?: { DateLessThan?: Record<string, unknown> } } | undefined)?.Condition?.DateLessThan?.['aws:TokenIssueTime'];
    if ((st as { Sid?: unknown }).Sid === 'CordonRevokeOlderSessions' && typeof before === 'string' && !Number.isNaN(Date.parse(before))) return new Date(before);
  }
  return undefined;
}

/** What revoking a role's older sessions takes now. */
export type RevocationPlan =
  | { readonly kind: 'already'; readonly cutoff: Date }
  /** (Re)write the policy with the cut-off `now`; `previous` is the document it replaces, if any. */
  | { readonly kind: 'put'; readonly previous: string | undefined; readonly previousCutoff: Date | undefined };

/**
 * Decides whether the role's sessions must be revoked again: a revocation in
 * place is enough only when its cut-off is at or after the finding's last
 * activity (`lastSeenAt`); otherwise sessions issued after the old cut-off,
 * such as the ones this finding saw, are still valid, and the cut-off moves to now.
 */
export async function planRevocation(iam: IAMClient, roleName: string, lastSeenAt: string | undefined, now: Date): Promise<RevocationPlan> {
  const previous = await existingRevocation(iam, roleName);
  const cutoff = revocationCutoff(previous);
  const activity = lastSeenAt && !Number.isNaN(Date.parse(lastSeenAt)) ? new Date(lastSeenAt) : now;
  if (cutoff && cutoff.getTime() >= activity.getTime()) return { kind: 'already', cutoff };
  return { kind: 'put', previous, previousCutoff: cutoff };
}

/** Attaches (or rewrites) the revocation policy. */
export async function putRevocation(iam: IAMClient, roleName: string, before: Date): Promise<void> {
  await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: REVOKE_SESSIONS_POLICY, PolicyDocument: revokeSessionsPolicy(before) }));
}

/**
 * Runs a revocation plan and describes it as an outcome: `already`, `planned`
 * in a dry run, or `done` with the replaced document as the prior state (so
 * `release` puts back an earlier cut-off rather than deleting it).
 */
export async function applyRevocation(action: string, iam: IAMClient, roleName: string, plan: RevocationPlan, now: Date, dryRun: boolean): Promise<ActionOutcome> {
  if (plan.kind === 'already') return outcome(action, roleName, 'already', `${REVOKE_SESSIONS_POLICY} on ${roleName} already denies sessions issued before ${plan.cutoff.toISOString()}, after this finding's activity`);
  const moving = plan.previous ? ` (moving the cut-off from ${plan.previousCutoff?.toISOString() ?? 'an unreadable one'})` : '';
  if (dryRun) return outcome(action, roleName, 'planned', `would deny sessions of ${roleName} issued before ${now.toISOString()}${moving}`);
  await putRevocation(iam, roleName, now);
  return outcome(action, roleName, 'done', `sessions of ${roleName} issued before ${now.toISOString()} denied${moving}`, {
    prior: plan.previous ? { roleName, hadPolicy: true, previousDocument: plan.previous } : { roleName, hadPolicy: false },
    changed: { policyName: REVOKE_SESSIONS_POLICY, cutoff: now.toISOString() },
  });
}

/** IAM actions {@link removeRevocation} calls. */
export const REMOVE_REVOCATION_PERMISSIONS = ['iam:GetRolePolicy', 'iam:DeleteRolePolicy', 'iam:PutRolePolicy'] as const;

/**
 * Undo of a revocation: deletes cordon's policy from the role, or puts back
 * the earlier revocation it replaced. Refuses (unless forced) when the policy
 * of that name is no longer the one cordon wrote (another cut-off, or not cordon's).
 */
export async function removeRevocation(action: string, ctx: UndoContext, record: UndoRecord): Promise<ActionOutcome> {
  const roleName = record.resource;
  const iam = ctx.member(IAMClient);
  const document = await existingRevocation(iam, roleName);
  if (document === undefined) return outcome(action, roleName, 'already', `${REVOKE_SESSIONS_POLICY} is no longer on ${roleName}`);
  const written = typeof record.changed.cutoff === 'string' ? record.changed.cutoff : undefined;
  const current = revocationCutoff(document);
  const ours = document.includes('CordonRevokeOlderSessions') && (!written || current?.toISOString() === new Date(written).toISOString());
  if (!ours && !ctx.force) {
    return outcome(action, roleName, 'failed', `${REFUSED} ${REVOKE_SESSIONS_POLICY} on ${roleName} is not the policy cordon wrote for this finding (changed since); rerun with --force to restore it anyway`);
  }
  const previous = typeof record.prior.previousDocument === 'string' ? record.prior.previousDocument : undefined;
  if (previous) {
    const before = revocationCutoff(previous)?.toISOString() ?? 'an earlier time';
    if (ctx.dryRun) return outcome(action, roleName, 'planned', `would put back the earlier revocation of ${roleName} (sessions issued before ${before})`);
    await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: REVOKE_SESSIONS_POLICY, PolicyDocument: previous }));
    return outcome(action, roleName, 'done', `put back the earlier revocation of ${roleName} (sessions issued before ${before} stay denied)`, { prior: { document }, changed: { document: previous } });
  }
  if (ctx.dryRun) return outcome(action, roleName, 'planned', `would delete ${REVOKE_SESSIONS_POLICY} from ${roleName}`);
  await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: REVOKE_SESSIONS_POLICY }));
  return outcome(action, roleName, 'done', `deleted ${REVOKE_SESSIONS_POLICY} from ${roleName}: its older sessions work again`, { prior: { policyName: REVOKE_SESSIONS_POLICY }, changed: { policyName: null } });
}
