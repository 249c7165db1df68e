// Our producer with compression.type gzip, snappy, lz4 and zstd (zstd where node:zlib has it;
// elsewhere it is a ConfigError naming the Node version needed) against an in-process broker:
// every stored batch carries the codec in its attributes (read back raw through Fetch), and the
// records — keys, headers, small compressible values, > 64 KiB incompressible and repetitive
// ones — read back byte-identical through our reader and through clients nobody here wrote:
// librdkafka (Debian's python3-confluent-kafka; its own snappy, liblz4 and libzstd) for every
// codec, Apache Kafka's Java consumer (snappy-java, lz4-java; test/support/java/
// CompressionCheck.java) when java/javac/mvn can fetch kafka-clients, and kafkajs for gzip
// (kafkajs has no snappy/lz4/zstd codecs without plugins). Each part is skipped with a message
// when its client is missing.
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODEC_ZSTD, canCompress } from '../src/protocol/compression/index.js';
import { COMPRESSION_NAMES } from '../src/protocol/recordBatch.js';
import { Producer, startCluster, type Cluster, type CompressionType } from '../src/index.js';
import { batchesOf } from './support/fetchAll.js';

const PYTHON = '/usr/bin/python3';
const hasLibrdkafka = spawnSync(PYTHON, ['-c', 'import confluent_kafka'], { stdio: 'ignore' }).status === 0;
if (!hasLibrdkafka) console.warn('librdkafka read-back skipped: /usr/bin/python3 cannot import confluent_kafka');

const FETCH = fileURLToPath(new URL('./support/java/fetch-clients.sh', import.meta.url));
const hasJavaTools = ['java', 'javac', 'mvn'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0);
let classpath: string | null = null;
if (hasJavaTools) {
  const r = spawnSync(FETCH, ['3.9.1'], { encoding: 'utf8', timeout: 300_000 });
  if (r.status === 0) classpath = r.stdout.trim().split('\n').at(-1)!;
  else console.warn(`Java consumer read-back skipped: fetching/compiling kafka-clients 3.9.1 failed\n${r.stderr}`);
} else {
  console.warn('Java consumer read-back skipped: java, javac and mvn are needed');
}

const zstdOk = canCompress(CODEC_ZSTD);
const CODECS: CompressionType[] = ['gzip', 'snappy', 'lz4', ...(zstdOk ? (['zstd'] as const) : [])];
if (!zstdOk) console.warn(`compression.type=zstd producer case skipped: node:zlib has no zstd on Node ${process.versions.node}`);

interface Sent {
  key: Buffer;
  value: Buffer;
  header: Buffer;
}

/** Seeded (fixed) records: compressible text, then > 64 KiB random and repetitive values. */
function records(codec: string): Sent[] {
  let s = 0x9e3779b9;
  const byte = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0) >>> 24) & 0xff;
  const out: Sent[] = [];
  for (let i = 0; i < 400; i++) {
    out.push({ key: Buffer.from(`k${i}`), value: Buffer.from(`${codec}-${i}-${'abc'.repeat(i % 50)}`), header: Buffer.from(String(i)) });
  }
  const noise = Buffer.alloc(100_000);
  for (let i = 0; i < noise.length; i++) noise[i] = byte();
  out.push({ key: Buffer.from('noise'), value: noise, header: Buffer.from('n') });
  out.push({ key: Buffer.from('runs'), value: Buffer.alloc(200_000, `${codec}-run `), header: Buffer.from('r') });
  for (let i = 0; i < 50; i++) out.push({ key: Buffer.from(`t${i}`), value: Buffer.from(`tail-${i}`), header: Buffer.from('t') });
  return out;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const summary = (r: Sent[]) => r.map((x) => `${x.key.toString()}:${sha(x.value)}:${x.header.toString()}`);


