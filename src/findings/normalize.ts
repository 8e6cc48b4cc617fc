import type { Finding, FindingInterface, FindingOrigin, RemoteIp } from './finding';
import type { GuardDutyFindingJson } from './guardduty-schema';

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
    lastSeenAt: f.service?.eventLastSeen ?? f.updatedAt,
    resourceRole: role === 'TARGET' || role === 'ACTOR' ? role : undefined,
    resourceType: f.resource.resourceType,
    instance: details?.instanceId ? { instanceId: details.instanceId, networkInterfaces: interfaces, tags } : undefined,
    accessKey: key
      ? { accessKeyId: key.accessKeyId, userName: key.userName, userType: key.userType, principalId: key.principalId }
      : undefined,
    buckets: (f.resource.s3BucketDetails ?? []).flatMap((b) => (b.name ? [b.name] : [])),
    remoteIps: remoteIps(f),
    ...domainsOf(f),
    origin,
  };
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
