// Kafka's TransactionStateManager: the transactional ids of the __transaction_state partitions
// this broker leads, over the coordinator runtime (its second user after the group
// coordinator): placement abs(transactionalId.hashCode()) % partitions, loading on leadership
// (COORDINATOR_LOAD_IN_PROGRESS meanwhile), unloading when it moves, acks=all writes of
// TransactionLog records answered once committed.
//
// - The coordinator epoch of a transactional id is the leader epoch of its partition, as loaded.
// - appendTransactionToLog writes a prepared transition and completes it in memory once it is
//   committed at the same coordinator epoch; a failed write is abandoned and mapped to the error
//   Kafka answers (COORDINATOR_NOT_AVAILABLE for under-replication and timeouts, NOT_COORDINATOR
//   when leadership moved).
// - timedOutTransactions (Ongoing beyond its timeout) and expirable ids (Empty, CompleteCommit,
//   CompleteAbort idle for transactional.id.expiration.ms; written as tombstones) for the
//   coordinator's timers; listTransactions for ListTransactions.
import type { Logger } from '../../logger.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { Time } from '../../util/Time.js';
import type { Partition } from '../Partition.js';
import { codeOf, CoordinatorRuntime, type CoordinatorNode, type CoordinatorRuntimeHost, type CoordinatorShardHandler } from '../group/CoordinatorRuntime.js';
import { partitionForGroup } from '../group/GroupMetadataRecords.js';
import { TRANSACTION_STATE_TOPIC, txnRecordCodec, TxnState, txnStateName, txnStateOf, type StoredTransaction, type TxnLogRecord } from './TransactionLog.js';
import { storedOf, TransactionMetadata, type TxnTransit } from './TransactionMetadata.js';

export interface TransactionStateSettings {
  /** transactional.id.expiration.ms */
  transactionalIdExpirationMs: number;
  /** transaction.max.timeout.ms */
  maxTimeoutMs: number;
  /** offsets.commit.timeout.ms's counterpart: transaction.state.log's writes wait this long (request.timeout.ms in Kafka). */
  writeTimeoutMs: number;
  /** transaction.state.log.load.buffer.size */
  loadBufferSize: number;
}

/** The transaction state of a transactional id at its coordinator, or why it is not served here. */
export type TxnStateLookup = { errorCode: number } | { errorCode: 0; coordinatorEpoch: number; metadata: TransactionMetadata | undefined };

export interface TransactionStateHost extends CoordinatorRuntimeHost {
  /** Ask the controller to create __transaction_state (fire and forget). */
  createTransactionTopic(): void;
}

export class TransactionStateManager {
  readonly runtime: CoordinatorRuntime<TxnLogRecord>;
  /** Every transactional id of the partitions this broker leads (loaded or loading). */
  private readonly txns = new Map<string, TransactionMetadata>();
  /** What a loading partition's log says so far (the last record of each id). */
  private readonly loading = new Map<string, StoredTransaction | null>();
  /** Called once a partition is loaded, with its coordinator epoch and ids (the coordinator completes PrepareCommit/PrepareAbort). */
  onPartitionLoaded: (index: number, coordinatorEpoch: number, txns: TransactionMetadata[]) => void = () => {};
  /** Called when a partition is unloaded (the marker channel drops its pending markers). */
  onPartitionUnloaded: (index: number) => void = () => {};

  constructor(
    readonly settings: TransactionStateSettings,
    host: TransactionStateHost,
    private readonly log: Logger,
    time: Time,
  ) {
    const handler: CoordinatorShardHandler<TxnLogRecord> = {
      replay: (rec) => void this.loading.set(rec.transactionalId, rec.value),
      onLoaded: (index, partitionCount) => this.loaded(index, partitionCount),
      onUnloaded: (index, partitionCount) => this.unloaded(index, partitionCount),
    };
    this.runtime = new CoordinatorRuntime(host, { commitTimeoutMs: settings.writeTimeoutMs, loadBufferSize: settings.loadBufferSize }, handler, log, time, {
      name: TRANSACTION_STATE_TOPIC,
      partitionFor: partitionForGroup,
      create: () => host.createTransactionTopic(),
      codec: txnRecordCodec,
      unit: 'transactional ids',
    });
  }

  private loaded(index: number, partitionCount: number): string {
    const loaded: TransactionMetadata[] = [];
    for (const [id, v] of this.loading) {
      if (partitionForGroup(id, partitionCount) !== index) continue;
      this.loading.delete(id);
      if (v === null || v.state === TxnState.Dead) {
        this.txns.delete(id);
        continue;
      }
      const m = TransactionMetadata.fromStored(id, v);
      this.txns.set(id, m);
      loaded.push(m);
    }
    const epoch = this.runtime.loadedEpoch(index) ?? -1;
    const completing = loaded.filter((m) => m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort).length;
    this.onPartitionLoaded(index, epoch, loaded);
    return `${loaded.length} transactional ids (${completing} to complete), coordinator epoch ${epoch}`;
  }

  private unloaded(index: number, partitionCount: number): number {
    let n = 0;
    for (const id of [...this.txns.keys(), ...this.loading.keys()]) {
      if (partitionForGroup(id, partitionCount) !== index) continue;
      if (this.txns.delete(id)) n++;
      this.loading.delete(id);
    }
    this.onPartitionUnloaded(index);
    return n;
  }

  // -------------------------------------------------------------------------------------------
  // Placement and leadership

  get active(): boolean {
    return this.runtime.active;
  }

  set active(on: boolean) {
    this.runtime.active = on;
  }

