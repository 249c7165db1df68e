// Kafka's TransactionCoordinator (KIP-98, transaction version 1): InitProducerId with a
// transactional id, AddPartitionsToTxn (and its v4 verifyOnly form for partition leaders),
// AddOffsetsToTxn (through AddPartitionsToTxn), EndTxn, DescribeTransactions, ListTransactions,
// and the two timers: the abort of transactions past their timeout (with an epoch bump, which
// fences their producer) and the expiration of idle transactional ids.
//
// Every transition is prepared on the id's TransactionMetadata, written acks=all to its
// __transaction_state partition (TransactionStateManager), and answered once committed. EndTxn
// is answered once PrepareCommit/PrepareAbort is committed; the markers then go out
// (TransactionMarkerChannelManager) and CompleteCommit/CompleteAbort is written after the last.
// A partition loaded by a new coordinator resends the markers of its PrepareCommit/PrepareAbort
// transactions. Errors as Kafka 3.9 answers them; the API files map them down per version.
import type { Logger } from '../../logger.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { detach, guarded } from '../../util/CrashBoundary.js';
import { SYSTEM_TIME, type Time, type TimerHandle } from '../../util/Time.js';
import type { Partition } from '../Partition.js';
import type { CoordinatorNode } from '../group/CoordinatorRuntime.js';
import { TxnState, txnStateName } from './TransactionLog.js';
import { TransactionMarkerChannelManager, type MarkerChannelHost } from './TransactionMarkerChannelManager.js';
import { isEpochExhausted, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, tpOf, TransactionMetadata, type TxnTransit } from './TransactionMetadata.js';
import { TransactionStateManager, type TransactionStateHost, type TransactionStateSettings } from './TransactionStateManager.js';

/** How long a failed CompleteCommit/CompleteAbort write waits before it is tried again. */
const COMPLETION_RETRY_MS = 100;

export interface TransactionCoordinatorSettings extends TransactionStateSettings {
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  abortTimedOutTransactionsIntervalMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms */
  removeExpiredTransactionalIdsIntervalMs: number;
}

export interface TransactionCoordinatorHost extends TransactionStateHost, MarkerChannelHost {
  /** A fresh producer id (ProducerIdManager). */
  generateProducerId(): Promise<number>;
}

export interface InitProducerIdResult {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export interface TxnDescription {
  errorCode: number;
  transactionalId: string;
  transactionState: string;
  transactionTimeoutMs: number;
  transactionStartTimeMs: number;
  producerId: number;
  producerEpoch: number;
  topics: { topic: string; partitions: number[] }[];
}

export class TransactionCoordinator {
  readonly txnManager: TransactionStateManager;
  readonly markers: TransactionMarkerChannelManager;
  private abortTimer: TimerHandle | null = null;
  private expireTimer: TimerHandle | null = null;

