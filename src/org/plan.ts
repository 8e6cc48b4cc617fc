/**
 * Planning (pure): from the organization and one region's state, the
 * changes that make the region covered — and nothing when it already is,
 * which is what makes `cordon enable` idempotent. Planning the state read
 * after applying gives what is still missing (the gaps).
 *
 * GuardDuty and Security Hub are planned independently, and within each the
 * management account's steps (designating the delegated administrator)
 * independently of the security account's: a side that could not be read is
 * a problem of the plan, not a reason to skip the other side. Members are
 * only added once the security account is known to be (or is being made) the
 * delegated administrator: CreateMembers from any other account creates
 * invitation-style members instead of organization members.
 */
import { planOn, type ProtectionPlan } from './features';
import {
  enabledFeatures,
  regionDisabled,
  regionEnabled,
  regionOptState,
  type DelegatedAdmin,
  type OrgAccount,
  type Organization,
  type OrganizationStep,
  type RegionPlan,
  type RegionState,
  type RegionStep,
} from './model';
import { chunk, MEMBER_BATCH_SIZE } from './state';

/** Findings reach EventBridge (and the responder) within 15 minutes of an update instead of 6 hours. */
export const PUBLISHING_FREQUENCY = 'FIFTEEN_MINUTES';

/** GuardDuty's service principal (trusted access in AWS Organizations). */
export const GUARDDUTY_PRINCIPAL = 'guardduty.amazonaws.com';
/** Security Hub's service principal. */
export const SECURITY_HUB_PRINCIPAL = 'securityhub.amazonaws.com';
/** AWS Account Management's: its trusted access and delegated administrator let accounts other than themselves read an account's region opt-in. */
export const ACCOUNT_PRINCIPAL = 'account.amazonaws.com';

/** What to set up besides GuardDuty's membership. */
export interface PlanOptions {
  readonly plans: readonly ProtectionPlan[];
  readonly securityHub: boolean;
  /** Accounts per CreateMembers call. @default 50 (the APIs' maximum) */
  readonly batchSize?: number;
}

/** The organization-wide part of the plan. */
export interface OrganizationPlan {
  readonly steps: readonly OrganizationStep[];
  /** Things left as they are on purpose (another Account Management delegated administrator). */
  readonly notes: readonly string[];
}

/** GuardDuty relationships that a new CreateMembers repairs. */
const READDABLE_GD = new Set(['Removed']);
/** GuardDuty relationships that StartMonitoringMembers repairs (StopMonitoringMembers was called). */
const STOPPED_GD = new Set(['Disabled']);
/** Security Hub member statuses that a new CreateMembers repairs. */
const READDABLE_SH = new Set(['Removed', 'Deleted']);

/**
 * Organization-wide steps (management caller only): trusted access for
 * GuardDuty and Security Hub; when opt-in regions are covered, trusted access
 * for AWS Account Management and the security account as its delegated
 * administrator, so that the security account (the scheduled enabler,
 * `cordon coverage`) can read which accounts enabled them.
 */
