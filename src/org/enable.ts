/**
 * `cordon enable` and the scheduled enabler Lambda: discover → organization
 * steps (trusted access; Account Management's delegated administrator when
 * asked) → the home region first (it decides how Security Hub is managed:
 * {@link decideSecurityHubMode}), then the other regions (in parallel,
 * bounded by p-limit, each region isolated): read → plan → apply → read
 * again → report. One run from nothing covers the organization; a second run
 * plans nothing and calls nothing that changes AWS; a dry run plans and
 * stops.
 */
import pLimit from 'p-limit';

import { describeError } from '../errors';
import { applyOrganizationSteps, applyRegionSteps } from './apply';
import type { OrgClients, OrgClientSet } from './clients';
import { discoverOrganization, resolveRegionOptIn } from './discover';
import type { CallerRole, Organization, RegionState, RegionStep, SecurityHubMode, StepOutcome } from './model';
import {
  CENTRAL_CONFIGURATION_DOC,
  decideSecurityHubMode,
  planRegion,
  regionBlocker,
  regionNotEnabled,
  reportedAccounts,
  type PlanOptions,
} from './plan';
import { describeStep } from './describe-step';
import { planOrganization } from './organization-plan';
import { SILENT_PROGRESS, type Progress } from './progress';
import { failedRegion, notEnabledRegion, regionReport, type RegionReport } from './region-report';
import type { EnablerSettings } from './settings';
import { readRegionState } from './state';

/**
 * Apply rounds per region. The second round makes what the first could only
 * plan once it had run (members, after the security account's own detector
 * or hub exists and its delegation is confirmed, in second-step runs), and
 * what a step that failed left to do by other means (members' plans set
 * directly when the organization configuration could not be).
 */
export const MAX_APPLY_ROUNDS = 2;

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
  /** Organization-wide changes: trusted access, AWS Account Management's delegated administrator. */
  readonly organization: readonly StepOutcome[];
  /** Organization-wide things left as they are on purpose. */
  readonly notes: readonly string[];
  readonly warnings: readonly string[];
  /** How the organization's Security Hub is managed (undefined when Security Hub is not managed by this run). */
  readonly securityHubMode: SecurityHubMode | undefined;
  /** Regions where a service control policy denies the security account's calls: to leave out of the regions, or exempt. */
  readonly deniedByScp: readonly string[];
  /** Accounts whose opt-in status of some region stayed unknown (not added there). */
  readonly unknownOptIn: readonly string[];
  /** Changes made (or planned, in a dry run). */
  readonly changes: number;
  /** Changes that failed. */
  readonly failures: number;
  /** True when nothing needed changing. */
  readonly nothingToChange: boolean;
  /** True when every targeted account × region is covered with every requested plan and nothing is missing (dry run: nothing blocks the plan). */
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
  const discovered = await discoverOrganization(deps.clients, {
    adminAccountId: settings.adminAccountId,
    regions: settings.regions,
    homeRegion: settings.homeRegion,
    callerRegion: deps.callerRegion,
    concurrency: settings.concurrency,
    allowedRoles: ['management', 'admin'],
    securityHub: settings.securityHub,
    registerAccountAdmin: settings.registerAccountAdmin,
  });
  const clients = discovered.clients;
  const orgPlan = planOrganization(discovered.organization, { plans: settings.plans, registerAccountAdmin: settings.registerAccountAdmin });
  const organization = settings.dryRun
    ? orgPlan.steps.map((s): StepOutcome => ({ step: describeStep(s), status: 'planned' }))
    : await applyOrganizationSteps(clients, deps.callerRegion, orgPlan.steps);
  // After trusted access: the Account API answers about other accounts only then.
  const org = await resolveRegionOptIn(clients, discovered.organization, {
    callerRegion: deps.callerRegion,
    concurrency: settings.concurrency,
    pacer: discovered.listRegionsPacer,
  });
  progress.note(
    `${org.accounts.length} active account(s)${org.skipped.length > 0 ? `, ${org.skipped.length} skipped (${org.skipped.map((a) => `${a.id} ${a.state}`).join(', ')})` : ''}; ` +
      `${org.regions.length} region(s); running as the ${org.callerRole === 'management' ? 'management' : 'security'} account ${org.callerAccountId}` +
      (settings.dryRun ? ' (dry run)' : ''),
  );
  for (const w of org.warnings) progress.note(`warning: ${w}`);

  progress.start(org.regions.reduce((n, r) => n + reportedAccounts(org, r).length, 0));
  const run: RegionRun = { clients, org, settings, progress, batchSize: deps.batchSize };
  // The home region first: how Security Hub is managed is decided there, and central configuration, once started there, reaches the others.
  const home = org.regions.includes(org.homeRegion) ? await settleRegion(run, org.homeRegion, undefined) : undefined;
  const mode = settings.securityHub ? (home?.mode ?? 'local') : undefined;
  const rest = org.regions.filter((r) => r !== org.homeRegion);
  const limit = pLimit(settings.concurrency);
  const settled = await Promise.allSettled(rest.map((region) => limit(async () => (await settleRegion(run, region, mode)).report)));
  progress.finish();
  const byRegion = new Map<string, RegionReport>(home ? [[org.homeRegion, home.report]] : []);
  settled.forEach((s, i) => {
    const region = rest[i] ?? '';
    // runRegion reports its own errors; this is a bug's last line of defence, still reported per region.
    byRegion.set(region, s.status === 'fulfilled' ? s.value : failedRegion(org, region, describeError(s.reason), 'error'));
  });
  const regions = org.regions.map((r) => byRegion.get(r) ?? failedRegion(org, r, 'not run', 'error'));

  const allChanges = [...organization, ...regions.flatMap((r) => r.changes)];
  const failures = allChanges.filter((c) => c.status === 'failed').length;
  const covered = failures === 0 && regions.every((r) => r.errors.length === 0 && (settings.dryRun || r.gaps.length === 0));
  const modeNotes =
    mode === 'local'
      ? [
          `Security Hub uses local configuration: cordon adds members and turns on auto-enable region by region (AutoEnableStandards NONE); AWS recommends central configuration (${CENTRAL_CONFIGURATION_DOC}), and CreateMembers turns on Security Hub's default standards in accounts that do not have Security Hub yet`,
        ]
      : mode === 'start-central' || mode === 'central'
        ? [
            `Security Hub uses central configuration (home region ${org.homeRegion}): configuration policies decide which accounts have it; cordon adds no members and sets no auto-enable`,
          ]
        : [];
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
    organization,
    notes: [...orgPlan.notes, ...modeNotes],
    warnings: org.warnings,
    securityHubMode: mode,
    deniedByScp: regions.filter((r) => r.deniedByScp).map((r) => r.region),
    unknownOptIn: org.unknownOptIn,
    changes: allChanges.length,
    failures,
    nothingToChange: allChanges.length === 0,
    covered,
  };
}

