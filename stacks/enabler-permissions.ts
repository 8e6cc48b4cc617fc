import { Aws } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { ENABLER_PERMISSIONS, servicePrincipalsOf } from '../src/org/permissions';
import { GUARDDUTY_PRINCIPAL, SECURITY_HUB_PRINCIPAL } from '../src/org/organization-plan';

/**
 * The enabler's IAM policies, derived from ENABLER_PERMISSIONS
 * (src/org/permissions.ts, the table kept next to the code that makes the
 * calls): every action listed there is granted, nothing else. Only the
 * scoping below is written by hand; an action added to the table is granted
 * on "*" until it gets a scope here.
 */

/** The services whose service-linked roles the enabler's calls create in the security account (see ENABLER_CALLS' iam:CreateServiceLinkedRole). */
export const ENABLER_SERVICE_LINKED_ROLE_SERVICES: readonly string[] = [
  GUARDDUTY_PRINCIPAL,
  'malware-protection.guardduty.amazonaws.com',
  SECURITY_HUB_PRINCIPAL,
];

const ASSUME_ROLE = 'sts:AssumeRole';
const CREATE_SLR = 'iam:CreateServiceLinkedRole';

/** Sorted, without duplicates. */
function unique(actions: readonly string[]): string[] {
  return [...new Set(actions)].sort();
}

/** Every IAM action the enabler Lambda's role in the management account is granted. */
export function managementActions(): string[] {
  return unique([...ENABLER_PERMISSIONS.management, ASSUME_ROLE]);
}

/** Every IAM action the role the enabler assumes in the security account is granted. */
export function adminActions(): string[] {
  return unique(ENABLER_PERMISSIONS.admin);
}

/**
 * The enabler Lambda's statements in the management account: sts:AssumeRole
 * on the one role in the security account; the Organizations actions that
 * take a service principal only for the principals the enabler uses them
 * for (`organizations:ServicePrincipal`: AWS Account Management's delegated
 * administrator only with `registerAccountAdmin`); the rest on "*"
 * (Organizations' reads, GuardDuty's and Security Hub's
 * EnableOrganizationAdminAccount and the Account API's ListRegions have no
 * resource-level permission).
 */
export function managementStatements(adminRoleArn: string, settings: { readonly registerAccountAdmin: boolean }): PolicyStatement[] {
  const actions = managementActions().filter((a) => a !== ASSUME_ROLE);
  const byPrincipals = new Map<string, string[]>();
  const rest: string[] = [];
  for (const action of actions) {
    const principals = servicePrincipalsOf(action, settings);
    if (principals === undefined) rest.push(action);
    else {
      const key = [...principals].sort().join(',');
      byPrincipals.set(key, [...(byPrincipals.get(key) ?? []), action]);
    }
  }
  return [
    new PolicyStatement({ sid: 'AssumeEnablerRoleInSecurityAccount', actions: [ASSUME_ROLE], resources: [adminRoleArn] }),
    ...[...byPrincipals].map(
      ([principals, grouped], i) =>
        new PolicyStatement({
          sid: `OrganizationsForServices${i + 1}`,
          actions: grouped,
          resources: ['*'],
          conditions: { StringEquals: { 'organizations:ServicePrincipal': principals.split(',') } },
        }),
    ),
    ...(rest.length > 0 ? [new PolicyStatement({ sid: 'EnableOrganization', actions: rest, resources: ['*'] })] : []),
  ];
}

/**
 * The statements of the role in the security account: creating only the
 * service-linked roles of GuardDuty, its Malware Protection and Security Hub,
 * and the GuardDuty and Security Hub administration on "*" (the detector,
 * hub and aggregator are created by these calls, in every covered region).
 */
export function adminStatements(): PolicyStatement[] {
  const actions = adminActions();
  const rest = actions.filter((a) => a !== CREATE_SLR);
  return [
    ...(actions.includes(CREATE_SLR)
      ? [
          new PolicyStatement({
            sid: 'CreateServiceLinkedRoles',
            actions: [CREATE_SLR],
            resources: [`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/aws-service-role/*`],
            conditions: { StringEquals: { 'iam:AWSServiceName': [...ENABLER_SERVICE_LINKED_ROLE_SERVICES] } },
          }),
        ]
      : []),
    ...(rest.length > 0 ? [new PolicyStatement({ sid: 'AdministerGuardDutyAndSecurityHub', actions: rest, resources: ['*'] })] : []),
  ];
}
