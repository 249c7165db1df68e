// The codecs of src/protocol/compression against data written by real encoders (fixtures made
// once by test/fixtures/compression/generate.py with libsnappy, liblz4, libzstd and zlib):
// exact round trips, Kafka's framing rules (xerial and raw snappy; LZ4 frames with independent
// blocks, descriptor and block checksums), the output bound (a bomb fails without inflating
// past it) and truncated or garbage input (a CompressionError, never a crash or a hang).
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import {
  CODEC_GZIP,
  CODEC_LZ4,
  CODEC_SNAPPY,
  CODEC_ZSTD,
  CompressionError,
  decompress,
  decompressionLimit,
  isCodecSupported,
  lz4Decompress,
  snappyDecompress,
  xxhash32,
  zstdDecompress,
} from '../src/protocol/compression/index.js';
import { decodeProduceResponse, encodeProduceRequest } from '../src/protocol/messages/index.js';
import { ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET, encodeRecordBatch, RECORDS_OFFSET, writeCrc } from '../src/protocol/recordBatch.js';
import { fetchBatches, readAll } from './support/fetchAll.js';
import { RawClient } from './support/RawClient.js';

const dir = new URL('./fixtures/compression/', import.meta.url);
const fixture = (name: string): Buffer => readFileSync(new URL(name, dir));
// node:zlib is itself a real gzip decoder: the original payload is the gzip fixture inflated.
const payload = gunzipSync(fixture('payload.gz'));

function errorOf(fn: () => unknown): CompressionError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CompressionError);
    return err as CompressionError;
  }
  throw new Error('expected a CompressionError');
}

