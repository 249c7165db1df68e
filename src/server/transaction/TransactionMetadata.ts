// One transactional id's state at its coordinator (Kafka's TransactionMetadata, transaction
// version 1): producer id and epoch, timeout, state, the partitions of the ongoing transaction,
// and at most one pending transition. A transition is prepared (`prepare*`, which checks that the
// target state may follow the current one and marks it pending), written to __transaction_state,
// and then completed (`complete`) or dropped (`abandon`). PrepareEpochFence is only ever pending:
// it turns into the PrepareAbort that aborts the fenced producer's transaction.
//
//   Empty          ← Empty, CompleteCommit, CompleteAbort       (InitProducerId)
//   Ongoing        ← Ongoing, Empty, CompleteCommit, CompleteAbort (AddPartitionsToTxn)
//   PrepareCommit  ← Ongoing                                    (EndTxn commit)
//   PrepareAbort   ← Ongoing, PrepareEpochFence                 (EndTxn abort, fencing, timeout)
//   CompleteCommit ← PrepareCommit; CompleteAbort ← PrepareAbort (markers written)
//   Dead           ← Empty, CompleteCommit, CompleteAbort       (transactional.id.expiration.ms)
//   PrepareEpochFence ← Ongoing
import { TxnState, txnStateName, type StoredTransaction } from './TransactionLog.js';

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
const SHORT_MAX = 32767;

/** Kafka's TransactionMetadata.isEpochExhausted: the epoch has reached Short.MaxValue - 1. */
export const isEpochExhausted = (epoch: number): boolean => epoch >= SHORT_MAX - 1;

const VALID_PREVIOUS: Record<TxnState, readonly TxnState[]> = {
  [TxnState.Empty]: [TxnState.Empty, TxnState.CompleteCommit, TxnState.CompleteAbort],
  [TxnState.Ongoing]: [TxnState.Ongoing, TxnState.Empty, TxnState.CompleteCommit, TxnState.CompleteAbort],
  [TxnState.PrepareCommit]: [TxnState.Ongoing],
  [TxnState.PrepareAbort]: [TxnState.Ongoing, TxnState.PrepareEpochFence],
  [TxnState.CompleteCommit]: [TxnState.PrepareCommit],
  [TxnState.CompleteAbort]: [TxnState.PrepareAbort],
  [TxnState.Dead]: [TxnState.Empty, TxnState.CompleteAbort, TxnState.CompleteCommit],
  [TxnState.PrepareEpochFence]: [TxnState.Ongoing],
};

/** A partition of a transaction, as a key: topic + NUL + partition index. */
export const tpKey = (topic: string, partition: number): string => `${topic}\0${partition}`;
export function tpOf(key: string): { topic: string; partition: number } {
  const i = key.lastIndexOf('\0');
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
}

/** The state a transition leads to (Kafka's TxnTransitMetadata). */
export interface TxnTransit {
  producerId: number;
  prevProducerId: number;
  producerEpoch: number;
  lastProducerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  partitions: ReadonlySet<string>;
  startMs: number;
  lastUpdateMs: number;
}

export class TransactionMetadata {
  producerId: number;
  prevProducerId = NO_PRODUCER_ID;
  producerEpoch: number;
  lastProducerEpoch = NO_PRODUCER_EPOCH;
  timeoutMs: number;
  state: TxnState;
  /** The partitions of the ongoing transaction (tpKey). */
  partitions = new Set<string>();
  startMs: number;
  lastUpdateMs: number;
  /** The transition being written, if any. */
  pending: TxnTransit | null = null;
  /** PrepareEpochFence is pending (a fence's abort is being prepared). */
  fencing = false;
  /** A fencing abort failed to be written after the epoch was bumped in memory: the next fence reuses that epoch. */
  hasFailedEpochFence = false;

