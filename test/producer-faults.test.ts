// Our producer under injected faults: buffer.memory and max.block.ms, delivery.timeout.ms
// under a silent leader, retries of retriable errors (with metadata refreshes), idempotence
// keeping exactly-once order with 5 requests in flight while responses are dropped, and the
// duplicates the same fault makes without idempotence.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BufferExhaustedError,
  ErrorCode,
  KafkaApiError,
  Producer,
  TimeoutError,
  startCluster,
  type Cluster,
  type ProducerOptions,
  type RecordMetadata,
} from '../src/index.js';
import { readAll } from './support/fetchAll.js';

let cluster: Cluster;
let bootstrap: string;
const producers: Producer[] = [];

beforeAll(async () => {
  cluster = await startCluster();
  bootstrap = cluster.bootstrapServers[0]!;
});
afterEach(async () => {
  cluster.faults.clear();
  for (const p of producers.splice(0)) await p.close({ timeoutMs: 0 });
});
afterAll(async () => {
  await cluster?.close();
});

function producer(opts: Partial<ProducerOptions> = {}): Producer {
  const p = new Producer({ bootstrapServers: cluster.bootstrapServers, ...opts });
  producers.push(p);
  return p;
}

const values = (rs: { value: string | null }[]) => rs.map((r) => r.value);

