import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { INTEL_PREFIX } from '../../src/intel/bucket';
import { GUARDDUTY_LIST_ROLE_PERMISSIONS, GUARDDUTY_SERVICE_ROLE_PATH } from '../../src/intel/guardduty-sets';
import { METRICS_NAMESPACE, RESPONDER_METRICS, SERVICES } from '../../src/respond/metrics';
import { NOTIFICATION_DETAIL_TYPES } from '../../src/notify/notification';
import { RESPONDER_ENV } from '../../src/config/settings';
import type { CustomActionSpec } from '../../src/runbooks/custom-actions';
import { DEFAULT_MAX_CONCURRENCY } from '../../src/config/defaults';
import { DEFAULT_BATCH_SIZE, DEFAULT_MAX_BATCHING_WINDOW_SECONDS, loadConfig } from '../../stacks/config';
import {
  CUSTOM_ACTION_DETAIL_TYPE,
  customActionRuleGroups,
  EVENT_PATTERN_MAX_CHARS,
  INTEL_NONCURRENT_DAYS,
  LAMBDA_RUNBOOKS_DIR,
  MAX_RECEIVE_COUNT,
  RESPONDER_TIMEOUT_SECONDS,
  ResponderStack,
  VISIBILITY_TIMEOUT_FACTOR,
} from '../../stacks/responder-stack';
import { lambdaBundling, LocalBundlingError, requireLocalEsbuild } from '../../stacks/shared';
import { cdkJsonContext, cleanUp, REPO_ROOT, synthCordon, TEST_CONTEXT, type Synthesized } from './support/synth';

type Resources = Record<
  string,
  { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }
>;

function logicalIdOf(template: Template, type: string, props: Record<string, unknown> = {}): string {
  const found = Object.keys(template.findResources(type, { Properties: Match.objectLike(props) }));
  if (found.length !== 1) throw new Error(`expected one ${type} matching ${JSON.stringify(props)}, found ${found.length}`);
  return found[0] as string;
}

/** The rules that send to the findings queue (not the notification rule, which listens to cordon's own events). */
function queueRules(template: Template): string[] {
  const rules = template.findResources('AWS::Events::Rule') as Record<string, { Properties: { EventPattern: { source?: string[] } } }>;
  return Object.keys(rules).filter((id) => rules[id]?.Properties.EventPattern.source?.[0] !== 'cordon');
}

