import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { inHistory } from './history';
import type { AuditRecord, CircuitEntry, HistoryQuery, LeaseHolder, ResponderStore } from './store';

/**
 * The audit trail as JSON lines in a local file (append-only), the circuit
 * breaker's ledger beside it (`<name>.circuit.jsonl`), and leases as lock
 * files (`<name>.leases/<hash of the key>.json`, created exclusively) so that
 * two cordon processes on one machine never act on one resource at once.
 */
export class FileAuditStore implements ResponderStore {
  public readonly description: string;
  private readonly circuitFile: string;
  private readonly leaseDir: string;

  public constructor(private readonly file: string) {
    this.description = `file ${file}`;
    const stem = file.replace(/\.jsonl?$/, '');
    this.circuitFile = `${stem}.circuit.jsonl`;
    this.leaseDir = `${stem}.leases`;
  }

  public async tryLease(
    key: string,
    owner: string,
    nowMs: number,
    ttlMs: number,
  ): Promise<{ taken: true } | { taken: false; holder?: LeaseHolder }> {
    await fs.mkdir(this.leaseDir, { recursive: true });
    const file = this.leaseFile(key);
    const content = JSON.stringify({ key, owner, expiresAtMs: nowMs + ttlMs });
    // Two tries: the second after removing a lease its holder left to expire.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      if (await createExclusive(file, content)) return { taken: true };
      const holder = await readLease(file);
      if (holder && holder.expiresAtMs >= nowMs) return { taken: false, holder };
      if (holder && !(await removeExpiredLease(file, holder, nowMs))) return { taken: false, holder };
    }
    return { taken: false };
  }

  public async releaseLease(key: string, owner: string): Promise<void> {
    const file = this.leaseFile(key);
    const holder = await readLease(file);
    if (holder?.owner === owner) await fs.rm(file, { force: true });
  }

  private leaseFile(key: string): string {
    return path.join(this.leaseDir, `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.json`);
  }

  public async append(records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await fs.appendFile(this.file, records.map((r) => JSON.stringify(r)).join('\n') + '\n', 'utf8');
  }

  public async forFinding(findingId: string): Promise<AuditRecord[]> {
    return (await readLines<AuditRecord>(this.file)).filter((r) => r.findingId === findingId);
  }

  public async forResource(accountId: string, region: string, action: string, resource: string): Promise<AuditRecord[]> {
    return (await readLines<AuditRecord>(this.file)).filter(
      (r) => r.accountId === accountId && r.region === region && r.action === action && r.resource === resource,
    );
  }

  public async history(query: HistoryQuery): Promise<AuditRecord[]> {
    return (await readLines<AuditRecord>(this.file)).filter((r) => inHistory(r, query)).sort((a, b) => a.at.localeCompare(b.at));
  }

  public async circuitEntries(since: string): Promise<CircuitEntry[]> {
    return (await readLines<CircuitEntry>(this.circuitFile)).filter((e) => e.at >= since);
  }

  public async recordCircuit(entries: readonly CircuitEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await fs.mkdir(path.dirname(this.circuitFile), { recursive: true });
    await fs.appendFile(this.circuitFile, entries.map((e) => JSON.stringify(e)).join('\n') + '\n', 'utf8');
  }
}

/** How long an unreadable lease file counts as held (and a takeover guard left by a process that died). */
const UNREADABLE_LEASE_MS = 60_000;

/** Creates `file` with `content` unless it exists; false when it does. */
async function createExclusive(file: string, content: string): Promise<boolean> {
  try {
    await fs.writeFile(file, content, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  }
}

/**
 * Removes the expired lease `stale` from `file`, one process at a time: under
 * a guard file created exclusively, and only if the file still holds that very
 * lease. Without the guard, a process that read the expired lease could
 * remove the fresh one another process had just written in its place, and
 * both would hold the lease. False when another process is taking it over
 * (a guard older than a minute, left by a process that died, is removed for
 * the next try).
 */
async function removeExpiredLease(file: string, stale: LeaseHolder, nowMs: number): Promise<boolean> {
  const guard = `${file}.takeover`;
  if (!(await createExclusive(guard, ''))) {
    try {
      if (nowMs - (await fs.stat(guard)).mtimeMs > UNREADABLE_LEASE_MS) await fs.rm(guard, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return false;
  }
  try {
    const current = await readLease(file);
    if (current?.owner === stale.owner && current.expiresAtMs === stale.expiresAtMs) await fs.rm(file, { force: true });
    return true;
  } finally {
    await fs.rm(guard, { force: true });
  }
}

/** The holder recorded in a lease file, or undefined when it is gone or half-written. */
async function readLease(file: string): Promise<LeaseHolder | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as { owner?: unknown; expiresAtMs?: unknown };
    return typeof parsed.owner === 'string' && typeof parsed.expiresAtMs === 'number'
      ? { owner: parsed.owner, expiresAtMs: parsed.expiresAtMs }
      : undefined;
  } catch {
    // Being written by another process (or left half-written by one that died): held for a minute after it was written.
    try {
      const { mtimeMs } = await fs.stat(file);
      return { owner: 'unknown', expiresAtMs: mtimeMs + UNREADABLE_LEASE_MS };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
}

async function readLines<T>(file: string): Promise<T[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}
