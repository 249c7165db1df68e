// One segment of a partition log (Kafka's LogSegment): the .log bytes (batches as on the wire,
// offsets assigned), a sparse OffsetIndex, a sparse TimeIndex and the aborted-transaction index
// (TransactionIndex, its file made on the first ABORT marker). Works on files or in memory.

import fs from 'node:fs';
import path from 'node:path';
import * as RB from '../protocol/recordBatch.js';
import type { RecordsStore } from './FileRecords.js';
import { FileRecords, MemoryRecords } from './FileRecords.js';
import type { LogConfig } from './LogConfig.js';
import { maybeFailWrite, writeFaultsArmed } from './LogIO.js';
import { OffsetIndex } from './OffsetIndex.js';
import { TimeIndex } from './TimeIndex.js';
import { TransactionIndex, TXN_INDEX_FILE_SUFFIX } from './TransactionIndex.js';

export const LOG_FILE_SUFFIX = '.log';
export const INDEX_FILE_SUFFIX = '.index';
export const TIME_INDEX_FILE_SUFFIX = '.timeindex';

const INT32_MAX = 0x7fffffff;
const SCAN_CHUNK_WHOLE = 64 * 1024; // recovery: whole batches, CRC-checked
const SCAN_CHUNK_HEADERS = 8 * 1024; // lookups: only headers are needed
const MIN_BATCH_LENGTH = RB.BATCH_HEADER_SIZE - RB.LOG_OVERHEAD;

/** 20-digit zero-padded offset, as Kafka names segment files. */
export function filenamePrefixFromOffset(offset: number): string {
  return String(offset).padStart(20, '0');
}

/** Header facts about one batch of a segment. */
export interface BatchPosition {
  /** File position of the batch start. */
  pos: number;
  /** Whole size (batchLength + 12). */
  size: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  compression: number;
}

/** A batch seen by a scan: its bytes are buf[off, off + size) (or at least the 61-byte header when scanning headers only). */
interface ScanBatch extends BatchPosition {
  buf: Buffer;
  off: number;
}

export interface ScanResult {
  /** Position after the last accepted batch. */
  end: number;
  /** Why the scan stopped before the end of the data (torn/corrupt), or null. */
  problem: string | null;
}

export interface RecoverResult {
  truncatedBytes: number;
  problem: string | null;
}

export class LogSegment {
  /** Offset after the last batch (baseOffset when empty). */
  nextOffset: number;
  /** Largest batch maxTimestamp in the segment (-1 when none). */
  maxTimestampSoFar = -1;
  /** Base offset of the batch holding maxTimestampSoFar. */
  offsetOfMaxTimestampSoFar: number;
  /** Wall-clock creation (or load) time, used for segment.ms when batches carry no timestamps. */
  readonly created: number;
  /** Data appended since the last flush. */
  dirty = false;
  private bytesSinceLastIndexEntry = 0;
  private firstBatchTimestamp: number | null = null;

  private constructor(
    readonly baseOffset: number,
    readonly log: RecordsStore,
    readonly offsetIndex: OffsetIndex,
    readonly timeIndex: TimeIndex,
    readonly txnIndex: TransactionIndex,
    public indexIntervalBytes: number,
    now: number,
  ) {
    this.nextOffset = baseOffset;
    this.offsetOfMaxTimestampSoFar = baseOffset;
    this.created = now;
  }

  /** Open or create the segment files `<dir>/<base>.log|.index|.timeindex` (dir null = memory). Does not scan; call recover(). */
  static open(dir: string | null, baseOffset: number, config: LogConfig, now: () => number): LogSegment {
    const prefix = dir === null ? null : path.join(dir, filenamePrefixFromOffset(baseOffset));
    if (prefix === null) {
      return new LogSegment(baseOffset, new MemoryRecords(now), new OffsetIndex(null, baseOffset, config.maxOffsetIndexEntries), new TimeIndex(null, baseOffset, config.maxTimeIndexEntries), new TransactionIndex(null), config.indexIntervalBytes, now());
    }
    // Creating files can fail on a full disk (no inode or directory block): close what was opened.
    const opened: { close(): void }[] = [];
    try {
      if (writeFaultsArmed() && !fs.existsSync(prefix + LOG_FILE_SUFFIX)) maybeFailWrite('segment-create', prefix + LOG_FILE_SUFFIX);
      const log = new FileRecords(prefix + LOG_FILE_SUFFIX);
      opened.push(log);
      const oi = new OffsetIndex(prefix + INDEX_FILE_SUFFIX, baseOffset, config.maxOffsetIndexEntries);
      opened.push(oi);
      const ti = new TimeIndex(prefix + TIME_INDEX_FILE_SUFFIX, baseOffset, config.maxTimeIndexEntries);
      opened.push(ti);
      const txn = new TransactionIndex(prefix + TXN_INDEX_FILE_SUFFIX);
      return new LogSegment(baseOffset, log, oi, ti, txn, config.indexIntervalBytes, now());
    } catch (err) {
      for (const f of opened) f.close();
      throw err;
    }
  }

