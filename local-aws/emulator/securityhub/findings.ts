/**
 * Security Hub findings: BatchImportFindings, GetFindings, BatchUpdateFindings.
 *
 * A caller sees a finding when it is the finding's account or that account's
 * Security Hub administrator, in the finding's region — or, from the region of
 * its finding aggregator, in any linked region. BatchUpdateFindings changes the
 * one stored copy, so the change is visible to every later GetFindings.
 */
import type {
  AwsSecurityFinding,
  AwsSecurityFindingIdentifier,
  BatchImportFindingsRequest,
  BatchImportFindingsResponse,
  BatchUpdateFindingsRequest,
  BatchUpdateFindingsResponse,
  BatchUpdateFindingsUnprocessedFinding,
  GetFindingsRequest,
  GetFindingsResponse,
  ImportFindingsError,
  SeverityLabel,
  WorkflowState,
} from '@aws-sdk/client-securityhub';

import { typed, type CallContext, type Handler } from '../service';
import { key, paginate } from '../util';
import { checkSupportedFilters, matchesFilters, sortAsff } from './filters';
import type { SecurityHubStore, StoredFinding } from './store';

/** The store key of a finding. */
export function findingKey(productArn: string, id: string): string {
  return key(productArn, id);
}

/** Customer-controlled fields: an import never overwrites them once BatchUpdateFindings set them. */
const CUSTOMER_FIELDS = [
  'Note',
  'UserDefinedFields',
  'VerificationState',
  'Workflow',
  'WorkflowState',
  'Confidence',
  'Criticality',
  'Severity',
  'Types',
  'RelatedFindings',
] as const;

/** Fields only customers set: a provider's import never changes them on an existing finding. */
const ALWAYS_CUSTOMER: ReadonlySet<string> = new Set(['Note', 'UserDefinedFields', 'VerificationState', 'Workflow', 'WorkflowState']);

/**
 * Insert or update a finding as BatchImportFindings does: provider fields are
 * replaced, fields a customer set with BatchUpdateFindings are kept, and a
 * finding that comes back from ARCHIVED to ACTIVE while NOTIFIED or RESOLVED
 * returns to NEW (documented Security Hub behaviour).
 */
export function importAsff(store: SecurityHubStore, region: string, incoming: AwsSecurityFinding, now: Date): AwsSecurityFinding {
  const findings = store.findingsIn(region);
  const k = findingKey(incoming.ProductArn ?? '', incoming.Id ?? '');
  const existing = findings.get(k);
  const finding: AwsSecurityFinding = {
    ...incoming,
    Region: incoming.Region ?? region,
    RecordState: incoming.RecordState ?? 'ACTIVE',
    Workflow: incoming.Workflow ?? { Status: 'NEW' },
    WorkflowState: incoming.WorkflowState ?? 'NEW',
    ProcessedAt: now.toISOString(),
  };
  if (existing) {
    const kept: Partial<AwsSecurityFinding> = {};
    for (const field of CUSTOMER_FIELDS) {
      const alwaysCustomer = ALWAYS_CUSTOMER.has(field);
      const old = existing.finding[field];
      if ((alwaysCustomer || existing.customerUpdated.has(field)) && old !== undefined) Object.assign(kept, { [field]: old });
    }
    Object.assign(finding, kept);
    const reactivated = existing.finding.RecordState === 'ARCHIVED' && finding.RecordState === 'ACTIVE';
    if (reactivated && (finding.Workflow?.Status === 'NOTIFIED' || finding.Workflow?.Status === 'RESOLVED')) {
      finding.Workflow = { Status: 'NEW' };
      finding.WorkflowState = 'NEW';
    }
    existing.finding = finding;
    return finding;
  }
  findings.set(k, { finding, customerUpdated: new Set() });
  return finding;
}

/** Regions whose findings a caller sees from `region` (its own, plus aggregated ones). */
function readableRegions(store: SecurityHubStore, ctx: CallContext, allRegions: readonly string[]): string[] {
  const aggregator = store.aggregatorOf(ctx.accountId);
  if (!aggregator || aggregator.homeRegion !== ctx.region) return [ctx.region];
  const linked = allRegions.filter((r) => {
    switch (aggregator.linkingMode) {
      case 'ALL_REGIONS':
        return true;
      case 'ALL_REGIONS_EXCEPT_SPECIFIED':
        return !aggregator.regions.includes(r);
      case 'SPECIFIED_REGIONS':
        return aggregator.regions.includes(r);
      default:
        return false;
    }
  });
  return [...new Set([ctx.region, ...linked])];
}

function canSee(store: SecurityHubStore, ctx: CallContext, finding: AwsSecurityFinding, region: string): boolean {
  const owner = finding.AwsAccountId ?? '';
  if (owner === ctx.accountId) return true;
  return store.administratorOf(owner, region) === ctx.accountId || store.administratorOf(owner, ctx.region) === ctx.accountId;
}

/** Stored findings visible to the caller from its region. */
export function visibleStored(store: SecurityHubStore, ctx: CallContext, allRegions: readonly string[]): StoredFinding[] {
  return readableRegions(store, ctx, allRegions).flatMap((region) =>
    [...store.findingsIn(region).values()].filter((s) => canSee(store, ctx, s.finding, region)),
  );
}

const LABEL_TO_NORMALIZED: Readonly<Record<SeverityLabel, number>> = {
  INFORMATIONAL: 0,
  LOW: 1,
  MEDIUM: 40,
  HIGH: 70,
  CRITICAL: 90,
};

