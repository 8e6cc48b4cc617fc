import { startFaultyEndpoint, type Fault, type FaultRule } from '../../local-aws';

export type { Fault, FaultRule } from '../../local-aws';
/** The full fault and latency layer (throttling, latency, injected faults, call log): see local-aws/faults. */
export { startFaultyEndpoint, type FaultProxy } from '../../local-aws';

/**
 * A loopback HTTP proxy in front of the local AWS endpoint that answers some
 * requests with AWS's own error shapes (AccessDenied, RequestLimitExceeded…),
 * so the real SDK sees real wire errors. Point one service at it with
 * `AWS_ENDPOINT_URL_<SERVICE>`. (A thin form of `startFaultyEndpoint` with only a rule.)
 */
export async function startFaultProxy(
  target: string,
  rule: FaultRule,
): Promise<{ endpoint: string; faults: () => number; stop: () => Promise<void> }> {
  const proxy = await startFaultyEndpoint({ target, rule });
  return { endpoint: proxy.endpoint, faults: () => proxy.faults(), stop: () => proxy.stop() };
}

/** STS's AccessDenied for AssumeRole, as AWS sends it. */
export function stsAccessDenied(roleArn: string): Fault {
  return {
    status: 403,
    body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::123456789012:assumed-role/cordon/x is not authorized to perform: sts:AssumeRole on resource: ${roleArn}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`,
  };
}

/** EC2's throttling error, as AWS sends it. */
export const EC2_THROTTLED: Fault = {
  status: 503,
  body: '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>00000000-0000-0000-0000-000000000000</RequestID></Response>',
};
