import {
  GetPublicAccessBlockCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  type PublicAccessBlockConfiguration,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import { defineAction, type OutcomeReporter } from '../define';
import { OWNED_BUCKETS_PERMISSIONS } from './owned-buckets';
import { describeError } from '../../errors';
import type { ActionOutcome } from '../../outcome';

const params = z.strictObject({});

const ALL_ON: PublicAccessBlockConfiguration = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

/** A bucket's Block Public Access settings, as S3 reports them. */
const publicAccessBlock = z.object({
  BlockPublicAcls: z.boolean().optional(),
  IgnorePublicAcls: z.boolean().optional(),
  BlockPublicPolicy: z.boolean().optional(),
  RestrictPublicBuckets: z.boolean().optional(),
});

/**
 * The bucket's settings before (null: it had none).
 * @example { bucket: 'data-exports', publicAccessBlock: { BlockPublicAcls: false, IgnorePublicAcls: false,
 *   BlockPublicPolicy: true, RestrictPublicBuckets: false } }
 */
const prior = z.object({ bucket: z.string(), publicAccessBlock: publicAccessBlock.nullable() });

/** @example { publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } } */
const changed = z.object({ publicAccessBlock });

/** The outcomes of Block Public Access. */
type BucketReporter = OutcomeReporter<z.output<typeof prior>, z.output<typeof changed>>;

/**
 * Turns on all four Block Public Access settings of each bucket in the finding
 * that the finding's account owns (others are skipped with the reason);
 * records the previous settings. Each bucket on its own: a failure on one
 * keeps what was done on the others. For public-exposure findings
 * (`Policy:S3/*`): Block Public Access stops anonymous access, not a principal
 * with permissions (that is the S3 principal runbook's work). GuardDuty's
 * guide: "Remediating a potentially compromised S3 bucket".
 */
export const blockPublicAccess = defineAction({
  name: 's3.block-public-access',
  summary: "Turn on Block Public Access for the finding's buckets its account owns",
  params,
  target: 'bucket',
  disruptive: true,
  permissions: { member: [...OWNED_BUCKETS_PERMISSIONS, 's3:GetBucketPublicAccessBlock', 's3:PutBucketPublicAccessBlock'], home: [] },
  prior,
  changed,
  undo: { kind: 'keep', reason: 'Block Public Access is left on: turn it off by hand if the bucket must be public' },
  async run(ctx, _params, report) {
    const s3 = ctx.member(S3Client);
    const owned = await ctx.ownedBuckets();
    const { accountId } = ctx.finding;
    const results: ActionOutcome[] = [];
    for (const bucket of ctx.finding.buckets) {
      if (!owned.has(bucket)) {
        results.push(
          report.skipped(
            bucket,
            `bucket ${bucket} is not owned by account ${accountId} (the finding's): cordon changes only that account's buckets`,
          ),
        );
        continue;
      }
      try {
        results.push(await blockBucket(s3, bucket, accountId, ctx.dryRun, report));
      } catch (err) {
        results.push(report.failed(bucket, describeError(err)));
      }
    }
    return results;
  },
});

/** Turns Block Public Access fully on for one bucket (ExpectedBucketOwner: S3 refuses if another account owns it meanwhile). */
async function blockBucket(
  s3: S3Client,
  bucket: string,
  accountId: string,
  dryRun: boolean,
  report: BucketReporter,
): Promise<ActionOutcome> {
  let previous: PublicAccessBlockConfiguration | undefined;
  try {
    previous = (await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket, ExpectedBucketOwner: accountId })))
      .PublicAccessBlockConfiguration;
  } catch (err) {
    if ((err as Error).name !== 'NoSuchPublicAccessBlockConfiguration') throw err;
  }
  const before = { bucket, publicAccessBlock: previous ?? null };
  if (previous && Object.entries(ALL_ON).every(([k, v]) => previous?.[k as keyof PublicAccessBlockConfiguration] === v))
    return report.already(bucket, `Block Public Access already fully on for ${bucket}`);
  if (dryRun) return report.planned(bucket, `would turn on Block Public Access for ${bucket}`, { prior: before });
  await s3.send(
    new PutPublicAccessBlockCommand({ Bucket: bucket, ExpectedBucketOwner: accountId, PublicAccessBlockConfiguration: ALL_ON }),
  );
  return report.done(bucket, `Block Public Access turned on for ${bucket}`, { prior: before, changed: { publicAccessBlock: ALL_ON } });
}