  get size(): number {
    return this.log.size;
  }

  /** Largest timestamp for time retention: the max batch timestamp, else the last modification time. */
  largestTimestamp(): number {
    return this.maxTimestampSoFar >= 0 ? this.maxTimestampSoFar : this.log.lastModified();
  }

  // -------------------------------------------------------------------------------------------
  // Scanning

  /**
   * Walk the batches from `fromPos`, calling fn for each structurally sound, whole batch (length
   * sane, magic 2, entirely present). With `whole`, fn sees the complete batch bytes, otherwise at
   * least its header. fn returns false to stop (end = that batch's position), or a string to report
   * a problem there.
   */
  scan(fromPos: number, whole: boolean, fn: (b: ScanBatch) => boolean | string | void): ScanResult {
    const size = this.log.size;
    const chunk = Buffer.allocUnsafe(Math.min(whole ? SCAN_CHUNK_WHOLE : SCAN_CHUNK_HEADERS, Math.max(RB.BATCH_HEADER_SIZE, size - fromPos)));
    let chunkStart = fromPos;
    let chunkLen = 0;
    let pos = fromPos;
    while (pos < size) {
      if (size - pos < RB.BATCH_HEADER_SIZE) return { end: pos, problem: `partial batch header (${size - pos} bytes) at position ${pos}` };
      if (pos + RB.BATCH_HEADER_SIZE > chunkStart + chunkLen) {
        chunkStart = pos;
        chunkLen = this.log.readInto(chunk, pos);
      }
      let off = pos - chunkStart;
      const len = chunk.readInt32BE(off + RB.BATCH_LENGTH_OFFSET);
      if (len < MIN_BATCH_LENGTH) return { end: pos, problem: `invalid batch length ${len} at position ${pos}` };
      const bsize = len + RB.LOG_OVERHEAD;
      if (bsize > size - pos) return { end: pos, problem: `partial batch at position ${pos}: ${size - pos} of ${bsize} bytes present` };
      const magic = chunk.readInt8(off + RB.MAGIC_OFFSET);
      if (magic !== RB.CURRENT_MAGIC) return { end: pos, problem: `unsupported magic ${magic} at position ${pos}` };
      let buf: Buffer = chunk;
      if (whole && off + bsize > chunkLen) {
        if (bsize <= chunk.length) {
          chunkStart = pos;
          chunkLen = this.log.readInto(chunk, pos);
          off = 0;
        } else {
          buf = this.log.read(pos, bsize);
          off = 0;
        }
      }
      const baseOffset = RB.baseOffset(buf, off);
      const r = fn({
        buf,
        off,
        pos,
        size: bsize,
        baseOffset,
        lastOffset: baseOffset + RB.lastOffsetDelta(buf, off),
        maxTimestamp: RB.maxTimestamp(buf, off),
        compression: RB.compression(buf, off),
      });
      if (r === false) return { end: pos, problem: null };
      if (typeof r === 'string') return { end: pos, problem: r };
      pos += bsize;
    }
    return { end: pos, problem: null };
  }