const STATUS_TO_STATE: Readonly<Record<string, WorkflowState>> = {
  NEW: 'NEW',
  NOTIFIED: 'ASSIGNED',
  RESOLVED: 'RESOLVED',
  SUPPRESSED: 'DEFERRED',
};

function applyUpdate(stored: StoredFinding, input: BatchUpdateFindingsRequest, ctx: CallContext): void {
  const f = stored.finding;
  const mark = (field: string): void => {
    stored.customerUpdated.add(field);
  };
  if (input.Note) {
    f.Note = { Text: input.Note.Text, UpdatedBy: input.Note.UpdatedBy, UpdatedAt: ctx.now.toISOString() };
    mark('Note');
  }
  if (input.Severity) {
    const label = input.Severity.Label ?? f.Severity?.Label;
    f.Severity = {
      ...f.Severity,
      ...input.Severity,
      Normalized: input.Severity.Normalized ?? (input.Severity.Label ? LABEL_TO_NORMALIZED[input.Severity.Label] : f.Severity?.Normalized),
      Label: label,
    };
    mark('Severity');
  }
  if (input.VerificationState) {
    f.VerificationState = input.VerificationState;
    mark('VerificationState');
  }
  if (input.Confidence !== undefined) {
    f.Confidence = input.Confidence;
    mark('Confidence');
  }
  if (input.Criticality !== undefined) {
    f.Criticality = input.Criticality;
    mark('Criticality');
  }
  if (input.Types) {
    f.Types = [...input.Types];
    mark('Types');
  }
  if (input.UserDefinedFields) {
    const merged: Record<string, string> = { ...(f.UserDefinedFields ?? {}) };
    for (const [k, v] of Object.entries(input.UserDefinedFields)) {
      // An empty value removes the field.
      if (v === '') delete merged[k];
      else merged[k] = v;
    }
    f.UserDefinedFields = merged;
    mark('UserDefinedFields');
  }
  if (input.Workflow?.Status) {
    f.Workflow = { Status: input.Workflow.Status };
    f.WorkflowState = STATUS_TO_STATE[input.Workflow.Status] ?? 'NEW';
    mark('Workflow');
  }
  if (input.RelatedFindings) {
    f.RelatedFindings = input.RelatedFindings.map((r) => ({ ...r }));
    mark('RelatedFindings');
  }
  // BatchUpdateFindings does not change UpdatedAt (provider-owned); ProcessedAt moves.
  f.ProcessedAt = ctx.now.toISOString();
}

/** The finding handlers, keyed by operation name. */
export function securityHubFindingHandlers(store: SecurityHubStore, allRegions: () => readonly string[]): Record<string, Handler> {
  return {
    BatchImportFindings: typed<BatchImportFindingsRequest, BatchImportFindingsResponse>((ctx, input) => {
      store.requireHub(ctx.accountId, ctx.region);
      const failed: ImportFindingsError[] = [];
      let success = 0;
      for (const finding of input.Findings ?? []) {
        if (finding.AwsAccountId !== ctx.accountId) {
          failed.push({
            Id: finding.Id,
            ErrorCode: 'AccessDeniedException',
            ErrorMessage: `Account ${ctx.accountId} cannot import findings for account ${finding.AwsAccountId ?? '(none)'}`,
          });
          continue;
        }
        importAsff(store, ctx.region, finding, ctx.now);
        success += 1;
      }
      return { FailedCount: failed.length, SuccessCount: success, FailedFindings: failed };
    }),

    GetFindings: typed<GetFindingsRequest, GetFindingsResponse>((ctx, input) => {
      store.requireHub(ctx.accountId, ctx.region);
      checkSupportedFilters(input.Filters);
      const matching = visibleStored(store, ctx, allRegions())
        .map((s) => s.finding)
        .filter((f) => matchesFilters(f, input.Filters, ctx.now));
      const sorted = sortAsff(matching, input.SortCriteria);
      const page = paginate(sorted, input.MaxResults, input.NextToken, 100, 'InvalidInputException');
      return { Findings: page.items, NextToken: page.nextToken };
    }),

    BatchUpdateFindings: typed<BatchUpdateFindingsRequest, BatchUpdateFindingsResponse>((ctx, input) => {
      store.requireHub(ctx.accountId, ctx.region);
      const visible = new Map(
        visibleStored(store, ctx, allRegions()).map((s) => [findingKey(s.finding.ProductArn ?? '', s.finding.Id ?? ''), s]),
      );
      const processed: AwsSecurityFindingIdentifier[] = [];
      const unprocessed: BatchUpdateFindingsUnprocessedFinding[] = [];
      const seen = new Map<string, number>();
      for (const ident of input.FindingIdentifiers ?? []) {
        const k = findingKey(ident.ProductArn ?? '', ident.Id ?? '');
        seen.set(k, (seen.get(k) ?? 0) + 1);
      }
      for (const ident of input.FindingIdentifiers ?? []) {
        const k = findingKey(ident.ProductArn ?? '', ident.Id ?? '');
        const identifier = { Id: ident.Id, ProductArn: ident.ProductArn };
        if ((seen.get(k) ?? 0) > 1) {
          unprocessed.push({
            FindingIdentifier: identifier,
            ErrorCode: 'DuplicatedFindingIdentifier',
            ErrorMessage: 'Finding Identifier is duplicated',
          });
          continue;
        }
        const stored = visible.get(k);
        if (!stored) {
          unprocessed.push({ FindingIdentifier: identifier, ErrorCode: 'FindingNotFound', ErrorMessage: 'Finding Not Found' });
          continue;
        }
        applyUpdate(stored, input, ctx);
        processed.push(identifier);
      }
      return { ProcessedFindings: processed, UnprocessedFindings: unprocessed };
    }),
  };
}
