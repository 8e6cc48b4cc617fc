import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ForwarderStack } from '../../stacks/forwarder-stack';
import { cleanUp, synthCordon, TEST_CONTEXT, type Synthesized } from './support/synth';

function onlyId(template: Template, type: string): string {
  const ids = Object.keys(template.findResources(type));
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0] as string;
}

describe('region forwarder stacks', () => {
  let synth: Synthesized;

  beforeAll(() => {
    synth = synthCordon(TEST_CONTEXT);
  });
  afterAll(() => cleanUp(synth));

  it('exist once per covered region other than the home region, each in its region', () => {
    // Assess
    expect(synth.stacks.forwarders.map((s) => [s.stackName, s.region])).toEqual([
      ['cordon-forwarder-eu-central-1', 'eu-central-1'],
      ['cordon-forwarder-us-east-1', 'us-east-1'],
    ]);
    expect(synth.assembly.stacks.map((s) => s.stackName).sort()).toEqual([
      'cordon-custom-actions',
      'cordon-forwarder-eu-central-1',
      'cordon-forwarder-us-east-1',
      'cordon-member-roles',
      'cordon-responder',
    ]);
  });

  it("send every GuardDuty finding of their region to the home region's default bus, through a role, dead-lettering what cannot be delivered", () => {
    for (const stack of synth.stacks.forwarders) {
      // Prepare
      const template = Template.fromStack(stack);
      const homeBus = {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:eu-west-1:', { Ref: 'AWS::AccountId' }, ':event-bus/default']],
      };
      const roleId = onlyId(template, 'AWS::IAM::Role');
      const dlqId = onlyId(template, 'AWS::SQS::Queue');
      const ruleId = onlyId(template, 'AWS::Events::Rule');
      // Assess
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: ['aws.guardduty'], 'detail-type': ['GuardDuty Finding'] },
        Targets: [
          {
            Arn: homeBus,
            Id: 'Target0',
            RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
          },
        ],
      });
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' } }],
        },
      });
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: { Statement: [{ Action: 'events:PutEvents', Effect: 'Allow', Resource: homeBus }] },
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: dlqId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
            }),
          ]),
        },
      });
    }
  });

  it('encrypt the dead-letter queue with a key EventBridge may use (Decrypt and GenerateDataKey only), and alarm on its depth to a topic of the region with the e-mail subscribed', () => {
    for (const stack of synth.stacks.forwarders) {
      // Prepare
      const template = Template.fromStack(stack);
      const keyId = onlyId(template, 'AWS::KMS::Key');
      const dlqId = onlyId(template, 'AWS::SQS::Queue');
      const topicId = onlyId(template, 'AWS::SNS::Topic');
      // Assess
      template.hasResourceProperties('AWS::SQS::Queue', {
        KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
      template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            {
              Sid: 'EventBridgeToEncryptedDeadLetterQueue',
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
              Resource: '*',
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            },
          ]),
        },
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [{ Ref: topicId }],
        AlarmName: `cordon-forwarder-${stack.region}-findings-not-forwarded`,
      });
      // With an e-mail, the local topic reaches the subscriber: nothing goes through the home region.
      template.resourceCountIs('AWS::Events::Rule', 1);
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: TEST_CONTEXT['cordon:alarmEmail'] });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Sid: 'CloudWatchAlarmsPublish', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
          ]),
        },
      });
      expect(Object.keys(template.findOutputs('*')).sort()).toEqual(['AlarmTopicArn', 'DeadLetterQueueUrl']);
    }
  });

  it("with an existing topic (in the home region), send their alarm's state changes to the home region's bus, where the responder publishes them", () => {
    // Prepare
    const topicArn = 'arn:aws:sns:eu-west-1:111111111111:security-alarms';
    const { 'cordon:alarmEmail': _email, ...context } = TEST_CONTEXT;
    const withTopic = synthCordon({ ...context, 'cordon:alarmTopicArn': topicArn });
    try {
      for (const stack of withTopic.stacks.forwarders) {
        // Act
        const template = Template.fromStack(stack);
        const alarmId = onlyId(template, 'AWS::CloudWatch::Alarm');
        // Assess
        template.resourceCountIs('AWS::SNS::Topic', 0);
        expect(template.findResources('AWS::CloudWatch::Alarm')[alarmId]?.Properties.AlarmActions).toBeUndefined();
        template.hasResourceProperties('AWS::Events::Rule', {
          EventPattern: {
            source: ['aws.cloudwatch'],
            'detail-type': ['CloudWatch Alarm State Change'],
            resources: [{ 'Fn::GetAtt': [alarmId, 'Arn'] }],
          },
          Targets: [
            Match.objectLike({
              Arn: {
                'Fn::Join': [
                  '',
                  ['arn:', { Ref: 'AWS::Partition' }, ':events:eu-west-1:', { Ref: 'AWS::AccountId' }, ':event-bus/default'],
                ],
              },
            }),
          ],
        });
        Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('cordon:alarmEmail is not set'));
        expect(template.findOutputs('AlarmTopicArn').AlarmTopicArn?.Value).toBe(topicArn);
      }
    } finally {
      cleanUp(withTopic);
    }
  });

  it('warn when nobody is subscribed to their alarm topic', () => {
    // Act
    const stack = new ForwarderStack(new App({ builtinCloudFormationValidation: false }), 'quiet', {
      env: { region: 'eu-central-1' },
      homeRegion: 'eu-west-1',
    });
    // Assess
    Annotations.fromStack(stack).hasWarning(
      '*',
      Match.stringLikeRegexp('cordon:alarmEmail is not set \\(an alarm topic in eu-west-1 cannot receive'),
    );
  });

  it('refuses to forward the home region to itself', () => {
    // Assess
    expect(() => new ForwarderStack(new App(), 'loop', { env: { region: 'eu-west-1' }, homeRegion: 'eu-west-1' })).toThrow(
      /would deliver every finding twice/,
    );
  });
});
