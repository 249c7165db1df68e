// The transaction coordinator's state machine through raw requests over TCP: InitProducerId
// (new id, epoch bumps, KIP-360 recovery and retries, fencing errors per version, epoch
// exhaustion), AddPartitionsToTxn (client and v4 broker forms, verifyOnly), AddOffsetsToTxn,
// EndTxn, DescribeTransactions, ListTransactions, the abort of a timed-out transaction with an
// epoch bump, and the expiration of idle transactional ids. Its clock is a MockTime: the tests
// advance it past each deadline, never sleep. Markers go to the partition leaders' WriteTxnMarkers
// (CompleteCommit/CompleteAbort once they are written).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP_METADATA_TOPIC, partitionForGroup } from '../src/server/group/GroupMetadataRecords.js';
import { TRANSACTION_STATE_TOPIC } from '../src/server/transaction/TransactionLog.js';
import { MockTime } from '../src/util/Time.js';
import { until } from './support/coordinator.js';
import { startSimulatedTxnCluster, TE, TxnClient, type SimulatedTxnCluster } from './support/transactions.js';

const TOPIC = 'txn-topic';
const ABORT_INTERVAL_MS = 1000;
const EXPIRATION_MS = 60_000;

let cluster: SimulatedTxnCluster;
let time: MockTime;
let client: TxnClient;
let seq = 0;
const newId = () => `txn-${++seq}`;

beforeAll(async () => {
  time = new MockTime();
  cluster = await startSimulatedTxnCluster(time, {
    'transaction.abort.timed.out.transaction.cleanup.interval.ms': ABORT_INTERVAL_MS,
    'transactional.id.expiration.ms': EXPIRATION_MS,
    'transaction.remove.expired.transaction.cleanup.interval.ms': 10_000,
    'transaction.max.timeout.ms': 300_000,
  });
  await cluster.createTopic(TOPIC, 3);
  client = await TxnClient.connect(cluster.bootstrapServers[0]!);
  await client.waitForCoordinator('first');
});

afterAll(async () => {
  client?.close();
  await cluster?.close();
});

const coordinator = () => cluster.brokers[0]!.transactionCoordinator;

/** A transactional id initialized at epoch 0, with its producer id. */
async function initialized(timeoutMs = 60_000) {
  const id = newId();
  const res = await client.retrying(() => client.initProducerId(id, { timeoutMs }), (r) => r.errorCode);
  expect(res.errorCode).toBe(TE.NONE);
  return { id, producerId: Number(res.producerId), epoch: res.producerEpoch };
}

/** A transactional id with an ongoing transaction on TOPIC partition 0. */
async function ongoing(timeoutMs = 60_000) {
  const t = await initialized(timeoutMs);
  expect(await client.addPartitions(t.id, t.producerId, t.epoch, { [TOPIC]: [0] })).toEqual({ [`${TOPIC}-0`]: TE.NONE });
  return t;
}

describe('FindCoordinator key type 1 and __transaction_state', () => {
  it('creates __transaction_state (compacted, the configured partition count) and names its partition leader', async () => {
    const res = await client.findCoordinator('some-id');
    expect(res.errorCode).toBe(TE.NONE);
    expect(res.nodeId).toBe(1);
    const topic = cluster.brokers[0]!.image.topics.get(TRANSACTION_STATE_TOPIC)!;
    expect(topic.partitions.length).toBe(3);
    expect(topic.configs['cleanup.policy']).toBe('compact');
    expect(topic.configs['min.insync.replicas']).toBe('1'); // transaction.state.log.min.isr 2, capped at one broker
  });
});

