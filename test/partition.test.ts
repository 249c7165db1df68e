// Partition's replication rules as Kafka has them, in simulated time (MockTime): the high
// watermark over the maximal ISR, the caught-up rule, ISR shrink/expand, stale AlterPartition
// answers, acks=all outcomes, and a follower's truncation on a diverging epoch.
import { describe, expect, it } from 'vitest';
import { LogConfig } from '../src/log/LogConfig.js';
import { UnifiedLog } from '../src/log/UnifiedLog.js';
import { ErrorCode } from '../src/protocol/errors.js';
import * as RB from '../src/protocol/recordBatch.js';
import type { PartitionState } from '../src/replication/MetadataImage.js';
import { truncationOffset } from '../src/server/ReplicaFetcher.js';
import { Partition, type IsrProposal } from '../src/server/Partition.js';
import { MockTime } from '../src/util/Time.js';

const LAG_MS = 1000;

function batch(n: number, tag = 'k'): Buffer {
  return RB.encodeRecordBatch({
    compression: 0,
    baseTimestamp: 1_700_000_000_000,
    records: Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`${tag}-${i}`), value: Buffer.from(`v-${i}`), timestamp: 1_700_000_000_000 + i })),
  });
}

interface Harness {
  time: MockTime;
  p: Partition;
  proposals: IsrProposal[];
  state: PartitionState;
  /** The controller accepts the last proposal: the answer the broker would hand to the partition. */
  accept(): void;
  /** The controller publishes a new partition state (as the metadata log would). */
  publish(change: Partial<PartitionState>): void;
}

