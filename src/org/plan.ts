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
 *
 * Settings come before members, as AWS applies them when an account is added:
 * GuardDuty's organization configuration before CreateMembers ("GuardDuty
 * applies your organization's auto-enable settings to the member accounts in
 * this request", API_CreateMembers), Security Hub's auto-enable and standards
 * before its members. The plans asked for are those GuardDuty offers in the
 * region (features.ts) and no organization policy manages (policies.ts).
 * Security Hub is planned as the organization manages it
 * ({@link SecurityHubMode}, decided once from the home region).
 */
import { planOn, plansIn, type ProtectionPlan } from './features';
import {
  enabledFeatures,
  regionDisabled,
  regionEnabled,
  regionOptState,
  type DelegatedAdmin,
  type OrgAccount,
  type Organization,
  type RegionPlan,
  type RegionState,
  type RegionStep,
  type SecurityHubMode,
} from './model';
import { chunk, MEMBER_BATCH_SIZE } from './state';

/** Findings reach EventBridge (and the responder) within 15 minutes of an update instead of 6 hours. */
export const PUBLISHING_FREQUENCY = 'FIFTEEN_MINUTES';

/** AWS's advice for a new organization's Security Hub, cited where cordon follows it. */
export const CENTRAL_CONFIGURATION_DOC = 'https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-setup-prereqs.html';

/** What to set up besides GuardDuty's membership. */
export interface PlanOptions {
  readonly plans: readonly ProtectionPlan[];
  readonly securityHub: boolean;
  /** How the organization's Security Hub is managed ({@link decideSecurityHubMode}). @default 'local' */
  readonly securityHubMode?: SecurityHubMode;
  /** Accounts per CreateMembers call. @default 50 (the APIs' maximum) */
  readonly batchSize?: number;
}

/** GuardDuty relationships that a new CreateMembers repairs. */
const READDABLE_GD = new Set(['Removed']);
/** GuardDuty relationships that StartMonitoringMembers repairs (StopMonitoringMembers was called). */
const STOPPED_GD = new Set(['Disabled']);

/**
 * The plans to ask for in a region (pure): those GuardDuty offers there and
 * no GuardDuty organization policy manages; with those it does not offer and
 * those a policy manages, which are neither asked for nor missing.
 */
export function requestedPlans(
  org: Pick<Organization, 'guardDutyPolicies'>,
  region: string,
  plans: readonly ProtectionPlan[],
): {
  readonly plans: readonly ProtectionPlan[];
  readonly notOffered: readonly ProtectionPlan[];
  readonly managed: readonly ProtectionPlan[];
} {
  const { offered, notOffered } = plansIn(plans, region);
  const managed = new Set((org.guardDutyPolicies ?? []).flatMap((p) => p.managedFeatures));
  return { plans: offered.filter((p) => !managed.has(p.feature)), notOffered, managed: offered.filter((p) => managed.has(p.feature)) };
}

/** True when an error's text is an explicit deny of a service control policy (AWS's wording in AccessDenied messages). */
export function deniedByScp(text: string | undefined): boolean {
  return text !== undefined && /explicit deny in a service control policy/i.test(text);
}

/**
 * How the organization's Security Hub is managed (pure), from the home
 * region's state: by Security Hub organization policies; by central
 * configuration; not at all yet, in which case cordon starts central
 * configuration, as AWS recommends ("We strongly recommend using central
 * configuration", {@link CENTRAL_CONFIGURATION_DOC}) — possible when the
 * security account is not the management account and the finding aggregator,
 * if any, is in the home region; else local configuration.
 */
