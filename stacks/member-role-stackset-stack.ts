import { Aws, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnStackSet } from 'aws-cdk-lib/aws-cloudformation';
import type { Construct } from 'constructs';
import { MEMBER_ROLE_PARAMETERS, MEMBER_ROLE_STACK_NAME, memberRoleTemplate } from '../stacksets/member-role';
import type { CordonConfig } from './config';
import { warnPlaceholders } from './shared';

/** Props of the StackSet stack. */
export interface MemberRoleStackSetStackProps extends StackProps {
  readonly config: CordonConfig;
}

/**
 * A service-managed StackSet that deploys the member role
 * (stacksets/member-role.ts) to every account of the configured root or OUs,
 * in one region (IAM is global), and to every account that joins them later
 * (auto-deployment). Deployed in the security account as a StackSets delegated
 * administrator (`CallAs: DELEGATED_ADMIN`), or in the management account
 * (`SELF`). Service-managed StackSets never reach the management account
 * itself: see docs/deploy.md.
 */
export class MemberRoleStackSetStack extends Stack {
  public readonly stackSet: CfnStackSet;

  public constructor(scope: Construct, id: string, props: MemberRoleStackSetStackProps) {
    super(scope, id, props);
    const { config } = props;
    warnPlaceholders(this, config, ['organizationId', 'deploymentTargets']);
    const securityAccount = config.securityAccountId ?? Aws.ACCOUNT_ID;
    const parameters: Record<(typeof MEMBER_ROLE_PARAMETERS)[keyof typeof MEMBER_ROLE_PARAMETERS], string> = {
      RoleName: config.roleName,
      ResponderRoleArn: `arn:${Aws.PARTITION}:iam::${securityAccount}:role/${config.functionRoleName}`,
      OrganizationId: config.organizationId,
      ExternalId: config.externalId ?? '',
      EnablerRoleName: config.enablerRoleName,
      EnablerFunctionRoleName: config.enablerFunctionRoleName,
      OperatorRoleArns: config.operatorRoleArns.join(','),
    };
    this.stackSet = new CfnStackSet(this, 'MemberRoles', {
      stackSetName: MEMBER_ROLE_STACK_NAME,
      description: 'cordon: the member role the responder assumes to contain resources, in every account of the organization',
      permissionModel: 'SERVICE_MANAGED',
      callAs: config.stackSetCallAs,
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      managedExecution: { Active: true },
      // SOFT_FAILURE_TOLERANCE: the configured accounts at once, whatever fails; STRICT (the default) would cap it at the
      // failure tolerance + 1 account, so that "25 percent at once" would mean one or two accounts.
      operationPreferences: {
        concurrencyMode: 'SOFT_FAILURE_TOLERANCE',
        maxConcurrentPercentage: config.stackSetRollout.maxConcurrentPercentage,
        failureTolerancePercentage: config.stackSetRollout.failureTolerancePercentage,
        regionConcurrencyType: 'PARALLEL',
      },
      parameters: Object.entries(parameters).map(([parameterKey, parameterValue]) => ({ parameterKey, parameterValue })),
      stackInstancesGroup: [{ deploymentTargets: { organizationalUnitIds: [...config.deploymentTargets] }, regions: [config.homeRegion] }],
      templateBody: JSON.stringify(memberRoleTemplate()),
    });
  }
}
