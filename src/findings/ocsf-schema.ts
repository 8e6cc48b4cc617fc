import { z } from 'zod';

/**
 * A finding in OCSF (Detection Finding, class 2004) as the new Security Hub
 * puts it in its "Findings Imported V2" EventBridge events
 * (https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-v2-cwe-event-formats.html).
 * Only the fields cordon needs are checked. For a GuardDuty finding,
 * `finding_info.uid` is the finding's ARN, `finding_info.uid_alt` its id and
 * `metadata.product.uid` `arn:<partition>:securityhub:<region>::productv2/aws/guardduty`.
 *
 * @example
 * { "class_uid": 2004, "status_id": 1, "status": "New", "severity_id": 4, "comment": "…",
 *   "cloud": { "account": { "uid": "111122223333" }, "region": "us-east-1", "cloud_partition": "aws" },
 *   "finding_info": { "uid": "arn:aws:guardduty:us-east-1:111122223333:detector/12abc34d/finding/16afba5c",
 *     "uid_alt": "16afba5c", "types": ["Backdoor:EC2/C&CActivity.B!DNS"], "modified_time_dt": "2026-11-30T08:00:00.000Z" },
 *   "metadata": { "uid": "1d24e9…", "product": { "name": "GuardDuty", "vendor_name": "AWS",
 *     "uid": "arn:aws:securityhub:us-east-1::productv2/aws/guardduty" } } }
 */
export const ocsfFindingSchema = z.looseObject({
  status_id: z.number().int().optional(),
  status: z.string().optional(),
  comment: z.string().optional(),
  cloud: z.looseObject({
    account: z.looseObject({ uid: z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id') }),
    region: z.string().optional(),
    cloud_partition: z.string().optional(),
  }),
  finding_info: z.looseObject({
    uid: z.string().min(1),
    uid_alt: z.string().optional(),
    types: z.array(z.string()).optional(),
    modified_time_dt: z.string().optional(),
  }),
  metadata: z.looseObject({
    uid: z.string().optional(),
    product: z.looseObject({ uid: z.string().min(1), name: z.string().optional(), vendor_name: z.string().optional() }),
  }),
});

/**
 * The new Security Hub's EventBridge event: one finding, in OCSF.
 *
 * @example
 * { "detail-type": "Findings Imported V2", "source": "aws.securityhub", "account": "999988887777",
 *   "time": "2026-11-30T08:01:00Z", "region": "us-east-1", "resources": ["1d24e9…"],
 *   "detail": { "findings": [ …OCSF… ] } }
 */
export const securityHubV2EventSchema = z.looseObject({
  'detail-type': z.literal('Findings Imported V2'),
  source: z.literal('aws.securityhub'),
  detail: z.looseObject({ findings: z.array(z.unknown()).min(1, 'expected at least one finding') }),
});

/** OCSF `status_id` values BatchUpdateFindingsV2 accepts, by name (0 Unknown … 99 Other). */
export const OCSF_STATUS = { unknown: 0, new: 1, inProgress: 2, suppressed: 3, resolved: 4, archived: 5, other: 99 } as const;
