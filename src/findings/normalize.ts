import type { Finding, FindingInterface, FindingOrigin, FindingSubject, RemoteIp } from './finding';
import type { GuardDutyFindingJson } from './guardduty-schema';
import { extendedSubject, sequenceResources } from './resources';

/** Turns a validated GuardDuty finding into cordon's Finding (pure). */
export function normalizeGuardDutyFinding(f: GuardDutyFindingJson, origin: FindingOrigin): Finding {
  const details = f.resource.instanceDetails;
  const interfaces: FindingInterface[] = (details?.networkInterfaces ?? [])
    .filter((ni) => ni.networkInterfaceId)
    .map((ni) => ({
      networkInterfaceId: ni.networkInterfaceId as string,
      subnetId: ni.subnetId,
      vpcId: ni.vpcId,
      securityGroupIds: (ni.securityGroups ?? []).flatMap((g) => (g.groupId ? [g.groupId] : [])),
    }));
  const tags: Record<string, string> = {};
  for (const t of details?.tags ?? []) if (t.key !== undefined) tags[t.key] = t.value ?? '';
  const key = f.resource.accessKeyDetails;
  const role = f.service?.resourceRole?.toUpperCase();
  const { kubernetesPrincipal, ...extended } = extendedSubject(f);
  const subject: FindingSubject = {
    instance: details?.instanceId ? { instanceId: details.instanceId, networkInterfaces: interfaces, tags } : undefined,
    // An EKS audit-log finding names its caller as a Kubernetes user: its IAM principal, when EKS names one, is contained as a key's would be.
    accessKey: key
      ? { accessKeyId: key.accessKeyId, userName: key.userName, userType: key.userType, principalId: key.principalId }
      : kubernetesPrincipal,
    buckets: (f.resource.s3BucketDetails ?? []).flatMap((b) => (b.name ? [b.name] : [])),
    ...extended,
  };
  const sequence = f.service?.detection?.sequence;
  return {
    id: f.id,
    arn: f.arn,
    detectorId: f.service?.detectorId ?? /detector\/([^/]+)\//.exec(f.arn)?.[1],
    accountId: f.accountId,
    region: f.region,
    partition: f.partition ?? f.arn.split(':')[1] ?? 'aws',
    type: f.type,
    severity: f.severity,
    title: f.title ?? f.type,
    count: f.service?.count ?? 1,
    archived: f.service?.archived ?? false,
    sample: isSample(f.service?.additionalInfo),
    updatedAt: f.updatedAt,
    ...(f.createdAt ? { createdAt: f.createdAt } : {}),
    lastSeenAt: f.service?.eventLastSeen ?? f.updatedAt,
    resourceRole: role === 'TARGET' || role === 'ACTOR' ? role : undefined,
    resourceType: f.resource.resourceType,
    ...subject,
    remoteIps: remoteIps(f),
    ...domainsOf(f),
    resources: sequence?.resources
      ? sequenceResources(sequence.resources, f.accountId, f.region)
      : [{ type: f.resource.resourceType, uid: subjectLabel(subject) ?? f.id, region: undefined, subject, uncontained: undefined }],
    sequence: sequence ? (sequence.uid ?? f.id) : undefined,
    origin,
  };
}

/**
 * The main resource a subject names, for outcome lines, leases and the
 * circuit breaker: the instance, else the function, the task, the database,
 * the backup artefact, the access key or user, the object, the bucket.
 */
export function subjectLabel(s: FindingSubject): string | undefined {
  const object = s.objects[0];
  return (
    s.instance?.instanceId ??
    s.lambda?.functionName ??
    s.task?.taskArn ??
    s.database?.instanceId ??
    s.backup?.id ??
    s.accessKey?.accessKeyId ??
    s.accessKey?.userName ??
    (object ? `${object.bucket}/${object.key}` : undefined) ??
    s.buckets[0]
  );
}

/** True for a sample finding: `sample` true (events), or `{"sample":true}` in `value` (GetFindings). */
function isSample(info: NonNullable<GuardDutyFindingJson['service']>['additionalInfo']): boolean {
  if (info?.sample === true || info?.sample === 'true') return true;
  if (!info?.value) return false;
  try {
    const parsed: unknown = JSON.parse(info.value);
    return typeof parsed === 'object' && parsed !== null && (parsed as { sample?: unknown }).sample === true;
  } catch {
    // `value` is free text for other kinds of additional information: not a sample marker.
    return false;
  }
}

/** Every remote address of the finding's action, IPv4 and IPv6, with the direction of the traffic. */
function remoteIps(f: GuardDutyFindingJson): RemoteIp[] {
  const action = f.service?.action;
  const found: RemoteIp[] = [];
  const add = (details: { ipAddressV4?: string; ipAddressV6?: string } | undefined, direction: RemoteIp['direction']): void => {
    for (const ip of [details?.ipAddressV4, details?.ipAddressV6]) if (ip && !found.some((r) => r.ip === ip)) found.push({ ip, direction });
  };
  const net = action?.networkConnectionAction;
  if (net) {
    const dir = net.connectionDirection === 'INBOUND' || net.connectionDirection === 'OUTBOUND' ? net.connectionDirection : 'UNKNOWN';
    add(net.remoteIpDetails, dir);
  }
  for (const probe of action?.portProbeAction?.portProbeDetails ?? []) add(probe.remoteIpDetails, 'INBOUND');
  add(action?.awsApiCallAction?.remoteIpDetails, 'INBOUND');
  add(action?.kubernetesApiCallAction?.remoteIpDetails, 'INBOUND');
  add(action?.rdsLoginAttemptAction?.remoteIpDetails, 'INBOUND');
  return found;
}

/** The domain a DNS finding names (EC2 and Runtime Monitoring DNS findings alike put it in `dnsRequestAction`). */
function domainsOf(f: GuardDutyFindingJson): Pick<Finding, 'domains'> {
  const domain = f.service?.action?.dnsRequestAction?.domain?.trim();
  return domain ? { domains: [domain] } : {};
}

/** `AccountId` → `accountId`, recursively: the SDK's/CLI's GetFindings shape back to the wire shape. */
export function camelCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelCaseKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k.charAt(0).toLowerCase() + k.slice(1)] = camelCaseKeys(v);
  }
  return out;
}
