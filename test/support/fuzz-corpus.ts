// The fuzzer's seed corpus: real request frames captured from kafkajs and our own producer
// during a realistic session (every byte they write on their sockets, split into frames), plus
// every served API key × every advertised version encoded by our codecs from the generated
// samples. Each frame comes with a field map (where each primitive the broker's decoder reads
// lies), so mutators can aim at lengths, counts, varints, tagged fields and record batches.
import fs from 'node:fs';
import net from 'node:net';
import { Kafka, CompressionTypes, logLevel } from 'kafkajs';
import { Producer } from '../../src/producer/index.js';
import { crc32c } from '../../src/protocol/crc32c.js';
import * as M from '../../src/protocol/messages/index.js';
import { Reader, Writer } from '../../src/protocol/primitives.js';
import { encodeRecordBatch } from '../../src/protocol/recordBatch.js';
import { API_LIST } from '../../src/server/apis/index.js';
import * as S from '../generated/samples.js';

/** One primitive read by the broker's decoder: method name and byte range within the frame (size prefix included). */
export interface Span {
  kind: string;
  start: number;
  end: number;
}

export interface CorpusEntry {
  source: 'kafkajs' | 'producer' | 'codec';
  apiKey: number;
  apiVersion: number;
  /** The whole frame, int32 size prefix included. */
  frame: Buffer;
  spans: Span[];
}

/** Topics every corpus request targets; the fuzz checks nothing else changes. */
export const SCRATCH_TOPIC = 'fz-scratch';
export const SCRATCH_GZIP_TOPIC = 'fz-scratch-gz';
export const SCRATCH_GROUP = 'fz-group';

const TRACED = new Set([
  'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'int64Exact', 'float64', 'bool', 'uvarint', 'varint', 'varlong', 'uuid',
  'string', 'nullableString', 'compactString', 'compactNullableString', 'bytes', 'nullableBytes', 'compactBytes',
  'compactNullableBytes', 'arrayLength', 'compactArrayLength', 'skipTaggedFields',
]);

/** Decode a frame as the broker would, recording every primitive read. Partial maps are kept. */
export function fieldMap(frame: Buffer): Span[] {
  const spans: Span[] = [];
  if (frame.length < 12) return spans;
  const apiKey = frame.readInt16BE(4);
  const version = frame.readInt16BE(6);
  const target = new Reader(frame, 4);
  const traced = new Proxy(target, {
    get(t, p, recv) {
      const v = Reflect.get(t, p, t);
      if (typeof v !== 'function' || typeof p !== 'string' || !TRACED.has(p)) return v;
      return (...args: unknown[]) => {
        const start = t.offset;
        const out = (v as (...a: unknown[]) => unknown).apply(recv, args);
        spans.push({ kind: p, start, end: t.offset });
        return out;
      };
    },
  });
  try {
    const api = API_LIST.find((a) => a.key === apiKey);
    if (!api || version < api.minVersion || version > api.maxVersion) return spans;
    M.decodeRequestHeader(traced, M.requestHeaderVersion(apiKey, version));
    api.decodeRequest(traced, version);
  } catch {
    // a map of what decoded is still useful
  }
  return spans;
}

function entry(source: CorpusEntry['source'], frame: Buffer): CorpusEntry {
  return { source, apiKey: frame.readInt16BE(4), apiVersion: frame.readInt16BE(6), frame, spans: fieldMap(frame) };
}

