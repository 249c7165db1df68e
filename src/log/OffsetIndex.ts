// Sparse offset index of a segment (Kafka's OffsetIndex): entries of
// (relative offset int32, file position int32), big-endian, 8 bytes each, strictly increasing.
// minikafka indexes the *base* offset of the batch starting at that position, so a lookup of any
// offset inside an indexed batch lands exactly on it.

import { AbstractIndex, withCapacity } from './AbstractIndex.js';
import type { WriteSite } from './LogIO.js';

export interface OffsetPosition {
  offset: number;
  position: number;
}

export class OffsetIndex extends AbstractIndex {
  protected readonly site: WriteSite = 'offset-index';
  static readonly ENTRY_SIZE = 8;
  private rel = new Int32Array(16);
  private pos = new Int32Array(16);
  private readonly scratch = Buffer.allocUnsafe(8);

  /** Open (or create) the index at path (null = memory). Loads existing entries without checking them; see sanityCheck. */
  constructor(path: string | null, baseOffset: number, maxEntries: number) {
    super(path, baseOffset, maxEntries, OffsetIndex.ENTRY_SIZE);
    const bytes = this.openFile();
    const n = bytes.length / 8;
    this.ensure(n);
    for (let i = 0; i < n; i++) {
      this.rel[i] = bytes.readInt32BE(i * 8);
      this.pos[i] = bytes.readInt32BE(i * 8 + 4);
    }
    this._entries = n;
  }

  private ensure(n: number): void {
    this.rel = withCapacity(this.rel, n, this._entries);
    this.pos = withCapacity(this.pos, n, this._entries);
  }

  entry(i: number): OffsetPosition {
    return { offset: this.baseOffset + this.rel[i]!, position: this.pos[i]! };
  }

  lastEntry(): OffsetPosition {
    return this._entries === 0 ? { offset: this.baseOffset, position: 0 } : this.entry(this._entries - 1);
  }

  /** Append an entry; ignored when full or not strictly after the last entry. Returns whether it was added. */
  append(offset: number, position: number): boolean {
    const relOffset = offset - this.baseOffset;
    if (this.isFull() || relOffset < 0 || relOffset > 0x7fffffff || position > 0x7fffffff) return false;
    const n = this._entries;
    if (n > 0 && (relOffset <= this.rel[n - 1]! || position <= this.pos[n - 1]!)) return false;
    this.ensure(n + 1);
    this.rel[n] = relOffset;
    this.pos[n] = position;
    this.scratch.writeInt32BE(relOffset, 0);
    this.scratch.writeInt32BE(position, 4);
    this.writeEntry(this.scratch);
    this._entries = n + 1;
    return true;
  }

  /** Index of the last entry with offset <= target, or -1. */
  private floor(target: number): number {
    const rel = target - this.baseOffset;
    let lo = 0;
    let hi = this._entries - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rel[mid]! <= rel) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  /** The entry with the largest offset <= target, or (baseOffset, 0). */
  lookup(target: number): OffsetPosition {
    const i = this.floor(target);
    return i < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(i);
  }

  /** Remove entries with offset >= offset. */
  truncateTo(offset: number): void {
    const n = this.floor(offset - 1) + 1;
    this.truncateToEntries(n);
  }

  /** Remove entries at position >= position. */
  truncateToPosition(position: number): void {
    let n = this._entries;
    while (n > 0 && this.pos[n - 1]! >= position) n--;
    this.truncateToEntries(n);
  }

  truncateToEntries(n: number): void {
    if (n >= this._entries) return;
    this._entries = Math.max(0, n);
    this.truncateFile(this._entries);
  }

  /** Drop all entries. */
  reset(): void {
    this._entries = 0;
    this.truncateFile(0);
  }

  /** Structural problems (null if fine): entries must be strictly increasing and within [0, logSize). */
  sanityCheck(logSize: number): string | null {
    let prevRel = -1;
    let prevPos = -1;
    for (let i = 0; i < this._entries; i++) {
      const r = this.rel[i]!;
      const p = this.pos[i]!;
      if (r <= prevRel && !(i === 0 && r === 0)) return `offset index entry ${i} has non-increasing offset ${this.baseOffset + r}`;
      if (r < 0) return `offset index entry ${i} has negative relative offset ${r}`;
      if (p <= prevPos || p < 0) return `offset index entry ${i} has non-increasing position ${p}`;
      if (p >= logSize) return `offset index entry ${i} points at position ${p} beyond the log size ${logSize}`;
      prevRel = r;
      prevPos = p;
    }
    return null;
  }
}
