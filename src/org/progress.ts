/**
 * Progress of a long run, in accounts × regions: a bar redrawn in place on a
 * terminal, one plain line per event otherwise (CI logs, Lambda logs).
 */

/** Receives progress events. */
export interface Progress {
  /** `total` accounts × regions to do. */
  start(total: number): void;
  /** `done` more accounts × regions finished; `label` says what (a region). */
  advance(done: number, label: string): void;
  /** A line that is not progress (discovery facts, warnings). */
  note(line: string): void;
  /** The run is over. */
  finish(): void;
}

/** Progress that goes nowhere. */
export const SILENT_PROGRESS: Progress = {
  start: () => undefined,
  advance: () => undefined,
  note: () => undefined,
  finish: () => undefined,
};

/** Width of the bar in characters. */
const BAR_WIDTH = 30;

/**
 * Progress written with `write` (a stream's, or a logger's): a bar redrawn
 * in place when `tty`, otherwise one complete line (ending in a newline) per write.
 */
export function streamProgress(write: (text: string) => void, tty: boolean, prefix = 'cordon'): Progress {
  let total = 0;
  let done = 0;
  let drawn = false;
  const bar = (label: string): string => {
    const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
    return `\r\x1b[2K${prefix} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${done}/${total} accounts×regions ${label}`;
  };
  return {
    start(t: number): void {
      total = t;
      done = 0;
      if (tty) {
        write(bar(''));
        drawn = true;
      } else {
        write(`${prefix}: ${total} account×region pairs to cover\n`);
      }
    },
    advance(n: number, label: string): void {
      done = Math.min(total, done + n);
      if (tty) {
        write(bar(label));
        drawn = true;
      } else {
        write(`${prefix}: ${label} (${done}/${total} accounts×regions)\n`);
      }
    },
    note(line: string): void {
      write(tty && drawn ? `\r\x1b[2K${prefix}: ${line}\n${bar('')}` : `${prefix}: ${line}\n`);
    },
    finish(): void {
      if (tty && drawn) write('\n');
      drawn = false;
    },
  };
}
