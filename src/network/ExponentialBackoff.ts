// Kafka's ExponentialBackoff: initial * multiplier^attempts, capped at max (attempts beyond
// log_multiplier(max/initial) stop growing), times a random factor in [1-jitter, 1+jitter],
// never below initial.
export class ExponentialBackoff {
  private readonly expMax: number;

  constructor(
    readonly initialMs: number,
    readonly multiplier: number,
    readonly maxMs: number,
    readonly jitter: number,
  ) {
    this.expMax = maxMs > initialMs ? Math.log(maxMs / Math.max(initialMs, 1)) / Math.log(multiplier) : 0;
  }

  backoff(attempts: number): number {
    if (this.expMax === 0) return this.initialMs;
    const exp = Math.min(attempts, this.expMax);
    const term = this.initialMs * this.multiplier ** exp;
    const factor = this.jitter <= 0 ? 1 : 1 - this.jitter + Math.random() * 2 * this.jitter;
    const v = Math.floor(factor * term);
    return v > this.initialMs ? v : this.initialMs;
  }
}
