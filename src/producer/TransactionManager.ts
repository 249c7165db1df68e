// The producer's transaction state (Kafka's TransactionManager). Idempotence: producer id and
// epoch from InitProducerId, per-partition sequences, the sent-but-unanswered batches of each
// partition in sequence order, and the recovery rules — retry out-of-order answers that are only
// the echo of an earlier failure, resolve sequences of batches that expired in flight, and bump
// the epoch (locally, as Kafka's idempotent producer does) to start a partition's sequences again
// at 0 when a gap can no longer be closed. Transactions (with a transactional.id): Java's states
// and transitions, the partitions of the ongoing transaction, and the queue of coordinator
// requests (TxnRequestHandlers.ts) the Sender sends one at a time, in priority order.
import {
  ClusterAuthorizationError,
  IllegalStateError,
  TransactionAbortedError,
  InvalidPidMappingError,
  KafkaApiError,
  OutOfOrderSequenceError,
  ProducerError,
  ProducerFencedError,
  TransactionalIdAuthorizationError,
  UnknownProducerIdError,
  UnsupportedVersionError,
  isRetriable,
} from './errors.js';
import type { ProducerBatch } from './ProducerBatch.js';
import type { PartitionQueue } from './RecordAccumulator.js';
import { TransactionalRequestResult } from './TransactionalRequestResult.js';
import { errorInErrorState, isTransitionValid, type TransactionState } from './TransactionState.js';
import {
  addInFlightBatch,
  adjustSequencesDueToFailedBatch,
  incrementSequence,
  isNextSequence,
  removeInFlightBatch,
  startSequencesAtBeginning,
  type TxnPartition,
} from './TxnPartitionMap.js';
import {
  AddOffsetsToTxnHandler,
  AddPartitionsToTxnHandler,
  EndTxnHandler,
  FindCoordinatorHandler,
  InitProducerIdHandler,
  type CoordinatorNode,
  type CoordinatorType,
  type GroupMetadata,
  type TxnOffset,
  type TxnRequestHandler,
} from './TxnRequestHandlers.js';

const MAX_EPOCH = 32767;

export { incrementSequence, isTransitionValid, type TransactionState, type TxnPartition };

export interface TransactionManagerOptions {
  transactionalId: string | null;
  transactionTimeoutMs: number;
  retryBackoffMs: number;
}

export class TransactionManager {
  producerId = -1;
  producerEpoch = -1;
  state: TransactionState = 'UNINITIALIZED';
  lastError: ProducerError | null = null;
  epochBumpRequired = false;
  epochBumps = 0;
  private readonly partitionsToRewrite = new Set<PartitionQueue>();
  /** Partitions where batches expired after being sent: their fate is unknown until the rest of their in-flight batches answer. */
  private readonly unresolved = new Map<PartitionQueue, number>();

  // Transactions (transactionalId !== null)
  readonly transactionalId: string | null;
  readonly transactionTimeoutMs: number;
  readonly retryBackoffMs: number;
  /** Coordinator requests waiting to be sent, by priority (stable within one priority). */
  private readonly pendingRequests: TxnRequestHandler[] = [];
  /** A coordinator request is in flight (one at a time, as Java). */
  inFlightRequest = false;
  transactionCoordinator: CoordinatorNode | null = null;
  groupCoordinator: CoordinatorNode | null = null;
  /** Partitions written to in this transaction and not yet in an AddPartitionsToTxn request. */
  readonly newPartitionsInTransaction = new Map<string, TxnPartition>();
  /** Partitions of the AddPartitionsToTxn request in flight. */
  readonly pendingPartitionsInTransaction = new Map<string, TxnPartition>();
  /** Partitions the coordinator added: their batches may be sent. */
  readonly partitionsInTransaction = new Map<string, TxnPartition>();
  /** Offsets of a TxnOffsetCommit not yet accepted, by "topic-partition". */
  readonly pendingTxnOffsetCommits = new Map<string, TxnOffset>();
  /** Something (partitions or offsets) was added: EndTxn must be sent. */
  transactionStarted = false;
  /** The coordinator serves InitProducerId v3+ (KIP-360): an abortable error can bump the epoch. */
  coordinatorSupportsBumpingEpoch = false;
  /** The last initTransactions/commit/abort whose caller has not yet seen its outcome (Java's pendingTransition). */
  private pendingTransition: { result: TransactionalRequestResult; state: TransactionState; operation: string } | null = null;

