/**
 * The local endpoint: one Node HTTP server in front of moto_server and the
 * in-process emulator. Each request's SigV4 credential scope
 * (`Credential=AKID/date/REGION/SERVICE/aws4_request`, from the
 * Authorization header or a presigned URL's X-Amz-Credential) names its
 * service and region: GuardDuty, Security Hub, the emulated Account
 * operations and Organizations' delegated-administrator operations for the
 * services moto cannot delegate go to the emulator; everything else is
 * proxied byte for byte to moto. The caller's account is the one moto maps
 * the access key to, asked once per key with STS GetCallerIdentity.
 */
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import type { AwsEmulator } from './emulator';
import { credentialScope } from '../sigv4';
import type { MotoClient } from './moto-client';
import { DELEGATION_OPERATIONS } from './organizations-delegation';
import type { EmulatorResponse } from './service';

/** Send an emulator answer to the client as is (the length is the body's, in bytes). */
function writeAnswer(res: ServerResponse, answer: EmulatorResponse): void {
  res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) });
  res.end(answer.body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Organizations reads AWS allows a delegated administrator (documented per operation: "management account or a delegated administrator"). */
const DELEGATED_ADMIN_READS: ReadonlySet<string> = new Set([
  'ListAccounts',
  'ListAccountsForParent',
  'DescribeAccount',
  'ListAWSServiceAccessForOrganization',
  'ListDelegatedAdministrators',
  'ListDelegatedServicesForAccount',
  'ListRoots',
  'ListChildren',
  'ListParents',
  'ListOrganizationalUnitsForParent',
  'DescribeOrganizationalUnit',
]);

/** The operation name of a request proxied to moto, when it can be read cheaply. */
function proxiedOperation(req: IncomingMessage, query: URLSearchParams, formBody: Buffer | undefined): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string' && target.includes('.')) return target.slice(target.lastIndexOf('.') + 1);
  const action = query.get('Action') ?? (formBody ? new URLSearchParams(formBody.toString('utf8')).get('Action') : null);
  return action ?? `HTTP ${req.method ?? 'GET'}`;
}

/** The local endpoint's HTTP server. */
export class LocalRouter {
  private readonly server: Server;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly moto: MotoClient;
  private readonly motoUrl: URL;
  /** The last conditional S3 write of each object path (see {@link route}). */
  private readonly conditionalWrites = new Map<string, Promise<void>>();

