/**
 * Planning (pure): from the organization and one region's state, the
 * changes that make the region covered — and nothing when it already is,
 * which is what makes `cordon enable` idempotent. Planning the state read
 * after applying gives what is still missing (the gaps).
 */
import type { ProtectionPlan } from './features';
import {
  regionDisabled,
  regionEnabled,
  regionOptState,
  type OrgAccount,
  type Organization,
  type RegionPlan,
  type RegionState,
  type RegionStep,
  type TrustedAccessStep,
} from './model';
import { chunk, MEMBER_BATCH_SIZE } from './state';

/** Findings reach EventBridge (and the responder) within 15 minutes of an update instead of 6 hours. */
export const PUBLISHING_FREQUENCY = 'FIFTEEN_MINUTES';

/** GuardDuty's service principal (trusted access in AWS Organizations). */
export const GUARDDUTY_PRINCIPAL = 'guardduty.amazonaws.com';
/** Security Hub's service principal. */
export const SECURITY_HUB_PRINCIPAL = 'securityhub.amazonaws.com';
/** AWS Account Management's: its trusted access lets the management account read other accounts' region opt-in. */
export const ACCOUNT_PRINCIPAL = 'account.amazonaws.com';

/** What to set up besides GuardDuty's membership. */
export interface PlanOptions {
  readonly plans: readonly ProtectionPlan[];
  readonly securityHub: boolean;
  /** Accounts per CreateMembers call. @default 50 (the APIs' maximum) */
  readonly batchSize?: number;
}

/** GuardDuty relationships that a new CreateMembers repairs. */
const READDABLE_GD = new Set(['Removed']);
/** Security Hub member statuses that a new CreateMembers repairs. */
const READDABLE_SH = new Set(['Removed', 'Deleted']);

/**
 * Trusted access still to enable (management caller only): GuardDuty,
 * Security Hub, and Account Management when opt-in regions are covered (to
 * learn which accounts enabled them).
 */
export function planTrustedAccess(org: Organization, securityHub: boolean): TrustedAccessStep[] {
  if (org.callerRole !== 'management' || !org.trustedAccess) return [];
  const wanted = [GUARDDUTY_PRINCIPAL, ...(securityHub ? [SECURITY_HUB_PRINCIPAL] : []), ...(org.optInRegions.length > 0 ? [ACCOUNT_PRINCIPAL] : [])];
  return wanted.filter((p) => !org.trustedAccess?.has(p)).map((servicePrincipal) => ({ kind: 'trusted-access', servicePrincipal }));
}

/** Active accounts known to have the region enabled: the ones cordon adds as members there. */
export function targetAccounts(org: Organization, region: string): OrgAccount[] {
  return org.accounts.filter((a) => regionEnabled(regionOptState(org, a.id, region)));
}

/** Active accounts not known to have the region disabled: the ones reported on there. */
export function reportedAccounts(org: Organization, region: string): OrgAccount[] {
  return org.accounts.filter((a) => !regionDisabled(regionOptState(org, a.id, region)));
}

/** Why nothing can be done in a region, if so. */
export function regionBlocker(org: Organization, region: string, state: RegionState | undefined): string | undefined {
  const callerState = regionOptState(org, org.callerAccountId, region);
  if (!regionEnabled(callerState)) return `${region} is not enabled in the calling account ${org.callerAccountId} (${callerState})`;
  const adminState = regionOptState(org, org.adminAccountId, region);
  if (regionDisabled(adminState)) return `${region} is not enabled in the security account ${org.adminAccountId} (${adminState})`;
  const gdAdmin = state?.guardDuty.delegatedAdmin;
  if (gdAdmin?.status === 'other') {
    return `GuardDuty's delegated administrator in ${region} is ${gdAdmin.accountId}, not ${org.adminAccountId}; cordon does not replace it (DisableOrganizationAdminAccount first)`;
  }
  if (org.callerRole === 'admin' && state?.guardDuty.detector && !state.guardDuty.orgConfig) {
    return `the security account is not GuardDuty's delegated administrator in ${region}: run \`cordon enable\` once with the management account's credentials`;
  }
  return undefined;
}

