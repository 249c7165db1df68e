// One failure never takes down the process: a throw injected into each kind of broker callback
// (metadata apply, periodic maintenance, an AlterPartition answer, a follower's fetch answer) is
// logged and contained, and the cluster — the faulty broker included — keeps serving acks=all
// produces and reads. An escaped throw would surface here as an unhandled error and fail the run.
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { armCrashPoint, armedCrashes, disarmCrashPoints, type CrashPoint } from '../src/util/CrashBoundary.js';
import { readAll } from './support/fetchAll.js';

let cluster: Cluster;
let producer: Producer;

beforeAll(async () => {
  cluster = await startCluster({
    brokers: 3,
    inMemory: true,
    config: { 'broker.session.timeout.ms': 3000, 'broker.heartbeat.interval.ms': 100, 'min.insync.replicas': 2, 'replica.lag.time.max.ms': 1000 },
  });
  const kafka = new Kafka({ clientId: 'crash-boundary', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, retries: 30, maxRetryTime: 1000 } });
  producer = kafka.producer();
  await producer.connect();
});

afterEach(() => disarmCrashPoints());

afterAll(async () => {
  await producer?.disconnect().catch(() => {});
  await cluster?.close();
});

async function until(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** acks=all produce of n records, then every one of them read back from the leader. */
async function roundTrip(topic: string, n: number, tag: string): Promise<void> {
  const values = Array.from({ length: n }, (_, i) => `${tag}-${i}`);
  await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
  const leader = cluster.leaderOf(topic, 0);
  const records = await readAll(cluster.bootstrapServers[leader - 1]!, topic, 0);
  const read = records.map((r) => r.value);
  expect(read.slice(-n)).toEqual(values);
}

async function armAndWait(point: CrashPoint, times: number, trigger: () => Promise<void> | void): Promise<void> {
  armCrashPoint(point, times);
  await trigger();
  await until(() => armedCrashes(point) === 0, `every armed crash at ${point} to fire`);
}

describe('the crash boundary', () => {
  it('a throw while applying metadata is retried: the new topic becomes usable on every broker', async () => {
    await armAndWait('metadata.apply', 2, () => cluster.createTopic('after-metadata-crash', { partitions: 1, replicationFactor: 3 }));
    await cluster.waitForReplication('after-metadata-crash');
    await until(() => cluster.brokers.every((b) => b.replicaManager.getPartition('after-metadata-crash', 0) !== undefined), 'every broker to host the partition');
    await roundTrip('after-metadata-crash', 10, 'meta');
  });

  it('a throw in periodic maintenance is contained and the next pass runs', async () => {
    await cluster.createTopic('maintained', { partitions: 1, replicationFactor: 3 });
    await armAndWait('broker.maintenance', 3, () => {});
    await roundTrip('maintained', 5, 'maint');
  });

  it("a throw in a follower's fetch handling backs off and replication goes on (acks=all completes)", async () => {
    await cluster.createTopic('fetch-crash', { partitions: 1, replicationFactor: 3 });
    await armAndWait('replica.fetch', 5, () => roundTrip('fetch-crash', 20, 'fetch'));
    await roundTrip('fetch-crash', 20, 'fetch-after');
    await cluster.waitForReplication('fetch-crash');
  });

  it('a throw while handling an AlterPartition answer is contained: the leader settles on the ISR the metadata brings, which still moves both ways', async () => {
    await cluster.createTopic('isr-crash', { partitions: 1, replicationFactor: 3 });
    await cluster.waitForReplication('isr-crash');
    const leader = cluster.leaderOf('isr-crash', 0);
    const follower = [1, 2, 3].find((id) => id !== leader)!;
    armCrashPoint('isr.answer', 1);
    cluster.isolate(follower);
    await producer.send({ topic: 'isr-crash', acks: 1, messages: [{ value: 'while isolated' }] });
    await until(() => !cluster.isr('isr-crash', 0).includes(follower), 'the ISR to shrink');
    await until(() => armedCrashes('isr.answer') === 0, 'the AlterPartition answer to be handled');
    cluster.heal();
    await until(() => cluster.isr('isr-crash', 0).includes(follower), 'the follower to rejoin');
    const partition = cluster.brokers.find((b) => b.nodeId === leader)!.replicaManager.getPartition('isr-crash', 0)!;
    await until(() => partition.pendingIsrChange === null && partition.isr.length === 3, "the leader's own view to settle");
    await roundTrip('isr-crash', 5, 'isr');
  });
});
