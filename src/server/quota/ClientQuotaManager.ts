// Kafka's ClientQuotaManager with its DefaultQuotaCallback, for one quota key (producer_byte_rate,
// consumer_byte_rate, request_percentage; controller_mutation_rate in its subclass,
// ControllerMutationQuotaManager.ts): which quota a client is held to and how long it is
// throttled once over it.
//
// Quotas are set per user + client-id, user or client-id, each with defaults (a null name in
// the metadata image). A client (the principal's user name and the request's client id) is held
// to the most specific match, in Kafka's order: user+client-id, user+default client-id, user,
// default user+client-id, default user+default client-id, default user, client-id, default
// client-id. Clients share one rate when they share the quota's entity: with only client-id
// quotas every user of a client id counts together; a default quota gives each client its own
// rate at the default's value (Kafka's metric tags, DefaultQuotaCallback.quotaMetricTags).
//
// Recording a value over the quota answers the throttle time that brings the rate back to it
// if nothing more is recorded: (rate − quota) / quota × the rate's window (Kafka's
// QuotaUtils.throttleTime), capped for the request quota at one window. Clients no quota
// applies to are not tracked at all: once resolved (per principal and client id, until the
// quotas change) they cost one map lookup and allocate nothing.
import type { StoredQuotas } from '../../replication/ClientQuotas.js';
import { CLIENT_ID, USER } from '../../replication/ClientQuotas.js';
import { Rate, type RateConfig } from './Rate.js';

export type QuotaKey = 'producer_byte_rate' | 'consumer_byte_rate' | 'request_percentage' | 'controller_mutation_rate';

// Which entity levels hold a quota (Kafka's quotaTypesEnabled bits).
const CLIENT_ID_QUOTA = 1;
const USER_QUOTA = 2;
const USER_CLIENT_ID_QUOTA = 4;

/** Kafka purges a client's sensors after an hour without a record. */
const INACTIVE_SENSOR_EXPIRATION_MS = 3600_000;
/** Resolutions kept before the cache is dropped and rebuilt from the quotas (many client ids). */
const MAX_RESOLVED = 10_000;
/** throttle_time_ms is an int32, and so is the longest timer Node can set: a tiny quota against a large request is capped here, not wrapped (Kafka's Long.toInt) or overflowed. */
export const MAX_THROTTLE_MS = 2147483647;

/** A level of an entity: absent, the default (null), or a name. */
type Part = string | null | undefined;

/** The key of an entity in `quotas`: user part, client-id part. */
function entityKey(user: Part, clientId: Part): string {
  const part = (p: Part) => (p === undefined ? '-' : p === null ? '*' : `=${p}`);
  return `${part(user)}\u0000${part(clientId)}`;
}

/** One quota's rate for one set of metric tags (user, client id; '' when the level is not used). */
export class QuotaSensor {
  readonly rate: Rate;
  lastRecordMs: number;

  constructor(
    readonly user: string,
    readonly clientId: string,
    /** The quota it is held to. */
    public limit: number,
    config: RateConfig,
    nowMs: number,
  ) {
    this.rate = new Rate(config);
    this.lastRecordMs = nowMs;
  }
}

export interface ClientQuotaManagerOptions {
  key: QuotaKey;
  window: RateConfig;
  /** The longest throttle answered (ClientRequestQuotaManager: one window); by default the int32 throttle_time_ms field's largest. */
  maxThrottleMs?: number;
}

export class ClientQuotaManager {
  readonly key: QuotaKey;
  private readonly window: RateConfig;
  private readonly maxThrottleMs: number;
  /** Quota values by entityKey. */
  private quotas = new Map<string, number>();
  private enabled = 0;
  /** Sensors by their tags. */
  private readonly sensors = new Map<string, QuotaSensor>();
  /** principal → client id → its sensor, or null when no quota applies. */
  private resolved = new Map<string, Map<string, QuotaSensor | null>>();
  private resolvedCount = 0;
  private lastPurgeMs = 0;

  constructor(opts: ClientQuotaManagerOptions) {
    this.key = opts.key;
    this.window = opts.window;
    this.maxThrottleMs = Math.min(opts.maxThrottleMs ?? MAX_THROTTLE_MS, MAX_THROTTLE_MS);
  }

  /** Whether any entity has this quota (otherwise nothing is recorded: Kafka's quotasEnabled). */
  get quotasEnabled(): boolean {
    return this.enabled !== 0;
  }

  /** Take this key's values from the image's quotas; sensors keep their rates, held to their new limits. */
  update(stored: Iterable<StoredQuotas>): void {
    const next = new Map<string, number>();
    let enabled = 0;
    for (const q of stored) {
      const value = q.values[this.key];
      if (value === undefined) continue;
      let user: Part;
      let clientId: Part;
      for (const p of q.entity) {
        if (p.entityType === USER) user = p.entityName;
        else if (p.entityType === CLIENT_ID) clientId = p.entityName;
        else user = clientId = undefined; // ip quotas are connection quotas
      }
      if (user === undefined && clientId === undefined) continue;
      next.set(entityKey(user, clientId), value);
      enabled |= user !== undefined && clientId !== undefined ? USER_CLIENT_ID_QUOTA : user !== undefined ? USER_QUOTA : CLIENT_ID_QUOTA;
    }
    if (next.size === this.quotas.size && [...next].every(([k, v]) => this.quotas.get(k) === v)) return;
    this.quotas = next;
    this.enabled = enabled;
    this.resolved = new Map();
    this.resolvedCount = 0;
    for (const [tags, s] of this.sensors) {
      const limit = this.quotaLimit(s.user, s.clientId);
      if (limit === null) this.sensors.delete(tags);
      else s.limit = limit;
    }
  }

