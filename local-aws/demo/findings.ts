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
  /** A Lambda function (Lambda Protection: `resource.lambdaDetails`). */
  readonly lambda?: { readonly functionName: string; readonly functionArn: string; readonly roleArn?: string };
  /** An ECS task (Runtime Monitoring, Malware Protection: `resource.ecsClusterDetails.taskDetails`); `instance` too for the EC2 launch type. */
  readonly task?: {
    readonly clusterArn: string;
    readonly taskArn: string;
    readonly launchType: 'FARGATE' | 'EC2';
    readonly definitionArn: string;
    readonly image?: string;
  };
  /** An EKS cluster, the Kubernetes user who called its API and the pod concerned (`eksClusterDetails`, `kubernetesDetails`). */
  readonly kubernetes?: {
    readonly clusterName: string;
    readonly username?: string;
    readonly pod?: { readonly name: string; readonly namespace: string; readonly serviceAccountName?: string };
  };
  /** An RDS database and the database user of the login activity (`rdsDbInstanceDetails`, `rdsDbUserDetails`). */
  readonly database?: { readonly instanceId: string; readonly clusterId?: string; readonly user: string; readonly engine?: string };
  /** An S3 object Malware Protection for S3 scanned (`s3BucketDetails[].s3ObjectDetails`). */
  readonly object?: { readonly bucket: string; readonly key: string; readonly versionId?: string };
  /** A scanned EBS snapshot, AMI or recovery point (Malware Protection for Backup). */
  readonly backup?: { readonly kind: 'ebs-snapshot' | 'ec2-image' | 'recovery-point'; readonly arn: string };
  /** The resources of an attack sequence (`service.detection.sequence.resources`, each a `ResourceV2`). */
  readonly sequence?: ReadonlyArray<Record<string, unknown>>;
  /** A Runtime Monitoring finding's process (`service.runtimeDetails.process`). */
  readonly process?: { readonly name: string; readonly executablePath: string };
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
      `${type}-${target.accountId}-${target.region}-${target.instance?.instanceId ?? target.accessKey?.accessKeyId ?? target.bucket ?? subjectSeed(target)}`,
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
  Object.assign(resource, familyResource(target));
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
      // Malware scans, runtime events and attack sequences carry no network or API action of their own.
      ...(/MaliciousFile|:Runtime\/|^AttackSequence:/.test(type) ? {} : { action: actionFor(type, target) }),
      resourceRole: target.resourceRole ?? (type.includes('BruteForce') || type.startsWith('Recon:') ? 'TARGET' : 'ACTOR'),
      additionalInfo: { value: '{}', type: 'default' },
      eventFirstSeen: '2026-11-24T09:40:00.000Z',
      eventLastSeen: '2026-11-24T09:58:00.000Z',
      archived: false,
      count: target.count ?? 1,
      ...(target.process
        ? { runtimeDetails: { process: { name: target.process.name, executablePath: target.process.executablePath, pid: 4242, uid: 0 } } }
        : {}),
      ...(target.object || target.backup ? { malwareScanDetails: malwareScan() } : {}),
      ...(target.sequence ? { detection: { sequence: sequenceOf(type, target) } } : {}),
    },
    severity: target.severity ?? defaultSeverity(type),
    createdAt: now,
    updatedAt: now,
    title: `${type} sample`,
    description: `Sample finding of type ${type} for cordon's demo and tests.`,
  };
}

/** What names the finding's resource when no instance, key or bucket does (the seed of its id). */
function subjectSeed(target: SampleTarget): string {
  return (
    target.lambda?.functionName ??
    target.task?.taskArn ??
    target.database?.instanceId ??
    target.object?.key ??
    target.backup?.arn ??
    target.kubernetes?.clusterName ??
    JSON.stringify(target.sequence?.map((r) => r.uid) ?? [])
  );
}

