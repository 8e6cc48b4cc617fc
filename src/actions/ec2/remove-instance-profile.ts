import {
  DescribeIamInstanceProfileAssociationsCommand,
  DisassociateIamInstanceProfileCommand,
  EC2Client,
  type IamInstanceProfileAssociation,
} from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand, GetRoleCommand, IAMClient, type InstanceProfile } from '@aws-sdk/client-iam';
import type { ActionContext } from '../types';
import { z } from 'zod';
import type { AuditRecord } from '../../audit/store';
import { REVOKE_PERMISSIONS, revokeSessions } from '../iam/session-revocation';
import { removeRevocation, REMOVE_REVOCATION_PERMISSIONS } from '../iam/revocation-undo';
import { instanceScope, revocationChanged, revocationPrior } from '../iam/revocation-policy';
import { defineAction } from '../define';
import { collecting, type ActionOutcome } from '../../outcome';

const params = z.strictObject({
  /** Also deny the instance role's sessions issued before now (the credentials already on the box). @default true */
  revokeSessions: z.boolean().default(true),
});

/**
 * Two kinds of record: the instance profile it disassociated (its role when
 * read), e.g. `{ instanceProfileArn: 'arn:aws:iam::111122223333:instance-profile/web', instanceProfileName: 'web', roleName: 'web-role' }`,
 * and the revocation of that role's sessions on the instance (see `revocationPrior`).
 */
const prior = z.union([
  z.object({
    instanceProfileArn: z.string(),
    instanceProfileName: z.string(),
    roleName: z.string().optional(),
    roleId: z.string().optional(),
  }),
  revocationPrior,
]);

/**
 * Removes the instance profile from the instance so it gets no new role
 * credentials, and (by default) revokes the sessions the role issued to this
 * instance before now (`aws:userid` `<role id>:<instance id>`, see
 * `RevocationScope`), since credentials already fetched from the metadata
 * service stay valid for hours; other instances sharing the role are not
 * touched.
 */
/** The instance's current profile association, looked up once per context (while the finding is screened). */
function associationOf(ctx: ActionContext): Promise<IamInstanceProfileAssociation | undefined> {
  return ctx.lookup('ec2.remove-instance-profile:association', async () => {
    const out = await ctx.member(EC2Client).send(
      new DescribeIamInstanceProfileAssociationsCommand({
        Filters: [
          { Name: 'instance-id', Values: [ctx.finding.instance?.instanceId ?? ''] },
          { Name: 'state', Values: ['associated'] },
        ],
      }),
    );
    return out.IamInstanceProfileAssociations?.[0];
  });
}

/**
 * The instance profile (with its role) named by the instance's description,
 * looked up once per context; `name` is the association's, when the
 * description named none or another one.
 */
function profileOf(ctx: ActionContext, name?: string): Promise<InstanceProfile | undefined> {
  const described = ctx.lookup('ec2.remove-instance-profile:described-profile', async () => {
    const arn = (await ctx.instance()).IamInstanceProfile?.Arn;
    return arn?.split('/').pop();
  });
  return described.then((fromDescription) => {
    const profileName = name ?? fromDescription;
    if (!profileName) return undefined;
    return ctx.lookup(
      `ec2.remove-instance-profile:profile:${profileName}`,
      async () => (await ctx.member(IAMClient).send(new GetInstanceProfileCommand({ InstanceProfileName: profileName }))).InstanceProfile,
    );
  });
}

