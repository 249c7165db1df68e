// Disk-full (ENOSPC) and I/O errors at every write site of a partition log (issue 10, points 1
// and 4), injected with src/log/LogIO.ts. What must hold at each site: the failing append is
// refused whole (nothing of it is ever readable, its offsets are not used up), earlier
// acknowledged records stay readable, the next append gets the right offset once the disk has
// room again, and a restart — clean or crash — brings back exactly the acknowledged records.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { LogConfig, type LogConfigValues } from '../src/log/LogConfig.js';
import { clearWriteFaults, injectWriteFault, pendingWriteFaults, type WriteFault } from '../src/log/LogIO.js';
import { UnifiedLog } from '../src/log/UnifiedLog.js';
import * as RB from '../src/protocol/recordBatch.js';
import { readAll, type ReadRecord } from './support/fetchAll.js';

const T0 = 1_700_000_000_000;

/** One batch of n records, tagged so the test can tell batches apart; idempotent when pid is given. */
function batch(tag: string, n = 2, opts: { ts?: number; pid?: number; seq?: number; size?: number } = {}): Buffer {
  const ts = opts.ts ?? T0;
  return RB.encodeRecordBatch({
    baseTimestamp: ts,
    producerId: opts.pid ?? -1,
    producerEpoch: opts.pid === undefined ? -1 : 0,
    baseSequence: opts.seq ?? -1,
    records: Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`${tag}-${i}`), value: Buffer.alloc(opts.size ?? 30, 0x61), timestamp: ts + i })),
  });
}

/** Every readable record as "offset:key". */
function contents(log: UnifiedLog): string[] {
  const out: string[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const { records } = log.read(offset, 1 << 20, Infinity, true);
    if (!records) break;
    for (const b of RB.decodeRecordBatches(records)) {
      expect(b.crcValid).toBe(true);
      for (const r of b.records) if (r.offset >= offset) out.push(`${r.offset}:${r.key!.toString()}`);
      offset = b.lastOffset + 1;
    }
  }
  return out;
}

