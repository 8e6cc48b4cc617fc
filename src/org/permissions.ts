/**
 * The IAM actions `cordon enable` / `cordon coverage` and the enabler Lambda
 * need, in the management account and in the security (delegated
 * administrator) account. A declarative table kept next to the code that
 * makes the calls; test/unit/org/permissions.test.ts checks that every SDK
 * command under src/org/ is listed here and every direct entry is used.
 */

/** Whose credentials make a call. */
export type EnablerAccount = 'management' | 'admin';

/** One IAM action and why it is needed. */
export interface EnablerCall {
  readonly action: string;
  /** Accounts whose identity needs it: the management account (full run) and/or the security account (its own part, discovery when it runs alone, coverage). */
  readonly accounts: readonly EnablerAccount[];
  /** False for actions a service performs with the caller's permissions on cordon's behalf (not an SDK call of cordon's). */
  readonly direct: boolean;
  readonly why: string;
}

const BOTH: readonly EnablerAccount[] = ['management', 'admin'];

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
    why: 'trusted access for GuardDuty, Security Hub, Account Management',
  },
  {
    action: 'organizations:ListDelegatedAdministrators',
    accounts: ['management'],
    direct: true,
    why: "AWS Account Management's delegated administrator (opt-in regions); GuardDuty/Security Hub also check existing delegations with it",
  },
  {
    action: 'organizations:RegisterDelegatedAdministrator',
    accounts: ['management'],
    direct: true,
    why: "the security account as AWS Account Management delegated administrator (it then reads accounts' opt-in regions); GuardDuty/Security Hub register theirs with it",
  },
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
  { action: 'securityhub:DescribeHub', accounts: ['admin'], direct: true, why: 'is Security Hub on' },
  { action: 'securityhub:EnableSecurityHub', accounts: ['admin'], direct: true, why: 'turn it on (without default standards)' },
  { action: 'securityhub:DescribeOrganizationConfiguration', accounts: ['admin'], direct: true, why: 'auto-enable' },
  { action: 'securityhub:UpdateOrganizationConfiguration', accounts: ['admin'], direct: true, why: 'auto-enable new accounts' },
  { action: 'securityhub:ListMembers', accounts: ['admin'], direct: true, why: 'members' },
  { action: 'securityhub:CreateMembers', accounts: ['admin'], direct: true, why: 'add accounts as members, ≤ 50 a call' },
  { action: 'securityhub:ListFindingAggregators', accounts: ['admin'], direct: true, why: 'the finding aggregator' },
  { action: 'securityhub:GetFindingAggregator', accounts: ['admin'], direct: true, why: 'its home region' },
  { action: 'securityhub:CreateFindingAggregator', accounts: ['admin'], direct: true, why: 'aggregate every region into the home region' },
  {
    action: 'iam:CreateServiceLinkedRole',
    accounts: ['admin'],
    direct: false,
    why: 'CreateDetector and EnableSecurityHub create their service-linked roles (guardduty, malware-protection.guardduty, securityhub .amazonaws.com)',
  },
];

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