  constructor(
    readonly settings: TransactionCoordinatorSettings,
    private readonly host: TransactionCoordinatorHost,
    private readonly log: Logger,
    /** The clock of transaction timeouts and id expiration (tests pass a MockTime). */
    readonly time: Time = SYSTEM_TIME,
    /** The clock of marker and completion retries (the broker's). */
    private readonly networkTime: Time = SYSTEM_TIME,
  ) {
    this.txnManager = new TransactionStateManager(settings, host, log, time);
    this.markers = new TransactionMarkerChannelManager(host, log.child('markers'), networkTime);
    this.txnManager.onPartitionLoaded = (index, epoch, txns) => this.onLoaded(index, epoch, txns);
    this.txnManager.onPartitionUnloaded = (index) => this.markers.removeMarkersForTxnTopicPartition(index);
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle, placement, leadership

  start(): void {
    this.txnManager.active = true;
    const every = (ms: number) => Math.max(1, Math.min(ms, 2 ** 31 - 1));
    this.abortTimer = this.time.setInterval(guarded(this.log, 'aborting timed-out transactions', () => this.abortTimedOutTransactions()), every(this.settings.abortTimedOutTransactionsIntervalMs));
    this.abortTimer.unref();
    this.expireTimer = this.time.setInterval(guarded(this.log, 'expiring transactional ids', () => this.removeExpiredTransactionalIds()), every(this.settings.removeExpiredTransactionalIdsIntervalMs));
    this.expireTimer.unref();
  }

  close(): void {
    this.txnManager.active = false;
    this.time.clear(this.abortTimer);
    this.time.clear(this.expireTimer);
    this.abortTimer = this.expireTimer = null;
    this.markers.close();
    this.txnManager.close();
  }

  /** FindCoordinator key type 1: the leader of the id's __transaction_state partition. */
  coordinatorFor(transactionalId: string): CoordinatorNode {
    return this.txnManager.coordinatorFor(transactionalId);
  }

  /** ReplicaManager's role-change callback. */
  onPartitionRoleChange(p: Partition, role: 'leader' | 'follower' | 'removed'): void {
    this.txnManager.onPartitionRoleChange(p, role);
  }

  private onLoaded(index: number, coordinatorEpoch: number, txns: TransactionMetadata[]): void {
    this.markers.removeMarkersForTxnTopicPartition(index);
    for (const m of txns) {
      if (m.state !== TxnState.PrepareCommit && m.state !== TxnState.PrepareAbort) continue;
      this.log.info(`completing ${m.describe()} loaded from the log`);
      this.sendMarkers(m, coordinatorEpoch, m.state === TxnState.PrepareCommit);
    }
  }

  // -------------------------------------------------------------------------------------------
  // InitProducerId

  async handleInitProducerId(transactionalId: string | null, timeoutMs: number, expected: { producerId: number; producerEpoch: number } | null): Promise<InitProducerIdResult> {
    const fail = (errorCode: number): InitProducerIdResult => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });
    if (transactionalId === null) {
      try {
        return { errorCode: ErrorCode.NONE, producerId: await this.host.generateProducerId(), producerEpoch: 0 };
      } catch (err) {
        return fail(err instanceof KafkaError ? err.code : ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
    }
    if (transactionalId === '') return fail(ErrorCode.INVALID_REQUEST);
    if (!this.txnManager.validateTransactionTimeoutMs(timeoutMs)) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);

    if (this.txnManager.partitionFor(transactionalId) < 0) {
      // No __transaction_state yet: have it created, as FindCoordinator does; the client retries.
      this.txnManager.coordinatorFor(transactionalId);
      return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    let found = this.txnManager.getTransactionState(transactionalId);
    if (found.errorCode !== ErrorCode.NONE || !('coordinatorEpoch' in found)) return fail(found.errorCode);
    if (!found.metadata) {
      let producerId: number;
      try {
        producerId = await this.host.generateProducerId();
      } catch (err) {
        return fail(err instanceof KafkaError ? err.code : ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
      // The id may have moved, or been created by another request, while the id was allocated.
      found = this.txnManager.getTransactionState(transactionalId);
      if (found.errorCode !== ErrorCode.NONE || !('coordinatorEpoch' in found)) return fail(found.errorCode);
      const created = new TransactionMetadata(transactionalId, { producerId, producerEpoch: NO_PRODUCER_EPOCH, timeoutMs, state: TxnState.Empty, startMs: -1, lastUpdateMs: this.time.now() });
      found = { ...found, metadata: this.txnManager.putTransactionStateIfNotExists(found.metadata ?? created) };
    }
    const { coordinatorEpoch } = found;
    const m = found.metadata!;

    // Kafka's prepareInitProducerIdTransit.
    const validProducerId = (e: { producerId: number; producerEpoch: number }) =>
      m.producerEpoch === NO_PRODUCER_EPOCH || e.producerId === m.producerId || (e.producerId === m.prevProducerId && isEpochExhausted(e.producerEpoch));
    if (m.pendingInProgress) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    if (expected && !validProducerId(expected)) return fail(ErrorCode.PRODUCER_FENCED);
    let transit: TxnTransit;
    switch (m.state) {
      case TxnState.PrepareAbort:
      case TxnState.PrepareCommit:
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      case TxnState.Ongoing: {
        // Fence the producer of the ongoing transaction and abort it; the client retries.
        const code = await this.fenceAndAbort(m);
        return fail(code === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : code);
      }
      case TxnState.Empty:
      case TxnState.CompleteCommit:
      case TxnState.CompleteAbort:
        if (m.isProducerEpochExhausted && (!expected || expected.producerEpoch === m.producerEpoch)) {
          let producerId: number;
          try {
            producerId = await this.host.generateProducerId();
          } catch (err) {
            return fail(err instanceof KafkaError ? err.code : ErrorCode.COORDINATOR_NOT_AVAILABLE);
          }
          // Other requests ran meanwhile: go on only if nothing moved.
          const again = this.txnManager.getTransactionState(transactionalId);
          if (!('coordinatorEpoch' in again) || again.coordinatorEpoch !== coordinatorEpoch || again.metadata !== m) return fail(ErrorCode.NOT_COORDINATOR);
          if (m.pendingInProgress || m.hasPendingTransaction) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
          transit = m.prepareProducerIdRotation(producerId, timeoutMs, this.time.now(), expected !== null);
        } else {
          const t = m.prepareIncrementProducerEpoch(timeoutMs, expected ? expected.producerEpoch : null, this.time.now());
          if (t === 'fenced') return fail(ErrorCode.PRODUCER_FENCED);
          transit = t;
        }
        break;
      default:
        this.log.error(`${transactionalId} is in state ${txnStateName(m.state)}, which InitProducerId never meets`);
        return fail(ErrorCode.UNKNOWN_SERVER_ERROR);
    }
    const code = await this.txnManager.appendTransactionToLog(m, coordinatorEpoch, transit);
    if (code !== ErrorCode.NONE) return fail(code);
    this.log.info(`initialized ${transactionalId}: producer id ${transit.producerId}, epoch ${transit.producerEpoch}`);
    return { errorCode: ErrorCode.NONE, producerId: transit.producerId, producerEpoch: transit.producerEpoch };
  }

  // -------------------------------------------------------------------------------------------
  // AddPartitionsToTxn, AddOffsetsToTxn, verification

  /** Add partitions (tpKey) to the ongoing transaction of the producer; NONE once written. */
  async handleAddPartitionsToTransaction(transactionalId: string, producerId: number, producerEpoch: number, partitions: string[]): Promise<number> {
    if (!transactionalId) return ErrorCode.INVALID_REQUEST;
    const found = this.txnManager.getTransactionState(transactionalId);
    if (found.errorCode !== ErrorCode.NONE || !('coordinatorEpoch' in found)) return found.errorCode;
    const m = found.metadata;
    if (!m || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (m.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (m.pendingInProgress) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (m.state === TxnState.Ongoing && partitions.every((p) => m.partitions.has(p))) return ErrorCode.NONE;
    const transit = m.prepareAddPartitions(partitions, this.time.now());
    return this.txnManager.appendTransactionToLog(m, found.coordinatorEpoch, transit);
  }

  /**
   * KIP-890 part 1 (AddPartitionsToTxn v4 verifyOnly, from partition leaders): whether each
   * partition is in the producer's ongoing transaction: NONE, or TRANSACTION_ABORTABLE for one
   * that is not; one error for all when the producer does not match.
   */
  handleVerifyPartitionsInTransaction(transactionalId: string, producerId: number, producerEpoch: number, partitions: string[]): Map<string, number> {
    const all = (code: number) => new Map(partitions.map((p) => [p, code]));
    if (!transactionalId) return all(ErrorCode.INVALID_REQUEST);
    const found = this.txnManager.getTransactionState(transactionalId);
    if (found.errorCode !== ErrorCode.NONE || !('coordinatorEpoch' in found)) return all(found.errorCode);
    const m = found.metadata;
    if (!m || m.producerId !== producerId) return all(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    if (m.producerEpoch !== producerEpoch) return all(ErrorCode.PRODUCER_FENCED);
    if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) return all(ErrorCode.CONCURRENT_TRANSACTIONS);
    return new Map(partitions.map((p) => [p, m.partitions.has(p) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE]));
  }

  // -------------------------------------------------------------------------------------------
  // EndTxn

  /** EndTxn from a client: NONE once PrepareCommit/PrepareAbort is written (markers follow). */
  handleEndTransaction(transactionalId: string, producerId: number, producerEpoch: number, commit: boolean): Promise<number> {
    return this.endTransaction(transactionalId, producerId, producerEpoch, commit, true);
  }

  /** Kafka's endTransaction (transaction version 1). `fromClient` false: a fence or timeout abort. */
  private async endTransaction(transactionalId: string, producerId: number, producerEpoch: number, commit: boolean, fromClient: boolean): Promise<number> {
    if (!transactionalId) return ErrorCode.INVALID_REQUEST;
    const found = this.txnManager.getTransactionState(transactionalId);
    if (found.errorCode !== ErrorCode.NONE || !('coordinatorEpoch' in found)) return found.errorCode;
    const m = found.metadata;
    if (!m || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    const validEpoch = (!fromClient || producerEpoch === m.producerEpoch) && producerEpoch >= m.producerEpoch;
    if (!validEpoch) return ErrorCode.PRODUCER_FENCED;
    if (m.pending !== null || (m.fencing && fromClient)) return ErrorCode.CONCURRENT_TRANSACTIONS;
    const invalid = () => {
      this.log.debug(`${transactionalId} is ${txnStateName(m.state)}: EndTxn ${commit ? 'commit' : 'abort'} is invalid`);
      return ErrorCode.INVALID_TXN_STATE;
    };
    switch (m.state) {
      case TxnState.Ongoing:
        break;
      case TxnState.CompleteCommit:
        return commit ? ErrorCode.NONE : invalid();
      case TxnState.CompleteAbort:
        return commit ? invalid() : ErrorCode.NONE;
      case TxnState.PrepareCommit:
        return commit ? ErrorCode.CONCURRENT_TRANSACTIONS : invalid();
      case TxnState.PrepareAbort:
        return commit ? invalid() : ErrorCode.CONCURRENT_TRANSACTIONS;
      case TxnState.Empty:
        return invalid();
      default:
        this.log.error(`${transactionalId} is in state ${txnStateName(m.state)}, which EndTxn never meets`);
        return ErrorCode.UNKNOWN_SERVER_ERROR;
    }
    const isEpochFence = m.fencing;
    const coordinatorEpoch = found.coordinatorEpoch;
    const transit = m.prepareAbortOrCommit(commit ? TxnState.PrepareCommit : TxnState.PrepareAbort, this.time.now());
    const code = await this.txnManager.appendTransactionToLog(m, coordinatorEpoch, transit);
    if (code !== ErrorCode.NONE) {
      if (isEpochFence) {
        m.hasFailedEpochFence = true;
        this.log.warn(`writing the epoch fence of ${transactionalId} failed (error ${code}); its epoch stays at ${m.producerEpoch}`);
      }
      return code;
    }
    // Kafka's sendTxnMarkersCallback: still ours at that epoch, in the state just written.
    const now = this.txnManager.getTransactionState(transactionalId);
    if (!('coordinatorEpoch' in now) || now.coordinatorEpoch !== coordinatorEpoch || now.metadata !== m) return ErrorCode.NOT_COORDINATOR;
    this.sendMarkers(m, coordinatorEpoch, commit);
    return ErrorCode.NONE;
  }

  /** Bump the epoch of an Ongoing transaction's producer (fencing it) and abort the transaction with the new epoch. */
  private fenceAndAbort(m: TransactionMetadata): Promise<number> {
    const epoch = m.fenceProducerEpoch();
    const ended = this.endTransaction(m.transactionalId, m.producerId, epoch, false, false);
    if (m.fencing) {
      // Refused before PrepareAbort was prepared: the bumped epoch stays, the next fence reuses it.
      m.fencing = false;
      m.hasFailedEpochFence = true;
    }
    return ended;
  }

  /** Send the markers of a PrepareCommit/PrepareAbort transaction, then write CompleteCommit/CompleteAbort. */
  private sendMarkers(m: TransactionMetadata, coordinatorEpoch: number, commit: boolean): void {
    const txnPartition = this.txnManager.partitionFor(m.transactionalId);
    const current = () => {
      const s = this.txnManager.getTransactionState(m.transactionalId);
      return 'coordinatorEpoch' in s && s.coordinatorEpoch === coordinatorEpoch && s.metadata === m;
    };
    const producerId = m.producerId;
    const producerEpoch = m.producerEpoch;
    // As Kafka: the completion is pending while the markers go out (other requests get CONCURRENT_TRANSACTIONS).
    const transit = m.prepareComplete(this.time.now());
    this.markers.addTxnMarkersToSend({
      metadata: m,
      txnPartition,
      coordinatorEpoch,
      producerId,
      producerEpoch,
      commit,
      current,
      done: () => this.writeCompletion(m, coordinatorEpoch, current, transit),
    });
  }

  /** Kafka's tryAppendToLog of the completion: retried while this coordinator still owns the transaction. */
  private writeCompletion(m: TransactionMetadata, coordinatorEpoch: number, current: () => boolean, prepared: TxnTransit | null): void {
    if (!current()) return;
    if (!prepared && m.pendingInProgress) {
      this.retryCompletion(m, coordinatorEpoch, current);
      return;
    }
    const transit = prepared ?? m.prepareComplete(this.time.now());
    const completed = this.txnManager.appendTransactionToLog(m, coordinatorEpoch, transit).then((code) => {
      if (code === ErrorCode.NONE) this.log.debug(`completed ${m.describe()}`);
      else if (code !== ErrorCode.NOT_COORDINATOR) this.retryCompletion(m, coordinatorEpoch, current);
    });
    detach(this.log, `completing ${m.transactionalId}`, completed);
  }

  private retryCompletion(m: TransactionMetadata, coordinatorEpoch: number, current: () => boolean): void {
    this.networkTime.setTimeout(guarded(this.log, `completing ${m.transactionalId}`, () => this.writeCompletion(m, coordinatorEpoch, current, null)), COMPLETION_RETRY_MS).unref();
  }

  // -------------------------------------------------------------------------------------------
  // Timers

  /** Abort every Ongoing transaction past its timeout, fencing its producer with an epoch bump. */
  abortTimedOutTransactions(): void {
    for (const m of this.txnManager.timedOutTransactions(this.time.now())) {
      if (m.pendingInProgress) continue;
      this.log.info(`aborting the transaction of ${m.transactionalId} (producer ${m.producerId}): it exceeded its timeout of ${m.timeoutMs} ms`);
      const aborted = this.fenceAndAbort(m).then((code) => {
        if (code !== ErrorCode.NONE) this.log.info(`the timeout abort of ${m.transactionalId} failed: error ${code}`);
      });
      detach(this.log, `aborting the timed-out transaction of ${m.transactionalId}`, aborted);
    }
  }

  /** Write tombstones for transactional ids idle beyond transactional.id.expiration.ms. */
  removeExpiredTransactionalIds(): void {
    for (const m of this.txnManager.expiredTransactionalIds(this.time.now())) {
      const found = this.txnManager.getTransactionState(m.transactionalId);
      if (!('coordinatorEpoch' in found) || found.metadata !== m) continue;
      const transit = m.prepareDead();
      const removed = this.txnManager.appendTransactionToLog(m, found.coordinatorEpoch, transit).then((code) => {
        if (code === ErrorCode.NONE) this.log.info(`transactional id ${m.transactionalId} expired`);
      });
      detach(this.log, `expiring transactional id ${m.transactionalId}`, removed);
    }
  }

  // -------------------------------------------------------------------------------------------
  // DescribeTransactions, ListTransactions

  describeTransaction(transactionalId: string): TxnDescription {
    const d: TxnDescription = { errorCode: ErrorCode.NONE, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] };
    if (!this.txnManager.active) return { ...d, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    if (transactionalId === '') return { ...d, errorCode: ErrorCode.INVALID_REQUEST };
    const found = this.txnManager.getTransactionState(transactionalId);
    if (found.errorCode !== ErrorCode.NONE || !('coordinatorEpoch' in found)) return { ...d, errorCode: found.errorCode };
    const m = found.metadata;
    if (!m || m.state === TxnState.Dead) return { ...d, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND };
    const topics = new Map<string, number[]>();
    for (const key of m.partitions) {
      const { topic, partition } = tpOf(key);
      topics.set(topic, [...(topics.get(topic) ?? []), partition]);
    }
    return {
      ...d,
      transactionState: txnStateName(m.state),
      transactionTimeoutMs: m.timeoutMs,
      transactionStartTimeMs: m.startMs,
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
    };
  }

  listTransactions(producerIds: number[], states: string[], durationMs: number): ReturnType<TransactionStateManager['listTransactions']> {
    if (!this.txnManager.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, unknownStateFilters: [], transactionStates: [] };
    return this.txnManager.listTransactions(producerIds, states, durationMs, this.time.now());
  }
}

