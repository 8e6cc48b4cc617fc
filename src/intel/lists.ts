/**
 * cordon's shared lists: the ledger in the security account's bucket, the
 * rendered lists beside it, and cordon's sets in the GuardDuty administrator's
 * detector of every covered region. A change to the ledger is a
 * read-modify-write retried on S3's 412 (no change lost when two cordon
 * processes write at once); publishing renders the lists, writes them and
 * updates each region's set once, then records what each region was given.
 * If the ledger changed meanwhile (another process's change, which it
 * publishes too, possibly before this one's stale list), the lists are
 * published again, so that the last list written is always the latest.
 */
import { createHash } from 'node:crypto';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import pLimit from 'p-limit';
import type { ClientFactory } from '../aws/clients';
import { CordonError } from '../errors';
import { IntelBucket, type ReadLedger } from './bucket';
import { syncRegion, type SetSync } from './guardduty-sets';
import type { IndicatorGuard } from './indicators';
import { expire, expiryOf, renderList, type Changed, type Ledger, type ListFormat, type ListName, type RenderedList } from './ledger';

/** Reads of a ledger that keeps changing under us before giving up (each retry follows another process's successful write). */
const MAX_LEDGER_ATTEMPTS = 12;
/** Publishing rounds when the ledger keeps changing (another process then publishes what it changed). */
const MAX_PUBLISH_ROUNDS = 3;
/** Regions updated at once. */
const REGION_CONCURRENCY = 4;

/** The ledger kept changing: every write lost to another process's. */
export class LedgerContentionError extends CordonError {
  public constructor(bucket: string) {
    super(`the intel ledger in ${bucket} changed under every one of ${MAX_LEDGER_ATTEMPTS} attempts: retry`);
    this.name = 'LedgerContentionError';
  }
}

/** What the lists need. */
export interface IntelListsOptions {
  readonly clients: ClientFactory;
  readonly bucket: string;
  /** Region of the bucket (the security account's home region). */
  readonly bucketRegion: string;
  /** Regions whose GuardDuty administrator gets the lists (every covered region). */
  readonly regions: readonly string[];
  /** How long an indicator seen in a finding stays listed. */
  readonly ttlMs: number;
  readonly now: () => Date;
  /** Change nothing: compute and report what would change. */
  readonly dryRun: boolean;
  /** cordon's own endpoints, never indicators. */
  readonly guard: IndicatorGuard;
}

/** The lists, rendered from one ledger. */
type Rendered = Readonly<Record<`${ListName}|${ListFormat}`, RenderedList>>;

const LISTS = ['threat', 'trusted'] as const;
const FORMATS = ['entity', 'ip'] as const;

/** Renders every list of a ledger (pure). */
export function renderAll(ledger: Ledger, nowIso: string): Rendered {
  const out: Partial<Record<`${ListName}|${ListFormat}`, RenderedList>> = {};
  for (const list of LISTS) for (const format of FORMATS) out[`${list}|${format}`] = renderList(ledger, list, format, nowIso);
  return out as Rendered;
}

