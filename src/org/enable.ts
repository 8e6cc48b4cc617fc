/**
 * `cordon enable` and the scheduled enabler Lambda: discover → per region
 * (in parallel, bounded by p-limit, each region isolated) read → plan →
 * apply → read again → report. A second run plans nothing and calls nothing
 * that changes AWS; a dry run plans and stops.
 */
import pLimit from 'p-limit';

import { describeError } from '../aws/errors';
import { applyRegionSteps, applyTrustedAccess } from './apply';
import { coverageCells } from './cells';
import type { OrgClients, OrgClientSet } from './clients';
import { COVERED } from './cells';
import { discoverOrganization, resolveRegionOptIn } from './discover';
import type { CallerRole, CoverageCell, Organization, RegionPlan, RegionState, StepOutcome } from './model';
import { describeStep, planRegion, planTrustedAccess, reportedAccounts, targetAccounts } from './plan';
import { SILENT_PROGRESS, type Progress } from './progress';
import type { EnablerSettings } from './settings';
import { readRegionState } from './state';

/** Security Hub's part of a region's report. */
export interface SecurityHubReport {
  /** `self`, `none`, `other <account>` or `unknown`. */
  readonly admin: string;
  readonly hubEnabled: boolean;
  readonly autoEnable: boolean | undefined;
  readonly membersEnabled: number;
  /** Accounts that should be members (targeted, less the security account). */
  readonly membersTargeted: number;
  /** The aggregator's ARN, in the home region's report only. */
  readonly aggregator: string | undefined;
}

/** One region after the run. */
export interface RegionReport {
  readonly region: string;
  /** GuardDuty delegated administrator: `self`, `none`, `other <account>`, `unknown`; `error` when unread. */
  readonly admin: string;
  /** Accounts × this region covered (administrator or Enabled member). */
  readonly covered: number;
  /** Accounts that should be covered here (active, region enabled for them). */
  readonly targeted: number;
  /** Plans the organization configuration auto-enables for ALL members (cordon keys). */
  readonly plans: readonly string[];
  /** Covered accounts with every requested plan on. */
  readonly withAllPlans: number;
  readonly publishingFrequency: string | undefined;
  readonly securityHub: SecurityHubReport | undefined;
  /** Changes made (or, in a dry run, planned). */
  readonly changes: readonly StepOutcome[];
  /** What is still missing after the run. */
  readonly gaps: readonly string[];
  /** Calls that failed, and why the region could not be worked on. */
  readonly errors: readonly string[];
  readonly notes: readonly string[];
  /** Accounts not covered here, with why. */
  readonly uncovered: ReadonlyArray<{ readonly accountId: string; readonly status: string; readonly detail: string }>;
}

/** The outcome of a whole run: what the CLI prints and the Lambda returns. */
export interface EnableSummary {
  readonly dryRun: boolean;
  readonly callerAccountId: string;
  readonly callerRole: CallerRole;
  readonly managementAccountId: string;
  readonly adminAccountId: string;
  readonly homeRegion: string;
  readonly regions: readonly RegionReport[];
  /** Active accounts (the ones to cover). */
  readonly accounts: number;
  /** Account × region pairs to cover (active accounts, regions they have enabled). */
  readonly pairs: number;
  /** Accounts skipped because they are not ACTIVE. */
  readonly skippedAccounts: ReadonlyArray<{ readonly accountId: string; readonly name: string; readonly state: string }>;
  readonly trustedAccess: readonly StepOutcome[];
  readonly warnings: readonly string[];
  /** Changes made (or planned, in a dry run). */
  readonly changes: number;
  /** Changes that failed. */
  readonly failures: number;
  /** True when nothing needed changing. */
  readonly nothingToChange: boolean;
  /** True when every targeted account × region is covered and nothing is missing. */
  readonly covered: boolean;
}

/** Dependencies of {@link enableOrganization}. */
export interface EnableDeps {
  readonly clients: OrgClientSet;
  /** The caller's region (AWS_REGION); global services are called there. */
  readonly callerRegion: string;
  /** @default SILENT_PROGRESS */
  readonly progress?: Progress;
  /** Accounts per CreateMembers call (tests use smaller batches). @default 50 */
  readonly batchSize?: number;
}

