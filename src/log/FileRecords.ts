// The bytes of one segment's .log: either a file (synchronous I/O, page cache) or memory.
// Both hold record batches exactly as on the wire, appended whole.

import fs from 'node:fs';

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
  /** Test hook: an I/O error to throw instead of doing op on the file at path (a full or failing disk). */
  static ioFault: ((op: 'write' | 'fsync' | 'truncate', path: string) => Error | null) | null = null;
  private fd: number;
  private _size: number;
  private closed = false;

  constructor(readonly path: string) {
    this.fd = fs.openSync(path, fs.existsSync(path) ? 'r+' : 'w+');
    this._size = fs.fstatSync(this.fd).size;
  }

  get size(): number {
    return this._size;
  }

  append(data: Buffer): void {
    const fault = FileRecords.ioFault?.('write', this.path);
    if (fault) throw fault;
    let off = 0;
    while (off < data.length) off += fs.writeSync(this.fd, data, off, data.length - off, this._size + off);
    this._size += data.length;
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
    if (size >= this._size) return;
    const fault = FileRecords.ioFault?.('truncate', this.path);
    if (fault) throw fault;
    fs.ftruncateSync(this.fd, size);
    this._size = size;
  }

  flush(): void {
    if (this.closed) return;
    const fault = FileRecords.ioFault?.('fsync', this.path);
    if (fault) throw fault;
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