describe('real encoders round trip', () => {
  it('the fixture payload is what generate.py wrote', () => {
    expect(payload.length).toBeGreaterThan(70_000);
    expect(payload.toString('utf8', 0, 2)).toBe('0 ');
  });

  it.each([
    ['payload.gz', CODEC_GZIP],
    ['payload.snappy-raw', CODEC_SNAPPY],
    ['payload.snappy-xerial', CODEC_SNAPPY],
    ['payload.lz4', CODEC_LZ4],
    ['payload-plain.lz4', CODEC_LZ4],
  ])('%s decodes to the exact payload', (name, codec) => {
    expect(decompress(codec, fixture(name), 1 << 20).equals(payload)).toBe(true);
  });

  it('an LZ4 block stored uncompressed (incompressible data) decodes', () => {
    const noise = fixture('noise.lz4');
    expect(noise[4]! & 0x08).not.toBe(0); // content size present: the first block size is at 4+2+8+1
    expect(noise.readUInt32LE(15) & 0x80000000).not.toBe(0); // stored as-is
    expect(lz4Decompress(noise, 4096).equals(fixture('noise.bin'))).toBe(true);
  });

  it('LZ4 frames with linked blocks are refused, as Kafka refuses them', () => {
    expect(errorOf(() => lz4Decompress(fixture('payload-linked.lz4'), 1 << 20)).message).toMatch(/dependent block/);
  });

  it('xerial snappy streams concatenated (snappy-java appends headers) decode as one', () => {
    const x = fixture('payload.snappy-xerial');
    expect(snappyDecompress(Buffer.concat([x, x]), 1 << 20).equals(Buffer.concat([payload, payload]))).toBe(true);
  });

  it.each(['payload.zst', 'payload-19.zst', 'payload-frames.zst'])('%s decodes to the exact payload with the pure-TS zstd decoder', (name) => {
    expect(zstdDecompress(fixture(name), 1 << 20).equals(payload)).toBe(true);
  });

  it('zstd: several blocks with repeat tables (payload x3), and incompressible data', () => {
    expect(zstdDecompress(fixture('payload-x3.zst'), 1 << 20).equals(Buffer.concat([payload, payload, payload]))).toBe(true);
    expect(zstdDecompress(fixture('noise.zst'), 4096).equals(fixture('noise.bin'))).toBe(true);
  });

  it('zstd through decompress() (node:zlib where it has zstd, else the pure-TS decoder)', () => {
    expect(isCodecSupported(CODEC_ZSTD)).toBe(true);
    expect(decompress(CODEC_ZSTD, fixture('payload-19.zst'), 1 << 20).equals(payload)).toBe(true);
  });

  it('xxHash32 matches the reference vectors', () => {
    expect(xxhash32(Buffer.alloc(0))).toBe(0x02cc5d05);
    expect(xxhash32(Buffer.from('a'))).toBe(0x550d7456);
    expect(xxhash32(Buffer.from('abc'))).toBe(0x32d153ff);
    expect(xxhash32(Buffer.from('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f);
  });
});

describe('the output bound', () => {
  it.each([
    ['payload.gz', CODEC_GZIP],
    ['payload.snappy-raw', CODEC_SNAPPY],
    ['payload.snappy-xerial', CODEC_SNAPPY],
    ['payload.lz4', CODEC_LZ4],
    ['payload.zst', CODEC_ZSTD],
    ['payload-frames.zst', CODEC_ZSTD],
  ])('%s with a bound one byte short is too-large', (name, codec) => {
    expect(errorOf(() => decompress(codec, fixture(name), payload.length - 1)).kind).toBe('too-large');
    expect(decompress(codec, fixture(name), payload.length).length).toBe(payload.length);
    if (codec === CODEC_ZSTD) expect(errorOf(() => zstdDecompress(fixture(name), payload.length - 1)).kind).toBe('too-large');
  });

  it('a zstd bomb (RLE blocks of 128 KiB, 4 bytes each) fails at the bound', () => {
    const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58]); // no content size; window descriptor 0x58 (2 MiB)
    const rle = Buffer.from([((128 * 1024) << 3) & 0xff | 2, ((128 * 1024) << 3) >> 8 & 0xff, ((128 * 1024) << 3) >> 16, 0x61]);
    const last = Buffer.from(rle);
    last[0] |= 1;
    const frame = Buffer.concat([header, ...Array.from({ length: 8191 }, () => rle), last]); // 1 GiB in 32 KiB
    expect(frame.length).toBeLessThan(40_000);
    const small = Buffer.concat([header, last]);
    expect(zstdDecompress(small, 1 << 20).equals(Buffer.alloc(128 * 1024, 0x61))).toBe(true);
    expect(errorOf(() => zstdDecompress(frame, 16 << 20)).kind).toBe('too-large');
  });

  it('a zstd frame announcing more content than the bound fails before decoding', () => {
    const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0x00, 0x00, 0x00, 0x40]); // single segment, 4-byte size 1 GiB
    expect(errorOf(() => zstdDecompress(Buffer.concat([header, Buffer.from([1, 0, 0])]), 1 << 20)).kind).toBe('too-large');
  });

  it('a gzip bomb (1 GiB of zeros in ~1 MiB) fails at the bound, quickly and without holding 1 GiB', () => {
    const chunk = gzipSync(Buffer.alloc(64 << 20)); // 64 MiB of zeros -> ~64 KiB
    const bomb = Buffer.concat(Array.from({ length: 16 }, () => chunk)); // gzip members concatenate
    const before = process.memoryUsage().arrayBuffers;
    const start = Date.now();
    expect(errorOf(() => decompress(CODEC_GZIP, bomb, 16 << 20)).kind).toBe('too-large');
    expect(Date.now() - start).toBeLessThan(5_000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(256 << 20);
  });

  it('a raw snappy block announcing 4 GiB fails before allocating', () => {
    const block = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x61]);
    expect(errorOf(() => snappyDecompress(block, 1 << 20)).kind).toBe('too-large');
  });

  it('an LZ4 bomb (4 MB blocks of 16 KB each) fails at the bound', () => {
    // one block: literal 'a', a match at offset 1 of 4 + 15 + 255 * 15686 + 51 bytes, five literals
    const blockBody = Buffer.concat([
      Buffer.from([0x1f, 0x61, 0x01, 0x00]),
      Buffer.alloc(15686, 0xff),
      Buffer.from([51, 0x50, 0x61, 0x61, 0x61, 0x61, 0x61]),
    ]);
    const desc = Buffer.from([0x60, 0x70]); // FLG: version 1, independent blocks; BD: 4 MiB blocks
    const header = Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18]), desc, Buffer.from([(xxhash32(desc) >>> 8) & 0xff])]);
    const size = Buffer.alloc(4);
    size.writeUInt32LE(blockBody.length);
    const one = lz4Decompress(Buffer.concat([header, size, blockBody, Buffer.alloc(4)]), 8 << 20);
    expect(one.length).toBe(4_000_006);
    expect(one.every((b) => b === 0x61)).toBe(true);
    const frame = Buffer.concat([header, ...Array.from({ length: 64 }, () => Buffer.concat([size, blockBody])), Buffer.alloc(4)]);
    expect(frame.length).toBeLessThan(1.1e6); // would inflate to 256 MB
    expect(errorOf(() => lz4Decompress(frame, 32 << 20)).kind).toBe('too-large');
  });

  it('the broker bound is 64 x max.message.bytes between 16 MiB and 512 MiB', () => {
    expect(decompressionLimit(1048588)).toBe(64 * 1048588);
    expect(decompressionLimit(1000)).toBe(16 << 20);
    expect(decompressionLimit(100 << 20)).toBe(512 << 20);
  });
});

