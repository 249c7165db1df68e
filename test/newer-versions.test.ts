// Newer protocol versions against a two-broker cluster, where a request can reach a broker that
// does not lead the partition: KIP-951's current leader in Produce v10+ and Fetch v16+
// answers, and ListOffsets' earliest offset with the epoch of the log's first entry after a
// leader change (as Kafka answers -2 and -4); and kafkajs's own ListOffsets v0 codec.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import * as M from '../src/protocol/messages/index.js';
import { encodeRecordBatch } from '../src/protocol/recordBatch.js';
import { RawClient } from './support/RawClient.js';

let cluster: Cluster;
const TOPIC = 'newer';
const clients = new Map<number, RawClient>();

beforeAll(async () => {
  cluster = await startCluster({ brokers: 2 });
  await cluster.createTopic(TOPIC, { partitions: 1, replicationFactor: 2 });
  await cluster.waitForReplication(TOPIC);
});

afterAll(async () => {
  for (const c of clients.values()) c.close();
  await cluster?.close();
});

function addressOf(id: number): { host: string; port: number } {
  const i = cluster.brokers.findIndex((b) => b.nodeId === id);
  const [host, port] = cluster.bootstrapServers[i]!.split(':');
  return { host: host!, port: Number(port) };
}

async function clientOf(id: number): Promise<RawClient> {
  let c = clients.get(id);
  if (!c) {
    const { host, port } = addressOf(id);
    c = await RawClient.connect(`${host}:${port}`);
    clients.set(id, c);
  }
  return c;
}

function produce(c: RawClient, v: number, value: string) {
  return c.request(0, v, M.encodeProduceRequest, M.decodeProduceResponse, {
    ...M.defaultProduceRequest(),
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from(value) }] }) }] }],
  });
}

function fetch(c: RawClient, v: number) {
  return c.request(1, v, M.encodeFetchRequest, M.decodeFetchResponse, {
    ...M.defaultFetchRequest(),
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    topics: [
      {
        topic: TOPIC,
        topicId: Buffer.from(cluster.brokers[0]!.metadata.get(TOPIC)!.topicId, 'hex'),
        partitions: [{ ...M.defaultFetchRequestFetchPartition(), partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }],
      },
    ],
  });
}

