// Issue 9: unit tests of the log's derived state — the leader epoch cache, idempotent producer
// state recovery (snapshots, crash, tail replay, truncation) and retention bounded by the high
// watermark. Time is injected (record timestamps and `now` arguments); nothing sleeps.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LEADER_EPOCH_CHECKPOINT, LeaderEpochFileCache } from '../src/log/LeaderEpochFileCache.js';
import { LogConfig, type LogConfigValues } from '../src/log/LogConfig.js';
import { ProducerStateManager } from '../src/log/ProducerStateManager.js';
import { UnifiedLog } from '../src/log/UnifiedLog.js';
import { ErrorCode } from '../src/protocol/errors.js';
import * as RB from '../src/protocol/recordBatch.js';

const T0 = 1_700_000_000_000;

const tmp: string[] = [];
const logs: UnifiedLog[] = [];
afterEach(() => {
  for (const l of logs.splice(0)) l.abandon();
  for (const d of tmp.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function newDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-state-'));
  tmp.push(d);
  return path.join(d, 'state-0');
}

function open(dir: string | null, config: Partial<LogConfigValues> = {}): UnifiedLog {
  const log = UnifiedLog.open(dir, new LogConfig(config));
  logs.push(log);
  return log;
}

function crashAndReopen(log: UnifiedLog, config: Partial<LogConfigValues> = {}): UnifiedLog {
  log.abandon();
  logs.splice(logs.indexOf(log), 1);
  return open(log.dir, config);
}

function batch(opts: { pid?: number; epoch?: number; seq?: number; n?: number; ts?: number; size?: number } = {}): Buffer {
  const n = opts.n ?? 2;
  const ts = opts.ts ?? T0;
  return RB.encodeRecordBatch({
    baseTimestamp: ts,
    producerId: opts.pid ?? -1,
    producerEpoch: opts.pid === undefined ? -1 : (opts.epoch ?? 0),
    baseSequence: opts.pid === undefined ? -1 : (opts.seq ?? 0),
    records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.alloc(opts.size ?? 40, 0x62), timestamp: ts + i })),
  });
}

// ---------------------------------------------------------------------------------------------

