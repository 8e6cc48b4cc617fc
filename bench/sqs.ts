/**
 * A minimal Amazon SQS client over the JSON wire protocol (`AmazonSQS.<Op>`
 * targets), enough to play the Lambda event source against moto's SQS:
 * the project has no @aws-sdk/client-sqs (cordon itself never calls SQS;
 * Lambda does), and adding a dependency for tests is not warranted.
 * moto reads the caller's account from the access key in the credential
 * scope and does not check signatures.
 */
import { request } from 'node:http';

/** One received message. */
export interface SqsMessage {
  readonly MessageId: string;
  readonly ReceiptHandle: string;
  readonly Body: string;
  readonly Attributes?: Readonly<Record<string, string>>;
}

/** An SQS error answer, named as the service names it. */
export class SqsWireError extends Error {
  public constructor(
    public readonly operation: string,
    public readonly status: number,
    body: string,
  ) {
    super(`SQS ${operation} answered ${status}: ${body.slice(0, 300)}`);
    this.name = 'SqsWireError';
  }
}

/** SQS through `endpoint` as `accessKeyId` in `region`. */
export class SqsWire {
  public constructor(
    private readonly endpoint: string,
    private readonly region = 'us-east-1',
    private readonly accessKeyId = 'testing',
  ) {}

  /** Calls one operation with a JSON input and returns its JSON output. */
  public call<T>(operation: string, input: Record<string, unknown>): Promise<T> {
    const body = JSON.stringify(input);
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.endpoint}/`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': `AmazonSQS.${operation}`,
            'content-length': String(Buffer.byteLength(body)),
            authorization: `AWS4-HMAC-SHA256 Credential=${this.accessKeyId}/20260101/${this.region}/sqs/aws4_request, SignedHeaders=host;x-amz-target, Signature=0`,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 500) >= 300) reject(new SqsWireError(operation, res.statusCode ?? 0, text));
            else resolve((text ? JSON.parse(text) : {}) as T);
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  public async createQueue(name: string, attributes: Record<string, string> = {}): Promise<string> {
    return (await this.call<{ QueueUrl: string }>('CreateQueue', { QueueName: name, Attributes: attributes })).QueueUrl;
  }

  public async attributes(queueUrl: string, names: readonly string[]): Promise<Record<string, string>> {
    return (
      (await this.call<{ Attributes?: Record<string, string> }>('GetQueueAttributes', { QueueUrl: queueUrl, AttributeNames: names }))
        .Attributes ?? {}
    );
  }

  /** Sends bodies in one batch (≤ 10); returns their message ids in order. */
  public async sendBatch(queueUrl: string, bodies: readonly string[]): Promise<string[]> {
    const out = await this.call<{ Successful?: Array<{ Id: string; MessageId: string }>; Failed?: unknown[] }>('SendMessageBatch', {
      QueueUrl: queueUrl,
      Entries: bodies.map((b, i) => ({ Id: `m${i}`, MessageBody: b })),
    });
    if (out.Failed && out.Failed.length > 0) throw new Error(`SendMessageBatch failed for ${JSON.stringify(out.Failed)}`);
    return bodies.map((_, i) => out.Successful?.find((s) => s.Id === `m${i}`)?.MessageId as string);
  }

  public async receive(queueUrl: string, max = 10, waitSeconds = 0): Promise<SqsMessage[]> {
    return (
      (
        await this.call<{ Messages?: SqsMessage[] }>('ReceiveMessage', {
          QueueUrl: queueUrl,
          MaxNumberOfMessages: max,
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        })
      ).Messages ?? []
    );
  }

  public async deleteBatch(queueUrl: string, receiptHandles: readonly string[]): Promise<void> {
    if (receiptHandles.length === 0) return;
    await this.call('DeleteMessageBatch', {
      QueueUrl: queueUrl,
      Entries: receiptHandles.map((h, i) => ({ Id: String(i), ReceiptHandle: h })),
    });
  }
}
