// Consumer groups on a 3-broker cluster, as on Kafka: __consumer_offsets is a replicated
// internal topic, a group is coordinated by the leader of its partition
// (abs(groupId.hashCode()) % partitions), other brokers answer NOT_COORDINATOR, and when the
// coordinator crashes the group moves to another replica with every acks=all commit: kafkajs
// consumers carry on from their committed offsets, raw commits come back byte for byte, a
// compacted partition loses nothing, and a whole-cluster restart resumes the groups.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import * as M from '../src/protocol/messages/index.js';
import { javaStringHashCode, partitionForGroup } from '../src/server/group/GroupMetadataRecords.js';
import { COMPACTION_SLACK } from '../src/server/group/OffsetsPartition.js';
import { findCoordinator, waitForCoordinator } from './support/coordinator.js';
import { RawClient } from './support/RawClient.js';

const E = { NONE: 0, COORDINATOR_NOT_AVAILABLE: 15, NOT_COORDINATOR: 16, INVALID_TOPIC_EXCEPTION: 17, TOPIC_ALREADY_EXISTS: 36, MEMBER_ID_REQUIRED: 79 };
const OFFSETS = '__consumer_offsets';
const PARTITIONS = 3;
const CONFIG = {
  'broker.session.timeout.ms': 1000,
  'broker.heartbeat.interval.ms': 100,
  'group.initial.rebalance.delay.ms': 0,
  'offsets.topic.num.partitions': PARTITIONS,
  'group.min.session.timeout.ms': 1000,
};
const RETRY = { initialRetryTime: 100, retries: 30, maxRetryTime: 1000 };

let cluster: Cluster;
const clients: RawClient[] = [];

beforeAll(async () => {
  cluster = await startCluster({ brokers: 3, config: CONFIG });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await cluster?.close();
});

async function connect(broker: number, on: Cluster = cluster): Promise<RawClient> {
  const c = await RawClient.connect(on.bootstrapServers[broker - 1]!);
  clients.push(c);
  return c;
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const coordinatorOf = (groupId: string, on: Cluster = cluster) => on.leaderOf(OFFSETS, partitionForGroup(groupId, PARTITIONS));

/** Crash the group's coordinator; resolves once another replica leads its partition. */
async function crashCoordinator(groupId: string): Promise<{ crashed: number; next: number }> {
  const crashed = coordinatorOf(groupId);
  await cluster.stopBroker(crashed, { crash: true });
  await waitFor('a new coordinator', () => coordinatorOf(groupId) > 0 && coordinatorOf(groupId) !== crashed);
  return { crashed, next: coordinatorOf(groupId) };
}

async function restart(id: number): Promise<void> {
  await cluster.startBroker(id);
  await cluster.waitForReplication(OFFSETS);
}

function commit(c: RawClient, groupId: string, topic: string, offsets: { partition: number; offset: number; metadata: string | null }[]) {
  return c.request(8, 8, M.encodeOffsetCommitRequest, M.decodeOffsetCommitResponse, {
    ...M.defaultOffsetCommitRequest(),
    groupId,
    topics: [{ name: topic, partitions: offsets.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: o.metadata })) }],
  });
}

async function fetchOffsets(c: RawClient, groupId: string) {
  const res = await c.request(9, 7, M.encodeOffsetFetchRequest, M.decodeOffsetFetchResponse, { ...M.defaultOffsetFetchRequest(), groupId, topics: null });
  return { errorCode: res.errorCode, topics: res.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata])] as const) };
}