  public constructor(
    motoEndpoint: string,
    moto: MotoClient,
    private readonly emulator: AwsEmulator,
    private readonly log: (line: string) => void,
  ) {
    this.motoUrl = new URL(motoEndpoint);
    this.moto = moto;
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => this.fail(res, err));
    });
  }

  /** Listen on 127.0.0.1:`port` (0: any free port) and return the endpoint URL. */
  public listen(port = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        const address = this.server.address();
        const actual = typeof address === 'object' && address !== null ? address.port : port;
        resolve(`http://127.0.0.1:${actual}`);
      });
    });
  }

  /** Stop accepting connections and close idle ones. */
  public close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      this.agent.destroy();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const scope = credentialScope(req.headers.authorization, url.searchParams);
    const method = req.method ?? 'GET';
    const target = typeof req.headers['x-amz-target'] === 'string' ? req.headers['x-amz-target'] : undefined;
    if (scope && this.emulator.handles(scope.service, method, url.pathname, url.searchParams, target)) {
      const [body, accountId] = await Promise.all([readBody(req), this.moto.accountOf(scope.accessKeyId)]);
      const answer = await this.emulator.handle(
        scope.service,
        { method, path: url.pathname, query: url.searchParams, headers: req.headers, body },
        { accountId, region: scope.region, accessKeyId: scope.accessKeyId },
      );
      writeAnswer(res, answer);
      return;
    }
    // Small form bodies (query protocol: EC2, IAM, STS…) are read first to name the operation, and so are
    // Organizations' delegated-administrator calls, which the emulator answers for services moto cannot delegate.
    const contentType = req.headers['content-type'] ?? '';
    const targetOperation = proxiedOperation(req, url.searchParams, undefined);
    const buffered =
      contentType.includes('x-www-form-urlencoded') || (scope?.service === 'organizations' && DELEGATION_OPERATIONS.has(targetOperation))
        ? await readBody(req)
        : undefined;
    let headers = req.headers;
    if (scope) {
      const accountId = await this.moto.accountOf(scope.accessKeyId);
      const operation = proxiedOperation(req, url.searchParams, buffered);
      if (scope.service === 'organizations' && buffered && this.emulator.handlesOrganizations(operation, buffered)) {
        const answer = await this.emulator.handleOrganizations(operation, buffered, {
          accountId,
          region: scope.region,
          accessKeyId: scope.accessKeyId,
        });
        writeAnswer(res, answer);
        return;
      }
      this.emulator.recordCall({ service: scope.service, operation, accountId, region: scope.region });
      if (scope.service === 'organizations' && !/^(List|Describe)/.test(operation)) this.moto.organizationsChanged();
      if (scope.service === 'organizations' && DELEGATED_ADMIN_READS.has(operation))
        headers = await this.asManagementIfDelegated(req, scope.accessKeyId, accountId);
    }
    // S3 conditional writes (If-Match / If-None-Match) are atomic in AWS; moto checks, then writes, on
    // threads of its own: two at once could both pass. They go to moto one at a time per object.
    if (scope?.service === 's3' && method === 'PUT' && (req.headers['if-match'] || req.headers['if-none-match'])) {
      const previous = this.conditionalWrites.get(url.pathname) ?? Promise.resolve();
      const done = previous.then(
        () =>
          new Promise<void>((resolve) => {
            res.once('close', resolve);
            this.proxy(req, res, buffered, headers);
          }),
      );
      this.conditionalWrites.set(url.pathname, done);
      await done;
      if (this.conditionalWrites.get(url.pathname) === done) this.conditionalWrites.delete(url.pathname);
      return;
    }
    this.proxy(req, res, buffered, headers);
  }

  /**
   * AWS lets a delegated administrator (of any service) read the organization
   * (ListAccounts…); moto answers a member account as if it had no
   * organization. Such a read by a registered delegated administrator is sent
   * to moto as the management account's (moto does not check signatures).
   */
  private async asManagementIfDelegated(req: IncomingMessage, accessKeyId: string, accountId: string): Promise<IncomingMessage['headers']> {
    const management = await this.moto.managementKeyFor(accessKeyId);
    if (!management || management.accountId === accountId) return req.headers;
    const delegated = this.emulator.isLocallyDelegated(accountId) || (await this.moto.delegatedAdministrators(accessKeyId)).has(accountId);
    if (!delegated) return req.headers;
    const headers: IncomingMessage['headers'] = { ...req.headers };
    headers.authorization = String(req.headers.authorization ?? '').replace(`Credential=${accessKeyId}/`, `Credential=${management.key}/`);
    delete headers['x-amz-security-token'];
    return headers;
  }

  private proxy(
    req: IncomingMessage,
    res: ServerResponse,
    bufferedBody: Buffer | undefined,
    headers: IncomingMessage['headers'] = req.headers,
  ): void {
    const upstream = request(
      {
        protocol: this.motoUrl.protocol,
        hostname: this.motoUrl.hostname,
        port: this.motoUrl.port,
        method: req.method,
        path: req.url,
        // The Host header is kept: moto builds URLs (S3 locations…) from it, and they must point back here.
        headers,
        agent: this.agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (err) => this.fail(res, err));
    if (bufferedBody) upstream.end(bufferedBody);
    else req.pipe(upstream);
  }

  private fail(res: ServerResponse, err: unknown): void {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    this.log(`local endpoint error: ${message}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify({ __type: 'InternalFailure', message: `cordon local endpoint: ${message}` });
    res.writeHead(500, {
      'content-type': 'application/json',
      'x-amzn-errortype': 'InternalFailure',
      'content-length': String(Buffer.byteLength(body)),
    });
    res.end(body);
  }
}
