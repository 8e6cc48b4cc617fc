import { Annotations, Aws, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';

/** Props of an alarm topic. */
export interface AlarmTopicProps {
  /** Customer managed key the topic is encrypted with (CloudWatch cannot use an AWS managed key). */
  readonly key: IKey;
  /** Address subscribed to the topic. @default none: the stack warns that nobody is subscribed */
  readonly email?: string;
  /** Why nobody is subscribed, for the warning. @default 'cordon:alarmEmail is not set' */
  readonly noSubscriberReason?: string;
  /** @default 'cordon alarms' */
  readonly displayName?: string;
}

/**
 * An SNS topic the CloudWatch alarms of this account and region can publish
 * to, created as `id` in `scope`: encrypted with `key`, TLS only, and a topic
 * policy allowing `cloudwatch.amazonaws.com` to publish for this account's
 * alarms. A topic policy replaces SNS's default one (enforceSSL creates one),
 * so without that statement every alarm notification would be refused. Also
 * adds the key policy statement CloudWatch needs to encrypt with `key`.
 */
export function createAlarmTopic(scope: Construct, id: string, props: AlarmTopicProps): Topic {
  const topic = new Topic(scope, id, { displayName: props.displayName ?? 'cordon alarms', masterKey: props.key, enforceSSL: true });
  topic.addToResourcePolicy(
    new PolicyStatement({
      sid: 'CloudWatchAlarmsPublish',
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
      },
    }),
  );
  props.key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'CloudWatchAlarmsToEncryptedTopic',
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    }),
  );
  if (props.email) {
    topic.addSubscription(new EmailSubscription(props.email));
  } else {
    Annotations.of(Stack.of(scope)).addWarningV2(
      'cordon:no-alarm-subscriber',
      `${props.noSubscriberReason ?? 'cordon:alarmEmail is not set'}: alarms go to the topic ${topic.node.path}, which nobody is subscribed to.`,
    );
  }
  return topic;
}