describe('__consumer_offsets and coordinator placement', () => {
  it("FindCoordinator names the leader of the group's partition (Java hashCode placement); other brokers answer NOT_COORDINATOR", async () => {
    // Kafka's placement: Utils.abs(String.hashCode()) % partitions.
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    expect(partitionForGroup('polygenelubricants', 50)).toBe(0);
    expect(partitionForGroup('hello', 50)).toBe(22);

    const c2 = await connect(2);
    // The first FindCoordinator creates __consumer_offsets and is told to retry.
    expect((await findCoordinator(c2, 'placed')).errorCode).toBe(E.COORDINATOR_NOT_AVAILABLE);
    await waitForCoordinator(c2, 'placed');
    await cluster.waitForReplication(OFFSETS);
    const meta = await c2.request(3, 8, M.encodeMetadataRequest, M.decodeMetadataResponse, { ...M.defaultMetadataRequest(), topics: null });
    const internal = meta.topics.find((t) => t.name === OFFSETS)!;
    expect([internal.isInternal, internal.partitions.length, internal.partitions.map((p) => p.replicaNodes.length)]).toEqual([true, PARTITIONS, [3, 3, 3]]);

    // Group ids landing on every partition: each is coordinated by its partition's leader.
    const groups = ['placed', 'a', 'b', 'c', 'd', 'e'];
    expect(new Set(groups.map((g) => partitionForGroup(g, PARTITIONS))).size).toBe(PARTITIONS);
    const ports = new Map(cluster.bootstrapServers.map((s, i) => [i + 1, Number(s.split(':')[1])]));
    for (const b of [1, 2, 3]) {
      const c = await connect(b);
      for (const g of groups) {
        const res = await findCoordinator(c, g);
        expect([res.errorCode, res.nodeId, res.port]).toEqual([E.NONE, coordinatorOf(g), ports.get(coordinatorOf(g))]);
      }
      const batched = await c.request(10, 4, M.encodeFindCoordinatorRequest, M.decodeFindCoordinatorResponse, { ...M.defaultFindCoordinatorRequest(), keyType: 0, coordinatorKeys: groups });
      expect(batched.coordinators.map((x) => [x.key, x.errorCode, x.nodeId])).toEqual(groups.map((g) => [g, E.NONE, coordinatorOf(g)]));
    }

    const leader = coordinatorOf('placed');
    const other = await connect(([1, 2, 3].find((b) => b !== leader))!);
    const join = (c: RawClient) =>
      c.request(11, 5, M.encodeJoinGroupRequest, M.decodeJoinGroupResponse, {
        ...M.defaultJoinGroupRequest(),
        groupId: 'placed',
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
      });
    expect((await join(other)).errorCode).toBe(E.NOT_COORDINATOR);
    const hb = await other.request(12, 3, M.encodeHeartbeatRequest, M.decodeHeartbeatResponse, { groupId: 'placed', generationId: 1, memberId: 'm', groupInstanceId: null });
    expect(hb.errorCode).toBe(E.NOT_COORDINATOR);
    expect((await fetchOffsets(other, 'placed')).errorCode).toBe(E.NOT_COORDINATOR);
    const described = await other.request(15, 5, M.encodeDescribeGroupsRequest, M.decodeDescribeGroupsResponse, { groups: ['placed'], includeAuthorizedOperations: false });
    expect(described.groups[0]!.errorCode).toBe(E.NOT_COORDINATOR);
    expect((await join(await connect(leader))).errorCode).toBe(E.MEMBER_ID_REQUIRED);

    // Clients cannot write to it, nor create it again.
    const created = await other.request(19, 5, M.encodeCreateTopicsRequest, M.decodeCreateTopicsResponse, {
      ...M.defaultCreateTopicsRequest(),
      topics: [{ name: OFFSETS, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5000,
    });
    expect(created.topics[0]!.errorCode).toBe(E.TOPIC_ALREADY_EXISTS);
    const produced = await other.request(0, 8, M.encodeProduceRequest, M.decodeProduceResponse, {
      ...M.defaultProduceRequest(),
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: OFFSETS, partitionData: [{ index: 0, records: Buffer.alloc(0) }] }],
    });
    expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(E.INVALID_TOPIC_EXCEPTION);
  });
});

