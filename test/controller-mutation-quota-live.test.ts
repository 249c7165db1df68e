// controller_mutation_rate (KIP-599) on a live broker, set through AlterClientQuotas: strict
// versions (CreateTopics v6+, DeleteTopics v5+, CreatePartitions v3+, sent raw) refuse the topics
// that find the quota exhausted with THROTTLING_QUOTA_EXCEEDED and leave them alone; older ones
// (kafkajs's CreateTopics v3, raw v5) do everything asked and are throttled. Either way the
// response carries throttle_time_ms and the connection is muted for it.
// 2 windows of 1 s at 10 partitions/s: a bucket of 20; 30 partitions leave it at −10, one second
// to refill.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { ErrorCode } from '../src/protocol/errors.js';
import * as M from '../src/protocol/messages/index.js';
import { until } from './support/coordinator.js';
import { RawClient } from './support/RawClient.js';

const CONFIG = { 'controller.quota.window.num': 2, 'controller.quota.window.size.seconds': 1, 'num.partitions': 1 };
const RATE = 10;
const RAW_CLIENT_ID = 'minikafka-test'; // RawClient's
let cluster: Cluster;
let admin: RawClient;
const raws: RawClient[] = [];

beforeAll(async () => {
  cluster = await startCluster({ config: CONFIG });
  admin = await RawClient.connect(cluster.bootstrapServers[0]!);
});
afterAll(async () => {
  for (const r of raws) r.close();
  admin?.close();
  await cluster?.close();
});

async function raw(): Promise<RawClient> {
  const r = await RawClient.connect(cluster.bootstrapServers[0]!);
  raws.push(r);
  return r;
}

/** Set (null: remove) a client id's controller_mutation_rate and wait for the broker to have it. */
async function setQuota(clientId: string, value: number | null): Promise<void> {
  const res = await admin.request(M.AlterClientQuotasApi.key, 1, M.encodeAlterClientQuotasRequest, M.decodeAlterClientQuotasResponse, {
    entries: [{ entity: [{ entityType: 'client-id', entityName: clientId }], ops: [{ key: 'controller_mutation_rate', value: value ?? 0, remove: value === null }] }],
    validateOnly: false,
  });
  expect(res.entries[0]!.errorCode).toBe(0);
  const broker = cluster.brokers[0]!;
  const has = () => [...broker.image.clientQuotas.values()].find((q) => q.entity.length === 1 && q.entity[0]!.entityName === clientId)?.values['controller_mutation_rate'] ?? null;
  await until(() => has() === value, 'the broker to see the quota');
}

/** A fresh, full bucket for the raw clients. */
async function freshQuota(): Promise<void> {
  await setQuota(RAW_CLIENT_ID, null);
  await setQuota(RAW_CLIENT_ID, RATE);
}

const exists = (name: string) => cluster.brokers[0]!.image.topics.has(name);
const partitionsOf = (name: string) => cluster.brokers[0]!.image.topics.get(name)?.partitions.length ?? 0;

function createTopics(c: RawClient, version: number, topics: [string, number][], validateOnly = false): Promise<M.CreateTopicsResponse> {
  return c.request(M.CreateTopicsApi.key, version, M.encodeCreateTopicsRequest, M.decodeCreateTopicsResponse, {
    topics: topics.map(([name, numPartitions]) => ({ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] })),
    timeoutMs: 30_000,
    validateOnly,
  });
}

