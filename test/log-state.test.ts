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
