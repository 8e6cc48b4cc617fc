import { DeleteRolePolicyCommand, GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { z } from 'zod';
import type { Finding } from '../../findings/finding';
import { REFUSED, type UndoContext } from '../types';
import type { OutcomeReporter, UndoReporter } from '../define';
import type { ActionOutcome } from '../../outcome';

/** Inline policy cordon attaches to a role to revoke its older sessions. */
export const REVOKE_SESSIONS_POLICY = 'cordon-revoke-older-sessions';

/** Sid of the statement that revokes every session of the role (the console's "Revoke active sessions"). */
const ROLE_WIDE_SID = 'CordonRevokeOlderSessions';

/**
 * What a revocation records as `prior`: the role, whether cordon's policy was
 * on it, and the statement of the same scope it replaced (an earlier cut-off), if any.
 * @example { roleName: 'web-role', hadPolicy: true, previousStatement: { Sid: 'CordonRevokeOlderSessions', Effect: 'Deny',
 *   Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-20T08:00:00.000Z' } } } }
 */
export const revocationPrior = z.object({
  roleName: z.string(),
  hadPolicy: z.boolean(),
  previousStatement: z.record(z.string(), z.unknown()).optional(),
});

/**
 * What a revocation records as `changed`: the policy, the statement cordon wrote and its cut-off.
 * @example { policyName: 'cordon-revoke-older-sessions', sid: 'CordonRevokeOlderSessionsi0abc', cutoff: '2026-11-24T10:35:00.000Z' }
 */
export const revocationChanged = z.object({ policyName: z.literal(REVOKE_SESSIONS_POLICY), sid: z.string(), cutoff: z.iso.datetime() });

/** See {@link revocationPrior}. */
export type RevocationPrior = z.output<typeof revocationPrior>;
/** See {@link revocationChanged}. */
export type RevocationChanged = z.output<typeof revocationChanged>;

/**
 * The outcome builders a revocation uses: those of either action that revokes
 * sessions (whose `prior` and `changed` schemas include a revocation's).
 */
export type RevocationReporter = Pick<OutcomeReporter<RevocationPrior, RevocationChanged>, 'already' | 'planned' | 'done'>;

/**
 * Whose sessions a revocation denies. `instance`: only credentials the
 * instance got from its instance profile (`ec2:SourceInstanceARN`), so that
 * the other instances sharing the role keep working (a role-wide revocation
 * of a fleet's role stops every instance until its credentials are renewed,
 * up to hours later). `role`: every session of the role.
 */
export type RevocationScope =
  { readonly kind: 'role' } | { readonly kind: 'instance'; readonly instanceId: string; readonly instanceArn: string };

/** The scope of one instance's sessions (its instance-profile credentials). */
export function instanceScope(finding: Pick<Finding, 'partition' | 'region' | 'accountId'>, instanceId: string): RevocationScope {
  return {
    kind: 'instance',
    instanceId,
    instanceArn: `arn:${finding.partition}:ec2:${finding.region}:${finding.accountId}:instance/${instanceId}`,
  };
}

/** One statement of cordon's revocation policy. */
interface RevocationStatement {
  readonly Sid: string;
  readonly Effect: 'Deny';
  readonly Action: '*';
  readonly Resource: '*';
  readonly Condition: {
    readonly DateLessThan: { readonly 'aws:TokenIssueTime': string };
    readonly ArnEquals?: { readonly 'ec2:SourceInstanceARN': string };
  };
}

/** The statement id of a scope (alphanumeric, as IAM requires). */
export function revocationSid(scope: RevocationScope): string {
  return scope.kind === 'role' ? ROLE_WIDE_SID : `${ROLE_WIDE_SID}${scope.instanceId.replace(/[^A-Za-z0-9]/g, '')}`;
}

/** Deny everything to tokens of the scope issued before `before`. */
export function revocationStatement(scope: RevocationScope, before: Date): RevocationStatement {
  return {
    Sid: revocationSid(scope),
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: {
      DateLessThan: { 'aws:TokenIssueTime': before.toISOString() },
      ...(scope.kind === 'instance' ? { ArnEquals: { 'ec2:SourceInstanceARN': scope.instanceArn } } : {}),
    },
  };
}

/** The revocation policy holding these statements. */
export function revokeSessionsPolicy(statements: readonly unknown[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
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

/** The statements of a policy document (none when absent or unreadable: it is then rewritten whole). */
function statementsOf(document: string | undefined): Array<Record<string, unknown>> {
  if (!document) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    // Not JSON: not a policy cordon can read; it is replaced.
    return [];
  }
  const statements = (parsed as { Statement?: unknown }).Statement;
  const list = Array.isArray(statements) ? statements : statements ? [statements] : [];
  return list.filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null);
}

function cutoffOf(statement: Record<string, unknown> | undefined): Date | undefined {
  const before = (statement?.Condition as { DateLessThan?: Record<string, unknown> } | undefined)?.DateLessThan?.['aws:TokenIssueTime'];
  return typeof before === 'string' && !Number.isNaN(Date.parse(before)) ? new Date(before) : undefined;
}

/** What revoking sessions takes now. */
export type RevocationPlan =
  | { readonly kind: 'already'; readonly cutoff: Date; readonly roleWide: boolean }
  /** (Re)write the scope's statement with the cut-off `now`; `previous` is the statement it replaces, if any. */
  | {
      readonly kind: 'put';
      readonly document: string | undefined;
      readonly previous: Record<string, unknown> | undefined;
      readonly previousCutoff: Date | undefined;
    };

/**
 * Decides whether the scope's sessions must be revoked again: a revocation in
 * place (the scope's own statement, or a role-wide one) is enough only when
 * its cut-off is at or after the finding's last activity (`lastSeenAt`);
 * otherwise sessions issued after the old cut-off, such as the ones this
 * finding saw, are still valid, and the cut-off moves to now.
 */
export async function planRevocation(
  iam: IAMClient,
  roleName: string,
  scope: RevocationScope,
  lastSeenAt: string | undefined,
  now: Date,
): Promise<RevocationPlan> {
  const document = await existingRevocation(iam, roleName);
  const statements = statementsOf(document);
  const own = statements.find((s) => s.Sid === revocationSid(scope));
  const roleWide = statements.find((s) => s.Sid === ROLE_WIDE_SID);
  const activity = lastSeenAt && !Number.isNaN(Date.parse(lastSeenAt)) ? new Date(lastSeenAt) : now;
  for (const [statement, isRoleWide] of [
    [own, scope.kind === 'role'],
    [roleWide, true],
  ] as const) {
    const cutoff = cutoffOf(statement);
    if (cutoff && cutoff.getTime() >= activity.getTime()) return { kind: 'already', cutoff, roleWide: isRoleWide };
  }
  return { kind: 'put', document, previous: own, previousCutoff: cutoffOf(own) };
}

/**
 * Runs a revocation plan and describes it as an outcome: `already`, `planned`
 * in a dry run, or `done` with the statement it replaced as the prior state
 * (so `release` puts back an earlier cut-off, or removes only this statement,
 * whatever other findings added to the policy since).
 */
export async function applyRevocation(
  report: RevocationReporter,
  iam: IAMClient,
  roleName: string,
  scope: RevocationScope,
  plan: RevocationPlan,
  now: Date,
  dryRun: boolean,
): Promise<ActionOutcome> {
  const whose = scope.kind === 'instance' ? `sessions of ${roleName} on ${scope.instanceId}` : `sessions of ${roleName}`;
  if (plan.kind === 'already') {
    return report.already(
      roleName,
      `${REVOKE_SESSIONS_POLICY} on ${roleName} already denies ${plan.roleWide && scope.kind === 'instance' ? `every session of ${roleName}` : whose} issued before ${plan.cutoff.toISOString()}, after this finding's activity`,
    );
  }
  const moving = plan.previous ? ` (moving the cut-off from ${plan.previousCutoff?.toISOString() ?? 'an unreadable one'})` : '';
  if (dryRun) return report.planned(roleName, `would deny ${whose} issued before ${now.toISOString()}${moving}`);
  const statement = revocationStatement(scope, now);
  const others = statementsOf(plan.document).filter((s) => s.Sid !== statement.Sid);
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: REVOKE_SESSIONS_POLICY,
      PolicyDocument: revokeSessionsPolicy([...others, statement]),
    }),
  );
  return report.done(roleName, `${whose} issued before ${now.toISOString()} denied${moving}`, {
    prior: { roleName, hadPolicy: plan.document !== undefined, ...(plan.previous ? { previousStatement: plan.previous } : {}) },
    changed: { policyName: REVOKE_SESSIONS_POLICY, sid: statement.Sid, cutoff: now.toISOString() },
  });
}

