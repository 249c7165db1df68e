// Per-partition sequence bookkeeping (Kafka's TxnPartitionMap / TxnPartitionEntry), kept on each
// PartitionQueue: the producer id/epoch its sequences belong to, the next sequence, the last
// acknowledged one, and the sent-but-unanswered batches in sequence order.
import { IllegalStateError } from './errors.js';
import type { ProducerBatch } from './ProducerBatch.js';
import type { PartitionQueue } from './RecordAccumulator.js';

const MAX_INT = 0x7fffffff;

/** A topic-partition of a transaction. */
export interface TxnPartition {
  topic: string;
  partition: number;
}

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from 2^31-1 to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > MAX_INT - increment) return increment - (MAX_INT - sequence) - 1;
  return sequence + increment;
}

/** Renumber a partition's in-flight batches from 0 under the given producer id/epoch. */
export function startSequencesAtBeginning(pq: PartitionQueue, producerId: number, producerEpoch: number): void {
  let seq = 0;
  for (const b of pq.inflightBySequence) {
    b.resetProducerState(producerId, producerEpoch, seq);
    seq = incrementSequence(seq, b.count);
  }
  pq.producerId = producerId;
  pq.producerEpoch = producerEpoch;
  pq.nextSequence = seq;
  pq.lastAckedSequence = -1;
}

/** Track a sent batch, in base sequence order. */
export function addInFlightBatch(batch: ProducerBatch): void {
  const list = batch.pq.inflightBySequence;
  let i = list.length;
  while (i > 0 && list[i - 1]!.baseSequence > batch.baseSequence) i--;
  list.splice(i, 0, batch);
}

export function removeInFlightBatch(batch: ProducerBatch): void {
  const list = batch.pq.inflightBySequence;
  const i = list.indexOf(batch);
  if (i >= 0) list.splice(i, 1);
}

export function isNextSequence(pq: PartitionQueue, sequence: number): boolean {
  return sequence - pq.lastAckedSequence === 1;
}

/** A transactional batch failed for good: later in-flight batches of its partition move down by its count. */
export function adjustSequencesDueToFailedBatch(failed: ProducerBatch): void {
  const pq = failed.pq;
  if (pq.producerId !== failed.producerId || pq.producerEpoch !== failed.producerEpoch) return;
  pq.nextSequence -= failed.count;
  if (pq.nextSequence < 0) pq.nextSequence += MAX_INT + 1;
  for (const b of pq.inflightBySequence) {
    if (b.baseSequence < failed.baseSequence) continue;
    const seq = b.baseSequence - failed.count;
    if (seq < 0) throw new IllegalStateError(`Sequence of ${pq.name} would become negative after failing a batch`);
    b.resetProducerState(b.producerId, b.producerEpoch, seq);
  }
}
