// A partition's log (Kafka's UnifiedLog + LocalLog; LogLoader.ts loads it, ProducerAppendInfo.ts
// feeds its batches to the producer state): an ordered list of segments in one directory (or in
// memory), offsets assigned in place on append, sparse indexes, rolling, retention,
// DeleteRecords, flushing and crash recovery. It stays one class a little past ~600 lines: every
// section moves the same few fields (segments, log start offset, recovery point, checkpoints)
// under the all-or-nothing rules below, which a split (Kafka's LocalLog) would spread over two.
//
// Files in the partition directory:
//   <20-digit base offset>.log / .index / .timeindex   one segment
//   recovery-point      decimal offset up to which everything was fsynced (written on flush/close)
//   log-start-offset    decimal log start offset (written when it moves)
//   <base offset>.txnindex  aborted transactions of a segment (TransactionIndex, if any)
//   <offset>.snapshot   producer state (idempotence, open transactions) as of an offset
//   leader-epoch-checkpoint  first offset of each leader epoch (LeaderEpochFileCache)
//
// All I/O is synchronous: the broker runs on one event loop, appends and reads hit the page cache.
//
// Disk full and I/O errors (issue 10; decided as the simpler of Kafka's two options): an append
// is all or nothing. Everything that can refuse it — a pending checkpoint rewrite, a new leader
// epoch's checkpoint, the roll (time index entry, producer snapshot, new segment files), the
// batch bytes and its index entries — happens before the producer state, the epoch cache or the
// log end offset change, and a failed segment write is cut back before anything else is written
// (LogSegment.append). The error reaches the broker, which answers KAFKA_STORAGE_ERROR; the log
// stays online: reads keep serving every acknowledged record, and appends succeed again as soon
// as the disk has room (no restart needed). Kafka instead takes the whole log dir offline
// (LogDirFailureChannel) until a restart; minikafka does not, because the failed append left
// nothing behind. Work after a committed append (the flush.messages/flush.ms fsync and the
// recovery-point checkpoint) cannot undo it: its failure is logged and retried by the next flush,
// and the records stay below the recovery point, so a restart re-validates them. Checkpoints that
// only summarise what the segments already say (log start offset after retention, a lowered
// recovery point, epoch truncations) are retried when they fail, and rewritten before the next
// append where a stale one could mislead recovery. A restart on a full disk opens and serves.

import fs from 'node:fs';
import path from 'node:path';
import { createLogger, type Logger } from '../logger.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import * as RB from '../protocol/recordBatch.js';
import type { LogConfig } from './LogConfig.js';
import { INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX, LogSegment, TIME_INDEX_FILE_SUFFIX } from './LogSegment.js';
import { readNumberCheckpoint, writeNumberCheckpoint } from './CheckpointFile.js';
import { epochsFromLog, loadSegments } from './LogLoader.js';
import { LeaderEpochFileCache } from './LeaderEpochFileCache.js';
import { ProducerStateManager } from './ProducerStateManager.js';
import { checkLeaderBatches, rebuildProducerState, updateProducerState, type AppendOrigin } from './ProducerAppendInfo.js';
import { TXN_INDEX_FILE_SUFFIX, type AbortedTxn } from './TransactionIndex.js';

export const RECOVERY_POINT_FILE = 'recovery-point';
export const LOG_START_OFFSET_FILE = 'log-start-offset';

export type { AppendOrigin } from './ProducerAppendInfo.js';

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

export interface UnifiedLogOptions {
  /** Clock (ms), injectable for tests. Default Date.now. */
  now?: () => number;
  logger?: Logger;
  /**
   * The broker found its clean-shutdown marker: every segment was flushed and the recovery point
   * checkpointed by close(), so loading validates nothing (Kafka's hadCleanShutdown).
   */
  hadCleanShutdown?: boolean;
}

export interface ReadResult {
  /** Whole batches (a slice read from the segment), or null when there is nothing to return. */
  records: Buffer | null;
  /** Base offset of the first returned batch (fetchOffset when none). */
  firstOffset: number;
}