  /**
   * Rebuild state from `fromOffset` on: indexes keep their entries below fromOffset, batches are
   * walked from the indexed position at or before it (validating CRCs when verifyCrc), index entries
   * are re-added, and the log is truncated at the first torn or invalid batch. Sets nextOffset and
   * the max timestamp. Use fromOffset = baseOffset to rebuild everything.
   */
  recover(fromOffset: number, verifyCrc: boolean): RecoverResult {
    const full = fromOffset <= this.baseOffset;
    if (full) {
      this.offsetIndex.reset();
      this.timeIndex.reset();
    } else {
      this.offsetIndex.truncateTo(fromOffset);
      this.timeIndex.truncateTo(fromOffset);
      this.offsetIndex.truncateToPosition(this.log.size);
    }
    // Every offset index entry was written together with a time index update, so the largest
    // timestamp of the batches before the entry's position is at most the time index's last entry:
    // walking from the entry is enough to recompute the maximum.
    const lastTime = this.timeIndex.lastEntry();
    const startEntry = this.offsetIndex.lookup(fromOffset);
    this.maxTimestampSoFar = lastTime.timestamp;
    this.offsetOfMaxTimestampSoFar = lastTime.timestamp >= 0 ? lastTime.offset : this.baseOffset;
    this.bytesSinceLastIndexEntry = 0;
    let next = this.baseOffset;
    let first = true;
    const res = this.scan(startEntry.position, verifyCrc, (b) => {
      if (first && startEntry.position > 0 && b.baseOffset !== startEntry.offset) {
        return `offset index entry (${startEntry.offset}, ${startEntry.position}) does not match the batch there (base offset ${b.baseOffset})`;
      }
      if (verifyCrc && !RB.isCrcValid(b.buf, b.off)) return `CRC mismatch in batch at offset ${b.baseOffset} (position ${b.pos})`;
      if (b.lastOffset < b.baseOffset) return `invalid lastOffsetDelta in batch at position ${b.pos}`;
      if (b.baseOffset < next || b.baseOffset < this.baseOffset) return `non-monotonic offset ${b.baseOffset} at position ${b.pos}`;
      if (b.lastOffset - this.baseOffset > INT32_MAX) return `offset ${b.lastOffset} overflows the segment's relative offsets`;
      first = false;
      this.indexBatch(b.baseOffset, b.maxTimestamp, b.pos, b.size);
      next = b.lastOffset + 1;
      return true;
    });
    if (res.problem !== null && first && startEntry.position > 0) {
      // Nothing valid from the indexed position: the index cannot be trusted; rebuild all of it.
      return this.recover(this.baseOffset, verifyCrc);
    }
    this.nextOffset = next;
    this.txnIndex.truncateTo(next);
    const truncatedBytes = this.log.size - res.end;
    if (truncatedBytes > 0) {
      this.log.truncateTo(res.end);
      this.offsetIndex.truncateToPosition(res.end);
      this.timeIndex.truncateTo(this.nextOffset);
      this.dirty = true;
    }
    if (this.maxTimestampSoFar >= 0 && this.offsetOfMaxTimestampSoFar >= this.nextOffset) {
      // the batch that held the max timestamp was truncated away: recompute from scratch
      return { truncatedBytes: truncatedBytes + this.recover(this.baseOffset, false).truncatedBytes, problem: res.problem };
    }
    return { truncatedBytes, problem: res.problem };
  }

  /** Offset from which recover() re-walks a segment whose indexes are trusted: just after the last offset index entry. */
  resumeOffset(): number {
    return this.offsetIndex.entries > 0 ? this.offsetIndex.lastEntry().offset + 1 : this.baseOffset;
  }

