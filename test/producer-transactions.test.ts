// Our producer's transactions over real TCP: a commit makes its records visible to a
// read_committed kafkajs consumer, an abort never does; a second producer with the same
// transactional.id fences the first (its commit fails with ProducerFencedError); and
// sendOffsetsToTransaction commits a consume-transform-produce loop's consumer offsets together
// with its output. Runs against startCluster(), or against the broker MINIKAFKA_TEST_BOOTSTRAP
// names (e.g. scripts/reference-kafka.sh's Apache Kafka) to check the client against Kafka itself.
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/cluster.js';
import { Producer, ProducerFencedError, TransactionAbortedError, type ProducerOptions } from '../src/producer/index.js';
import { decodeFindCoordinatorResponse, encodeFindCoordinatorRequest } from '../src/protocol/messages/FindCoordinator.js';
import { fetchBatches } from './support/fetchAll.js';
import { RawClient } from './support/RawClient.js';

// Against minikafka by default; against another broker (e.g. Apache Kafka from
// scripts/reference-kafka.sh) with MINIKAFKA_TEST_BOOTSTRAP, minus the crash test.
const external = process.env.MINIKAFKA_TEST_BOOTSTRAP;
let cluster: Cluster | null = null;
let bootstrap: string[] = [];
let kafka: Kafka;
const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const unique = (name: string) => `${name}-${run}`;
const producers: Producer[] = [];
const consumers: Consumer[] = [];

function producer(opts: Partial<ProducerOptions> = {}): Producer {
  const p = new Producer({ bootstrapServers: bootstrap, lingerMs: 5, ...opts });
  producers.push(p);
  return p;
}

async function topic(name: string, partitions = 1, configEntries: { name: string; value: string }[] = []): Promise<string> {
  const t = unique(name);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: t, numPartitions: partitions, replicationFactor: 1, configEntries }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  return t;
}

