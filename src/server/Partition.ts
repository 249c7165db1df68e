// One topic partition on this broker (Kafka's Partition): its log, its role (leader or
// follower) at a leader epoch, and on the leader the replication state of the followers:
// their log end offsets, the ISR and the high watermark.
//
// Kafka's rules, exactly:
// - The high watermark is the smallest log end offset over the *maximal* ISR — the committed
//   ISR together with a proposed addition still waiting for the controller — and never moves
//   back. So no acks=all record is acknowledged that a replica about to join the ISR lacks.
// - A follower is caught up when a fetch reaches the leader's log end offset, or reaches the
//   leader's log end offset *as of its previous fetch* (`lastFetchLeaderLogEndOffset`; then it
//   counts as caught up at that previous fetch time). A committed ISR member that has not been
//   caught up for replica.lag.time.max.ms (and is not at the log end) leaves the ISR; a
//   follower that reaches the high watermark and the current epoch's start offset rejoins.
// - ISR changes are proposed to the controller (AlterPartition), one at a time; the answer is
//   applied only if it is for the pending proposal and not older than the state we hold.
// - KIP-890 part 1 (Kafka's VerificationGuard): a client's transactional batch that would open a
//   transaction here is appended only with the guard handed out before the coordinator was asked,
//   and only if no end marker for that producer was written meanwhile (INVALID_TXN_STATE).
import path from 'node:path';
import { readNumberCheckpoint, writeNumberCheckpoint } from '../log/CheckpointFile.js';
import type { AppendInfo, AppendOrigin, UnifiedLog } from '../log/UnifiedLog.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import * as RB from '../protocol/recordBatch.js';
import type { PartitionState } from '../replication/MetadataImage.js';
import { SYSTEM_TIME, type Time, type TimerHandle } from '../util/Time.js';

const HIGH_WATERMARK_FILE = 'high-watermark';

interface FollowerState {
  /** The follower's log end offset as of its last fetch (-1 until it fetches from this leader). */
  logEndOffset: number;
  /** Last time the follower was caught up with the leader (see the module comment). */
  lastCaughtUpTimeMs: number;
  /** The leader's log end offset when the follower last fetched (-1 before its first fetch). */
  lastFetchLeaderLogEndOffset: number;
  /** When the follower last fetched. */
  lastFetchTimeMs: number;
}

/** One acks=all produce parked until the high watermark passes `offset`. */
interface HighWatermarkWaiter {
  offset: number;
  settled: boolean;
  timer: TimerHandle | null;
  resolve: (error: number) => void;
}

/** Kafka's VerificationGuard: proof that a transaction's first append here was verified with its coordinator. */
export type VerificationGuard = { readonly producerId: number };

/** An ISR change sent to the controller and not answered yet. */
export interface IsrProposal {
  readonly isr: readonly number[];
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
}

/** The controller's answer to an AlterPartition. */
export interface AlterPartitionResult {
  errorCode: number;
  leaderEpoch: number;
  partitionEpoch: number;
  isr: number[];
}

export interface IsrChangeProposer {
  (partition: Partition, proposal: IsrProposal): void;
}

export class Partition {
  private readonly watchers = new Set<() => void>();
  private hw: number;
  /** The value in the high-watermark file (-1: none), so an unchanged one is not rewritten. */
  private checkpointedHw: number;
  leaderId = -1;
  leaderEpoch = -1;
  partitionEpoch = -1;
  replicas: number[] = [];
  /** The committed ISR (as the controller last confirmed it). */
  isr: number[] = [];
  /** Where the current leader epoch started in this log (followers must reach it to rejoin). */
  private leaderEpochStartOffset = 0;
  private readonly followers = new Map<number, FollowerState>();
  /** Parked acks=all produces, ordered by offset; `waitersHead` skips the ones already settled. */
  private hwWaiters: HighWatermarkWaiter[] = [];
  private waitersHead = 0;
  private pending: IsrProposal | null = null;
  /** Transaction verifications in flight: producer id → the guard its append must present. */
  private readonly verificationGuards = new Map<number, VerificationGuard>();

