import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { AuditRecord, AuditStore } from './store';

/** Default audit file of the CLI, relative to the working directory. */
export const DEFAULT_AUDIT_FILE = '.cordon/audit.jsonl';

/** The audit trail as JSON lines in a local file (append-only). */
export class FileAuditStore implements AuditStore {
  public readonly description: string;

  public constructor(private readonly file: string) {
    this.description = `file ${file}`;
  }

  public async append(records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await fs.appendFile(this.file, records.map((r) => JSON.stringify(r)).join('\n') + '\n', 'utf8');
  }

  public async forFinding(findingId: string): Promise<AuditRecord[]> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as AuditRecord)
      .filter((r) => r.findingId === findingId);
  }
}
