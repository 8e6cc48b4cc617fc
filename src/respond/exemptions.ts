import { GetBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { IAMClient, ListRoleTagsCommand, ListUserTagsCommand } from '@aws-sdk/client-iam';
import type { ActionContext, ActionTarget } from '../actions/types';
import type { ExemptTag } from '../config/defaults';

/**
 * Looks at the live tags of the resources a runbook would touch and returns
 * why containment is exempt, or undefined. Read-only calls in the member account.
 */
export async function exemption(
  ctx: ActionContext,
  targets: ReadonlySet<ActionTarget>,
  tag: ExemptTag | undefined,
): Promise<string | undefined> {
  if (!tag) return undefined;
  const { finding } = ctx;
  const hit = (tags: ReadonlyArray<{ Key?: string; Value?: string }> | undefined): boolean =>
    (tags ?? []).some((t) => t.Key === tag.key && t.Value === tag.value);
  const label = `${tag.key}=${tag.value}`;
  const instanceTargets: ActionTarget[] = ['instance', 'remote-ip'];
  if (finding.instance && instanceTargets.some((t) => targets.has(t))) {
    const instance = await ctx.instance();
    if (hit(instance.Tags)) return `instance ${instance.InstanceId} is exempt (tag ${label})`;
  }
  const key = finding.accessKey;
  if (key?.userName && key.userType === 'IAMUser' && (targets.has('access-key') || targets.has('user'))) {
    const tags = await ctx.member(IAMClient).send(new ListUserTagsCommand({ UserName: key.userName }));
    if (hit(tags.Tags)) return `IAM user ${key.userName} is exempt (tag ${label})`;
  }
  if (key?.userName && key.userType === 'AssumedRole' && targets.has('role')) {
    const tags = await ctx.member(IAMClient).send(new ListRoleTagsCommand({ RoleName: key.userName }));
    if (hit(tags.Tags)) return `IAM role ${key.userName} is exempt (tag ${label})`;
  }
  if (targets.has('bucket')) {
    // Only the account's own buckets: cordon leaves the others alone, and may not read their tags.
    const owned = await ctx.ownedBuckets();
    for (const bucket of finding.buckets.filter((b) => owned.has(b))) {
      try {
        const tags = await ctx.member(S3Client).send(new GetBucketTaggingCommand({ Bucket: bucket }));
        if (hit(tags.TagSet)) return `bucket ${bucket} is exempt (tag ${label})`;
      } catch (err) {
        // A bucket without tags answers NoSuchTagSet: it is simply not exempt.
        if ((err as Error).name !== 'NoSuchTagSet') throw err;
      }
    }
  }
  return undefined;
}

/** IAM actions the exemption check needs in member accounts. */
export const EXEMPTION_PERMISSIONS = [
  'ec2:DescribeInstances',
  'iam:ListUserTags',
  'iam:ListRoleTags',
  's3:ListAllMyBuckets',
  's3:GetBucketTagging',
] as const;
