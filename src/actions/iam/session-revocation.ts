import { DeleteRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { z } from 'zod';
import type { Finding } from '../../findings/finding';
import { REFUSED, type UndoContext } from '../types';
import type { OutcomeReporter, Residuals, UndoReporter } from '../define';
import type { ActionOutcome } from '../../outcome';
import { otherInlineChars, policyChars, readRolePolicy } from './role-policies';

/** Inline policy cordon attaches to a role to revoke its older sessions. */
export const REVOKE_SESSIONS_POLICY = 'cordon-revoke-older-sessions';

/** Sid of the statement that revokes every session of the role (the console's "Revoke active sessions"). */
const ROLE_WIDE_SID = 'CordonRevokeOlderSessions';

/**
 * The longest a role session can last: 12 hours (a role's MaxSessionDuration
 * is at most 43,200 seconds; IAM User Guide, "Update the maximum session
 * duration for a role"). A statement whose cut-off is older than this denies
 * only sessions that have all expired: it is dropped when the policy is written.
 */
export const MAX_ROLE_SESSION_MS = 12 * 3600_000;

/**
 * IAM's quota on the aggregate size of a role's inline policies: 10,240
 * characters, whitespace not counted (IAM User Guide, "IAM and AWS STS
 * quotas"; 2,048 for a user's). Past it, cordon writes one role-wide statement.
 */
export const ROLE_INLINE_POLICIES_MAX_CHARS = 10_240;

/** Times cordon writes the policy again when reading it back does not show its statement (another writer outside cordon). */
const WRITE_ATTEMPTS = 3;

/** A policy statement as cordon reads it back. */
const statement = z.record(z.string(), z.unknown());

/**
 * What a revocation records as `prior`: the role, whether cordon's policy was
 * on it, the statement of the same scope it replaced (an earlier cut-off), if
 * any, and, when IAM's size quota made it write one role-wide statement, the
 * statements that one replaced (release puts them back).
 * @example { roleName: 'web-role', hadPolicy: true, previousStatement: { Sid: 'CordonRevokeOlderSessions', Effect: 'Deny',
 *   Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-20T08:00:00.000Z' } } } }
 */
export const revocationPrior = z.object({
  roleName: z.string(),
  hadPolicy: z.boolean(),
  previousStatement: statement.optional(),
  replacedStatements: z.array(statement).optional(),
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
export type RevocationReporter = Pick<OutcomeReporter<RevocationPrior, RevocationChanged>, 'already' | 'planned' | 'done' | 'failed'>;

/**
 * Whose sessions a revocation denies. `instance`: only the sessions whose
 * `aws:userid` is the instance role's id and the instance id
 * (`AROA…:i-0123…`, what instance-profile credentials carry), so that the other
 * instances sharing the role keep working (a role-wide revocation of a fleet's
 * role stops every instance until its credentials are renewed, up to hours
 * later). `role`: every session of the role.
 *
 * `aws:userid` (IAM User Guide, "AWS global condition context keys": for a
 * role session, "role-id:caller-specified-role-name"; for instance-profile
 * credentials the session name is the instance id) is in every request
 * context, from any region, and a session anyone creates with
 * `sts:AssumeRole --role-session-name i-0123…` carries the same value, so it
 * is denied too. `ec2:SourceInstanceARN`, which cordon used before, is only in
 * the context of credentials EC2 delivered to the instance: a session named
 * after an instance lacked it and escaped the deny.
 */
export type RevocationScope =
  { readonly kind: 'role' } | { readonly kind: 'instance'; readonly instanceId: string; readonly userId: string };

/** The unique id of a role (`AROA…`) and an instance id, as `aws:userid` joins them. */
const INSTANCE_USER_ID = /^(AROA[A-Z0-9]{8,128}):(i-[0-9a-f]{8,17})$/;

/** The scope of one instance's sessions of a role: its role id and instance id, as `aws:userid` holds them. */
export function instanceScope(roleId: string, instanceId: string): RevocationScope {
  return { kind: 'instance', instanceId, userId: `${roleId}:${instanceId}` };
}

/**
 * Whose sessions a finding's credentials revocation covers (pure). Only an
 * `InstanceCredentialExfiltration.*` finding, whose credentials GuardDuty
 * knows to be an instance's, is scoped to that instance's sessions, by the
 * `aws:userid` it names (`principalId`). Any other finding about a role
 * revokes every session of the role: its session name is the caller's choice.
 */
export function findingScope(finding: Pick<Finding, 'type' | 'accessKey'>): RevocationScope {
  if (!/^UnauthorizedAccess:IAMUser\/InstanceCredentialExfiltration\./.test(finding.type)) return { kind: 'role' };
  const m = INSTANCE_USER_ID.exec(finding.accessKey?.principalId ?? '');
  return m ? instanceScope(m[1] as string, m[2] as string) : { kind: 'role' };
}

/** One statement of cordon's revocation policy. */
interface RevocationStatement {
  readonly Sid: string;
  readonly Effect: 'Deny';
  readonly Action: '*';
  readonly Resource: '*';
  readonly Condition: {
    readonly DateLessThan: { readonly 'aws:TokenIssueTime': string };
    readonly StringEquals?: { readonly 'aws:userid': string };
  };
}

/** The statement id of a scope (alphanumeric, as IAM requires). */
function revocationSid(scope: RevocationScope): string {
  return scope.kind === 'role' ? ROLE_WIDE_SID : `${ROLE_WIDE_SID}${scope.instanceId.replace(/[^A-Za-z0-9]/g, '')}`;
}

/** Deny everything to tokens of the scope issued before `before` (`aws:TokenIssueTime`: when the session's token was issued). */
function revocationStatement(scope: RevocationScope, before: Date): RevocationStatement {
  return {
    Sid: revocationSid(scope),
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: {
      DateLessThan: { 'aws:TokenIssueTime': before.toISOString() },
      ...(scope.kind === 'instance' ? { StringEquals: { 'aws:userid': scope.userId } } : {}),
    },
  };
}

/** The revocation policy holding these statements. */
function revokeSessionsPolicy(statements: readonly unknown[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
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

/** True when a statement denies only sessions that have all expired (its cut-off is more than 12 hours old). */
function expired(statement: Record<string, unknown>, now: Date): boolean {
  const cutoff = cutoffOf(statement);
  return cutoff !== undefined && cutoff.getTime() < now.getTime() - MAX_ROLE_SESSION_MS;
}

/** The statements to keep beside a new one: not of its Sid, and not expired. */
function keptBeside(statements: ReadonlyArray<Record<string, unknown>>, sid: string, now: Date): Array<Record<string, unknown>> {
  return statements.filter((s) => s.Sid !== sid && !expired(s, now));
}

/** What a revocation needs: the member account's IAM, the lease on the role, the time and whether to change anything. */
export interface RevocationDeps {
  readonly iam: IAMClient;
  /** `ActionContext.exclusivePrincipal`: the read-modify-write of the role's policy runs alone. */
  readonly exclusivePrincipal: <T>(principal: string, work: () => Promise<T>) => Promise<T>;
  readonly now: Date;
  readonly dryRun: boolean;
  /**
   * What must be done before the policy is written (the instance profile's
   * removal, so that no session the instance gets afterwards predates the
   * cut-off unseen): the lease is taken and the policy read meanwhile; if it
   * rejects, nothing is written and its error is thrown. @default nothing
   */
  readonly writeAfter?: Promise<unknown>;
}

/**
 * Revokes the scope's sessions of a role issued before now, unless a revocation
 * in place (the scope's own statement, or a role-wide one) already covers the
 * finding's last activity (`lastSeenAt`); otherwise sessions issued after the
 * old cut-off, such as the ones this finding saw, are still valid, and the
 * cut-off moves to now.
 *
 * The read, the write and a read back run under the lease on the role (a
 * second finding about another instance of the same role, in this batch or in
 * another Lambda environment, waits and then adds its statement beside this
 * one instead of overwriting it). Statements older than the longest session
 * are dropped; when the role's inline policies would exceed IAM's quota, one
 * role-wide statement replaces cordon's others and the outcome says so.
 * The outcome is `done` with the statement(s) it replaced as prior state (so
 * `release` puts back an earlier cut-off, or removes only this statement).
 */
export async function revokeSessions(
  report: RevocationReporter,
  deps: RevocationDeps,
  roleName: string,
  scope: RevocationScope,
  lastSeenAt: string | undefined,
  residuals: Residuals = {},
): Promise<ActionOutcome> {
  const { iam, now } = deps;
  const whose = scope.kind === 'instance' ? `sessions of ${roleName} with aws:userid ${scope.userId}` : `sessions of ${roleName}`;
  return deps.exclusivePrincipal(`role/${roleName}`, async () => {
    // Both reads at once: the other inline policies' size is needed only when cordon writes, which is the common case.
    const othersRead = otherInlineChars(iam, roleName, REVOKE_SESSIONS_POLICY);
    othersRead.catch(() => undefined);
    const document = await readRolePolicy(iam, roleName, REVOKE_SESSIONS_POLICY);
    const statements = statementsOf(document);
    const own = statements.find((s) => s.Sid === revocationSid(scope));
    const roleWide = statements.find((s) => s.Sid === ROLE_WIDE_SID);
    const activity = lastSeenAt && !Number.isNaN(Date.parse(lastSeenAt)) ? new Date(lastSeenAt) : now;
    for (const [found, isRoleWide] of [
      [own, scope.kind === 'role'],
      [roleWide, true],
    ] as const) {
      const cutoff = cutoffOf(found);
      if (cutoff && cutoff.getTime() >= activity.getTime()) {
        const covered = isRoleWide && scope.kind === 'instance' ? `every session of ${roleName}` : whose;
        return report.already(
          roleName,
          `${REVOKE_SESSIONS_POLICY} on ${roleName} already denies ${covered} issued before ${cutoff.toISOString()}, after this finding's activity`,
          residuals,
        );
      }
    }
    const moving = own ? ` (moving the cut-off from ${cutoffOf(own)?.toISOString() ?? 'an unreadable one'})` : '';
    if (deps.dryRun) return report.planned(roleName, `would deny ${whose} issued before ${now.toISOString()}${moving}`, residuals);

    let wanted = revocationStatement(scope, now);
    let kept = keptBeside(statements, wanted.Sid, now);
    const dropped = statements.length - kept.length - (own ? 1 : 0);
    let replaced: Array<Record<string, unknown>> | undefined;
    const others = await othersRead;
    const fits = (list: readonly unknown[]): boolean => others + policyChars(revokeSessionsPolicy(list)) <= ROLE_INLINE_POLICIES_MAX_CHARS;
    if (!fits([...kept, wanted])) {
      // One role-wide statement with the cut-off now denies everything the others denied (their cut-offs are all earlier).
      replaced = statements.filter((s) => !expired(s, now));
      wanted = revocationStatement({ kind: 'role' }, now);
      kept = [];
      if (!fits([wanted]))
        return report.failed(
          roleName,
          `${roleName}'s other inline policies leave no room under IAM's ${ROLE_INLINE_POLICIES_MAX_CHARS}-character quota for even a role-wide revocation: revoke its sessions by hand (console: "Revoke active sessions")`,
        );
    }
    await deps.writeAfter;
    await writeConfirmed(iam, roleName, wanted, kept, now);
    const prior: RevocationPrior = {
      roleName,
      hadPolicy: document !== undefined,
      ...(own && !replaced ? { previousStatement: own } : {}),
      ...(replaced ? { replacedStatements: replaced } : {}),
    };
    const pruned = dropped > 0 ? `; dropped ${dropped} statement(s) older than the longest role session (12 h)` : '';
    const detail = replaced
      ? `IAM's ${ROLE_INLINE_POLICIES_MAX_CHARS}-character quota on ${roleName}'s inline policies leaves no room for one more statement: EVERY session of ${roleName} issued before ${now.toISOString()} denied instead (role-wide, replacing ${replaced.length} statement(s))`
      : `${whose} issued before ${now.toISOString()} denied${moving}`;
    return report.done(roleName, `${detail}${pruned}`, {
      prior,
      changed: { policyName: REVOKE_SESSIONS_POLICY, sid: wanted.Sid, cutoff: now.toISOString() },
      ...residuals,
    });
  });
}

/**
 * Writes cordon's statement beside `kept` and reads the policy back: if the
 * statement is not there as written (someone outside cordon wrote the policy
 * meanwhile), it is merged with what is there and written again.
 */
async function writeConfirmed(
  iam: IAMClient,
  roleName: string,
  wanted: RevocationStatement,
  kept: ReadonlyArray<Record<string, unknown>>,
  now: Date,
): Promise<void> {
  let beside = kept;
  for (let attempt = 1; ; attempt += 1) {
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: REVOKE_SESSIONS_POLICY,
        PolicyDocument: revokeSessionsPolicy([...beside, wanted]),
      }),
    );
    const readBack = statementsOf(await readRolePolicy(iam, roleName, REVOKE_SESSIONS_POLICY));
    const mine = readBack.find((s) => s.Sid === wanted.Sid);
    if (mine && cutoffOf(mine)?.getTime() === now.getTime()) return;
    if (attempt >= WRITE_ATTEMPTS)
      throw new Error(
        `${REVOKE_SESSIONS_POLICY} on ${roleName} does not hold statement ${wanted.Sid} after ${attempt} writes (another writer changes it): check the role by hand`,
      );
    beside = keptBeside(readBack, wanted.Sid, now);
  }
}

/** IAM actions {@link revokeSessions} calls. */
export const REVOKE_PERMISSIONS = ['iam:GetRolePolicy', 'iam:ListRolePolicies', 'iam:PutRolePolicy'] as const;

/** IAM actions {@link removeRevocation} calls. */
export const REMOVE_REVOCATION_PERMISSIONS = ['iam:GetRolePolicy', 'iam:DeleteRolePolicy', 'iam:PutRolePolicy'] as const;

/**
 * Undo of a revocation: removes cordon's statement from the role's policy,
 * or puts back the earlier statement(s) it replaced; the policy goes when no
 * statement is left. Other statements (other instances, other findings) stay.
 * Runs under the lease on the role, like the revocation. Refuses (unless forced) when the statement
 * is no longer the one cordon wrote for this finding (another cut-off since).
 */
export async function removeRevocation(
  report: UndoReporter,
  ctx: UndoContext,
  roleName: string,
  written: RevocationChanged,
  prior: Partial<Pick<RevocationPrior, 'previousStatement' | 'replacedStatements'>>,
): Promise<ActionOutcome> {
  const iam = ctx.member(IAMClient);
  return ctx.exclusivePrincipal(`role/${roleName}`, async () => {
    const document = await readRolePolicy(iam, roleName, REVOKE_SESSIONS_POLICY);
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
