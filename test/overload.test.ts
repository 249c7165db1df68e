// The connection layer under overload: parked fetches that fail or lose their connection, bounded
// memory per connection and per broker, fetch caps, connection limits. Real sockets, a real broker.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { decodeFetchResponse, defaultFetchRequest, encodeFetchRequest, type FetchResponse } from '../src/protocol/messages/Fetch.js';
import { decodeProduceResponse, encodeProduceRequest } from '../src/protocol/messages/index.js';
import { encodeRecordBatch } from '../src/protocol/recordBatch.js';
import type { Broker } from '../src/server/Broker.js';
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
