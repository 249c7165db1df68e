// Issue 12, the partition side of transactions: producer state (open transactions, end markers,
// epoch and coordinator-epoch fencing), the last stable offset, and the aborted-transaction
// index (.txnindex) — written, truncated, deleted with its segment, and surviving a clean
// restart and a crash. Unit tests over UnifiedLog/Partition; nothing sleeps.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogConfig, type LogConfigValues } from '../src/log/LogConfig.js';
import { UnifiedLog } from '../src/log/UnifiedLog.js';
import { TransactionIndex } from '../src/log/TransactionIndex.js';
import { clearWriteFaults, injectWriteFault } from '../src/log/LogIO.js';
import { buildEndTxnMarker } from '../src/protocol/controlRecords.js';
import { ErrorCode, KafkaError } from '../src/protocol/errors.js';
import * as RB from '../src/protocol/recordBatch.js';
import { Partition } from '../src/server/Partition.js';

const T0 = 1_700_000_000_000;
const tmp: string[] = [];
const logs: UnifiedLog[] = [];
afterEach(() => {
  clearWriteFaults();
  for (const l of logs.splice(0)) l.abandon();
  for (const d of tmp.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function newDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-txn-'));
  tmp.push(d);
  return path.join(d, 'txn-0');
}

function open(dir: string | null, config: Partial<LogConfigValues> = {}): UnifiedLog {
  const log = UnifiedLog.open(dir, new LogConfig(config));
  logs.push(log);
  return log;
}

function reopen(log: UnifiedLog, crash: boolean, config: Partial<LogConfigValues> = {}): UnifiedLog {
  if (crash) log.abandon();
  else log.close();
  logs.splice(logs.indexOf(log), 1);
  return open(log.dir, config);
}

function data(opts: { pid?: number; epoch?: number; seq?: number; n?: number; txn?: boolean } = {}): Buffer {
  const n = opts.n ?? 2;
  return RB.encodeRecordBatch({
    baseTimestamp: T0,
    producerId: opts.pid ?? -1,
    producerEpoch: opts.pid === undefined ? -1 : (opts.epoch ?? 0),
    baseSequence: opts.pid === undefined ? -1 : (opts.seq ?? 0),
    transactional: opts.txn ?? false,
    records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.alloc(30, 0x61), timestamp: T0 + i })),
  });
}

const txn = (pid: number, seq: number, n = 2, epoch = 0) => data({ pid, seq, n, epoch, txn: true });
const marker = (pid: number, commit: boolean, epoch = 0, coordinatorEpoch = 0) =>
  buildEndTxnMarker({ producerId: pid, producerEpoch: epoch, coordinatorEpoch, commit, timestamp: T0 });

function appendMarker(log: UnifiedLog, pid: number, commit: boolean, epoch = 0, coordinatorEpoch = 0): number {
  return log.appendAsLeader(marker(pid, commit, epoch, coordinatorEpoch), 0, 'coordinator').firstOffset;
}

function errorOf(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    return (err as KafkaError).code;
  }
  return ErrorCode.NONE;
}

function txnIndexFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.txnindex')).sort();
}

