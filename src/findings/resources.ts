/**
 * What a GuardDuty finding names, beyond instances, keys and buckets (pure):
 * Lambda functions, ECS tasks, Kubernetes users, RDS databases, S3 objects,
 * snapshots, AMIs and recovery points, and the resources of an attack
 * sequence, each as the fields its actions read.
 */
import {
  NO_SUBJECT,
  type FindingAccessKey,
  type FindingBackupResource,
  type FindingKubernetes,
  type FindingObject,
  type FindingResource,
  type FindingSubject,
  type FindingTask,
} from './finding';
import type { GuardDutyFindingJson } from './guardduty-schema';

type Resource = GuardDutyFindingJson['resource'];
type SequenceResource = NonNullable<
  NonNullable<NonNullable<NonNullable<GuardDutyFindingJson['service']>['detection']>['sequence']>['resources']
>[number];

/** The last part of an ARN's resource (`…:function:name` → `name`, `…:snapshot/snap-1` → `snap-1`). */
function lastSegment(arnOrId: string): string {
  return arnOrId.split(/[:/]/).pop() ?? arnOrId;
}

/** An ECS task's cluster from its long ARN (`…:task/<cluster>/<id>`), if it has one. */
function clusterOfTask(taskArn: string): string | undefined {
  const parts = /:task\/([^/]+)\/[^/]+$/.exec(taskArn);
  return parts?.[1];
}

/** The ECS task of a finding (`ecsClusterDetails.taskDetails`). */
function taskOf(resource: Resource): FindingTask | undefined {
  const cluster = resource.ecsClusterDetails;
  const arn = cluster?.taskDetails?.arn;
  if (!arn) return undefined;
  return { taskArn: arn, cluster: cluster.arn ?? cluster.name ?? clusterOfTask(arn), launchType: cluster.taskDetails?.launchType };
}

/** Who called the Kubernetes API, and the cluster and workload. */
function kubernetesOf(resource: Resource): FindingKubernetes | undefined {
  const eks = resource.eksClusterDetails;
  const k8s = resource.kubernetesDetails;
  if (!eks && !k8s) return undefined;
  const workload = k8s?.kubernetesWorkloadDetails;
  return {
    clusterName: eks?.name,
    clusterArn: eks?.arn,
    username: k8s?.kubernetesUserDetails?.username,
    groups: k8s?.kubernetesUserDetails?.groups ?? [],
    workload: workload?.name ? `${workload.namespace ?? 'default'}/${workload.name}` : undefined,
    serviceAccount: workload?.serviceAccountName
      ? { namespace: workload.namespace ?? 'default', name: workload.serviceAccountName }
      : undefined,
  };
}

/**
 * The IAM principal behind a Kubernetes user, when EKS names it by its ARN
 * (access entries and `aws-auth` mappings keep the IAM ARN as the username:
 * `arn:aws:iam::<account>:user/<name>`, `arn:aws:iam::<account>:role/<name>`,
 * `arn:aws:sts::<account>:assumed-role/<role>/<session>`), and only in the
 * finding's own account (cordon's member role acts there). A role is always
 * revoked role-wide: the session name is the caller's choice. Any other
 * username (a service account, a certificate user, a mapped alias) names no
 * IAM principal cordon can contain.
 */
export function kubernetesPrincipal(username: string | undefined, accountId: string): FindingAccessKey | undefined {
  const m = /^arn:aws[a-z-]*:(iam|sts)::(\d{12}):(user|role|assumed-role)\/(.+)$/.exec(username ?? '');
  if (!m || m[2] !== accountId) return undefined;
  const [, , , kind, rest = ''] = m;
  if (kind === 'user') return { accessKeyId: undefined, userName: lastSegment(rest), userType: 'IAMUser', principalId: undefined };
  // `role/<path>/<name>`: the name is the last segment; `assumed-role/<name>/<session>`: the first.
  const roleName = kind === 'role' ? lastSegment(rest) : (rest.split('/')[0] ?? rest);
  return { accessKeyId: undefined, userName: roleName, userType: 'AssumedRole', principalId: undefined };
}

/** The malware-scanned backup artefact of a finding (`ebsSnapshotDetails`, `ec2ImageDetails`, `recoveryPointDetails`). */
function backupOf(resource: Resource): FindingBackupResource | undefined {
  const snapshot = resource.ebsSnapshotDetails?.snapshotArn;
  if (snapshot) return { kind: 'ebs-snapshot', arn: snapshot, id: lastSegment(snapshot) };
  const image = resource.ec2ImageDetails?.imageArn;
  if (image) return { kind: 'ec2-image', arn: image, id: lastSegment(image) };
  const point = resource.recoveryPointDetails?.recoveryPointArn;
  if (point) return { kind: 'recovery-point', arn: point, id: point };
  return undefined;
}

