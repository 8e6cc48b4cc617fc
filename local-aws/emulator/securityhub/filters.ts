/**
 * Security Hub `AwsSecurityFindingFilters` evaluated against ASFF findings,
 * with AWS's combination rules: filters on different fields are ANDed; on one
 * field, positive comparisons (EQUALS, PREFIX, CONTAINS) are ORed and
 * negative ones (NOT_EQUALS, PREFIX_NOT_EQUALS, NOT_CONTAINS) are ANDed.
 *
 * Supported: every filter whose name is a top-level ASFF member (Id,
 * AwsAccountId, ProductName, RecordState, Title, CreatedAt, ProductFields…)
 * plus the derived ones in {@link DERIVED}. Any other filter is rejected with
 * InvalidInputException naming it, rather than silently ignored.
 */
import type {
  AwsSecurityFinding,
  AwsSecurityFindingFilters,
  DateFilter,
  MapFilter,
  NumberFilter,
  SortCriterion,
  StringFilter,
} from '@aws-sdk/client-securityhub';

import { isFields } from '../codec';
import { ApiError } from '../errors';

type Extract = (f: AwsSecurityFinding) => unknown[];

/** Filters that read a nested ASFF member. */
const DERIVED: Readonly<Record<string, Extract>> = {
  Type: (f) => f.Types ?? [],
  SeverityLabel: (f) => [f.Severity?.Label],
  SeverityNormalized: (f) => [f.Severity?.Normalized],
  SeverityProduct: (f) => [f.Severity?.Product],
  WorkflowStatus: (f) => [f.Workflow?.Status],
  ComplianceStatus: (f) => [f.Compliance?.Status],
  NoteText: (f) => [f.Note?.Text],
  NoteUpdatedBy: (f) => [f.Note?.UpdatedBy],
  NoteUpdatedAt: (f) => [f.Note?.UpdatedAt],
  ResourceId: (f) => (f.Resources ?? []).map((r) => r.Id),
  ResourceType: (f) => (f.Resources ?? []).map((r) => r.Type),
  ResourceRegion: (f) => (f.Resources ?? []).map((r) => r.Region),
  ResourcePartition: (f) => (f.Resources ?? []).map((r) => r.Partition),
  ResourceTags: (f) => (f.Resources ?? []).map((r) => r.Tags),
  ResourceAwsEc2InstanceType: (f) => (f.Resources ?? []).map((r) => r.Details?.AwsEc2Instance?.Type),
  ResourceAwsEc2InstanceVpcId: (f) => (f.Resources ?? []).map((r) => r.Details?.AwsEc2Instance?.VpcId),
  ResourceAwsIamAccessKeyUserName: (f) => (f.Resources ?? []).map((r) => r.Details?.AwsIamAccessKey?.UserName),
  ResourceAwsS3BucketOwnerId: (f) => (f.Resources ?? []).map((r) => r.Details?.AwsS3Bucket?.OwnerId),
  FindingProviderFieldsSeverityLabel: (f) => [f.FindingProviderFields?.Severity?.Label],
  FindingProviderFieldsTypes: (f) => f.FindingProviderFields?.Types ?? [],
};

function extractor(name: string): Extract {
  const derived = DERIVED[name];
  if (derived) return derived;
  return (f) => {
    const value: unknown = Object.getOwnPropertyDescriptor(f, name)?.value;
    return Array.isArray(value) ? value : [value];
  };
}

/** Top-level ASFF member names, for checking a filter is supported. */
const ASFF_TOP_LEVEL = new Set([
  'Id',
  'ProductArn',
  'ProductName',
  'CompanyName',
  'Region',
  'GeneratorId',
  'AwsAccountId',
  'AwsAccountName',
  'Title',
  'Description',
  'SourceUrl',
  'RecordState',
  'VerificationState',
  'WorkflowState',
  'Confidence',
  'Criticality',
  'CreatedAt',
  'UpdatedAt',
  'FirstObservedAt',
  'LastObservedAt',
  'ProductFields',
  'UserDefinedFields',
  'Sample',
]);

function stringMatches(value: string, filter: StringFilter): boolean {
  const target = filter.Value ?? '';
  switch (filter.Comparison ?? 'EQUALS') {
    case 'EQUALS':
    case 'NOT_EQUALS':
      return value === target;
    case 'PREFIX':
    case 'PREFIX_NOT_EQUALS':
      return value.startsWith(target);
    case 'CONTAINS':
    case 'NOT_CONTAINS':
      return value.includes(target);
    case 'CONTAINS_WORD':
      return value.split(/\W+/).includes(target);
    default:
      return false;
  }
}

const NEGATIVE = new Set(['NOT_EQUALS', 'PREFIX_NOT_EQUALS', 'NOT_CONTAINS']);