describe('truncated and garbage input', () => {
  const cases: [string, number, string][] = [
    ['payload.gz', CODEC_GZIP, 'gzip'],
    ['payload.snappy-raw', CODEC_SNAPPY, 'snappy raw'],
    ['payload.snappy-xerial', CODEC_SNAPPY, 'snappy xerial'],
    ['payload.lz4', CODEC_LZ4, 'lz4'],
    ['payload-plain.lz4', CODEC_LZ4, 'lz4 without checksums'],
    ['payload.zst', CODEC_ZSTD, 'zstd'],
    ['payload-19.zst', CODEC_ZSTD, 'zstd level 19'],
  ];

  it.each(cases)('%s cut at many points is corrupt', (name, codec) => {
    const full = fixture(name);
    for (const cut of [1, 5, 7, 17, 100, full.length >> 1, full.length - 1]) {
      expect(errorOf(() => decompress(codec, full.subarray(0, cut), 1 << 20)).kind).toBe('corrupt');
    }
  });

  it.each(cases)('%s with flipped bytes never crashes, hangs or exceeds the bound', (name, codec) => {
    const full = fixture(name);
    let seed = 7;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 200; i++) {
      const bad = Buffer.from(full);
      for (let k = 0; k < 3; k++) bad[Math.floor(rand() * bad.length)] ^= 1 + Math.floor(rand() * 255);
      try {
        const out = decompress(codec, bad, 1 << 17);
        expect(out.length).toBeLessThanOrEqual(1 << 17);
      } catch (err) {
        expect(err).toBeInstanceOf(CompressionError);
      }
    }
  });

  it('LZ4: a corrupted descriptor, block checksum or block size is corrupt', () => {
    const good = fixture('payload.lz4');
    const hc = Buffer.from(good);
    hc[14] ^= 0xff; // FLG 0x7c: content size present, so the HC byte is at 4+2+8
    expect(errorOf(() => lz4Decompress(hc, 1 << 20)).message).toMatch(/descriptor/);
    const sum = Buffer.from(good);
    const firstBlock = sum.readUInt32LE(15) & 0x7fffffff;
    sum[19 + firstBlock] ^= 1;
    expect(errorOf(() => lz4Decompress(sum, 1 << 20)).message).toMatch(/checksum/);
    const big = Buffer.from(good);
    big.writeUInt32LE(70_000, 15);
    expect(errorOf(() => lz4Decompress(big, 1 << 20)).message).toMatch(/exceeded max/);
  });

  it('snappy: copies reaching before the output start are corrupt', () => {
    expect(errorOf(() => snappyDecompress(Buffer.from([0x08, 0x01, 0x05, 0x61, 0x62]), 100)).kind).toBe('corrupt');
    expect(errorOf(() => snappyDecompress(Buffer.from([0x08, 0x05, 0x09]), 100)).kind).toBe('corrupt');
  });

  it.each(['payload.zst', 'payload-19.zst', 'payload-x3.zst'])('%s with flipped bytes in the pure-TS decoder: a CompressionError or bounded output', (name) => {
    const full = fixture(name);
    let seed = 11;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 300; i++) {
      const bad = Buffer.from(full);
      for (let k = 0; k < 2; k++) bad[Math.floor(rand() * bad.length)] ^= 1 + Math.floor(rand() * 255);
      try {
        expect(zstdDecompress(bad, 1 << 18).length).toBeLessThanOrEqual(1 << 18);
      } catch (err) {
        expect(err).toBeInstanceOf(CompressionError);
      }
    }
  });

  it('unknown codec ids 5..7 are unsupported', () => {
    for (const c of [5, 6, 7]) expect(errorOf(() => decompress(c, Buffer.from('x'), 10)).kind).toBe('unsupported');
  });
});

