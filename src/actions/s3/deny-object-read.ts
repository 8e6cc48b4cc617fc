import { createHash } from 'node:crypto';
import { DeleteBucketPolicyCommand, GetBucketPolicyCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { collecting, type ActionOutcome } from '../../outcome';
import { defineAction, type OutcomeReporter } from '../define';
import { OWNED_BUCKETS_PERMISSIONS } from './owned-buckets';
import { REFUSED, type ActionContext, type UndoContext } from '../types';

const params = z.strictObject({
  /**
   * `object`: deny reading the finding's object (every version of its key).
   * `scan-tag`: deny reading every object of the bucket GuardDuty tagged
   * `GuardDutyMalwareScanStatus=THREATS_FOUND` (this one, and those found later;
   * needs the bucket's Malware Protection plan to tag objects). @default object
   */
  scope: z.enum(['object', 'scan-tag']).default('object'),
});

/**
 * Whether the bucket had a policy before cordon's statement (release deletes
 * the policy only if cordon made it and nothing else is in it).
 * @example { bucket: 'uploads', hadPolicy: true }
 */
const prior = z.object({ bucket: z.string(), hadPolicy: z.boolean() });

/**
 * The statement cordon added, as written (release removes it, and only it, if it is still as written).
 * @example { sid: 'CordonDenyObject3f2a…', statement: { Sid: 'CordonDenyObject3f2a…', Effect: 'Deny', Principal: '*',
 *   Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: 'arn:aws:s3:::uploads/in/invoice.pdf.exe' } }
 */
const changed = z.object({ sid: z.string(), statement: z.record(z.string(), z.unknown()) });

/** S3's quota on a bucket policy: 20 KB (Amazon S3 User Guide, "Bucket policies"). */
const MAX_BUCKET_POLICY_BYTES = 20 * 1024;

/** The scan-result tag GuardDuty's Malware Protection for S3 puts on an object it scanned. */
const SCAN_TAG = 'GuardDutyMalwareScanStatus';

/** A key as a policy ARN holds it: `*`, `?` and `$` are IAM's special characters, written `${*}`, `${?}`, `${$}` to mean themselves. */
export function policyKey(key: string): string {
  return key.replace(/[*?$]/g, (c) => `\${${c}}`);
}

/** cordon's statement for an object (or for the bucket's THREATS_FOUND objects), with its Sid. */
function denyStatement(
  partition: string,
  bucket: string,
  key: string,
  scope: 'object' | 'scan-tag',
): { Sid: string } & Record<string, unknown> {
  const read = ['s3:GetObject', 's3:GetObjectVersion'];
  if (scope === 'scan-tag')
    return {
      Sid: 'CordonDenyThreatsFound',
      Effect: 'Deny',
      Principal: '*',
      Action: read,
      Resource: `arn:${partition}:s3:::${bucket}/*`,
      Condition: { StringEquals: { [`s3:ExistingObjectTag/${SCAN_TAG}`]: 'THREATS_FOUND' } },
    };
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 24);
  return {
    Sid: `CordonDenyObject${hash}`,
    Effect: 'Deny',
    Principal: '*',
    Action: read,
    Resource: `arn:${partition}:s3:::${bucket}/${policyKey(key)}`,
  };
}

/** The bucket's policy document now (undefined: it has none). */
async function bucketPolicy(
  s3: S3Client,
  bucket: string,
  owner?: string,
): Promise<({ Statement: Array<Record<string, unknown>> } & Record<string, unknown>) | undefined> {
  try {
    const text = (await s3.send(new GetBucketPolicyCommand({ Bucket: bucket, ...(owner ? { ExpectedBucketOwner: owner } : {}) }))).Policy;
    const parsed = JSON.parse(text ?? '{}') as Record<string, unknown>;
    const statements = Array.isArray(parsed.Statement) ? parsed.Statement : parsed.Statement ? [parsed.Statement] : [];
    return { ...parsed, Statement: statements.filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null) };
  } catch (err) {
    if ((err as Error).name === 'NoSuchBucketPolicy') return undefined;
    throw err;
  }
}

/** True when two statements say the same (cordon's, as it wrote it). */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * A bucket policy's read-modify-write runs alone across every cordon process
 * and Lambda environment and in release alike: under the account-wide lease
 * IAM policy writes use (a bucket policy is as global as they are).
 */
function underPolicyLease<T>(
  ctx: Pick<ActionContext | UndoContext, 'exclusivePrincipal'>,
  bucket: string,
  work: () => Promise<T>,
): Promise<T> {
  return ctx.exclusivePrincipal(`s3-bucket-policy/${bucket}`, work);
}

/**
 * Denies reading the malicious object GuardDuty's Malware Protection for S3
 * found: a bucket-policy statement denying `s3:GetObject` and
 * `s3:GetObjectVersion` of its key to every principal (or, `scope: scan-tag`,
 * of every object tagged `GuardDutyMalwareScanStatus=THREATS_FOUND`), added
 * beside the bucket's other statements and read back; the object itself is
 * never deleted (evidence). Only buckets the finding's account owns. Release
 * removes cordon's statement and nothing else (the policy too, if cordon made
 * it). Not disruptive: no workload should need to read an object GuardDuty
 * found malware in. GuardDuty's guide: "Remediating a potentially malicious S3
 * object" (https://docs.aws.amazon.com/guardduty/latest/ug/compromised-s3object-malware-protection-gdu.html)
 * and "Using tag-based access control" for the scan-result tag.
 */