  constructor(
    readonly topic: string,
    readonly index: number,
    readonly log: UnifiedLog,
    readonly localBrokerId: number,
    private readonly proposeIsr: IsrChangeProposer,
    private readonly time: Time = SYSTEM_TIME,
  ) {
    const saved = log.dir ? readNumberCheckpoint(path.join(log.dir, HIGH_WATERMARK_FILE)) : null;
    this.hw = Math.min(Math.max(saved ?? 0, log.logStartOffset), log.logEndOffset);
    this.checkpointedHw = saved ?? -1;
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

  /**
   * The last stable offset (LSO): the high watermark, or the first offset of the oldest
   * transaction still open or whose marker the high watermark has not passed, if smaller.
   */
  get lastStableOffset(): number {
    const unstable = this.log.firstUnstableOffset(this.hw);
    return unstable === null ? this.hw : Math.min(unstable, this.hw);
  }

  get logStartOffset(): number {
    return this.log.logStartOffset;
  }

  get minInSyncReplicas(): number {
    return this.log.config.minInSyncReplicas;
  }

  /** The ISR change waiting for the controller, if any. */
  get pendingIsrChange(): IsrProposal | null {
    return this.pending;
  }

  /** The committed ISR plus a pending addition (a pending removal still counts its replicas). */
  get maximalIsr(): number[] {
    if (!this.pending) return this.isr;
    const out = [...this.isr];
    for (const r of this.pending.isr) if (!out.includes(r)) out.push(r);
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Role changes, from the metadata the controller publishes

  /** Apply the controller's state for this partition; returns 'leader', 'follower' or null when unchanged. */
  applyState(state: PartitionState, now: number): 'leader' | 'follower' | null {
    const wasLeader = this.isLeader;
    const epochChanged = state.leaderEpoch !== this.leaderEpoch || state.leader !== this.leaderId;
    if (!epochChanged) {
      // Same leader epoch: only a newer partition epoch changes anything. An older one is a
      // record we have already overtaken by applying the controller's AlterPartition answer.
      if (state.partitionEpoch <= this.partitionEpoch) return null;
      this.replicas = [...state.replicas];
      this.isr = [...state.isr];
      this.partitionEpoch = state.partitionEpoch;
      // A reassignment adds replicas without a new leader epoch: the leader starts tracking them.
      if (this.isLeader) {
        for (const r of this.replicas) {
          if (r !== this.localBrokerId && !this.followers.has(r)) this.followers.set(r, { logEndOffset: -1, lastCaughtUpTimeMs: now, lastFetchLeaderLogEndOffset: -1, lastFetchTimeMs: 0 });
        }
        for (const r of [...this.followers.keys()]) if (!this.replicas.includes(r)) this.followers.delete(r);
      }
      // Our proposal, if any, carried an older partition epoch: the controller can no longer accept it.
      this.pending = null;
      if (this.isLeader) this.maybeIncrementHighWatermark();
      return null;
    }
    this.replicas = [...state.replicas];
    this.isr = [...state.isr];
    this.partitionEpoch = state.partitionEpoch;
    this.pending = null;
    this.leaderId = state.leader;
    this.leaderEpoch = state.leaderEpoch;
    this.verificationGuards.clear();
    if (this.isLeader) {
      // Kafka's makeLeader: the new epoch starts at our log end offset; followers start unknown
      // but get a full lag interval before they can be dropped from the ISR.
      this.leaderEpochStartOffset = this.log.logEndOffset;
      this.log.leaderEpochCache.assignAtLogEnd(this.leaderEpoch, this.leaderEpochStartOffset);
      this.followers.clear();
      for (const r of this.replicas) {
        if (r !== this.localBrokerId) this.followers.set(r, { logEndOffset: -1, lastCaughtUpTimeMs: now, lastFetchLeaderLogEndOffset: -1, lastFetchTimeMs: 0 });
      }
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
  // Leader: appends and acks=all

  /**
   * Append to the leader's log. `origin` is Kafka's AppendOrigin: 'client' for Produce,
   * 'coordinator' for what a coordinator writes itself (its records, transactional offset
   * commits, and the transaction markers of WriteTxnMarkers).
   */
  appendRecordsToLeader(records: Buffer, requiredAcks: number, origin: AppendOrigin = 'client', verificationGuard?: VerificationGuard | null): AppendInfo {
    this.checkLeader();
    if (verificationGuard !== undefined) this.checkVerification(records, verificationGuard);
    const minIsr = this.minInSyncReplicas;
    if (requiredAcks === -1 && this.isr.length < minIsr) {
      throw new KafkaError(
        ErrorCode.NOT_ENOUGH_REPLICAS,
        `The size of the current ISR [${this.isr.join(',')}] is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${this.name}`,
      );
    }
    const info = this.log.appendAsLeader(records, this.leaderEpoch, origin);
    if (this.verificationGuards.size > 0) {
      // an end marker, or the transaction's verified first batch, ends the verification
      RB.forEachBatch(records, (p) => void this.verificationGuards.delete(RB.producerId(records, p)));
    }
    if (!info.duplicate) {
      this.maybeIncrementHighWatermark();
      this.notifyWatchers();
    }
    return info;
  }

  /**
   * KIP-890 part 1: null when the producer's transaction is already open here (nothing to verify),
   * else a new guard to present with the append once the coordinator has verified the partition.
   */
  maybeStartTransactionVerification(producerId: number, producerEpoch: number): VerificationGuard | null {
    if (this.hasOngoingTransaction(producerId, producerEpoch)) return null;
    const guard: VerificationGuard = { producerId };
    this.verificationGuards.set(producerId, guard);
    return guard;
  }

  /** Kafka's hasOngoingTransaction: an open transaction of this producer at this epoch (a newer epoch's may have ended it). */
  private hasOngoingTransaction(producerId: number, producerEpoch: number): boolean {
    const entry = this.log.producerState.get(producerId);
    return entry !== undefined && entry.currentTxnFirstOffset >= 0 && entry.producerEpoch === producerEpoch;
  }

  /** A verification that failed: its guard goes (unless a newer one replaced it). */
  abandonTransactionVerification(guard: VerificationGuard): void {
    if (this.verificationGuards.get(guard.producerId) === guard) this.verificationGuards.delete(guard.producerId);
  }

  /** Kafka's batchMissingRequiredVerification, for an append made with verification on. */
  private checkVerification(records: Buffer, guard: VerificationGuard | null): void {
    RB.forEachBatch(records, (p) => {
      if (!RB.isTransactional(records, p) || RB.isControl(records, p)) return;
      const pid = RB.producerId(records, p);
      if (this.hasOngoingTransaction(pid, RB.producerEpoch(records, p))) return;
      if (guard === null || this.verificationGuards.get(pid) !== guard) {
        throw new KafkaError(ErrorCode.INVALID_TXN_STATE, `Record was not part of an ongoing transaction (producer ${pid}, ${this.name})`);
      }
    });
  }

  /**
   * acks=all: resolves NONE once the high watermark passes `offset`, NOT_ENOUGH_REPLICAS_AFTER_APPEND
   * if by then the committed ISR is smaller than min.insync.replicas, REQUEST_TIMED_OUT after
   * timeoutMs, NOT_LEADER_OR_FOLLOWER if leadership is lost first.
   */
  waitForHighWatermark(offset: number, timeoutMs: number): Promise<number> {
    const settled = () => (this.isr.length < this.minInSyncReplicas ? ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND : ErrorCode.NONE);
    if (this.hw > offset) return Promise.resolve(settled());
    return new Promise((resolve) => {
      const waiter: HighWatermarkWaiter = {
        offset,
        settled: false,
        timer: null,
        resolve: (code) => {
          if (waiter.settled) return;
          waiter.settled = true;
          this.time.clear(waiter.timer);
          resolve(code === ErrorCode.NONE ? settled() : code);
        },
      };
      waiter.timer = this.time.setTimeout(() => waiter.resolve(ErrorCode.REQUEST_TIMED_OUT), timeoutMs);
      this.insertWaiter(waiter);
    });
  }

  /** Parked acks=all waits not settled yet. */
  get pendingAcks(): number {
    let n = 0;
    for (let i = this.waitersHead; i < this.hwWaiters.length; i++) if (!this.hwWaiters[i]!.settled) n++;
    return n;
  }

  /** Keep the waiters ordered by offset; appends come in offset order, so this is almost always a push. */
  private insertWaiter(w: HighWatermarkWaiter): void {
    const list = this.hwWaiters;
    let lo = this.waitersHead;
    let hi = list.length;
    if (hi === lo || list[hi - 1]!.offset <= w.offset) {
      list.push(w);
      return;
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]!.offset <= w.offset) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, w);
  }

  /** Resolve every waiter below the high watermark: a walk over the settled prefix only. */
  private releaseWaiters(hw: number): void {
    const list = this.hwWaiters;
    let i = this.waitersHead;
    while (i < list.length && list[i]!.offset < hw) list[i++]!.resolve(ErrorCode.NONE);
    if (i === list.length) {
      this.hwWaiters = [];
      this.waitersHead = 0;
    } else if (i > 1024 && i * 2 > list.length) {
      this.hwWaiters = list.slice(i);
      this.waitersHead = 0;
    } else {
      this.waitersHead = i;
    }
  }

  private failWaiters(code: number): void {
    const waiters = this.hwWaiters;
    const from = this.waitersHead;
    this.hwWaiters = [];
    this.waitersHead = 0;
    for (let i = from; i < waiters.length; i++) waiters[i]!.resolve(code);
  }

  // -------------------------------------------------------------------------------------------
  // Leader: follower progress and the ISR

  /** A follower fetched from `fetchOffset`: it has everything below it (Kafka's updateFollowerFetchState). */
  updateFollowerFetchState(followerId: number, fetchOffset: number, now: number): void {
    const f = this.followers.get(followerId);
    if (!f) return;
    const leaderEnd = this.log.logEndOffset;
    if (fetchOffset >= leaderEnd) f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, now);
    else if (f.lastFetchLeaderLogEndOffset >= 0 && fetchOffset >= f.lastFetchLeaderLogEndOffset) {
      f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, f.lastFetchTimeMs);
    }
    f.logEndOffset = fetchOffset;
    f.lastFetchLeaderLogEndOffset = leaderEnd;
    f.lastFetchTimeMs = now;
    this.maybeExpandIsr(followerId, f);
    this.maybeIncrementHighWatermark();
  }

