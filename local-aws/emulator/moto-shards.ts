/**
 * moto_server split by account: several moto_server processes behind one
 * loopback endpoint that behaves like a single moto. One Python process runs
 * on one core (the GIL) and slows as its world grows; a burst over hundreds
 * of accounts saturates it. Each shard owns a share of the accounts:
 *
 * - shard 0 holds the home accounts (moto's default account, the security or
 *   management account), Organizations (one organization, whoever asks) and
 *   the STS calls of every key it issued (the security account's AssumeRole);
 * - every other account belongs to shard `1 + accountId mod (shards - 1)`.
 *
 * Every request is sent to its account's shard with the `x-moto-account-id`
 * header, which moto reads before the access key (`BaseResponse.
 * get_current_account`), so a shard serves calls made with temporary keys
 * another shard issued; moto checks no signature. The account of a key is
 * learned from the answers that issue keys (STS AssumeRole…, IAM
 * CreateAccessKey), as AWS's own key → account mapping; a key never seen
 * is moto's default account's (as moto maps it) and goes to shard 0, named
 * so: moto would otherwise look for it in every account and partition it
 * holds, building each one's AWS managed policies. An STS call goes to the shard
 * that issued its key (GetCallerIdentity names the assumed role there); an
 * S3 call naming a bucket goes to the bucket owner's shard (moto finds
 * another account's bucket in its own process only).
 *
 * With one shard there is no router: the endpoint is moto's own.
 */
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { credentialScope } from '../sigv4';
import { MotoStartError } from './errors';
import { startMoto, type MotoProcess } from './moto';

/** moto's default account: the account of credentials moto never issued. */
export const MOTO_DEFAULT_ACCOUNT_ID = '123456789012';

/** The header moto reads the caller's account from before the access key. */
const ACCOUNT_HEADER = 'x-moto-account-id';

/** STS and IAM operations whose answer holds a new access key. */
const KEY_ISSUERS: ReadonlySet<string> = new Set([
  'sts AssumeRole',
  'sts AssumeRoleWithWebIdentity',
  'sts AssumeRoleWithSAML',
  'sts GetSessionToken',
  'sts GetFederationToken',
  'iam CreateAccessKey',
]);

/** Options of {@link startMotoShards}. */
export interface MotoShardOptions {
  /**
   * moto_server processes. 1 starts a plain moto_server (no router).
   * @default 1
   */
  readonly shards?: number;
  /** Passed to each moto_server (see startMoto). @default true */
  readonly awsManagedPolicies?: boolean;
  /**
   * Accounts kept on shard 0 with Organizations.
   * @default [MOTO_DEFAULT_ACCOUNT_ID]
   */
  readonly homeAccounts?: readonly string[];
}

/** Running moto shards behind one endpoint. */
export interface MotoShards extends MotoProcess {
  /** The moto_server processes, shard 0 first. */
  readonly shards: readonly MotoProcess[];
  /** The shard that owns an account. */
  shardOf(accountId: string): number;
  /** Requests sent to each shard so far (empty with one shard: nothing is routed). */
  requestsByShard(): readonly number[];
}

/**
 * The shard of an account among `shards`: 0 for home accounts (and anything
 * that is not an account id), else one of the others by the account number.
 */
export function shardOfAccount(accountId: string, shards: number, homeAccounts: ReadonlySet<string>): number {
  if (shards <= 1 || homeAccounts.has(accountId) || !/^\d{12}$/.test(accountId)) return 0;
  return 1 + Number(BigInt(accountId) % BigInt(shards - 1));
}

