import { BatchUpdateFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import pLimit from 'p-limit';
import type { ClientFactory } from '../aws/clients';
import { describeError } from '../errors';
import { guardDutyProductArn } from '../findings/finding';
import { CORDON_UPDATED_BY } from '../runbooks/decide';

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

/**
 * Writes cordon's results to Security Hub with BatchUpdateFindings from the
 * security account. Findings that get exactly the same update share a call
 * (up to 100 per call, per region), which is why notes summarise by action and
 * not by resource. UnprocessedFindings are reported per finding, after one
 * retry of those whose error is transient.
 */
export class SecurityHubWriter {
  /** BatchUpdateFindings calls made (for benchmarks and tests). */
  public calls = 0;

  public constructor(private readonly clients: ClientFactory) {}

  public async write(updates: readonly FindingUpdate[]): Promise<Map<string, UpdateResult>> {
    const results = new Map<string, UpdateResult>();
    // A finding delivered twice in one batch gets one update (the last): Security
    // Hub refuses a finding named twice in a call (DuplicatedFindingIdentifier).
    const latest = new Map<string, FindingUpdate>();
    for (const u of updates) latest.set(u.findingArn, u);
    const groups = new Map<string, FindingUpdate[]>();
    for (const u of latest.values()) {
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

/** Cuts a text to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