describe('coordinator failover', () => {
  it('acks=all commits survive a crash of the coordinator: the new one serves them, metadata byte for byte', async () => {
    const groupId = 'survivor';
    const topic = 'survivor-topic';
    await cluster.createTopic(topic, { partitions: 3 });
    const first = await connect(1);
    const coordinator = await waitForCoordinator(first, groupId);
    const c = await connect(coordinator);
    const metadata = ['plain', 'ünïcødé ✓ 💥 {"k":[1,2]}', 'x'.repeat(4096)];
    const res = await commit(c, groupId, topic, metadata.map((m, i) => ({ partition: i, offset: 100 + i, metadata: m })));
    expect(res.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([E.NONE, E.NONE, E.NONE]);

    const { crashed, next } = await crashCoordinator(groupId);
    const survivor = await connect(([1, 2, 3].find((b) => b !== crashed))!);
    expect(await waitForCoordinator(survivor, groupId)).toBe(next);
    const fetched = await fetchOffsets(await connect(next), groupId);
    expect(fetched).toEqual({ errorCode: E.NONE, topics: [[topic, metadata.map((m, i) => [i, 100 + i, m])]] });
    await restart(crashed);
  });

  it('a kafkajs group whose coordinator crashes moves to another replica and carries on from its committed offsets', async () => {
    const groupId = 'moving';
    const topic = 'moving-topic';
    await cluster.createTopic(topic, { partitions: 3 });
    const kafka = new Kafka({ clientId: 'failover', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING, retry: RETRY });
    const admin = kafka.admin();
    await admin.connect();
    const seen: string[] = [];
    const consumers: Consumer[] = [];
    try {
      for (const first of [1, 2]) {
        // Bootstrapped on different brokers.
        const k = new Kafka({ clientId: `from-${first}`, brokers: [...cluster.bootstrapServers.slice(first - 1), ...cluster.bootstrapServers.slice(0, first - 1)], logLevel: logLevel.NOTHING, retry: RETRY });
        // kafkajs only looks for a new coordinator when it restarts the consumer, after its
        // retries run out; the crashed members' sessions then expire on the new coordinator.
        const consumer = k.consumer({ groupId, maxWaitTimeInMs: 100, heartbeatInterval: 300, sessionTimeout: 2000, retry: { initialRetryTime: 100, retries: 4, maxRetryTime: 300 } });
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
        consumers.push(consumer);
      }
      await waitFor('a stable group of 2', async () => {
        const [g] = (await admin.describeGroups([groupId])).groups;
        return g?.state === 'Stable' && g.members.length === 2;
      });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `before-${i}` })) });
      await producer.disconnect();
      const committed = async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.map((p) => Number(p.offset));
      await waitFor('first batch consumed and committed', async () => seen.length >= 30 && (await committed()).every((o) => o === 10));

      const { crashed } = await crashCoordinator(groupId);
      const fresh = new Kafka({ clientId: 'after', brokers: cluster.bootstrapServers.filter((_, i) => i + 1 !== crashed), logLevel: logLevel.NOTHING, retry: RETRY }).producer();
      await fresh.connect();
      await fresh.send({ topic, acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `after-${i}` })) });
      await fresh.disconnect();
      await waitFor('second batch consumed and committed on the new coordinator', async () => (await committed()).every((o) => o === 20), 30_000);

      // Nothing committed before the crash came again; nothing after it was skipped.
      const count = (v: string) => seen.filter((s) => s === v).length;
      for (let i = 0; i < 30; i++) expect(count(`before-${i}`)).toBe(1);
      for (let i = 0; i < 30; i++) expect(count(`after-${i}`)).toBeGreaterThanOrEqual(1);
      await Promise.all(consumers.splice(0).map((c) => c.disconnect()));
      await restart(crashed);
    } finally {
      await Promise.all(consumers.map((c) => c.disconnect()));
      await admin.disconnect();
    }
  }, 60_000);

  it('a compacted partition keeps every live offset: the log start moves on every replica, and a new leader loads the same state', async () => {
    const groupId = 'compacted';
    const topic = 'compacted-topic';
    const partitions = 200;
    await cluster.createTopic(topic, { partitions, replicationFactor: 1 });
    const coordinator = await waitForCoordinator(await connect(1), groupId);
    const c = await connect(coordinator);
    const rounds = Math.ceil((COMPACTION_SLACK + 3 * partitions) / partitions);
    for (let round = 0; round < rounds; round++) {
      const res = await commit(c, groupId, topic, Array.from({ length: partitions }, (_, p) => ({ partition: p, offset: round * 1000 + p, metadata: `r${round}` })));
      expect(res.topics[0]!.partitions.every((p) => p.errorCode === E.NONE)).toBe(true);
    }
    const index = partitionForGroup(groupId, PARTITIONS);
    const replicas = cluster.brokers.map((b) => b.replicaManager.getPartition(OFFSETS, index)!);
    await waitFor('the log start offset moved on every replica', () => replicas.every((p) => p.logStartOffset > 0 && p.logStartOffset === replicas[0]!.logStartOffset));
    expect(replicas[0]!.log.logEndOffset - replicas[0]!.logStartOffset).toBeLessThan(partitions * 3);

    const expected = { errorCode: E.NONE, topics: [[topic, Array.from({ length: partitions }, (_, p) => [p, (rounds - 1) * 1000 + p, `r${rounds - 1}`])]] };
    expect(await fetchOffsets(c, groupId)).toEqual(expected);

    await crashCoordinator(groupId);
    const next = await connect(await waitForCoordinator(await connect(([1, 2, 3].find((b) => b !== coordinator))!), groupId));
    expect(await fetchOffsets(next, groupId)).toEqual(expected);
    await restart(coordinator);
  }, 30_000);

  it('offsets of a topic deleted through another broker disappear from the coordinator', async () => {
    await cluster.createTopic('doomed-topic', { partitions: 1 });
    await cluster.createTopic('kept-topic', { partitions: 1 });
    const coordinator = await waitForCoordinator(await connect(1), 'deleter');
    const c = await connect(coordinator);
    for (const name of ['doomed-topic', 'kept-topic']) expect((await commit(c, 'deleter', name, [{ partition: 0, offset: 3, metadata: null }])).topics[0]!.partitions[0]!.errorCode).toBe(E.NONE);
    const other = await connect(([1, 2, 3].find((b) => b !== coordinator))!);
    const del = await other.request(20, 4, M.encodeDeleteTopicsRequest, M.decodeDeleteTopicsResponse, { ...M.defaultDeleteTopicsRequest(), topicNames: ['doomed-topic'], timeoutMs: 5000 });
    expect(del.responses[0]!.errorCode).toBe(E.NONE);
    await waitFor('offsets of the deleted topic gone', async () => JSON.stringify((await fetchOffsets(c, 'deleter')).topics) === JSON.stringify([['kept-topic', [[0, 3, '']]]]));
  });
});

