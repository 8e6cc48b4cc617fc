import { Match, Template } from 'aws-cdk-lib/assertions';
import { MEMBER_ROLE_STACK_NAME, memberRoleTemplate } from '../../stacksets/member-role';
import { cleanUp, synthCordon, TEST_CONTEXT, type Synthesized } from './support/synth';

/** Operator roles of the deployment (cordon:operatorRoleArns). */
const OPERATORS = ['arn:aws:iam::111111111111:role/secops', 'arn:aws:iam::111111111111:role/oncall/responder'];

describe('member role StackSet stack', () => {
  let synth: Synthesized;
  let template: Template;

  beforeAll(() => {
    synth = synthCordon({ ...TEST_CONTEXT, 'cordon:externalId': 'cordon-ext-1234', 'cordon:operatorRoleArns': OPERATORS.join(',') });
    template = Template.fromStack(synth.stacks.memberRoles);
  });
  afterAll(() => cleanUp(synth));

  it('is a service-managed StackSet, auto-deployed to the configured OUs, in one region', () => {
    // Assess
    template.resourceCountIs('AWS::CloudFormation::StackSet', 1);
    template.hasResourceProperties('AWS::CloudFormation::StackSet', {
      StackSetName: MEMBER_ROLE_STACK_NAME,
      PermissionModel: 'SERVICE_MANAGED',
      CallAs: 'DELEGATED_ADMIN',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      ManagedExecution: { Active: true },
      StackInstancesGroup: [
        {
          DeploymentTargets: { OrganizationalUnitIds: ['ou-ab12-11111111', 'ou-ab12-22222222'] },
          Regions: ['eu-west-1'],
        },
      ],
    });
  });

  it('rolls out at the configured accounts at once whatever fails (SOFT_FAILURE_TOLERANCE), stopping past the configured failures', () => {
    // Prepare: STRICT_FAILURE_TOLERANCE (CloudFormation's default) would cap concurrency at the failure tolerance + 1 account
    // (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-cloudformation-stackset-operationpreferences.html).
    const custom = synthCordon({
      ...TEST_CONTEXT,
      'cordon:stackSetMaxConcurrentPercentage': '50',
      'cordon:stackSetFailureTolerancePercentage': '0',
    });
    try {
      // Assess
      template.hasResourceProperties('AWS::CloudFormation::StackSet', {
        OperationPreferences: {
          ConcurrencyMode: 'SOFT_FAILURE_TOLERANCE',
          MaxConcurrentPercentage: 25,
          FailureTolerancePercentage: 10,
          RegionConcurrencyType: 'PARALLEL',
        },
      });
      Template.fromStack(custom.stacks.memberRoles).hasResourceProperties('AWS::CloudFormation::StackSet', {
        OperationPreferences: Match.objectLike({
          ConcurrencyMode: 'SOFT_FAILURE_TOLERANCE',
          MaxConcurrentPercentage: 50,
          FailureTolerancePercentage: 0,
        }),
      });
    } finally {
      cleanUp(custom);
    }
  });

  it("deploys the member role template, with the responder's role, the organization and the external id as parameters", () => {
    // Prepare
    const stackSet = Object.values(template.findResources('AWS::CloudFormation::StackSet'))[0] as {
      Properties: { TemplateBody: string; Parameters: Array<{ ParameterKey: string; ParameterValue: unknown }> };
    };
    const responderRole = Template.fromStack(synth.stacks.responder).findResources('AWS::IAM::Role', {
      Properties: { RoleName: synth.config.functionRoleName },
    });
    // Assess
    expect(JSON.parse(stackSet.Properties.TemplateBody)).toEqual(memberRoleTemplate());
    expect(Object.fromEntries(stackSet.Properties.Parameters.map((p) => [p.ParameterKey, p.ParameterValue]))).toEqual({
      RoleName: 'cordon-responder',
      ResponderRoleArn: {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, `:role/${synth.config.functionRoleName}`],
        ],
      },
      OrganizationId: TEST_CONTEXT['cordon:organizationId'],
      ExternalId: 'cordon-ext-1234',
      EnablerRoleName: synth.config.enablerRoleName,
      EnablerFunctionRoleName: synth.config.enablerFunctionRoleName,
      OperatorRoleArns: OPERATORS.join(','),
    });
    expect(Object.keys(memberRoleTemplate().Parameters as object).sort()).toEqual(
      stackSet.Properties.Parameters.map((p) => p.ParameterKey).sort(),
    );
    expect(Object.keys(responderRole)).toHaveLength(1);
  });

  it('can target the organization root, and be created from the management account', () => {
    // Prepare
    const variant = synthCordon({
      ...TEST_CONTEXT,
      'cordon:deploymentTargets': 'r-ab12',
      'cordon:stackSetCallAs': 'SELF',
      'cordon:securityAccountId': '210987654321',
    });
    try {
      // Act
      const t = Template.fromStack(variant.stacks.memberRoles);
      // Assess
      t.hasResourceProperties('AWS::CloudFormation::StackSet', {
        CallAs: 'SELF',
        StackInstancesGroup: [{ DeploymentTargets: { OrganizationalUnitIds: ['r-ab12'] }, Regions: ['eu-west-1'] }],
        Parameters: Match.arrayWith([
          {
            ParameterKey: 'ResponderRoleArn',
            ParameterValue: {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::210987654321:role/${variant.config.functionRoleName}`]],
            },
          },
          { ParameterKey: 'ExternalId', ParameterValue: '' },
        ]),
      });
    } finally {
      cleanUp(variant);
    }
  });
});
