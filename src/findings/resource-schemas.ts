/**
 * The parts of a GuardDuty finding that name containers, serverless
 * functions, databases, malware-scanned artefacts and attack sequences, as
 * botocore's `guardduty` model (2017-11-28) names them on the wire
 * (camelCase). Only what cordon reads is checked; the rest passes through.
 */
import { z } from 'zod';

/** `[{ key, value }]`, as GuardDuty reports a resource's tags. */
export const tagsSchema = z.array(z.looseObject({ key: z.string().optional(), value: z.string().optional() }));

/**
 * `resource.lambdaDetails` (Lambda Protection findings).
 * @example { "functionName": "orders-worker", "functionArn": "arn:aws:lambda:us-east-1:111122223333:function:orders-worker",
 *   "functionVersion": "$LATEST", "role": "arn:aws:iam::111122223333:role/orders-worker-role", "revisionId": "…" }
 */
export const lambdaDetailsSchema = z.looseObject({
  functionName: z.string().optional(),
  functionArn: z.string().optional(),
  functionVersion: z.string().optional(),
  role: z.string().optional(),
  tags: tagsSchema.optional(),
});

/**
 * `resource.ecsClusterDetails`, with the task of a Runtime Monitoring finding (`taskDetails`).
 * @example { "name": "payments", "arn": "arn:aws:ecs:us-east-1:111122223333:cluster/payments",
 *   "taskDetails": { "arn": "arn:aws:ecs:us-east-1:111122223333:task/payments/0a1b…", "launchType": "FARGATE",
 *   "definitionArn": "arn:aws:ecs:us-east-1:111122223333:task-definition/api:7", "containers": [{ "image": "…" }] } }
 */
export const ecsClusterDetailsSchema = z.looseObject({
  name: z.string().optional(),
  arn: z.string().optional(),
  taskDetails: z
    .looseObject({
      arn: z.string().optional(),
      definitionArn: z.string().optional(),
      launchType: z.string().optional(),
      group: z.string().optional(),
      containers: z.array(z.looseObject({ name: z.string().optional(), image: z.string().optional() })).optional(),
    })
    .optional(),
});

/** `resource.containerDetails` (a standalone container, or the container of a task or pod). */
export const containerDetailsSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  image: z.string().optional(),
  containerRuntime: z.string().optional(),
});

/** `resource.eksClusterDetails`. */
export const eksClusterDetailsSchema = z.looseObject({
  name: z.string().optional(),
  arn: z.string().optional(),
  vpcId: z.string().optional(),
});

/**
 * `resource.kubernetesDetails`: who called the Kubernetes API (EKS audit log
 * findings) and the workload (pod) concerned.
 * @example { "kubernetesUserDetails": { "username": "arn:aws:iam::111122223333:user/dev-alice",
 *   "uid": "aws-iam-authenticator:111122223333:AIDA…", "groups": ["system:authenticated"] },
 *   "kubernetesWorkloadDetails": { "name": "web-7d9f", "type": "pods", "namespace": "default", "serviceAccountName": "web" } }
 */
export const kubernetesDetailsSchema = z.looseObject({
  kubernetesUserDetails: z
    .looseObject({
      username: z.string().optional(),
      uid: z.string().optional(),
      groups: z.array(z.string()).optional(),
      sessionName: z.array(z.string()).optional(),
    })
    .optional(),
  kubernetesWorkloadDetails: z
    .looseObject({
      name: z.string().optional(),
      type: z.string().optional(),
      namespace: z.string().optional(),
      serviceAccountName: z.string().optional(),
    })
    .optional(),
});

/** `resource.rdsDbInstanceDetails` (RDS Protection findings: Aurora instances, and their cluster). */
export const rdsDbInstanceDetailsSchema = z.looseObject({
  dbInstanceIdentifier: z.string().optional(),
  dbClusterIdentifier: z.string().optional(),
  dbInstanceArn: z.string().optional(),
  engine: z.string().optional(),
  tags: tagsSchema.optional(),
});

/** `resource.rdsDbUserDetails`: the database user of the login activity. */
export const rdsDbUserDetailsSchema = z.looseObject({
  user: z.string().optional(),
  database: z.string().optional(),
  application: z.string().optional(),
  authMethod: z.string().optional(),
});

/** One object of `resource.s3BucketDetails[].s3ObjectDetails` (Malware Protection for S3). */
export const s3ObjectDetailSchema = z.looseObject({
  objectArn: z.string().optional(),
  key: z.string().optional(),
  eTag: z.string().optional(),
  hash: z.string().optional(),
  versionId: z.string().optional(),
});

/** `resource.ebsSnapshotDetails`, `resource.ec2ImageDetails`, `resource.recoveryPointDetails` (Malware Protection for Backup). */
export const backupResourceSchemas = {
  ebsSnapshotDetails: z.looseObject({ snapshotArn: z.string().optional() }),
  ec2ImageDetails: z.looseObject({ imageArn: z.string().optional() }),
  recoveryPointDetails: z.looseObject({ recoveryPointArn: z.string().optional(), backupVaultName: z.string().optional() }),
};

/**
 * One resource of an attack sequence (`ResourceV2`).
 * @example { "uid": "i-0abc…", "name": "web-1", "accountId": "111122223333", "region": "us-east-1",
 *   "resourceType": "EC2_INSTANCE", "service": "EC2", "cloudPartition": "aws",
 *   "data": { "ec2Instance": { "instanceState": "running", "ec2NetworkInterfaceUids": ["eni-0abc…"] } } }
 */
export const sequenceResourceSchema = z.looseObject({
  uid: z.string().min(1),
  name: z.string().optional(),
  accountId: z.string().optional(),
  region: z.string().optional(),
  resourceType: z.string().min(1),
  cloudPartition: z.string().optional(),
  tags: tagsSchema.optional(),
  data: z
    .looseObject({
      accessKey: z
        .looseObject({ principalId: z.string().optional(), userName: z.string().optional(), userType: z.string().optional() })
        .optional(),
      ecsTask: z.looseObject({ taskDefinitionArn: z.string().optional(), launchType: z.string().optional() }).optional(),
      s3Object: z.looseObject({ key: z.string().optional(), versionId: z.string().optional(), eTag: z.string().optional() }).optional(),
    })
    .optional(),
});

/**
 * `service.detection.sequence` (Extended Threat Detection).
 * @example { "uid": "…", "description": "…", "resources": [ … ], "signals": [ … ], "actors": [ … ], "endpoints": [ … ] }
 */
export const sequenceSchema = z.looseObject({
  uid: z.string().optional(),
  description: z.string().optional(),
  resources: z.array(sequenceResourceSchema).optional(),
  signals: z.array(z.looseObject({ uid: z.string().optional(), type: z.string().optional(), name: z.string().optional() })).optional(),
});

/** `service.runtimeDetails` (Runtime Monitoring): the process that acted. */
export const runtimeDetailsSchema = z.looseObject({
  process: z
    .looseObject({ name: z.string().optional(), executablePath: z.string().optional(), executableSha256: z.string().optional() })
    .optional(),
});
