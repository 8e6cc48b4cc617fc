import { GetBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { IAMClient, ListRoleTagsCommand, ListUserTagsCommand } from '@aws-sdk/client-iam';
import { ListParentsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import type { ActionContext, ActionTarget } from '../actions/types';
import type { ClientFactory } from '../aws/clients';
import type { ExemptTag } from '../config/defaults';
import { describeError, ExemptionUnknownError } from '../errors';
import { BackupClient, ListTagsCommand as BackupListTagsCommand } from '@aws-sdk/client-backup';
import { DescribeTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient, ListTagsForResourceCommand } from '@aws-sdk/client-ecs';
import { EKSClient, ListTagsForResourceCommand as EksListTagsCommand } from '@aws-sdk/client-eks';
import { LambdaClient, ListTagsCommand } from '@aws-sdk/client-lambda';
import { ListTagsForResourceCommand as RdsListTagsCommand, RDSClient } from '@aws-sdk/client-rds';
import { namedResources, ouExemption, type ResourceKind } from '../runbooks/exemptions';

/** The kinds of resources actions of these targets touch, as configured exemptions name them. */
export function resourceKinds(targets: ReadonlySet<ActionTarget>): ReadonlySet<ResourceKind> {
  const kinds: Record<ActionTarget, readonly ResourceKind[]> = {
    instance: ['instance'],
    'remote-ip': ['instance', 'database'],
    'access-key': ['user'],
    user: ['user'],
    role: ['role'],
    bucket: ['bucket'],
    'lambda-function': ['function'],
    'ecs-task': ['task'],
    database: ['database'],
    's3-object': ['object', 'bucket'],
    'ebs-snapshot': ['backup'],
    'ec2-image': ['backup'],
    'recovery-point': ['backup'],
    kubernetes: ['cluster'],
    finding: [],
  };
  return new Set([...targets].flatMap((t) => kinds[t]));
}

/** How deep OUs nest under the root (AWS Organizations quotas: five levels), plus the root itself. */
const MAX_DEPTH = 6;

/**
 * An account's place in the organization: its OU, that OU's parent and so on
 * up to the root (`['ou-ab12-child', 'ou-ab12-parent', 'r-ab12']`), one
 * Organizations ListParents call per level. The security account may call it
 * as a delegated administrator (read-only Organizations calls). Errors
 * propagate: the caller decides what not knowing means.
 */
async function organizationPath(orgs: OrganizationsClient, accountId: string): Promise<string[]> {
  const path: string[] = [];
  let child = accountId;
  for (let depth = 0; depth < MAX_DEPTH; depth += 1) {
    const parent = (await orgs.send(new ListParentsCommand({ ChildId: child }))).Parents?.[0];
    if (!parent?.Id) throw new Error(`Organizations names no parent of ${child}`);
    path.push(parent.Id);
    if (parent.Type === 'ROOT') return path;
    child = parent.Id;
  }
  throw new Error(`no root above ${accountId} after ${MAX_DEPTH} levels of OUs`);
}

/** An account's OUs up to the root (see `organizationPath`), by account id. */
export type OrganizationPaths = (accountId: string, region: string) => Promise<readonly string[]>;

/**
 * Looks up accounts' OUs in the security account's Organizations, each
 * account once for as long as this lookup lives (one responder run). A
 * failed lookup is not kept: the next finding of that account asks again.
 */
export function organizationPaths(clients: Pick<ClientFactory, 'home'>): OrganizationPaths {
  const cache = new Map<string, Promise<readonly string[]>>();
  return (accountId, region) => {
    let path = cache.get(accountId);
    if (!path) {
      path = organizationPath(clients.home(OrganizationsClient, region), accountId);
      void path.catch(() => cache.delete(accountId));
      cache.set(accountId, path);
    }
    return path;
  };
}

/**
 * Why the finding's account is exempt by OU (`exemptOus`), or undefined.
 * When the account's OUs cannot be read, it throws: cordon neither exempts nor
 * acts without knowing (the finding fails, naming why, and is retried).
 */
export async function accountOuExemption(
  accountId: string,
  region: string,
  exemptOus: ReadonlySet<string>,
  paths: OrganizationPaths,
): Promise<string | undefined> {
  if (exemptOus.size === 0) return undefined;
  let path: readonly string[];
  try {
    path = await paths(accountId, region);
  } catch (err) {
    throw new ExemptionUnknownError(
      `cannot tell whether account ${accountId} is in an exempt OU (Organizations ListParents: ${describeError(err)}): not acting on it`,
      { cause: err },
    );
  }
  return ouExemption(accountId, path, exemptOus);
}

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
  const others = await otherTagExemption(ctx, targets, hit, label);
  if (others) return others;
  if (targets.has('bucket') || targets.has('s3-object')) {
    // Only the account's own buckets: cordon leaves the others alone, and may not read their tags. Their tags were read
    // with the proof of ownership; a bucket whose tags could not be read then is asked again (an error then is the screen's).
    const owned = await ctx.ownedBuckets();
    const buckets = [...new Set([...finding.buckets, ...finding.objects.map((o) => o.bucket)])];
    for (const bucket of buckets.filter((b) => owned.has(b))) {
      const read = owned.get(bucket);
      if (read) {
        if (hit(read)) return `bucket ${bucket} is exempt (tag ${label})`;
        continue;
      }
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

/**
 * The exemption tag on a Lambda function, an ECS task, an RDS database (and
 * its Aurora cluster), a snapshot, an AMI, a recovery point or an EKS
 * cluster the runbook would touch, read live through the member role. As for
 * instances, whoever may tag the resource can set it: the optional tag guard
 * (docs/deploy.md) and the configured exemptions are what no workload can change.
 */
async function otherTagExemption(
  ctx: ActionContext,
  targets: ReadonlySet<ActionTarget>,
  hit: (tags: ReadonlyArray<{ Key?: string; Value?: string }> | undefined) => boolean,
  label: string,
): Promise<string | undefined> {
  const { finding } = ctx;
  const pairs = (tags: Readonly<Record<string, string>> | undefined) => Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
  const lowered = (tags: ReadonlyArray<{ key?: string; value?: string }> | undefined) =>
    (tags ?? []).map((t) => ({ Key: t.key, Value: t.value }));
  const named = namedResources(finding);
  const arnOf = (kind: ResourceKind) => named.find((r) => r.kind === kind)?.arn as string;
  if (finding.lambda && targets.has('lambda-function')) {
    const tags = await ctx.member(LambdaClient).send(new ListTagsCommand({ Resource: arnOf('function') }));
    if (hit(pairs(tags.Tags))) return `Lambda function ${finding.lambda.functionName} is exempt (tag ${label})`;
  }
  if (finding.task && targets.has('ecs-task')) {
    const tags = await ctx.member(ECSClient).send(new ListTagsForResourceCommand({ resourceArn: finding.task.taskArn }));
    if (hit(lowered(tags.tags))) return `ECS task ${finding.task.taskArn} is exempt (tag ${label})`;
  }
  if (finding.database && (targets.has('database') || targets.has('remote-ip'))) {
    for (const arn of named.filter((r) => r.kind === 'database').map((r) => r.arn)) {
      const tags = await ctx.member(RDSClient).send(new RdsListTagsCommand({ ResourceName: arn }));
      if (hit(tags.TagList)) return `RDS database ${arn} is exempt (tag ${label})`;
    }
  }
  const backup = finding.backup;
  if (backup && (targets.has('ebs-snapshot') || targets.has('ec2-image'))) {
    const tags = await ctx.member(EC2Client).send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [backup.id] }] }));
    if (hit(tags.Tags)) return `${backup.id} is exempt (tag ${label})`;
  }
  if (backup && targets.has('recovery-point')) {
    const tags = await ctx.member(BackupClient).send(new BackupListTagsCommand({ ResourceArn: backup.arn }));
    if (hit(pairs(tags.Tags))) return `recovery point ${backup.arn} is exempt (tag ${label})`;
  }
  if (finding.kubernetes?.clusterName && targets.has('kubernetes')) {
    const tags = await ctx.member(EKSClient).send(new EksListTagsCommand({ resourceArn: arnOf('cluster') }));
    if (hit(pairs(tags.tags))) return `EKS cluster ${finding.kubernetes.clusterName} is exempt (tag ${label})`;
  }
  return undefined;
}

/** IAM actions the exemption check needs in member accounts. */
export const EXEMPTION_PERMISSIONS = [
  'ec2:DescribeInstances',
  'ec2:DescribeTags',
  'iam:ListUserTags',
  'iam:ListRoleTags',
  's3:ListAllMyBuckets',
  's3:GetBucketTagging',
  'lambda:ListTags',
  'ecs:ListTagsForResource',
  'rds:ListTagsForResource',
  'backup:ListTags',
  'eks:ListTagsForResource',
] as const;
