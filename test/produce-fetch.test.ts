// kafkajs producing at acks 0, 1 and -1 (keys, headers, gzip), read back over Fetch.
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { readAll } from './support/fetchAll.js';

let cluster: Cluster;
let kafka: Kafka;

beforeAll(async () => {
  cluster = await startCluster();
  kafka = new Kafka({ clientId: 'produce-fetch', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING });
});
afterAll(async () => {
  await cluster?.close();
});

describe('kafkajs producer', () => {
  for (const acks of [1, -1]) {
    it(`acks=${acks}: keys, headers and values come back at the offsets the producer was given`, async () => {
      const topic = `acks-${acks === -1 ? 'all' : acks}`;
      await cluster.createTopic(topic, { partitions: 1 });
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const sent = Array.from({ length: 50 }, (_, i) => ({
        key: `key-${i}`,
        value: i % 10 === 9 ? null : `value-${i}`,
        headers: { idx: String(i), kind: i % 2 ? 'odd' : 'even' },
      }));
      const first = await producer.send({ topic, acks, messages: sent.slice(0, 20) });
      const second = await producer.send({ topic, acks, messages: sent.slice(20) });
      await producer.disconnect();
      expect(first[0]!.baseOffset).toBe('0');
      expect(second[0]!.baseOffset).toBe('20');
      const got = await readAll(cluster.bootstrapServers[0]!, topic);
      expect(got.map((r) => r.offset)).toEqual(sent.map((_, i) => i));
      expect(got.map((r) => r.key)).toEqual(sent.map((m) => m.key));
      expect(got.map((r) => r.value)).toEqual(sent.map((m) => m.value));
      expect(got.map((r) => r.headers)).toEqual(sent.map((m) => m.headers));
    });
  }

  it('acks=0: nothing is answered, the records are stored', async () => {
    const topic = 'acks-0';
    await cluster.createTopic(topic, { partitions: 1 });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 5; i++) await producer.send({ topic, acks: 0, messages: [{ value: `m${i}` }] });
    // A later acks=1 send on the same connection proves the acks=0 requests got no reply
    // (a stray response would break kafkajs' correlation) and were applied in order.
    const [ack] = await producer.send({ topic, acks: 1, messages: [{ value: 'last' }] });
    await producer.disconnect();
    expect(ack!.baseOffset).toBe('5');
    const got = await readAll(cluster.bootstrapServers[0]!, topic);
    expect(got.map((r) => r.value)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'last']);
  });

  it('gzip batches are stored as sent and read back', async () => {
    const topic = 'gzip';
    await cluster.createTopic(topic, { partitions: 1 });
    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: 'x'.repeat(100) + i }));
    await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages });
    await producer.disconnect();
    const got = await readAll(cluster.bootstrapServers[0]!, topic);
    expect(got.map((r) => r.value)).toEqual(messages.map((m) => m.value));
    expect(got.map((r) => r.offset)).toEqual(messages.map((_, i) => i));
  });

  it('spreads keyed records over partitions and reports offsets per partition', async () => {
    const topic = 'multi';
    await cluster.createTopic(topic, { partitions: 3 });
    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: 60 }, (_, i) => ({ key: `user-${i}`, value: `v${i}` }));
    const meta = await producer.send({ topic, acks: 1, messages });
    await producer.disconnect();
    const perPartition = await Promise.all([0, 1, 2].map((p) => readAll(cluster.bootstrapServers[0]!, topic, p)));
    expect(perPartition.reduce((n, rs) => n + rs.length, 0)).toBe(60);
    for (const m of meta) expect(Number(m.baseOffset)).toBe(0);
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    for (const o of offsets) expect(Number(o.high)).toBe(perPartition[o.partition]!.length);
  });

  it('auto-creates a topic on first metadata request', async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const [res] = await producer.send({ topic: 'auto-created', messages: [{ value: 'hello' }] });
    await producer.disconnect();
    expect(res!.errorCode).toBe(0);
    const got = await readAll(cluster.bootstrapServers[0]!, 'auto-created');
    expect(got.map((r) => r.value)).toEqual(['hello']);
  });
});