// ---------------------------------------------------------------------------------------------
// Through the broker: batches whose records were compressed by real encoders (python3-snappy,
// python3-lz4, python3-zstandard at test time) are validated, stored as sent and read back
// exactly; and a real client, librdkafka (Debian's python3-confluent-kafka 2.0.2), producing
// with compression.type=zstd (decoded by node:zlib or, on Node 20, the pure-TS decoder).
//
// librdkafka < 2.11.1 compresses gzip/snappy/lz4 only when the broker advertises Produce v0
// (its compr_req table checks Produce 0..0); minikafka advertises Produce v3-9, so that
// librdkafka sends those codecs uncompressed and only zstd (Produce >= 7) reaches the broker
// compressed from it.

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./support/librdkafka_produce.py', import.meta.url));
const canImport = (mod: string) => spawnSync(PYTHON, ['-c', `import ${mod}`], { stdio: 'ignore' }).status === 0;
const hasLibrdkafka = canImport('confluent_kafka');
const hasPyCodecs = canImport('snappy, lz4.frame, zstandard');
if (!hasLibrdkafka) console.warn('librdkafka compression test skipped: /usr/bin/python3 cannot import confluent_kafka');
if (!hasPyCodecs) console.warn('real-encoder batch tests skipped: apt-get install python3-snappy python3-lz4 python3-zstandard');

