/**
 * The one Finding type every later step works on, whatever the input was
 * (GuardDuty EventBridge event, Security Hub event, bare GuardDuty finding).
 */

/** `UpdatedBy` on every Security Hub note cordon writes. */
export const CORDON_UPDATED_BY = 'cordon';

/** Where cordon learned about a finding; it changes the decision rules. */
export type FindingOrigin =
  | { readonly kind: 'guardduty' }
  | {
      /** An analyst picked a Security Hub custom action on this finding. */
      readonly kind: 'custom-action';
      readonly actionName: string;
      /** `arn:aws:securityhub:<region>:<account>:action/custom/<id>` */
      readonly actionArn: string | undefined;
      /** The finding's current Security Hub note when an analyst (not cordon) wrote it. */
      readonly analystNote?: string;
    }
  | {
      /** A "Security Hub Findings - Imported" event. */
      readonly kind: 'imported';
      readonly workflowStatus: string;
      /** `UpdatedBy` of the finding's current note, if any. */
      readonly noteUpdatedBy: string | undefined;
      /** When that note was written. */
      readonly noteUpdatedAt: string | undefined;
      /** When the finding itself was last updated by GuardDuty (ASFF `UpdatedAt`). */
      readonly findingUpdatedAt: string | undefined;
    };

/** A network interface of the instance in the finding. */
export interface FindingInterface {
  readonly networkInterfaceId: string;
  readonly subnetId: string | undefined;
  readonly vpcId: string | undefined;
  readonly securityGroupIds: readonly string[];
}

/** The EC2 instance a finding is about. */
export interface FindingInstance {
  readonly instanceId: string;
  readonly networkInterfaces: readonly FindingInterface[];
  readonly tags: Readonly<Record<string, string>>;
}

/** The credentials a finding is about (`resource.accessKeyDetails`). */
export interface FindingAccessKey {
  readonly accessKeyId: string | undefined;
  readonly userName: string | undefined;
  /** `IAMUser`, `AssumedRole`, `Root`, `FederatedUser`… */
  readonly userType: string | undefined;
  readonly principalId: string | undefined;
}

/** The Lambda function a finding is about (`resource.lambdaDetails`). */
export interface FindingFunction {
  readonly functionName: string;
  readonly functionArn: string | undefined;
}

/** The ECS task a finding is about (`resource.ecsClusterDetails.taskDetails`, or an attack sequence's `ECS_TASK`). */
export interface FindingTask {
  readonly taskArn: string;
  /** The cluster's name or ARN (from the finding, else from the task's long ARN `task/<cluster>/<id>`). */
  readonly cluster: string | undefined;
  /** `FARGATE`, `EC2`… as GuardDuty reports it. */
  readonly launchType: string | undefined;
}

/** Who called the Kubernetes API in an EKS audit-log finding, and the workload concerned. */
export interface FindingKubernetes {
  readonly clusterName: string | undefined;
  readonly clusterArn: string | undefined;
  readonly username: string | undefined;
  readonly groups: readonly string[];
  /** `namespace/name` of the pod (or other workload), when the finding names one. */
  readonly workload: string | undefined;
  /**
   * The workload's namespace and Kubernetes service account, when the finding
   * names them: EKS Pod Identity maps (cluster, namespace, service account) to
   * the IAM role its pods receive.
   */
  readonly serviceAccount: { readonly namespace: string; readonly name: string } | undefined;
}

/** The RDS database a login-activity finding is about, and the database user. */
export interface FindingDatabase {
  readonly instanceId: string;
  /** Set for an Aurora instance: snapshots and security groups are the cluster's. */
  readonly clusterId: string | undefined;
  readonly arn: string | undefined;
  readonly user: string | undefined;
}

/** An S3 object a Malware Protection for S3 finding names. */
export interface FindingObject {
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string | undefined;
}

/** An EBS snapshot, AMI or recovery point that Malware Protection for Backup found malware in. */
export interface FindingBackupResource {
  readonly kind: 'ebs-snapshot' | 'ec2-image' | 'recovery-point';
  readonly arn: string;
  /** `snap-…` or `ami-…` from the ARN; the ARN itself for a recovery point. */
  readonly id: string;
}

/**
 * The fields of a Finding that name the resource(s) it is about: what each
 * action reads to find its target. An attack sequence's resources are each
 * described by one of these, naming that resource alone.
 */
