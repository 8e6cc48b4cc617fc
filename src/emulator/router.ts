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
import { EmulatorError } from './errors';
import type { OrganizationView } from './organizations';
import { DELEGATION_OPERATIONS } from './organizations-delegation';
import type { EmulatorResponse } from './service';

/** The SigV4 credential scope of a request. */
export interface CredentialScope {
  readonly accessKeyId: string;
  readonly region: string;
  readonly service: string;
}

/** Read the credential scope from an Authorization header or presigned query. */
export function credentialScope(authorization: string | undefined, query: URLSearchParams): CredentialScope | undefined {
  const fromHeader = authorization ? /Credential=([^,\s]+)/.exec(authorization)?.[1] : undefined;
  const credential = fromHeader ?? query.get('X-Amz-Credential') ?? undefined;
  if (!credential) return undefined;
  const [accessKeyId, , region, service] = credential.split('/');
  if (!accessKeyId || !region || !service) return undefined;
  return { accessKeyId, region, service };
}

/** The endpoint could not ask moto something it needs (caller identity, organization). */
export class MotoQueryError extends EmulatorError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MotoQueryError';
  }
}

interface MotoAnswer {
  readonly status: number;
  readonly body: string;
}

/** Talks to moto on the endpoint's behalf (caller identity, organization). */
export class MotoClient {
  private readonly accounts = new Map<string, Promise<string>>();
  private readonly accountKeys = new Map<string, Promise<string>>();

  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });

  private readonly organizationCache = new Map<string, { readonly atMs: number; readonly view: OrganizationView | undefined }>();

  public constructor(private readonly motoEndpoint: string) {}

  /** Close pooled connections to moto. */
  public close(): void {
    this.agent.destroy();
  }

  /** Send one request to moto and read the whole answer. */
  public send(method: string, path: string, headers: Record<string, string>, body: string): Promise<MotoAnswer> {
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.motoEndpoint}${path}`,
        { method, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  private static authorization(accessKeyId: string, service: string): string {
    // moto does not verify signatures; it only reads the access key and scope.
    return `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20200101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`;
  }

  /** The account moto maps an access key to (cached per key). */
  public accountOf(accessKeyId: string): Promise<string> {
    let pending = this.accounts.get(accessKeyId);
    if (!pending) {
      pending = this.fetchAccount(accessKeyId);
      this.accounts.set(accessKeyId, pending);
      // A failed lookup is not cached: the next request asks again.
      pending.catch(() => this.accounts.delete(accessKeyId));
    }
    return pending;
  }

  private async fetchAccount(accessKeyId: string): Promise<string> {
    const answer = await this.send(
      'POST',
      '/',
      {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        authorization: MotoClient.authorization(accessKeyId, 'sts'),
      },
      'Action=GetCallerIdentity&Version=2011-06-15',
    );
    const account = /<Account>(\d{12})<\/Account>/.exec(answer.body)?.[1];
    if (answer.status !== 200 || !account) {
      throw new MotoQueryError(`moto's STS GetCallerIdentity for ${accessKeyId} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
    }
    return account;
  }

  /** The error for a moto Organizations answer the endpoint cannot use (one wording for every operation). */
  private static motoError(op: string, answer: MotoAnswer): MotoQueryError {
    return new MotoQueryError(`moto's Organizations ${op} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
  }

  /**
   * Every page of a paginated Organizations list operation in moto, called as
   * `managementKey`; `eachPage` reads one parsed page. A page moto refuses
   * throws: a partial list would pass for the whole organization.
   */
  private async listAll<P extends { NextToken?: string }>(managementKey: string, op: string, eachPage: (page: P) => void): Promise<void> {
    let nextToken: string | undefined;
    do {
      const listed = await this.organizations(managementKey, op, nextToken ? { NextToken: nextToken } : {});
      if (listed.status !== 200) throw MotoClient.motoError(op, listed);
      const page = JSON.parse(listed.body) as P;
      eachPage(page);
      nextToken = page.NextToken;
    } while (nextToken);
  }

  private async organizations(accessKeyId: string, target: string, payload: object): Promise<MotoAnswer> {
    return this.send(
      'POST',
      '/',
      {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSOrganizationsV20161128.${target}`,
        authorization: MotoClient.authorization(accessKeyId, 'organizations'),
      },
      JSON.stringify(payload),
    );
  }

  /** The management account of the key's organization in moto, or undefined if it is in none. */
  public async managementAccountOf(accessKeyId: string): Promise<string | undefined> {
    const described = await this.organizations(accessKeyId, 'DescribeOrganization', {});
    if (described.status !== 200) {
      if (described.body.includes('AWSOrganizationsNotInUseException')) return undefined;
      throw MotoClient.motoError('DescribeOrganization', described);
    }
    const org = JSON.parse(described.body) as { Organization?: { MasterAccountId?: string } };
    return org.Organization?.MasterAccountId;
  }

  /** An access key that moto maps to `accountId` (from moto's STS AssumeRole; cached per account). */
  public keyForAccount(accountId: string): Promise<string> {
    let pending = this.accountKeys.get(accountId);
    if (!pending) {
      pending = this.assumeInto(accountId);
      this.accountKeys.set(accountId, pending);
      pending.catch(() => this.accountKeys.delete(accountId));
    }
    return pending;
  }

  private async assumeInto(accountId: string): Promise<string> {
    const answer = await this.send(
      'POST',
      '/',
      {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        authorization: MotoClient.authorization('local-endpoint', 'sts'),
      },
      new URLSearchParams({
        Action: 'AssumeRole',
        Version: '2011-06-15',
        RoleArn: `arn:aws:iam::${accountId}:role/cordon-local-endpoint`,
        RoleSessionName: 'local-endpoint',
      }).toString(),
    );
    const key = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(answer.body)?.[1];
    if (answer.status !== 200 || !key)
      throw new MotoQueryError(`moto's STS AssumeRole into ${accountId} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
    this.accounts.set(key, Promise.resolve(accountId));
    return key;
  }

  /** An access key of the management account of the key's organization (undefined outside an organization). */
  public async managementKeyFor(accessKeyId: string): Promise<{ accountId: string; key: string } | undefined> {
    const management = await this.managementAccountOf(accessKeyId);
    if (!management) return undefined;
    const own = await this.accountOf(accessKeyId);
    return { accountId: management, key: own === management ? accessKeyId : await this.keyForAccount(management) };
  }

  /** Delegated administrators of the key's organization in moto: account → service principals. */
  public async delegatedAdministrators(accessKeyId: string, servicePrincipal?: string): Promise<ReadonlySet<string>> {
    const management = await this.managementKeyFor(accessKeyId);
    if (!management) return new Set();
    const listed = await this.organizations(
      management.key,
      'ListDelegatedAdministrators',
      servicePrincipal ? { ServicePrincipal: servicePrincipal } : {},
    );
    // A service moto cannot delegate has no delegated administrator in moto.
    if (listed.status !== 200 && listed.body.includes('unrecognized service principal')) return new Set();
    if (listed.status !== 200) throw MotoClient.motoError('ListDelegatedAdministrators', listed);
    const page = JSON.parse(listed.body) as { DelegatedAdministrators?: Array<{ Id?: string }> };
    return new Set((page.DelegatedAdministrators ?? []).map((a) => a.Id ?? '').filter((id) => id !== ''));
  }

  /** Service principals with trusted access in the key's organization in moto (empty outside one). */
  public async trustedServices(accessKeyId: string): Promise<ReadonlySet<string>> {
    const management = await this.managementKeyFor(accessKeyId);
    if (!management) return new Set();
    const principals = new Set<string>();
    await this.listAll<{ EnabledServicePrincipals?: Array<{ ServicePrincipal?: string }>; NextToken?: string }>(
      management.key,
      'ListAWSServiceAccessForOrganization',
      (page) => {
        for (const p of page.EnabledServicePrincipals ?? []) if (p.ServicePrincipal) principals.add(p.ServicePrincipal);
      },
    );
    return principals;
  }

  /** An account of the key's organization as moto's DescribeAccount answers it (wire shape), or undefined. */
  public async describeAccount(accessKeyId: string, accountId: string): Promise<Readonly<Record<string, unknown>> | undefined> {
    const management = await this.managementKeyFor(accessKeyId);
    if (!management) return undefined;
    const described = await this.organizations(management.key, 'DescribeAccount', { AccountId: accountId });
    if (described.status !== 200) {
      if (described.body.includes('AccountNotFoundException')) return undefined;
      throw MotoClient.motoError('DescribeAccount', described);
    }
    return (JSON.parse(described.body) as { Account?: Record<string, unknown> }).Account;
  }

  /**
   * Register a delegated administrator (and the service's trusted access) in
   * moto, as GuardDuty and Security Hub do in AWS. Resolves false when moto
   * does not support delegation for the service (its list lacks
   * securityhub.amazonaws.com and account.amazonaws.com, which AWS supports).
   */
  public async registerDelegatedAdministrator(managementKey: string, accountId: string, servicePrincipal: string): Promise<boolean> {
    const access = await this.organizations(managementKey, 'EnableAWSServiceAccess', { ServicePrincipal: servicePrincipal });
    if (access.status !== 200) throw MotoClient.motoError('EnableAWSServiceAccess', access);
    const registered = await this.organizations(managementKey, 'RegisterDelegatedAdministrator', {
      AccountId: accountId,
      ServicePrincipal: servicePrincipal,
    });
    if (registered.status === 200 || registered.body.includes('AccountAlreadyRegisteredException')) return true;
    if (registered.body.includes('unrecognized service principal')) return false;
    throw MotoClient.motoError('RegisterDelegatedAdministrator', registered);
  }

  /** Deregister a delegated administrator in moto. */
  public async deregisterDelegatedAdministrator(managementKey: string, accountId: string, servicePrincipal: string): Promise<void> {
    const answer = await this.organizations(managementKey, 'DeregisterDelegatedAdministrator', {
      AccountId: accountId,
      ServicePrincipal: servicePrincipal,
    });
    if (answer.status !== 200 && !answer.body.includes('AccountNotRegisteredException')) {
      throw MotoClient.motoError('DeregisterDelegatedAdministrator', answer);
    }
  }

  /**
   * The organization of the key's account in moto, or undefined if it is in
   * none. Its accounts are listed as the management account: moto lists
   * none to a member account, where AWS lists them to delegated administrators.
   */
  public async organizationOf(accessKeyId: string): Promise<OrganizationView | undefined> {
    // Listing a thousand accounts is 50 moto calls: remembered until an
    // Organizations change passes through the local endpoint (or briefly, for
    // changes made to moto directly).
    const cached = this.organizationCache.get(accessKeyId);
    if (cached && Date.now() - cached.atMs < ORGANIZATION_CACHE_MS) return cached.view;
    const view = await this.listOrganization(accessKeyId);
    this.organizationCache.set(accessKeyId, { atMs: Date.now(), view });
    return view;
  }

  /** Forgets the organizations listed (an Organizations change went through the local endpoint). */
  public organizationsChanged(): void {
    this.organizationCache.clear();
  }

  private async listOrganization(accessKeyId: string): Promise<OrganizationView | undefined> {
    const management = await this.managementKeyFor(accessKeyId);
    if (!management) return undefined;
    const managementAccountId = management.accountId;
    const accountIds = new Set<string>();
    await this.listAll<{ Accounts?: Array<{ Id?: string; State?: string; Status?: string }>; NextToken?: string }>(
      management.key,
      'ListAccounts',
      (page) => {
        // Suspended (closed) accounts cannot run GuardDuty or Security Hub: for the emulated services they have left.
        for (const a of page.Accounts ?? []) if (a.Id && (a.State ?? a.Status ?? 'ACTIVE') === 'ACTIVE') accountIds.add(a.Id);
      },
    );
    return { managementAccountId, accountIds };
  }
}

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

/** How long a listed organization is reused when nothing went through the local endpoint to change it. */
const ORGANIZATION_CACHE_MS = 2_000;

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
    if (scope && this.emulator.handles(scope.service, method, url.pathname, url.searchParams)) {
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
