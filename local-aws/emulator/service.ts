/**
 * One emulated REST-JSON service: its botocore model, its routes, the error
 * code it uses for validation failures, and the handlers of the operations the
 * emulator implements. `dispatch` turns an HTTP request into a response the
 * SDK v3 deserializes: route → decode → validate → handler → encode.
 */
import type { IncomingHttpHeaders } from 'node:http';

import { decodeInput, isFields, toWire, type Fields } from './codec';
import { ApiError } from './errors';
import { compileRoutes, matchRoute, type Route, type RouteMatch, type ServiceModel } from './model';
import { describeViolations, validateInput, type DocumentedLimits } from './validate';

/** Who is calling, where, and when. */
export interface CallContext {
  readonly service: string;
  readonly operation: string;
  readonly accountId: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly now: Date;
}

/** An operation handler: input in member form (validated), output in member form. */
export type Handler = (ctx: CallContext, input: Fields) => object | Promise<object>;

/**
 * Wrap a handler typed with the SDK's own request/response types. The input
 * has been validated against the model before it reaches the handler, which
 * is what makes the one cast here sound.
 */
export function typed<I, O extends object>(fn: (ctx: CallContext, input: I) => O | Promise<O>): Handler {
  return (ctx, input) => fn(ctx, input as unknown as I);
}

/** An HTTP request as the emulator sees it. */
export interface EmulatorRequest {
  readonly method: string;
  /** Raw (still percent-encoded) path, without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The HTTP response to write back. */
export interface EmulatorResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Static description of an emulated service. */
export interface ServiceDefinition {
  /** The SigV4 signing name (`guardduty`, `securityhub`, `account`). */
  readonly signingName: string;
  readonly model: ServiceModel;
  /** The model's exception used for validation failures (`BadRequestException`…). */
  readonly validationErrorCode: string;
  readonly limits?: DocumentedLimits;
  readonly handlers: Readonly<Record<string, Handler>>;
  /**
   * Authorization AWS checks before the request itself (a service control
   * policy's explicit deny): throws the AWS error, or returns.
   * @default none
   */
  readonly authorize?: (ctx: CallContext) => void;
}

/** Called once per dispatched call (after routing), for the emulator's call log. */
export type CallListener = (ctx: CallContext) => void;

/** A service ready to dispatch requests. */
export class EmulatedService {
  private readonly routes: Route[];

  public constructor(private readonly def: ServiceDefinition) {
    this.routes = compileRoutes(def.model);
  }

  /** The SigV4 signing name. */
  public get signingName(): string {
    return this.def.signingName;
  }

  /**
   * The model operation a request maps to, if any: by route (REST-JSON), or
   * by its `X-Amz-Target` (`<targetPrefix>.<Operation>`, JSON 1.0/1.1 services such as Route 53 Resolver).
   */
  public route(method: string, path: string, query: URLSearchParams, target?: string): RouteMatch | undefined {
    const { protocol, targetPrefix } = this.def.model.metadata;
    if (protocol !== 'json') return matchRoute(this.routes, method, path, query);
    const name = target?.startsWith(`${targetPrefix ?? ''}.`) ? target.slice((targetPrefix ?? '').length + 1) : undefined;
    const operation = name === undefined ? undefined : this.def.model.operations[name];
    return method.toUpperCase() === 'POST' && path === '/' && operation ? { operation, labels: {} } : undefined;
  }

  /** True when the request maps to an operation this emulator implements. */
  public implements(method: string, path: string, query: URLSearchParams, target?: string): boolean {
    const match = this.route(method, path, query, target);
    return match !== undefined && match.operation.name in this.def.handlers;
  }