describe('responder stack (security account, home region)', () => {
  let synth: Synthesized;
  let template: Template;
  let resources: Resources;
  let queueId: string;
  let dlqId: string;
  let keyId: string;
  let bucketId: string;
  let intelKeyId: string;
  let tableId: string;
  let fnId: string;

  beforeAll(() => {
    synth = synthCordon({ ...TEST_CONTEXT, CORDON_CIRCUIT_ORG_LIMIT: '40' });
    template = Template.fromStack(synth.stacks.responder);
    resources = (template.toJSON() as { Resources: Resources }).Resources;
    dlqId = logicalIdOf(template, 'AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 24 * 3600 });
    queueId = logicalIdOf(template, 'AWS::SQS::Queue', { RedrivePolicy: Match.anyValue() });
    keyId = logicalIdOf(template, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('findings queue') });
    bucketId = logicalIdOf(template, 'AWS::S3::Bucket');
    intelKeyId = logicalIdOf(template, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('intel bucket') });
    tableId = logicalIdOf(template, 'AWS::DynamoDB::Table');
    fnId = logicalIdOf(template, 'AWS::Lambda::Function', { Handler: 'index.handler' });
  });
  afterAll(() => cleanUp(synth));

  it('sends GuardDuty findings, and nothing else, to the queue (dead-lettering what EventBridge cannot deliver)', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.guardduty'], 'detail-type': ['GuardDuty Finding'] },
      State: 'ENABLED',
      Targets: [
        { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } }, Id: Match.anyValue() },
      ],
    });
    expect(queueRules(template)).toHaveLength(2);
  });

  it('creates one Security Hub custom action per runbook that declares one, plus the built-ins, in their own stack, and routes exactly those', () => {
    // Prepare: the action targets cannot be created before Security Hub is on; the responder must deploy without them.
    const specs = synth.config.customActions;
    const actions = Template.fromStack(synth.stacks.customActions);
    const targets = actions.findResources('AWS::SecurityHub::ActionTarget');
    const arn = (id: string): unknown => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':securityhub:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:action/custom/${id}`,
        ],
      ],
    });
    // Assess
    template.resourceCountIs('AWS::SecurityHub::ActionTarget', 0);
    expect(Object.keys(actions.toJSON().Resources as object)).toHaveLength(specs.length);
    expect(synth.stacks.customActions.dependencies).toEqual([]);
    expect(synth.stacks.responder.dependencies).toEqual([]);
    expect(Object.values(targets).map((t) => t.Properties)).toEqual(
      specs.map((s) => ({ Id: s.id, Name: s.name, Description: s.description })),
    );
    expect(specs.map((s) => s.id)).toEqual(expect.arrayContaining(['CordonFalsePositive', 'CordonRelease']));
    expect(specs.filter((s) => s.runs.kind === 'runbook')).toHaveLength(synth.config.runbooks.filter((r) => r.customAction).length);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.securityhub'],
        'detail-type': ['Security Hub Findings - Custom Action'],
        resources: specs.map((spec) => arn(spec.id)),
      },
      Targets: [
        { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } }, Id: Match.anyValue() },
      ],
    });
  });

  it('encrypts both queues with the key, redrives after five receives, and hides a message for six Lambda timeouts plus the batching window', () => {
    // Assess
    expect(resources[queueId]?.Properties).toMatchObject({
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: MAX_RECEIVE_COUNT },
      VisibilityTimeout: RESPONDER_TIMEOUT_SECONDS * VISIBILITY_TIMEOUT_FACTOR + synth.config.maxBatchingWindowSeconds,
    });
    expect(synth.config.maxBatchingWindowSeconds).toBe(DEFAULT_MAX_BATCHING_WINDOW_SECONDS);
    expect(resources[dlqId]?.Properties).toMatchObject({ KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    expect(MAX_RECEIVE_COUNT).toBe(5);
    expect(VISIBILITY_TIMEOUT_FACTOR).toBeGreaterThanOrEqual(6);
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: RESPONDER_TIMEOUT_SECONDS });
  });

  it('lets only the two rules send to the queue and dead-letter, over TLS only', () => {
    // Prepare
    const tlsOnly = (id: string) =>
      Match.objectLike({
        Effect: 'Deny',
        Action: 'sqs:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Principal: { AWS: '*' },
        Resource: { 'Fn::GetAtt': [id, 'Arn'] },
      });
    const rules = queueRules(template);
    const sentBy = (rule: string): object =>
      Match.objectLike({
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [rule, 'Arn'] } } },
      });
    // Assess
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: [tlsOnly(queueId), ...rules.map(sentBy)],
      },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlqId }],
      PolicyDocument: {
        Statement: [tlsOnly(dlqId), ...rules.map(sentBy)],
      },
    });
  });

  it('runs the responder on nodejs22.x arm64 capped by the queue (no reserved concurrency unless configured), partial batch responses and batching', () => {
    // Assess: a new account's concurrency quota of 10 refuses any reservation, so none by default; SQS's maximum concurrency caps it.
    expect(synth.config.reservedConcurrency).toBeUndefined();
    expect(resources[fnId]?.Properties.ReservedConcurrentExecutions).toBeUndefined();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      KmsKeyArn: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: fnId },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: DEFAULT_BATCH_SIZE,
      MaximumBatchingWindowInSeconds: DEFAULT_MAX_BATCHING_WINDOW_SECONDS,
      ScalingConfig: { MaximumConcurrency: DEFAULT_MAX_CONCURRENCY },
    });
  });

  it('lets EventBridge use the key for the queues with kms:Decrypt and kms:GenerateDataKey only', () => {
    // Assess
    const statements = (resources[keyId]?.Properties.KeyPolicy as { Statement: Array<Record<string, unknown>> }).Statement;
    const events = statements.filter((st) => JSON.stringify(st.Principal).includes('events.amazonaws.com'));
    expect(events).toEqual([
      {
        Sid: 'EventBridgeToEncryptedQueues',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
  });

  it('lets CloudWatch alarms of this account and region publish to the TLS-only, encrypted alarm topic', () => {
    // Prepare
    const topicId = logicalIdOf(template, 'AWS::SNS::Topic', { DisplayName: 'cordon alarms' });
    // Assess
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          {
            Sid: 'CloudWatchAlarmsPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: { Ref: topicId },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*'],
                  ],
                },
              },
            },
          },
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'CloudWatchAlarmsToEncryptedTopic',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  it("encrypts the responder's logs with the key, which CloudWatch Logs may use for this account's log groups only", () => {
    // Assess
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: synth.config.logRetentionDays,
      KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'CloudWatchLogsEncryptThisAccountsLogGroups',
            Effect: 'Allow',
            Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
            Action: ['kms:Decrypt*', 'kms:Describe*', 'kms:Encrypt*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
            Resource: '*',
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': {
                  'Fn::Join': [
                    '',
                    ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':log-group:*'],
                  ],
                },
              },
            },
          },
        ]),
      },
    });
  });

  it('has a dashboard of the per-runbook metrics the handler publishes, the queues, the Lambda and the alarms', () => {
    // Prepare
    const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
    // The body is a Fn::Join of JSON text and tokens: its text, unescaped.
    const body = JSON.stringify(Object.values(dashboards)[0]?.Properties?.DashboardBody).replace(/\\/g, '');
    // Assess
    expect(Object.keys(dashboards)).toHaveLength(1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'cordon' });
    for (const name of [RESPONDER_METRICS.contained, RESPONDER_METRICS.held, RESPONDER_METRICS.failed, RESPONDER_METRICS.timeToContainment])
      expect(body).toContain(`SEARCH('{${METRICS_NAMESPACE},Runbook,service} MetricName="${name}"'`);
    for (const metric of ['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage', 'Invocations', 'Errors', 'Duration'])
      expect(body).toContain(metric);
    expect(body).toContain('alarm');
  });

  it('outputs what operators and `npx cordon` need: the audit table, logs, function, queues, alarm topic, intel bucket and responder role', () => {
    // Prepare
    const roleId = logicalIdOf(template, 'AWS::IAM::Role', { RoleName: synth.config.functionRoleName });
    const logsId = logicalIdOf(template, 'AWS::Logs::LogGroup');
    const topicId = logicalIdOf(template, 'AWS::SNS::Topic', { DisplayName: 'cordon alarms' });
    // Assess
    const outputs = template.findOutputs('*');
    expect(Object.fromEntries(Object.entries(outputs).map(([id, o]) => [id, o.Value]))).toEqual({
      AuditTableName: { Ref: tableId },
      LogGroupName: { Ref: logsId },
      FunctionName: { Ref: fnId },
      QueueUrl: { Ref: queueId },
      DeadLetterQueueUrl: { Ref: dlqId },
      AlarmTopicArn: { Ref: topicId },
      DryRun: String(synth.config.dryRun),
      NotificationTopicArn: { Ref: logicalIdOf(template, 'AWS::SNS::Topic', { DisplayName: 'cordon notifications' }) },
      IntelBucketName: { Ref: bucketId },
      ResponderRoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
    });
    expect(outputs.AuditTableName?.Description).toMatch(/CORDON_AUDIT_TABLE/);
    expect(outputs.DryRun?.Description).toMatch(/npx cordon doctor/);
    expect(outputs.IntelBucketName?.Description).toMatch(/CORDON_INTEL_BUCKET/);
  });

  it('passes the validated configuration to the Lambda, plus the audit table, the bundled runbooks, the intel bucket and the regions', () => {
    // Prepare
    const env = (resources[fnId]?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    // Assess
    expect(env).toEqual({
      CORDON_ROLE_NAME: 'cordon-responder',
      CORDON_DRY_RUN: 'true',
      CORDON_NOTIFY_BUS: 'default',
      CORDON_CIRCUIT_ORG_LIMIT: '40',
      CORDON_AUDIT_TABLE: { Ref: tableId },
      CORDON_RUNBOOKS_DIR: LAMBDA_RUNBOOKS_DIR,
      CORDON_INTEL_BUCKET: { Ref: bucketId },
      CORDON_INTEL_REGIONS: TEST_CONTEXT['cordon:regions'],
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect(Object.keys(env).filter((k) => k !== 'NODE_OPTIONS' && !(RESPONDER_ENV as readonly string[]).includes(k))).toEqual([]);
  });

  it('keeps the audit trail in a retained DynamoDB table: pk/sk, TTL on expiresAt, PITR, the key, on demand', () => {
    // Assess
    // RETAIN_ON_UPDATE_OR_DELETE: kept on delete and replacement, removed when the first deploy fails (nothing left behind).
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'day', AttributeType: 'S' },
        ],
        // cordon history: finding records by UTC day, in time order, whole.
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byTime',
            KeySchema: [
              { AttributeName: 'day', KeyType: 'HASH' },
              { AttributeName: 'sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
        DeletionProtectionEnabled: true,
      },
    });
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: { EnableKeyRotation: true },
    });
  });

  it('alarms to the topic on dead letters, on the circuit breaker and on findings left waiting', () => {
    // Prepare
    const topicId = logicalIdOf(template, 'AWS::SNS::Topic', { DisplayName: 'cordon alarms' });
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
      // What Powertools Metrics publishes (test/unit/respond/circuit.test.ts reads its EMF record): `service` is its dimension.
      Namespace: METRICS_NAMESPACE,
      MetricName: RESPONDER_METRICS.circuitOpen,
      Dimensions: [{ Name: 'service', Value: SERVICES.responder }],
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

  it("keeps cordon's lists in a versioned, private, TLS-only bucket encrypted with its own retained, rotated key", () => {
    // Assess
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [intelKeyId, 'Arn'] } } },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: { Rules: [Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: INTEL_NONCURRENT_DAYS } })] },
      },
    });
    expect(resources[intelKeyId]).toMatchObject({
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: { EnableKeyRotation: true },
    });
    expect(intelKeyId).not.toBe(keyId);
  });

  it("lets GuardDuty's service-linked role read the lists: s3:GetObject on cordon's objects and kms:Decrypt through S3, and denies plain HTTP", () => {
    // Prepare
    const guardDutyRole = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, `:role/${GUARDDUTY_SERVICE_ROLE_PATH}`]],
    };
    const bucketPolicy = Object.values(resources).find((r) => r.Type === 'AWS::S3::BucketPolicy');
    const statements = (bucketPolicy?.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement;
    const keyStatements = (resources[intelKeyId]?.Properties.KeyPolicy as { Statement: Array<Record<string, unknown>> }).Statement;
    // Assess
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Principal: { AWS: '*' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
        {
          Sid: 'GuardDutyReadsLists',
          Effect: 'Allow',
          Action: 's3:GetObject',
          Principal: { AWS: '*' },
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${INTEL_PREFIX}*`]] },
          Condition: {
            ArnEquals: { 'aws:PrincipalArn': guardDutyRole },
            StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } },
          },
        },
      ]),
    );
    expect(keyStatements).toContainEqual({
      Sid: 'GuardDutyReadsListsThroughS3',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Principal: { AWS: '*' },
      Resource: '*',
      Condition: {
        ArnEquals: { 'aws:PrincipalArn': guardDutyRole },
        StringEquals: {
          'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
          'aws:PrincipalAccount': { Ref: 'AWS::AccountId' },
        },
      },
    });
    // Nobody else but the account (IAM policies) may use the key.
    expect(keyStatements.filter((st) => st.Sid !== 'GuardDutyReadsListsThroughS3').map((st) => st.Principal)).toEqual([
      { AWS: { 'Fn::Join': ['', ['arn:aws:iam::', { Ref: 'AWS::AccountId' }, ':root']] } },
    ]);
  });

  it("lets the responder write only cordon's objects, manage the GuardDuty sets of this account and let GuardDuty read IP lists", () => {
    // Prepare
    const policies = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy');
    const statements = policies.flatMap((p) => (p.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement);
    const bySid = (sid: string) => statements.find((st) => st.Sid === sid);
    // Assess
    expect(bySid('ReadAndWriteLists')).toEqual({
      Sid: 'ReadAndWriteLists',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject'],
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${INTEL_PREFIX}*`]] },
    });
    expect(bySid('ManageGuardDutyLists')).toMatchObject({
      Action: expect.arrayContaining(['guardduty:CreateThreatEntitySet', 'guardduty:UpdateThreatEntitySet', 'guardduty:UpdateIPSet']),
      Resource: {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':guardduty:*:', { Ref: 'AWS::AccountId' }, ':detector/*']],
      },
    });
    expect(bySid('LetGuardDutyReadIpLists')).toMatchObject({
      Action: [...GUARDDUTY_LIST_ROLE_PERMISSIONS].sort(),
      Resource: {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, `:role/${GUARDDUTY_SERVICE_ROLE_PATH}`]],
      },
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: { 'Fn::GetAtt': [intelKeyId, 'Arn'] },
    });
  });

  it('lets the responder assume only the member role, only inside the organization', () => {
    // Assess
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: synth.config.functionRoleName,
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' })],
      },
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
  it('warns about every placeholder it uses, the regions included, and about enabler keys without effect', () => {
    // Prepare
    const synth = synthCordon({ 'cordon:enablerSchedule': 'rate(6 hours)' });
    try {
      // Act
      const annotations = Annotations.fromStack(synth.stacks.responder);
      // Assess
      annotations.hasWarning('*', Match.stringLikeRegexp('cordon:regions is the example value "us-east-1,us-west-2"'));
      annotations.hasWarning('*', Match.stringLikeRegexp('cordon:organizationId is the example value'));
      annotations.hasWarning('*', Match.stringLikeRegexp('cordon:enablerSchedule has no effect without cordon:managementAccountId'));
    } finally {
      cleanUp(synth);
    }
  });

  it('splits the custom actions over as many rules as EventBridge pattern size requires, each routed to the queue', () => {
    // Prepare: 45 custom actions with the longest ids Security Hub allows (20 characters).
    const config = loadConfig({ context: { ...cdkJsonContext(), ...TEST_CONTEXT }, cwd: REPO_ROOT });
    const many: CustomActionSpec[] = Array.from({ length: 45 }, (_, i) => ({
      id: `CordonAction${String(i).padStart(8, '0')}`,
      name: `Action ${i}`,
      description: 'test',
      runs: { kind: 'runbook', runbook: 'x' },
    }));
    const app = new App({ builtinCloudFormationValidation: false, context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
    const stack = new ResponderStack(app, 'many', { env: { region: 'ap-southeast-7' }, config: { ...config, customActions: many } });
    // Act
    const template = Template.fromStack(stack);
    const rules = Object.entries(
      template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['aws.securityhub'] } } }),
    );
    const routed = rules.flatMap(([, r]) =>
      (r.Properties.EventPattern.resources as Array<{ 'Fn::Join': [string, unknown[]] }>).map((ref) =>
        String(ref['Fn::Join'][1].at(-1)).replace(':action/custom/', ''),
      ),
    );
    const queueArn = { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::SQS::Queue', { RedrivePolicy: Match.anyValue() }), 'Arn'] };
    // Assess: every action routed exactly once, by rules whose resolved patterns fit EventBridge's default quota.
    expect(rules.length).toBe(3);
    expect(rules.map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual([
      'SecurityHubCustomActions',
      'SecurityHubCustomActions2',
      'SecurityHubCustomActions3',
    ]);
    expect(routed.sort()).toEqual(many.map((spec) => spec.id).sort());
    for (const [, rule] of rules) {
      const resolved = JSON.stringify({
        ...rule.Properties.EventPattern,
        resources: (rule.Properties.EventPattern.resources as unknown[]).map(
          (_r, i) => `arn:aws-us-gov:securityhub:ap-southeast-7:123456789012:action/custom/CordonAction${String(i).padStart(8, '0')}`,
        ),
      });
      expect(resolved.length).toBeLessThanOrEqual(EVENT_PATTERN_MAX_CHARS);
      expect(rule.Properties.EventPattern['detail-type']).toEqual([CUSTOM_ACTION_DETAIL_TYPE]);
      expect(rule.Properties.Targets).toEqual([expect.objectContaining({ Arn: queueArn, DeadLetterConfig: expect.anything() })]);
    }
  });

  it('keeps the custom actions of the shipped runbooks in one rule', () => {
    // Prepare
    const config = loadConfig({ context: TEST_CONTEXT, cwd: REPO_ROOT });
    // Assess
    expect(customActionRuleGroups(config.customActions, 'eu-west-1')).toHaveLength(1);
  });

  it('refuses to bundle without a local esbuild rather than falling back to Docker, and keeps names in the bundles', () => {
    // Prepare
    const bundled = new Stack(new App(), 'bundled');
    const unbundled = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'unbundled');
    const missing = (): string => {
      throw new Error("Cannot find module 'esbuild/package.json'");
    };
    // Act / Assess
    expect(() => requireLocalEsbuild(bundled, missing)).toThrow(LocalBundlingError);
    expect(() => requireLocalEsbuild(bundled, missing)).toThrow(/Run `npm ci` there; cordon never falls back to bundling in Docker/);
    expect(() => requireLocalEsbuild(unbundled, missing)).not.toThrow();
    expect(() => requireLocalEsbuild(bundled)).not.toThrow();
    expect(lambdaBundling()).toMatchObject({ forceDockerBundling: false, keepNames: true, minify: true, externalModules: [] });
  });

  it('reserves concurrency only when asked, never below what the queue may run at once', () => {
    // Prepare
    const synth = synthCordon({ ...TEST_CONTEXT, 'cordon:reservedConcurrency': '12', 'cordon:maxConcurrency': '10' });
    try {
      // Act
      const template = Template.fromStack(synth.stacks.responder);
      // Assess
      template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler', ReservedConcurrentExecutions: 12 });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 10 } });
    } finally {
      cleanUp(synth);
    }
    expect(() => loadConfig({ context: { ...TEST_CONTEXT, 'cordon:reservedConcurrency': '4' }, cwd: REPO_ROOT })).toThrow(
      /cordon:reservedConcurrency and cordon:maxConcurrency: a reservation of 4 is below the 5 Lambdas the queue may run at once/,
    );
  });

  it("uses an existing alarm topic instead of creating one, and publishes the forwarders' alarms to it", () => {
    // Prepare
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:security-alarms';
    const { 'cordon:alarmEmail': _email, ...context } = TEST_CONTEXT;
    const synth = synthCordon({ ...context, 'cordon:alarmTopicArn': topicArn, 'cordon:dryRun': 'false' });
    try {
      // Act
      const template = Template.fromStack(synth.stacks.responder);
      // Assess
      expect(template.findResources('AWS::SNS::Topic', { Properties: { DisplayName: 'cordon alarms' } })).toEqual({});
      template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [topicArn] });
      // The forwarders (eu-central-1, us-east-1) send their alarm's state changes here; this rule publishes them to the topic.
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.cloudwatch'],
          'detail-type': ['CloudWatch Alarm State Change'],
          region: ['eu-central-1', 'us-east-1'],
          detail: { alarmName: [{ prefix: 'cordon-forwarder-' }] },
        },
        Targets: [Match.objectLike({ Arn: topicArn, InputTransformer: Match.anyValue() })],
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ CORDON_DRY_RUN: 'false' }) },
      });
    } finally {
      cleanUp(synth);
    }
  });
});

