/** The doctor's report as a person reads it. */
import type { DoctorCheck } from './doctor';

/** The report as a table, then what to fix. */
export function formatDoctor(checks: readonly DoctorCheck[]): string {
  const widths = {
    status: Math.max(6, ...checks.map((c) => c.status.length)),
    check: Math.max(5, ...checks.map((c) => c.check.length)),
    scope: Math.max(5, ...checks.map((c) => c.scope.length)),
  };
  const row = (status: string, check: string, scope: string, detail: string): string =>
    `${status.padEnd(widths.status)}  ${check.padEnd(widths.check)}  ${scope.padEnd(widths.scope)}  ${detail}`;
  const lines = [row('STATUS', 'CHECK', 'SCOPE', 'DETAIL')];
  for (const c of checks) lines.push(row(c.status === 'ok' ? 'ok' : c.status.toUpperCase(), c.check, c.scope, c.detail));
  const toFix = checks.filter((c) => c.status !== 'ok' && c.fix !== undefined);
  lines.push('');
  if (toFix.length === 0) lines.push('Nothing to fix.');
  else {
    lines.push('To fix:');
    for (const c of toFix) lines.push(`- ${c.check} ${c.scope}: ${c.fix}`);
  }
  return `${lines.join('\n')}\n`;
}