describe('whole-cluster restart', () => {
  let dir: string;
  let restartable: Cluster | null = null;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-group-cluster-'));
  });
  afterAll(async () => {
    await restartable?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('closing all three brokers and starting them again on their data: the group resumes from its committed offsets', async () => {
    const groupId = 'restarted';
    const topic = 'restarted-topic';
    restartable = await startCluster({ brokers: 3, dataDir: dir, config: CONFIG });
    const ports = restartable.bootstrapServers.map((s) => Number(s.split(':')[1]));
    await restartable.createTopic(topic, { partitions: 3 });
    const kafka = () => new Kafka({ clientId: 'restart', brokers: restartable!.bootstrapServers, logLevel: logLevel.NOTHING, retry: RETRY });
    const seen: string[] = [];
    const run = async () => {
      const consumer = kafka().consumer({ groupId, maxWaitTimeInMs: 100, heartbeatInterval: 300, retry: RETRY });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
      return consumer;
    };
    const send = async (prefix: string) => {
      const p = kafka().producer();
      await p.connect();
      await p.send({ topic, acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `${prefix}-${i}` })) });
      await p.disconnect();
    };
    const committed = async () => {
      const admin = kafka().admin();
      await admin.connect();
      try {
        return (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.map((p) => Number(p.offset));
      } finally {
        await admin.disconnect();
      }
    };

    let consumer = await run();
    await send('before');
    await waitFor('first batch committed', async () => seen.length >= 30 && (await committed()).every((o) => o === 10));
    await consumer.disconnect();
    await restartable.close();

    restartable = await startCluster({ brokers: 3, dataDir: dir, port: ports, config: CONFIG });
    expect(await committed()).toEqual([10, 10, 10]);
    consumer = await run();
    await send('after');
    await waitFor('second batch committed', async () => (await committed()).every((o) => o === 20), 30_000);
    await consumer.disconnect();
    expect([...seen].sort()).toEqual([...Array.from({ length: 30 }, (_, i) => `before-${i}`), ...Array.from({ length: 30 }, (_, i) => `after-${i}`)].sort());
  }, 60_000);
});
