// One topic partition on this broker (Kafka's Partition): its log, its role (leader or
// follower) at a leader epoch, and on the leader the replication state of the followers:
// their log end offsets, the ISR and the high watermark.
//
// The high watermark is the smallest log end offset in the ISR and never moves back; records
// below it are committed and visible to consumers. A follower that has not caught up with
// the leader's log end offset for replica.lag.time.max.ms leaves the ISR; one that reaches
// the high watermark (and the current epoch) rejoins. ISR changes are proposed to the
// controller (AlterPartition) and take effect when it accepts them.
import path from 'node:path';
import { readNumberCheckpoint, writeNumberCheckpoint } from '../log/CheckpointFile.js';
import type { AppendInfo, UnifiedLog } from '../log/UnifiedLog.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { PartitionState } from '../replication/MetadataImage.js';

const HIGH_WATERMARK_FILE = 'high-watermark';

interface FollowerState {
  /** The follower's log end offset as of its last fetch (-1 until it fetches from this leader). */
  logEndOffset: number;
  /** Last time the follower's fetch offset reached the leader's log end offset. */
  lastCaughtUpTimeMs: number;
}

interface HighWatermarkWaiter {
  offset: number;
  resolve: (error: number) => void;
}

export interface IsrChangeProposer {
  (partition: Partition, newIsr: number[]): void;
}

export class Partition {
  private readonly watchers = new Set<() => void>();
  private hw: number;
  leaderId = -1;
  leaderEpoch = -1;
  partitionEpoch = -1;
  replicas: number[] = [];
  isr: number[] = [];
  /** Where the current leader epoch started in this log (followers must reach it to rejoin). */
  private leaderEpochStartOffset = 0;
  private readonly followers = new Map<number, FollowerState>();
  private hwWaiters: HighWatermarkWaiter[] = [];
  /** An ISR change sent to the controller and not answered yet. */
  isrChangeInFlight = false;

  constructor(
    readonly topic: string,
    readonly index: number,
    readonly log: UnifiedLog,
    readonly localBrokerId: number,
    private readonly proposeIsr: IsrChangeProposer,
  ) {
    const saved = log.dir ? readNumberCheckpoint(path.join(log.dir, HIGH_WATERMARK_FILE)) : null;
    this.hw = Math.min(Math.max(saved ?? 0, log.logStartOffset), log.logEndOffset);
  }

  get name(): string {
    return `${this.topic}-${this.index}`;
  }

  get isLeader(): boolean {
    return this.leaderId === this.localBrokerId;
  }

  get highWatermark(): number {
    return this.hw;
  }

  /** No transactions yet: the last stable offset is the high watermark. */
  get lastStableOffset(): number {
    return this.hw;
  }

  get logStartOffset(): number {
    return this.log.logStartOffset;
  }

  get minInSyncReplicas(): number {
    return this.log.config.minInSyncReplicas;
  }

  // -------------------------------------------------------------------------------------------
  // Role changes, from the metadata the controller publishes

  /** Apply the controller's state for this partition; returns 'leader', 'follower' or null when unchanged. */
  applyState(state: PartitionState, now: number): 'leader' | 'follower' | null {
    const wasLeader = this.isLeader;
    const epochChanged = state.leaderEpoch !== this.leaderEpoch || state.leader !== this.leaderId;
    this.replicas = [...state.replicas];
    this.isr = [...state.isr];
    this.partitionEpoch = state.partitionEpoch;
    this.isrChangeInFlight = false;
    if (!epochChanged) {
      if (this.isLeader) this.maybeIncrementHighWatermark();
      return null;
    }
    this.leaderId = state.leader;
    this.leaderEpoch = state.leaderEpoch;
    if (this.isLeader) {
      // Kafka's makeLeader: the new epoch starts at our log end offset; followers start unknown
      // but get a full lag interval before they can be dropped from the ISR.
      this.leaderEpochStartOffset = this.log.logEndOffset;
      this.log.leaderEpochCache.assign(this.leaderEpoch, this.leaderEpochStartOffset);
      this.followers.clear();
      for (const r of this.replicas) if (r !== this.localBrokerId) this.followers.set(r, { logEndOffset: -1, lastCaughtUpTimeMs: now });
      this.maybeIncrementHighWatermark();
    } else {
      this.followers.clear();
      if (wasLeader) this.failWaiters(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      if (this.hw > this.log.logEndOffset) this.hw = this.log.logEndOffset;
    }
    this.notifyWatchers();
    return this.isLeader ? 'leader' : 'follower';
  }

  /** A KafkaError unless this broker leads the partition at the client's epoch (-1 = any). */
  checkLeader(currentLeaderEpoch = -1): void {
    if (!this.isLeader) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `broker ${this.localBrokerId} does not lead ${this.name}`);
    this.checkEpoch(currentLeaderEpoch);
  }

  checkEpoch(currentLeaderEpoch: number): void {
    if (currentLeaderEpoch === -1) return;
    if (currentLeaderEpoch < this.leaderEpoch) throw new KafkaError(ErrorCode.FENCED_LEADER_EPOCH);
    if (currentLeaderEpoch > this.leaderEpoch) throw new KafkaError(ErrorCode.UNKNOWN_LEADER_EPOCH);
  }

  // -------------------------------------------------------------------------------------------
  // Leader: appends and follower progress

  appendRecordsToLeader(records: Buffer, requiredAcks: number): AppendInfo {
    this.checkLeader();
    const minIsr = this.minInSyncReplicas;
    if (requiredAcks === -1 && this.isr.length < minIsr) {
      throw new KafkaError(
        ErrorCode.NOT_ENOUGH_REPLICAS,
        `The size of the current ISR [${this.isr.join(',')}] is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${this.name}`,
      );
    }
    const info = this.log.appendAsLeader(records, this.leaderEpoch);
    if (!info.duplicate) {
      this.maybeIncrementHighWatermark();
      this.notifyWatchers();
    }
    return info;
  }