/** Turns GuardDuty (and Security Hub) on organization-wide, or plans it (dry run). */
export async function enableOrganization(settings: EnablerSettings, deps: EnableDeps): Promise<EnableSummary> {
  const progress = deps.progress ?? SILENT_PROGRESS;
  const discovered = await discoverOrganization((caller) => deps.clients.forCaller(caller), {
    adminAccountId: settings.adminAccountId,
    regions: settings.regions,
    homeRegion: settings.homeRegion,
    callerRegion: deps.callerRegion,
    concurrency: settings.concurrency,
    allowedRoles: ['management', 'admin'],
  });
  const clients = discovered.clients;
  const trustedSteps = planTrustedAccess(discovered.organization, settings.securityHub);
  const trustedAccess = settings.dryRun
    ? trustedSteps.map((s): StepOutcome => ({ step: describeStep(s), status: 'planned' }))
    : await applyTrustedAccess(clients, deps.callerRegion, trustedSteps);
  // After trusted access: the Account API answers the management account about other accounts only then.
  const org = await resolveRegionOptIn(clients, discovered.organization, deps.callerRegion, settings.concurrency);
  progress.note(
    `${org.accounts.length} active account(s)${org.skipped.length > 0 ? `, ${org.skipped.length} skipped (${org.skipped.map((a) => `${a.id} ${a.state}`).join(', ')})` : ''}; ` +
      `${org.regions.length} region(s); running as the ${org.callerRole === 'management' ? 'management' : 'security'} account ${org.callerAccountId}` +
      (settings.dryRun ? ' (dry run)' : ''),
  );
  for (const w of org.warnings) progress.note(`warning: ${w}`);

  progress.start(org.regions.reduce((n, r) => n + reportedAccounts(org, r).length, 0));
  const limit = pLimit(settings.concurrency);
  const settled = await Promise.allSettled(
    org.regions.map((region) =>
      limit(async () => {
        const report = await runRegion(clients, org, region, settings, deps.batchSize);
        const outcome = settings.dryRun
          ? `${report.changes.length} change(s) planned`
          : report.gaps.length + report.errors.length === 0
            ? 'covered'
            : 'gaps remain';
        progress.advance(report.targeted, `${region}: ${outcome}`);
        return report;
      }),
    ),
  );
  progress.finish();
  const regions = settled.map((s, i): RegionReport => {
    if (s.status === 'fulfilled') return s.value;
    // runRegion reports its own errors; this is a bug's last line of defence, still reported per region.
    return failedRegion(org, org.regions[i] ?? '', describeError(s.reason));
  });

  const allChanges = [...trustedAccess, ...regions.flatMap((r) => r.changes)];
  const failures = allChanges.filter((c) => c.status === 'failed').length;
  const covered =
    failures === 0 &&
    regions.every((r) => (settings.dryRun ? r.errors.length === 0 : r.gaps.length === 0 && r.errors.length === 0));
  return {
    dryRun: settings.dryRun,
    callerAccountId: org.callerAccountId,
    callerRole: org.callerRole,
    managementAccountId: org.managementAccountId,
    adminAccountId: org.adminAccountId,
    homeRegion: org.homeRegion,
    regions,
    accounts: org.accounts.length,
    pairs: regions.reduce((n, r) => n + r.targeted, 0),
    skippedAccounts: org.skipped.map((a) => ({ accountId: a.id, name: a.name, state: a.state })),
    trustedAccess,
    warnings: org.warnings,
    changes: allChanges.length,
    failures,
    nothingToChange: allChanges.length === 0,
    covered,
  };
}

/** One region, isolated: any error ends up in its report, never in another region's. */
async function runRegion(clients: OrgClients, org: Organization, region: string, settings: EnablerSettings, batchSize: number | undefined): Promise<RegionReport> {
  const options = { plans: settings.plans, securityHub: settings.securityHub, batchSize };
  let before: RegionState;
  try {
    before = await readRegionState(clients, org, region, settings.securityHub);
  } catch (err) {
    return failedRegion(org, region, `reading ${region}: ${describeError(err)}`);
  }
  const plan = planRegion(org, before, options);
  if (settings.dryRun || plan.steps.length === 0) {
    const changes = plan.steps.map((s): StepOutcome => ({ step: describeStep(s), status: 'planned' }));
    return regionReport(org, before, plan, changes, settings, settings.dryRun ? [] : undefined);
  }
  const changes = await applyRegionSteps(clients, org, before, plan.steps);
  let after: RegionState;
  try {
    after = await readRegionState(clients, org, region, settings.securityHub);
  } catch (err) {
    const report = failedRegion(org, region, `reading ${region} after the changes: ${describeError(err)}`);
    return { ...report, changes };
  }
  return regionReport(org, after, planRegion(org, after, options), changes, settings, undefined);
}

