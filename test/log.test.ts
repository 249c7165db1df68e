import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogConfig } from '../src/log/LogConfig.js';
import { UnifiedLog } from '../src/log/UnifiedLog.js';
import { ErrorCode, KafkaError } from '../src/protocol/errors.js';
import * as RB from '../src/protocol/recordBatch.js';

const T0 = 1_700_000_000_000;

function batch(n: number, opts: { ts?: number; size?: number; tag?: string; compression?: 0 | 1 } = {}): Buffer {
  const ts = opts.ts ?? T0;
  return RB.encodeRecordBatch({
    compression: opts.compression ?? 0,
    baseTimestamp: ts,
    records: Array.from({ length: n }, (_, i) => ({
      key: Buffer.from(`${opts.tag ?? 'k'}-${i}`),
      value: Buffer.alloc(opts.size ?? 20, 0x61 + (i % 26)),
      timestamp: ts + i,
    })),
  });
}

function offsetsOf(records: Buffer | null): number[] {
  if (!records) return [];
  return RB.decodeRecordBatches(records).flatMap((b) => b.records.map((r) => r.offset));
}

function baseOffsetsOf(records: Buffer | null): number[] {
  if (!records) return [];
  return RB.decodeRecordBatches(records).map((b) => b.baseOffset);
}

/** Everything readable from `from` on, batch by batch. */
function readAll(log: UnifiedLog, from = log.logStartOffset): Buffer[] {
  const out: Buffer[] = [];
  let offset = from;
  while (offset < log.logEndOffset) {
    const { records } = log.read(offset, 1 << 20, Infinity, true);
    if (!records) break;
    for (const b of RB.batches(records)) {
      out.push(Buffer.from(records.subarray(b.pos, b.pos + b.size)));
      offset = RB.lastOffset(records, b.pos) + 1;
    }
  }
  return out;
}

function expectKafkaError(fn: () => unknown, code: number): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KafkaError);
    expect((e as KafkaError).code).toBe(code);
    return;
  }
  throw new Error(`expected KafkaError ${code}`);
}

const tmpDirs: string[] = [];
const openLogs: UnifiedLog[] = [];

