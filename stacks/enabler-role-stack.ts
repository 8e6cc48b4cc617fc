import { Aws, CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccountPrincipal, PolicyDocument, Role } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { CordonConfig, EnablerDeployment } from './config';
import { adminStatements } from './enabler-permissions';
import { warnPlaceholders } from './shared';

/** Props of the enabler role stack. */
export interface EnablerRoleStackProps extends StackProps {
  readonly config: CordonConfig;
  readonly enabler: EnablerDeployment;
}

/**
 * In the security account: the role the enabler Lambda assumes there
 * (`cordon:enablerRoleName`, its CORDON_ADMIN_ROLE_NAME) to make the
 * delegated administrator's calls: GuardDuty's detector, auto-enable and
 * members, Security Hub's hub, members and aggregator. Its permissions are
 * exactly ENABLER_PERMISSIONS.admin; its trust allows only the enabler
 * Lambda's role in the management account (aws:PrincipalArn, a fixed name),
 * from inside the organization.
 */
export class EnablerRoleStack extends Stack {
  public readonly role: Role;

  public constructor(scope: Construct, id: string, props: EnablerRoleStackProps) {
    super(scope, id, props);
    const { config, enabler } = props;
    warnPlaceholders(this, config, ['organizationId']);
    // The account root is the principal and aws:PrincipalArn names the role, as for the member role:
    // the trust does not depend on the Lambda role existing first, nor on its unique id.
    const enablerFunctionRoleArn = `arn:${Aws.PARTITION}:iam::${enabler.managementAccountId}:role/${enabler.functionRoleName}`;
    this.role = new Role(this, 'EnablerRole', {
      roleName: enabler.adminRoleName,
      description: 'cordon enabler: administers GuardDuty and Security Hub for the organization, as the delegated administrator',
      assumedBy: new AccountPrincipal(enabler.managementAccountId).withConditions({
        ArnEquals: { 'aws:PrincipalArn': enablerFunctionRoleArn },
        StringEquals: { 'aws:PrincipalOrgID': config.organizationId },
      }),
      inlinePolicies: { 'cordon-enabler': new PolicyDocument({ statements: adminStatements() }) },
    });
    new CfnOutput(this, 'EnablerRoleArn', {
      value: this.role.roleArn,
      description: 'The role the enabler assumes in the security account',
    });
    Validations.of(this.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          "ENABLER_PERMISSIONS.admin's GuardDuty and Security Hub administration (detector, organization configuration, members, hub, finding aggregator) in every covered region: the resources are created by these calls, and the List/Describe/Enable calls support no resource-level permission.",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/aws-service-role/*]',
        reason:
          "iam:CreateServiceLinkedRole for the roles GuardDuty, its Malware Protection and Security Hub create when turned on; limited to those services by iam:AWSServiceName, and a service-linked role's name is the service's.",
      },
    );
  }
}
