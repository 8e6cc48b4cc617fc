/**
 * AWS's API throttling limits as a declarative table: which token bucket a
 * call draws from, its size and refill rate, and where the number comes from.
 * Buckets are per (account, region) unless the service is global (IAM, the
 * Account API), as AWS documents.
 *
 * Where AWS publishes no number (GuardDuty, STS, IAM, Organizations) the
 * value is an assumption, marked `documented: false`; change it with
 * `ThrottleOptions.overrides`.
 */
import type { CallIdentity } from './classify';

/** One token bucket's parameters and their source. */
export interface ThrottleLimit {
  /** Bucket name within (account, region): usually the operation, sometimes a class of operations. */
  readonly bucket: string;
  /** Maximum tokens (burst). */
  readonly capacity: number;
  /** Tokens per second (sustained rate). */
  readonly refillPerSecond: number;
  /** Whether AWS publishes this number; false: an assumption of the bench. */
  readonly documented: boolean;
  /** Where the number comes from. */
  readonly source: string;
}

/** https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html */
export const EC2_THROTTLING_DOC = 'https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html';
/** Security Hub API Reference, Welcome page (also the botocore model's service documentation). */
export const SECURITY_HUB_THROTTLING_DOC = 'https://docs.aws.amazon.com/securityhub/1.0/APIReference/Welcome.html';
/** Account Management quotas. */
export const ACCOUNT_QUOTAS_DOC = 'https://docs.aws.amazon.com/accounts/latest/reference/quotas.html';
/** S3 request rate guidance. */
export const S3_PERFORMANCE_DOC = 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html';
/** IAM/STS throttling knowledge-center article (token buckets, `Throttling: Rate exceeded`, no published numbers). */
export const IAM_STS_THROTTLING_DOC = 'https://repost.aws/knowledge-center/iam-sts-throttling-error';

/** EC2 "Unfiltered and unpaginated non-mutating actions": a smaller bucket when called without a filter or pagination. */
export const EC2_UNFILTERED_SUBSET: ReadonlySet<string> = new Set([
  'DescribeInstances',
  'DescribeInstanceStatus',
  'DescribeNetworkInterfaces',
  'DescribeSecurityGroups',
  'DescribeSnapshots',
  'DescribeSpotInstanceRequests',
  'DescribeVolumes',
]);

/** EC2 "Resource-intensive actions". */
export const EC2_RESOURCE_INTENSIVE: ReadonlySet<string> = new Set([
  'AcceptVpcPeeringConnection',
  'AuthorizeSecurityGroupIngress',
  'CancelSpotInstanceRequests',
  'CreateKeyPair',
  'CreateVpcPeeringConnection',
  'DeleteVpcPeeringConnection',
  'RejectVpcPeeringConnection',
  'RevokeSecurityGroupIngress',
  'RequestSpotInstances',
]);

/** EC2 "Uncategorized actions" (their own bucket sizes), the ones cordon and the bench can call. */
export const EC2_UNCATEGORIZED: Readonly<Record<string, readonly [capacity: number, refillPerSecond: number]>> = {
  AssociateIamInstanceProfile: [100, 5],
  CreateNetworkInterface: [100, 5],
  CreateSnapshot: [100, 5],
  CreateSnapshots: [100, 5],
  CreateTags: [100, 10],
  CreateVolume: [100, 5],
  DeleteNetworkInterface: [100, 5],
  DeleteSnapshot: [100, 5],
  DeleteTags: [100, 10],
  DeleteVolume: [100, 5],
  DisassociateIamInstanceProfile: [100, 5],
  ModifyInstanceMetadataOptions: [100, 5],
  ModifyNetworkInterfaceAttribute: [100, 5],
  ModifySnapshotAttribute: [100, 5],
  RunInstances: [5, 2],
  StartInstances: [5, 2],
  TerminateInstances: [100, 5],
};

/** Security Hub's published limits by operation; every other operation: 10/s, burst 30. */
export const SECURITY_HUB_LIMITS: Readonly<Record<string, readonly [rate: number, burst: number]>> = {
  BatchEnableStandards: [1, 1],
  GetFindings: [3, 6],
  BatchImportFindings: [10, 30],
  BatchUpdateFindings: [10, 30],
  UpdateStandardsControl: [1, 5],
};

/** True when a query-protocol call names a filter or asks for a page (EC2's larger bucket). */
export function ec2FilteredOrPaginated(params: ReadonlyMap<string, string>): boolean {
  for (const key of params.keys()) if (key.startsWith('Filter.') || key === 'MaxResults' || key === 'NextToken') return true;
  return false;
}

/**
 * EC2's request-rate limits. The current documentation evaluates "each API
 * individually", so every action has its own bucket, sized by its category.
 */
