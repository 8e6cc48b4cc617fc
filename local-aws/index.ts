/**
 * The local AWS: everything cordon's demo, tests and benchmarks run against
 * instead of an AWS account. Not part of the product: nothing under `src/`
 * imports it (ESLint's no-restricted-imports and the dependency rules in
 * `.dependency-cruiser.cjs` enforce that).
 *
 * - `startLocalAws`: moto_server plus cordon's GuardDuty / Security Hub /
 *   Account emulator behind one endpoint (`AWS_ENDPOINT_URL`).
 * - `startFaultyEndpoint` and friends: the fault and latency proxy in front
 *   of it (AWS's documented throttling, injected faults, the call log).
 * - `buildWorld`, `sampleFinding`, `guardDutyEvent`: the demo organization
 *   and real-shaped GuardDuty findings about it.
 */
export { startLocalAws, MotoMissingError, MotoStartError, type LocalAws, type StartLocalAwsOptions } from './start';
export { LOCAL_CREDENTIALS, pointSdkAt } from './sdk-env';
export { DEFAULT_REGIONS, OPT_IN_REGIONS, ALL_REGIONS } from './emulator/account';
export { buildWorld, type World, type WorldInstance, type WorldOptions } from './demo/world';
export { buildFamilies, familyFindings, type Families } from './demo/families';
export { sampleFinding, guardDutyEvent, instanceTarget, findingIdFor, type SampleTarget } from './demo/findings';
export * from './faults';