  constructor(opts: TransactionManagerOptions = { transactionalId: null, transactionTimeoutMs: 60000, retryBackoffMs: 100 }) {
    this.transactionalId = opts.transactionalId;
    this.transactionTimeoutMs = opts.transactionTimeoutMs;
    this.retryBackoffMs = opts.retryBackoffMs;
  }

  get isTransactional(): boolean {
    return this.transactionalId !== null;
  }

  hasProducerId(): boolean {
    return this.producerId >= 0;
  }

  hasFatalError(): boolean {
    return this.state === 'FATAL_ERROR';
  }

  /** The idempotent producer's InitProducerId answer. */
  setProducerIdAndEpoch(producerId: number, producerEpoch: number): void {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.state = 'READY';
    this.lastError = null;
  }

  transitionToFatalError(error: ProducerError): void {
    this.state = 'FATAL_ERROR';
    this.lastError = error;
    this.pendingTransition?.result.fail(error);
  }

  /** Kafka's bumpIdempotentEpochAndResetIdIfNeeded; true when an InitProducerId must be sent. */
  bumpIdempotentEpochAndResetIdIfNeeded(): boolean {
    if (this.isTransactional) return false;
    if (this.epochBumpRequired) this.bumpIdempotentProducerEpoch();
    if (this.state !== 'INITIALIZING' && this.state !== 'FATAL_ERROR' && !this.hasProducerId()) {
      this.state = 'INITIALIZING';
      return true;
    }
    return false;
  }

  private bumpIdempotentProducerEpoch(): void {
    if (this.producerEpoch === MAX_EPOCH) {
      this.producerId = -1;
      this.producerEpoch = -1;
      this.state = 'UNINITIALIZED';
    } else {
      this.producerEpoch++;
    }
    this.epochBumps++;
    for (const pq of this.partitionsToRewrite) {
      startSequencesAtBeginning(pq, this.producerId, this.producerEpoch);
      this.unresolved.delete(pq);
    }
    this.partitionsToRewrite.clear();
    this.epochBumpRequired = false;
  }

  requestEpochBumpForPartition(pq: PartitionQueue): void {
    this.epochBumpRequired = true;
    this.partitionsToRewrite.add(pq);
  }

  private hasStaleProducerIdAndEpoch(pq: PartitionQueue): boolean {
    return pq.producerId !== this.producerId || pq.producerEpoch !== this.producerEpoch;
  }

  /** Kafka's shouldStopDrainBatchesForPartition: keep sequences in order across retries and epoch changes. */
  shouldStopDrain(first: ProducerBatch, pq: PartitionQueue): boolean {
    if (this.state === 'FATAL_ERROR' || !this.hasProducerId()) return true;
    // A transactional batch goes only once its partition is in the transaction (Java's isSendToPartitionAllowed).
    if (this.transactionalId !== null && !this.partitionsInTransaction.has(pq.name)) return true;
    const inflight = pq.inflightBySequence;
    if (!first.hasSequence) {
      // New batches wait while the partition's in-flight batches carry an older epoch.
      if (inflight.length > 0 && this.hasStaleProducerIdAndEpoch(pq)) return true;
      // ... and while the fate of expired batches is unknown.
      if (this.unresolved.has(pq)) return true;
    }
    // A retried batch goes only when it is the first unanswered one: retries are sent one at a time, in order.
    if (inflight.length > 0 && first.hasSequence && first.baseSequence !== inflight[0]!.baseSequence) return true;
    return false;
  }

  /** Give a drained batch its producer id, epoch and next sequence, and track it. */
  assignSequence(batch: ProducerBatch, pq: PartitionQueue): void {
    if (this.hasStaleProducerIdAndEpoch(pq) && pq.inflightBySequence.length === 0) startSequencesAtBeginning(pq, this.producerId, this.producerEpoch);
    batch.setProducerState(this.producerId, this.producerEpoch, pq.nextSequence);
    batch.transactional = this.transactionalId !== null;
    pq.nextSequence = incrementSequence(pq.nextSequence, batch.count);
    addInFlightBatch(batch);
  }

  removeInFlightBatch(batch: ProducerBatch): void {
    removeInFlightBatch(batch);
  }

  /** A split batch's halves take over its sequence range. */
  replaceWithSplit(big: ProducerBatch, parts: ProducerBatch[]): void {
    this.removeInFlightBatch(big);
    let seq = big.baseSequence;
    for (const p of parts) {
      p.transactional = big.transactional;
      p.setProducerState(big.producerId, big.producerEpoch, seq);
      seq = incrementSequence(seq, p.count);
      addInFlightBatch(p);
    }
  }

