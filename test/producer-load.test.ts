// Our producer under load (issue 10): the queue of sends waiting for buffer.memory is O(1) per
// send at any length (2,000,000 unawaited sends far beyond buffer.memory complete, in order,
// each stored once, with the heap bounded by the waiting records), and `needsDrain`/'drain'
// give real backpressure: a caller that honours them keeps at most one send waiting and a flat
// heap whatever the number of sends. max.block.ms still fails sends that wait too long.
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { BufferExhaustedError, type ProducerOptions, type RecordMetadata } from '../src/index.js';
import { WAITING_CHUNK, WaitingSends } from '../src/producer/WaitingSends.js';
import type { ProducerRecord } from '../src/producer/ProducerRecord.js';
import { fetchBatches } from './support/fetchAll.js';
import { RawClient } from './support/RawClient.js';
import { producerFixture } from './support/producerFixture.js';

const fixture = producerFixture({ inMemory: true });
const producer = (opts: Partial<ProducerOptions> = {}) => fixture.producer(opts);

/**
 * Reads the partition back where it matters: its high watermark is n, and around offsets 0,
 * n/4, n/2, 3n/4 and n - 1 every record of the fetched batches is record `offset` (timestamp
 * base + offset) with the given value. (Reading all 2 M back through the in-process broker
 * would dominate the test; the callbacks check every record's offset.)
 */
async function expectStoredOnceInOrder(topic: string, n: number, base: number, value: Buffer): Promise<void> {
  const client = await RawClient.connect(fixture.cluster.bootstrapServers[0]!);
  try {
    for (const at of [0, Math.floor(n / 4), Math.floor(n / 2), Math.floor((3 * n) / 4), n - 1]) {
      const res = await fetchBatches(client, topic, 0, at, 64 * 1024);
      expect(res.errorCode).toBe(0);
      expect(Number(res.highWatermark)).toBe(n);
      const records = res.batches.flatMap((b) => b.records);
      expect(records.some((r) => r.offset === at)).toBe(true);
      for (const r of records) {
        if (r.timestamp !== base + r.offset || !r.value?.equals(value)) throw new Error(`offset ${r.offset} holds record ${r.timestamp - base}`);
      }
    }
  } finally {
    client.close();
  }
}

/** Samples heapUsed (call often); peak() is the largest sample. */
function heapSampler() {
  let peak = process.memoryUsage().heapUsed;
  const timer = setInterval(() => sample(), 20);
  function sample() {
    const h = process.memoryUsage().heapUsed;
    if (h > peak) peak = h;
  }
  return { sample, peak: () => peak, stop: () => clearInterval(timer) };
}

describe('WaitingSends', () => {
  const rec = (i: number): ProducerRecord => ({ topic: 't', value: null, timestamp: i });

  it('is a FIFO across chunk boundaries, with pushes and shifts interleaved, and clears what it lets go', () => {
    const q = new WaitingSends();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 7; round++) {
      const pushes = WAITING_CHUNK * 3 + 17 * round;
      for (let i = 0; i < pushes; i++, next++) q.push(rec(next), next * 2, next, `b${next}`, null);
      const shifts = Math.min(q.length, WAITING_CHUNK * 2 + 5 * round);
      for (let i = 0; i < shifts; i++, expected++) {
        if (q.record.timestamp !== expected || q.time !== expected * 2 || q.a !== expected || q.b !== `b${expected}` || q.c !== null) {
          throw new Error(`send ${expected} out of order: ${q.record.timestamp}`);
        }
        q.shift();
      }
      expect(q.length).toBe(next - expected);
    }
    while (q.length > 0) {
      if (q.a !== expected++) throw new Error(`send ${expected - 1} out of order`);
      q.shift();
    }
    expect(expected).toBe(next);
    q.shift(); // no-op when empty
    expect(q.length).toBe(0);
    q.push(rec(1), 1, 'x', null, null);
    expect(q.a).toBe('x');
  });

  it('holds chunks for its length only: 1,000,000 sends through a queue that stays ~1.5 chunks long make 3 chunks', () => {
    const q = new WaitingSends();
    const r = rec(0);
    for (let i = 0; i < WAITING_CHUNK * 1.5; i++) q.push(r, i, null, null, null);
    for (let i = 0; i < 1_000_000; i++) {
      q.push(r, i, i, null, null);
      q.shift();
    }
    expect(q.length).toBe(WAITING_CHUNK * 1.5);
    expect(q.chunksCreated).toBeLessThanOrEqual(3);
  });
});