  private maybeExpandIsr(followerId: number, f: FollowerState): void {
    if (this.pending || this.isr.includes(followerId)) return;
    if (f.logEndOffset >= this.hw && f.logEndOffset >= this.leaderEpochStartOffset) this.requestIsrChange([...this.isr, followerId]);
  }

  /** Kafka's ReplicaState.isCaughtUp. */
  private isCaughtUp(f: FollowerState, now: number, lagTimeMs: number): boolean {
    return f.logEndOffset === this.log.logEndOffset || now - f.lastCaughtUpTimeMs <= lagTimeMs;
  }

  /** Drop committed ISR members that have not been caught up for lagTimeMs (Kafka's maybeShrinkIsr). */
  maybeShrinkIsr(now: number, lagTimeMs: number): void {
    if (!this.isLeader || this.pending) return;
    const out = this.isr.filter((r) => {
      if (r === this.localBrokerId) return false;
      const f = this.followers.get(r);
      return !f || !this.isCaughtUp(f, now, lagTimeMs);
    });
    if (out.length > 0) this.requestIsrChange(this.isr.filter((r) => !out.includes(r)));
  }

  private requestIsrChange(newIsr: number[]): void {
    if (this.pending) return;
    const proposal: IsrProposal = { isr: newIsr, leaderEpoch: this.leaderEpoch, partitionEpoch: this.partitionEpoch };
    this.pending = proposal;
    this.proposeIsr(this, proposal);
  }