describe('InitProducerId with a transactional id', () => {
  it('a new id gets a fresh producer id at epoch 0; each re-init bumps the epoch of the same producer id', async () => {
    const t = await initialized();
    expect(t.epoch).toBe(0);
    const again = await client.initProducerId(t.id);
    expect(again).toMatchObject({ errorCode: TE.NONE, producerEpoch: 1 });
    expect(Number(again.producerId)).toBe(t.producerId);
    const other = await initialized();
    expect(other.producerId).not.toBe(t.producerId);
    expect(await client.describe(t.id)).toMatchObject({ errorCode: TE.NONE, transactionState: 'Empty', producerEpoch: 1, transactionTimeoutMs: 60_000 });
  });

  it('KIP-360: the current producer id and epoch bump it; a retry with the previous epoch gets the same answer; another epoch is fenced', async () => {
    const t = await initialized();
    const bumped = await client.initProducerId(t.id, { producerId: t.producerId, producerEpoch: 0 });
    expect(bumped).toMatchObject({ errorCode: TE.NONE, producerEpoch: 1 });
    const retry = await client.initProducerId(t.id, { producerId: t.producerId, producerEpoch: 0 });
    expect(retry).toMatchObject({ errorCode: TE.NONE, producerEpoch: 1 });
    expect(await client.initProducerId(t.id, { producerId: t.producerId, producerEpoch: 7 })).toMatchObject({ errorCode: TE.PRODUCER_FENCED, producerId: -1, producerEpoch: -1 });
    expect((await client.initProducerId(t.id, { producerId: t.producerId, producerEpoch: 7, version: 3 })).errorCode).toBe(TE.INVALID_PRODUCER_EPOCH);
    expect((await client.initProducerId(t.id, { producerId: t.producerId + 1000, producerEpoch: 1 })).errorCode).toBe(TE.PRODUCER_FENCED);
  });

  it('bad input: an empty id, only one of producer id / epoch, a timeout out of range', async () => {
    expect((await client.initProducerId('')).errorCode).toBe(TE.INVALID_REQUEST);
    expect((await client.initProducerId(newId(), { producerId: 5 })).errorCode).toBe(TE.INVALID_REQUEST);
    expect((await client.initProducerId(newId(), { producerEpoch: 5 })).errorCode).toBe(TE.INVALID_REQUEST);
    expect((await client.initProducerId(newId(), { timeoutMs: 0 })).errorCode).toBe(TE.INVALID_TRANSACTION_TIMEOUT);
    expect((await client.initProducerId(newId(), { timeoutMs: 300_001 })).errorCode).toBe(TE.INVALID_TRANSACTION_TIMEOUT);
  });

  it('without a transactional id: a fresh producer id each time', async () => {
    const a = await client.initProducerId(null);
    const b = await client.initProducerId(null);
    expect(a.errorCode).toBe(TE.NONE);
    expect(b.producerId).not.toBe(a.producerId);
  });

  it('an exhausted epoch rotates to a new producer id at epoch 0 (KIP-360: only for the current epoch; the old producer id then recovers too)', async () => {
    const exhaust = (id: string) => {
      const lookup = coordinator().txnManager.getTransactionState(id);
      const m = 'metadata' in lookup ? lookup.metadata! : undefined;
      m!.producerEpoch = 32766; // as if re-initialized 32766 times
    };
    const t = await initialized();
    exhaust(t.id);
    const res = await client.initProducerId(t.id);
    expect(res).toMatchObject({ errorCode: TE.NONE, producerEpoch: 0 });
    expect(Number(res.producerId)).not.toBe(t.producerId);

    const k = await initialized();
    exhaust(k.id);
    expect((await client.initProducerId(k.id, { producerId: k.producerId, producerEpoch: 5 })).errorCode).toBe(TE.PRODUCER_FENCED);
    const rotated = await client.initProducerId(k.id, { producerId: k.producerId, producerEpoch: 32766 });
    expect(rotated).toMatchObject({ errorCode: TE.NONE, producerEpoch: 0 });
    expect(Number(rotated.producerId)).not.toBe(k.producerId);
    // The next KIP-360 call with the new producer id bumps it as usual.
    expect(await client.initProducerId(k.id, { producerId: Number(rotated.producerId), producerEpoch: 0 })).toMatchObject({ errorCode: TE.NONE, producerEpoch: 1 });
  });
});