  /** Answer one request. Never throws: errors become AWS error responses. */
  public async dispatch(
    request: EmulatorRequest,
    caller: Omit<CallContext, 'service' | 'operation'>,
    onCall: CallListener,
  ): Promise<EmulatorResponse> {
    try {
      const target = request.headers['x-amz-target'];
      const match = this.route(request.method, request.path, request.query, typeof target === 'string' ? target : undefined);
      const serviceId = this.def.model.metadata.serviceId;
      if (!match) {
        throw new ApiError(
          'UnknownOperationException',
          `${serviceId} has no operation for ${request.method} ${request.path} (cordon local emulator, botocore model)`,
          404,
        );
      }
      const operation = match.operation;
      const ctx: CallContext = { ...caller, service: this.def.signingName, operation: operation.name };
      onCall(ctx);
      const handler = this.def.handlers[operation.name];
      if (!handler) {
        throw new ApiError(
          'UnknownOperationException',
          `${serviceId}.${operation.name} is not implemented by cordon's local emulator`,
          404,
        );
      }
      this.def.authorize?.(ctx);
      const body = this.parseBody(request.body);
      const input = decodeInput(this.def.model, operation.input?.shape, {
        labels: match.labels,
        query: request.query,
        headers: request.headers,
        body,
      });
      const violations = validateInput(this.def.model, operation.name, operation.input?.shape, input, this.def.limits);
      if (violations.length > 0) throw this.validationError(describeViolations(violations), violations, operation.errors);
      const output = await handler(ctx, input);
      const wire = operation.output ? toWire(this.def.model, operation.output, output) : {};
      return {
        status: operation.http.responseCode ?? 200,
        headers: { 'content-type': this.contentType(), 'x-amzn-requestid': requestId() },
        body: JSON.stringify(wire ?? {}),
      };
    } catch (err) {
      return this.errorResponse(err);
    }
  }

  /**
   * A validation error in this service's dialect, or in the operation's when its model declares another one (Security
   * Hub's V2 operations declare ValidationException where the older ones declare InvalidInputException).
   */
  public validationError(
    message: string,
    violations: ReadonlyArray<{ path: string; message: string }> = [],
    declared?: ReadonlyArray<{ readonly shape: string }>,
  ): ApiError {
    const own = this.def.validationErrorCode;
    const code =
      declared && !declared.some((e) => e.shape === own) && declared.some((e) => e.shape === 'ValidationException')
        ? 'ValidationException'
        : own;
    const extra =
      code === 'ValidationException'
        ? { reason: 'fieldValidationFailed', fieldList: violations.map((v) => ({ name: v.path, message: v.message })) }
        : {};
    return new ApiError(code, message, this.statusOf(code), extra);
  }

  /** JSON 1.x services answer in their own media type. */
  private contentType(): string {
    const { protocol, jsonVersion } = this.def.model.metadata;
    return protocol === 'json' ? `application/x-amz-json-${jsonVersion ?? '1.1'}` : 'application/json';
  }

  private parseBody(raw: Buffer): Fields {
    if (raw.length === 0) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      throw this.validationError('The request body is not valid JSON');
    }
    if (!isFields(parsed)) throw this.validationError('The request body must be a JSON object');
    return parsed;
  }

  private statusOf(code: string): number {
    return this.def.model.shapes[code]?.error?.httpStatusCode ?? 400;
  }

  private errorResponse(err: unknown): EmulatorResponse {
    const apiError =
      err instanceof ApiError
        ? err
        : new ApiError(
            'InternalServerErrorException',
            `cordon emulator bug: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
            500,
          );
    const body = {
      __type: apiError.code,
      message: apiError.message,
      Message: apiError.message,
      Code: apiError.code,
      ...apiError.extra,
    };
    return {
      // The model's status for a known exception (InvalidAccessException is 401…).
      status: this.def.model.shapes[apiError.code]?.error?.httpStatusCode ?? apiError.status,
      headers: {
        'content-type': this.contentType(),
        'x-amzn-errortype': apiError.code,
        'x-amzn-requestid': requestId(),
      },
      body: JSON.stringify(body),
    };
  }
}

let requestCounter = 0;
function requestId(): string {
  requestCounter += 1;
  return `cordon-emulator-${Date.now().toString(36)}-${requestCounter}`;
}