/** A short digest of a list's text, as the ledger records what each region was given. */
function digest(format: ListFormat, text: string): string {
  return `${format}:${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

/** The result of publishing: one line per region and list. */
export interface Published {
  readonly syncs: readonly SetSync[];
  readonly ledger: Ledger;
}

/** The ledger, the list objects and the GuardDuty sets. */
export class IntelLists {
  private readonly store: IntelBucket;
  private account: Promise<string> | undefined;

  public constructor(private readonly options: IntelListsOptions) {
    this.store = new IntelBucket(options.clients.home(S3Client, options.bucketRegion), options.bucket);
  }

  /** The bucket the lists live in. */
  public get bucket(): string {
    return this.options.bucket;
  }

  /** How long a finding's indicators stay listed. */
  public get ttlMs(): number {
    return this.options.ttlMs;
  }

  /** What is never an indicator here (cordon's own endpoints). */
  public get guard(): IndicatorGuard {
    return this.options.guard;
  }

  /** True when nothing is written. */
  public get dryRun(): boolean {
    return this.options.dryRun;
  }

  /** The ledger as it is now. */
  public async read(): Promise<Ledger> {
    return (await this.store.read()).ledger;
  }

  /**
   * Applies `change` to the ledger (expired reasons dropped first) and
   * writes it if nobody wrote in between; otherwise reads again and
   * re-applies it. `change` must be pure: it may run more than once. In a
   * dry run nothing is written. Returns the changes of the attempt that was written.
   */
  public async change(change: (ledger: Ledger, nowIso: string) => Changed): Promise<Changed> {
    for (let attempt = 0; attempt < MAX_LEDGER_ATTEMPTS; attempt += 1) {
      const read = await this.store.read();
      const nowIso = this.options.now().toISOString();
      const result = change(expire(read.ledger, nowIso).ledger, nowIso);
      if (this.options.dryRun || JSON.stringify(result.ledger) === JSON.stringify(read.ledger)) return result;
      if (await this.store.write(result.ledger, read.etag)) return result;
      await pause(attempt);
    }
    throw new LedgerContentionError(this.options.bucket);
  }

  /**
   * Writes the lists and updates each region's sets whose list changed
   * (`force`: every region's), then records what each region was given.
   * `regions` adds to the configured ones (the regions of a batch's findings).
   */
  public async publish(regions: readonly string[] = [], force = false): Promise<Published> {
    const all = [...new Set([...this.options.regions, ...regions])].sort();
    let syncs: SetSync[] = [];
    let ledger: Ledger | undefined;
    for (let round = 0; round < MAX_PUBLISH_ROUNDS; round += 1) {
      const read = await this.store.read();
      const nowIso = this.options.now().toISOString();
      ledger = expire(read.ledger, nowIso).ledger;
      const rendered = renderAll(ledger, nowIso);
      if (!this.options.dryRun)
        for (const list of LISTS)
          for (const format of FORMATS) {
            const r = rendered[`${list}|${format}`];
            if (r.entries.length > 0) await this.store.putList(list, format, r.text);
          }
      syncs = await this.syncRegions(all, ledger, rendered, force);
      if (this.options.dryRun) break;
      if (await this.recordSynced(read, rendered, syncs)) break;
      // The ledger changed since it was read: what was written may be older than another process's lists. Again.
      force = true;
    }
    return { syncs, ledger: ledger ?? (await this.read()) };
  }

  private async syncRegions(regions: readonly string[], ledger: Ledger, rendered: Rendered, force: boolean): Promise<SetSync[]> {
    const owner = await this.securityAccount();
    const limit = pLimit(REGION_CONCURRENCY);
    const perRegion = await Promise.all(
      regions.map((region) =>
        limit(async () => {
          const gd = this.options.clients.home(GuardDutyClient, region);
          const inSync = (list: ListName, format: ListFormat): boolean =>
            !force && ledger.synced[`${region}|${list}`] === digest(format, rendered[`${list}|${format}`].text);
          const synced = await syncRegion(
            gd,
            region,
            {
              location: (list, format) => this.store.location(list, format),
              empty: (list, format) => rendered[`${list}|${format}`].entries.length === 0,
              inSync,
              bucketOwner: owner,
            },
            this.options.dryRun,
          );
          return synced;
        }),
      ),
    );
    return perRegion.flat();
  }

  /**
   * Records in the ledger what each region was given; false when the ledger
   * changed since `read` in a way that changes the lists (they must be published again).
   */
  private async recordSynced(read: ReadLedger, rendered: Rendered, syncs: readonly SetSync[]): Promise<boolean> {
    let current = read;
    for (let attempt = 0; attempt < MAX_LEDGER_ATTEMPTS; attempt += 1) {
      const nowIso = this.options.now().toISOString();
      const fresh = renderAll(expire(current.ledger, nowIso).ledger, nowIso);
      if ((Object.keys(rendered) as Array<keyof Rendered>).some((k) => fresh[k].text !== rendered[k].text)) return false;
      const synced = { ...current.ledger.synced };
      for (const s of syncs) {
        if (s.status === 'failed' || s.status === 'pending') delete synced[`${s.region}|${s.list}`];
        else synced[`${s.region}|${s.list}`] = digest(s.format, rendered[`${s.list}|${s.format}`].text);
      }
      if (JSON.stringify(synced) === JSON.stringify(current.ledger.synced)) return true;
      if (await this.store.write({ ...current.ledger, synced }, current.etag)) return true;
      await pause(attempt);
      current = await this.store.read();
    }
    throw new LedgerContentionError(this.options.bucket);
  }

  /** The security account (owner of the bucket), asked once. */
  private securityAccount(): Promise<string> {
    this.account ??= this.options.clients
      .home(STSClient, this.options.bucketRegion)
      .send(new GetCallerIdentityCommand({}))
      .then((out) => out.Account ?? '');
    return this.account;
  }
}

/** A short, growing, jittered pause before reading the ledger again. */
function pause(attempt: number): Promise<void> {
  const ms = Math.min(1_000, 20 * 2 ** attempt) * (0.5 + Math.random() / 2);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One listed indicator as `cordon intel list` shows it. */
export interface IndicatorRow {
  readonly value: string;
  readonly kind: string;
  readonly list: ListName;
  /** The latest expiry of its reasons (ISO). */
  readonly expiresAt: string;
  /** Its reasons: `finding <id> (<account>/<region>)`, `analyst on finding <id>`, `added by <who>`. */
  readonly from: readonly string[];
  /** Regions whose GuardDuty was given the list as it is now, and those still to be (`cordon intel sync`). */
  readonly inSync: readonly string[];
  readonly pending: readonly string[];
  /** Why GuardDuty does not get it, when it does not (IPv6, past the quota). */
  readonly notInGuardDuty?: string;
}

/** The ledger as `cordon intel list` shows it (pure): each live entry, its reasons, its expiry and where it is in sync. */
export function ledgerRows(ledger: Ledger, nowIso: string, regions: readonly string[]): IndicatorRow[] {
  const live = expire(ledger, nowIso).ledger;
  const rendered = renderAll(live, nowIso);
  const known = [...new Set([...regions, ...Object.keys(live.synced).map((k) => k.split('|')[0] ?? '')])].filter((r) => r !== '').sort();
  return Object.entries(live.entries)
    .map(([key, entry]): IndicatorRow => {
      const value = key.slice(key.indexOf('|') + 1);
      const omitted = rendered[`${entry.list}|entity`].omitted.find((o) => o.value === value)?.reason;
      const synced = (region: string): boolean =>
        FORMATS.some((format) => live.synced[`${region}|${entry.list}`] === digest(format, rendered[`${entry.list}|${format}`].text));
      return {
        value,
        kind: entry.kind,
        list: entry.list,
        expiresAt: expiryOf(entry),
        from: entry.refs.map((r) =>
          r.source === 'manual'
            ? `added by ${r.id}`
            : `${r.source === 'analyst' ? 'analyst on ' : ''}finding ${r.id} (${r.accountId ?? '?'}/${r.region ?? '?'})`,
        ),
        inSync: known.filter(synced),
        pending: known.filter((r) => !synced(r)),
        ...(omitted ? { notInGuardDuty: omitted } : {}),
      };
    })
    .sort((a, b) => a.list.localeCompare(b.list) || a.value.localeCompare(b.value));
}