afterEach(() => {
  for (const l of openLogs.splice(0)) {
    try {
      l.close();
    } catch {
      /* already closed */
    }
  }
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function newDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-log-'));
  tmpDirs.push(d);
  return path.join(d, 'topic-0');
}

type Mode = 'disk' | 'memory';

function openLog(mode: Mode, config: Partial<ConstructorParameters<typeof LogConfig>[0]> = {}, now?: () => number, dir?: string): UnifiedLog {
  const log = UnifiedLog.open(mode === 'disk' ? (dir ?? newDir()) : null, new LogConfig(config), { now });
  openLogs.push(log);
  return log;
}

for (const mode of ['disk', 'memory'] as const) {
  describe(`UnifiedLog (${mode})`, () => {
    it('assigns offsets in place and reads them back', () => {
      const log = openLog(mode);
      expect(log.logStartOffset).toBe(0);
      expect(log.logEndOffset).toBe(0);
      const b1 = batch(2);
      const info1 = log.appendAsLeader(b1, 5);
      expect(info1).toMatchObject({ firstOffset: 0, lastOffset: 1, logAppendTime: -1, recordCount: 2, maxTimestamp: T0 + 1 });
      expect(RB.baseOffset(b1, 0)).toBe(0);
      expect(RB.partitionLeaderEpoch(b1, 0)).toBe(5);
      expect(log.appendAsLeader(batch(3), 5)).toMatchObject({ firstOffset: 2, lastOffset: 4 });
      expect(log.appendAsLeader(batch(1), 6)).toMatchObject({ firstOffset: 5, lastOffset: 5 });
      expect(log.logEndOffset).toBe(6);

      const { records, firstOffset } = log.read(0, 1 << 20, Infinity, true);
      expect(firstOffset).toBe(0);
      expect(offsetsOf(records)).toEqual([0, 1, 2, 3, 4, 5]);
      const decoded = RB.decodeRecordBatches(records!);
      expect(decoded.map((d) => d.partitionLeaderEpoch)).toEqual([5, 5, 6]);
      expect(decoded.every((d) => d.crcValid)).toBe(true);
    });

    it('appends several concatenated batches at once', () => {
      const log = openLog(mode);
      const info = log.appendAsLeader(Buffer.concat([batch(2), batch(3), batch(1)]), 0);
      expect(info).toMatchObject({ firstOffset: 0, lastOffset: 5, batchCount: 3, recordCount: 6 });
      expect(baseOffsetsOf(log.read(0, 1 << 20, Infinity, true).records)).toEqual([0, 2, 5]);
      expectKafkaError(() => log.appendAsLeader(Buffer.concat([batch(1), batch(1).subarray(0, 30)]), 0), ErrorCode.CORRUPT_MESSAGE);
      expect(log.logEndOffset).toBe(6);
    });

    it('reading from a middle offset returns the containing batch', () => {
      const log = openLog(mode);
      log.appendAsLeader(batch(2), 0);
      log.appendAsLeader(batch(3), 0);
      log.appendAsLeader(batch(1), 0);
      const r = log.read(3, 1 << 20, Infinity, true);
      expect(r.firstOffset).toBe(2);
      expect(baseOffsetsOf(r.records)).toEqual([2, 5]);
      expect(baseOffsetsOf(log.read(5, 1 << 20, Infinity, true).records)).toEqual([5]);
    });

    it('slices by maxBytes with minOneMessage, and caps at maxOffset', () => {
      const log = openLog(mode);
      const sizes: number[] = [];
      for (let i = 0; i < 5; i++) {
        const b = batch(2, { size: 50 });
        sizes.push(b.length);
        log.appendAsLeader(b, 0);
      }
      expect(baseOffsetsOf(log.read(0, sizes[0]! + sizes[1]! + 10, Infinity, true).records)).toEqual([0, 2]);
      expect(baseOffsetsOf(log.read(0, sizes[0]! + sizes[1]!, Infinity, false).records)).toEqual([0, 2]);
      expect(baseOffsetsOf(log.read(0, 10, Infinity, true).records)).toEqual([0]);
      expect(log.read(0, 10, Infinity, false).records).toBeNull();
      expect(log.read(2, 0, Infinity, true).records!.length).toBe(sizes[1]);
      // maxOffset: batches whose baseOffset >= maxOffset are not returned
      expect(baseOffsetsOf(log.read(0, 1 << 20, 4, true).records)).toEqual([0, 2]);
      expect(baseOffsetsOf(log.read(0, 1 << 20, 5, true).records)).toEqual([0, 2, 4]);
      expect(log.read(4, 1 << 20, 4, true).records).toBeNull();
      expect(log.read(6, 1 << 20, 4, true).records).toBeNull();
    });

    it('rejects out-of-range offsets', () => {
      const log = openLog(mode);
      log.appendAsLeader(batch(3), 0);
      expect(log.read(3, 100, Infinity, true)).toEqual({ records: null, firstOffset: 3 });
      expectKafkaError(() => log.read(4, 100, Infinity, true), ErrorCode.OFFSET_OUT_OF_RANGE);
      expectKafkaError(() => log.read(-1, 100, Infinity, true), ErrorCode.OFFSET_OUT_OF_RANGE);
      log.deleteRecordsBefore(2);
      expectKafkaError(() => log.read(1, 100, Infinity, true), ErrorCode.OFFSET_OUT_OF_RANGE);
      expect(offsetsOf(log.read(2, 1 << 20, Infinity, true).records)).toEqual([0, 1, 2]); // whole containing batch
      expectKafkaError(() => log.deleteRecordsBefore(4), ErrorCode.OFFSET_OUT_OF_RANGE);
    });

    it('rolls segments by size and reads across them', () => {
      const log = openLog(mode, { segmentBytes: 1000, indexIntervalBytes: 100 });
      const appended: Buffer[] = [];
      for (let i = 0; i < 30; i++) {
        const b = batch(1 + (i % 3), { size: 40, tag: `b${i}` });
        log.appendAsLeader(b, 0);
        appended.push(Buffer.from(b));
      }
      expect(log.segmentCount()).toBeGreaterThan(3);
      for (const s of log.logSegments()) expect(s.size).toBeLessThanOrEqual(1000);
      expect(log.size()).toBe(appended.reduce((n, b) => n + b.length, 0));
      expect(readAll(log)).toEqual(appended);
      // every offset lands in its batch
      for (let o = 0; o < log.logEndOffset; o++) {
        const r = log.read(o, 1, Infinity, true);
        const d = RB.decodeRecordBatch(r.records!);
        expect(d.baseOffset).toBeLessThanOrEqual(o);
        expect(d.lastOffset).toBeGreaterThanOrEqual(o);
      }
      if (mode === 'disk') {
        const logs = fs.readdirSync(log.dir!).filter((f) => f.endsWith('.log'));
        expect(logs.length).toBe(log.segmentCount());
        expect(logs[0]).toBe('00000000000000000000.log');
        expect(logs.every((f) => /^\d{20}\.log$/.test(f))).toBe(true);
      }
      log.roll();
      const segs = log.segmentCount();
      log.roll(); // empty active: no-op
      expect(log.segmentCount()).toBe(segs);
      expect(log.appendAsLeader(batch(1), 0).firstOffset).toBe(log.logEndOffset - 1);
    });

    it('rolls by segment.ms using record time', () => {
      const log = openLog(mode, { segmentMs: 1000 });
      log.appendAsLeader(batch(1, { ts: T0 }), 0);
      log.appendAsLeader(batch(1, { ts: T0 + 500 }), 0);
      expect(log.segmentCount()).toBe(1);
      log.appendAsLeader(batch(1, { ts: T0 + 1001 }), 0);
      expect(log.segmentCount()).toBe(2);
      expect(log.activeSegment.baseOffset).toBe(2);
    });

    it('rolls when the offset index is full', () => {
      const log = openLog(mode, { segmentIndexBytes: 8 * 3, indexIntervalBytes: 0 });
      for (let i = 0; i < 12; i++) log.appendAsLeader(batch(1), 0);
      expect(log.segmentCount()).toBeGreaterThan(2);
      expect(offsetsOf(readAll(log).length ? Buffer.concat(readAll(log)) : null)).toEqual([...Array(12).keys()]);
    });

    it('retention by bytes deletes the oldest segments and advances the log start offset', () => {
      const log = openLog(mode, { segmentBytes: 600, retentionBytes: 1300, retentionMs: -1 });
      for (let i = 0; i < 20; i++) log.appendAsLeader(batch(2, { size: 40 }), 0);
      const before = log.segmentCount();
      const deleted = log.applyRetention(Date.now());
      expect(deleted).toBeGreaterThan(0);
      expect(log.segmentCount()).toBe(before - deleted);
      // as in Kafka: delete whole oldest segments while what remains is still >= retention.bytes
      expect(log.size()).toBeGreaterThanOrEqual(1300);
      expect(log.size() - log.logSegments()[0]!.size).toBeLessThan(1300);
      expect(log.logStartOffset).toBe(log.logSegments()[0]!.baseOffset);
      expect(log.logStartOffset).toBeGreaterThan(0);
      expectKafkaError(() => log.read(0, 100, Infinity, true), ErrorCode.OFFSET_OUT_OF_RANGE);
      expect(log.read(log.logStartOffset, 100, Infinity, true).firstOffset).toBe(log.logStartOffset);
      expect(log.applyRetention(Date.now())).toBe(0);
    });

    it('retention by time (injected clock), including the active segment', () => {
      let now = T0;
      const log = openLog(mode, { segmentBytes: 400, retentionMs: 10_000 }, () => now);
      for (let i = 0; i < 6; i++) log.appendAsLeader(batch(1, { ts: T0 + i * 1000, size: 100 }), 0);
      for (let i = 0; i < 4; i++) log.appendAsLeader(batch(1, { ts: T0 + 20_000 + i * 1000, size: 100 }), 0);
      const segs = log.segmentCount();
      expect(segs).toBeGreaterThan(3);
      now = T0 + 5_000;
      expect(log.applyRetention(now)).toBe(0);
      now = T0 + 16_500; // segments whose newest record is older than T0 + 6_500 expire
      const deleted = log.applyRetention(now);
      expect(deleted).toBeGreaterThan(0);
      expect(log.logStartOffset).toBeGreaterThan(0);
      expect(log.logStartOffset).toBeLessThanOrEqual(6);
      for (const s of log.logSegments()) expect(s.largestTimestamp()).toBeGreaterThan(now - 10_000);
      now = T0 + 100_000; // everything expired: the log rolls and keeps an empty active segment
      log.applyRetention(now);
      expect(log.segmentCount()).toBe(1);
      expect(log.logStartOffset).toBe(10);
      expect(log.logEndOffset).toBe(10);
      expect(log.read(10, 100, Infinity, true).records).toBeNull();
      expect(log.appendAsLeader(batch(1, { ts: now }), 0).firstOffset).toBe(10);
    });

    it('retention is skipped for compact-only topics and infinite settings', () => {
      const log = openLog(mode, { segmentBytes: 300, retentionBytes: 0, cleanupPolicy: ['compact'] });
      for (let i = 0; i < 10; i++) log.appendAsLeader(batch(1, { size: 100 }), 0);
      expect(log.applyRetention(T0 * 2)).toBe(0);
      log.updateConfig(new LogConfig({ segmentBytes: 300, retentionMs: -1, retentionBytes: -1 }));
      expect(log.applyRetention(T0 * 2)).toBe(0);
    });

    it('deleteRecordsBefore moves the log start offset and drops whole segments below it', () => {
      const log = openLog(mode, { segmentBytes: 500 });
      for (let i = 0; i < 12; i++) log.appendAsLeader(batch(2, { size: 40 }), 0);
      const segs = log.segmentCount();
      expect(log.deleteRecordsBefore(3)).toBe(3);
      expect(log.deleteRecordsBefore(1)).toBe(3); // never moves back
      const third = log.logSegments()[2]!.baseOffset;
      log.deleteRecordsBefore(third + 1);
      expect(log.segmentCount()).toBe(segs - 2);
      expect(log.logStartOffset).toBe(third + 1);
      expect(log.read(third + 1, 1 << 20, Infinity, true).firstOffset).toBe(third);
      log.deleteRecordsBefore(log.logEndOffset);
      expect(log.logStartOffset).toBe(log.logEndOffset);
    });

    it('looks up offsets by timestamp', () => {
      const log = openLog(mode, { segmentBytes: 700, indexIntervalBytes: 150 });
      // batch i holds records (ts T0 + 100*i + j) for j < 3
      for (let i = 0; i < 20; i++) log.appendAsLeader(batch(3, { ts: T0 + 100 * i, size: 30 }), 0);
      expect(log.segmentCount()).toBeGreaterThan(2);
      expect(log.fetchOffsetByTimestamp(0)).toEqual({ offset: 0, timestamp: T0 });
      expect(log.fetchOffsetByTimestamp(T0)).toEqual({ offset: 0, timestamp: T0 });
      expect(log.fetchOffsetByTimestamp(T0 + 1)).toEqual({ offset: 1, timestamp: T0 + 1 });
      expect(log.fetchOffsetByTimestamp(T0 + 3)).toEqual({ offset: 3, timestamp: T0 + 100 });
      expect(log.fetchOffsetByTimestamp(T0 + 1002)).toEqual({ offset: 32, timestamp: T0 + 1002 });
      expect(log.fetchOffsetByTimestamp(T0 + 1900)).toEqual({ offset: 57, timestamp: T0 + 1900 });
      expect(log.fetchOffsetByTimestamp(T0 + 1902)).toEqual({ offset: 59, timestamp: T0 + 1902 });
      expect(log.fetchOffsetByTimestamp(T0 + 1903)).toBeNull();
      for (let i = 0; i < 20; i++) expect(log.fetchOffsetByTimestamp(T0 + 100 * i + 2)!.offset).toBe(3 * i + 2);
      expect(log.fetchMaxTimestampOffset()).toEqual({ offset: 59, timestamp: T0 + 1902 });
      // respects the log start offset
      log.deleteRecordsBefore(31);
      expect(log.fetchOffsetByTimestamp(0)).toEqual({ offset: 31, timestamp: T0 + 1001 });
    });

    it('finds the max timestamp when timestamps are not monotonic, and in gzip batches', () => {
      const log = openLog(mode, { indexIntervalBytes: 0 });
      log.appendAsLeader(batch(2, { ts: T0 }), 0);
      log.appendAsLeader(
        RB.encodeRecordBatch({
          compression: 1,
          records: [
            { key: null, value: Buffer.from('a'), timestamp: T0 + 10 },
            { key: null, value: Buffer.from('b'), timestamp: T0 + 50 },
            { key: null, value: Buffer.from('c'), timestamp: T0 + 20 },
          ],
        }),
        0,
      );
      log.appendAsLeader(batch(2, { ts: T0 + 30 }), 0);
      expect(log.fetchMaxTimestampOffset()).toEqual({ offset: 3, timestamp: T0 + 50 });
      expect(log.fetchOffsetByTimestamp(T0 + 15)).toEqual({ offset: 3, timestamp: T0 + 50 });
      expect(log.fetchOffsetByTimestamp(T0 + 10)).toEqual({ offset: 2, timestamp: T0 + 10 });
      expect(log.fetchOffsetByTimestamp(T0 + 51)).toBeNull();
    });

    it('stamps LogAppendTime', () => {
      const log = openLog(mode, { messageTimestampType: 'LogAppendTime' }, () => T0 + 777);
      const info = log.appendAsLeader(batch(2, { ts: 5 }), 0);
      expect(info.logAppendTime).toBe(T0 + 777);
      expect(info.maxTimestamp).toBe(T0 + 777);
      const d = RB.decodeRecordBatch(log.read(0, 1 << 20, Infinity, true).records!);
      expect(d.crcValid).toBe(true);
      expect(d.timestampType).toBe('LogAppendTime');
      expect(d.records.map((r) => r.timestamp)).toEqual([T0 + 777, T0 + 777]);
      expect(log.fetchOffsetByTimestamp(T0)).toEqual({ offset: 0, timestamp: T0 + 777 });
    });

    it('appends as follower and truncates', () => {
      const leader = openLog(mode, { segmentBytes: 400 });
      for (let i = 0; i < 10; i++) leader.appendAsLeader(batch(2, { size: 30 }), 3);
      const follower = openLog(mode, { segmentBytes: 400 });
      let offset = 0;
      while (offset < leader.logEndOffset) {
        const { records } = leader.read(offset, 250, Infinity, true);
        const info = follower.appendAsFollower(records!);
        expect(info.firstOffset).toBe(offset);
        offset = info.lastOffset + 1;
      }
      expect(follower.logEndOffset).toBe(20);
      expect(readAll(follower)).toEqual(readAll(leader));
      expectKafkaError(() => follower.appendAsFollower(leader.read(0, 100, Infinity, true).records!), ErrorCode.UNKNOWN_SERVER_ERROR);
      const bad = Buffer.from(leader.read(18, 100, Infinity, true).records!);
      RB.setBaseOffset(bad, 0, 20);
      bad[bad.length - 1]! ^= 1;
      expectKafkaError(() => follower.appendAsFollower(bad), ErrorCode.CORRUPT_MESSAGE);

      follower.truncateTo(13); // batch [12, 13] straddles: dropped whole
      expect(follower.logEndOffset).toBe(12);
      expect(offsetsOf(Buffer.concat(readAll(follower)))).toEqual([...Array(12).keys()]);
      expect(follower.appendAsLeader(batch(1), 4).firstOffset).toBe(12);
      follower.truncateTo(4);
      expect(follower.logEndOffset).toBe(4);
      follower.truncateTo(0);
      expect(follower.logEndOffset).toBe(0);
      expect(follower.segmentCount()).toBe(1);
      expect(follower.appendAsLeader(batch(1), 4).firstOffset).toBe(0);
    });

    it('flushes after flush.messages and on flush.ms', () => {
      let now = T0;
      const log = openLog(mode, { flushMessages: 5, flushMs: 1000 }, () => now);
      log.appendAsLeader(batch(3), 0);
      expect(log.recoveryPoint).toBe(0);
      log.appendAsLeader(batch(3), 0);
      expect(log.recoveryPoint).toBe(6);
      log.appendAsLeader(batch(1), 0);
      expect(log.recoveryPoint).toBe(6);
      now += 999;
      log.maybeFlush(now);
      expect(log.recoveryPoint).toBe(6);
      now += 1;
      log.maybeFlush(now);
      expect(log.recoveryPoint).toBe(7);
      if (mode === 'disk') expect(fs.readFileSync(path.join(log.dir!, 'recovery-point'), 'utf8').trim()).toBe('7');
    });

    it('rejects an append larger than a segment', () => {
      const log = openLog(mode, { segmentBytes: 200 });
      expectKafkaError(() => log.appendAsLeader(batch(5, { size: 100 }), 0), ErrorCode.RECORD_LIST_TOO_LARGE);
      expect(log.logEndOffset).toBe(0);
    });
  });
}

describe('UnifiedLog on disk: restart and recovery', () => {
  function fill(log: UnifiedLog, n: number, perBatch = 2): Buffer[] {
    const out: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const b = batch(perBatch, { size: 30 + (i % 7) * 10, ts: T0 + i * 10, tag: `r${i}` });
      log.appendAsLeader(b, 1);
      out.push(Buffer.from(b));
    }
    return out;
  }

  function lastLogFile(dir: string): string {
    const logs = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
    return path.join(dir, logs[logs.length - 1]!);
  }

  it('reopens with identical bytes at the same offsets', () => {
    const dir = newDir();
    const config = { segmentBytes: 1500, indexIntervalBytes: 200 };
    const log = openLog('disk', config, undefined, dir);
    const appended = fill(log, 40);
    const leo = log.logEndOffset;
    const segs = log.segmentCount();
    log.close();
    const again = openLog('disk', config, undefined, dir);
    expect(again.logEndOffset).toBe(leo);
    expect(again.segmentCount()).toBe(segs);
    expect(readAll(again)).toEqual(appended);
    for (let o = 0; o < leo; o += 3) expect(RB.decodeRecordBatch(again.read(o, 1, Infinity, true).records!).lastOffset).toBeGreaterThanOrEqual(o);
    expect(again.fetchOffsetByTimestamp(T0 + 205)).toEqual({ offset: 42, timestamp: T0 + 210 });
    expect(again.fetchMaxTimestampOffset()).toEqual({ offset: 79, timestamp: T0 + 391 });
    expect(again.appendAsLeader(batch(1), 2).firstOffset).toBe(leo);
    again.close();
    const third = openLog('disk', config, undefined, dir);
    expect(third.logEndOffset).toBe(leo + 1);
  });

  for (const clean of [true, false]) {
    it(`recomputes the max timestamp on reopen when it was reached early (${clean ? 'clean' : 'crash'})`, () => {
      const dir = newDir();
      const config = { segmentBytes: 2000, indexIntervalBytes: 100 };
      const log = openLog('disk', config, undefined, dir);
      log.appendAsLeader(batch(2, { ts: T0 + 5000 }), 0);
      for (let i = 0; i < 25; i++) log.appendAsLeader(batch(2, { ts: T0 + i, size: 40 }), 0);
      log.appendAsLeader(batch(2, { ts: T0 + 4000 }), 0);
      const max = log.fetchMaxTimestampOffset();
      expect(max).toEqual({ offset: 1, timestamp: T0 + 5001 });
      const byTs = log.fetchOffsetByTimestamp(T0 + 4000);
      const segs = log.segmentCount();
      if (clean) log.close();
      const again = openLog('disk', config, undefined, dir);
      expect(again.segmentCount()).toBe(segs);
      expect(again.fetchMaxTimestampOffset()).toEqual(max);
      expect(again.fetchOffsetByTimestamp(T0 + 4000)).toEqual(byTs);
      expect(again.fetchOffsetByTimestamp(T0 + 4001)).toEqual({ offset: 0, timestamp: T0 + 5000 });
      expect(again.logSegments().map((s) => s.maxTimestampSoFar)).toEqual(log.logSegments().map((s) => s.maxTimestampSoFar));
    });
  }

  it('rebuilds missing or corrupt indexes', () => {
    const dir = newDir();
    const config = { segmentBytes: 1500, indexIntervalBytes: 100 };
    const log = openLog('disk', config, undefined, dir);
    const appended = fill(log, 30);
    log.close();
    const idx = fs.readdirSync(dir).filter((f) => f.endsWith('.index')).sort();
    fs.rmSync(path.join(dir, idx[0]!));
    fs.writeFileSync(path.join(dir, idx[1]!), Buffer.alloc(16, 0xff));
    const tidx = fs.readdirSync(dir).filter((f) => f.endsWith('.timeindex')).sort();
    fs.writeFileSync(path.join(dir, tidx[2]!), Buffer.alloc(7, 1));
    const again = openLog('disk', config, undefined, dir);
    expect(readAll(again)).toEqual(appended);
    expect(again.fetchOffsetByTimestamp(T0 + 95)).toEqual({ offset: 20, timestamp: T0 + 100 });
    expect(fs.statSync(path.join(dir, idx[0]!)).size).toBeGreaterThan(0);
  });

  for (const clean of [true, false]) {
    it(`drops a torn tail (${clean ? 'after a clean close' : 'after a crash'})`, () => {
      const dir = newDir();
      const config = { segmentBytes: 1500, indexIntervalBytes: 200 };
      const log = openLog('disk', config, undefined, dir);
      const appended = fill(log, 30);
      const leo = log.logEndOffset;
      if (clean) log.close();
      const file = lastLogFile(dir);
      fs.truncateSync(file, fs.statSync(file).size - 7);
      const again = openLog('disk', config, undefined, dir);
      expect(again.logEndOffset).toBe(leo - 2);
      expect(readAll(again)).toEqual(appended.slice(0, -1));
      expect(again.appendAsLeader(batch(1), 2).firstOffset).toBe(leo - 2);
      again.close();
      const third = openLog('disk', config, undefined, dir);
      expect(third.logEndOffset).toBe(leo - 1);
    });
  }

  it('truncates at a corrupt byte in the last batch (CRC)', () => {
    const dir = newDir();
    const log = openLog('disk', { indexIntervalBytes: 300 }, undefined, dir);
    const appended = fill(log, 10);
    log.close();
    const file = lastLogFile(dir);
    const fd = fs.openSync(file, 'r+');
    const size = fs.fstatSync(fd).size;
    fs.writeSync(fd, Buffer.from([0x5a]), 0, 1, size - 3);
    fs.closeSync(fd);
    const again = openLog('disk', {}, undefined, dir);
    expect(again.logEndOffset).toBe(18);
    expect(readAll(again)).toEqual(appended.slice(0, -1));
    expect(fs.statSync(file).size).toBe(size - appended[9]!.length);
  });

  it('after a crash, a corrupt batch in an earlier segment truncates there and deletes later segments', () => {
    const dir = newDir();
    const config = { segmentBytes: 1000 };
    const log = openLog('disk', config, undefined, dir);
    const appended = fill(log, 30);
    expect(log.segmentCount()).toBeGreaterThan(3);
    // crash: no close, no flush -> no recovery point; corrupt the 2nd batch of the 2nd segment
    const seg = log.logSegments()[1]!;
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
    const firstSize = appended.find((b) => RB.baseOffset(b, 0) === seg.baseOffset)!.length;
    const fd = fs.openSync(path.join(dir, files[1]!), 'r+');
    fs.writeSync(fd, Buffer.from([0xee]), 0, 1, firstSize + 70);
    fs.closeSync(fd);
    const again = openLog('disk', config, undefined, dir);
    expect(again.segmentCount()).toBe(2);
    expect(again.logEndOffset).toBe(seg.baseOffset + 2);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.log')).length).toBe(2);
    expect(readAll(again)).toEqual(appended.filter((b) => RB.baseOffset(b, 0) < seg.baseOffset + 2));
  });

  it('deleteRecordsBefore and retention survive a restart', () => {
    const dir = newDir();
    const config = { segmentBytes: 800 };
    const log = openLog('disk', config, undefined, dir);
    fill(log, 20);
    log.deleteRecordsBefore(7);
    log.close();
    const again = openLog('disk', config, undefined, dir);
    expect(again.logStartOffset).toBe(7);
    expectKafkaError(() => again.read(6, 100, Infinity, true), ErrorCode.OFFSET_OUT_OF_RANGE);
    again.updateConfig(new LogConfig({ ...config, retentionBytes: 1000, retentionMs: -1 }));
    again.applyRetention(Date.now());
    const lso = again.logStartOffset;
    expect(lso).toBeGreaterThan(7);
    again.close();
    const third = openLog('disk', config, undefined, dir);
    expect(third.logStartOffset).toBe(lso);
    expect(third.logSegments()[0]!.baseOffset).toBe(lso);
  });

  it('a log start offset above the recovered end deletes everything and restarts there', () => {
    const dir = newDir();
    const log = openLog('disk', {}, undefined, dir);
    fill(log, 5);
    log.deleteRecordsBefore(10);
    log.close();
    const file = lastLogFile(dir);
    fs.truncateSync(file, fs.statSync(file).size - 1);
    const again = openLog('disk', {}, undefined, dir);
    expect(again.logStartOffset).toBe(10);
    expect(again.logEndOffset).toBe(10);
    expect(again.appendAsLeader(batch(1), 0).firstOffset).toBe(10);
  });

  it('delete() removes the directory', () => {
    const dir = newDir();
    const log = openLog('disk', {}, undefined, dir);
    fill(log, 3);
    log.delete();
    expect(fs.existsSync(dir)).toBe(false);
  });
});

