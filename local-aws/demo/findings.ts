import { createHash } from 'node:crypto';
import type { Instance } from '@aws-sdk/client-ec2';

/** What a sample finding is about; ids come from the resources the demo (or a test) created. */
export interface SampleTarget {
  readonly accountId: string;
  readonly region: string;
  readonly detectorId?: string;
  readonly instance?: {
    readonly instanceId: string;
    readonly vpcId: string;
    readonly subnetId: string;
    readonly networkInterfaces: ReadonlyArray<{
      readonly networkInterfaceId: string;
      readonly subnetId?: string;
      readonly groupIds: readonly string[];
    }>;
    readonly tags?: Readonly<Record<string, string>>;
  };
  /**
   * `sessionName`: of an assumed role (an instance profile's credentials carry the instance id);
   * `principalId`: the whole `aws:userid` (`AROA…:session`, e.g. as STS reported it), instead of one made up.
   */
  readonly accessKey?: {
    readonly accessKeyId: string;
    readonly userName: string;
    readonly userType: 'IAMUser' | 'AssumedRole' | 'Root';
    readonly sessionName?: string;
    readonly principalId?: string;
  };
  readonly bucket?: string;
  readonly remoteIp?: string;
  /** The remote side's IPv6 address (`remoteIpDetails.ipAddressV6`), beside its IPv4 one. */
  readonly remoteIpV6?: string;
  /** The domain a DNS finding names (`dnsRequestAction.domain`). @default pool.minergate.example */
  readonly domain?: string;
  readonly resourceRole?: 'TARGET' | 'ACTOR';
  readonly count?: number;
  readonly severity?: number;
  /** Seed of the finding id, so the same sample is the same finding. */
  readonly seed?: string;
}

/** What a finding says of an instance, from EC2's description of it (interfaces with their groups, tags). */
export function instanceTarget(
  instanceId: string,
  vpcId: string,
  subnetId: string,
  described: Instance | undefined,
): NonNullable<SampleTarget['instance']> {
  return {
    instanceId,
    vpcId,
    subnetId,
    networkInterfaces: (described?.NetworkInterfaces ?? []).map((ni) => ({
      networkInterfaceId: ni.NetworkInterfaceId as string,
      subnetId: ni.SubnetId,
      groupIds: (ni.Groups ?? []).map((g) => g.GroupId as string),
    })),
    tags: Object.fromEntries((described?.Tags ?? []).map((t) => [t.Key as string, t.Value ?? ''])),
  };
}

/** A 32-hex-digit GuardDuty-like id derived from a seed. */
export function findingIdFor(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 32);
}

/** Default severity of the sample per type family, as GuardDuty documents them. */
function defaultSeverity(type: string): number {
  if (type.startsWith('Recon:') || type.includes('BruteForce')) return 2;
  if (type.startsWith('Policy:S3/BucketBlockPublicAccessDisabled')) return 2;
  if (type.startsWith('Discovery:') || type.startsWith('Stealth:')) return 5;
  return 8;
}

/**
 * A GuardDuty finding in the documented JSON shape (as in an EventBridge
 * event's `detail`), for the resource in `target`. Used by the demo and tests;
 * the shape follows GuardDuty's finding format (schemaVersion 2.0).
 */
