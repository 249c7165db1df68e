// controller_mutation_rate (KIP-599): the partitions a client creates or deletes (CreateTopics,
// CreatePartitions, DeleteTopics) per second, kept in a token bucket per quota entity (Kafka's
// ControllerMutationQuotaManager; entities resolve as for every client quota). A request gets a
// quota for its lifetime, strict from the API's strictSinceVersion on, permissive before it:
//  - strict: a mutation is refused (THROTTLING_QUOTA_EXCEEDED for its topic) while the bucket is
//    below zero; otherwise it is accepted whatever its size, and may take the bucket below zero.
//  - permissive: every mutation is accepted; once the bucket is below zero the request is
//    throttled.
// The throttle time is what refills the bucket to zero (−tokens / quota seconds), less the time
// since it was found. The response carries it and the connection is muted for it.
// Kafka's KRaft controller applies the quota as it handles the (forwarded) request; minikafka's
// controller does not know the client, so the broker that received the request applies it,
// counting what the controller creates or deletes (mutationQuota.ts and the three APIs).
import { ClientQuotaManager, MAX_THROTTLE_MS, type QuotaSensor } from './ClientQuotaManager.js';
import type { RateConfig } from './Rate.js';
import { TokenBucket } from './TokenBucket.js';

/** A request's quota: Kafka's ControllerMutationQuota. */
export interface ControllerMutationQuota {
  readonly kind: 'unbounded' | 'strict' | 'permissive';
  /** Count `permits` partitions created or deleted; false when refused (a strict quota already exhausted). */
  record(permits: number): boolean;
  /** The throttle time (ms) now: the one last found, less the time since. */
  throttleTime(): number;
}

/** No quota applies. */
export const UNBOUNDED_CONTROLLER_MUTATION_QUOTA: ControllerMutationQuota = { kind: 'unbounded', record: () => true, throttleTime: () => 0 };


/** Kafka's ControllerMutationQuotaManager.throttleTimeMs: the ms that refill `tokens` (< 0) to zero at `quota` per second. */
export function throttleTimeMs(tokens: number, quota: number): number {
  const ms = Math.round((-tokens / quota) * 1000);
  if (Number.isNaN(ms)) return MAX_THROTTLE_MS;
  return Math.min(Math.max(ms, 0), MAX_THROTTLE_MS);
}

abstract class AbstractControllerMutationQuota implements ControllerMutationQuota {
  abstract readonly kind: 'strict' | 'permissive';
  protected lastThrottleTimeMs = 0;
  protected lastRecordedTimeMs = 0;

  constructor(
    protected readonly sensor: QuotaSensor,
    protected readonly bucket: TokenBucket,
    protected readonly now: () => number,
  ) {}

  abstract record(permits: number): boolean;

  throttleTime(): number {
    return Math.max(0, this.lastThrottleTimeMs - (this.now() - this.lastRecordedTimeMs));
  }

  protected updateThrottleTime(tokens: number, nowMs: number): void {
    this.lastThrottleTimeMs = throttleTimeMs(tokens, this.sensor.limit);
    this.lastRecordedTimeMs = nowMs;
  }
}

/** Refuses any mutation once the bucket is below zero; never throttles a mutation it accepts. */
export class StrictControllerMutationQuota extends AbstractControllerMutationQuota {
  readonly kind = 'strict';

  record(permits: number): boolean {
    const nowMs = this.now();
    const tokens = this.bucket.measure(this.sensor.limit, nowMs);
    if (tokens < 0) {
      this.updateThrottleTime(tokens, nowMs);
      return false;
    }
    this.bucket.record(this.sensor.limit, permits, nowMs);
    this.sensor.lastRecordMs = nowMs;
    return true;
  }
}

/** Accepts every mutation; throttles once the bucket is below zero. */
export class PermissiveControllerMutationQuota extends AbstractControllerMutationQuota {
  readonly kind = 'permissive';

  record(permits: number): boolean {
    const nowMs = this.now();
    this.bucket.record(this.sensor.limit, permits, nowMs);
    this.sensor.lastRecordMs = nowMs;
    const tokens = this.bucket.measure(this.sensor.limit, nowMs);
    if (tokens < 0) this.updateThrottleTime(tokens, nowMs);
    return true;
  }
}

/** ClientQuotaManager for controller_mutation_rate: each sensor's measure is a token bucket. */
export class ControllerMutationQuotaManager extends ClientQuotaManager {
  /** Buckets by sensor: a sensor dropped (quota removed, idle an hour) takes its bucket with it. */
  private readonly buckets = new WeakMap<QuotaSensor, TokenBucket>();

  constructor(private readonly bucketWindow: RateConfig) {
    super({ key: 'controller_mutation_rate', window: bucketWindow });
  }

  /** The quota of one request: strict or permissive as asked. */
  newQuotaFor(sensor: QuotaSensor, strict: boolean, now: () => number): ControllerMutationQuota {
    const bucket = this.bucketOf(sensor);
    return strict ? new StrictControllerMutationQuota(sensor, bucket, now) : new PermissiveControllerMutationQuota(sensor, bucket, now);
  }

  /** Kafka's override: check, then record; the throttle time when the quota was already exhausted (0: recorded). */
  override recordAndGetThrottleTimeMs(sensor: QuotaSensor, value: number, nowMs: number): number {
    const quota = this.newQuotaFor(sensor, true, () => nowMs);
    return quota.record(value) ? 0 : quota.throttleTime();
  }

  /** The credits a sensor's bucket holds at `nowMs` (Kafka's "tokens" metric). */
  tokens(sensor: QuotaSensor, nowMs: number): number {
    return this.bucketOf(sensor).measure(sensor.limit, nowMs);
  }

  private bucketOf(sensor: QuotaSensor): TokenBucket {
    let bucket = this.buckets.get(sensor);
    if (!bucket) this.buckets.set(sensor, (bucket = new TokenBucket(this.bucketWindow)));
    return bucket;
  }
}