export class UnifiedLog {
  private segments: LogSegment[] = [];
  private _logStartOffset = 0;
  private _recoveryPoint = 0;
  private writtenRecoveryPoint = -1;
  private unflushedMessages = 0;
  private lastFlushTime: number;
  private closed = false;
  private readonly now: () => number;
  private readonly logger: Logger;
  readonly producerState: ProducerStateManager;
  readonly leaderEpochCache: LeaderEpochFileCache;
  /** Segments CRC-validated when the log was opened (0 after a clean shutdown). */
  recoveredSegments = 0;

  private constructor(
    readonly dir: string | null,
    public config: LogConfig,
    opts: UnifiedLogOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.logger = opts.logger ?? createLogger('log').child(dir === null ? 'memory' : path.basename(dir));
    this.lastFlushTime = this.now();
    this.producerState = new ProducerStateManager(dir);
    this.leaderEpochCache = new LeaderEpochFileCache(dir);
  }

  /** Open the log in dir (created if missing; null = in memory), running recovery. */
  static open(dir: string | null, config: LogConfig, opts: UnifiedLogOptions = {}): UnifiedLog {
    const log = new UnifiedLog(dir, config, opts);
    if (dir === null) log.segments.push(LogSegment.open(null, 0, config, log.now));
    else log.load(dir, opts.hadCleanShutdown ?? false);
    return log;
  }

  // -------------------------------------------------------------------------------------------
  // Loading and recovery (Kafka's LogLoader)

  private load(dir: string, hadCleanShutdown: boolean): void {
    fs.mkdirSync(dir, { recursive: true });
    const recoveryPoint = readNumberCheckpoint(path.join(dir, RECOVERY_POINT_FILE)) ?? 0;
    const checkpointedStart = readNumberCheckpoint(path.join(dir, LOG_START_OFFSET_FILE)) ?? 0;

    const loaded = loadSegments(dir, this.config, this.now, this.logger, recoveryPoint, checkpointedStart, hadCleanShutdown);
    this.segments = loaded.segments;
    this.recoveredSegments = loaded.recoveredSegments;
    this._logStartOffset = loaded.logStartOffset;
    this._recoveryPoint = Math.min(recoveryPoint, this.logEndOffset);
    this.writtenRecoveryPoint = recoveryPoint;
    this.bestEffort('flush after recovery', () => this.flush());
    if (checkpointedStart !== this._logStartOffset) this.bestEffort('log start offset checkpoint', () => this.writeLogStartOffset());
    const epochs = this.leaderEpochCache;
    if (epochs.corrupt !== null) {
      this.logger.warn(`${epochs.corrupt} in the leader epoch checkpoint: rebuilding it from the log`);
      epochs.reset(epochsFromLog(this.segments, this._logStartOffset));
    }
    epochs.truncateFromEnd(this.logEndOffset, true); // an epoch that got no batch: the file waits for the next append
    epochs.truncateFromStart(this._logStartOffset);
    const leo = this.logEndOffset;
    if (recoveryPoint < leo) {
      // Unflushed data (an unclean shutdown): the transaction indexes above the recovery point are
      // rebuilt from the batches, replayed from a snapshot at or below it (Kafka's recoverSegment).
      for (const seg of this.segments) seg.txnIndex.truncateTo(recoveryPoint);
      if (this.producerState.snapshotOffsets().some((o) => o > recoveryPoint && o <= leo)) {
        const read = (offset: number) => this.read(offset, 1 << 20, leo, true).records;
        rebuildProducerState(new ProducerStateManager(dir), read, this._logStartOffset, leo, this.logger, this.onAbortedTxn, recoveryPoint);
      }
    }
    this.rebuildProducerState();
  }

