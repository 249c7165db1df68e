// Sparse time index of a segment (Kafka's TimeIndex): entries of (timestamp int64, relative
// offset int32), big-endian, 12 bytes each. An entry (T, O) says: the largest timestamp in the
// segment up to and including the batch starting at offset O is T. Timestamps strictly increase.
// Timestamps are held as numbers, so only safe integers (±(2^53-1)) are accepted: appending
// another throws, and a file entry beyond that range is reported by sanityCheck (the index is
// then rebuilt), never read back as a different value.

import { isSafeInt64At, readInt64, writeInt64 } from '../protocol/primitives.js';
import { AbstractIndex, withCapacity } from './AbstractIndex.js';
import type { WriteSite } from './LogIO.js';

export interface TimestampOffset {
  timestamp: number;
  offset: number;
}

export class TimeIndex extends AbstractIndex {
  protected readonly site: WriteSite = 'time-index';
  static readonly ENTRY_SIZE = 12;
  private ts = new Float64Array(16);
  private rel = new Int32Array(16);
  private readonly scratch = Buffer.allocUnsafe(12);
  /** Set when the file held an entry this index cannot represent; reported by sanityCheck. */
  private loadProblem: string | null = null;

  constructor(path: string | null, baseOffset: number, maxEntries: number) {
    super(path, baseOffset, maxEntries, TimeIndex.ENTRY_SIZE);
    const bytes = this.openFile();
    let n = bytes.length / 12;
    this.ensure(n);
    for (let i = 0; i < n; i++) {
      if (!isSafeInt64At(bytes, i * 12)) {
        this.loadProblem = `time index entry ${i} has timestamp ${bytes.readBigInt64BE(i * 12)}, outside ±(2^53-1)`;
        n = i;
        break;
      }
      this.ts[i] = readInt64(bytes, i * 12);
      this.rel[i] = bytes.readInt32BE(i * 12 + 8);
    }
    this._entries = n;
  }

  private ensure(n: number): void {
    this.ts = withCapacity(this.ts, n, this._entries);
    this.rel = withCapacity(this.rel, n, this._entries);
  }

  entry(i: number): TimestampOffset {
    return { timestamp: this.ts[i]!, offset: this.baseOffset + this.rel[i]! };
  }

  /** The last entry, or (-1, baseOffset) when empty. */
  lastEntry(): TimestampOffset {
    return this._entries === 0 ? { timestamp: -1, offset: this.baseOffset } : this.entry(this._entries - 1);
  }

  /**
   * Append (timestamp, offset) if timestamp is larger than the last entry's and the index is not
   * full. A timestamp that is not a safe integer throws RangeError and leaves the index unchanged.
   */
  maybeAppend(timestamp: number, offset: number): boolean {
    if (!Number.isSafeInteger(timestamp)) throw new RangeError(`time index timestamp ${timestamp} is not an integer within ±(2^53-1)`);
    const relOffset = offset - this.baseOffset;
    if (this.isFull() || relOffset < 0 || relOffset > 0x7fffffff) return false;
    const n = this._entries;
    if (n > 0 && (timestamp <= this.ts[n - 1]! || relOffset < this.rel[n - 1]!)) return false;
    this.ensure(n + 1);
    this.ts[n] = timestamp;
    this.rel[n] = relOffset;
    writeInt64(this.scratch, 0, timestamp);
    this.scratch.writeInt32BE(relOffset, 8);
    this.writeEntry(this.scratch);
    this._entries = n + 1;
    return true;
  }

  /** The entry with the largest timestamp <= target, or (-1, baseOffset). */
  lookup(target: number): TimestampOffset {
    let lo = 0;
    let hi = this._entries - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! <= target) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans < 0 ? { timestamp: -1, offset: this.baseOffset } : this.entry(ans);
  }

  /** Remove entries with offset >= offset. */
  truncateTo(offset: number): void {
    let n = this._entries;
    while (n > 0 && this.baseOffset + this.rel[n - 1]! >= offset) n--;
    this.truncateToEntries(n);
  }

  truncateToEntries(n: number): void {
    if (n >= this._entries) return;
    this._entries = Math.max(0, n);
    this.truncateFile(this._entries);
  }

  reset(): void {
    this._entries = 0;
    this.loadProblem = null;
    this.truncateFile(0);
  }

  /** Structural problems (null if fine): strictly increasing timestamps, non-decreasing offsets >= base, < nextOffset when given. */
  sanityCheck(nextOffset = Infinity): string | null {
    if (this.loadProblem !== null) return this.loadProblem;
    for (let i = 0; i < this._entries; i++) {
      const r = this.rel[i]!;
      if (r < 0) return `time index entry ${i} has negative relative offset ${r}`;
      if (this.baseOffset + r >= nextOffset) return `time index entry ${i} offset ${this.baseOffset + r} is beyond the log end ${nextOffset}`;
      if (i > 0 && (this.ts[i]! <= this.ts[i - 1]! || r < this.rel[i - 1]!)) return `time index entry ${i} is out of order`;
    }
    return null;
  }
}