/** The plan of one region (pure). */
export function planRegion(org: Organization, state: RegionState, options: PlanOptions): RegionPlan {
  const region = state.region;
  const notes: string[] = [];
  const blocked = regionBlocker(org, region, state);
  if (blocked) return { region, steps: [], blocked, notes };
  const batchSize = options.batchSize ?? MEMBER_BATCH_SIZE;
  const admin = org.adminAccountId;
  const targets = targetAccounts(org, region).filter((a) => a.id !== admin);
  const management: RegionStep[] = [];
  const steps: RegionStep[] = [];

  // GuardDuty
  const gd = state.guardDuty;
  if (gd.delegatedAdmin.status === 'none') management.push({ kind: 'gd-designate-admin', as: 'management', adminAccountId: admin });
  if (!gd.detector) {
    steps.push({ kind: 'gd-create-detector', as: 'admin', plans: options.plans, publishingFrequency: PUBLISHING_FREQUENCY });
  } else {
    const missingPlans = options.plans.filter((p) => {
      const f = gd.detector?.features.get(p.feature);
      return !f?.enabled || p.additional.some((a) => !f.additional.has(a));
    });
    const frequency = gd.detector.publishingFrequency === PUBLISHING_FREQUENCY ? undefined : PUBLISHING_FREQUENCY;
    if (!gd.detector.enabled || frequency || missingPlans.length > 0) {
      steps.push({ kind: 'gd-update-detector', as: 'admin', enable: !gd.detector.enabled, publishingFrequency: frequency, plans: missingPlans });
    }
  }
  const toAdd = targets.filter((a) => {
    const m = gd.members.get(a.id);
    return !m || READDABLE_GD.has(m.relationship);
  });
  for (const batch of chunk(toAdd.map((a) => a.id), batchSize)) steps.push({ kind: 'gd-add-members', as: 'admin', accountIds: batch });
  const config = gd.orgConfig;
  const configOk =
    config !== undefined &&
    config.autoEnableMembers === 'ALL' &&
    options.plans.every((p) => {
      const f = config.features.get(p.feature);
      return f?.autoEnable === 'ALL' && p.additional.every((a) => f.additional.get(a) === 'ALL');
    });
  if (!configOk) steps.push({ kind: 'gd-org-config', as: 'admin', plans: options.plans });

  // Security Hub
  const sh = state.securityHub;
  if (options.securityHub && sh) {
    if (sh.delegatedAdmin.status === 'other') {
      notes.push(`Security Hub's administrator in ${region} is ${sh.delegatedAdmin.accountId}, not ${admin}; cordon does not replace it`);
    } else if (org.callerRole === 'admin' && sh.hubEnabled && sh.autoEnable === undefined) {
      notes.push(`the security account is not Security Hub's administrator in ${region}: run \`cordon enable\` once with the management account's credentials`);
    } else {
      if (sh.delegatedAdmin.status === 'none') management.push({ kind: 'sh-designate-admin', as: 'management', adminAccountId: admin });
      if (!sh.hubEnabled) steps.push({ kind: 'sh-enable-hub', as: 'admin' });
      const shAdd = targets.filter((a) => {
        const status = sh.members.get(a.id);
        return status === undefined || READDABLE_SH.has(status);
      });
      for (const batch of chunk(shAdd.map((a) => a.id), batchSize)) steps.push({ kind: 'sh-add-members', as: 'admin', accountIds: batch });
      if (sh.autoEnable !== true) steps.push({ kind: 'sh-org-config', as: 'admin' });
      if (region === org.homeRegion) {
        if (!sh.aggregator) steps.push({ kind: 'sh-aggregator', as: 'admin' });
        else if (sh.aggregator.region !== region) notes.push(`the finding aggregator is in ${sh.aggregator.region}, not ${region}; it is kept`);
      }
    }
  }
  return { region, steps: [...management, ...steps], blocked: undefined, notes };
}

/** A step in words, for the plan, the report and the gaps. */
export function describeStep(step: RegionStep | TrustedAccessStep): string {
  const plans = (ps: readonly ProtectionPlan[]): string => (ps.length > 0 ? ps.map((p) => p.key).join(',') : 'none');
  switch (step.kind) {
    case 'trusted-access':
      return `enable trusted access for ${step.servicePrincipal} in AWS Organizations`;
    case 'gd-designate-admin':
      return `designate ${step.adminAccountId} as GuardDuty delegated administrator`;
    case 'gd-create-detector':
      return `create the security account's GuardDuty detector (publishing ${step.publishingFrequency}, plans ${plans(step.plans)})`;
    case 'gd-update-detector': {
      const parts: string[] = [];
      if (step.enable) parts.push('enable it');
      if (step.publishingFrequency) parts.push(`publishing ${step.publishingFrequency}`);
      if (step.plans.length > 0) parts.push(`turn on ${plans(step.plans)}`);
      return `update the security account's GuardDuty detector: ${parts.join(', ')}`;
    }
    case 'gd-add-members':
      return `add ${step.accountIds.length} account(s) as GuardDuty members`;
    case 'gd-org-config':
      return `set GuardDuty organization auto-enable to ALL with plans ${plans(step.plans)}`;
    case 'sh-designate-admin':
      return `designate ${step.adminAccountId} as Security Hub administrator`;
    case 'sh-enable-hub':
      return "enable Security Hub in the security account";
    case 'sh-add-members':
      return `add ${step.accountIds.length} account(s) as Security Hub members`;
    case 'sh-org-config':
      return 'turn on Security Hub auto-enable for new organization accounts';
    case 'sh-aggregator':
      return 'create the Security Hub finding aggregator (all regions)';
  }
}
