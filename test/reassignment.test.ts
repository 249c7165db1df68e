// Partition reassignment for real (KIP-455) over TCP with kafkajs: replicas move under
// continuous acks=all produce and no acknowledged record is lost (every acknowledged offset is
// read back with its value from the new leader and found on every new replica); the leader
// moves when it is removed; a reassignment that cannot finish is listed and cancelled; the
// removed replica stops hosting the partition.
import { until } from './support/coordinator.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import * as M from '../src/protocol/messages/index.js';
import { readAll } from './support/fetchAll.js';
import { RawClient } from './support/RawClient.js';

const FAST = { 'broker.session.timeout.ms': 1000, 'broker.heartbeat.interval.ms': 100, 'min.insync.replicas': 2 };

const clusters: Cluster[] = [];
const clients: (Producer | Admin)[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.disconnect().catch(() => {});
  for (const c of clusters.splice(0)) await c.close();
});


async function setup(brokers = 4): Promise<{ c: Cluster; kafka: Kafka; admin: Admin }> {
  const c = await startCluster({ brokers, config: FAST });
  clusters.push(c);
  const kafka = new Kafka({ clientId: 'reassign-test', brokers: c.bootstrapServers, logLevel: logLevel.NOTHING, retry: { initialRetryTime: 50, retries: 50, maxRetryTime: 500 } });
  const admin = kafka.admin();
  await admin.connect();
  clients.push(admin);
  return { c, kafka, admin };
}

/** acks=all sends, one record each, one after another until stopped; records every acknowledged offset with its value. */
function produceContinuously(producer: Producer, topic: string) {
  const acked = new Map<number, string>();
  let stop = false;
  let n = 0;
  let failures = 0;
  const loop = async () => {
    while (!stop) {
      const value = `v-${n++}`;
      try {
        const [meta] = await producer.send({ topic, acks: -1, messages: [{ partition: 0, value }] });
        acked.set(Number(meta!.baseOffset), value);
      } catch {
        failures++; // not acknowledged: no promise made
      }
    }
  };
  // One send at a time: kafkajs's idempotent producer takes a batch's sequence number when it
  // builds the request and advances it only on success, so two concurrent send() calls whose
  // first attempt died with the old leader can be retried with their sequences swapped; the
  // broker then (as Kafka does) answers the second as a duplicate of the first's batch, with
  // the first one's offset. That is the client's doing, seen with real Kafka too.
  const running = loop();
  return {
    acked,
    get failures() {
      return failures;
    },
    async stop() {
      stop = true;
      await running;
    },
  };
}

async function ongoing(admin: Admin, topic: string): Promise<number> {
  const res = await admin.listPartitionReassignments({ topics: [{ topic, partitions: [0] }] });
  return res.topics.reduce((n, t) => n + t.partitions.length, 0);
}

async function moveUnderLoad(from: number[], to: number[]): Promise<void> {
  const { c, kafka, admin } = await setup(4);
  await admin.createTopics({ topics: [{ topic: 'moving', replicaAssignment: [{ partition: 0, replicas: from }] }] });
  await c.waitForReplication('moving');
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  clients.push(producer);
  const load = produceContinuously(producer, 'moving');
  await until(() => load.acked.size >= 200, '200 acknowledged records before the move');
  const leaderBefore = c.leaderOf('moving', 0);

  await admin.alterPartitionReassignments({ topics: [{ topic: 'moving', partitionAssignment: [{ partition: 0, replicas: to }] }] });
  await until(async () => (await ongoing(admin, 'moving')) === 0, 'the reassignment to complete');
  const atCompletion = load.acked.size;
  await until(() => load.acked.size >= atCompletion + 200, '200 more acknowledged records after the move');
  await load.stop();

  const p = c.controller.image.topics.get('moving')!.partitions[0]!;
  expect(p.replicas).toEqual(to);
  expect(to).toContain(p.leader);
  if (!to.includes(leaderBefore)) expect(p.leader).not.toBe(leaderBefore);
  // The removed replicas no longer host it.
  for (const id of from.filter((r) => !to.includes(r))) {
    await until(() => c.brokers.find((b) => b.nodeId === id)!.replicaManager.getPartition('moving', 0) === undefined, `broker ${id} to drop its replica`);
  }
  // The completion needed every target replica in the ISR; a busy machine may fence one for a
  // moment since (1 s sessions), so the full ISR is checked once replication has settled.
  await c.waitForReplication('moving');
  expect([...c.isr('moving', 0)].sort()).toEqual([...to].sort());

  // Every acknowledged offset is there with its value, read back from the new leader.
  const leader = c.leaderOf('moving', 0);
  const records = await readAll(c.bootstrapServers[leader - 1]!, 'moving', 0);
  const byOffset = new Map(records.map((r) => [r.offset, r.value]));
  const lost = [...load.acked].filter(([offset, value]) => byOffset.get(offset) !== value);
  expect(lost).toEqual([]);
  expect(load.acked.size).toBeGreaterThanOrEqual(400);
  // Each new replica holds the same log end as the leader.
  await until(() => {
    const ends = to.map((id) => c.brokers.find((b) => b.nodeId === id)!.replicaManager.getPartition('moving', 0)?.log.logEndOffset);
    return ends.every((e) => e === ends[0]);
  }, 'the new replicas to converge');
}