/** Every served API × every advertised version, both sample variants, encoded by our codecs. */
export function codecCorpus(): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  const samples = S as unknown as Record<string, (v: number, variant?: number) => unknown>;
  const codecs = M as unknown as Record<string, (w: Writer, v: number, m: unknown) => void>;
  let correlationId = 1;
  for (const api of API_LIST) {
    const sample = samples[`sample${api.name}Request`];
    const encode = codecs[`encode${api.name}Request`];
    if (!sample || !encode) throw new Error(`no sample or encoder for ${api.name}`);
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      for (const variant of [0, 1]) {
        const body = sample(v, variant) as Record<string, unknown>;
        // Point topic-creating and -changing requests at scratch names with sane sizes: the
        // samples' 100,000-odd partition counts would make every replay a 100k-partition topic.
        if (api.key === 19) for (const t of body.topics as { name: string; numPartitions: number; replicationFactor: number; assignments: unknown[] }[]) {
          t.name = `${SCRATCH_TOPIC}-c${t.name}`;
          t.numPartitions = 2;
          t.replicationFactor = -1;
          t.assignments = [];
        }
        // Produce samples carry real batches (plain and gzip) for the scratch topic.
        if (api.key === 0) for (const t of body.topicData as { name: string; partitionData: { index: number; records: Buffer | null }[] }[]) {
          t.name = SCRATCH_TOPIC;
          t.partitionData.forEach((p, i) => {
            p.index = i % 2;
            p.records = encodeRecordBatch({
              compression: ((v + i) % 2) as 0 | 1,
              records: [{ key: Buffer.from(`ck${i}`), value: Buffer.from(`codec v${v}`), headers: [{ key: 'h', value: Buffer.from('x') }] }, { key: null, value: null }],
            });
          });
        }
        if (api.key === 37) for (const t of body.topics as { name: string; count: number; assignments: unknown }[]) {
          t.name = SCRATCH_TOPIC;
          t.count = 3;
          t.assignments = null;
        }
        const w = new Writer();
        const size = w.reserveInt32();
        M.encodeRequestHeader(w, M.requestHeaderVersion(api.key, v), {
          requestApiKey: api.key,
          requestApiVersion: v,
          correlationId: correlationId++,
          clientId: variant ? null : 'fz-codec',
        });
        encode(w, v, body);
        w.patchInt32(size, w.length - 4);
        out.push(entry('codec', w.toBuffer()));
      }
    }
  }
  return [...out, ...compressedCorpus(correlationId)];
}

const FIXTURES = new URL('../fixtures/compression/', import.meta.url.replace('/dist/test/', '/test/'));

/**
 * Produce v9 frames whose batches carry payloads made by the real snappy/lz4/zstd/gzip encoders
 * (test/fixtures/compression): our producer and kafkajs only send gzip, and mutating these is
 * what reaches each decompressor (the record contents are not records: the broker must refuse).
 */
function compressedCorpus(firstCorrelationId: number): CorpusEntry[] {
  const files: [string, number][] = [['payload.gz', 1], ['payload.snappy-xerial', 2], ['payload.snappy-raw', 2], ['payload.lz4', 3], ['noise.lz4', 3], ['payload.zst', 4], ['noise.zst', 4]];
  return files.map(([file, codec], i) => {
    const template = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('x') }] });
    const batch = Buffer.concat([template.subarray(0, 61), fs.readFileSync(new URL(file, FIXTURES))]);
    batch.writeInt32BE(batch.length - 12, 8);
    batch.writeInt16BE(codec, 21);
    batch.writeInt32BE(10, 57);
    batch.writeUInt32BE(crc32c(batch, 21), 17);
    const w = new Writer();
    const size = w.reserveInt32();
    M.encodeRequestHeader(w, M.requestHeaderVersion(0, 9), { requestApiKey: 0, requestApiVersion: 9, correlationId: firstCorrelationId + i, clientId: 'fz-codec' });
    M.encodeProduceRequest(w, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: SCRATCH_TOPIC, partitionData: [{ index: 0, records: batch }] }] });
    w.patchInt32(size, w.length - 4);
    return entry('codec', w.toBuffer());
  });
}

/** Split one socket's written byte stream into frames (size prefix included). */
function splitFrames(stream: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let p = 0;
  while (p + 4 <= stream.length) {
    const size = stream.readInt32BE(p);
    if (size < 0 || p + 4 + size > stream.length) break;
    out.push(Buffer.from(stream.subarray(p, p + 4 + size)));
    p += 4 + size;
  }
  return out;
}

/** Record every byte client sockets of this process write while `session` runs. */
async function recordWrites(session: () => Promise<void>): Promise<Buffer[]> {
  const streams = new Map<net.Socket, Buffer[]>();
  const proto = net.Socket.prototype as unknown as { write: (...a: unknown[]) => boolean };
  const original = proto.write;
  proto.write = function (this: net.Socket, ...args: unknown[]) {
    const chunk = args[0];
    if (Buffer.isBuffer(chunk) || chunk instanceof Uint8Array) {
      let list = streams.get(this);
      if (!list) streams.set(this, (list = []));
      list.push(Buffer.from(chunk));
    }
    return original.apply(this, args);
  };
  try {
    await session();
  } finally {
    proto.write = original;
  }
  return [...streams.values()].flatMap((chunks) => splitFrames(Buffer.concat(chunks)));
}

