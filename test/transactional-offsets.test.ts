// Transactional offset commits in the group coordinator, over TCP with raw requests: a
// TxnOffsetCommit is pending for its producer (OffsetFetch keeps answering the last committed
// offset; require_stable answers UNSTABLE_OFFSET_COMMIT for its partition) until the
// producer's end-transaction marker in the group's __consumer_offsets partition: COMMIT makes
// it the committed offset (unless a later plain commit is already there), ABORT drops it. A
// new coordinator (failover, whole-cluster restart) loads exactly that state from the log.
// The markers are written by GroupCoordinator.completeTransaction, called here on the
// in-process broker that leads the partition (WriteTxnMarkers from a transaction coordinator
// calls the same method).
//
// Markers need the partition side of transactions (txn-log: a transactional batch written by
// the coordinator with sequence -1, and a control batch, skip the idempotence checks; a marker
// ends the producer's transaction). Until that is in the log layer, the tests that write a
// marker are skipped: PARTITION_SIDE probes an in-memory log for it.
//
// The producers here are made up: no transaction coordinator knows them, so the brokers run with
// transaction.partition.verification.enable=false (KIP-890 part 1 would refuse their commits);
// test/txn-offset-commit-verification.test.ts covers the verification.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { LogConfig } from '../src/log/LogConfig.js';
import { UnifiedLog } from '../src/log/UnifiedLog.js';
import { buildEndTxnMarker } from '../src/protocol/controlRecords.js';
import { encodeRecordBatch } from '../src/protocol/recordBatch.js';
import * as M from '../src/protocol/messages/index.js';
import { API_LIST } from '../src/server/apis/index.js';
import { partitionForGroup } from '../src/server/group/GroupMetadataRecords.js';
import { COMPACTION_SLACK } from '../src/server/group/OffsetsPartition.js';
import { MockTime } from '../src/util/Time.js';
import { settled, startSimulatedGroupBroker, until, waitForCoordinator } from './support/coordinator.js';
import { RawClient } from './support/RawClient.js';

const E = {
  NONE: 0,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  ILLEGAL_GENERATION: 22,
  INVALID_GROUP_ID: 24,
  INVALID_PRODUCER_ID_MAPPING: 49,
  UNKNOWN_MEMBER_ID: 25,
  MEMBER_ID_REQUIRED: 79,
  FENCED_INSTANCE_ID: 82,
  UNSTABLE_OFFSET_COMMIT: 88,
};
const OFFSETS = '__consumer_offsets';
const PARTITIONS = 3;
const TOPIC = 'txn-input';
/** Made-up producers: no verification with a transaction coordinator (see the header). */
const UNVERIFIED = { 'transaction.partition.verification.enable': false };
const CONFIG = {
  ...UNVERIFIED,
  'broker.session.timeout.ms': 1000,
  'broker.heartbeat.interval.ms': 100,
  'group.initial.rebalance.delay.ms': 0,
  'offsets.topic.num.partitions': PARTITIONS,
};

/** Whether a log takes two coordinator writes of one producer (sequence -1) and its marker. */
function partitionSideLanded(): boolean {
  const log = UnifiedLog.open(null, new LogConfig());
  const write = () => encodeRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('v') }], producerId: 1, producerEpoch: 0, baseSequence: -1, transactional: true });
  try {
    log.appendAsLeader(write(), 0, 'coordinator');
    log.appendAsLeader(write(), 0, 'coordinator');
    const marker = log.appendAsLeader(buildEndTxnMarker({ producerId: 1, producerEpoch: 0, coordinatorEpoch: 0, commit: true, timestamp: 0 }), 0, 'coordinator');
    return !marker.duplicate && log.logEndOffset === 3;
  } catch {
    return false;
  } finally {
    log.close();
  }
}
const PARTITION_SIDE = partitionSideLanded();
/** A test that writes markers. */
const withMarkers = PARTITION_SIDE ? it : it.skip;

interface Producer {
  producerId: number;
  producerEpoch: number;
}
let nextProducerId = 5000;
const producer = (): Producer => ({ producerId: nextProducerId++, producerEpoch: 0 });