const tmp: string[] = [];
const logs: UnifiedLog[] = [];
afterEach(() => {
  clearWriteFaults();
  for (const l of logs.splice(0)) l.abandon();
  for (const d of tmp.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function newDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-faults-'));
  tmp.push(d);
  return path.join(d, 'faulty-0');
}

function open(dir: string, config: Partial<LogConfigValues> = {}): UnifiedLog {
  const log = UnifiedLog.open(dir, new LogConfig({ indexIntervalBytes: 1, ...config }));
  logs.push(log);
  return log;
}

function expectIoError(fn: () => unknown, code = 'ENOSPC'): void {
  expect(fn).toThrow(expect.objectContaining({ code }));
}

/** The acknowledged records after a reopen, clean (close) or after a crash (abandon). */
function reopened(log: UnifiedLog, how: 'close' | 'crash', config: Partial<LogConfigValues> = {}): UnifiedLog {
  if (how === 'close') log.close();
  else log.abandon();
  logs.splice(logs.indexOf(log), 1);
  return open(log.dir!, config);
}

const APPEND_SITES: WriteFault[] = [
  { site: 'segment' },
  { site: 'segment', afterBytes: 40 }, // part of the batch reached the file
  { site: 'offset-index' },
  { site: 'offset-index', afterBytes: 4 },
  { site: 'time-index' },
  { site: 'time-index', afterBytes: 6 },
];

describe('a failed append is all-or-nothing', () => {
  for (const fault of APPEND_SITES) {
    for (const how of ['close', 'crash'] as const) {
      it(`${fault.site}${fault.afterBytes ? ` (partial write of ${fault.afterBytes} bytes)` : ''}, then ${how} and reopen`, () => {
        const log = open(newDir());
        log.appendAsLeader(batch('a', 2, { ts: T0 }), 0);
        log.appendAsLeader(batch('b', 2, { ts: T0 + 10 }), 0);
        injectWriteFault(fault);
        expectIoError(() => log.appendAsLeader(batch('lost', 3, { ts: T0 + 20 }), 0));
        expect(pendingWriteFaults()).toBe(0);
        expect(log.logEndOffset).toBe(4);
        expect(contents(log)).toEqual(['0:a-0', '1:a-1', '2:b-0', '3:b-1']);
        // space is back: the next acknowledged batch takes the next offset
        expect(log.appendAsLeader(batch('c', 2, { ts: T0 + 30 }), 0)).toMatchObject({ firstOffset: 4, lastOffset: 5 });
        const acked = ['0:a-0', '1:a-1', '2:b-0', '3:b-1', '4:c-0', '5:c-1'];
        expect(contents(log)).toEqual(acked);
        expect(log.fetchOffsetByTimestamp(T0 + 21)).toEqual({ offset: 4, timestamp: T0 + 30 });

        const again = reopened(log, how);
        expect(contents(again)).toEqual(acked);
        expect(again.logEndOffset).toBe(6);
        expect(again.fetchOffsetByTimestamp(T0 + 21)).toEqual({ offset: 4, timestamp: T0 + 30 });
        expect(again.appendAsLeader(batch('d', 1), 0).firstOffset).toBe(6);
      });
    }
  }

  it('an idempotent batch refused for a full disk is appended by its retry, once', () => {
    const log = open(newDir());
    expect(log.appendAsLeader(batch('p0', 2, { pid: 7, seq: 0 }), 0).firstOffset).toBe(0);
    injectWriteFault({ site: 'segment', afterBytes: 10 });
    expectIoError(() => log.appendAsLeader(batch('p1', 2, { pid: 7, seq: 2 }), 0));
    // the producer state did not take the refused batch: its retry is new, not a duplicate, and not a gap
    const retry = log.appendAsLeader(batch('p1', 2, { pid: 7, seq: 2 }), 0);
    expect(retry).toMatchObject({ firstOffset: 2, lastOffset: 3 });
    expect(retry.duplicate).toBeUndefined();
    expect(log.appendAsLeader(batch('p1', 2, { pid: 7, seq: 2 }), 0)).toMatchObject({ firstOffset: 2, duplicate: true });
    expect(contents(log)).toEqual(['0:p0-0', '1:p0-1', '2:p1-0', '3:p1-1']);
  });

  it('a follower append that fails leaves the log as it was, and the refetch appends it', () => {
    const leader = UnifiedLog.open(null, new LogConfig());
    leader.appendAsLeader(batch('x', 2), 3);
    leader.appendAsLeader(batch('y', 2), 4);
    const follower = open(newDir());
    const fetched = () => Buffer.from(leader.read(follower.logEndOffset, 1 << 20, Infinity, true).records!);
    injectWriteFault({ site: 'offset-index' });
    expectIoError(() => follower.appendAsFollower(fetched()));
    expect(follower.logEndOffset).toBe(0);
    // only an entry at the log end may stay (as Kafka's new leader writes one); epoch 4 at offset 2 must not
    expect(follower.leaderEpochCache.all()).toEqual([{ epoch: 3, startOffset: 0 }]);
    follower.appendAsFollower(fetched());
    expect(contents(follower)).toEqual(['0:x-0', '1:x-1', '2:y-0', '3:y-1']);
    expect(follower.leaderEpochCache.all()).toEqual([
      { epoch: 3, startOffset: 0 },
      { epoch: 4, startOffset: 2 },
    ]);
  });
});

describe('rolls, checkpoints and snapshots on a full disk', () => {
  for (const site of ['segment-create', 'producer-snapshot', 'time-index'] as const) {
    it(`a roll that fails at ${site} refuses the append; the next one rolls and the idempotent state survives a restart`, () => {
      const config = { segmentBytes: 400 };
      const log = open(newDir(), config);
      let seq = 0;
      const acked: string[] = [];
      const produce = (tag: string) => {
        const info = log.appendAsLeader(batch(tag, 2, { pid: 11, seq, size: 60 }), 0);
        seq += 2;
        acked.push(`${info.firstOffset}:${tag}-0`, `${info.lastOffset}:${tag}-1`);
      };
      while (log.segmentCount() === 1) produce(`r${seq}`);
      const segments = log.segmentCount();
      // the next append after this one would roll again: fill the active segment first
      const end = log.logEndOffset;
      while (log.activeSegment.size + 250 <= 400) produce(`f${seq}`);
      injectWriteFault({ site, pathIncludes: site === 'time-index' ? path.basename(log.dir!) : undefined });
      expectIoError(() => log.appendAsLeader(batch('lost', 2, { pid: 11, seq, size: 60 }), 0));
      expect(pendingWriteFaults()).toBe(0);
      expect(contents(log)).toEqual(acked);
      expect(log.logEndOffset).toBeGreaterThanOrEqual(end);
      produce('after');
      expect(log.segmentCount()).toBe(segments + 1);
      expect(contents(log)).toEqual(acked);

      const again = reopened(log, 'crash', config);
      expect(contents(again)).toEqual(acked);
      // the last batch is still known to the producer state: its retry is a duplicate
      expect(again.appendAsLeader(batch('after', 2, { pid: 11, seq: seq - 2, size: 60 }), 0)).toMatchObject({ duplicate: true });
      expect(again.appendAsLeader(batch('next', 2, { pid: 11, seq, size: 60 }), 0).firstOffset).toBe(again.logEndOffset - 2);
    });
  }

  it('leader-epoch-checkpoint: a new epoch that cannot be recorded refuses the append', () => {
    const log = open(newDir());
    log.appendAsLeader(batch('a'), 1);
    injectWriteFault({ site: 'leader-epoch-checkpoint' });
    expectIoError(() => log.appendAsLeader(batch('lost'), 2));
    expect(contents(log)).toEqual(['0:a-0', '1:a-1']);
    expect(log.leaderEpochCache.all()).toEqual([{ epoch: 1, startOffset: 0 }]);
    expect(log.appendAsLeader(batch('b'), 2).firstOffset).toBe(2);
    const again = reopened(log, 'crash');
    expect(contents(again)).toEqual(['0:a-0', '1:a-1', '2:b-0', '3:b-1']);
    expect(again.leaderEpochCache.all()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 2 },
    ]);
    expect(again.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 2 });
  });

  it('leader-epoch-checkpoint: a truncation that cannot rewrite it is written before the next append', () => {
    const log = open(newDir());
    log.appendAsLeader(batch('a'), 1);
    log.appendAsLeader(batch('b'), 2);
    injectWriteFault({ site: 'leader-epoch-checkpoint' });
    log.truncateTo(2); // a follower dropping a divergent suffix: the truncation itself happens
    expect(contents(log)).toEqual(['0:a-0', '1:a-1']);
    expect(log.leaderEpochCache.all()).toEqual([{ epoch: 1, startOffset: 0 }]);
    injectWriteFault({ site: 'leader-epoch-checkpoint' });
    // appending epoch-1 data past the stale (2, 2) entry on disk would make it a lie: refused until written
    expectIoError(() => log.appendAsFollower(reEpoch(batch('c'), 2, 1)));
    log.appendAsFollower(reEpoch(batch('c'), 2, 1));
    const again = reopened(log, 'crash');
    expect(again.leaderEpochCache.all()).toEqual([{ epoch: 1, startOffset: 0 }]);
    expect(contents(again)).toEqual(['0:a-0', '1:a-1', '2:c-0', '3:c-1']);
  });

  for (const site of ['recovery-point', 'fsync'] as const) {
    it(`${site}: with flush.messages=1 the append stands, the flush is retried, and a crash loses nothing`, () => {
      const log = open(newDir(), { flushMessages: 1 });
      log.appendAsLeader(batch('a'), 0);
      injectWriteFault({ site });
      expect(log.appendAsLeader(batch('b'), 0).firstOffset).toBe(2);
      expect(log.recoveryPoint).toBe(site === 'fsync' ? 2 : 4);
      expect(log.appendAsLeader(batch('c'), 0).firstOffset).toBe(4);
      expect(log.recoveryPoint).toBe(6);
      expect(fs.readFileSync(path.join(log.dir!, 'recovery-point'), 'utf8').trim()).toBe('6');
      const again = reopened(log, 'crash');
      expect(contents(again)).toEqual(['0:a-0', '1:a-1', '2:b-0', '3:b-1', '4:c-0', '5:c-1']);
    });
  }

  it('log-start-offset: DeleteRecords that cannot record the new start changes nothing', () => {
    const log = open(newDir());
    log.appendAsLeader(batch('a'), 0);
    log.appendAsLeader(batch('b'), 0);
    log.deleteRecordsBefore(1);
    injectWriteFault({ site: 'log-start-offset' });
    expectIoError(() => log.deleteRecordsBefore(3));
    expect(log.logStartOffset).toBe(1);
    const again = reopened(log, 'crash');
    expect(again.logStartOffset).toBe(1);
    expect(again.deleteRecordsBefore(3)).toBe(3);
  });

  it('log-start-offset: retention still deletes, and the start offset follows the first segment after a restart', () => {
    const config = { segmentBytes: 300, retentionBytes: 0 };
    const log = open(newDir(), config);
    for (let i = 0; i < 6; i++) log.appendAsLeader(batch(`s${i}`, 2, { size: 60 }), 0);
    expect(log.segmentCount()).toBeGreaterThan(2);
    injectWriteFault({ site: 'log-start-offset', times: 5 });
    expect(log.applyRetention(T0, 8)).toBeGreaterThan(0);
    const start = log.logStartOffset;
    expect(start).toBeGreaterThan(0);
    const again = reopened(log, 'crash', config);
    expect(again.logStartOffset).toBe(start);
    expect(contents(again)[0]).toBe(`${start}:${contents(again)[0]!.split(':')[1]}`);
  });

  it('close on a full disk closes the files without throwing, and the next open recovers everything', () => {
    const log = open(newDir());
    log.appendAsLeader(batch('a', 2, { pid: 5, seq: 0 }), 0);
    injectWriteFault({ site: 'recovery-point' });
    injectWriteFault({ site: 'producer-snapshot' });
    expect(() => log.close()).not.toThrow();
    logs.splice(logs.indexOf(log), 1);
    const again = open(log.dir!);
    expect(contents(again)).toEqual(['0:a-0', '1:a-1']);
    expect(again.appendAsLeader(batch('a', 2, { pid: 5, seq: 0 }), 0)).toMatchObject({ firstOffset: 0, duplicate: true });
  });

  it('a restart while the disk is still full opens the log and serves reads', () => {
    const log = open(newDir());
    log.appendAsLeader(batch('a'), 1);
    log.abandon();
    logs.splice(logs.indexOf(log), 1);
    for (const site of ['recovery-point', 'log-start-offset', 'leader-epoch-checkpoint', 'producer-snapshot', 'fsync'] as const) {
      injectWriteFault({ site, times: 10 });
    }
    const again = open(log.dir!);
    expect(contents(again)).toEqual(['0:a-0', '1:a-1']);
  });
});