function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** librdkafka reads partition 0 from offset 0 (assign, no group): key:sha256(value):header per record. */
async function rdkSummary(bootstrap: string, topic: string, count: number): Promise<string[]> {
  const script = [
    'import hashlib, json, sys',
    'from confluent_kafka import Consumer, TopicPartition',
    "c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': 'rdk-pcomp', 'enable.auto.commit': False})",
    'c.assign([TopicPartition(sys.argv[2], 0, 0)])',
    'out = []',
    'while len(out) < int(sys.argv[3]):',
    '    m = c.poll(20)',
    '    if m is None: break',
    '    if m.error(): out.append("error: " + m.error().str()); break',
    "    out.append('%s:%s:%s' % (m.key().decode(), hashlib.sha256(m.value()).hexdigest(), m.headers()[0][1].decode()))",
    'c.close()',
    'print(json.dumps(out))',
  ].join('\n');
  return JSON.parse(await run(PYTHON, ['-c', script, bootstrap, topic, String(count)])) as string[];
}

/** Kafka's Java consumer reads partition 0 from offset 0: the same summary lines. */
async function javaSummary(bootstrap: string, topic: string, count: number): Promise<string[]> {
  const out = await run('java', ['-Xmx256m', '-XX:+UseSerialGC', '-cp', classpath!, 'CompressionCheck', bootstrap, topic, String(count)]);
  return JSON.parse(out.trim().split('\n').at(-1)!) as string[];
}

let cluster: Cluster;
let bootstrap: string;
beforeAll(async () => {
  cluster = await startCluster();
  bootstrap = cluster.bootstrapServers[0]!;
});
afterAll(async () => {
  await cluster?.close();
});

describe('our producer compresses as Kafka does', () => {
  it.each(CODECS)('compression.type=%s: stored with the codec, read back byte-identical by us and by real clients', { timeout: 180_000 }, async (codec) => {
    const topic = `pcomp-${codec}`;
    await cluster.createTopic(topic, { partitions: 1 });
    const sent = records(codec);
    const p = Producer.fromProperties({ 'bootstrap.servers': bootstrap, 'compression.type': codec, 'linger.ms': 20, 'batch.size': 262144 });
    try {
      await Promise.all(sent.map((r) => p.send({ topic, partition: 0, key: r.key, value: r.value, headers: { i: r.header } })));
      expect(p.metrics().compressionRateAvg).toBeLessThan(0.6);
    } finally {
      await p.close();
    }

    const batches = await batchesOf(bootstrap, topic);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.every((b) => COMPRESSION_NAMES[b.compression] === codec)).toBe(true);
    const got = batches.flatMap((b) => b.records);
    expect(got.length).toBe(sent.length);
    for (let i = 0; i < sent.length; i++) {
      expect(got[i]!.key!.equals(sent[i]!.key)).toBe(true);
      expect(got[i]!.value!.equals(sent[i]!.value)).toBe(true);
      expect(got[i]!.headers[0]!.value!.equals(sent[i]!.header)).toBe(true);
    }

    if (hasLibrdkafka) expect(await rdkSummary(bootstrap, topic, sent.length)).toEqual(summary(sent));
    if (classpath !== null) expect(await javaSummary(bootstrap, topic, sent.length)).toEqual(summary(sent));
  });

  it('kafkajs reads what our producer compressed with gzip', async () => {
    const topic = 'pcomp-gzip-kafkajs';
    await cluster.createTopic(topic, { partitions: 1 });
    const sent = records('gzip');
    const p = new Producer({ bootstrapServers: bootstrap, compressionType: 'gzip', lingerMs: 20, batchSize: 262144 });
    try {
      await Promise.all(sent.map((r) => p.send({ topic, partition: 0, key: r.key, value: r.value, headers: { i: r.header } })));
    } finally {
      await p.close();
    }
    const kafka = new Kafka({ clientId: 'pcomp-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: 'pcomp-kafkajs', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got: Sent[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            got.push({ key: message.key!, value: message.value!, header: message.headers!.i as Buffer });
            if (got.length === sent.length) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(summary(got)).toEqual(summary(sent));
  });

  it.runIf(!zstdOk)('compression.type=zstd on a Node without node:zlib zstd: a ConfigError naming the Node version needed', () => {
    expect(() => new Producer({ bootstrapServers: bootstrap, compressionType: 'zstd' })).toThrow(/compression.type.*Node >= 22\.15 or >= 23\.8/);
    expect(() => Producer.fromProperties({ 'bootstrap.servers': bootstrap, 'compression.type': 'zstd' })).toThrow(/Node >= 22\.15/);
  });
});
