// RequestMetrics' counting rules on decoded requests and responses (the dispatcher hands it
// both): which Produce partitions count as messages in, how Fetch answers split into consumer
// bytes out and replication bytes out, topic ids resolved for Fetch v13+, cumulative buckets.
import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS_MS, RequestMetrics } from '../src/network/RequestMetrics.js';
import { encodeRecordBatch } from '../src/protocol/recordBatch.js';

const batch = (n: number, baseOffset = 0) =>
  encodeRecordBatch({ baseOffset, baseTimestamp: 1, records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`value-${i}`), timestamp: 1 })) });

describe('RequestMetrics', () => {
  it('counts the Produce partitions the response accepted (all of them for acks=0)', () => {
    const m = new RequestMetrics();
    const a = batch(3);
    const b = batch(5);
    const request = { topicData: [{ name: 'orders', partitionData: [{ index: 0, records: a }, { index: 1, records: b }] }, { name: 'audit', partitionData: [{ index: 0, records: null }] }] };
    const counts = m.countProduce(request);
    expect(counts).toEqual([
      { topic: 'orders', partition: 0, bytes: a.length, messages: 3 },
      { topic: 'orders', partition: 1, bytes: b.length, messages: 5 },
    ]);
    m.recordProduce(counts, { responses: [{ name: 'orders', partitionResponses: [{ index: 0, errorCode: 0 }, { index: 1, errorCode: 19 }] }] });
    expect(m.snapshot().topics.orders).toMatchObject({ messagesIn: 3, bytesIn: a.length });
    m.recordProduce(counts, null); // acks=0: no response
    expect(m.snapshot().topics.orders).toMatchObject({ messagesIn: 11, bytesIn: 2 * a.length + b.length });
  });

  it('splits Fetch answers into consumer and replication bytes, by name or topic id', () => {
    const id = Buffer.alloc(16, 7);
    const m = new RequestMetrics((hex) => (hex === id.toString('hex') ? 'orders' : undefined));
    const two = Buffer.concat([batch(2), batch(4, 2)]);
    const consumerFetch = { replicaId: -1, replicaState: { replicaId: -1 } };
    m.recordFetch(consumerFetch, { responses: [{ topic: '', topicId: id, partitions: [{ records: two }, { records: null }] }] });
    m.recordFetch({ replicaId: -1, replicaState: { replicaId: 2 } }, { responses: [{ topic: 'orders', topicId: Buffer.alloc(16), partitions: [{ records: two }] }] });
    m.recordFetch({ replicaId: 3 }, { responses: [{ topic: 'orders', topicId: Buffer.alloc(16), partitions: [{ records: two }] }] });
    m.recordFetch(consumerFetch, { responses: [{ topic: '', topicId: Buffer.alloc(16, 9), partitions: [{ records: two }] }] }); // unknown id: skipped
    expect(m.snapshot().topics).toEqual({ orders: { messagesIn: 0, bytesIn: 0, messagesOut: 6, bytesOut: two.length, replicationBytesOut: 2 * two.length } });
  });

  it('ignores a trailing partial batch, as Fetch answers may end with one', () => {
    const m = new RequestMetrics();
    const whole = batch(2);
    m.recordFetch({ replicaId: -1 }, { responses: [{ topic: 't', topicId: Buffer.alloc(16), partitions: [{ records: Buffer.concat([whole, batch(3).subarray(0, 20)]) }] }] });
    expect(m.snapshot().topics.t).toMatchObject({ messagesOut: 2, bytesOut: whole.length });
  });

  it('keeps cumulative latency buckets per API', () => {
    const m = new RequestMetrics();
    for (const ms of [0.5, 3, 3, 40, 20_000]) m.recordRequest('Produce', ms);
    const s = m.snapshot().apis.Produce!;
    expect(s.requests).toBe(5);
    expect(s.totalTimeMsSum).toBeCloseTo(20_046.5);
    const at = (le: number) => s.buckets[LATENCY_BUCKETS_MS.indexOf(le as (typeof LATENCY_BUCKETS_MS)[number])];
    expect([at(1), at(5), at(10), at(50), at(10_000)]).toEqual([1, 3, 3, 4, 4]);
  });
});
