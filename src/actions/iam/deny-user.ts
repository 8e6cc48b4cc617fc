import { DeleteUserPolicyCommand, GetUserPolicyCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { z } from 'zod';
import { REFUSED } from '../types';
import { defineAction } from '../define';

const params = z.strictObject({});

/** Inline policy cordon attaches to a user to stop everything it does. */
export const DENY_ALL_POLICY = 'cordon-deny-all';

/** Attaches an inline deny-all policy to the IAM user in the finding (all its keys and console sessions stop working). */
export const denyUser = defineAction({
  name: 'iam.deny-user',
  summary: 'Attach an inline deny-all policy to the IAM user',
  params,
  target: 'user',
  disruptive: true,
  permissions: { member: ['iam:GetUserPolicy', 'iam:PutUserPolicy'], home: [] },
  /**
   * The user, which had no policy of that name (cordon attaches it only then).
   * @example { userName: 'deploy-bot', hadPolicy: false }
   */
  prior: z.object({ userName: z.string(), hadPolicy: z.boolean() }),
  /** @example { policyName: 'cordon-deny-all' } */
  changed: z.object({ policyName: z.literal(DENY_ALL_POLICY) }),
  undo: {
    kind: 'restore',
    permissions: ['iam:GetUserPolicy', 'iam:DeleteUserPolicy'],
    async run(ctx, record, report) {
      const userName = record.resource;
      const iam = ctx.member(IAMClient);
      let document: string;
      try {
        const out = await iam.send(new GetUserPolicyCommand({ UserName: userName, PolicyName: DENY_ALL_POLICY }));
        document = decodeURIComponent(out.PolicyDocument ?? '');
      } catch (err) {
        if ((err as Error).name === 'NoSuchEntityException' || (err as Error).name === 'NoSuchEntity') {
          return [report.already(userName, `${DENY_ALL_POLICY} is no longer on ${userName}`)];
        }
        throw err;
      }
      if (!document.includes('CordonDenyAll') && !ctx.force) {
        return [
          report.failed(
            userName,
            `${REFUSED} ${DENY_ALL_POLICY} on ${userName} is not the policy cordon wrote (changed since); rerun with --force to delete it anyway`,
          ),
        ];
      }
      if (ctx.dryRun) return [report.planned(userName, `would delete ${DENY_ALL_POLICY} from ${userName}`)];
      await iam.send(new DeleteUserPolicyCommand({ UserName: userName, PolicyName: DENY_ALL_POLICY }));
      return [
        report.done(userName, `deleted ${DENY_ALL_POLICY} from ${userName}`, {
          prior: { policyName: DENY_ALL_POLICY },
          changed: { policyName: null },
        }),
      ];
    },
  },
  async run(ctx, _params, report) {
    const key = ctx.finding.accessKey;
    const userName = key?.userName;
    if (!userName || key.userType !== 'IAMUser') {
      return [report.skipped(userName ?? '', `finding names no IAM user (user type ${key?.userType ?? 'unknown'})`)];
    }
    const iam = ctx.member(IAMClient);
    try {
      await iam.send(new GetUserPolicyCommand({ UserName: userName, PolicyName: DENY_ALL_POLICY }));
      return [report.already(userName, `${DENY_ALL_POLICY} already attached to ${userName}`)];
    } catch (err) {
      if ((err as Error).name !== 'NoSuchEntityException' && (err as Error).name !== 'NoSuchEntity') throw err;
    }
    if (ctx.dryRun) return [report.planned(userName, `would attach ${DENY_ALL_POLICY} to ${userName}`)];
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
      report.done(userName, `attached ${DENY_ALL_POLICY} to ${userName}`, {
        prior: { userName, hadPolicy: false },
        changed: { policyName: DENY_ALL_POLICY },
      }),
    ];
  },
});