/** Compress with a real encoder through python3 (run before the broker is busy: spawnSync blocks). */
function pyCompress(codec: string, data: Buffer): Buffer {
  const code: Record<string, string> = {
    'snappy-raw': 'import snappy; out = snappy.compress(data)',
    'snappy-xerial':
      "import snappy, struct\nout = b'\\x82SNAPPY\\x00' + struct.pack('>ii', 1, 1)\nfor i in range(0, len(data), 4096):\n    b = snappy.compress(data[i:i+4096]); out += struct.pack('>i', len(b)) + b",
    lz4: 'import lz4.frame; out = lz4.frame.compress(data, block_linked=False, block_checksum=True, content_checksum=True)',
    zstd: 'import zstandard; out = zstandard.ZstdCompressor().compress(data)',
  };
  const script = `import sys\ndata = sys.stdin.buffer.read()\n${code[codec]}\nsys.stdout.buffer.write(out)`;
  const r = spawnSync(PYTHON, ['-c', script], { input: data, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python3 ${codec}: ${r.stderr.toString()}`);
  return r.stdout;
}

/** A batch of n records (values `${prefix}${i}`) whose records section is compressed by `compressor`. */
function compressedBatch(codec: number, n: number, prefix: string, compressor: (raw: Buffer) => Buffer): Buffer {
  const plain = encodeRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`${prefix}${i}`) })) });
  const body = compressor(plain.subarray(RECORDS_OFFSET));
  const out = Buffer.alloc(RECORDS_OFFSET + body.length);
  plain.copy(out, 0, 0, RECORDS_OFFSET);
  body.copy(out, RECORDS_OFFSET);
  out.writeInt32BE(out.length - 12, BATCH_LENGTH_OFFSET);
  out.writeInt16BE(codec, ATTRIBUTES_OFFSET);
  writeCrc(out, 0);
  return out;
}

/** Read a partition from offset 0 with a librdkafka consumer (assign, no group): the values, in order. */
function rdkConsume(bootstrap: string, topic: string, count: number): Promise<string[]> {
  const script = [
    'import json, sys',
    'from confluent_kafka import Consumer, TopicPartition',
    "c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': 'rdk-read', 'enable.auto.commit': False})",
    'c.assign([TopicPartition(sys.argv[2], 0, 0)])',
    'out = []',
    'while len(out) < int(sys.argv[3]):',
    '    m = c.poll(20)',
    '    if m is None: break',
    '    if m.error(): out.append("error: " + m.error().str()); break',
    '    out.append(m.value().decode())',
    'c.close()',
    'print(json.dumps(out))',
  ].join('\n');
  return new Promise((resolve, reject) => {
    execFile(PYTHON, ['-c', script, bootstrap, topic, String(count)], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as string[]);
    });
  });
}

interface Report {
  undelivered: number;
  reports: { value: string; error: string | null; offset: number }[];
}

function rdkProduce(bootstrap: string, topic: string, count: number, config: Record<string, unknown>): Promise<Report> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT, bootstrap, topic, String(count), JSON.stringify(config)], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Report);
    });
  });
}

async function storedCodecs(bootstrap: string, topic: string): Promise<number[]> {
  const client = await RawClient.connect(bootstrap);
  try {
    const res = await fetchBatches(client, topic, 0, 0, 64 << 20);
    return res.batches.map((b) => b.compression);
  } finally {
    client.close();
  }
}

describe('through the broker', () => {
  let cluster: Cluster;
  let client: RawClient;
  beforeAll(async () => {
    cluster = await startCluster();
    client = await RawClient.connect(cluster.bootstrapServers[0]!);
  });
  afterAll(async () => {
    client?.close();
    await cluster?.close();
  });

  async function produce(topic: string, records: Buffer) {
    const res = await client.request(0, 8, encodeProduceRequest, decodeProduceResponse, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
    });
    return res.responses[0]!.partitionResponses[0]!;
  }

  it.runIf(hasPyCodecs).each([
    ['snappy-raw', CODEC_SNAPPY],
    ['snappy-xerial', CODEC_SNAPPY],
    ['lz4', CODEC_LZ4],
    ['zstd', CODEC_ZSTD],
  ] as const)('%s batches from a real encoder: stored as sent, read back exactly by our reader and a librdkafka consumer', async (name, codec) => {
    const topic = `real-${name}`;
    const batches = [0, 1, 2].map((b) => compressedBatch(codec, 500, `${name}-${b}-`, (raw) => pyCompress(name, raw)));
    await cluster.createTopic(topic, { partitions: 1 });
    const codes = [];
    for (const b of batches) codes.push((await produce(topic, Buffer.from(b))).errorCode);
    const bootstrap = cluster.bootstrapServers[0]!;
    expect(codes).toEqual([0, 0, 0]);
    const values = (await readAll(bootstrap, topic)).map((r) => r.value);
    expect(values).toEqual([0, 1, 2].flatMap((b) => Array.from({ length: 500 }, (_, i) => `${name}-${b}-${i}`)));
    expect(await storedCodecs(bootstrap, topic)).toEqual([codec, codec, codec]);
    // a real client decodes what the broker stored
    if (hasLibrdkafka) expect(await rdkConsume(bootstrap, topic, 1500)).toEqual(values);
    // stored byte for byte as sent (offsets and leader epoch aside, which are outside the CRC)
    const stored = (await fetchBatches(client, topic, 0, 0, 64 << 20)).records!;
    expect(stored.subarray(ATTRIBUTES_OFFSET, batches[0]!.length).equals(batches[0]!.subarray(ATTRIBUTES_OFFSET))).toBe(true);
  });

  it.runIf(hasLibrdkafka)('librdkafka with compression.type=zstd: stored as sent and read back exactly', async () => {
    const topic = 'rdk-zstd';
    await cluster.createTopic(topic, { partitions: 1 });
    const bootstrap = cluster.bootstrapServers[0]!;
    const N = 3000;
    const report = await rdkProduce(bootstrap, topic, N, { 'compression.type': 'zstd', 'batch.num.messages': 1000, 'linger.ms': 50 });
    expect(report.reports.filter((r) => r.error)).toEqual([]);
    expect((await readAll(bootstrap, topic)).map((r) => r.value)).toEqual(Array.from({ length: N }, (_, i) => `m${i}`));
    // librdkafka sends a batch uncompressed when zstd would not make it smaller (a small tail
    // batch, depending on timing): zstd must be there, and nothing but zstd or none.
    const codecs = new Set(await storedCodecs(bootstrap, topic));
    expect(codecs.has(CODEC_ZSTD)).toBe(true);
    expect([...codecs].every((c) => c === CODEC_ZSTD || c === 0)).toBe(true);
  });
});