/** A realistic kafkajs session (admin, plain/gzip/idempotent producers, a consumer group), then our producer's. */
export async function captureCorpus(bootstrap: string): Promise<CorpusEntry[]> {
  const kafka = new Kafka({ clientId: 'fz-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  const kafkajsFrames = await recordWrites(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: SCRATCH_TOPIC, numPartitions: 2 }, { topic: SCRATCH_GZIP_TOPIC, numPartitions: 1 }] });
    await admin.fetchTopicMetadata({ topics: [SCRATCH_TOPIC] });
    await admin.describeConfigs({ resources: [{ type: 2, name: SCRATCH_TOPIC }], includeSynonyms: false });
    await admin.describeCluster();
    const producer = kafka.producer();
    await producer.connect();
    const messages = [0, 1, 2, 3].map((i) => ({ key: `k${i}`, value: `value-${i}`, headers: { h: `v${i}` } }));
    await producer.send({ topic: SCRATCH_TOPIC, acks: -1, messages });
    await producer.send({ topic: SCRATCH_GZIP_TOPIC, acks: 1, compression: CompressionTypes.GZIP, messages });
    await producer.disconnect();
    const idem = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await idem.connect();
    await idem.send({ topic: SCRATCH_TOPIC, acks: -1, messages });
    await idem.disconnect();
    await admin.fetchTopicOffsets(SCRATCH_TOPIC);
    await admin.fetchTopicOffsetsByTimestamp(SCRATCH_TOPIC, Date.now() - 60_000);
    const consumer = kafka.consumer({ groupId: SCRATCH_GROUP, maxWaitTimeInMs: 50, heartbeatInterval: 100, sessionTimeout: 10_000, rebalanceTimeout: 10_000 });
    await consumer.connect();
    await consumer.subscribe({ topics: [SCRATCH_TOPIC, SCRATCH_GZIP_TOPIC], fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve) => {
      void consumer.run({
        autoCommitInterval: 50,
        eachMessage: async () => {
          if (++seen === 12) setTimeout(resolve, 400); // a heartbeat and a commit happen meanwhile
        },
      });
    });
    await consumer.disconnect();
    await admin.fetchOffsets({ groupId: SCRATCH_GROUP, topics: [SCRATCH_TOPIC] });
    await admin.describeGroups([SCRATCH_GROUP]);
    await admin.listGroups();
    await admin.deleteTopicRecords({ topic: SCRATCH_TOPIC, partitions: [{ partition: 0, offset: '1' }] });
    await admin.disconnect();
  });
  const ourFrames = await recordWrites(async () => {
    const p = new Producer({ bootstrapServers: bootstrap, clientId: 'fz-producer', compressionType: 'gzip', enableIdempotence: true, lingerMs: 0 });
    for (let i = 0; i < 4; i++) await p.send({ topic: SCRATCH_TOPIC, key: `pk${i}`, value: `pv${i}`, headers: [{ key: 'h', value: Buffer.from('x') }] });
    await p.close();
  });
  // Heartbeats and fetches repeat as timing allows: keep the first few of each kind, so the
  // corpus is much the same from run to run (a saved corpus makes a seed replay exact).
  const seen = new Map<string, number>();
  const unique = new Set<string>();
  return [...kafkajsFrames.map((f) => entry('kafkajs', f)), ...ourFrames.map((f) => entry('producer', f))].filter((e) => {
    const kind = `${e.source}/${e.apiKey}/${e.apiVersion}`;
    const hex = e.frame.toString('hex');
    if (unique.has(hex) || (seen.get(kind) ?? 0) >= 4) return false;
    unique.add(hex);
    seen.set(kind, (seen.get(kind) ?? 0) + 1);
    return true;
  });
}

/** Write a corpus to a file (hex frames), for exact replays of a seed. */
export function saveCorpus(file: string, corpus: CorpusEntry[]): void {
  fs.writeFileSync(file, JSON.stringify(corpus.map((e) => ({ source: e.source, frame: e.frame.toString('hex') }))));
}

export function loadCorpus(file: string): CorpusEntry[] {
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { source: CorpusEntry['source']; frame: string }[];
  return raw.map((e) => entry(e.source, Buffer.from(e.frame, 'hex')));
}

/**
 * The session's captures plus the codec corpus; with `file`, the corpus saved there is used
 * instead (the session still runs: it creates the scratch topics and group) or, when there is
 * none yet, this run's is saved there.
 */
export async function buildCorpus(bootstrap: string, file?: string): Promise<CorpusEntry[]> {
  const fresh = [...(await captureCorpus(bootstrap)), ...codecCorpus()];
  if (!file) return fresh;
  if (fs.existsSync(file)) return loadCorpus(file);
  saveCorpus(file, fresh);
  return fresh;
}
