/**
 * A loopback HTTP proxy in front of the local AWS endpoint (moto + cordon's
 * emulator) that behaves like AWS under load:
 *
 * - adds a latency to every call;
 * - enforces AWS's throttling with token buckets per (account, region, bucket)
 *   (see `limits.ts`), answering with each protocol's real throttling error;
 * - injects faults at a chosen rate, deterministically from a seed: HTTP 500s,
 *   dropped connections, stalls that end in a reset (a timeout), and lost
 *   responses (the call reached the service, its answer never came back);
 * - records every call: service, operation, account, region, SDK attempt,
 *   outcome, start and end, for call counts and critical-path analysis.
 *
 * The account of a call is the account moto maps its access key to: learned
 * from the AssumeRole answers that pass through, or asked of moto directly
 * (never through the endpoint, so that the lookup is not itself a recorded call).
 *
 * Point the SDK at it as users do: `AWS_ENDPOINT_URL=<proxy.endpoint>`.
 */
import { createHash } from 'node:crypto';
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { MotoClient } from '../emulator/moto-client';
import { botocoreRoutes, classifyRequest, type CallIdentity, type RouteTable } from './classify';
import { serverFault, throttleFault, type Fault } from './errors';
import { throttleLimitFor, type ThrottleLimit } from './limits';
import { drawFor } from './prng';
import { TokenBucket } from './token-bucket';

export type { Fault } from './errors';

/** A call with its account resolved. */
export interface ResolvedCall extends CallIdentity {
  readonly accountId: string;
}

/** Kinds of injected failure. */
export type FaultKind =
  /** HTTP 500 in the service's error shape; the request never reached the service. */
  | '5xx'
  /** The connection is reset before anything is answered; the request never reached the service. */
  | 'drop'
  /** The proxy stalls `stallMs`, then resets the connection: the client sees a network error, as after its own timeout. */
  | 'timeout'
  /** The request reaches the service and takes effect; its answer is lost (connection reset). */
  | 'lost-response';

/** How the proxy answered one call. */
export type CallOutcome = 'forwarded' | 'throttled' | 'rule' | FaultKind;

/** One call as the proxy saw it. */
export interface ProxyCall {
  readonly seq: number;
  readonly service: string;
  readonly operation: string;
  readonly accountId: string;
  readonly region: string;
  readonly attempt: number;
  readonly invocationId: string | undefined;
  readonly outcome: CallOutcome;
  /** HTTP status sent to the client (0 when the connection was reset). */
  readonly status: number;
  /** Milliseconds since the proxy started. */
  readonly startMs: number;
  readonly endMs: number;
  /** Token bucket charged, when throttling is on. */
  readonly bucket?: string;
}

/** Injected failures. */
export interface FaultInjection {
  /** Probability that a call fails, 0..1. */
  readonly rate: number;
  /** @default ['5xx', 'drop', 'timeout'] (chosen evenly, deterministically per call) */
  readonly kinds?: readonly FaultKind[];
  /** @default 1 */
  readonly seed?: number;
  /** How long a `timeout` stalls before the reset. @default 1000 */
  readonly stallMs?: number;
  /** Which calls may fail. @default every call */
  readonly when?: (call: ResolvedCall) => boolean;
}

/** Throttling settings. */
export interface ThrottleOptions {
  /**
   * Replaces the bucket of some calls (e.g. a smaller bucket to force
   * throttling in a test). Return undefined to keep the documented one.
   */
  readonly override?: (call: ResolvedCall, documented: ThrottleLimit | undefined) => ThrottleLimit | undefined;
}

/** The upstream's answer, as the proxy holds it before sending it on. */
export interface UpstreamAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/**
 * Changes a call on its way: the request body sent to the service, and/or
 * the answer sent back (e.g. to make Security Hub leave some findings
 * unprocessed: remove them from the request, then list them in the answer).
 */