  handleCompletedBatch(batch: ProducerBatch, baseOffset: number): void {
    const pq = batch.pq;
    if (batch.lastSequence > pq.lastAckedSequence) pq.lastAckedSequence = batch.lastSequence;
    if (baseOffset >= 0) {
      const last = baseOffset + batch.count - 1;
      if (last > pq.lastAckedOffset) pq.lastAckedOffset = last;
    }
    this.removeInFlightBatch(batch);
  }

  /** Java's maybeTransitionToErrorState: a failed batch or send is fatal, or makes the transaction abortable. */
  maybeTransitionToErrorState(error: ProducerError): void {
    const fatal = [ClusterAuthorizationError, TransactionalIdAuthorizationError, ProducerFencedError, UnsupportedVersionError];
    if (fatal.some((c) => error instanceof c) || (error instanceof KafkaApiError && (error.code === 31 || error.code === 53))) {
      this.transitionToFatalError(error);
    } else if (this.isTransactional) {
      if (this.canBumpEpoch() && !this.isCompleting()) this.epochBumpRequired = true;
      this.transitionToAbortableError(error);
    }
  }

  handleFailedBatch(batch: ProducerBatch, error: ProducerError, adjustSequenceNumbers: boolean): void {
    this.maybeTransitionToErrorState(error);
    this.removeInFlightBatch(batch);
    if (this.hasFatalError() || !batch.hasSequence) return;
    const pq = batch.pq;
    if (error instanceof OutOfOrderSequenceError && !this.isTransactional) {
      // A gap in the log: bump the epoch, which restarts the partition's sequences at 0.
      this.requestEpochBumpForPartition(pq);
    } else if (error instanceof UnknownProducerIdError) {
      pq.producerId = -1;
      pq.producerEpoch = -1;
      pq.nextSequence = 0;
      pq.lastAckedSequence = -1;
      this.unresolved.delete(pq);
    } else if (adjustSequenceNumbers) {
      if (!this.isTransactional) this.requestEpochBumpForPartition(pq);
      else adjustSequencesDueToFailedBatch(batch);
    }
  }

  /** Kafka's TransactionManager.canRetry for the idempotent producer. */
  canRetry(code: number, logStartOffset: number, batch: ProducerBatch): boolean {
    const pq = batch.pq;
    if (code === 59) {
      // UNKNOWN_PRODUCER_ID: the broker lost our state; retry, bumping the epoch when it is ours to fix.
      if (logStartOffset === -1) return true;
      if (batch.sequenceHasBeenReset) return true;
      if (pq.lastAckedOffset < logStartOffset) {
        // The log head was removed (retention): a transaction restarts the partition's sequences and carries on.
        if (this.isTransactional) startSequencesAtBeginning(pq, this.producerId, this.producerEpoch);
        else this.requestEpochBumpForPartition(pq);
        return true;
      }
      if (!this.isTransactional) {
        this.requestEpochBumpForPartition(pq);
        return true;
      }
    } else if (code === 45) {
      // OUT_OF_ORDER_SEQUENCE_NUMBER: if this batch is not the next one, an earlier batch failed and this is its echo.
      if (!this.unresolved.has(pq) && (batch.sequenceHasBeenReset || !isNextSequence(pq, batch.baseSequence))) return true;
      if (!this.isTransactional) {
        if (!this.unresolved.has(pq) || this.unresolved.get(pq) === batch.baseSequence) this.requestEpochBumpForPartition(pq);
        return true;
      }
    }
    return isRetriable(code);
  }

  markSequenceUnresolved(batch: ProducerBatch): void {
    const next = incrementSequence(batch.lastSequence, 1);
    const cur = this.unresolved.get(batch.pq);
    this.unresolved.set(batch.pq, cur === undefined ? next : Math.max(cur, next));
  }

  /** When an unresolved partition has nothing in flight: resolved if the acks caught up, else bump its epoch. */
  maybeResolveSequences(): void {
    for (const [pq] of this.unresolved) {
      if (pq.inflightBySequence.length > 0) continue;
      if (!isNextSequence(pq, pq.nextSequence)) {
        if (!this.isTransactional) this.requestEpochBumpForPartition(pq);
        else {
          const why = 'The client hasn\'t received acknowledgment for some previously sent messages and can no longer retry them.';
          if (this.canBumpEpoch()) {
            this.epochBumpRequired = true;
            this.transitionToAbortableError(new ProducerError(`${why} It is safe to abort the transaction and continue.`));
          } else {
            this.transitionToFatalError(new ProducerError(`${why} It isn't safe to continue.`));
          }
        }
      }
      this.unresolved.delete(pq);
    }
  }