  /** Index bookkeeping for a batch at `pos` that is (now) part of the segment. */
  private indexBatch(baseOffset: number, maxTimestamp: number, pos: number, size: number): void {
    if (maxTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = maxTimestamp;
      this.offsetOfMaxTimestampSoFar = baseOffset;
    }
    if (this.bytesSinceLastIndexEntry > this.indexIntervalBytes) {
      // keep the invariant recover() relies on: no offset entry unless the time index could record the max so far
      const ti = this.timeIndex;
      if (!ti.isFull() || this.maxTimestampSoFar <= ti.lastEntry().timestamp) {
        this.offsetIndex.append(baseOffset, pos);
        ti.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
      }
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += size;
    if (this.firstBatchTimestamp === null && pos === 0) this.firstBatchTimestamp = maxTimestamp;
  }

  // -------------------------------------------------------------------------------------------
  // Append / read

  /**
   * Append whole batches that already carry their final offsets (first >= nextOffset), all or
   * nothing: if writing the bytes or an index entry fails, the .log and both indexes are cut back
   * to where they were and every field is restored before the error is rethrown, so the failed
   * batches are never readable, their offsets are given again, and recovery never finds them.
   */
  append(records: Buffer): void {
    const physStart = this.log.size;
    const before = {
      nextOffset: this.nextOffset,
      maxTimestampSoFar: this.maxTimestampSoFar,
      offsetOfMaxTimestampSoFar: this.offsetOfMaxTimestampSoFar,
      bytesSinceLastIndexEntry: this.bytesSinceLastIndexEntry,
      firstBatchTimestamp: this.firstBatchTimestamp,
      offsetEntries: this.offsetIndex.entries,
      timeEntries: this.timeIndex.entries,
    };
    try {
      this.log.append(records);
      this.dirty = true;
      RB.forEachBatch(records, (p, s) => {
        const base = RB.baseOffset(records, p);
        this.indexBatch(base, RB.maxTimestamp(records, p), physStart + p, s);
        this.nextOffset = base + RB.lastOffsetDelta(records, p) + 1;
      });
    } catch (err) {
      this.nextOffset = before.nextOffset;
      this.maxTimestampSoFar = before.maxTimestampSoFar;
      this.offsetOfMaxTimestampSoFar = before.offsetOfMaxTimestampSoFar;
      this.bytesSinceLastIndexEntry = before.bytesSinceLastIndexEntry;
      this.firstBatchTimestamp = before.firstBatchTimestamp;
      // Memory first (readers stop at the old size at once); a failed cut is retried by the next write.
      try {
        this.log.truncateTo(physStart);
      } catch {
        /* FileRecords keeps the cut pending */
      }
      try {
        this.offsetIndex.truncateToEntries(before.offsetEntries);
      } catch {
        /* pending in the index */
      }
      try {
        this.timeIndex.truncateToEntries(before.timeEntries);
      } catch {
        /* pending in the index */
      }
      throw err;
    }
  }

  /** Header of the first batch with lastOffset >= offset, or null. */
  translateOffset(offset: number, startingPosition = 0): BatchPosition | null {
    const entry = this.offsetIndex.lookup(offset);
    let found: BatchPosition | null = null;
    this.scan(Math.max(entry.position, startingPosition), false, (b) => {
      if (b.lastOffset >= offset) {
        found = { pos: b.pos, size: b.size, baseOffset: b.baseOffset, lastOffset: b.lastOffset, maxTimestamp: b.maxTimestamp, compression: b.compression };
        return false;
      }
      return true;
    });
    return found;
  }

  /**
   * Whole batches from the one containing startOffset: at most maxSize bytes (but the first batch
   * whatever its size when minOneMessage), stopping before any batch with baseOffset >= maxOffset.
   */
  read(startOffset: number, maxSize: number, maxOffset: number, minOneMessage: boolean): { records: Buffer; firstOffset: number } | null {
    const start = this.translateOffset(startOffset);
    if (!start || start.baseOffset >= maxOffset) return null;
    const available = this.log.size - start.pos;
    const limit = Math.min(maxSize, available);
    if (limit < start.size) {
      if (!minOneMessage) return null;
      return { records: this.log.read(start.pos, start.size), firstOffset: start.baseOffset };
    }
    const buf = this.log.read(start.pos, limit);
    let p = 0;
    while (buf.length - p >= RB.LOG_OVERHEAD) {
      const s = RB.batchSize(buf, p);
      if (s < RB.BATCH_HEADER_SIZE || p + s > buf.length) break;
      if (RB.baseOffset(buf, p) >= maxOffset) break;
      p += s;
    }
    return { records: p === buf.length ? buf : buf.subarray(0, p), firstOffset: start.baseOffset };
  }

  /** First record with timestamp >= ts and offset >= startingOffset (see UnifiedLog.fetchOffsetByTimestamp). */
  findOffsetByTimestamp(ts: number, startingOffset: number): { offset: number; timestamp: number } | null {
    if (this.maxTimestampSoFar < ts) return null;
    const te = this.timeIndex.lookup(ts);
    const startPos = this.offsetIndex.lookup(Math.max(te.offset, startingOffset)).position;
    let result: { offset: number; timestamp: number } | null = null;
    this.scan(startPos, false, (b) => {
      if (b.maxTimestamp < ts || b.lastOffset < startingOffset) return true;
      result = this.firstRecordAtOrAfter(b, ts, startingOffset);
      return result === null;
    });
    return result;
  }

  /** Offset and timestamp of the (first) record holding the segment's largest timestamp. */
  findMaxTimestampOffset(): { offset: number; timestamp: number } | null {
    const maxTs = this.maxTimestampSoFar;
    if (maxTs < 0) return null;
    const startPos = this.offsetIndex.lookup(this.offsetOfMaxTimestampSoFar).position;
    let result: { offset: number; timestamp: number } | null = null;
    this.scan(startPos, false, (b) => {
      if (b.maxTimestamp !== maxTs) return true;
      result = this.firstRecordAtOrAfter(b, maxTs, -Infinity) ?? { offset: b.baseOffset, timestamp: maxTs };
      return false;
    });
    return result;
  }

  private firstRecordAtOrAfter(b: BatchPosition, ts: number, startingOffset: number): { offset: number; timestamp: number } | null {
    const batch = this.log.read(b.pos, b.size);
    let found: { offset: number; timestamp: number } | null = null;
    try {
      RB.forEachRecordTimestamp(batch, 0, (offset, timestamp) => {
        if (timestamp >= ts && offset >= startingOffset) {
          found = { offset, timestamp };
          return false;
        }
        return true;
      });
    } catch {
      // a stored batch that does not decode within the bound (a bomb or a corrupt payload
      // stored before produce validation existed): the batch's first eligible offset will do
      return { offset: Math.max(b.baseOffset, startingOffset), timestamp: b.maxTimestamp };
    }
    return found;
  }

  // -------------------------------------------------------------------------------------------
  // Rolling, truncation, lifecycle

  /** maxTimestamp of the first batch (lazily read for loaded segments), -1 if none. */
  private rollingBasedTimestamp(): number {
    if (this.firstBatchTimestamp === null) {
      if (this.log.size < RB.BATCH_HEADER_SIZE) return -1;
      const h = this.log.read(0, RB.BATCH_HEADER_SIZE);
      this.firstBatchTimestamp = RB.maxTimestamp(h, 0);
    }
    return this.firstBatchTimestamp;
  }

  /**
   * Kafka's LogSegment.shouldRoll: the incoming append (size bytes, max timestamp, last offset)
   * does not fit, or segment.ms has passed (measured in record time: incoming max timestamp minus
   * the first batch's max timestamp; wall clock since creation when batches carry no timestamp),
   * or an index is full, or relative offsets would overflow int32.
   */
  shouldRoll(config: LogConfig, size: number, maxTimestamp: number, lastOffset: number, now: number): boolean {
    if (lastOffset - this.baseOffset > INT32_MAX) return true;
    if (this.log.size === 0) return false;
    if (this.log.size > config.segmentBytes - size) return true;
    if (this.offsetIndex.isFull() || this.timeIndex.isFull()) return true;
    const first = this.rollingBasedTimestamp();
    const waited = first >= 0 && maxTimestamp >= 0 ? maxTimestamp - first : now - this.created;
    return waited > config.segmentMs - config.segmentJitterMs;
  }

  /** Called when a newer segment becomes active: make sure the time index covers the max timestamp. */
  onBecomeInactiveSegment(): void {
    if (this.maxTimestampSoFar >= 0) this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
  }

  /** Drop every batch containing an offset >= offset (a straddling batch goes entirely). Returns bytes removed. */
  truncateTo(offset: number): number {
    const b = this.translateOffset(offset);
    if (!b) return 0;
    const removed = this.log.size - b.pos;
    this.log.truncateTo(b.pos);
    this.offsetIndex.truncateToPosition(b.pos);
    this.timeIndex.truncateTo(b.baseOffset);
    this.txnIndex.truncateTo(b.baseOffset);
    this.dirty = true;
    if (b.pos === 0) this.firstBatchTimestamp = null;
    this.recover(this.resumeOffset(), false);
    return removed;
  }

  flush(): void {
    if (!this.dirty) return;
    this.log.flush();
    this.offsetIndex.flush();
    this.timeIndex.flush();
    this.txnIndex.flush();
    this.dirty = false;
  }

  close(): void {
    this.log.close();
    this.offsetIndex.close();
    this.timeIndex.close();
    this.txnIndex.close();
  }

  delete(): void {
    this.log.delete();
    this.offsetIndex.delete();
    this.timeIndex.delete();
    this.txnIndex.delete();
  }
}
