// Issue 12 over TCP, the partition side alone (verification off, no transaction coordinator):
// transactional batches produced raw, WriteTxnMarkers sent raw, then Fetch read_committed stops
// at the last stable offset and lists the aborted transactions, kafkajs read_committed consumers
// never see aborted records while read_uncommitted ones see all, ListOffsets read_committed is
// the LSO, DescribeProducers shows open transactions, and on three brokers followers replicate
// the markers and the index so a failover keeps aborted records invisible.
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import {
  decodeDescribeProducersResponse,
  decodeFetchResponse,
  decodeListOffsetsResponse,
  decodeProduceResponse,
  decodeWriteTxnMarkersResponse,
  encodeDescribeProducersRequest,
  encodeFetchRequest,
  encodeListOffsetsRequest,
  encodeProduceRequest,
  encodeWriteTxnMarkersRequest,
} from '../src/protocol/messages/index.js';
import { ErrorCode } from '../src/protocol/errors.js';
import * as RB from '../src/protocol/recordBatch.js';
import { RawClient } from './support/RawClient.js';

const hasKcat = spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;
if (!hasKcat) console.warn('kcat tests skipped: no kcat on PATH (apt-get install kcat)');

/** Every value of partition 0 from the beginning to its end (librdkafka's end: the LSO for read_committed). */
function kcat(bootstrap: string, topic: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('kcat', ['-C', '-b', bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\\n', '-X', `isolation.level=${isolation}`], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(stdout.split('\n').filter((l) => l.length > 0));
    });
  });
}

const NO_VERIFY = { 'transaction.partition.verification.enable': 'false' };
const clients: RawClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

async function connect(bootstrap: string): Promise<RawClient> {
  const c = await RawClient.connect(bootstrap);
  clients.push(c);
  return c;
}

function txnBatch(pid: number, seq: number, values: string[], epoch = 0, transactional = true, timestamp = Date.now()): Buffer {
  return RB.encodeRecordBatch({
    baseTimestamp: timestamp,
    producerId: pid,
    producerEpoch: epoch,
    baseSequence: seq,
    transactional,
    records: values.map((v) => ({ key: null, value: Buffer.from(v), timestamp })),
  });
}

function plainBatch(values: string[]): Buffer {
  return RB.encodeRecordBatch({ baseTimestamp: Date.now(), records: values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: Date.now() })) });
}

async function produce(c: RawClient, topic: string, records: Buffer, transactionalId: string | null = 'tx'): Promise<{ errorCode: number; baseOffset: number }> {
  const res = await c.request(0, 8, encodeProduceRequest, decodeProduceResponse, { transactionalId, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  const p = res.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: Number(p.baseOffset) };
}

async function writeMarker(c: RawClient, topic: string, pid: number, commit: boolean, opts: { epoch?: number; coordinatorEpoch?: number; partitions?: number[]; version?: number } = {}): Promise<number[]> {
  const res = await c.request(27, opts.version ?? 1, encodeWriteTxnMarkersRequest, decodeWriteTxnMarkersResponse, {
    markers: [{ producerId: pid, producerEpoch: opts.epoch ?? 0, transactionResult: commit, coordinatorEpoch: opts.coordinatorEpoch ?? 0, topics: [{ name: topic, partitionIndexes: opts.partitions ?? [0] }] }],
  });
  return res.markers[0]!.topics[0]!.partitions.map((p) => p.errorCode);
}

async function fetch(c: RawClient, topic: string, offset: number, isolationLevel: number, opts: { version?: number; maxWaitMs?: number; minBytes?: number } = {}) {
  const res = await c.request(1, opts.version ?? 11, encodeFetchRequest, decodeFetchResponse, {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1 },
    maxWaitMs: opts.maxWaitMs ?? 0,
    minBytes: opts.minBytes ?? 0,
    maxBytes: 1 << 20,
    isolationLevel,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: Buffer.alloc(16), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: Buffer.alloc(16) }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
  const p = res.responses[0]!.partitions[0]!;
  const batches = p.records && p.records.length > 0 ? RB.decodeRecordBatches(p.records) : [];
  return {
    errorCode: p.errorCode,
    highWatermark: Number(p.highWatermark),
    lastStableOffset: Number(p.lastStableOffset),
    aborted: p.abortedTransactions === null ? null : p.abortedTransactions.map((a) => ({ producerId: Number(a.producerId), firstOffset: Number(a.firstOffset) })),
    offsets: batches.filter((b) => !b.isControl).flatMap((b) => b.records.map((_, i) => Number(b.baseOffset) + i)),
    lastOffset: batches.length === 0 ? -1 : Number(batches.at(-1)!.baseOffset) + batches.at(-1)!.lastOffsetDelta,
  };
}

async function atTime(c: RawClient, topic: string, timestamp: number, isolationLevel: number): Promise<number> {
  const res = await c.request(2, 5, encodeListOffsetsRequest, decodeListOffsetsResponse, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }] });
  return Number(res.topics[0]!.partitions[0]!.offset);
}

