// The transactional producer's state machine (TransactionManager + TxnRequestHandlers) without
// a network: requests are taken from its queue as the Sender would, and answered with decoded
// responses. Java's transitions, the request order, and which errors are abortable or fatal.
import { describe, expect, it } from 'vitest';
import {
  CommitFailedError,
  IllegalStateError,
  KafkaApiError,
  ProducerError,
  ProducerFencedError,
  TimeoutError,
  TransactionAbortedError,
  TransactionalIdAuthorizationError,
} from '../src/producer/errors.js';
import { PartitionQueue } from '../src/producer/RecordAccumulator.js';
import { TransactionManager, isTransitionValid } from '../src/producer/TransactionManager.js';
import {
  AddOffsetsToTxnHandler,
  AddPartitionsToTxnHandler,
  EndTxnHandler,
  FindCoordinatorHandler,
  InitProducerIdHandler,
  TxnOffsetCommitHandler,
  type TxnRequestHandler,
} from '../src/producer/TxnRequestHandlers.js';
import type { TopicState } from '../src/producer/ProducerMetadata.js';
import type { ProducerBatch } from '../src/producer/ProducerBatch.js';

const pq = (topic: string, partition: number) => new PartitionQueue({ name: topic, leaderOf: () => 0, queues: [] } as unknown as TopicState, partition);

function manager(): TransactionManager {
  return new TransactionManager({ transactionalId: 'tx-1', transactionTimeoutMs: 60000, retryBackoffMs: 100 });
}

function next<T extends TxnRequestHandler>(tm: TransactionManager, type: abstract new (...a: never[]) => T, incomplete = false): T {
  const h = tm.nextRequest(incomplete);
  expect(h).toBeInstanceOf(type);
  return h as T;
}

const initOk = (id = 7, epoch = 0) => ({ throttleTimeMs: 0, errorCode: 0, producerId: id, producerEpoch: epoch });
const endTxn = (errorCode: number) => ({ throttleTimeMs: 0, errorCode });
const addPartitions = (results: [string, number, number][]) => {
  const byTopic = new Map<string, { partitionIndex: number; partitionErrorCode: number }[]>();
  for (const [t, p, e] of results) {
    if (!byTopic.has(t)) byTopic.set(t, []);
    byTopic.get(t)!.push({ partitionIndex: p, partitionErrorCode: e });
  }
  return { throttleTimeMs: 0, errorCode: 0, resultsByTransaction: [], resultsByTopicV3AndBelow: [...byTopic].map(([name, r]) => ({ name, resultsByPartition: r })) };
};

/** initTransactions answered at once: READY with producer id 7, epoch 0. */
function ready(): TransactionManager {
  const tm = manager();
  const result = tm.initializeTransactions();
  next(tm, InitProducerIdHandler).handleResponse(initOk());
  expect(result.isSuccessful).toBe(true);
  result.isAcked = true; // as the caller's await does
  return tm;
}

/** READY, then a transaction with partition t-0 added. */
function inTransactionWithPartition(): { tm: TransactionManager; q: PartitionQueue } {
  const tm = ready();
  tm.beginTransaction();
  const q = pq('t', 0);
  tm.maybeAddPartition(q);
  next(tm, AddPartitionsToTxnHandler).handleResponse(addPartitions([['t', 0, 0]]));
  return { tm, q };
}

const fakeBatch = (q: PartitionQueue) => ({ pq: q, hasSequence: false, count: 1, baseSequence: -1 }) as unknown as ProducerBatch;