  coordinatorFor(transactionalId: string): CoordinatorNode {
    return this.runtime.coordinatorFor(transactionalId);
  }

  partitionFor(transactionalId: string): number {
    return this.runtime.partitionFor(transactionalId);
  }

  onPartitionRoleChange(p: Partition, role: 'leader' | 'follower' | 'removed'): void {
    this.runtime.onPartitionRoleChange(p, role);
  }

  close(): void {
    this.runtime.close();
    this.txns.clear();
    this.loading.clear();
  }

  /** Kafka's getTransactionState: NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, … or the id's state (undefined when unknown). */
  getTransactionState(transactionalId: string): TxnStateLookup {
    const code = this.runtime.unavailable(transactionalId);
    if (code !== ErrorCode.NONE) return { errorCode: code };
    const coordinatorEpoch = this.runtime.loadedEpoch(this.runtime.partitionFor(transactionalId));
    if (coordinatorEpoch === undefined) return { errorCode: ErrorCode.NOT_COORDINATOR };
    return { errorCode: ErrorCode.NONE, coordinatorEpoch, metadata: this.txns.get(transactionalId) };
  }

  /** A new transactional id's metadata, unless another request created it first (that one is returned). */
  putTransactionStateIfNotExists(m: TransactionMetadata): TransactionMetadata {
    const existing = this.txns.get(m.transactionalId);
    if (existing) return existing;
    this.txns.set(m.transactionalId, m);
    return m;
  }

  validateTransactionTimeoutMs(timeoutMs: number): boolean {
    return timeoutMs > 0 && timeoutMs <= this.settings.maxTimeoutMs;
  }

  // -------------------------------------------------------------------------------------------
  // Writes

  /**
   * Write a prepared transition (acks=all) and, once committed at the same coordinator epoch,
   * complete it. Resolves NONE or the error to answer; the transition is abandoned on error.
   */
  async appendTransactionToLog(m: TransactionMetadata, coordinatorEpoch: number, transit: TxnTransit): Promise<number> {
    const id = m.transactionalId;
    const rec: TxnLogRecord = { transactionalId: id, value: transit.state === TxnState.Dead ? null : storedOf(transit) };
    let code: number;
    try {
      code = await this.runtime.append(id, [rec]);
    } catch (err) {
      code = codeOf(err);
    }
    code = appendErrorCode(code);
    const now = this.getTransactionState(id);
    const same = now.errorCode === ErrorCode.NONE && 'coordinatorEpoch' in now && now.coordinatorEpoch === coordinatorEpoch && now.metadata === m;
    if (code === ErrorCode.NONE && !same) code = ErrorCode.NOT_COORDINATOR;
    if (code !== ErrorCode.NONE) {
      m.abandon(transit);
      this.log.info(`writing ${txnStateName(transit.state)} for ${id} failed: error ${code}`);
      return code;
    }
    m.complete(transit);
    if (transit.state === TxnState.Dead) this.txns.delete(id);
    return ErrorCode.NONE;
  }

  // -------------------------------------------------------------------------------------------
  // What the coordinator's timers and list requests look at

  /** Ongoing transactions past their timeout, with no transition pending. */
  timedOutTransactions(now: number): TransactionMetadata[] {
    const out: TransactionMetadata[] = [];
    for (const m of this.loadedTxns()) {
      if (!m.pendingInProgress && m.state === TxnState.Ongoing && m.startMs + m.timeoutMs < now) out.push(m);
    }
    return out;
  }

  /** Ids idle for transactional.id.expiration.ms in Empty, CompleteCommit or CompleteAbort. */
  expiredTransactionalIds(now: number): TransactionMetadata[] {
    const expirable = (s: TxnState) => s === TxnState.Empty || s === TxnState.CompleteCommit || s === TxnState.CompleteAbort;
    return this.loadedTxns().filter((m) => !m.pendingInProgress && expirable(m.state) && m.lastUpdateMs <= now - this.settings.transactionalIdExpirationMs);
  }

  /** The ids of loaded partitions (not those still loading), with the coordinator epoch of each. */
  private loadedTxns(): TransactionMetadata[] {
    return [...this.txns.values()].filter((m) => this.getTransactionState(m.transactionalId).errorCode === ErrorCode.NONE);
  }

  /** ListTransactions (Kafka's listTransactionStates). */
  listTransactions(
    producerIds: number[],
    stateNames: string[],
    durationMs: number,
    now: number,
  ): { errorCode: number; unknownStateFilters: string[]; transactionStates: { transactionalId: string; producerId: number; transactionState: string }[] } {
    if (this.runtime.anyLoading) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, unknownStateFilters: [], transactionStates: [] };
    const states = new Set<TxnState>();
    const unknownStateFilters: string[] = [];
    for (const name of stateNames) {
      const s = txnStateOf(name);
      if (s === undefined) unknownStateFilters.push(name);
      else states.add(s);
    }
    const ids = new Set(producerIds);
    const include = (m: TransactionMetadata) =>
      m.state !== TxnState.Dead &&
      (ids.size === 0 || ids.has(m.producerId)) &&
      (stateNames.length === 0 || states.has(m.state)) &&
      !(durationMs >= 0 && now - m.startMs <= durationMs);
    const transactionStates = this.loadedTxns()
      .filter(include)
      .map((m) => ({ transactionalId: m.transactionalId, producerId: m.producerId, transactionState: txnStateName(m.state) }));
    return { errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates };
  }
}

/** Kafka's mapping of a failed __transaction_state append to the error a transaction API answers. */
export function appendErrorCode(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}