const clients: RawClient[] = [];
async function connect(on: Cluster, broker = 1): Promise<RawClient> {
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

/**
 * A raw client connected to the group's coordinator, once it serves the group: a broker named
 * by FindCoordinator may not have taken up the leadership yet (NOT_COORDINATOR, retried as
 * clients do), or may still be loading (COORDINATOR_LOAD_IN_PROGRESS).
 */
async function coordinatorClient(on: Cluster, groupId: string): Promise<RawClient> {
  const first = await connect(on);
  for (const deadline = Date.now() + 20_000; ; ) {
    const node = await waitForCoordinator(first, groupId);
    const c = await connect(on, on.brokers.findIndex((b) => b.nodeId === node) + 1);
    const res = await c.request(9, 7, M.encodeOffsetFetchRequest, M.decodeOffsetFetchResponse, { ...M.defaultOffsetFetchRequest(), groupId, topics: [] });
    if (res.errorCode === E.NONE) return c;
    if (Date.now() > deadline) throw new Error(`the coordinator of ${groupId} still answers ${res.errorCode}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function txnCommit(c: RawClient, groupId: string, p: Producer, offsets: [partition: number, offset: number][], o: { version?: number; generationId?: number; memberId?: string; groupInstanceId?: string | null; topic?: string } = {}) {
  return c.request(28, o.version ?? 3, M.encodeTxnOffsetCommitRequest, M.decodeTxnOffsetCommitResponse, {
    ...M.defaultTxnOffsetCommitRequest(),
    transactionalId: `txn-${p.producerId}`,
    groupId,
    producerId: p.producerId,
    producerEpoch: p.producerEpoch,
    generationId: o.generationId ?? -1,
    memberId: o.memberId ?? '',
    groupInstanceId: o.groupInstanceId ?? null,
    topics: [{ name: o.topic ?? TOPIC, partitions: offsets.map(([partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, committedMetadata: `txn-${committedOffset}` })) }],
  });
}
const codesOf = (res: M.TxnOffsetCommitResponse) => res.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));

function plainCommit(c: RawClient, groupId: string, offsets: [partition: number, offset: number][]) {
  return c.request(8, 8, M.encodeOffsetCommitRequest, M.decodeOffsetCommitResponse, {
    ...M.defaultOffsetCommitRequest(),
    groupId,
    topics: [{ name: TOPIC, partitions: offsets.map(([partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: `plain-${committedOffset}` })) }],
  });
}

/** OffsetFetch v7 of partitions 0..2: [partition, offset, error code] each. */
async function fetched(c: RawClient, groupId: string, requireStable = false) {
  const res = await c.request(9, 7, M.encodeOffsetFetchRequest, M.decodeOffsetFetchResponse, {
    ...M.defaultOffsetFetchRequest(),
    groupId,
    requireStable,
    topics: [{ name: TOPIC, partitionIndexes: [0, 1, 2] }],
  });
  expect(res.errorCode).toBe(E.NONE);
  return res.topics[0]!.partitions.map((p) => [p.partitionIndex, Number(p.committedOffset), p.errorCode]);
}

/** Write the producer's COMMIT or ABORT marker to the group's partition on the broker leading it (what WriteTxnMarkers does). */
function complete(on: Cluster, groupId: string, p: Producer, commit: boolean, coordinatorEpoch = 0): Promise<number> {
  const index = partitionForGroup(groupId, PARTITIONS);
  const leader = on.leaderOf(OFFSETS, index);
  const broker = on.brokers.find((b) => b.nodeId === leader)!;
  return broker.groupCoordinator.completeTransaction(index, p.producerId, p.producerEpoch, coordinatorEpoch, commit, 5000);
}

afterAll(() => {
  for (const c of clients) c.close();
});

describe('transactional offset commits on one broker', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ config: CONFIG });
    await cluster.createTopic(TOPIC, { partitions: 3 });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  withMarkers('a pending TxnOffsetCommit is invisible to OffsetFetch, UNSTABLE_OFFSET_COMMIT with require_stable; COMMIT makes it the committed offset', async () => {
    const groupId = 'txn-commit';
    const c = await coordinatorClient(cluster, groupId);
    expect((await plainCommit(c, groupId, [[0, 5]])).topics[0]!.partitions[0]!.errorCode).toBe(E.NONE);
    const p = producer();
    expect(codesOf(await txnCommit(c, groupId, p, [[0, 10], [1, 20]]))).toEqual([E.NONE, E.NONE]);

    expect(await fetched(c, groupId)).toEqual([[0, 5, E.NONE], [1, -1, E.NONE], [2, -1, E.NONE]]);
    expect(await fetched(c, groupId, true)).toEqual([[0, -1, E.UNSTABLE_OFFSET_COMMIT], [1, -1, E.UNSTABLE_OFFSET_COMMIT], [2, -1, E.NONE]]);
    // v8+: the same per-partition answer inside the group.
    const v8 = await c.request(9, 8, M.encodeOffsetFetchRequest, M.decodeOffsetFetchResponse, {
      ...M.defaultOffsetFetchRequest(),
      requireStable: true,
      groups: [{ groupId, memberId: null, memberEpoch: -1, topics: [{ name: TOPIC, partitionIndexes: [0, 2] }] }],
    });
    expect(v8.groups[0]!.errorCode).toBe(E.NONE);
    expect(v8.groups[0]!.topics[0]!.partitions.map((x) => [x.partitionIndex, Number(x.committedOffset), x.errorCode])).toEqual([[0, -1, E.UNSTABLE_OFFSET_COMMIT], [2, -1, E.NONE]]);

    expect(await complete(cluster, groupId, p, true)).toBe(E.NONE);
    expect(await fetched(c, groupId, true)).toEqual([[0, 10, E.NONE], [1, 20, E.NONE], [2, -1, E.NONE]]);
  });

  withMarkers('ABORT drops the pending offsets: the last committed offsets stay', async () => {
    const groupId = 'txn-abort';
    const c = await coordinatorClient(cluster, groupId);
    expect((await plainCommit(c, groupId, [[0, 7]])).topics[0]!.partitions[0]!.errorCode).toBe(E.NONE);
    const p = producer();
    expect(codesOf(await txnCommit(c, groupId, p, [[0, 70], [2, 72]]))).toEqual([E.NONE, E.NONE]);
    expect(await complete(cluster, groupId, p, false)).toBe(E.NONE);
    expect(await fetched(c, groupId, true)).toEqual([[0, 7, E.NONE], [1, -1, E.NONE], [2, -1, E.NONE]]);
  });

  withMarkers('a plain commit written after the transactional one wins at COMMIT (Kafka keeps the later record)', async () => {
    const groupId = 'txn-later-plain';
    const c = await coordinatorClient(cluster, groupId);
    const p = producer();
    expect(codesOf(await txnCommit(c, groupId, p, [[0, 100], [1, 101]]))).toEqual([E.NONE, E.NONE]);
    expect((await plainCommit(c, groupId, [[0, 3]])).topics[0]!.partitions[0]!.errorCode).toBe(E.NONE);
    // The plain commit is visible at once; require_stable still sees the pending one.
    expect(await fetched(c, groupId)).toEqual([[0, 3, E.NONE], [1, -1, E.NONE], [2, -1, E.NONE]]);
    expect(await fetched(c, groupId, true)).toEqual([[0, -1, E.UNSTABLE_OFFSET_COMMIT], [1, -1, E.UNSTABLE_OFFSET_COMMIT], [2, -1, E.NONE]]);
    expect(await complete(cluster, groupId, p, true)).toBe(E.NONE);
    expect(await fetched(c, groupId, true)).toEqual([[0, 3, E.NONE], [1, 101, E.NONE], [2, -1, E.NONE]]);
  });

  let validated: { p: Producer; q: Producer } | undefined;
  it('validates like Kafka: unknown topics, the empty group id, v3 member id / generation / group.instance.id; v0 without them is accepted for a group with members', async () => {
    const groupId = 'txn-validate';
    const c = await coordinatorClient(cluster, groupId);
    const p = producer();
    // Unknown topic or partition, checked before the group.
    expect(codesOf(await txnCommit(c, groupId, p, [[0, 1]], { topic: 'no-such-topic' }))).toEqual([E.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(codesOf(await txnCommit(c, groupId, p, [[7, 1]]))).toEqual([E.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(codesOf(await txnCommit(c, '', p, [[0, 1]]))).toEqual([E.INVALID_GROUP_ID]);
    expect(codesOf(await txnCommit(c, groupId, { producerId: -1, producerEpoch: -1 }, [[0, 1]]))).toEqual([E.INVALID_PRODUCER_ID_MAPPING]);

    // A static member joins and syncs: generation 1.
    const join = (memberId: string) =>
      c.request(11, 5, M.encodeJoinGroupRequest, M.decodeJoinGroupResponse, {
        ...M.defaultJoinGroupRequest(),
        groupId,
        memberId,
        groupInstanceId: 'instance-1',
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: Buffer.from('m') }],
      });
    let joined = await join('');
    if (joined.errorCode === E.MEMBER_ID_REQUIRED) joined = await join(joined.memberId);
    expect(joined.errorCode).toBe(E.NONE);
    const { memberId, generationId } = joined;
    const synced = await c.request(14, 3, M.encodeSyncGroupRequest, M.decodeSyncGroupResponse, {
      ...M.defaultSyncGroupRequest(),
      groupId,
      generationId,
      memberId,
      groupInstanceId: 'instance-1',
      assignments: [{ memberId, assignment: Buffer.alloc(0) }],
    });
    expect(synced.errorCode).toBe(E.NONE);

    expect(codesOf(await txnCommit(c, groupId, p, [[0, 1]], { generationId, memberId: 'someone-else' }))).toEqual([E.UNKNOWN_MEMBER_ID]);
    expect(codesOf(await txnCommit(c, groupId, p, [[0, 1]], { generationId: generationId + 1, memberId, groupInstanceId: 'instance-1' }))).toEqual([E.ILLEGAL_GENERATION]);
    expect(codesOf(await txnCommit(c, groupId, p, [[0, 1]], { generationId, memberId: 'impostor', groupInstanceId: 'instance-1' }))).toEqual([E.FENCED_INSTANCE_ID]);
    expect(codesOf(await txnCommit(c, groupId, p, [[0, 11]], { generationId, memberId, groupInstanceId: 'instance-1' }))).toEqual([E.NONE]);
    // v0–2 carry no member fields: accepted although the group has a member (Kafka's isTransactional rule).
    const q = producer();
    expect(codesOf(await txnCommit(c, groupId, q, [[1, 12]], { version: 0 }))).toEqual([E.NONE]);
    expect(await fetched(c, groupId, true)).toEqual([[0, -1, E.UNSTABLE_OFFSET_COMMIT], [1, -1, E.UNSTABLE_OFFSET_COMMIT], [2, -1, E.NONE]]);
    validated = { p, q };
  });

  withMarkers('the markers of two producers each commit their own pending offsets', async () => {
    const groupId = 'txn-validate';
    const c = await coordinatorClient(cluster, groupId);
    const { p, q } = validated!;
    expect(await complete(cluster, groupId, q, true)).toBe(E.NONE);
    expect(await fetched(c, groupId, true)).toEqual([[0, -1, E.UNSTABLE_OFFSET_COMMIT], [1, 12, E.NONE], [2, -1, E.NONE]]);
    expect(await complete(cluster, groupId, p, true)).toBe(E.NONE);
    expect(await fetched(c, groupId, true)).toEqual([[0, 11, E.NONE], [1, 12, E.NONE], [2, -1, E.NONE]]);
  });

  // WriteTxnMarkers (from a transaction coordinator) hands __consumer_offsets partitions to completeTransaction.
  const withWireMarkers = PARTITION_SIDE && API_LIST.some((a) => a.key === 27) ? it : it.skip;
  withWireMarkers('a WriteTxnMarkers COMMIT over the wire makes the offsets visible; an ABORT drops them', async () => {
    const groupId = 'txn-wire';
    const c = await coordinatorClient(cluster, groupId);
    const index = partitionForGroup(groupId, PARTITIONS);
    const mark = (p: Producer, commit: boolean) =>
      c.request(27, 1, M.encodeWriteTxnMarkersRequest, M.decodeWriteTxnMarkersResponse, {
        markers: [{ producerId: p.producerId, producerEpoch: p.producerEpoch, transactionResult: commit, coordinatorEpoch: 0, topics: [{ name: OFFSETS, partitionIndexes: [index] }] }],
      });
    const committed = producer();
    expect(codesOf(await txnCommit(c, groupId, committed, [[0, 61]]))).toEqual([E.NONE]);
    expect((await mark(committed, true)).markers[0]!.topics[0]!.partitions).toEqual([{ partitionIndex: index, errorCode: E.NONE }]);
    const aborted = producer();
    expect(codesOf(await txnCommit(c, groupId, aborted, [[0, 62], [1, 62]]))).toEqual([E.NONE, E.NONE]);
    expect((await mark(aborted, false)).markers[0]!.topics[0]!.partitions).toEqual([{ partitionIndex: index, errorCode: E.NONE }]);
    expect(await fetched(c, groupId, true)).toEqual([[0, 61, E.NONE], [1, -1, E.NONE], [2, -1, E.NONE]]);
  });

  withMarkers('OffsetDelete of a partition drops its pending transactional offset too (Kafka\'s removeOffsets): a later COMMIT leaves it deleted', async () => {
    const groupId = 'txn-offset-delete';
    const c = await coordinatorClient(cluster, groupId);
    expect((await plainCommit(c, groupId, [[0, 5], [1, 5]])).topics[0]!.partitions.map((x) => x.errorCode)).toEqual([E.NONE, E.NONE]);
    const p = producer();
    expect(codesOf(await txnCommit(c, groupId, p, [[0, 50], [1, 51]]))).toEqual([E.NONE, E.NONE]);
    const del = await c.request(47, 0, M.encodeOffsetDeleteRequest, M.decodeOffsetDeleteResponse, { groupId, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0 }] }] });
    expect([del.errorCode, del.topics[0]!.partitions[0]!.errorCode]).toEqual([E.NONE, E.NONE]);
    expect(await fetched(c, groupId, true)).toEqual([[0, -1, E.NONE], [1, -1, E.UNSTABLE_OFFSET_COMMIT], [2, -1, E.NONE]]);
    expect(await complete(cluster, groupId, p, true)).toBe(E.NONE);
    expect(await fetched(c, groupId, true)).toEqual([[0, -1, E.NONE], [1, 51, E.NONE], [2, -1, E.NONE]]);
  });

  withMarkers('DeleteGroups takes pending transactional offsets with it: a later COMMIT makes nothing visible', async () => {
    const groupId = 'txn-deleted';
    const c = await coordinatorClient(cluster, groupId);
    const p = producer();
    expect(codesOf(await txnCommit(c, groupId, p, [[0, 9]]))).toEqual([E.NONE]);
    const del = await c.request(42, 2, M.encodeDeleteGroupsRequest, M.decodeDeleteGroupsResponse, { groupsNames: [groupId] });
    expect(del.results[0]!.errorCode).toBe(E.NONE);
    expect(await fetched(c, groupId, true)).toEqual([[0, -1, E.NONE], [1, -1, E.NONE], [2, -1, E.NONE]]);
    expect(await complete(cluster, groupId, p, true)).toBe(E.NONE);
    expect(await fetched(c, groupId, true)).toEqual([[0, -1, E.NONE], [1, -1, E.NONE], [2, -1, E.NONE]]);
  });
});

/** OffsetFetch once the group's coordinator has loaded it (COORDINATOR_LOAD_IN_PROGRESS / NOT_COORDINATOR are retried). */
async function fetchedWhenLoaded(on: Cluster, groupId: string, requireStable = false) {
  for (const deadline = Date.now() + 20_000; ; ) {
    const c = await coordinatorClient(on, groupId);
    const res = await c.request(9, 7, M.encodeOffsetFetchRequest, M.decodeOffsetFetchResponse, { ...M.defaultOffsetFetchRequest(), groupId, requireStable, topics: [{ name: TOPIC, partitionIndexes: [0, 1, 2] }] });
    if (res.errorCode === E.NONE) return res.topics[0]!.partitions.map((p) => [p.partitionIndex, Number(p.committedOffset), p.errorCode]);
    if (Date.now() > deadline) throw new Error(`OffsetFetch of ${groupId} still answers ${res.errorCode}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The state every new coordinator must load: on partition 0 a committed transaction, on 1 an
 * aborted one and a committed one overtaken by a later plain commit, on 2 an open one.
 */
async function writeMixedState(on: Cluster, groupId: string): Promise<{ open: Producer }> {
  const c = await coordinatorClient(on, groupId);
  expect((await plainCommit(c, groupId, [[0, 1], [1, 1], [2, 1]])).topics[0]!.partitions.map((p) => p.errorCode)).toEqual([E.NONE, E.NONE, E.NONE]);
  const committed = producer();
  expect(codesOf(await txnCommit(c, groupId, committed, [[0, 10]]))).toEqual([E.NONE]);
  expect(await complete(on, groupId, committed, true)).toBe(E.NONE);
  const aborted = producer();
  expect(codesOf(await txnCommit(c, groupId, aborted, [[1, 30], [2, 30]]))).toEqual([E.NONE, E.NONE]);
  expect(await complete(on, groupId, aborted, false)).toBe(E.NONE);
  const overtaken = producer();
  expect(codesOf(await txnCommit(c, groupId, overtaken, [[1, 40]]))).toEqual([E.NONE]);
  expect((await plainCommit(c, groupId, [[1, 2]])).topics[0]!.partitions[0]!.errorCode).toBe(E.NONE);
  expect(await complete(on, groupId, overtaken, true)).toBe(E.NONE);
  const open = producer();
  expect(codesOf(await txnCommit(c, groupId, open, [[2, 20]]))).toEqual([E.NONE]);
  const expected = [[0, 10, E.NONE], [1, 2, E.NONE], [2, 1, E.NONE]];
  expect(await fetched(c, groupId)).toEqual(expected);
  expect(await fetched(c, groupId, true)).toEqual([[0, 10, E.NONE], [1, 2, E.NONE], [2, -1, E.UNSTABLE_OFFSET_COMMIT]]);
  return { open };
}

/** What writeMixedState left, as a new coordinator must serve it; then the open transaction commits there. */
async function expectMixedState(on: Cluster, groupId: string, open: Producer): Promise<void> {
  expect(await fetchedWhenLoaded(on, groupId)).toEqual([[0, 10, E.NONE], [1, 2, E.NONE], [2, 1, E.NONE]]);
  expect(await fetchedWhenLoaded(on, groupId, true)).toEqual([[0, 10, E.NONE], [1, 2, E.NONE], [2, -1, E.UNSTABLE_OFFSET_COMMIT]]);
  expect(await complete(on, groupId, open, true)).toBe(E.NONE);
  expect(await fetchedWhenLoaded(on, groupId, true)).toEqual([[0, 10, E.NONE], [1, 2, E.NONE], [2, 20, E.NONE]]);
}

describe('a new coordinator loads exactly the committed and pending state', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ brokers: 3, config: CONFIG });
    await cluster.createTopic(TOPIC, { partitions: 3 });
    // __consumer_offsets exists, every partition led and fully replicated, before the tests start.
    await waitForCoordinator(await connect(cluster), 'any');
    await cluster.waitForReplication(OFFSETS);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('completeTransaction on a broker that does not lead the partition is NOT_LEADER_OR_FOLLOWER', async () => {
    const groupId = 'txn-not-leader';
    const index = partitionForGroup(groupId, PARTITIONS);
    const follower = cluster.brokers.find((b) => b.nodeId !== cluster.leaderOf(OFFSETS, index))!;
    expect(await follower.groupCoordinator.completeTransaction(index, 1, 0, 0, true, 1000)).toBe(E.NOT_LEADER_OR_FOLLOWER);
  });

  withMarkers('after a crash of the coordinator: committed, aborted, overtaken and open transactions', async () => {
    const groupId = 'txn-failover';
    const { open } = await writeMixedState(cluster, groupId);
    const crashed = cluster.leaderOf(OFFSETS, partitionForGroup(groupId, PARTITIONS));
    await cluster.stopBroker(crashed, { crash: true });
    await waitFor('a new coordinator', () => ![-1, crashed].includes(cluster.leaderOf(OFFSETS, partitionForGroup(groupId, PARTITIONS))));
    await expectMixedState(cluster, groupId, open);
    await cluster.startBroker(crashed);
    await cluster.waitForReplication(OFFSETS);
  });

  withMarkers('compaction waits for an open transaction, then keeps its committed offset for the next coordinator', async () => {
    const groupId = 'txn-compacted';
    const topic = 'txn-compacted-topic';
    const partitions = 200;
    await cluster.createTopic(topic, { partitions, replicationFactor: 1 });
    const c = await coordinatorClient(cluster, groupId);
    const index = partitionForGroup(groupId, PARTITIONS);
    const leader = () => cluster.brokers.find((b) => b.nodeId === cluster.leaderOf(OFFSETS, index))!.replicaManager.getPartition(OFFSETS, index)!;
    const p = producer();
    expect(codesOf(await txnCommit(c, groupId, p, [[0, 777]], { topic }))).toEqual([E.NONE]);
    const round = async (n: number) => {
      const res = await c.request(8, 8, M.encodeOffsetCommitRequest, M.decodeOffsetCommitResponse, {
        ...M.defaultOffsetCommitRequest(),
        groupId,
        topics: [{ name: topic, partitions: Array.from({ length: partitions - 1 }, (_, i) => ({ partitionIndex: i + 1, committedOffset: n, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null })) }],
      });
      expect(res.topics[0]!.partitions.every((x) => x.errorCode === E.NONE)).toBe(true);
    };
    const rounds = Math.ceil((COMPACTION_SLACK + 3 * partitions) / (partitions - 1));
    for (let n = 1; n <= rounds; n++) await round(n);
    // Far more records than live keys, but the transaction's record must stay: no compaction.
    expect(leader().log.logEndOffset).toBeGreaterThan(COMPACTION_SLACK + 2 * partitions);
    expect(leader().logStartOffset).toBe(0);

    expect(await complete(cluster, groupId, p, true)).toBe(E.NONE);
    await round(rounds + 1); // the next write compacts
    await waitFor('the log start offset moved', () => leader().logStartOffset > 0);
    const all = async (on: RawClient) => {
      const res = await on.request(9, 7, M.encodeOffsetFetchRequest, M.decodeOffsetFetchResponse, { ...M.defaultOffsetFetchRequest(), groupId, requireStable: true, topics: [{ name: topic, partitionIndexes: [0, 1, partitions - 1] }] });
      return [res.errorCode, res.topics[0]!.partitions.map((x) => [x.partitionIndex, Number(x.committedOffset), x.errorCode])];
    };
    const expected = [E.NONE, [[0, 777, E.NONE], [1, rounds + 1, E.NONE], [partitions - 1, rounds + 1, E.NONE]]];
    expect(await all(c)).toEqual(expected);

    const crashed = cluster.leaderOf(OFFSETS, index);
    await cluster.stopBroker(crashed, { crash: true });
    await waitFor('a new coordinator', () => ![-1, crashed].includes(cluster.leaderOf(OFFSETS, index)));
    await waitFor('the new coordinator loaded the compacted log', async () => JSON.stringify(await all(await coordinatorClient(cluster, groupId))) === JSON.stringify(expected));
    await cluster.startBroker(crashed);
    await cluster.waitForReplication(OFFSETS);
  }, 60_000);
});

describe('a restarted broker loads exactly the committed and pending state', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'txn-offsets-'));
  let cluster: Cluster | undefined;
  afterAll(async () => {
    await cluster?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  withMarkers('closing the broker and starting it again on its data', async () => {
    const groupId = 'txn-restart';
    cluster = await startCluster({ dataDir: dir, config: CONFIG });
    const port = Number(cluster.bootstrapServers[0]!.split(':')[1]);
    await cluster.createTopic(TOPIC, { partitions: 3 });
    const { open } = await writeMixedState(cluster, groupId);
    // A pending offset deleted by OffsetDelete before its COMMIT stays deleted when the log is replayed.
    const deletedGroup = 'txn-restart-deleted';
    const c = await coordinatorClient(cluster, deletedGroup);
    expect((await plainCommit(c, deletedGroup, [[0, 5]])).topics[0]!.partitions[0]!.errorCode).toBe(E.NONE);
    const p = producer();
    expect(codesOf(await txnCommit(c, deletedGroup, p, [[0, 50], [1, 51]]))).toEqual([E.NONE, E.NONE]);
    const del = await c.request(47, 0, M.encodeOffsetDeleteRequest, M.decodeOffsetDeleteResponse, { groupId: deletedGroup, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0 }] }] });
    expect(del.errorCode).toBe(E.NONE);
    expect(await complete(cluster, deletedGroup, p, true)).toBe(E.NONE);
    expect(await fetched(c, deletedGroup, true)).toEqual([[0, -1, E.NONE], [1, 51, E.NONE], [2, -1, E.NONE]]);
    await cluster.close();
    cluster = await startCluster({ dataDir: dir, port, config: CONFIG });
    await expectMixedState(cluster, groupId, open);
    expect(await fetchedWhenLoaded(cluster, deletedGroup, true)).toEqual([[0, -1, E.NONE], [1, 51, E.NONE], [2, -1, E.NONE]]);
  });
});