describe('LeaderEpochFileCache', () => {
  it('ignores epochs that are not larger than the latest, and negative ones', () => {
    const c = new LeaderEpochFileCache(null);
    c.assign(-1, 0);
    expect(c.all()).toEqual([]);
    c.assign(2, 10);
    c.assign(2, 5); // equal epoch, even at a smaller offset (Kafka would move it; we keep the first start)
    c.assign(1, 30); // smaller epoch (Kafka would drop the larger epochs; we keep them)
    c.assign(2, 40);
    expect(c.all()).toEqual([{ epoch: 2, startOffset: 10 }]);
    expect(c.latestEpoch).toBe(2);
  });

  it('a new epoch at or below an older start offset replaces the entries it overlaps', () => {
    const c = new LeaderEpochFileCache(null);
    c.assign(1, 0);
    c.assign(2, 20);
    c.assign(3, 30);
    c.assign(5, 20); // overlaps epochs 2 and 3
    expect(c.all()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 5, startOffset: 20 },
    ]);
    c.assign(6, 20); // same start: epoch 5 wrote nothing
    expect(c.all()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 6, startOffset: 20 },
    ]);
    c.assign(7, 0);
    expect(c.all()).toEqual([{ epoch: 7, startOffset: 0 }]);
  });

  it('endOffsetFor: unknown, below the first epoch, between, in a gap, the latest, after the last', () => {
    const c = new LeaderEpochFileCache(null);
    expect(c.endOffsetFor(0, 10)).toEqual({ epoch: -1, endOffset: -1 }); // empty
    c.assign(2, 10);
    c.assign(4, 20);
    c.assign(7, 35);
    const leo = 50;
    expect(c.endOffsetFor(-1, leo)).toEqual({ epoch: -1, endOffset: -1 });
    // below the first epoch (its data was deleted): as Kafka, the requested epoch ends where the first known starts
    expect(c.endOffsetFor(1, leo)).toEqual({ epoch: 1, endOffset: 10 });
    expect(c.endOffsetFor(2, leo)).toEqual({ epoch: 2, endOffset: 20 });
    expect(c.endOffsetFor(3, leo)).toEqual({ epoch: 2, endOffset: 20 }); // gap: the largest epoch below
    expect(c.endOffsetFor(4, leo)).toEqual({ epoch: 4, endOffset: 35 });
    expect(c.endOffsetFor(6, leo)).toEqual({ epoch: 4, endOffset: 35 });
    expect(c.endOffsetFor(7, leo)).toEqual({ epoch: 7, endOffset: leo });
    // a newer epoch than any written (a new leader that has not appended yet): the latest epoch to the log end
    expect(c.endOffsetFor(9, leo)).toEqual({ epoch: 7, endOffset: leo });
  });

  it('truncateFromEnd drops epochs starting at or after the offset; truncateFromStart moves the first one up', () => {
    const c = new LeaderEpochFileCache(null);
    c.assign(1, 0);
    c.assign(2, 10);
    c.assign(3, 20);
    c.assign(4, 30);
    c.truncateFromEnd(30);
    expect(c.all().map((e) => e.epoch)).toEqual([1, 2, 3]);
    c.truncateFromEnd(21);
    expect(c.all().map((e) => e.epoch)).toEqual([1, 2, 3]);
    c.truncateFromStart(5);
    expect(c.all()).toEqual([
      { epoch: 1, startOffset: 5 },
      { epoch: 2, startOffset: 10 },
      { epoch: 3, startOffset: 20 },
    ]);
    c.truncateFromStart(10);
    expect(c.all()).toEqual([
      { epoch: 2, startOffset: 10 },
      { epoch: 3, startOffset: 20 },
    ]);
    c.truncateFromStart(25);
    expect(c.all()).toEqual([{ epoch: 3, startOffset: 25 }]);
    c.truncateFromStart(3); // below the first entry: nothing to do
    expect(c.all()).toEqual([{ epoch: 3, startOffset: 25 }]);
    c.truncateFromEnd(0);
    expect(c.all()).toEqual([]);
  });

  it('persists every change and reloads it', () => {
    const dir = newDir();
    fs.mkdirSync(dir, { recursive: true });
    const c = new LeaderEpochFileCache(dir);
    c.assign(1, 0);
    c.assign(3, 12);
    c.assign(4, 40);
    c.truncateFromEnd(40);
    c.truncateFromStart(5);
    const again = new LeaderEpochFileCache(dir);
    expect(again.corrupt).toBeNull();
    expect(again.all()).toEqual([
      { epoch: 1, startOffset: 5 },
      { epoch: 3, startOffset: 12 },
    ]);
    expect(fs.readFileSync(path.join(dir, LEADER_EPOCH_CHECKPOINT), 'utf8')).toBe('1 5\n3 12\n');
  });

  for (const [name, text] of [
    ['a garbled line', '1 0\n3 x2\n'],
    ['entries out of order', '3 10\n1 20\n'],
    ['a torn line', '1 0\n3'],
  ] as const) {
    it(`a checkpoint with ${name} is reported, and the log rebuilds it from its batches`, () => {
      const dir = newDir();
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, LEADER_EPOCH_CHECKPOINT), text);
      expect(new LeaderEpochFileCache(dir).corrupt).not.toBeNull();
      expect(new LeaderEpochFileCache(dir).all()).toEqual([]);
      fs.rmSync(path.join(dir, LEADER_EPOCH_CHECKPOINT));

      const log = open(dir, { segmentBytes: 300 });
      for (const [epoch, n] of [
        [1, 3],
        [3, 2],
        [6, 4],
      ] as const) {
        for (let i = 0; i < n; i++) log.appendAsLeader(batch(), epoch);
      }
      const expected = [
        { epoch: 1, startOffset: 0 },
        { epoch: 3, startOffset: 6 },
        { epoch: 6, startOffset: 10 },
      ];
      expect(log.leaderEpochCache.all()).toEqual(expected);
      log.abandon();
      logs.splice(0);
      fs.writeFileSync(path.join(dir, LEADER_EPOCH_CHECKPOINT), text);
      const again = open(dir, { segmentBytes: 300 });
      expect(again.leaderEpochCache.all()).toEqual(expected);
      expect(new LeaderEpochFileCache(dir).all()).toEqual(expected); // and rewritten
    });
  }

  it('the log keeps the cache in step with retention and DeleteRecords (truncateFromStart)', () => {
    const log = open(newDir(), { segmentBytes: 300, retentionBytes: 0 });
    for (let i = 0; i < 4; i++) log.appendAsLeader(batch(), 1);
    for (let i = 0; i < 4; i++) log.appendAsLeader(batch(), 2);
    log.deleteRecordsBefore(3);
    expect(log.leaderEpochCache.all()).toEqual([
      { epoch: 1, startOffset: 3 },
      { epoch: 2, startOffset: 8 },
    ]);
    log.applyRetention(T0, 12);
    expect(log.logStartOffset).toBeGreaterThan(8);
    expect(log.leaderEpochCache.all()).toEqual([{ epoch: 2, startOffset: log.logStartOffset }]);
    const again = crashAndReopen(log, { segmentBytes: 300, retentionBytes: 0 });
    expect(again.leaderEpochCache.all()).toEqual([{ epoch: 2, startOffset: again.logStartOffset }]);
  });
});

