// A partition's log (Kafka's UnifiedLog; LocalLog.ts holds its segments and recovery point,
// LogLoader.ts loads them, LogAppendInfo.ts gives appended batches their offsets,
// ProducerAppendInfo.ts feeds them to the producer state):
// offsets assigned in place on append, rolling, retention, DeleteRecords, truncation, flushing
// and crash recovery, keeping the log start offset, the producer state and the leader epochs in
// step with the segments under the all-or-nothing rules below.
//
// Files in the partition directory (the segments and recovery-point: see LocalLog.ts):
//   log-start-offset    decimal log start offset (written when it moves)
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
import { LogSegment } from './LogSegment.js';
import { readNumberCheckpoint, writeNumberCheckpoint } from './CheckpointFile.js';
import { bestEffort, LocalLog, RECOVERY_POINT_FILE, type ReadResult } from './LocalLog.js';
import { analyzeAndValidateRecords, assignOffsets, duplicateAppendInfo, type AppendInfo } from './LogAppendInfo.js';
import { epochsFromLog, loadSegments } from './LogLoader.js';
import { LeaderEpochFileCache } from './LeaderEpochFileCache.js';
import { ProducerStateManager } from './ProducerStateManager.js';
import { checkLeaderBatches, rebuildProducerState, updateProducerState, type AppendOrigin } from './ProducerAppendInfo.js';
import type { AbortedTxn } from './TransactionIndex.js';

export const LOG_START_OFFSET_FILE = 'log-start-offset';

export { RECOVERY_POINT_FILE, type ReadResult } from './LocalLog.js';
export type { AppendOrigin } from './ProducerAppendInfo.js';
export type { AppendInfo } from './LogAppendInfo.js';

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

export class UnifiedLog {
  private _logStartOffset = 0;
  readonly producerState: ProducerStateManager;
  readonly leaderEpochCache: LeaderEpochFileCache;
  /** Segments CRC-validated when the log was opened (0 after a clean shutdown). */
  recoveredSegments = 0;

