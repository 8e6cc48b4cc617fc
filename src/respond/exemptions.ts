import { GetBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { IAMClient, ListRoleTagsCommand, ListUserTagsCommand } from '@aws-sdk/client-iam';
import { ListParentsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import type { ActionContext, ActionTarget } from '../actions/types';
import type { ClientFactory } from '../aws/clients';
import type { ExemptTag } from '../config/defaults';
import { describeError, ExemptionUnknownError } from '../errors';
import { ouExemption, type ResourceKind } from '../runbooks/exemptions';

/** The kinds of resources actions of these targets touch, as configured exemptions name them. */
export function resourceKinds(targets: ReadonlySet<ActionTarget>): ReadonlySet<ResourceKind> {
  const kinds: Record<ActionTarget, ResourceKind | undefined> = {
    instance: 'instance',
    'remote-ip': 'instance',
    'access-key': 'user',
    user: 'user',
    role: 'role',
    bucket: 'bucket',
    finding: undefined,
  };
  return new Set([...targets].flatMap((t) => kinds[t] ?? []));
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