export interface Interception {
  /** Answer this without calling the service at all. */
  readonly reply?: UpstreamAnswer;
  readonly body?: Buffer;
  readonly answer?: (upstream: UpstreamAnswer) => UpstreamAnswer;
}

/** A legacy per-request rule: answer this request with a canned fault, or undefined to go on. */
export type FaultRule = (request: {
  readonly path: string;
  readonly body: string;
  readonly authorization: string;
  readonly call: ResolvedCall | undefined;
}) => Fault | undefined;

/** Options of {@link startFaultyEndpoint}. */
export interface FaultProxyOptions {
  /** The endpoint behind the proxy (`LocalAws.endpoint`). */
  readonly target: string;
  /** moto's own endpoint (`LocalAws.motoEndpoint`), to map unknown access keys to accounts. */
  readonly motoEndpoint?: string;
  /** Overrides the access key → account lookup. */
  readonly accountOf?: (accessKeyId: string) => Promise<string>;
  /** Added to every call before it is answered (see {@link LatencyMode}). @default 0 */
  readonly latencyMs?: number | ((call: ResolvedCall) => number);
  /** @default 'added' */
  readonly latencyMode?: LatencyMode;
  /** Enforce AWS's throttling (true: the documented limits). @default false */
  readonly throttle?: boolean | ThrottleOptions;
  readonly faults?: FaultInjection;
  readonly rule?: FaultRule;
  /** Rewrites some calls (after throttling and fault decisions, before forwarding). */
  readonly intercept?: (call: ResolvedCall, body: Buffer) => Interception | undefined;
  /** REST routes for naming operations. @default botocore's models */
  readonly routes?: RouteTable;
}

/**
 * How the latency applies. `added`: the proxy waits that long, then forwards,
 * so a call takes the latency plus the emulator's own time. `fixed`: the
 * proxy forwards at once and answers when the latency has passed since the
 * call arrived, so every call the emulator answers within it takes the same
 * time. Counting round trips needs `fixed`: under `added`, moto's time (which
 * grows with the calls in flight) lets two quick calls fit inside one slow one.
 */
export type LatencyMode = 'added' | 'fixed';

/** Counts by outcome, and by service and operation. */
export interface ProxySummary {
  readonly calls: number;
  /** Calls that were the SDK's first attempt (logical calls). */
  readonly firstAttempts: number;
  /** Calls with attempt > 1: the SDK retrying. */
  readonly retries: number;
  readonly byOutcome: Readonly<Record<string, number>>;
  /** `service` → calls (all attempts). */
  readonly byService: Readonly<Record<string, number>>;
  /** `service Operation` → calls (all attempts). */
  readonly byOperation: Readonly<Record<string, number>>;
  /** `service` → throttled answers. */
  readonly throttledByService: Readonly<Record<string, number>>;
}

/** A running proxy. */
export interface FaultProxy {
  readonly endpoint: string;
  /** Every call so far, in arrival order. */
  calls(): readonly ProxyCall[];
  /** Forgets recorded calls (buckets and learned keys are kept). */
  resetCalls(): void;
  summary(calls?: readonly ProxyCall[]): ProxySummary;
  /** Number of calls answered by the rule or by an injected fault. */
  faults(): number;
  /** Changes the latency (and how it applies) from now on. */
  setLatency(latencyMs: number | ((call: ResolvedCall) => number), mode?: LatencyMode): void;
  /** Changes the injected faults from now on (undefined: none). */
  setFaults(faults: FaultInjection | undefined): void;
  stop(): Promise<void>;
}

const DEFAULT_KINDS: readonly FaultKind[] = ['5xx', 'drop', 'timeout'];

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const sleep = (ms: number): Promise<void> => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

