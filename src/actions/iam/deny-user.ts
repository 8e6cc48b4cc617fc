import { AttachUserPolicyCommand, DetachUserPolicyCommand, IAMClient, paginateListAttachedUserPolicies } from '@aws-sdk/client-iam';
import { z } from 'zod';
import { REFUSED } from '../types';
import { defineAction } from '../define';
import { rootSkip } from './root';
import { isIamQuotaExceeded } from '../../aws/iam-quota';

const params = z.strictObject({});

/**
 * The AWS managed policy that denies every action (`AWSDenyAll`), in a
 * partition. Attaching it, rather than writing an inline policy, lets the
 * member role attach this one policy only (`iam:AttachUserPolicy` conditioned
 * on `iam:PolicyARN`), where `iam:PutUserPolicy` would let it write any
 * policy on any user; and a user's inline policies share a 2,048-character
 * quota its owner may have filled (IAM User Guide, "IAM and AWS STS quotas").
 */
export function awsDenyAllArn(partition: string): string {
  return `arn:${partition}:iam::aws:policy/AWSDenyAll`;
}

/** The channel a deny on the user closes: its console and GetSessionToken sessions, which no key deactivation reaches. */
const CLOSES = { closes: ['user-temporary-credentials' as const] };

/** The partition of a managed policy ARN (`arn:aws-us-gov:iam::aws:policy/…` → `aws-us-gov`). */
function partitionOf(policyArn: string): string {
  return policyArn.split(':')[1] ?? 'aws';
}

/** True when the user has the policy attached (paginated: a user may have up to 20 managed policies). */
async function attached(iam: IAMClient, userName: string, policyArn: string): Promise<boolean> {
  for await (const page of paginateListAttachedUserPolicies({ client: iam }, { UserName: userName })) {
    if ((page.AttachedPolicies ?? []).some((p) => p.PolicyArn === policyArn)) return true;
  }
  return false;
}

/**
 * Attaches the AWS managed `AWSDenyAll` policy to the IAM user in the finding:
 * every key of the user and every session it has (console, GetSessionToken)
 * stops working, since a session carries its user's policies. GuardDuty's
 * guide: "Remediating potentially compromised AWS credentials".
 */
export const denyUser = defineAction({
  name: 'iam.deny-user',
  summary: 'Attach the AWS managed AWSDenyAll policy to the IAM user',
  params,
  target: 'user',
  disruptive: true,
  permissions: { member: ['iam:ListAttachedUserPolicies', 'iam:AttachUserPolicy'], home: [] },
  /**
   * The user, which did not have the policy attached (cordon attaches it only then).
   * @example { userName: 'deploy-bot', attached: false }
   */
  prior: z.object({ userName: z.string(), attached: z.literal(false) }),
  /** @example { policyArn: 'arn:aws:iam::aws:policy/AWSDenyAll' } */
  changed: z.object({ policyArn: z.string().regex(/^arn:[a-z-]+:iam::aws:policy\/AWSDenyAll$/, 'expected the AWSDenyAll policy ARN') }),
  undo: {
    kind: 'restore',
    permissions: ['iam:ListAttachedUserPolicies', 'iam:DetachUserPolicy'],
    async run(ctx, record, report) {
      const userName = record.resource;
      const { policyArn } = record.changed;
      const iam = ctx.member(IAMClient);
      let still: boolean;
      try {
        still = await attached(iam, userName, policyArn);
      } catch (err) {
        if ((err as Error).name === 'NoSuchEntityException' || (err as Error).name === 'NoSuchEntity')
          return [report.skipped(userName, `user ${userName} no longer exists`)];
        throw err;
      }
      if (!still) return [report.already(userName, `AWSDenyAll is no longer attached to ${userName}`)];
      if (policyArn !== awsDenyAllArn(partitionOf(policyArn)))
        return [report.failed(userName, `${REFUSED} the record names ${policyArn}, not AWSDenyAll: detach it by hand`)];
      if (ctx.dryRun) return [report.planned(userName, `would detach AWSDenyAll from ${userName}`)];
      await iam.send(new DetachUserPolicyCommand({ UserName: userName, PolicyArn: policyArn }));
      return [report.done(userName, `detached AWSDenyAll from ${userName}`, { prior: { policyArn }, changed: { policyArn: null } })];
    },
  },
  async run(ctx, _params, report) {
    const key = ctx.finding.accessKey;
    const root = rootSkip(report, key);
    if (root) return [root];
    const userName = key?.userName;
    if (!userName || key.userType !== 'IAMUser') {
      return [report.skipped(userName ?? '', `finding names no IAM user (user type ${key?.userType ?? 'unknown'})`)];
    }
    const policyArn = awsDenyAllArn(ctx.finding.partition);
    const iam = ctx.member(IAMClient);
    if (await attached(iam, userName, policyArn)) return [report.already(userName, `AWSDenyAll already attached to ${userName}`, CLOSES)];
    if (ctx.dryRun) return [report.planned(userName, `would attach AWSDenyAll to ${userName}`, CLOSES)];
    try {
      await iam.send(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: policyArn }));
    } catch (err) {
      // A user at its quota of managed policies (10 by default) cannot take one more: say what to do.
      if (isIamQuotaExceeded(err))
        return [
          report.failed(
            userName,
            `${userName} already has IAM's maximum of attached managed policies: detach one and rerun, or deny the user by hand`,
          ),
        ];
      throw err;
    }
    return [
      report.done(userName, `attached AWSDenyAll to ${userName}`, {
        prior: { userName, attached: false },
        changed: { policyArn },
        ...CLOSES,
      }),
    ];
  },
});