// ---------------------------------------------------------------------------------------------

/** The dedup state of the given producers, as plain data. */
function stateOf(log: UnifiedLog, pids: number[]): unknown {
  return JSON.parse(JSON.stringify(pids.map((pid) => log.producerState.get(pid) ?? null)));
}

const PIDS = [101, 102, 103];

/**
 * A scripted idempotent history over several segments: three producers interleaved, one epoch
 * bump, ending at various offsets. Returns the producer state after each append, keyed by the
 * log end offset it left.
 */
function writeHistory(log: UnifiedLog, appends = 24): Map<number, unknown> {
  const seqs = new Map<number, number>(PIDS.map((p) => [p, 0]));
  const epochs = new Map<number, number>(PIDS.map((p) => [p, 0]));
  const states = new Map<number, unknown>([[log.logEndOffset, stateOf(log, PIDS)]]);
  for (let i = 0; i < appends; i++) {
    const pid = PIDS[i % 3]!;
    if (i === 10) {
      epochs.set(pid, 1); // the producer bumps its epoch: sequences restart at 0
      seqs.set(pid, 0);
    }
    const n = 1 + (i % 3);
    log.appendAsLeader(batch({ pid, epoch: epochs.get(pid)!, seq: seqs.get(pid)!, n, ts: T0 + i * 1000 }), 0);
    seqs.set(pid, seqs.get(pid)! + n);
    states.set(log.logEndOffset, stateOf(log, PIDS));
  }
  return states;
}

const SMALL_SEGMENTS = { segmentBytes: 500 };