/** Starts `shards` moto_server processes and, for more than one, the router in front of them. */
export async function startMotoShards(log: (line: string) => void = () => undefined, options: MotoShardOptions = {}): Promise<MotoShards> {
  const count = options.shards ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new MotoStartError(`moto shards must be a whole number ≥ 1, got ${count}`);
  const home = new Set(options.homeAccounts ?? [MOTO_DEFAULT_ACCOUNT_ID]);
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, i) =>
      startMoto(count === 1 ? log : (line) => log(`[shard ${i}] ${line}`), { awsManagedPolicies: options.awsManagedPolicies }),
    ),
  );
  const shards = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(shards.map((s) => s.stop()));
    throw failed.reason;
  }
  const shardOf = (accountId: string): number => shardOfAccount(accountId, count, home);
  const [first] = shards;
  if (!first) throw new MotoStartError('no moto shard started');
  if (count === 1) return { ...first, shards, shardOf, requestsByShard: () => [] };

  const router = new ShardRouter(shards, shardOf, log);
  let endpoint: string;
  try {
    endpoint = await router.listen();
  } catch (err) {
    await Promise.all(shards.map((s) => s.stop()));
    throw err;
  }
  log(`moto shard router ${endpoint} → ${shards.map((s) => s.endpoint).join(', ')}`);
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    port: Number(new URL(endpoint).port),
    pid: first.pid,
    shards,
    shardOf,
    requestsByShard: () => router.counts(),
    stop: () => {
      stopped ??= (async (): Promise<void> => {
        await router.close();
        await Promise.all(shards.map((s) => s.stop()));
      })();
      return stopped;
    },
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The bucket a path-style S3 request names (the local endpoint's S3 calls are path style: its host is an IP address). */
function bucketOf(pathname: string): string | undefined {
  const first = pathname.split('/')[1];
  return first ? decodeURIComponent(first) : undefined;
}

/** The HTTP server in front of the shards. */
class ShardRouter {
  private readonly server: Server;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  /** Access key → its account and the shard that issued it. */
  private readonly keys = new Map<string, { readonly accountId: string; readonly issuer: number }>();
  /** Bucket → the shard of its owner. */
  private readonly buckets = new Map<string, number>();
  private readonly sent: number[];

  public constructor(
    private readonly shards: readonly MotoProcess[],
    private readonly shardOf: (accountId: string) => number,
    private readonly log: (line: string) => void,
  ) {
    this.sent = shards.map(() => 0);
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => this.fail(res, err));
    });
  }

  public counts(): readonly number[] {
    return [...this.sent];
  }

  public listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        const address = this.server.address();
        resolve(`http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`);
      });
    });
  }

  public close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      this.agent.destroy();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    if (url.pathname.startsWith('/moto-api/reset')) {
      // moto's reset empties every backend: every shard's.
      const body = await readBody(req);
      const answers = await Promise.all(this.shards.map((_, i) => this.forward(i, req, req.headers, body)));
      this.answer(res, answers[0] ?? { status: 502, headers: {}, body: Buffer.alloc(0) });
      return;
    }
    const scope = credentialScope(req.headers.authorization, url.searchParams);
    const known = scope ? this.keys.get(scope.accessKeyId) : undefined;
    const service = scope?.service;
    let shard: number;
    if (service === 'organizations') shard = 0;
    else if (service === 'sts') shard = known?.issuer ?? 0;
    else if (known) shard = this.shardOf(known.accountId);
    else shard = 0;
    const bucket = service === 's3' ? bucketOf(url.pathname) : undefined;
    const owner = bucket ? this.buckets.get(bucket) : undefined;
    if (owner !== undefined) shard = owner;
    // A key never learned is the default account's (see learnKey): named so, moto does not look for it in every
    // account and partition it has, which builds the AWS managed policies of each (seconds per account).
    const headers: IncomingMessage['headers'] = scope
      ? { ...req.headers, [ACCOUNT_HEADER]: known?.accountId ?? MOTO_DEFAULT_ACCOUNT_ID }
      : req.headers;

    const issues = service === 'sts' || service === 'iam';
    if (!issues && !(service === 's3' && req.method === 'PUT')) {
      this.pipe(shard, req, res, headers);
      return;
    }
    const body = await readBody(req);
    const answer = await this.forward(shard, req, headers, body);
    if (answer.status === 200 && issues) this.learnKey(service, url.searchParams, body, answer.body, known?.accountId, shard);
    // CreateBucket: PUT /<bucket> with no subresource.
    if (answer.status === 200 && bucket && url.pathname.split('/').filter(Boolean).length === 1 && url.search === '')
      this.buckets.set(bucket, known ? this.shardOf(known.accountId) : 0);
    this.answer(res, answer);
  }

  /** Remembers the account of a key an STS or IAM answer issued. */
  private learnKey(
    service: string,
    query: URLSearchParams,
    body: Buffer,
    answer: Buffer,
    caller: string | undefined,
    issuer: number,
  ): void {
    const form = new URLSearchParams(body.toString('utf8'));
    const action = form.get('Action') ?? query.get('Action') ?? '';
    if (!KEY_ISSUERS.has(`${service} ${action}`)) return;
    const key = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(answer.toString('utf8'))?.[1];
    const roleAccount = /^arn:[^:]+:iam::(\d{12}):/.exec(form.get('RoleArn') ?? query.get('RoleArn') ?? '')?.[1];
    // A key an unknown caller made (GetSessionToken, CreateAccessKey) is the default account's, as unknown keys are.
    const accountId = roleAccount ?? caller;
    if (key && accountId) this.keys.set(key, { accountId, issuer });
  }

  private pipe(shard: number, req: IncomingMessage, res: ServerResponse, headers: IncomingMessage['headers']): void {
    const target = this.target(shard);
    const upstream = request({ ...target, method: req.method, path: req.url, headers, agent: this.agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (err) => this.fail(res, err));
    req.pipe(upstream);
  }

  private forward(
    shard: number,
    req: IncomingMessage,
    headers: IncomingMessage['headers'],
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
    const target = this.target(shard);
    return new Promise((resolve, reject) => {
      const upstream = request(
        { ...target, method: req.method, path: req.url, headers: { ...headers, 'content-length': String(body.length) }, agent: this.agent },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (c: Buffer) => chunks.push(c));
          answer.on('end', () => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }));
          answer.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }

  private target(shard: number): { hostname: string; port: number } {
    const process = this.shards[shard];
    if (!process) throw new MotoStartError(`no moto shard ${shard} (of ${this.shards.length})`);
    this.sent[shard] = (this.sent[shard] ?? 0) + 1;
    return { hostname: '127.0.0.1', port: process.port };
  }

  private answer(res: ServerResponse, answer: { status: number; headers: IncomingMessage['headers']; body: Buffer }): void {
    const headers = { ...answer.headers, 'content-length': String(answer.body.length) };
    delete headers['transfer-encoding'];
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  }

  private fail(res: ServerResponse, err: unknown): void {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    this.log(`moto shard router error: ${message}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify({ __type: 'InternalFailure', message: `cordon moto shard router: ${message}` });
    res.writeHead(500, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  }
}