describe('acks=all on the coordinator clock', () => {
  it('a plain commit the followers have not replicated yet is UNSTABLE_OFFSET_COMMIT with require_stable, as in Kafka', async () => {
    const time = new MockTime(Date.now());
    const trio = await startSimulatedGroupBroker(time, { ...UNVERIFIED, 'offsets.topic.num.partitions': PARTITIONS, 'offsets.commit.timeout.ms': 5000 }, 3);
    try {
      await trio.createTopic(TOPIC, 3);
      const groupId = 'plain-in-flight';
      const probe = await RawClient.connect(trio.bootstrapServers[0]!);
      clients.push(probe);
      const leaderId = await waitForCoordinator(probe, groupId);
      const [c, other] = [await RawClient.connect(trio.bootstrapServers[leaderId - 1]!), await RawClient.connect(trio.bootstrapServers[leaderId - 1]!)];
      clients.push(c, other);
      expect((await plainCommit(c, groupId, [[0, 1]])).topics[0]!.partitions[0]!.errorCode).toBe(E.NONE);
      for (const b of [1, 2, 3]) if (b !== leaderId) trio.isolate(b);
      const committing = plainCommit(c, groupId, [[0, 2]]);
      await until(() => trio.brokers[leaderId - 1]!.groupCoordinator.classicGroup(groupId)?.pendingOffsetCommits === 1, 'the commit waits for the followers');
      expect(await fetched(other, groupId)).toEqual([[0, 1, E.NONE], [1, -1, E.NONE], [2, -1, E.NONE]]);
      expect(await fetched(other, groupId, true)).toEqual([[0, -1, E.UNSTABLE_OFFSET_COMMIT], [1, -1, E.NONE], [2, -1, E.NONE]]);
      // Answered REQUEST_TIMED_OUT: no longer in flight (Kafka's failPendingOffsetWrite).
      await time.advance(5000);
      expect((await committing).topics[0]!.partitions[0]!.errorCode).toBe(E.REQUEST_TIMED_OUT);
      expect(await fetched(other, groupId, true)).toEqual([[0, 1, E.NONE], [1, -1, E.NONE], [2, -1, E.NONE]]);
      trio.heal();
      await until(() => trio.brokers[leaderId - 1]!.groupCoordinator.classicGroup(groupId)?.pendingOffsetCommits === 0, 'the commit is replicated');
      expect(await fetched(other, groupId, true)).toEqual([[0, 2, E.NONE], [1, -1, E.NONE], [2, -1, E.NONE]]);
    } finally {
      trio.heal();
      await trio.close();
    }
  });

  withMarkers('a TxnOffsetCommit and a marker the followers do not replicate time out on the coordinator clock, stay pending, and apply once replicated', async () => {
    const time = new MockTime(Date.now());
    const trio = await startSimulatedGroupBroker(time, { ...UNVERIFIED, 'offsets.topic.num.partitions': PARTITIONS, 'offsets.commit.timeout.ms': 5000 }, 3);
    try {
      await trio.createTopic(TOPIC, 3);
      const groupId = 'txn-stalled';
      const leaderId = await waitForCoordinator(await RawClient.connect(trio.bootstrapServers[0]!).then((c) => (clients.push(c), c)), groupId);
      const c = await RawClient.connect(trio.bootstrapServers[leaderId - 1]!);
      clients.push(c);
      // Reads go over another connection: a connection's answers come in request order.
      const other = await RawClient.connect(trio.bootstrapServers[leaderId - 1]!);
      clients.push(other);
      const coordinator = trio.brokers[leaderId - 1]!.groupCoordinator;
      const index = partitionForGroup(groupId, PARTITIONS);
      const p = producer();
      const isolateFollowers = () => {
        for (const b of [1, 2, 3]) if (b !== leaderId) trio.isolate(b);
      };

      // The write waits for the followers: REQUEST_TIMED_OUT after offsets.commit.timeout.ms, pending all along.
      isolateFollowers();
      const committing = txnCommit(c, groupId, p, [[0, 50]]);
      await until(() => coordinator.classicGroup(groupId) !== undefined, 'the write is appended');
      expect(await fetched(other, groupId, true)).toEqual([[0, -1, E.UNSTABLE_OFFSET_COMMIT], [1, -1, E.NONE], [2, -1, E.NONE]]);
      await time.advance(4999);
      expect(await settled(committing)).toBe(false);
      await time.advance(1);
      expect(codesOf(await committing)).toEqual([E.REQUEST_TIMED_OUT]);
      // The record is in the log: still pending, as a new leader would load it.
      expect(await fetched(other, groupId, true)).toEqual([[0, -1, E.UNSTABLE_OFFSET_COMMIT], [1, -1, E.NONE], [2, -1, E.NONE]]);

      // The marker waits too: REQUEST_TIMED_OUT after the caller's timeout on the coordinator clock, not applied before it is committed.
      const completing = coordinator.completeTransaction(index, p.producerId, p.producerEpoch, 0, true, 3000);
      await time.advance(2999);
      expect(await settled(completing)).toBe(false);
      await time.advance(1);
      expect(await completing).toBe(E.REQUEST_TIMED_OUT);
      expect(await fetched(other, groupId, true)).toEqual([[0, -1, E.UNSTABLE_OFFSET_COMMIT], [1, -1, E.NONE], [2, -1, E.NONE]]);

      // Once the followers have both, the commit applies: what a new leader would load.
      trio.heal();
      await until(() => trio.brokers[leaderId - 1]!.replicaManager.getPartition(OFFSETS, index)?.highWatermark === trio.brokers[leaderId - 1]!.replicaManager.getPartition(OFFSETS, index)?.log.logEndOffset, 'the followers catch up');
      expect(await fetched(other, groupId, true)).toEqual([[0, 50, E.NONE], [1, -1, E.NONE], [2, -1, E.NONE]]);
    } finally {
      trio.heal();
      await trio.close();
    }
  });
});