export interface FindingSubject {
  readonly instance: FindingInstance | undefined;
  readonly accessKey: FindingAccessKey | undefined;
  readonly buckets: readonly string[];
  readonly objects: readonly FindingObject[];
  readonly lambda: FindingFunction | undefined;
  readonly task: FindingTask | undefined;
  readonly kubernetes: FindingKubernetes | undefined;
  readonly database: FindingDatabase | undefined;
  readonly backup: FindingBackupResource | undefined;
}

/** A finding's subject that names nothing (what a sequence resource's own subject is laid over). */
export const NO_SUBJECT: FindingSubject = {
  instance: undefined,
  accessKey: undefined,
  buckets: [],
  objects: [],
  lambda: undefined,
  task: undefined,
  kubernetes: undefined,
  database: undefined,
  backup: undefined,
};

/**
 * One resource a finding names: GuardDuty's type for it (an attack
 * sequence's `ResourceV2.resourceType`, such as `EC2_INSTANCE`,
 * `ACCESS_KEY`, `ECS_TASK`; a single finding's `resource.resourceType`), its
 * id, and the finding's fields as they name that resource alone (undefined
 * when cordon has no action for resources of that type).
 */
export interface FindingResource {
  readonly type: string;
  readonly uid: string;
  /** Set when the resource is in another region than the finding (an attack sequence spans regions). */
  readonly region: string | undefined;
  readonly subject: FindingSubject | undefined;
  /** Why cordon cannot contain it, when `subject` is undefined. */
  readonly uncontained: string | undefined;
}

/** A remote address seen in the finding and the direction of the traffic. */
export interface RemoteIp {
  readonly ip: string;
  readonly direction: 'INBOUND' | 'OUTBOUND' | 'UNKNOWN';
}

/** A GuardDuty finding, normalized. */
export interface Finding extends FindingSubject {
  readonly id: string;
  /** The finding ARN: also its Security Hub id. */
  readonly arn: string;
  readonly detectorId: string | undefined;
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  readonly type: string;
  readonly severity: number;
  readonly title: string;
  /** How many times GuardDuty saw the activity; grows when a finding is re-published. */
  readonly count: number;
  readonly archived: boolean;
  /** A sample GuardDuty made (`CreateSampleFindings`, `service.additionalInfo.sample`): never acted on. */
  readonly sample: boolean;
  readonly updatedAt: string | undefined;
  /** When GuardDuty created the finding (`createdAt`): its first delivery can be no earlier. */
  readonly createdAt?: string;
  /** When GuardDuty last saw the activity (`service.eventLastSeen`, else `updatedAt`). */
  readonly lastSeenAt: string | undefined;
  /** `TARGET` when the resource was attacked, `ACTOR` when it attacked. */
  readonly resourceRole: 'TARGET' | 'ACTOR' | undefined;
  readonly resourceType: string;
  readonly remoteIps: readonly RemoteIp[];
  /**
   * Domains the finding's resource queried (`service.action.dnsRequestAction.domain`: DNS findings of EC2
   * and of Runtime Monitoring). Absent: none.
   */
  readonly domains?: readonly string[];
  /**
   * The resources the finding names, each contained by its type's actions:
   * one for a single finding (the finding's own subject), one per resource of
   * an attack sequence (`service.detection.sequence.resources`).
   */
  readonly resources: readonly FindingResource[];
  /** Set for an attack sequence (Extended Threat Detection): its id. */
  readonly sequence: string | undefined;
  readonly origin: FindingOrigin;
}

/** Product ARN of GuardDuty in Security Hub for a region. */
export function guardDutyProductArn(region: string, partition = 'aws'): string {
  return `arn:${partition}:securityhub:${region}::product/aws/guardduty`;
}

/** The new Security Hub's product uid of GuardDuty in a region (OCSF `metadata.product.uid`). */
export function guardDutyProductV2Uid(region: string, partition = 'aws'): string {
  return `arn:${partition}:securityhub:${region}::productv2/aws/guardduty`;
}

/** How cordon's comments in the new Security Hub start: `[cordon <GuardDuty updatedAt handled>] `. */
const CORDON_COMMENT = /^\[cordon (\S+)\] /;

/** The start of cordon's comment in the new Security Hub, naming the GuardDuty update it handled (`-` when unknown). */
export function cordonComment(findingUpdatedAt: string | undefined): string {
  return `[cordon ${findingUpdatedAt ?? '-'}] `;
}

/** The GuardDuty update a comment of cordon's handled, or undefined when the comment is not cordon's (an analyst's, or none). */
export function cordonCommentUpdate(comment: string | undefined): string | undefined {
  return comment === undefined ? undefined : CORDON_COMMENT.exec(comment)?.[1];
}
