/**
 * The report of one region after `cordon enable` (pure): its coverage, the
 * gaps and errors left, from the state read after applying and the plan of
 * that state. `enable.ts` runs the regions; `report.ts` prints the reports.
 */
import { COVERED, coverageCells } from './cells';
import type { ProtectionPlan } from './features';
import type { CoverageCell, DelegatedAdmin, Organization, RegionPlan, RegionState, StepOutcome } from './model';
import { describeStep } from './describe-step';
import { deniedByScp, targetAccounts } from './plan';
import type { EnablerSettings } from './settings';

/** Security Hub's part of a region's report. */
export interface SecurityHubReport {
  /** `self`, `none`, `other <account>`, `unknown` or `error`. */
  readonly admin: string;
  readonly hubEnabled: boolean;
  readonly autoEnable: boolean | undefined;
  readonly membersEnabled: number;
  /** Accounts that should be members (targeted, less the security account). */
  readonly membersTargeted: number;
  /** The aggregator's ARN, in the home region's report only. */
  readonly aggregator: string | undefined;
  /** `LOCAL` or `CENTRAL` as read here (undefined before the security account administers it). */
  readonly configurationType: string | undefined;
  /** True when the new Security Hub (v2) is on for the security account here (cordon leaves it as it is). */
  readonly v2: boolean | undefined;
}

/** One region after the run. */
export interface RegionReport {
  readonly region: string;
  /** False when no active account has the region enabled: there is nothing to cover there, and that is not a gap. */
  readonly enabled: boolean;
  /** GuardDuty delegated administrator: `self`, `none`, `other <account>`, `unknown`, `error`; `not enabled` for a region enabled nowhere. */
  readonly admin: string;
  /** Accounts × this region covered (administrator or Enabled member). */
  readonly covered: number;
  /** Accounts that should be covered here (active, region enabled for them or unknown). */
  readonly targeted: number;
  /**
   * Plans the organization configuration auto-enables for ALL members (cordon
   * keys), with every additional configuration they need (Runtime
   * Monitoring's automated agents for EKS, ECS Fargate and EC2) auto-enabled too.
   */
  readonly plans: readonly string[];
  /** Covered accounts with every requested plan on. */
  readonly withAllPlans: number;
  readonly publishingFrequency: string | undefined;
  readonly securityHub: SecurityHubReport | undefined;
  /** Changes made (or, in a dry run, planned). */
  readonly changes: readonly StepOutcome[];
  /** What is still missing after the run (accounts not covered, plans missing, steps not done). */
  readonly gaps: readonly string[];
  /** Calls that failed, and the parts of the region that could not be worked on, with what to do. */
  readonly errors: readonly string[];
  /** True when a service control policy denies the security account's calls here (reported once, in `errors`). */
  readonly deniedByScp: boolean;
  readonly notes: readonly string[];
  /** Accounts not covered here, or covered without every requested plan, with why. */
  readonly uncovered: ReadonlyArray<{
    readonly accountId: string;
    readonly status: string;
    readonly detail: string;
    readonly missingPlans: readonly string[];
  }>;
}

/**
 * The report of a region from its (final) state. `remaining` is the plan of
 * that state: whatever it would still change is a gap, and whatever blocks
 * it an error; so is a targeted account that is not an Enabled Security Hub
 * member. A region a service control policy denies is one error, not a list
 * of gaps. In a dry run the plan is what the run would do, so gaps are not
 * reported.
 */
