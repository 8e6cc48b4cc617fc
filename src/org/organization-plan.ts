/**
 * The organization-wide part of \`cordon enable\`'s plan (pure): the AWS
 * Organizations steps a management-account caller takes before any region
 * (trusted access, Account Management's delegated administrator), and the
 * organization policies cordon leaves their plans to. The services'
 * principals are here too. Each region's plan is \`plan.ts\`.
 */
import type { ProtectionPlan } from './features';
import type { Organization, OrganizationStep } from './model';

/** GuardDuty's service principal (trusted access in AWS Organizations). */
export const GUARDDUTY_PRINCIPAL = 'guardduty.amazonaws.com';
/** Security Hub's service principal. */
export const SECURITY_HUB_PRINCIPAL = 'securityhub.amazonaws.com';
/** AWS Account Management's: its trusted access and delegated administrator let accounts other than themselves read an account's region opt-in. */
export const ACCOUNT_PRINCIPAL = 'account.amazonaws.com';
/**
 * GuardDuty Malware Protection's: with a delegated administrator other than
 * the management account, the management account gives it trusted access so
 * that Malware Protection's service-linked role can be created in members
 * (https://docs.aws.amazon.com/guardduty/latest/ug/configure-malware-protection-guardduty-initiated-multi-account.html).
 */
export const MALWARE_PROTECTION_PRINCIPAL = 'malware-protection.guardduty.amazonaws.com';

/** What the organization-wide plan depends on. */
export interface OrganizationPlanOptions {
  readonly plans: readonly ProtectionPlan[];
  /** Register the security account as AWS Account Management's delegated administrator (opt-in: see ENABLER_SETTINGS). */
  readonly registerAccountAdmin: boolean;
}

/** The organization-wide part of the plan. */
export interface OrganizationPlan {
  readonly steps: readonly OrganizationStep[];
  /** Things left as they are on purpose (another Account Management delegated administrator). */
  readonly notes: readonly string[];
}

/**
 * Organization-wide steps (management caller only), in order: trusted
 * access for AWS Account Management when opt-in regions are covered (the
 * management account then reads every account's opt-in status), for Malware
 * Protection when it is asked for and the security account is not the
 * management account; and, only when asked (`registerAccountAdmin`), the
 * security account as Account Management's delegated administrator, so that
 * it can read them itself. GuardDuty's and Security Hub's own trusted access
 * come with designating their administrator, as the services and
 * Organizations advise (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_integrate_services.html):
 * no EnableAWSServiceAccess for them.
 */
export function planOrganization(org: Organization, options: OrganizationPlanOptions): OrganizationPlan {
  const notes = policyNotes(org, options.plans);
  if (org.callerRole !== 'management' || !org.trustedAccess) return { steps: [], notes };
  const optIn = org.optInRegions.length > 0;
  const malware = options.plans.some((p) => p.key === 'malware') && org.adminAccountId !== org.managementAccountId;
  const wanted = [...(optIn ? [ACCOUNT_PRINCIPAL] : []), ...(malware ? [MALWARE_PROTECTION_PRINCIPAL] : [])];
  const steps: OrganizationStep[] = wanted
    .filter((p) => !org.trustedAccess?.has(p))
    .map((servicePrincipal) => ({ kind: 'trusted-access', servicePrincipal }));
  const admins = org.accountManagementAdmins ?? new Set<string>();
  if (optIn && options.registerAccountAdmin && org.adminAccountId !== org.managementAccountId && !admins.has(org.adminAccountId)) {
    if (admins.size > 0) {
      notes.push(
        `AWS Account Management's delegated administrator is ${[...admins].join(', ')}, not the security account ${org.adminAccountId} (one is allowed per organization); ` +
          "cordon does not replace it, so runs from the security account cannot read other accounts' opt-in regions",
      );
    } else {
      steps.push({ kind: 'account-admin', adminAccountId: org.adminAccountId });
    }
  }
  return { steps, notes };
}

/** What the organization's GuardDuty and Security Hub policies take over, said once. */
function policyNotes(org: Organization, plans: readonly ProtectionPlan[]): string[] {
  const notes: string[] = [];
  for (const policy of org.guardDutyPolicies ?? []) {
    const managed = plans.filter((p) => policy.managedFeatures.includes(p.feature)).map((p) => p.key);
    notes.push(
      `GuardDuty organization policy "${policy.name}" (${policy.id}) manages ${policy.managedFeatures.length > 0 ? policy.managedFeatures.join(', ') : 'GuardDuty'}` +
        (managed.length > 0 ? `: cordon leaves plans ${managed.join(',')} to it` : ''),
    );
  }
  for (const policy of org.securityHubPolicies ?? []) {
    notes.push(
      `Security Hub organization policy "${policy.name}" (${policy.id}) enables Security Hub: cordon adds no members and sets no auto-enable`,
    );
  }
  return notes;
}
