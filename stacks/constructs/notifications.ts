import { Aws } from 'aws-cdk-lib';
import { CfnMicrosoftTeamsChannelConfiguration, LoggingLevel, SlackChannelConfiguration } from 'aws-cdk-lib/aws-chatbot';
import { EventBus, EventField, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { NOTIFICATION_DETAIL_TYPES, NOTIFICATION_SOURCE } from '../../src/notify/notification';
import { ExistingTopicTarget } from './topic-target';

/** A Slack channel AWS Chatbot posts to (the workspace is authorized once in the Chatbot console). */
export interface SlackChannel {
  readonly workspaceId: string;
  readonly channelId: string;
}

/** A Microsoft Teams channel AWS Chatbot posts to (the team is authorized once in the Chatbot console). */
export interface TeamsChannel {
  readonly tenantId: string;
  readonly teamId: string;
  readonly channelId: string;
}

/** Props of {@link CordonNotifications}. */
export interface CordonNotificationsProps {
  /** The stack's key: the topics are encrypted with it (EventBridge may already use it: allowEventBridgeToEncrypt). */
  readonly key: IKey;
  /** The event bus the responder publishes to (CORDON_NOTIFY_BUS). @default 'default' */
  readonly eventBusName?: string;
  /** Addresses subscribed to the e-mail topic. @default none */
  readonly emails?: readonly string[];
  /** @default none */
  readonly slack?: SlackChannel;
  /** @default none */
  readonly teams?: TeamsChannel;
}

/**
 * Where the responder's notifications go: a rule on the bus for `source:
 * cordon` events (every outcome's detail type) → an SNS topic with one plain
 * message per finding (its summary: account, resources, runbook, what was
 * done and what remains), e-mail subscribers; and, with a Slack or Teams
 * channel, a second topic getting the same summary as an AWS Chatbot custom
 * notification, with Chatbot channel configurations that may run nothing
 * (guardrail AWSDenyAll, a role with no permissions).
 */
export class CordonNotifications extends Construct {
  public readonly topic: Topic;
  public readonly rule: Rule;
  /** Present with a Slack or Teams channel. */
  public readonly chatTopic: Topic | undefined;

  public constructor(scope: Construct, id: string, props: CordonNotificationsProps) {
    super(scope, id);
    const bus = EventBus.fromEventBusName(this, 'Bus', props.eventBusName ?? 'default');
    this.topic = new Topic(this, 'Topic', { displayName: 'cordon notifications', masterKey: props.key, enforceSSL: true });
    for (const email of props.emails ?? []) this.topic.addSubscription(new EmailSubscription(email));
    const targets = [new ExistingTopicTarget(this.topic, RuleTargetInput.fromText(EventField.fromPath('$.detail.summary')))];

    if (props.slack || props.teams) {
      this.chatTopic = new Topic(this, 'ChatTopic', {
        displayName: 'cordon notifications (AWS Chatbot)',
        masterKey: props.key,
        enforceSSL: true,
      });
      // AWS Chatbot's custom notification format (https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html).
      targets.push(
        new ExistingTopicTarget(
          this.chatTopic,
          RuleTargetInput.fromObject({
            version: '1.0',
            source: 'custom',
            content: {
              textType: 'client-markdown',
              title: EventField.fromPath('$.detail-type'),
              description: EventField.fromPath('$.detail.summary'),
            },
          }),
        ),
      );
      this.addChatChannels(this.chatTopic, props);
    }
    this.rule = new Rule(this, 'Rule', {
      description: "cordon: the responder's notifications (one per finding contained, held or failed on) to the notification topics",
      eventBus: bus,
      eventPattern: { source: [NOTIFICATION_SOURCE], detailType: Object.values(NOTIFICATION_DETAIL_TYPES) },
      targets,
    });
    // Only this rule publishes (the key already lets EventBridge encrypt with kms:GenerateDataKey and kms:Decrypt only).
    for (const topic of [this.topic, ...(this.chatTopic ? [this.chatTopic] : [])]) {
      topic.addToResourcePolicy(
        new PolicyStatement({
          sid: 'NotificationRulePublishes',
          principals: [new ServicePrincipal('events.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: { ArnEquals: { 'aws:SourceArn': this.rule.ruleArn } },
        }),
      );
    }
  }

  private addChatChannels(topic: Topic, props: CordonNotificationsProps): void {
    const denyAll = ManagedPolicy.fromAwsManagedPolicyName('AWSDenyAll');
    if (props.slack) {
      new SlackChannelConfiguration(this, 'Slack', {
        slackChannelConfigurationName: 'cordon-notifications',
        slackWorkspaceId: props.slack.workspaceId,
        slackChannelId: props.slack.channelId,
        notificationTopics: [topic],
        guardrailPolicies: [denyAll],
        loggingLevel: LoggingLevel.ERROR,
      });
    }
    if (props.teams) {
      // No L2 construct for Teams: the channel's role may do nothing, as the Slack channel's.
      const role = new Role(this, 'TeamsRole', {
        assumedBy: new ServicePrincipal('chatbot.amazonaws.com'),
        description: 'cordon: the AWS Chatbot Teams channel (notifications only, no permissions)',
      });
      new CfnMicrosoftTeamsChannelConfiguration(this, 'Teams', {
        configurationName: 'cordon-notifications',
        teamsTenantId: props.teams.tenantId,
        teamId: props.teams.teamId,
        teamsChannelId: props.teams.channelId,
        iamRoleArn: role.roleArn,
        snsTopicArns: [topic.topicArn],
        guardrailPolicies: [`arn:${Aws.PARTITION}:iam::aws:policy/AWSDenyAll`],
        loggingLevel: 'ERROR',
      });
    }
  }
}
