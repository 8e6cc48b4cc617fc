/**
 * `cordon coverage`: from the security account, every active account in
 * every region with its GuardDuty status and protection plans, gaps first.
 * Read-only: discover → read each region (bounded, isolated) → cells. A
 * region no account has enabled is not read (every cell says so, no gap).
 */
import pLimit from 'p-limit';

import { describeError } from '../errors';
import { coverageCells, sortCells } from './cells';
import type { OrgClientSet } from './clients';
import { discoverOrganization, resolveRegionOptIn } from './discover';
import type { CoverageCell } from './model';
import { deniedByScp, regionBlocker, regionNotEnabled, reportedAccounts } from './plan';
import { SILENT_PROGRESS, type Progress } from './progress';
import type { CoverageSettings } from './settings';
import { readRegionState } from './state';

/** What `cordon coverage` reports. */
export interface CoverageReport {
  readonly adminAccountId: string;
  readonly managementAccountId: string;
  /** The caller's partition (`aws`, `aws-us-gov`…). */
  readonly partition: string;
  /** The active accounts (management and security accounts included). */
  readonly accounts: ReadonlyArray<{ readonly accountId: string; readonly name: string }>;
  readonly regions: readonly string[];
  /** Sorted: gaps first. */
  readonly cells: readonly CoverageCell[];
  readonly skippedAccounts: ReadonlyArray<{ readonly accountId: string; readonly name: string; readonly state: string }>;
  /** Regions that could not be read, and why. */
  readonly errors: ReadonlyArray<{ readonly region: string; readonly error: string }>;
  readonly warnings: readonly string[];
  /** Number of gap cells. */
  readonly gaps: number;
}

/** Dependencies of {@link surveyCoverage}. */
export interface CoverageDeps {
  readonly clients: OrgClientSet;
  readonly callerRegion: string;
  /** @default SILENT_PROGRESS */
  readonly progress?: Progress;
}

/** Reads GuardDuty coverage as the security account sees it. */
export async function surveyCoverage(settings: CoverageSettings, deps: CoverageDeps): Promise<CoverageReport> {
  const progress = deps.progress ?? SILENT_PROGRESS;
  const discovered = await discoverOrganization(deps.clients, {
    adminAccountId: undefined,
    regions: settings.regions,
    homeRegion: undefined,
    callerRegion: deps.callerRegion,
    concurrency: settings.concurrency,
    allowedRoles: ['admin'],
  });
  const clients = discovered.clients;
  const org = await resolveRegionOptIn(clients, discovered.organization, {
    callerRegion: deps.callerRegion,
    concurrency: settings.concurrency,
    pacer: discovered.listRegionsPacer,
  });
  for (const w of org.warnings) progress.note(`warning: ${w}`);
  progress.start(org.regions.reduce((n, r) => n + reportedAccounts(org, r).length, 0));
  const limit = pLimit(settings.concurrency);
  const errors: Array<{ region: string; error: string }> = [];
  const settled = await Promise.allSettled(
    org.regions.map((region) =>
      limit(async () => {
        const failed = (error: string): CoverageCell[] => {
          errors.push({ region, error });
          return coverageCells(org, region, undefined, settings.expectedPlans, error);
        };
        try {
          if (regionNotEnabled(org, region)) return coverageCells(org, region, undefined, settings.expectedPlans);
          const blocked = regionBlocker(org, region);
          if (blocked) return failed(blocked);
          const state = await readRegionState(clients, org, region, false);
          const readError = state.guardDuty.readError;
          if (readError)
            return failed(deniedByScp(readError) ? `denied by a service control policy in ${region}: ${readError}` : readError);
          return coverageCells(org, region, state, settings.expectedPlans);
        } catch (err) {
          return failed(describeError(err));
        } finally {
          progress.advance(reportedAccounts(org, region).length, region);
        }
      }),
    ),
  );
  progress.finish();
  const cells = sortCells(settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : [])));
  return {
    adminAccountId: org.adminAccountId,
    managementAccountId: org.managementAccountId,
    partition: org.partition,
    accounts: org.accounts.map((a) => ({ accountId: a.id, name: a.name })),
    regions: org.regions,
    cells,
    skippedAccounts: org.skipped.map((a) => ({ accountId: a.id, name: a.name, state: a.state })),
    errors: errors.sort((a, b) => a.region.localeCompare(b.region)),
    warnings: org.warnings,
    gaps: cells.filter((c) => c.gap).length,
  };
}