  // ---- Transactions: state ----

  /** Java's transitionTo: refuse a transition its state machine does not have. */
  transitionTo(target: TransactionState, error: ProducerError | null = null): void {
    if (!isTransitionValid(this.state, target)) {
      throw new IllegalStateError(`TransactionalId ${this.transactionalId}: Invalid transition attempted from state ${this.state} to state ${target}`);
    }
    if (target === 'FATAL_ERROR' || target === 'ABORTABLE_ERROR') this.lastError = error;
    else this.lastError = null;
    this.state = target;
  }

  transitionToAbortableError(error: ProducerError): void {
    // Already aborting, fatal, or no transaction open (e.g. batches failed by a forced close): nothing to abort.
    if (!isTransitionValid(this.state, 'ABORTABLE_ERROR')) return;
    this.transitionTo('ABORTABLE_ERROR', error);
  }

  hasError(): boolean {
    return this.state === 'ABORTABLE_ERROR' || this.state === 'FATAL_ERROR';
  }

  hasAbortableError(): boolean {
    return this.state === 'ABORTABLE_ERROR';
  }

  isCompleting(): boolean {
    return this.state === 'COMMITTING_TRANSACTION' || this.state === 'ABORTING_TRANSACTION';
  }

  isAborting(): boolean {
    return this.state === 'ABORTING_TRANSACTION';
  }

  /** Java's hasOngoingTransaction: from beginTransaction until it completes (or a fatal error). */
  hasOngoingTransaction(): boolean {
    return this.state === 'IN_TRANSACTION' || this.isCompleting() || this.hasAbortableError();
  }

  canBumpEpoch(): boolean {
    return !this.isTransactional || this.coordinatorSupportsBumpingEpoch;
  }

  private ensureTransactional(): void {
    if (!this.isTransactional) throw new IllegalStateError('Transactional method invoked on a non-transactional producer.');
  }

  /** Java's maybeFailWithError: the error a transactional call gets while in an error state (null if none). */
  stateError(): ProducerError | null {
    if (!this.hasError()) return null;
    return errorInErrorState(this.lastError, `Producer with transactionalId '${this.transactionalId}' and ProducerIdAndEpoch(producerId=${this.producerId}, epoch=${this.producerEpoch})`);
  }

  private maybeFailWithError(): void {
    const e = this.stateError();
    if (e !== null) throw e;
  }

  private throwIfPendingState(operation: string): void {
    const p = this.pendingTransition;
    if (p === null) return;
    if (p.result.isAcked) {
      this.pendingTransition = null;
      return;
    }
    throw new IllegalStateError(`Cannot attempt operation \`${operation}\` because the previous call to \`${p.operation}\` has not completed (or timed out and must be retried)`);
  }

  /** Java's handleCachedTransactionRequestResult: a call repeated after a timeout waits on the same result. */
  private cachedResult(make: () => TransactionalRequestResult, nextState: TransactionState, operation: string): TransactionalRequestResult {
    this.ensureTransactional();
    const p = this.pendingTransition;
    if (p !== null) {
      if (p.result.isAcked) this.pendingTransition = null;
      else if (p.state !== nextState) {
        throw new IllegalStateError(`Cannot attempt operation \`${operation}\` because the previous call to \`${p.operation}\` has not completed (or timed out and must be retried)`);
      } else return p.result;
    }
    const result = make();
    this.pendingTransition = { result, state: nextState, operation };
    return result;
  }

  /**
   * Why a send cannot go now, or null. An idempotent producer refuses only after a fatal error; a
   * transactional one also outside a transaction, in an error state, or while a timed-out
   * commit/abort/init must be retried (Java's maybeAddPartition checks).
   */
  sendError(topic: string): ProducerError | null {
    if (!this.isTransactional) {
      if (this.state !== 'FATAL_ERROR') return null;
      return new ProducerError(`Cannot perform send because at least one previous idempotent request has failed with errors: ${this.lastError!.message}`, { cause: this.lastError });
    }
    const e = this.stateError();
    if (e !== null) return e;
    if (this.state === 'ABORTING_TRANSACTION') return new TransactionAbortedError(`Cannot send to ${topic}: the transaction is being aborted`);
    const p = this.pendingTransition;
    if (p !== null && !p.result.isAcked) {
      return new IllegalStateError(`Cannot attempt operation \`send\` because the previous call to \`${p.operation}\` has not completed (or timed out and must be retried)`);
    }
    if (!this.hasProducerId()) return new IllegalStateError(`Cannot add partitions of ${topic} to transaction before completing a call to initTransactions`);
    if (this.state !== 'IN_TRANSACTION') return new IllegalStateError(`Cannot add partitions of ${topic} to transaction while in state ${this.state}`);
    return null;
  }

