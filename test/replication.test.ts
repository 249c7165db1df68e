// Replication under failure: what acks=all keeps, what acks=1 loses, ISR movement, and
// replicas converging byte for byte after a deposed leader returns.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type Cluster, type ClusterOptions } from '../src/index.js';
import type { UnifiedLog } from '../src/log/UnifiedLog.js';
import { forEachBatch, lastOffset } from '../src/protocol/recordBatch.js';
import * as M from '../src/protocol/messages/index.js';
import { untilValue } from './support/coordinator.js';
import { readAll } from './support/fetchAll.js';
import { RawClient } from './support/RawClient.js';

const FAST = {
  'broker.session.timeout.ms': 1000,
  'broker.heartbeat.interval.ms': 100,
  'min.insync.replicas': 2,
};

const clusters: Cluster[] = [];
const producers: Producer[] = [];

afterEach(async () => {
  for (const p of producers.splice(0)) await p.disconnect().catch(() => {});
  for (const c of clusters.splice(0)) await c.close();
});

async function cluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const c = await startCluster({ brokers: 3, ...opts, config: { ...FAST, ...(opts.config ?? {}) } });
  clusters.push(c);
  return c;
}

async function producer(c: Cluster, opts: Parameters<Kafka['producer']>[0] = {}): Promise<Producer> {
  const kafka = new Kafka({
    clientId: 'replication-test',
    brokers: c.bootstrapServers,
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 100, retries: 30, maxRetryTime: 1000 },
  });
  const p = kafka.producer(opts);
  await p.connect();
  producers.push(p);
  return p;
}

