/**
 * Talks to moto_server on the local endpoint's (or the fault proxy's) behalf:
 * the account behind an access key (STS GetCallerIdentity, asked once per key)
 * and the organization (Organizations, read with the management account's key).
 */
import { Agent, request } from 'node:http';

import { EmulatorError } from './errors';
import type { OrganizationView } from './organizations';

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

/** How long a listed organization is reused when nothing went through the local endpoint to change it. */
const ORGANIZATION_CACHE_MS = 2_000;

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

  /** True when moto holds the EKS cluster in the key's account and the region (`DescribeCluster`). */
  public async clusterExists(accessKeyId: string, region: string, clusterName: string): Promise<boolean> {
    const answer = await this.send(
      'GET',
      `/clusters/${encodeURIComponent(clusterName)}`,
      { authorization: MotoClient.authorization(accessKeyId, 'eks').replace('/us-east-1/', `/${region}/`) },
      '',
    );
    if (answer.status === 200) return true;
    if (answer.status === 404) return false;
    throw MotoClient.motoError('DescribeCluster', answer);
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

  /** An S3 GET in moto as `accessKeyId` (path style: `/<bucket>/<key>`, or `/` to list the account's buckets). */
  public s3Get(accessKeyId: string, path: string): Promise<MotoAnswer> {
    return this.send('GET', path, { authorization: MotoClient.authorization(accessKeyId, 's3') }, '');
  }

  /** A JSON 1.0/1.1 or query call to moto as `accessKeyId` in `region` (e.g. EC2 DescribeVpcs). */
  public query(accessKeyId: string, service: string, region: string, form: Record<string, string>): Promise<MotoAnswer> {
    const authorization = MotoClient.authorization(accessKeyId, service).replace('/us-east-1/', `/${region}/`);
    return this.send(
      'POST',
      '/',
      { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', authorization },
      new URLSearchParams(form).toString(),
    );
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