  /** True when sendError would give an error (the cheap check send() makes first). */
  get refusesSends(): boolean {
    if (!this.isTransactional) return this.state === 'FATAL_ERROR';
    return this.state !== 'IN_TRANSACTION' || (this.pendingTransition !== null && !this.pendingTransition.result.isAcked);
  }

  /** A send failed before it became part of a batch (Java's doSend catch of ApiException). */
  maybeTransitionOnSendError(error: ProducerError): void {
    if (!this.isTransactional || this.state !== 'IN_TRANSACTION') return;
    if (error instanceof KafkaApiError || error.retriable || error.name === 'RecordTooLargeError') this.maybeTransitionToErrorState(error);
  }

  // ---- Transactions: the API calls (KafkaProducer's, without the waiting) ----

  initializeTransactions(epochBump = false): TransactionalRequestResult {
    this.maybeFailWithError();
    return this.cachedResult(
      () => {
        if (!epochBump) this.transitionTo('INITIALIZING');
        const h = new InitProducerIdHandler(this, new TransactionalRequestResult('InitProducerId'), epochBump);
        this.enqueue(h);
        return h.result;
      },
      'INITIALIZING',
      'initTransactions',
    );
  }

  beginTransaction(): void {
    this.ensureTransactional();
    this.throwIfPendingState('beginTransaction');
    this.maybeFailWithError();
    this.transitionTo('IN_TRANSACTION');
  }

  beginCommit(): TransactionalRequestResult {
    return this.cachedResult(
      () => {
        this.maybeFailWithError();
        this.transitionTo('COMMITTING_TRANSACTION');
        return this.beginCompletingTransaction(true);
      },
      'COMMITTING_TRANSACTION',
      'commitTransaction',
    );
  }

  beginAbort(): TransactionalRequestResult {
    return this.cachedResult(
      () => {
        if (this.state !== 'ABORTABLE_ERROR') this.maybeFailWithError();
        this.transitionTo('ABORTING_TRANSACTION');
        this.newPartitionsInTransaction.clear();
        return this.beginCompletingTransaction(false);
      },
      'ABORTING_TRANSACTION',
      'abortTransaction',
    );
  }

  private beginCompletingTransaction(commit: boolean): TransactionalRequestResult {
    if (this.newPartitionsInTransaction.size > 0) this.enqueue(this.addPartitionsHandler());
    // INVALID_PRODUCER_ID_MAPPING: the coordinator would refuse EndTxn, so only bump the epoch.
    if (!(this.lastError instanceof InvalidPidMappingError)) {
      const h = new EndTxnHandler(this, commit);
      this.enqueue(h);
      if (!this.epochBumpRequired) return h.result;
    }
    const bump = new InitProducerIdHandler(this, new TransactionalRequestResult('InitProducerId'), true);
    this.enqueue(bump);
    return bump.result;
  }

  sendOffsetsToTransaction(offsets: TxnOffset[], group: GroupMetadata): TransactionalRequestResult {
    this.ensureTransactional();
    this.throwIfPendingState('sendOffsetsToTransaction');
    this.maybeFailWithError();
    if (this.state !== 'IN_TRANSACTION') throw new IllegalStateError(`Cannot send offsets if a transaction is not in progress (currentState= ${this.state})`);
    const h = new AddOffsetsToTxnHandler(this, offsets, group);
    this.enqueue(h);
    return h.result;
  }

  /** A record goes to this partition in the transaction (the accumulator calls it for each new batch). */
  maybeAddPartition(pq: PartitionQueue): void {
    if (!this.isTransactional) return;
    const key = pq.name;
    if (this.partitionsInTransaction.has(key) || this.newPartitionsInTransaction.has(key) || this.pendingPartitionsInTransaction.has(key)) return;
    this.newPartitionsInTransaction.set(key, { topic: pq.topic, partition: pq.partition });
  }

