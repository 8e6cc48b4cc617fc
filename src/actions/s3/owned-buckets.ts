import { paginateListBuckets, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';

/** Buckets looked up at once (a finding names a few). */
const LOOKUP_CONCURRENCY = 4;

/**
 * The buckets of `names` that the account owns. ListBuckets lists only the
 * buckets the caller's account owns, so each name is looked up with it (as a
 * prefix, then matched exactly): a bucket of another account, named in a
 * finding about an access from this account, is never changed by cordon
 * (its account's own finding, if any, is the one to act on). Read-only.
 */
export async function ownedBuckets(s3: S3Client, names: readonly string[]): Promise<ReadonlySet<string>> {
  const limit = pLimit(LOOKUP_CONCURRENCY);
  const owned = await Promise.all(
    [...new Set(names)].map((name) =>
      limit(async () => {
        for await (const page of paginateListBuckets({ client: s3 }, { Prefix: name, MaxBuckets: 1000 }))
          if ((page.Buckets ?? []).some((b) => b.Name === name)) return [name];
        return [];
      }),
    ),
  );
  return new Set(owned.flat());
}
