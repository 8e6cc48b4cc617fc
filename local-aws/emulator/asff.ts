/**
 * GuardDuty finding → Security Hub ASFF, as GuardDuty's Security Hub
 * integration sends it: Id is the finding ARN, ProductArn
 * `arn:<partition>:securityhub:<region>::product/aws/guardduty`, Types are
 * `<namespace>/<GuardDuty type with its first "/" replaced by "-">` (e.g.
 * `TTPs/Discovery/Recon:EC2-PortProbeUnprotectedPort`), severity keeps the
 * GuardDuty score as `Product` and `Normalized` = score × 10, and the
 * GuardDuty service fields travel as `aws/guardduty/service/*` product fields.
 */
import type { Finding } from '@aws-sdk/client-guardduty';
import type { AwsSecurityFinding, Resource, SeverityLabel } from '@aws-sdk/client-securityhub';

/** ASFF type namespace for each GuardDuty threat purpose (the part before ":"). */
const NAMESPACE_BY_THREAT_PURPOSE: Readonly<Record<string, string>> = {
  Backdoor: 'TTPs/Command and Control',
  Behavior: 'Unusual Behaviors',
  CredentialAccess: 'TTPs/Credential Access',
  CryptoCurrency: 'Effects/Resource Consumption',
  DefenseEvasion: 'TTPs/Defense Evasion',
  Discovery: 'TTPs/Discovery',
  Execution: 'TTPs/Execution',
  Exfiltration: 'Effects/Data Exfiltration',
  Impact: 'Effects/Resource Consumption',
  InitialAccess: 'TTPs/Initial Access',
  PenTest: 'TTPs/Discovery',
  Persistence: 'TTPs/Persistence',
  Policy: 'Software and Configuration Checks/Policy',
  PrivilegeEscalation: 'TTPs/Privilege Escalation',
  Recon: 'TTPs/Discovery',
  Stealth: 'TTPs/Defense Evasion',
  Trojan: 'TTPs/Command and Control',
  UnauthorizedAccess: 'TTPs/Initial Access',
};

/** The ASFF `Types` entry of a GuardDuty finding type. */
export function asffType(guardDutyType: string): string {
  const purpose = guardDutyType.split(':')[0] ?? '';
  const namespace = NAMESPACE_BY_THREAT_PURPOSE[purpose] ?? 'TTPs';
  return `${namespace}/${guardDutyType.replace('/', '-')}`;
}

/** GuardDuty's severity bands as ASFF labels. */
export function severityLabel(score: number): SeverityLabel {
  if (score >= 9) return 'CRITICAL';
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  if (score >= 1) return 'LOW';
  return 'INFORMATIONAL';
}

function tagsOf(tags: ReadonlyArray<{ Key?: string; Value?: string }> | undefined): Record<string, string> | undefined {
  if (!tags || tags.length === 0) return undefined;
  return Object.fromEntries(tags.filter((t) => t.Key !== undefined).map((t) => [t.Key ?? '', t.Value ?? '']));
}

function resourcesOf(f: Finding, partition: string, region: string, accountId: string): Resource[] {
  const resources: Resource[] = [];
  const r = f.Resource;
  const instance = r?.InstanceDetails;
  if (instance?.InstanceId) {
    const nics = instance.NetworkInterfaces ?? [];
    resources.push({
      Type: 'AwsEc2Instance',
      Id: `arn:${partition}:ec2:${region}:${accountId}:instance/${instance.InstanceId}`,
      Partition: partition as Resource['Partition'],
      Region: region,
      Tags: tagsOf(instance.Tags),
      Details: {
        AwsEc2Instance: {
          Type: instance.InstanceType,
          ImageId: instance.ImageId,
          IpV4Addresses: nics.flatMap((n) => [...(n.PrivateIpAddress ? [n.PrivateIpAddress] : []), ...(n.PublicIp ? [n.PublicIp] : [])]),
          IamInstanceProfileArn: instance.IamInstanceProfile?.Arn,
          VpcId: nics[0]?.VpcId,
          SubnetId: nics[0]?.SubnetId,
          LaunchedAt: instance.LaunchTime,
        },
      },
    });
  }
  const key = r?.AccessKeyDetails;
  if (key?.AccessKeyId) {
    resources.push({
      Type: 'AwsIamAccessKey',
      Id: `AWS::IAM::AccessKey:${key.AccessKeyId}`,
      Partition: partition as Resource['Partition'],
      Region: region,
      Details: {
        AwsIamAccessKey: {
          PrincipalId: key.PrincipalId,
          PrincipalName: key.UserName,
          PrincipalType: key.UserType,
          UserName: key.UserName,
        },
      },
    });
  }
  for (const bucket of r?.S3BucketDetails ?? []) {
    if (!bucket.Name && !bucket.Arn) continue;
    resources.push({
      Type: 'AwsS3Bucket',
      Id: bucket.Arn ?? `arn:${partition}:s3:::${bucket.Name ?? ''}`,
      Partition: partition as Resource['Partition'],
      Region: region,
      Tags: tagsOf(bucket.Tags),
      Details: {
        AwsS3Bucket: {
          OwnerId: bucket.Owner?.Id,
          CreatedAt: bucket.CreatedAt instanceof Date ? bucket.CreatedAt.toISOString() : undefined,
        },
      },
    });
  }
  if (resources.length === 0) {
    resources.push({
      Type: 'Other',
      Id: f.Arn ?? f.Id ?? 'unknown',
      Partition: partition as Resource['Partition'],
      Region: region,
      Details: { Other: { resourceType: r?.ResourceType ?? 'Unknown' } },
    });
  }
  return resources;
}