describe('producer state recovery', () => {
  it('a snapshot is taken at each roll and holds the state as of the new base offset', () => {
    const log = open(newDir(), SMALL_SEGMENTS);
    const states = writeHistory(log);
    expect(log.segmentCount()).toBeGreaterThan(3);
    const snapshots = log.producerState.snapshotOffsets();
    expect(snapshots).toEqual(log.logSegments().slice(1).map((s) => s.baseOffset));
    for (const offset of snapshots) {
      const psm = new ProducerStateManager(log.dir);
      expect(psm.loadLatestSnapshot(offset)).toBe(offset);
      expect(PIDS.map((p) => JSON.parse(JSON.stringify(psm.get(p) ?? null)))).toEqual(states.get(offset));
    }
  });

  it('a crash without any snapshot replays the whole log to the same state', () => {
    const log = open(newDir());
    const states = writeHistory(log, 12);
    expect(log.producerState.snapshotOffsets()).toEqual([]);
    const again = crashAndReopen(log);
    expect(stateOf(again, PIDS)).toEqual(states.get(again.logEndOffset));
  });

  it('a crash after rolls replays the tail after the newest snapshot to the same state', () => {
    const log = open(newDir(), SMALL_SEGMENTS);
    const states = writeHistory(log);
    const newest = log.producerState.snapshotOffsets().at(-1)!;
    expect(newest).toBeLessThan(log.logEndOffset); // there is a tail to replay
    const again = crashAndReopen(log, SMALL_SEGMENTS);
    expect(stateOf(again, PIDS)).toEqual(states.get(again.logEndOffset));
    // the snapshot is what recovery started from: a tampered one shows through
    again.abandon();
    logs.splice(0);
    const file = path.join(log.dir!, `${String(newest).padStart(20, '0')}.snapshot`);
    const snap = JSON.parse(fs.readFileSync(file, 'utf8'));
    snap.producers.push({ producerId: 999, producerEpoch: 0, batches: [{ firstSeq: 0, lastSeq: 0, firstOffset: 0, lastOffset: 0, timestamp: T0 }], lastTimestamp: T0 });
    fs.writeFileSync(file, JSON.stringify(snap));
    expect(open(log.dir, SMALL_SEGMENTS).producerState.get(999)).toBeDefined();
  });

  it('the idempotence rules hold across the crash: duplicate, next sequence, gap, stale epoch', () => {
    const log = open(newDir(), SMALL_SEGMENTS);
    writeHistory(log);
    const last = log.producerState.get(PIDS[1]!)!; // index 10 bumped PIDS[1] to epoch 1
    const lastBatch = last.batches.at(-1)!;
    const again = crashAndReopen(log, SMALL_SEGMENTS);
    const n = lastBatch.lastSeq - lastBatch.firstSeq + 1;
    expect(again.appendAsLeader(batch({ pid: PIDS[1], epoch: 1, seq: lastBatch.firstSeq, n }), 0)).toMatchObject({
      firstOffset: lastBatch.firstOffset,
      duplicate: true,
    });
    expect(() => again.appendAsLeader(batch({ pid: PIDS[1], epoch: 0, seq: lastBatch.lastSeq + 1 }), 0)).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_PRODUCER_EPOCH }),
    );
    expect(() => again.appendAsLeader(batch({ pid: PIDS[1], epoch: 1, seq: lastBatch.lastSeq + 2 }), 0)).toThrow(
      expect.objectContaining({ code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER }),
    );
    expect(again.appendAsLeader(batch({ pid: PIDS[1], epoch: 1, seq: lastBatch.lastSeq + 1 }), 0).firstOffset).toBe(again.logEndOffset - 2);
  });

  for (const mode of ['disk', 'memory'] as const) {
    it(`truncation rebuilds exactly the state the kept records had (${mode})`, () => {
      const reference = open(null, SMALL_SEGMENTS);
      const states = writeHistory(reference);
      const ends = [...states.keys()].sort((a, b) => b - a);
      for (const end of ends.filter((_, i) => i % 4 === 1)) {
        const log = open(mode === 'disk' ? newDir() : null, SMALL_SEGMENTS);
        writeHistory(log);
        log.truncateTo(end);
        expect(log.logEndOffset).toBe(end);
        expect(stateOf(log, PIDS)).toEqual(states.get(end));
        if (mode === 'disk') {
          expect(log.producerState.snapshotOffsets().every((o) => o <= end)).toBe(true);
          expect(stateOf(crashAndReopen(log, SMALL_SEGMENTS), PIDS)).toEqual(states.get(end));
        }
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------

describe('retention is bounded by the high watermark', () => {
  function segmentedLog(config: Partial<LogConfigValues>): UnifiedLog {
    const log = open(null, { segmentBytes: 400, ...config }); // in memory: the same code paths, no fsyncs
    for (let i = 0; i < 20; i++) log.appendAsLeader(batch({ n: 2, ts: T0 + i }), 0);
    expect(log.segmentCount()).toBeGreaterThan(4);
    return log;
  }

  for (const [name, config] of [
    ['retention.ms', { retentionMs: 1 }],
    ['retention.bytes', { retentionBytes: 0 }],
  ] as const) {
    it(`${name}: no segment holding an offset at or above the bound is deleted, for every bound`, () => {
      const probe = segmentedLog(config);
      const leo = probe.logEndOffset;
      for (let hw = 0; hw <= leo; hw++) {
        const log = segmentedLog(config);
        const bases = log.logSegments().map((s) => s.baseOffset);
        log.applyRetention(T0 + 1_000_000, hw);
        // everything at or above the bound is still readable
        expect(log.logStartOffset).toBeLessThanOrEqual(hw);
        if (hw < leo) expect(log.read(hw, 1 << 20, Infinity, true).records).not.toBeNull();
        // and exactly the segments wholly below the bound went
        const wholly = bases.filter((b, i) => (bases[i + 1] ?? leo) <= hw);
        const expectedStart = hw === leo ? leo : (bases.filter((b) => !wholly.includes(b))[0] ?? leo);
        expect(log.logStartOffset).toBe(wholly.length === 0 ? 0 : expectedStart);
        log.abandon();
        logs.splice(logs.indexOf(log), 1);
      }
    });
  }

  it('with the bound at the log end everything may go: an empty active segment is rolled first', () => {
    const log = segmentedLog({ retentionMs: 1 });
    const leo = log.logEndOffset;
    log.applyRetention(T0 + 1_000_000, leo);
    expect(log.segmentCount()).toBe(1);
    expect(log.logStartOffset).toBe(leo);
    expect(log.appendAsLeader(batch(), 0).firstOffset).toBe(leo);
  });
});