export function regionReport(
  org: Organization,
  state: RegionState,
  remaining: RegionPlan,
  changes: readonly StepOutcome[],
  settings: EnablerSettings,
): RegionReport {
  const region = state.region;
  const cells = coverageCells(org, region, state, settings.plans);
  const targeted = cells.filter((c) => c.status !== 'region-not-enabled');
  const coveredCells = targeted.filter((c) => COVERED.has(c.status));
  const uncovered = targeted.filter((c) => !COVERED.has(c.status));
  const lackingPlans = coveredCells.filter((c) => c.missingPlans.length > 0);
  const gd = state.guardDuty;
  const targets = new Set(targetAccounts(org, region).map((a) => a.id));
  targets.delete(org.adminAccountId);
  const sh = state.securityHub;
  const shMissing =
    sh && !sh.readError && sh.delegatedAdmin.status !== 'other' ? [...targets].filter((id) => sh.members.get(id) !== 'Enabled') : [];
  const scpFailure = changes.find((c) => c.status === 'failed' && deniedByScp(c.detail));
  const deniedHere = remaining.deniedByScp || scpFailure !== undefined;
  const gaps =
    settings.dryRun || deniedHere
      ? []
      : [
          ...remaining.steps.map((s) => `not done: ${describeStep(s)}`),
          ...(uncovered.length > 0 ? [`${uncovered.length} account(s) not covered: ${summarizeCells(uncovered)}`] : []),
          ...(lackingPlans.length > 0
            ? [`${lackingPlans.length} account(s) covered without every requested plan: ${summarizeCells(lackingPlans)}`]
            : []),
          ...(shMissing.length > 0 ? [`${shMissing.length} account(s) not Security Hub members: ${summarizeMembers(shMissing, sh)}`] : []),
        ];
  const errors = [
    ...(remaining.blocked ? [remaining.blocked] : []),
    ...(scpFailure && !remaining.deniedByScp
      ? [
          `denied by a service control policy in ${region} (${scpFailure.step}: ${scpFailure.detail ?? ''}): leave ${region} out of --regions, or exempt the security account's role from the policy`,
        ]
      : []),
    ...remaining.problems,
    ...changes.filter((c) => c.status === 'failed' && !deniedByScp(c.detail)).map((c) => `${c.step}: ${c.detail ?? 'failed'}`),
  ];
  return {
    region,
    enabled: true,
    admin: adminText(gd.delegatedAdmin),
    covered: coveredCells.length,
    targeted: targeted.length,
    plans: settings.plans.filter((p) => autoEnabledForAll(gd.orgConfig?.features.get(p.feature), p)).map((p) => p.key),
    withAllPlans: coveredCells.length - lackingPlans.length,
    publishingFrequency: gd.detector?.publishingFrequency,
    securityHub: sh && {
      admin: adminText(sh.delegatedAdmin),
      hubEnabled: sh.hubEnabled,
      autoEnable: sh.autoEnable,
      membersEnabled: [...sh.members].filter(([id, s]) => s === 'Enabled' && targets.has(id)).length,
      membersTargeted: targets.size,
      aggregator: sh.aggregator?.arn,
      configurationType: sh.configurationType,
      v2: sh.v2,
    },
    changes,
    gaps,
    errors,
    deniedByScp: deniedHere,
    notes: [...remaining.notes],
    uncovered: [...uncovered, ...lackingPlans].map((c) => ({
      accountId: c.accountId,
      status: c.status,
      detail: c.detail,
      missingPlans: c.missingPlans,
    })),
  };
}

/** Accounts that are not Enabled Security Hub members, with their status, the first five. */
function summarizeMembers(ids: readonly string[], sh: RegionState['securityHub']): string {
  const shown = ids.slice(0, 5).map((id) => `${id} (${sh?.members.get(id) ?? 'not a member'})`);
  return `${shown.join(', ')}${ids.length > 5 ? `, and ${ids.length - 5} more` : ''}`;
}

/** A region no active account has enabled: nothing to do, nothing missing. */
export function notEnabledRegion(region: string): RegionReport {
  return {
    region,
    enabled: false,
    admin: 'not enabled',
    covered: 0,
    targeted: 0,
    plans: [],
    withAllPlans: 0,
    publishingFrequency: undefined,
    securityHub: undefined,
    changes: [],
    gaps: [],
    errors: [],
    deniedByScp: false,
    notes: ['region not enabled in any active account'],
    uncovered: [],
  };
}

/** A region that could not be worked on at all (`error` says why). */
export function failedRegion(org: Organization, region: string, error: string, admin: string): RegionReport {
  const cells = coverageCells(org, region, undefined, [], error);
  const targeted = cells.filter((c) => c.status !== 'region-not-enabled');
  return {
    region,
    enabled: true,
    admin,
    covered: 0,
    targeted: targeted.length,
    plans: [],
    withAllPlans: 0,
    publishingFrequency: undefined,
    securityHub: undefined,
    changes: [],
    gaps: [`${targeted.length} account(s) not covered: the region could not be worked on`],
    errors: [error],
    deniedByScp: false,
    notes: [],
    uncovered: targeted.map((c) => ({ accountId: c.accountId, status: c.status, detail: c.detail, missingPlans: [] })),
  };
}

function adminText(admin: DelegatedAdmin): string {
  return admin.status === 'other' ? `other ${admin.accountId}` : admin.status;
}

function summarizeCells(cells: readonly CoverageCell[]): string {
  const shown = cells
    .slice(0, 5)
    .map(
      (c) => `${c.accountId} (${c.missingPlans.length > 0 && COVERED.has(c.status) ? `missing ${c.missingPlans.join(',')}` : c.detail})`,
    );
  return `${shown.join(', ')}${cells.length > 5 ? `, and ${cells.length - 5} more` : ''}`;
}

/** True when the organization configuration auto-enables the plan, and each of its additional configurations, for ALL members. */
function autoEnabledForAll(
  feature: { readonly autoEnable: string; readonly additional: ReadonlyMap<string, string> } | undefined,
  plan: ProtectionPlan,
): boolean {
  return feature?.autoEnable === 'ALL' && plan.additional.every((a) => feature.additional.get(a) === 'ALL');
}
