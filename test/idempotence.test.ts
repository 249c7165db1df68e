// Delivery semantics on demand: faults on the wire show at-most-once losing, at-least-once
// duplicating, and idempotence neither losing nor duplicating nor reordering.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, startCluster, type Cluster } from '../src/index.js';
import * as M from '../src/protocol/messages/index.js';
import { encodeRecordBatch } from '../src/protocol/recordBatch.js';
import { readAll } from './support/fetchAll.js';
import { RawClient } from './support/RawClient.js';

const clusters: Cluster[] = [];
const producers: Producer[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const p of producers.splice(0)) await p.disconnect().catch(() => {});
  for (const c of clusters.splice(0)) await c.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function cluster(opts: { dataDir?: string; port?: number } = {}): Promise<Cluster> {
  const c = await startCluster(opts);
  clusters.push(c);
  return c;
}

async function producer(c: Cluster, opts: Parameters<Kafka['producer']>[0]): Promise<Producer> {
  const kafka = new Kafka({
    clientId: 'idempotence-test',
    brokers: c.bootstrapServers,
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 50, retries: 5 },
  });
  const p = kafka.producer(opts);
  await p.connect();
  producers.push(p);
  return p;
}

const values = (rs: { value: string | null }[]) => rs.map((r) => r.value);

