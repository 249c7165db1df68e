// Shared file handling for the sparse indexes: an append-only file of fixed-size entries,
// mirrored in memory (typed arrays in the subclasses). No mmap: entries are written with
// writeSync at entries * entrySize, the file is truncated with ftruncate.
// As with FileRecords, the in-memory entry count is the truth: bytes that a failed write or cut
// leaves past it are cut before the next entry is written.

import fs from 'node:fs';
import { injectedFault, ioError, maybeFailWrite, openOrCreate, type WriteSite } from './LogIO.js';

/** `a` with room for at least n entries (doubling), its first `used` entries kept. */
export function withCapacity<T extends Int32Array | Float64Array>(a: T, n: number, used: number): T {
  if (n <= a.length) return a;
  let cap = Math.max(a.length, 1);
  while (cap < n) cap *= 2;
  const next = new (a.constructor as new (length: number) => T)(cap);
  next.set(a.subarray(0, used));
  return next;
}

export abstract class AbstractIndex {
  protected fd: number | null = null;
  protected _entries = 0;
  /** The file may hold bytes past the entries (a failed write or cut): cut them before writing. */
  private tailPending = false;
  /** The file's size as last opened, written or cut (-1: unknown), so a cut to that size is skipped. */
  private fileBytes = -1;
  /** The write site name for fault injection. */
  protected abstract readonly site: WriteSite;

  constructor(
    /** File path, or null for an in-memory index. */
    readonly path: string | null,
    readonly baseOffset: number,
    /** Capacity in entries (segment.index.bytes / entrySize). */
    readonly maxEntries: number,
    readonly entrySize: number,
  ) {}

  get entries(): number {
    return this._entries;
  }

  isFull(): boolean {
    return this._entries >= this.maxEntries;
  }

  /** Size in bytes of the entries. */
  sizeInBytes(): number {
    return this._entries * this.entrySize;
  }

  /** Open (creating) the file and return its whole-entry bytes; a torn partial entry at the end is cut off. */
  protected openFile(): Buffer {
    if (this.path === null) return Buffer.alloc(0);
    const { fd, existed } = openOrCreate(this.path);
    this.fd = fd;
    this.fileBytes = 0;
    if (!existed) return Buffer.alloc(0);
    const size = fs.fstatSync(this.fd).size;
    const whole = size - (size % this.entrySize);
    this.fileBytes = size;
    if (whole !== size) this.cutFile(whole);
    const buf = Buffer.allocUnsafe(whole);
    let done = 0;
    while (done < whole) {
      const r = fs.readSync(this.fd, buf, done, whole - done, done);
      if (r === 0) break;
      done += r;
    }
    return buf.subarray(0, done);
  }

  /** Write the entry after the current ones, whole or not at all (throws; the entry count is not changed here). */
  protected writeEntry(entry: Buffer): void {
    if (this.fd === null) return;
    if (this.tailPending) this.truncateFile(this._entries);
    const fault = injectedFault(this.site, this.path!);
    const at = this._entries * this.entrySize;
    const limit = fault ? Math.min(fault.afterBytes ?? 0, entry.length) : entry.length;
    try {
      let done = 0;
      const before = this.fileBytes;
      this.fileBytes = -1;
      while (done < limit) done += fs.writeSync(this.fd, entry, done, limit - done, at + done);
      if (fault) throw ioError(fault, this.path!);
      this.fileBytes = before < 0 ? -1 : Math.max(before, at + limit);
    } catch (err) {
      try {
        this.truncateFile(this._entries);
      } catch {
        /* retried before the next write */
      }
      throw err;
    }
  }

  /** Rewrite the whole file from memory (after a rebuild). */
  protected rewrite(bytes: Buffer): void {
    if (this.fd === null) return;
    this.cutFile(0);
    let done = 0;
    this.fileBytes = -1;
    while (done < bytes.length) done += fs.writeSync(this.fd, bytes, done, bytes.length - done, done);
    this.fileBytes = bytes.length;
  }

  protected truncateFile(entries: number): void {
    if (this.fd === null) return;
    this.tailPending = true;
    this.cutFile(entries * this.entrySize);
    this.tailPending = false;
  }

  /** ftruncate to `bytes`, unless the file is known to be that long already (an empty index at load). */
  private cutFile(bytes: number): void {
    if (this.fileBytes === bytes) return;
    this.fileBytes = -1;
    fs.ftruncateSync(this.fd!, bytes);
    this.fileBytes = bytes;
  }

  flush(): void {
    if (this.fd === null) return;
    maybeFailWrite('fsync', this.path!);
    fs.fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
    }
  }

  delete(): void {
    this.close();
    if (this.path !== null) fs.rmSync(this.path, { force: true });
  }
}
