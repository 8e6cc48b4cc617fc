/**
 * The IAM actions `cordon enable` / `cordon coverage` and the enabler Lambda
 * need, in the management account and in the security (delegated
 * administrator) account. A declarative table kept next to the code that
 * makes the calls; test/unit/org/permissions.test.ts checks that every SDK
 * command under src/org/ is listed here and every direct entry is used.
 */

/** Whose credentials make a call. */
export type EnablerAccount = 'management' | 'admin';

/** A service principal an Organizations action is used for, and whether only an opt-in setting uses it. */
export interface PrincipalUse {
  readonly principal: string;
  /** Used only when this enabler setting is on (`registerAccountAdmin`). @default always */
  readonly optIn?: 'registerAccountAdmin';
}

/** One IAM action and why it is needed. */
export interface EnablerCall {
  readonly action: string;
  /** Accounts whose identity needs it: the management account (full run) and/or the security account (its own part, discovery when it runs alone, coverage). */
  readonly accounts: readonly EnablerAccount[];
  /** False for actions a service performs with the caller's permissions on cordon's behalf (not an SDK call of cordon's). */
  readonly direct: boolean;
  readonly why: string;
  /**
   * For the Organizations actions that take a service principal: the only
   * principals it is used for, granted with the `organizations:ServicePrincipal`
   * condition key. @default any (the action names none)
   */
  readonly servicePrincipals?: readonly PrincipalUse[];
}

const BOTH: readonly EnablerAccount[] = ['management', 'admin'];

/** The service principals of the services whose administrator the enabler designates (their EnableOrganizationAdminAccount registers it in Organizations). */
const DESIGNATED: readonly PrincipalUse[] = [{ principal: 'guardduty.amazonaws.com' }, { principal: 'securityhub.amazonaws.com' }];
/** AWS Account Management's, only when the security account is registered as its delegated administrator. */
const ACCOUNT_ADMIN: PrincipalUse = { principal: 'account.amazonaws.com', optIn: 'registerAccountAdmin' };