async function latest(c: RawClient, topic: string, isolationLevel: number): Promise<number> {
  const res = await c.request(2, 5, encodeListOffsetsRequest, decodeListOffsetsResponse, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 }] }] });
  return Number(res.topics[0]!.partitions[0]!.offset);
}

/**
 * One partition: A (pid 1) aborted at 0..2, a plain record at 3, B (pid 2) open at 4..5,
 * the abort marker of A at 6.
 */
const stamps = { b4: 0 };

async function writeAbortedAndOpen(c: RawClient, topic: string): Promise<void> {
  expect(await produce(c, topic, txnBatch(1, 0, ['a0', 'a1', 'a2']))).toEqual({ errorCode: 0, baseOffset: 0 });
  expect(await produce(c, topic, plainBatch(['p3']), null)).toEqual({ errorCode: 0, baseOffset: 3 });
  stamps.b4 = Date.now() + 10_000; // later than everything before it
  expect(await produce(c, topic, txnBatch(2, 0, ['b4', 'b5'], 0, true, stamps.b4))).toEqual({ errorCode: 0, baseOffset: 4 });
  expect(await writeMarker(c, topic, 1, false)).toEqual([ErrorCode.NONE]);
}

describe('one broker, raw requests', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ config: { ...NO_VERIFY, 'group.initial.rebalance.delay.ms': '0' } });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('read_committed stops at the LSO and lists aborted transactions; read_uncommitted reads to the high watermark', async () => {
    await cluster.createTopic('rc', { partitions: 1 });
    const c = await connect(cluster.bootstrapServers[0]!);
    await writeAbortedAndOpen(c, 'rc');

    const rc = await fetch(c, 'rc', 0, 1);
    expect(rc).toMatchObject({ errorCode: 0, highWatermark: 7, lastStableOffset: 4 });
    expect(rc.offsets).toEqual([0, 1, 2, 3]);
    expect(rc.aborted).toEqual([{ producerId: 1, firstOffset: 0 }]);
    expect(await latest(c, 'rc', 1)).toBe(4);
    expect(await latest(c, 'rc', 0)).toBe(7);
    // by timestamp: the first record at or after the time, below the LSO for read_committed
    expect(await atTime(c, 'rc', 0, 0)).toBe(0);
    expect(await atTime(c, 'rc', stamps.b4, 1)).toBe(-1); // b4 is past the LSO
    expect(await atTime(c, 'rc', stamps.b4, 0)).toBe(4);

    const ru = await fetch(c, 'rc', 0, 0);
    expect(ru).toMatchObject({ highWatermark: 7, lastStableOffset: 4, aborted: null });
    expect(ru.offsets).toEqual([0, 1, 2, 3, 4, 5]);
    expect(ru.lastOffset).toBe(6); // the marker's control batch is returned too

    // at the LSO, read_committed gets nothing (and an empty list); past it, an out-of-range offset is still checked
    expect(await fetch(c, 'rc', 4, 1)).toMatchObject({ errorCode: 0, offsets: [], aborted: [] });

    expect(await writeMarker(c, 'rc', 2, true)).toEqual([ErrorCode.NONE]); // 7
    const after = await fetch(c, 'rc', 0, 1);
    expect(after).toMatchObject({ highWatermark: 8, lastStableOffset: 8 });
    expect(after.offsets).toEqual([0, 1, 2, 3, 4, 5]);
    expect(after.aborted).toEqual([{ producerId: 1, firstOffset: 0 }]);
    // from past the aborted transaction's marker, it is not listed any more
    expect((await fetch(c, 'rc', 7, 1)).aborted).toEqual([]);
    expect(await latest(c, 'rc', 1)).toBe(8);
  });

  it('a parked read_committed fetch wakes when a marker moves the LSO', async () => {
    await cluster.createTopic('park', { partitions: 1 });
    const c = await connect(cluster.bootstrapServers[0]!);
    const other = await connect(cluster.bootstrapServers[0]!);
    expect((await produce(c, 'park', txnBatch(5, 0, ['x0', 'x1']))).errorCode).toBe(0);
    // at the LSO (0) there is nothing stable: the fetch parks (for up to five minutes)
    const parked = fetch(other, 'park', 0, 1, { maxWaitMs: 300_000, minBytes: 1 });
    await new Promise((r) => setImmediate(r));
    expect(await writeMarker(c, 'park', 5, true)).toEqual([0]);
    const res = await parked;
    expect(res.offsets).toEqual([0, 1]);
    expect(res.lastStableOffset).toBe(3);
  });

  it('WriteTxnMarkers: fencing and unknown partitions are answered per partition', async () => {
    await cluster.createTopic('fence', { partitions: 1 });
    const c = await connect(cluster.bootstrapServers[0]!);
    expect((await produce(c, 'fence', txnBatch(9, 0, ['f'], 3))).errorCode).toBe(0);
    expect(await writeMarker(c, 'fence', 9, false, { epoch: 2, version: 0 })).toEqual([ErrorCode.INVALID_PRODUCER_EPOCH]);
    expect(await writeMarker(c, 'fence', 9, false, { epoch: 3, coordinatorEpoch: 4 })).toEqual([ErrorCode.NONE]);
    expect((await produce(c, 'fence', txnBatch(9, 1, ['g'], 3))).errorCode).toBe(0);
    expect(await writeMarker(c, 'fence', 9, true, { epoch: 3, coordinatorEpoch: 3 })).toEqual([ErrorCode.TRANSACTION_COORDINATOR_FENCED]);
    expect(await writeMarker(c, 'fence', 9, true, { epoch: 3, coordinatorEpoch: 4, partitions: [0, 7] })).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(await writeMarker(c, 'no-such-topic', 9, true)).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    // an older producer epoch cannot write data either
    expect((await produce(c, 'fence', txnBatch(9, 0, ['z'], 2))).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  });

  it('DescribeProducers shows producer state with the open transaction', async () => {
    await cluster.createTopic('desc', { partitions: 1 });
    const c = await connect(cluster.bootstrapServers[0]!);
    await produce(c, 'desc', plainBatch(['p']), null); // 0
    await produce(c, 'desc', txnBatch(11, 0, ['a', 'b'], 2)); // 1..2
    const res = await c.request(61, 0, encodeDescribeProducersRequest, decodeDescribeProducersResponse, { topics: [{ name: 'desc', partitionIndexes: [0, 3] }, { name: 'nope', partitionIndexes: [0] }] });
    const [p0, p3] = res.topics[0]!.partitions;
    expect(p0!.errorCode).toBe(0);
    expect(p0!.activeProducers.map((p) => ({ ...p, producerId: Number(p.producerId), lastTimestamp: 0 }))).toEqual([
      { producerId: 11, producerEpoch: 2, lastSequence: 1, lastTimestamp: 0, coordinatorEpoch: -1, currentTxnStartOffset: 1 },
    ]);
    expect(p3!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(res.topics[1]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('kafkajs: read_committed never sees aborted records, read_uncommitted sees them all', async () => {
    await cluster.createTopic('kjs', { partitions: 1 });
    const c = await connect(cluster.bootstrapServers[0]!);
    await writeAbortedAndOpen(c, 'kjs');
    expect(await writeMarker(c, 'kjs', 2, true)).toEqual([0]);
    expect((await produce(c, 'kjs', txnBatch(1, 3, ['a8', 'a9']))).baseOffset).toBe(8); // A again, then aborted
    expect(await writeMarker(c, 'kjs', 1, false)).toEqual([0]); // 10
    expect((await produce(c, 'kjs', plainBatch(['p11']), null)).baseOffset).toBe(11);

    const kafka = new Kafka({ clientId: 'txn-fetch', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING });
    const read = async (readUncommitted: boolean, expected: number) => {
      const consumer = kafka.consumer({ groupId: `g-${readUncommitted}`, readUncommitted });
      await consumer.connect();
      await consumer.subscribe({ topic: 'kjs', fromBeginning: true });
      const seen: string[] = [];
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            seen.push(message.value!.toString());
            if (seen.length >= expected) resolve();
          },
        });
      });
      await consumer.disconnect();
      return seen;
    };
    expect(await read(false, 4)).toEqual(['p3', 'b4', 'b5', 'p11']);
    expect(await read(true, 9)).toEqual(['a0', 'a1', 'a2', 'p3', 'b4', 'b5', 'a8', 'a9', 'p11']);
  }, 60_000);

  it.runIf(hasKcat)('kcat (librdkafka): read_committed skips aborted records and ends at the LSO; read_uncommitted reads everything', async () => {
    await cluster.createTopic('rdk', { partitions: 1 });
    const c = await connect(cluster.bootstrapServers[0]!);
    await produce(c, 'rdk', txnBatch(1, 0, ['a0', 'a1'])); // 0..1
    await produce(c, 'rdk', plainBatch(['p2']), null); // 2
    expect(await writeMarker(c, 'rdk', 1, false)).toEqual([0]); // 3
    await produce(c, 'rdk', txnBatch(2, 0, ['b4'])); // 4, open
    const bootstrap = cluster.bootstrapServers[0]!;
    expect(await kcat(bootstrap, 'rdk', 'read_committed')).toEqual(['p2']);
    expect(await kcat(bootstrap, 'rdk', 'read_uncommitted')).toEqual(['a0', 'a1', 'p2', 'b4']);
    expect(await writeMarker(c, 'rdk', 2, true)).toEqual([0]);
    expect(await kcat(bootstrap, 'rdk', 'read_committed')).toEqual(['p2', 'b4']);
  }, 60_000);

  it('clients cannot produce to either internal topic', async () => {
    const c = await connect(cluster.bootstrapServers[0]!);
    for (const topic of ['__consumer_offsets', '__transaction_state']) {
      expect((await produce(c, topic, plainBatch(['x']), null)).errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    }
  });
});

