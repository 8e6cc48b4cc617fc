import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget } from 'aws-cdk-lib/aws-events-targets';
import { Key } from 'aws-cdk-lib/aws-kms';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { CordonConfig } from './config';
import { createAlarmTopic } from './constructs/alarm-topic';
import { allowEventBridgeToEncrypt } from './constructs/encrypted-queue-target';
import { forwarderAlarmName, GUARDDUTY_FINDING_PATTERN } from './shared';

/** Props of a region forwarder. */
export interface ForwarderStackProps extends StackProps {
  /** The responder's region, whose default event bus receives the findings. */
  readonly homeRegion: string;
  /**
   * Where alarms go (the deployment's `alarmEmail` or `alarmTopicArn`): an
   * e-mail address is subscribed to this region's alarm topic; a topic (in
   * the home region) gets this region's alarm through the home region's
   * event bus. @default none (the stack warns)
   */
  readonly alarm?: CordonConfig['alarm'];
}

/**
 * In one covered region of the security account (not the home region): a
 * rule that sends every GuardDuty finding of this region (the administrator
 * receives its members' findings in each region) to the home region's default
 * event bus, where the responder's rule picks it up. The event keeps its
 * source, detail type and original region.
 *
 * EventBridge retries a failed delivery for 24 hours; what it still cannot
 * deliver goes to a dead-letter queue in this region (KMS-encrypted, kept 14
 * days, so the findings can be sent again) and an alarm on its depth notifies
 * a topic of this region (CloudWatch alarms notify topics of their own region
 * only, so the responder's topic cannot be used), to which `alarmEmail` is
 * subscribed. With `alarmTopicArn` instead, the alarm's state changes also go
 * to the home region's default event bus, where the responder stack publishes
 * them to that topic: a subscriber hears of it either way.
 */
export class ForwarderStack extends Stack {
  public readonly rule: Rule;
  public readonly deadLetterQueue: Queue;
  public readonly alarmTopic: ITopic;

  public constructor(scope: Construct, id: string, props: ForwarderStackProps) {
    super(scope, id, props);
    if (props.homeRegion === this.region)
      throw new Error(`ForwarderStack ${id}: a forwarder in the home region ${props.homeRegion} would deliver every finding twice`);

    const key = new Key(this, 'Key', {
      description: `cordon forwarder: encrypts the dead-letter queue and alarm topic of the findings forwarded to ${props.homeRegion}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // EventBridge writes undeliverable events to the encrypted dead-letter queue.
    allowEventBridgeToEncrypt(key, 'EventBridgeToEncryptedDeadLetterQueue');
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is the dead-letter queue of the forwarding rule's target (EventBridge's DeadLetterConfig), which cdk-nag does not recognise as dead-letter use; a dead-letter queue has no queue of its own behind it.",
    });

    const homeBus = EventBus.fromEventBusArn(
      this,
      'HomeBus',
      `arn:${Aws.PARTITION}:events:${props.homeRegion}:${Aws.ACCOUNT_ID}:event-bus/default`,
    );
    this.rule = new Rule(this, 'ForwardGuardDutyFindings', {
      description: `cordon: GuardDuty findings of this region to the responder in ${props.homeRegion}`,
      eventPattern: GUARDDUTY_FINDING_PATTERN,
      targets: [new EventBusTarget(homeBus, { deadLetterQueue: this.deadLetterQueue })],
    });

    const alarm = props.alarm ?? { kind: 'none' };
    // The configured topic is in the home region: the alarm reaches it through the home region's event bus (below).
    this.alarmTopic =
      alarm.kind === 'topic'
        ? Topic.fromTopicArn(this, 'AlarmTopic', alarm.topicArn)
        : createAlarmTopic(this, 'AlarmTopic', {
            key,
            email: alarm.kind === 'email' ? alarm.email : undefined,
            noSubscriberReason: `cordon:alarmEmail is not set (an alarm topic in ${props.homeRegion} cannot receive this region's alarms)`,
          });
    const findingsNotForwarded = new Alarm(this, 'FindingsNotForwarded', {
      alarmName: forwarderAlarmName(this.region),
      alarmDescription: `cordon: GuardDuty findings of this region could not be delivered to ${props.homeRegion} for 24 hours and are in the forwarder's dead-letter queue`,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    if (alarm.kind !== 'topic') findingsNotForwarded.addAlarmAction(new SnsAction(this.alarmTopic));
    else {
      new Rule(this, 'ForwardAlarm', {
        description: `cordon: this forwarder's alarm to ${props.homeRegion}, where the responder stack publishes it to cordon:alarmTopicArn`,
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: ['CloudWatch Alarm State Change'],
          resources: [findingsNotForwarded.alarmArn],
        },
        targets: [new EventBusTarget(homeBus, { deadLetterQueue: this.deadLetterQueue })],
      });
    }

    new CfnOutput(this, 'DeadLetterQueueUrl', {
      value: this.deadLetterQueue.queueUrl,
      description: 'Findings EventBridge could not forward to the home region',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn, description: "Topic of this region's forwarder alarm" });
  }
}
