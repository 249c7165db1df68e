// Client quotas enforced on a live broker: set through AlterClientQuotas, a kafkajs producer is
// slowed to its producer_byte_rate (the broker answers throttle_time_ms and mutes the
// connection); raw Produce (old and KIP-219 versions) and Fetch show the wire-level behaviour.
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import * as M from '../src/protocol/messages/index.js';
import { encodeRecordBatch } from '../src/protocol/recordBatch.js';
import { until } from './support/coordinator.js';
import { RawClient } from './support/RawClient.js';

// Two 1 s windows: the rate is measured over at least 1 s, so a client's first burst is at most one second's quota.
const CONFIG = { 'quota.window.num': 2, 'quota.window.size.seconds': 1 };
let cluster: Cluster;
let admin: RawClient;
const raws: RawClient[] = [];

beforeAll(async () => {
  cluster = await startCluster({ config: CONFIG });
  admin = await RawClient.connect(cluster.bootstrapServers[0]!);
  await cluster.createTopic('q', { partitions: 1 });
});
afterAll(async () => {
  for (const r of raws) r.close();
  admin?.close();
  await cluster?.close();
});

/** Set (or with null remove) a client id's quota, and wait for the broker to have it. */
async function setQuota(clientId: string, key: string, value: number | null): Promise<void> {
  const res = await admin.request(M.AlterClientQuotasApi.key, 1, M.encodeAlterClientQuotasRequest, M.decodeAlterClientQuotasResponse, {
    entries: [{ entity: [{ entityType: 'client-id', entityName: clientId }], ops: [{ key, value: value ?? 0, remove: value === null }] }],
    validateOnly: false,
  });
  expect(res.entries[0]!.errorCode).toBe(0);
  const broker = cluster.brokers[0]!;
  const has = () => [...broker.image.clientQuotas.values()].find((q) => q.entity.length === 1 && q.entity[0]!.entityName === clientId)?.values[key] ?? null;
  await until(() => has() === value, 'the broker to see the quota');
}

/** Send `size`-byte messages one request at a time for `ms`; the bytes per second achieved. */
async function produceFor(producer: Producer, ms: number, size: number): Promise<number> {
  const value = Buffer.alloc(size, 7);
  const start = Date.now();
  let bytes = 0;
  while (Date.now() - start < ms) {
    await producer.send({ topic: 'q', acks: 1, messages: [{ value }] });
    bytes += size;
  }
  return bytes / ((Date.now() - start) / 1000);
}

describe('producer_byte_rate', () => {
  it('a kafkajs producer is held near its quota, with throttle_time_ms in its Produce responses; others are not', async () => {
    const QUOTA = 32 * 1024;
    const throttles: number[] = [];
    const logCreator = () => (entry: { log: { message: string } }) => {
      const m = /Client side throttling in effect for (\d+)ms/.exec(entry.log.message);
      if (m) throttles.push(Number(m[1]));
    };
    const fast = new Kafka({ clientId: 'fast', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING }).producer();
    const slow = new Kafka({ clientId: 'slow', brokers: cluster.bootstrapServers, logLevel: logLevel.DEBUG, logCreator }).producer();
    await setQuota('slow', 'producer_byte_rate', QUOTA);
    await fast.connect();
    await slow.connect();
    try {
      const unquoted = await produceFor(fast, 1000, 16 * 1024);
      const quoted = await produceFor(slow, 3000, 8 * 1024);
      expect(unquoted).toBeGreaterThan(10 * QUOTA);
      expect(quoted).toBeLessThanOrEqual(2 * QUOTA);
      expect(quoted).toBeGreaterThan(0.4 * QUOTA);
      // kafkajs backs off by the throttle_time_ms of its Produce responses (KIP-219, Produce v7)
      expect(throttles.length).toBeGreaterThan(0);
      expect(Math.max(...throttles)).toBeGreaterThan(0);
    } finally {
      await fast.disconnect();
      await slow.disconnect();
    }
  }, 20_000);

  it('raw Produce v5 and v9: throttle_time_ms answered at once, then nothing more is read from the connection for that long', async () => {
    await setQuota('minikafka-test', 'producer_byte_rate', 2000);
    const raw = await RawClient.connect(cluster.bootstrapServers[0]!);
    raws.push(raw);
    const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.alloc(3000, 1) }] });
    for (const version of [5, 9]) {
      const sent = Date.now(); // the mute starts after this
      const res = await raw.request(0, version, M.encodeProduceRequest, M.decodeProduceResponse, {
        ...M.defaultProduceRequest(),
        acks: 1,
        timeoutMs: 5000,
        topicData: [{ name: 'q', partitionData: [{ index: 0, records }] }],
      });
      expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      expect(res.throttleTimeMs).toBeGreaterThan(100);
      await raw.request(M.ApiVersionsApi.key, 0, M.encodeApiVersionsRequest, M.decodeApiVersionsResponse, M.defaultApiVersionsRequest());
      expect(Date.now() - sent).toBeGreaterThanOrEqual(res.throttleTimeMs - 2);
    }
  }, 20_000);
  it('a tiny quota against a large request: throttle_time_ms stays an int32 (capped), the answer arrives, no timer overflow', async () => {
    await cluster.createTopic('big', { partitions: 1, config: { 'max.message.bytes': 4 << 20 } });
    await setQuota('minikafka-test', 'producer_byte_rate', 1);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const raw = await RawClient.connect(cluster.bootstrapServers[0]!);
    try {
      // 3 MB at 1 B/s over a 2 s window: (rate - quota) / quota x window is ~3e9 ms, past int32.
      const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.alloc(3_000_000, 3) }] });
      const res = await raw.request(0, 9, M.encodeProduceRequest, M.decodeProduceResponse, {
        ...M.defaultProduceRequest(),
        acks: 1,
        timeoutMs: 5000,
        topicData: [{ name: 'big', partitionData: [{ index: 0, records }] }],
      });
      expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      expect(res.throttleTimeMs).toBe(2147483647);
      // The broker set its mute timer before it answered, and Node emits the overflow warning on the next tick: it is in by now.
      await new Promise(setImmediate);
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    } finally {
      process.off('warning', onWarning);
      raw.close();
      await setQuota('minikafka-test', 'producer_byte_rate', null);
    }
  }, 20_000);
});

