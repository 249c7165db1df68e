// The aborted-transaction index of one segment (Kafka's TransactionIndex, `<base>.txnindex`):
// one entry per ABORT marker in the segment, in marker order, each Kafka's AbortedTxn layout
// (34 bytes, big-endian):
//
//   version int16 (0), producerId int64, firstOffset int64, lastOffset int64 (the marker's
//   offset), lastStableOffset int64 (the partition's LSO once this transaction ended)
//
// read_committed fetches ask it which aborted transactions overlap the records they return.
// Entries are kept in memory too (they are few); the file is created on the first entry and
// rewritten whole on truncation. A torn last entry (a crash mid-write) is dropped on open.
// A failed write (disk full) leaves the in-memory entries right, so reads stay correct; the
// file is rewritten whole by the next append or flush, and a flush that cannot do it throws, so
// the recovery point does not pass an entry the file lacks (recovery rebuilds it from the log).
import fs from 'node:fs';
import { injectedFault, ioError } from './LogIO.js';

export const TXN_INDEX_FILE_SUFFIX = '.txnindex';
const ENTRY_SIZE = 34;
const VERSION = 0;

export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

export interface TxnIndexSearchResult {
  /** Entries whose range overlaps [startOffset, upperBoundOffset). */
  aborted: AbortedTxn[];
  /** An entry's lastStableOffset passed the upper bound: no later segment can add more. */
  isComplete: boolean;
}

function encode(e: AbortedTxn): Buffer {
  const b = Buffer.alloc(ENTRY_SIZE);
  b.writeInt16BE(VERSION, 0);
  b.writeBigInt64BE(BigInt(e.producerId), 2);
  b.writeBigInt64BE(BigInt(e.firstOffset), 10);
  b.writeBigInt64BE(BigInt(e.lastOffset), 18);
  b.writeBigInt64BE(BigInt(e.lastStableOffset), 26);
  return b;
}

export class TransactionIndex {
  private entries: AbortedTxn[] = [];
  private fd: number | null = null;
  private dirty = false;
  /** The file lacks entries (a write failed): rewrite it whole before trusting it. */
  private stale = false;

  /** Open the index file at path if it exists (null = memory only). */
  constructor(private readonly path: string | null) {
    if (path === null) return;
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const whole = bytes.length - (bytes.length % ENTRY_SIZE);
    for (let p = 0; p < whole; p += ENTRY_SIZE) {
      if (bytes.readInt16BE(p) !== VERSION) break;
      this.entries.push({
        producerId: Number(bytes.readBigInt64BE(p + 2)),
        firstOffset: Number(bytes.readBigInt64BE(p + 10)),
        lastOffset: Number(bytes.readBigInt64BE(p + 18)),
        lastStableOffset: Number(bytes.readBigInt64BE(p + 26)),
      });
    }
    if (this.entries.length * ENTRY_SIZE !== bytes.length) this.tryRewrite();
  }

  get size(): number {
    return this.entries.length;
  }

  allAbortedTxns(): readonly AbortedTxn[] {
    return this.entries;
  }

  /**
   * Add the entry of an ABORT marker. Markers come in offset order; an entry at or before the
   * last one is already here (a replay of batches the index covers) and is ignored.
   */
  append(e: AbortedTxn): void {
    const last = this.entries.at(-1);
    if (last && e.lastOffset <= last.lastOffset) return;
    this.entries.push(e);
    if (this.path === null) return;
    this.dirty = true;
    if (this.stale) {
      this.rewrite();
      return;
    }
    try {
      const bytes = encode(e);
      const fault = injectedFault('txn-index', this.path);
      if (fault) throw ioError(fault, this.path);
      if (this.fd === null) this.fd = fs.openSync(this.path, 'a');
      fs.writeSync(this.fd, bytes);
    } catch (err) {
      this.stale = true;
      this.closeFd();
      throw err;
    }
  }

  /** Drop the entries of markers at offsets >= offset. */
  truncateTo(offset: number): void {
    const keep = this.entries.filter((e) => e.lastOffset < offset);
    if (keep.length === this.entries.length) return;
    this.entries = keep;
    this.tryRewrite();
  }

  /** Rewrite now if the disk lets us; else the file stays stale until the next append or flush. */
  private tryRewrite(): void {
    try {
      this.rewrite();
    } catch {
      /* stale: retried by the next append or flush */
    }
  }

  reset(): void {
    this.truncateTo(-1);
  }

  /** Kafka's collectAbortedTxns: entries with lastOffset >= startOffset and firstOffset < upperBoundOffset. */
  collectAbortedTxns(startOffset: number, upperBoundOffset: number): TxnIndexSearchResult {
    const aborted: AbortedTxn[] = [];
    for (const e of this.entries) {
      if (e.lastOffset >= startOffset && e.firstOffset < upperBoundOffset) aborted.push(e);
      if (e.lastStableOffset > upperBoundOffset) return { aborted, isComplete: true };
    }
    return { aborted, isComplete: false };
  }

  private rewrite(): void {
    if (this.path === null) return;
    this.closeFd();
    this.stale = true;
    if (this.entries.length === 0) {
      fs.rmSync(this.path, { force: true });
    } else {
      const fault = injectedFault('txn-index', this.path);
      if (fault) throw ioError(fault, this.path);
      fs.writeFileSync(this.path, Buffer.concat(this.entries.map(encode)));
    }
    this.stale = false;
    this.dirty = true;
  }

  flush(): void {
    if (this.stale) this.rewrite();
    if (!this.dirty || this.path === null) return;
    if (this.fd !== null) fs.fsyncSync(this.fd);
    else if (fs.existsSync(this.path)) {
      const fd = fs.openSync(this.path, 'r+');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    this.dirty = false;
  }

  private closeFd(): void {
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
  }

  close(): void {
    this.closeFd();
  }

  delete(): void {
    this.closeFd();
    this.entries = [];
    if (this.path !== null) fs.rmSync(this.path, { force: true });
  }
}
