/**
 * A provider's rate limit: `ratePerSecond` calls a second on average, bursts up to `burst`.
 * A rate of 0 means unlimited. Callers reserve a token and wait the time `reserve` returns, so
 * concurrent callers queue fairly without a timer per token.
 */
export class TokenBucket {
  private readonly ratePerSecond: number;
  private readonly burst: number;
  private readonly now: () => number;
  private tokens: number;
  private last: number;

  constructor(ratePerSecond: number, burst = Math.max(1, ratePerSecond), now = () => performance.now()) {
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.now = now;
    this.tokens = burst;
    this.last = now();
  }

  get unlimited(): boolean {
    return this.ratePerSecond <= 0;
  }

  /** Takes one token; returns how many milliseconds the caller must wait before using it. */
  reserve(): number {
    if (this.unlimited) return 0;
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.ratePerSecond) * 1_000;
  }

  /** How many tokens can be used within `ms` from now (to claim no more work than the limit allows). */
  availableWithin(ms: number): number {
    if (this.unlimited) return Number.POSITIVE_INFINITY;
    this.refill();
    return Math.max(0, Math.floor(this.tokens + (this.ratePerSecond * ms) / 1_000));
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSecond) / 1_000);
    this.last = now;
  }
}
