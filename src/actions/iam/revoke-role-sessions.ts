import { IAMClient } from '@aws-sdk/client-iam';
import { z } from 'zod';
import { defineAction } from '../define';
import type { Finding } from '../../findings/finding';
import {
  applyRevocation,
  instanceScope,
  planRevocation,
  removeRevocation,
  REMOVE_REVOCATION_PERMISSIONS,
  revocationChanged,
  revocationPrior,
  type RevocationScope,
} from './session-revocation';

const params = z.strictObject({});

/**
 * Instance-profile credentials carry the instance id as their session name
 * (`principalId` `AROA…:i-0123…`): then only that instance's sessions are
 * revoked, and the rest of a fleet sharing the role keeps working. Any other
 * session name: the whole role's.
 */
export function sessionScope(finding: Finding): RevocationScope {
  const session = finding.accessKey?.principalId?.split(':')[1];
  return session && /^i-[0-9a-f]{8,17}$/.test(session) ? instanceScope(finding, session) : { kind: 'role' };
}

/**
 * Revokes the sessions of the IAM role whose temporary credentials the finding
 * names (e.g. an instance role's credentials used from outside AWS): an inline
 * deny on `aws:TokenIssueTime` earlier than now. New sessions keep working. A
 * revocation already in place is moved forward when this finding's activity
 * is later than its cut-off.
 */
export const revokeRoleSessions = defineAction({
  name: 'iam.revoke-role-sessions',
  summary: "Deny every action to the finding's role sessions issued before now",
  params,
  target: 'role',
  disruptive: true,
  permissions: { member: ['iam:GetRolePolicy', 'iam:PutRolePolicy'], home: [] },
  prior: revocationPrior,
  changed: revocationChanged,
  undo: {
    kind: 'restore',
    permissions: REMOVE_REVOCATION_PERMISSIONS,
    async run(ctx, record, report) {
      return [await removeRevocation(report, ctx, record.resource, record.changed, record.prior.previousStatement)];
    },
  },
  async run(ctx, _params, report) {
    const key = ctx.finding.accessKey;
    const roleName = key?.userName;
    if (!roleName || key?.userType !== 'AssumedRole') {
      return [report.skipped(roleName ?? '', `credentials in the finding are not a role's (user type ${key?.userType ?? 'unknown'})`)];
    }
    if (roleName === ctx.responderRoleName) {
      return [report.skipped(roleName, `refusing to revoke ${roleName}: it is cordon's own member role`)];
    }
    const iam = ctx.member(IAMClient);
    const scope = sessionScope(ctx.finding);
    const plan = await planRevocation(iam, roleName, scope, ctx.finding.lastSeenAt, ctx.now);
    return [await applyRevocation(report, iam, roleName, scope, plan, ctx.now, ctx.dryRun)];
  },
});