describe('three brokers', () => {
  let cluster: Cluster;
  afterAll(async () => {
    await cluster?.close();
  });

  it('followers replicate the markers and the index: after a failover aborted records stay invisible', async () => {
    cluster = await startCluster({ brokers: 3, config: { ...NO_VERIFY, 'min.insync.replicas': '2' } });
    await cluster.createTopic('rep', { partitions: 1, replicationFactor: 3 });
    const leader = cluster.leaderOf('rep', 0);
    const c = await connect(cluster.bootstrapServers[leader - 1]!);
    await writeAbortedAndOpen(c, 'rep');
    await cluster.waitForReplication('rep');
    for (const b of cluster.brokers) {
      const log = b.replicaManager.getPartition('rep', 0)!.log;
      expect(log.collectAbortedTxns(0, 7)).toEqual([{ producerId: 1, firstOffset: 0, lastOffset: 6, lastStableOffset: 4 }]);
      expect(log.producerState.get(2)!.currentTxnFirstOffset).toBe(4);
    }
    // a follower (it hosts the partition) refuses markers
    const follower = cluster.brokers.find((b) => b.nodeId !== leader)!.nodeId;
    const fc = await connect(cluster.bootstrapServers[follower - 1]!);
    expect(await writeMarker(fc, 'rep', 2, false)).toEqual([ErrorCode.NOT_LEADER_OR_FOLLOWER]);
    const described = await fc.request(61, 0, encodeDescribeProducersRequest, decodeDescribeProducersResponse, { topics: [{ name: 'rep', partitionIndexes: [0] }] });
    expect(described.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    c.close();
    await cluster.stopBroker(leader, { crash: true });
    let next = leader;
    while (next === leader || next < 0) {
      await new Promise((r) => setTimeout(r, 50));
      next = cluster.leaderOf('rep', 0);
    }
    const c2 = await connect(cluster.bootstrapServers[next - 1]!);
    const rc = await fetch(c2, 'rep', 0, 1);
    expect(rc).toMatchObject({ errorCode: 0, lastStableOffset: 4, aborted: [{ producerId: 1, firstOffset: 0 }] });
    expect(rc.offsets).toEqual([0, 1, 2, 3]);
    // the new leader ends B's transaction
    expect(await writeMarker(c2, 'rep', 2, false)).toEqual([0]);
    const after = await fetch(c2, 'rep', 0, 1);
    expect(after.lastStableOffset).toBe(8);
    expect(after.aborted).toEqual([
      { producerId: 1, firstOffset: 0 },
      { producerId: 2, firstOffset: 4 },
    ]);
  }, 60_000);
});

describe('restart and crash', () => {
  let cluster: Cluster;
  let dataDir: string;
  afterAll(async () => {
    await cluster?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('the .txnindex and open transactions survive a clean restart and a crash: aborted records stay invisible', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-txn-restart-'));
    cluster = await startCluster({ dataDir, config: { ...NO_VERIFY, 'log.segment.bytes': '1024' } });
    await cluster.createTopic('dur', { partitions: 1 });
    let c = await connect(cluster.bootstrapServers[0]!);
    const big = (p: string) => Array.from({ length: 4 }, (_, i) => `${p}${i}`.padEnd(200, '.'));
    expect((await produce(c, 'dur', txnBatch(1, 0, big('a')))).baseOffset).toBe(0); // 0..3, its own segment (1 KiB segments)
    expect((await produce(c, 'dur', txnBatch(2, 0, big('b')))).baseOffset).toBe(4); // 4..7
    expect(await writeMarker(c, 'dur', 1, false)).toEqual([0]); // 8
    const expectState = async (lso: number, aborted: { producerId: number; firstOffset: number }[], committed: number[]) => {
      const rc = await fetchAll(c, 'dur');
      expect(rc.lastStableOffset).toBe(lso);
      expect(rc.aborted).toEqual(aborted);
      expect(rc.offsets).toEqual(committed);
    };
    await expectState(4, [{ producerId: 1, firstOffset: 0 }], [0, 1, 2, 3]);
    const segmentsWithIndex = () => fs.readdirSync(path.join(dataDir, 'broker-1', 'dur-0')).filter((f) => f.endsWith('.txnindex'));
    expect(segmentsWithIndex().length).toBe(1);

    c.close();
    await cluster.stopBroker(1);
    await cluster.startBroker(1);
    c = await connect(cluster.bootstrapServers[0]!);
    await expectState(4, [{ producerId: 1, firstOffset: 0 }], [0, 1, 2, 3]);

    expect(await writeMarker(c, 'dur', 2, false)).toEqual([0]); // 9: B aborted too
    expect((await produce(c, 'dur', txnBatch(3, 0, ['c0', 'c1']))).baseOffset).toBe(10); // C open at 10
    c.close();
    await cluster.stopBroker(1, { crash: true });
    await cluster.startBroker(1);
    c = await connect(cluster.bootstrapServers[0]!);
    await expectState(10, [{ producerId: 1, firstOffset: 0 }, { producerId: 2, firstOffset: 4 }], [0, 1, 2, 3, 4, 5, 6, 7]);
    expect(await writeMarker(c, 'dur', 3, true)).toEqual([0]); // 12
    await expectState(13, [{ producerId: 1, firstOffset: 0 }, { producerId: 2, firstOffset: 4 }], [0, 1, 2, 3, 4, 5, 6, 7, 10, 11]);
  }, 60_000);
});

describe('kill -9 (a broker per process)', () => {
  let cluster: Cluster;
  let dataDir: string;
  afterAll(async () => {
    await cluster?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('after SIGKILL and recovery, read_committed still skips the aborted transaction and waits at the open one', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-txn-kill-'));
    cluster = await startCluster({ dataDir, processPerBroker: true, config: NO_VERIFY });
    await cluster.createTopic('k9', { partitions: 1 });
    let c = await connect(cluster.bootstrapServers[0]!);
    expect((await produce(c, 'k9', txnBatch(1, 0, ['a0', 'a1']))).baseOffset).toBe(0);
    expect((await produce(c, 'k9', plainBatch(['p2']), null)).baseOffset).toBe(2);
    expect(await writeMarker(c, 'k9', 1, false)).toEqual([0]); // 3
    expect((await produce(c, 'k9', txnBatch(2, 0, ['b4']))).baseOffset).toBe(4); // open
    c.close();
    await cluster.stopBroker(1, { crash: true });
    await cluster.startBroker(1);
    c = await connect(cluster.bootstrapServers[0]!);
    const rc = await fetchAll(c, 'k9');
    expect(rc).toEqual({ lastStableOffset: 4, aborted: [{ producerId: 1, firstOffset: 0 }], offsets: [0, 1, 2] });
    expect(await writeMarker(c, 'k9', 2, true)).toEqual([0]);
    expect((await fetchAll(c, 'k9')).offsets).toEqual([0, 1, 2, 4]);
  }, 60_000);
});

/** read_committed from offset 0 to the LSO, across segments: every record offset and every aborted transaction. */
async function fetchAll(c: RawClient, topic: string) {
  let offset = 0;
  const offsets: number[] = [];
  const aborted = new Map<string, { producerId: number; firstOffset: number }>();
  let lastStableOffset = -1;
  for (;;) {
    const r = await fetch(c, topic, offset, 1);
    lastStableOffset = r.lastStableOffset;
    for (const a of r.aborted ?? []) aborted.set(`${a.producerId}:${a.firstOffset}`, a);
    offsets.push(...r.offsets);
    if (r.lastOffset < 0) break;
    offset = r.lastOffset + 1;
  }
  return { lastStableOffset, aborted: [...aborted.values()], offsets };
}
