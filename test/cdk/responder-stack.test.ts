import { Match, Template } from 'aws-cdk-lib/assertions';
import { CIRCUIT_METRIC } from '../../src/handlers/responder';
import { RESPONDER_ENV } from '../../src/config/settings';
import { LAMBDA_RUNBOOKS_DIR, MAX_RECEIVE_COUNT, RESPONDER_TIMEOUT_SECONDS, VISIBILITY_TIMEOUT_FACTOR } from '../../stacks/responder-stack';
import { cleanUp, synthCordon, TEST_CONTEXT, type Synthesized } from './support/synth';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

function logicalIdOf(template: Template, type: string, props: Record<string, unknown> = {}): string {
  const found = Object.keys(template.findResources(type, { Properties: Match.objectLike(props) }));
  if (found.length !== 1) throw new Error(`expected one ${type} matching ${JSON.stringify(props)}, found ${found.length}`);
  return found[0] as string;
}

describe('responder stack (security account, home region)', () => {
  let synth: Synthesized;
  let template: Template;
  let resources: Resources;
  let queueId: string;
  let dlqId: string;
  let keyId: string;
  let tableId: string;
  let fnId: string;

  beforeAll(() => {
    synth = synthCordon({ ...TEST_CONTEXT, CORDON_CIRCUIT_ORG_LIMIT: '40' });
    template = Template.fromStack(synth.stacks.responder);
    resources = (template.toJSON() as { Resources: Resources }).Resources;
    dlqId = logicalIdOf(template, 'AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 24 * 3600 });
    queueId = logicalIdOf(template, 'AWS::SQS::Queue', { RedrivePolicy: Match.anyValue() });
    keyId = logicalIdOf(template, 'AWS::KMS::Key');
    tableId = logicalIdOf(template, 'AWS::DynamoDB::Table');
    fnId = logicalIdOf(template, 'AWS::Lambda::Function', { Handler: 'index.handler' });
  });
  afterAll(() => cleanUp(synth));

  it('sends GuardDuty findings, and nothing else, to the queue (dead-lettering what EventBridge cannot deliver)', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.guardduty'], 'detail-type': ['GuardDuty Finding'] },
      State: 'ENABLED',
      Targets: [{ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } }, Id: Match.anyValue() }],
    });
    expect(Object.keys(template.findResources('AWS::Events::Rule'))).toHaveLength(2);
  });

  it('creates one Security Hub custom action per runbook that declares one, plus the built-ins, and routes exactly those', () => {
    // Prepare
    const specs = synth.config.customActions;
    const targets = template.findResources('AWS::SecurityHub::ActionTarget');
    // Assess
    expect(Object.values(targets).map((t) => t.Properties)).toEqual(specs.map((s) => ({ Id: s.id, Name: s.name, Description: s.description })));
    expect(specs.map((s) => s.id)).toEqual(expect.arrayContaining(['CordonFalsePositive', 'CordonRelease']));
    expect(specs.filter((s) => s.runs.kind === 'runbook')).toHaveLength(synth.config.runbooks.filter((r) => r.customAction).length);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.securityhub'],
        'detail-type': ['Security Hub Findings - Custom Action'],
        resources: Object.keys(targets).map((id) => ({ 'Fn::GetAtt': [id, 'ActionTargetArn'] })),
      },
      Targets: [{ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } }, Id: Match.anyValue() }],
    });
  });

  it('encrypts both queues with the key, redrives after five receives, and hides a message for six Lambda timeouts', () => {
    // Assess
    expect(resources[queueId]?.Properties).toMatchObject({
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: MAX_RECEIVE_COUNT },
      VisibilityTimeout: RESPONDER_TIMEOUT_SECONDS * VISIBILITY_TIMEOUT_FACTOR,
    });
    expect(resources[dlqId]?.Properties).toMatchObject({ KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    expect(MAX_RECEIVE_COUNT).toBe(5);
    expect(VISIBILITY_TIMEOUT_FACTOR).toBeGreaterThanOrEqual(6);
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: RESPONDER_TIMEOUT_SECONDS });
  });

  it('lets only EventBridge of this account send to the queue, only the two rules dead-letter, over TLS only', () => {
    // Prepare
    const tlsOnly = (id: string) => Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Principal: { AWS: '*' }, Resource: { 'Fn::GetAtt': [id, 'Arn'] } });
    const rules = Object.keys(template.findResources('AWS::Events::Rule'));
    // Assess
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: [
          tlsOnly(queueId),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: Match.arrayWith(['sqs:SendMessage']),
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlqId }],
      PolicyDocument: {
        Statement: [
          tlsOnly(dlqId),
          ...rules.map((rule) =>
            Match.objectLike({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [rule, 'Arn'] } } } }),
          ),
        ],
      },
    });
  });

  it('runs the responder on nodejs22.x arm64 with reserved concurrency, partial batch responses and batching', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      ReservedConcurrentExecutions: synth.config.reservedConcurrency,
      TracingConfig: { Mode: 'Active' },
      KmsKeyArn: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: fnId },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: synth.config.batchSize,
      MaximumBatchingWindowInSeconds: synth.config.maxBatchingWindowSeconds,
      ScalingConfig: { MaximumConcurrency: synth.config.reservedConcurrency },
    });
  });

  it('passes the validated configuration to the Lambda, plus the audit table and the bundled runbooks', () => {
    // Prepare
    const env = (resources[fnId]?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    // Assess
    expect(env).toEqual({
      CORDON_ROLE_NAME: 'cordon-responder',
      CORDON_DRY_RUN: 'true',
      CORDON_CIRCUIT_ORG_LIMIT: '40',
      CORDON_AUDIT_TABLE: { Ref: tableId },
      CORDON_RUNBOOKS_DIR: LAMBDA_RUNBOOKS_DIR,
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect(Object.keys(env).filter((k) => k !== 'NODE_OPTIONS' && !(RESPONDER_ENV as readonly string[]).includes(k))).toEqual([]);
  });

  it('keeps the audit trail in a retained DynamoDB table: pk/sk, TTL on expiresAt, PITR, the key, on demand', () => {
    // Assess
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
        DeletionProtectionEnabled: true,
      },
    });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', Properties: { EnableKeyRotation: true } });
  });

  it('alarms to the topic on dead letters, on the circuit breaker and on findings left waiting', () => {
    // Prepare
    const topicId = logicalIdOf(template, 'AWS::SNS::Topic');
    const toTopic = [{ Ref: topicId }];
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: toTopic,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: CIRCUIT_METRIC.namespace,
      MetricName: CIRCUIT_METRIC.name,
      Dimensions: Match.absent(),
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: toTopic,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', AlarmActions: toTopic });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: TEST_CONTEXT['cordon:alarmEmail'] });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: synth.config.logRetentionDays });
  });

  it("lets the responder assume only the member role, only inside the organization", () => {
    // Assess
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: synth.config.functionRoleName,
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' })] },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'AssumeMemberRoles',
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/cordon-responder']] },
            Condition: { StringEquals: { 'aws:ResourceOrgID': TEST_CONTEXT['cordon:organizationId'] } },
          },
        ]),
      },
    });
  });
});

describe('responder stack variants', () => {
  it('uses an existing alarm topic instead of creating one', () => {
    // Prepare
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:security-alarms';
    const { 'cordon:alarmEmail': _email, ...context } = TEST_CONTEXT;
    const synth = synthCordon({ ...context, 'cordon:alarmTopicArn': topicArn, 'cordon:dryRun': 'false' });
    try {
      // Act
      const template = Template.fromStack(synth.stacks.responder);
      // Assess
      template.resourceCountIs('AWS::SNS::Topic', 0);
      template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [topicArn] });
      template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ CORDON_DRY_RUN: 'false' }) } });
    } finally {
      cleanUp(synth);
    }
  });
});
