/**
 * AWS's error answers, per wire protocol, as the real services send them, so
 * that the real SDK parses them into the same error names (and the same
 * retry decisions) as against AWS.
 */
import { randomUUID } from 'node:crypto';
import type { CallIdentity, WireProtocol } from './classify';

/** A canned HTTP answer. */
export interface Fault {
  readonly status: number;
  readonly body: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Query-protocol XML namespaces (`<ErrorResponse xmlns=…>`). */
const QUERY_NAMESPACES: Readonly<Record<string, string>> = {
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
  autoscaling: 'http://autoscaling.amazonaws.com/doc/2011-01-01/',
  elasticloadbalancing: 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/',
  cloudformation: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
};

function ec2Error(status: number, code: string, message: string): Fault {
  return {
    status,
    contentType: 'text/xml;charset=UTF-8',
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`,
  };
}

function queryError(service: string, status: number, type: 'Sender' | 'Receiver', code: string, message: string): Fault {
  const ns = QUERY_NAMESPACES[service] ?? `https://${service}.amazonaws.com/doc/`;
  return {
    status,
    contentType: 'text/xml',
    body: `<ErrorResponse xmlns="${ns}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}

function restJsonError(status: number, code: string, message: string): Fault {
  return {
    status,
    contentType: 'application/json',
    headers: { 'x-amzn-errortype': code, 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify({ message, __type: code }),
  };
}

function jsonError(status: number, code: string, message: string): Fault {
  return {
    status,
    contentType: 'application/x-amz-json-1.1',
    headers: { 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify({ __type: code, message }),
  };
}

function s3Error(status: number, code: string, message: string): Fault {
  return {
    status,
    contentType: 'application/xml',
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${randomUUID()}</RequestId></Error>`,
  };
}

/**
 * The throttling answer of a service:
 * - EC2: HTTP 503 `RequestLimitExceeded` (EC2's own XML error shape);
 * - STS, IAM and other query services: HTTP 400 `Throttling` "Rate exceeded";
 * - GuardDuty, Security Hub, Account (REST-JSON): HTTP 429 `TooManyRequestsException`
 *   (the API front door's answer seen from these services in the field; Security Hub's
 *   model also declares `LimitExceededException` (429) and `ThrottlingException` (429),
 *   which the SDK classifies the same way);
 * - JSON services (Organizations, DynamoDB…): HTTP 400 `TooManyRequestsException` / `ThrottlingException`;
 * - S3: HTTP 503 `SlowDown`.
 */
export function throttleFault(call: Pick<CallIdentity, 'service' | 'protocol'>): Fault {
  const byProtocol: Record<WireProtocol, () => Fault> = {
    ec2: () => ec2Error(503, 'RequestLimitExceeded', 'Request limit exceeded.'),
    query: () => queryError(call.service, 400, 'Sender', 'Throttling', 'Rate exceeded'),
    'rest-json': () => restJsonError(429, 'TooManyRequestsException', 'Too Many Requests'),
    json: () => jsonError(400, call.service === 'dynamodb' ? 'ThrottlingException' : 'TooManyRequestsException', 'Rate exceeded'),
    'rest-xml': () => s3Error(503, 'SlowDown', 'Please reduce your request rate.'),
    unknown: () => restJsonError(429, 'TooManyRequestsException', 'Too Many Requests'),
  };
  return byProtocol[call.protocol]();
}

/** An internal server error as each service reports it (HTTP 500; the SDK retries it as transient). */
export function serverFault(call: Pick<CallIdentity, 'service' | 'protocol'>): Fault {
  const restCode: Record<string, string> = {
    guardduty: 'InternalServerErrorException',
    securityhub: 'InternalException',
    account: 'InternalServerException',
  };
  const byProtocol: Record<WireProtocol, () => Fault> = {
    ec2: () => ec2Error(500, 'InternalError', 'An internal error has occurred'),
    query: () => queryError(call.service, 500, 'Receiver', 'InternalFailure', 'An internal error occurred'),
    'rest-json': () => restJsonError(500, restCode[call.service] ?? 'InternalFailure', 'Internal server error'),
    json: () => jsonError(500, call.service === 'organizations' ? 'ServiceException' : 'InternalServerError', 'Internal server error'),
    'rest-xml': () => s3Error(500, 'InternalError', 'We encountered an internal error. Please try again.'),
    unknown: () => restJsonError(500, 'InternalFailure', 'Internal server error'),
  };
  return byProtocol[call.protocol]();
}
