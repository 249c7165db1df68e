// KIP-890 part 1 for TxnOffsetCommit (Kafka 3.6+, GroupCoordinator.handleTxnCommitOffsets):
// before the group coordinator writes a producer's transactional offsets, the partition leader
// of the group's __consumer_offsets partition asks the transaction coordinator (AddPartitionsToTxn
// v4 verifyOnly) whether that partition is in the producer's ongoing transaction, i.e. whether
// AddOffsetsToTxn added it. Over TCP against a real broker, with raw requests: a commit without
// AddOffsetsToTxn, or after the transaction ended (also when it ends while the coordinator's
// answer is on its way: the verification guard), is refused and nothing is written; the normal
// path still commits at EndTxn; with transaction.partition.verification.enable=false nothing is
// verified, as in Kafka.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { ErrorCode } from '../src/protocol/errors.js';
import * as M from '../src/protocol/messages/index.js';
import { writeErrorCode } from '../src/server/group/CoordinatorRuntime.js';
import { partitionForGroup } from '../src/server/group/GroupMetadataRecords.js';
import { settled, until, waitForCoordinator } from './support/coordinator.js';
import { TxnClient } from './support/transactions.js';

const OFFSETS = '__consumer_offsets';
const PARTITIONS = 3;
const TOPIC = 'verified-in';
const CONFIG = { 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': PARTITIONS, 'transaction.state.log.num.partitions': 2 };

interface Producer {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
}

/** One broker, a data topic, both coordinators serving; a raw client on it. */
function setup(config: Record<string, string | number | boolean> = {}) {
  const s = {} as { cluster: Cluster; c: TxnClient };
  beforeAll(async () => {
    s.cluster = await startCluster({ config: { ...CONFIG, ...config } });
    await s.cluster.createTopic(TOPIC, { partitions: 2 });
    s.c = await TxnClient.connect(s.cluster.bootstrapServers[0]!);
    await waitForCoordinator(s.c.raw, 'warm-up');
    await s.c.waitForCoordinator('warm-up');
  });
  afterAll(async () => {
    s.c?.close();
    await s.cluster?.close();
  });
  return s;
}

async function init(c: TxnClient, transactionalId: string): Promise<Producer> {
  const res = await c.retrying(() => c.initProducerId(transactionalId), (r) => r.errorCode);
  expect(res.errorCode).toBe(ErrorCode.NONE);
  return { transactionalId, producerId: res.producerId, producerEpoch: res.producerEpoch };
}

/** InitProducerId and AddPartitionsToTxn for partition 0 of the data topic: a transaction is open. */
async function begin(c: TxnClient, transactionalId: string): Promise<Producer> {
  const p = await init(c, transactionalId);
  expect(await c.addPartitions(p.transactionalId, p.producerId, p.producerEpoch, { [TOPIC]: [0] })).toEqual({ [`${TOPIC}-0`]: ErrorCode.NONE });
  return p;
}

async function addOffsets(c: TxnClient, p: Producer, groupId: string): Promise<void> {
  expect(await c.addOffsets(p.transactionalId, p.producerId, p.producerEpoch, groupId)).toBe(ErrorCode.NONE);
}

/** TxnOffsetCommit of partition 0 of the data topic; its error code. */
async function txnCommit(c: TxnClient, p: Producer, groupId: string, offset: number, version = 3): Promise<number> {
  const res = await c.raw.request(28, version, M.encodeTxnOffsetCommitRequest, M.decodeTxnOffsetCommitResponse, {
    ...M.defaultTxnOffsetCommitRequest(),
    transactionalId: p.transactionalId,
    groupId,
    producerId: p.producerId,
    producerEpoch: p.producerEpoch,
    topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  return res.topics[0]!.partitions[0]!.errorCode;
}

/** OffsetFetch v7 of partition 0: [offset, error code]. */
async function fetched(c: TxnClient, groupId: string, requireStable = true): Promise<[number, number]> {
  const res = await c.raw.request(9, 7, M.encodeOffsetFetchRequest, M.decodeOffsetFetchResponse, {
    ...M.defaultOffsetFetchRequest(),
    groupId,
    requireStable,
    topics: [{ name: TOPIC, partitionIndexes: [0] }],
  });
  expect(res.errorCode).toBe(ErrorCode.NONE);
  const x = res.topics[0]!.partitions[0]!;
  return [Number(x.committedOffset), x.errorCode];
}

/** EndTxn, then wait until the markers are written (the transaction is complete). */
async function end(c: TxnClient, p: Producer, commit: boolean): Promise<void> {
  expect(await c.retrying(() => c.endTxn(p.transactionalId, p.producerId, p.producerEpoch, commit), (r) => r)).toBe(ErrorCode.NONE);
  const done = commit ? 'CompleteCommit' : 'CompleteAbort';
  await until(async () => (await c.describe(p.transactionalId)).transactionState === done, `${p.transactionalId} is ${done}`);
}

const offsetsLogEnd = (cluster: Cluster, groupId: string) => cluster.brokers[0]!.replicaManager.getPartition(OFFSETS, partitionForGroup(groupId, PARTITIONS))!.log.logEndOffset;

describe('TxnOffsetCommit with transaction verification (the default)', () => {
  const s = setup();

  it('without AddOffsetsToTxn the commit is INVALID_TXN_STATE at every version, nothing is written, and EndTxn commits no offset', async () => {
    const { cluster, c } = s;
    const groupId = 'no-add-offsets';
    const p = await begin(c, 'tx-no-add-offsets');
    const before = offsetsLogEnd(cluster, groupId);
    for (const v of [0, 1, 2, 3]) expect(await txnCommit(c, p, groupId, 10 + v, v)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(offsetsLogEnd(cluster, groupId)).toBe(before);
    expect(await fetched(c, groupId)).toEqual([-1, ErrorCode.NONE]); // not pending either
    await end(c, p, true);
    expect(await fetched(c, groupId)).toEqual([-1, ErrorCode.NONE]);
  });

  it('after AddOffsetsToTxn the commit is pending and EndTxn(commit) makes it the committed offset', async () => {
    const { c } = s;
    const groupId = 'with-add-offsets';
    const p = await begin(c, 'tx-with-add-offsets');
    await addOffsets(c, p, groupId);
    expect(await txnCommit(c, p, groupId, 42)).toBe(ErrorCode.NONE);
    // A second commit in the open transaction needs no new verification.
    expect(await txnCommit(c, p, groupId, 43)).toBe(ErrorCode.NONE);
    expect(await fetched(c, groupId)).toEqual([-1, ErrorCode.UNSTABLE_OFFSET_COMMIT]);
    await end(c, p, true);
    await until(async () => (await fetched(c, groupId))[0] === 43, 'the offset is committed');
    expect(await fetched(c, groupId)).toEqual([43, ErrorCode.NONE]);
  });

  it('a late TxnOffsetCommit after the transaction committed or aborted is refused: INVALID_TXN_STATE at the same epoch, INVALID_PRODUCER_EPOCH once fenced', async () => {
    const { cluster, c } = s;
    for (const commit of [true, false]) {
      const groupId = `late-after-${commit ? 'commit' : 'abort'}`;
      const p = await begin(c, `tx-late-${commit ? 'commit' : 'abort'}`);
      await addOffsets(c, p, groupId);
      expect(await txnCommit(c, p, groupId, 7)).toBe(ErrorCode.NONE);
      await end(c, p, commit);
      const committed: [number, number] = [commit ? 7 : -1, ErrorCode.NONE];
      await until(async () => (await fetched(c, groupId))[0] === committed[0], 'the transaction is applied');
      const before = offsetsLogEnd(cluster, groupId);
      // The same (old) epoch: the partition is no longer in a transaction of the producer.
      expect(await txnCommit(c, p, groupId, 99)).toBe(ErrorCode.INVALID_TXN_STATE);
      // A new InitProducerId bumps the epoch: the old one is fenced (PRODUCER_FENCED, as the leader translates it).
      const bumped = await init(c, p.transactionalId);
      expect(bumped.producerEpoch).toBeGreaterThan(p.producerEpoch);
      expect(await txnCommit(c, p, groupId, 100)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
      expect(offsetsLogEnd(cluster, groupId)).toBe(before);
      expect(await fetched(c, groupId)).toEqual(committed);
    }
  });

  it('a verified commit whose transaction ends before the answer arrives is INVALID_TXN_STATE: no offset written after the abort marker', async () => {
    const { cluster, c } = s;
    const groupId = 'ended-while-verifying';
    const p = await begin(c, 'tx-ended-while-verifying');
    await addOffsets(c, p, groupId);
    // The coordinator verifies the partition (it is in the transaction), but its answer is held back.
    cluster.faults.add({ api: 'AddPartitionsToTxn', action: 'delay-response', ms: 3000 });
    const committing = txnCommit(c, p, groupId, 11);
    await until(() => cluster.faults.list().length === 0, 'the verification reaches the coordinator');
    // Over another connection: a connection's answers come in request order.
    const other = await TxnClient.connect(cluster.bootstrapServers[0]!);
    try {
      await end(other, p, false); // the abort marker lands in the group's partition meanwhile
    } finally {
      other.close();
    }
    expect(await settled(committing)).toBe(false);
    const afterMarker = offsetsLogEnd(cluster, groupId);
    expect(await committing).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(offsetsLogEnd(cluster, groupId)).toBe(afterMarker);
    expect(await fetched(c, groupId)).toEqual([-1, ErrorCode.NONE]);
  });

  it('a producer the transaction coordinator does not know is INVALID_PRODUCER_ID_MAPPING', async () => {
    const { c } = s;
    const p = await init(c, 'tx-known');
    expect(await txnCommit(c, { ...p, producerId: p.producerId + 1000 }, 'unknown-producer', 1)).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(await txnCommit(c, { ...p, transactionalId: 'tx-never-initialized' }, 'unknown-producer', 1)).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  });
});

describe('TxnOffsetCommit with transaction.partition.verification.enable=false', () => {
  const s = setup({ 'transaction.partition.verification.enable': false });

  it('is not verified: a commit without AddOffsetsToTxn is written, as in Kafka', async () => {
    const { cluster, c } = s;
    const groupId = 'unverified';
    const p = await begin(c, 'tx-unverified');
    const before = offsetsLogEnd(cluster, groupId);
    expect(await txnCommit(c, p, groupId, 5)).toBe(ErrorCode.NONE);
    expect(offsetsLogEnd(cluster, groupId)).toBe(before + 1);
    expect(await fetched(c, groupId)).toEqual([-1, ErrorCode.UNSTABLE_OFFSET_COMMIT]);
  });
});

describe("the group coordinator's answer for a failed verification (Kafka's maybeConvertOffsetCommitError)", () => {
  it('a lost connection to the transaction coordinator is COORDINATOR_LOAD_IN_PROGRESS; the rest as for a failed write', () => {
    expect(writeErrorCode(ErrorCode.NETWORK_EXCEPTION, 'commit')).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(writeErrorCode(ErrorCode.NOT_ENOUGH_REPLICAS, 'commit')).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(writeErrorCode(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'commit')).toBe(ErrorCode.NOT_COORDINATOR);
    for (const code of [ErrorCode.INVALID_TXN_STATE, ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.INVALID_PRODUCER_ID_MAPPING, ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.COORDINATOR_NOT_AVAILABLE]) {
      expect(writeErrorCode(code, 'commit')).toBe(code);
    }
  });
});
