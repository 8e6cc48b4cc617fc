import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { LoggingFormat } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { scheduleWatch } from '../src/config/schedule';
import type { CordonConfig, EnablerDeployment } from './config';
import { createAlarmTopic } from './constructs/alarm-topic';
import { createCordonFunction } from './constructs/cordon-function';
import { createEncryptedLogGroup } from './constructs/encrypted-log-group';
import { managementStatements } from './enabler-permissions';
import { requireLocalEsbuild, warnPlaceholders } from './shared';

/** The enabler Lambda's timeout: Lambda's maximum (an organization of thousands of accounts in every region). */
export const ENABLER_TIMEOUT_SECONDS = 900;
/** Namespace and name of the metric the enabler's error log lines count in. */
export const ENABLER_ERROR_METRIC = { namespace: 'cordon', name: 'EnablerErrorLines' } as const;
/**
 * The enabler's error lines, with the Lambda's JSON log format: `console.error`
 * becomes a JSON log event with `"level":"ERROR"` (the handler logs each gap
 * and each failure that way, and does not throw on gaps), as do the runtime's
 * own errors.
 */
export const ENABLER_ERROR_FILTER = '{ $.level = "ERROR" }';

/** Props of the enabler stack. */
export interface EnablerStackProps extends StackProps {
  readonly config: CordonConfig;
  readonly enabler: EnablerDeployment;
}

/**
 * The scheduled enabler in the management account, home region: the Lambda of
 * src/handlers/enable.ts (what `npx cordon enable` does: trusted access,
 * GuardDuty and Security Hub delegated administrator in every covered region,
 * then, as the security account through the role of EnablerRoleStack, auto-
 * enable and members), run on an EventBridge schedule, one run at a time
 * (reserved concurrency 1). Its role holds exactly ENABLER_PERMISSIONS'
 * management actions, with sts:AssumeRole on that one role. A gap (an account
 * or region not covered) is logged as an error line rather than thrown, so an
 * alarm counts those lines, and another counts the Lambda's errors.
 */
export class EnablerStack extends Stack {
  public readonly fn: NodejsFunction;
  public readonly functionRole: Role;
  public readonly rule: Rule;
  public readonly alarmTopic: ITopic;