export function ec2Limit(operation: string, params: ReadonlyMap<string, string>): ThrottleLimit {
  const own = EC2_UNCATEGORIZED[operation];
  if (own)
    return {
      bucket: operation,
      capacity: own[0],
      refillPerSecond: own[1],
      documented: true,
      source: `${EC2_THROTTLING_DOC} (uncategorized actions)`,
    };
  if (/^(Describe|List|Search|Get)/.test(operation)) {
    if (EC2_UNFILTERED_SUBSET.has(operation) && !ec2FilteredOrPaginated(params)) {
      return {
        bucket: `${operation}:unfiltered`,
        capacity: 50,
        refillPerSecond: 10,
        documented: true,
        source: `${EC2_THROTTLING_DOC} (unfiltered and unpaginated non-mutating actions)`,
      };
    }
    return {
      bucket: operation,
      capacity: 100,
      refillPerSecond: 20,
      documented: true,
      source: `${EC2_THROTTLING_DOC} (non-mutating actions)`,
    };
  }
  if (EC2_RESOURCE_INTENSIVE.has(operation))
    return {
      bucket: operation,
      capacity: 50,
      refillPerSecond: 5,
      documented: true,
      source: `${EC2_THROTTLING_DOC} (resource-intensive actions)`,
    };
  return { bucket: operation, capacity: 50, refillPerSecond: 5, documented: true, source: `${EC2_THROTTLING_DOC} (mutating actions)` };
}

const READ_PREFIX = /^(Describe|List|Get|Search|Head)/;

/**
 * The bucket a call draws from, or undefined when the bench does not
 * throttle it (emulator-internal calls, services without a model here).
 * Global services (IAM, the Account API) are keyed by account only: the
 * caller uses `global` as the region.
 */
export function throttleLimitFor(
  call: Pick<CallIdentity, 'service' | 'operation' | 'params'>,
): (ThrottleLimit & { readonly global: boolean }) | undefined {
  const { service, operation } = call;
  switch (service) {
    case 'ec2':
      return { ...ec2Limit(operation, call.params), global: false };
    case 'securityhub': {
      const [rate, burst] = SECURITY_HUB_LIMITS[operation] ?? [10, 30];
      return {
        bucket: SECURITY_HUB_LIMITS[operation] ? operation : 'other-operations',
        capacity: burst,
        refillPerSecond: rate,
        documented: true,
        source: SECURITY_HUB_THROTTLING_DOC,
        global: false,
      };
    }
    case 'account':
      if (operation === 'ListRegions' || operation === 'GetRegionOptStatus') {
        return { bucket: operation, capacity: 5, refillPerSecond: 5, documented: true, source: ACCOUNT_QUOTAS_DOC, global: true };
      }
      return undefined;
    case 'guardduty':
      // GuardDuty publishes no API rate; assumed like Security Hub's default (10/s, burst 30) per operation.
      return {
        bucket: operation,
        capacity: 30,
        refillPerSecond: 10,
        documented: false,
        source: 'assumed: GuardDuty publishes no API request rate',
        global: false,
      };
    case 'sts':
      // STS throttles per account per (regional) endpoint but publishes no number; assumed generous.
      return {
        bucket: 'all-operations',
        capacity: 200,
        refillPerSecond: 100,
        documented: false,
        source: `assumed: ${IAM_STS_THROTTLING_DOC} documents token buckets, not their sizes`,
        global: false,
      };
    case 'iam':
      // IAM is global: one bucket set per account, whatever the signing region.
      return READ_PREFIX.test(operation)
        ? {
            bucket: 'read',
            capacity: 100,
            refillPerSecond: 20,
            documented: false,
            source: `assumed: ${IAM_STS_THROTTLING_DOC}`,
            global: true,
          }
        : {
            bucket: 'write',
            capacity: 40,
            refillPerSecond: 10,
            documented: false,
            source: `assumed: ${IAM_STS_THROTTLING_DOC}`,
            global: true,
          };
    case 's3':
      return READ_PREFIX.test(operation)
        ? {
            bucket: 'read',
            capacity: 5500,
            refillPerSecond: 5500,
            documented: true,
            source: `${S3_PERFORMANCE_DOC} (5,500 GET/HEAD per second per prefix)`,
            global: false,
          }
        : {
            bucket: 'write',
            capacity: 3500,
            refillPerSecond: 3500,
            documented: true,
            source: `${S3_PERFORMANCE_DOC} (3,500 PUT/COPY/POST/DELETE per second per prefix)`,
            global: false,
          };
    case 'organizations':
      return {
        bucket: 'all-operations',
        capacity: 20,
        refillPerSecond: 10,
        documented: false,
        source: 'assumed: Organizations publishes no API request rate',
        global: true,
      };
    default:
      return undefined;
  }
}