function leaderHarness(opts: { isr?: number[]; minIsr?: number } = {}): Harness {
  const time = new MockTime();
  const log = UnifiedLog.open(null, LogConfig.fromProperties({ 'min.insync.replicas': String(opts.minIsr ?? 2) }), { now: () => time.now() });
  const proposals: IsrProposal[] = [];
  const p = new Partition('t', 0, log, 1, (_p, proposal) => proposals.push(proposal), time);
  const h: Harness = {
    time,
    p,
    proposals,
    state: { replicas: [1, 2, 3], isr: opts.isr ?? [1, 2, 3], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
    accept() {
      const last = proposals.at(-1)!;
      h.state = { ...h.state, isr: [...last.isr], partitionEpoch: h.state.partitionEpoch + 1 };
      p.handleAlterPartitionResult(last, { errorCode: ErrorCode.NONE, leaderEpoch: h.state.leaderEpoch, partitionEpoch: h.state.partitionEpoch, isr: [...last.isr] });
    },
    publish(change) {
      h.state = { ...h.state, ...change };
      p.applyState(h.state, time.now());
    },
  };
  p.applyState(h.state, time.now());
  return h;
}

describe('Partition: high watermark over the maximal ISR', () => {
  it('an ISR addition waiting for the controller holds the high watermark and acks=all back (no acknowledged record the joiner lacks)', async () => {
    const h = leaderHarness({ isr: [1, 2] });
    const { p } = h;
    // Follower 3 catches up at offset 0 and is proposed for the ISR; the answer is slow.
    p.updateFollowerFetchState(2, 0, h.time.now());
    p.updateFollowerFetchState(3, 0, h.time.now());
    expect(h.proposals.map((x) => x.isr)).toEqual([[1, 2, 3]]);
    expect(p.maximalIsr).toEqual([1, 2, 3]);

    const info = p.appendRecordsToLeader(batch(5), -1);
    const ack = p.waitForHighWatermark(info.lastOffset, 30_000);
    let outcome: number | undefined;
    void ack.then((c) => (outcome = c));
    // Follower 2 has everything; follower 3 (joining) has nothing new.
    p.updateFollowerFetchState(2, 5, h.time.now());
    await h.time.advance(1500);
    expect(p.highWatermark).toBe(0);
    expect(outcome).toBeUndefined();

    // The controller accepts: 3 is in the ISR, still without the records; nothing was acknowledged.
    h.accept();
    expect(p.isr).toEqual([1, 2, 3]);
    expect(p.highWatermark).toBe(0);
    expect(outcome).toBeUndefined();

    p.updateFollowerFetchState(3, 5, h.time.now());
    await h.time.advance(0);
    expect(p.highWatermark).toBe(5);
    expect(outcome).toBe(ErrorCode.NONE);
  });

  it('a removal waiting for the controller still counts the replica being removed', async () => {
    const h = leaderHarness({ isr: [1, 2, 3] });
    const { p } = h;
    p.appendRecordsToLeader(batch(3), -1);
    p.updateFollowerFetchState(2, 3, h.time.now());
    p.updateFollowerFetchState(3, 0, h.time.now());
    await h.time.advance(LAG_MS + 1);
    p.updateFollowerFetchState(2, 3, h.time.now());
    p.maybeShrinkIsr(h.time.now(), LAG_MS);
    expect(h.proposals.map((x) => x.isr)).toEqual([[1, 2]]);
    expect(p.highWatermark).toBe(0); // 3 is still in the maximal ISR
    h.accept();
    expect(p.isr).toEqual([1, 2]);
    expect(p.highWatermark).toBe(3);
  });
});

describe('Partition: the caught-up rule (lastFetchLeaderLogEndOffset)', () => {
  it('a follower always one batch behind under continuous produce stays in the ISR for 10x replica.lag.time.max.ms', async () => {
    const h = leaderHarness();
    const { p } = h;
    // Each fetch asks for the leader's log end as of the previous fetch: never exactly at the end.
    let previousLeaderEnd = 0;
    for (let t = 0; t < 10 * LAG_MS; t += 100) {
      p.appendRecordsToLeader(batch(2), 1);
      p.updateFollowerFetchState(2, previousLeaderEnd, h.time.now());
      p.updateFollowerFetchState(3, previousLeaderEnd, h.time.now());
      expect(p.log.logEndOffset).toBeGreaterThan(previousLeaderEnd);
      previousLeaderEnd = p.log.logEndOffset;
      await h.time.advance(100);
      p.maybeShrinkIsr(h.time.now(), LAG_MS);
    }
    expect(h.proposals).toEqual([]);
    expect(p.isr).toEqual([1, 2, 3]);
  });

  it('a follower that stops fetching leaves the ISR after replica.lag.time.max.ms, not before', async () => {
    const h = leaderHarness();
    const { p } = h;
    for (let t = 0; t < 3 * LAG_MS; t += 100) {
      p.appendRecordsToLeader(batch(1), 1);
      p.updateFollowerFetchState(2, p.log.logEndOffset, h.time.now());
      await h.time.advance(100);
      p.maybeShrinkIsr(h.time.now(), LAG_MS);
      if (h.proposals.length > 0) break;
    }
    expect(h.proposals.map((x) => x.isr)).toEqual([[1, 2]]);
    // Follower 3 was caught up at time 0 (makeLeader) and never fetched: out just after the lag.
    expect(h.time.now() - 1_700_000_000_000).toBeGreaterThan(LAG_MS);
    expect(h.time.now() - 1_700_000_000_000).toBeLessThanOrEqual(LAG_MS + 100);
  });

  it('a follower at the log end is caught up however long ago its last fetch reached it', async () => {
    const h = leaderHarness();
    const { p } = h;
    p.appendRecordsToLeader(batch(1), 1);
    p.updateFollowerFetchState(2, 1, h.time.now());
    p.updateFollowerFetchState(3, 1, h.time.now());
    await h.time.advance(10 * LAG_MS);
    p.maybeShrinkIsr(h.time.now(), LAG_MS);
    expect(h.proposals).toEqual([]);
  });

  it('a removed follower that reaches the high watermark and the epoch start rejoins', async () => {
    const h = leaderHarness({ isr: [1, 2] });
    const { p } = h;
    p.appendRecordsToLeader(batch(4), 1);
    p.updateFollowerFetchState(2, 4, h.time.now());
    expect(p.highWatermark).toBe(4);
    p.updateFollowerFetchState(3, 2, h.time.now());
    expect(h.proposals).toEqual([]); // below the high watermark
    p.updateFollowerFetchState(3, 4, h.time.now());
    expect(h.proposals.map((x) => x.isr)).toEqual([[1, 2, 3]]);
  });
});

describe('Partition: AlterPartition answers and metadata', () => {
  it('a late answer to a proposal the metadata has overtaken is ignored', () => {
    const h = leaderHarness({ isr: [1, 2] });
    const { p } = h;
    p.updateFollowerFetchState(2, 0, h.time.now());
    p.updateFollowerFetchState(3, 0, h.time.now());
    const proposal = h.proposals[0]!;
    // The controller accepted it (partition epoch 1), then fenced broker 3 (partition epoch 2);
    // the metadata brings epoch 2 before the AlterPartition answer arrives.
    h.publish({ isr: [1, 2], partitionEpoch: 2 });
    expect(p.pendingIsrChange).toBeNull();
    p.handleAlterPartitionResult(proposal, { errorCode: ErrorCode.NONE, leaderEpoch: 0, partitionEpoch: 1, isr: [1, 2, 3] });
    expect(p.isr).toEqual([1, 2]);
    expect(p.partitionEpoch).toBe(2);
  });

  it('an answer older than the state held is ignored, and older metadata does not undo a newer answer', () => {
    const h = leaderHarness({ isr: [1, 2] });
    const { p } = h;
    p.updateFollowerFetchState(2, 0, h.time.now());
    p.updateFollowerFetchState(3, 0, h.time.now());
    const proposal = h.proposals[0]!;
    // An answer carrying a partition epoch below ours (a replayed or misrouted answer).
    h.publish({ isr: [1, 2], partitionEpoch: 3 });
    expect(p.handleAlterPartitionResult(proposal, { errorCode: ErrorCode.NONE, leaderEpoch: 0, partitionEpoch: 2, isr: [1, 2, 3] })).toBe(false);
    expect(p.isr).toEqual([1, 2]);
    // A fresh proposal is accepted at epoch 4; the metadata record for epoch 3 arrives after it.
    p.updateFollowerFetchState(3, 0, h.time.now());
    const second = h.proposals[1]!;
    p.handleAlterPartitionResult(second, { errorCode: ErrorCode.NONE, leaderEpoch: 0, partitionEpoch: 4, isr: [1, 2, 3] });
    expect(p.isr).toEqual([1, 2, 3]);
    p.applyState({ ...h.state, isr: [1, 2], partitionEpoch: 3 }, h.time.now());
    expect(p.isr).toEqual([1, 2, 3]);
    expect(p.partitionEpoch).toBe(4);
  });

  it('metadata about other partitions (same partition epoch) leaves a pending proposal pending', () => {
    const h = leaderHarness({ isr: [1, 2] });
    const { p } = h;
    p.updateFollowerFetchState(3, 0, h.time.now());
    expect(p.pendingIsrChange).not.toBeNull();
    p.applyState(h.state, h.time.now());
    expect(p.pendingIsrChange).not.toBeNull();
    expect(p.maximalIsr).toEqual([1, 2, 3]);
  });

  it('INELIGIBLE_REPLICA resets to the committed ISR; INVALID_UPDATE_VERSION and FENCED_LEADER_EPOCH wait for metadata; other errors ask for a retry', () => {
    const h = leaderHarness({ isr: [1, 2] });
    const { p } = h;
    p.updateFollowerFetchState(3, 0, h.time.now());
    const prop = h.proposals[0]!;
    const answer = (errorCode: number) => p.handleAlterPartitionResult(prop, { errorCode, leaderEpoch: -1, partitionEpoch: -1, isr: [] });
    expect(answer(ErrorCode.INVALID_UPDATE_VERSION)).toBe(false);
    expect(p.pendingIsrChange).toBe(prop);
    expect(answer(ErrorCode.FENCED_LEADER_EPOCH)).toBe(false);
    expect(p.pendingIsrChange).toBe(prop);
    expect(answer(ErrorCode.UNKNOWN_SERVER_ERROR)).toBe(true);
    expect(p.pendingIsrChange).toBe(prop);
    expect(answer(ErrorCode.INELIGIBLE_REPLICA)).toBe(false);
    expect(p.pendingIsrChange).toBeNull();
    expect(p.maximalIsr).toEqual([1, 2]);
  });
});

describe('Partition: acks=all outcomes', () => {
  it('REQUEST_TIMED_OUT when the followers do not fetch within the timeout', async () => {
    const h = leaderHarness();
    const info = h.p.appendRecordsToLeader(batch(1), -1);
    let outcome: number | undefined;
    void h.p.waitForHighWatermark(info.lastOffset, 5000).then((c) => (outcome = c));
    await h.time.advance(4999);
    expect(outcome).toBeUndefined();
    await h.time.advance(1);
    expect(outcome).toBe(ErrorCode.REQUEST_TIMED_OUT);
    expect(h.p.pendingAcks).toBe(0);
  });

  it('NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below min.insync.replicas before the high watermark passed', async () => {
    const h = leaderHarness({ isr: [1, 2], minIsr: 2 });
    const { p } = h;
    const info = p.appendRecordsToLeader(batch(1), -1);
    let outcome: number | undefined;
    void p.waitForHighWatermark(info.lastOffset, 30_000).then((c) => (outcome = c));
    await h.time.advance(LAG_MS + 1);
    p.maybeShrinkIsr(h.time.now(), LAG_MS);
    h.accept(); // ISR [1]: the leader alone
    await h.time.advance(0);
    expect(p.isr).toEqual([1]);
    expect(outcome).toBe(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
    // And new acks=all appends are refused up front.
    expect(() => p.appendRecordsToLeader(batch(1), -1)).toThrow(/insufficient/);
  });

  it('NOT_LEADER_OR_FOLLOWER when leadership moves first', async () => {
    const h = leaderHarness();
    const info = h.p.appendRecordsToLeader(batch(1), -1);
    let outcome: number | undefined;
    void h.p.waitForHighWatermark(info.lastOffset, 30_000).then((c) => (outcome = c));
    h.publish({ leader: 2, leaderEpoch: 1, partitionEpoch: 1 });
    await h.time.advance(0);
    expect(outcome).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });

  it('parked acks=all waits are released in offset order, each once, exactly as the high watermark passes them', async () => {
    const h = leaderHarness({ isr: [1, 2], minIsr: 1 });
    const { p } = h;
    const released: number[] = [];
    const n = 3000;
    for (let i = 0; i < n; i++) {
      const info = p.appendRecordsToLeader(batch(1), -1);
      void p.waitForHighWatermark(info.lastOffset, 60_000).then(() => released.push(info.lastOffset));
    }
    expect(p.pendingAcks).toBe(n);
    for (let hw = 0; hw <= n; hw += 7) {
      p.updateFollowerFetchState(2, hw, h.time.now());
      await h.time.advance(0);
      expect(released.length).toBe(hw);
    }
    p.updateFollowerFetchState(2, n, h.time.now());
    await h.time.advance(0);
    expect(released).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(p.pendingAcks).toBe(0);
  });
});

describe('follower truncation on a diverging epoch (KIP-279)', () => {
  function logWith(epochs: [epoch: number, count: number][]): UnifiedLog {
    const log = UnifiedLog.open(null, LogConfig.fromProperties({}));
    for (const [epoch, count] of epochs) {
      log.leaderEpochCache.assign(epoch, log.logEndOffset);
      for (let i = 0; i < count; i++) log.appendAsLeader(batch(1, `e${epoch}`), epoch);
    }
    return log;
  }

  function follower(log: UnifiedLog): Partition {
    return new Partition('t', 0, log, 2, () => {}, new MockTime());
  }

  /** One round of Fetch with lastFetchedEpoch, as the leader (ReplicaManager) answers it. */
  function diverging(leader: UnifiedLog, f: UnifiedLog): { epoch: number; endOffset: number } | null {
    const last = f.leaderEpochCache.latestEpoch;
    if (last < 0) return null;
    const end = leader.endOffsetForEpoch(last);
    return end.epoch < last || end.endOffset < f.logEndOffset ? end : null;
  }

  function reconcile(leader: UnifiedLog, f: Partition): number[] {
    const cuts: number[] = [];
    for (let round = 0; round < 10; round++) {
      const d = diverging(leader, f.log);
      if (!d) return cuts;
      const to = truncationOffset(f, d);
      cuts.push(to);
      f.truncateTo(to);
    }
    throw new Error('no agreement after 10 rounds');
  }

  it('two failovers where the follower missed a whole epoch: it keeps only what the leader has, at the same epochs', () => {
    // Epoch 0: 15 records on the old leader; this follower had only 10 of them when it led
    // epoch 1 and wrote 10 records nobody else has. The leader of epoch 3 (which missed epochs
    // 1 and 2) has 15 records of epoch 0 and 5 of epoch 3.
    const leader = logWith([[0, 15], [3, 5]]);
    const fLog = logWith([[0, 10], [1, 10]]);
    const f = follower(fLog);
    const cuts = reconcile(leader, f);
    // The leader ends epoch 0 at 15, but ours ends at 10: records 10..14 of our epoch 1 must go too.
    expect(cuts).toEqual([10]);
    expect(fLog.logEndOffset).toBe(10);
    expect(fLog.leaderEpochCache.all()).toEqual([{ epoch: 0, startOffset: 0 }]);
    expect(leader.endOffsetForEpoch(0).endOffset).toBeGreaterThanOrEqual(fLog.logEndOffset);
  });

  it('a follower that knows an epoch the leader does not cuts back to its own previous epoch first, then agrees', () => {
    const leader = logWith([[0, 5], [2, 5], [4, 5]]);
    const fLog = logWith([[0, 5], [2, 3], [3, 4]]);
    const cuts = reconcile(leader, follower(fLog));
    expect(cuts).toEqual([8]);
    expect(fLog.logEndOffset).toBe(8);
    expect(fLog.leaderEpochCache.latestEpoch).toBe(2);
  });

  it('an empty epoch at the log end (a leadership without writes) is dropped, so fetching resumes instead of looping', () => {
    const leader = logWith([[0, 3], [2, 2]]);
    const fLog = logWith([[0, 3]]);
    fLog.leaderEpochCache.assign(1, 3); // this broker led epoch 1 and wrote nothing
    const cuts = reconcile(leader, follower(fLog));
    expect(cuts).toEqual([3]);
    expect(fLog.leaderEpochCache.latestEpoch).toBe(0);
    expect(diverging(leader, fLog)).toBeNull();
  });

  it("a leader whose first epoch is newer than ours: the follower keeps nothing past that epoch's start (Kafka's endOffsetFor)", () => {
    const leader = logWith([[5, 3]]);
    const fLog = logWith([[1, 6]]);
    const f = follower(fLog);
    expect(diverging(leader, fLog)).toEqual({ epoch: 1, endOffset: 0 });
    expect(reconcile(leader, f)).toEqual([0]);
    expect(fLog.logEndOffset).toBe(0);
  });

  it('a diverging answer with no epoch at all: the follower keeps what is below its high watermark', () => {
    const f = follower(logWith([[1, 6]]));
    f.appendRecordsAsFollower(null, 2); // our high watermark is 2
    expect(truncationOffset(f, { epoch: -1, endOffset: -1 })).toBe(2);
  });
});