  /**
   * The controller answered an AlterPartition (Kafka's handleAlterPartitionUpdate/Error). Returns
   * true when the proposal should be sent again (an error that says nothing about its fate).
   */
  handleAlterPartitionResult(proposal: IsrProposal, res: AlterPartitionResult): boolean {
    if (this.pending !== proposal) return false; // metadata moved on meanwhile
    switch (res.errorCode) {
      case ErrorCode.NONE:
        // An answer at another leader epoch or older than our state is stale: keep waiting for metadata.
        if (res.leaderEpoch !== this.leaderEpoch || res.partitionEpoch < this.partitionEpoch) return false;
        this.isr = [...res.isr];
        this.partitionEpoch = res.partitionEpoch;
        this.pending = null;
        this.maybeIncrementHighWatermark();
        return false;
      case ErrorCode.INELIGIBLE_REPLICA:
      case ErrorCode.OPERATION_NOT_ATTEMPTED:
        // The controller says our partition epoch is current and nothing was applied: back to the committed ISR.
        this.pending = null;
        return false;
      case ErrorCode.FENCED_LEADER_EPOCH:
      case ErrorCode.INVALID_UPDATE_VERSION:
      case ErrorCode.NEW_LEADER_ELECTED: // the change completed a reassignment that moved the leadership
      case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
        // Our state is stale: stay pending until the metadata brings the newer one.
        return false;
      default:
        return true;
    }
  }