describe('AddPartitionsToTxn and AddOffsetsToTxn', () => {
  it('adds partitions (Ongoing, with a start time); adding them again is NONE without a write', async () => {
    const t = await ongoing();
    expect(await client.addPartitions(t.id, t.producerId, t.epoch, { [TOPIC]: [0, 1] })).toEqual({ [`${TOPIC}-0`]: TE.NONE, [`${TOPIC}-1`]: TE.NONE });
    const d = await client.describe(t.id);
    expect(d).toMatchObject({ transactionState: 'Ongoing', transactionStartTimeMs: time.now() });
    expect(d.topics).toEqual([{ topic: TOPIC, partitions: [0, 1] }]);
    const end = cluster.brokers[0]!.replicaManager.getPartition(TRANSACTION_STATE_TOPIC, coordinator().txnManager.partitionFor(t.id))!.log.logEndOffset;
    expect(await client.addPartitions(t.id, t.producerId, t.epoch, { [TOPIC]: [1] })).toEqual({ [`${TOPIC}-1`]: TE.NONE });
    expect(cluster.brokers[0]!.replicaManager.getPartition(TRANSACTION_STATE_TOPIC, coordinator().txnManager.partitionFor(t.id))!.log.logEndOffset).toBe(end);
  });

  it('errors: unknown id or producer id, a stale epoch (per version), an unknown topic fails the whole request', async () => {
    const t = await initialized();
    expect(await client.addPartitions(newId(), t.producerId, 0, { [TOPIC]: [0] })).toEqual({ [`${TOPIC}-0`]: TE.INVALID_PRODUCER_ID_MAPPING });
    expect(await client.addPartitions(t.id, t.producerId + 1, 0, { [TOPIC]: [0] })).toEqual({ [`${TOPIC}-0`]: TE.INVALID_PRODUCER_ID_MAPPING });
    await client.initProducerId(t.id); // epoch 1
    expect(await client.addPartitions(t.id, t.producerId, 0, { [TOPIC]: [0] })).toEqual({ [`${TOPIC}-0`]: TE.PRODUCER_FENCED });
    expect(await client.addPartitions(t.id, t.producerId, 0, { [TOPIC]: [0] }, 1)).toEqual({ [`${TOPIC}-0`]: TE.INVALID_PRODUCER_EPOCH });
    expect(await client.addPartitions(t.id, t.producerId, 1, { [TOPIC]: [0], nope: [0], [`${TOPIC}`.toUpperCase()]: [1] })).toEqual({
      [`${TOPIC}-0`]: TE.OPERATION_NOT_ATTEMPTED,
      'nope-0': TE.UNKNOWN_TOPIC_OR_PARTITION,
      [`${TOPIC.toUpperCase()}-1`]: TE.UNKNOWN_TOPIC_OR_PARTITION,
    });
    expect(await client.addPartitions(t.id, t.producerId, 1, { [TOPIC]: [7] })).toEqual({ [`${TOPIC}-7`]: TE.UNKNOWN_TOPIC_OR_PARTITION });
    expect((await client.describe(t.id)).transactionState).toBe('Empty');
  });

  it("AddOffsetsToTxn adds the group's partition of __consumer_offsets", async () => {
    const t = await initialized();
    expect(await client.addOffsets(t.id, t.producerId, t.epoch, 'my-group')).toBe(TE.NONE);
    const partitions = cluster.brokers[0]!.config.int('offsets.topic.num.partitions');
    expect((await client.describe(t.id)).topics).toEqual([{ topic: GROUP_METADATA_TOPIC, partitions: [partitionForGroup('my-group', partitions)] }]);
    expect(await client.addOffsets(t.id, t.producerId, t.epoch + 1, 'my-group')).toBe(TE.PRODUCER_FENCED);
    expect(await client.addOffsets(t.id, t.producerId, t.epoch + 1, 'my-group', 1)).toBe(TE.INVALID_PRODUCER_EPOCH);
  });

  it('v4 verifyOnly: NONE for a partition of the ongoing transaction, TRANSACTION_ABORTABLE for another; a stale producer is fenced', async () => {
    const t = await ongoing();
    const other = await initialized();
    const res = await client.addPartitionsV4([
      { transactionalId: t.id, producerId: t.producerId, producerEpoch: t.epoch, verifyOnly: true, topics: { [TOPIC]: [0, 2] } },
      { transactionalId: other.id, producerId: other.producerId, producerEpoch: other.epoch + 1, verifyOnly: true, topics: { [TOPIC]: [0] } },
      { transactionalId: newId(), producerId: 1, producerEpoch: 0, verifyOnly: true, topics: { [TOPIC]: [0] } },
    ]);
    expect(res[t.id]).toEqual({ [`${TOPIC}-0`]: TE.NONE, [`${TOPIC}-2`]: TE.TRANSACTION_ABORTABLE });
    expect(res[other.id]).toEqual({ [`${TOPIC}-0`]: TE.PRODUCER_FENCED });
    expect(Object.values(res)[2]).toEqual({ [`${TOPIC}-0`]: TE.INVALID_PRODUCER_ID_MAPPING });
    // Verification adds nothing.
    expect((await client.describe(t.id)).topics).toEqual([{ topic: TOPIC, partitions: [0] }]);
    // The v4 form without verifyOnly adds, like a client's.
    const added = await client.addPartitionsV4([{ transactionalId: t.id, producerId: t.producerId, producerEpoch: t.epoch, verifyOnly: false, topics: { [TOPIC]: [2] } }]);
    expect(added[t.id]).toEqual({ [`${TOPIC}-2`]: TE.NONE });
    expect((await client.describe(t.id)).topics).toEqual([{ topic: TOPIC, partitions: [0, 2] }]);
  });
});

