import { GetBucketTaggingCommand, paginateListBuckets, type S3Client, type Tag } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';

/** Buckets looked up at once (a finding names a few). */
const LOOKUP_CONCURRENCY = 4;

/**
 * The buckets the finding's account owns, each with its tags as read while
 * proving it (undefined: owned, but its tags could not be read then).
 */
export type OwnedBuckets = ReadonlyMap<string, readonly Tag[] | undefined>;

/**
 * The buckets of `names` that `accountId` owns. Each is asked for its tags
 * with `ExpectedBucketOwner: accountId`: S3 answers only when that account
 * owns the bucket and refuses with 403 otherwise (S3 User Guide, "Verifying
 * bucket ownership with bucket owner condition"), so an answer proves
 * ownership in one call and its tags serve the exemption check. A refusal
 * can also come from a bucket policy denying the member role, so only then
 * is the name looked up with ListBuckets, which lists only the buckets the
 * caller's account owns (as a prefix, then matched exactly): a bucket of
 * another account, named in a finding about an access from this account, is
 * never changed by cordon (its account's own finding, if any, is the one to
 * act on). Read-only.
 */
export async function ownedBuckets(s3: S3Client, names: readonly string[], accountId: string): Promise<OwnedBuckets> {
  const limit = pLimit(LOOKUP_CONCURRENCY);
  const owned = await Promise.all(
    [...new Set(names)].map((name) =>
      limit(async (): Promise<Array<[string, readonly Tag[] | undefined]>> => {
        try {
          const out = await s3.send(new GetBucketTaggingCommand({ Bucket: name, ExpectedBucketOwner: accountId }));
          return [[name, out.TagSet ?? []]];
        } catch (err) {
          // A bucket of this account without tags.
          if ((err as Error).name === 'NoSuchTagSet') return [[name, []]];
        }
        for await (const page of paginateListBuckets({ client: s3 }, { Prefix: name, MaxBuckets: 1000 }))
          if ((page.Buckets ?? []).some((b) => b.Name === name)) return [[name, undefined]];
        return [];
      }),
    ),
  );
  return new Map(owned.flat());
}

/** What {@link ownedBuckets} calls. */
export const OWNED_BUCKETS_PERMISSIONS = ['s3:GetBucketTagging', 's3:ListAllMyBuckets'] as const;
