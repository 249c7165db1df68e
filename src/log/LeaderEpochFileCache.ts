// Kafka's LeaderEpochFileCache: for each leader epoch the first offset written in it, so a
// replica can tell where its log diverges from a new leader's (KIP-101/KIP-279). Kept in the
// partition directory as `leader-epoch-checkpoint` (one "epoch offset" line each), or in memory.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from './CheckpointFile.js';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export class LeaderEpochFileCache {
  private entries: EpochEntry[] = [];
  private readonly file: string | null;

  constructor(dir: string | null) {
    this.file = dir === null ? null : path.join(dir, LEADER_EPOCH_CHECKPOINT);
    if (this.file && fs.existsSync(this.file)) {
      for (const line of fs.readFileSync(this.file, 'utf8').split('\n')) {
        const m = /^(\d+) (\d+)$/.exec(line.trim());
        if (m) this.entries.push({ epoch: Number(m[1]), startOffset: Number(m[2]) });
      }
    }
  }

  get latestEpoch(): number {
    return this.entries.at(-1)?.epoch ?? -1;
  }

  all(): readonly EpochEntry[] {
    return this.entries;
  }

  /** Record that `epoch` starts at `startOffset` (ignored unless it is a new, larger epoch). */
  assign(epoch: number, startOffset: number): void {
    if (epoch < 0) return;
    const last = this.entries.at(-1);
    if (last && epoch <= last.epoch) return;
    // An entry for a smaller epoch cannot start at or after a larger epoch's start.
    while (this.entries.length > 0 && this.entries.at(-1)!.startOffset >= startOffset) this.entries.pop();
    this.entries.push({ epoch, startOffset });
    this.persist();
  }

  /**
   * The largest epoch <= `epoch` and the offset where it ends (the next epoch's start, or the
   * log end offset for the latest epoch); {-1, -1} when no such epoch is known.
   */
  endOffsetFor(epoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    let i = this.entries.length - 1;
    while (i >= 0 && this.entries[i]!.epoch > epoch) i--;
    if (i < 0) return { epoch: -1, endOffset: -1 };
    const next = this.entries[i + 1];
    return { epoch: this.entries[i]!.epoch, endOffset: next ? next.startOffset : logEndOffset };
  }

  /** The log was truncated to `offset`: forget epochs that start at or after it. */
  truncateFromEnd(offset: number): void {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.startOffset < offset);
    if (this.entries.length !== before) this.persist();
  }

  clear(): void {
    this.entries = [];
    this.persist();
  }

  private persist(): void {
    if (!this.file) return;
    writeFileAtomically(this.file, this.entries.map((e) => `${e.epoch} ${e.startOffset}\n`).join(''));
  }
}
