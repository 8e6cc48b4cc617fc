import { BatchUpdateFindingsCommand, BatchUpdateFindingsV2Command, SecurityHubClient } from '@aws-sdk/client-securityhub';
import pLimit from 'p-limit';
import type { ClientFactory } from '../aws/clients';
import { describeError } from '../errors';
import { cordonComment, guardDutyProductArn, guardDutyProductV2Uid } from '../findings/finding';
import { OCSF_STATUS } from '../findings/ocsf-schema';
import { CORDON_UPDATED_BY } from '../runbooks/decide';
import { SecurityHubDetector, type SecurityHubEditions } from './detect';

/** Security Hub accepts at most this many findings per BatchUpdateFindings call. */
export const MAX_FINDINGS_PER_UPDATE = 100;
/**
 * BatchUpdateFindings calls in flight at once: Security Hub allows 10 requests a
 * second (burst 30) per account and region
 * (https://docs.aws.amazon.com/securityhub/1.0/APIReference/Welcome.html, "rate limits").
 */
const MAX_PARALLEL_UPDATES = 10;
/** Security Hub's limit on a note's text. */
export const MAX_NOTE_CHARS = 512;

/** What cordon writes on one GuardDuty finding in Security Hub. */
export interface FindingUpdate {
  readonly findingArn: string;
  readonly region: string;
  readonly partition: string;
  /** New workflow status, or undefined to leave it as it is. */
  readonly workflow: 'NOTIFIED' | 'RESOLVED' | 'SUPPRESSED' | undefined;
  readonly note: string;
  readonly fields: Readonly<Record<string, string>>;
  /**
   * GuardDuty's `updatedAt` of the finding cordon handled: the new Security
   * Hub's comment carries it (it has no note author or time), so that the
   * Imported V2 event of cordon's own update is recognised and not acted on.
   */
  readonly findingUpdatedAt?: string;
}

/** How the write of one finding ended. */
export interface UpdateResult {
  readonly status: 'updated' | 'unprocessed' | 'failed';
  readonly detail: string;
}

/** Error codes in UnprocessedFindings worth one more try. */
const TRANSIENT_CODES = new Set([
  'InternalFailure',
  'InternalException',
  'ThrottlingException',
  'TooManyRequestsException',
  'LimitExceededException',
]);

/** Error codes in BatchUpdateFindingsV2's UnprocessedFindings worth one more try. */
const TRANSIENT_V2_CODES = new Set(['InternalServerException', 'ConflictException']);

/** The new Security Hub's status for cordon's workflow status (OCSF status_id). */
const V2_STATUS: Readonly<Record<NonNullable<FindingUpdate['workflow']>, number>> = {
  NOTIFIED: OCSF_STATUS.inProgress,
  RESOLVED: OCSF_STATUS.resolved,
  SUPPRESSED: OCSF_STATUS.suppressed,
};

/** What each Security Hub calls the workflow statuses, for the result's detail. */
const V2_STATUS_NAME: Readonly<Record<NonNullable<FindingUpdate['workflow']>, string>> = {
  NOTIFIED: 'In Progress',
  RESOLVED: 'Resolved',
  SUPPRESSED: 'Suppressed',
};

/**
 * Writes cordon's results to Security Hub from the security account, to
 * whichever Security Hub each region has (read once per region and cached):
 * Security Hub CSPM with BatchUpdateFindings (workflow status, note, user
 * fields), the new Security Hub with BatchUpdateFindingsV2 (status and
 * comment), both where both are on. Findings that get exactly the same
 * update share a call (up to 100 per call, per region), which is why notes
 * summarise by action and not by resource. UnprocessedFindings are reported
 * per finding, after one retry of those whose error is transient.
 */
export class SecurityHubWriter {
  /** BatchUpdateFindings calls made (for benchmarks and tests). */
  public calls = 0;
  /** BatchUpdateFindingsV2 calls made. */
  public v2Calls = 0;
  private readonly detector: SecurityHubDetector;

  public constructor(private readonly clients: ClientFactory) {
    this.detector = new SecurityHubDetector((region) => clients.home(SecurityHubClient, region));
  }

