// The idempotent producer's state (the non-transactional half of Kafka's TransactionManager):
// producer id and epoch from InitProducerId, per-partition sequences, the sent-but-unanswered
// batches of each partition in sequence order, and the recovery rules — retry out-of-order
// answers that are only the echo of an earlier failure, resolve sequences of batches that
// expired in flight, and bump the epoch (locally, as Kafka's idempotent producer does) to start
// a partition's sequences again at 0 when a gap can no longer be closed.
import { KafkaApiError, OutOfOrderSequenceError, ProducerError, ProducerFencedError, UnknownProducerIdError, UnsupportedVersionError, isRetriable } from './errors.js';
import type { ProducerBatch } from './ProducerBatch.js';
import type { PartitionQueue } from './RecordAccumulator.js';

const MAX_EPOCH = 32767;
const MAX_INT = 0x7fffffff;

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from 2^31-1 to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > MAX_INT - increment) return increment - (MAX_INT - sequence) - 1;
  return sequence + increment;
}

export type IdempotenceState = 'UNINITIALIZED' | 'INITIALIZING' | 'READY' | 'FATAL_ERROR';

export class TransactionManager {
  producerId = -1;
  producerEpoch = -1;
  state: IdempotenceState = 'UNINITIALIZED';
  lastError: ProducerError | null = null;
  epochBumpRequired = false;
  epochBumps = 0;
  private readonly partitionsToRewrite = new Set<PartitionQueue>();
  /** Partitions where batches expired after being sent: their fate is unknown until the rest of their in-flight batches answer. */
  private readonly unresolved = new Map<PartitionQueue, number>();

  hasProducerId(): boolean {
    return this.producerId >= 0;
  }

  hasFatalError(): boolean {
    return this.state === 'FATAL_ERROR';
  }

  setProducerIdAndEpoch(producerId: number, producerEpoch: number): void {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.state = 'READY';
    this.lastError = null;
  }

  transitionToFatalError(error: ProducerError): void {
    this.state = 'FATAL_ERROR';
    this.lastError = error;
  }

  /** Kafka's bumpIdempotentEpochAndResetIdIfNeeded; true when an InitProducerId must be sent. */
  bumpIdempotentEpochAndResetIdIfNeeded(): boolean {
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
      this.startSequencesAtBeginning(pq);
      this.unresolved.delete(pq);
    }
    this.partitionsToRewrite.clear();
    this.epochBumpRequired = false;
  }

  requestEpochBumpForPartition(pq: PartitionQueue): void {
    this.epochBumpRequired = true;
    this.partitionsToRewrite.add(pq);
  }

  /** Renumber a partition's in-flight batches from 0 under the current producer id/epoch. */
  private startSequencesAtBeginning(pq: PartitionQueue): void {
    let seq = 0;
    for (const b of pq.inflightBySequence) {
      b.resetProducerState(this.producerId, this.producerEpoch, seq);
      seq = incrementSequence(seq, b.count);
    }
    pq.producerId = this.producerId;
    pq.producerEpoch = this.producerEpoch;
    pq.nextSequence = seq;
    pq.lastAckedSequence = -1;
  }

  private hasStaleProducerIdAndEpoch(pq: PartitionQueue): boolean {
    return pq.producerId !== this.producerId || pq.producerEpoch !== this.producerEpoch;
  }

  /** Kafka's shouldStopDrainBatchesForPartition: keep sequences in order across retries and epoch changes. */
  shouldStopDrain(first: ProducerBatch, pq: PartitionQueue): boolean {
    if (this.state === 'FATAL_ERROR' || !this.hasProducerId()) return true;
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
    if (this.hasStaleProducerIdAndEpoch(pq) && pq.inflightBySequence.length === 0) this.startSequencesAtBeginning(pq);
    batch.setProducerState(this.producerId, this.producerEpoch, pq.nextSequence);
    pq.nextSequence = incrementSequence(pq.nextSequence, batch.count);
    this.addInFlightBatch(batch);
  }

  private addInFlightBatch(batch: ProducerBatch): void {
    const list = batch.pq.inflightBySequence;
    let i = list.length;
    while (i > 0 && list[i - 1]!.baseSequence > batch.baseSequence) i--;
    list.splice(i, 0, batch);
  }

  removeInFlightBatch(batch: ProducerBatch): void {
    const list = batch.pq.inflightBySequence;
    const i = list.indexOf(batch);
    if (i >= 0) list.splice(i, 1);
  }

  /** A split batch's halves take over its sequence range. */
  replaceWithSplit(big: ProducerBatch, parts: ProducerBatch[]): void {
    this.removeInFlightBatch(big);
    let seq = big.baseSequence;
    for (const p of parts) {
      p.setProducerState(big.producerId, big.producerEpoch, seq);
      seq = incrementSequence(seq, p.count);
      this.addInFlightBatch(p);
    }
  }

  private isNextSequence(pq: PartitionQueue, sequence: number): boolean {
    return sequence - pq.lastAckedSequence === 1;
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

  handleFailedBatch(batch: ProducerBatch, error: ProducerError, adjustSequenceNumbers: boolean): void {
    if (error instanceof ProducerFencedError || error instanceof UnsupportedVersionError || (error instanceof KafkaApiError && error.code === 31)) {
      this.transitionToFatalError(error);
    }
    this.removeInFlightBatch(batch);
    if (this.hasFatalError()) return;
    const pq = batch.pq;
    if (error instanceof OutOfOrderSequenceError) {
      // A gap in the log: bump the epoch, which restarts the partition's sequences at 0.
      this.requestEpochBumpForPartition(pq);
    } else if (error instanceof UnknownProducerIdError) {
      pq.producerId = -1;
      pq.producerEpoch = -1;
      pq.nextSequence = 0;
      pq.lastAckedSequence = -1;
      this.unresolved.delete(pq);
    } else if (adjustSequenceNumbers) {
      this.requestEpochBumpForPartition(pq);
    }
  }

  /** Kafka's TransactionManager.canRetry for the idempotent producer. */
  canRetry(code: number, logStartOffset: number, batch: ProducerBatch): boolean {
    const pq = batch.pq;
    if (code === 59) {
      // UNKNOWN_PRODUCER_ID: the broker lost our state; retry, bumping the epoch when it is ours to fix.
      if (logStartOffset === -1) return true;
      if (batch.sequenceHasBeenReset) return true;
      this.requestEpochBumpForPartition(pq);
      return true;
    }
    if (code === 45) {
      // OUT_OF_ORDER_SEQUENCE_NUMBER: if this batch is not the next one, an earlier batch failed and this is its echo.
      if (!this.unresolved.has(pq) && (batch.sequenceHasBeenReset || !this.isNextSequence(pq, batch.baseSequence))) return true;
      if (!this.unresolved.has(pq) || this.unresolved.get(pq) === batch.baseSequence) this.requestEpochBumpForPartition(pq);
      return true;
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
      if (!this.isNextSequence(pq, pq.nextSequence)) this.requestEpochBumpForPartition(pq);
      this.unresolved.delete(pq);
    }
  }
}