describe('partition reassignment under acks=all load (kafkajs admin)', () => {
  it('moves [1,2,3] to [1,2,4] (the leader stays) without losing an acknowledged record', async () => {
    await moveUnderLoad([1, 2, 3], [1, 2, 4]);
  }, 90_000);

  it('moves [1,2,3] to [2,3,4] (the leader is removed and moves) without losing an acknowledged record', async () => {
    await moveUnderLoad([1, 2, 3], [2, 3, 4]);
  }, 90_000);

  it('lists a reassignment that cannot finish (its new replica is down) and cancels it', async () => {
    const { c, admin } = await setup(4);
    await admin.createTopics({ topics: [{ topic: 'stuck', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] }] });
    await c.waitForReplication('stuck');
    await c.stopBroker(4);
    await admin.alterPartitionReassignments({ topics: [{ topic: 'stuck', partitionAssignment: [{ partition: 0, replicas: [1, 4] }] }] });
    const listed = await admin.listPartitionReassignments({});
    expect(listed.topics).toEqual([{ name: 'stuck', partitions: [{ partition: 0, replicas: [1, 4, 2], addingReplicas: [4], removingReplicas: [2] }] }]);
    // kafkajs cannot send null replicas: cancel with a raw request, as Kafka's reassign tool does.
    const raw = await RawClient.connect(c.bootstrapServers[0]!);
    const cancel = () =>
      raw.request(M.AlterPartitionReassignmentsApi.key, 0, M.encodeAlterPartitionReassignmentsRequest, M.decodeAlterPartitionReassignmentsResponse, {
        timeoutMs: 10_000,
        topics: [{ name: 'stuck', partitions: [{ partitionIndex: 0, replicas: null }] }],
      });
    try {
      expect(await cancel()).toEqual({ throttleTimeMs: 0, errorCode: 0, errorMessage: null, responses: [{ name: 'stuck', partitions: [{ partitionIndex: 0, errorCode: 0, errorMessage: null }] }] });
      expect((await admin.listPartitionReassignments({})).topics).toEqual([]);
        const p = c.controller.image.topics.get('stuck')!.partitions[0]!;
      expect(p.replicas).toEqual([1, 2]);
      expect(p.addingReplicas).toBeUndefined();
      await c.waitForReplication('stuck');
      expect([...c.isr('stuck', 0)].sort()).toEqual([1, 2]);
      // Cancelling again: nothing in progress.
      expect((await cancel()).responses[0]!.partitions[0]).toEqual({ partitionIndex: 0, errorCode: 85, errorMessage: 'No partition reassignment is in progress.' });
    } finally {
      raw.close();
    }
  }, 60_000);

  it('a whole-cluster restart in the middle keeps the reassignment (metadata log), which then completes', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'reassign-restart-'));
    let restarted: Cluster | null = null;
    try {
      const c = await startCluster({ brokers: 4, config: FAST, dataDir });
      const kafka = new Kafka({ clientId: 'reassign-test', brokers: c.bootstrapServers, logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'kept', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] }] });
      await c.waitForReplication('kept');
      // Each broker's own port: broker 1's port + i is some other socket's as often as not.
      const ports = c.bootstrapServers.map((b) => Number(b.split(':')[1]));
      await c.stopBroker(3);
      await admin.alterPartitionReassignments({ topics: [{ topic: 'kept', partitionAssignment: [{ partition: 0, replicas: [3, 2] }] }] });
      await admin.disconnect();
      await c.close();

      const again = await startCluster({ brokers: 4, config: FAST, dataDir, port: ports });
      restarted = again;
      const p = again.controller.image.topics.get('kept')!.partitions[0]!;
      // Broker 3 is back: it catches up, joins the ISR, and the reassignment completes.
      await until(() => {
        const now = again.controller.image.topics.get('kept')!.partitions[0]!;
        return now.addingReplicas === undefined && now.replicas.join() === '3,2';
      }, 'the restored reassignment to complete');
      expect(p.replicas.length).toBeGreaterThanOrEqual(2);
      expect(again.isr('kept', 0).sort()).toEqual([2, 3]);
    } finally {
      await restarted?.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it("kafkajs's own alter/listPartitionReassignments specs, on brokers 0,1,2 as its suite runs them", async () => {
    const c = await startCluster({ nodeIds: [0, 1, 2], config: FAST });
    clusters.push(c);
    const kafka = new Kafka({ clientId: 'reassign-spec', brokers: c.bootstrapServers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    clients.push(admin);
    // Kafka 3.9 (KRaft, and ZK before it) answers per partition, top-level NONE: kafkajs surfaces
    // the partition's error inside its aggregate (its spec, written for a top-level error, reads
    // the message off the aggregate).
    const partitionError = async (p: Promise<unknown>) => {
      const err = (await p.then(() => null, (e: unknown) => e)) as { errors?: { message: string }[] } | null;
      return err?.errors?.map((e) => e.message);
    };
    expect(
      await partitionError(admin.alterPartitionReassignments({ topics: [{ topic: 'spec-topic-x', partitionAssignment: [{ partition: 0, replicas: [2, 1] }] }] })),
    ).toEqual(['This server does not host this topic-partition']);
    await expect(
      admin.createTopics({ topics: [{ topic: 'spec-topic', replicaAssignment: [{ partition: 0, replicas: [1, 0] }, { partition: 1, replicas: [2, 1] }] }] }),
    ).resolves.toEqual(true);
    expect(
      await partitionError(admin.alterPartitionReassignments({ topics: [{ topic: 'spec-topic', partitionAssignment: [{ partition: 0, replicas: [5, 1] }] }] })),
    ).toEqual(['Replica assignment is invalid']);
    await admin.alterPartitionReassignments({ topics: [{ topic: 'spec-topic', partitionAssignment: [{ partition: 0, replicas: [2, 1] }] }] });
    await expect(admin.listPartitionReassignments({ topics: [{ topic: 'spec-topic', partitions: [0, 1, 2] }] })).resolves.not.toThrow();
    await until(async () => (await admin.listPartitionReassignments({})).topics.length === 0, 'the spec reassignment to complete');
    expect(c.controller.image.topics.get('spec-topic')!.partitions[0]!.replicas).toEqual([2, 1]);
  }, 60_000);

  it('the leader crashing in the middle (its replacement still missing) loses no acknowledged record; the move completes', async () => {
    const { c, kafka, admin } = await setup(4);
    await admin.createTopics({ topics: [{ topic: 'crashy', replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }] }] });
    await c.waitForReplication('crashy');
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    clients.push(producer);
    const load = produceContinuously(producer, 'crashy');
    await until(() => load.acked.size >= 100, '100 acknowledged records');
    await c.stopBroker(4);
    await admin.alterPartitionReassignments({ topics: [{ topic: 'crashy', partitionAssignment: [{ partition: 0, replicas: [2, 3, 4] }] }] });
    expect(await ongoing(admin, 'crashy')).toBe(1);
    await c.stopBroker(1, { crash: true });
    await until(() => ![1, -1].includes(c.leaderOf('crashy', 0)), 'a new leader');
    const before = load.acked.size;
    await until(() => load.acked.size >= before + 100, '100 acknowledged records from the new leader');
    expect(await ongoing(admin, 'crashy')).toBe(1);
    await c.startBroker(4);
    await until(async () => (await ongoing(admin, 'crashy')) === 0, 'the reassignment to complete');
    await c.startBroker(1);
    const at = load.acked.size;
    await until(() => load.acked.size >= at + 100, '100 more acknowledged records');
    await load.stop();
    const p = c.controller.image.topics.get('crashy')!.partitions[0]!;
    expect(p.replicas).toEqual([2, 3, 4]);
    await until(() => c.brokers.find((b) => b.nodeId === 1)!.replicaManager.getPartition('crashy', 0) === undefined, 'broker 1 to drop its copy on return');
    await c.waitForReplication('crashy');
    expect([...c.isr('crashy', 0)].sort()).toEqual([2, 3, 4]);
    const records = await readAll(c.bootstrapServers[c.leaderOf('crashy', 0) - 1]!, 'crashy', 0);
    const byOffset = new Map(records.map((r) => [r.offset, r.value]));
    expect([...load.acked].filter(([offset, value]) => byOffset.get(offset) !== value)).toEqual([]);
  }, 90_000);
});
