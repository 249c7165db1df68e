// controller_mutation_rate (KIP-599) math in simulated time: Kafka's TokenBucket, the strict and
// permissive quotas a request gets, and the broker's manager following the metadata image.
// Numbers follow Kafka's ControllerMutationQuotaTest: 10 samples of 1 s at 2 partitions/s, so a
// burst of 20 partitions.
import { describe, expect, it } from 'vitest';
import type { Connection } from '../src/network/Connection.js';
import { MetadataImage } from '../src/replication/MetadataImage.js';
import { BrokerQuotas } from '../src/server/quota/BrokerQuotas.js';
import { ControllerMutationQuotaManager, throttleTimeMs } from '../src/server/quota/ControllerMutationQuotaManager.js';
import { TokenBucket } from '../src/server/quota/TokenBucket.js';
import { MockTime } from '../src/util/Time.js';

const WINDOW = { samples: 10, windowMs: 1000 };
const RATE = 2;
const T0 = 1_700_000_000_000;

function manager(rate = RATE): ControllerMutationQuotaManager {
  const m = new ControllerMutationQuotaManager(WINDOW);
  m.update([{ entity: [{ entityType: 'user', entityName: 'alice' }], values: { controller_mutation_rate: rate } }]);
  return m;
}

describe('TokenBucket (Kafka metrics.stats.TokenBucket)', () => {
  it('starts full at quota × samples × window, refills at the quota, never past the burst', () => {
    const b = new TokenBucket(WINDOW);
    expect(b.burst(RATE)).toBe(20);
    expect(b.measure(RATE, T0)).toBe(20);
    b.record(RATE, 30, T0);
    expect(b.measure(RATE, T0)).toBe(-10);
    expect(b.measure(RATE, T0 + 2500)).toBe(-5);
    expect(b.measure(RATE, T0 + 5000)).toBe(0);
    expect(b.measure(RATE, T0 + 60_000)).toBe(20);
    b.record(RATE, -100, T0 + 60_000); // taking back is capped at the burst too
    expect(b.measure(RATE, T0 + 60_000)).toBe(20);
  });

  it('follows a changed quota: the refill rate and the burst', () => {
    const b = new TokenBucket(WINDOW);
    b.record(RATE, 20, T0);
    expect(b.measure(4, T0 + 1000)).toBe(4);
    expect(b.measure(1, T0 + 100_000)).toBe(10);
  });

  it('throttle time: what refills the bucket to zero, bounded to an int32', () => {
    expect(throttleTimeMs(-10, 2)).toBe(5000);
    expect(throttleTimeMs(-0.0015, 1)).toBe(2);
    expect(throttleTimeMs(-1, 0)).toBe(2147483647);
  });
});

describe('StrictControllerMutationQuota', () => {
  it('accepts any size while the bucket is not below zero, then refuses with the time to refill', () => {
    const m = manager();
    const time = new MockTime(T0);
    const sensor = m.sensorFor('User:alice', 'app', time.now())!;
    const quota = m.newQuotaFor(sensor, true, () => time.now());
    expect(quota.kind).toBe('strict');
    expect(quota.record(30)).toBe(true); // 20 → −10: accepted, not throttled
    expect(quota.throttleTime()).toBe(0);
    expect(quota.record(30)).toBe(false); // refused: nothing recorded
    expect(quota.throttleTime()).toBe(5000);
    expect(m.tokens(sensor, time.now())).toBe(-10);
    // a later request finds less to wait for, and is accepted once the bucket is back at zero
    const q2 = m.newQuotaFor(sensor, true, () => T0 + 1500);
    expect(q2.record(1)).toBe(false);
    expect(q2.throttleTime()).toBe(3500);
    expect(m.newQuotaFor(sensor, true, () => T0 + 5000).record(1)).toBe(true);
  });

  it('throttleTime decreases with the time since it was found', async () => {
    const m = manager();
    const time = new MockTime(T0);
    const sensor = m.sensorFor('User:alice', '', time.now())!;
    const quota = m.newQuotaFor(sensor, true, () => time.now());
    quota.record(30);
    quota.record(1);
    await time.advance(2000);
    expect(quota.throttleTime()).toBe(3000);
    await time.advance(4000);
    expect(quota.throttleTime()).toBe(0);
  });

  it("the manager's recordAndGetThrottleTimeMs checks then records", () => {
    const m = manager();
    const sensor = m.sensorFor('User:alice', '', T0)!;
    expect(m.recordAndGetThrottleTimeMs(sensor, 30, T0)).toBe(0);
    expect(m.recordAndGetThrottleTimeMs(sensor, 1, T0)).toBe(5000);
    expect(m.tokens(sensor, T0)).toBe(-10);
  });
});