describe('EndTxn', () => {
  it('errors: no transaction (Empty), an unknown producer id, a stale epoch per version', async () => {
    const t = await initialized();
    expect(await client.endTxn(t.id, t.producerId, t.epoch, true)).toBe(TE.INVALID_TXN_STATE);
    expect(await client.endTxn(t.id, t.producerId + 1, t.epoch, true)).toBe(TE.INVALID_PRODUCER_ID_MAPPING);
    expect(await client.endTxn(newId(), t.producerId, t.epoch, true)).toBe(TE.INVALID_PRODUCER_ID_MAPPING);
    await client.addPartitions(t.id, t.producerId, t.epoch, { [TOPIC]: [0] });
    expect(await client.endTxn(t.id, t.producerId, t.epoch + 1, true)).toBe(TE.PRODUCER_FENCED);
    expect(await client.endTxn(t.id, t.producerId, t.epoch - 1, true)).toBe(TE.PRODUCER_FENCED);
    expect(await client.endTxn(t.id, t.producerId, t.epoch - 1, true, 1)).toBe(TE.INVALID_PRODUCER_EPOCH);
    expect((await client.describe(t.id)).transactionState).toBe('Ongoing');
  });

  it('commit: answered once PrepareCommit is written; while its markers go out every request is CONCURRENT_TRANSACTIONS', async () => {
    const t = await ongoing();
    const sentBefore = coordinator().markers.requestsSent;
    // Markers held back: the partition leader's connection is cut at each WriteTxnMarkers.
    const hold = cluster.faults.add({ api: 'WriteTxnMarkers', action: 'disconnect', times: Infinity });
    try {
      expect(await client.endTxn(t.id, t.producerId, t.epoch, true)).toBe(TE.NONE);
      expect((await client.describe(t.id)).transactionState).toBe('PrepareCommit');
      await until(() => coordinator().markers.requestsSent > sentBefore, 'a WriteTxnMarkers is sent');
      expect(await client.endTxn(t.id, t.producerId, t.epoch, true)).toBe(TE.CONCURRENT_TRANSACTIONS);
      expect(await client.endTxn(t.id, t.producerId, t.epoch, false)).toBe(TE.CONCURRENT_TRANSACTIONS);
      expect(await client.endTxn(t.id, t.producerId, t.epoch + 1, true)).toBe(TE.PRODUCER_FENCED);
      expect((await client.initProducerId(t.id)).errorCode).toBe(TE.CONCURRENT_TRANSACTIONS);
      expect(await client.addPartitions(t.id, t.producerId, t.epoch, { [TOPIC]: [1] })).toEqual({ [`${TOPIC}-1`]: TE.CONCURRENT_TRANSACTIONS });
      expect((await client.list({ states: ['PrepareCommit'] })).transactionStates.map((s) => s.transactionalId)).toContain(t.id);
    } finally {
      cluster.faults.remove(hold);
    }
    await until(() => coordinator().describeTransaction(t.id).transactionState === 'CompleteCommit', 'the commit completes');
    expect(await client.describe(t.id)).toMatchObject({ transactionState: 'CompleteCommit', topics: [] });
    expect(await client.endTxn(t.id, t.producerId, t.epoch, true)).toBe(TE.NONE); // a retry
    expect(await client.endTxn(t.id, t.producerId, t.epoch, false)).toBe(TE.INVALID_TXN_STATE);
    // The next transaction starts from CompleteCommit.
    expect(await client.addPartitions(t.id, t.producerId, t.epoch, { [TOPIC]: [1] })).toEqual({ [`${TOPIC}-1`]: TE.NONE });
  });

  it('a transaction whose topic is deleted completes without that marker', async () => {
    await cluster.createTopic('doomed', 1);
    const t = await initialized();
    expect(await client.addPartitions(t.id, t.producerId, t.epoch, { doomed: [0] })).toEqual({ 'doomed-0': TE.NONE });
    await cluster.deleteTopic('doomed');
    expect(await client.endTxn(t.id, t.producerId, t.epoch, false)).toBe(TE.NONE);
    await until(() => coordinator().describeTransaction(t.id).transactionState === 'CompleteAbort', 'the abort completes');
    expect(await client.endTxn(t.id, t.producerId, t.epoch, false)).toBe(TE.NONE);
    expect(await client.endTxn(t.id, t.producerId, t.epoch, true)).toBe(TE.INVALID_TXN_STATE);
    expect((await client.initProducerId(t.id)).producerEpoch).toBe(t.epoch + 1);
  });
});

