/**
 * GuardDuty `FindingCriteria` and `SortCriteria` evaluated against findings
 * in wire form (criterion keys are wire paths such as `service.archived`,
 * `severity`, `resource.instanceDetails.instanceId`).
 */
import type { Condition, SortCriteria } from '@aws-sdk/client-guardduty';

import { isFields } from '../codec';

/** Every value found at a dotted wire path (arrays along the way are flattened). */
export function valuesAt(root: unknown, path: string): unknown[] {
  let current: unknown[] = [root];
  for (const step of path.split('.')) {
    const next: unknown[] = [];
    for (const value of current) {
      const items = Array.isArray(value) ? value : [value];
      for (const item of items) {
        if (isFields(item) && item[step] !== undefined && item[step] !== null) next.push(item[step]);
      }
    }
    current = next;
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v]));
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
    // Timestamps compare in epoch milliseconds, as GuardDuty's criteria do.
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

function same(actual: unknown, expected: string): boolean {
  if (String(actual) === expected) return true;
  const a = asNumber(actual);
  const e = asNumber(expected);
  return typeof actual === 'number' && a !== undefined && e !== undefined && a === e;
}

function glob(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

/** True when the values at one criterion path satisfy its condition. */
export function satisfies(values: readonly unknown[], condition: Condition): boolean {
  const eq = [...(condition.Eq ?? []), ...(condition.Equals ?? [])];
  const neq = [...(condition.Neq ?? []), ...(condition.NotEquals ?? [])];
  if (eq.length > 0 && !values.some((v) => eq.some((e) => same(v, e)))) return false;
  if (neq.length > 0 && values.some((v) => neq.some((e) => same(v, e)))) return false;
  const bounds: Array<[number | undefined, (a: number, b: number) => boolean]> = [
    [condition.Gt ?? condition.GreaterThan, (a, b) => a > b],
    [condition.Gte ?? condition.GreaterThanOrEqual, (a, b) => a >= b],
    [condition.Lt ?? condition.LessThan, (a, b) => a < b],
    [condition.Lte ?? condition.LessThanOrEqual, (a, b) => a <= b],
  ];
  for (const [bound, cmp] of bounds) {
    if (bound === undefined) continue;
    const numbers = values.map(asNumber).filter((n): n is number => n !== undefined);
    if (!numbers.some((n) => cmp(n, bound))) return false;
  }
  const matches = (condition.Matches ?? []).map(glob);
  if (matches.length > 0 && !values.some((v) => matches.some((re) => re.test(String(v))))) return false;
  const notMatches = (condition.NotMatches ?? []).map(glob);
  if (notMatches.some((re) => values.some((v) => re.test(String(v))))) return false;
  return true;
}

/** True when a wire-form finding satisfies every criterion. */
export function matchesCriteria(wireFinding: unknown, criterion: Readonly<Record<string, Condition>> | undefined): boolean {
  if (!criterion) return true;
  return Object.entries(criterion).every(([path, condition]) => satisfies(valuesAt(wireFinding, path), condition));
}

/** Sort wire-form findings in place by one attribute path. */
export function sortFindings<T>(items: T[], wireOf: (item: T) => unknown, sort: SortCriteria | undefined): T[] {
  if (!sort?.AttributeName) return items;
  const path = sort.AttributeName;
  const direction = sort.OrderBy === 'DESC' ? -1 : 1;
  return items.sort((a, b) => {
    const va = valuesAt(wireOf(a), path)[0];
    const vb = valuesAt(wireOf(b), path)[0];
    const na = asNumber(va);
    const nb = asNumber(vb);
    const cmp = na !== undefined && nb !== undefined ? na - nb : String(va ?? '').localeCompare(String(vb ?? ''));
    return cmp * direction;
  });
}