  /** Run fn; a failure (a checkpoint or fsync on a full disk) is logged, not thrown. */
  private bestEffort(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error(`${what} failed (will retry): ${(err as Error).message}`);
    }
  }

  /** Rebuild the producer state from its newest usable snapshot and the batches after it. */
  private rebuildProducerState(): void {
    const leo = this.logEndOffset;
    rebuildProducerState(this.producerState, (offset) => this.read(offset, 1 << 20, leo, true).records, this._logStartOffset, leo, this.logger, this.onAbortedTxn);
  }

  /** An aborted transaction's entry goes to the index of the segment holding its marker (a replayed one already there is ignored). */
  private readonly onAbortedTxn = (e: AbortedTxn): void => {
    this.bestEffort('transaction index entry', () => this.segments[this.segmentIndexFor(e.lastOffset)]!.txnIndex.append(e));
  };

  /** Smallest first offset of an open transaction, or of an ended one whose marker is at or above highWatermark (null: none). */
  firstUnstableOffset(highWatermark: number): number | null {
    const first = this.producerState.firstUnstableOffset(highWatermark);
    return first === null ? null : Math.max(first, this._logStartOffset); // as Kafka: never below the log start
  }

  /** Aborted transactions overlapping [startOffset, upperBoundOffset), from the segments' indexes (Kafka's collectAbortedTransactions). */
  collectAbortedTxns(startOffset: number, upperBoundOffset: number): AbortedTxn[] {
    const out: AbortedTxn[] = [];
    for (let i = this.segmentIndexFor(startOffset); i < this.segments.length; i++) {
      const r = this.segments[i]!.txnIndex.collectAbortedTxns(startOffset, upperBoundOffset);
      out.push(...r.aborted);
      if (r.isComplete) break;
    }
    return out;
  }

  /** The latest leader epoch in the log and where a given epoch ends (OffsetForLeaderEpoch / Fetch divergence). */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    return this.leaderEpochCache.endOffsetFor(epoch, this.logEndOffset);
  }

  /** Forget idempotent producers idle for longer than expirationMs. */
  removeExpiredProducers(now: number, expirationMs: number): number {
    return this.producerState.removeExpired(now, expirationMs);
  }

  // -------------------------------------------------------------------------------------------
  // Accessors

  get logStartOffset(): number {
    return this._logStartOffset;
  }

  get logEndOffset(): number {
    return this.activeSegment.nextOffset;
  }

  /** Offset up to which the log is known flushed. */
  get recoveryPoint(): number {
    return this._recoveryPoint;
  }

  get activeSegment(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  /** The segments, oldest first (do not mutate). */
  logSegments(): readonly LogSegment[] {
    return this.segments;
  }

  size(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  segmentCount(): number {
    return this.segments.length;
  }

  updateConfig(c: LogConfig): void {
    this.config = c;
    this.activeSegment.indexIntervalBytes = c.indexIntervalBytes;
  }

  private ensureOpen(): void {
    if (this.closed) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.dir ?? '(memory)'} is closed`);
  }

  // -------------------------------------------------------------------------------------------
  // Append

  /**
   * Append validated client batches (one or more concatenated): assigns offsets in place from
   * logEndOffset, stamps partitionLeaderEpoch, and for LogAppendTime topics sets the append time
   * (and CRC). Never re-encodes.
   */
  appendAsLeader(records: Buffer, leaderEpoch: number, origin: AppendOrigin = 'client'): AppendInfo {
    this.ensureOpen();
    const duplicate = checkLeaderBatches(this.producerState, records, origin, this.logEndOffset);
    if (duplicate) {
      const appendTime = this.config.messageTimestampType === 'LogAppendTime' ? duplicate.timestamp : -1;
      return {
        firstOffset: duplicate.firstOffset,
        lastOffset: duplicate.lastOffset,
        logAppendTime: appendTime,
        maxTimestamp: duplicate.timestamp,
        offsetOfMaxTimestamp: duplicate.firstOffset,
        recordCount: 0,
        batchCount: 0,
        validBytes: 0,
        duplicate: true,
      };
    }
    const firstOffset = this.logEndOffset;
    const logAppendTime = this.config.messageTimestampType === 'LogAppendTime' ? this.now() : -1;
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
    this.appendValidated(records, firstOffset, offset - 1, maxTimestamp, recordCount, () => this.leaderEpochCache.assign(leaderEpoch, firstOffset));
    RB.forEachBatch(records, (p) => updateProducerState(this.producerState, records, p, this.onAbortedTxn));
    this.maybeFlushAfterAppend();
    return { firstOffset, lastOffset: offset - 1, logAppendTime, maxTimestamp, offsetOfMaxTimestamp, recordCount, batchCount, validBytes };
  }

  /** Append batches that already carry offsets (replication): CRC-checked, must start at or after logEndOffset and increase. */
  appendAsFollower(records: Buffer): AppendInfo {
    this.ensureOpen();
    let expected = this.logEndOffset;
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
        throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `unexpected append offset ${base} (log end offset ${this.logEndOffset}, expected >= ${expected})`);
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
    if (batchCount === 0) return { firstOffset: this.logEndOffset, lastOffset: this.logEndOffset - 1, logAppendTime: -1, maxTimestamp: -1, offsetOfMaxTimestamp: -1, recordCount: 0, batchCount: 0, validBytes: 0 };
    const data = validBytes === records.length ? records : records.subarray(0, validBytes);
    this.appendValidated(data, firstOffset, lastOffset, maxTimestamp, recordCount, () =>
      RB.forEachBatch(data, (p) => this.leaderEpochCache.assign(RB.partitionLeaderEpoch(data, p), RB.baseOffset(data, p))),
    );
    RB.forEachBatch(data, (p) => updateProducerState(this.producerState, data, p, this.onAbortedTxn));
    this.maybeFlushAfterAppend();
    return { firstOffset, lastOffset, logAppendTime: -1, maxTimestamp, offsetOfMaxTimestamp, recordCount, batchCount, validBytes };
  }

  /**
   * The all-or-nothing part of an append (see the module comment): pending checkpoints, the epoch
   * entries (`assignEpochs`), the roll and the segment append. Throws with the log unchanged,
   * except for epoch entries at or before the log end, which are harmless (Kafka writes the new
   * leader's entry at the log end before any append, too).
   */
  private appendValidated(records: Buffer, firstOffset: number, lastOffset: number, maxTimestamp: number, recordCount: number, assignEpochs: () => void): void {
    if (records.length > this.config.segmentBytes) {
      throw new KafkaError(
        ErrorCode.RECORD_LIST_TOO_LARGE,
        `message batch size is ${records.length} bytes, exceeding the maximum configured segment size of ${this.config.segmentBytes}`,
      );
    }
    this.writePendingCheckpoints();
    try {
      assignEpochs();
      const now = this.now();
      let seg = this.activeSegment;
      if (seg.shouldRoll(this.config, records.length, maxTimestamp, lastOffset, now)) seg = this.rollAt(firstOffset);
      seg.append(records);
    } catch (err) {
      // a follower's later batches may have added epochs past the log end: they are not in the log
      this.leaderEpochCache.truncateFromEnd(this.logEndOffset + 1);
      throw err;
    }
    this.unflushedMessages += recordCount;
  }

  /** Checkpoints whose stale content could mislead recovery once the log grows: written before any append. */
  private writePendingCheckpoints(): void {
    this.leaderEpochCache.persistIfPending();
    if (this.writtenRecoveryPoint > this._recoveryPoint) this.writeRecoveryPoint();
  }

  /** flush.messages / flush.ms after a committed append: a failure cannot undo the append, so it is logged and retried. */
  private maybeFlushAfterAppend(): void {
    this.bestEffort('flush', () => this.maybeFlush());
  }

  // -------------------------------------------------------------------------------------------
  // Read

  /** Index of the segment holding offset (the last one with baseOffset <= offset), 0 if below all. */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * Whole batches starting with the batch containing fetchOffset, up to maxBytes (at least one whole
   * batch when minOneMessage), never a batch whose baseOffset >= maxOffset. Reads one segment.
   */
  read(fetchOffset: number, maxBytes: number, maxOffset: number, minOneMessage: boolean): ReadResult {
    this.ensureOpen();
    const leo = this.logEndOffset;
    if (fetchOffset < this._logStartOffset || fetchOffset > leo) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `offset ${fetchOffset} is out of range: log start offset ${this._logStartOffset}, log end offset ${leo}`,
      );
    }
    if (fetchOffset === leo || fetchOffset >= maxOffset) return { records: null, firstOffset: fetchOffset };
    for (let i = this.segmentIndexFor(fetchOffset); i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      if (seg.baseOffset >= maxOffset) break;
      const r = seg.read(fetchOffset, maxBytes, maxOffset, minOneMessage);
      if (r) return r;
    }
    return { records: null, firstOffset: fetchOffset };
  }

  /** ListOffsets by timestamp: the first record (offset >= logStartOffset) with timestamp >= ts. */
  fetchOffsetByTimestamp(ts: number): { offset: number; timestamp: number } | null {
    this.ensureOpen();
    for (const seg of this.segments) {
      if (seg.nextOffset <= this._logStartOffset || seg.maxTimestampSoFar < ts) continue;
      const r = seg.findOffsetByTimestamp(ts, this._logStartOffset);
      if (r) return r;
    }
    return null;
  }

  /** ListOffsets -3 (MAX_TIMESTAMP): offset and timestamp of the record with the largest timestamp. */
  /**
   * ListOffsets v0 (Kafka's legacyFetchOffsetsBefore): candidate offsets are each segment's base
   * offset (at least the log start) with the segment file's modification time, plus the log end
   * with the current time when the active segment holds data. Latest (-1) starts at the last
   * candidate, earliest (-2) at the first, a time at the last candidate modified at or before it;
   * at most maxNumOffsets offsets from there backwards, in descending order.
   */
  legacyFetchOffsetsBefore(timestamp: number, maxNumOffsets: number): number[] {
    this.ensureOpen();
    const candidates = this.segments.map((seg) => ({ offset: Math.max(seg.baseOffset, this._logStartOffset), time: seg.log.lastModified() }));
    if (this.segments[this.segments.length - 1]!.size > 0) candidates.push({ offset: this.logEndOffset, time: this.now() });
    let start: number;
    if (timestamp === -1) start = candidates.length - 1;
    else if (timestamp === -2) start = 0;
    else {
      start = candidates.length - 1;
      while (start >= 0 && candidates[start]!.time > timestamp) start--;
    }
    const out: number[] = [];
    for (let i = start; i >= 0 && out.length < maxNumOffsets; i--) out.push(candidates[i]!.offset);
    return out.sort((x, y) => y - x);
  }

  fetchMaxTimestampOffset(): { offset: number; timestamp: number } | null {
    this.ensureOpen();
    let best: LogSegment | null = null;
    for (const seg of this.segments) {
      if (seg.maxTimestampSoFar >= 0 && (best === null || seg.maxTimestampSoFar > best.maxTimestampSoFar)) best = seg;
    }
    return best === null ? null : best.findMaxTimestampOffset();
  }

  // -------------------------------------------------------------------------------------------
  // Rolling

  /** Roll a new active segment at logEndOffset (no-op when the active segment is empty). */
  roll(): void {
    this.ensureOpen();
    this.rollAt(this.logEndOffset);
  }

  /**
   * Every step that can fail (the old segment's last time index entry, the producer snapshot, the
   * new files) happens before the segment list changes; a failure leaves the old active segment
   * active and the roll is retried by the next append.
   */
  private rollAt(expectedNextOffset: number): LogSegment {
    const newBase = Math.max(expectedNextOffset, this.logEndOffset);
    const active = this.activeSegment;
    if (active.size === 0 && active.baseOffset === newBase) return active;
    if (active.size > 0) {
      active.onBecomeInactiveSegment();
      this.producerState.takeSnapshot(newBase);
    }
    if (this.dir !== null) {
      const prefix = path.join(this.dir, String(newBase).padStart(20, '0'));
      for (const suffix of [LOG_FILE_SUFFIX, INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, TXN_INDEX_FILE_SUFFIX]) fs.rmSync(prefix + suffix, { force: true });
    }
    const seg = LogSegment.open(this.dir, newBase, this.config, this.now);
    if (active.size === 0) {
      // an empty active segment at the wrong base (follower gap): replace it
      this.segments.pop();
      active.delete();
    }
    this.segments.push(seg);
    this.logger.debug(`rolled new segment at offset ${newBase}`);
    return seg;
  }

  // -------------------------------------------------------------------------------------------
  // Deletion: DeleteRecords and retention

  /** DeleteRecords: logStartOffset := max(current, offset); deletes segments wholly below it. Returns the new log start offset. */
  deleteRecordsBefore(offset: number): number {
    this.ensureOpen();
    if (offset < 0 || offset > this.logEndOffset) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `cannot delete records before offset ${offset}: log start offset ${this._logStartOffset}, log end offset ${this.logEndOffset}`,
      );
    }
    if (offset > this._logStartOffset) {
      this.writeLogStartOffset(offset); // first: a DeleteRecords that cannot be recorded changes nothing
      this._logStartOffset = offset;
      this.producerState.evictBelow(offset);
      this.leaderEpochCache.truncateFromStart(offset);
    }
    this.deleteLogStartOffsetBreachedSegments();
    return this._logStartOffset;
  }

  /**
   * Retention (cleanup.policy=delete): delete the oldest segments whose largest timestamp is older
   * than retention.ms, then while the log is larger than retention.bytes; then segments wholly
   * below the log start offset. As in Kafka, when every segment is deletable a new empty active
   * segment is rolled first, so everything may go. Only segments wholly below highWatermark are
   * eligible. Returns the number of segments deleted.
   */
  applyRetention(now: number = this.now(), highWatermark = Infinity): number {
    this.ensureOpen();
    let deleted = 0;
    if (this.config.deleteEnabled) {
      const retentionMs = this.config.retentionMs;
      if (retentionMs >= 0) deleted += this.deleteOldSegments((seg) => now - seg.largestTimestamp() > retentionMs, highWatermark, 'retention.ms');
      const retentionBytes = this.config.retentionBytes;
      if (retentionBytes >= 0) {
        let diff = this.size() - retentionBytes;
        deleted += this.deleteOldSegments(
          (seg) => {
            if (diff - seg.size >= 0) {
              diff -= seg.size;
              return true;
            }
            return false;
          },
          highWatermark,
          'retention.bytes',
        );
      }
    }
    deleted += this.deleteLogStartOffsetBreachedSegments();
    return deleted;
  }

  private deleteOldSegments(predicate: (seg: LogSegment) => boolean, highWatermark: number, reason: string): number {
    let count = 0;
    for (let i = 0; i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      const next = this.segments[i + 1];
      const upperBound = next ? next.baseOffset : this.logEndOffset;
      if (upperBound > highWatermark) break;
      if (!next && seg.size === 0) break;
      if (!predicate(seg)) break;
      count++;
    }
    if (count === 0) return 0;
    if (count === this.segments.length) this.rollAt(this.logEndOffset);
    this.deleteSegments(count, reason);
    return count;
  }

  private deleteLogStartOffsetBreachedSegments(): number {
    let count = 0;
    while (count < this.segments.length - 1 && this.segments[count + 1]!.baseOffset <= this._logStartOffset) count++;
    if (count > 0) this.deleteSegments(count, `log start offset ${this._logStartOffset}`);
    return count;
  }

  /** Delete the `count` oldest segments (never all of them) and advance the log start offset. */
  private deleteSegments(count: number, reason: string): void {
    const removed = this.segments.splice(0, Math.min(count, this.segments.length - 1));
    for (const s of removed) s.delete();
    this.logger.info(`deleted ${removed.length} segment(s) [${removed.map((s) => s.baseOffset).join(', ')}] (${reason})`);
    const first = this.segments[0]!.baseOffset;
    if (first > this._logStartOffset) {
      this._logStartOffset = first;
      // the first segment's base offset says the same on the next load: a failure only delays the file
      this.bestEffort('log start offset checkpoint', () => this.writeLogStartOffset());
      this.producerState.evictBelow(first);
      this.leaderEpochCache.truncateFromStart(first);
    }
    this.producerState.deleteSnapshotsOutside(first, Number.MAX_SAFE_INTEGER);
  }

  private writeLogStartOffset(offset = this._logStartOffset): void {
    if (this.dir !== null) writeNumberCheckpoint(path.join(this.dir, LOG_START_OFFSET_FILE), offset);
  }

  // -------------------------------------------------------------------------------------------
  // Truncation (replication)

  /** Drop everything at offsets >= offset (a batch straddling offset is dropped whole). */
  truncateTo(offset: number): void {
    this.ensureOpen();
    if (offset >= this.logEndOffset) {
      // No record goes, but an epoch that starts at the end (a leadership with no writes yet) does, as in Kafka.
      this.leaderEpochCache.truncateFromEnd(offset);
      return;
    }
    if (offset < this._logStartOffset || offset <= this.segments[0]!.baseOffset) {
      for (const s of this.segments.splice(0)) s.delete();
      this.segments.push(LogSegment.open(this.dir, Math.max(offset, 0), this.config, this.now));
      this._logStartOffset = Math.max(offset, 0);
      this.bestEffort('log start offset checkpoint', () => this.writeLogStartOffset());
    } else {
      while (this.activeSegment.baseOffset >= offset) this.segments.pop()!.delete();
      this.activeSegment.truncateTo(offset);
    }
    if (this._recoveryPoint > this.logEndOffset) {
      this._recoveryPoint = this.logEndOffset;
      this.bestEffort('recovery point checkpoint', () => this.writeRecoveryPoint()); // else written before the next append
    }
    this.leaderEpochCache.truncateFromEnd(this.logEndOffset);
    this.rebuildProducerState();
  }

  /** Drop the whole log and continue empty at `offset` (a follower behind the leader's log start). */
  truncateFullyAndStartAt(offset: number): void {
    this.ensureOpen();
    for (const s of this.segments.splice(0)) s.delete();
    this.segments.push(LogSegment.open(this.dir, offset, this.config, this.now));
    this._logStartOffset = offset;
    this.bestEffort('log start offset checkpoint', () => this.writeLogStartOffset());
    this._recoveryPoint = offset;
    this.bestEffort('recovery point checkpoint', () => this.writeRecoveryPoint());
    this.leaderEpochCache.clear();
    this.producerState.clear();
    this.producerState.deleteSnapshotsOutside(offset, offset);
  }

  // -------------------------------------------------------------------------------------------
  // Flush and lifecycle

  /** Flush when flush.messages messages were appended since the last flush or flush.ms has elapsed. */
  maybeFlush(now: number = this.now()): void {
    if (this.closed || this.unflushedMessages === 0) return;
    if (this.unflushedMessages >= this.config.flushMessages || now - this.lastFlushTime >= this.config.flushMs) this.flush();
  }

  /** fsync every segment with unflushed data and checkpoint the recovery point (= logEndOffset). */
  flush(): void {
    if (this.closed) return;
    this.leaderEpochCache.sync(); // the epochs of the batches about to become durable first
    for (const s of this.segments) s.flush();
    this._recoveryPoint = this.logEndOffset;
    this.writeRecoveryPoint();
    this.unflushedMessages = 0;
    this.lastFlushTime = this.now();
  }

  private writeRecoveryPoint(): void {
    if (this.dir === null || this.writtenRecoveryPoint === this._recoveryPoint) return;
    writeNumberCheckpoint(path.join(this.dir, RECOVERY_POINT_FILE), this._recoveryPoint);
    this.writtenRecoveryPoint = this._recoveryPoint;
  }

  /**
   * Flush and close the files. Never throws: a flush or snapshot that fails (disk full) only
   * means more recovery on the next open. Returns whether everything was flushed (the broker
   * writes its clean-shutdown marker only if every log was).
   */
  close(): boolean {
    if (this.closed) return true;
    let flushed = true;
    this.bestEffort('flush on close', () => {
      flushed = false;
      this.flush();
      flushed = true;
    });
    // A snapshot at the log end already holds this state (nothing appended since): not rewritten.
    this.bestEffort('producer snapshot on close', () => {
      if (this.producerState.snapshotOffsets().at(-1) !== this.logEndOffset) this.producerState.takeSnapshot(this.logEndOffset);
    });
    for (const s of this.segments) this.bestEffort(`closing segment ${s.baseOffset}`, () => s.close());
    this.closed = true;
    return flushed;
  }

  /**
   * Close the files the way a crash leaves them: nothing flushed, no recovery point or producer
   * snapshot written, so the next open recovers from the last flushed point.
   */
  abandon(): void {
    if (this.closed) return;
    for (const s of this.segments) s.close();
    this.closed = true;
  }

  /** Close and remove the directory (or drop the memory). */
  delete(): void {
    if (!this.closed) {
      for (const s of this.segments) s.close();
      this.closed = true;
    }
    if (this.dir !== null) fs.rmSync(this.dir, { recursive: true, force: true });
    else for (const s of this.segments) s.delete();
    this.segments = [LogSegment.open(null, this.logEndOffsetOr0(), this.config, this.now)];
  }

  private logEndOffsetOr0(): number {
    return this.segments.length > 0 ? this.activeSegment.nextOffset : 0;
  }
}
