// Our producer against minikafka: records read back byte for byte (keys, headers, gzip,
// timestamps), batching by linger.ms and batch.size seen in the log, partitioning like the Java
// client, callbacks, flush/close, metrics, and typed errors that name the record.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidPartitionError,
  Producer,
  ProducerClosedError,
  RecordTooLargeError,
  SerializationError,
  TimeoutError,
  partitionForKey,
  startCluster,
  type Cluster,
  type ProducerOptions,
  type ProducerRecord,
  type RecordMetadata,
} from '../src/index.js';
import { batchesOf, readAll } from './support/fetchAll.js';

let cluster: Cluster;
let bootstrap: string;
const producers: Producer[] = [];

beforeAll(async () => {
  cluster = await startCluster();
  bootstrap = cluster.bootstrapServers[0]!;
});
afterEach(async () => {
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


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('producer: records on the wire', () => {
  it('keys, values, headers and timestamps come back byte for byte, at the offsets send() reported', async () => {
    await cluster.createTopic('p-bytes', { partitions: 1 });
    const p = producer();
    const binary = Buffer.from([0, 1, 2, 255, 254, 0x80, 0x7f]);
    const sent: Omit<ProducerRecord, 'topic'>[] = [
      { key: 'k0', value: 'hello', headers: { h: 'v' } },
      { key: binary, value: binary, headers: [{ key: 'dup', value: 'a' }, { key: 'dup2', value: null }] },
      { key: null, value: null },
      { key: 'ü-ключ-🔑', value: 'ünïcødé 🎉', timestamp: 1_600_000_000_123 },
      { key: '', value: Buffer.alloc(0), headers: { empty: Buffer.alloc(0) } },
      { value: 'x'.repeat(20_000) },
    ];
    const metas = await Promise.all(sent.map((r) => p.send({ topic: 'p-bytes', ...r })));
    expect(metas.map((m) => m.offset)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(metas.every((m) => m.topic === 'p-bytes' && m.partition === 0)).toBe(true);
    expect(metas[3]!.timestamp).toBe(1_600_000_000_123);
    const records = (await batchesOf(bootstrap, 'p-bytes')).flatMap((b) => b.records);
    expect(records).toHaveLength(sent.length);
    expect(records[0]!.key).toEqual(Buffer.from('k0'));
    expect(records[0]!.value).toEqual(Buffer.from('hello'));
    expect(records[0]!.headers).toEqual([{ key: 'h', value: Buffer.from('v') }]);
    expect(records[1]!.key).toEqual(binary);
    expect(records[1]!.value).toEqual(binary);
    expect(records[1]!.headers).toEqual([{ key: 'dup', value: Buffer.from('a') }, { key: 'dup2', value: null }]);
    expect(records[2]!.key).toBeNull();
    expect(records[2]!.value).toBeNull();
    expect(records[3]!.key!.toString()).toBe('ü-ключ-🔑');
    expect(records[3]!.value!.toString()).toBe('ünïcødé 🎉');
    expect(records[3]!.timestamp).toBe(1_600_000_000_123);
    expect(records[4]!.key).toEqual(Buffer.alloc(0));
    expect(records[4]!.value).toEqual(Buffer.alloc(0));
    expect(records[4]!.headers).toEqual([{ key: 'empty', value: Buffer.alloc(0) }]);
    expect(records[5]!.value!.toString()).toBe('x'.repeat(20_000));
    for (let i = 0; i < metas.length; i++) expect(records[i]!.timestamp).toBe(metas[i]!.timestamp);
  });

  it('idempotent batches carry producer id, epoch and consecutive sequences; the CRC is valid', async () => {
    await cluster.createTopic('p-idem-header', { partitions: 1 });
    const p = producer({ batchSize: 200 });
    await Promise.all(Array.from({ length: 20 }, (_, i) => p.send({ topic: 'p-idem-header', value: `value-${i}-${'y'.repeat(40)}` })));
    const batches = await batchesOf(bootstrap, 'p-idem-header');
    expect(batches.length).toBeGreaterThan(3);
    let seq = 0;
    for (const b of batches) {
      expect(b.crcValid).toBe(true);
      expect(b.producerId).toBe(p.metrics().producerId);
      expect(b.producerId).toBeGreaterThanOrEqual(0);
      expect(b.producerEpoch).toBe(0);
      expect(b.baseSequence).toBe(seq);
      seq += b.recordCount;
    }
    expect(seq).toBe(20);
  });

  it('gzip: compressed batches, read back by kafkajs and by our fetch', async () => {
    await cluster.createTopic('p-gzip', { partitions: 1 });
    const p = producer({ compressionType: 'gzip' });
    const values = Array.from({ length: 300 }, (_, i) => `compressible-${i}-${'z'.repeat(200)}`);
    await Promise.all(values.map((v, i) => p.send({ topic: 'p-gzip', key: `k${i}`, value: v, headers: { i: String(i) } })));
    const batches = await batchesOf(bootstrap, 'p-gzip');
    expect(batches.every((b) => b.compression === 1)).toBe(true);
    expect(batches.flatMap((b) => b.records.map((r) => r.value!.toString()))).toEqual(values);
    expect(p.metrics().compressionRateAvg).toBeLessThan(0.2);

    const kafka = new Kafka({ clientId: 'p-gzip-reader', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: 'p-gzip-group', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'p-gzip', fromBeginning: true });
    const got: { key: string; value: string; header: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            got.push({ key: message.key!.toString(), value: message.value!.toString(), header: message.headers!.i!.toString() });
            if (got.length === values.length) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(got.map((g) => g.value)).toEqual(values);
    expect(got.map((g) => g.key)).toEqual(values.map((_, i) => `k${i}`));
    expect(got.map((g) => g.header)).toEqual(values.map((_, i) => String(i)));
  });

  it('acks=0 and acks=1: records stored, offsets -1 for acks=0', async () => {
    await cluster.createTopic('p-acks', { partitions: 1 });
    const p0 = producer({ acks: 0 });
    const m0 = await p0.send({ topic: 'p-acks', value: 'zero' });
    expect(m0.offset).toBe(-1);
    expect(p0.config.enableIdempotence).toBe(false);
    await p0.flush();
    const p1 = producer({ acks: 1 });
    const m1 = await p1.send({ topic: 'p-acks', value: 'one' });
    expect(m1.offset).toBe(1);
    expect((await readAll(bootstrap, 'p-acks')).map((r) => r.value)).toEqual(['zero', 'one']);
  });

  it('send(record, callback): the promise-free form calls back with metadata, in order', async () => {
    await cluster.createTopic('p-callback', { partitions: 1 });
    const p = producer();
    const seen: [Error | null, RecordMetadata | null][] = [];
    for (let i = 0; i < 100; i++) p.send({ topic: 'p-callback', value: `v${i}` }, (e, m) => seen.push([e, m]));
    await p.flush();
    expect(seen).toHaveLength(100);
    expect(seen.map(([e, m]) => [e, m!.offset])).toEqual(Array.from({ length: 100 }, (_, i) => [null, i]));
  });
});

describe('producer: batching', () => {
  it('linger.ms gathers records sent over time into one batch; with linger.ms=0 each send goes at once', async () => {
    await cluster.createTopic('p-linger', { partitions: 1 });
    await cluster.createTopic('p-nolinger', { partitions: 1 });
    const lingering = producer({ lingerMs: 300 });
    const eager = producer({ lingerMs: 0 });
    await Promise.all([lingering.send({ topic: 'p-linger', value: 'warm' }), eager.send({ topic: 'p-nolinger', value: 'warm' })]);
    const started = Date.now();
    // One send per turn of the event loop: the sender could go each time, but lingers. (Sends
    // 10 ms apart could span more than linger.ms on a loaded box and split the batch.)
    const a: Promise<RecordMetadata>[] = [];
    for (let i = 0; i < 10; i++) {
      a.push(lingering.send({ topic: 'p-linger', value: `m${i}` }));
      await new Promise((r) => setImmediate(r));
    }
    const b: Promise<RecordMetadata>[] = [];
    for (let i = 0; i < 10; i++) {
      b.push(eager.send({ topic: 'p-nolinger', value: `m${i}` }));
      await sleep(10);
    }
    await Promise.all(a);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await Promise.all(b);
    const lingered = await batchesOf(bootstrap, 'p-linger');
    const eagerBatches = await batchesOf(bootstrap, 'p-nolinger');
    expect(lingered.map((x) => x.recordCount)).toEqual([1, 10]);
    expect(eagerBatches.length).toBeGreaterThanOrEqual(6);
    expect(eagerBatches.reduce((n, x) => n + x.recordCount, 0)).toBe(11);
  });

  it('batch.size splits: no batch exceeds it, records stay in order', async () => {
    await cluster.createTopic('p-batchsize', { partitions: 1 });
    const p = producer({ batchSize: 1024 });
    const values = Array.from({ length: 100 }, (_, i) => `${i}`.padStart(100, '-'));
    await Promise.all(values.map((value) => p.send({ topic: 'p-batchsize', value })));
    const batches = await batchesOf(bootstrap, 'p-batchsize');
    expect(batches.length).toBeGreaterThanOrEqual(10);
    for (const b of batches) expect(b.sizeInBytes).toBeLessThanOrEqual(1024);
    expect(batches.flatMap((b) => b.records.map((r) => r.value!.toString()))).toEqual(values);
    const m = p.metrics();
    expect(m.batchSizeAvg).toBeGreaterThan(800);
    expect(m.batchSizeMax).toBeLessThanOrEqual(1024);
  });

  it('a record larger than batch.size gets a batch of its own', async () => {
    await cluster.createTopic('p-bigrecord', { partitions: 1 });
    const p = producer({ batchSize: 512 });
    await Promise.all([p.send({ topic: 'p-bigrecord', value: 'small' }), p.send({ topic: 'p-bigrecord', value: 'B'.repeat(5000) }), p.send({ topic: 'p-bigrecord', value: 'small2' })]);
    const batches = await batchesOf(bootstrap, 'p-bigrecord');
    expect(batches.map((b) => b.records.map((r) => r.value!.length))).toEqual([[5], [5000], [6]]);
  });
});

describe('producer: partitioning', () => {
  it('keyed records land where the Java client puts them; null keys stick to one partition per batch (KIP-480)', async () => {
    await cluster.createTopic('p-keys', { partitions: 12 });
    const p = producer();
    const keys = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    const metas = await Promise.all(keys.map((key) => p.send({ topic: 'p-keys', key, value: key })));
    for (let i = 0; i < keys.length; i++) expect(metas[i]!.partition).toBe(partitionForKey(keys[i]!, 12));
    const kafka = new Kafka({ clientId: 'p-keys-java', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING });
    const kp = kafka.producer({ createPartitioner: (await import('kafkajs')).Partitioners.JavaCompatiblePartitioner });
    await kp.connect();
    const theirs = await kp.send({ topic: 'p-keys', acks: -1, messages: [{ key: 'user-42', value: 'from-kafkajs' }] });
    await kp.disconnect();
    expect(theirs[0]!.partition).toBe(metas[42]!.partition);

    await cluster.createTopic('p-sticky', { partitions: 6 });
    const s = producer();
    const nullKeyed = await Promise.all(Array.from({ length: 50 }, (_, i) => s.send({ topic: 'p-sticky', value: `v${i}` })));
    expect(new Set(nullKeyed.map((m) => m.partition)).size).toBe(1);
    // New batches move the sticky partition: small batches spread records over several partitions.
    const t = producer({ batchSize: 100 });
    const spread = await Promise.all(Array.from({ length: 60 }, (_, i) => t.send({ topic: 'p-sticky', value: `w${i}`.padEnd(40, '.') })));
    expect(new Set(spread.map((m) => m.partition)).size).toBeGreaterThan(1);
  });

  it('an explicit partition wins; one out of range is an InvalidPartitionError naming the record', async () => {
    await cluster.createTopic('p-explicit', { partitions: 3 });
    const p = producer();
    expect((await p.send({ topic: 'p-explicit', partition: 2, key: 'x', value: 'v' })).partition).toBe(2);
    const err = await p.send({ topic: 'p-explicit', partition: 3, key: 'k-bad', value: 'v' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidPartitionError);
    expect((err as Error).message).toMatch(/Invalid partition given with record: 3 is not in the range \[0\.\.\.3\)/);
    expect((err as Error).message).toMatch(/p-explicit-3/);
    expect((err as Error).message).toMatch(/key "k-bad"/);
  });
});

describe('producer: lifecycle, metrics and errors', () => {
  it('flush waits for every record sent before it; metrics count records, batches, bytes and latency', async () => {
    await cluster.createTopic('p-flush', { partitions: 2 });
    const p = producer({ lingerMs: 10_000, batchSize: 1 << 20 });
    const acked: number[] = [];
    for (let i = 0; i < 1000; i++) p.send({ topic: 'p-flush', key: `k${i % 7}`, value: `v${i}` }).then(() => acked.push(i));
    await sleep(50);
    expect(acked).toHaveLength(0); // lingering
    const t0 = Date.now();
    await p.flush();
    expect(Date.now() - t0).toBeLessThan(5000); // without waiting for linger.ms
    await sleep(0);
    expect(acked).toHaveLength(1000);
    const m = p.metrics();
    expect(m.recordsSent).toBe(1000);
    expect(m.recordErrors).toBe(0);
    expect(m.batchesSent).toBe(2);
    expect(m.produceRequests).toBe(1);
    expect(m.recordsPerRequestAvg).toBe(1000);
    expect(m.bytesSent).toBeGreaterThan(10_000);
    expect(m.requestLatencyAvg).toBeGreaterThan(0);
    expect(m.requestLatencyMax).toBeGreaterThanOrEqual(m.requestLatencyAvg);
    expect(m.bufferAvailableBytes).toBe(m.bufferTotalBytes);
    expect(m.incompleteBatches).toBe(0);
  });

  it('close delivers what is buffered; later sends fail with ProducerClosedError', async () => {
    await cluster.createTopic('p-close', { partitions: 1 });
    const p = new Producer({ bootstrapServers: cluster.bootstrapServers, lingerMs: 60_000 });
    const pending = Array.from({ length: 10 }, (_, i) => p.send({ topic: 'p-close', value: `c${i}` }));
    await p.close();
    expect((await Promise.all(pending)).map((m) => m.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await expect(p.send({ topic: 'p-close', value: 'late' })).rejects.toBeInstanceOf(ProducerClosedError);
  });

  it('close({ timeoutMs: 0 }) fails what is still buffered', async () => {
    await cluster.createTopic('p-close-now', { partitions: 1 });
    const p = new Producer({ bootstrapServers: cluster.bootstrapServers, lingerMs: 60_000 });
    p.send({ topic: 'p-close-now', value: 'first' });
    await p.flush();
    const pending = p.send({ topic: 'p-close-now', value: 'lingering' });
    await p.close({ timeoutMs: 0 });
    await expect(pending).rejects.toThrow(/Producer is closed forcefully/);
  });

  it('records too large for max.request.size or buffer.memory fail at once with RecordTooLargeError', async () => {
    const p = producer({ maxRequestSize: 1000, bufferMemory: 50_000 });
    await cluster.createTopic('p-large', { partitions: 1 });
    const e1 = await p.send({ topic: 'p-large', key: 'big', value: Buffer.alloc(2000) }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(RecordTooLargeError);
    expect((e1 as Error).message).toMatch(/larger than the max.request.size configuration \(1000\)/);
    expect((e1 as Error).message).toMatch(/key "big"/);
    const q = producer({ bufferMemory: 5000, batchSize: 1000 });
    const e2 = await q.send({ topic: 'p-large', value: Buffer.alloc(6000) }).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(RecordTooLargeError);
    expect((e2 as Error).message).toMatch(/buffer.memory/);
  });

  it("the broker's MESSAGE_TOO_LARGE splits a multi-record batch until it fits", async () => {
    await cluster.createTopic('p-split', { partitions: 1, config: { 'max.message.bytes': 1500 } });
    const p = producer({ batchSize: 16384 });
    const values = Array.from({ length: 40 }, (_, i) => `${i}`.padStart(100, '#'));
    const metas = await Promise.all(values.map((value) => p.send({ topic: 'p-split', value })));
    expect(metas.map((m) => m.offset)).toEqual(values.map((_, i) => i));
    const batches = await batchesOf(bootstrap, 'p-split');
    expect(batches.length).toBeGreaterThan(2);
    for (const b of batches) expect(b.sizeInBytes).toBeLessThanOrEqual(1500);
    expect(batches.flatMap((b) => b.records.map((r) => r.value!.toString()))).toEqual(values);
    const single = await p.send({ topic: 'p-split', key: 'huge', value: 'H'.repeat(3000) }).catch((e: unknown) => e);
    expect(single).toBeInstanceOf(RecordTooLargeError);
    expect((single as Error).message).toMatch(/MESSAGE_TOO_LARGE/);
    expect((single as Error).message).toMatch(/p-split-0, record 0 of 1 in its batch, key "huge"/);
  });

  it('an unknown topic without auto-creation: TimeoutError after max.block.ms', async () => {
    const p = producer({ allowAutoCreateTopics: false, maxBlockMs: 300 });
    const t0 = Date.now();
    const err = await p.send({ topic: 'p-does-not-exist', value: 'v' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(/Topic p-does-not-exist not present in metadata after 300 ms/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it('a topic that does not exist yet is auto-created by the first send', async () => {
    const p = producer();
    const m = await p.send({ topic: 'p-auto-created', value: 'v' });
    expect(m.offset).toBe(0);
  });

  it('values that are not bytes or strings are a SerializationError', async () => {
    await cluster.createTopic('p-serde', { partitions: 1 });
    const p = producer();
    await expect(p.send({ topic: 'p-serde', value: 42 as never })).rejects.toBeInstanceOf(SerializationError);
    const cbErr = await new Promise<Error | null>((resolve) => p.send({ topic: 'p-serde', value: { a: 1 } as never }, (e) => resolve(e)));
    expect(cbErr).toBeInstanceOf(SerializationError);
    await expect(p.send({ topic: 'p-serde', value: 'v', timestamp: -1 })).rejects.toThrow(/Invalid timestamp: -1/);
  });
});
