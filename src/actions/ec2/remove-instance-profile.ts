import { DescribeIamInstanceProfileAssociationsCommand, DisassociateIamInstanceProfileCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand, IAMClient } from '@aws-sdk/client-iam';
import { z } from 'zod';
import type { AuditRecord } from '../../audit/store';
import {
  applyRevocation,
  instanceScope,
  planRevocation,
  removeRevocation,
  REMOVE_REVOCATION_PERMISSIONS,
  REVOKE_SESSIONS_POLICY,
} from '../iam/session-revocation';
import { type ActionDefinition } from '../types';
import { collecting, outcome } from '../../outcome';

const params = z.strictObject({
  /** Also deny the instance role's sessions issued before now (the credentials already on the box). @default true */
  revokeSessions: z.boolean().default(true),
});

/**
 * Removes the instance profile from the instance so it gets no new role
 * credentials, and (by default) revokes the sessions the role issued to this
 * instance before now (`ec2:SourceInstanceARN`), since credentials already
 * fetched from the metadata service stay valid for hours; other instances
 * sharing the role are not touched.
 */
export const removeInstanceProfile: ActionDefinition<z.infer<typeof params>> = {
  name: 'ec2.remove-instance-profile',
  summary: "Disassociate the instance profile and revoke the instance role's older sessions",
  params,
  target: 'instance',
  disruptive: true,
  permissions: {
    member: [
      'ec2:DescribeIamInstanceProfileAssociations',
      'ec2:DisassociateIamInstanceProfile',
      'iam:GetInstanceProfile',
      'iam:GetRolePolicy',
      'iam:PutRolePolicy',
    ],
    home: [],
  },
  undo: {
    kind: 'restore',
    permissions: REMOVE_REVOCATION_PERMISSIONS,
    async run(ctx, record) {
      if (record.changed.policyName === REVOKE_SESSIONS_POLICY) return [await removeRevocation('ec2.remove-instance-profile', ctx, record)];
      // Re-associating needs iam:PassRole on the role, which the member role
      // deliberately lacks; a compromised instance should get its role back by hand.
      const profile = String(record.prior.instanceProfileName ?? record.prior.instanceProfileArn ?? 'the instance profile');
      return [
        outcome(
          'ec2.remove-instance-profile',
          record.resource,
          'skipped',
          `${profile} not re-associated (needs iam:PassRole): re-associate it by hand once the instance is clean`,
        ),
      ];
    },
  },
  async run(ctx, p) {
    const instanceId = ctx.finding.instance?.instanceId as string;
    const ec2 = ctx.member(EC2Client);
    return collecting(async (results) => {
      const assoc = await ec2.send(
        new DescribeIamInstanceProfileAssociationsCommand({
          Filters: [
            { Name: 'instance-id', Values: [instanceId] },
            { Name: 'state', Values: ['associated'] },
          ],
        }),
      );
      const association = assoc.IamInstanceProfileAssociations?.[0];
      const profileArn = association?.IamInstanceProfile?.Arn;
      let roleName: string | undefined;
      if (!association?.AssociationId || !profileArn) {
        results.push(outcome(this.name, instanceId, 'already', 'no instance profile associated'));
        // A later delivery (the profile went with the first one): its role's
        // revocation is still checked, so a revocation that failed then is retried.
        roleName = roleFromHistory(await ctx.history(), this.name);
      } else {
        const profileName = profileArn.split('/').pop() as string;
        // The profile's role is read while the profile is removed (independent calls).
        const [profile, removal] = await Promise.allSettled([
          p.revokeSessions
            ? ctx.member(IAMClient).send(new GetInstanceProfileCommand({ InstanceProfileName: profileName }))
            : Promise.resolve(undefined),
          ctx.dryRun
            ? Promise.resolve(undefined)
            : ec2.send(new DisassociateIamInstanceProfileCommand({ AssociationId: association.AssociationId })),
        ]);
        if (profile.status === 'fulfilled') roleName = profile.value?.InstanceProfile?.Roles?.[0]?.RoleName;
        const prior = { instanceProfileArn: profileArn, instanceProfileName: profileName, ...(roleName ? { roleName } : {}) };
        if (removal.status === 'rejected') throw removal.reason;
        results.push(
          ctx.dryRun
            ? outcome(this.name, instanceId, 'planned', `would disassociate ${profileName} from ${instanceId}`, { prior })
            : outcome(this.name, instanceId, 'done', `disassociated ${profileName}`, { prior }),
        );
        if (profile.status === 'rejected') throw profile.reason;
      }
      if (!p.revokeSessions || !roleName) return;
      if (roleName === ctx.responderRoleName) {
        results.push(outcome(this.name, roleName, 'skipped', `refusing to revoke ${roleName}: it is cordon's own member role`));
        return;
      }
      const iam = ctx.member(IAMClient);
      // Only this instance's sessions: other instances sharing the role keep working.
      const scope = instanceScope(ctx.finding, instanceId);
      const plan = await planRevocation(iam, roleName, scope, ctx.finding.lastSeenAt, ctx.now);
      results.push(await applyRevocation(this.name, iam, roleName, scope, plan, ctx.now, ctx.dryRun));
    });
  },
};

/** The instance role an earlier delivery of the finding recorded, if any. */
function roleFromHistory(history: readonly AuditRecord[], action: string): string | undefined {
  let roleName: string | undefined;
  for (const r of history) {
    const recorded = r.prior?.roleName;
    if (r.action === action && r.actor === 'respond' && typeof recorded === 'string') roleName = recorded;
  }
  return roleName;
}
