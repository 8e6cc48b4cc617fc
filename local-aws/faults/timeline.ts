/**
 * Sequential round trips: the longest chain of calls none of which
 * overlapped in time. Calls made in parallel overlap and count once; calls
 * that waited for each other do not. With a fixed injected latency per
 * call, this chain is the critical path of the work, and its length times
 * the latency is its floor.
 */

/** One call's lifetime as the proxy saw it. */
export interface CallSpan {
  readonly startMs: number;
  readonly endMs: number;
  /** What to print for it (`sts AssumeRole`). */
  readonly label: string;
}

/**
 * The maximum set of pairwise non-overlapping calls (greedy by earliest end,
 * which is optimal for interval scheduling), in time order. A call that
 * starts exactly when another ends does not overlap it.
 */
export function sequentialChain<T extends CallSpan>(calls: readonly T[]): T[] {
  const byEnd = [...calls].sort((a, b) => a.endMs - b.endMs || a.startMs - b.startMs);
  const chain: T[] = [];
  let lastEnd = Number.NEGATIVE_INFINITY;
  for (const call of byEnd) {
    if (call.startMs >= lastEnd) {
      chain.push(call);
      lastEnd = call.endMs;
    }
  }
  return chain;
}

/**
 * The widest moment: how many calls were in flight at once at the busiest
 * instant (a measure of the parallelism actually achieved).
 */
export function peakConcurrency(calls: readonly CallSpan[]): number {
  const events = calls.flatMap((c) => [
    { t: c.startMs, d: 1 },
    { t: c.endMs, d: -1 },
  ]);
  // Ends before starts at the same instant: touching calls do not overlap.
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let peak = 0;
  for (const e of events) {
    now += e.d;
    peak = Math.max(peak, now);
  }
  return peak;
}
