import { z } from 'zod';

/**
 * A finding in the AWS Security Finding Format, as Security Hub puts it in
 * its EventBridge events. Only the fields cordon needs are checked.
 *
 * @example
 * { "SchemaVersion": "2018-10-08",
 *   "Id": "arn:aws:guardduty:us-east-1:111122223333:detector/12abc34d/finding/16afba5c",
 *   "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/guardduty",
 *   "AwsAccountId": "111122223333", "Region": "us-east-1",
 *   "Types": ["TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS"],
 *   "Workflow": { "Status": "NEW" }, "RecordState": "ACTIVE",
 *   "ProductFields": { "aws/guardduty/service/count": "3" }, "Severity": { "Label": "HIGH", "Normalized": 80 } }
 */
export const asffFindingSchema = z.looseObject({
  Id: z.string().min(1),
  ProductArn: z.string().min(1),
  AwsAccountId: z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id'),
  Region: z.string().optional(),
  Types: z.array(z.string()).optional(),
  ProductName: z.string().optional(),
  Workflow: z.looseObject({ Status: z.string().optional() }).optional(),
  Note: z.looseObject({ Text: z.string().optional(), UpdatedBy: z.string().optional(), UpdatedAt: z.string().optional() }).optional(),
  UpdatedAt: z.string().optional(),
  UserDefinedFields: z.record(z.string(), z.string()).optional(),
  ProductFields: z.record(z.string(), z.string()).optional(),
});

/**
 * A Security Hub EventBridge event: a custom action an analyst picked, or findings imported.
 *
 * @example
 * { "detail-type": "Security Hub Findings - Custom Action", "source": "aws.securityhub", "region": "us-east-1",
 *   "resources": ["arn:aws:securityhub:us-east-1:999988887777:action/custom/isolate-ec2"],
 *   "detail": { "actionName": "Isolate EC2", "actionDescription": "…", "findings": [ …ASFF… ] } }
 */
export const securityHubEventSchema = z.looseObject({
  'detail-type': z.enum(['Security Hub Findings - Custom Action', 'Security Hub Findings - Imported']),
  source: z.literal('aws.securityhub'),
  resources: z.array(z.string()).optional(),
  detail: z.looseObject({
    actionName: z.string().optional(),
    findings: z.array(z.unknown()).min(1, 'expected at least one finding'),
  }),
});