  public constructor(scope: Construct, id: string, props: EnablerStackProps) {
    super(scope, id, props);
    const { config, enabler } = props;
    warnPlaceholders(this, config, ['regions']);
    requireLocalEsbuild(this);

    const key = new Key(this, 'Key', {
      alias: 'alias/cordon-enabler',
      description: "cordon enabler: encrypts the enabler's logs and its alarm topic",
      enableKeyRotation: true,
      // Kept when the stack is deleted or the key replaced, but not when the stack's first deploy fails.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    const logGroup = createEncryptedLogGroup(this, 'EnablerLogs', { key, retentionDays: config.logRetentionDays });

    const adminRoleArn = `arn:${Aws.PARTITION}:iam::${enabler.securityAccountId}:role/${enabler.adminRoleName}`;
    this.functionRole = new Role(this, 'FunctionRole', {
      roleName: enabler.functionRoleName,
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description:
        'cordon enabler: turns GuardDuty and Security Hub on across the organization, and assumes the enabler role in the security account',
    });
    for (const statement of managementStatements(adminRoleArn, enabler)) this.functionRole.addToPolicy(statement);
    logGroup.grantWrite(this.functionRole);

    this.fn = createCordonFunction(this, 'Enabler', {
      description: 'cordon: keeps GuardDuty and Security Hub on in every account and region of the organization',
      handlerFile: 'src/handlers/enable.ts',
      timeout: Duration.seconds(ENABLER_TIMEOUT_SECONDS),
      // One run at a time when reservations are possible (cordon:reservedConcurrency set): a manual invocation during a
      // scheduled run then waits in Lambda's async queue. Without it (quota of 10), runs may overlap; each is idempotent.
      reservedConcurrentExecutions: config.reservedConcurrency !== undefined ? 1 : undefined,
      role: this.functionRole,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      environment: enabler.env,
    });

    this.rule = new Rule(this, 'Schedule', {
      description: `cordon: runs the enabler (${enabler.schedule})`,
      schedule: Schedule.expression(enabler.schedule),
      targets: [new LambdaFunction(this.fn, { retryAttempts: 2, maxEventAge: Duration.hours(1) })],
    });

    this.alarmTopic = this.createAlarmTopic(config, enabler, key);
    const errorLines = new MetricFilter(this, 'ErrorLines', {
      logGroup,
      filterPattern: FilterPattern.literal(ENABLER_ERROR_FILTER),
      metricNamespace: ENABLER_ERROR_METRIC.namespace,
      metricName: ENABLER_ERROR_METRIC.name,
      metricValue: '1',
    });
    const action = new SnsAction(this.alarmTopic);
    const alarms = [
      new Alarm(this, 'EnablerGaps', {
        alarmDescription:
          "cordon: the enabler left an account or region without GuardDuty or Security Hub, or failed (see its log group's ERROR lines)",
        metric: errorLines.metric({ statistic: 'Sum', period: Duration.minutes(15) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'EnablerErrors', {
        alarmDescription: 'cordon: the enabler Lambda failed (bad configuration, timeout or an unexpected error)',
        metric: this.fn.metricErrors({ statistic: 'Sum', period: Duration.minutes(15) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      this.notRunningAlarm(enabler.schedule),
    ];
    for (const alarm of alarms) alarm.addAlarmAction(action);

    new CfnOutput(this, 'EnablerFunctionName', {
      value: this.fn.functionName,
      description: 'The enabler Lambda (invoke it once after deploying: aws lambda invoke --invocation-type Event)',
    });
    new CfnOutput(this, 'EnablerLogGroupName', { value: logGroup.logGroupName, description: "The enabler's log group" });
    new CfnOutput(this, 'EnablerFunctionRoleArn', {
      value: this.functionRole.roleArn,
      description: 'The only principal the enabler role in the security account trusts',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn, description: "Topic of the enabler's alarms" });
    this.addNagSuppressions();
  }

  /**
   * The schedule stopped running (rule disabled or deleted, Lambda unable to start): fewer than one invocation over
   * twice the schedule's interval; no data is breaching, since a schedule that never runs publishes none.
   */
  private notRunningAlarm(schedule: string): Alarm {
    const watch = scheduleWatch(schedule);
    return new Alarm(this, 'EnablerNotRunning', {
      alarmDescription: `cordon: the enabler has not run for ${(watch.periodMinutes * watch.periods) / 60} hours (its schedule is ${schedule}): GuardDuty coverage is no longer kept`,
      metric: this.fn.metricInvocations({ statistic: 'Sum', period: Duration.minutes(watch.periodMinutes) }),
      threshold: 1,
      evaluationPeriods: watch.periods,
      datapointsToAlarm: watch.periods,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.BREACHING,
    });
  }

  /**
   * The configured topic when it is in this (management) account; else a
   * topic here, with cordon:alarmEmail subscribed (CloudWatch alarms notify
   * topics of their own account and region).
   */
  private createAlarmTopic(config: CordonConfig, enabler: EnablerDeployment, key: Key): ITopic {
    if (config.alarm.kind === 'topic' && config.alarm.topicArn.split(':')[4] === enabler.managementAccountId) {
      return Topic.fromTopicArn(this, 'AlarmTopic', config.alarm.topicArn);
    }
    return createAlarmTopic(this, 'AlarmTopic', {
      key,
      email: config.alarm.kind === 'email' ? config.alarm.email : undefined,
      noSubscriberReason:
        config.alarm.kind === 'topic'
          ? 'cordon:alarmTopicArn is not in the management account and cordon:alarmEmail is not set'
          : 'cordon:alarmEmail is not set',
      displayName: 'cordon enabler alarms',
    });
  }

  private addNagSuppressions(): void {
    Validations.of(this.functionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        "The organization-wide calls of ENABLER_PERMISSIONS.management (Organizations' DescribeOrganization, ListAccounts, trusted access and delegated-administrator calls; GuardDuty's and Security Hub's List/EnableOrganizationAdminAccount; Account ListRegions) support no resource-level permission.",
    });
  }
}
