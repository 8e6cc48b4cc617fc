/**
 * Coverage (pure): each active account in each region, with its GuardDuty
 * status and protection plans, from the state the security account sees. A
 * plan GuardDuty does not offer in the region, or an organization policy
 * manages, is not expected there (plan.ts `requestedPlans`).
 */
import { planKeyOf, planOn, PROTECTION_PLANS, type ProtectionPlan } from './features';
import {
  enabledFeatures,
  regionDisabled,
  regionOptState,
  type CoverageCell,
  type CoverageStatus,
  type Organization,
  type RegionState,
} from './model';
import { requestedPlans } from './plan';

/** Always on with a detector; not shown as protection plans. */
const FOUNDATIONAL = new Set(['CLOUD_TRAIL', 'DNS_LOGS', 'FLOW_LOGS']);

/** Statuses that count as covered. */
export const COVERED: ReadonlySet<CoverageStatus> = new Set<CoverageStatus>(['administrator', 'member-enabled']);

/** Order of statuses in reports: gaps first. */
const STATUS_ORDER: readonly CoverageStatus[] = [
  'unknown',
  'not-a-member',
  'detector-disabled',
  'member-enabled',
  'administrator',
  'region-not-enabled',
];

function plansOf(features: Iterable<string>): string[] {
  const on = [...features].filter((f) => f !== '' && !FOUNDATIONAL.has(f));
  const order = (f: string): number => {
    const i = PROTECTION_PLANS.findIndex((p) => p.feature === f);
    return i === -1 ? PROTECTION_PLANS.length : i;
  };
  return on.sort((a, b) => order(a) - order(b) || a.localeCompare(b)).map(planKeyOf);
}

/**
 * The cells of one region. `state` undefined, or a GuardDuty state whose
 * security-account side could not be read, means the region's coverage is
 * not known (`error`, or the read error, says why): every account reported
 * there is then `unknown`, a gap.
 */
export function coverageCells(
  org: Organization,
  region: string,
  state: RegionState | undefined,
  expectedPlans: readonly ProtectionPlan[],
  error?: string,
): CoverageCell[] {
  const expected = requestedPlans(org, region, expectedPlans).plans;
  return org.accounts.map((account): CoverageCell => {
    const base = { accountId: account.id, accountName: account.name, region };
    const opt = regionOptState(org, account.id, region);
    if (regionDisabled(opt))
      return { ...base, status: 'region-not-enabled', detail: `region opt-in status ${opt}`, plans: [], missingPlans: [], gap: false };
    if (!state || state.guardDuty.readError) {
      return {
        ...base,
        status: 'unknown',
        detail: state?.guardDuty.readError ?? error ?? 'region not read',
        plans: [],
        missingPlans: [],
        gap: true,
      };
    }
    const gd = state.guardDuty;
    let status: CoverageStatus;
    let detail: string;
    let features: ReadonlyMap<string, ReadonlySet<string>> = new Map();
    if (account.id === org.adminAccountId) {
      if (!gd.detector) [status, detail] = ['not-a-member', 'the security account has no detector'];
      else if (!gd.detector.enabled) [status, detail] = ['detector-disabled', "the security account's detector is disabled"];
      else {
        [status, detail] = ['administrator', gd.delegatedAdmin.status === 'self' ? 'delegated administrator' : 'detector enabled'];
        features = enabledFeatures(gd.detector);
      }
    } else if (gd.delegatedAdmin.status === 'other') {
      [status, detail] = ['not-a-member', `GuardDuty is administered by ${gd.delegatedAdmin.accountId}`];
    } else {
      const member = gd.members.get(account.id);
      if (!member) [status, detail] = ['not-a-member', gd.detector ? 'not a member' : 'the security account has no detector'];
      else if (member.relationship === 'Enabled') {
        [status, detail] = ['member-enabled', 'member, Enabled'];
        features = member.features;
      } else if (member.relationship === 'Disabled') [status, detail] = ['detector-disabled', 'member, monitoring stopped (Disabled)'];
      else [status, detail] = ['not-a-member', `member, ${member.relationship}`];
    }
    if (opt === 'UNKNOWN' && !COVERED.has(status)) {
      // Not covered, and nobody would say whether the account has enabled the region.
      [status, detail] = ['unknown', `${detail}; opt-in status of ${region} unknown`];
    }
    const plans = plansOf(features.keys());
    const missingPlans = COVERED.has(status) ? expected.filter((p) => !planOn(features, p)).map((p) => p.key) : [];
    return { ...base, status, detail, plans, missingPlans, gap: !COVERED.has(status) || missingPlans.length > 0 };
  });
}

/** Cells sorted gaps first, then by status, region and account. */
export function sortCells(cells: readonly CoverageCell[]): CoverageCell[] {
  return [...cells].sort(
    (a, b) =>
      Number(b.gap) - Number(a.gap) ||
      STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) ||
      a.region.localeCompare(b.region) ||
      a.accountId.localeCompare(b.accountId),
  );
}
