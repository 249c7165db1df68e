// Restarts on the same data dir, segment rolls, retention, DeleteRecords and a torn tail.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { readAll } from './support/fetchAll.js';

const dirs: string[] = [];
const clusters: Cluster[] = [];

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-durability-'));
  dirs.push(d);
  return d;
}

async function start(dataDir: string, config: Record<string, string | number> = {}, port = 0): Promise<Cluster> {
  const c = await startCluster({ dataDir, port, config });
  clusters.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clusters.splice(0)) await c.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function produce(cluster: Cluster, topic: string, values: string[], batch = 10): Promise<void> {
  const kafka = new Kafka({ clientId: 'durability', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < values.length; i += batch) {
    await producer.send({ topic, acks: -1, messages: values.slice(i, i + batch).map((v) => ({ key: v, value: v })) });
  }
  await producer.disconnect();
}

const values = (n: number, prefix = 'v') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('durability', () => {
  it('a restart on the same data dir serves every record at the same offset, and appends continue', async () => {
    const dir = tempDir();
    let cluster = await start(dir);
    const port = Number(cluster.bootstrapServers[0]!.split(':')[1]);
    await cluster.createTopic('keep', { partitions: 2, config: { 'retention.ms': 3600000 } });
    await produce(cluster, 'keep', values(100));
    const before = [await readAll(cluster.bootstrapServers[0]!, 'keep', 0), await readAll(cluster.bootstrapServers[0]!, 'keep', 1)];
    await cluster.close();

    cluster = await start(dir, {}, port);
    const after = [await readAll(cluster.bootstrapServers[0]!, 'keep', 0), await readAll(cluster.bootstrapServers[0]!, 'keep', 1)];
    expect(after).toEqual(before);
    expect(after[0]!.length + after[1]!.length).toBe(100);

    const kafka = new Kafka({ clientId: 'durability', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'keep', configNames: ['retention.ms'] }], includeSynonyms: false });
    await admin.disconnect();
    expect(configs.resources[0]!.configEntries[0]!.configValue).toBe('3600000');

    await produce(cluster, 'keep', ['after-restart']);
    const p0 = await readAll(cluster.bootstrapServers[0]!, 'keep', 0);
    const p1 = await readAll(cluster.bootstrapServers[0]!, 'keep', 1);
    const inP0 = p0.find((r) => r.value === 'after-restart');
    const appended = inP0 ?? p1.find((r) => r.value === 'after-restart')!;
    expect(appended.offset).toBe(inP0 ? after[0]!.length : after[1]!.length);
  });

  it('rolls segments at segment.bytes and reads across them', async () => {
    const cluster = await start(tempDir());
    await cluster.createTopic('rolling', { partitions: 1, config: { 'segment.bytes': 2048 } });
    await produce(cluster, 'rolling', values(200, 'x'.repeat(50)));
    const segments = fs.readdirSync(path.join(cluster.dataDir!, 'broker-1', 'rolling-0')).filter((f) => f.endsWith('.log'));
    expect(segments.length).toBeGreaterThan(3);
    const got = await readAll(cluster.bootstrapServers[0]!, 'rolling');
    expect(got.map((r) => r.offset)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('retention.bytes deletes old segments and moves the log start offset; fetching below it is out of range', async () => {
    const cluster = await start(tempDir());
    await cluster.createTopic('retained', { partitions: 1, config: { 'segment.bytes': 2048, 'retention.bytes': 4096 } });
    await produce(cluster, 'retained', values(200, 'y'.repeat(50)));
    cluster.brokers[0]!.applyRetention();
    const kafka = new Kafka({ clientId: 'durability', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const [offsets] = await admin.fetchTopicOffsets('retained');
    await admin.disconnect();
    const low = Number(offsets!.low);
    expect(low).toBeGreaterThan(0);
    expect(Number(offsets!.high)).toBe(200);
    const got = await readAll(cluster.bootstrapServers[0]!, 'retained', 0, low);
    expect(got[0]!.offset).toBe(low);
    expect(got.at(-1)!.offset).toBe(199);
    await expect(readAll(cluster.bootstrapServers[0]!, 'retained', 0, 0)).rejects.toThrow('fetch error 1');
  });

  it('DeleteRecords moves the low watermark, and it survives a restart', async () => {
    const dir = tempDir();
    let cluster = await start(dir);
    const port = Number(cluster.bootstrapServers[0]!.split(':')[1]);
    await cluster.createTopic('trimmed', { partitions: 1 });
    await produce(cluster, 'trimmed', values(30));
    let kafka = new Kafka({ clientId: 'durability', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING });
    let admin = kafka.admin();
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: ['trimmed'] }); // kafkajs needs the topic's metadata loaded first
    await admin.deleteTopicRecords({ topic: 'trimmed', partitions: [{ partition: 0, offset: '17' }] });
    await admin.disconnect();
    await cluster.close();
    cluster = await start(dir, {}, port);
    kafka = new Kafka({ clientId: 'durability', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    const [offsets] = await admin.fetchTopicOffsets('trimmed');
    await admin.disconnect();
    expect(offsets!.low).toBe('17');
    const got = await readAll(cluster.bootstrapServers[0]!, 'trimmed', 0, 17);
    expect(got.map((r) => r.value)).toEqual(values(30).slice(17));
  });

  it('ListOffsets by timestamp finds the first record at or after a time', async () => {
    const cluster = await start(tempDir());
    await cluster.createTopic('timed', { partitions: 1 });
    const kafka = new Kafka({ clientId: 'durability', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const base = 1_700_000_000_000;
    for (let i = 0; i < 10; i++) {
      await producer.send({ topic: 'timed', messages: [{ value: `t${i}`, timestamp: String(base + i * 1000) }] });
    }
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const at = async (ts: number) => (await admin.fetchTopicOffsetsByTimestamp('timed', ts))[0]!.offset;
    expect(await at(base)).toBe('0');
    expect(await at(base + 4500)).toBe('5');
    expect(await at(base + 9000)).toBe('9');
    // Past the last record: Kafka answers -1, and kafkajs then falls back to the latest offset.
    expect(await at(base + 20000)).toBe('10');
    await admin.disconnect();
  });

  it('a torn tail (segment cut mid-batch) is cut on restart; everything before it is intact', async () => {
    const dir = tempDir();
    let cluster = await start(dir);
    const port = Number(cluster.bootstrapServers[0]!.split(':')[1]);
    await cluster.createTopic('torn', { partitions: 1 });
    await produce(cluster, 'torn', values(40), 10); // four batches of ten
    const before = await readAll(cluster.bootstrapServers[0]!, 'torn');
    await cluster.close();

    const logFile = path.join(dir, 'broker-1', 'torn-0', '00000000000000000000.log');
    const size = fs.statSync(logFile).size;
    fs.truncateSync(logFile, size - 7); // the last batch loses its tail
    cluster = await start(dir, {}, port);
    const after = await readAll(cluster.bootstrapServers[0]!, 'torn');
    expect(after).toEqual(before.slice(0, 30));
    await produce(cluster, 'torn', ['next']);
    const again = await readAll(cluster.bootstrapServers[0]!, 'torn');
    expect(again.at(-1)).toMatchObject({ offset: 30, value: 'next' });
  });
});
