/**
 * Text output of `cordon enable` and `cordon coverage` (pure): the plan or
 * the changes, a table per region, skipped accounts and the gaps.
 */
import type { EnableSummary } from './enable';
import type { RegionReport } from './region-report';
import type { CoverageCell } from './model';

/** Lays out rows as aligned columns (the first row is the header). */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function securityHubCell(r: RegionReport): string {
  const sh = r.securityHub;
  if (!sh) return '-';
  const parts = [`admin ${sh.admin}`, `${sh.membersEnabled}/${sh.membersTargeted} members`];
  if (sh.configurationType === 'CENTRAL') parts.push('central');
  if (sh.autoEnable) parts.push('auto-enable');
  if (sh.aggregator) parts.push('aggregator');
  if (sh.v2) parts.push('new Security Hub on');
  return parts.join(', ');
}

/**
 * The per-region table: GuardDuty administrator, accounts covered / to
 * cover, accounts with every requested plan / to cover, plans auto-enabled
 * for ALL members, publishing frequency, Security Hub, errors.
 */
export function regionTable(regions: readonly RegionReport[]): string {
  const rows = [['REGION', 'GD ADMIN', 'COVERED', 'PLANS', 'AUTO-ENABLED', 'PUBLISHING', 'SECURITY HUB', 'ERRORS']];
  for (const r of regions) {
    if (!r.enabled) {
      rows.push([r.region, r.admin, '-', '-', '-', '-', '-', '-']);
      continue;
    }
    rows.push([
      r.region,
      r.admin,
      `${r.covered}/${r.targeted}`,
      `${r.withAllPlans}/${r.targeted}`,
      r.plans.length > 0 ? r.plans.join(',') : '-',
      r.publishingFrequency ?? '-',
      securityHubCell(r),
      r.errors.length > 0 ? r.errors.join('; ') : '-',
    ]);
  }
  return table(rows);
}

/** Everything `cordon enable` prints without `--json`. */
export function formatEnableSummary(s: EnableSummary): string {
  const out: string[] = [];
  const verb = s.dryRun ? 'PLAN' : 'DONE';
  const changeLines = (label: string, changes: EnableSummary['organization']): void => {
    for (const c of changes) {
      const tag = c.status === 'planned' ? verb : c.status.toUpperCase();
      out.push(`${tag.padEnd(7)} ${label}: ${c.step}${c.detail ? ` (${c.detail})` : ''}`);
    }
  };
  changeLines('organization', s.organization);
  for (const r of s.regions) changeLines(r.region, r.changes);
  if (out.length > 0) out.push('');
  out.push(regionTable(s.regions));
  if (s.skippedAccounts.length > 0) {
    out.push(
      '',
      `Skipped (not ACTIVE): ${s.skippedAccounts.map((a) => `${a.accountId} ${a.name ? `"${a.name}" ` : ''}${a.state}`).join(', ')}`,
    );
  }
  for (const w of s.warnings) out.push(`Warning: ${w}`);
  for (const n of s.notes) out.push(`Note: organization: ${n}`);
  if (s.deniedByScp.length > 0) {
    out.push(
      `Denied by a service control policy: ${s.deniedByScp.join(', ')} (leave them out of --regions, or exempt the security account's role from the policy)`,
    );
  }
  const notEnabled = s.regions.filter((r) => !r.enabled).map((r) => r.region);
  if (notEnabled.length > 0) out.push(`Not enabled in any active account (nothing to cover): ${notEnabled.join(', ')}`);
  const notes = s.regions.filter((r) => r.enabled).flatMap((r) => r.notes.map((n) => `${r.region}: ${n}`));
  for (const n of notes) out.push(`Note: ${n}`);
  const gaps = s.regions.flatMap((r) => [...r.errors.map((e) => `${r.region}: ${e}`), ...r.gaps.map((g) => `${r.region}: ${g}`)]);
  out.push('');
  if (s.dryRun) {
    if (!s.nothingToChange) out.push(`Dry run: ${s.changes} change(s) planned; nothing changed.`);
    else if (s.covered) out.push(`Dry run: nothing to change; all ${s.pairs} account×region pairs are covered.`);
    else out.push('Dry run: nothing to change, but some parts cannot be worked on:');
    for (const g of gaps) out.push(`  ${g}`);
  } else if (s.covered) {
    out.push(
      s.nothingToChange
        ? `Nothing to change: every targeted account and region is covered (${s.pairs} account×region pairs, ${s.accounts} accounts, ${s.regions.length} regions).`
        : `${s.changes} change(s) made; every targeted account and region is covered (${s.pairs} account×region pairs, ${s.accounts} accounts, ${s.regions.length} regions).`,
    );
  } else {
    out.push(`${s.nothingToChange ? 'Nothing changed' : `${s.changes} change(s), ${s.failures} failed`}; gaps remain:`);
    for (const g of gaps) out.push(`  ${g}`);
  }
  return `${out.join('\n')}\n`;
}

/** The coverage table, gaps first (cells already sorted). */
export function formatCoverage(
  cells: readonly CoverageCell[],
  skipped: ReadonlyArray<{ accountId: string; state: string }>,
  warnings: readonly string[],
): string {
  const rows = [['GAP', 'ACCOUNT', 'NAME', 'REGION', 'STATUS', 'PLANS', 'DETAIL']];
  for (const c of cells) {
    const plans = c.plans.length > 0 ? c.plans.join(',') : '-';
    rows.push([
      c.gap ? 'GAP' : '',
      c.accountId,
      c.accountName || '-',
      c.region,
      c.status,
      c.missingPlans.length > 0 ? `${plans} (missing ${c.missingPlans.join(',')})` : plans,
      c.detail,
    ]);
  }
  const out = [table(rows)];
  if (skipped.length > 0) out.push('', `Skipped (not ACTIVE): ${skipped.map((a) => `${a.accountId} ${a.state}`).join(', ')}`);
  for (const w of warnings) out.push(`Warning: ${w}`);
  const gaps = cells.filter((c) => c.gap).length;
  const counted = cells.filter((c) => c.status !== 'region-not-enabled').length;
  out.push(
    '',
    gaps === 0 ? `Covered: ${counted} account×region pair(s), no gaps.` : `${gaps} gap(s) among ${counted} account×region pair(s).`,
  );
  return `${out.join('\n')}\n`;
}
