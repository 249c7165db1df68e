// Consumer groups on a 3-broker cluster: one broker (the lowest node id) coordinates every
// group, the others send clients there (NOT_COORDINATOR), groups wait while it is down
// (COORDINATOR_NOT_AVAILABLE) and carry on from its committed offsets when it returns, and the
// offsets of a topic deleted through another broker go away.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import * as M from '../src/protocol/messages/index.js';
import { RawClient } from './support/RawClient.js';

const NOT_COORDINATOR = 16;
const COORDINATOR_NOT_AVAILABLE = 15;

let cluster: Cluster;
const clients: RawClient[] = [];

beforeAll(async () => {
  cluster = await startCluster({
    brokers: 3,
    config: { 'group.initial.rebalance.delay.ms': 0, 'broker.session.timeout.ms': 1000, 'broker.heartbeat.interval.ms': 100 },
  });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await cluster?.close();
});

async function connect(broker: number): Promise<RawClient> {
  const c = await RawClient.connect(cluster.bootstrapServers[broker - 1]!);
  clients.push(c);
  return c;
}

function findCoordinator(c: RawClient, version = 3) {
  return c.request(10, version, M.encodeFindCoordinatorRequest, M.decodeFindCoordinatorResponse, { ...M.defaultFindCoordinatorRequest(), key: 'g', keyType: 0, coordinatorKeys: ['g'] });
}

