// Client quota math in simulated time: Kafka's windowed Rate, the throttle time it gives, which
// quota (user / client-id / defaults) a client is held to, and the broker's managers following
// the metadata image.
import { describe, expect, it } from 'vitest';
import type { Connection } from '../src/network/Connection.js';
import type { StoredQuotas } from '../src/replication/ClientQuotas.js';
import { MetadataImage } from '../src/replication/MetadataImage.js';
import { BrokerQuotas } from '../src/server/quota/BrokerQuotas.js';
import { MockTime } from '../src/util/Time.js';
import { ClientQuotaManager } from '../src/server/quota/ClientQuotaManager.js';
import { Rate } from '../src/server/quota/Rate.js';

const KAFKA_WINDOW = { samples: 11, windowMs: 1000 };
const T0 = 1_700_000_000_000;

type Entity = { user?: string | null; client?: string | null };
function stored(entries: [Entity, Record<string, number>][]): StoredQuotas[] {
  return entries.map(([e, values]) => ({
    entity: [
      ...(e.client !== undefined ? [{ entityType: 'client-id', entityName: e.client }] : []),
      ...(e.user !== undefined ? [{ entityType: 'user', entityName: e.user }] : []),
    ],
    values,
  }));
}

function producer(entries: [Entity, number][], window = KAFKA_WINDOW): ClientQuotaManager {
  const m = new ClientQuotaManager({ key: 'producer_byte_rate', window });
  m.update(stored(entries.map(([e, v]) => [e, { producer_byte_rate: v }])));
  return m;
}

describe('Rate (Kafka metrics.stats.Rate over SampledTotal)', () => {
  it('measures over at least samples − 1 windows, then over the time since the oldest window', () => {
    const r = new Rate(KAFKA_WINDOW);
    r.record(1000, T0);
    expect(r.windowSize(T0)).toBe(10_000);
    expect(r.measure(T0)).toBe(100);
    expect(r.windowSize(T0 + 500)).toBe(10_500); // 0 full windows + 10 assumed + 500 ms
    r.record(1000, T0 + 10_500); // windows restart on the 1 s grid: this one starts at T0 + 10 000
    expect(r.windowSize(T0 + 10_500)).toBe(10_500);
    expect(r.measure(T0 + 10_500)).toBeCloseTo(2000 / 10.5, 9);
  });

  it('windows older than samples × window are emptied; negative values take back', () => {
    const r = new Rate(KAFKA_WINDOW);
    r.record(5000, T0);
    r.record(-2000, T0 + 100);
    expect(r.measure(T0 + 100)).toBeCloseTo(3000 / 10.1, 9);
    expect(r.measure(T0 + 11_000)).toBe(0);
  });

  it('never divides by less than 1 ms', () => {
    const r = new Rate({ samples: 1, windowMs: 1000 });
    r.record(10, T0);
    expect(r.windowSize(T0)).toBe(1);
    expect(r.measure(T0)).toBe(10_000);
  });
});

describe('ClientQuotaManager throttle time', () => {
  it('(rate − quota) / quota × window, and nothing within the quota', () => {
    const m = producer([[{ client: 'app' }, 100]]);
    const s = m.sensorFor('User:ANONYMOUS', 'app', T0)!;
    expect(m.recordAndGetThrottleTimeMs(s, 900, T0)).toBe(0); // 90 B/s over 10 s
    // 2000 bytes over 10 s = 200 B/s: (200 − 100) / 100 × 10 000 ms
    expect(m.recordAndGetThrottleTimeMs(s, 1100, T0)).toBe(10_000);
    // the value stays recorded: the rate only falls back once its windows age out
    expect(m.recordAndGetThrottleTimeMs(s, 0, T0 + 10_000)).toBe(10_000);
    expect(m.recordAndGetThrottleTimeMs(s, 0, T0 + 11_000)).toBe(0);
  });

  it('unrecord takes a throttled value back (a throttled fetch)', () => {
    const m = producer([[{ client: 'app' }, 100]]);
    const s = m.sensorFor('User:ANONYMOUS', 'app', T0)!;
    expect(m.recordAndGetThrottleTimeMs(s, 1500, T0)).toBe(5000);
    m.unrecord(s, 1500, T0);
    expect(m.recordAndGetThrottleTimeMs(s, 500, T0 + 1)).toBe(0);
  });

  it('the request quota caps the throttle at one window', () => {
    const m = new ClientQuotaManager({ key: 'request_percentage', window: KAFKA_WINDOW, maxThrottleMs: 1000 });
    m.update(stored([[{ user: null }, { request_percentage: 10 }]]));
    const s = m.sensorFor('User:alice', 'x', T0)!;
    expect(m.recordAndGetThrottleTimeMs(s, 10_000, T0)).toBe(1000);
  });

  it('the most a fetch asks for: quota × (samples − 1) windows; unlimited without a quota', () => {
    const m = producer([[{ client: 'app' }, 100]]);
    expect(m.maxValueInQuotaWindow(m.sensorFor('User:ANONYMOUS', 'app', T0))).toBe(1000);
    expect(m.maxValueInQuotaWindow(m.sensorFor('User:ANONYMOUS', 'other', T0))).toBe(Number.MAX_VALUE);
  });
});

