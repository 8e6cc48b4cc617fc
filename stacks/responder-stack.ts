import { Annotations, Aws, type CfnElement, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, BillingMode, type CfnTable, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { AUDIT_TIME_INDEX } from '../src/audit/dynamodb-store';
import { EventField, type EventPattern, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { AnyPrincipal, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { INTEL_PREFIX } from '../src/intel/bucket';
import { GUARDDUTY_LIST_ROLE_PERMISSIONS, GUARDDUTY_SERVICE_ROLE_PATH, GUARDDUTY_SET_PERMISSIONS } from '../src/intel/guardduty-sets';
import { METRICS_NAMESPACE, RESPONDER_METRICS, RUNBOOK_DIMENSION, SERVICES } from '../src/respond/metrics';
import type { CustomActionSpec } from '../src/runbooks/custom-actions';
import { MAX_RECEIVE_COUNT, type CordonConfig } from './config';
import { createAlarmTopic } from './constructs/alarm-topic';
import { createCordonFunction } from './constructs/cordon-function';
import { allowEventBridgeToEncrypt, EncryptedQueueTarget } from './constructs/encrypted-queue-target';
import { ExistingTopicTarget } from './constructs/topic-target';
import { createEncryptedLogGroup } from './constructs/encrypted-log-group';
import { CordonNotifications } from './constructs/notifications';
import { actionTargetArn, forwardedAlarmPattern, GUARDDUTY_FINDING_PATTERN, requireLocalEsbuild, warnPlaceholders } from './shared';

/** Where the runbooks are inside the Lambda bundle (CORDON_RUNBOOKS_DIR). */
export const LAMBDA_RUNBOOKS_DIR = '/var/task/runbooks';
/** The responder Lambda's timeout. */
export const RESPONDER_TIMEOUT_SECONDS = 180;
/**
 * SQS hides a message this many times the Lambda timeout, plus the batching
 * window (AWS's advice for SQS event sources: six times the timeout plus the
 * window, so that a batch's retries by Lambda fit before the message reappears).
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** Receives of a message before it is dead-lettered (defined with the other queue settings). */
export { MAX_RECEIVE_COUNT };
/** Detail type of Security Hub custom action events. */
export const CUSTOM_ACTION_DETAIL_TYPE = 'Security Hub Findings - Custom Action';
/** The DynamoDB attribute holding an item's expiry (epoch seconds); circuit-breaker items use it. */
export const TTL_ATTRIBUTE = 'expiresAt';
/** EventBridge's default quota on an event pattern, in characters (adjustable; cordon stays within the default). */
export const EVENT_PATTERN_MAX_CHARS = 2048;
/** Days an old version of the ledger or a list is kept (each batch that changes the lists writes new versions). */
export const INTEL_NONCURRENT_DAYS = 90;
/** The longest partition name: custom-action rules are sized for it, whatever the partition. */
const LONGEST_PARTITION = 'aws-us-gov';

/** Visibility timeout of the findings queue for a batching window, in seconds (see VISIBILITY_TIMEOUT_FACTOR). */
export function visibilityTimeoutSeconds(maxBatchingWindowSeconds: number): number {
  return RESPONDER_TIMEOUT_SECONDS * VISIBILITY_TIMEOUT_FACTOR + maxBatchingWindowSeconds;
}

/** The event pattern of a custom-action rule for these ActionTarget ARNs. */
export function customActionPattern(actionTargetArns: readonly string[]): EventPattern {
  return { source: ['aws.securityhub'], detailType: [CUSTOM_ACTION_DETAIL_TYPE], resources: [...actionTargetArns] };
}

/**
 * Splits custom actions into groups whose rule's event pattern stays within
 * EVENT_PATTERN_MAX_CHARS once CloudFormation has resolved the ActionTarget
 * ARNs, sized for the longest partition, a 12-digit account and `region`.
 * The ARNs are tokens at synth (partition and account), so the size is
 * computed from what they become.
 */
export function customActionRuleGroups(specs: readonly CustomActionSpec[], region: string): CustomActionSpec[][] {
  const arn = (spec: CustomActionSpec): string => `arn:${LONGEST_PARTITION}:securityhub:${region}:123456789012:action/custom/${spec.id}`;
  const size = (group: readonly CustomActionSpec[]): number =>
    JSON.stringify({ source: ['aws.securityhub'], 'detail-type': [CUSTOM_ACTION_DETAIL_TYPE], resources: group.map(arn) }).length;
  const groups: CustomActionSpec[][] = [];
  for (const spec of specs) {
    const last = groups[groups.length - 1];
    if (last && size([...last, spec]) <= EVENT_PATTERN_MAX_CHARS) last.push(spec);
    else groups.push([spec]);
  }
  return groups;
}

/** Props of the responder stack. */
export interface ResponderStackProps extends StackProps {
  readonly config: CordonConfig;
}

/**
 * The responder, in the security account's home region: EventBridge rules for
 * GuardDuty findings and Security Hub custom actions → an SQS queue (with a
 * dead-letter queue) → the responder Lambda (partial batch responses, at most
 * `maxConcurrency` at once, reserved concurrency only when configured) →
 * member roles; a DynamoDB table for the audit trail and the circuit
 * breaker; alarms (with the forwarders' when alarms go to an existing topic);
 * one KMS key for all of it.
 *
 * The custom actions themselves (`AWS::SecurityHub::ActionTarget`) are in
 * their own stack (custom-actions-stack.ts): CloudFormation cannot create
 * them until Security Hub is on in this account and region, and a responder
 * deploy must not depend on that. The rules here match their ARNs, which
 * AWS derives from the account, region and id.
 */
export class ResponderStack extends Stack {
  public readonly key: Key;
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly table: Table;
  public readonly fn: NodejsFunction;
  public readonly functionRole: Role;
  public readonly alarmTopic: ITopic;
  /** cordon's threat and trusted lists and their ledger (src/intel), read by GuardDuty in every covered region. */
  public readonly intelBucket: Bucket;
  /** The list bucket's own key: GuardDuty's service-linked role may decrypt with it, through S3 only. */
  public readonly intelKey: Key;
  public readonly notifications: CordonNotifications;

  public constructor(scope: Construct, id: string, props: ResponderStackProps) {
    super(scope, id, props);
    const { config } = props;
    warnPlaceholders(this, config, ['organizationId', 'regions']);
    for (const key of config.unusedKeys) {
      Annotations.of(this).addWarningV2(
        `cordon:unused-${key}`,
        `cordon:${key} has no effect without cordon:managementAccountId (the enabler stacks are not part of this app).`,
      );
    }
    requireLocalEsbuild(this);

    this.key = new Key(this, 'Key', {
      alias: 'alias/cordon',
      description:
        'cordon: encrypts the findings queue, its dead-letter queue, the audit table, the alarm topic, the logs and the Lambda environment',
      enableKeyRotation: true,
      // Kept when the stack is deleted or the key replaced, but not when the stack's first deploy fails: nothing to clean up then.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    allowEventBridgeToEncrypt(this.key, 'EventBridgeToEncryptedQueues');

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      // Longer than the source queue's: a moved message keeps its original enqueue time.
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'FindingsQueue', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
      visibilityTimeout: Duration.seconds(visibilityTimeoutSeconds(config.maxBatchingWindowSeconds)),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    this.table = new Table(this, 'AuditTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: true,
      // The audit trail is what release reads and what auditors ask for: it outlives the stack (a failed first deploy leaves nothing).
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    // `cordon history`: finding records by UTC day, in time order (src/audit/dynamodb-store.ts writes `day` on them only).
    this.table.addGlobalSecondaryIndex({
      indexName: AUDIT_TIME_INDEX.name,
      partitionKey: { name: AUDIT_TIME_INDEX.partitionKey, type: AttributeType.STRING },
      sortKey: { name: AUDIT_TIME_INDEX.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });

    ({ bucket: this.intelBucket, key: this.intelKey } = this.createIntelBucket());

    const logGroup = createEncryptedLogGroup(this, 'ResponderLogs', { key: this.key, retentionDays: config.logRetentionDays });
    this.functionRole = new Role(this, 'FunctionRole', {
      roleName: config.functionRoleName,
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'cordon responder: assumes the member role in member accounts and writes results to Security Hub',
    });
    this.grantResponderPermissions(config, logGroup);

    this.fn = createCordonFunction(this, 'Responder', {
      description: 'cordon: contains the resources named in GuardDuty findings, as the runbooks say',
      handlerFile: 'src/handlers/responder.ts',
      timeout: Duration.seconds(RESPONDER_TIMEOUT_SECONDS),
      role: this.functionRole,
      logGroup,
      tracing: Tracing.ACTIVE,
      // Optional: an account whose concurrency quota is 10 (new accounts) refuses any reservation.
      reservedConcurrentExecutions: config.reservedConcurrency,
      environmentEncryption: this.key,
      environment: {
        ...config.responderEnv,
        CORDON_AUDIT_TABLE: this.table.tableName,
        CORDON_RUNBOOKS_DIR: LAMBDA_RUNBOOKS_DIR,
        CORDON_INTEL_BUCKET: this.intelBucket.bucketName,
        // Every covered region's GuardDuty administrator gets the lists, not only the regions findings came from.
        CORDON_INTEL_REGIONS: config.regions.join(','),
      },
      bundling: {
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          // The runbooks travel with the code that validated them at synth.
          afterBundling: (_inputDir: string, outputDir: string) => [`cp -R "${config.runbooksDir}" "${outputDir}/runbooks"`],
        },
      },
    });
    this.fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: config.batchSize,
        maxBatchingWindow: config.maxBatchingWindowSeconds > 0 ? Duration.seconds(config.maxBatchingWindowSeconds) : undefined,
        reportBatchItemFailures: true,
        // What caps the responder, without reserved concurrency (AWS's minimum is 2); a reservation, if any, is at least this.
        maxConcurrency: config.maxConcurrency,
      }),
    );

    // Findings from every member account, in this region and forwarded from the others.
    new Rule(this, 'GuardDutyFindings', {
      description: 'cordon: GuardDuty findings (all member accounts; other regions forward theirs here) to the responder queue',
      eventPattern: GUARDDUTY_FINDING_PATTERN,
      targets: [new EncryptedQueueTarget(this.queue, this.deadLetterQueue)],
    });

    // One rule per group of custom actions: an event pattern holds at most EVENT_PATTERN_MAX_CHARS.
    // The first rule keeps its original id, so that existing deployments update it in place.
    customActionRuleGroups(config.customActions, this.region).forEach((group, i) => {
      new Rule(this, i === 0 ? 'SecurityHubCustomActions' : `SecurityHubCustomActions${i + 1}`, {
        description: `cordon: Security Hub custom actions (${group.map((s) => s.name).join(', ')}) to the responder queue`.slice(0, 512),
        eventPattern: customActionPattern(group.map((spec) => actionTargetArn(spec.id))),
        targets: [new EncryptedQueueTarget(this.queue, this.deadLetterQueue)],
      });
    });

    this.notifications = new CordonNotifications(this, 'Notifications', {
      key: this.key,
      eventBusName: config.notifications.eventBusName,
      emails: config.notifications.emails,
      slack: config.notifications.slack,
      teams: config.notifications.teams,
    });
    this.alarmTopic = this.createAlarmTopic(config);
    if (config.alarm.kind === 'topic' && config.regions.length > 1) this.routeForwarderAlarms(config);
    this.createAlarms();
    this.addOutputs(logGroup, config.dryRun);
    this.addNagSuppressions(config);
  }

  /**
   * The bucket of cordon's lists: versioned (every ledger write is a version,
   * old ones expire after INTEL_NONCURRENT_DAYS), encrypted with its own
   * customer managed key, private, TLS only, bucket owner enforced.
   *
   * GuardDuty reads a list with the identity that created the entity set
   * (the responder's role, granted s3:GetObject) and, for IP sets, with its
   * service-linked role AWSServiceRoleForAmazonGuardDuty; with SSE-KMS the key
   * policy must let that role decrypt ("Setting up prerequisites for entity
   * lists and IP address lists", Amazon GuardDuty User Guide,
   * https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-lists-prerequisites.html).
   * Both policies name the role by `aws:PrincipalArn` rather than as the
   * principal, so that the stack deploys even before GuardDuty created that
   * role in this account.
   */
  private createIntelBucket(): { bucket: Bucket; key: Key } {
    const key = new Key(this, 'IntelKey', {
      alias: 'alias/cordon-intel',
      description: "cordon: encrypts the threat and trusted lists GuardDuty reads (the intel bucket); GuardDuty's role may decrypt via S3",
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    const guardDutyRole = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${GUARDDUTY_SERVICE_ROLE_PATH}`;
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'GuardDutyReadsListsThroughS3',
        principals: [new AnyPrincipal()],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: {
          ArnEquals: { 'aws:PrincipalArn': guardDutyRole },
          StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com`, 'aws:PrincipalAccount': Aws.ACCOUNT_ID },
        },
      }),
    );
    const bucket = new Bucket(this, 'IntelBucket', {
      versioned: true,
      encryption: BucketEncryption.KMS,
      encryptionKey: key,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'ExpireOldVersions', noncurrentVersionExpiration: Duration.days(INTEL_NONCURRENT_DAYS) }],
      // The lists and their ledger (which finding listed what) outlive the stack, as the audit table does.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'GuardDutyReadsLists',
        principals: [new AnyPrincipal()],
        actions: ['s3:GetObject'],
        resources: [bucket.arnForObjects(`${INTEL_PREFIX}*`)],
        conditions: { ArnEquals: { 'aws:PrincipalArn': guardDutyRole }, StringEquals: { 'aws:PrincipalAccount': Aws.ACCOUNT_ID } },
      }),
    );
    return { bucket, key };
  }

  /** What operators and `npx cordon` need from the stack (`aws cloudformation describe-stacks --stack-name cordon-responder`). */
  private addOutputs(logGroup: LogGroup, dryRun: boolean): void {
    const outputs: Record<string, { value: string; description: string }> = {
      AuditTableName: {
        value: this.table.tableName,
        description: 'Audit table: set CORDON_AUDIT_TABLE to it for npx cordon release / status',
      },
      LogGroupName: { value: logGroup.logGroupName, description: "The responder's log group (one JSON line per finding handled)" },
      FunctionName: { value: this.fn.functionName, description: 'The responder Lambda' },
      QueueUrl: { value: this.queue.queueUrl, description: 'Findings queue (EventBridge to the responder)' },
      DeadLetterQueueUrl: {
        value: this.deadLetterQueue.queueUrl,
        description: 'Dead-letter queue: findings that failed five times, or that EventBridge could not deliver',
      },
      AlarmTopicArn: { value: this.alarmTopic.topicArn, description: "Topic of the responder's alarms" },
      IntelBucketName: {
        value: this.intelBucket.bucketName,
        description: "The bucket of cordon's threat and trusted lists: set CORDON_INTEL_BUCKET to it for npx cordon intel",
      },
      DryRun: {
        value: String(dryRun),
        description: 'Whether the responder only plans (true) or contains (false): npx cordon doctor reads it',
      },
      NotificationTopicArn: {
        value: this.notifications.topic.topicArn,
        description: 'Topic of the notifications: one message per finding contained, held or failed on',
      },
      ResponderRoleArn: {
        value: this.functionRole.roleArn,
        description: "The responder Lambda's role: the only principal the member roles trust",
      },
    };
    for (const [id, props] of Object.entries(outputs)) new CfnOutput(this, id, props);
  }

  /**
   * What the responder calls in the security account (src/guardduty, src/securityhub, src/respond/hydrate.ts, src/audit,
   * src/respond/exemptions.ts), and the member roles it assumes.
   */
  private grantResponderPermissions(config: CordonConfig, logGroup: LogGroup): void {
    const role = this.functionRole;
    role.addToPolicy(
      new PolicyStatement({
        sid: 'AssumeMemberRoles',
        actions: ['sts:AssumeRole'],
        resources: [`arn:${Aws.PARTITION}:iam::*:role/${config.roleName}`],
        conditions: { StringEquals: { 'aws:ResourceOrgID': config.organizationId } },
      }),
    );
    role.addToPolicy(new PolicyStatement({ sid: 'FindAdministratorDetector', actions: ['guardduty:ListDetectors'], resources: ['*'] }));
    // exemptOus: an account's OUs up to the root (src/respond/exemptions.ts), read-only, within this organization.
    role.addToPolicy(
      new PolicyStatement({
        sid: 'ReadAccountOus',
        actions: ['organizations:ListParents'],
        resources: [
          `arn:${Aws.PARTITION}:organizations::*:account/${config.organizationId}/*`,
          `arn:${Aws.PARTITION}:organizations::*:ou/${config.organizationId}/ou-*`,
        ],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        sid: 'ReadAndArchiveFindings',
        actions: ['guardduty:GetFindings', 'guardduty:ArchiveFindings'],
        resources: [`arn:${Aws.PARTITION}:guardduty:*:${Aws.ACCOUNT_ID}:detector/*`],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        sid: 'PublishNotifications',
        actions: ['events:PutEvents'],
        resources: [`arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/${config.notifications.eventBusName}`],
      }),
    );
    // BatchUpdateFindingsV2 (the new Security Hub) is authorized as securityhub:BatchUpdateFindings too.
    role.addToPolicy(
      new PolicyStatement({
        sid: 'UpdateSecurityHubFindings',
        actions: ['securityhub:BatchUpdateFindings', 'securityhub:DescribeHub'],
        resources: [`arn:${Aws.PARTITION}:securityhub:*:${Aws.ACCOUNT_ID}:hub/default`],
      }),
    );
    // cordon's lists (src/intel): the ledger and the lists in the bucket (conditional writes need only PutObject) ...
    role.addToPolicy(
      new PolicyStatement({
        sid: 'ReadAndWriteLists',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [this.intelBucket.arnForObjects(`${INTEL_PREFIX}*`)],
      }),
    );
    this.intelKey.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    // ... and the sets of the GuardDuty administrator (this account) in every region.
    role.addToPolicy(
      new PolicyStatement({
        sid: 'ManageGuardDutyLists',
        actions: GUARDDUTY_SET_PERMISSIONS.filter((a) => a !== 'guardduty:ListDetectors'),
        resources: [`arn:${Aws.PARTITION}:guardduty:*:${Aws.ACCOUNT_ID}:detector/*`],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        sid: 'LetGuardDutyReadIpLists',
        actions: [...GUARDDUTY_LIST_ROLE_PERMISSIONS],
        resources: [`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${GUARDDUTY_SERVICE_ROLE_PATH}`],
      }),
    );
    // Which Security Hub a region has (src/securityhub/detect.ts): DescribeSecurityHubV2 names no resource.
    role.addToPolicy(new PolicyStatement({ sid: 'DetectSecurityHub', actions: ['securityhub:DescribeSecurityHubV2'], resources: ['*'] }));
    // Exactly what src/audit/dynamodb-store.ts calls: append (BatchWriteItem), read a
    // finding's records and the circuit ledger (Query), take and give back leases
    // (conditional PutItem / DeleteItem; a resource's traced lease: UpdateItem), record the
    // circuit's verdicts and a finding's records with its lease's give-back (TransactWriteItems,
    // authorized item by item: PutItem and UpdateItem), and once per Lambda environment read
    // since when leases trace the trail (GetItem; and, for the first responder on the table,
    // Scan of one item of the time index, and a PutItem). Circuit and lease items expire by TTL.
    this.table.grant(
      role,
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:Scan',
      'dynamodb:UpdateItem',
    );
    // The table, the queue and the environment are encrypted with the stack's key.
    this.key.grantEncryptDecrypt(role);
    logGroup.grantWrite(role);
  }

  /**
   * The forwarders' alarms, to the configured topic: a CloudWatch alarm can
   * only notify a topic of its own region, so each forwarder sends its
   * alarm's state changes to this region's default event bus, and this rule
   * publishes them to the topic. (The topic's access policy must let
   * events.amazonaws.com publish, and its key, if any, let it encrypt:
   * docs/deploy.md.)
   */
  private routeForwarderAlarms(config: CordonConfig): void {
    const text = (path: string): string => EventField.fromPath(path);
    new Rule(this, 'ForwarderAlarms', {
      description: "cordon: the forwarders' alarms (other regions) to the alarm topic",
      eventPattern: forwardedAlarmPattern(config.regions.filter((r) => r !== config.homeRegion)),
      targets: [
        new ExistingTopicTarget(
          this.alarmTopic,
          RuleTargetInput.fromText(
            `cordon: alarm ${text('$.detail.alarmName')} in ${text('$.region')} is ${text('$.detail.state.value')}: ${text('$.detail.state.reason')}`,
          ),
        ),
      ],
    });
  }

  private createAlarmTopic(config: CordonConfig): ITopic {
    if (config.alarm.kind === 'topic') return Topic.fromTopicArn(this, 'AlarmTopic', config.alarm.topicArn);
    return createAlarmTopic(this, 'AlarmTopic', {
      key: this.key,
      email: config.alarm.kind === 'email' ? config.alarm.email : undefined,
      noSubscriberReason: 'Neither cordon:alarmEmail nor cordon:alarmTopicArn is set',
    });
  }

  private createAlarms(): void {
    const action = new SnsAction(this.alarmTopic);
    const alarms = [
      new Alarm(this, 'DeadLetterQueueNotEmpty', {
        alarmDescription:
          'cordon: findings the responder failed on five times, or EventBridge could not deliver, are in the dead-letter queue',
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'CircuitOpen', {
        alarmDescription:
          'cordon: the circuit breaker held automatic containments (too many in an account or the organization); see the responder logs',
        // The handler publishes it through Powertools Metrics, as Embedded Metric Format on standard output (no
        // PutMetricData permission needed, and extracted whatever the function's log format); `service` is its dimension.
        metric: new Metric({
          namespace: METRICS_NAMESPACE,
          metricName: RESPONDER_METRICS.circuitOpen,
          dimensionsMap: { service: SERVICES.responder },
          statistic: 'Sum',
          period: Duration.minutes(5),
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'FindingsWaiting', {
        alarmDescription: 'cordon: the oldest finding has waited more than 15 minutes in the queue (responder failing or throttled)',
        metric: this.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: 15 * 60,
        evaluationPeriods: 3,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    ];
    for (const alarm of alarms) alarm.addAlarmAction(action);
    this.createDashboard(alarms);
  }

  /**
   * The `cordon` dashboard: findings contained, held and failed per runbook, the time to containment, the queue and
   * the dead-letter queue, the responder Lambda, and the alarms' states.
   */
  private createDashboard(alarms: readonly Alarm[]): void {
    const perRunbook = (metricName: string, statistic: string, label: string): MathExpression =>
      new MathExpression({
        // One line per runbook: every metric of that name with the Runbook and service dimensions (Powertools adds `service`).
        expression: `SEARCH('{${METRICS_NAMESPACE},${RUNBOOK_DIMENSION},service} MetricName="${metricName}"', '${statistic}', 300)`,
        usingMetrics: {},
        label,
        period: Duration.minutes(5),
      });
    const dashboard = new Dashboard(this, 'Dashboard', { dashboardName: 'cordon', defaultInterval: Duration.days(7) });
    dashboard.addWidgets(
      new TextWidget({
        markdown:
          "# cordon\nFindings the responder contained, held (circuit open, manual runbook) and failed on, per runbook; time to containment is from GuardDuty's last update of the finding to cordon's last action. `npx cordon doctor` checks the deployment, `npx cordon history` reads the audit trail.",
        width: 24,
        height: 3,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Findings contained, per runbook',
        left: [perRunbook(RESPONDER_METRICS.contained, 'Sum', 'contained')],
        width: 8,
      }),
      new GraphWidget({ title: 'Findings held, per runbook', left: [perRunbook(RESPONDER_METRICS.held, 'Sum', 'held')], width: 8 }),
      new GraphWidget({
        title: 'Findings failed on, per runbook',
        left: [perRunbook(RESPONDER_METRICS.failed, 'Sum', 'failed')],
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Time to containment (seconds), per runbook: p50 and max',
        left: [
          perRunbook(RESPONDER_METRICS.timeToContainment, 'p50', 'p50'),
          perRunbook(RESPONDER_METRICS.timeToContainment, 'Maximum', 'max'),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'Findings queue and dead-letter queue',
        left: [
          this.queue.metricApproximateNumberOfMessagesVisible({ label: 'waiting', period: Duration.minutes(5), statistic: 'Maximum' }),
          this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            label: 'dead-lettered',
            period: Duration.minutes(5),
            statistic: 'Maximum',
          }),
        ],
        right: [this.queue.metricApproximateAgeOfOldestMessage({ label: 'oldest (s)', period: Duration.minutes(5), statistic: 'Maximum' })],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Responder Lambda',
        left: [
          this.fn.metricInvocations({ period: Duration.minutes(5), statistic: 'Sum' }),
          this.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
          this.fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
        ],
        right: [this.fn.metricDuration({ period: Duration.minutes(5), statistic: 'Maximum' })],
        width: 12,
      }),
      new AlarmStatusWidget({ title: 'Alarms', alarms: [...alarms], width: 12 }),
    );
  }

  /** cdk-nag AwsSolutions findings acknowledged, each with its reason (one finding per acknowledgement). */
  private addNagSuppressions(config: CordonConfig): void {
    Validations.of(this.intelBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "No server access logs (no other cordon bucket has any to share a log bucket with): only the responder's role writes the bucket, every change to the lists is in cordon's audit trail, and the bucket is versioned; S3 data events in the organization's CloudTrail record object access where required.",
    });
    const role = Validations.of(this.functionRole);
    role.acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${config.roleName}]`,
        reason:
          'The member role exists in every member account, unknown in advance; the role name is fixed and aws:ResourceOrgID keeps AssumeRole inside the organization.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'guardduty:ListDetectors, securityhub:DescribeSecurityHubV2 and the X-Ray calls of active tracing (xray:PutTraceSegments, PutTelemetryRecords) support no resource-level permission.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:guardduty:*:<AWS::AccountId>:detector/*]',
        reason:
          "GetFindings/ArchiveFindings on this account's administrator detector in every region: findings come from every covered region and the detector id is read at run time (ListDetectors).",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:securityhub:*:<AWS::AccountId>:hub/default]',
        reason:
          "BatchUpdateFindings (and V2) and DescribeHub on this account's Security Hub in every region a finding may come from; the hub is the only resource type of the calls.",
      },
      ...(['account', 'ou'] as const).map((kind) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:organizations::*:${kind === 'account' ? `account/${config.organizationId}/*` : `ou/${config.organizationId}/ou-*`}]`,
        reason:
          "organizations:ListParents (exemptOus) on any account or OU of this organization: a finding's account is known only at run time; the management account id is not configured.",
      })),
      {
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.intelBucket.node.defaultChild as CfnElement)}.Arn>/${INTEL_PREFIX}*]`,
        reason: "s3:GetObject and s3:PutObject on cordon's own objects of the intel bucket (the ledger and the lists), nothing else of it.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.table.node.defaultChild as CfnTable)}.Arn>/index/*]`,
        reason:
          "CDK's grant on the audit table covers its indexes: the one index is the time-ordered index (byTime) of cordon history; the responder's Query only reads partitions, and its one Scan of the index (Limit 1, once per table) only asks whether any finding record exists yet.",
      },
      {
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason:
          "CDK's encrypt/decrypt grant on the stack's own key (DynamoDB table with a customer managed key, the queue and the Lambda environment); the resource is that one key.",
      },
      {
        id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
        reason:
          "CDK's encrypt/decrypt grant on the stack's own key, as DynamoDB's customer-managed-key guidance lists it; the resource is that one key.",
      },
    );
  }
}