  constructor(
    readonly transactionalId: string,
    init: { producerId: number; producerEpoch: number; timeoutMs: number; state: TxnState; startMs: number; lastUpdateMs: number },
  ) {
    this.producerId = init.producerId;
    this.producerEpoch = init.producerEpoch;
    this.timeoutMs = init.timeoutMs;
    this.state = init.state;
    this.startMs = init.startMs;
    this.lastUpdateMs = init.lastUpdateMs;
  }

  static fromStored(transactionalId: string, v: StoredTransaction): TransactionMetadata {
    const m = new TransactionMetadata(transactionalId, v);
    for (const [topic, parts] of v.partitions) for (const p of parts) m.partitions.add(tpKey(topic, p));
    return m;
  }

  get pendingInProgress(): boolean {
    return this.pending !== null || this.fencing;
  }

  get isProducerEpochExhausted(): boolean {
    return isEpochExhausted(this.producerEpoch);
  }

  /** Ongoing, PrepareCommit or PrepareAbort. */
  get hasPendingTransaction(): boolean {
    return this.state === TxnState.Ongoing || this.state === TxnState.PrepareCommit || this.state === TxnState.PrepareAbort;
  }

  private transitTo(state: TxnState, t: Partial<TxnTransit>, now: number): TxnTransit {
    if (this.pending) throw new Error(`${this.transactionalId}: transition to ${txnStateName(state)} while ${txnStateName(this.pending.state)} is pending`);
    if (!VALID_PREVIOUS[state].includes(this.state)) throw new Error(`${this.transactionalId}: ${txnStateName(state)} cannot follow ${txnStateName(this.state)}`);
    const transit: TxnTransit = {
      producerId: this.producerId,
      prevProducerId: this.producerId,
      producerEpoch: this.producerEpoch,
      lastProducerEpoch: this.lastProducerEpoch,
      timeoutMs: this.timeoutMs,
      state,
      partitions: new Set(this.partitions),
      startMs: this.startMs,
      lastUpdateMs: now,
      ...t,
    };
    this.pending = transit;
    return transit;
  }

  /**
   * InitProducerId: the epoch bumped (or a retry's answer repeated); KIP-360's expected epoch
   * when given. 'fenced' when it matches neither, or when a bump is due but the epoch is
   * exhausted (the caller rotates the producer id instead when the epochs match).
   */
  prepareIncrementProducerEpoch(timeoutMs: number, expectedEpoch: number | null, now: number): TxnTransit | 'fenced' {
    let next: number;
    let last: number;
    if (expectedEpoch === null) [next, last] = [this.producerEpoch + 1, NO_PRODUCER_EPOCH];
    else if (this.producerEpoch === NO_PRODUCER_EPOCH || expectedEpoch === this.producerEpoch) [next, last] = [this.producerEpoch + 1, this.producerEpoch];
    else if (expectedEpoch === this.lastProducerEpoch) [next, last] = [this.producerEpoch, this.lastProducerEpoch];
    else return 'fenced';
    // An exhausted epoch is rotated by the caller; a stale caller that would need one more bump is fenced.
    if (next !== this.producerEpoch && this.isProducerEpochExhausted) return 'fenced';
    return this.transitTo(TxnState.Empty, { producerEpoch: next, lastProducerEpoch: last, timeoutMs, partitions: new Set(), startMs: -1 }, now);
  }

  /** InitProducerId once the epoch is exhausted: a new producer id at epoch 0. */
  prepareProducerIdRotation(newProducerId: number, timeoutMs: number, now: number, recordLastEpoch: boolean): TxnTransit {
    if (this.hasPendingTransaction) throw new Error(`${this.transactionalId}: rotating the producer id during a transaction`);
    return this.transitTo(
      TxnState.Empty,
      { producerId: newProducerId, producerEpoch: 0, lastProducerEpoch: recordLastEpoch ? this.producerEpoch : NO_PRODUCER_EPOCH, timeoutMs, partitions: new Set(), startMs: -1 },
      now,
    );
  }