/** IAM actions {@link removeRevocation} calls. */
export const REMOVE_REVOCATION_PERMISSIONS = ['iam:GetRolePolicy', 'iam:DeleteRolePolicy', 'iam:PutRolePolicy'] as const;

/**
 * Undo of a revocation: removes cordon's statement from the role's policy,
 * or puts back the earlier statement it replaced; the policy goes when no
 * statement is left. Other statements (other instances, other findings) stay.
 * Refuses (unless forced) when the statement is no longer the one cordon
 * wrote for this finding (another cut-off since).
 */
export async function removeRevocation(
  report: UndoReporter,
  ctx: UndoContext,
  roleName: string,
  written: RevocationChanged,
  previous: RevocationPrior['previousStatement'],
): Promise<ActionOutcome> {
  const iam = ctx.member(IAMClient);
  const document = await existingRevocation(iam, roleName);
  const { sid } = written;
  const statements = statementsOf(document);
  const current = statements.find((s) => s.Sid === sid);
  if (document === undefined || !current)
    return report.already(roleName, `cordon's statement ${sid} is no longer in ${REVOKE_SESSIONS_POLICY} on ${roleName}`);
  if (cutoffOf(current)?.toISOString() !== new Date(written.cutoff).toISOString() && !ctx.force) {
    return report.failed(
      roleName,
      `${REFUSED} ${sid} on ${roleName} is not the statement cordon wrote for this finding (cut-off changed since); rerun with --force to restore it anyway`,
    );
  }
  const rest = statements.filter((s) => s.Sid !== sid);
  const next = previous ? [...rest, previous] : rest;
  const what = previous
    ? `put back the earlier revocation of ${roleName} (sessions issued before ${cutoffOf(previous)?.toISOString() ?? 'an earlier time'} stay denied)`
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
}