describe('KIP-951: a non-leader names the current leader', () => {
  it('Produce v10+ to a follower: NOT_LEADER_OR_FOLLOWER with the leader, its epoch and its endpoint; v9 has no such fields', async () => {
    const leader = cluster.leaderOf(TOPIC, 0);
    const follower = cluster.brokers.map((b) => b.nodeId).find((id) => id !== leader)!;
    const epoch = cluster.brokers[0]!.metadata.partitionState(TOPIC, 0)!.leaderEpoch;
    const c = await clientOf(follower);
    const old = await produce(c, 9, 'v9');
    expect(old.responses[0]!.partitionResponses[0]!.errorCode).toBe(6);
    expect(old.responses[0]!.partitionResponses[0]!.currentLeader).toEqual({ leaderId: -1, leaderEpoch: -1 });
    expect(old.nodeEndpoints).toEqual([]);
    for (const v of [10, 11, 12]) {
      const res = await produce(c, v, `v${v}`);
      const p = res.responses[0]!.partitionResponses[0]!;
      expect(p.errorCode).toBe(6); // NOT_LEADER_OR_FOLLOWER
      expect(p.currentLeader).toEqual({ leaderId: leader, leaderEpoch: epoch });
      expect(res.nodeEndpoints).toEqual([{ nodeId: leader, ...addressOf(leader), rack: null }]);
    }
    // The leader itself answers with no leader hint.
    const ok = await produce(await clientOf(leader), 12, 'at the leader');
    expect(ok.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    expect(ok.responses[0]!.partitionResponses[0]!.currentLeader).toEqual({ leaderId: -1, leaderEpoch: -1 });
    expect(ok.nodeEndpoints).toEqual([]);
  });

  it('Fetch v16+ from a follower: NOT_LEADER_OR_FOLLOWER with the leader and its endpoint; v15 has no such fields', async () => {
    const leader = cluster.leaderOf(TOPIC, 0);
    const follower = cluster.brokers.map((b) => b.nodeId).find((id) => id !== leader)!;
    const epoch = cluster.brokers[0]!.metadata.partitionState(TOPIC, 0)!.leaderEpoch;
    const c = await clientOf(follower);
    const old = await fetch(c, 15);
    expect(old.responses[0]!.partitions[0]!.errorCode).toBe(6);
    expect(old.responses[0]!.partitions[0]!.currentLeader).toEqual({ leaderId: -1, leaderEpoch: -1 });
    for (const v of [16, 17, 18]) {
      const res = await fetch(c, v);
      const p = res.responses[0]!.partitions[0]!;
      expect(p.errorCode).toBe(6);
      expect(p.currentLeader).toEqual({ leaderId: leader, leaderEpoch: epoch });
      expect(res.nodeEndpoints).toEqual([{ nodeId: leader, ...addressOf(leader), rack: null }]);
    }
    const ok = await fetch(await clientOf(leader), 18);
    expect(ok.responses[0]!.partitions[0]!.errorCode).toBe(0);
    expect(ok.nodeEndpoints).toEqual([]);
  });
});

describe('ListOffsets earliest after a leader change', () => {
  it('answers the epoch of the first leader epoch entry, not the current epoch (-2, and -4 at v8+)', async () => {
    const first = cluster.leaderOf(TOPIC, 0);
    const firstEpoch = cluster.brokers[0]!.metadata.partitionState(TOPIC, 0)!.leaderEpoch;
    const other = cluster.brokers.map((b) => b.nodeId).find((id) => id !== first)!;
    await cluster.waitForReplication(TOPIC);
    await cluster.stopBroker(first); // controlled shutdown: leadership moves to the other replica
    const deadline = Date.now() + 10_000;
    while (cluster.leaderOf(TOPIC, 0) !== other) {
      if (Date.now() > deadline) throw new Error('leadership did not move');
      await new Promise((r) => setTimeout(r, 20));
    }
    const c = await clientOf(other);
    const at = async (v: number, timestamp: number) => {
      for (;;) {
        const p = (
          await c.request(2, v, M.encodeListOffsetsRequest, M.decodeListOffsetsResponse, {
            ...M.defaultListOffsetsRequest(),
            replicaId: -1,
            topics: [{ name: TOPIC, partitions: [{ ...M.defaultListOffsetsRequestListOffsetsPartition(), partitionIndex: 0, timestamp }] }],
          })
        ).topics[0]!.partitions[0]!;
        if (p.errorCode !== 6 || Date.now() > deadline) return p; // the new leader may not have applied its election yet
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const latest = await at(8, -1);
    expect(latest.errorCode).toBe(0);
    expect(latest.leaderEpoch).toBeGreaterThan(firstEpoch);
    for (const ts of [-2, -4]) {
      const p = await at(8, ts);
      expect([p.errorCode, p.offset, p.timestamp, p.leaderEpoch]).toEqual([0, 0, -1, firstEpoch]);
    }
    await cluster.startBroker(first);
  });
});

describe("kafkajs's own ListOffsets v0", () => {
  it('decodes our v0 answer: old-style offsets, newest first, at most max_num_offsets', async () => {
    const require = createRequire(import.meta.url);
    const KJ = 'kafkajs/src/protocol';
    const buildRequest = require(`${KJ}/request.js`) as (a: { correlationId: number; clientId: string; request: unknown }) => Promise<{ buffer: Buffer }>;
    const v0 = require(`${KJ}/requests/listOffsets/v0/request.js`) as (a: unknown) => unknown;
    const response = require(`${KJ}/requests/listOffsets/v0/response.js`) as { decode(b: Buffer): Promise<unknown>; parse(d: unknown): Promise<unknown> };
    const leader = cluster.leaderOf(TOPIC, 0);
    const c = await clientOf(leader);
    await produce(c, 9, 'for v0');
    const ask = async (timestamp: number, maxNumOffsets: number) => {
      const frame = await buildRequest({ correlationId: 99, clientId: 'kafkajs-v0', request: v0({ replicaId: -1, topics: [{ topic: TOPIC, partitions: [{ partition: 0, timestamp, maxNumOffsets }] }] }) });
      const reply = c.nextFrame();
      c.writeRaw(frame.buffer);
      const body = (await reply).subarray(4); // after the correlation id
      return response.parse(await response.decode(body));
    };
    const latest = (await ask(-1, 1)) as { responses: { topic: string; partitions: { partition: number; errorCode: number; offsets: string[] }[] }[] };
    const end = cluster.brokers.find((b) => b.nodeId === leader)!.replicaManager.getPartition(TOPIC, 0)!.highWatermark;
    expect(latest).toEqual({ responses: [{ topic: TOPIC, partitions: [{ partition: 0, errorCode: 0, offsets: [String(end)] }] }] });
    expect(await ask(-1, 10)).toEqual({ responses: [{ topic: TOPIC, partitions: [{ partition: 0, errorCode: 0, offsets: [String(end), '0'] }] }] });
    expect(await ask(-2, 10)).toEqual({ responses: [{ topic: TOPIC, partitions: [{ partition: 0, errorCode: 0, offsets: ['0'] }] }] });
  });
});