export const denyObjectRead = defineAction({
  name: 's3.deny-object-read',
  summary:
    'Deny reading the malicious object with a bucket-policy statement on its key (or on the THREATS_FOUND scan tag); never delete it',
  params,
  target: 's3-object',
  disruptive: false,
  permissions: { member: [...OWNED_BUCKETS_PERMISSIONS, 's3:GetBucketPolicy', 's3:PutBucketPolicy'], home: [] },
  prior,
  changed,
  undo: {
    kind: 'restore',
    permissions: ['s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy'],
    async run(ctx, record, report) {
      const { bucket, hadPolicy } = record.prior;
      const { sid, statement } = record.changed;
      const s3 = ctx.member(S3Client);
      return underPolicyLease(ctx, bucket, async () => {
        const policy = await bucketPolicy(s3, bucket);
        const current = policy?.Statement.find((s) => s.Sid === sid);
        if (!policy || !current) return [report.already(record.resource, `cordon's statement ${sid} is no longer in ${bucket}'s policy`)];
        if (!same(current, statement) && !ctx.force)
          return [
            report.failed(
              record.resource,
              `${REFUSED} statement ${sid} of ${bucket}'s policy is not the one cordon wrote; rerun with --force to remove it anyway`,
            ),
          ];
        const rest = policy.Statement.filter((s) => s.Sid !== sid);
        if (ctx.dryRun)
          return [
            report.planned(
              record.resource,
              `would remove statement ${sid} from ${bucket}'s policy${rest.length === 0 && !hadPolicy ? ' and delete the policy' : ''}`,
            ),
          ];
        if (rest.length === 0 && !hadPolicy) await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
        else await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ ...policy, Statement: rest }) }));
        return [
          report.done(record.resource, `removed statement ${sid} from ${bucket}'s policy: the object can be read again`, {
            prior: { statement },
            changed: { removed: sid },
          }),
        ];
      });
    },
  },
  async run(ctx, p, report) {
    const { finding } = ctx;
    const s3 = ctx.member(S3Client);
    const owned = await ctx.ownedBuckets();
    return collecting(async (results) => {
      for (const object of finding.objects) {
        const resource = `${object.bucket}/${object.key}`;
        if (!owned.has(object.bucket)) {
          results.push(
            report.skipped(
              resource,
              `bucket ${object.bucket} is not owned by account ${finding.accountId} (the finding's): cordon changes only that account's buckets`,
            ),
          );
          continue;
        }
        results.push(await denyOne(ctx, s3, report, object.bucket, object.key, p.scope));
      }
    });
  },
});

/** Adds cordon's statement to one bucket's policy under the lease, reads it back; `already` when it is there as written. */
async function denyOne(
  ctx: ActionContext,
  s3: S3Client,
  report: OutcomeReporter<z.output<typeof prior>, z.output<typeof changed>>,
  bucket: string,
  key: string,
  scope: 'object' | 'scan-tag',
): Promise<ActionOutcome> {
  const resource = `${bucket}/${key}`;
  const owner = ctx.finding.accountId;
  const statement = denyStatement(ctx.finding.partition, bucket, key, scope);
  const what = scope === 'object' ? `reading ${resource}` : `reading ${bucket}'s objects tagged ${SCAN_TAG}=THREATS_FOUND`;
  const work = async (): Promise<ActionOutcome> => {
    const policy = await bucketPolicy(s3, bucket, owner);
    if (policy?.Statement.some((s) => s.Sid === statement.Sid && same(s, statement)))
      return report.already(resource, `${bucket}'s policy already denies ${what} (statement ${statement.Sid})`, {
        changed: { sid: statement.Sid, statement },
      });
    const others = (policy?.Statement ?? []).filter((s) => s.Sid !== statement.Sid);
    const document = JSON.stringify({ ...(policy ?? { Version: '2012-10-17' }), Statement: [...others, statement] });
    const before = { bucket, hadPolicy: policy !== undefined };
    if (Buffer.byteLength(document) > MAX_BUCKET_POLICY_BYTES)
      return report.failed(
        resource,
        `${bucket}'s policy would exceed S3's ${MAX_BUCKET_POLICY_BYTES}-byte quota with cordon's statement: deny ${what} by hand`,
      );
    if (ctx.dryRun)
      return report.planned(resource, `would add statement ${statement.Sid} to ${bucket}'s policy, denying ${what}`, { prior: before });
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, ExpectedBucketOwner: owner, Policy: document }));
    const readBack = await bucketPolicy(s3, bucket, owner);
    if (!readBack?.Statement.some((s) => s.Sid === statement.Sid))
      return report.failed(
        resource,
        `${bucket}'s policy does not hold statement ${statement.Sid} after writing it (another writer?): check it by hand`,
      );
    return report.done(
      resource,
      `added statement ${statement.Sid} to ${bucket}'s policy: every principal is denied ${what}; the object is kept`,
      {
        prior: before,
        changed: { sid: statement.Sid, statement },
      },
    );
  };
  return ctx.dryRun ? work() : underPolicyLease(ctx, bucket, work);
}