describe('offset expiration (simulated time)', () => {
  const time = new MockTime(Date.now());
  let sim: Awaited<ReturnType<typeof startSimulatedGroupBroker>>;
  let c: RawClient;
  const groupId = 'txn-expiring';
  const p = producer();
  beforeAll(async () => {
    sim = await startSimulatedGroupBroker(time, { ...UNVERIFIED, 'offsets.topic.num.partitions': PARTITIONS, 'offsets.retention.minutes': 1, 'offsets.retention.check.interval.ms': 1000 });
    await sim.createTopic(TOPIC, 3);
    c = await RawClient.connect(sim.bootstrapServers[0]!);
    clients.push(c);
    await waitForCoordinator(c, groupId);
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('a group whose only offsets are pending transactional ones is not removed by the cleanup cycle', async () => {
    expect(codesOf(await txnCommit(c, groupId, p, [[0, 5]]))).toEqual([E.NONE]);
    expect(sim.broker.groupCoordinator.groupState(groupId)).toBe('Empty');
    await time.advance(10 * 60_000); // ten retention periods, ten minutes of cleanup passes
    expect(sim.broker.groupCoordinator.groupState(groupId)).toBe('Empty');
    expect(await fetched(c, groupId, true)).toEqual([[0, -1, E.UNSTABLE_OFFSET_COMMIT], [1, -1, E.NONE], [2, -1, E.NONE]]);
  });

  withMarkers('once its transaction aborts, the empty group without offsets goes at the next cleanup pass', async () => {
    expect(await sim.broker.groupCoordinator.completeTransaction(partitionForGroup(groupId, PARTITIONS), p.producerId, p.producerEpoch, 0, false, 1000)).toBe(E.NONE);
    expect(sim.broker.groupCoordinator.groupState(groupId)).toBe('Empty');
    await time.advance(1000);
    await until(() => sim.broker.groupCoordinator.groupState(groupId) === undefined, 'the group is deleted');
  });
});
