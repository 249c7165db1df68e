// librdkafka (confluent-kafka-python, Debian's python3-confluent-kafka) keeps up to five
// Produce requests in flight: idempotence must hold across all of them.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, startCluster, type Cluster } from '../src/index.js';
import { fetchBatches, readAll } from './support/fetchAll.js';
import { RawClient } from './support/RawClient.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./support/librdkafka_produce.py', import.meta.url));
const hasLibrdkafka = spawnSync(PYTHON, ['-c', 'import confluent_kafka'], { stdio: 'ignore' }).status === 0;
if (!hasLibrdkafka) {
  console.warn('librdkafka tests skipped: /usr/bin/python3 cannot import confluent_kafka (apt-get install python3-confluent-kafka)');
}

interface Report {
  undelivered: number;
  reports: { value: string; error: string | null; offset: number }[];
}

function produce(bootstrap: string, topic: string, count: number, config: Record<string, unknown>): Promise<Report> {
  // Run it off the event loop's back: the broker lives in this process.
  return new Promise((resolve, reject) => {
    import('node:child_process').then(({ execFile }) => {
      execFile(PYTHON, [SCRIPT, bootstrap, topic, String(count), JSON.stringify(config)], { timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as Report);
      });
    }, reject);
  });
}

const clusters: Cluster[] = [];
afterEach(async () => {
  for (const c of clusters.splice(0)) await c.close();
});

const expected = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);

describe.runIf(hasLibrdkafka)('librdkafka idempotent producer, 5 requests in flight', () => {
  it('drop-response on the first Produce: every message stored exactly once, in order', async () => {
    const c = await startCluster();
    clusters.push(c);
    await c.createTopic('rdk-idem', { partitions: 1 });
    c.faults.add({ api: 'Produce', topic: 'rdk-idem', action: 'drop-response' });
    const report = await produce(c.bootstrapServers[0]!, 'rdk-idem', 200, { 'enable.idempotence': true, 'max.in.flight.requests.per.connection': 5 });
    expect(report.undelivered).toBe(0);
    expect(report.reports.filter((r) => r.error)).toEqual([]);
    const stored = (await readAll(c.bootstrapServers[0]!, 'rdk-idem')).map((r) => r.value);
    expect(stored).toEqual(expected(200));
    expect(c.faults.list()).toEqual([]);
  });

  it('the same fault without idempotence stores duplicates', async () => {
    const c = await startCluster();
    clusters.push(c);
    await c.createTopic('rdk-dup', { partitions: 1 });
    c.faults.add({ api: 'Produce', topic: 'rdk-dup', action: 'drop-response' });
    const report = await produce(c.bootstrapServers[0]!, 'rdk-dup', 200, { 'enable.idempotence': false, 'max.in.flight.requests.per.connection': 5, acks: 'all', retries: 5 });
    expect(report.undelivered).toBe(0);
    const stored = (await readAll(c.bootstrapServers[0]!, 'rdk-dup')).map((r) => r.value);
    expect(stored.length).toBeGreaterThan(200);
    expect(new Set(stored)).toEqual(new Set(expected(200)));
  });

  it('kill -9 of the partition leader mid-stream (3 brokers, a process each): every message stored once, in order', async () => {
    const c = await startCluster({
      brokers: 3,
      processPerBroker: true,
      config: { 'broker.session.timeout.ms': 1500, 'broker.heartbeat.interval.ms': 200, 'min.insync.replicas': 2 },
    });
    clusters.push(c);
    await c.createTopic('rdk-failover', { partitions: 1, replicationFactor: 3 });
    await new Promise((r) => setTimeout(r, 300));
    const leader = c.leaderOf('rdk-failover', 0);
    const running = produce(c.bootstrapServers.join(','), 'rdk-failover', 20_000, { 'enable.idempotence': true, 'linger.ms': 5 });
    // Kill the leader once the stream is well under way (a thousand records committed).
    const watcher = await RawClient.connect(c.bootstrapServers[leader - 1]!);
    for (let hw = 0; hw < 1000; ) {
      await new Promise((r) => setTimeout(r, 5));
      hw = (await fetchBatches(watcher, 'rdk-failover', 0, 0, 1)).highWatermark;
    }
    watcher.close();
    process.kill(c.pidOf(leader)!, 'SIGKILL');
    const report = await running;
    expect(report.undelivered).toBe(0);
    expect(report.reports.filter((r) => r.error)).toEqual([]);
    const next = c.leaderOf('rdk-failover', 0);
    expect(next).not.toBe(leader);
    let stored = (await readAll(c.bootstrapServers[next - 1]!, 'rdk-failover')).map((r) => r.value);
    for (let i = 0; i < 100 && stored.length < 20_000; i++) {
      await new Promise((r) => setTimeout(r, 20)); // the new leader's high watermark catches up
      stored = (await readAll(c.bootstrapServers[next - 1]!, 'rdk-failover')).map((r) => r.value);
    }
    expect(stored).toEqual(expected(20_000));
    // The kill really was mid-stream: batches were written under both leaders' epochs.
    const client = await RawClient.connect(c.bootstrapServers[next - 1]!);
    const epochs = new Set<number>();
    for (let offset = 0; offset < 20_000; ) {
      const res = await fetchBatches(client, 'rdk-failover', 0, offset);
      for (const b of res.batches) epochs.add(b.partitionLeaderEpoch);
      offset = res.batches.at(-1)!.lastOffset + 1;
    }
    client.close();
    expect(epochs.has(0)).toBe(true);
    expect([...epochs].some((e) => e > 0)).toBe(true);
  });

  it('a retriable error on an early batch while later ones are in flight: idempotence keeps send order', async () => {
    const c = await startCluster();
    clusters.push(c);
    await c.createTopic('rdk-order', { partitions: 1 });
    c.faults.add({ api: 'Produce', topic: 'rdk-order', action: 'error', code: ErrorCode.REQUEST_TIMED_OUT, ms: 100 });
    const report = await produce(c.bootstrapServers[0]!, 'rdk-order', 200, { 'enable.idempotence': true, 'max.in.flight.requests.per.connection': 5 });
    expect(report.reports.filter((r) => r.error)).toEqual([]);
    const stored = (await readAll(c.bootstrapServers[0]!, 'rdk-order')).map((r) => r.value);
    expect(stored).toEqual(expected(200));
  });
});
