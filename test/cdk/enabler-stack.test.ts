import * as path from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { scheduleWatch } from '../../src/config/schedule';
import { ENABLER_PERMISSIONS, UNGRANTED_CALLS } from '../../src/org/permissions';
import { ENABLER_SERVICE_LINKED_ROLE_SERVICES } from '../../stacks/enabler-permissions';
import { ENABLER_ERROR_FILTER, ENABLER_ERROR_METRIC, ENABLER_TIMEOUT_SECONDS } from '../../stacks/enabler-stack';
import { actionsOf, allowedActions, isGranted, type TemplateStatement } from './support/iam';
import { reachableFiles, scanFile } from './support/sdk-calls';
import {
  cleanUp,
  ENABLER_CONTEXT,
  MANAGEMENT_ACCOUNT_ID,
  REPO_ROOT,
  SECURITY_ACCOUNT_ID,
  synthCordon,
  TEST_CONTEXT,
  type Synthesized,
} from './support/synth';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

const ENABLER_HANDLER = path.join(REPO_ROOT, 'src/handlers/enable.ts');
/** Actions the Lambda needs to write its own logs, beside what the enabler's code calls. */
const LAMBDA_LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];

function onlyId(template: Template, type: string, props: Record<string, unknown> = {}): string {
  const ids = Object.keys(template.findResources(type, { Properties: Match.objectLike(props) }));
  if (ids.length !== 1) throw new Error(`expected one ${type} matching ${JSON.stringify(props)}, found ${ids.length}`);
  return ids[0] as string;
}

/** The enabler stacks of a synthesized app (failing the test when they are missing). */
function enablerOf(s: Synthesized): NonNullable<Synthesized['stacks']['enabler']> {
  if (!s.stacks.enabler) throw new Error('the enabler stacks are missing');
  return s.stacks.enabler;
}

/** Every statement granted to a role: its inline policies and the AWS::IAM::Policy resources attached to it. */
function roleStatements(template: Template, roleId: string): TemplateStatement[] {
  const resources = (template.toJSON() as { Resources: Resources }).Resources;
  const inline = ((resources[roleId]?.Properties.Policies ?? []) as Array<{ PolicyDocument: { Statement: TemplateStatement[] } }>).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
  const attached = Object.values(resources)
    .filter(
      (r) => r.Type === 'AWS::IAM::Policy' && ((r.Properties.Roles ?? []) as Array<{ Ref: string }>).some((ref) => ref.Ref === roleId),
    )
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: TemplateStatement[] }).Statement);
  return [...inline, ...attached];
}

