/**
 * Revoking a role's older sessions: reads and writes the role's inline
 * policies (the documents are `revocation-policy.ts`, the undo `revocation-undo.ts`).
 */
import { type IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import type { Residuals } from '../define';
import type { ActionOutcome } from '../../outcome';
import { isIamQuotaExceeded } from '../../aws/iam-quota';
import { deleteRolePolicies, putRolePolicyIfRoom, readRolePolicy, rolePolicyNames } from './role-policies';
import {
  cutoffOf,
  expired,
  instancePolicyName,
  instancePolicyOf,
  keptBeside,
  MAX_ROLE_SESSION_MS,
  REVOKE_SESSIONS_POLICY,
  revocationCutoff,
  revocationSid,
  revocationStatement,
  revokeSessionsPolicy,
  ROLE_INLINE_POLICIES_MAX_CHARS,
  ROLE_WIDE_SID,
  statementsOf,
  type RevocationPrior,
  type RevocationReporter,
  type RevocationScope,
} from './revocation-policy';

/** Times cordon writes the shared policy again when reading it back does not show its statement (another writer outside cordon). */
const WRITE_ATTEMPTS = 3;

/** What a revocation needs: the member account's IAM, the lease on the role, the time and whether to change anything. */
export interface RevocationDeps {
  readonly iam: IAMClient;
  /** `ActionContext.exclusivePrincipal`: a read-modify-write of the role's shared policy runs alone. */
  readonly exclusivePrincipal: <T>(principal: string, work: () => Promise<T>) => Promise<T>;
  readonly now: Date;
  readonly dryRun: boolean;
  /**
   * What must be done before the policy is written (the instance profile's
   * removal, so that no session the instance gets afterwards predates the
   * cut-off unseen): the policies are read meanwhile; if it rejects, nothing
   * is written and its error is thrown. @default nothing
   */
  readonly writeAfter?: Promise<unknown>;
}

type InstanceScope = Extract<RevocationScope, { kind: 'instance' }>;

/** What a revocation is about: the role, the sessions it denies (in words) and the finding's last activity. */
interface Revocation {
  readonly roleName: string;
  readonly whose: string;
  readonly activity: Date;
  readonly residuals: Residuals;
}

/**
 * Revokes the scope's sessions of a role issued before now, unless a revocation
 * in place (the scope's own statement, or a role-wide one) already covers the
 * finding's last activity (`lastSeenAt`); otherwise sessions issued after the
 * old cut-off, such as the ones this finding saw, are still valid, and the
 * cut-off moves to now.
 *
 * An instance's sessions are denied by a policy of their own, named after the
 * instance and the cut-off: no lease, and instances sharing a role are revoked
 * in parallel (see {@link revokeInstanceSessions}). A role-wide revocation
 * rewrites the role's shared policy under the lease on the role (see
 * {@link revokeRoleSessions}). When IAM's quota on the role's inline policies
 * leaves no room, one role-wide statement is written instead and the outcome
 * says so. The outcome is `done` with the statement(s) it replaced as prior
 * state (so `release` puts back an earlier cut-off, or removes only this one).
 */
export async function revokeSessions(
  report: RevocationReporter,
  deps: RevocationDeps,
  roleName: string,
  scope: RevocationScope,
  lastSeenAt: string | undefined,
  residuals: Residuals = {},
): Promise<ActionOutcome> {
  const revocation: Revocation = {
    roleName,
    whose: scope.kind === 'instance' ? `sessions of ${roleName} with aws:userid ${scope.userId}` : `sessions of ${roleName}`,
    activity: lastSeenAt && !Number.isNaN(Date.parse(lastSeenAt)) ? new Date(lastSeenAt) : deps.now,
    residuals,
  };
  return scope.kind === 'instance'
    ? revokeInstanceSessions(report, deps, revocation, scope)
    : deps.exclusivePrincipal(`role/${roleName}`, () => revokeRoleSessions(report, deps, revocation));
}

/**
 * `already` when one of these statements is cordon's revocation of its scope
 * (see `revocationCutoff`) with a cut-off no earlier than the finding's
 * activity (`roleWide`: it denies every session of the role, wider than the finding's scope).
 */
function covered(
  report: RevocationReporter,
  r: Revocation,
  found: ReadonlyArray<{
    readonly statement: Record<string, unknown> | undefined;
    readonly scope: RevocationScope;
    readonly roleWide: boolean;
  }>,
): ActionOutcome | undefined {
  for (const { statement, scope, roleWide } of found) {
    const cutoff = revocationCutoff(statement, scope);
    if (cutoff && cutoff.getTime() >= r.activity.getTime())
      return report.already(
        r.roleName,
        `cordon's revocation on ${r.roleName} already denies ${roleWide ? `every session of ${r.roleName}` : r.whose} issued before ${cutoff.toISOString()}, after this finding's activity`,
        r.residuals,
      );
  }
  return undefined;
}

/**
 * One instance's revocation, without a lease: a new policy named after the
 * instance and the cut-off, then this instance's earlier ones deleted (they
 * deny less). Two revocations of one instance at once each write their own
 * name and delete only names they read, so neither loses the other's.
 * Policies whose named cut-off is older than the longest role session deny
 * nothing and are deleted first, of any instance, to leave room under IAM's
 * quota; when there is still none, one role-wide statement goes in the shared
 * policy instead ({@link roleWideInstead}).
 *
 * Calls: ListRolePolicies and PutRolePolicy; a GetRolePolicy only when the
 * shared policy exists or a policy of this instance seems to cover the
 * finding already (read to check it says what its name does).
 */
async function revokeInstanceSessions(
  report: RevocationReporter,
  deps: RevocationDeps,
  r: Revocation,
  scope: InstanceScope,
): Promise<ActionOutcome> {
  const { iam, now } = deps;
  const { roleName } = r;
  const names = await rolePolicyNames(iam, roleName);
  const instances = names.flatMap((n) => instancePolicyOf(n) ?? []);
  const mine = instances.filter((p) => p.instanceId === scope.instanceId).sort((a, b) => b.cutoff.getTime() - a.cutoff.getTime());
  const latest = mine[0];
  const sid = revocationSid(scope);
  const [shared, latestStatement] = await Promise.all([
    names.includes(REVOKE_SESSIONS_POLICY) ? readRolePolicy(iam, roleName, REVOKE_SESSIONS_POLICY).then(statementsOf) : [],
    latest && latest.cutoff.getTime() >= r.activity.getTime()
      ? readRolePolicy(iam, roleName, latest.name).then((d) => statementsOf(d).find((s) => s.Sid === sid))
      : undefined,
  ]);
  const role: RevocationScope = { kind: 'role' };
  const already = covered(report, r, [
    // A policy counts only when it holds the statement its name says (the same cut-off).
    {
      statement: cutoffOf(latestStatement)?.getTime() === latest?.cutoff.getTime() ? latestStatement : undefined,
      scope,
      roleWide: false,
    },
    { statement: shared.find((s) => s.Sid === sid), scope, roleWide: false },
    { statement: shared.find((s) => s.Sid === ROLE_WIDE_SID), scope: role, roleWide: true },
  ]);
  if (already) return already;
  const moving = latest ? ` (moving the cut-off from ${latest.cutoff.toISOString()})` : '';
  if (deps.dryRun) return report.planned(roleName, `would deny ${r.whose} issued before ${now.toISOString()}${moving}`, r.residuals);

  await deps.writeAfter;
  // A name's cut-off never changes, so a policy written meanwhile never has an expired one: these go safely.
  const stale = instances.filter((p) => p.cutoff.getTime() < now.getTime() - MAX_ROLE_SESSION_MS).map((p) => p.name);
  await deleteRolePolicies(iam, roleName, stale);
  const policyName = instancePolicyName(scope.instanceId, now);
  if (!(await putRolePolicyIfRoom(iam, roleName, policyName, revokeSessionsPolicy([revocationStatement(scope, now)]))))
    return deps.exclusivePrincipal(`role/${roleName}`, () => roleWideInstead(report, deps, r));
  await deleteRolePolicies(
    iam,
    roleName,
    mine.filter((p) => p.cutoff.getTime() < now.getTime() && !stale.includes(p.name)).map((p) => p.name),
  );
  const prior: RevocationPrior = {
    roleName,
    hadPolicy: mine.length > 0,
    ...(latest && !stale.includes(latest.name)
      ? { previousStatement: { ...revocationStatement(scope, latest.cutoff) }, previousPolicyName: latest.name }
      : {}),
  };
  const pruned = stale.length > 0 ? `; deleted ${stale.length} revocation(s) older than the longest role session (12 h)` : '';
  return report.done(roleName, `${r.whose} issued before ${now.toISOString()} denied${moving}${pruned}`, {
    prior,
    changed: { policyName, sid, cutoff: now.toISOString() },
    ...r.residuals,
  });
}

/**
 * IAM's quota on the role's inline policies left no room for an instance's
 * revocation: one role-wide statement with the cut-off now, alone in the
 * shared policy, denies everything cordon's other revocations on the role
 * denied (their cut-offs are earlier), and every session of the instance;
 * those go. Runs under the lease on the role, like every write of the shared
 * policy. Instance policies written meanwhile (not listed here) are left alone.
 */
async function roleWideInstead(report: RevocationReporter, deps: RevocationDeps, r: Revocation): Promise<ActionOutcome> {
  const { iam, now } = deps;
  const { roleName } = r;
  const [document, names] = await Promise.all([readRolePolicy(iam, roleName, REVOKE_SESSIONS_POLICY), rolePolicyNames(iam, roleName)]);
  const covering = names.flatMap((n) => instancePolicyOf(n) ?? []).filter((p) => p.cutoff.getTime() <= now.getTime());
  // Bounded by IAM's quota: a role's inline policies hold at most 10,240 characters, some 40 of cordon's.
  // eslint-disable-next-line cordon/no-unbounded-fan-out -- at most ~40 policies, see above
  const theirs = await Promise.all(covering.map((p) => readRolePolicy(iam, roleName, p.name).then(statementsOf)));
  const replaced = [...statementsOf(document), ...theirs.flat()].filter((s) => !expired(s, now));
  const wanted = revocationStatement({ kind: 'role' }, now);
  const policy = revokeSessionsPolicy([wanted]);
  const [first, ...rest] = covering;
  if (!first) {
    if (!(await putRolePolicyIfRoom(iam, roleName, REVOKE_SESSIONS_POLICY, policy))) return noRoom(report, roleName);
  } else {
    // The role-wide statement denies more than an instance's and is shorter: it takes the place of one first, so that no
    // session it covers works in between; then the others go, and it moves to the shared policy.
    if (!(await putRolePolicyIfRoom(iam, roleName, first.name, policy))) return noRoom(report, roleName);
    await deleteRolePolicies(
      iam,
      roleName,
      rest.map((p) => p.name),
    );
    const copied = await putRolePolicyIfRoom(iam, roleName, REVOKE_SESSIONS_POLICY, policy);
    await deleteRolePolicies(iam, roleName, [first.name]);
    // No room for two copies: IAM cannot rename a policy, so the shared one is written as soon as the first is gone.
    if (!copied && !(await putRolePolicyIfRoom(iam, roleName, REVOKE_SESSIONS_POLICY, policy)))
      throw new Error(`${roleName}'s inline policies changed while cordon moved its role-wide revocation: revoke its sessions by hand`);
  }
  return report.done(
    roleName,
    `IAM's ${ROLE_INLINE_POLICIES_MAX_CHARS}-character quota on ${roleName}'s inline policies leaves no room for one more revocation: EVERY session of ${roleName} issued before ${now.toISOString()} denied instead (role-wide${replaced.length > 0 ? `, replacing ${replaced.length} statement(s)` : ''})`,
    {
      prior: { roleName, hadPolicy: document !== undefined, ...(replaced.length > 0 ? { replacedStatements: replaced } : {}) },
      changed: { policyName: REVOKE_SESSIONS_POLICY, sid: wanted.Sid, cutoff: now.toISOString() },
      ...r.residuals,
    },
  );
}

function noRoom(report: RevocationReporter, roleName: string): ActionOutcome {
  return report.failed(
    roleName,
    `${roleName}'s other inline policies leave no room under IAM's ${ROLE_INLINE_POLICIES_MAX_CHARS}-character quota for even a role-wide revocation: revoke its sessions by hand (console: "Revoke active sessions")`,
  );
}

/**
 * Every session of a role: a read-modify-write of the shared policy, under the
 * lease on the role (a second revocation of the role, in this batch or in
 * another Lambda environment, waits and then moves or keeps the cut-off).
 * Statements older than the longest session are dropped; when the role's
 * inline policies would exceed IAM's quota, the role-wide statement replaces
 * cordon's others in that policy.
 */
async function revokeRoleSessions(report: RevocationReporter, deps: RevocationDeps, r: Revocation): Promise<ActionOutcome> {
  const { iam, now } = deps;
  const { roleName } = r;
  const document = await readRolePolicy(iam, roleName, REVOKE_SESSIONS_POLICY);
  const statements = statementsOf(document);
  const own = statements.find((s) => s.Sid === ROLE_WIDE_SID);
  const already = covered(report, r, [{ statement: own, scope: { kind: 'role' }, roleWide: false }]);
  if (already) return already;
  const moving = own ? ` (moving the cut-off from ${cutoffOf(own)?.toISOString() ?? 'an unreadable one'})` : '';
  if (deps.dryRun) return report.planned(roleName, `would deny ${r.whose} issued before ${now.toISOString()}${moving}`, r.residuals);

  const wanted = revocationStatement({ kind: 'role' }, now);
  const kept = keptBeside(statements, wanted.Sid, now);
  const dropped = statements.length - kept.length - (own ? 1 : 0);
  let replaced: Array<Record<string, unknown>> | undefined;
  await deps.writeAfter;
  // Written first: IAM itself says when the role's inline policies would pass its quota (it refuses the whole write,
  // changing nothing), so the other policies are never read to size them beforehand.
  try {
    await writeConfirmed(iam, roleName, wanted, kept, now);
  } catch (err) {
    if (!isIamQuotaExceeded(err)) throw err;
    // Not even the statement alone fits: the role's other inline policies fill the quota.
    if (kept.length === 0) return noRoom(report, roleName);
    // The role-wide statement with the cut-off now denies everything the others denied (their cut-offs are all earlier).
    replaced = statements.filter((s) => !expired(s, now));
    try {
      await writeConfirmed(iam, roleName, wanted, [], now);
    } catch (again) {
      if (isIamQuotaExceeded(again)) return noRoom(report, roleName);
      throw again;
    }
  }
  const prior: RevocationPrior = {
    roleName,
    hadPolicy: document !== undefined,
    ...(own && !replaced ? { previousStatement: own } : {}),
    ...(replaced ? { replacedStatements: replaced } : {}),
  };
  const pruned = dropped > 0 ? `; dropped ${dropped} statement(s) older than the longest role session (12 h)` : '';
  const detail = replaced
    ? `IAM's ${ROLE_INLINE_POLICIES_MAX_CHARS}-character quota on ${roleName}'s inline policies leaves no room for one more statement: EVERY session of ${roleName} issued before ${now.toISOString()} denied instead (role-wide, replacing ${replaced.length} statement(s))`
    : `${r.whose} issued before ${now.toISOString()} denied${moving}`;
  return report.done(roleName, `${detail}${pruned}`, {
    prior,
    changed: { policyName: REVOKE_SESSIONS_POLICY, sid: wanted.Sid, cutoff: now.toISOString() },
    ...r.residuals,
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
  wanted: ReturnType<typeof revocationStatement>,
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
export const REVOKE_PERMISSIONS = ['iam:GetRolePolicy', 'iam:ListRolePolicies', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy'] as const;
