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

/** A remote address seen in the finding and the direction of the traffic. */
export interface RemoteIp {
  readonly ip: string;
  readonly direction: 'INBOUND' | 'OUTBOUND' | 'UNKNOWN';
}

/** A GuardDuty finding, normalized. */
export interface Finding {
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
  /** When GuardDuty last saw the activity (`service.eventLastSeen`, else `updatedAt`). */
  readonly lastSeenAt: string | undefined;
  /** `TARGET` when the resource was attacked, `ACTOR` when it attacked. */
  readonly resourceRole: 'TARGET' | 'ACTOR' | undefined;
  readonly resourceType: string;
  readonly instance: FindingInstance | undefined;
  readonly accessKey: FindingAccessKey | undefined;
  readonly buckets: readonly string[];
  readonly remoteIps: readonly RemoteIp[];
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