/**
 * The report of a region from its (final) state. `remaining` is the plan of
 * that state: whatever it would still change is a gap, and a reason it is
 * blocked an error. In a dry run the plan is what the run would do, so gaps
 * are not reported (`gapsOverride` = []).
 */
function regionReport(
  org: Organization,
  state: RegionState,
  remaining: RegionPlan,
  changes: readonly StepOutcome[],
  settings: EnablerSettings,
  gapsOverride: string[] | undefined,
): RegionReport {
  const region = state.region;
  const cells = coverageCells(org, region, state, settings.plans);
  const targeted = cells.filter((c) => c.status !== 'region-not-enabled');
  const coveredCells = targeted.filter((c) => COVERED.has(c.status));
  const uncovered = targeted.filter((c) => !COVERED.has(c.status));
  const gd = state.guardDuty;
  const gaps = gapsOverride ?? [
    ...remaining.steps.map((s) => `not done: ${describeStep(s)}`),
    ...(uncovered.length > 0 ? [`${uncovered.length} account(s) not covered: ${summarizeCells(uncovered)}`] : []),
  ];
  const errors = [
    ...(remaining.blocked ? [remaining.blocked] : []),
    ...changes.filter((c) => c.status === 'failed').map((c) => `${c.step}: ${c.detail ?? 'failed'}`),
  ];
  const targets = new Set(targetAccounts(org, region).map((a) => a.id));
  targets.delete(org.adminAccountId);
  const sh = state.securityHub;
  return {
    region,
    admin: adminText(gd.delegatedAdmin),
    covered: coveredCells.length,
    targeted: targeted.length,
    plans: settings.plans.filter((p) => gd.orgConfig?.features.get(p.feature)?.autoEnable === 'ALL').map((p) => p.key),
    withAllPlans: coveredCells.filter((c) => c.missingPlans.length === 0).length,
    publishingFrequency: gd.detector?.publishingFrequency,
    securityHub: sh && {
      admin: adminText(sh.delegatedAdmin),
      hubEnabled: sh.hubEnabled,
      autoEnable: sh.autoEnable,
      membersEnabled: [...sh.members].filter(([id, s]) => s === 'Enabled' && targets.has(id)).length,
      membersTargeted: targets.size,
      aggregator: sh.aggregator?.arn,
    },
    changes,
    gaps,
    errors,
    notes: [...remaining.notes],
    uncovered: uncovered.map((c) => ({ accountId: c.accountId, status: c.status, detail: c.detail })),
  };
}

function failedRegion(org: Organization, region: string, error: string): RegionReport {
  const cells = coverageCells(org, region, undefined, [], error);
  const targeted = cells.filter((c) => c.status !== 'region-not-enabled');
  return {
    region,
    admin: 'error',
    covered: 0,
    targeted: targeted.length,
    plans: [],
    withAllPlans: 0,
    publishingFrequency: undefined,
    securityHub: undefined,
    changes: [],
    gaps: [`${targeted.length} account(s) not covered: the region could not be read`],
    errors: [error],
    notes: [],
    uncovered: targeted.map((c) => ({ accountId: c.accountId, status: c.status, detail: c.detail })),
  };
}

function adminText(admin: RegionState['guardDuty']['delegatedAdmin']): string {
  return admin.status === 'other' ? `other ${admin.accountId}` : admin.status;
}

function summarizeCells(cells: readonly CoverageCell[]): string {
  const shown = cells.slice(0, 5).map((c) => `${c.accountId} (${c.detail})`);
  return `${shown.join(', ')}${cells.length > 5 ? `, and ${cells.length - 5} more` : ''}`;
}