describe('PermissiveControllerMutationQuota', () => {
  it('accepts everything and throttles once the bucket is below zero', () => {
    const m = manager();
    const sensor = m.sensorFor('User:alice', 'app', T0)!;
    const quota = m.newQuotaFor(sensor, false, () => T0);
    expect(quota.kind).toBe('permissive');
    expect(quota.record(20)).toBe(true);
    expect(quota.throttleTime()).toBe(0);
    expect(quota.record(30)).toBe(true);
    expect(quota.record(10)).toBe(true);
    expect(quota.throttleTime()).toBe(20_000); // −40 at 2/s (Kafka's test: two topics of 30)
  });
});

describe('ControllerMutationQuotaManager', () => {
  it('resolves entities as every client quota does; a client without one has no sensor', () => {
    const m = manager();
    expect(m.quotasEnabled).toBe(true);
    expect(m.sensorFor('User:bob', 'app', T0)).toBeNull();
    expect(m.sensorFor('User:alice', 'x', T0)!.limit).toBe(RATE);
    // alice's clients share the user's bucket
    const a = m.sensorFor('User:alice', 'a', T0)!;
    m.newQuotaFor(a, true, () => T0).record(25);
    expect(m.tokens(m.sensorFor('User:alice', 'b', T0)!, T0)).toBe(-5);
  });

  it('keeps a bucket through a quota change, held to the new quota; a removed quota drops it', () => {
    const m = manager();
    const sensor = m.sensorFor('User:alice', '', T0)!;
    m.newQuotaFor(sensor, true, () => T0).record(30);
    m.update([{ entity: [{ entityType: 'user', entityName: 'alice' }], values: { controller_mutation_rate: 10 } }]);
    const same = m.sensorFor('User:alice', '', T0)!;
    expect(same).toBe(sensor);
    expect(m.tokens(same, T0 + 1000)).toBe(0); // −10 + 10/s × 1 s
    m.update([]);
    expect(m.sensorFor('User:alice', '', T0)).toBeNull();
    m.update([{ entity: [{ entityType: 'user', entityName: 'alice' }], values: { controller_mutation_rate: RATE } }]);
    expect(m.tokens(m.sensorFor('User:alice', '', T0)!, T0)).toBe(20);
  });

  it("BrokerQuotas keeps it in step with the image, with the controller quota's own window", () => {
    const image = new MetadataImage();
    const quotas = new BrokerQuotas(image, { samples: 11, windowMs: 1000 }, new MockTime(T0), WINDOW);
    const conn = { principal: 'User:ANONYMOUS' } as unknown as Connection;
    expect(quotas.sensor(quotas.controllerMutation, conn, 'app')).toBeNull();
    image.applyRecords([{ offset: 0, record: { type: 'clientQuota', entity: [{ entityType: 'client-id', entityName: 'app' }], values: { controller_mutation_rate: 2 } } }]);
    const sensor = quotas.sensor(quotas.controllerMutation, conn, 'app')!;
    expect(sensor.limit).toBe(2);
    expect(quotas.controllerMutation.tokens(sensor, T0)).toBe(20);
    expect(quotas.sensor(quotas.produce, conn, 'app')).toBeNull();
  });
});
