import { z } from 'zod';
import {
  backupResourceSchemas,
  containerDetailsSchema,
  ecsClusterDetailsSchema,
  eksClusterDetailsSchema,
  kubernetesDetailsSchema,
  lambdaDetailsSchema,
  rdsDbInstanceDetailsSchema,
  rdsDbUserDetailsSchema,
  runtimeDetailsSchema,
  s3ObjectDetailSchema,
  sequenceSchema,
  tagsSchema,
} from './resource-schemas';

const loginAttributes = z.array(z.looseObject({ user: z.string().optional() })).optional();

const remoteIpDetails = z.looseObject({ ipAddressV4: z.string().optional(), ipAddressV6: z.string().optional() }).optional();

/**
 * A GuardDuty finding as it appears in an EventBridge event's `detail` and on
 * the wire of `GetFindings` (camelCase). Only what cordon reads is checked;
 * everything else passes through untouched.
 *
 * @example
 * {
 *   "schemaVersion": "2.0", "accountId": "111122223333", "region": "us-east-1", "partition": "aws",
 *   "id": "16afba5c5c43e07c9e3e5e2e544e95df",
 *   "arn": "arn:aws:guardduty:us-east-1:111122223333:detector/12abc34d/finding/16afba5c5c43e07c9e3e5e2e544e95df",
 *   "type": "CryptoCurrency:EC2/BitcoinTool.B!DNS", "severity": 8, "title": "...", "description": "...",
 *   "createdAt": "2026-11-20T10:00:00.000Z", "updatedAt": "2026-11-20T10:05:00.000Z",
 *   "resource": { "resourceType": "Instance", "instanceDetails": { "instanceId": "i-0abc...", "networkInterfaces": [...], "tags": [...] } },
 *   "service": { "serviceName": "guardduty", "detectorId": "12abc34d", "count": 3, "archived": false, "resourceRole": "TARGET",
 *                "action": { "actionType": "DNS_REQUEST", "dnsRequestAction": { "domain": "pool.example" } } }
 * }
 */
export const guardDutyFindingSchema = z.looseObject({
  schemaVersion: z.string().optional(),
  accountId: z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as us-east-1'),
  partition: z.string().optional(),
  id: z.string().min(1).max(300),
  arn: z.string().startsWith('arn:', 'expected a GuardDuty finding ARN'),
  type: z
    .string()
    .min(3)
    .max(100)
    .regex(/^[A-Za-z0-9]+:[A-Za-z0-9]+\/\S+$/, 'expected a GuardDuty finding type such as Backdoor:EC2/C&CActivity.B'),
  severity: z.number().min(0).max(10),
  title: z.string().optional(),
  description: z.string().optional(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  resource: z.looseObject({
    resourceType: z.string().min(1),
    instanceDetails: z
      .looseObject({
        instanceId: z.string().optional(),
        networkInterfaces: z
          .array(
            z.looseObject({
              networkInterfaceId: z.string().optional(),
              subnetId: z.string().optional(),
              vpcId: z.string().optional(),
              securityGroups: z.array(z.looseObject({ groupId: z.string().optional() })).optional(),
            }),
          )
          .optional(),
        tags: tagsSchema.optional(),
      })
      .optional(),
    accessKeyDetails: z
      .looseObject({
        accessKeyId: z.string().optional(),
        userName: z.string().optional(),
        userType: z.string().optional(),
        principalId: z.string().optional(),
      })
      .optional(),
    s3BucketDetails: z
      .array(z.looseObject({ name: z.string().optional(), s3ObjectDetails: z.array(s3ObjectDetailSchema).optional() }))
      .optional(),
    lambdaDetails: lambdaDetailsSchema.optional(),
    ecsClusterDetails: ecsClusterDetailsSchema.optional(),
    containerDetails: containerDetailsSchema.optional(),
    eksClusterDetails: eksClusterDetailsSchema.optional(),
    kubernetesDetails: kubernetesDetailsSchema.optional(),
    rdsDbInstanceDetails: rdsDbInstanceDetailsSchema.optional(),
    rdsDbUserDetails: rdsDbUserDetailsSchema.optional(),
    ebsSnapshotDetails: backupResourceSchemas.ebsSnapshotDetails.optional(),
    ec2ImageDetails: backupResourceSchemas.ec2ImageDetails.optional(),
    recoveryPointDetails: backupResourceSchemas.recoveryPointDetails.optional(),
  }),
  service: z
    .looseObject({
      detectorId: z.string().optional(),
      count: z.number().int().min(0).optional(),
      archived: z.boolean().optional(),
      eventLastSeen: z.string().optional(),
      resourceRole: z.string().optional(),
      /**
       * `sample: true` marks a finding CreateSampleFindings made (as events carry it); GetFindings
       * returns the same flag inside `value`, a JSON text (`{"sample":true}`).
       */
      additionalInfo: z.looseObject({ sample: z.union([z.boolean(), z.string()]).optional(), value: z.string().optional() }).optional(),
      action: z
        .looseObject({
          actionType: z.string().optional(),
          networkConnectionAction: z.looseObject({ connectionDirection: z.string().optional(), remoteIpDetails }).optional(),
          dnsRequestAction: z.looseObject({ domain: z.string().optional() }).optional(),
          awsApiCallAction: z.looseObject({ remoteIpDetails }).optional(),
          kubernetesApiCallAction: z.looseObject({ remoteIpDetails }).optional(),
          // The model's wire name is `LoginAttributes`; a GetFindings answer camel-cased by cordon reads `loginAttributes`.
          rdsLoginAttemptAction: z.looseObject({ remoteIpDetails, LoginAttributes: loginAttributes, loginAttributes }).optional(),
          portProbeAction: z.looseObject({ portProbeDetails: z.array(z.looseObject({ remoteIpDetails })).optional() }).optional(),
        })
        .optional(),
      runtimeDetails: runtimeDetailsSchema.optional(),
      detection: z.looseObject({ sequence: sequenceSchema.optional() }).optional(),
    })
    .optional(),
});

/** A GuardDuty finding after validation. */
export type GuardDutyFindingJson = z.infer<typeof guardDutyFindingSchema>;
