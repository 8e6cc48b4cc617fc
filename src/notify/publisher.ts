import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { ClientFactory } from '../aws/clients';
import { describeError } from '../errors';
import type { Notifier } from '../respond/deps';
import type { FindingResult } from '../respond/result';
import { notificationOf, NOTIFICATION_SOURCE, type Notification } from './notification';

/** EventBridge's limits on PutEvents: entries per call, and bytes per call (the entries' sizes added up). */
export const PUT_EVENTS_MAX_ENTRIES = 10;
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;

/** A notification EventBridge did not take, and why. */
export interface NotificationFailure {
  readonly findingId: string;
  readonly error: string;
}

/**
 * Publishes one `source: cordon` event per finding contained, held or failed
 * on (./notification.ts) to an event bus of the security account, in calls of
 * at most PUT_EVENTS_MAX_ENTRIES entries and PUT_EVENTS_MAX_BYTES; an entry
 * too large on its own is sent without its actions' details (the summary
 * stays). Never throws: what EventBridge refuses goes to `onFailure`, so a
 * notification never undoes or repeats a containment.
 */
export class EventBridgeNotifier implements Notifier {
  /** PutEvents calls made (for tests and benchmarks). */
  public calls = 0;

  public constructor(
    private readonly clients: ClientFactory,
    private readonly options: {
      readonly region: string;
      readonly eventBus: string;
      readonly onFailure: (failures: readonly NotificationFailure[]) => void;
    },
  ) {}

  public async notify(results: readonly FindingResult[]): Promise<void> {
    const notes = results.flatMap((r) => notificationOf(r) ?? []);
    const failures: NotificationFailure[] = [];
    const client = this.clients.home(EventBridgeClient, this.options.region);
    // One call after another: a handful per batch, and EventBridge's PutEvents quota is per account and region.
    for (const batch of batches(notes.map((n) => this.entry(n)))) {
      this.calls += 1;
      try {
        const out = await client.send(new PutEventsCommand({ Entries: batch.map((b) => b.entry) }));
        (out.Entries ?? []).forEach((e, i) => {
          if (e.ErrorCode)
            failures.push({ findingId: batch[i]?.findingId ?? '?', error: `${e.ErrorCode}: ${e.ErrorMessage ?? ''}`.trim() });
        });
      } catch (err) {
        for (const b of batch) failures.push({ findingId: b.findingId, error: describeError(err) });
      }
    }
    if (failures.length > 0) this.options.onFailure(failures);
  }

  private entry(n: Notification): { entry: PutEventsRequestEntry; findingId: string; bytes: number } {
    let entry = this.toEntry(n, n.detail);
    if (entrySize(entry) > PUT_EVENTS_MAX_BYTES)
      entry = this.toEntry(n, {
        ...n.detail,
        actions: n.detail.actions.map((a) => ({ ...a, detail: '' })),
        reason: n.detail.reason.slice(0, 1000),
      });
    return { entry, findingId: n.detail.findingId, bytes: entrySize(entry) };
  }

  private toEntry(n: Notification, detail: Notification['detail']): PutEventsRequestEntry {
    return {
      Source: NOTIFICATION_SOURCE,
      DetailType: n.detailType,
      Detail: JSON.stringify(detail),
      Resources: [detail.findingArn],
      EventBusName: this.options.eventBus,
    };
  }
}

/** A PutEvents entry's size as EventBridge counts it (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html). */
export function entrySize(e: PutEventsRequestEntry): number {
  const bytes = (s: string | undefined): number => (s === undefined ? 0 : Buffer.byteLength(s, 'utf8'));
  return 14 + bytes(e.Source) + bytes(e.DetailType) + bytes(e.Detail) + (e.Resources ?? []).reduce((n, r) => n + bytes(r), 0);
}

/** Entries in calls of at most PUT_EVENTS_MAX_ENTRIES and PUT_EVENTS_MAX_BYTES, in order. */
export function batches<T extends { readonly bytes: number }>(entries: readonly T[]): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const e of entries) {
    if (current.length === PUT_EVENTS_MAX_ENTRIES || (current.length > 0 && size + e.bytes > PUT_EVENTS_MAX_BYTES)) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(e);
    size += e.bytes;
  }
  if (current.length > 0) out.push(current);
  return out;
}