describe('LogConfig', () => {
  it('has Kafka defaults', () => {
    const c = new LogConfig();
    expect(c.segmentBytes).toBe(1073741824);
    expect(c.segmentMs).toBe(604800000);
    expect(c.retentionMs).toBe(604800000);
    expect(c.retentionBytes).toBe(-1);
    expect(c.flushMessages).toBeGreaterThan(2 ** 62);
    expect(c.flushMs).toBeGreaterThan(2 ** 62);
    expect(c.indexIntervalBytes).toBe(4096);
    expect(c.segmentIndexBytes).toBe(10485760);
    expect(c.maxMessageBytes).toBe(1048588);
    expect(c.messageTimestampType).toBe('CreateTime');
    expect(c.cleanupPolicy).toEqual(['delete']);
  });

  it('parses Kafka property names', () => {
    const c = LogConfig.fromProperties({
      'segment.bytes': '1024',
      'retention.ms': '-1',
      'retention.bytes': '5000',
      'flush.messages': '9223372036854775807',
      'message.timestamp.type': 'LogAppendTime',
      'cleanup.policy': 'compact,delete',
      'max.message.bytes': 2000,
      'unknown.thing': 'x',
    });
    expect(c.segmentBytes).toBe(1024);
    expect(c.retentionMs).toBe(-1);
    expect(c.retentionBytes).toBe(5000);
    expect(c.flushMessages).toBeGreaterThan(2 ** 62);
    expect(c.messageTimestampType).toBe('LogAppendTime');
    expect(c.cleanupPolicy).toEqual(['compact', 'delete']);
    expect(c.deleteEnabled).toBe(true);
    expect(c.maxMessageBytes).toBe(2000);
    expect(c.toProperties()['segment.bytes']).toBe('1024');
    expect(LogConfig.fromProperties(c.toProperties())).toEqual(c);
    expectKafkaError(() => LogConfig.fromProperties({ 'segment.bytes': 'abc' }), ErrorCode.INVALID_CONFIG);
    expectKafkaError(() => LogConfig.fromProperties({ 'segment.bytes': '10' }), ErrorCode.INVALID_CONFIG);
    expectKafkaError(() => LogConfig.fromProperties({ 'message.timestamp.type': 'Other' }), ErrorCode.INVALID_CONFIG);
    expectKafkaError(() => LogConfig.fromProperties({ 'cleanup.policy': 'delete,nope' }), ErrorCode.INVALID_CONFIG);
  });
});