/** The batch with base offset and partition leader epoch set (CRC fixed), as a leader would send it. */
function reEpoch(b: Buffer, baseOffset: number, epoch: number): Buffer {
  RB.setBaseOffset(b, 0, baseOffset);
  RB.setPartitionLeaderEpoch(b, 0, epoch);
  return b;
}

// Over TCP against an in-process broker: what a producer and a consumer see.
describe('a broker on a full disk', () => {
  const clusters: Cluster[] = [];
  afterEach(async () => {
    clearWriteFaults();
    for (const c of clusters.splice(0)) await c.close();
  });

  async function startOn(dataDir: string, port = 0): Promise<Cluster> {
    const c = await startCluster({ dataDir, port, config: { 'group.initial.rebalance.delay.ms': 0 } });
    clusters.push(c);
    return c;
  }

  const offsetsAndValues = (records: ReadRecord[]) => records.map((r) => `${r.offset}:${r.value}`);

  for (const fault of [{ site: 'segment', afterBytes: 30 }, { site: 'offset-index' }, { site: 'time-index' }] as const) {
    it(`${fault.site}: the produce gets KAFKA_STORAGE_ERROR, reads keep working, the next produce gets the next offset, a crash restart keeps them all`, async () => {
      const dataDir = newDir();
      const cluster = await startOn(dataDir);
      const bootstrap = cluster.bootstrapServers[0]!;
      await cluster.createTopic('faulty', { partitions: 1, config: { 'index.interval.bytes': 1 } });
      const kafka = new Kafka({ clientId: 'faults', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
      const producer = kafka.producer();
      await producer.connect();
      for (let i = 0; i < 3; i++) {
        await producer.send({ topic: 'faulty', acks: -1, messages: [{ value: `a${i}` }, { value: `b${i}` }] });
      }
      injectWriteFault({ ...fault, pathIncludes: 'faulty-0' });
      // A time-index entry is written only for a timestamp above the last one: a record sent in the
      // same millisecond as the previous batch would never reach the faulty write.
      const later = (ms: number) => String(Date.now() + ms);
      await expect(producer.send({ topic: 'faulty', acks: -1, messages: [{ value: 'lost', timestamp: later(60_000) }] })).rejects.toMatchObject({
        cause: { type: 'KAFKA_STORAGE_ERROR' },
      });
      expect(pendingWriteFaults()).toBe(0);
      const acked = ['0:a0', '1:b0', '2:a1', '3:b1', '4:a2', '5:b2'];
      expect(offsetsAndValues(await readAll(bootstrap, 'faulty'))).toEqual(acked);
      const [meta] = await producer.send({ topic: 'faulty', acks: -1, messages: [{ value: 'next', timestamp: later(120_000) }] });
      expect(meta!.baseOffset).toBe('6');
      acked.push('6:next');
      expect(offsetsAndValues(await readAll(bootstrap, 'faulty'))).toEqual(acked);
      await producer.disconnect();

      await cluster.stopBroker(1, { crash: true });
      await cluster.startBroker(1);
      expect(offsetsAndValues(await readAll(bootstrap, 'faulty'))).toEqual(acked);
    });
  }

  it('an idempotent producer retries through a transient ENOSPC and its records land once; a clean restart keeps them', async () => {
    const dataDir = newDir();
    let cluster = await startOn(dataDir);
    const port = Number(cluster.bootstrapServers[0]!.split(':')[1]);
    await cluster.createTopic('retried', { partitions: 1 });
    const kafka = new Kafka({ clientId: 'faults', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 20 } });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: 'retried', acks: -1, messages: [{ value: 'first' }] });
    injectWriteFault({ site: 'segment', afterBytes: 20, times: 2, pathIncludes: 'retried-0' });
    const [meta] = await producer.send({ topic: 'retried', acks: -1, messages: [{ value: 'second' }, { value: 'third' }] });
    expect(pendingWriteFaults()).toBe(0);
    expect(meta!.baseOffset).toBe('1');
    await producer.disconnect();
    const expected = ['0:first', '1:second', '2:third'];
    expect(offsetsAndValues(await readAll(cluster.bootstrapServers[0]!, 'retried'))).toEqual(expected);

    await cluster.close();
    clusters.splice(clusters.indexOf(cluster), 1);
    cluster = await startOn(dataDir, port);
    expect(offsetsAndValues(await readAll(cluster.bootstrapServers[0]!, 'retried'))).toEqual(expected);
  });
});

