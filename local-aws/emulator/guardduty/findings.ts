/**
 * GuardDuty findings: GetFindings, ListFindings, ArchiveFindings,
 * UnarchiveFindings, and the seeding path used by `publishGuardDutyFinding`.
 *
 * Visibility follows AWS: a detector sees its own account's findings in its
 * region, and an administrator's detector also sees the findings of its
 * enabled members in that region.
 */
import type {
  ArchiveFindingsRequest,
  Finding,
  GetFindingsRequest,
  GetFindingsResponse,
  ListFindingsRequest,
  ListFindingsResponse,
  UnarchiveFindingsRequest,
} from '@aws-sdk/client-guardduty';

import { fromWire, isFields, toWire } from '../codec';
import { ApiError, SeedInputError } from '../errors';
import type { ServiceModel } from '../model';
import { typed, type CallContext, type Handler } from '../service';
import { paginate } from '../util';
import { describeViolations, validateValue, type Violation } from '../validate';
import { matchesCriteria, sortFindings } from './criteria';
import type { Detector, GuardDutyStore } from './store';

/** What the finding handlers need. */
export interface GuardDutyFindingDeps {
  readonly store: GuardDutyStore;
  readonly model: ServiceModel;
  /** Called after a finding is stored or changed (Security Hub mirrors it). */
  readonly onFindingChanged: (finding: Finding) => void;
}

/** Accounts whose findings a detector sees: its own, plus its enabled members'. */
export function visibleAccounts(store: GuardDutyStore, detector: Detector): string[] {
  const members = [...store.membersOf(detector.accountId, detector.region).values()]
    .filter((m) => m.relationshipStatus === 'Enabled')
    .map((m) => m.accountId);
  return [detector.accountId, ...members];
}

function visibleFindings(store: GuardDutyStore, detector: Detector): Finding[] {
  return visibleAccounts(store, detector).flatMap((account) => [...store.findingsOf(account, detector.region).values()]);
}

/** The finding handlers, keyed by operation name. */
export function findingHandlers(deps: GuardDutyFindingDeps): Record<string, Handler> {
  const { store, model } = deps;
  const wire = (f: Finding): unknown => toWire(model, { shape: 'Finding' }, f);

  const setArchived = (ctx: CallContext, detectorId: string, ids: readonly string[], archived: boolean): void => {
    const detector = store.ownedDetector(detectorId, ctx.accountId, ctx.region);
    const administrator = store.administratorOf(ctx.accountId, ctx.region);
    if (administrator !== undefined) {
      // AWS: "Only the administrator account can archive findings. Member
      // accounts don't have permission to archive findings from their accounts."
      throw new ApiError(
        'BadRequestException',
        `The request is rejected because member account ${ctx.accountId} cannot ${archived ? 'archive' : 'unarchive'} findings; only its GuardDuty administrator account ${administrator} can.`,
      );
    }
    const byId = new Map(visibleFindings(store, detector).map((f) => [f.Id, f]));
    for (const id of ids) {
      const finding = byId.get(id);
      // Ids the detector cannot see are ignored: the response has no per-id result.
      if (!finding?.Service) continue;
      finding.Service.Archived = archived;
      deps.onFindingChanged(finding);
    }
  };

  return {
    GetFindings: typed<GetFindingsRequest, GetFindingsResponse>((ctx, input) => {
      const detector = store.ownedDetector(input.DetectorId ?? '', ctx.accountId, ctx.region);
      const wanted = new Set(input.FindingIds ?? []);
      const found = visibleFindings(store, detector).filter((f) => f.Id !== undefined && wanted.has(f.Id));
      return { Findings: sortFindings(found, wire, input.SortCriteria) };
    }),

    ListFindings: typed<ListFindingsRequest, ListFindingsResponse>((ctx, input) => {
      const detector = store.ownedDetector(input.DetectorId ?? '', ctx.accountId, ctx.region);
      const criterion = input.FindingCriteria?.Criterion;
      const matching = visibleFindings(store, detector).filter((f) => matchesCriteria(wire(f), criterion));
      const sorted = sortFindings(matching, wire, input.SortCriteria);
      const page = paginate(sorted, input.MaxResults, input.NextToken, 50, 'BadRequestException');
      return { FindingIds: page.items.map((f) => f.Id ?? ''), NextToken: page.nextToken };
    }),

    ArchiveFindings: typed<ArchiveFindingsRequest, object>((ctx, input) => {
      setArchived(ctx, input.DetectorId ?? '', input.FindingIds ?? [], true);
      return {};
    }),

    UnarchiveFindings: typed<UnarchiveFindingsRequest, object>((ctx, input) => {
      setArchived(ctx, input.DetectorId ?? '', input.FindingIds ?? [], false);
      return {};
    }),
  };
}

/**
 * Store a finding given in GuardDuty's wire / EventBridge `detail` shape
 * (camelCase). Validates it against the model's `Finding` shape, fills what
 * GuardDuty always sets (partition, schemaVersion, arn, service.count,
 * service.archived, service.detectorId), creates the account's detector if
 * absent, and merges a re-published id like GuardDuty aggregates repeated
 * activity (createdAt and archived state kept, count taken or incremented).
 */
export function storePublishedFinding(deps: GuardDutyFindingDeps, raw: Record<string, unknown>, now: Date): Finding {
  const { store, model } = deps;
  if (!isFields(raw)) throw new SeedInputError('publishGuardDutyFinding expects a finding object');
  const decoded = fromWire(model, { shape: 'Finding' }, raw);
  if (!isFields(decoded)) throw new SeedInputError('publishGuardDutyFinding expects a finding object');
  // Checked against the model's Finding shape below, once the defaults are filled.
  const finding = decoded as unknown as Finding;
  const accountId = finding.AccountId;
  const region = finding.Region;
  if (typeof accountId !== 'string' || !/^\d{12}$/.test(accountId)) {
    throw new SeedInputError(`publishGuardDutyFinding: accountId must be a 12-digit string, got ${JSON.stringify(accountId)}`);
  }
  if (typeof region !== 'string' || region === '') {
    throw new SeedInputError('publishGuardDutyFinding: region is required');
  }
  const detector = store.ensureDetector(accountId, region, now);
  const stamp = now.toISOString();
  const existing = finding.Id ? store.findingsOf(accountId, region).get(finding.Id) : undefined;
  finding.Partition ??= 'aws';
  finding.SchemaVersion ??= '2.0';
  finding.CreatedAt = existing?.CreatedAt ?? finding.CreatedAt ?? stamp;
  finding.UpdatedAt ??= stamp;
  finding.Service = {
    ...finding.Service,
    DetectorId: detector.id,
    Archived: finding.Service?.Archived ?? existing?.Service?.Archived ?? false,
    Count: finding.Service?.Count ?? (existing?.Service?.Count ?? 0) + 1,
    ServiceName: finding.Service?.ServiceName ?? 'guardduty',
  };
  if (finding.Id && !finding.Arn) {
    finding.Arn = `arn:${finding.Partition}:guardduty:${region}:${accountId}:detector/${detector.id}/finding/${finding.Id}`;
  }
  const violations: Violation[] = [];
  validateValue(model, { shape: 'Finding' }, finding, 'finding', {}, violations);
  if (violations.length > 0) {
    throw new SeedInputError(`publishGuardDutyFinding: ${describeViolations(violations)}`);
  }
  store.findingsOf(accountId, region).set(finding.Id ?? '', finding);
  deps.onFindingChanged(finding);
  return finding;
}
