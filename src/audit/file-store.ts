import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { AuditRecord, CircuitEntry, ResponderStore } from './store';

/** Default audit file of the CLI, relative to the working directory. */
export const DEFAULT_AUDIT_FILE = '.cordon/audit.jsonl';

/**
 * The audit trail as JSON lines in a local file (append-only), and the
 * circuit breaker's ledger beside it (`<name>.circuit.jsonl`).
 */
export class FileAuditStore implements ResponderStore {
  public readonly description: string;
  private readonly circuitFile: string;

  public constructor(private readonly file: string) {
    this.description = `file ${file}`;
    this.circuitFile = `${file.replace(/\.jsonl?$/, '')}.circuit.jsonl`;
  }

  public async append(records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await fs.appendFile(this.file, records.map((r) => JSON.stringify(r)).join('\n') + '\n', 'utf8');
  }

  public async forFinding(findingId: string): Promise<AuditRecord[]> {
    return (await readLines<AuditRecord>(this.file)).filter((r) => r.findingId === findingId);
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
