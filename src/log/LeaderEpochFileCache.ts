// Kafka's LeaderEpochFileCache: for each leader epoch the first offset written in it, so a
// replica can tell where its log diverges from a new leader's (KIP-101/KIP-279). Kept in the
// partition directory as `leader-epoch-checkpoint` (one "epoch offset" line each), or in memory.
//
// Disk full: a new epoch is written to the file before it is used (`assign` throws and changes
// nothing when it cannot be), so the file never lacks an epoch of the log. A truncation that
// cannot rewrite the file still truncates in memory and leaves the rewrite pending; the log calls
// `persistIfPending` before it appends again, so stale entries on disk can only point at or past
// the log end, which loading cuts (`truncateFromEnd(logEndOffset)`).
//
// Writes are not fsynced on the spot (as Kafka since KAFKA-15046): a leadership change rewrites
// the file for every partition it leads, and a restart would pay an fsync each. `sync()` makes
// it durable; the log calls it in every flush before its segments and its recovery point, so no
// flushed batch depends on an epoch entry a power cut could lose. A process crash loses nothing
// (the rename is atomic and the page cache survives).
//
// A file that does not parse as strictly increasing (epoch, offset) lines is reported by
// `corrupt` and ignored; the log rebuilds the entries from its batches' partition leader epochs.
import fs from 'node:fs';
import path from 'node:path';
import { syncFile, writeFileAtomically } from './CheckpointFile.js';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export class LeaderEpochFileCache {
  private entries: EpochEntry[] = [];
  private readonly file: string | null;
  private pending = false;
  /** Written since the last sync(). */
  private unsynced = false;
  /** Why the checkpoint file was not usable when opened, or null. */
  readonly corrupt: string | null = null;

  constructor(dir: string | null) {
    this.file = dir === null ? null : path.join(dir, LEADER_EPOCH_CHECKPOINT);
    if (this.file && fs.existsSync(this.file)) this.corrupt = this.load(fs.readFileSync(this.file, 'utf8'));
  }

  private load(text: string): string | null {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    for (const [i, line] of lines.entries()) {
      const m = /^(\d+) (\d+)$/.exec(line.trim());
      const prev = this.entries.at(-1);
      const e = m ? { epoch: Number(m[1]), startOffset: Number(m[2]) } : null;
      if (!e || (prev && (e.epoch <= prev.epoch || e.startOffset <= prev.startOffset))) {
        this.entries = [];
        return `malformed or out-of-order line ${i + 1}: ${JSON.stringify(line.slice(0, 40))}`;
      }
      this.entries.push(e);
    }
    return null;
  }

  get latestEpoch(): number {
    return this.entries.at(-1)?.epoch ?? -1;
  }

  all(): readonly EpochEntry[] {
    return this.entries;
  }

  /**
   * Record that `epoch` starts at `startOffset` (ignored unless it is a new, larger epoch). The
   * file is written first: if that fails this throws and nothing changed.
   */
  assign(epoch: number, startOffset: number): void {
    const last = this.entries.at(-1);
    if (epoch < 0 || (last && epoch <= last.epoch)) return;
    // An entry for a smaller epoch cannot start at or after a larger epoch's start.
    const next = this.entries.filter((e) => e.startOffset < startOffset);
    next.push({ epoch, startOffset });
    this.persist(next);
    this.entries = next;
  }

  /**
   * The largest epoch <= `epoch` and the offset where it ends (the next epoch's start, or the
   * log end offset for the latest epoch, also for a newer epoch: minikafka records an epoch at
   * its first append, not when leadership starts). An epoch below the first known one ends where
   * that one starts (as in Kafka: its data is gone, the caller may keep what lies before);
   * {-1, -1} for epoch -1 or an empty cache.
   */
  endOffsetFor(epoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    if (epoch < 0 || this.entries.length === 0) return { epoch: -1, endOffset: -1 };
    let i = this.entries.length - 1;
    while (i >= 0 && this.entries[i]!.epoch > epoch) i--;
    if (i < 0) return { epoch, endOffset: this.entries[0]!.startOffset };
    const next = this.entries[i + 1];
    return { epoch: this.entries[i]!.epoch, endOffset: next ? next.startOffset : logEndOffset };
  }

  /**
   * A new leader's epoch, starting at the log end: kept in memory and written before the next
   * append (`persistIfPending`), not now. Until then the file lacks only an epoch with no batch,
   * which loading would cut anyway (an entry at the log end), so a leadership change costs no
   * write per partition. Ignored unless a new, larger epoch.
   */
  assignAtLogEnd(epoch: number, logEndOffset: number): void {
    const last = this.entries.at(-1);
    if (epoch < 0 || (last && epoch <= last.epoch)) return;
    this.entries = this.entries.filter((e) => e.startOffset < logEndOffset);
    this.entries.push({ epoch, startOffset: logEndOffset });
    this.pending = this.file !== null;
  }

  /**
   * The log was truncated to `offset`: forget epochs that start at or after it. Never throws (see
   * the module comment). `deferWrite` (loading, which cuts at the log end) leaves the file to the
   * next append: its stale entries all start at or past the log end.
   */
  truncateFromEnd(offset: number, deferWrite = false): void {
    const kept = this.entries.filter((e) => e.startOffset < offset);
    if (kept.length === this.entries.length) return;
    this.entries = kept;
    if (deferWrite) this.pending = this.file !== null;
    else this.persistOrDefer();
  }

  /**
   * The log start moved to `offset` (Kafka's truncateFromStart): entries ending at or below it
   * go, and the newest of them, if any, is moved up to start at `offset`. Never throws.
   */
  truncateFromStart(offset: number): void {
    let i = 0;
    while (i + 1 < this.entries.length && this.entries[i + 1]!.startOffset <= offset) i++;
    const first = this.entries[i];
    if (!first || (i === 0 && first.startOffset >= offset)) return;
    this.entries = [{ epoch: first.epoch, startOffset: Math.max(first.startOffset, offset) }, ...this.entries.slice(i + 1)];
    this.persistOrDefer();
  }

  /** Replace every entry (rebuilt from the log). Never throws. */
  reset(entries: EpochEntry[]): void {
    this.entries = entries;
    this.persistOrDefer();
  }

  clear(): void {
    this.reset([]);
  }

  /** Write the file if a truncation could not; throws while it still cannot. */
  persistIfPending(): void {
    if (this.pending) this.persist(this.entries);
  }

  get hasPendingWrite(): boolean {
    return this.pending;
  }

  private persistOrDefer(): void {
    try {
      this.persist(this.entries);
    } catch {
      this.pending = true;
    }
  }

  private persist(entries: EpochEntry[]): void {
    if (!this.file) return;
    writeFileAtomically(this.file, entries.map((e) => `${e.epoch} ${e.startOffset}\n`).join(''), false);
    this.pending = false;
    this.unsynced = true;
  }

  /** fsync what persist() wrote since the last sync (the log's flush calls it first). */
  sync(): void {
    if (!this.file || !this.unsynced) return;
    syncFile(this.file);
    this.unsynced = false;
  }
}
