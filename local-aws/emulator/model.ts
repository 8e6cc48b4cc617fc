/**
 * Loading botocore's official service models (`service-2.json.gz`) and
 * turning each operation's HTTP binding into a route the emulator can match.
 *
 * botocore ships with moto, so wherever moto_server runs the models are on
 * disk; they are located by asking python3 once.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { ModelLoadError, MotoMissingError } from './errors';

/** Where a member travels in a REST request (absent: the JSON body). */
export type MemberLocation = 'uri' | 'querystring' | 'header' | 'headers' | 'statusCode';

/** A reference from a structure/list/map to a shape, with its HTTP binding. */
export interface ShapeRef {
  readonly shape: string;
  readonly location?: MemberLocation;
  readonly locationName?: string;
  readonly idempotencyToken?: boolean;
}

/** One botocore shape (only the fields the emulator uses). */
export interface Shape {
  readonly type: 'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'float' | 'double' | 'boolean' | 'timestamp' | 'blob';
  readonly members?: Readonly<Record<string, ShapeRef>>;
  readonly required?: readonly string[];
  readonly member?: ShapeRef;
  readonly key?: ShapeRef;
  readonly value?: ShapeRef;
  readonly min?: number;
  readonly max?: number;
  readonly enum?: readonly string[];
  readonly pattern?: string;
  readonly timestampFormat?: string;
  readonly exception?: boolean;
  readonly error?: { readonly httpStatusCode?: number; readonly code?: string };
}

/** One botocore operation. */
export interface Operation {
  readonly name: string;
  readonly http: { readonly method: string; readonly requestUri: string; readonly responseCode?: number };
  readonly input?: { readonly shape: string };
  readonly output?: { readonly shape: string };
  readonly errors?: ReadonlyArray<{ readonly shape: string }>;
}

/** A botocore `service-2.json` document. */
export interface ServiceModel {
  readonly metadata: {
    readonly serviceId: string;
    readonly signingName?: string;
    readonly protocol: string;
    /** JSON 1.x services: the `X-Amz-Target` prefix and the JSON version. */
    readonly targetPrefix?: string;
    readonly jsonVersion?: string;
  };
  readonly operations: Readonly<Record<string, Operation>>;
  readonly shapes: Readonly<Record<string, Shape>>;
}

/** An operation's route: method, path regex with its labels, literal query keys. */
export interface Route {
  readonly operation: Operation;
  readonly method: string;
  readonly pathPattern: RegExp;
  readonly labels: readonly string[];
  readonly requiredQuery: readonly string[];
  /** Literal characters in the path; more literal wins when two routes match. */
  readonly specificity: number;
}

/** The result of matching a request to a route. */
export interface RouteMatch {
  readonly operation: Operation;
  /** URI label values, percent-decoded, keyed by label name. */
  readonly labels: Readonly<Record<string, string>>;
}

/** Find botocore's package directory by asking python3 (which moto needs anyway). */
export function locateBotocore(): string {
  try {
    const out = execFileSync('python3', ['-c', 'import botocore,os;print(os.path.dirname(botocore.__file__))'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000,
    });
    const dir = out.trim();
    if (!dir || !existsSync(join(dir, 'data'))) throw new Error(`python3 printed ${JSON.stringify(dir)}`);
    return dir;
  } catch (err) {
    throw new MotoMissingError('python3 could not import botocore', { cause: err });
  }
}

/** Read `data/<service>/<latest version>/service-2.json.gz` from a botocore directory. */
export function loadServiceModel(botocoreDir: string, service: string): ServiceModel {
  const serviceDir = join(botocoreDir, 'data', service);
  let versions: string[];
  try {
    versions = readdirSync(serviceDir).filter((v) => /^\d{4}-\d{2}-\d{2}$/.test(v));
  } catch (err) {
    throw new ModelLoadError(`botocore has no model for ${service} under ${serviceDir}`, { cause: err });
  }
  const version = versions.sort().at(-1);
  if (version === undefined) throw new ModelLoadError(`botocore has no model version for ${service} under ${serviceDir}`);
  const dir = join(serviceDir, version);
  const gz = join(dir, 'service-2.json.gz');
  const plain = join(dir, 'service-2.json');
  let text: string;
  try {
    text = existsSync(gz) ? gunzipSync(readFileSync(gz)).toString('utf8') : readFileSync(plain, 'utf8');
  } catch (err) {
    throw new ModelLoadError(`cannot read the ${service} model in ${dir}`, { cause: err });
  }
  const parsed: unknown = JSON.parse(text);
  if (!isServiceModel(parsed)) throw new ModelLoadError(`${dir} is not a botocore service model`);
  return parsed;
}

function isServiceModel(value: unknown): value is ServiceModel {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['operations'] === 'object' &&
    v['operations'] !== null &&
    typeof v['shapes'] === 'object' &&
    v['shapes'] !== null &&
    typeof v['metadata'] === 'object' &&
    v['metadata'] !== null
  );
}

/** Routes for every operation of a model, most specific first. */
export function compileRoutes(model: ServiceModel): Route[] {
  const routes = Object.values(model.operations).map((operation) => compileRoute(operation));
  return routes.sort((a, b) => b.specificity - a.specificity);
}

function compileRoute(operation: Operation): Route {
  const [pathPart = '/', queryPart] = operation.http.requestUri.split('?', 2);
  const labels: string[] = [];
  let specificity = 0;
  const source = pathPart
    .split(/(\{[^}]+\})/)
    .map((piece) => {
      const label = /^\{([^}+]+)(\+?)\}$/.exec(piece);
      if (label) {
        labels.push(label[1] ?? '');
        return label[2] ? '(.+)' : '([^/]+)';
      }
      specificity += piece.length;
      return piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  const requiredQuery = queryPart ? queryPart.split('&').map((kv) => kv.split('=')[0] ?? '') : [];
  return {
    operation,
    method: operation.http.method.toUpperCase(),
    pathPattern: new RegExp(`^${source}/?$`),
    labels,
    requiredQuery,
    specificity: specificity + requiredQuery.length,
  };
}

/** Match a method + raw path + query against compiled routes. */
export function matchRoute(routes: readonly Route[], method: string, rawPath: string, query: URLSearchParams): RouteMatch | undefined {
  for (const route of routes) {
    if (route.method !== method.toUpperCase()) continue;
    const m = route.pathPattern.exec(rawPath);
    if (!m) continue;
    if (!route.requiredQuery.every((k) => query.has(k))) continue;
    const labels: Record<string, string> = {};
    route.labels.forEach((name, i) => {
      labels[name] = decodeLabel(m[i + 1] ?? '');
    });
    return { operation: route.operation, labels };
  }
  return undefined;
}

function decodeLabel(raw: string): string {
  try {
    return raw
      .split('/')
      .map((s) => decodeURIComponent(s))
      .join('/');
  } catch {
    // A malformed escape is kept verbatim; validation then reports the value.
    return raw;
  }
}
