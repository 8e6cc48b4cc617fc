import { IAMClient } from '@aws-sdk/client-iam';
import { z } from 'zod';
import { type ActionDefinition } from '../types';
import { outcome } from '../../outcome';
import type { Finding } from '../../findings/finding';
import {
  applyRevocation,
  instanceScope,
  planRevocation,
  removeRevocation,
  REMOVE_REVOCATION_PERMISSIONS,
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
export const revokeRoleSessions: ActionDefinition<z.infer<typeof params>> = {
  name: 'iam.revoke-role-sessions',
  summary: "Deny every action to the finding's role sessions issued before now",
  params,
  target: 'role',
  disruptive: true,
  permissions: { member: ['iam:GetRolePolicy', 'iam:PutRolePolicy'], home: [] },
  undo: {
    kind: 'restore',
    permissions: REMOVE_REVOCATION_PERMISSIONS,
    async run(ctx, record) {
      return [await removeRevocation('iam.revoke-role-sessions', ctx, record)];
    },
  },
  async run(ctx) {
    const key = ctx.finding.accessKey;
    const roleName = key?.userName;
    if (!roleName || key?.userType !== 'AssumedRole') {
      return [
        outcome(
          this.name,
          roleName ?? '',
          'skipped',
          `credentials in the finding are not a role's (user type ${key?.userType ?? 'unknown'})`,
        ),
      ];
    }
    if (roleName === ctx.responderRoleName) {
      return [outcome(this.name, roleName, 'skipped', `refusing to revoke ${roleName}: it is cordon's own member role`)];
    }
    const iam = ctx.member(IAMClient);
    const scope = sessionScope(ctx.finding);
    const plan = await planRevocation(iam, roleName, scope, ctx.finding.lastSeenAt, ctx.now);
    return [await applyRevocation(this.name, iam, roleName, scope, plan, ctx.now, ctx.dryRun)];
  },
};