describe('responder stack: notifications', () => {
  it("routes cordon's own events, every outcome, to an encrypted topic with e-mail subscribers, and to AWS Chatbot when configured", () => {
    // Prepare
    const synth = synthCordon({
      ...TEST_CONTEXT,
      'cordon:notificationEmails': 'soc@example.com,oncall@example.com',
      'cordon:slackChannel': 'T0123ABCD/C0123ABCDEF',
      'cordon:teamsChannel': '11111111-2222-3333-4444-555555555555/66666666-7777-8888-9999-000000000000/19%3Aabc%40thread.tacv2',
    });
    try {
      const template = Template.fromStack(synth.stacks.responder);
      const topicId = logicalIdOf(template, 'AWS::SNS::Topic', { DisplayName: 'cordon notifications' });
      const chatId = logicalIdOf(template, 'AWS::SNS::Topic', { DisplayName: 'cordon notifications (AWS Chatbot)' });
      const keyId = logicalIdOf(template, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('findings queue') });
      const ruleId = Object.keys(
        template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['cordon'] } } }),
      )[0] as string;
      // Assess: one rule on the default bus, for every detail type the responder publishes.
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: ['cordon'], 'detail-type': Object.values(NOTIFICATION_DETAIL_TYPES) },
        EventBusName: 'default',
        Targets: [
          {
            Arn: { Ref: topicId },
            Id: Match.anyValue(),
            InputTransformer: { InputPathsMap: { 'detail-summary': '$.detail.summary' }, InputTemplate: '"<detail-summary>"' },
          },
          {
            Arn: { Ref: chatId },
            Id: Match.anyValue(),
            InputTransformer: Match.objectLike({ InputTemplate: Match.stringLikeRegexp('"source":"custom"') }),
          },
        ],
      });
      template.hasResourceProperties('AWS::SNS::Topic', {
        DisplayName: 'cordon notifications',
        KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      });
      for (const email of ['soc@example.com', 'oncall@example.com'])
        template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: email, TopicArn: { Ref: topicId } });
      // Only that rule may publish.
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topicId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'NotificationRulePublishes',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sns:Publish',
              Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
            }),
          ]),
        },
      });
      // Chat channels that may run nothing.
      template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
        SlackWorkspaceId: 'T0123ABCD',
        SlackChannelId: 'C0123ABCDEF',
        SnsTopicArns: [{ Ref: chatId }],
        GuardrailPolicies: [Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':iam::aws:policy/AWSDenyAll'])] })],
      });
      template.hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', {
        TeamsTenantId: '11111111-2222-3333-4444-555555555555',
        TeamId: '66666666-7777-8888-9999-000000000000',
        SnsTopicArns: [{ Ref: chatId }],
      });
      // The responder may publish to that bus only.
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'PublishNotifications',
              Action: 'events:PutEvents',
              Resource: { 'Fn::Join': ['', Match.arrayWith([':event-bus/default'])] },
            }),
          ]),
        },
      });
    } finally {
      cleanUp(synth);
    }
  });

  it('has no chat topic or channel unless one is configured', () => {
    // Assess
    const synth = synthCordon(TEST_CONTEXT);
    try {
      const template = Template.fromStack(synth.stacks.responder);
      template.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 0);
      template.resourceCountIs('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', 0);
      expect(template.findResources('AWS::SNS::Topic', { Properties: { DisplayName: 'cordon notifications (AWS Chatbot)' } })).toEqual({});
    } finally {
      cleanUp(synth);
    }
  });
});