describe('TransactionManager (transactional)', () => {
  it("has Java's transition table", () => {
    expect(isTransitionValid('UNINITIALIZED', 'INITIALIZING')).toBe(true);
    expect(isTransitionValid('READY', 'IN_TRANSACTION')).toBe(true);
    expect(isTransitionValid('READY', 'COMMITTING_TRANSACTION')).toBe(false);
    expect(isTransitionValid('IN_TRANSACTION', 'ABORTABLE_ERROR')).toBe(true);
    expect(isTransitionValid('ABORTABLE_ERROR', 'COMMITTING_TRANSACTION')).toBe(false);
    expect(isTransitionValid('ABORTABLE_ERROR', 'ABORTING_TRANSACTION')).toBe(true);
    expect(isTransitionValid('ABORTING_TRANSACTION', 'INITIALIZING')).toBe(true);
    expect(isTransitionValid('FATAL_ERROR', 'READY')).toBe(false);
    expect(isTransitionValid('COMMITTING_TRANSACTION', 'FATAL_ERROR')).toBe(true);
  });

  it('refuses transactional calls before initTransactions, and sends outside a transaction', () => {
    const tm = manager();
    expect(() => tm.beginTransaction()).toThrow(IllegalStateError);
    expect(tm.sendError('t')).toBeInstanceOf(IllegalStateError);
    expect(tm.sendError('t')!.message).toMatch(/before completing a call to initTransactions/);
    const r = ready();
    expect(r.refusesSends).toBe(true);
    expect(r.sendError('t')!.message).toMatch(/while in state READY/);
    expect(() => r.sendOffsetsToTransaction([{ topic: 't', partition: 0, offset: 1 }], { groupId: 'g' })).toThrow(/transaction is not in progress/);
    expect(() => r.beginCommit()).toThrow(/Invalid transition attempted from state READY to state COMMITTING_TRANSACTION/);
    r.beginTransaction();
    expect(r.refusesSends).toBe(false);
    expect(r.sendError('t')).toBeNull();
    expect(() => r.beginTransaction()).toThrow(IllegalStateError);
  });

  it('initTransactions: FindCoordinator goes first when the coordinator moves, then InitProducerId again', () => {
    const tm = manager();
    const result = tm.initializeTransactions();
    expect(tm.state).toBe('INITIALIZING');
    next(tm, InitProducerIdHandler).handleResponse({ ...initOk(), errorCode: 16 }); // NOT_COORDINATOR
    const find = next(tm, FindCoordinatorHandler);
    expect(find.type).toBe('transaction');
    expect(find.key).toBe('tx-1');
    find.handleResponse({ throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 2, host: 'h', port: 9, coordinators: [] });
    expect(tm.transactionCoordinator).toEqual({ nodeId: 2, host: 'h', port: 9 });
    const init = next(tm, InitProducerIdHandler);
    expect(init.isRetry).toBe(true);
    init.handleResponse({ ...initOk(), errorCode: 51 }); // CONCURRENT_TRANSACTIONS: retriable
    next(tm, InitProducerIdHandler).handleResponse(initOk(42, 3));
    expect(result.isSuccessful).toBe(true);
    expect(tm.state).toBe('READY');
    expect([tm.producerId, tm.producerEpoch]).toEqual([42, 3]);
  });

  it('a call repeated after a timeout waits on the same result; other calls are refused meanwhile', async () => {
    const tm = manager();
    const first = tm.initializeTransactions();
    await expect(first.await(0)).rejects.toBeInstanceOf(TimeoutError);
    expect(tm.initializeTransactions()).toBe(first);
    expect(() => tm.beginTransaction()).toThrow(/previous call to `initTransactions` has not completed \(or timed out and must be retried\)/);
    next(tm, InitProducerIdHandler).handleResponse(initOk());
    await first.await(0);
    tm.beginTransaction();
    expect(tm.state).toBe('IN_TRANSACTION');
  });

  it('new partitions go to the coordinator in one AddPartitionsToTxn per drain; their batches wait until added', () => {
    const tm = ready();
    tm.beginTransaction();
    const [a, b, c] = [pq('t', 0), pq('t', 1), pq('u', 0)];
    tm.maybeAddPartition(a);
    tm.maybeAddPartition(b);
    tm.maybeAddPartition(a);
    expect(tm.shouldStopDrain(fakeBatch(a), a)).toBe(true);
    const add = next(tm, AddPartitionsToTxnHandler);
    expect(add.partitions).toEqual([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    tm.maybeAddPartition(c); // while the first request is out: a second one later
    add.handleResponse(addPartitions([['t', 0, 0], ['t', 1, 0]]));
    expect(tm.shouldStopDrain(fakeBatch(a), a)).toBe(false);
    expect(tm.shouldStopDrain(fakeBatch(c), c)).toBe(true);
    const add2 = next(tm, AddPartitionsToTxnHandler);
    expect(add2.partitions).toEqual([{ topic: 'u', partition: 0 }]);
    // CONCURRENT_TRANSACTIONS: retried; with partitions already in the transaction, after the normal backoff.
    add2.handleResponse(addPartitions([['u', 0, 51]]));
    const again = next(tm, AddPartitionsToTxnHandler);
    expect(again).toBe(add2);
    expect(again.retryBackoffMs()).toBe(100);
    again.handleResponse(addPartitions([['u', 0, 0]]));
    expect(tm.shouldStopDrain(fakeBatch(c), c)).toBe(false);
    expect(tm.transactionStarted).toBe(true);
  });

  it('CONCURRENT_TRANSACTIONS on the first partitions of a transaction is retried after 20 ms', () => {
    const tm = ready();
    tm.beginTransaction();
    tm.maybeAddPartition(pq('t', 0));
    const add = next(tm, AddPartitionsToTxnHandler);
    add.handleResponse(addPartitions([['t', 0, 51]]));
    expect(next(tm, AddPartitionsToTxnHandler).retryBackoffMs()).toBe(20);
  });

  it('commit: EndTxn waits for the batches, then READY; partitions are forgotten', () => {
    const { tm, q } = inTransactionWithPartition();
    const result = tm.beginCommit();
    expect(tm.state).toBe('COMMITTING_TRANSACTION');
    expect(tm.isCompleting()).toBe(true);
    expect(tm.nextRequest(true)).toBeNull(); // batches still incomplete
    const end = next(tm, EndTxnHandler);
    expect(end.commit).toBe(true);
    end.handleResponse(endTxn(0));
    expect(result.isSuccessful).toBe(true);
    expect(tm.state).toBe('READY');
    expect(tm.partitionsInTransaction.size).toBe(0);
    expect(tm.shouldStopDrain(fakeBatch(q), q)).toBe(true);
  });

  it('a transaction that added nothing completes without an EndTxn', () => {
    const tm = ready();
    tm.beginTransaction();
    const result = tm.beginCommit();
    expect(tm.nextRequest(false)).toBeNull();
    expect(result.isSuccessful).toBe(true);
    expect(tm.state).toBe('READY');
  });

  it('a failed produce makes the transaction abortable: commit refused, abort works, epoch bumped when the coordinator can', () => {
    const { tm, q } = inTransactionWithPartition();
    tm.coordinatorSupportsBumpingEpoch = true;
    tm.handleFailedBatch(fakeBatch(q), new KafkaApiError(87, 'bad record'), false);
    expect(tm.state).toBe('ABORTABLE_ERROR');
    expect(tm.sendError('t')!.message).toMatch(/Cannot execute transactional method because we are in an error state/);
    expect(() => tm.beginCommit()).toThrow(/in an error state/);
    expect(() => tm.sendOffsetsToTransaction([{ topic: 't', partition: 0, offset: 1 }], { groupId: 'g' })).toThrow(ProducerError);
    const result = tm.beginAbort();
    expect(tm.state).toBe('ABORTING_TRANSACTION');
    expect(tm.sendError('t')).toBeInstanceOf(TransactionAbortedError);
    const end = next(tm, EndTxnHandler);
    expect(end.commit).toBe(false);
    end.handleResponse(endTxn(0));
    expect(tm.state).toBe('INITIALIZING');
    const bump = next(tm, InitProducerIdHandler);
    expect(bump.isEpochBump).toBe(true);
    bump.handleResponse(initOk(7, 1));
    expect(result.isSuccessful).toBe(true);
    expect(tm.state).toBe('READY');
    expect(tm.producerEpoch).toBe(1);
    expect(tm.epochBumps).toBe(1);
  });

  it('sequences go on across transactions of one epoch and restart at 0 after an epoch bump; batches carry the transactional bit', () => {
    const { tm, q } = inTransactionWithPartition();
    tm.coordinatorSupportsBumpingEpoch = true;
    const batch = (count: number) => {
      const b = {
        pq: q,
        count,
        baseSequence: -1,
        producerId: -1,
        producerEpoch: -1,
        transactional: false,
        get hasSequence() {
          return this.baseSequence >= 0;
        },
        get lastSequence() {
          return this.baseSequence + this.count - 1;
        },
        setProducerState(id: number, epoch: number, seq: number) {
          Object.assign(this, { producerId: id, producerEpoch: epoch, baseSequence: seq });
        },
      };
      return b as unknown as ProducerBatch & { transactional: boolean };
    };
    const b1 = batch(2);
    const b2 = batch(3);
    tm.assignSequence(b1, q);
    tm.assignSequence(b2, q);
    expect([b1.baseSequence, b2.baseSequence, b1.transactional]).toEqual([0, 2, true]);
    tm.handleCompletedBatch(b1, 0);
    tm.handleCompletedBatch(b2, 2);
    const commit = tm.beginCommit();
    next(tm, EndTxnHandler).handleResponse(endTxn(0));
    commit.isAcked = true; // as the caller's await does
    tm.beginTransaction();
    tm.maybeAddPartition(q);
    next(tm, AddPartitionsToTxnHandler).handleResponse(addPartitions([['t', 0, 0]]));
    const b3 = batch(1);
    tm.assignSequence(b3, q);
    expect([b3.producerEpoch, b3.baseSequence]).toEqual([0, 5]);
    // A failed batch: abortable; the abort bumps the epoch and the partition starts again at 0.
    tm.handleFailedBatch(b3, new KafkaApiError(87), false);
    const abort = tm.beginAbort();
    next(tm, EndTxnHandler).handleResponse(endTxn(0));
    next(tm, InitProducerIdHandler).handleResponse(initOk(7, 1));
    abort.isAcked = true;
    tm.beginTransaction();
    const b4 = batch(4);
    tm.assignSequence(b4, q);
    expect([b4.producerEpoch, b4.baseSequence]).toEqual([1, 0]);
  });

  it('without InitProducerId v3 at the coordinator, an abort keeps the epoch', () => {
    const { tm, q } = inTransactionWithPartition();
    tm.handleFailedBatch(fakeBatch(q), new KafkaApiError(87, 'bad record'), false);
    const result = tm.beginAbort();
    next(tm, EndTxnHandler).handleResponse(endTxn(0));
    expect(result.isSuccessful).toBe(true);
    expect(tm.state).toBe('READY');
    expect(tm.producerEpoch).toBe(0);
  });

  it('PRODUCER_FENCED (or INVALID_PRODUCER_EPOCH) from the coordinator is fatal: every later call fails with ProducerFencedError', () => {
    const { tm } = inTransactionWithPartition();
    const result = tm.beginCommit();
    next(tm, EndTxnHandler).handleResponse(endTxn(47));
    expect(result.error).toBeInstanceOf(ProducerFencedError);
    expect(tm.state).toBe('FATAL_ERROR');
    result.isAcked = true; // the commit's caller got the error
    expect(() => tm.beginAbort()).toThrow(ProducerFencedError);
    expect(tm.sendError('t')).toBeInstanceOf(ProducerFencedError);
    expect(() => tm.beginTransaction()).toThrow(ProducerFencedError);
  });

  it('a fenced produce is fatal; a TRANSACTIONAL_ID_AUTHORIZATION_FAILED batch too', () => {
    const a = inTransactionWithPartition();
    a.tm.handleFailedBatch(fakeBatch(a.q), new ProducerFencedError(90, 'fenced'), false);
    expect(a.tm.state).toBe('FATAL_ERROR');
    const b = inTransactionWithPartition();
    b.tm.handleFailedBatch(fakeBatch(b.q), new TransactionalIdAuthorizationError(53), false);
    expect(b.tm.state).toBe('FATAL_ERROR');
  });

  it('InitProducerId answered INVALID_PRODUCER_EPOCH fences the producer', () => {
    const tm = manager();
    const result = tm.initializeTransactions();
    next(tm, InitProducerIdHandler).handleResponse({ ...initOk(), errorCode: 47 });
    expect(result.error).toBeInstanceOf(ProducerFencedError);
    expect(tm.hasFatalError()).toBe(true);
  });

  it('sendOffsetsToTransaction: AddOffsetsToTxn, then TxnOffsetCommit to the group coordinator; retriable partitions are resent', () => {
    const { tm } = inTransactionWithPartition();
    const result = tm.sendOffsetsToTransaction(
      [
        { topic: 'in', partition: 0, offset: 10 },
        { topic: 'in', partition: 1, offset: 20 },
      ],
      { groupId: 'g', generationId: 3, memberId: 'm-1' },
    );
    next(tm, AddOffsetsToTxnHandler).handleResponse({ throttleTimeMs: 0, errorCode: 0 });
    expect(result.isCompleted).toBe(false);
    const commit = next(tm, TxnOffsetCommitHandler);
    expect(commit.coordinatorType()).toBe('group');
    expect(commit.coordinatorKey()).toBe('g');
    commit.handleResponse({
      throttleTimeMs: 0,
      topics: [{ name: 'in', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 1, errorCode: 14 }] }],
    });
    expect(result.isCompleted).toBe(false);
    expect([...tm.pendingTxnOffsetCommits.keys()]).toEqual(['in-1']);
    next(tm, TxnOffsetCommitHandler).handleResponse({ throttleTimeMs: 0, topics: [{ name: 'in', partitions: [{ partitionIndex: 1, errorCode: 0 }] }] });
    expect(result.isSuccessful).toBe(true);
    // NOT_COORDINATOR for the group: the group coordinator is looked up again.
    const r2 = tm.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 11 }], { groupId: 'g' });
    next(tm, AddOffsetsToTxnHandler).handleResponse({ throttleTimeMs: 0, errorCode: 0 });
    next(tm, TxnOffsetCommitHandler).handleResponse({ throttleTimeMs: 0, topics: [{ name: 'in', partitions: [{ partitionIndex: 0, errorCode: 16 }] }] });
    const find = next(tm, FindCoordinatorHandler);
    expect([find.type, find.key]).toEqual(['group', 'g']);
    find.handleResponse({ throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 1, host: 'h', port: 1, coordinators: [] });
    next(tm, TxnOffsetCommitHandler).handleResponse({ throttleTimeMs: 0, topics: [{ name: 'in', partitions: [{ partitionIndex: 0, errorCode: 0 }] }] });
    expect(r2.isSuccessful).toBe(true);
  });

  it('a group generation mismatch fails the offsets with CommitFailedError and makes the transaction abortable', () => {
    const { tm } = inTransactionWithPartition();
    const result = tm.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 10 }], { groupId: 'g', generationId: 1, memberId: 'old' });
    next(tm, AddOffsetsToTxnHandler).handleResponse({ throttleTimeMs: 0, errorCode: 0 });
    next(tm, TxnOffsetCommitHandler).handleResponse({ throttleTimeMs: 0, topics: [{ name: 'in', partitions: [{ partitionIndex: 0, errorCode: 22 }] }] });
    expect(result.error).toBeInstanceOf(CommitFailedError);
    expect(tm.state).toBe('ABORTABLE_ERROR');
  });

  it('queued requests fail instead of going out in an error state; FindCoordinator still goes for an abort', () => {
    const { tm, q } = inTransactionWithPartition();
    const offsets = tm.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 1 }], { groupId: 'g' });
    tm.handleFailedBatch(fakeBatch(q), new KafkaApiError(87), false);
    tm.lookupCoordinator('transaction', 'tx-1');
    expect(tm.nextRequest(false)).toBeInstanceOf(FindCoordinatorHandler);
    expect(tm.nextRequest(false)).toBeNull();
    expect(offsets.error).toBeInstanceOf(KafkaApiError);
  });

  it('the idempotent producer (no transactional.id) keeps its rules: no coordinator requests, sends always allowed', () => {
    const tm = new TransactionManager();
    expect(tm.isTransactional).toBe(false);
    expect(() => tm.beginTransaction()).toThrow(/non-transactional producer/);
    expect(tm.bumpIdempotentEpochAndResetIdIfNeeded()).toBe(true);
    tm.setProducerIdAndEpoch(1, 0);
    expect(tm.refusesSends).toBe(false);
    expect(tm.nextRequest(false)).toBeNull();
  });
});