/** The subject fields a single finding's resource gives, beyond instance, key and buckets. */
export function extendedSubject(f: GuardDutyFindingJson): Pick<
  FindingSubject,
  'objects' | 'lambda' | 'task' | 'kubernetes' | 'database' | 'backup'
> & {
  readonly kubernetesPrincipal: FindingAccessKey | undefined;
} {
  const r = f.resource;
  const lambda = r.lambdaDetails?.functionName
    ? { functionName: r.lambdaDetails.functionName, functionArn: r.lambdaDetails.functionArn }
    : undefined;
  const db = r.rdsDbInstanceDetails;
  const login = f.service?.action?.rdsLoginAttemptAction;
  const user = r.rdsDbUserDetails?.user ?? (login?.LoginAttributes ?? login?.loginAttributes)?.[0]?.user;
  const objects: FindingObject[] = (r.s3BucketDetails ?? []).flatMap((b) =>
    (b.s3ObjectDetails ?? []).flatMap((o) => (b.name && o.key ? [{ bucket: b.name, key: o.key, versionId: o.versionId }] : [])),
  );
  const kubernetes = kubernetesOf(r);
  return {
    objects,
    lambda,
    task: taskOf(r),
    kubernetes,
    database: db?.dbInstanceIdentifier
      ? { instanceId: db.dbInstanceIdentifier, clusterId: db.dbClusterIdentifier, arn: db.dbInstanceArn, user }
      : undefined,
    backup: backupOf(r),
    kubernetesPrincipal: kubernetesPrincipal(kubernetes?.username, f.accountId),
  };
}

/** The `s3://bucket/key` of an object resource of a sequence (`arn:aws:s3:::bucket/key`, or `bucket/key`). */
function objectOf(uid: string, key: string | undefined, versionId: string | undefined): FindingObject | undefined {
  const path = uid.replace(/^arn:aws[a-z-]*:s3:::/, '');
  const slash = path.indexOf('/');
  if (slash <= 0) return undefined;
  return { bucket: path.slice(0, slash), key: key ?? path.slice(slash + 1), versionId };
}

/** The subject of one attack-sequence resource, or why cordon has none for it. */
function sequenceSubject(r: SequenceResource): { subject: FindingSubject } | { uncontained: string } {
  const tags: Record<string, string> = {};
  for (const t of r.tags ?? []) if (t.key !== undefined) tags[t.key] = t.value ?? '';
  switch (r.resourceType) {
    case 'EC2_INSTANCE':
      return { subject: { ...NO_SUBJECT, instance: { instanceId: lastSegment(r.uid), networkInterfaces: [], tags } } };
    case 'ACCESS_KEY': {
      const key = r.data?.accessKey;
      const accessKey = {
        accessKeyId: lastSegment(r.uid),
        userName: key?.userName,
        userType: key?.userType,
        principalId: key?.principalId,
      };
      return { subject: { ...NO_SUBJECT, accessKey } };
    }
    case 'S3_BUCKET':
      return { subject: { ...NO_SUBJECT, buckets: [r.name ?? lastSegment(r.uid)] } };
    case 'S3_OBJECT': {
      const object = objectOf(r.uid, r.data?.s3Object?.key, r.data?.s3Object?.versionId);
      return object ? { subject: { ...NO_SUBJECT, objects: [object] } } : { uncontained: `S3 object ${r.uid} names no bucket` };
    }
    case 'ECS_TASK':
      return {
        subject: { ...NO_SUBJECT, task: { taskArn: r.uid, cluster: clusterOfTask(r.uid), launchType: r.data?.ecsTask?.launchType } },
      };
    default:
      return { uncontained: `cordon has no action for ${r.resourceType} resources` };
  }
}

/**
 * The resources an attack sequence names, each with its own subject; a
 * resource of another account than the finding's, or of a type cordon has
 * no action for, has none and says why.
 */
export function sequenceResources(resources: readonly SequenceResource[], accountId: string, region: string): FindingResource[] {
  const seen = new Set<string>();
  return resources.flatMap((r) => {
    const key = `${r.resourceType}|${r.uid}`;
    if (seen.has(key)) return [];
    seen.add(key);
    const elsewhere = r.region && r.region !== region ? r.region : undefined;
    const base = { type: r.resourceType, uid: r.uid, region: elsewhere };
    if (r.accountId && r.accountId !== accountId)
      return [
        {
          ...base,
          subject: undefined,
          uncontained: `in account ${r.accountId}, not the finding's (${accountId}): cordon acts in the finding's account only`,
        },
      ];
    const named = sequenceSubject(r);
    return [
      {
        ...base,
        subject: 'subject' in named ? named.subject : undefined,
        uncontained: 'uncontained' in named ? named.uncontained : undefined,
      },
    ];
  });
}
