// Kafka's windowed rate (metrics.stats.Rate over a SampledTotal), the measure every client quota
// is checked against. Values are summed into up to `samples` windows of `windowMs` each; a
// window that has run its length is recycled for the next one, its start aligned to the
// previous window's grid; windows older than samples × windowMs are reset when measured. The
// rate is the sum over the retained windows divided by the time since the oldest one started,
// counted as at least samples − 1 whole windows (so a client's first bytes are not measured
// over a few milliseconds) and at least 1 ms. Time is passed in by the caller (no clock here).

export interface RateConfig {
  /** quota.window.num */
  samples: number;
  /** quota.window.size.seconds, in ms */
  windowMs: number;
}

export class Rate {
  /** Start of each window created so far (Kafka's Sample.lastWindowMs); grows up to `samples`. */
  private readonly starts: number[] = [];
  private readonly values: number[] = [];
  private current = 0;

  constructor(private readonly config: RateConfig) {}

  /** Add `value` at `nowMs` (negative values take back what was recorded: Kafka's unrecord). */
  record(value: number, nowMs: number): void {
    const { samples, windowMs } = this.config;
    if (this.starts.length === 0) this.push(nowMs);
    let i = this.current;
    if (nowMs - this.starts[i]! >= windowMs) {
      const previousEnd = this.starts[i]! + windowMs;
      const start = nowMs - ((nowMs - previousEnd) % windowMs);
      i = this.current = (this.current + 1) % samples;
      if (i >= this.starts.length) this.push(start);
      else {
        this.starts[i] = start;
        this.values[i] = 0;
      }
    }
    this.values[i]! += value;
  }

  /** The rate per second at `nowMs`. */
  measure(nowMs: number): number {
    const windowMs = this.windowSize(nowMs);
    let total = 0;
    for (let i = 0; i < this.values.length; i++) total += this.values[i]!;
    return total / (windowMs / 1000);
  }

  /** The time the rate is taken over at `nowMs`, in ms (Kafka's Rate.windowSize; purges old windows first). */
  windowSize(nowMs: number): number {
    const { samples, windowMs } = this.config;
    this.purge(nowMs);
    if (this.starts.length === 0) this.push(nowMs);
    let oldest = this.starts[0]!;
    for (let i = 1; i < this.starts.length; i++) if (this.starts[i]! < oldest) oldest = this.starts[i]!;
    let elapsed = nowMs - oldest;
    const fullWindows = Math.trunc(elapsed / windowMs);
    if (fullWindows < samples - 1) elapsed += (samples - 1 - fullWindows) * windowMs;
    return Math.max(elapsed, 1);
  }

  /** Windows that ended samples × windowMs ago are emptied and restarted now. */
  private purge(nowMs: number): void {
    const expireAge = this.config.samples * this.config.windowMs;
    for (let i = 0; i < this.starts.length; i++) {
      if (nowMs - this.starts[i]! >= expireAge) {
        this.starts[i] = nowMs;
        this.values[i] = 0;
      }
    }
  }

  private push(start: number): void {
    this.starts.push(start);
    this.values.push(0);
  }
}