  /** The high watermark over the maximal ISR (Kafka's maybeIncrementLeaderHW). */
  private maybeIncrementHighWatermark(): void {
    if (!this.isLeader) return;
    let hw = this.log.logEndOffset;
    for (const r of this.maximalIsr) {
      if (r === this.localBrokerId) continue;
      const f = this.followers.get(r);
      hw = Math.min(hw, f ? f.logEndOffset : -1);
    }
    if (hw > this.hw) this.advanceHighWatermark(hw);
  }

  private advanceHighWatermark(hw: number): void {
    this.hw = hw;
    if (this.hwWaiters.length > this.waitersHead) this.releaseWaiters(hw);
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

  /** Write the high-watermark file, when it changed since the last write. */
  checkpointHighWatermark(): void {
    if (!this.log.dir || this.checkpointedHw === this.hw) return;
    writeNumberCheckpoint(path.join(this.log.dir, HIGH_WATERMARK_FILE), this.hw);
    this.checkpointedHw = this.hw;
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

  /**
   * Flush and close. A high watermark checkpoint that cannot be written (a full disk) does not
   * stop the log from closing: the next start derives the high watermark from the log as after a crash.
   */
  close(): void {
    this.failWaiters(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    let checkpointError: unknown = null;
    try {
      this.checkpointHighWatermark();
    } catch (err) {
      checkpointError = err;
    }
    const flushed = this.log.close();
    if (checkpointError) throw checkpointError;
    if (!flushed) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `${this.name}: log not flushed on close`);
  }

  /** This broker no longer hosts the partition (reassigned away, or deleted): parked acks=all produces fail NOT_LEADER_OR_FOLLOWER now. */
  markRemoved(): void {
    this.failWaiters(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  }

  /** A crash: parked acks=all produces fail, nothing is flushed or checkpointed. */
  abandon(): void {
    this.failWaiters(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    this.log.abandon();
  }
}