describe('which quota a client is held to (Kafka DefaultQuotaCallback)', () => {
  const limit = (m: ClientQuotaManager, user: string, client: string | null) => m.sensorFor(`User:${user}`, client, T0)?.limit ?? null;

  it('no quota of the key: nothing is tracked', () => {
    const m = new ClientQuotaManager({ key: 'consumer_byte_rate', window: KAFKA_WINDOW });
    m.update(stored([[{ client: 'app' }, { producer_byte_rate: 5 }]]));
    expect(m.quotasEnabled).toBe(false);
    expect(m.sensorFor('User:ANONYMOUS', 'app', T0)).toBeNull();
    expect(m.sensorCount).toBe(0);
  });

  it('client-id quotas: one rate per client id, shared by every user of it; the default gives each client id its own', () => {
    const m = producer([
      [{ client: 'app' }, 100],
      [{ client: null }, 50],
    ]);
    expect(limit(m, 'alice', 'app')).toBe(100);
    expect(limit(m, 'bob', 'other')).toBe(50);
    expect(m.sensorFor('User:alice', 'app', T0)).toBe(m.sensorFor('User:bob', 'app', T0));
    expect(m.sensorFor('User:alice', 'x', T0)).not.toBe(m.sensorFor('User:alice', 'y', T0));
    // a null client id is the empty one, which no client-id quota matches
    expect(limit(m, 'alice', null)).toBeNull();
  });

  it('user quotas: per user, the default for every other user (ANONYMOUS too), whatever the client id', () => {
    const m = producer([
      [{ user: 'alice' }, 10],
      [{ user: null }, 20],
    ]);
    expect(limit(m, 'alice', 'a')).toBe(10);
    expect(limit(m, 'ANONYMOUS', 'a')).toBe(20);
    expect(m.sensorFor('User:alice', 'a', T0)).toBe(m.sensorFor('User:alice', 'b', T0));
  });

  it("the most specific match in Kafka's order of precedence", () => {
    const levels: [Entity, number][] = [
      [{ user: 'alice', client: 'app' }, 1],
      [{ user: 'alice', client: null }, 2],
      [{ user: 'alice' }, 3],
      [{ user: null, client: 'app' }, 4],
      [{ user: null, client: null }, 5],
      [{ user: null }, 6],
      [{ client: 'app' }, 7],
      [{ client: null }, 8],
    ];
    for (let i = 0; i < levels.length; i++) {
      const m = producer(levels.slice(i));
      expect(limit(m, 'alice', 'app')).toBe(i + 1);
    }
    // other clients fall to the levels that match them
    const all = producer(levels);
    expect(limit(all, 'alice', 'other')).toBe(2);
    expect(limit(all, 'bob', 'app')).toBe(4);
    expect(limit(all, 'bob', 'other')).toBe(5);
  });

  it('a change of quota keeps the rate recorded so far and holds it to the new value', () => {
    const m = producer([[{ client: 'app' }, 100]]);
    const s = m.sensorFor('User:ANONYMOUS', 'app', T0)!;
    expect(m.recordAndGetThrottleTimeMs(s, 1500, T0)).toBe(5000);
    m.update(stored([[{ client: 'app' }, { producer_byte_rate: 300 }]]));
    const again = m.sensorFor('User:ANONYMOUS', 'app', T0)!;
    expect(again).toBe(s);
    expect(again.limit).toBe(300);
    expect(m.recordAndGetThrottleTimeMs(s, 1500, T0)).toBe(0); // 3000 bytes over 10 s
    m.update([]);
    expect(m.quotasEnabled).toBe(false);
    expect(m.sensorFor('User:ANONYMOUS', 'app', T0)).toBeNull();
    expect(m.sensorCount).toBe(0);
  });

  it('sensors idle for an hour are forgotten', () => {
    const m = producer([[{ client: null }, 100]]);
    const s = m.sensorFor('User:ANONYMOUS', 'a', T0)!;
    m.recordAndGetThrottleTimeMs(s, 10, T0);
    m.sensorFor('User:ANONYMOUS', 'b', T0 + 3600_000);
    expect(m.sensorCount).toBe(1);
    expect(m.sensorFor('User:ANONYMOUS', 'a', T0 + 3600_000)).not.toBe(s);
  });
});

describe('BrokerQuotas', () => {
  it('follows the quotas of the metadata image, and unmutes a throttled connection after the throttle time', async () => {
    const image = new MetadataImage();
    const time = new MockTime(T0);
    const quotas = new BrokerQuotas(image, KAFKA_WINDOW, time);
    let muted = 0;
    // what BrokerQuotas uses of a connection
    const conn = { principal: 'User:ANONYMOUS', isClosed: false, throttle: () => muted++, unthrottle: () => muted-- } as unknown as Connection;
    expect(quotas.sensor(quotas.produce, conn, 'app')).toBeNull();
    image.applyRecords([{ offset: 0, record: { type: 'clientQuota', entity: [{ entityType: 'client-id', entityName: 'app' }], values: { producer_byte_rate: 100, consumer_byte_rate: 7 } } }]);
    expect(quotas.sensor(quotas.produce, conn, 'app')!.limit).toBe(100);
    expect(quotas.sensor(quotas.fetch, conn, 'app')!.limit).toBe(7);
    expect(quotas.sensor(quotas.request, conn, 'app')).toBeNull();
    quotas.throttle(conn, 250);
    expect(muted).toBe(1);
    await time.advance(249);
    expect(muted).toBe(1);
    await time.advance(1);
    expect(muted).toBe(0);
    image.applyRecords([{ offset: 1, record: { type: 'clientQuota', entity: [{ entityType: 'client-id', entityName: 'app' }], values: {} } }]);
    expect(quotas.sensor(quotas.produce, conn, 'app')).toBeNull();
  });
});
