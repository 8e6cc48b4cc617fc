/**
 * Who calls what: reads an HTTP request the AWS SDK sent and names its
 * service, region, access key (from the SigV4 credential scope), wire
 * protocol and operation (`X-Amz-Target` for JSON protocols, `Action=` for
 * query protocols, the botocore route for REST-JSON, the method and
 * sub-resource for S3). Pure: the account behind the access key is resolved
 * elsewhere (see `accounts.ts`).
 */
import { credentialScope } from '../sigv4';
import { compileRoutes, loadServiceModel, locateBotocore, matchRoute, type Route } from '../emulator/model';

/** The wire protocol of a call, which decides the shape of its errors. */
export type WireProtocol = 'ec2' | 'query' | 'json' | 'rest-json' | 'rest-xml' | 'unknown';

/** What a request is, as far as throttling and fault injection care. */
export interface CallIdentity {
  /** SigV4 signing name: `ec2`, `sts`, `iam`, `guardduty`, `securityhub`, `s3`… */
  readonly service: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly protocol: WireProtocol;
  /** Operation name (`DescribeInstances`, `BatchUpdateFindings`); `HTTP <METHOD>` when unknown. */
  readonly operation: string;
  /** Query-protocol parameters (form body or query string), for EC2's filtered/unfiltered buckets. */
  readonly params: ReadonlyMap<string, string>;
  /** Which attempt of the SDK's retry loop this is (from `amz-sdk-request`), 1 when absent. */
  readonly attempt: number;
  /** The SDK's id of the logical call (`amz-sdk-invocation-id`), shared by its retries. */
  readonly invocationId: string | undefined;
}

/** The request as the proxy received it. */
export interface RawRequest {
  readonly method: string;
  /** Path and query string, as on the request line. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** The services whose operations are named by their botocore REST route. */
export const REST_JSON_SERVICES: Readonly<Record<string, string>> = {
  guardduty: 'guardduty',
  securityhub: 'securityhub',
  account: 'account',
};

const QUERY_SERVICES = new Set(['sts', 'iam', 'autoscaling', 'elasticloadbalancing', 'cloudformation', 'sns', 'rds', 'cloudwatch']);

/** REST routes per signing name, compiled from botocore's models on first use. */
export type RouteTable = (service: string) => readonly Route[] | undefined;

let defaultRoutes: Map<string, readonly Route[]> | undefined;

/**
 * Routes of the REST-JSON services from the botocore that ships with moto
 * (the same models the emulator validates against). Loaded once per process.
 */
export const botocoreRoutes: RouteTable = (service) => {
  const modelName = REST_JSON_SERVICES[service];
  if (!modelName) return undefined;
  if (!defaultRoutes) {
    const dir = locateBotocore();
    defaultRoutes = new Map(
      Object.entries(REST_JSON_SERVICES).map(([signing, model]) => [signing, compileRoutes(loadServiceModel(dir, model))]),
    );
  }
  return defaultRoutes.get(service);
};

function header(headers: RawRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Names a request. Returns undefined for a request without SigV4 credentials
 * (nothing to throttle it against).
 */
export function classifyRequest(req: RawRequest, routes: RouteTable = botocoreRoutes): CallIdentity | undefined {
  const url = new URL(req.url, 'http://local');
  const scope = credentialScope(header(req.headers, 'authorization'), url.searchParams);
  if (!scope) return undefined;
  const sdkRequest = header(req.headers, 'amz-sdk-request');
  const attempt = Number(/attempt=(\d+)/.exec(sdkRequest ?? '')?.[1] ?? '1');
  const invocationId = header(req.headers, 'amz-sdk-invocation-id');
  const base = { service: scope.service, region: scope.region, accessKeyId: scope.accessKeyId, attempt, invocationId };

  const target = header(req.headers, 'x-amz-target');
  if (target && target.includes('.')) {
    return { ...base, protocol: 'json', operation: target.slice(target.lastIndexOf('.') + 1), params: new Map() };
  }
  const contentType = header(req.headers, 'content-type') ?? '';
  if (contentType.includes('x-www-form-urlencoded') || url.searchParams.has('Action')) {
    const params = new Map<string, string>([
      ...url.searchParams,
      ...new URLSearchParams(contentType.includes('x-www-form-urlencoded') ? req.body.toString('utf8') : ''),
    ]);
    const action = params.get('Action');
    if (action) return { ...base, protocol: scope.service === 'ec2' ? 'ec2' : 'query', operation: action, params };
  }
  const table = routes(scope.service);
  if (table) {
    const match = matchRoute(table, req.method, url.pathname, url.searchParams);
    return { ...base, protocol: 'rest-json', operation: match?.operation.name ?? `HTTP ${req.method}`, params: new Map() };
  }
  if (scope.service === 's3') return { ...base, protocol: 'rest-xml', operation: s3Operation(req.method, url), params: new Map() };
  return { ...base, protocol: QUERY_SERVICES.has(scope.service) ? 'query' : 'unknown', operation: `HTTP ${req.method}`, params: new Map() };
}

/** The S3 operations cordon and the bench use, from method and sub-resource. */
function s3Operation(method: string, url: URL): string {
  const sub = ['publicAccessBlock', 'tagging', 'policy', 'acl', 'versioning', 'location'].find((k) => url.searchParams.has(k));
  const hasKey = url.pathname.split('/').filter(Boolean).length > 1;
  const verb = method.toUpperCase();
  if (sub) {
    const name =
      sub === 'publicAccessBlock'
        ? 'PublicAccessBlock'
        : sub === 'location'
          ? 'BucketLocation'
          : `Bucket${sub[0]?.toUpperCase()}${sub.slice(1)}`;
    return `${verb === 'GET' ? 'Get' : verb === 'PUT' ? 'Put' : verb === 'DELETE' ? 'Delete' : verb}${name}`;
  }
  if (hasKey)
    return verb === 'GET'
      ? 'GetObject'
      : verb === 'PUT'
        ? 'PutObject'
        : verb === 'HEAD'
          ? 'HeadObject'
          : verb === 'DELETE'
            ? 'DeleteObject'
            : `HTTP ${verb}`;
  // No bucket in the path (path-style addressing, as cordon's clients use against the emulator): the account's buckets.
  if (url.pathname.split('/').filter(Boolean).length === 0) return verb === 'GET' ? 'ListBuckets' : `HTTP ${verb}`;
  return verb === 'PUT'
    ? 'CreateBucket'
    : verb === 'HEAD'
      ? 'HeadBucket'
      : verb === 'GET'
        ? 'ListObjects'
        : verb === 'DELETE'
          ? 'DeleteBucket'
          : `HTTP ${verb}`;
}
