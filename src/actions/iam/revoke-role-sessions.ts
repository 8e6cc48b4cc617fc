import { IAMClient } from '@aws-sdk/client-iam';
import { z } from 'zod';
import { defineAction } from '../define';
import { REVOKE_PERMISSIONS, revokeSessions } from './session-revocation';
import { removeRevocation, REMOVE_REVOCATION_PERMISSIONS } from './revocation-undo';
import { findingScope, revocationChanged, revocationPrior } from './revocation-policy';
import { rootSkip } from './root';

const params = z.strictObject({});

/**
 * Revokes the sessions of the IAM role whose temporary credentials the finding
 * names (e.g. an instance role's credentials used from outside AWS): an inline
 * deny on `aws:TokenIssueTime` earlier than now, for the whole role, or for the
 * instance's sessions only on an `InstanceCredentialExfiltration.*` finding
 * (see `findingScope`). New sessions keep working, so the outcome says that
 * channel stays open. A revocation already in place is moved forward when this
 * finding's activity is later than its cut-off. GuardDuty's guide:
 * "Remediating potentially compromised AWS credentials".
 */
export const revokeRoleSessions = defineAction({
  name: 'iam.revoke-role-sessions',
  summary: "Deny every action to the finding's role sessions issued before now",
  params,
  target: 'role',
  disruptive: true,
  permissions: { member: [...REVOKE_PERMISSIONS], home: [] },
  prior: revocationPrior,
  changed: revocationChanged,
  undo: {
    kind: 'restore',
    permissions: REMOVE_REVOCATION_PERMISSIONS,
    async run(ctx, record, report) {
      return [await removeRevocation(report, ctx, record.resource, record.changed, record.prior)];
    },
  },
  async run(ctx, _params, report) {
    const key = ctx.finding.accessKey;
    const root = rootSkip(report, key);
    if (root) return [root];
    const roleName = key?.userName;
    if (!roleName || key?.userType !== 'AssumedRole') {
      return [report.skipped(roleName ?? '', `credentials in the finding are not a role's (user type ${key?.userType ?? 'unknown'})`)];
    }
    if (roleName === ctx.responderRoleName) {
      return [report.skipped(roleName, `refusing to revoke ${roleName}: it is cordon's own member role`)];
    }
    const deps = { iam: ctx.member(IAMClient), exclusivePrincipal: ctx.exclusivePrincipal, now: ctx.now, dryRun: ctx.dryRun };
    return [
      await revokeSessions(report, deps, roleName, findingScope(ctx.finding), ctx.finding.lastSeenAt, { remains: ['role-new-sessions'] }),
    ];
  },
});