export function sampleFinding(type: string, target: SampleTarget): Record<string, unknown> {
  const detectorId = target.detectorId ?? findingIdFor(`detector-${target.accountId}-${target.region}`);
  const id = findingIdFor(
    target.seed ??
      `${type}-${target.accountId}-${target.region}-${target.instance?.instanceId ?? target.accessKey?.accessKeyId ?? target.bucket ?? ''}`,
  );
  const now = '2026-11-24T10:00:00.000Z';
  const resource: Record<string, unknown> = {};
  if (target.instance) {
    const i = target.instance;
    resource.resourceType = 'Instance';
    resource.instanceDetails = {
      instanceId: i.instanceId,
      instanceType: 't3.micro',
      instanceState: 'running',
      availabilityZone: `${target.region}a`,
      imageId: 'ami-0123456789abcdef0',
      launchTime: '2026-11-01T08:00:00.000Z',
      platform: null,
      productCodes: [],
      networkInterfaces: i.networkInterfaces.map((ni) => ({
        networkInterfaceId: ni.networkInterfaceId,
        subnetId: ni.subnetId ?? i.subnetId,
        vpcId: i.vpcId,
        privateIpAddress: '10.0.1.10',
        privateIpAddresses: [{ privateIpAddress: '10.0.1.10', privateDnsName: 'ip-10-0-1-10.ec2.internal' }],
        ipv6Addresses: [],
        publicIp: '198.51.100.10',
        securityGroups: ni.groupIds.map((g) => ({ groupId: g, groupName: g })),
      })),
      tags: Object.entries(i.tags ?? {}).map(([key, value]) => ({ key, value })),
    };
  }
  if (target.accessKey) {
    resource.resourceType = target.instance ? 'Instance' : 'AccessKey';
    resource.accessKeyDetails = {
      accessKeyId: target.accessKey.accessKeyId,
      // As GuardDuty reports them: a user's unique id, or a role's followed by the session name.
      principalId:
        target.accessKey.principalId ??
        (target.accessKey.userType === 'AssumedRole'
          ? `AROA${findingIdFor(target.accessKey.userName).slice(0, 17).toUpperCase()}:${target.accessKey.sessionName ?? 'cordon-demo-session'}`
          : `AIDA${findingIdFor(target.accessKey.userName).slice(0, 17).toUpperCase()}`),
      userName: target.accessKey.userName,
      userType: target.accessKey.userType,
    };
  }
  if (target.bucket) {
    resource.resourceType = 'S3Bucket';
    resource.s3BucketDetails = [
      {
        arn: `arn:aws:s3:::${target.bucket}`,
        name: target.bucket,
        type: 'Destination',
        createdAt: '2026-01-01T00:00:00.000Z',
        owner: { id: 'abcdef0123456789' },
        publicAccess: { effectivePermission: 'PUBLIC' },
      },
    ];
  }
  resource.resourceType ??= 'Instance';
  return {
    schemaVersion: '2.0',
    accountId: target.accountId,
    region: target.region,
    partition: 'aws',
    id,
    arn: `arn:aws:guardduty:${target.region}:${target.accountId}:detector/${detectorId}/finding/${id}`,
    type,
    resource,
    service: {
      serviceName: 'guardduty',
      detectorId,
      action: actionFor(type, target),
      resourceRole: target.resourceRole ?? (type.includes('BruteForce') || type.startsWith('Recon:') ? 'TARGET' : 'ACTOR'),
      additionalInfo: { value: '{}', type: 'default' },
      eventFirstSeen: '2026-11-24T09:40:00.000Z',
      eventLastSeen: '2026-11-24T09:58:00.000Z',
      archived: false,
      count: target.count ?? 1,
    },
    severity: target.severity ?? defaultSeverity(type),
    createdAt: now,
    updatedAt: now,
    title: `${type} sample`,
    description: `Sample finding of type ${type} for cordon's demo and tests.`,
  };
}

function actionFor(type: string, target: SampleTarget): Record<string, unknown> {
  const remote = {
    ipAddressV4: target.remoteIp ?? '203.0.113.66',
    ...(target.remoteIpV6 ? { ipAddressV6: target.remoteIpV6 } : {}),
    organization: { asn: '64496', asnOrg: 'EXAMPLE', isp: 'Example', org: 'Example' },
    country: { countryName: 'Example' },
  };
  // GuardDuty's DNS findings (…!DNS, DNS data exfiltration, DGA domains) carry the queried domain, not a connection.
  if (type.endsWith('!DNS') || /DNSDataExfiltration|DGADomainRequest/.test(type)) return dnsAction(target);
  if (type.startsWith('Recon:EC2/PortProbe')) {
    return {
      actionType: 'PORT_PROBE',
      portProbeAction: { blocked: false, portProbeDetails: [{ localPortDetails: { port: 22, portName: 'SSH' }, remoteIpDetails: remote }] },
    };
  }
  if (
    type.includes('BruteForce') ||
    type.startsWith('UnauthorizedAccess:EC2/Tor') ||
    type.startsWith('Backdoor:EC2') ||
    type.startsWith('Trojan:EC2')
  ) {
    const inbound = (target.resourceRole ?? 'TARGET') === 'TARGET' && type.includes('BruteForce');
    return {
      actionType: 'NETWORK_CONNECTION',
      networkConnectionAction: {
        blocked: false,
        connectionDirection: inbound ? 'INBOUND' : 'OUTBOUND',
        protocol: 'TCP',
        localPortDetails: { port: 22, portName: 'SSH' },
        remotePortDetails: { port: 40000, portName: 'Unknown' },
        remoteIpDetails: remote,
      },
    };
  }
  if (type.includes(':IAMUser/') || type.includes(':S3/')) {
    return {
      actionType: 'AWS_API_CALL',
      awsApiCallAction: { api: 'GetObject', serviceName: 's3.amazonaws.com', callerType: 'Remote IP', remoteIpDetails: remote },
    };
  }
  return dnsAction(target);
}

/** The action of a DNS finding: the domain the instance queried. */
function dnsAction(target: SampleTarget): Record<string, unknown> {
  return {
    actionType: 'DNS_REQUEST',
    dnsRequestAction: { domain: target.domain ?? 'pool.minergate.example', protocol: 'UDP', blocked: false },
  };
}

/** Wraps a finding in the EventBridge event GuardDuty sends. */
export function guardDutyEvent(finding: Record<string, unknown>): Record<string, unknown> {
  return {
    version: '0',
    id: findingIdFor(`event-${String(finding.id)}-${String((finding.service as { count?: number }).count)}`).replace(
      /^(.{8})(.{4})(.{4})(.{4})(.{12}).*/,
      '$1-$2-$3-$4-$5',
    ),
    'detail-type': 'GuardDuty Finding',
    source: 'aws.guardduty',
    account: finding.accountId,
    time: finding.updatedAt,
    region: finding.region,
    resources: [],
    detail: finding,
  };
}