/** The `resource` fields of the 2026 families, as GuardDuty's sample findings carry them. */
function familyResource(target: SampleTarget): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  const { accountId, region } = target;
  if (target.lambda) {
    r.resourceType = 'Lambda';
    r.lambdaDetails = {
      functionName: target.lambda.functionName,
      functionArn: target.lambda.functionArn,
      functionVersion: '$LATEST',
      description: 'orders worker',
      lastModifiedAt: '2026-11-20T08:00:00.000Z',
      revisionId: '6a2b4c8d-1e3f-4a5b-9c7d-0e1f2a3b4c5d',
      role: target.lambda.roleArn ?? `arn:aws:iam::${accountId}:role/${target.lambda.functionName}-role`,
      vpcConfig: { subnetIds: [], securityGroups: [], vpcId: '' },
      tags: [],
    };
  }
  if (target.task) {
    const t = target.task;
    r.resourceType = 'ECSCluster';
    r.ecsClusterDetails = {
      name: t.clusterArn.split('/').pop(),
      arn: t.clusterArn,
      status: 'ACTIVE',
      activeServicesCount: 1,
      registeredContainerInstancesCount: t.launchType === 'EC2' ? 1 : 0,
      runningTasksCount: 1,
      tags: [],
      taskDetails: {
        arn: t.taskArn,
        definitionArn: t.definitionArn,
        version: '1',
        taskCreatedAt: '2026-11-24T09:00:00.000Z',
        startedAt: '2026-11-24T09:00:05.000Z',
        startedBy: 'ecs-svc/1234567890123456789',
        launchType: t.launchType,
        tags: [],
        volumes: [],
        containers: [
          { containerRuntime: 'containerd', id: 'a1b2c3d4e5f6', name: 'app', image: t.image ?? 'public.ecr.aws/nginx/nginx:latest' },
        ],
        group: 'service:api',
      },
    };
    r.containerDetails = {
      containerRuntime: 'containerd',
      id: 'a1b2c3d4e5f6',
      name: 'app',
      image: t.image ?? 'public.ecr.aws/nginx/nginx:latest',
    };
  }
  if (target.kubernetes) {
    const k = target.kubernetes;
    r.resourceType = 'EKSCluster';
    r.eksClusterDetails = {
      name: k.clusterName,
      arn: `arn:aws:eks:${region}:${accountId}:cluster/${k.clusterName}`,
      vpcId: target.instance?.vpcId ?? 'vpc-0123456789abcdef0',
      status: 'ACTIVE',
      tags: [],
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    r.kubernetesDetails = {
      ...(k.username
        ? {
            kubernetesUserDetails: {
              username: k.username,
              uid: `aws-iam-authenticator:${accountId}:AIDAEXAMPLE`,
              groups: ['system:authenticated'],
            },
          }
        : {}),
      ...(k.pod
        ? {
            kubernetesWorkloadDetails: {
              name: k.pod.name,
              type: 'pods',
              uid: findingIdFor(k.pod.name),
              namespace: k.pod.namespace,
              serviceAccountName: k.pod.serviceAccountName ?? 'default',
              containers: [{ name: 'app', image: 'public.ecr.aws/nginx/nginx:latest', imagePrefix: 'public.ecr.aws' }],
            },
          }
        : {}),
    };
  }
  if (target.database) {
    const d = target.database;
    r.resourceType = 'RDSDBInstance';
    r.rdsDbInstanceDetails = {
      dbInstanceIdentifier: d.instanceId,
      engine: d.engine ?? 'aurora-postgresql',
      engineVersion: '15.4',
      ...(d.clusterId ? { dbClusterIdentifier: d.clusterId } : {}),
      dbInstanceArn: `arn:aws:rds:${region}:${accountId}:db:${d.instanceId}`,
      tags: [],
    };
    r.rdsDbUserDetails = { user: d.user, application: 'psql', database: 'orders', ssl: 'off', authMethod: 'PASSWORD' };
  }
  if (target.object) {
    const o = target.object;
    r.resourceType = 'S3Object';
    r.s3BucketDetails = [
      {
        arn: `arn:aws:s3:::${o.bucket}`,
        name: o.bucket,
        type: 'Destination',
        createdAt: '2026-01-01T00:00:00.000Z',
        owner: { id: 'abcdef0123456789' },
        s3ObjectDetails: [
          {
            objectArn: `arn:aws:s3:::${o.bucket}/${o.key}`,
            key: o.key,
            eTag: '44d88612fea8a8f36de82e1278abb02f',
            hash: '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f',
            ...(o.versionId ? { versionId: o.versionId } : {}),
          },
        ],
      },
    ];
  }
  if (target.backup) {
    const b = target.backup;
    r.resourceType = b.kind === 'ebs-snapshot' ? 'EBSSnapshot' : b.kind === 'ec2-image' ? 'EC2Image' : 'RecoveryPoint';
    if (b.kind === 'ebs-snapshot') r.ebsSnapshotDetails = { snapshotArn: b.arn };
    if (b.kind === 'ec2-image') r.ec2ImageDetails = { imageArn: b.arn };
    if (b.kind === 'recovery-point') r.recoveryPointDetails = { recoveryPointArn: b.arn, backupVaultName: 'Default' };
  }
  return r;
}