describe('producer under faults', () => {
  it('buffer.memory used up: send() waits, then fails with BufferExhaustedError (a TimeoutError) after max.block.ms', async () => {
    await cluster.createTopic('f-memory', { partitions: 1 });
    const p = producer({ batchSize: 4096, bufferMemory: 8192, maxBlockMs: 400, enableIdempotence: false, acks: 1 });
    await p.send({ topic: 'f-memory', value: 'warm-up' });
    cluster.faults.add({ api: 'Produce', topic: 'f-memory', action: 'delay-response', ms: 3000, times: Infinity });
    const value = Buffer.alloc(1000, 'm');
    const first = [0, 1, 2, 3, 4, 5].map(() => p.send({ topic: 'f-memory', value })); // two 4 KiB batches of 3 records: all of buffer.memory
    const t0 = Date.now();
    const blocked = p.send({ topic: 'f-memory', key: 'the-blocked-one', value });
    await new Promise((r) => setTimeout(r, 50));
    expect(p.metrics().waitingSends).toBe(1);
    expect(p.metrics().bufferAvailableBytes).toBe(0);
    const err = await blocked.catch((e: unknown) => e);
    const waited = Date.now() - t0;
    expect(err).toBeInstanceOf(BufferExhaustedError);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(/Failed to allocate memory within the configured max blocking time 400 ms/);
    expect((err as Error).message).toMatch(/key "the-blocked-one"/);
    expect(waited).toBeGreaterThanOrEqual(380);
    expect(waited).toBeLessThan(1500);
    cluster.faults.clear();
    void Promise.allSettled(first);
  });

  it('buffer.memory used up: a waiting send goes through once memory comes back, in order', async () => {
    await cluster.createTopic('f-memory-wait', { partitions: 1 });
    const p = producer({ batchSize: 4096, bufferMemory: 8192, maxBlockMs: 5000, enableIdempotence: false, acks: 1 });
    await p.send({ topic: 'f-memory-wait', value: 'warm-up' });
    cluster.faults.add({ api: 'Produce', topic: 'f-memory-wait', action: 'delay-response', ms: 300, times: 2 });
    const value = (i: number) => `${i}`.padStart(1000, '.');
    const t0 = Date.now();
    const sends = Array.from({ length: 20 }, (_, i) => p.send({ topic: 'f-memory-wait', value: value(i) }));
    expect(p.metrics().waitingSends).toBeGreaterThan(0);
    const metas = await Promise.all(sends);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(metas.map((m) => m.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(values(await readAll(bootstrap, 'f-memory-wait')).slice(1)).toEqual(Array.from({ length: 20 }, (_, i) => value(i)));
  });

  it('delivery.timeout.ms expires records under a silent leader (request timeouts, retries, then TimeoutError)', async () => {
    await cluster.createTopic('f-silent', { partitions: 1 });
    const p = producer({ requestTimeoutMs: 300, deliveryTimeoutMs: 1000, retryBackoffMs: 50 });
    await p.send({ topic: 'f-silent', value: 'warm-up' });
    cluster.faults.add({ api: 'Produce', topic: 'f-silent', action: 'delay-response', ms: 10_000, times: Infinity });
    const t0 = Date.now();
    const err = await p.send({ topic: 'f-silent', key: 'late', value: 'never acknowledged' }).catch((e: unknown) => e);
    const took = Date.now() - t0;
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(/Expiring 1 record\(s\) for f-silent-0: \d+ ms has passed since batch creation \(delivery.timeout.ms = 1000\)/);
    expect((err as Error).message).toMatch(/record 0 of 1 in its batch, key "late"/);
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(2500);
    expect(p.metrics().recordRetries).toBeGreaterThanOrEqual(1); // the request timed out, the connection was dropped, the batch retried
  });

  for (const code of [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.REQUEST_TIMED_OUT]) {
    it(`retriable error ${code}: retried with backoff until it succeeds, once, in order (metadata refreshed for 6)`, async () => {
      const topic = `f-retry-${code}`;
      await cluster.createTopic(topic, { partitions: 1 });
      const p = producer({ retryBackoffMs: 20 });
      await p.send({ topic, value: 'warm-up' });
      const refreshes = p.metrics().metadataRefreshes;
      cluster.faults.add({ api: 'Produce', topic, action: 'error', code, times: 3 });
      const metas = await Promise.all(['a', 'b', 'c'].map((value) => p.send({ topic, value })));
      expect(metas.map((m) => m.offset)).toEqual([1, 2, 3]);
      expect(values(await readAll(bootstrap, topic))).toEqual(['warm-up', 'a', 'b', 'c']);
      const m = p.metrics();
      expect(m.recordRetries).toBe(9); // three records, three retries each
      expect(m.recordErrors).toBe(0);
      if (code === ErrorCode.NOT_LEADER_OR_FOLLOWER) expect(m.metadataRefreshes).toBeGreaterThan(refreshes);
    });
  }

  it('retries exhausted (retries=1, idempotence off): the error code reaches the record, with the reason', async () => {
    await cluster.createTopic('f-exhausted', { partitions: 1 });
    const p = producer({ retries: 1, retryBackoffMs: 10, enableIdempotence: false });
    await p.send({ topic: 'f-exhausted', value: 'warm-up' });
    cluster.faults.add({ api: 'Produce', topic: 'f-exhausted', action: 'error', code: ErrorCode.NOT_LEADER_OR_FOLLOWER, times: 2 });
    const err = await p.send({ topic: 'f-exhausted', key: 'k', value: 'v' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaApiError);
    expect((err as KafkaApiError).code).toBe(6);
    expect((err as KafkaApiError).retriable).toBe(true);
    expect((err as Error).message).toMatch(/NOT_LEADER_OR_FOLLOWER \(6\).*retries \(1\) exhausted after 2 attempt\(s\).*f-exhausted-0, record 0 of 1 in its batch, key "k"/);
  });

  it('a non-retriable error fails the batch at once', async () => {
    await cluster.createTopic('f-fatal', { partitions: 1 });
    const p = producer();
    await p.send({ topic: 'f-fatal', value: 'warm-up' });
    cluster.faults.add({ api: 'Produce', topic: 'f-fatal', action: 'error', code: ErrorCode.INVALID_RECORD, times: 1 });
    const err = await p.send({ topic: 'f-fatal', value: 'v' }).catch((e: unknown) => e);
    expect((err as KafkaApiError).code).toBe(ErrorCode.INVALID_RECORD);
    expect(p.metrics().recordRetries).toBe(0);
    // The idempotent producer bumps its epoch to close the sequence gap and goes on.
    expect((await p.send({ topic: 'f-fatal', value: 'after' })).offset).toBe(1);
    expect(p.metrics().epochBumps).toBe(1);
    expect(values(await readAll(bootstrap, 'f-fatal'))).toEqual(['warm-up', 'after']);
  });

  it('OUT_OF_ORDER_SEQUENCE_NUMBER on the next batch: the epoch is bumped, sequences restart at 0, the batch is retried and stored once', async () => {
    await cluster.createTopic('f-oos', { partitions: 1 });
    const p = producer({ retryBackoffMs: 10 });
    await p.send({ topic: 'f-oos', value: 'warm-up' });
    cluster.faults.add({ api: 'Produce', topic: 'f-oos', action: 'error', code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, times: 1 });
    const metas = await Promise.all(['a', 'b'].map((value) => p.send({ topic: 'f-oos', value })));
    expect(metas.map((m) => m.offset)).toEqual([1, 2]);
    expect(p.metrics().epochBumps).toBe(1);
    expect(p.metrics().producerEpoch).toBe(1);
    expect(values(await readAll(bootstrap, 'f-oos'))).toEqual(['warm-up', 'a', 'b']);
    await p.send({ topic: 'f-oos', value: 'c' });
    expect(values(await readAll(bootstrap, 'f-oos'))).toEqual(['warm-up', 'a', 'b', 'c']);
  });

  async function dropResponsesWhileStreaming(topic: string, opts: Partial<ProducerOptions>, n: number): Promise<{ metas: RecordMetadata[]; stored: (string | null)[]; p: Producer; maxInFlight: number }> {
    await cluster.createTopic(topic, { partitions: 1 });
    // Small batches: every request carries one batch of ~3 records, five requests in flight.
    const p = producer({ batchSize: 200, retryBackoffMs: 10, ...opts });
    await p.send({ topic, value: 'warm-up' });
    const sends: Promise<RecordMetadata>[] = [];
    let maxInFlight = 0;
    for (let i = 0; i < n; i++) {
      if (i === 40 || i === 120 || i === 200) cluster.faults.add({ api: 'Produce', topic, action: 'drop-response', times: 2 });
      sends.push(p.send({ topic, value: `m${i}`.padEnd(40, '.') }));
      if (i % 20 === 19) {
        await new Promise((r) => setImmediate(r));
        maxInFlight = Math.max(maxInFlight, p.metrics().requestsInFlight);
      }
    }
    const metas = await Promise.all(sends);
    const stored = values(await readAll(bootstrap, topic)).slice(1);
    return { metas, stored, p, maxInFlight };
  }

  it('idempotence: responses dropped with 5 requests in flight; every record stored exactly once, in send order', async () => {
    const n = 300;
    const { metas, stored, p, maxInFlight } = await dropResponsesWhileStreaming('f-idempotent', {}, n);
    expect(p.config.enableIdempotence).toBe(true);
    expect(p.config.maxInFlightRequestsPerConnection).toBe(5);
    expect(maxInFlight).toBe(5);
    const expected = Array.from({ length: n }, (_, i) => `m${i}`.padEnd(40, '.'));
    expect(stored).toEqual(expected);
    expect(metas.map((m) => m.offset)).toEqual(expected.map((_, i) => i + 1));
    expect(p.metrics().recordRetries).toBeGreaterThan(0);
    expect(cluster.faults.list()).toEqual([]); // every rule fired
  });

  it('idempotence off, retries on: the same faults store duplicates (at-least-once)', async () => {
    const n = 300;
    const { stored, p } = await dropResponsesWhileStreaming('f-duplicates', { enableIdempotence: false }, n);
    expect(p.config.enableIdempotence).toBe(false);
    expect(stored.length).toBeGreaterThan(n);
    expect(new Set(stored).size).toBe(n); // nothing lost, some twice
  });
});
