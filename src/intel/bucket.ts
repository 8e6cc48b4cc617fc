/**
 * The ledger and the lists in the security account's bucket (S3 I/O only).
 * The ledger is written with S3 conditional writes: `If-Match` the ETag it
 * was read with (`If-None-Match: *` when there was none), so that of two
 * cordon processes changing it at once one gets 412 Precondition Failed and
 * reads again; no change is lost. S3 User Guide, "Add preconditions to S3
 * operations with conditional requests",
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-requests.html
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CordonError } from '../errors';
import { emptyLedger, ledgerSchema, type Ledger, type ListFormat, type ListName } from './ledger';

/** Where cordon's objects are in the bucket (the responder's permissions are limited to it). */
export const INTEL_PREFIX = 'cordon/intel/';

/** Key of the ledger in the bucket. */
export const LEDGER_KEY = `${INTEL_PREFIX}ledger.json`;

/** Key of a rendered list: `cordon/intel/threat-entities.txt`, `cordon/intel/trusted-ips.txt`… */
export function listKey(list: ListName, format: ListFormat): string {
  return `${INTEL_PREFIX}${list}-${format === 'entity' ? 'entities' : 'ips'}.txt`;
}

/** The ledger in the bucket cannot be read as a ledger (written by hand, or by another version). */
export class LedgerUnreadableError extends CordonError {
  public constructor(bucket: string, problems: string, options?: { cause?: unknown }) {
    super(`s3://${bucket}/${LEDGER_KEY} is not a cordon intel ledger (${problems}): fix or remove it by hand`, options);
    this.name = 'LedgerUnreadableError';
  }
}

/** The ledger as read, with the ETag to write it back against (undefined: no ledger yet). */
export interface ReadLedger {
  readonly ledger: Ledger;
  readonly etag: string | undefined;
}

/** Where the ledger and the lists live. */
export class IntelBucket {
  public constructor(
    private readonly s3: S3Client,
    public readonly bucket: string,
  ) {}

  /** The ledger, or an empty one when the bucket has none yet. */
  public async read(): Promise<ReadLedger> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: LEDGER_KEY }));
      const text = (await out.Body?.transformToString('utf-8')) ?? '';
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new LedgerUnreadableError(this.bucket, 'not JSON', { cause: err });
      }
      const parsed = ledgerSchema.safeParse(json);
      if (!parsed.success)
        throw new LedgerUnreadableError(this.bucket, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      return { ledger: parsed.data, etag: out.ETag };
    } catch (err) {
      if ((err as Error).name === 'NoSuchKey') return { ledger: emptyLedger(), etag: undefined };
      throw err;
    }
  }

  /**
   * Writes the ledger if nobody changed it since it was read (`etag`);
   * false when somebody did (the caller reads again and redoes its change).
   */
  public async write(ledger: Ledger, etag: string | undefined): Promise<boolean> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: LEDGER_KEY,
          Body: `${JSON.stringify(ledger, null, 1)}\n`,
          ContentType: 'application/json',
          ...(etag === undefined ? { IfNoneMatch: '*' } : { IfMatch: etag }),
        }),
      );
      return true;
    } catch (err) {
      // 412: changed since read; 409: a concurrent conditional write to the same key is under way (S3 asks to retry).
      const name = (err as Error).name;
      if (name === 'PreconditionFailed' || name === 'ConditionalRequestConflict') return false;
      throw err;
    }
  }

  /** Writes a rendered list (the bucket's default encryption, its KMS key, applies). */
  public async putList(list: ListName, format: ListFormat, text: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: listKey(list, format), Body: text, ContentType: 'text/plain' }));
  }

  /** The list's location as GuardDuty reads it (`s3://bucket/key`, a documented form). */
  public location(list: ListName, format: ListFormat): string {
    return `s3://${this.bucket}/${listKey(list, format)}`;
  }
}
