// A partition's segments in one directory, or in memory (Kafka's LocalLog): the ordered segment
// list, the recovery point and flushing, reads across segments, rolling a new segment, cutting
// segments back, and closing or deleting the files. It knows nothing of the log start offset,
// the producer state or the leader epochs: UnifiedLog keeps those and decides the order of the
// steps of every append, roll and truncation (its module comment says why the order matters).
//
// Files in the partition directory (UnifiedLog's own files are listed in UnifiedLog.ts):
//   <20-digit base offset>.log / .index / .timeindex / .txnindex   one segment (LogSegment)
//   recovery-point      decimal offset up to which everything was fsynced (written on flush/close)

import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { writeNumberCheckpoint } from './CheckpointFile.js';
import type { LogConfig } from './LogConfig.js';
import { INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX, LogSegment, TIME_INDEX_FILE_SUFFIX } from './LogSegment.js';
import { TXN_INDEX_FILE_SUFFIX, type AbortedTxn } from './TransactionIndex.js';

export const RECOVERY_POINT_FILE = 'recovery-point';

export interface ReadResult {
  /** Whole batches (a slice read from the segment), or null when there is nothing to return. */
  records: Buffer | null;
  /** Base offset of the first returned batch (fetchOffset when none). */
  firstOffset: number;
}

/** Run fn; a failure (a checkpoint or fsync on a full disk) is logged, not thrown. */
export function bestEffort(logger: Logger, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    logger.error(`${what} failed (will retry): ${(err as Error).message}`);
  }
}

export class LocalLog {
  private _recoveryPoint: number;
  private writtenRecoveryPoint: number;
  private _unflushedMessages = 0;
  private _lastFlushTime: number;
  private _closed = false;

  /**
   * `segments`: at least one, oldest first (LogLoader's result, or one empty in-memory segment).
   * `recoveryPoint`: the checkpointed one; the log keeps it no higher than its log end offset.
   */
  constructor(
    readonly dir: string | null,
    public config: LogConfig,
    private readonly now: () => number,
    private readonly logger: Logger,
    private segments: LogSegment[],
    recoveryPoint: number,
    lastFlushTime: number,
  ) {
    this._recoveryPoint = Math.min(recoveryPoint, this.logEndOffset);
    this.writtenRecoveryPoint = recoveryPoint;
    this._lastFlushTime = lastFlushTime;
  }

  get logEndOffset(): number {
    return this.activeSegment.nextOffset;
  }

  /** Offset up to which the log is known flushed. */
  get recoveryPoint(): number {
    return this._recoveryPoint;
  }

  /** Messages appended since the last flush. */
  get unflushedMessages(): number {
    return this._unflushedMessages;
  }

  get lastFlushTime(): number {
    return this._lastFlushTime;
  }

  get closed(): boolean {
    return this._closed;
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

  updateConfig(c: LogConfig): void {
    this.config = c;
    this.activeSegment.indexIntervalBytes = c.indexIntervalBytes;
  }

  ensureOpen(): void {
    if (this._closed) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.dir ?? '(memory)'} is closed`);
  }

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

  /** The segment holding offset (the first one if offset is below all). */
  floorSegment(offset: number): LogSegment {
    return this.segments[this.segmentIndexFor(offset)]!;
  }

  /**
   * Whole batches starting with the batch containing fetchOffset (which the caller checked to be
   * in range), as UnifiedLog.read describes. Reads one segment.
   */
  read(fetchOffset: number, maxBytes: number, maxOffset: number, minOneMessage: boolean): ReadResult {
    if (fetchOffset === this.logEndOffset || fetchOffset >= maxOffset) return { records: null, firstOffset: fetchOffset };
    for (let i = this.segmentIndexFor(fetchOffset); i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      if (seg.baseOffset >= maxOffset) break;
      const r = seg.read(fetchOffset, maxBytes, maxOffset, minOneMessage);
      if (r) return r;
    }
    return { records: null, firstOffset: fetchOffset };
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

  /**
   * Make a new segment at newBase the active one (stale files at that base are removed first). An
   * empty active segment at another base (a follower gap) is replaced. The new files are created
   * before the list changes: a failure leaves the old active segment active.
   */
  roll(newBase: number): LogSegment {
    const active = this.activeSegment;
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

  /** Append batches to the active segment (all or nothing: LogSegment.append). */
  append(records: Buffer, recordCount: number): void {
    this.activeSegment.append(records);
    this._unflushedMessages += recordCount;
  }

  /** Delete the `count` oldest segments (never the last one); returns them. */
  deleteOldestSegments(count: number): LogSegment[] {
    const removed = this.segments.splice(0, Math.min(count, this.segments.length - 1));
    for (const s of removed) s.delete();
    return removed;
  }

  /** Drop everything at offsets >= offset, which is above the first segment's base offset (a batch straddling it goes whole). */
  truncateTo(offset: number): void {
    while (this.activeSegment.baseOffset >= offset) this.segments.pop()!.delete();
    this.activeSegment.truncateTo(offset);
  }

  /** Delete every segment and continue with one empty segment at offset. */
  truncateFullyAndStartAt(offset: number): void {
    for (const s of this.segments.splice(0)) s.delete();
    this.segments.push(LogSegment.open(this.dir, offset, this.config, this.now));
  }

  /** Move the recovery point (after a truncation); a failed checkpoint is written before the next append or by the next flush. */
  updateRecoveryPoint(offset: number): void {
    this._recoveryPoint = offset;
    bestEffort(this.logger, 'recovery point checkpoint', () => this.writeRecoveryPoint());
  }

  /** A recovery point lowered by a truncation whose checkpoint failed: written before the log grows again. */
  writePendingRecoveryPoint(): void {
    if (this.writtenRecoveryPoint > this._recoveryPoint) this.writeRecoveryPoint();
  }

  /** fsync every segment with unflushed data and checkpoint the recovery point (= logEndOffset). */
  flush(): void {
    for (const s of this.segments) s.flush();
    this._recoveryPoint = this.logEndOffset;
    this.writeRecoveryPoint();
    this._unflushedMessages = 0;
    this._lastFlushTime = this.now();
  }

  private writeRecoveryPoint(): void {
    if (this.dir === null || this.writtenRecoveryPoint === this._recoveryPoint) return;
    writeNumberCheckpoint(path.join(this.dir, RECOVERY_POINT_FILE), this._recoveryPoint);
    this.writtenRecoveryPoint = this._recoveryPoint;
  }

  /** Close every segment's files; a failure is logged. */
  close(): void {
    for (const s of this.segments) bestEffort(this.logger, `closing segment ${s.baseOffset}`, () => s.close());
    this._closed = true;
  }

  /** Close the files as they are (nothing flushed), as a crash leaves them. */
  closeHandlers(): void {
    if (this._closed) return;
    for (const s of this.segments) s.close();
    this._closed = true;
  }

  /** Close and remove the directory (or drop the memory); an empty in-memory segment stays. */
  delete(): void {
    if (!this._closed) {
      for (const s of this.segments) s.close();
      this._closed = true;
    }
    if (this.dir !== null) fs.rmSync(this.dir, { recursive: true, force: true });
    else for (const s of this.segments) s.delete();
    this.segments = [LogSegment.open(null, this.logEndOffsetOr0(), this.config, this.now)];
  }

  private logEndOffsetOr0(): number {
    return this.segments.length > 0 ? this.activeSegment.nextOffset : 0;
  }
}