/** Starts the proxy on a free loopback port. */
export async function startFaultyEndpoint(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.target);
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  const origin = performance.now();
  const now = (): number => performance.now() - origin;
  const routes = options.routes ?? botocoreRoutes;
  const moto = options.motoEndpoint ? new MotoClient(options.motoEndpoint) : undefined;
  const learned = new Map<string, string>();
  const buckets = new Map<string, TokenBucket>();
  let latency = options.latencyMs ?? 0;
  let latencyMode: LatencyMode = options.latencyMode ?? 'added';
  let injection = options.faults;
  let calls: ProxyCall[] = [];
  let seq = 0;
  let faultCount = 0;
  const sockets = new Set<Socket>();
  const throttle: ThrottleOptions | undefined = options.throttle === true ? {} : options.throttle || undefined;

  const accountOf = async (accessKeyId: string): Promise<string> => {
    const known = learned.get(accessKeyId);
    if (known) return known;
    if (options.accountOf) return options.accountOf(accessKeyId);
    if (moto) return moto.accountOf(accessKeyId);
    return `unknown:${accessKeyId}`;
  };

  const decideFault = (call: ResolvedCall, body: Buffer): FaultKind | undefined => {
    const f = injection;
    if (!f || f.rate <= 0) return undefined;
    if (f.when && !f.when(call)) return undefined;
    const digest = createHash('sha1').update(body).digest('hex');
    const parts = [call.service, call.operation, call.accountId, call.region, digest, call.attempt];
    if (drawFor(f.seed ?? 1, ...parts) >= f.rate) return undefined;
    const kinds = f.kinds ?? DEFAULT_KINDS;
    return kinds[Math.floor(drawFor(f.seed ?? 1, 'kind', ...parts) * kinds.length)] ?? kinds[0];
  };

  const charge = (call: ResolvedCall): { bucket: string; allowed: boolean } | undefined => {
    if (!throttle) return undefined;
    const documented = throttleLimitFor(call);
    const limit = throttle.override?.(call, documented) ?? documented;
    if (!limit) return undefined;
    const global = documented?.global ?? false;
    const key = `${call.accountId}|${global ? 'global' : call.region}|${call.service}|${limit.bucket}`;
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(limit.capacity, limit.refillPerSecond);
      buckets.set(key, bucket);
    }
    return { bucket: `${call.service}:${limit.bucket}`, allowed: bucket.take() };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const startMs = now();
    const body = await readBody(req);
    const identity = classifyRequest({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body }, routes);
    const call: ResolvedCall | undefined = identity ? { ...identity, accountId: await accountOf(identity.accessKeyId) } : undefined;
    const record = (outcome: CallOutcome, status: number, bucket?: string): void => {
      if (!call) return;
      seq += 1;
      calls.push({
        seq,
        service: call.service,
        operation: call.operation,
        accountId: call.accountId,
        region: call.region,
        attempt: call.attempt,
        invocationId: call.invocationId,
        outcome,
        status,
        startMs,
        endMs: now(),
        bucket,
      });
    };
    const answer = (fault: Fault, outcome: CallOutcome, bucket?: string): void => {
      res.writeHead(fault.status, {
        'content-type': fault.contentType ?? 'text/xml',
        'content-length': String(Buffer.byteLength(fault.body)),
        ...fault.headers,
      });
      res.end(fault.body);
      record(outcome, fault.status, bucket);
    };

    const wait = typeof latency === 'function' ? (call ? latency(call) : 0) : latency;
    const fixed = latencyMode === 'fixed';
    if (!fixed) await sleep(wait);
    // Under a fixed latency: answer no earlier than `wait` after the call arrived (a timer may fire a fraction of a
    // millisecond early: wait again for what is left).
    const due = async (): Promise<void> => {
      if (!fixed) return;
      for (let left = startMs + wait - now(); left > 0; left = startMs + wait - now()) await sleep(Math.max(1, Math.ceil(left)));
    };

    const ruled = options.rule?.({
      path: req.url ?? '/',
      body: body.toString('utf8'),
      authorization: String(req.headers.authorization ?? ''),
      call,
    });
    if (ruled) {
      faultCount += 1;
      await due();
      answer(ruled, 'rule');
      return;
    }
    const charged = call ? charge(call) : undefined;
    if (call && charged && !charged.allowed) {
      await due();
      answer(throttleFault(call), 'throttled', charged.bucket);
      return;
    }
    const kind = call ? decideFault(call, body) : undefined;
    if (call && kind) faultCount += 1;
    if (call && kind === '5xx') {
      await due();
      answer(serverFault(call), '5xx', charged?.bucket);
      return;
    }
    if (kind === 'drop' || kind === 'timeout') {
      if (kind === 'timeout') await sleep(injection?.stallMs ?? 1000);
      record(kind, 0, charged?.bucket);
      req.socket.destroy();
      return;
    }
    const interception = call ? options.intercept?.(call, body) : undefined;
    const forwarded = interception?.reply ?? (await forward(req, interception?.body ?? body));
    const up = interception?.answer ? interception.answer(forwarded) : forwarded;
    await due();
    if (kind === 'lost-response') {
      record(kind, 0, charged?.bucket);
      req.socket.destroy();
      return;
    }
    if (call?.service === 'sts' && call.operation === 'AssumeRole' && up.status === 200) {
      const key = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(up.body.toString('utf8'))?.[1];
      const account = /^arn:[^:]+:iam::(\d{12}):/.exec(call.params.get('RoleArn') ?? '')?.[1];
      if (key && account) learned.set(key, account);
    }
    const headers = { ...up.headers };
    delete headers['transfer-encoding'];
    headers['content-length'] = String(up.body.length);
    res.writeHead(up.status, headers);
    res.end(up.body);
    record('forwarded', up.status, charged?.bucket);
  };

  const forward = (req: IncomingMessage, body: Buffer): Promise<UpstreamAnswer> =>
    new Promise((resolve) => {
      const out = request(
        {
          protocol: upstream.protocol,
          hostname: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, 'content-length': String(body.length) },
          agent,
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (c: Buffer) => chunks.push(c));
          answer.on('end', () => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }));
          answer.on('error', (err) =>
            resolve({
              status: 502,
              headers: { 'content-type': 'text/plain' },
              body: Buffer.from(`fault proxy: upstream answer failed: ${err.message}`),
            }),
          );
        },
      );
      out.on('error', (err) =>
        resolve({
          status: 502,
          headers: { 'content-type': 'text/plain' },
          body: Buffer.from(`fault proxy: upstream failed: ${err.message}`),
        }),
      );
      out.end(body);
    });

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`fault proxy: ${err instanceof Error ? err.message : String(err)}`);
      } else res.destroy();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls: () => calls,
    resetCalls: () => {
      calls = [];
    },
    summary: (subset) => summarize(subset ?? calls),
    faults: () => faultCount,
    setLatency: (l, mode = 'added') => {
      latency = l;
      latencyMode = mode;
    },
    setFaults: (f) => {
      injection = f;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        agent.destroy();
        moto?.close();
      }),
  };
}

/** Counts calls by outcome, service and operation. */
export function summarize(calls: readonly ProxyCall[]): ProxySummary {
  const inc = (m: Record<string, number>, k: string): void => {
    m[k] = (m[k] ?? 0) + 1;
  };
  const byOutcome: Record<string, number> = {};
  const byService: Record<string, number> = {};
  const byOperation: Record<string, number> = {};
  const throttledByService: Record<string, number> = {};
  let firstAttempts = 0;
  for (const c of calls) {
    inc(byOutcome, c.outcome);
    inc(byService, c.service);
    inc(byOperation, `${c.service} ${c.operation}`);
    if (c.outcome === 'throttled') inc(throttledByService, c.service);
    if (c.attempt <= 1) firstAttempts += 1;
  }
  return {
    calls: calls.length,
    firstAttempts,
    retries: calls.length - firstAttempts,
    byOutcome,
    byService,
    byOperation,
    throttledByService,
  };
}