describe('a follower on a full disk', () => {
  const clusters: Cluster[] = [];
  afterEach(async () => {
    clearWriteFaults();
    for (const c of clusters.splice(0)) await c.close();
  });

  it('its failed appends are refetched: acks=all completes once it has room, and both replicas hold the same bytes', async () => {
    const cluster = await startCluster({ brokers: 2, dataDir: newDir(), config: { 'min.insync.replicas': 2 } });
    clusters.push(cluster);
    await cluster.createTopic('mirrored', { partitions: 1, replicationFactor: 2, config: { 'index.interval.bytes': 1 } });
    const leader = cluster.leaderOf('mirrored', 0);
    const follower = leader === 1 ? 2 : 1;
    const kafka = new Kafka({ clientId: 'faults', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'mirrored', acks: -1, messages: [{ value: 'before' }] });
    for (const site of ['segment', 'offset-index', 'time-index'] as const) {
      injectWriteFault({ site, afterBytes: 7, pathIncludes: `broker-${follower}${path.sep}mirrored-0` });
    }
    const [meta] = await producer.send({ topic: 'mirrored', acks: -1, timeout: 20_000, messages: [{ value: 'during' }, { value: 'faults' }] });
    expect(meta!.baseOffset).toBe('1');
    expect(pendingWriteFaults()).toBe(0);
    await producer.send({ topic: 'mirrored', acks: -1, messages: [{ value: 'after' }] });
    await producer.disconnect();
    expect(cluster.isr('mirrored', 0).sort()).toEqual([1, 2]);
    const bytesOf = (id: number) => {
      const log = cluster.brokers.find((b) => b.nodeId === id)!.replicaManager.getPartition('mirrored', 0)!.log;
      return log.read(0, 1 << 20, Infinity, true).records!.toString('hex');
    };
    expect(bytesOf(follower)).toBe(bytesOf(leader));
    expect((await readAll(cluster.bootstrapServers[0]!, 'mirrored')).map((r) => `${r.offset}:${r.value}`)).toEqual(['0:before', '1:during', '2:faults', '3:after']);
  });
});

