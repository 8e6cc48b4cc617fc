/**
 * Exemptions the deployment configures (pure): by resource ARN and by OU.
 * Unlike the exemption tag, which whoever may tag a resource can set, these
 * live in the responder's configuration, which no workload can change.
 */
import type { Finding } from '../findings/finding';

/** The kinds of resources a runbook's actions touch (as far as exemptions go). */
export type ResourceKind = 'instance' | 'user' | 'role' | 'bucket' | 'function' | 'task' | 'database' | 'object' | 'backup' | 'cluster';

/** A resource a finding names, as an ARN. */
export interface NamedResource {
  readonly kind: ResourceKind;
  readonly arn: string;
}

/** What `namedResources` reads of a finding. */
type Named = Pick<
  Finding,
  'partition' | 'region' | 'accountId' | 'instance' | 'accessKey' | 'buckets' | 'lambda' | 'task' | 'database' | 'objects' | 'backup' | 'kubernetes'
>;

/**
 * The resources a finding names, as ARNs: its instance, its IAM user or role
 * (without path: GuardDuty gives the name only, so a pattern for a user or
 * role with a path should use `*`, e.g. `arn:aws:iam::*:user/*break-glass`),
 * its buckets and objects, its Lambda function, ECS task, RDS database
 * (instance, and Aurora cluster), snapshot, AMI or recovery point, and EKS cluster.
 */
export function namedResources(finding: Named): NamedResource[] {
  const { partition: p, region, accountId } = finding;
  const named: NamedResource[] = [];
  if (finding.instance) named.push({ kind: 'instance', arn: `arn:${p}:ec2:${region}:${accountId}:instance/${finding.instance.instanceId}` });
  const key = finding.accessKey;
  if (key?.userName && key.userType === 'IAMUser') named.push({ kind: 'user', arn: `arn:${p}:iam::${accountId}:user/${key.userName}` });
  if (key?.userName && key.userType === 'AssumedRole') named.push({ kind: 'role', arn: `arn:${p}:iam::${accountId}:role/${key.userName}` });
  for (const bucket of finding.buckets) named.push({ kind: 'bucket', arn: `arn:${p}:s3:::${bucket}` });
  for (const o of finding.objects) named.push({ kind: 'object', arn: `arn:${p}:s3:::${o.bucket}/${o.key}` });
  if (finding.lambda)
    named.push({ kind: 'function', arn: finding.lambda.functionArn ?? `arn:${p}:lambda:${region}:${accountId}:function:${finding.lambda.functionName}` });
  if (finding.task) named.push({ kind: 'task', arn: finding.task.taskArn });
  const db = finding.database;
  if (db) {
    named.push({ kind: 'database', arn: db.arn ?? `arn:${p}:rds:${region}:${accountId}:db:${db.instanceId}` });
    if (db.clusterId) named.push({ kind: 'database', arn: `arn:${p}:rds:${region}:${accountId}:cluster:${db.clusterId}` });
  }
  if (finding.backup) named.push({ kind: 'backup', arn: finding.backup.arn });
  const cluster = finding.kubernetes;
  if (cluster?.clusterName)
    named.push({ kind: 'cluster', arn: cluster.clusterArn ?? `arn:${p}:eks:${region}:${accountId}:cluster/${cluster.clusterName}` });
  return named;
}

/** True when an ARN matches a pattern as IAM's ArnLike does: `*` any run of characters, `?` one, case-sensitive. */
export function arnMatches(pattern: string, arn: string): boolean {
  const re = new RegExp(`^${[...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`);
  return re.test(arn);
}

/**
 * Why a finding is exempt by resource ARN, or undefined: one of the resources
 * the runbook would touch (`kinds`) matches a configured pattern.
 */
export function resourceExemption(
  finding: Parameters<typeof namedResources>[0],
  kinds: ReadonlySet<ResourceKind>,
  patterns: readonly string[],
): string | undefined {
  for (const resource of namedResources(finding).filter((r) => kinds.has(r.kind))) {
    const pattern = patterns.find((p) => arnMatches(p, resource.arn));
    if (pattern) return `${resource.arn} is exempt (exemptResourceArns: ${pattern})`;
  }
  return undefined;
}

/**
 * Why an account is exempt by OU, or undefined (pure): `path` is the account's
 * parents from its own OU up to the root, as Organizations ListParents gives
 * them, so an OU exempts the OUs nested in it.
 */
export function ouExemption(accountId: string, path: readonly string[], exemptOus: ReadonlySet<string>): string | undefined {
  const ou = path.find((id) => exemptOus.has(id));
  return ou ? `account ${accountId} is in ${ou}${ou === path[0] ? '' : ` (through ${path.slice(0, path.indexOf(ou)).join(' → ')})`}, exempt (exemptOus)` : undefined;
}
