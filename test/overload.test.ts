// The connection layer under overload: parked fetches that fail or lose their connection, bounded
// memory per connection and per broker, fetch caps, connection limits. Real sockets, a real broker.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { decodeFetchResponse, defaultFetchRequest, encodeFetchRequest, type FetchResponse } from '../src/protocol/messages/Fetch.js';
import { decodeProduceResponse, decodeResponseHeader, encodeMetadataRequest, encodeProduceRequest } from '../src/protocol/messages/index.js';
import { encodeRecordBatch } from '../src/protocol/recordBatch.js';
import type { Broker } from '../src/server/Broker.js';
import type { Connection } from '../src/network/Connection.js';
import { createLogger } from '../src/logger.js';
import { FrameDecoder } from '../src/network/FrameDecoder.js';
import { decodeInitProducerIdResponse, encodeInitProducerIdRequest } from '../src/protocol/messages/InitProducerId.js';
import { decodeApiVersionsResponse, encodeApiVersionsRequest } from '../src/protocol/messages/index.js';
import { NetworkError, NodeClient } from '../src/network/NodeClient.js';
import { armCrashPoint, disarmCrashPoints } from '../src/util/CrashBoundary.js';
import { Reader } from '../src/protocol/primitives.js';
import { RawClient } from './support/RawClient.js';

/** vi.waitFor's own deadline (1 s) is a flake on a loaded 2-core box: these wait for I/O, not for a time. */
const SOON = { timeout: 10_000 };
const FETCH = 1;
const FETCH_VERSION = 12; // names topics (v13 uses ids)

function fetchRequest(topic: string, fetchOffset: number, opts: { maxWaitMs?: number; minBytes?: number; maxBytes?: number; partitionMaxBytes?: number } = {}) {
  return {
    ...defaultFetchRequest(),
    maxWaitMs: opts.maxWaitMs ?? 0,
    minBytes: opts.minBytes ?? 1,
    maxBytes: opts.maxBytes ?? 2147483647,
    topics: [
      {
        topic,
        topicId: Buffer.alloc(16),
        partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: opts.partitionMaxBytes ?? 2147483647, replicaDirectoryId: Buffer.alloc(16) }],
      },
    ],
  };
}

function fetch(c: RawClient, topic: string, fetchOffset: number, opts: Parameters<typeof fetchRequest>[2] = {}): Promise<FetchResponse> {
  return c.request(FETCH, FETCH_VERSION, encodeFetchRequest, decodeFetchResponse, fetchRequest(topic, fetchOffset, opts));
}

async function produce(c: RawClient, topic: string, values: Buffer[]): Promise<number> {
  const res = await c.request(0, 7, encodeProduceRequest, decodeProduceResponse, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeRecordBatch({ records: values.map((value) => ({ key: null, value })) }) }] }],
  });
  const p = res.responses[0]!.partitionResponses[0]!;
  expect(p.errorCode).toBe(0);
  return p.baseOffset;
}

