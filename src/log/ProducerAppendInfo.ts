// How a log's batches reach its idempotent producer state (Kafka's ProducerAppendInfo and
// UnifiedLog.rebuildProducerState): the leader's sequence/epoch check before an append, the
// update after every append (leader or follower), and the rebuild from a snapshot plus a replay
// of the batches after it on load and after a truncation. Plain functions over the batch bytes;
// UnifiedLog owns the ProducerStateManager and calls them.
// Transactions: a transactional batch opens the producer's transaction, an end marker (a control
// batch) closes it; an ABORT marker of a non-empty transaction yields the AbortedTxn entry for
// the segment's transaction index. A coordinator's batches (sequence -1) are checked for their
// epoch only, as Kafka does for AppendOrigin.COORDINATOR.
import type { Logger } from '../logger.js';
import { ControlRecordType, readControlRecord } from '../protocol/controlRecords.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import * as RB from '../protocol/recordBatch.js';
import type { AbortedTxn } from './TransactionIndex.js';
import { lastSequence, type BatchMetadata, type ProducerStateManager } from './ProducerStateManager.js';

/** Who wrote a leader append (Kafka's AppendOrigin; followers and recovery skip the checks). */
export type AppendOrigin = 'client' | 'coordinator';

/** Receives the index entry of each aborted (non-empty) transaction applied. */
export type AbortedTxnSink = (entry: AbortedTxn) => void;

function isEndMarker(buf: Buffer, p: number): { commit: boolean; coordinatorEpoch: number } | null {
  let rec;
  try {
    rec = readControlRecord(buf, p);
  } catch {
    return null; // not a control record we know: Kafka ignores unknown control types too
  }
  if (rec.type !== ControlRecordType.ABORT && rec.type !== ControlRecordType.COMMIT) return null;
  return { commit: rec.type === ControlRecordType.COMMIT, coordinatorEpoch: rec.coordinatorEpoch };
}

/**
 * Idempotence rules for the client batches of a leader append, checked against the state
 * before this append: the cached batch if the (single) batch is a retry, else null; throws
 * KafkaError on a stale epoch or a sequence gap.
 */
export function checkLeaderBatches(producerState: ProducerStateManager, records: Buffer, origin: AppendOrigin = 'client', nextOffset = 0): BatchMetadata | null {
  let duplicate: BatchMetadata | null = null;
  RB.forEachBatch(records, (p) => {
    const pid = RB.producerId(records, p);
    if (pid < 0) return;
    const epoch = RB.producerEpoch(records, p);
    const firstSeq = RB.baseSequence(records, p);
    if (RB.isControl(records, p)) {
      if (origin !== 'coordinator') throw new KafkaError(ErrorCode.INVALID_RECORD, 'Clients are not allowed to write control records');
      const marker = isEndMarker(records, p);
      if (marker) producerState.checkEndTxnMarker(pid, epoch, marker.coordinatorEpoch, nextOffset);
      return;
    }
    const entry = producerState.get(pid);
    if (origin === 'coordinator' && firstSeq < 0) {
      if (entry && epoch < entry.producerEpoch) {
        throw new KafkaError(ErrorCode.INVALID_PRODUCER_EPOCH, `Epoch of producer ${pid} is ${epoch}, which is smaller than the last seen epoch ${entry.producerEpoch}`);
      }
      return;
    }
    if (entry && entry.currentTxnFirstOffset >= 0 && !RB.isTransactional(records, p) && epoch >= entry.producerEpoch) {
      throw new KafkaError(ErrorCode.INVALID_TXN_STATE, `Expected transactional write from producer ${pid} at offset ${nextOffset}`);
    }
    const dup = producerState.checkLeaderBatch(pid, epoch, firstSeq, lastSequence(firstSeq, RB.lastOffsetDelta(records, p)));
    if (dup) duplicate = dup;
  });
  return duplicate;
}

/** Apply the batch at p to the producer state (no checks); an aborted transaction's index entry goes to `onAborted`. */
export function updateProducerState(producerState: ProducerStateManager, buf: Buffer, p: number, onAborted?: AbortedTxnSink): void {
  const pid = RB.producerId(buf, p);
  if (pid < 0) return;
  if (RB.isControl(buf, p)) {
    const marker = isEndMarker(buf, p);
    if (!marker) return;
    const offset = RB.baseOffset(buf, p);
    const completed = producerState.completeTxn(pid, RB.producerEpoch(buf, p), marker.coordinatorEpoch, offset, RB.maxTimestamp(buf, p), !marker.commit);
    if (completed?.isAborted && onAborted) {
      onAborted({ producerId: pid, firstOffset: completed.firstOffset, lastOffset: completed.lastOffset, lastStableOffset: producerState.lastStableOffsetAfter(completed) });
    }
    return;
  }
  const firstSeq = RB.baseSequence(buf, p);
  producerState.update(
    pid,
    RB.producerEpoch(buf, p),
    {
      firstSeq,
      lastSeq: firstSeq < 0 ? -1 : lastSequence(firstSeq, RB.lastOffsetDelta(buf, p)),
      firstOffset: RB.baseOffset(buf, p),
      lastOffset: RB.lastOffset(buf, p),
      timestamp: RB.maxTimestamp(buf, p),
    },
    RB.isTransactional(buf, p),
  );
}

/**
 * Producer state from the newest snapshot at or below the log end offset (or `snapshotAtMost`) plus a replay of
 * the batches after it (Kafka's LogLoader does the same). `read(offset)` returns the log's
 * whole batches from the one holding offset (null when there are none). `snapshotOffsets`: the
 * snapshots on disk when the caller has listed the directory (one listing at load).
 */
export function rebuildProducerState(
  pst: ProducerStateManager,
  read: (offset: number) => Buffer | null,
  logStartOffset: number,
  logEndOffset: number,
  logger: Logger,
  onAborted?: AbortedTxnSink,
  snapshotAtMost = logEndOffset,
  snapshotOffsets?: readonly number[],
): void {
  const kept = pst.deleteSnapshotsOutside(0, logEndOffset, snapshotOffsets);
  const from = Math.max(pst.loadLatestSnapshot(snapshotAtMost, kept), logStartOffset);
  let offset = from;
  let replayed = 0;
  while (offset < logEndOffset) {
    const records = read(offset);
    if (!records) break;
    RB.forEachBatch(records, (p) => {
      if (RB.lastOffset(records, p) >= offset) {
        updateProducerState(pst, records, p, onAborted);
        replayed++;
      }
      offset = RB.lastOffset(records, p) + 1;
    });
  }
  pst.evictBelow(logStartOffset);
  if (replayed > 0 || pst.size > 0) {
    logger.debug(`producer state: ${pst.size} producer(s), replayed ${replayed} batch(es) from offset ${from}`);
  }
}
