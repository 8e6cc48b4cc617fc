/**
 * The token bucket AWS documents for API throttling: a bucket holds at most
 * `capacity` tokens, each request takes one, and `refillPerSecond` tokens
 * flow back in. A request that finds the bucket empty is throttled.
 *
 * AWS describes refill as "a set number of tokens is added every second";
 * this bucket refills continuously (fractions of a token per millisecond),
 * which allows the same sustained rate and burst and is easier to reason
 * about at sub-second scale.
 */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  public constructor(
    /** Maximum tokens (the burst). */
    public readonly capacity: number,
    /** Tokens added per second (the sustained rate). */
    public readonly refillPerSecond: number,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    if (!Number.isFinite(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a number of tokens >= 1, got ${String(capacity)}`);
    if (!Number.isFinite(refillPerSecond) || refillPerSecond <= 0)
      throw new RangeError(`refillPerSecond must be > 0, got ${String(refillPerSecond)}`);
    this.tokens = capacity;
    this.lastMs = nowMs();
  }

  /** Takes one token if there is one; false means the request is throttled. */
  public take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Tokens available now (for tests and diagnostics). */
  public available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const now = this.nowMs();
    const elapsedMs = Math.max(0, now - this.lastMs);
    this.lastMs = now;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsedMs * this.refillPerSecond) / 1000);
  }
}