export function planOrganization(org: Organization, securityHub: boolean): OrganizationPlan {
  if (org.callerRole !== 'management' || !org.trustedAccess) return { steps: [], notes: [] };
  const optIn = org.optInRegions.length > 0;
  const wanted = [GUARDDUTY_PRINCIPAL, ...(securityHub ? [SECURITY_HUB_PRINCIPAL] : []), ...(optIn ? [ACCOUNT_PRINCIPAL] : [])];
  const steps: OrganizationStep[] = wanted
    .filter((p) => !org.trustedAccess?.has(p))
    .map((servicePrincipal) => ({ kind: 'trusted-access', servicePrincipal }));
  const notes: string[] = [];
  const admins = org.accountManagementAdmins ?? new Set<string>();
  if (optIn && org.adminAccountId !== org.managementAccountId && !admins.has(org.adminAccountId)) {
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

/** Active accounts known to have the region enabled: the ones cordon adds as members there. */
export function targetAccounts(org: Organization, region: string): OrgAccount[] {
  return org.accounts.filter((a) => regionEnabled(regionOptState(org, a.id, region)));
}

/** Active accounts not known to have the region disabled: the ones reported on there. */
export function reportedAccounts(org: Organization, region: string): OrgAccount[] {
  return org.accounts.filter((a) => !regionDisabled(regionOptState(org, a.id, region)));
}

/**
 * True when no active account has the region enabled (or might have: an
 * unknown opt-in status counts as might): the region is reported as not
 * enabled, which is not a gap, and nothing is read or changed there.
 */
export function regionNotEnabled(org: Organization, region: string): boolean {
  return reportedAccounts(org, region).length === 0;
}

/** Why nothing can be done in a region some account has enabled, if so (pure). */
export function regionBlocker(org: Organization, region: string): string | undefined {
  const count = reportedAccounts(org, region).length;
  const callerState = regionOptState(org, org.callerAccountId, region);
  if (!regionEnabled(callerState)) {
    return `${region} is enabled in ${count} account(s) but not in the calling account ${org.callerAccountId} (${callerState}): enable it there, or leave it out of --regions`;
  }
  const adminState = regionOptState(org, org.adminAccountId, region);
  if (regionDisabled(adminState)) {
    return `${region} is enabled in ${count} account(s) but not in the security account ${org.adminAccountId} (${adminState}): enable it there so that GuardDuty can administer them`;
  }
  return undefined;
}

/**
 * What to do when the security account's side of a service could not be
 * read: reaching the account failed (AssumeRole refused: the run's second
 * step, or the role), or the account's credentials lack a permission.
 */
function adminSideHint(org: Organization, readError: string): string {
  const assumeFailed = readError.startsWith('AssumeRoleError:');
  if (org.callerRole === 'management' && assumeFailed) {
    return `run \`cordon enable --admin-account ${org.adminAccountId}\` with the security account's credentials to do its part, or let the management account assume ${org.adminRoleArn ?? 'the --admin-role-name role'}`;
  }
  const whose =
    org.callerRole === 'management' ? `the role ${org.adminRoleArn ?? ''} in the security account` : "the security account's credentials";
  return `check that ${whose} may make the enabler's calls there (ENABLER_PERMISSIONS.admin)`;
}

/** True when the security account is, or in this plan becomes, the delegated administrator. */
function delegationKnown(admin: DelegatedAdmin, designating: boolean, adminViewConfirms: boolean): boolean {
  return admin.status === 'self' || designating || adminViewConfirms;
}

/** The plan of one region (pure). */
export function planRegion(org: Organization, state: RegionState, options: PlanOptions): RegionPlan {
  const region = state.region;
  const notes: string[] = [];
  const problems: string[] = [];
  const blocked = regionBlocker(org, region);
  if (blocked) return { region, steps: [], blocked, problems, notes };
  const batchSize = options.batchSize ?? MEMBER_BATCH_SIZE;
  const admin = org.adminAccountId;
  const targets = targetAccounts(org, region).filter((a) => a.id !== admin);
  const management: RegionStep[] = [];
  const steps: RegionStep[] = [];

  // GuardDuty
  const gd = state.guardDuty;
  if (gd.delegatedAdmin.status === 'other') {
    problems.push(
      `GuardDuty's delegated administrator in ${region} is ${gd.delegatedAdmin.accountId}, not ${admin}; cordon does not replace it (DisableOrganizationAdminAccount first)`,
    );
  } else {
    if (gd.delegatedAdmin.status === 'error')
      problems.push(`GuardDuty's delegated administrator in ${region} could not be read: ${gd.delegatedAdmin.error}`);
    const designating = gd.delegatedAdmin.status === 'none';
    if (designating) management.push({ kind: 'gd-designate-admin', as: 'management', adminAccountId: admin });
    if (gd.readError) {
      problems.push(
        `the security account's GuardDuty in ${region} could not be read (${gd.readError}); ${adminSideHint(org, gd.readError)}`,
      );
    } else {
      if (!gd.detector) {
        steps.push({ kind: 'gd-create-detector', as: 'admin', plans: options.plans, publishingFrequency: PUBLISHING_FREQUENCY });
      } else {
        const on = enabledFeatures(gd.detector);
        const missingPlans = options.plans.filter((p) => !planOn(on, p));
        const frequency = gd.detector.publishingFrequency === PUBLISHING_FREQUENCY ? undefined : PUBLISHING_FREQUENCY;
        if (!gd.detector.enabled || frequency || missingPlans.length > 0) {
          steps.push({
            kind: 'gd-update-detector',
            as: 'admin',
            enable: !gd.detector.enabled,
            publishingFrequency: frequency,
            plans: missingPlans,
          });
        }
      }
      if (!delegationKnown(gd.delegatedAdmin, designating, gd.orgConfig !== undefined)) {
        if (gd.detector) {
          problems.push(
            `the security account is not GuardDuty's delegated administrator in ${region}: run \`cordon enable\` once with the management account's credentials`,
          );
        } else {
          notes.push(
            `GuardDuty members in ${region} are planned once the security account's detector exists and its delegation is confirmed`,
          );
        }
      } else {
        steps.push(...planGuardDutyMembers(state, targets, options, batchSize));
      }
    }
  }

  // Security Hub
  const sh = state.securityHub;
  if (options.securityHub && sh) {
    if (sh.delegatedAdmin.status === 'other') {
      notes.push(`Security Hub's administrator in ${region} is ${sh.delegatedAdmin.accountId}, not ${admin}; cordon does not replace it`);
    } else {
      if (sh.delegatedAdmin.status === 'error')
        problems.push(`Security Hub's administrator in ${region} could not be read: ${sh.delegatedAdmin.error}`);
      const designating = sh.delegatedAdmin.status === 'none';
      if (designating) management.push({ kind: 'sh-designate-admin', as: 'management', adminAccountId: admin });
      if (sh.readError) {
        problems.push(
          `the security account's Security Hub in ${region} could not be read (${sh.readError}); ${adminSideHint(org, sh.readError)}`,
        );
      } else {
        if (!sh.hubEnabled) steps.push({ kind: 'sh-enable-hub', as: 'admin' });
        if (!delegationKnown(sh.delegatedAdmin, designating, sh.autoEnable !== undefined)) {
          if (sh.hubEnabled) {
            problems.push(
              `the security account is not Security Hub's administrator in ${region}: run \`cordon enable\` once with the management account's credentials`,
            );
          } else {
            notes.push(
              `Security Hub members in ${region} are planned once the security account's hub is enabled and its administration confirmed`,
            );
          }
        } else {
          const shAdd = targets.filter((a) => {
            const status = sh.members.get(a.id);
            return status === undefined || READDABLE_SH.has(status);
          });
          for (const batch of chunk(
            shAdd.map((a) => a.id),
            batchSize,
          ))
            steps.push({ kind: 'sh-add-members', as: 'admin', accountIds: batch });
          if (sh.autoEnable !== true) steps.push({ kind: 'sh-org-config', as: 'admin' });
          if (region === org.homeRegion) {
            if (!sh.aggregator) steps.push({ kind: 'sh-aggregator', as: 'admin' });
            else if (sh.aggregator.region !== region)
              notes.push(`the finding aggregator is in ${sh.aggregator.region}, not ${region}; it is kept`);
          }
        }
      }
    }
  }
  return { region, steps: [...management, ...steps], blocked: undefined, problems, notes };
}

/** GuardDuty membership steps, once the delegation is known: add, restart monitoring, auto-enable, members' plans. */
function planGuardDutyMembers(state: RegionState, targets: readonly OrgAccount[], options: PlanOptions, batchSize: number): RegionStep[] {
  const gd = state.guardDuty;
  const steps: RegionStep[] = [];
  const toAdd = targets.filter((a) => {
    const m = gd.members.get(a.id);
    return !m || READDABLE_GD.has(m.relationship);
  });
  for (const batch of chunk(
    toAdd.map((a) => a.id),
    batchSize,
  ))
    steps.push({ kind: 'gd-add-members', as: 'admin', accountIds: batch });
  const stopped = targets.filter((a) => STOPPED_GD.has(gd.members.get(a.id)?.relationship ?? ''));
  for (const batch of chunk(
    stopped.map((a) => a.id),
    batchSize,
  ))
    steps.push({ kind: 'gd-start-monitoring', as: 'admin', accountIds: batch });
  const config = gd.orgConfig;
  const configOk =
    config !== undefined &&
    config.autoEnableMembers === 'ALL' &&
    options.plans.every((p) => {
      const f = config.features.get(p.feature);
      return f?.autoEnable === 'ALL' && p.additional.every((a) => f.additional.get(a) === 'ALL');
    });
  if (!configOk) steps.push({ kind: 'gd-org-config', as: 'admin', plans: options.plans });
  // Auto-enable ALL reaches existing members eventually (AWS: up to 24 hours); members missing a plan now are set directly.
  const lacking = targets.filter((a) => {
    const m = gd.members.get(a.id);
    return m?.relationship === 'Enabled' && options.plans.some((p) => !planOn(m.features, p));
  });
  for (const batch of chunk(
    lacking.map((a) => a.id),
    batchSize,
  ))
    steps.push({ kind: 'gd-member-plans', as: 'admin', accountIds: batch, plans: options.plans });
  return steps;
}

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
    case 'gd-start-monitoring':
      return `restart GuardDuty monitoring of ${step.accountIds.length} member(s) whose monitoring was stopped`;
    case 'gd-org-config':
      return `set GuardDuty organization auto-enable to ALL with plans ${plans(step.plans)}`;
    case 'gd-member-plans':
      return `turn on plans ${plans(step.plans)} for ${step.accountIds.length} member(s) missing some`;
    case 'sh-designate-admin':
      return `designate ${step.adminAccountId} as Security Hub administrator`;
    case 'sh-enable-hub':
      return 'enable Security Hub in the security account';
    case 'sh-add-members':
      return `add ${step.accountIds.length} account(s) as Security Hub members`;
    case 'sh-org-config':
      return 'turn on Security Hub auto-enable for new organization accounts';
    case 'sh-aggregator':
      return 'create the Security Hub finding aggregator (all regions)';
  }
}
