import { IAMClient } from '@aws-sdk/client-iam';
import { z } from 'zod';
import { outcome, type ActionDefinition } from '../types';
import { existingRevocation, putRevocation, removeRevocation, REMOVE_REVOCATION_PERMISSIONS, REVOKE_SESSIONS_POLICY } from './session-revocation';

const params = z.strictObject({});

/**
 * Revokes the sessions of the IAM role whose temporary credentials the finding
 * names (e.g. an instance role's credentials used from outside AWS): an inline
 * deny on `aws:TokenIssueTime` earlier than now. New sessions keep working.
 */
export const revokeRoleSessions: ActionDefinition<z.infer<typeof params>> = {
  name: 'iam.revoke-role-sessions',
  summary: "Deny every action to the finding's role sessions issued before now",
  params,
  target: 'role',
  permissions: { member: ['iam:GetRolePolicy', 'iam:PutRolePolicy'], home: [] },
  undo: {
    kind: 'restore',
    permissions: REMOVE_REVOCATION_PERMISSIONS,
    async run(ctx, record) {
      return [await removeRevocation('iam.revoke-role-sessions', ctx, record.resource)];
    },
  },
  async run(ctx) {
    const key = ctx.finding.accessKey;
    const roleName = key?.userName;
    if (!roleName || key?.userType !== 'AssumedRole') {
      return [outcome(this.name, roleName ?? '', 'skipped', `credentials in the finding are not a role's (user type ${key?.userType ?? 'unknown'})`)];
    }
    if (roleName === ctx.responderRoleName) {
      return [outcome(this.name, roleName, 'skipped', `refusing to revoke ${roleName}: it is cordon's own member role`)];
    }
    const iam = ctx.member(IAMClient);
    const existing = await existingRevocation(iam, roleName);
    if (existing) return [outcome(this.name, roleName, 'already', `${REVOKE_SESSIONS_POLICY} already attached to ${roleName}`)];
    if (ctx.dryRun) return [outcome(this.name, roleName, 'planned', `would deny sessions of ${roleName} issued before ${ctx.now.toISOString()}`)];
    await putRevocation(iam, roleName, ctx.now);
    return [
      outcome(this.name, roleName, 'done', `sessions of ${roleName} issued before ${ctx.now.toISOString()} denied`, {
        prior: { roleName, hadPolicy: false },
        changed: { policyName: REVOKE_SESSIONS_POLICY },
      }),
    ];
  },
};
