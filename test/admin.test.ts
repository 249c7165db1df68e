// Topic administration through kafkajs' admin client.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { decodeCreateTopicsResponse, defaultCreateTopicsRequest, encodeCreateTopicsRequest } from '../src/protocol/messages/index.js';
import { RawClient } from './support/RawClient.js';

let cluster: Cluster;
let kafka: Kafka;

beforeAll(async () => {
  cluster = await startCluster({ config: { 'num.partitions': 3 } });
  kafka = new Kafka({ clientId: 'admin-test', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
});
afterAll(async () => {
  await cluster?.close();
});

async function withAdmin<T>(fn: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

describe('admin', () => {
  it('creates, lists, describes and deletes topics', async () => {
    await withAdmin(async (admin) => {
      expect(await admin.createTopics({ topics: [{ topic: 'a', numPartitions: 2 }, { topic: 'b' }] })).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic: 'a', numPartitions: 2 }] })).toBe(false); // already there
      expect((await admin.listTopics()).sort()).toEqual(expect.arrayContaining(['a', 'b']));
      const meta = await admin.fetchTopicMetadata({ topics: ['a', 'b'] });
      const byName = Object.fromEntries(meta.topics.map((t) => [t.name, t.partitions.length]));
      expect(byName).toEqual({ a: 2, b: 3 }); // b got num.partitions
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).toHaveLength(1);
      expect(cluster.controller).toBe(cluster.brokers[0]!.nodeId);
      expect(cluster.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      await admin.deleteTopics({ topics: ['b'] });
      expect(await admin.listTopics()).not.toContain('b');
    });
  });

  it('rejects bad topics with Kafka error codes', async () => {
    await withAdmin(async (admin) => {
      await expect(admin.createTopics({ topics: [{ topic: 'bad name!' }] })).rejects.toMatchObject({
        errors: [expect.objectContaining({ type: 'INVALID_TOPIC_EXCEPTION' })],
      });
      await expect(admin.createTopics({ topics: [{ topic: 'zero', numPartitions: 0 }] })).rejects.toMatchObject({
        errors: [expect.objectContaining({ type: 'INVALID_PARTITIONS' })],
      });
      await expect(admin.createTopics({ topics: [{ topic: 'rf', replicationFactor: 3 }] })).rejects.toMatchObject({
        errors: [expect.objectContaining({ type: 'INVALID_REPLICATION_FACTOR' })],
      });
      await expect(
        admin.createTopics({ topics: [{ topic: 'cfg', configEntries: [{ name: 'no.such.config', value: '1' }] }] }),
      ).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_CONFIG' })] });
      await expect(admin.deleteTopics({ topics: ['never-existed'] })).rejects.toMatchObject({
        cause: { type: 'UNKNOWN_TOPIC_OR_PARTITION' },
      });
    });
  });

  it('validateOnly checks but creates nothing', async () => {
    // kafkajs waits for the topic's metadata after a validateOnly create, so speak CreateTopics directly.
    const client = await RawClient.connect(cluster.bootstrapServers[0]!);
    const create = (name: string, numPartitions: number) =>
      client.request(19, 4, encodeCreateTopicsRequest, decodeCreateTopicsResponse, {
        ...defaultCreateTopicsRequest(),
        validateOnly: true,
        topics: [{ name, numPartitions, replicationFactor: -1, assignments: [], configs: [] }],
      });
    const ok = await create('dry-run', 2);
    const bad = await create('dry-run', -5);
    client.close();
    expect(ok.topics[0]!.errorCode).toBe(0);
    expect(bad.topics[0]!.errorCode).toBe(37); // INVALID_PARTITIONS
    await withAdmin(async (admin) => expect(await admin.listTopics()).not.toContain('dry-run'));
  });

  it('adds partitions, never removes them', async () => {
    await withAdmin(async (admin) => {
      await admin.createTopics({ topics: [{ topic: 'grow', numPartitions: 1 }] });
      await admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 4 }] });
      const meta = await admin.fetchTopicMetadata({ topics: ['grow'] });
      expect(meta.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2, 3]);
      await expect(admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 2 }] })).rejects.toMatchObject({
        type: 'INVALID_PARTITIONS',
      });
    });
  });

  it('describes and alters topic configs', async () => {
    await withAdmin(async (admin) => {
      await admin.createTopics({ topics: [{ topic: 'configured', configEntries: [{ name: 'retention.ms', value: '60000' }] }] });
      const describe = async () =>
        Object.fromEntries(
          (await admin.describeConfigs({ resources: [{ type: 2, name: 'configured' }], includeSynonyms: false })).resources[0]!.configEntries.map(
            (e) => [e.configName, { value: e.configValue, isDefault: e.isDefault }],
          ),
        );
      let configs = await describe();
      expect(configs['retention.ms']).toEqual({ value: '60000', isDefault: false });
      expect(configs['segment.bytes']).toEqual({ value: '1073741824', isDefault: true });
      expect(configs['cleanup.policy']).toEqual({ value: 'delete', isDefault: true });

      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: 2, name: 'configured', configEntries: [{ name: 'segment.bytes', value: '1048576' }] }],
      });
      configs = await describe();
      // AlterConfigs replaces the whole set of overrides.
      expect(configs['segment.bytes']).toEqual({ value: '1048576', isDefault: false });
      expect(configs['retention.ms']).toEqual({ value: '604800000', isDefault: true });

      await expect(
        admin.alterConfigs({
          validateOnly: false,
          resources: [{ type: 2, name: 'configured', configEntries: [{ name: 'retention.ms', value: 'soon' }] }],
        }),
      ).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    });
  });

  it('describes broker configs', async () => {
    await withAdmin(async (admin) => {
      const { resources } = await admin.describeConfigs({ resources: [{ type: 4, name: '1' }], includeSynonyms: false });
      const entries = Object.fromEntries(resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
      expect(entries['num.partitions']).toBe('3');
      expect(entries['auto.create.topics.enable']).toBe('true');
    });
  });
});