describe('idempotent producer (kafkajs, acks=all)', () => {
  it('drop-response on the first Produce: every message stored exactly once, in send order', async () => {
    const c = await cluster();
    await c.createTopic('idem', { partitions: 1 });
    const p = await producer(c, { idempotent: true, maxInFlightRequests: 1 });
    c.faults.add({ api: 'Produce', topic: 'idem', action: 'drop-response' });
    for (let i = 0; i < 5; i++) await p.send({ topic: 'idem', acks: -1, messages: [{ value: `m${i}` }] });
    expect(values(await readAll(c.bootstrapServers[0]!, 'idem'))).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(c.faults.list()).toEqual([]); // the rule fired
  });

  it('with idempotence off and retries on, the same fault stores a duplicate (at-least-once)', async () => {
    const c = await cluster();
    await c.createTopic('dup', { partitions: 1 });
    const p = await producer(c, { idempotent: false });
    c.faults.add({ api: 'Produce', topic: 'dup', action: 'drop-response' });
    for (let i = 0; i < 3; i++) await p.send({ topic: 'dup', acks: -1, messages: [{ value: `m${i}` }] });
    expect(values(await readAll(c.bootstrapServers[0]!, 'dup'))).toEqual(['m0', 'm0', 'm1', 'm2']);
  });

  it('idempotence off with two requests in flight: a retriable error on batch A lets B overtake it (stored B, A)', async () => {
    const c = await cluster();
    await c.createTopic('reorder', { partitions: 1 });
    const p = await producer(c, { idempotent: false, maxInFlightRequests: 2 });
    await p.send({ topic: 'reorder', acks: -1, messages: [{ value: 'warm-up' }] });
    // A's error answer is held back 1 s, so B is sent, applied and only then A retried (200 ms
    // was not always enough for B on a loaded box).
    c.faults.add({ api: 'Produce', topic: 'reorder', action: 'error', code: ErrorCode.REQUEST_TIMED_OUT, ms: 1000 });
    const a = p.send({ topic: 'reorder', acks: -1, messages: [{ value: 'A' }] });
    while (c.faults.list().length > 0) await new Promise((r) => setTimeout(r, 2)); // A has reached the broker
    const b = p.send({ topic: 'reorder', acks: -1, messages: [{ value: 'B' }] });
    await Promise.all([a, b]);
    expect(values(await readAll(c.bootstrapServers[0]!, 'reorder'))).toEqual(['warm-up', 'B', 'A']);
  });

  it('acks=0 and a disconnect: messages are lost and the producer sees no error (at-most-once)', async () => {
    const c = await cluster();
    await c.createTopic('lossy', { partitions: 1 });
    const p = await producer(c, { idempotent: false });
    await p.send({ topic: 'lossy', acks: 0, messages: [{ value: 'kept-1' }] });
    // acks=0 resolves before the broker has it: wait until it is there before arming the fault.
    while ((await readAll(c.bootstrapServers[0]!, 'lossy')).length === 0) await new Promise((r) => setTimeout(r, 10));
    c.faults.add({ api: 'Produce', topic: 'lossy', action: 'disconnect' });
    await expect(p.send({ topic: 'lossy', acks: 0, messages: [{ value: 'lost' }] })).resolves.toBeDefined();
    await new Promise((r) => setTimeout(r, 100));
    await p.send({ topic: 'lossy', acks: 1, messages: [{ value: 'kept-2' }] });
    expect(values(await readAll(c.bootstrapServers[0]!, 'lossy'))).toEqual(['kept-1', 'kept-2']);
  });

  it('a retry after a broker restart is still deduplicated (producer state survives restart)', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-idem-'));
    dirs.push(dataDir);
    let c = await cluster({ dataDir });
    const port = Number(c.bootstrapServers[0]!.split(':')[1]);
    await c.createTopic('restart', { partitions: 1 });
    const client = await RawClient.connect(c.bootstrapServers[0]!);
    const init = await client.request(22, 1, M.encodeInitProducerIdRequest, M.decodeInitProducerIdResponse, {
      ...M.defaultInitProducerIdRequest(),
      transactionalId: null,
      transactionTimeoutMs: 60000,
    });
    client.close();
    const batch = (seq: number, v: string) =>
      encodeRecordBatch({ producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: seq, records: [{ key: null, value: Buffer.from(v) }] });
    const send = async (records: Buffer) => {
      const rc = await RawClient.connect(c.bootstrapServers[0]!);
      const res = await rc.request(0, 7, M.encodeProduceRequest, M.decodeProduceResponse, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 1000,
        topicData: [{ name: 'restart', partitionData: [{ index: 0, records }] }],
      });
      rc.close();
      return res.responses[0]!.partitionResponses[0]!;
    };
    expect(await send(batch(0, 'a'))).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await send(batch(1, 'b'))).toMatchObject({ errorCode: 0, baseOffset: 1 });
    await c.close();
    c = await cluster({ dataDir, port });
    // The client never saw the answer for seq 1 and retries it: same offset, nothing appended.
    expect(await send(batch(1, 'b'))).toMatchObject({ errorCode: 0, baseOffset: 1 });
    expect(await send(batch(2, 'c'))).toMatchObject({ errorCode: 0, baseOffset: 2 });
    expect(values(await readAll(c.bootstrapServers[0]!, 'restart'))).toEqual(['a', 'b', 'c']);

    // Same after an unclean stop: cut the producer snapshot taken at close and restart again.
    await c.close();
    for (const f of fs.readdirSync(path.join(dataDir, 'broker-1', 'restart-0'))) if (f.endsWith('.snapshot')) fs.rmSync(path.join(dataDir, 'broker-1', 'restart-0', f));
    c = await cluster({ dataDir, port });
    expect(await send(batch(2, 'c'))).toMatchObject({ errorCode: 0, baseOffset: 2 });
    expect(values(await readAll(c.bootstrapServers[0]!, 'restart'))).toEqual(['a', 'b', 'c']);
  });

  it('a producer restarted with a new producer id re-sends: duplicates (idempotence covers one producer session)', async () => {
    const c = await cluster();
    await c.createTopic('sessions', { partitions: 1 });
    const first = await producer(c, { idempotent: true, maxInFlightRequests: 1 });
    c.faults.add({ api: 'Produce', topic: 'sessions', action: 'drop-response', times: 10 });
    // The first session's request is applied but never answered, and every retry too: it gives up.
    await expect(first.send({ topic: 'sessions', acks: -1, messages: [{ value: 'once' }] })).rejects.toThrow();
    c.faults.clear();
    const second = await producer(c, { idempotent: true, maxInFlightRequests: 1 });
    await second.send({ topic: 'sessions', acks: -1, messages: [{ value: 'once' }] });
    const got = values(await readAll(c.bootstrapServers[0]!, 'sessions'));
    expect(got.length).toBeGreaterThanOrEqual(2);
    expect(new Set(got)).toEqual(new Set(['once']));
  });
});