describe('high-watermark checkpoint on a full disk', () => {
  const clusters: Cluster[] = [];
  afterEach(async () => {
    clearWriteFaults();
    for (const c of clusters.splice(0)) await c.close();
  });

  async function setUp(): Promise<{ cluster: Cluster; port: number; dataDir: string }> {
    const dataDir = newDir();
    const cluster = await startCluster({ dataDir, port: 0 });
    clusters.push(cluster);
    await cluster.createTopic('hw', { partitions: 1 });
    const kafka = new Kafka({ clientId: 'faults', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    injectWriteFault({ site: 'high-watermark', times: 1000 });
    for (let i = 0; i < 3; i++) await producer.send({ topic: 'hw', acks: -1, messages: [{ value: `v${i}` }] });
    await producer.disconnect();
    return { cluster, dataDir, port: Number(cluster.bootstrapServers[0]!.split(':')[1]) };
  }
  const values = (rs: ReadRecord[]) => rs.map((r) => `${r.offset}:${r.value}`);

  it('a broker that cannot write it keeps serving, and a crash restart serves every record', async () => {
    const { cluster } = await setUp();
    const before = pendingWriteFaults();
    expect(() => cluster.brokers[0]!.applyRetention()).not.toThrow(); // the maintenance pass writes the checkpoint
    expect(pendingWriteFaults()).toBeLessThan(before);
    expect(values(await readAll(cluster.bootstrapServers[0]!, 'hw'))).toEqual(['0:v0', '1:v1', '2:v2']);
    await cluster.stopBroker(1, { crash: true });
    await cluster.startBroker(1);
    expect(values(await readAll(cluster.bootstrapServers[0]!, 'hw'))).toEqual(['0:v0', '1:v1', '2:v2']);
  });

  // Partition.close() closes its log even when the high-watermark checkpoint fails, and the
  // broker closes every other partition too.
  it('a clean shutdown on a full disk does not reject, and a restart serves every record', async () => {
    const { cluster, dataDir } = await setUp();
    clusters.splice(0);
    try {
      await cluster.close();
    } finally {
      await cluster.controller.stop(); // close() stopped the brokers' servers and timers but not this
    }
    clearWriteFaults();
    const again = await startCluster({ dataDir, port: 0 });
    clusters.push(again);
    expect(values(await readAll(again.bootstrapServers[0]!, 'hw'))).toEqual(['0:v0', '1:v1', '2:v2']);
  });
});

// A real full disk, not an injected one: the broker process runs under RLIMIT_FSIZE (prlimit), so
// its writes past the limit really are cut short and then fail (EFBIG), exactly where a full
// disk cuts them. Raising the limit on the running process is the disk getting room again.
// Needs `npm run build` (spawns bin/minikafka.js) and Linux's prlimit.
const BIN = fileURLToPath(new URL('../bin/minikafka.js', import.meta.url));
const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;

describe.skipIf(!hasPrlimit)('a broker process whose files cannot grow (RLIMIT_FSIZE)', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  });

  async function startBroker(dir: string, port: number, limitBytes?: number): Promise<{ child: ChildProcess; bootstrap: string; exited: Promise<unknown> }> {
    const args = [BIN, '--port', String(port), '--data-dir', dir];
    const child = limitBytes === undefined ? spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn('prlimit', [`--fsize=${limitBytes}:unlimited`, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    let out = '';
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const bootstrap = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (d) => {
        out += d;
        const m = /minikafka ready bootstrap=(\S+)/.exec(out);
        if (m) resolve(m[1]!.split(',')[0]!);
      });
      child.on('exit', (code) => reject(new Error(`broker exited ${code}: ${err}`)));
    });
    return { child, bootstrap, exited };
  }

  it('produce answers KAFKA_STORAGE_ERROR, fetch serves every acknowledged record, writes resume when room comes back, kill -9 loses nothing', async () => {
    const dir = newDir();
    let broker = await startBroker(dir, 0, 256 * 1024);
    const port = Number(broker.bootstrap.split(':')[1]);
    const kafka = new Kafka({ clientId: 'fsize', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'full', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const acked: string[] = [];
    let failure: unknown = null;
    for (let i = 0; i < 200 && failure === null; i++) {
      const value = `${i}:`.padEnd(4000, 'x');
      try {
        const [meta] = await producer.send({ topic: 'full', acks: -1, messages: [{ value }] });
        acked.push(`${meta!.baseOffset}:${value}`);
      } catch (err) {
        failure = err;
      }
    }
    expect(failure).toMatchObject({ cause: { type: 'KAFKA_STORAGE_ERROR' } });
    expect(acked.length).toBeGreaterThan(20);
    expect(acked.every((a, i) => a.startsWith(`${i}:${i}:`))).toBe(true);
    const served = async () => (await readAll(broker.bootstrap, 'full')).map((r) => `${r.offset}:${r.value}`);
    expect(await served()).toEqual(acked);
    // the same batch again: still no room for it (a smaller one could fit in what is left, as on a real disk)
    await expect(producer.send({ topic: 'full', acks: -1, messages: [{ value: 'again'.padEnd(4000, 'x') }] })).rejects.toMatchObject({
      cause: { type: 'KAFKA_STORAGE_ERROR' },
    });
    expect(await served()).toEqual(acked);

    expect(spawnSync('prlimit', ['--pid', String(broker.child.pid), '--fsize=unlimited']).status).toBe(0);
    const [meta] = await producer.send({ topic: 'full', acks: -1, messages: [{ value: 'room again' }] });
    expect(meta!.baseOffset).toBe(String(acked.length));
    acked.push(`${acked.length}:room again`);
    expect(await served()).toEqual(acked);
    await producer.disconnect();

    broker.child.kill('SIGKILL');
    await broker.exited;
    broker = await startBroker(dir, port);
    expect(await served()).toEqual(acked);
  });
});