async function fetchOffsets(c: RawClient, groupId: string) {
  const res = await c.request(9, 7, M.encodeOffsetFetchRequest, M.decodeOffsetFetchResponse, { ...M.defaultOffsetFetchRequest(), groupId, topics: null });
  return { errorCode: res.errorCode, topics: res.topics.map((t) => [t.name, t.partitions.map((p) => p.committedOffset)]) };
}

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('consumer groups on a 3-broker cluster', () => {
  it('every broker names broker 1 as the coordinator; the others answer NOT_COORDINATOR', async () => {
    const port1 = Number(cluster.bootstrapServers[0]!.split(':')[1]);
    for (const b of [1, 2, 3]) {
      const c = await connect(b);
      const res = await findCoordinator(c);
      expect([res.errorCode, res.nodeId, res.port]).toEqual([0, 1, port1]);
      const batched = await findCoordinator(c, 4);
      expect(batched.coordinators.map((x) => [x.key, x.errorCode, x.nodeId])).toEqual([['g', 0, 1]]);
    }
    const c2 = await connect(2);
    const join = await c2.request(11, 5, M.encodeJoinGroupRequest, M.decodeJoinGroupResponse, {
      ...M.defaultJoinGroupRequest(),
      groupId: 'elsewhere',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
    });
    expect(join.errorCode).toBe(NOT_COORDINATOR);
    const hb = await c2.request(12, 3, M.encodeHeartbeatRequest, M.decodeHeartbeatResponse, { groupId: 'elsewhere', generationId: 1, memberId: 'm', groupInstanceId: null });
    expect(hb.errorCode).toBe(NOT_COORDINATOR);
    expect((await fetchOffsets(c2, 'elsewhere')).errorCode).toBe(NOT_COORDINATOR);
    const described = await c2.request(15, 5, M.encodeDescribeGroupsRequest, M.decodeDescribeGroupsResponse, { groups: ['elsewhere'], includeAuthorizedOperations: false });
    expect(described.groups[0]!.errorCode).toBe(NOT_COORDINATOR);
    const listed = await c2.request(16, 4, M.encodeListGroupsRequest, M.decodeListGroupsResponse, { statesFilter: [], typesFilter: [] });
    expect([listed.errorCode, listed.groups]).toEqual([0, []]);
  });

  it('kafkajs consumers bootstrapped on different brokers form one group; it waits out a coordinator restart', async () => {
    const topic = 'spread';
    await cluster.createTopic(topic, { partitions: 4, replicationFactor: 3 });
    await cluster.waitForReplication(topic);
    const seen: string[] = [];
    const consumers = [];
    for (const first of [1, 2, 3]) {
      const servers = [...cluster.bootstrapServers.slice(first - 1), ...cluster.bootstrapServers.slice(0, first - 1)];
      const kafka = new Kafka({ clientId: `from-${first}`, brokers: servers, logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, retries: 30, maxRetryTime: 1000 } });
      const consumer = kafka.consumer({ groupId: 'spread', maxWaitTimeInMs: 100, heartbeatInterval: 300, sessionTimeout: 10_000 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
      consumers.push(consumer);
    }
    const kafka = new Kafka({ clientId: 'spread-admin', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, retries: 30, maxRetryTime: 1000 } });
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    await producer.connect();
    try {
      await waitFor('one stable group of 3', async () => {
        const [g] = (await admin.describeGroups(['spread'])).groups;
        return g?.state === 'Stable' && g.members.length === 3;
      });
      await producer.send({ topic, acks: -1, messages: Array.from({ length: 40 }, (_, i) => ({ partition: i % 4, value: `before-${i}` })) });
      await waitFor('first batch consumed and committed', async () => {
        const [t] = await admin.fetchOffsets({ groupId: 'spread', topics: [topic] });
        return seen.length >= 40 && t!.partitions.every((p) => p.offset === '10');
      });
      expect(new Set(seen).size).toBe(40);

      // The coordinator goes away: FindCoordinator says so, and the group waits for it.
      await cluster.stopBroker(1);
      const c3 = await connect(3);
      await waitFor('COORDINATOR_NOT_AVAILABLE', async () => (await findCoordinator(c3)).errorCode === COORDINATOR_NOT_AVAILABLE);
      await cluster.startBroker(1);
      await waitFor('broker 1 coordinating again', async () => (await findCoordinator(c3)).nodeId === 1);
      // A producer with fresh metadata: kafkajs' send() can drop the partitions whose leader moved
      // during a retry (its per-broker response map keeps the old leader's reply).
      await cluster.waitForReplication(topic);
      const fresh = kafka.producer();
      await fresh.connect();
      await fresh.send({ topic, acks: -1, messages: Array.from({ length: 40 }, (_, i) => ({ partition: i % 4, value: `after-${i}` })) });
      await fresh.disconnect();
      await waitFor('second batch consumed and committed', async () => {
        const [t] = await admin.fetchOffsets({ groupId: 'spread', topics: [topic] });
        return t!.partitions.every((p) => p.offset === '20');
      }, 45_000);
      // Offsets survived on the coordinator: nothing of the first batch came again, nothing was skipped.
      const values = new Set(seen);
      for (let i = 0; i < 40; i++) expect(values.has(`after-${i}`)).toBe(true);
      expect(seen.filter((v) => v.startsWith('before-')).length).toBe(40);
    } finally {
      await Promise.all(consumers.map((c) => c.disconnect()));
      await producer.disconnect();
      await admin.disconnect();
    }
  }, 90_000);

  it("offsets of a topic deleted through another broker disappear from the coordinator", async () => {
    await cluster.createTopic('doomed-topic', { partitions: 1 });
    await cluster.createTopic('kept-topic', { partitions: 1 });
    const c1 = await connect(1);
    const commit = await c1.request(8, 8, M.encodeOffsetCommitRequest, M.decodeOffsetCommitResponse, {
      ...M.defaultOffsetCommitRequest(),
      groupId: 'deleter',
      topics: ['doomed-topic', 'kept-topic'].map((name) => ({
        name,
        partitions: [{ partitionIndex: 0, committedOffset: 3, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }],
      })),
    });
    expect(commit.topics.map((t) => t.partitions[0]!.errorCode)).toEqual([0, 0]);
    const c2 = await connect(2);
    const del = await c2.request(20, 4, M.encodeDeleteTopicsRequest, M.decodeDeleteTopicsResponse, { ...M.defaultDeleteTopicsRequest(), topicNames: ['doomed-topic'], timeoutMs: 5000 });
    expect(del.responses[0]!.errorCode).toBe(0);
    await waitFor('offsets of the deleted topic gone', async () => JSON.stringify((await fetchOffsets(c1, 'deleter')).topics) === JSON.stringify([['kept-topic', [3]]]));
  });
});
