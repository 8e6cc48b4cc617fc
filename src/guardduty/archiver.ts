import { ArchiveFindingsCommand, GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import type { ClientFactory } from '../aws/clients';
import type { Finding } from '../findings/finding';

/** GuardDuty accepts at most this many finding ids per ArchiveFindings call. */
export const MAX_ARCHIVE_IDS = 50;
/** How long the archiver waits to gather more findings into one call. */
export const ARCHIVE_BATCH_WINDOW_MS = 20;

interface Pending {
  readonly findingId: string;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * ArchiveFindings in the GuardDuty administrator's (security account's)
 * detector, batched: requests made within a short window, per region, go out
 * together in calls of at most 50 ids. Each caller's promise settles with its batch.
 */
export class GuardDutyArchiver {
  private readonly queues = new Map<string, Pending[]>();
  private readonly detectors = new Map<string, Promise<string>>();
  /** ArchiveFindings calls made. */
  public calls = 0;

  public constructor(private readonly clients: ClientFactory) {}

  public archive(finding: Finding): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const queue = this.queues.get(finding.region) ?? [];
      queue.push({ findingId: finding.id, resolve, reject });
      this.queues.set(finding.region, queue);
      if (queue.length >= MAX_ARCHIVE_IDS) this.flush(finding.region);
      else if (queue.length === 1) setTimeout(() => this.flush(finding.region), ARCHIVE_BATCH_WINDOW_MS);
    });
  }

  /** The administrator detector of a region (one per region per account). */
  public detectorId(region: string): Promise<string> {
    let id = this.detectors.get(region);
    if (!id) {
      id = this.clients
        .home(GuardDutyClient, region)
        .send(new ListDetectorsCommand({}))
        .then((out) => {
          const first = out.DetectorIds?.[0];
          if (!first) throw new Error(`no GuardDuty detector in the security account in ${region}`);
          return first;
        });
      id.catch(() => this.detectors.delete(region));
      this.detectors.set(region, id);
    }
    return id;
  }

  private flush(region: string): void {
    const batch = (this.queues.get(region) ?? []).splice(0, MAX_ARCHIVE_IDS);
    if (batch.length === 0) return;
    void this.send(region, batch);
  }

  private async send(region: string, batch: readonly Pending[]): Promise<void> {
    try {
      const detectorId = await this.detectorId(region);
      this.calls += 1;
      await this.clients
        .home(GuardDutyClient, region)
        .send(new ArchiveFindingsCommand({ DetectorId: detectorId, FindingIds: [...new Set(batch.map((p) => p.findingId))] }));
      for (const p of batch) p.resolve();
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