/** The ASFF finding GuardDuty sends to Security Hub for a GuardDuty finding (member form). */
export function guardDutyToAsff(f: Finding): AwsSecurityFinding {
  const partition = f.Partition ?? 'aws';
  const region = f.Region ?? '';
  const accountId = f.AccountId ?? '';
  const service = f.Service ?? {};
  const score = f.Severity ?? 0;
  const label = severityLabel(score);
  const types = [asffType(f.Type ?? 'Unknown')];
  const productFields: Record<string, string> = {
    'aws/guardduty/service/archived': String(service.Archived ?? false),
    'aws/guardduty/service/count': String(service.Count ?? 1),
    'aws/guardduty/service/detectorId': service.DetectorId ?? '',
    'aws/guardduty/service/serviceName': service.ServiceName ?? 'guardduty',
    'aws/securityhub/FindingId': `arn:${partition}:securityhub:${region}::product/aws/guardduty/${f.Arn ?? ''}`,
    'aws/securityhub/ProductName': 'GuardDuty',
    'aws/securityhub/CompanyName': 'Amazon',
  };
  if (service.ResourceRole) productFields['aws/guardduty/service/resourceRole'] = service.ResourceRole;
  if (service.EventFirstSeen) productFields['aws/guardduty/service/eventFirstSeen'] = service.EventFirstSeen;
  if (service.EventLastSeen) productFields['aws/guardduty/service/eventLastSeen'] = service.EventLastSeen;
  if (service.Action?.ActionType) productFields['aws/guardduty/service/action/actionType'] = service.Action.ActionType;
  return {
    SchemaVersion: '2018-10-08',
    Id: f.Arn ?? '',
    ProductArn: `arn:${partition}:securityhub:${region}::product/aws/guardduty`,
    ProductName: 'GuardDuty',
    CompanyName: 'Amazon',
    Region: region,
    GeneratorId: `arn:${partition}:guardduty:${region}:${accountId}:detector/${service.DetectorId ?? ''}`,
    AwsAccountId: accountId,
    Types: types,
    FirstObservedAt: service.EventFirstSeen ?? f.CreatedAt,
    LastObservedAt: service.EventLastSeen ?? f.UpdatedAt,
    CreatedAt: f.CreatedAt ?? '',
    UpdatedAt: f.UpdatedAt ?? '',
    Severity: { Product: score, Label: label, Normalized: Math.min(100, Math.round(score * 10)) },
    Title: f.Title ?? f.Type ?? 'GuardDuty finding',
    Description: f.Description ?? f.Title ?? f.Type ?? 'GuardDuty finding',
    SourceUrl: `https://console.aws.amazon.com/guardduty/home?region=${region}#/findings?macros=current&fId=${f.Id ?? ''}`,
    ProductFields: productFields,
    Resources: resourcesOf(f, partition, region, accountId),
    Workflow: { Status: 'NEW' },
    WorkflowState: 'NEW',
    RecordState: service.Archived ? 'ARCHIVED' : 'ACTIVE',
    FindingProviderFields: { Severity: { Label: label, Original: String(score) }, Types: types },
    Sample: false,
  };
}
