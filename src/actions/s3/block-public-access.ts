import {
  GetPublicAccessBlockCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  type PublicAccessBlockConfiguration,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import { defineAction } from '../define';
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

/** Turns on all four Block Public Access settings of each bucket in the finding; records the previous settings. */
export const blockPublicAccess = defineAction({
  name: 's3.block-public-access',
  summary: 'Turn on Block Public Access for the bucket in the finding',
  params,
  target: 'bucket',
  disruptive: true,
  permissions: { member: ['s3:GetBucketPublicAccessBlock', 's3:PutBucketPublicAccessBlock'], home: [] },
  /**
   * The bucket's settings before (null: it had none).
   * @example { bucket: 'data-exports', publicAccessBlock: { BlockPublicAcls: false, IgnorePublicAcls: false,
   *   BlockPublicPolicy: true, RestrictPublicBuckets: false } }
   */
  prior: z.object({ bucket: z.string(), publicAccessBlock: publicAccessBlock.nullable() }),
  /** @example { publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } } */
  changed: z.object({ publicAccessBlock }),
  undo: { kind: 'keep', reason: 'Block Public Access is left on: turn it off by hand if the bucket must be public' },
  async run(ctx, _params, report) {
    const s3 = ctx.member(S3Client);
    const results: ActionOutcome[] = [];
    for (const bucket of ctx.finding.buckets) {
      let previous: PublicAccessBlockConfiguration | undefined;
      try {
        previous = (await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration;
      } catch (err) {
        if ((err as Error).name !== 'NoSuchPublicAccessBlockConfiguration') throw err;
      }
      const prior = { bucket, publicAccessBlock: previous ?? null };
      if (previous && Object.entries(ALL_ON).every(([k, v]) => previous?.[k as keyof PublicAccessBlockConfiguration] === v)) {
        results.push(report.already(bucket, `Block Public Access already fully on for ${bucket}`));
        continue;
      }
      if (ctx.dryRun) {
        results.push(report.planned(bucket, `would turn on Block Public Access for ${bucket}`, { prior }));
        continue;
      }
      await s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: ALL_ON }));
      results.push(
        report.done(bucket, `Block Public Access turned on for ${bucket}`, {
          prior,
          changed: { publicAccessBlock: ALL_ON },
        }),
      );
    }
    return results;
  },
});