  public async write(updates: readonly FindingUpdate[]): Promise<Map<string, UpdateResult>> {
    // A finding delivered twice in one batch gets one update (the last): Security
    // Hub refuses a finding named twice in a call (DuplicatedFindingIdentifier).
    const latest = new Map<string, FindingUpdate>();
    for (const u of updates) latest.set(u.findingArn, u);
    const regions = [...new Set([...latest.values()].map((u) => u.region))];
    const editions = new Map<string, SecurityHubEditions | Error>();
    const limit = pLimit(MAX_PARALLEL_UPDATES);
    await Promise.all(
      regions.map((region) =>
        limit(async () => {
          try {
            editions.set(region, await this.detector.editions(region));
          } catch (err) {
            editions.set(region, err instanceof Error ? err : new Error(describeError(err)));
          }
        }),
      ),
    );
    const results = new Map<string, UpdateResult>();
    const cspm: FindingUpdate[] = [];
    const v2: FindingUpdate[] = [];
    for (const u of latest.values()) {
      const found = editions.get(u.region);
      if (found === undefined || found instanceof Error)
        results.set(u.findingArn, { status: 'failed', detail: `cannot tell which Security Hub ${u.region} has: ${describeError(found)}` });
      else if (!found.cspm && !found.v2)
        results.set(u.findingArn, { status: 'failed', detail: `neither Security Hub CSPM nor Security Hub is enabled in ${u.region}` });
      else {
        if (found.cspm) cspm.push(u);
        if (found.v2) v2.push(u);
      }
    }
    const [old, next] = await Promise.all([this.writeCspm(cspm), this.writeV2(v2)]);
    for (const u of latest.values()) {
      const answers = [old.get(u.findingArn), next.get(u.findingArn)].filter((r) => r !== undefined);
      const merged = mergeResults(answers);
      if (merged) results.set(u.findingArn, merged);
    }
    return results;
  }

  /** Security Hub CSPM: BatchUpdateFindings. */
  private async writeCspm(updates: readonly FindingUpdate[]): Promise<Map<string, UpdateResult>> {
    const results = new Map<string, UpdateResult>();
    const groups = new Map<string, FindingUpdate[]>();
    for (const u of updates) {
      const key = JSON.stringify([u.region, u.partition, u.workflow ?? null, u.note, Object.entries(u.fields).sort()]);
      const list = groups.get(key) ?? [];
      list.push(u);
      groups.set(key, list);
    }
    const batches: FindingUpdate[][] = [];
    for (const list of groups.values()) {
      for (let i = 0; i < list.length; i += MAX_FINDINGS_PER_UPDATE) batches.push(list.slice(i, i + MAX_FINDINGS_PER_UPDATE));
    }
    const limit = pLimit(MAX_PARALLEL_UPDATES);
    const settled = await Promise.allSettled(batches.map((batch) => limit(() => this.send(batch, results))));
    settled.forEach((s, i) => {
      if (s.status === 'rejected') {
        for (const u of batches[i] ?? []) results.set(u.findingArn, { status: 'failed', detail: describeError(s.reason) });
      }
    });
    return results;
  }

  /** The new Security Hub: BatchUpdateFindingsV2 (status and comment; it has no user-defined fields). */
  private async writeV2(updates: readonly FindingUpdate[]): Promise<Map<string, UpdateResult>> {
    const results = new Map<string, UpdateResult>();
    const groups = new Map<string, FindingUpdate[]>();
    for (const u of updates) {
      const key = JSON.stringify([u.region, u.partition, u.workflow ?? null, v2Comment(u)]);
      const list = groups.get(key) ?? [];
      list.push(u);
      groups.set(key, list);
    }
    const batches: FindingUpdate[][] = [];
    for (const list of groups.values()) {
      for (let i = 0; i < list.length; i += MAX_FINDINGS_PER_UPDATE) batches.push(list.slice(i, i + MAX_FINDINGS_PER_UPDATE));
    }
    const limit = pLimit(MAX_PARALLEL_UPDATES);
    const settled = await Promise.allSettled(batches.map((batch) => limit(() => this.sendV2(batch, results))));
    settled.forEach((s, i) => {
      if (s.status === 'rejected') {
        for (const u of batches[i] ?? [])
          results.set(u.findingArn, { status: 'failed', detail: `Security Hub: ${describeError(s.reason)}` });
      }
    });
    return results;
  }