/** A Malware Protection scan that found one threat (`service.malwareScanDetails`). */
function malwareScan(): Record<string, unknown> {
  return {
    scanId: 'f0e1d2c3b4a5968778695a4b3c2d1e0f',
    scanType: 'GUARDDUTY_INITIATED',
    threats: [{ name: 'EICAR-Test-File (not a virus)', source: 'Amazon', itemPaths: [{ nestedItemPath: 'eicar.com', hash: '275a021b' }] }],
  };
}

/** An attack sequence's `service.detection.sequence`: its resources and the signals that joined them. */
function sequenceOf(type: string, target: SampleTarget): Record<string, unknown> {
  return {
    uid: findingIdFor(`sequence-${type}-${target.accountId}`),
    description: `Sample ${type} attack sequence for cordon's demo and tests.`,
    actors: [{ id: 'actor-1', user: { name: 'attacker', uid: 'AIDAEXAMPLEATTACKER', type: 'IAMUser' } }],
    resources: target.sequence,
    endpoints: [{ id: target.remoteIp ?? '203.0.113.66', ip: target.remoteIp ?? '203.0.113.66' }],
    signals: [
      {
        uid: findingIdFor(`signal-1-${type}`),
        type: 'FINDING',
        name: 'Discovery:IAMUser/AnomalousBehavior',
        createdAt: '2026-11-24T09:40:00.000Z',
        updatedAt: '2026-11-24T09:40:00.000Z',
        firstSeenAt: '2026-11-24T09:40:00.000Z',
        lastSeenAt: '2026-11-24T09:50:00.000Z',
        count: 1,
      },
      {
        uid: findingIdFor(`signal-2-${type}`),
        type: 'CLOUD_TRAIL',
        name: 'DeleteObjects',
        createdAt: '2026-11-24T09:55:00.000Z',
        updatedAt: '2026-11-24T09:55:00.000Z',
        firstSeenAt: '2026-11-24T09:55:00.000Z',
        lastSeenAt: '2026-11-24T09:58:00.000Z',
        count: 3,
      },
    ],
    sequenceIndicators: [{ key: 'ATTACK_TACTIC', values: ['Discovery', 'Impact'] }],
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
  if (type.includes(':RDS/')) {
    return {
      actionType: 'RDS_LOGIN_ATTEMPT',
      rdsLoginAttemptAction: {
        remoteIpDetails: remote,
        LoginAttributes: [
          { user: target.database?.user ?? 'app', application: 'psql', successfulLoginAttempts: 1, failedLoginAttempts: 412 },
        ],
      },
    };
  }
  if (type.includes(':Kubernetes/') && !type.endsWith('/MaliciousFile')) {
    return {
      actionType: 'KUBERNETES_API_CALL',
      kubernetesApiCallAction: {
        requestUri: '/api/v1/namespaces/kube-system/secrets',
        verb: 'list',
        userAgent: 'kubectl/v1.31.0',
        remoteIpDetails: remote,
        statusCode: 200,
      },
    };
  }
  if (type.includes(':Lambda/')) {
    return {
      actionType: 'NETWORK_CONNECTION',
      networkConnectionAction: {
        blocked: false,
        connectionDirection: 'OUTBOUND',
        protocol: 'TCP',
        localPortDetails: { port: 49152, portName: 'Unknown' },
        remotePortDetails: { port: 443, portName: 'HTTPS' },
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