/** Values a fresh kafkajs consumer reads from the start of `t` until `done` says so (20 s at most). */
async function consumeUntil(t: string, done: (values: string[]) => boolean, readUncommitted = false): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: unique(`reader-${consumers.length}`), readUncommitted, maxWaitTimeInMs: 100 });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic: t, fromBeginning: true });
  const values: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gave up reading ${t}; read ${JSON.stringify(values)}`)), 20_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value?.toString() ?? '');
        if (done(values)) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return values;
}

async function groupOffset(groupId: string, t: string, partition = 0): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [res] = await admin.fetchOffsets({ groupId, topics: [t] });
    return res!.partitions.find((p) => p.partition === partition)!.offset;
  } finally {
    await admin.disconnect();
  }
}

/** The group's committed offset once it is `want` (transactional offsets appear once the commit marker is written). */
async function groupOffsetReaches(groupId: string, t: string, want: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const got = await groupOffset(groupId, t);
    if (got === want || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  if (external) bootstrap = external.split(',');
  else {
    cluster = await startCluster({ config: { 'transaction.state.log.num.partitions': 5, 'offsets.topic.num.partitions': 5, 'group.initial.rebalance.delay.ms': 0 } });
    bootstrap = cluster.bootstrapServers;
  }
  kafka = new Kafka({ clientId: 'txn-test', brokers: bootstrap, logLevel: logLevel.NOTHING });
});
afterEach(async () => {
  for (const c of consumers.splice(0)) await c.disconnect().catch(() => {});
  for (const p of producers.splice(0)) await p.close({ timeoutMs: 0 });
});
afterAll(async () => {
  await cluster?.close();
});

describe('producer transactions', () => {
  it('commit: the records are visible to read_committed, in transactional batches followed by a commit marker', { timeout: 60_000 }, async () => {
    const out = await topic('tx-commit', 3);
    const p = producer({ transactionalId: unique('tx-commit') });
    await p.initTransactions();
    expect(p.metrics().producerId).toBeGreaterThanOrEqual(0);
    p.beginTransaction();
    const sent = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((value, i) => p.send({ topic: out, partition: i % 3, value })));
    expect(sent.map((m) => m.partition)).toEqual([0, 1, 2, 0, 1, 2]);
    await p.commitTransaction();
    const values = await consumeUntil(out, (v) => v.length >= 6);
    expect(values.sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);

    // A second transaction on the same producer: same producer id and epoch, sequences go on.
    p.beginTransaction();
    await p.send({ topic: out, partition: 0, value: 'g' });
    await p.commitTransaction();
    // Markers are written after EndTxn is answered (as Kafka does): read_committed sees 'g' once its marker is in.
    await consumeUntil(out, (v) => v.includes('g'));

    const client = await RawClient.connect(bootstrap[0]!);
    try {
      const { batches } = await fetchBatches(client, out, 0, 0);
      const shape = batches.map((b) => ({ control: b.isControl, transactional: b.isTransactional, count: b.recordCount }));
      expect(shape).toEqual([
        { control: false, transactional: true, count: 2 },
        { control: true, transactional: true, count: 1 },
        { control: false, transactional: true, count: 1 },
        { control: true, transactional: true, count: 1 },
      ]);
      expect(batches[0]!.baseSequence).toBe(0);
      expect(batches[2]!.baseSequence).toBe(2);
      expect(batches[2]!.producerEpoch).toBe(batches[0]!.producerEpoch);
    } finally {
      client.close();
    }
  });

  it('abort: read_committed never sees the aborted records, read_uncommitted does; sends outside a transaction are refused', { timeout: 60_000 }, async () => {
    const out = await topic('tx-abort');
    const p = producer({ transactionalId: unique('tx-abort') });
    await p.initTransactions();
    await expect(p.send({ topic: out, value: 'outside' })).rejects.toThrow(/Cannot add partitions of .* to transaction while in state READY/);
    p.beginTransaction();
    await Promise.all(['x1', 'x2', 'x3'].map((value) => p.send({ topic: out, value })));
    await p.abortTransaction();
    p.beginTransaction();
    await p.send({ topic: out, value: 'kept' });
    await p.commitTransaction();
    expect(await consumeUntil(out, (v) => v.includes('kept'))).toEqual(['kept']);
    expect(await consumeUntil(out, (v) => v.includes('kept'), true)).toEqual(['x1', 'x2', 'x3', 'kept']);
  });

  it('abort while records still wait in the accumulator: they fail with TransactionAbortedError', { timeout: 60_000 }, async () => {
    const out = await topic('tx-abort-unsent');
    const p = producer({ transactionalId: unique('tx-abort-unsent'), lingerMs: 60_000, batchSize: 1 << 20 });
    await p.initTransactions();
    await p.partitionsFor(out); // metadata known: the record goes into a batch, which lingers
    p.beginTransaction();
    const lingering = p.send({ topic: out, value: 'lingering' });
    await p.abortTransaction();
    await expect(lingering).rejects.toBeInstanceOf(TransactionAbortedError);
    p.beginTransaction();
    const after = p.send({ topic: out, value: 'after' });
    await p.commitTransaction(); // sends the lingering batch first
    await after;
    expect(await consumeUntil(out, (v) => v.includes('after'))).toEqual(['after']);
  });

  it('a failed send makes the transaction abortable: commit is refused, abort bumps the epoch, the next transaction works', { timeout: 60_000 }, async () => {
    const out = await topic('tx-abortable', 1, [{ name: 'max.message.bytes', value: '1000' }]);
    const p = producer({ transactionalId: unique('tx-abortable') });
    await p.initTransactions();
    const epoch = p.metrics().producerEpoch;
    p.beginTransaction();
    await expect(p.send({ topic: out, value: 'x'.repeat(2000) })).rejects.toThrow(/MESSAGE_TOO_LARGE/);
    await expect(p.send({ topic: out, value: 'refused' })).rejects.toThrow(/in an error state/);
    await expect(p.commitTransaction()).rejects.toThrow(/Cannot execute transactional method because we are in an error state/);
    await p.abortTransaction();
    expect(p.metrics().producerEpoch).toBe(epoch + 1); // KIP-360: InitProducerId with the current id and epoch
    p.beginTransaction();
    await p.send({ topic: out, value: 'fine' });
    await p.commitTransaction();
    expect(await consumeUntil(out, (v) => v.includes('fine'))).toEqual(['fine']);
  });

  it('a second producer with the same transactional.id fences the first: its commit fails with ProducerFencedError', { timeout: 60_000 }, async () => {
    const out = await topic('tx-fence');
    const id = unique('tx-fence');
    const first = producer({ transactionalId: id });
    await first.initTransactions();
    first.beginTransaction();
    await first.send({ topic: out, value: 'zombie' });

    const second = producer({ transactionalId: id });
    await second.initTransactions(); // aborts the first's open transaction and bumps the epoch
    expect(second.metrics().producerEpoch).toBeGreaterThan(first.metrics().producerEpoch);

    await expect(first.commitTransaction()).rejects.toBeInstanceOf(ProducerFencedError);
    await expect(first.send({ topic: out, value: 'late' })).rejects.toBeInstanceOf(ProducerFencedError);
    expect(() => first.beginTransaction()).toThrow(ProducerFencedError);

    second.beginTransaction();
    await second.send({ topic: out, value: 'winner' });
    await second.commitTransaction();
    expect(await consumeUntil(out, (v) => v.includes('winner'))).toEqual(['winner']);
  });

  it('consume-transform-produce: sendOffsetsToTransaction commits the offsets with the output, and an abort commits neither', { timeout: 60_000 }, async () => {
    const input = await topic('tx-in');
    const out = await topic('tx-out');
    const group = unique('tx-group');
    const plain = producer();
    await Promise.all([1, 2, 3, 4, 5].map((n) => plain.send({ topic: input, value: String(n) })));

    const p = producer({ transactionalId: unique('tx-pipeline') });
    await p.initTransactions();
    const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: input, fromBeginning: true });
    let processed = 0;
    await new Promise<void>((resolve, reject) => {
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          try {
            p.beginTransaction();
            for (const m of batch.messages) await p.send({ topic: out, key: m.key, value: `x${Number(m.value!.toString()) * 10}` });
            await p.sendOffsetsToTransaction([{ topic: batch.topic, partition: batch.partition, offset: Number(batch.lastOffset()) + 1 }], group);
            await p.commitTransaction();
            processed += batch.messages.length;
            if (processed >= 5) resolve();
          } catch (err) {
            reject(err);
          }
        },
      });
    });
    await consumer.disconnect();
    expect(await groupOffsetReaches(group, input, '5')).toBe('5');
    expect((await consumeUntil(out, (v) => v.length >= 5)).sort()).toEqual(['x10', 'x20', 'x30', 'x40', 'x50']);

    // Aborted: neither the offsets nor the output count.
    p.beginTransaction();
    await p.send({ topic: out, value: 'aborted' });
    await p.sendOffsetsToTransaction([{ topic: input, partition: 0, offset: 99 }], { groupId: group });
    await p.abortTransaction();
    p.beginTransaction();
    await p.send({ topic: out, value: 'end' });
    await p.commitTransaction();
    const all = await consumeUntil(out, (v) => v.includes('end'));
    expect(await groupOffset(group, input)).toBe('5');
    expect(all).not.toContain('aborted');
    expect(all).toHaveLength(6);
  });

  it('close() aborts a transaction left open', { timeout: 60_000 }, async () => {
    const out = await topic('tx-close');
    const id = unique('tx-close');
    const p = producer({ transactionalId: id });
    await p.initTransactions();
    p.beginTransaction();
    await p.send({ topic: out, value: 'left-open' });
    await p.close();
    // A new producer's transaction does not wait for a timeout: the open one was aborted at close.
    const next = producer({ transactionalId: id });
    await next.initTransactions();
    next.beginTransaction();
    await next.send({ topic: out, value: 'next' });
    await next.commitTransaction();
    expect(await consumeUntil(out, (v) => v.includes('next'))).toEqual(['next']);
    expect(await consumeUntil(out, (v) => v.includes('next'), true)).toEqual(['left-open', 'next']);
  });
});

/** The broker FindCoordinator (key type 1) names for a transactional id. */
async function transactionCoordinator(servers: string[], id: string): Promise<number> {
  const client = await RawClient.connect(servers[0]!);
  try {
    const res = await client.request(10, 1, encodeFindCoordinatorRequest, decodeFindCoordinatorResponse, { key: id, keyType: 1, coordinatorKeys: [] });
    if (res.errorCode !== 0) throw new Error(`FindCoordinator: error ${res.errorCode}`);
    return res.nodeId;
  } finally {
    client.close();
  }
}

// Failover needs brokers the test can crash: startCluster only.
describe.skipIf(!!external)('producer transactions across a coordinator crash', () => {
  it('the transaction coordinator crashes mid-transaction: the producer finds the new one and commits', { timeout: 90_000 }, async () => {
    const three = await startCluster({
      brokers: 3,
      config: { 'transaction.state.log.num.partitions': 5, 'offsets.topic.num.partitions': 5, 'group.initial.rebalance.delay.ms': 0, 'min.insync.replicas': 2 },
    });
    try {
      const out = unique('tx-failover');
      await three.createTopic(out, { partitions: 3, replicationFactor: 3 });
      const id = unique('tx-failover');
      const p = new Producer({ bootstrapServers: three.bootstrapServers, transactionalId: id, requestTimeoutMs: 5000, deliveryTimeoutMs: 60_000 });
      producers.push(p);
      await p.initTransactions();
      p.beginTransaction();
      await Promise.all(['a', 'b', 'c'].map((value, i) => p.send({ topic: out, partition: i, value })));
      const coordinator = await transactionCoordinator(three.bootstrapServers, id);
      await three.stopBroker(coordinator, { crash: true });
      await Promise.all(['d', 'e', 'f'].map((value, i) => p.send({ topic: out, partition: i, value })));
      await p.commitTransaction();
      const survivors = three.bootstrapServers.filter((_, i) => i + 1 !== coordinator);
      expect(await transactionCoordinator(survivors, id)).not.toBe(coordinator);
      const reader = new Kafka({ clientId: 'txn-failover-reader', brokers: survivors, logLevel: logLevel.NOTHING });
      const saved = kafka;
      kafka = reader;
      try {
        expect((await consumeUntil(out, (v) => v.length >= 6)).sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
      } finally {
        kafka = saved;
      }
    } finally {
      for (const pr of producers.splice(0)) await pr.close({ timeoutMs: 0 });
      await three.close();
    }
  });
});