/** What every region's run shares. */
interface RegionRun {
  readonly clients: OrgClients;
  readonly org: Organization;
  readonly settings: EnablerSettings;
  readonly progress: Progress;
  readonly batchSize: number | undefined;
}

/**
 * One region, isolated: any error ends up in its report, never in another
 * region's. `mode` is how Security Hub is managed; undefined for the home
 * region, which decides it from its own state (before and after applying).
 */
async function settleRegion(
  run: RegionRun,
  region: string,
  mode: SecurityHubMode | undefined,
): Promise<{ report: RegionReport; mode: SecurityHubMode }> {
  try {
    return await runRegion(run, region, mode);
  } catch (err) {
    return { report: failedRegion(run.org, region, describeError(err), 'error'), mode: mode ?? 'local' };
  }
}

/**
 * One region: read → plan → apply (rounds) → read → report. Progress
 * advances in accounts × regions: as member batches are added, and for the
 * rest of the region's accounts when it is done.
 */
async function runRegion(
  run: RegionRun,
  region: string,
  given: SecurityHubMode | undefined,
): Promise<{ report: RegionReport; mode: SecurityHubMode }> {
  const { clients, org, settings, progress } = run;
  if (regionNotEnabled(org, region)) return { report: notEnabledRegion(region), mode: given ?? 'local' };
  const todo = reportedAccounts(org, region).length;
  let done = 0;
  const advance = (n: number, label: string): void => {
    const k = Math.max(0, Math.min(n, todo - done));
    done += k;
    progress.advance(k, label);
  };
  const finish = (report: RegionReport, mode: SecurityHubMode): { report: RegionReport; mode: SecurityHubMode } => {
    const outcome = settings.dryRun
      ? `${report.changes.length} change(s) planned`
      : report.gaps.length + report.errors.length === 0
        ? 'covered'
        : 'gaps remain';
    advance(todo - done, `${region}: ${outcome}`);
    return { report, mode };
  };

  const blocked = regionBlocker(org, region);
  if (blocked) return finish(failedRegion(org, region, blocked, '-'), given ?? 'local');
  let state = await readRegionState(clients, org, region, settings.securityHub);
  const decide = (s: RegionState): SecurityHubMode => given ?? decideSecurityHubMode(org, s);
  const options = (s: RegionState): PlanOptions => ({
    plans: settings.plans,
    securityHub: settings.securityHub,
    securityHubMode: decide(s),
    batchSize: run.batchSize,
  });
  let plan = planRegion(org, state, options(state));
  if (settings.dryRun || plan.steps.length === 0) {
    const changes = plan.steps.map((s): StepOutcome => ({ step: describeStep(s), status: 'planned' }));
    return finish(regionReport(org, state, plan, changes, settings), decide(state));
  }
  const changes: StepOutcome[] = [];
  const applied = new Set<string>();
  const failed = new Set<RegionStep['kind']>();
  const onDone = (step: RegionStep): void => {
    if (step.kind === 'gd-add-members' || step.kind === 'gd-start-monitoring')
      advance(step.accountIds.length, `${region}: ${describeStep(step)}`);
    else if (step.kind === 'gd-create-detector') advance(1, `${region}: ${describeStep(step)}`);
  };
  for (let round = 1; round <= MAX_APPLY_ROUNDS; round += 1) {
    // A step already made once is not repeated: what it did not fix is reported as a gap.
    const steps = plan.steps.filter((s) => !applied.has(JSON.stringify(s)));
    if (steps.length === 0) break;
    for (const s of steps) applied.add(JSON.stringify(s));
    changes.push(...(await applyRegionSteps(clients, org, state, steps, { onDone, failed })));
    state = await readRegionState(clients, org, region, settings.securityHub);
    plan = planRegion(org, state, options(state));
  }
  return finish(regionReport(org, state, plan, changes, settings), decide(state));
}
