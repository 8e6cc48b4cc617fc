/**
 * The fault and latency layer shared by the benchmarks and the failure
 * tests: a proxy in front of the local AWS endpoint that adds latency,
 * enforces AWS's documented throttling and injects faults deterministically.
 */
export {
  startFaultyEndpoint,
  summarize,
  type FaultProxy,
  type FaultProxyOptions,
  type FaultInjection,
  type FaultKind,
  type FaultRule,
  type ProxyCall,
  type ProxySummary,
  type ResolvedCall,
  type ThrottleOptions,
  type CallOutcome,
} from './proxy';
export { classifyRequest, botocoreRoutes, type CallIdentity, type RawRequest, type RouteTable, type WireProtocol } from './classify';
export { credentialScope } from '../sigv4';
export { throttleFault, serverFault, type Fault } from './errors';
export { throttleLimitFor, ec2Limit, type ThrottleLimit } from './limits';
export { TokenBucket } from './token-bucket';
export { sequentialChain, peakConcurrency, type CallSpan } from './timeline';
export { mulberry32, drawFor, shuffled } from './prng';
export { unprocessedFindings, type UnprocessedOptions } from './security-hub';
export type { Interception, UpstreamAnswer } from './proxy';
