// What an append did (Kafka's LogAppendInfo), worked out from the batches before UnifiedLog
// writes them: a leader's batches get their offsets assigned in place (Kafka's
// LogValidator.assignOffsetsNonCompressed; minikafka never re-encodes), a follower's carry them
// and are checked to be whole, valid and after the log end (Kafka's analyzeAndValidateRecords).
// Nothing here touches the log.

import { ErrorCode, KafkaError } from '../protocol/errors.js';
import * as RB from '../protocol/recordBatch.js';
import type { BatchMetadata } from './ProducerStateManager.js';

export interface AppendInfo {
  firstOffset: number;
  lastOffset: number;
  /** The append time stamped into the batches for LogAppendTime topics, -1 for CreateTime. */
  logAppendTime: number;
  /** Largest batch maxTimestamp appended (the append time for LogAppendTime). */
  maxTimestamp: number;
  /** Base offset of the batch holding maxTimestamp. */
  offsetOfMaxTimestamp: number;
  recordCount: number;
  batchCount: number;
  validBytes: number;
  /** A retried idempotent batch already in the log: nothing was appended, offsets are the original ones. */
  duplicate?: boolean;
}

/** The answer to a retried idempotent batch: the original batch's offsets and timestamp, nothing appended. */
export function duplicateAppendInfo(duplicate: BatchMetadata, logAppendTimeType: boolean): AppendInfo {
  return {
    firstOffset: duplicate.firstOffset,
    lastOffset: duplicate.lastOffset,
    logAppendTime: logAppendTimeType ? duplicate.timestamp : -1,
    maxTimestamp: duplicate.timestamp,
    offsetOfMaxTimestamp: duplicate.firstOffset,
    recordCount: 0,
    batchCount: 0,
    validBytes: 0,
    duplicate: true,
  };
}

/**
 * A leader's validated client batches (one or more concatenated): offsets assigned in place from
 * firstOffset, partitionLeaderEpoch stamped, and the append time (and CRC) set when logAppendTime
 * is not -1. Throws INVALID_RECORD / CORRUPT_MESSAGE when the bytes are not whole batches.
 */
export function assignOffsets(records: Buffer, firstOffset: number, leaderEpoch: number, logAppendTime: number): AppendInfo {
  let offset = firstOffset;
  let maxTimestamp = -1;
  let offsetOfMaxTimestamp = firstOffset;
  let recordCount = 0;
  let batchCount = 0;
  const validBytes = RB.forEachBatch(records, (p) => {
    const delta = RB.lastOffsetDelta(records, p);
    if (delta < 0) throw new KafkaError(ErrorCode.INVALID_RECORD, `invalid lastOffsetDelta ${delta}`);
    RB.setBaseOffset(records, p, offset);
    RB.setPartitionLeaderEpoch(records, p, leaderEpoch);
    if (logAppendTime >= 0) RB.setLogAppendTime(records, p, logAppendTime);
    const ts = RB.maxTimestamp(records, p);
    if (ts > maxTimestamp) {
      maxTimestamp = ts;
      offsetOfMaxTimestamp = offset;
    }
    recordCount += RB.recordCount(records, p);
    batchCount++;
    offset += delta + 1;
  });
  if (batchCount === 0) throw new KafkaError(ErrorCode.INVALID_RECORD, 'no record batch to append');
  if (validBytes !== records.length) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `${records.length - validBytes} trailing bytes are not a whole batch`);
  return { firstOffset, lastOffset: offset - 1, logAppendTime, maxTimestamp, offsetOfMaxTimestamp, recordCount, batchCount, validBytes };
}

/**
 * A follower's batches, which carry their offsets: each must be magic v2 with a valid CRC and
 * start at or after logEndOffset and after the previous one. A trailing partial batch is not
 * counted (validBytes stops before it); no whole batch gives batchCount 0.
 */
export function analyzeAndValidateRecords(records: Buffer, logEndOffset: number): AppendInfo {
  let expected = logEndOffset;
  let firstOffset = -1;
  let lastOffset = -1;
  let maxTimestamp = -1;
  let offsetOfMaxTimestamp = -1;
  let recordCount = 0;
  let batchCount = 0;
  const validBytes = RB.forEachBatch(records, (p) => {
    if (RB.magic(records, p) !== RB.CURRENT_MAGIC) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `unsupported magic ${RB.magic(records, p)}`);
    if (!RB.isCrcValid(records, p)) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'record batch CRC mismatch');
    const base = RB.baseOffset(records, p);
    const last = RB.lastOffset(records, p);
    if (base < expected || last < base) {
      throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `unexpected append offset ${base} (log end offset ${logEndOffset}, expected >= ${expected})`);
    }
    if (firstOffset < 0) firstOffset = base;
    const ts = RB.maxTimestamp(records, p);
    if (ts > maxTimestamp) {
      maxTimestamp = ts;
      offsetOfMaxTimestamp = base;
    }
    recordCount += RB.recordCount(records, p);
    batchCount++;
    lastOffset = last;
    expected = last + 1;
  });
  if (batchCount === 0) return { firstOffset: logEndOffset, lastOffset: logEndOffset - 1, logAppendTime: -1, maxTimestamp: -1, offsetOfMaxTimestamp: -1, recordCount: 0, batchCount: 0, validBytes: 0 };
  return { firstOffset, lastOffset, logAppendTime: -1, maxTimestamp, offsetOfMaxTimestamp, recordCount, batchCount, validBytes };
}