describe('consumer_byte_rate', () => {
  it('fetches ask for at most the quota window; one over the quota is answered empty with throttle_time_ms and mutes the connection', async () => {
    await cluster.createTopic('fq', { partitions: 1 });
    await setQuota('minikafka-test', 'producer_byte_rate', null);
    const raw = await RawClient.connect(cluster.bootstrapServers[0]!);
    raws.push(raw);
    for (let i = 0; i < 3; i++) {
      const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.alloc(1500, i) }] });
      const body = { ...M.defaultProduceRequest(), acks: 1, timeoutMs: 5000, topicData: [{ name: 'fq', partitionData: [{ index: 0, records }] }] };
      expect((await raw.request(0, 9, M.encodeProduceRequest, M.decodeProduceResponse, body)).throttleTimeMs).toBe(0);
    }
    const fetch = () =>
      raw.request(M.FetchApi.key, 11, M.encodeFetchRequest, M.decodeFetchResponse, {
        ...M.defaultFetchRequest(),
        maxWaitMs: 0,
        topics: [{ ...M.defaultFetchRequestFetchTopic(), topic: 'fq', partitions: [{ ...M.defaultFetchRequestFetchPartition(), partitionMaxBytes: 1 << 20 }] }],
      });
    const unquoted = await fetch();
    expect(unquoted.throttleTimeMs).toBe(0);
    const all = unquoted.responses[0]!.partitions[0]!.records!.length;
    await setQuota('minikafka-test', 'consumer_byte_rate', 2000);
    // within the quota: no more than its window (2000 bytes), so only the first batch
    const first = await fetch();
    expect(first.throttleTimeMs).toBe(0);
    const one = first.responses[0]!.partitions[0]!.records!.length;
    expect(one).toBeGreaterThan(1500);
    expect(one * 3).toBe(all);
    // over it: an empty response carrying the throttle time, and the connection muted for it
    const sent = Date.now();
    const throttled = await fetch();
    expect(throttled.throttleTimeMs).toBeGreaterThan(100);
    expect(throttled.errorCode).toBe(0);
    expect(throttled.responses).toEqual([]);
    await fetch();
    expect(Date.now() - sent).toBeGreaterThanOrEqual(throttled.throttleTimeMs - 2);
  }, 20_000);
});

describe('request_percentage', () => {
  it('handler time over the quota: throttle_time_ms (at most one window) on any API, and the connection muted', async () => {
    const raw = await RawClient.connect(cluster.bootstrapServers[0]!);
    raws.push(raw);
    await setQuota('minikafka-test', 'request_percentage', 0.0001);
    const metadata = () => raw.request(M.MetadataApi.key, 9, M.encodeMetadataRequest, M.decodeMetadataResponse, { ...M.defaultMetadataRequest(), topics: null });
    const sent = Date.now();
    const res = await metadata();
    expect(res.throttleTimeMs).toBeGreaterThan(0);
    expect(res.throttleTimeMs).toBeLessThanOrEqual(1000);
    const again = await metadata();
    expect(Date.now() - sent).toBeGreaterThanOrEqual(res.throttleTimeMs - 2);
    expect(again.throttleTimeMs).toBeGreaterThan(0);
  }, 20_000);
});
