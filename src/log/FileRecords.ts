// The bytes of one segment's .log: either a file (synchronous I/O, page cache) or memory.
// Both hold record batches exactly as on the wire, appended whole.
//
// A file's `size` is the truth: reads never go past it. A failed write (ENOSPC mid-batch) or a
// failed cut leaves bytes past `size` in the file; they are cut before anything else is written
// (`append` retries the cut first and fails while it cannot), so no later append can land
// behind them and make them look like records. Only a crash while a cut is still pending (the
// cut itself failed: shrinking a file needs no space, so a full disk alone does not do this)
// could let recovery find a whole unacknowledged batch there, at offsets no acknowledged record
// has; a partial one is cut by recovery.

import fs from 'node:fs';
import { injectedFault, ioError, maybeFailWrite, openOrCreate } from './LogIO.js';

export interface RecordsStore {
  /** Bytes currently held. */
  readonly size: number;
  /** Append bytes at the end. */
  append(data: Buffer): void;
  /** Copy up to `target.length - targetPos` bytes from `pos` into target; returns bytes copied. */
  readInto(target: Buffer, pos: number, targetPos?: number, length?: number): number;
  /** Bytes [pos, pos + length) (clamped to size). May be a view of stored memory: do not mutate. */
  read(pos: number, length: number): Buffer;
  /** Drop everything at and after `size`. */
  truncateTo(size: number): void;
  /** fsync (no-op in memory). */
  flush(): void;
  close(): void;
  /** Close and remove the backing file. */
  delete(): void;
  /** Last modification time in ms (file mtime, or last append in memory). */
  lastModified(): number;
}

/** A segment's .log file. Writes go to the end with writeSync; reads use pread. */
export class FileRecords implements RecordsStore {
  private fd: number;
  private _size: number;
  private closed = false;
  /** The file may hold bytes past `_size` (a failed write or cut) that must go before the next write. */
  private tailPending = false;

  constructor(readonly path: string) {
    this.fd = openOrCreate(path).fd;
    this._size = fs.fstatSync(this.fd).size;
  }

  get size(): number {
    return this._size;
  }

  /** Append all of data or nothing: on failure the file is cut back (now, or before the next write). */
  append(data: Buffer): void {
    if (this.tailPending) this.cutTail();
    const fault = injectedFault('segment', this.path);
    const limit = fault ? Math.min(fault.afterBytes ?? 0, data.length) : data.length;
    let off = 0;
    try {
      while (off < limit) off += fs.writeSync(this.fd, data, off, limit - off, this._size + off);
      if (fault) throw ioError(fault, this.path);
    } catch (err) {
      this.tailPending = true;
      try {
        this.cutTail();
      } catch {
        /* still pending: the next append retries the cut before writing */
      }
      throw err;
    }
    this._size += data.length;
  }

  /** Whether bytes of a failed write may still sit past `size` in the file. */
  get hasPendingTail(): boolean {
    return this.tailPending;
  }

  private cutTail(): void {
    maybeFailWrite('segment-truncate', this.path);
    fs.ftruncateSync(this.fd, this._size);
    this.tailPending = false;
  }

  readInto(target: Buffer, pos: number, targetPos = 0, length = target.length - targetPos): number {
    const n = Math.min(length, this._size - pos);
    if (n <= 0) return 0;
    let done = 0;
    while (done < n) {
      const r = fs.readSync(this.fd, target, targetPos + done, n - done, pos + done);
      if (r === 0) break;
      done += r;
    }
    return done;
  }

  read(pos: number, length: number): Buffer {
    const n = Math.max(0, Math.min(length, this._size - pos));
    const buf = Buffer.allocUnsafe(n);
    const got = this.readInto(buf, pos, 0, n);
    return got === n ? buf : buf.subarray(0, got);
  }

  truncateTo(size: number): void {
    if (size >= this._size && !this.tailPending) return;
    // The new size holds at once for readers and the next write; if the cut itself fails it is
    // retried before that write (and a crash meanwhile leaves bytes that recovery treats as above).
    this._size = Math.min(size, this._size);
    this.tailPending = true;
    try {
      this.cutTail();
    } catch {
      /* still pending */
    }
  }

  flush(): void {
    if (this.closed) return;
    maybeFailWrite('fsync', this.path);
    fs.fsyncSync(this.fd);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }

  delete(): void {
    this.close();
    fs.rmSync(this.path, { force: true });
  }

  lastModified(): number {
    return this.closed ? 0 : fs.fstatSync(this.fd).mtimeMs;
  }
}

/** In-memory .log: the appended buffers (copied) and their start positions. */
export class MemoryRecords implements RecordsStore {
  private chunks: Buffer[] = [];
  private starts: number[] = [];
  private _size = 0;
  private modified: number;

  constructor(private readonly now: () => number = Date.now) {
    this.modified = now();
  }

  get size(): number {
    return this._size;
  }

  append(data: Buffer): void {
    if (data.length === 0) return;
    this.chunks.push(Buffer.from(data));
    this.starts.push(this._size);
    this._size += data.length;
    this.modified = this.now();
  }

  /** Index of the chunk containing pos (pos < size). */
  private chunkAt(pos: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  readInto(target: Buffer, pos: number, targetPos = 0, length = target.length - targetPos): number {
    const n = Math.min(length, this._size - pos);
    if (n <= 0) return 0;
    let done = 0;
    let i = this.chunkAt(pos);
    while (done < n) {
      const c = this.chunks[i]!;
      const from = pos + done - this.starts[i]!;
      const take = Math.min(c.length - from, n - done);
      c.copy(target, targetPos + done, from, from + take);
      done += take;
      i++;
    }
    return done;
  }

  read(pos: number, length: number): Buffer {
    const n = Math.max(0, Math.min(length, this._size - pos));
    if (n === 0) return Buffer.alloc(0);
    const i = this.chunkAt(pos);
    const c = this.chunks[i]!;
    const from = pos - this.starts[i]!;
    if (from + n <= c.length) return c.subarray(from, from + n);
    const out = Buffer.allocUnsafe(n);
    this.readInto(out, pos, 0, n);
    return out;
  }

  truncateTo(size: number): void {
    if (size >= this._size) return;
    if (size <= 0) {
      this.chunks = [];
      this.starts = [];
      this._size = 0;
      return;
    }
    const i = this.chunkAt(size - 1);
    const keep = size - this.starts[i]!;
    this.chunks.length = i + 1;
    this.starts.length = i + 1;
    this.chunks[i] = this.chunks[i]!.subarray(0, keep);
    this._size = size;
  }

  flush(): void {}
  close(): void {}
  delete(): void {
    this.chunks = [];
    this.starts = [];
    this._size = 0;
  }
  lastModified(): number {
    return this.modified;
  }
}