export const removeInstanceProfile = defineAction({
  name: 'ec2.remove-instance-profile',
  summary: "Disassociate the instance profile and revoke the instance role's older sessions",
  params,
  target: 'instance',
  disruptive: true,
  runs: 'concurrent',
  permissions: {
    member: [
      'ec2:DescribeIamInstanceProfileAssociations',
      'ec2:DisassociateIamInstanceProfile',
      'iam:GetInstanceProfile',
      'iam:GetRole',
      ...REVOKE_PERMISSIONS,
    ],
    home: [],
  },
  prior,
  /** The revocation's (see `revocationChanged`); nothing for the disassociation. */
  changed: revocationChanged.optional(),
  undo: {
    kind: 'restore',
    permissions: REMOVE_REVOCATION_PERMISSIONS,
    async run(ctx, record, report) {
      const { prior: recorded, changed } = record;
      if (changed) return [await removeRevocation(report, ctx, record.resource, changed, 'hadPolicy' in recorded ? recorded : {})];
      // Re-associating needs iam:PassRole on the role, which the member role
      // deliberately lacks; a compromised instance should get its role back by hand.
      const profile = 'instanceProfileName' in recorded ? recorded.instanceProfileName : 'the instance profile';
      return [
        report.skipped(
          record.resource,
          `${profile} not re-associated (needs iam:PassRole): re-associate it by hand once the instance is clean`,
        ),
      ];
    },
  },
  prefetch(ctx, p) {
    // Answered when run awaits them; a failure then is run's to report.
    associationOf(ctx).catch(() => undefined);
    if (p.revokeSessions) profileOf(ctx).catch(() => undefined);
  },
  async run(ctx, p, report) {
    const instanceId = ctx.finding.instance?.instanceId as string;
    const ec2 = ctx.member(EC2Client);
    return collecting(async (results) => {
      // The association was looked up while the finding was screened, and the profile's role once the instance was described.
      const association = await associationOf(ctx);
      const profileArn = association?.IamInstanceProfile?.Arn;
      let roleName: string | undefined;
      let roleId: string | undefined;
      if (!association?.AssociationId || !profileArn) {
        results.push(report.already(instanceId, 'no instance profile associated'));
        ({ roleName, roleId } = roleFromHistory(await ctx.history(), report.action));
      } else {
        const profileName = profileArn.split('/').pop() as string;
        const removal = ctx.dryRun
          ? Promise.resolve(undefined)
          : ec2.send(new DisassociateIamInstanceProfileCommand({ AssociationId: association.AssociationId }));
        // The revocation takes its lease and reads the role's policy while the profile is removed; it writes only after.
        removal.catch(() => undefined);
        const profile = p.revokeSessions ? profileOf(ctx, profileName) : Promise.resolve(undefined);
        const revocation = profile.then((found) => {
          roleName = found?.Roles?.[0]?.RoleName;
          roleId = found?.Roles?.[0]?.RoleId;
          return p.revokeSessions && roleName && roleId ? revoke(roleName, roleId, removal) : undefined;
        });
        revocation.catch(() => undefined);
        const [found, removed] = await Promise.allSettled([revocation, removal]);
        const disassociated = {
          instanceProfileArn: profileArn,
          instanceProfileName: profileName,
          ...(roleName ? { roleName } : {}),
          ...(roleId ? { roleId } : {}),
        };
        if (removed.status === 'rejected') throw removed.reason;
        results.push(
          ctx.dryRun
            ? report.planned(instanceId, `would disassociate ${profileName} from ${instanceId}`, { prior: disassociated })
            : report.done(instanceId, `disassociated ${profileName}`, { prior: disassociated }),
        );
        if (found.status === 'rejected') throw found.reason;
        if (found.value) {
          results.push(found.value);
          return;
        }
      }
      if (!p.revokeSessions || !roleName) return;
      // A redelivery knows the role from the audit trail: its id is read when an older record lacks it.
      roleId ??= (await ctx.member(IAMClient).send(new GetRoleCommand({ RoleName: roleName }))).Role?.RoleId;
      if (!roleId) throw new Error(`IAM reports no id for role ${roleName}`);
      results.push(await revoke(roleName, roleId, Promise.resolve()));
    });

    /** Only this instance's sessions (aws:userid <role id>:<instance id>): other instances sharing the role keep working. */
    async function revoke(role: string, id: string, writeAfter: Promise<unknown>): Promise<ActionOutcome> {
      if (role === ctx.responderRoleName) return report.skipped(role, `refusing to revoke ${role}: it is cordon's own member role`);
      const deps = { iam: ctx.member(IAMClient), exclusivePrincipal: ctx.exclusivePrincipal, now: ctx.now, dryRun: ctx.dryRun, writeAfter };
      return revokeSessions(report, deps, role, instanceScope(id, instanceId), ctx.finding.lastSeenAt);
    }
  },
});

/**
 * The instance role an earlier delivery of the finding recorded, if any, with
 * its id when that record has it (a role deleted and made again under the
 * same name has another id: the revocation's condition names the id cordon
 * read when it removed the profile).
 */
function roleFromHistory(history: readonly AuditRecord[], action: string): { roleName?: string; roleId?: string } {
  const recorded = history.flatMap((r) => {
    const read = r.action === action && r.actor === 'respond' ? prior.safeParse(r.prior).data : undefined;
    return read ? [read] : [];
  });
  const roleName = recorded.findLast((p) => p.roleName !== undefined)?.roleName;
  // The disassociation's record names the id (the revocation's names the role only).
  const roleId = recorded.findLast((p) => p.roleName === roleName && 'roleId' in p && p.roleId !== undefined);
  return { roleName, ...(roleId && 'roleId' in roleId ? { roleId: roleId.roleId } : {}) };
}
