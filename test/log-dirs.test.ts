// DescribeLogDirs, AlterReplicaLogDirs and DescribeTopicPartitions (KIP-966) over TCP with raw
// requests, asserting the fields Kafka 3.9 gives: one log dir per broker with the real byte
// size of each hosted replica; a move to another dir is LOG_DIR_NOT_FOUND; partitions paged
// with a cursor, empty ELR lists, offline replicas.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startCluster, type Cluster } from '../src/index.js';
import * as M from '../src/protocol/messages/index.js';
import { RawClient } from './support/RawClient.js';

const clusters: Cluster[] = [];
const raws: RawClient[] = [];

afterEach(async () => {
  for (const r of raws.splice(0)) r.close();
  for (const c of clusters.splice(0)) await c.close();
});

async function raw(address: string): Promise<RawClient> {
  const r = await RawClient.connect(address);
  raws.push(r);
  return r;
}

describe('DescribeLogDirs / AlterReplicaLogDirs', () => {
  it('reports the broker data dir, the size of every hosted replica and disk space (v4)', async () => {
    const c = await startCluster({ brokers: 2 });
    clusters.push(c);
    await c.createTopic('sized', { partitions: 2, replicationFactor: 2 });
    await c.createTopic('other', { partitions: 1, replicationFactor: 1 });
    const kafka = new Kafka({ clientId: 'logdirs', brokers: c.bootstrapServers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'sized', acks: -1, messages: Array.from({ length: 50 }, (_, i) => ({ partition: 0, value: `value-${i}` })) });
    await producer.disconnect();
    await c.waitForReplication('sized');
    const broker = c.brokers[0]!;
    const r = await raw(c.bootstrapServers[0]!);
    const res = await r.request(M.DescribeLogDirsApi.key, 4, M.encodeDescribeLogDirsRequest, M.decodeDescribeLogDirsResponse, { topics: [{ topic: 'sized', partitions: [0, 1, 7] }] });
    expect(res.errorCode).toBe(0);
    expect(res.results).toHaveLength(1);
    const dir = res.results[0]!;
    expect(dir.errorCode).toBe(0);
    expect(dir.logDir).toBe(path.resolve(broker.dataDir!));
    expect(dir.totalBytes).toBeGreaterThan(0);
    expect(dir.usableBytes).toBeGreaterThan(0);
    expect(dir.usableBytes).toBeLessThanOrEqual(dir.totalBytes);
    const sizes = Object.fromEntries(dir.topics[0]!.partitions.map((p) => [p.partitionIndex, p]));
    expect(dir.topics.map((t) => t.name)).toEqual(['sized']);
    expect(Object.keys(sizes)).toEqual(['0', '1']);
    expect(sizes[0]).toEqual({ partitionIndex: 0, partitionSize: broker.replicaManager.getPartition('sized', 0)!.log.size(), offsetLag: 0, isFutureKey: false });
    expect(sizes[0]!.partitionSize).toBeGreaterThan(50 * 8);
    expect(sizes[1]!.partitionSize).toBe(0);
    // topics null: every hosted replica.
    const everything = await r.request(M.DescribeLogDirsApi.key, 1, M.encodeDescribeLogDirsRequest, M.decodeDescribeLogDirsResponse, { topics: null });
    const hosted = broker.replicaManager.allPartitions().map((p) => `${p.topic}-${p.index}`).sort();
    expect(everything.results[0]!.topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}`)).sort()).toEqual(hosted);
  }, 30_000);

  it('AlterReplicaLogDirs: the current dir is a no-op, another is LOG_DIR_NOT_FOUND, an unhosted replica REPLICA_NOT_AVAILABLE', async () => {
    const c = await startCluster({ brokers: 1 });
    clusters.push(c);
    await c.createTopic('moved', { partitions: 1 });
    const r = await raw(c.bootstrapServers[0]!);
    const ours = path.resolve(c.brokers[0]!.dataDir!);
    const res = await r.request(M.AlterReplicaLogDirsApi.key, 2, M.encodeAlterReplicaLogDirsRequest, M.decodeAlterReplicaLogDirsResponse, {
      dirs: [
        { path: ours, topics: [{ name: 'moved', partitions: [0, 3] }] },
        { path: '/elsewhere', topics: [{ name: 'moved', partitions: [0] }] },
      ],
    });
    expect(res).toEqual({
      throttleTimeMs: 0,
      results: [{ topicName: 'moved', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 3, errorCode: 9 }, { partitionIndex: 0, errorCode: 57 }] }],
    });
  }, 30_000);
});

describe('DescribeTopicPartitions (KIP-966)', () => {
  it('pages partitions with a cursor, sorted by topic, with empty ELR lists and unknown topics flagged', async () => {
    const c = await startCluster({ brokers: 2 });
    clusters.push(c);
    await c.createTopic('beta', { partitions: 3, replicationFactor: 2 });
    await c.createTopic('alpha', { partitions: 2, replicationFactor: 2 });
    const r = await raw(c.bootstrapServers[0]!);
    const ask = (body: Partial<M.DescribeTopicPartitionsRequest>) =>
      r.request(M.DescribeTopicPartitionsApi.key, 0, M.encodeDescribeTopicPartitionsRequest, M.decodeDescribeTopicPartitionsResponse, { topics: [], responsePartitionLimit: 2000, cursor: null, ...body });
    const page1 = await ask({ topics: [{ name: 'beta' }, { name: 'alpha' }, { name: 'missing' }], responsePartitionLimit: 3 });
    expect(page1.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)])).toEqual([
      ['alpha', [0, 1]],
      ['beta', [0]],
    ]);
    expect(page1.nextCursor).toEqual({ topicName: 'beta', partitionIndex: 1 });
    const alpha = c.controller.image.topics.get('alpha')!;
    expect(page1.topics[0]).toEqual({
      errorCode: 0,
      name: 'alpha',
      topicId: Buffer.from(alpha.topicId, 'hex'),
      isInternal: false,
      topicAuthorizedOperations: 3576,
      partitions: alpha.partitions.map((p, i) => ({
        errorCode: 0,
        partitionIndex: i,
        leaderId: p.leader,
        leaderEpoch: p.leaderEpoch,
        replicaNodes: p.replicas,
        isrNodes: p.isr,
        eligibleLeaderReplicas: [],
        lastKnownElr: [],
        offlineReplicas: [],
      })),
    });
    const page2 = await ask({ topics: [{ name: 'beta' }, { name: 'alpha' }, { name: 'missing' }], responsePartitionLimit: 3, cursor: page1.nextCursor });
    expect(page2.topics.map((t) => [t.name, t.errorCode, t.partitions.map((p) => p.partitionIndex)])).toEqual([
      ['beta', 0, [1, 2]],
      ['missing', 3, []],
    ]);
    expect(page2.nextCursor).toBeNull();
    // Every topic (empty list): the limit falling at a topic's end points the cursor at the next topic.
    const allPage = await ask({ responsePartitionLimit: 2 });
    expect(allPage.topics.map((t) => t.name)).toEqual(['alpha']);
    expect(allPage.nextCursor).toEqual({ topicName: 'beta', partitionIndex: 0 });
    // A cursor topic missing from the list.
    const bad = await ask({ topics: [{ name: 'alpha' }], cursor: { topicName: 'beta', partitionIndex: 0 } });
    expect(bad.topics.map((t) => t.errorCode)).toEqual([42]);
    // A stopped broker's replicas are offline; the leader moved.
    await c.stopBroker(2);
    const deadline = Date.now() + 10_000;
    while (c.brokers[0]!.image.isLive(2) || c.brokers[0]!.image.topics.get('alpha')!.partitions.some((p) => p.leader !== 1)) {
      if (Date.now() > deadline) throw new Error('broker 1 never saw broker 2 stop');
      await new Promise((r) => setTimeout(r, 20));
    }
    const after = await ask({ topics: [{ name: 'alpha' }] });
    for (const p of after.topics[0]!.partitions) {
      expect(p.offlineReplicas).toEqual([2]);
      expect(p.leaderId).toBe(1);
    }
  }, 30_000);
});