  hasPartitionsToAdd(): boolean {
    return this.newPartitionsInTransaction.size > 0 || this.pendingPartitionsInTransaction.size > 0;
  }

  /** EndTxn succeeded (or there was nothing to end): back to READY, or INITIALIZING for an epoch bump. */
  completeTransaction(): void {
    this.transitionTo(this.epochBumpRequired ? 'INITIALIZING' : 'READY');
    this.lastError = null;
    this.epochBumpRequired = false;
    this.transactionStarted = false;
    this.newPartitionsInTransaction.clear();
    this.pendingPartitionsInTransaction.clear();
    this.partitionsInTransaction.clear();
  }

  /** A transactional InitProducerId answer: new id/epoch; after an epoch bump every partition's sequences restart at 0. */
  setTransactionalProducerIdAndEpoch(producerId: number, producerEpoch: number, epochBump: boolean): void {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.transitionTo('READY');
    this.lastError = null;
    if (epochBump) {
      this.epochBumps++;
      this.unresolved.clear();
      this.partitionsToRewrite.clear();
    }
  }

  // ---- Transactions: the request queue the Sender serves ----

  enqueue(h: TxnRequestHandler): void {
    const q = this.pendingRequests;
    let i = q.length;
    while (i > 0 && q[i - 1]!.priority > h.priority) i--;
    q.splice(i, 0, h);
  }

  /** Put a request taken by nextRequest back in front of its priority (it could not go yet). */
  requeue(h: TxnRequestHandler): void {
    const q = this.pendingRequests;
    let i = 0;
    while (i < q.length && q[i]!.priority < h.priority) i++;
    q.splice(i, 0, h);
  }

  /** close(): abort a transaction still open (or wait for the commit/abort under way); null if none. */
  abortForClose(onRefused: (e: Error) => void): TransactionalRequestResult | null {
    if (!this.isTransactional || !this.hasOngoingTransaction()) return null;
    if (this.isCompleting()) return this.pendingTransition?.result ?? null;
    try {
      return this.beginAbort();
    } catch (e) {
      onRefused(e as Error);
      return null;
    }
  }

  retry(h: TxnRequestHandler): void {
    h.isRetry = true;
    this.enqueue(h);
  }

  hasPendingRequests(): boolean {
    return this.pendingRequests.length > 0;
  }

  private addPartitionsHandler(): AddPartitionsToTxnHandler {
    for (const [k, tp] of this.newPartitionsInTransaction) this.pendingPartitionsInTransaction.set(k, tp);
    this.newPartitionsInTransaction.clear();
    return new AddPartitionsToTxnHandler(this, [...this.pendingPartitionsInTransaction.values()]);
  }

  /** Queue a FindCoordinator (key type 0 group, 1 transaction), forgetting the current one. */
  lookupCoordinator(type: CoordinatorType, key: string): void {
    if (type === 'group') this.groupCoordinator = null;
    else this.transactionCoordinator = null;
    this.enqueue(new FindCoordinatorHandler(this, type, key));
  }

  coordinator(type: CoordinatorType): CoordinatorNode | null {
    return type === 'group' ? this.groupCoordinator : this.transactionCoordinator;
  }

  /**
   * Java's nextRequest: the next coordinator request to send, or null. New partitions go into an
   * AddPartitionsToTxn first; EndTxn waits until no batch is incomplete; in an error state
   * requests fail instead of going out (a FindCoordinator still may, for an abort).
   */
  nextRequest(hasIncompleteBatches: boolean): TxnRequestHandler | null {
    if (this.newPartitionsInTransaction.size > 0) this.enqueue(this.addPartitionsHandler());
    let h: TxnRequestHandler | undefined = this.pendingRequests[0];
    if (h === undefined) return null;
    if (h.isEndTxn && hasIncompleteBatches) return null;
    this.pendingRequests.shift();
    if (this.hasError() && !(this.hasAbortableError() && h instanceof FindCoordinatorHandler)) {
      h.result.fail(this.lastError!);
      return null;
    }
    if (h.isEndTxn && !this.transactionStarted) {
      // Nothing was added to the transaction: no EndTxn to send.
      h.result.done();
      if (this.state !== 'FATAL_ERROR') this.completeTransaction();
      h = this.pendingRequests.shift();
      if (h === undefined) return null;
    }
    return h;
  }

  /** close(): fail every queued request and any pending transition. */
  close(error: ProducerError): void {
    for (const h of this.pendingRequests.splice(0)) h.fatalError(error);
    this.pendingTransition?.result.fail(error);
  }
}
