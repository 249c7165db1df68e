// One topic partition hosted by this broker: its log, its leader epoch and high watermark,
// and the fetches parked on it waiting for data (Kafka's Partition + the fetch purgatory's
// watch keys for it).
import type { AppendInfo, UnifiedLog } from '../log/UnifiedLog.js';

export class Partition {
  private readonly watchers = new Set<() => void>();

  constructor(
    readonly topic: string,
    readonly index: number,
    readonly log: UnifiedLog,
    public leaderEpoch = 0,
  ) {}

  get name(): string {
    return `${this.topic}-${this.index}`;
  }

  /** With a single replica every appended record is committed at once. */
  get highWatermark(): number {
    return this.log.logEndOffset;
  }

  /** No transactions yet: the last stable offset is the high watermark. */
  get lastStableOffset(): number {
    return this.highWatermark;
  }

  get logStartOffset(): number {
    return this.log.logStartOffset;
  }

  appendRecordsToLeader(records: Buffer): AppendInfo {
    const info = this.log.appendAsLeader(records, this.leaderEpoch);
    this.notifyWatchers();
    return info;
  }

  /** Register a callback for the next append; returns the function that unregisters it. */
  watch(fn: () => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  notifyWatchers(): void {
    if (this.watchers.size === 0) return;
    for (const fn of [...this.watchers]) fn();
  }
}
