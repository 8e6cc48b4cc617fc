/** Region and organization steps in words (pure), for the plan, the report and the gaps. */
import type { ProtectionPlan } from './features';
import type { OrganizationStep, RegionStep } from './model';

/** A step in words, for the plan, the report and the gaps. */
export function describeStep(step: RegionStep | OrganizationStep): string {
  const plans = (ps: readonly ProtectionPlan[]): string => (ps.length > 0 ? ps.map((p) => p.key).join(',') : 'none');
  switch (step.kind) {
    case 'trusted-access':
      return `enable trusted access for ${step.servicePrincipal} in AWS Organizations`;
    case 'account-admin':
      return `register ${step.adminAccountId} as AWS Account Management delegated administrator (to read accounts' opt-in regions)`;
    case 'gd-designate-admin':
      return `designate ${step.adminAccountId} as GuardDuty delegated administrator`;
    case 'gd-create-detector':
      return step.afterDesignation
        ? `set up the security account's GuardDuty detector, which designating it creates (publishing ${step.publishingFrequency}, plans ${plans(step.plans)})`
        : `create the security account's GuardDuty detector (publishing ${step.publishingFrequency}, plans ${plans(step.plans)})`;
    case 'gd-update-detector': {
      const parts: string[] = [];
      if (step.enable) parts.push('enable it');
      if (step.publishingFrequency) parts.push(`publishing ${step.publishingFrequency}`);
      if (step.plans.length > 0) parts.push(`turn on ${plans(step.plans)}`);
      return `update the security account's GuardDuty detector: ${parts.join(', ')}`;
    }
    case 'gd-add-members':
      return `add ${step.accountIds.length} account(s) as GuardDuty members`;
    case 'gd-start-monitoring':
      return `restart GuardDuty monitoring of ${step.accountIds.length} member(s) whose monitoring was stopped`;
    case 'gd-org-config':
      return `set GuardDuty organization auto-enable to ALL with plans ${plans(step.plans)}`;
    case 'gd-member-plans':
      return `turn on plans ${plans(step.plans)} for ${step.accountIds.length} member(s) missing some`;
    case 'sh-designate-admin':
      return `designate ${step.adminAccountId} as Security Hub administrator`;
    case 'sh-enable-management-hub':
      return 'enable Security Hub in the management account (without default standards), which membership never does';
    case 'sh-enable-hub':
      return 'enable Security Hub in the security account';
    case 'sh-add-members':
      return `add ${step.accountIds.length} account(s) as Security Hub members`;
    case 'sh-org-config':
      return 'turn on Security Hub auto-enable for new organization accounts, without the default standards (AutoEnableStandards NONE)';
    case 'sh-aggregator':
      return 'create the Security Hub finding aggregator (all regions)';
    case 'sh-central-config':
      return 'start Security Hub central configuration from this home region (as AWS recommends)';
    case 'sh-central-policy':
      return 'associate the organization root with a configuration policy that enables Security Hub without standards';
  }
}