  private constructor(
    private readonly local: LocalLog,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {
    this.producerState = new ProducerStateManager(local.dir);
    this.leaderEpochCache = new LeaderEpochFileCache(local.dir);
  }

  /** Open the log in dir (created if missing; null = in memory), running recovery. */
  static open(dir: string | null, config: LogConfig, opts: UnifiedLogOptions = {}): UnifiedLog {
    const now = opts.now ?? Date.now;
    const logger = opts.logger ?? createLogger('log').child(dir === null ? 'memory' : path.basename(dir));
    const openedAt = now(); // flush.ms counts from here until the first flush
    if (dir === null) return new UnifiedLog(new LocalLog(null, config, now, logger, [LogSegment.open(null, 0, config, now)], 0, openedAt), now, logger);
    // One listing of the directory serves the checkpoints, the segments and the producer snapshots.
    const names = listOrCreateDir(dir);
    const has = (file: string) => names.includes(file);
    const recoveryPoint = (has(RECOVERY_POINT_FILE) ? readNumberCheckpoint(path.join(dir, RECOVERY_POINT_FILE)) : null) ?? 0;
    const checkpointedStart = (has(LOG_START_OFFSET_FILE) ? readNumberCheckpoint(path.join(dir, LOG_START_OFFSET_FILE)) : null) ?? 0;
    const loaded = loadSegments(dir, names, config, now, logger, recoveryPoint, checkpointedStart, opts.hadCleanShutdown ?? false);
    const log = new UnifiedLog(new LocalLog(dir, config, now, logger, loaded.segments, recoveryPoint, openedAt), now, logger);
    log.recoveredSegments = loaded.recoveredSegments;
    log._logStartOffset = loaded.logStartOffset;
    log.recover(dir, names, recoveryPoint, checkpointedStart);
    return log;
  }

  // -------------------------------------------------------------------------------------------
  // Loading and recovery (after LogLoader's loadSegments)

  /** Restore the checkpoints and the state derived from the loaded segments (epochs, producer state, transaction indexes). */
  private recover(dir: string, names: readonly string[], recoveryPoint: number, checkpointedStart: number): void {
    this.bestEffort('flush after recovery', () => this.flush());
    if (checkpointedStart !== this._logStartOffset) this.bestEffort('log start offset checkpoint', () => this.writeLogStartOffset());
    const epochs = this.leaderEpochCache;
    if (epochs.corrupt !== null) {
      this.logger.warn(`${epochs.corrupt} in the leader epoch checkpoint: rebuilding it from the log`);
      epochs.reset(epochsFromLog(this.local.logSegments(), this._logStartOffset));
    }
    epochs.truncateFromEnd(this.logEndOffset, true); // an epoch that got no batch: the file waits for the next append
    epochs.truncateFromStart(this._logStartOffset);
    const leo = this.logEndOffset;
    let snapshots: number[] | undefined = this.producerState.snapshotOffsets(names);
    if (recoveryPoint < leo) {
      // Unflushed data (an unclean shutdown): the transaction indexes above the recovery point are
      // rebuilt from the batches, replayed from a snapshot at or below it (Kafka's recoverSegment).
      for (const seg of this.local.logSegments()) seg.txnIndex.truncateTo(recoveryPoint);
      if (snapshots.some((o) => o > recoveryPoint && o <= leo)) {
        const read = (offset: number) => this.read(offset, 1 << 20, leo, true).records;
        rebuildProducerState(new ProducerStateManager(dir), read, this._logStartOffset, leo, this.logger, this.onAbortedTxn, recoveryPoint, snapshots);
        snapshots = undefined; // that replay may have deleted some: list again
      }
    }
    this.rebuildProducerState(snapshots);
  }

  /** Run fn; a failure (a checkpoint or fsync on a full disk) is logged, not thrown. */
  private bestEffort(what: string, fn: () => void): void {
    bestEffort(this.logger, what, fn);
  }

  /** Rebuild the producer state from its newest usable snapshot and the batches after it. */
  private rebuildProducerState(snapshotOffsets?: readonly number[]): void {
    const leo = this.logEndOffset;
    rebuildProducerState(this.producerState, (offset) => this.read(offset, 1 << 20, leo, true).records, this._logStartOffset, leo, this.logger, this.onAbortedTxn, leo, snapshotOffsets);
  }

  /** An aborted transaction's entry goes to the index of the segment holding its marker (a replayed one already there is ignored). */
  private readonly onAbortedTxn = (e: AbortedTxn): void => {
    this.bestEffort('transaction index entry', () => this.local.floorSegment(e.lastOffset).txnIndex.append(e));
  };

  /** Smallest first offset of an open transaction, or of an ended one whose marker is at or above highWatermark (null: none). */
  firstUnstableOffset(highWatermark: number): number | null {
    const first = this.producerState.firstUnstableOffset(highWatermark);
    return first === null ? null : Math.max(first, this._logStartOffset); // as Kafka: never below the log start
  }

  /** Aborted transactions overlapping [startOffset, upperBoundOffset), from the segments' indexes (Kafka's collectAbortedTransactions). */
  collectAbortedTxns(startOffset: number, upperBoundOffset: number): AbortedTxn[] {
    return this.local.collectAbortedTxns(startOffset, upperBoundOffset);
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
    return this.local.logEndOffset;
  }

  /** Offset up to which the log is known flushed. */
  get recoveryPoint(): number {
    return this.local.recoveryPoint;
  }

  get dir(): string | null {
    return this.local.dir;
  }

  get config(): LogConfig {
    return this.local.config;
  }

  get activeSegment(): LogSegment {
    return this.local.activeSegment;
  }

  /** The segments, oldest first (do not mutate). */
  logSegments(): readonly LogSegment[] {
    return this.local.logSegments();
  }

  size(): number {
    return this.local.size();
  }

  segmentCount(): number {
    return this.local.logSegments().length;
  }

  updateConfig(c: LogConfig): void {
    this.local.updateConfig(c);
  }

  private ensureOpen(): void {
    this.local.ensureOpen();
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
    const logAppendTimeType = this.config.messageTimestampType === 'LogAppendTime';
    const duplicate = checkLeaderBatches(this.producerState, records, origin, this.logEndOffset);
    if (duplicate) return duplicateAppendInfo(duplicate, logAppendTimeType);
    const info = assignOffsets(records, this.logEndOffset, leaderEpoch, logAppendTimeType ? this.now() : -1);
    this.appendValidated(records, info, () => this.leaderEpochCache.assign(leaderEpoch, info.firstOffset));
    RB.forEachBatch(records, (p) => updateProducerState(this.producerState, records, p, this.onAbortedTxn));
    this.maybeFlushAfterAppend();
    return info;
  }

  /** Append batches that already carry offsets (replication): CRC-checked, must start at or after logEndOffset and increase. */
  appendAsFollower(records: Buffer): AppendInfo {
    this.ensureOpen();
    const info = analyzeAndValidateRecords(records, this.logEndOffset);
    if (info.batchCount === 0) return info;
    const data = info.validBytes === records.length ? records : records.subarray(0, info.validBytes);
    this.appendValidated(data, info, () => RB.forEachBatch(data, (p) => this.leaderEpochCache.assign(RB.partitionLeaderEpoch(data, p), RB.baseOffset(data, p))));
    RB.forEachBatch(data, (p) => updateProducerState(this.producerState, data, p, this.onAbortedTxn));
    this.maybeFlushAfterAppend();
    return info;
  }

  /**
   * The all-or-nothing part of an append (see the module comment): pending checkpoints, the epoch
   * entries (`assignEpochs`), the roll and the segment append. Throws with the log unchanged,
   * except for epoch entries at or before the log end, which are harmless (Kafka writes the new
   * leader's entry at the log end before any append, too).
   */
  private appendValidated(records: Buffer, info: AppendInfo, assignEpochs: () => void): void {
    if (records.length > this.config.segmentBytes) {
      throw new KafkaError(
        ErrorCode.RECORD_LIST_TOO_LARGE,
        `message batch size is ${records.length} bytes, exceeding the maximum configured segment size of ${this.config.segmentBytes}`,
      );
    }
    this.writePendingCheckpoints();
    try {
      assignEpochs();
      if (this.activeSegment.shouldRoll(this.config, records.length, info.maxTimestamp, info.lastOffset, this.now())) this.rollAt(info.firstOffset);
      this.local.append(records, info.recordCount);
    } catch (err) {
      // a follower's later batches may have added epochs past the log end: they are not in the log
      this.leaderEpochCache.truncateFromEnd(this.logEndOffset + 1);
      throw err;
    }
  }

  /** Checkpoints whose stale content could mislead recovery once the log grows: written before any append. */
  private writePendingCheckpoints(): void {
    this.leaderEpochCache.persistIfPending();
    this.local.writePendingRecoveryPoint();
  }

  /** flush.messages / flush.ms after a committed append: a failure cannot undo the append, so it is logged and retried. */
  private maybeFlushAfterAppend(): void {
    this.bestEffort('flush', () => this.maybeFlush());
  }

  // -------------------------------------------------------------------------------------------
  // Read

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
    return this.local.read(fetchOffset, maxBytes, maxOffset, minOneMessage);
  }