describe('producer state: open transactions and the first unstable offset', () => {
  it('a transactional batch opens a transaction; its marker closes it, unstable until the high watermark passes the marker', () => {
    const log = open(null);
    log.appendAsLeader(data({ n: 3 }), 0); // 0..2, not transactional
    expect(log.firstUnstableOffset(3)).toBeNull();
    log.appendAsLeader(txn(7, 0), 0); // 3..4
    log.appendAsLeader(txn(7, 2), 0); // 5..6: same transaction
    expect(log.producerState.get(7)!.currentTxnFirstOffset).toBe(3);
    expect(log.firstUnstableOffset(7)).toBe(3);
    expect(appendMarker(log, 7, true)).toBe(7);
    expect(log.producerState.get(7)!.currentTxnFirstOffset).toBe(-1);
    expect(log.firstUnstableOffset(7)).toBe(3); // marker at 7 not below the high watermark yet
    expect(log.firstUnstableOffset(8)).toBeNull();
    expect(log.collectAbortedTxns(0, 8)).toEqual([]); // a commit leaves no index entry
  });

  it("the partition's last stable offset is min(high watermark, first unstable offset)", () => {
    const log = open(null);
    const p = new Partition('t', 0, log, 1, () => {});
    p.applyState({ leader: 1, leaderEpoch: 0, partitionEpoch: 0, replicas: [1], isr: [1] }, 0);
    p.appendRecordsToLeader(data({ n: 2 }), 1); // 0..1
    expect(p.lastStableOffset).toBe(2);
    p.appendRecordsToLeader(txn(5, 0, 3), 1); // 2..4
    expect(p.highWatermark).toBe(5);
    expect(p.lastStableOffset).toBe(2);
    p.appendRecordsToLeader(data({ n: 1 }), 1); // 5
    expect(p.lastStableOffset).toBe(2);
    p.appendRecordsToLeader(marker(5, false), -1, 'coordinator'); // 6
    expect(p.lastStableOffset).toBe(7);
  });

  it('an ABORT marker of one producer records the first open transaction of another as its last stable offset', () => {
    const log = open(null);
    log.appendAsLeader(txn(1, 0), 0); // 0..1
    log.appendAsLeader(txn(2, 0), 0); // 2..3
    appendMarker(log, 1, false); // 4
    appendMarker(log, 2, false); // 5
    expect(log.collectAbortedTxns(0, 6)).toEqual([
      { producerId: 1, firstOffset: 0, lastOffset: 4, lastStableOffset: 2 },
      { producerId: 2, firstOffset: 2, lastOffset: 5, lastStableOffset: 6 },
    ]);
    expect(log.collectAbortedTxns(5, 6)).toEqual([{ producerId: 2, firstOffset: 2, lastOffset: 5, lastStableOffset: 6 }]);
    expect(log.collectAbortedTxns(0, 2)).toEqual([{ producerId: 1, firstOffset: 0, lastOffset: 4, lastStableOffset: 2 }]);
  });

  it('an empty transaction (marker without data) ends nothing and indexes nothing', () => {
    const log = open(null);
    appendMarker(log, 3, false);
    expect(log.collectAbortedTxns(0, 10)).toEqual([]);
    expect(log.firstUnstableOffset(0)).toBeNull();
    expect(log.producerState.get(3)!.coordinatorEpoch).toBe(0);
  });

  it('fencing: a stale producer epoch on a marker is INVALID_PRODUCER_EPOCH, a stale coordinator epoch TRANSACTION_COORDINATOR_FENCED', () => {
    const log = open(null);
    log.appendAsLeader(txn(9, 0, 2, 3), 0);
    expect(errorOf(() => appendMarker(log, 9, true, 2, 5))).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    appendMarker(log, 9, true, 3, 5);
    log.appendAsLeader(txn(9, 2, 2, 3), 0);
    expect(errorOf(() => appendMarker(log, 9, false, 3, 4))).toBe(ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    expect(log.producerState.get(9)!.currentTxnFirstOffset).toBe(3); // still open
    // a marker with a newer producer epoch (the coordinator fenced the producer) ends it
    appendMarker(log, 9, false, 4, 5);
    expect(log.producerState.get(9)!.producerEpoch).toBe(4);
    expect(errorOf(() => log.appendAsLeader(txn(9, 4, 2, 3), 0))).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  });

  it('clients cannot write control batches; a non-transactional write inside an open transaction is INVALID_TXN_STATE', () => {
    const log = open(null);
    expect(errorOf(() => log.appendAsLeader(marker(1, true), 0, 'client'))).toBe(ErrorCode.INVALID_RECORD);
    log.appendAsLeader(txn(1, 0), 0);
    expect(errorOf(() => log.appendAsLeader(data({ pid: 1, seq: 2 }), 0))).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it("a coordinator's transactional batch without a sequence skips the sequence checks (epoch still checked)", () => {
    const log = open(null);
    const coordBatch = (epoch: number) => RB.encodeRecordBatch({ baseTimestamp: T0, producerId: 4, producerEpoch: epoch, baseSequence: -1, transactional: true, records: [{ key: null, value: Buffer.from('x'), timestamp: T0 }] });
    log.appendAsLeader(coordBatch(1), 0, 'coordinator');
    log.appendAsLeader(coordBatch(1), 0, 'coordinator');
    expect(log.logEndOffset).toBe(2);
    expect(log.firstUnstableOffset(2)).toBe(0);
    expect(errorOf(() => log.appendAsLeader(coordBatch(0), 0, 'coordinator'))).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    appendMarker(log, 4, true, 1, 0);
    expect(log.firstUnstableOffset(3)).toBeNull();
  });

  it('a producer with an open transaction never expires', () => {
    const log = open(null);
    log.appendAsLeader(txn(1, 0), 0);
    log.appendAsLeader(data({ pid: 2, seq: 0 }), 0);
    expect(log.removeExpiredProducers(T0 + 10 * 86_400_000, 1000)).toBe(1);
    expect(log.producerState.get(1)).toBeDefined();
    expect(log.producerState.get(2)).toBeUndefined();
  });

  it('followers replay the same state from replicated batches, markers included', () => {
    const leader = open(null);
    leader.appendAsLeader(txn(1, 0), 0);
    leader.appendAsLeader(txn(2, 0), 0);
    appendMarker(leader, 1, false);
    const follower = open(null);
    follower.appendAsFollower(leader.read(0, 1 << 20, leader.logEndOffset, true).records!);
    expect(follower.collectAbortedTxns(0, 10)).toEqual(leader.collectAbortedTxns(0, 10));
    expect(follower.firstUnstableOffset(5)).toBe(2);
    expect(follower.producerState.get(2)!.currentTxnFirstOffset).toBe(2);
  });
});

describe('.txnindex: the aborted-transaction index of a segment', () => {
  it("is written in Kafka's AbortedTxn format, only for ABORT markers", () => {
    const dir = newDir();
    const log = open(dir);
    log.appendAsLeader(txn(1, 0), 0); // 0..1
    appendMarker(log, 1, true); // 2
    expect(txnIndexFiles(dir)).toEqual([]);
    log.appendAsLeader(txn(1, 2), 0); // 3..4
    appendMarker(log, 1, false); // 5
    expect(txnIndexFiles(dir)).toEqual(['00000000000000000000.txnindex']);
    const bytes = fs.readFileSync(path.join(dir, '00000000000000000000.txnindex'));
    expect(bytes.length).toBe(34);
    expect(bytes.readInt16BE(0)).toBe(0);
    expect(bytes.readBigInt64BE(2)).toBe(1n); // producer id
    expect(bytes.readBigInt64BE(10)).toBe(3n); // first offset
    expect(bytes.readBigInt64BE(18)).toBe(5n); // last offset (the marker)
    expect(bytes.readBigInt64BE(26)).toBe(6n); // last stable offset
  });

  it('sits with the segment of the marker, is truncated with the log and deleted with its segment', () => {
    const dir = newDir();
    const log = open(dir, { segmentBytes: 1024 * 1024 });
    log.appendAsLeader(txn(1, 0), 0); // 0..1
    appendMarker(log, 1, false); // 2
    log.roll();
    log.appendAsLeader(txn(2, 0), 0); // 3..4
    log.appendAsLeader(txn(1, 2), 0); // 5..6
    appendMarker(log, 2, false); // 7
    appendMarker(log, 1, false); // 8
    expect(txnIndexFiles(dir)).toEqual(['00000000000000000000.txnindex', '00000000000000000003.txnindex']);
    expect(log.collectAbortedTxns(0, 9).map((e) => e.lastOffset)).toEqual([2, 7, 8]);
    // search from the second segment only
    expect(log.collectAbortedTxns(5, 9).map((e) => e.lastOffset)).toEqual([7, 8]);

    log.truncateTo(8); // the marker at 8 goes: producer 1's transaction is open again
    expect(log.collectAbortedTxns(0, 9).map((e) => e.lastOffset)).toEqual([2, 7]);
    expect(log.producerState.get(1)!.currentTxnFirstOffset).toBe(5);
    expect(log.firstUnstableOffset(8)).toBe(5);
    log.truncateTo(6); // the marker at 7 and producer 1's batch too
    expect(txnIndexFiles(dir)).toEqual(['00000000000000000000.txnindex']);
    expect(log.firstUnstableOffset(6)).toBe(3);

    log.deleteRecordsBefore(4); // inside producer 2's open transaction (3..4): the LSO does not go below the log start
    expect(log.firstUnstableOffset(6)).toBe(4);
    expect(txnIndexFiles(dir)).toEqual([]);
    expect(log.collectAbortedTxns(3, 10)).toEqual([]);
  });

  it('open transactions and the index survive a clean restart (the snapshot carries open transactions)', () => {
    const dir = newDir();
    let log = open(dir);
    log.appendAsLeader(txn(1, 0), 0); // 0..1
    log.appendAsLeader(txn(2, 0), 0); // 2..3
    appendMarker(log, 1, false); // 4
    log.appendAsLeader(data({ n: 1 }), 0); // 5
    log = reopen(log, false);
    expect(log.collectAbortedTxns(0, 6)).toEqual([{ producerId: 1, firstOffset: 0, lastOffset: 4, lastStableOffset: 2 }]);
    expect(log.producerState.get(2)!.currentTxnFirstOffset).toBe(2);
    expect(log.firstUnstableOffset(6)).toBe(2);
    appendMarker(log, 2, false);
    expect(log.collectAbortedTxns(0, 7).map((e) => e.producerId)).toEqual([1, 2]);
  });

  it('a crash before any flush: recovery rebuilds a lost index and the open transactions from the batches', () => {
    const dir = newDir();
    let log = open(dir, { flushMessages: 1_000_000 });
    log.appendAsLeader(txn(1, 0), 0); // 0..1
    appendMarker(log, 1, false); // 2
    log.roll(); // takes a producer snapshot at 3, above the recovery point
    log.appendAsLeader(txn(2, 0), 0); // 3..4
    log.appendAsLeader(txn(3, 0), 0); // 5..6
    appendMarker(log, 2, false); // 7
    for (const f of txnIndexFiles(dir)) fs.rmSync(path.join(dir, f)); // as if the index writes never reached the disk
    log = reopen(log, true, { flushMessages: 1_000_000 });
    expect(log.collectAbortedTxns(0, 8)).toEqual([
      { producerId: 1, firstOffset: 0, lastOffset: 2, lastStableOffset: 3 },
      { producerId: 2, firstOffset: 3, lastOffset: 7, lastStableOffset: 5 },
    ]);
    expect(txnIndexFiles(dir)).toEqual(['00000000000000000000.txnindex', '00000000000000000003.txnindex']);
    expect(log.producerState.get(3)!.currentTxnFirstOffset).toBe(5);
    expect(log.firstUnstableOffset(8)).toBe(5);
  });

  it('a crash that tore the marker: its index entry goes with it and the transaction is open again', () => {
    const dir = newDir();
    let log = open(dir, { flushMessages: 1_000_000 });
    log.appendAsLeader(txn(1, 0), 0); // 0..1
    log.flush();
    appendMarker(log, 1, false); // 2
    expect(log.collectAbortedTxns(0, 3)).toHaveLength(1);
    const seg = path.join(dir, '00000000000000000000.log');
    fs.truncateSync(seg, fs.statSync(seg).size - 5); // the marker batch is torn
    log = reopen(log, true, { flushMessages: 1_000_000 });
    expect(log.logEndOffset).toBe(2);
    expect(log.collectAbortedTxns(0, 3)).toEqual([]);
    expect(new TransactionIndex(path.join(dir, '00000000000000000000.txnindex')).size).toBe(0);
    expect(log.firstUnstableOffset(2)).toBe(0);
  });

  it('a failed index write (disk full) keeps reads right; the next flush rewrites the file, or fails and recovery rebuilds it', () => {
    const dir = newDir();
    let log = open(dir, { flushMessages: 1_000_000 });
    const file = path.join(dir, '00000000000000000000.txnindex');
    log.appendAsLeader(txn(1, 0), 0); // 0..1
    injectWriteFault({ site: 'txn-index' });
    appendMarker(log, 1, false); // 2: appended, its index entry not written
    expect(log.collectAbortedTxns(0, 3)).toEqual([{ producerId: 1, firstOffset: 0, lastOffset: 2, lastStableOffset: 3 }]);
    expect(fs.existsSync(file)).toBe(false);
    log.flush();
    expect(new TransactionIndex(file).allAbortedTxns()).toHaveLength(1);

    log.appendAsLeader(txn(2, 0), 0); // 3..4
    injectWriteFault({ site: 'txn-index', times: 2 });
    appendMarker(log, 2, false); // 5: the append's write and the flush's rewrite fail
    expect(() => log.flush()).toThrow(/ENOSPC/);
    expect(log.recoveryPoint).toBe(3);
    clearWriteFaults();
    log = reopen(log, true, { flushMessages: 1_000_000 });
    expect(log.collectAbortedTxns(0, 6).map((e) => e.producerId)).toEqual([1, 2]);
    expect(new TransactionIndex(file).allAbortedTxns()).toHaveLength(2);
  });

  it('in-memory logs keep the index in memory', () => {
    const log = open(null);
    log.appendAsLeader(txn(1, 0), 0);
    appendMarker(log, 1, false);
    expect(log.logSegments()[0]!.txnIndex.allAbortedTxns()).toEqual([{ producerId: 1, firstOffset: 0, lastOffset: 2, lastStableOffset: 3 }]);
  });

  it('a torn last entry is dropped when the index is opened', () => {
    const dir = newDir();
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'x.txnindex');
    const idx = new TransactionIndex(file);
    idx.append({ producerId: 1, firstOffset: 0, lastOffset: 2, lastStableOffset: 3 });
    idx.append({ producerId: 2, firstOffset: 3, lastOffset: 5, lastStableOffset: 6 });
    idx.append({ producerId: 2, firstOffset: 3, lastOffset: 4, lastStableOffset: 6 }); // not after the last: ignored
    idx.close();
    fs.truncateSync(file, 34 + 10);
    const again = new TransactionIndex(file);
    expect(again.allAbortedTxns()).toEqual([{ producerId: 1, firstOffset: 0, lastOffset: 2, lastStableOffset: 3 }]);
    expect(fs.statSync(file).size).toBe(34);
    again.close();
  });
});