  /**
   * acks=all: resolves NONE once the high watermark passes `offset`, NOT_ENOUGH_REPLICAS_AFTER_APPEND
   * if by then the ISR is smaller than min.insync.replicas, REQUEST_TIMED_OUT after timeoutMs,
   * NOT_LEADER_OR_FOLLOWER if leadership is lost first.
   */
  waitForHighWatermark(offset: number, timeoutMs: number): Promise<number> {
    const settled = () => (this.isr.length < this.minInSyncReplicas ? ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND : ErrorCode.NONE);
    if (this.hw > offset) return Promise.resolve(settled());
    return new Promise((resolve) => {
      const waiter: HighWatermarkWaiter = {
        offset,
        resolve: (code) => {
          clearTimeout(timer);
          resolve(code === ErrorCode.NONE ? settled() : code);
        },
      };
      const timer = setTimeout(() => {
        this.hwWaiters = this.hwWaiters.filter((w) => w !== waiter);
        resolve(ErrorCode.REQUEST_TIMED_OUT);
      }, timeoutMs);
      this.hwWaiters.push(waiter);
    });
  }

  private failWaiters(code: number): void {
    const waiters = this.hwWaiters;
    this.hwWaiters = [];
    for (const w of waiters) w.resolve(code);
  }

  /** A follower fetched from `fetchOffset`: it has everything below it. */
  updateFollowerFetchState(followerId: number, fetchOffset: number, now: number): void {
    const f = this.followers.get(followerId);
    if (!f) return;
    f.logEndOffset = fetchOffset;
    if (fetchOffset >= this.log.logEndOffset) f.lastCaughtUpTimeMs = now;
    if (!this.isr.includes(followerId) && fetchOffset >= this.hw && fetchOffset >= this.leaderEpochStartOffset) {
      this.requestIsrChange([...this.isr, followerId]);
    }
    this.maybeIncrementHighWatermark();
  }

  /** Drop followers that have not caught up for lagTimeMs from the ISR. */
  maybeShrinkIsr(now: number, lagTimeMs: number): void {
    if (!this.isLeader) return;
    const out = this.isr.filter((r) => {
      if (r === this.localBrokerId) return false;
      const f = this.followers.get(r);
      return !f || now - f.lastCaughtUpTimeMs > lagTimeMs;
    });
    if (out.length > 0) this.requestIsrChange(this.isr.filter((r) => !out.includes(r)));
  }

  private requestIsrChange(newIsr: number[]): void {
    if (this.isrChangeInFlight) return;
    this.isrChangeInFlight = true;
    this.proposeIsr(this, newIsr);
  }

  /** The controller accepted an ISR change. */
  isrChanged(isr: number[], partitionEpoch: number): void {
    this.isr = isr;
    this.partitionEpoch = partitionEpoch;
    this.isrChangeInFlight = false;
    this.maybeIncrementHighWatermark();
  }

  private maybeIncrementHighWatermark(): void {
    if (!this.isLeader) return;
    let hw = this.log.logEndOffset;
    for (const r of this.isr) {
      if (r === this.localBrokerId) continue;
      const f = this.followers.get(r);
      hw = Math.min(hw, f ? f.logEndOffset : -1);
    }
    if (hw > this.hw) this.advanceHighWatermark(hw);
  }

  private advanceHighWatermark(hw: number): void {
    this.hw = hw;
    if (this.hwWaiters.length > 0) {
      const done = this.hwWaiters.filter((w) => w.offset < hw);
      if (done.length > 0) {
        this.hwWaiters = this.hwWaiters.filter((w) => w.offset >= hw);
        for (const w of done) w.resolve(ErrorCode.NONE);
      }
    }
    this.notifyWatchers();
  }

  // -------------------------------------------------------------------------------------------
  // Follower

  /** Append batches fetched from the leader; the high watermark follows the leader's. */
  appendRecordsAsFollower(records: Buffer | null, leaderHighWatermark: number): void {
    if (records && records.length > 0) this.log.appendAsFollower(records);
    const hw = Math.min(leaderHighWatermark, this.log.logEndOffset);
    if (hw > this.hw) {
      this.hw = hw;
      this.notifyWatchers();
    }
  }

  /** Drop a divergent suffix (the leader has no such records). */
  truncateTo(offset: number): void {
    this.log.truncateTo(offset);
    if (this.hw > this.log.logEndOffset) this.hw = this.log.logEndOffset;
  }

  /** The leader's log starts after everything we have: start over at its log start offset. */
  truncateFullyAndStartAt(offset: number): void {
    this.log.truncateFullyAndStartAt(offset);
    this.hw = offset;
  }

  // -------------------------------------------------------------------------------------------

  checkpointHighWatermark(): void {
    if (this.log.dir) writeNumberCheckpoint(path.join(this.log.dir, HIGH_WATERMARK_FILE), this.hw);
  }

  /** Register a callback for the next append or high watermark move; returns its remover. */
  watch(fn: () => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  notifyWatchers(): void {
    if (this.watchers.size === 0) return;
    for (const fn of [...this.watchers]) fn();
  }

  close(): void {
    this.failWaiters(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    this.checkpointHighWatermark();
    this.log.close();
  }

  /** A crash: parked acks=all produces fail, nothing is flushed or checkpointed. */
  abandon(): void {
    this.failWaiters(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    this.log.abandon();
  }
}
