/**
 * Revoking the sessions of the role a workload runs as (a Lambda function's
 * execution role, an ECS task's role): the same revocation as
 * `iam.revoke-role-sessions` (an inline deny on `aws:TokenIssueTime` before
 * now, under the lease on the role, read back after writing, undone by
 * release), with the role read from the workload's own configuration, never
 * from anything in the finding an attacker could choose. Role-wide: other
 * workloads sharing the role lose their older sessions too and get new ones
 * (the outcome says so).
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { z } from 'zod';
import { defineAction, type Residuals } from '../define';
import type { ActionContext, ActionDefinition, ActionTarget } from '../types';
import { REVOKE_PERMISSIONS, revokeSessions } from './session-revocation';
import { removeRevocation, REMOVE_REVOCATION_PERMISSIONS } from './revocation-undo';
import { revocationChanged, revocationPrior, type RevocationChanged, type RevocationPrior } from './revocation-policy';

/** The role a workload runs as, or why there is none to revoke. */
export type WorkloadRole = { readonly roleName: string; readonly owner: string } | { readonly skip: string; readonly resource: string };

/** A role's name from its ARN (`arn:aws:iam::111122223333:role/path/name` → `name`), when the role is in `accountId`. */
export function roleNameOf(roleArn: string | undefined, accountId: string): string | undefined {
  const m = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn ?? '');
  return m && m[1] === accountId ? m[2] : undefined;
}

/** How one kind of workload's role is found and revoked. */
export interface RoleRevocationSpec {
  readonly name: string;
  readonly summary: string;
  readonly target: ActionTarget;
  /** IAM actions reading the workload's role (besides the revocation's own). */
  readonly reads: readonly string[];
  roleOf(ctx: ActionContext): Promise<WorkloadRole>;
  /** What revoking leaves open (default: new sessions of the role). */
  readonly residuals?: Residuals;
}

/** An action revoking the older sessions of a workload's role (see the module comment). Disruptive: the role's other users are cut too. */
export function defineRoleRevocation(
  spec: RoleRevocationSpec,
): ActionDefinition<Record<string, never>, RevocationPrior, RevocationChanged> {
  return defineAction({
    name: spec.name,
    summary: spec.summary,
    params: z.strictObject({}),
    target: spec.target,
    disruptive: true,
    permissions: { member: [...spec.reads, ...REVOKE_PERMISSIONS], home: [] },
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
      const role = await spec.roleOf(ctx);
      if ('skip' in role) return [report.skipped(role.resource, role.skip)];
      if (role.roleName === ctx.responderRoleName)
        return [report.skipped(role.roleName, `refusing to revoke ${role.roleName}: it is cordon's own member role`)];
      const deps = { iam: ctx.member(IAMClient), exclusivePrincipal: ctx.exclusivePrincipal, now: ctx.now, dryRun: ctx.dryRun };
      const outcome = await revokeSessions(
        report,
        deps,
        role.roleName,
        { kind: 'role' },
        ctx.finding.lastSeenAt,
        spec.residuals ?? { remains: ['role-new-sessions'] },
      );
      // Role-wide: whoever else runs as this role gets new sessions on its next credential refresh.
      return [{ ...outcome, detail: `${outcome.detail} (the role of ${role.owner}; other workloads sharing it renew their credentials)` }];
    },
  });
}
