// Kafka's TokenBucket (metrics.stats.TokenBucket), the measure of controller_mutation_rate
// (KIP-599): credits refill at the quota per second up to a burst of quota × samples × window
// seconds; recording takes credits away and may drive them below zero, and the quota is
// exhausted while they are below zero. The bucket starts full. Unlike a sampled Rate, a burst
// is paid back in exactly −credits / quota seconds. Time is passed in by the caller.
import type { RateConfig } from './Rate.js';

export class TokenBucket {
  /** Credits left; null until first used (the bucket starts full, as Kafka's does under a real clock). */
  private tokens: number | null = null;
  private lastUpdateMs = 0;

  constructor(private readonly config: RateConfig) {}

  /** The most credits the bucket holds at `quota`. */
  burst(quota: number): number {
    return this.config.samples * (this.config.windowMs / 1000) * quota;
  }

  /** The credits left at `nowMs` under `quota` (negative: exhausted). */
  measure(quota: number, nowMs: number): number {
    return this.refill(quota, nowMs);
  }

  /** Take `value` credits at `nowMs` under `quota`. */
  record(quota: number, value: number, nowMs: number): void {
    this.tokens = Math.min(this.burst(quota), this.refill(quota, nowMs) - value);
  }

  private refill(quota: number, nowMs: number): number {
    const burst = this.burst(quota);
    const tokens = this.tokens === null ? burst : Math.min(burst, this.tokens + (quota * (nowMs - this.lastUpdateMs)) / 1000);
    this.tokens = tokens;
    this.lastUpdateMs = nowMs;
    return tokens;
  }
}
