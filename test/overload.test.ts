// The connection layer under overload: parked fetches that fail or lose their connection, bounded
// memory per connection and per broker, fetch caps, connection limits. Real sockets, a real broker.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { decodeFetchResponse, defaultFetchRequest, encodeFetchRequest, type FetchResponse } from '../src/protocol/messages/Fetch.js';
import { decodeProduceResponse, encodeProduceRequest } from '../src/protocol/messages/index.js';
import { encodeRecordBatch } from '../src/protocol/recordBatch.js';
import type { Broker } from '../src/server/Broker.js';
import type { Connection } from '../src/server/Connection.js';
import { createLogger } from '../src/logger.js';
import { decodeApiVersionsResponse, encodeApiVersionsRequest } from '../src/protocol/messages/index.js';
import { NetworkError, NodeClient } from '../src/replication/NodeClient.js';
import { armCrashPoint, disarmCrashPoints } from '../src/util/CrashBoundary.js';
import { RawClient } from './support/RawClient.js';

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
    await vi.waitFor(() => expect(broker.replicaManager.parkedFetchCount).toBe(1));
    c.close();
    await vi.waitFor(() => expect(broker.replicaManager.parkedFetchCount).toBe(0));
  });

  it('a parked fetch is answered as soon as data arrives', async () => {
    const c = await RawClient.connect(cluster.bootstrapServers[0]!);
    const p = await RawClient.connect(cluster.bootstrapServers[0]!);
    const waiting = fetch(c, 'parked', 0, { maxWaitMs: 60_000 });
    await vi.waitFor(() => expect(broker.replicaManager.parkedFetchCount).toBe(1));
    await produce(p, 'parked', [Buffer.from('wake up')]);
    const res = await waiting;
    expect(res.responses[0]!.partitions[0]!.records?.length ?? 0).toBeGreaterThan(0);
    expect(broker.replicaManager.parkedFetchCount).toBe(0);
    c.close();
    p.close();
  });

  it('stopping the broker cancels its parked fetches', async () => {
    const c = await RawClient.connect(cluster.bootstrapServers[0]!);
    void fetch(c, 'parked', 1_000_000, { maxWaitMs: 60_000 }).catch(() => {});
    void fetch(c, 'parked', 1, { maxWaitMs: 60_000 }).catch(() => {});
    await vi.waitFor(() => expect(broker.replicaManager.parkedFetchCount).toBe(1));
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

  it('a client pipelining Fetch and never reading holds at most 16 MiB + one answer of broker memory; reading again gets every answer (in order, each with at least one batch)', async () => {
    const REQUESTS = 40; // 160 MiB of answers if nothing bounded them
    const BOUND = 16 * MiB + TOPIC_BYTES + 64 * 1024; // the pending-response bound, plus the answer that crossed it
    const c = await RawClient.connect(cluster.bootstrapServers[0]!);
    c.socket.pause(); // never read
    const frames: Buffer[] = [];
    for (let i = 0; i < REQUESTS; i++) frames.push(c.encodeRequest(FETCH, FETCH_VERSION, encodeFetchRequest, fetchRequest('big', 0)));
    c.writeRaw(Buffer.concat(frames));
    const conn = serverSide(broker, c);
    let peak = 0;
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
    expect(peak).toBeGreaterThan(TOPIC_BYTES); // the client really is holding answers back
    expect(peak).toBeLessThanOrEqual(BOUND);
    expect(conn.isReadPaused).toBe(true);
    // The client reads again: every answer arrives, whole and in order.
    const answers: Promise<Buffer>[] = [];
    for (let i = 0; i < REQUESTS; i++) answers.push(c.nextFrame());
    c.socket.resume();
    const got = await Promise.all(answers);
    expect(got).toHaveLength(REQUESTS);
    for (const f of got) expect(f.length).toBeGreaterThan(64 * 1024); // at least one batch each
    expect(got.map((f) => f.readInt32BE(0))).toEqual(Array.from({ length: REQUESTS }, (_, i) => i + 1));
    c.close();
  });
});
