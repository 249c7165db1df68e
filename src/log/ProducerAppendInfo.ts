// How a log's batches reach its idempotent producer state (Kafka's ProducerAppendInfo and
// UnifiedLog.rebuildProducerState): the leader's sequence/epoch check before an append, the
// update after every append (leader or follower), and the rebuild from a snapshot plus a replay
// of the batches after it on load and after a truncation. Plain functions over the batch bytes;
// UnifiedLog owns the ProducerStateManager and calls them.
import type { Logger } from '../logger.js';
import * as RB from '../protocol/recordBatch.js';
import { lastSequence, type BatchMetadata, type ProducerStateManager } from './ProducerStateManager.js';

/**
 * Idempotence rules for the client batches of a leader append, checked against the state
 * before this append: the cached batch if the (single) batch is a retry, else null; throws
 * KafkaError on a stale epoch or a sequence gap.
 */
export function checkLeaderBatches(producerState: ProducerStateManager, records: Buffer): BatchMetadata | null {
  let duplicate: BatchMetadata | null = null;
  RB.forEachBatch(records, (p) => {
    const pid = RB.producerId(records, p);
    if (pid < 0) return;
    const firstSeq = RB.baseSequence(records, p);
    const dup = producerState.checkLeaderBatch(pid, RB.producerEpoch(records, p), firstSeq, lastSequence(firstSeq, RB.lastOffsetDelta(records, p)));
    if (dup) duplicate = dup;
  });
  return duplicate;
}

/** Apply the batch at p to the producer state (no checks). */
export function updateProducerState(producerState: ProducerStateManager, buf: Buffer, p: number): void {
  const pid = RB.producerId(buf, p);
  if (pid < 0 || RB.isControl(buf, p)) return;
  const firstSeq = RB.baseSequence(buf, p);
  producerState.update(pid, RB.producerEpoch(buf, p), {
    firstSeq,
    lastSeq: lastSequence(firstSeq, RB.lastOffsetDelta(buf, p)),
    firstOffset: RB.baseOffset(buf, p),
    lastOffset: RB.lastOffset(buf, p),
    timestamp: RB.maxTimestamp(buf, p),
  });
}

/**
 * Producer state from the newest snapshot at or below the log end offset plus a replay of
 * the batches after it (Kafka's LogLoader does the same). `read(offset)` returns the log's
 * whole batches from the one holding offset (null when there are none).
 */
export function rebuildProducerState(
  pst: ProducerStateManager,
  read: (offset: number) => Buffer | null,
  logStartOffset: number,
  logEndOffset: number,
  logger: Logger,
): void {
  pst.deleteSnapshotsOutside(0, logEndOffset);
  const from = Math.max(pst.loadLatestSnapshot(logEndOffset), logStartOffset);
  let offset = from;
  let replayed = 0;
  while (offset < logEndOffset) {
    const records = read(offset);
    if (!records) break;
    RB.forEachBatch(records, (p) => {
      if (RB.lastOffset(records, p) >= offset) {
        updateProducerState(pst, records, p);
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