describe('fencing and timeouts', () => {
  it("a new producer's InitProducerId fences the old one: its transaction is aborted with a bumped epoch, the old epoch can neither add nor commit", async () => {
    const t = await ongoing();
    const res = await client.initProducerId(t.id);
    expect(res.errorCode).toBe(TE.CONCURRENT_TRANSACTIONS);
    const d = await client.describe(t.id);
    expect(d.producerEpoch).toBe(t.epoch + 1);
    expect(['PrepareAbort', 'CompleteAbort']).toContain(d.transactionState);
    expect(await client.addPartitions(t.id, t.producerId, t.epoch, { [TOPIC]: [1] })).toEqual({ [`${TOPIC}-1`]: TE.PRODUCER_FENCED });
    expect(await client.endTxn(t.id, t.producerId, t.epoch, true)).toBe(TE.PRODUCER_FENCED);
    const retried = await client.retrying(() => client.initProducerId(t.id), (r) => r.errorCode);
    expect(retried).toMatchObject({ errorCode: TE.NONE, producerEpoch: t.epoch + 2 });
  });

  it('an Ongoing transaction past transaction.timeout.ms is aborted with an epoch bump at the next check; its producer is fenced', async () => {
    const t = await ongoing(5_000);
    await time.advance(5_000 - ABORT_INTERVAL_MS); // checks ran, none past the deadline
    expect((await client.describe(t.id)).transactionState).toBe('Ongoing');
    await time.advance(2 * ABORT_INTERVAL_MS + 1); // a check after the deadline
    await until(() => coordinator().describeTransaction(t.id).transactionState !== 'Ongoing', 'the transaction is aborted');
    const d = await client.describe(t.id);
    expect(d.producerEpoch).toBe(t.epoch + 1);
    expect(['PrepareAbort', 'CompleteAbort']).toContain(d.transactionState);
    expect(await client.endTxn(t.id, t.producerId, t.epoch, true)).toBe(TE.PRODUCER_FENCED);
    expect(await client.addPartitions(t.id, t.producerId, t.epoch, { [TOPIC]: [0] })).toEqual({ [`${TOPIC}-0`]: TE.PRODUCER_FENCED });
  });

  it('a transaction within its timeout is left alone', async () => {
    const t = await ongoing(120_000);
    await time.advance(60_000);
    expect((await client.describe(t.id)).transactionState).toBe('Ongoing');
    expect(await client.endTxn(t.id, t.producerId, t.epoch, false)).toBe(TE.NONE);
  });
});

describe('DescribeTransactions, ListTransactions and id expiration', () => {
  it('describes unknown and empty ids with their errors', async () => {
    expect((await client.describe(newId())).errorCode).toBe(TE.TRANSACTIONAL_ID_NOT_FOUND);
    expect((await client.describe('')).errorCode).toBe(TE.INVALID_REQUEST);
  });

  it('lists by state, producer id and running time; unknown state names come back', async () => {
    const t = await ongoing();
    const idle = await initialized();
    await time.advance(10);
    const byState = await client.list({ states: ['Ongoing', 'Bogus'] });
    expect(byState.errorCode).toBe(TE.NONE);
    expect(byState.unknownStateFilters).toEqual(['Bogus']);
    expect(byState.transactionStates.map((s) => s.transactionalId)).toContain(t.id);
    expect(byState.transactionStates.map((s) => s.transactionalId)).not.toContain(idle.id);
    const byProducer = await client.list({ producerIds: [idle.producerId] });
    expect(byProducer.transactionStates).toEqual([{ transactionalId: idle.id, producerId: idle.producerId, transactionState: 'Empty' }]);
    expect((await client.list({ states: ['Ongoing'], durationMs: 5 })).transactionStates.map((s) => s.transactionalId)).toContain(t.id);
    expect((await client.list({ states: ['Ongoing'], durationMs: 60_000 })).transactionStates.map((s) => s.transactionalId)).not.toContain(t.id);
    // v0 has no duration filter.
    expect((await client.list({ states: ['Ongoing'], durationMs: 60_000, version: 0 })).transactionStates.map((s) => s.transactionalId)).toContain(t.id);
    expect(await client.endTxn(t.id, t.producerId, t.epoch, false)).toBe(TE.NONE);
  });

  it('an id idle for transactional.id.expiration.ms is removed (tombstone); initializing it again starts over', async () => {
    const t = await initialized();
    await time.advance(EXPIRATION_MS + 10_000);
    await until(() => coordinator().describeTransaction(t.id).errorCode === TE.TRANSACTIONAL_ID_NOT_FOUND, 'the id expires');
    const again = await client.initProducerId(t.id);
    expect(again).toMatchObject({ errorCode: TE.NONE, producerEpoch: 0 });
    expect(Number(again.producerId)).not.toBe(t.producerId);
  });
});