async function until(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Bootstrap address of a broker (ids are 1..N, in order). */
const addressOf = (c: Cluster, id: number) => c.bootstrapServers[id - 1]!;

/** Every byte of a partition's log on one in-process replica. */
function logBytes(log: UnifiedLog): Buffer {
  const parts: Buffer[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const { records } = log.read(offset, 1 << 20, log.logEndOffset, true);
    if (!records) break;
    parts.push(Buffer.from(records));
    forEachBatch(records, (pos) => void (offset = lastOffset(records, pos) + 1));
  }
  return Buffer.concat(parts);
}

function replicaLog(c: Cluster, brokerId: number, topic: string, partition = 0): UnifiedLog {
  const b = c.brokers.find((x) => x.nodeId === brokerId)!;
  return b.replicaManager.getPartition(topic, partition)!.log;
}

const values = (rs: { value: string | null }[]) => rs.map((r) => r.value);

describe('replication (3 brokers, RF 3)', () => {
  it('acks=all with min.insync 2: crash the leader mid-stream; every acknowledged record survives once, in order, identical on every replica', async () => {
    const c = await cluster();
    await c.createTopic('durable', { partitions: 1, replicationFactor: 3 });
    const first = c.leaderOf('durable', 0);
    const p = await producer(c, { idempotent: true, maxInFlightRequests: 1 });
    const acked: string[] = [];
    let crashed = false;
    for (let i = 0; i < 60; i++) {
      if (i === 30) {
        await c.stopBroker(first, { crash: true });
        crashed = true;
      }
      await p.send({ topic: 'durable', acks: -1, messages: [{ value: `m${i}` }] });
      acked.push(`m${i}`);
    }
    expect(crashed).toBe(true);
    const second = c.leaderOf('durable', 0);
    expect(second).not.toBe(first);
    expect(second).toBeGreaterThan(0);
    const got = values(await readAll(addressOf(c, second), 'durable'));
    expect(got).toEqual(acked);

    await c.startBroker(first);
    await until(() => c.isr('durable', 0).length === 3, 'the restarted broker to rejoin the ISR');
    await until(() => replicaLog(c, first, 'durable').logEndOffset === replicaLog(c, second, 'durable').logEndOffset, 'catch-up');
    const reference = logBytes(replicaLog(c, second, 'durable'));
    for (const id of [1, 2, 3]) expect(logBytes(replicaLog(c, id, 'durable')).equals(reference)).toBe(true);
  });

  it('acks=1: records acknowledged by a leader whose followers were cut off are lost when it crashes (the deposed leader then truncates them)', async () => {
    const c = await cluster({ config: { 'min.insync.replicas': 1 } });
    await c.createTopic('lossy', { partitions: 1, replicationFactor: 3 });
    const leader = c.leaderOf('lossy', 0);
    const followers = [1, 2, 3].filter((id) => id !== leader);
    const p = await producer(c);
    for (let i = 0; i < 5; i++) await p.send({ topic: 'lossy', acks: -1, messages: [{ value: `committed-${i}` }] });

    for (const f of followers) c.isolate(f);
    const acks = [];
    for (let i = 0; i < 5; i++) acks.push(await p.send({ topic: 'lossy', acks: 1, messages: [{ value: `unreplicated-${i}` }] }));
    expect(acks.map((a) => a[0]!.errorCode)).toEqual([0, 0, 0, 0, 0]);
    expect(values(await readAll(addressOf(c, leader), 'lossy')).length).toBe(5); // consumers see only up to the high watermark
    expect(replicaLog(c, leader, 'lossy').logEndOffset).toBe(10);

    await c.stopBroker(leader, { crash: true });
    c.heal(); // the followers are back in time: still in the ISR, one of them is elected
    await until(() => followers.includes(c.leaderOf('lossy', 0)), 'a follower to take over');
    const next = c.leaderOf('lossy', 0);
    // A new leader's high watermark catches up once its followers fetch from it (as in Kafka).
    const visible = await untilValue('the new leader to serve the committed records', async () => {
      const read = await readAll(addressOf(c, next), 'lossy');
      return read.length >= 5 && read;
    }, 15_000);
    expect(values(visible)).toEqual([0, 1, 2, 3, 4].map((i) => `committed-${i}`));
    expect(replicaLog(c, next, 'lossy').logEndOffset).toBe(5); // the unreplicated five are nowhere
    // A consumer that read past offset 5 under epoch 0 learns where the new leader's epoch 0 ends.
    const rc = await RawClient.connect(addressOf(c, next));
    const epochEnd = await rc.request(23, 4, M.encodeOffsetForLeaderEpochRequest, M.decodeOffsetForLeaderEpochResponse, {
      replicaId: -1,
      topics: [{ topic: 'lossy', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }],
    });
    rc.close();
    expect(epochEnd.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 5 });

    // New writes take the lost records' offsets; the deposed leader truncates its divergent tail.
    await p.send({ topic: 'lossy', acks: -1, messages: [{ value: 'after-failover' }] });
    await c.startBroker(leader);
    await until(() => c.isr('lossy', 0).length === 3, 'the deposed leader to rejoin');
    await until(() => replicaLog(c, leader, 'lossy').logEndOffset === 6, 'truncation and catch-up');
    const reference = logBytes(replicaLog(c, next, 'lossy'));
    expect(logBytes(replicaLog(c, leader, 'lossy')).equals(reference)).toBe(true);
    expect(values(await readAll(addressOf(c, next), 'lossy')).at(-1)).toBe('after-failover');
  });

  it("a follower whose log ends before the leader's log start starts over there and converges byte for byte", async () => {
    const c = await cluster({ config: { 'min.insync.replicas': 1 } });
    await c.createTopic('behind', { partitions: 1, replicationFactor: 3 });
    const leader = c.leaderOf('behind', 0);
    const lagger = [1, 2, 3].find((id) => id !== leader)!;
    const p = await producer(c);
    await p.send({ topic: 'behind', acks: -1, messages: [{ value: 'early' }] });
    await c.stopBroker(lagger);
    for (let i = 0; i < 20; i++) await p.send({ topic: 'behind', acks: -1, messages: [{ value: `m${i}` }] });
    // DeleteRecords moves the log start to 15 on the leader and the follower that is up.
    const admin = new Kafka({ clientId: 'behind', brokers: c.bootstrapServers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: ['behind'] });
    await admin.deleteTopicRecords({ topic: 'behind', partitions: [{ partition: 0, offset: '15' }] });
    await admin.disconnect();
    expect(replicaLog(c, leader, 'behind').logStartOffset).toBe(15);

    await c.startBroker(lagger); // its log ends at 1, before the leader's start
    await until(() => replicaLog(c, lagger, 'behind').logEndOffset === 21, 'the lagging follower to catch up');
    const log = replicaLog(c, lagger, 'behind');
    expect(log.logStartOffset).toBe(15);
    expect(logBytes(log).equals(logBytes(replicaLog(c, leader, 'behind')))).toBe(true);
    await until(() => c.isr('behind', 0).includes(lagger), 'it to rejoin the ISR');
  });

  it('an isolated follower leaves the ISR and rejoins after heal; Metadata shows both', async () => {
    const c = await cluster({ config: { 'replica.lag.time.max.ms': 800, 'broker.session.timeout.ms': 30_000 } });
    await c.createTopic('isr', { partitions: 1, replicationFactor: 3 });
    const leader = c.leaderOf('isr', 0);
    const follower = [1, 2, 3].find((id) => id !== leader)!;
    const admin = new Kafka({ clientId: 'isr-test', brokers: c.bootstrapServers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const isrSeen = async () => (await admin.fetchTopicMetadata({ topics: ['isr'] })).topics[0]!.partitions[0]!.isr.sort();
    expect(await isrSeen()).toEqual([1, 2, 3]);

    c.isolate(follower);
    // As in Kafka, a follower at the leader's log end counts as caught up however long it is
    // silent; it falls out of the ISR once the leader has records it does not fetch.
    const p = await producer(c);
    await p.send({ topic: 'isr', acks: 1, messages: [{ value: 'while isolated' }] });
    await until(() => !c.isr('isr', 0).includes(follower), 'the ISR to shrink');
    let seen = await untilValue('Metadata to show the shrunk ISR', async () => {
      const isr = await isrSeen();
      return !isr.includes(follower) && isr;
    }, 15_000);
    expect(seen).toEqual([1, 2, 3].filter((id) => id !== follower));

    c.heal();
    await until(() => c.isr('isr', 0).includes(follower), 'the follower to rejoin');
    seen = await untilValue('Metadata to show the whole ISR again', async () => {
      const isr = await isrSeen();
      return isr.length >= 3 && isr;
    }, 15_000);
    expect(seen).toEqual([1, 2, 3]);
    await admin.disconnect();
  });

  it('acks=all with an ISR below min.insync.replicas: NOT_ENOUGH_REPLICAS and nothing appended', async () => {
    const c = await cluster({ config: { 'min.insync.replicas': 3 } });
    await c.createTopic('strict', { partitions: 1, replicationFactor: 3 });
    const leader = c.leaderOf('strict', 0);
    const p = await producer(c);
    await p.send({ topic: 'strict', acks: -1, messages: [{ value: 'ok' }] });
    const follower = [1, 2, 3].find((id) => id !== leader)!;
    await c.stopBroker(follower);
    await until(() => c.isr('strict', 0).length === 2, 'the ISR to shrink');
    const kafka = new Kafka({ clientId: 'strict', brokers: c.bootstrapServers, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const strict = kafka.producer();
    await strict.connect();
    await expect(strict.send({ topic: 'strict', acks: -1, messages: [{ value: 'refused' }] })).rejects.toMatchObject({
      cause: { type: 'NOT_ENOUGH_REPLICAS' },
    });
    await strict.disconnect();
    expect(replicaLog(c, leader, 'strict').logEndOffset).toBe(1);
    // acks=1 does not care about the ISR size.
    await p.send({ topic: 'strict', acks: 1, messages: [{ value: 'fine' }] });
    expect(replicaLog(c, leader, 'strict').logEndOffset).toBe(2);
  });

  it('an idempotent producer across a failover: no duplicates, no gaps', async () => {
    const c = await cluster();
    await c.createTopic('idem-failover', { partitions: 1, replicationFactor: 3 });
    const leader = c.leaderOf('idem-failover', 0);
    const p = await producer(c, { idempotent: true, maxInFlightRequests: 1 });
    for (let i = 0; i < 10; i++) await p.send({ topic: 'idem-failover', acks: -1, messages: [{ value: `m${i}` }] });
    // The next batch is written and replicated, but its answer never arrives: then the leader dies.
    c.faults.add({ api: 'Produce', broker: leader, topic: 'idem-failover', action: 'drop-response' });
    const retried = p.send({ topic: 'idem-failover', acks: -1, messages: [{ value: 'm10' }] });
    await until(() => c.faults.list().length === 0, 'the dropped produce');
    await until(() => replicaLog(c, [1, 2, 3].find((id) => id !== leader)!, 'idem-failover').logEndOffset === 11, 'replication of m10');
    await c.stopBroker(leader, { crash: true });
    await retried;
    for (let i = 11; i < 15; i++) await p.send({ topic: 'idem-failover', acks: -1, messages: [{ value: `m${i}` }] });
    const next = c.leaderOf('idem-failover', 0);
    expect(values(await readAll(addressOf(c, next), 'idem-failover'))).toEqual(Array.from({ length: 15 }, (_, i) => `m${i}`));
  });
});

describe('replication with a broker per process', () => {
  it('kill -9 of the leader mid-stream: every acknowledged record survives once, in order, on every replica', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-kill9-'));
    const c = await cluster({ processPerBroker: true, dataDir: dir });
    await c.createTopic('killed', { partitions: 1, replicationFactor: 3 });
    await until(() => c.leaderOf('killed', 0) > 0, 'a leader');
    const first = c.leaderOf('killed', 0);
    const pid = c.pidOf(first)!;
    expect(pid).toBeGreaterThan(0);
    const p = await producer(c, { idempotent: true, maxInFlightRequests: 1 });
    const acked: string[] = [];
    for (let i = 0; i < 40; i++) {
      if (i === 20) process.kill(pid, 'SIGKILL');
      await p.send({ topic: 'killed', acks: -1, messages: [{ value: `m${i}` }] });
      acked.push(`m${i}`);
    }
    const second = c.leaderOf('killed', 0);
    expect(second).not.toBe(first);
    expect(values(await readAll(addressOf(c, second), 'killed'))).toEqual(acked);
    await c.stopBroker(first, { crash: true }); // already dead: marks it stopped
    await c.startBroker(first);
    await until(() => c.isr('killed', 0).length === 3, 'the killed broker to rejoin');
    await new Promise((r) => setTimeout(r, 500));
    await p.disconnect();
    producers.splice(0);
    await c.close();
    clusters.splice(0);
    const files = [1, 2, 3].map((id) => {
      const pdir = path.join(dir, `broker-${id}`, 'killed-0');
      return Buffer.concat(
        fs
          .readdirSync(pdir)
          .filter((f) => f.endsWith('.log'))
          .sort()
          .map((f) => fs.readFileSync(path.join(pdir, f))),
      );
    });
    expect(files[0]!.length).toBeGreaterThan(0);
    expect(files[1]!.equals(files[0]!)).toBe(true);
    expect(files[2]!.equals(files[0]!)).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