export function decideSecurityHubMode(org: Organization, home: RegionState): SecurityHubMode {
  if ((org.securityHubPolicies ?? []).length > 0) return 'policies';
  const sh = home.securityHub;
  if (!sh || sh.readError || sh.delegatedAdmin.status === 'other') return 'local';
  if (sh.configurationType === 'CENTRAL') return 'central';
  const fresh = sh.delegatedAdmin.status === 'none' || (sh.autoEnable !== true && ![...sh.members.values()].includes('Enabled'));
  const canCentral = org.adminAccountId !== org.managementAccountId && (!sh.aggregator || sh.aggregator.region === home.region);
  return fresh && canCentral ? 'start-central' : 'local';
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
  if (blocked) return { region, steps: [], blocked, problems, notes, deniedByScp: false };
  const scp = [state.guardDuty.readError, state.securityHub?.readError].find(deniedByScp);
  if (scp !== undefined) {
    return {
      region,
      steps: [],
      blocked: `denied by a service control policy in ${region} (${scp}): leave ${region} out of --regions, or exempt the security account's role from the policy`,
      problems,
      notes,
      deniedByScp: true,
    };
  }
  const batchSize = options.batchSize ?? MEMBER_BATCH_SIZE;
  const admin = org.adminAccountId;
  const targets = targetAccounts(org, region).filter((a) => a.id !== admin);
  const want = requestedPlans(org, region, options.plans);
  if (want.notOffered.length > 0) {
    notes.push(
      `${want.notOffered.map((p) => p.key).join(',')} not offered by GuardDuty in ${region} (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_regions.html): not turned on here, not a gap`,
    );
  }
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
        steps.push({
          kind: 'gd-create-detector',
          as: 'admin',
          plans: want.plans,
          publishingFrequency: PUBLISHING_FREQUENCY,
          afterDesignation: designating,
        });
      } else {
        const on = enabledFeatures(gd.detector);
        const missingPlans = want.plans.filter((p) => !planOn(on, p));
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
        steps.push(...planGuardDutyMembers(state, targets, want.plans, batchSize));
      }
    }
  }

  // Security Hub
  const sh = state.securityHub;
  if (options.securityHub && sh) {
    const planned = planSecurityHub(org, state, targets, options.securityHubMode ?? 'local', batchSize);
    management.push(...planned.management);
    steps.push(...planned.steps);
    problems.push(...planned.problems);
    notes.push(...planned.notes);
  }
  return { region, steps: [...management, ...steps], blocked: undefined, problems, notes, deniedByScp: false };
}

/** Security Hub member statuses that count as covered. */
const SH_COVERED = 'Enabled';

/**
 * Security Hub in one region, as the organization manages it (`mode`):
 * designation, the management account's own hub, the security account's hub;
 * under local configuration auto-enable (without the paid default standards)
 * before the members; in the home region the finding aggregator, and, for an
 * organization that has nothing yet, central configuration with a policy
 * that enables Security Hub without standards for the whole organization.
 * Under central configuration or Security Hub policies, no auto-enable and no
 * members: AWS refuses or ignores them there.
 */
