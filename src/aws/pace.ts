/**
 * Pacing calls to an API whose quota is a rate (calls per second per
 * account), so that a fan-out stays under it instead of being throttled and
 * retried: a token bucket refilled at `perSecond` a second, the shape AWS
 * documents for its rate quotas, holding `burst` tokens (default 1: calls
 * evenly spaced, so that network jitter never bunches them above the quota).
 * Callers wait for a token; the SDK's retry strategy still handles the
 * throttling that other callers of the same account may cause.
 */

/** The clock and sleep a pacer uses (injected in tests). */
export interface PaceClock {
  readonly nowMs: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

const REAL_CLOCK: PaceClock = {
  nowMs: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Waits before each call so that at most `perSecond` calls start per second, at most `burst` at once. */
export class RatePacer {
  private tokens: number;
  private lastMs: number;
  /** Callers served one at a time, in order: the chain of their turns. */
  private queue: Promise<void> = Promise.resolve();

  public constructor(
    public readonly perSecond: number,
    public readonly burst = 1,
    private readonly clock: PaceClock = REAL_CLOCK,
  ) {
    if (!Number.isFinite(perSecond) || perSecond <= 0)
      throw new RangeError(`perSecond must be a positive number, got ${String(perSecond)}`);
    if (!Number.isInteger(burst) || burst < 1) throw new RangeError(`burst must be a whole number of calls >= 1, got ${String(burst)}`);
    this.tokens = burst;
    this.lastMs = clock.nowMs();
  }

  /** Resolves when the caller may make its call. */
  public take(): Promise<void> {
    const turn = this.queue.then(() => this.wait());
    this.queue = turn;
    return turn;
  }

  /** Runs `fn` once a token is available. */
  public async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.take();
    return fn();
  }

  private async wait(): Promise<void> {
    this.refill();
    if (this.tokens < 1) {
      await this.clock.sleep(Math.ceil(((1 - this.tokens) * 1000) / this.perSecond));
      this.refill();
    }
    this.tokens = Math.max(0, this.tokens - 1);
  }

  private refill(): void {
    const now = this.clock.nowMs();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastMs) * this.perSecond) / 1000);
    this.lastMs = now;
  }
}
