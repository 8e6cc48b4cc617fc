import { DeleteUserPolicyCommand, GetUserPolicyCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { z } from 'zod';
import { REFUSED, type ActionDefinition } from '../types';
import { outcome } from '../../outcome';

const params = z.strictObject({});

/** Inline policy cordon attaches to a user to stop everything it does. */
export const DENY_ALL_POLICY = 'cordon-deny-all';

/** Attaches an inline deny-all policy to the IAM user in the finding (all its keys and console sessions stop working). */
export const denyUser: ActionDefinition<z.infer<typeof params>> = {
  name: 'iam.deny-user',
  summary: 'Attach an inline deny-all policy to the IAM user',
  params,
  target: 'user',
  disruptive: true,
  permissions: { member: ['iam:GetUserPolicy', 'iam:PutUserPolicy'], home: [] },
  undo: {
    kind: 'restore',
    permissions: ['iam:GetUserPolicy', 'iam:DeleteUserPolicy'],
    async run(ctx, record) {
      const userName = record.resource;
      const iam = ctx.member(IAMClient);
      let document: string;
      try {
        const out = await iam.send(new GetUserPolicyCommand({ UserName: userName, PolicyName: DENY_ALL_POLICY }));
        document = decodeURIComponent(out.PolicyDocument ?? '');
      } catch (err) {
        if ((err as Error).name === 'NoSuchEntityException' || (err as Error).name === 'NoSuchEntity') {
          return [outcome('iam.deny-user', userName, 'already', `${DENY_ALL_POLICY} is no longer on ${userName}`)];
        }
        throw err;
      }
      if (!document.includes('CordonDenyAll') && !ctx.force) {
        return [
          outcome(
            'iam.deny-user',
            userName,
            'failed',
            `${REFUSED} ${DENY_ALL_POLICY} on ${userName} is not the policy cordon wrote (changed since); rerun with --force to delete it anyway`,
          ),
        ];
      }
      if (ctx.dryRun) return [outcome('iam.deny-user', userName, 'planned', `would delete ${DENY_ALL_POLICY} from ${userName}`)];
      await iam.send(new DeleteUserPolicyCommand({ UserName: userName, PolicyName: DENY_ALL_POLICY }));
      return [
        outcome('iam.deny-user', userName, 'done', `deleted ${DENY_ALL_POLICY} from ${userName}`, {
          prior: { policyName: DENY_ALL_POLICY },
          changed: { policyName: null },
        }),
      ];
    },
  },
  async run(ctx) {
    const key = ctx.finding.accessKey;
    const userName = key?.userName;
    if (!userName || key.userType !== 'IAMUser') {
      return [outcome(this.name, userName ?? '', 'skipped', `finding names no IAM user (user type ${key?.userType ?? 'unknown'})`)];
    }
    const iam = ctx.member(IAMClient);
    try {
      await iam.send(new GetUserPolicyCommand({ UserName: userName, PolicyName: DENY_ALL_POLICY }));
      return [outcome(this.name, userName, 'already', `${DENY_ALL_POLICY} already attached to ${userName}`)];
    } catch (err) {
      if ((err as Error).name !== 'NoSuchEntityException' && (err as Error).name !== 'NoSuchEntity') throw err;
    }
    if (ctx.dryRun) return [outcome(this.name, userName, 'planned', `would attach ${DENY_ALL_POLICY} to ${userName}`)];
    await iam.send(
      new PutUserPolicyCommand({
        UserName: userName,
        PolicyName: DENY_ALL_POLICY,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Sid: 'CordonDenyAll', Effect: 'Deny', Action: '*', Resource: '*' }],
        }),
      }),
    );
    return [
      outcome(this.name, userName, 'done', `attached ${DENY_ALL_POLICY} to ${userName}`, {
        prior: { userName, hadPolicy: false },
        changed: { policyName: DENY_ALL_POLICY },
      }),
    ];
  },
};