describe('producer state error codes (raw Produce v7)', () => {
  it('gaps, stale epochs and unknown producers get Kafka\'s answers', async () => {
    const c = await cluster();
    await c.createTopic('seq', { partitions: 1 });
    const rc = await RawClient.connect(c.bootstrapServers[0]!);
    const init = () =>
      rc.request(22, 1, M.encodeInitProducerIdRequest, M.decodeInitProducerIdResponse, { ...M.defaultInitProducerIdRequest(), transactionalId: null, transactionTimeoutMs: 60000 });
    const a = await init();
    const b = await init();
    expect(b.producerId).not.toBe(a.producerId);
    const send = async (pid: number, epoch: number, seq: number, n = 1) => {
      const records = encodeRecordBatch({
        producerId: pid,
        producerEpoch: epoch,
        baseSequence: seq,
        records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`${pid}/${epoch}/${seq + i}`) })),
      });
      const res = await rc.request(0, 7, M.encodeProduceRequest, M.decodeProduceResponse, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 1000,
        topicData: [{ name: 'seq', partitionData: [{ index: 0, records }] }],
      });
      return res.responses[0]!.partitionResponses[0]!;
    };
    const pid = a.producerId;
    expect(await send(pid, 0, 0, 3)).toMatchObject({ errorCode: 0, baseOffset: 0 }); // seqs 0-2
    expect(await send(pid, 0, 5)).toMatchObject({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER }); // gap
    expect(await send(pid, 0, 0, 3)).toMatchObject({ errorCode: 0, baseOffset: 0 }); // duplicate of the cached batch
    expect(await send(pid, 0, 3)).toMatchObject({ errorCode: 0, baseOffset: 3 });
    expect(await send(pid, 1, 7)).toMatchObject({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER }); // new epoch must start at 0
    expect(await send(pid, 1, 0)).toMatchObject({ errorCode: 0, baseOffset: 4 }); // epoch bump (librdkafka does this itself)
    expect(await send(pid, 0, 4)).toMatchObject({ errorCode: ErrorCode.INVALID_PRODUCER_EPOCH }); // stale epoch
    expect(await send(b.producerId, 0, 42)).toMatchObject({ errorCode: 0, baseOffset: 5 }); // unknown to the partition: any sequence
    // Sequences wrap at 2^31-1.
    expect(await send(b.producerId, 0, 43, 1)).toMatchObject({ errorCode: 0, baseOffset: 6 });
    const c2 = await init();
    expect(await send(c2.producerId, 0, 2147483646, 2)).toMatchObject({ errorCode: 0, baseOffset: 7 });
    expect(await send(c2.producerId, 0, 0)).toMatchObject({ errorCode: 0, baseOffset: 9 });
    rc.close();
    const stored = values(await readAll(c.bootstrapServers[0]!, 'seq'));
    expect(stored).toHaveLength(10);
  });

  it('InitProducerId with a transactional id bumps the epoch on re-init and fences stale callers', async () => {
    const c = await cluster();
    const rc = await RawClient.connect(c.bootstrapServers[0]!);
    const init = (v: number, producerId = -1, producerEpoch = -1) =>
      rc.request(22, v, M.encodeInitProducerIdRequest, M.decodeInitProducerIdResponse, {
        transactionalId: 'tx-1',
        transactionTimeoutMs: 60000,
        producerId,
        producerEpoch,
      });
    // The first request has __transaction_state created (COORDINATOR_NOT_AVAILABLE until its partition is loaded).
    let first = await init(1);
    for (let i = 0; i < 500 && [14, 15, 16].includes(first.errorCode); i++) {
      await new Promise((r) => setTimeout(r, 20));
      first = await init(1);
    }
    expect(first.errorCode).toBe(0);
    const second = await init(1);
    expect(second).toMatchObject({ errorCode: 0, producerId: first.producerId, producerEpoch: first.producerEpoch + 1 });
    expect(await init(4, first.producerId, 7)).toMatchObject({ errorCode: ErrorCode.PRODUCER_FENCED });
    expect(await init(3, first.producerId, 7)).toMatchObject({ errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
    expect(await init(4, second.producerId, second.producerEpoch)).toMatchObject({ errorCode: 0, producerEpoch: second.producerEpoch + 1 });
    expect(
      await rc.request(22, 1, M.encodeInitProducerIdRequest, M.decodeInitProducerIdResponse, {
        ...M.defaultInitProducerIdRequest(),
        transactionalId: 'tx-2',
        transactionTimeoutMs: 24 * 3600_000,
      }),
    ).toMatchObject({ errorCode: ErrorCode.INVALID_TRANSACTION_TIMEOUT });
    rc.close();
  });
});