  /**
   * The sensor of a client (its principal, "User:name", and request client id), or null when no
   * quota applies to it. Allocates only the first time a principal and client id are seen.
   */
  sensorFor(principal: string, clientId: string | null, nowMs: number): QuotaSensor | null {
    if (this.enabled === 0) return null;
    const cid = clientId ?? '';
    let byClient = this.resolved.get(principal);
    const known = byClient?.get(cid);
    if (known !== undefined) return known;
    if (this.resolvedCount >= MAX_RESOLVED) {
      this.resolved = new Map();
      this.resolvedCount = 0;
      byClient = undefined;
    }
    const sensor = this.resolve(principal.slice(principal.indexOf(':') + 1), cid, nowMs);
    if (!byClient) this.resolved.set(principal, (byClient = new Map()));
    byClient.set(cid, sensor);
    this.resolvedCount++;
    return sensor;
  }

  /**
   * Record `value` for a client at `nowMs`; the throttle time in ms when its rate is now over
   * its quota (0 otherwise). The value stays recorded either way, as in Kafka.
   */
  recordAndGetThrottleTimeMs(sensor: QuotaSensor, value: number, nowMs: number): number {
    sensor.rate.record(value, nowMs);
    sensor.lastRecordMs = nowMs;
    const rate = sensor.rate.measure(nowMs);
    if (rate <= sensor.limit) return 0;
    const throttle = Math.round(((rate - sensor.limit) / sensor.limit) * sensor.rate.windowSize(nowMs));
    return Math.min(throttle, this.maxThrottleMs);
  }

  /** Take back a recorded value (a throttled fetch returns no data, so its bytes do not count). */
  unrecord(sensor: QuotaSensor, value: number, nowMs: number): void {
    sensor.rate.record(-value, nowMs);
  }

  /** The most that can be recorded at once without certain throttling: quota × (samples − 1) windows. */
  maxValueInQuotaWindow(sensor: QuotaSensor | null): number {
    if (sensor === null) return Number.MAX_VALUE;
    return sensor.limit * (this.window.samples - 1) * (this.window.windowMs / 1000);
  }

  /** The sensors currently kept (tests). */
  get sensorCount(): number {
    return this.sensors.size;
  }

  private resolve(user: string, clientId: string, nowMs: number): QuotaSensor | null {
    const [userTag, clientTag] = this.metricTags(user, clientId);
    const limit = this.quotaLimit(userTag, clientTag);
    if (limit === null) return null;
    const tags = `${userTag}\u0000${clientTag}`;
    let sensor = this.sensors.get(tags);
    if (!sensor) {
      this.purgeInactive(nowMs);
      sensor = new QuotaSensor(userTag, clientTag, limit, this.window, nowMs);
      this.sensors.set(tags, sensor);
    }
    return sensor;
  }

  /** Kafka's DefaultQuotaCallback.quotaMetricTags: the (user, client id) a client's rate is kept under. */
  private metricTags(user: string, clientId: string): [string, string] {
    switch (this.enabled) {
      case 0:
      case CLIENT_ID_QUOTA:
        return ['', clientId];
      case USER_QUOTA:
        return [user, ''];
      case USER_CLIENT_ID_QUOTA:
        return [user, clientId];
    }
    const has = (u: Part, c: Part) => this.quotas.has(entityKey(u, c));
    if (has(user, clientId) || has(user, null)) return [user, clientId];
    if (has(user, undefined)) return [user, ''];
    if (has(null, clientId) || has(null, null)) return [user, clientId];
    if (has(null, undefined)) return [user, ''];
    return ['', clientId];
  }

  /** Kafka's DefaultQuotaCallback.quotaLimit: the most specific quota for a set of tags, or null. */
  private quotaLimit(userTag: string, clientTag: string): number | null {
    const get = (u: Part, c: Part) => this.quotas.get(entityKey(u, c));
    if (userTag !== '' && clientTag !== '') {
      return get(userTag, clientTag) ?? get(userTag, null) ?? get(null, clientTag) ?? get(null, null) ?? null;
    }
    if (userTag !== '') return get(userTag, undefined) ?? get(null, undefined) ?? null;
    if (clientTag !== '') return get(undefined, clientTag) ?? get(undefined, null) ?? null;
    return null;
  }

  /** Forget sensors idle for an hour (checked at most once a minute, when a sensor is created). */
  private purgeInactive(nowMs: number): void {
    if (nowMs - this.lastPurgeMs < 60_000) return;
    this.lastPurgeMs = nowMs;
    let purged = false;
    for (const [tags, s] of this.sensors) {
      if (nowMs - s.lastRecordMs >= INACTIVE_SENSOR_EXPIRATION_MS) {
        this.sensors.delete(tags);
        purged = true;
      }
    }
    if (purged) {
      this.resolved = new Map();
      this.resolvedCount = 0;
    }
  }
}