describe('producer under load', () => {
  it('2,000,000 unawaited 100 B sends through a 1 MiB buffer.memory: all complete in order, each stored once, heap bounded by the waiting records', async () => {
    const N = 2_000_000;
    const topic = 'load-unawaited';
    await fixture.cluster.createTopic(topic, { partitions: 1 });
    const p = producer({ bufferMemory: 1 << 20, batchSize: 64 * 1024, acks: 1, enableIdempotence: false, maxBlockMs: 120_000 });
    const value = Buffer.alloc(100, 'v');
    const base = Date.now() - N;
    await p.send({ topic, value, timestamp: base - 1 }); // metadata and connection: offset 0, "record -1"
    let acked = 0;
    let outOfOrder = 0;
    let firstError: Error | null = null;
    const cb = (err: Error | null, meta: RecordMetadata | null) => {
      if (err !== null) firstError ??= err;
      else if (meta!.offset !== meta!.timestamp - base + 1 || meta!.offset !== acked + 1) outOfOrder++;
      acked++;
    };
    const heap = heapSampler();
    const heapBefore = process.memoryUsage().heapUsed;
    let maxWaiting = 0;
    for (let i = 0; i < N; i++) {
      p.send({ topic, value, timestamp: base + i }, cb);
      if ((i & 0xffff) === 0) {
        heap.sample();
        maxWaiting = Math.max(maxWaiting, p.metrics().waitingSends);
      }
    }
    maxWaiting = Math.max(maxWaiting, p.metrics().waitingSends);
    expect(p.needsDrain).toBe(true);
    await p.flush();
    heap.stop();
    expect(firstError).toBeNull();
    expect(acked).toBe(N);
    expect(outOfOrder).toBe(0);
    expect(p.needsDrain).toBe(false);
    // Far beyond buffer.memory (1 MiB holds ~9,000 of these records): nearly all sends waited.
    expect(maxWaiting).toBeGreaterThan(N * 0.9);
    // The waiting sends are the test's record objects (~50 B each) plus the queue's 40 B per
    // send (~180 MB for 2,000,000; measured ~200 MB with young garbage): bounded at 150 B per
    // waiting send. The 1 MiB of batch buffers is outside the heap.
    const growth = heap.peak() - heapBefore;
    expect(growth).toBeLessThan(300e6);
    // Read back: record i at offset i + 1.
    await expectStoredOnceInOrder(topic, N + 1, base - 1, value);
  }, 180_000);

  it("needsDrain and 'drain': a caller that waits for 'drain' keeps one send waiting at most and a flat heap (1,000,000 sends, 256 KiB buffer.memory)", async () => {
    const N = 1_000_000;
    const topic = 'load-backpressure';
    await fixture.cluster.createTopic(topic, { partitions: 1 });
    const p = producer({ bufferMemory: 256 * 1024, batchSize: 32 * 1024, acks: 1, enableIdempotence: false });
    const value = Buffer.alloc(100, 'b');
    const base = Date.now() - N;
    await p.send({ topic, value, timestamp: base - 1 });
    let acked = 0;
    let outOfOrder = 0;
    let errors = 0;
    const cb = (err: Error | null, meta: RecordMetadata | null) => {
      if (err !== null) errors++;
      else if (meta!.offset !== acked + 1 || meta!.timestamp !== base + acked) outOfOrder++;
      acked++;
    };
    let drains = 0;
    p.on('drain', () => drains++);
    const heap = heapSampler();
    const heapBefore = process.memoryUsage().heapUsed;
    let maxWaiting = 0;
    for (let i = 0; i < N; i++) {
      p.send({ topic, value, timestamp: base + i }, cb);
      if (p.needsDrain) {
        maxWaiting = Math.max(maxWaiting, p.metrics().waitingSends);
        heap.sample();
        await once(p, 'drain');
        expect(p.needsDrain).toBe(false);
      }
    }
    await p.flush();
    heap.stop();
    expect(errors).toBe(0);
    expect(acked).toBe(N);
    expect(outOfOrder).toBe(0);
    expect(maxWaiting).toBe(1);
    expect(drains).toBeGreaterThan(N / 10_000); // buffer.memory (~2,300 records) was used up again and again
    // Nothing accumulates: the heap holds the open batches' bookkeeping and young garbage only.
    expect(heap.peak() - heapBefore).toBeLessThan(64e6);
    await expectStoredOnceInOrder(topic, N + 1, base - 1, value);
  }, 180_000);

  it('max.block.ms for memory counts from when a send is the oldest waiting (as a Java caller blocks one send at a time): a queue longer than max.block.ms to drain completes', async () => {
    const topic = 'load-block-head';
    await fixture.cluster.createTopic(topic, { partitions: 1 });
    const p = producer({ bufferMemory: 8192, batchSize: 4096, acks: 1, enableIdempotence: false, maxBlockMs: 1200 });
    await p.send({ topic, value: 'warm-up' });
    // Each send at the head waits ~150 ms (well within max.block.ms even on a loaded box); the
    // queue drains in 10 rounds of at least 150 ms each (two batches fit): 1.5 s.
    fixture.cluster.faults.add({ api: 'Produce', topic, action: 'delay-response', ms: 150, times: Infinity });
    const value = Buffer.alloc(1000, 'h');
    const t0 = Date.now();
    const sends = Array.from({ length: 60 }, () => p.send({ topic, value })); // 20 batches, 2 fit in buffer.memory
    const metas = await Promise.all(sends);
    expect(Date.now() - t0).toBeGreaterThan(1200); // longer than max.block.ms in all
    expect(metas.map((m) => m.offset)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  }, 30_000);

  it("max.block.ms still applies: a send waiting for memory fails with BufferExhaustedError, then 'drain' is emitted (a throwing listener is contained)", async () => {
    const topic = 'load-block';
    await fixture.cluster.createTopic(topic, { partitions: 1 });
    const p = producer({ bufferMemory: 8192, batchSize: 4096, acks: 1, enableIdempotence: false, maxBlockMs: 300 });
    await p.send({ topic, value: 'warm-up' });
    fixture.cluster.faults.add({ api: 'Produce', topic, action: 'delay-response', ms: 3000, times: Infinity });
    const value = Buffer.alloc(1000, 'm');
    const held = Array.from({ length: 6 }, () => p.send({ topic, value })); // two 4 KiB batches: all of buffer.memory
    const blocked = p.send({ topic, key: 'blocked', value });
    expect(p.needsDrain).toBe(true);
    const drained = once(p, 'drain');
    let thrown = 0;
    p.on('drain', () => {
      thrown++;
      throw new Error('a faulty drain listener'); // contained and logged: the producer carries on
    });
    const err = await blocked.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BufferExhaustedError);
    await drained;
    expect(thrown).toBe(1);
    expect(p.needsDrain).toBe(false);
    fixture.cluster.faults.clear();
    expect((await Promise.all(held)).map((m) => m.offset)).toEqual([1, 2, 3, 4, 5, 6]);
    await p.close();
    await new Promise((r) => setTimeout(r, 10));
    expect(thrown).toBe(1); // once per time sends had to wait, not on close
  }, 30_000);
});
