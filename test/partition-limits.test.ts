// Partition limits (issue 10), over TCP: one request creates at most 10,000 partitions in all
// (POLICY_VIOLATION, as KRaft's controller answers), a broker hosts at most max.broker.partitions
// replicas and the cluster at most max.partitions partitions (KIP-578's names; POLICY_VIOLATION,
// with a message naming the limit). kafkajs' admin sees the codes; a raw client reads the messages. The broker keeps
// serving after every refusal.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { ErrorCode } from '../src/protocol/errors.js';
import * as M from '../src/protocol/messages/index.js';
import { RawClient } from './support/RawClient.js';

let cluster: Cluster;
let admin: ReturnType<Kafka['admin']>;
let raw: RawClient;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 2, inMemory: true, config: { 'max.broker.partitions': 100, 'max.partitions': 150 } });
  const kafka = new Kafka({ clientId: 'partition-limits', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  admin = kafka.admin();
  await admin.connect();
  raw = await RawClient.connect(cluster.bootstrapServers[0]!);
});
afterAll(async () => {
  raw?.close();
  await admin?.disconnect();
  await cluster?.close();
});

const TOO_MANY = 'Excessively large number of partitions per request.';

async function createTopics(topics: { name: string; numPartitions: number; replicationFactor: number }[], validateOnly = false) {
  const res = await raw.request(M.CreateTopicsApi.key, 7, M.encodeCreateTopicsRequest, M.decodeCreateTopicsResponse, {
    ...M.defaultCreateTopicsRequest(),
    validateOnly,
    topics: topics.map((t) => ({ ...t, assignments: [], configs: [] })),
  });
  return res.topics;
}

async function createTopic(name: string, numPartitions: number, replicationFactor: number, validateOnly = false) {
  return (await createTopics([{ name, numPartitions, replicationFactor }], validateOnly))[0]!;
}

async function createPartitions(topic: string, count: number) {
  const res = await raw.request(M.CreatePartitionsApi.key, 3, M.encodeCreatePartitionsRequest, M.decodeCreatePartitionsResponse, {
    ...M.defaultCreatePartitionsRequest(),
    timeoutMs: 10_000,
    topics: [{ name: topic, count, assignments: null }],
  });
  return res.results[0]!;
}

describe('partition limits', () => {
  it('one CreateTopics asking for 65,535 partitions is refused with POLICY_VIOLATION, and the broker serves on', async () => {
    await expect(admin.createTopics({ topics: [{ topic: 'huge', numPartitions: 65_535 }] })).rejects.toMatchObject({
      errors: [expect.objectContaining({ type: 'POLICY_VIOLATION' })],
    });
    expect(await createTopic('huge', 65_535, 1)).toMatchObject({ errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: TOO_MANY });
    // The bound is on the request: two topics of 6,000 are refused both, though each would fit.
    const both = await createTopics([
      { name: 'half-a', numPartitions: 6000, replicationFactor: 1 },
      { name: 'half-b', numPartitions: 6000, replicationFactor: 1 },
    ]);
    expect(both.map((t) => [t.name, t.errorCode, t.errorMessage])).toEqual([
      ['half-a', ErrorCode.POLICY_VIOLATION, TOO_MANY],
      ['half-b', ErrorCode.POLICY_VIOLATION, TOO_MANY],
    ]);
    expect((await admin.listTopics()).filter((t) => ['huge', 'half-a', 'half-b'].includes(t))).toEqual([]);
    expect(await admin.createTopics({ topics: [{ topic: 'small', numPartitions: 2, replicationFactor: 1 }] })).toBe(true);
  });

  it('max.broker.partitions: replicas one broker would host beyond it are refused with POLICY_VIOLATION, validateOnly too', async () => {
    // 'small' put one replica on each broker: 100 more on both is 101 each.
    await expect(admin.createTopics({ topics: [{ topic: 'wide', numPartitions: 100, replicationFactor: 2 }] })).rejects.toMatchObject({
      errors: [expect.objectContaining({ type: 'POLICY_VIOLATION' })],
    });
    for (const validateOnly of [true, false]) {
      expect(await createTopic('wide', 100, 2, validateOnly)).toMatchObject({
        errorCode: ErrorCode.POLICY_VIOLATION,
        errorMessage: 'Creating 100 partition(s) would put 101 partition replicas on broker 1, above max.broker.partitions=100.',
      });
    }
    expect(await admin.listTopics()).not.toContain('wide');
    expect(await createTopic('wide', 99, 2, true)).toMatchObject({ errorCode: ErrorCode.NONE }); // exactly 100 each is fine
  });

  it('CreatePartitions obeys the same limits: up to the cap, then POLICY_VIOLATION; over 10,000 at once too', async () => {
    expect(await admin.createTopics({ topics: [{ topic: 'grow', numPartitions: 50, replicationFactor: 2 }] })).toBe(true); // 51 on each broker
    await expect(admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 100 }] })).rejects.toMatchObject({ type: 'POLICY_VIOLATION' });
    expect(await createPartitions('grow', 100)).toMatchObject({
      errorCode: ErrorCode.POLICY_VIOLATION,
      errorMessage: 'Creating 50 partition(s) would put 101 partition replicas on broker 1, above max.broker.partitions=100.',
    });
    await admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 99 }] }); // 100 replicas on each broker
    const meta = await admin.fetchTopicMetadata({ topics: ['grow'] });
    expect(meta.topics[0]!.partitions).toHaveLength(99);
    expect(await createPartitions('grow', 99 + 10_001)).toMatchObject({ errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: TOO_MANY });
  });

  it('max.partitions: partitions beyond it in the cluster are refused with POLICY_VIOLATION', async () => {
    // 101 partitions exist, 200 replicas: 50 more would break max.partitions before any broker's cap.
    expect(await createTopic('many', 50, 1)).toMatchObject({
      errorCode: ErrorCode.POLICY_VIOLATION,
      errorMessage: 'Creating 50 partition(s) would make 151 partitions in the cluster, above max.partitions=150.',
    });
    expect(await admin.listTopics()).toEqual(expect.arrayContaining(['small', 'grow']));
  });
});
