/**
 * The documents of cordon's session revocation (pure): the scopes a
 * revocation covers, its statements and the inline policies that hold them,
 * and what a revocation records. `session-revocation.ts` reads and writes them.
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { Finding } from '../../findings/finding';
import type { OutcomeReporter } from '../define';

/**
 * Inline policy cordon attaches to a role to revoke its older sessions: the
 * role-wide statement, and the statements of every scope written before each
 * instance's revocation had a policy of its own (see {@link instancePolicyName}).
 */
export const REVOKE_SESSIONS_POLICY = 'cordon-revoke-older-sessions';

/** The name of one instance's revocation policy: the instance id and the cut-off in milliseconds since the epoch. */
const INSTANCE_POLICY_NAME = /^cordon-revoke-older-sessions-(i-[0-9a-f]{8,17})-(\d{13})$/;

/**
 * The inline policy of one instance's revocation with this cut-off on a role:
 * `cordon-revoke-older-sessions-i-0123…-1764757200000`. Each instance, and
 * each cut-off, has its own, so no two revocations ever write one document
 * and none needs a lease on the role: instances sharing a role (a fleet
 * compromised at once) are revoked in parallel, and a policy whose name says
 * its cut-off has expired can be deleted by anyone, since no later write ever
 * has that name. IAM policy names allow 128 characters of `[\w+=,.@-]`.
 */
export function instancePolicyName(instanceId: string, cutoff: Date): string {
  return `${REVOKE_SESSIONS_POLICY}-${instanceId}-${String(cutoff.getTime()).padStart(13, '0')}`;
}

/** The instance and cut-off an instance revocation policy's name says, or undefined for any other policy. */
export function instancePolicyOf(name: string): { readonly name: string; readonly instanceId: string; readonly cutoff: Date } | undefined {
  const m = INSTANCE_POLICY_NAME.exec(name);
  return m ? { name, instanceId: m[1] as string, cutoff: new Date(Number(m[2])) } : undefined;
}

/** Sid of the statement that revokes every session of the role (the console's "Revoke active sessions"). */
export const ROLE_WIDE_SID = 'CordonRevokeOlderSessions';

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

/** A policy statement as cordon reads it back. */
const statement = z.record(z.string(), z.unknown());

/**
 * What a revocation records as `prior`: the role, whether cordon's policy was
 * on it, the statement of the same scope it replaced (an earlier cut-off), if
 * any, with the instance policy that held it, and, when IAM's size quota made
 * it write one role-wide statement, the statements that one replaced (release
 * puts them back).
 * @example { roleName: 'web-role', hadPolicy: true, previousStatement: { Sid: 'CordonRevokeOlderSessions', Effect: 'Deny',
 *   Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-20T08:00:00.000Z' } } } }
 */
export const revocationPrior = z.object({
  roleName: z.string(),
  hadPolicy: z.boolean(),
  previousStatement: statement.optional(),
  /** The instance revocation policy that held `previousStatement` (none: it was in {@link REVOKE_SESSIONS_POLICY}). */
  previousPolicyName: z.string().regex(INSTANCE_POLICY_NAME).optional(),
  replacedStatements: z.array(statement).optional(),
});

/**
 * What a revocation records as `changed`: the policy, the statement cordon wrote and its cut-off.
 * @example { policyName: 'cordon-revoke-older-sessions-i-0abc12345-1795516500000', sid: 'CordonRevokeOlderSessionsi0abc', cutoff: '2026-11-24T10:35:00.000Z' }
 */
export const revocationChanged = z.object({
  policyName: z.union([z.literal(REVOKE_SESSIONS_POLICY), z.string().regex(INSTANCE_POLICY_NAME)]),
  sid: z.string(),
  cutoff: z.iso.datetime(),
});

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
export interface RevocationStatement {
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
export function revocationSid(scope: RevocationScope): string {
  return scope.kind === 'role' ? ROLE_WIDE_SID : `${ROLE_WIDE_SID}${scope.instanceId.replace(/[^A-Za-z0-9]/g, '')}`;
}

/** Deny everything to tokens of the scope issued before `before` (`aws:TokenIssueTime`: when the session's token was issued). */
export function revocationStatement(scope: RevocationScope, before: Date): RevocationStatement {
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
export function revokeSessionsPolicy(statements: readonly unknown[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/** The statements of a policy document (none when absent or unreadable: it is then rewritten whole). */
export function statementsOf(document: string | undefined): Array<Record<string, unknown>> {
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

/** The cut-off a revocation statement names (`aws:TokenIssueTime` it denies before), if readable. */
export function cutoffOf(statement: Record<string, unknown> | undefined): Date | undefined {
  const before = (statement?.Condition as { DateLessThan?: Record<string, unknown> } | undefined)?.DateLessThan?.['aws:TokenIssueTime'];
  return typeof before === 'string' && !Number.isNaN(Date.parse(before)) ? new Date(before) : undefined;
}

/**
 * The cut-off of a statement that is exactly what cordon writes for this
 * scope (Deny everything, the scope's `aws:userid`, nothing else), or
 * undefined: a statement with cordon's Sid that allows, narrows the actions
 * or adds a condition, written by anyone who may write the role's policies,
 * never counts as a revocation in place.
 */
export function revocationCutoff(statement: Record<string, unknown> | undefined, scope: RevocationScope): Date | undefined {
  const cutoff = cutoffOf(statement);
  return cutoff && isDeepStrictEqual(statement, revocationStatement(scope, cutoff)) ? cutoff : undefined;
}

/** True when a statement denies only sessions that have all expired (its cut-off is more than 12 hours old). */
export function expired(statement: Record<string, unknown>, now: Date): boolean {
  const cutoff = cutoffOf(statement);
  return cutoff !== undefined && cutoff.getTime() < now.getTime() - MAX_ROLE_SESSION_MS;
}

/** The statements to keep beside a new one: not of its Sid, and not expired. */
export function keptBeside(statements: ReadonlyArray<Record<string, unknown>>, sid: string, now: Date): Array<Record<string, unknown>> {
  return statements.filter((s) => s.Sid !== sid && !expired(s, now));
}