/** Every action, with the reason. */
export const ENABLER_CALLS: readonly EnablerCall[] = [
  // Discovery (the caller's own account: management, or the security account when it runs alone).
  { action: 'organizations:DescribeOrganization', accounts: BOTH, direct: true, why: 'management account id' },
  { action: 'organizations:ListAccounts', accounts: BOTH, direct: true, why: 'accounts to cover (delegated administrators may list them)' },
  {
    action: 'account:ListRegions',
    accounts: BOTH,
    direct: true,
    why: 'regions enabled for the caller and, for opt-in regions, for each account',
  },
  {
    action: 'organizations:ListAWSServiceAccessForOrganization',
    accounts: ['management'],
    direct: true,
    why: 'trusted access already enabled',
  },
  {
    action: 'organizations:EnableAWSServiceAccess',
    accounts: ['management'],
    direct: true,
    why: "trusted access for Account Management (opt-in regions) and Malware Protection (malware plan, administrator not the management account); GuardDuty's and Security Hub's come with designating their administrator",
    servicePrincipals: [
      { principal: 'account.amazonaws.com' },
      { principal: 'malware-protection.guardduty.amazonaws.com' },
      // Enabled by GuardDuty and Security Hub themselves when designating, with the caller's permissions.
      ...DESIGNATED,
    ],
  },
  {
    action: 'organizations:ListDelegatedAdministrators',
    accounts: ['management'],
    direct: true,
    why: "AWS Account Management's delegated administrator (only with --register-account-admin); GuardDuty/Security Hub also check existing delegations with it",
    servicePrincipals: [...DESIGNATED, ACCOUNT_ADMIN],
  },
  {
    action: 'organizations:RegisterDelegatedAdministrator',
    accounts: ['management'],
    direct: true,
    why: "GuardDuty/Security Hub register their delegated administrator with it; with --register-account-admin, the security account as AWS Account Management's (it then reads accounts' opt-in regions)",
    servicePrincipals: [...DESIGNATED, ACCOUNT_ADMIN],
  },
  {
    action: 'organizations:ListPolicies',
    accounts: BOTH,
    direct: true,
    why: 'GuardDuty and Security Hub organization policies: what they manage, cordon leaves to them',
  },
  { action: 'organizations:ListTargetsForPolicy', accounts: BOTH, direct: true, why: 'whether such a policy is attached' },
  { action: 'organizations:DescribePolicy', accounts: BOTH, direct: true, why: 'the plans a GuardDuty policy manages' },
  {
    action: 'sts:AssumeRole',
    accounts: ['management'],
    direct: true,
    why: 'into the security account role (--admin-role-name), through STS regional endpoints',
  },
  // Delegated administrator designation (management account).
  {
    action: 'guardduty:ListOrganizationAdminAccounts',
    accounts: ['management'],
    direct: true,
    why: 'current GuardDuty delegated administrator per region',
  },
  {
    action: 'guardduty:EnableOrganizationAdminAccount',
    accounts: ['management'],
    direct: true,
    why: 'designate the security account per region',
  },
  {
    action: 'securityhub:ListOrganizationAdminAccounts',
    accounts: ['management'],
    direct: true,
    why: 'current Security Hub administrator per region',
  },
  {
    action: 'securityhub:EnableOrganizationAdminAccount',
    accounts: ['management'],
    direct: true,
    why: 'designate the security account per region',
  },
  {
    action: 'securityhub:DescribeHub',
    accounts: BOTH,
    direct: true,
    why: "is Security Hub on (the management account's own, the security account's)",
  },
  {
    action: 'securityhub:EnableSecurityHub',
    accounts: BOTH,
    direct: true,
    why: 'turn it on without default standards: in the security account, and in the management account, which membership never turns on',
  },
  {
    action: 'organizations:DescribeAccount',
    accounts: ['management'],
    direct: false,
    why: 'GuardDuty/Security Hub check the designated account',
  },
  { action: 'organizations:DescribeOrganizationalUnit', accounts: ['management'], direct: false, why: 'GuardDuty checks the organization' },
  // GuardDuty in the security account.
  { action: 'guardduty:ListDetectors', accounts: ['admin'], direct: true, why: "the security account's detector" },
  { action: 'guardduty:GetDetector', accounts: ['admin'], direct: true, why: 'detector status, publishing frequency, plans' },
  { action: 'guardduty:CreateDetector', accounts: ['admin'], direct: true, why: 'create the detector when there is none' },
  { action: 'guardduty:UpdateDetector', accounts: ['admin'], direct: true, why: 'enable it, publish every 15 minutes, turn plans on' },
  { action: 'guardduty:DescribeOrganizationConfiguration', accounts: ['admin'], direct: true, why: 'auto-enable mode and plans' },
  { action: 'guardduty:UpdateOrganizationConfiguration', accounts: ['admin'], direct: true, why: 'auto-enable ALL with the plans' },
  { action: 'guardduty:ListMembers', accounts: ['admin'], direct: true, why: 'members and their relationship status' },
  { action: 'guardduty:GetMemberDetectors', accounts: ['admin'], direct: true, why: "members' protection plans (coverage)" },
  { action: 'guardduty:CreateMembers', accounts: ['admin'], direct: true, why: 'add accounts as members, ≤ 50 a call' },
  {
    action: 'guardduty:StartMonitoringMembers',
    accounts: ['admin'],
    direct: true,
    why: 'restart members whose monitoring was stopped, ≤ 50 a call',
  },
  {
    action: 'guardduty:UpdateMemberDetectors',
    accounts: ['admin'],
    direct: true,
    why: 'turn requested plans on for members missing them, ≤ 50 a call',
  },
  // Security Hub in the security account.
  {
    action: 'securityhub:DescribeSecurityHubV2',
    accounts: ['admin'],
    direct: true,
    why: 'whether the new Security Hub is on (reported; cordon never turns it on)',
  },
  { action: 'securityhub:DescribeOrganizationConfiguration', accounts: ['admin'], direct: true, why: 'auto-enable' },
  { action: 'securityhub:UpdateOrganizationConfiguration', accounts: ['admin'], direct: true, why: 'auto-enable new accounts' },
  { action: 'securityhub:ListMembers', accounts: ['admin'], direct: true, why: 'members' },
  { action: 'securityhub:CreateMembers', accounts: ['admin'], direct: true, why: 'add accounts as members, ≤ 50 a call' },
  { action: 'securityhub:ListFindingAggregators', accounts: ['admin'], direct: true, why: 'the finding aggregator' },
  { action: 'securityhub:GetFindingAggregator', accounts: ['admin'], direct: true, why: 'its home region' },
  { action: 'securityhub:CreateFindingAggregator', accounts: ['admin'], direct: true, why: 'aggregate every region into the home region' },
  {
    action: 'securityhub:CreateConfigurationPolicy',
    accounts: ['admin'],
    direct: true,
    why: 'central configuration (organizations with none): a policy that enables Security Hub without standards',
  },
  { action: 'securityhub:ListConfigurationPolicies', accounts: ['admin'], direct: true, why: "cordon's policy, if an earlier run made it" },
  {
    action: 'securityhub:StartConfigurationPolicyAssociation',
    accounts: ['admin'],
    direct: true,
    why: 'associate that policy with the organization root',
  },
  { action: 'organizations:ListRoots', accounts: ['admin'], direct: true, why: 'the root to associate the configuration policy with' },
  {
    action: 'iam:CreateServiceLinkedRole',
    accounts: ['admin'],
    direct: false,
    why: 'CreateDetector and EnableSecurityHub create their service-linked roles (guardduty, malware-protection.guardduty, securityhub .amazonaws.com)',
  },
];

/**
 * The service principals an Organizations action may be used for, given the
 * enabler's settings; undefined when the action takes none (granted without
 * the condition).
 */
export function servicePrincipalsOf(action: string, settings: { readonly registerAccountAdmin: boolean }): string[] | undefined {
  const call = ENABLER_CALLS.find((c) => c.action === action);
  if (!call?.servicePrincipals) return undefined;
  return call.servicePrincipals.filter((u) => u.optIn === undefined || settings[u.optIn]).map((u) => u.principal);
}

/** STS GetCallerIdentity needs no permission; it is called but not granted. */
export const UNGRANTED_CALLS: readonly string[] = ['sts:GetCallerIdentity'];

/** The IAM actions to grant, per account. */
export interface EnablerPermissions {
  /** Identity running `cordon enable` (or the Lambda) in the management account. */
  readonly management: readonly string[];
  /** The role in the security account (`--admin-role-name`), or the Lambda's role when it runs there. */
  readonly admin: readonly string[];
}

/** The IAM actions to grant in each account, sorted and without duplicates. */
export const ENABLER_PERMISSIONS: EnablerPermissions = {
  management: [...new Set(ENABLER_CALLS.filter((c) => c.accounts.includes('management')).map((c) => c.action))].sort(),
  admin: [...new Set(ENABLER_CALLS.filter((c) => c.accounts.includes('admin')).map((c) => c.action))].sort(),
};
