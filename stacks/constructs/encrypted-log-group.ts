import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** Props of an encrypted log group. */
export interface EncryptedLogGroupProps {
  /** Customer managed key CloudWatch Logs encrypts the group with. */
  readonly key: IKey;
  /** Retention, in days (one of CloudWatch Logs' periods; stacks/config.ts validates it). */
  readonly retentionDays: number;
}

/**
 * A log group (created as `id` in `scope`) encrypted with `key`, with its
 * retention, and the key policy statement that lets CloudWatch Logs of this
 * region use the key for this account's log groups only (the encryption
 * context names the log group). The group goes with its stack; the key, if
 * retained, keeps old exports readable.
 */
export function createEncryptedLogGroup(scope: Construct, id: string, props: EncryptedLogGroupProps): LogGroup {
  props.key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'CloudWatchLogsEncryptThisAccountsLogGroups',
      principals: [new ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*` },
      },
    }),
  );
  return new LogGroup(scope, id, {
    retention: props.retentionDays as RetentionDays,
    encryptionKey: props.key,
    removalPolicy: RemovalPolicy.DESTROY,
  });
}