  private async sendV2(batch: readonly FindingUpdate[], results: Map<string, UpdateResult>): Promise<void> {
    const first = batch[0];
    if (!first) return;
    const client = this.clients.home(SecurityHubClient, first.region);
    const identifier = (u: FindingUpdate): { CloudAccountUid: string; FindingInfoUid: string; MetadataProductUid: string } => ({
      CloudAccountUid: u.findingArn.split(':')[4] ?? '',
      FindingInfoUid: u.findingArn,
      MetadataProductUid: guardDutyProductV2Uid(u.region, u.partition),
    });
    let pending = [...batch];
    for (let attempt = 0; attempt < 2 && pending.length > 0; attempt += 1) {
      this.v2Calls += 1;
      const out = await client.send(
        new BatchUpdateFindingsV2Command({
          FindingIdentifiers: pending.map(identifier),
          Comment: v2Comment(first),
          StatusId: first.workflow ? V2_STATUS[first.workflow] : undefined,
        }),
      );
      const detail = first.workflow ? `Security Hub status ${V2_STATUS_NAME[first.workflow]}` : 'Security Hub comment added';
      for (const p of out.ProcessedFindings ?? []) {
        const arn = p.FindingIdentifier?.FindingInfoUid;
        if (arn) results.set(arn, { status: 'updated', detail });
      }
      const retry: FindingUpdate[] = [];
      for (const u of out.UnprocessedFindings ?? []) {
        const arn = u.FindingIdentifier?.FindingInfoUid;
        const update = pending.find((p) => p.findingArn === arn);
        if (!arn || !update) continue;
        if (attempt === 0 && TRANSIENT_V2_CODES.has(u.ErrorCode ?? '')) retry.push(update);
        else
          results.set(arn, {
            status: 'unprocessed',
            detail: `Security Hub: ${`${u.ErrorCode ?? 'Unprocessed'}: ${u.ErrorMessage ?? ''}`.trim()}`,
          });
      }
      pending = retry;
    }
  }

  private async send(batch: readonly FindingUpdate[], results: Map<string, UpdateResult>): Promise<void> {
    const first = batch[0];
    if (!first) return;
    const client = this.clients.home(SecurityHubClient, first.region);
    let pending = [...batch];
    for (let attempt = 0; attempt < 2 && pending.length > 0; attempt += 1) {
      this.calls += 1;
      const out = await client.send(
        new BatchUpdateFindingsCommand({
          FindingIdentifiers: pending.map((u) => ({ Id: u.findingArn, ProductArn: guardDutyProductArn(u.region, u.partition) })),
          Note: { Text: truncate(first.note, MAX_NOTE_CHARS), UpdatedBy: CORDON_UPDATED_BY },
          Workflow: first.workflow ? { Status: first.workflow } : undefined,
          UserDefinedFields: Object.keys(first.fields).length > 0 ? { ...first.fields } : undefined,
        }),
      );
      for (const p of out.ProcessedFindings ?? [])
        if (p.Id) results.set(p.Id, { status: 'updated', detail: first.workflow ? `workflow ${first.workflow}` : 'note added' });
      const retry: FindingUpdate[] = [];
      for (const u of out.UnprocessedFindings ?? []) {
        const id = u.FindingIdentifier?.Id;
        const update = pending.find((p) => p.findingArn === id);
        if (!id || !update) continue;
        if (attempt === 0 && TRANSIENT_CODES.has(u.ErrorCode ?? '')) retry.push(update);
        else results.set(id, { status: 'unprocessed', detail: `${u.ErrorCode ?? 'Unprocessed'}: ${u.ErrorMessage ?? ''}`.trim() });
      }
      pending = retry;
    }
  }
}

/** The new Security Hub's comment: cordon's mark (with the GuardDuty update it handled), then the note. */
function v2Comment(u: FindingUpdate): string {
  return truncate(`${cordonComment(u.findingUpdatedAt)}${u.note}`, MAX_NOTE_CHARS);
}

/** One result from each Security Hub a region has: updated only if every one was; otherwise the worst, with every detail. */
function mergeResults(answers: readonly UpdateResult[]): UpdateResult | undefined {
  if (answers.length <= 1) return answers[0];
  const rank = { failed: 2, unprocessed: 1, updated: 0 } as const;
  const worst = answers.reduce((a, b) => (rank[b.status] > rank[a.status] ? b : a));
  return { status: worst.status, detail: answers.map((a) => a.detail).join('; ') };
}

/** Cuts a text to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