  /**
   * Fence the producer of an ongoing transaction (InitProducerId from a newer one, or its
   * timeout): the epoch is bumped in memory at once, and its transaction aborted with it.
   * Returns the epoch the abort is written with.
   */
  fenceProducerEpoch(): number {
    if (this.producerEpoch >= SHORT_MAX) throw new Error(`${this.transactionalId}: cannot fence epoch ${this.producerEpoch}`);
    if (this.pending) throw new Error(`${this.transactionalId}: fencing while ${txnStateName(this.pending.state)} is pending`);
    if (!VALID_PREVIOUS[TxnState.PrepareEpochFence].includes(this.state)) throw new Error(`${this.transactionalId}: fencing in state ${txnStateName(this.state)}`);
    if (!this.hasFailedEpochFence) this.producerEpoch++;
    this.lastProducerEpoch = NO_PRODUCER_EPOCH;
    this.fencing = true;
    return this.producerEpoch;
  }

  prepareAddPartitions(added: Iterable<string>, now: number): TxnTransit {
    const startMs = this.state === TxnState.Ongoing ? this.startMs : now;
    const partitions = new Set([...this.partitions, ...added]);
    return this.transitTo(TxnState.Ongoing, { partitions, startMs }, now);
  }

  /** EndTxn (or the abort of a fence, which ends the pending PrepareEpochFence). */
  prepareAbortOrCommit(state: typeof TxnState.PrepareCommit | typeof TxnState.PrepareAbort, now: number): TxnTransit {
    const t = this.transitTo(state, {}, now);
    this.fencing = false;
    return t;
  }

  /** Markers written: CompleteCommit / CompleteAbort, with no partitions. */
  prepareComplete(now: number): TxnTransit {
    this.hasFailedEpochFence = false;
    const state = this.state === TxnState.PrepareCommit ? TxnState.CompleteCommit : TxnState.CompleteAbort;
    return this.transitTo(state, { partitions: new Set() }, now);
  }

  /** transactional.id.expiration.ms: a tombstone follows. */
  prepareDead(): TxnTransit {
    return this.transitTo(TxnState.Dead, { partitions: new Set(), lastUpdateMs: this.lastUpdateMs }, this.lastUpdateMs);
  }

  /** The transition was written: take its state. */
  complete(t: TxnTransit): void {
    if (this.pending !== t) throw new Error(`${this.transactionalId}: completing a transition that is not pending`);
    this.pending = null;
    this.producerId = t.producerId;
    this.prevProducerId = t.state === TxnState.Empty ? t.prevProducerId : this.prevProducerId;
    this.producerEpoch = t.producerEpoch;
    this.lastProducerEpoch = t.lastProducerEpoch;
    this.timeoutMs = t.timeoutMs;
    this.state = t.state;
    this.partitions = new Set(t.partitions);
    this.startMs = t.startMs;
    this.lastUpdateMs = t.lastUpdateMs;
  }

  /** The transition was not written. */
  abandon(t: TxnTransit): void {
    if (this.pending === t) this.pending = null;
  }

  /** A partition's marker is written (or its topic is gone): it leaves the transaction. */
  removePartition(key: string): void {
    this.partitions.delete(key);
  }

  describe(): string {
    return `${this.transactionalId} (producer ${this.producerId} epoch ${this.producerEpoch}, ${txnStateName(this.state)})`;
  }
}

/** The record a transition writes. */
export function storedOf(t: TxnTransit): StoredTransaction {
  const partitions = new Map<string, number[]>();
  for (const key of t.partitions) {
    const { topic, partition } = tpOf(key);
    const list = partitions.get(topic);
    if (list) list.push(partition);
    else partitions.set(topic, [partition]);
  }
  return { producerId: t.producerId, producerEpoch: t.producerEpoch, timeoutMs: t.timeoutMs, state: t.state, partitions, lastUpdateMs: t.lastUpdateMs, startMs: t.startMs };
}