/** The time a Metadata request sent now takes to be answered (a muted connection answers only after its throttle). */
async function nextAnswerMs(c: RawClient): Promise<number> {
  const start = Date.now();
  await c.request(M.MetadataApi.key, 12, M.encodeMetadataRequest, M.decodeMetadataResponse, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  return Date.now() - start;
}

describe('strict (CreateTopics v6+, DeleteTopics v5+, CreatePartitions v3+)', () => {
  it('CreateTopics v7: the topic that finds the bucket empty is refused and not created; the connection is muted', async () => {
    await freshQuota();
    const c = await raw();
    const res = await createTopics(c, 7, [
      ['s-a', 30], // 20 → −10: accepted
      ['s-bad', 0], // invalid: its own error, costs nothing
      ['s-b', 30], // refused
      ['s-c', 1], // refused
    ]);
    const byName = new Map(res.topics.map((t) => [t.name, t]));
    expect(byName.get('s-a')!.errorCode).toBe(ErrorCode.NONE);
    expect(byName.get('s-a')!.numPartitions).toBe(30);
    expect(byName.get('s-bad')!.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
    for (const n of ['s-b', 's-c']) {
      expect(byName.get(n)).toMatchObject({ errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED, errorMessage: null, numPartitions: -1, replicationFactor: -1 });
    }
    expect(res.throttleTimeMs).toBeGreaterThan(800);
    expect(res.throttleTimeMs).toBeLessThanOrEqual(1000);
    expect(exists('s-a')).toBe(true);
    expect(exists('s-b') || exists('s-c') || exists('s-bad')).toBe(false);
    expect(await nextAnswerMs(c)).toBeGreaterThanOrEqual(res.throttleTimeMs - 100);

    // once refilled, the refused topic goes through, unthrottled
    await new Promise((r) => setTimeout(r, 100));
    const retry = await createTopics(c, 7, [['s-b', 30]]);
    expect(retry.topics[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(retry.throttleTimeMs).toBe(0);
    expect(exists('s-b')).toBe(true);
    expect(exists('s-c')).toBe(false);
  }, 10_000);

  it('CreateTopics v7 validate_only counts too; a client without a quota is never held', async () => {
    await freshQuota();
    const res = await createTopics(await raw(), 7, [['v-a', 25], ['v-b', 1]], true);
    expect(res.topics.map((t) => t.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.THROTTLING_QUOTA_EXCEEDED]);
    expect(res.throttleTimeMs).toBeGreaterThan(300);
    expect(exists('v-a')).toBe(false);

    await setQuota(RAW_CLIENT_ID, null);
    const free = await createTopics(await raw(), 7, [['free-a', 40], ['free-b', 40]]);
    expect(free.topics.map((t) => t.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    expect(free.throttleTimeMs).toBe(0);
  }, 10_000);

  it('DeleteTopics v6: counts each topic’s partitions; the refused topic stays', async () => {
    await cluster.createTopic('d-a', { partitions: 15 });
    await cluster.createTopic('d-b', { partitions: 15 });
    await cluster.createTopic('d-c', { partitions: 1 });
    await freshQuota();
    const c = await raw();
    const res = await c.request(M.DeleteTopicsApi.key, 6, M.encodeDeleteTopicsRequest, M.decodeDeleteTopicsResponse, {
      topics: ['d-a', 'd-missing', 'd-b', 'd-c'].map((name) => ({ name, topicId: Buffer.alloc(16) })),
      topicNames: [],
      timeoutMs: 30_000,
    });
    expect(res.responses.map((r) => [r.name, r.errorCode])).toEqual([
      ['d-a', ErrorCode.NONE], // 20 → 5
      ['d-missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['d-b', ErrorCode.NONE], // 5 → −10
      ['d-c', ErrorCode.THROTTLING_QUOTA_EXCEEDED],
    ]);
    expect(res.responses[3]!.errorMessage).toBeNull();
    expect(res.throttleTimeMs).toBeGreaterThan(800);
    expect(res.throttleTimeMs).toBeLessThanOrEqual(1000);
    expect(exists('d-a') || exists('d-b')).toBe(false);
    expect(exists('d-c')).toBe(true);
  }, 10_000);

  it('CreatePartitions v3: counts the partitions added; the refused topic keeps its count', async () => {
    await cluster.createTopic('p-a', { partitions: 1 });
    await cluster.createTopic('p-b', { partitions: 1 });
    await freshQuota();
    const c = await raw();
    const res = await c.request(M.CreatePartitionsApi.key, 3, M.encodeCreatePartitionsRequest, M.decodeCreatePartitionsResponse, {
      topics: [
        { name: 'p-a', count: 31, assignments: null }, // 30 added: 20 → −10
        { name: 'p-b', count: 2, assignments: null },
      ],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    expect(res.results.map((r) => [r.name, r.errorCode, r.errorMessage])).toEqual([
      ['p-a', ErrorCode.NONE, null],
      ['p-b', ErrorCode.THROTTLING_QUOTA_EXCEEDED, null],
    ]);
    expect(res.throttleTimeMs).toBeGreaterThan(800);
    expect(partitionsOf('p-a')).toBe(31);
    expect(partitionsOf('p-b')).toBe(1);
  }, 10_000);
});

describe('permissive (older versions)', () => {
  it('kafkajs admin createTopics (v3): every topic is created, the response throttled, and kafkajs backs off', async () => {
    const CLIENT = 'mutq-kafkajs';
    await setQuota(CLIENT, RATE);
    const throttles: number[] = [];
    const logCreator = () => (entry: { log: { message: string } }) => {
      const m = /Client side throttling in effect for (\d+)ms/.exec(entry.log.message);
      if (m) throttles.push(Number(m[1]));
    };
    const kafka = new Kafka({ clientId: CLIENT, brokers: cluster.bootstrapServers, logLevel: logLevel.DEBUG, logCreator });
    const kadmin = kafka.admin();
    await kadmin.connect();
    try {
      const created = await kadmin.createTopics({ topics: [{ topic: 'k-a', numPartitions: 15 }, { topic: 'k-b', numPartitions: 15 }], waitForLeaders: false });
      expect(created).toBe(true);
      expect(exists('k-a') && exists('k-b')).toBe(true);
      expect(partitionsOf('k-a') + partitionsOf('k-b')).toBe(30);
      // 20 − 30 = −10 at 10/s
      expect(throttles.length).toBeGreaterThan(0);
      expect(Math.max(...throttles)).toBeGreaterThan(800);
      expect(Math.max(...throttles)).toBeLessThanOrEqual(1000);
    } finally {
      await kadmin.disconnect();
    }
  }, 10_000);

  it('raw CreateTopics v5: all created, throttle_time_ms set, the connection muted', async () => {
    await freshQuota();
    const c = await raw();
    const res = await createTopics(c, 5, [['r-a', 25], ['r-b', 5]]);
    // strictly r-b would be refused (20 − 25 < 0); here both are created: 20 − 30 = −10 at 10/s
    expect(res.topics.map((t) => t.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    expect(res.throttleTimeMs).toBeGreaterThan(800);
    expect(res.throttleTimeMs).toBeLessThanOrEqual(1000);
    expect(exists('r-a') && exists('r-b')).toBe(true);
    expect(await nextAnswerMs(c)).toBeGreaterThanOrEqual(res.throttleTimeMs - 100);
  }, 10_000);
});