describe('enabler stacks (management account, and the role it assumes in the security account)', () => {
  let synth: Synthesized;
  let fnTemplate: Template;
  let roleTemplate: Template;
  let fnId: string;
  let fnRoleStatements: TemplateStatement[];
  let adminStatements: TemplateStatement[];

  beforeAll(() => {
    synth = synthCordon(ENABLER_CONTEXT);
    const enabler = enablerOf(synth);
    fnTemplate = Template.fromStack(enabler.function);
    roleTemplate = Template.fromStack(enabler.role);
    fnId = onlyId(fnTemplate, 'AWS::Lambda::Function', { Handler: 'index.handler' });
    fnRoleStatements = roleStatements(
      fnTemplate,
      enabler.function.getLogicalId(enabler.function.functionRole.node.defaultChild as CfnElement),
    );
    adminStatements = roleStatements(roleTemplate, onlyId(roleTemplate, 'AWS::IAM::Role'));
  });
  afterAll(() => cleanUp(synth));

  it('exist only with cordon:managementAccountId, and put every stack in its account', () => {
    // Prepare
    const without = synthCordon({ ...TEST_CONTEXT, 'cordon:securityAccountId': SECURITY_ACCOUNT_ID });
    const self = synthCordon({ ...ENABLER_CONTEXT, 'cordon:stackSetCallAs': 'SELF' });
    try {
      // Act
      const envs = (s: Synthesized) => Object.fromEntries(s.assembly.stacks.map((st) => [st.stackName, st.environment.account]));
      // Assess
      expect(without.stacks.enabler).toBeUndefined();
      expect(envs(synth)).toEqual({
        'cordon-custom-actions': SECURITY_ACCOUNT_ID,
        'cordon-enabler': MANAGEMENT_ACCOUNT_ID,
        'cordon-enabler-role': SECURITY_ACCOUNT_ID,
        'cordon-responder': SECURITY_ACCOUNT_ID,
        'cordon-member-roles': SECURITY_ACCOUNT_ID,
        'cordon-forwarder-eu-central-1': SECURITY_ACCOUNT_ID,
        'cordon-forwarder-us-east-1': SECURITY_ACCOUNT_ID,
      });
      expect(envs(self)['cordon-member-roles']).toBe(MANAGEMENT_ACCOUNT_ID);
      expect(enablerOf(synth).function.region).toBe(TEST_CONTEXT['cordon:homeRegion']);
    } finally {
      cleanUp(without);
      cleanUp(self);
    }
  });

  it('runs the enabler Lambda on nodejs22.x arm64 for up to 15 minutes, with its settings from the configuration, reserving nothing unless configured', () => {
    // Assess: no reservation by default (a concurrency quota of 10 refuses any); one run at a time with cordon:reservedConcurrency.
    expect((fnTemplate.toJSON() as { Resources: Resources }).Resources[fnId]?.Properties.ReservedConcurrentExecutions).toBeUndefined();
    const reserving = synthCordon({ ...ENABLER_CONTEXT, 'cordon:reservedConcurrency': '5' });
    try {
      Template.fromStack(enablerOf(reserving).function).hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.handler',
        ReservedConcurrentExecutions: 1,
      });
    } finally {
      cleanUp(reserving);
    }
    fnTemplate.hasResource('AWS::KMS::Key', { DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
    fnTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: ENABLER_TIMEOUT_SECONDS,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: onlyId(fnTemplate, 'AWS::Logs::LogGroup') } },
      Environment: {
        Variables: {
          CORDON_ADMIN_ACCOUNT_ID: SECURITY_ACCOUNT_ID,
          CORDON_ADMIN_ROLE_NAME: synth.config.enablerRoleName,
          CORDON_REGIONS: 'eu-west-1,eu-central-1,us-east-1',
          CORDON_HOME_REGION: 'eu-west-1',
          CORDON_SECURITY_HUB: 'true',
          CORDON_DRY_RUN: 'false',
          CORDON_REGISTER_ACCOUNT_ADMIN: 'false',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
    expect(ENABLER_TIMEOUT_SECONDS).toBe(900);
    fnTemplate.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: synth.config.logRetentionDays,
      KmsKeyId: { 'Fn::GetAtt': [onlyId(fnTemplate, 'AWS::KMS::Key'), 'Arn'] },
    });
  });

  it('invokes it on the configured schedule, every 12 hours by default', () => {
    // Prepare
    const custom = synthCordon({ ...ENABLER_CONTEXT, 'cordon:enablerSchedule': 'cron(0 6 * * ? *)' });
    try {
      // Assess
      fnTemplate.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(12 hours)',
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } })],
      });
      fnTemplate.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
      });
      Template.fromStack(enablerOf(custom).function).hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'cron(0 6 * * ? *)',
      });
    } finally {
      cleanUp(custom);
    }
  });

  it("grants the Lambda's role exactly ENABLER_PERMISSIONS.management, sts:AssumeRole only on the enabler role, and its own log writes", () => {
    // Prepare
    const adminRoleArn = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${SECURITY_ACCOUNT_ID}:role/${synth.config.enablerRoleName}`]],
    };
    const assume = fnRoleStatements.filter((s) => actionsOf(s).includes('sts:AssumeRole'));
    const logs = fnRoleStatements.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
    // Assess: both directions, nothing listed by hand.
    expect(allowedActions(fnRoleStatements)).toEqual(
      [...new Set([...ENABLER_PERMISSIONS.management, 'sts:AssumeRole', ...LAMBDA_LOG_ACTIONS])].sort(),
    );
    expect(ENABLER_PERMISSIONS.management.filter((a) => !isGranted(fnRoleStatements, a))).toEqual([]);
    expect(assume).toEqual([
      { Sid: 'AssumeEnablerRoleInSecurityAccount', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: adminRoleArn },
    ]);
    expect(logs.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [onlyId(fnTemplate, 'AWS::Logs::LogGroup'), 'Arn'] }]);
    expect(fnRoleStatements.filter((s) => s.Effect !== 'Allow')).toEqual([]);
    fnTemplate.hasResourceProperties('AWS::IAM::Role', {
      RoleName: synth.config.enablerFunctionRoleName,
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] },
    });
  });

  it("limits the Organizations calls that name a service to the services cordon uses them for: Account Management's delegation only when opted in", () => {
    // Prepare
    const principalsOf = (statements: TemplateStatement[], action: string): unknown =>
      statements.find((st) => actionsOf(st).includes(action))?.Condition;
    const opted = synthCordon({ ...ENABLER_CONTEXT, 'cordon:enablerRegisterAccountAdmin': 'true' });
    try {
      const enabler = enablerOf(opted);
      const template = Template.fromStack(enabler.function);
      const optedStatements = roleStatements(
        template,
        enabler.function.getLogicalId(enabler.function.functionRole.node.defaultChild as CfnElement),
      );
      const designated = ['guardduty.amazonaws.com', 'securityhub.amazonaws.com'];
      // Assess
      expect(principalsOf(fnRoleStatements, 'organizations:RegisterDelegatedAdministrator')).toEqual({
        StringEquals: { 'organizations:ServicePrincipal': designated },
      });
      expect(principalsOf(optedStatements, 'organizations:RegisterDelegatedAdministrator')).toEqual({
        StringEquals: { 'organizations:ServicePrincipal': ['account.amazonaws.com', ...designated] },
      });
      expect(principalsOf(fnRoleStatements, 'organizations:EnableAWSServiceAccess')).toEqual({
        StringEquals: {
          'organizations:ServicePrincipal': [
            'account.amazonaws.com',
            'guardduty.amazonaws.com',
            'malware-protection.guardduty.amazonaws.com',
            'securityhub.amazonaws.com',
          ],
        },
      });
      expect(Template.fromStack(enabler.function).toJSON()).toBeDefined();
    } finally {
      cleanUp(opted);
    }
  });

  it('trusts the enabler role in the security account only to the enabler Lambda, from inside the organization', () => {
    // Assess
    roleTemplate.resourceCountIs('AWS::IAM::Role', 1);
    roleTemplate.hasResourceProperties('AWS::IAM::Role', {
      RoleName: synth.config.enablerRoleName,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { AWS: `arn:aws:iam::${MANAGEMENT_ACCOUNT_ID}:root` },
            Condition: {
              ArnEquals: {
                'aws:PrincipalArn': {
                  'Fn::Join': [
                    '',
                    ['arn:', { Ref: 'AWS::Partition' }, `:iam::${MANAGEMENT_ACCOUNT_ID}:role/${synth.config.enablerFunctionRoleName}`],
                  ],
                },
              },
              StringEquals: { 'aws:PrincipalOrgID': TEST_CONTEXT['cordon:organizationId'] },
            },
          },
        ],
      },
    });
  });

  it('grants the enabler role exactly ENABLER_PERMISSIONS.admin, service-linked roles only for the services that create them', () => {
    // Prepare
    const slr = adminStatements.filter((s) => actionsOf(s).includes('iam:CreateServiceLinkedRole'));
    // Assess
    expect(allowedActions(adminStatements)).toEqual([...new Set(ENABLER_PERMISSIONS.admin)].sort());
    expect(slr).toEqual([
      {
        Sid: 'CreateServiceLinkedRoles',
        Effect: 'Allow',
        Action: 'iam:CreateServiceLinkedRole',
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/aws-service-role/*']],
        },
        Condition: { StringEquals: { 'iam:AWSServiceName': [...ENABLER_SERVICE_LINKED_ROLE_SERVICES] } },
      },
    ]);
    expect(roleTemplate.findOutputs('EnablerRoleArn')).toEqual({
      EnablerRoleArn: expect.objectContaining({ Value: { 'Fn::GetAtt': [onlyId(roleTemplate, 'AWS::IAM::Role'), 'Arn'] } }),
    });
  });

  it("grants every AWS call the enabler's code makes to one of its two roles (read from the source)", () => {
    // Prepare
    const calls = reachableFiles(ENABLER_HANDLER).flatMap((f) => scanFile(f, REPO_ROOT));
    // Act
    const notGranted = calls.filter(
      (c) =>
        !UNGRANTED_CALLS.includes(c.iamAction) && !isGranted(fnRoleStatements, c.iamAction) && !isGranted(adminStatements, c.iamAction),
    );
    // Assess
    expect(calls.length).toBeGreaterThan(20);
    expect(notGranted.map((c) => `${c.iamAction} (${c.via}, ${c.file}:${c.line})`)).toEqual([]);
  });

  it("alarms on the enabler's error lines (gaps are logged, not thrown) and on the Lambda's errors, to a topic CloudWatch may publish to", () => {
    // Prepare
    const topicId = onlyId(fnTemplate, 'AWS::SNS::Topic');
    const logsId = onlyId(fnTemplate, 'AWS::Logs::LogGroup');
    // Assess
    fnTemplate.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: logsId },
      FilterPattern: ENABLER_ERROR_FILTER,
      MetricTransformations: [{ MetricNamespace: ENABLER_ERROR_METRIC.namespace, MetricName: ENABLER_ERROR_METRIC.name, MetricValue: '1' }],
    });
    expect(ENABLER_ERROR_FILTER).toBe('{ $.level = "ERROR" }');
    fnTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: ENABLER_ERROR_METRIC.namespace,
      MetricName: ENABLER_ERROR_METRIC.name,
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topicId }],
    });
    fnTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
      AlarmActions: [{ Ref: topicId }],
    });
    fnTemplate.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: TEST_CONTEXT['cordon:alarmEmail'],
      TopicArn: { Ref: topicId },
    });
    fnTemplate.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'CloudWatchAlarmsPublish', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
        ]),
      },
    });
    expect(Object.keys(fnTemplate.findOutputs('*')).sort()).toEqual([
      'AlarmTopicArn',
      'EnablerFunctionName',
      'EnablerFunctionRoleArn',
      'EnablerLogGroupName',
    ]);
  });

  it('alarms when the schedule stops running: fewer than one invocation over twice the interval, no data breaching', () => {
    // Prepare: the default schedule, rate(12 hours)
    const topicId = onlyId(fnTemplate, 'AWS::SNS::Topic');
    // Assess
    fnTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Invocations',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
      Statistic: 'Sum',
      Period: 24 * 3600,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: topicId }],
    });
    expect(scheduleWatch('rate(1 hour)')).toEqual({ periodMinutes: 120, periods: 1 });
    expect(scheduleWatch('rate(3 days)')).toEqual({ periodMinutes: 1440, periods: 6 });
    expect(scheduleWatch('rate(7 days)')).toEqual({ periodMinutes: 1440, periods: 7 });
    expect(scheduleWatch('cron(0 6 * * ? *)')).toEqual({ periodMinutes: 1440, periods: 2 });
  });

  it('uses cordon:alarmTopicArn for its alarms only when that topic is in the management account', () => {
    // Prepare
    const { 'cordon:alarmEmail': _email, ...context } = ENABLER_CONTEXT;
    const ownTopic = `arn:aws:sns:eu-west-1:${MANAGEMENT_ACCOUNT_ID}:security-alarms`;
    const local = synthCordon({ ...context, 'cordon:alarmTopicArn': ownTopic });
    const remote = synthCordon({ ...context, 'cordon:alarmTopicArn': `arn:aws:sns:eu-west-1:${SECURITY_ACCOUNT_ID}:security-alarms` });
    try {
      // Act
      const localTemplate = Template.fromStack(enablerOf(local).function);
      const remoteStack = enablerOf(remote).function;
      // Assess
      localTemplate.resourceCountIs('AWS::SNS::Topic', 0);
      localTemplate.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [ownTopic] });
      Template.fromStack(remoteStack).resourceCountIs('AWS::SNS::Topic', 1);
      Annotations.fromStack(remoteStack).hasWarning('*', Match.stringLikeRegexp('cordon:alarmTopicArn is not in the management account'));
    } finally {
      cleanUp(local);
      cleanUp(remote);
    }
  });
});