function planSecurityHub(
  org: Organization,
  state: RegionState,
  targets: readonly OrgAccount[],
  mode: SecurityHubMode,
  batchSize: number,
): { management: RegionStep[]; steps: RegionStep[]; problems: string[]; notes: string[] } {
  const out = { management: [] as RegionStep[], steps: [] as RegionStep[], problems: [] as string[], notes: [] as string[] };
  const sh = state.securityHub;
  const region = state.region;
  const admin = org.adminAccountId;
  if (!sh) return out;
  if (sh.delegatedAdmin.status === 'other') {
    out.notes.push(`Security Hub's administrator in ${region} is ${sh.delegatedAdmin.accountId}, not ${admin}; cordon does not replace it`);
    return out;
  }
  const home = region === org.homeRegion;
  // Central configuration sets the administrator, and enables Security Hub, in the regions the home region links.
  const linked = !home && (mode === 'central' || mode === 'start-central');
  if (sh.delegatedAdmin.status === 'error')
    out.problems.push(`Security Hub's administrator in ${region} could not be read: ${sh.delegatedAdmin.error}`);
  const designating = sh.delegatedAdmin.status === 'none' && !linked;
  if (designating) out.management.push({ kind: 'sh-designate-admin', as: 'management', adminAccountId: admin });
  const managementTarget = targets.find((a) => a.id === org.managementAccountId);
  const enablingManagement =
    org.callerRole === 'management' &&
    managementTarget !== undefined &&
    mode !== 'policies' &&
    sh.managementHub === false &&
    sh.members.get(managementTarget.id) !== SH_COVERED;
  if (enablingManagement) out.management.push({ kind: 'sh-enable-management-hub', as: 'management' });
  if (sh.readError) {
    out.problems.push(
      `the security account's Security Hub in ${region} could not be read (${sh.readError}); ${adminSideHint(org, sh.readError)}`,
    );
    return out;
  }
  if (!sh.hubEnabled && !linked) out.steps.push({ kind: 'sh-enable-hub', as: 'admin' });
  if (sh.v2) out.notes.push(`the new Security Hub is on in ${region}; cordon leaves it as it is`);
  if (linked) {
    if (mode === 'central' && sh.configurationType !== undefined && sh.configurationType !== 'CENTRAL') {
      out.problems.push(
        `${region} is not linked to the finding aggregator in ${org.homeRegion}, so central configuration does not reach it: link it (UpdateFindingAggregator) in ${org.homeRegion}`,
      );
    }
    return out;
  }
  if (!delegationKnown(sh.delegatedAdmin, designating, sh.autoEnable !== undefined)) {
    if (sh.hubEnabled) {
      out.problems.push(
        `the security account is not Security Hub's administrator in ${region}: run \`cordon enable\` once with the management account's credentials`,
      );
    } else {
      out.notes.push(
        `Security Hub members in ${region} are planned once the security account's hub is enabled and its administration confirmed`,
      );
    }
    return out;
  }
  if (home && !sh.aggregator && mode !== 'policies') out.steps.push({ kind: 'sh-aggregator', as: 'admin' });
  if (home && sh.aggregator && sh.aggregator.region !== region)
    out.notes.push(`the finding aggregator is in ${sh.aggregator.region}, not ${region}; it is kept`);
  if (mode === 'start-central' && home) {
    out.steps.push({ kind: 'sh-central-config', as: 'admin' }, { kind: 'sh-central-policy', as: 'admin' });
    return out;
  }
  if (mode !== 'local') return out;
  if (sh.autoEnable !== true || sh.autoEnableStandards !== 'NONE') out.steps.push({ kind: 'sh-org-config', as: 'admin' });
  const toAdd = targets.filter((a) => {
    if (sh.members.get(a.id) === SH_COVERED) return false;
    // The management account joins once its own hub is on (AWS never turns it on through membership).
    return a.id !== org.managementAccountId || sh.managementHub !== false || enablingManagement;
  });
  for (const batch of chunk(
    toAdd.map((a) => a.id),
    batchSize,
  ))
    out.steps.push({ kind: 'sh-add-members', as: 'admin', accountIds: batch });
  return out;
}

/**
 * GuardDuty membership steps, once the delegation is known: the organization
 * configuration first (CreateMembers applies it to the accounts it adds),
 * then add, restart monitoring, and members' plans.
 */
function planGuardDutyMembers(
  state: RegionState,
  targets: readonly OrgAccount[],
  plans: readonly ProtectionPlan[],
  batchSize: number,
): RegionStep[] {
  const gd = state.guardDuty;
  const steps: RegionStep[] = [];
  const config = gd.orgConfig;
  const configOk =
    config !== undefined &&
    config.autoEnableMembers === 'ALL' &&
    plans.every((p) => {
      const f = config.features.get(p.feature);
      return f?.autoEnable === 'ALL' && p.additional.every((a) => f.additional.get(a) === 'ALL');
    });
  if (!configOk) steps.push({ kind: 'gd-org-config', as: 'admin', plans });
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
  // Auto-enable ALL reaches existing members eventually (AWS: up to 24 hours); members missing a plan now are set directly.
  const lacking = targets.filter((a) => {
    const m = gd.members.get(a.id);
    return m?.relationship === 'Enabled' && plans.some((p) => !planOn(m.features, p));
  });
  for (const batch of chunk(
    lacking.map((a) => a.id),
    batchSize,
  ))
    steps.push({ kind: 'gd-member-plans', as: 'admin', accountIds: batch, plans });
  return steps;
}
