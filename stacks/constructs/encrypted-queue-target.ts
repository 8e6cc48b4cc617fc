import { Aws } from 'aws-cdk-lib';
import { CfnRule, type IRuleRef, type IRuleTarget, type RuleTargetConfig } from 'aws-cdk-lib/aws-events';
import { addToDeadLetterQueueResourcePolicy, bindBaseTargetConfig } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';

/** EventBridge's service principal. */
const EVENTS = 'events.amazonaws.com';

/**
 * What EventBridge needs of the KMS key of a queue it sends to (a target or
 * a dead-letter queue): `kms:Decrypt` and `kms:GenerateDataKey`, as the
 * EventBridge user guide lists them for encrypted SQS targets, from this
 * account only. CDK's own SQS target grants encrypt and decrypt
 * (`kms:Encrypt`, `kms:ReEncrypt*`, `kms:GenerateDataKey*` too); this grants
 * only what is used.
 */
export function allowEventBridgeToEncrypt(key: IKey, sid: string): void {
  key.addToResourcePolicy(
    new PolicyStatement({
      sid,
      principals: [new ServicePrincipal(EVENTS)],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    }),
  );
}

/**
 * An EventBridge rule target: an SQS queue encrypted with a customer managed
 * key, with a dead-letter queue for what EventBridge cannot deliver. The
 * queue policies let only this rule send (aws:SourceArn); the key policy is
 * the stack's to set, once, with {@link allowEventBridgeToEncrypt}.
 */
export class EncryptedQueueTarget implements IRuleTarget {
  public constructor(
    private readonly queue: IQueue,
    private readonly deadLetterQueue: IQueue,
  ) {}

  /** The target of `rule` (EventBridge calls; see IRuleTarget). */
  public bind(rule: IRuleRef): RuleTargetConfig {
    this.queue.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal(EVENTS)],
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': CfnRule.arnForRule(rule) } },
      }),
    );
    addToDeadLetterQueueResourcePolicy(rule, this.deadLetterQueue);
    return { ...bindBaseTargetConfig({ deadLetterQueue: this.deadLetterQueue }), arn: this.queue.queueArn, targetResource: this.queue };
  }
}