  /** ListOffsets by timestamp: the first record (offset >= logStartOffset) with timestamp >= ts. */
  fetchOffsetByTimestamp(ts: number): { offset: number; timestamp: number } | null {
    this.ensureOpen();
    for (const seg of this.local.logSegments()) {
      if (seg.nextOffset <= this._logStartOffset || seg.maxTimestampSoFar < ts) continue;
      const r = seg.findOffsetByTimestamp(ts, this._logStartOffset);
      if (r) return r;
    }
    return null;
  }

  /**
   * ListOffsets v0 (Kafka's legacyFetchOffsetsBefore): candidate offsets are each segment's base
   * offset (at least the log start) with the segment file's modification time, plus the log end
   * with the current time when the active segment holds data. Latest (-1) starts at the last
   * candidate, earliest (-2) at the first, a time at the last candidate modified at or before it;
   * at most maxNumOffsets offsets from there backwards, in descending order.
   */
  legacyFetchOffsetsBefore(timestamp: number, maxNumOffsets: number): number[] {
    this.ensureOpen();
    const candidates = this.local.logSegments().map((seg) => ({ offset: Math.max(seg.baseOffset, this._logStartOffset), time: seg.log.lastModified() }));
    if (this.activeSegment.size > 0) candidates.push({ offset: this.logEndOffset, time: this.now() });
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

  /** ListOffsets -3 (MAX_TIMESTAMP): offset and timestamp of the record with the largest timestamp. */
  fetchMaxTimestampOffset(): { offset: number; timestamp: number } | null {
    this.ensureOpen();
    let best: LogSegment | null = null;
    for (const seg of this.local.logSegments()) {
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
    return this.local.roll(newBase);
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
    const segments = this.local.logSegments();
    let count = 0;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      const next = segments[i + 1];
      const upperBound = next ? next.baseOffset : this.logEndOffset;
      if (upperBound > highWatermark) break;
      if (!next && seg.size === 0) break;
      if (!predicate(seg)) break;
      count++;
    }
    if (count === 0) return 0;
    if (count === segments.length) this.rollAt(this.logEndOffset);
    this.deleteSegments(count, reason);
    return count;
  }

  private deleteLogStartOffsetBreachedSegments(): number {
    const segments = this.local.logSegments();
    let count = 0;
    while (count < segments.length - 1 && segments[count + 1]!.baseOffset <= this._logStartOffset) count++;
    if (count > 0) this.deleteSegments(count, `log start offset ${this._logStartOffset}`);
    return count;
  }

  /** Delete the `count` oldest segments (never all of them) and advance the log start offset. */
  private deleteSegments(count: number, reason: string): void {
    const removed = this.local.deleteOldestSegments(count);
    this.logger.info(`deleted ${removed.length} segment(s) [${removed.map((s) => s.baseOffset).join(', ')}] (${reason})`);
    const first = this.local.logSegments()[0]!.baseOffset;
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
    if (offset < this._logStartOffset || offset <= this.local.logSegments()[0]!.baseOffset) {
      this.local.truncateFullyAndStartAt(Math.max(offset, 0));
      this._logStartOffset = Math.max(offset, 0);
      this.bestEffort('log start offset checkpoint', () => this.writeLogStartOffset());
    } else {
      this.local.truncateTo(offset);
    }
    if (this.recoveryPoint > this.logEndOffset) this.local.updateRecoveryPoint(this.logEndOffset); // a failed checkpoint is written before the next append
    this.leaderEpochCache.truncateFromEnd(this.logEndOffset);
    this.rebuildProducerState();
  }

  /** Drop the whole log and continue empty at `offset` (a follower behind the leader's log start). */
  truncateFullyAndStartAt(offset: number): void {
    this.ensureOpen();
    this.local.truncateFullyAndStartAt(offset);
    this._logStartOffset = offset;
    this.bestEffort('log start offset checkpoint', () => this.writeLogStartOffset());
    this.local.updateRecoveryPoint(offset);
    this.leaderEpochCache.clear();
    this.producerState.clear();
    this.producerState.deleteSnapshotsOutside(offset, offset);
  }

  // -------------------------------------------------------------------------------------------
  // Flush and lifecycle

  /** Flush when flush.messages messages were appended since the last flush or flush.ms has elapsed. */
  maybeFlush(now: number = this.now()): void {
    const unflushed = this.local.unflushedMessages;
    if (this.local.closed || unflushed === 0) return;
    if (unflushed >= this.config.flushMessages || now - this.local.lastFlushTime >= this.config.flushMs) this.flush();
  }

  /** fsync every segment with unflushed data and checkpoint the recovery point (= logEndOffset). */
  flush(): void {
    if (this.local.closed) return;
    this.leaderEpochCache.sync(); // the epochs of the batches about to become durable first
    this.local.flush();
  }

  /**
   * Flush and close the files. Never throws: a flush or snapshot that fails (disk full) only
   * means more recovery on the next open. Returns whether everything was flushed (the broker
   * writes its clean-shutdown marker only if every log was).
   */
  close(): boolean {
    if (this.local.closed) return true;
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
    this.local.close();
    return flushed;
  }

  /**
   * Close the files the way a crash leaves them: nothing flushed, no recovery point or producer
   * snapshot written, so the next open recovers from the last flushed point.
   */
  abandon(): void {
    this.local.closeHandlers();
  }

  /** Close and remove the directory (or drop the memory). */
  delete(): void {
    this.local.delete();
  }
}

/** The names in dir, creating it (empty) when missing. */
function listOrCreateDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    fs.mkdirSync(dir, { recursive: true });
    return [];
  }
}