function passesString(values: readonly unknown[], filters: readonly StringFilter[]): boolean {
  const strings = values.filter((v): v is string | number | boolean => v !== undefined && v !== null).map(String);
  const positive = filters.filter((f) => !NEGATIVE.has(f.Comparison ?? 'EQUALS'));
  const negative = filters.filter((f) => NEGATIVE.has(f.Comparison ?? 'EQUALS'));
  if (positive.length > 0 && !positive.some((f) => strings.some((s) => stringMatches(s, f)))) return false;
  return negative.every((f) => !strings.some((s) => stringMatches(s, f)));
}

function passesNumber(values: readonly unknown[], filters: readonly NumberFilter[]): boolean {
  const numbers = values.filter((v): v is number => typeof v === 'number');
  return filters.some((f) =>
    numbers.some(
      (n) =>
        (f.Eq === undefined || n === f.Eq) &&
        (f.Gte === undefined || n >= f.Gte) &&
        (f.Lte === undefined || n <= f.Lte) &&
        (f.Gt === undefined || n > f.Gt) &&
        (f.Lt === undefined || n < f.Lt),
    ),
  );
}

function passesDate(values: readonly unknown[], filters: readonly DateFilter[], now: Date): boolean {
  const times = values.filter((v): v is string => typeof v === 'string').map((v) => Date.parse(v));
  return filters.some((f) =>
    times.some((t) => {
      if (f.Start && t < Date.parse(f.Start)) return false;
      if (f.End && t > Date.parse(f.End)) return false;
      if (f.DateRange?.Value !== undefined) {
        const edge = now.getTime() - f.DateRange.Value * 86_400_000;
        return f.DateRange.Comparison === 'OLDER_THAN' ? t < edge : t >= edge;
      }
      return true;
    }),
  );
}

function passesMap(values: readonly unknown[], filters: readonly MapFilter[]): boolean {
  const maps = values.filter(isFields);
  const test = (f: MapFilter): boolean =>
    maps.some((m) => {
      const v = m[f.Key ?? ''];
      if (typeof v !== 'string') return false;
      return f.Comparison === 'CONTAINS' || f.Comparison === 'NOT_CONTAINS' ? v.includes(f.Value ?? '') : v === f.Value;
    });
  const positive = filters.filter((f) => f.Comparison !== 'NOT_EQUALS' && f.Comparison !== 'NOT_CONTAINS');
  const negative = filters.filter((f) => f.Comparison === 'NOT_EQUALS' || f.Comparison === 'NOT_CONTAINS');
  if (positive.length > 0 && !positive.some(test)) return false;
  return negative.every((f) => !test(f));
}

/** Reject filters the emulator cannot evaluate, naming them. */
export function checkSupportedFilters(filters: AwsSecurityFindingFilters | undefined): void {
  for (const [name, list] of Object.entries(filters ?? {})) {
    if (!Array.isArray(list) || list.length === 0) continue;
    if (!(name in DERIVED) && !ASFF_TOP_LEVEL.has(name)) {
      throw new ApiError(
        'InvalidInputException',
        `cordon's local emulator does not evaluate the Security Hub filter ${name}; supported: ${[...ASFF_TOP_LEVEL, ...Object.keys(DERIVED)].join(', ')}`,
      );
    }
  }
}

/** True when a finding passes every filter. */
export function matchesFilters(finding: AwsSecurityFinding, filters: AwsSecurityFindingFilters | undefined, now: Date): boolean {
  for (const [name, list] of Object.entries(filters ?? {})) {
    if (!Array.isArray(list) || list.length === 0) continue;
    const values = extractor(name)(finding);
    const first: unknown = list[0];
    if (!isFields(first)) continue;
    let ok: boolean;
    if ('Key' in first) ok = passesMap(values, list as MapFilter[]);
    else if ('Start' in first || 'End' in first || 'DateRange' in first) ok = passesDate(values, list as DateFilter[], now);
    else if (['Gte', 'Lte', 'Eq', 'Gt', 'Lt'].some((k) => k in first)) ok = passesNumber(values, list as NumberFilter[]);
    else if (typeof first['Value'] === 'boolean') ok = list.some((f: unknown) => isFields(f) && values.includes(f['Value']));
    else ok = passesString(values, list as StringFilter[]);
    if (!ok) return false;
  }
  return true;
}

/** Sort findings by SortCriteria (first criterion wins ties to the next). */
export function sortAsff(findings: AwsSecurityFinding[], criteria: readonly SortCriterion[] | undefined): AwsSecurityFinding[] {
  if (!criteria || criteria.length === 0) return findings;
  return findings.sort((a, b) => {
    for (const c of criteria) {
      const va = extractor(c.Field ?? '')(a)[0];
      const vb = extractor(c.Field ?? '')(b)[0];
      const cmp = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va ?? '').localeCompare(String(vb ?? ''));
      if (cmp !== 0) return c.SortOrder === 'desc' ? -cmp : cmp;
    }
    return 0;
  });
}