describe('parked fetches', () => {
  let cluster: Cluster;
  let broker: Broker;
  beforeAll(async () => {
    cluster = await startCluster({ inMemory: true });
    broker = cluster.brokers[0]!;
    await cluster.createTopic('parked', { partitions: 1 });
  });
  afterAll(async () => {
    await cluster?.close();
  });
  afterEach(() => disarmCrashPoints());

  it('a throw in the parked-fetch timer answers that fetch with UNKNOWN_SERVER_ERROR; the connection and the broker keep serving', async () => {
    const c = await RawClient.connect(cluster.bootstrapServers[0]!);
    armCrashPoint('fetch.expire');
    const failed = await fetch(c, 'parked', 0, { maxWaitMs: 50 });
    expect(failed.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    // Same connection, next parked fetch expires normally.
    const ok = await fetch(c, 'parked', 0, { maxWaitMs: 50 });
    expect(ok.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(broker.replicaManager.parkedFetchCount).toBe(0);
    c.close();
  });

  it('a parked fetch is cancelled when its connection closes (no timer outlives it)', async () => {
    const c = await RawClient.connect(cluster.bootstrapServers[0]!);
    void fetch(c, 'parked', 0, { maxWaitMs: 60_000 }).catch(() => {});
    await vi.waitFor(() => expect(broker.replicaManager.parkedFetchCount).toBe(1), SOON);
    c.close();
    await vi.waitFor(() => expect(broker.replicaManager.parkedFetchCount).toBe(0), SOON);
  });

  it('a parked fetch is answered as soon as data arrives', async () => {
    const c = await RawClient.connect(cluster.bootstrapServers[0]!);
    const p = await RawClient.connect(cluster.bootstrapServers[0]!);
    const waiting = fetch(c, 'parked', 0, { maxWaitMs: 60_000 });
    await vi.waitFor(() => expect(broker.replicaManager.parkedFetchCount).toBe(1), SOON);
    await produce(p, 'parked', [Buffer.from('wake up')]);
    const res = await waiting;
    expect(res.responses[0]!.partitions[0]!.records?.length ?? 0).toBeGreaterThan(0);
    expect(broker.replicaManager.parkedFetchCount).toBe(0);
    c.close();
    p.close();
  });

  it('a pipelined fetch left no room for its answer still waits for data instead of returning at once', async () => {
    const c = await RawClient.connect(cluster.bootstrapServers[0]!);
    const end = (await fetch(c, 'parked', 0)).responses[0]!.partitions[0]!.highWatermark;
    // The first takes the connection's whole answer budget (2^31-1 asked), the second gets none.
    const first = fetch(c, 'parked', end, { maxWaitMs: 60_000 }).catch(() => null);
    const second = fetch(c, 'parked', end, { maxWaitMs: 60_000 }).catch(() => null);
    await vi.waitFor(() => expect(broker.replicaManager.parkedFetchCount).toBe(2), SOON);
    c.close();
    await Promise.all([first, second]);
    await vi.waitFor(() => expect(broker.replicaManager.parkedFetchCount).toBe(0), SOON);
  });

  it('a parked fetch holding the answer budget does not hold back the requests behind it (they are applied at once)', async () => {
    const c = await RawClient.connect(cluster.bootstrapServers[0]!);
    const other = await RawClient.connect(cluster.bootstrapServers[0]!);
    const end = (await fetch(other, 'parked', 0)).responses[0]!.partitions[0]!.highWatermark;
    await cluster.createTopic('parked-side', { partitions: 1 });
    const parked = fetch(c, 'parked', end, { maxWaitMs: 60_000 }).catch(() => null);
    await vi.waitFor(() => expect(broker.replicaManager.parkedFetchCount).toBe(1), SOON);
    const appended = produce(c, 'parked-side', [Buffer.from('behind a parked fetch')]).catch(() => null);
    // Its answer waits for the fetch's (answers go in order), but the append is done now.
    await vi.waitFor(async () => expect((await fetch(other, 'parked-side', 0)).responses[0]!.partitions[0]!.highWatermark).toBe(1), SOON);
    c.close();
    other.close();
    await Promise.all([parked, appended]);
  });

  it('pipelined parked fetches: at most 64 are handed to the broker at once, reading stops at queued.max.requests (500)', async () => {
    const c = await RawClient.connect(cluster.bootstrapServers[0]!);
    const end = (await fetch(c, 'parked', 0)).responses[0]!.partitions[0]!.highWatermark;
    const frames: Buffer[] = [];
    for (let i = 0; i < 600; i++) frames.push(c.encodeRequest(FETCH, FETCH_VERSION, encodeFetchRequest, fetchRequest('parked', end, { maxWaitMs: 60_000 })));
    c.writeRaw(Buffer.concat(frames));
    const conn = serverSide(broker, c);
    await vi.waitFor(() => expect(conn.isReadPaused).toBe(true), SOON);
    expect(broker.replicaManager.parkedFetchCount).toBe(64);
    c.close();
    await vi.waitFor(() => expect(broker.replicaManager.parkedFetchCount).toBe(0), SOON);
  });

  it('stopping the broker cancels its parked fetches', async () => {
    const c = await RawClient.connect(cluster.bootstrapServers[0]!);
    void fetch(c, 'parked', 1_000_000, { maxWaitMs: 60_000 }).catch(() => {});
    void fetch(c, 'parked', 1, { maxWaitMs: 60_000 }).catch(() => {});
    await vi.waitFor(() => expect(broker.replicaManager.parkedFetchCount).toBe(1), SOON);
    await cluster.stopBroker(broker.nodeId);
    expect(broker.replicaManager.parkedFetchCount).toBe(0);
    c.close();
  });
});

describe('NodeClient (the broker internal client) against a peer that accepts nothing', () => {
  // A listener whose process never runs its event loop again: the kernel completes as many
  // handshakes as the backlog holds, then drops every further SYN, so a connect hangs.
  let child: ChildProcess;
  let port: number;
  const fillers: net.Socket[] = [];
  beforeAll(async () => {
    const script = `const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>{console.log(s.address().port);for(;;){}})`;
    child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    port = await new Promise<number>((resolve) => child.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
    for (let i = 0; i < 3; i++) {
      const s = net.connect({ host: '127.0.0.1', port });
      s.on('error', () => {});
      fillers.push(s);
    }
    await new Promise((r) => setTimeout(r, 200)); // let the backlog fill
  });
  afterAll(() => {
    for (const s of fillers) s.destroy();
    child?.kill('SIGKILL');
  });

  const apiVersions = (client: NodeClient, timeoutMs: number) =>
    client.request(18, 3, encodeApiVersionsRequest, decodeApiVersionsResponse, { clientSoftwareName: 't', clientSoftwareVersion: '1' }, timeoutMs);

  it('a request fails after its own timeout while connecting', async () => {
    const client = new NodeClient('127.0.0.1', port, 'test', createLogger('test'));
    const started = Date.now();
    await expect(apiVersions(client, 300)).rejects.toBeInstanceOf(NetworkError);
    expect(Date.now() - started).toBeLessThan(5000);
    client.close();
  });

  it('a connection attempt gives up after connectTimeoutMs even when the request allows longer', async () => {
    const client = new NodeClient('127.0.0.1', port, 'test', createLogger('test'), () => true, { connectTimeoutMs: 300 });
    const started = Date.now();
    await expect(apiVersions(client, 60_000)).rejects.toThrow(/cannot connect .*no connection after 300 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
    client.close();
  });
});

/** The broker's side of a client's connection. */
function serverSide(broker: Broker, c: RawClient): Connection {
  const conn = [...broker.clientConnections].find((x) => x.socket.remotePort === c.socket.localPort);
  if (!conn) throw new Error('connection not found on the broker');
  return conn;
}

const MiB = 1024 * 1024;

describe('per-connection backpressure', () => {
  let cluster: Cluster;
  let broker: Broker;
  const TOPIC_BYTES = 4 * MiB;
  beforeAll(async () => {
    cluster = await startCluster({ config: { 'fetch.max.bytes': 64 * MiB } });
    broker = cluster.brokers[0]!;
    await cluster.createTopic('big', { partitions: 1 });
    const p = await RawClient.connect(cluster.bootstrapServers[0]!);
    const value = Buffer.alloc(64 * 1024, 7);
    for (let i = 0; i < TOPIC_BYTES / value.length; i++) await produce(p, 'big', [value]);
    p.close();
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('a client pipelining Fetch and never reading holds at most 16 MiB + one answer of broker memory; reading again gets every answer, in order', async () => {
    const REQUESTS = 400; // 1.6 GiB of answers if nothing bounded them; > 25 MiB even at one batch each
    const BOUND = 16 * MiB + TOPIC_BYTES + 64 * 1024; // the pending-response bound, plus the answer that crossed it
    const c = await RawClient.connect(cluster.bootstrapServers[0]!);
    c.socket.pause(); // never read
    const frames: Buffer[] = [];
    for (let i = 0; i < REQUESTS; i++) frames.push(c.encodeRequest(FETCH, FETCH_VERSION, encodeFetchRequest, fetchRequest('big', 0)));
    c.writeRaw(Buffer.concat(frames));
    const conn = serverSide(broker, c);
    let peak = 0;
    await vi.waitFor(
      () => {
        peak = Math.max(peak, conn.pendingResponseBytes);
        expect(conn.isReadPaused).toBe(true);
      },
      { timeout: 10_000, interval: 10 },
    );
    let stableSince = Date.now();
    let last = -1;
    // Sample until the broker's pending bytes stop moving for 300 ms.
    while (Date.now() - stableSince < 300) {
      const now = conn.pendingResponseBytes;
      peak = Math.max(peak, now);
      if (now !== last) stableSince = Date.now();
      last = now;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(peak).toBeGreaterThan(8 * MiB); // the client really is holding answers back
    expect(peak).toBeLessThanOrEqual(BOUND);
    expect(conn.isReadPaused).toBe(true);
    // The client reads again: every answer arrives, whole and in order.
    const answers: Promise<Buffer>[] = [];
    for (let i = 0; i < REQUESTS; i++) answers.push(c.nextFrame());
    c.socket.resume();
    const got = await Promise.all(answers);
    expect(got).toHaveLength(REQUESTS);
    // Whole answers; those that found no room on the connection carry no records (the client
    // fetches again once it has read), the others as much as the room allowed.
    const records = got.map((f) => {
      const r = new Reader(f);
      decodeResponseHeader(r, 1);
      const part = decodeFetchResponse(r, FETCH_VERSION).responses[0]!.partitions[0]!;
      expect(part.errorCode).toBe(ErrorCode.NONE);
      return part.records?.length ?? 0;
    });
    expect(records[0]).toBeGreaterThan(TOPIC_BYTES - 64 * 1024);
    expect(records.filter((n) => n > 0).length).toBeGreaterThan(1);
    expect(got.map((f) => f.readInt32BE(0))).toEqual(Array.from({ length: REQUESTS }, (_, i) => i + 1));
    c.close();
  });
});

describe('per-connection backpressure on answers computed at once (Metadata)', () => {
  let cluster: Cluster;
  let broker: Broker;
  beforeAll(async () => {
    cluster = await startCluster({ inMemory: true });
    broker = cluster.brokers[0]!;
    await cluster.createTopic('wide', { partitions: 200 }); // a Metadata answer of several KiB
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('pipelined Metadata never read: the broker holds at most 16 MiB (+ the answers in flight) and reads no further', async () => {
    const REQUESTS = 10_000;
    const c = await RawClient.connect(cluster.bootstrapServers[0]!);
    const body = { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };
    const next = c.nextFrame();
    c.writeRaw(c.encodeRequest(3, 1, encodeMetadataRequest, body));
    const answerBytes = 4 + (await next).length;
    expect(answerBytes).toBeGreaterThan(4096);
    // 16 MiB, plus up to 64 requests handed to the dispatcher before their answers are counted.
    const BOUND = 16 * MiB + 64 * answerBytes;
    c.socket.pause();
    const frames: Buffer[] = [];
    for (let i = 0; i < REQUESTS; i++) frames.push(c.encodeRequest(3, 1, encodeMetadataRequest, body));
    c.writeRaw(Buffer.concat(frames)); // > 40 MiB of answers if nothing bounded them
    const conn = serverSide(broker, c);
    await vi.waitFor(() => expect(conn.isReadPaused && conn.pendingResponseBytes > 8 * MiB).toBe(true), { timeout: 10_000 });
    let peak = 0;
    for (let i = 0; i < 30; i++) {
      peak = Math.max(peak, conn.pendingResponseBytes);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(peak).toBeLessThanOrEqual(BOUND);
    c.close();
  });
});

describe('frame assembly', () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const memory = () => {
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };

  it('a frame sent one byte per read costs about its own size, not hundreds of bytes per byte', () => {
    const SIZE = 1 * MiB;
    const decoder = new FrameDecoder(8, 100 * MiB);
    const frames: Buffer[] = [];
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(SIZE);
    const before = memory();
    for (const b of prefix) decoder.push(Buffer.from([b]), (f) => void frames.push(f));
    // All but the last byte, each in its own buffer as a socket read would hand it over.
    for (let i = 0; i < SIZE - 1; i++) {
      const chunk = Buffer.allocUnsafeSlow(1);
      chunk[0] = i & 0xff;
      decoder.push(chunk, (f) => void frames.push(f));
    }
    const held = memory() - before;
    expect(frames).toHaveLength(0);
    expect(held).toBeLessThan(SIZE + 512 * 1024); // the frame's own buffer and little else
    decoder.push(Buffer.from([(SIZE - 1) & 0xff]), (f) => void frames.push(f));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.length).toBe(SIZE);
    expect(frames[0]![SIZE - 1]).toBe((SIZE - 1) & 0xff);
    expect(frames[0]![12345]).toBe(12345 & 0xff);
  });

  it('frames are cut right whatever the chunking', () => {
    const sizes = [8, 9, 100, 5000, 8];
    const stream = Buffer.concat(
      sizes.map((n, k) => {
        const f = Buffer.alloc(4 + n, k + 1);
        f.writeInt32BE(n);
        return f;
      }),
    );
    for (const step of [1, 3, 7, 4096, stream.length]) {
      const decoder = new FrameDecoder(8, 10_000);
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i += step) expect(decoder.push(stream.subarray(i, i + step), (f) => void out.push(Buffer.from(f)))).toBeNull();
      expect(out.map((f) => f.length)).toEqual(sizes);
      out.forEach((f, k) => expect(f.every((b) => b === k + 1)).toBe(true));
    }
  });

  it('a reset from inside the frame callback (the connection dropped) discards the rest of that input', () => {
    const frame = (n: number, fill: number) => {
      const f = Buffer.alloc(4 + n, fill);
      f.writeInt32BE(n);
      return f;
    };
    const decoder = new FrameDecoder(1, 10_000);
    const out: number[] = [];
    // Frames 1 and 2 arrive in one chunk; handling 1 drops the connection (reset) and stops.
    decoder.push(Buffer.concat([frame(8, 1), frame(8, 2)]), (f) => {
      out.push(f[0]!);
      decoder.reset();
      return false;
    });
    // The next connection's first frame must not be preceded by the old connection's frame 2.
    decoder.push(frame(8, 3), (f) => void out.push(f[0]!));
    expect(out).toEqual([1, 3]);
  });
});

describe('the broker-wide request memory pool (queued.max.request.bytes)', () => {
  let cluster: Cluster;
  let broker: Broker;
  beforeAll(async () => {
    cluster = await startCluster({ inMemory: true, config: { 'queued.max.request.bytes': MiB, 'message.max.bytes': 2 * MiB } });
    broker = cluster.brokers[0]!;
    await cluster.createTopic('pool', { partitions: 1 });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('a frame that does not fit waits (its connection reads nothing) until memory is given back', async () => {
    const a = await RawClient.connect(cluster.bootstrapServers[0]!);
    const b = await RawClient.connect(cluster.bootstrapServers[0]!);
    // a announces 900 KiB and sends half of it: the pool holds 900 KiB for it.
    const announced = Buffer.alloc(4 + 10);
    announced.writeInt32BE(900 * 1024);
    a.writeRaw(announced);
    await vi.waitFor(() => expect(broker.requestPool.reserved).toBe(900 * 1024), SOON);
    // b sends a 200 KiB Produce: 1100 KiB would not fit.
    const answer = produce(b, 'pool', [Buffer.alloc(200 * 1024, 1)]);
    await vi.waitFor(() => expect(serverSide(broker, b).isReadPaused).toBe(true), SOON);
    expect(broker.requestPool.reserved).toBe(900 * 1024);
    a.close(); // gives back its 900 KiB
    expect(await answer).toBe(0);
    await vi.waitFor(() => expect(broker.requestPool.reserved).toBe(0), SOON);
    b.close();
  });
});

describe('connections.max.idle.ms', () => {
  let cluster: Cluster;
  let broker: Broker;
  beforeAll(async () => {
    cluster = await startCluster({ inMemory: true, config: { 'connections.max.idle.ms': 300 } });
    broker = cluster.brokers[0]!;
    await cluster.createTopic('idle', { partitions: 1 });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('a connection that stalls mid-frame is closed and its reserved memory given back', async () => {
    const c = await RawClient.connect(cluster.bootstrapServers[0]!);
    const partial = Buffer.alloc(4 + 10);
    partial.writeInt32BE(50 * MiB);
    c.writeRaw(partial);
    await vi.waitFor(() => expect(broker.requestPool.reserved).toBe(50 * MiB), SOON);
    await c.closed;
    await vi.waitFor(() => expect(broker.requestPool.reserved).toBe(0), SOON);
  });

  it('an idle connection is closed; one waiting on a parked fetch is not', async () => {
    const idle = await RawClient.connect(cluster.bootstrapServers[0]!);
    const busy = await RawClient.connect(cluster.bootstrapServers[0]!);
    const started = Date.now();
    // The idle one goes after 300 ms; the parked fetch waits 2 s (1.7 s of slack for a loaded box).
    const parked = fetch(busy, 'idle', 0, { maxWaitMs: 2000 });
    await idle.closed;
    expect(Date.now() - started).toBeLessThan(2000);
    const res = await parked; // answered at max wait, on a connection still open
    expect(res.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    busy.close();
  });
});

describe('fetch caps', () => {
  let cluster: Cluster;
  const CAP = MiB;
  beforeAll(async () => {
    cluster = await startCluster({ config: { 'fetch.max.bytes': CAP, 'message.max.bytes': 2 * MiB } });
    await cluster.createTopic('capped', { partitions: 1 });
    const p = await RawClient.connect(cluster.bootstrapServers[0]!);
    const value = Buffer.alloc(100 * 1024, 3);
    for (let i = 0; i < 40; i++) await produce(p, 'capped', [value]); // ~4 MiB
    await produce(p, 'capped', [Buffer.alloc(1500 * 1024, 4)]); // one batch larger than the cap
    p.close();
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('four consumers asking for 2^31-1 bytes each get at most fetch.max.bytes', async () => {
    const clients = await Promise.all([0, 1, 2, 3].map(() => RawClient.connect(cluster.bootstrapServers[0]!)));
    const answers = await Promise.all(clients.map((c) => fetch(c, 'capped', 0, { maxBytes: 2147483647, partitionMaxBytes: 2147483647 })));
    for (const a of answers) {
      const records = a.responses[0]!.partitions[0]!.records!;
      expect(records.length).toBeGreaterThan(CAP - 110 * 1024); // as many whole batches as fit
      expect(records.length).toBeLessThanOrEqual(CAP);
    }
    for (const c of clients) c.close();
  });

  it('a batch larger than the cap still comes whole when it is the first one (Kafka\'s first-batch rule)', async () => {
    const c = await RawClient.connect(cluster.bootstrapServers[0]!);
    const a = await fetch(c, 'capped', 40, { maxBytes: 2147483647 });
    const records = a.responses[0]!.partitions[0]!.records!;
    expect(records.length).toBeGreaterThan(1500 * 1024);
    expect(records.length).toBeLessThan(1600 * 1024);
    c.close();
  });
});

describe('follower fetch caps', () => {
  it('a follower asking for 2^31-1 bytes gets at most replica.fetch.max.bytes of a partition', async () => {
    const CAP = 256 * 1024;
    const cluster = await startCluster({ brokers: 2, inMemory: true, config: { 'replica.fetch.max.bytes': CAP } });
    try {
      await cluster.createTopic('replicated', { partitions: 1, replicationFactor: 2 });
      const leader = cluster.leaderOf('replicated', 0);
      const follower = leader === 1 ? 2 : 1;
      const c = await RawClient.connect(cluster.bootstrapServers[leader - 1]!);
      for (let i = 0; i < 16; i++) await produce(c, 'replicated', [Buffer.alloc(64 * 1024, i)]); // 1 MiB
      const req = { ...fetchRequest('replicated', 0), replicaId: follower };
      const res = await c.request(FETCH, FETCH_VERSION, encodeFetchRequest, decodeFetchResponse, req);
      const records = res.responses[0]!.partitions[0]!.records!;
      expect(records.length).toBeGreaterThan(CAP - 70 * 1024);
      expect(records.length).toBeLessThanOrEqual(CAP);
      c.close();
    } finally {
      await cluster.close();
    }
  });
});

describe('connection limits', () => {
  /** Whether the broker serves this connection (ApiVersions answered) or closes it. */
  async function served(c: RawClient): Promise<boolean> {
    try {
      const res = await c.request(18, 3, encodeApiVersionsRequest, decodeApiVersionsResponse, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
      return res.errorCode === ErrorCode.NONE;
    } catch {
      return false;
    }
  }

  it('max.connections.per.ip: a connection over the limit is closed; one frees a place when it closes', async () => {
    const cluster = await startCluster({ inMemory: true, config: { 'max.connections.per.ip': 2 } });
    try {
      const bootstrap = cluster.bootstrapServers[0]!;
      const a = await RawClient.connect(bootstrap);
      const b = await RawClient.connect(bootstrap);
      const c = await RawClient.connect(bootstrap);
      expect(await served(a)).toBe(true);
      expect(await served(b)).toBe(true);
      await c.closed; // refused: closed by the broker without an answer
      expect(await served(c)).toBe(false);
      a.close();
      await vi.waitFor(() => expect(cluster.brokers[0]!.clientConnections.size).toBe(1), SOON);
      const d = await RawClient.connect(bootstrap);
      expect(await served(d)).toBe(true);
      b.close();
      d.close();
    } finally {
      await cluster.close();
    }
  });

  it('max.connections: the broker-wide limit holds too', async () => {
    const cluster = await startCluster({ inMemory: true, config: { 'max.connections': 3 } });
    try {
      const bootstrap = cluster.bootstrapServers[0]!;
      const clients = await Promise.all([0, 1, 2, 3].map(() => RawClient.connect(bootstrap)));
      const results = await Promise.all(clients.map(served));
      expect(results.filter(Boolean)).toHaveLength(3);
      for (const c of clients) c.close();
    } finally {
      await cluster.close();
    }
  });
});

describe('running out of file descriptors', () => {
  const BIN = fileURLToPath(new URL('../bin/minikafka.js', import.meta.url));

  it('connections past the fd limit are refused; the process lives on and serves the next client', async () => {
    // A broker process allowed 160 descriptors (needs `npm run build`), sent 250 connections at once.
    const child = spawn('sh', ['-c', `ulimit -n 160 && exec "${process.execPath}" "${BIN}" --port 0 --in-memory`], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.resume();
      await vi.waitFor(() => expect(out).toMatch(/minikafka ready bootstrap=/), { timeout: 20_000, interval: 50 });
      const bootstrap = /bootstrap=(\S+)/.exec(out)![1]!;
      const [host, port] = bootstrap.split(':');
      const sockets: net.Socket[] = [];
      let refused = 0;
      for (let i = 0; i < 250; i++) {
        const s = net.connect({ host, port: Number(port) });
        s.on('error', () => {});
        s.on('close', () => refused++);
        sockets.push(s);
      }
      await vi.waitFor(() => expect(refused).toBeGreaterThan(0), { timeout: 10_000 });
      expect(child.exitCode).toBeNull();
      for (const s of sockets) s.destroy();
      // Descriptors are free again: a new client is served by the same process.
      await vi.waitFor(
        async () => {
          const c = await RawClient.connect(bootstrap);
          try {
            const res = await c.request(18, 3, encodeApiVersionsRequest, decodeApiVersionsResponse, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
            expect(res.errorCode).toBe(ErrorCode.NONE);
          } finally {
            c.close();
          }
        },
        { timeout: 10_000, interval: 200 },
      );
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('a request that fails inside the broker', () => {
  it('is answered with the API error code (the controller cannot be reached), not a closed connection', async () => {
    const cluster = await startCluster({ inMemory: true });
    try {
      const c = await RawClient.connect(cluster.bootstrapServers[0]!);
      const init = () =>
        c.request(22, 4, encodeInitProducerIdRequest, decodeInitProducerIdResponse, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
      cluster.isolate(1); // no producer id block can be had from the controller
      const refused = await init();
      expect(refused.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      cluster.heal();
      const ok = await init(); // same connection
      expect(ok.errorCode).toBe(ErrorCode.NONE);
      expect(ok.producerId).toBeGreaterThanOrEqual(0);
      c.close();
    } finally {
      await cluster.close();
    }
  });
});
