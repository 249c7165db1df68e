// LogValidator on crafted batches: each rejection Kafka makes, with Kafka's error code, for
// uncompressed and compressed batches; then the same over TCP (Produce through RawClient) with
// a check that nothing was stored (log end offset unchanged); then bounded inflation of stored
// batches on the ListOffsets-by-timestamp path.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateRecordsFromClient, RecordValidationError, type LogValidatorOptions } from '../src/log/LogValidator.js';
import { startCluster, type Cluster } from '../src/index.js';
import { CompressionError, xxhash32 } from '../src/protocol/compression/index.js';
import { ErrorCode } from '../src/protocol/errors.js';
import {
  decodeListOffsetsResponse,
  decodeProduceResponse,
  encodeListOffsetsRequest,
  encodeProduceRequest,
} from '../src/protocol/messages/index.js';
import * as RB from '../src/protocol/recordBatch.js';
import { writeBatchHeader } from '../src/protocol/recordBatchBuilder.js';
import { readAll } from './support/fetchAll.js';
import { RawClient } from './support/RawClient.js';

// ---------------------------------------------------------------------------------------------
// Crafting records and batches byte by byte

function varint(v: number): Buffer {
  const b = Buffer.alloc(10);
  return b.subarray(0, RB.writeVarint(b, 0, v));
}
function varlong(v: number): Buffer {
  const b = Buffer.alloc(10);
  return b.subarray(0, RB.writeVarlong(b, 0, v));
}
const bytesField = (v: Buffer | null): Buffer => (v === null ? varint(-1) : Buffer.concat([varint(v.length), v]));

interface RecordSpec {
  offsetDelta: number;
  tsDelta?: number;
  key?: Buffer | null;
  value?: Buffer | null;
  headers?: [string, Buffer | null][];
  /** Raw headers section instead of `headers` (count varint included). */
  rawHeaders?: Buffer;
  /** Bytes appended inside the record body (after the headers). */
  extra?: Buffer;
  /** Length varint to write instead of the body's real length. */
  length?: number;
}

function record(r: RecordSpec): Buffer {
  const headers =
    r.rawHeaders ??
    Buffer.concat([varint((r.headers ?? []).length), ...(r.headers ?? []).map(([k, v]) => Buffer.concat([bytesField(Buffer.from(k)), bytesField(v)]))]);
  const body = Buffer.concat([
    Buffer.from([0]),
    varlong(r.tsDelta ?? 0),
    varint(r.offsetDelta),
    bytesField(r.key === undefined ? Buffer.from(`k${r.offsetDelta}`) : r.key),
    bytesField(r.value === undefined ? Buffer.from(`v${r.offsetDelta}`) : r.value),
    headers,
    r.extra ?? Buffer.alloc(0),
  ]);
  return Buffer.concat([varint(r.length ?? body.length), body]);
}

const records = (n: number, spec: Partial<RecordSpec> = {}) => Buffer.concat(Array.from({ length: n }, (_, i) => record({ offsetDelta: i, tsDelta: i, ...spec })));

interface BatchSpec {
  codec?: number;
  /** Records section as stored (already compressed when codec != 0). */
  payload: Buffer;
  count: number;
  lastOffsetDelta?: number;
  attributes?: number;
  baseTimestamp?: number;
  maxTimestamp?: number;
  producerId?: number;
  baseSequence?: number;
}

const BASE_TS = 1_700_000_000_000;

function batch(s: BatchSpec): Buffer {
  const buf = Buffer.alloc(RB.BATCH_HEADER_SIZE + s.payload.length);
  writeBatchHeader(buf, 0, {
    size: buf.length,
    attributes: (s.attributes ?? 0) | (s.codec ?? 0),
    recordCount: s.count,
    baseTimestamp: s.baseTimestamp ?? BASE_TS,
    maxTimestamp: s.maxTimestamp ?? (s.baseTimestamp ?? BASE_TS) + s.count - 1,
    producerId: s.producerId ?? -1,
    producerEpoch: s.producerId === undefined ? -1 : 0,
    baseSequence: s.baseSequence ?? -1,
  });
  s.payload.copy(buf, RB.RECORDS_OFFSET);
  buf.writeInt32BE(s.lastOffsetDelta ?? s.count - 1, RB.LAST_OFFSET_DELTA_OFFSET);
  RB.writeCrc(buf, 0);
  return buf;
}

/** A snappy raw block made of literal elements only (valid snappy, no real encoder needed). */
function snappyLiterals(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let n = data.length;
  const pre: number[] = [];
  do {
    pre.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  parts.push(Buffer.from(pre));
  for (let i = 0; i < data.length; i += 60) {
    const chunk = data.subarray(i, i + 60);
    parts.push(Buffer.from([(chunk.length - 1) << 2]), chunk);
  }
  return Buffer.concat(parts);
}

/** An LZ4 frame with one uncompressed block and its checksum (valid LZ4, Kafka's flags), or a wrong checksum. */
function lz4Stored(data: Buffer, badChecksum = false): Buffer {
  const desc = Buffer.from([0x70, 0x40]); // version 1, independent blocks, block checksums; 64 KiB blocks
  const header = Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18]), desc, Buffer.from([(xxhash32(desc) >>> 8) & 0xff])]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE((data.length | 0x80000000) >>> 0);
  const sum = Buffer.alloc(4);
  sum.writeUInt32LE((xxhash32(data) + (badChecksum ? 1 : 0)) >>> 0);
  return Buffer.concat([header, size, data, sum, Buffer.alloc(4)]);
}

/** A zstd frame with one raw block (valid zstd, no encoder needed). */
function zstdRaw(data: Buffer): Buffer {
  const bh = (data.length << 3) | 1; // last block, raw
  return Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, bh & 0xff, (bh >> 8) & 0xff, bh >> 16]), data]);
}

const OPTS: LogValidatorOptions = { maxMessageBytes: 1048588, timestampType: 'CreateTime', now: BASE_TS };

function rejection(b: Buffer, opts: Partial<LogValidatorOptions> = {}): RecordValidationError {
  try {
    validateRecordsFromClient(b, { ...OPTS, ...opts });
  } catch (err) {
    expect(err).toBeInstanceOf(RecordValidationError);
    return err as RecordValidationError;
  }
  throw new Error('the batch was accepted');
}
const codeOf = (b: Buffer, opts: Partial<LogValidatorOptions> = {}) => rejection(b, opts).code;

// ---------------------------------------------------------------------------------------------

describe('LogValidator: accepted batches', () => {
  it.each([
    ['none', 0, (b: Buffer) => b],
    ['gzip', 1, (b: Buffer) => gzipSync(b)],
    ['snappy', 2, snappyLiterals],
    ['lz4', 3, lz4Stored],
    ['zstd', 4, zstdRaw],
  ] as const)('%s: well-formed records pass and the bytes are not re-encoded', (_name, codec, pack) => {
    const payload = pack(records(5, { headers: [['h', Buffer.from('x')], ['n', null]] }));
    const b = batch({ codec, payload, count: 5 });
    const copy = Buffer.from(b);
    validateRecordsFromClient(b, OPTS);
    expect(b.equals(copy)).toBe(true);
    expect(RB.decodeRecordBatch(b).records.map((r) => r.value?.toString())).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it('a lying maxTimestamp is corrected in place (CreateTime), with a valid CRC, payload untouched', () => {
    const payload = gzipSync(records(3));
    const b = batch({ codec: 1, payload, count: 3, maxTimestamp: BASE_TS + 1_000_000 });
    validateRecordsFromClient(b, OPTS);
    expect(RB.maxTimestamp(b)).toBe(BASE_TS + 2);
    expect(RB.isCrcValid(b)).toBe(true);
    expect(b.subarray(RB.RECORDS_OFFSET).equals(payload)).toBe(true);
  });

  it('a client LogAppendTime batch on a CreateTime topic becomes CreateTime (Kafka accepts it)', () => {
    const b = batch({ payload: records(2), count: 2, attributes: RB.TIMESTAMP_TYPE_MASK, maxTimestamp: BASE_TS + 7 });
    validateRecordsFromClient(b, OPTS);
    expect(RB.isLogAppendTime(b)).toBe(false);
    expect(RB.maxTimestamp(b)).toBe(BASE_TS + 7);
    expect(RB.isCrcValid(b)).toBe(true);
  });
});

describe('LogValidator: rejections with Kafka error codes', () => {
  const packs = [
    ['uncompressed', 0, (b: Buffer) => b],
    ['gzip', 1, (b: Buffer) => gzipSync(b)],
    ['snappy', 2, snappyLiterals],
    ['lz4', 3, lz4Stored],
    ['zstd', 4, zstdRaw],
  ] as const;

  it.each(packs)('%s: record count larger than the records present is INVALID_RECORD', (_n, codec, pack) => {
    expect(codeOf(batch({ codec, payload: pack(records(2)), count: 5 }))).toBe(ErrorCode.INVALID_RECORD);
  });

  it.each(packs)('%s: record count smaller than the records present is INVALID_RECORD', (_n, codec, pack) => {
    expect(codeOf(batch({ codec, payload: pack(records(3)), count: 1 }))).toBe(ErrorCode.INVALID_RECORD);
  });

  it('a compressed batch claiming 2^31-1 records (one present) is INVALID_RECORD', () => {
    const b = batch({ codec: 1, payload: gzipSync(records(1)), count: 0x7fffffff });
    expect(b.length).toBeLessThan(120);
    expect(rejection(b).message).toMatch(/premature EOF/);
  });

  it('lastOffsetDelta != recordCount - 1, count <= 0, negative offset range are INVALID_RECORD', () => {
    expect(codeOf(batch({ payload: records(3), count: 3, lastOffsetDelta: 0x7ffffffe }))).toBe(ErrorCode.INVALID_RECORD);
    expect(codeOf(batch({ payload: records(3), count: 0, lastOffsetDelta: 2 }))).toBe(ErrorCode.INVALID_RECORD);
    expect(codeOf(batch({ payload: records(3), count: 3, lastOffsetDelta: -1 }))).toBe(ErrorCode.INVALID_RECORD);
  });

  it.each(packs)('%s: malformed records are INVALID_RECORD', (_n, codec, pack) => {
    const bad: [string, Buffer][] = [
      ['a 6-byte varint length', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])],
      ['length past the end', record({ offsetDelta: 0, length: 200 })],
      ['negative length', record({ offsetDelta: 0, length: -3 })],
      ['key overrunning its record', Buffer.concat([varint(6), Buffer.from([0, 0, 0]), varint(50), Buffer.from('kk')])],
      ['negative header count', record({ offsetDelta: 0, rawHeaders: varint(-1) })],
      ['header count beyond the record', record({ offsetDelta: 0, rawHeaders: varint(1000) })],
      ['negative header key length', record({ offsetDelta: 0, rawHeaders: Buffer.concat([varint(1), varint(-2), varint(-1)]) })],
      ['bytes left inside the record', record({ offsetDelta: 0, extra: Buffer.from([1, 2, 3]) })],
      ['length shorter than the body', record({ offsetDelta: 0, length: 3 })],
    ];
    for (const [what, rec] of bad) {
      const err = rejection(batch({ codec, payload: pack(rec), count: 1 }));
      expect([what, err.code]).toEqual([what, ErrorCode.INVALID_RECORD]);
    }
  });

  it.each(packs)('%s: offset deltas other than 0..n-1 in order are INVALID_RECORD', (_n, codec, pack) => {
    const swapped = Buffer.concat([record({ offsetDelta: 1 }), record({ offsetDelta: 0 })]);
    expect(codeOf(batch({ codec, payload: pack(swapped), count: 2 }))).toBe(ErrorCode.INVALID_RECORD);
    const gap = Buffer.concat([record({ offsetDelta: 0 }), record({ offsetDelta: 5 })]);
    expect(codeOf(batch({ codec, payload: pack(gap), count: 2 }))).toBe(ErrorCode.INVALID_RECORD);
  });

  it('a control batch from a client is INVALID_RECORD; a producer id without a sequence too', () => {
    expect(codeOf(batch({ payload: records(1), count: 1, attributes: RB.CONTROL_MASK }))).toBe(ErrorCode.INVALID_RECORD);
    expect(codeOf(batch({ payload: records(1), count: 1, producerId: 7, baseSequence: -1 }))).toBe(ErrorCode.INVALID_RECORD);
  });

  it.each([
    ['gzip', 1, Buffer.from('not gzip at all, not even close')],
    ['gzip (truncated)', 1, gzipSync(records(20)).subarray(0, 40)],
    ['snappy', 2, Buffer.from([0x05, 0xff, 0xff, 0xff])],
    ['lz4', 3, Buffer.from('garbage that is no lz4 frame')],
    ['lz4 (bad block checksum)', 3, lz4Stored(records(1), true)],
  ] as const)('%s garbage that does not decompress is UNKNOWN_SERVER_ERROR, as Kafka', (_n, codec, payload) => {
    expect(codeOf(batch({ codec, payload, count: 1 }))).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
  });

  it('zstd: a frame holding the records passes; garbage is UNKNOWN_SERVER_ERROR; an empty frame is INVALID_RECORD', () => {
    const ok = batch({ codec: 4, payload: zstdRaw(records(3)), count: 3 });
    validateRecordsFromClient(ok, OPTS);
    expect(codeOf(batch({ codec: 4, payload: Buffer.from('no zstd frame here'), count: 1 }))).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(codeOf(batch({ codec: 4, payload: zstdRaw(Buffer.alloc(0)), count: 1 }))).toBe(ErrorCode.INVALID_RECORD);
  });

  it('codec ids 5..7 are UNSUPPORTED_COMPRESSION_TYPE', () => {
    expect(codeOf(batch({ codec: 6, payload: records(1), count: 1 }))).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  });

  it('a decompression bomb fails at 64 x max.message.bytes (floor 16 MiB) with MESSAGE_TOO_LARGE', () => {
    const value = Buffer.alloc(17 << 20);
    const b = batch({ codec: 1, payload: gzipSync(record({ offsetDelta: 0, value })), count: 1 });
    expect(b.length).toBeLessThan(40_000);
    expect(codeOf(b, { maxMessageBytes: 100_000 })).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    validateRecordsFromClient(b, { ...OPTS, maxMessageBytes: 300_000 }); // 64 x 300 kB > 17 MiB: fine
  });

  it('LogAppendTime from a client on a LogAppendTime topic is INVALID_TIMESTAMP with per-record errors', () => {
    const err = rejection(batch({ payload: records(2), count: 2, attributes: RB.TIMESTAMP_TYPE_MASK }), { timestampType: 'LogAppendTime' });
    expect(err.code).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(err.recordErrors.map((e) => e.batchIndex)).toEqual([0, 1]);
  });

  it('CreateTime outside message.timestamp.before/after.max.ms is INVALID_TIMESTAMP naming the record', () => {
    const b = batch({ payload: Buffer.concat([record({ offsetDelta: 0, tsDelta: 0 }), record({ offsetDelta: 1, tsDelta: 5000 })]), count: 2 });
    const err = rejection(b, { timestampAfterMaxMs: 1000 });
    expect(err.code).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(err.recordErrors.map((e) => e.batchIndex)).toEqual([1]);
    expect(codeOf(b, { now: BASE_TS + 10_000, timestampBeforeMaxMs: 6000 })).toBe(ErrorCode.INVALID_TIMESTAMP);
    validateRecordsFromClient(b, { ...OPTS, timestampAfterMaxMs: 5000 });
  });

  it('a record without a key on a compacted topic is INVALID_RECORD with per-record errors', () => {
    const b = batch({ payload: Buffer.concat([record({ offsetDelta: 0 }), record({ offsetDelta: 1, key: null })]), count: 2 });
    const err = rejection(b, { compacted: true });
    expect(err.code).toBe(ErrorCode.INVALID_RECORD);
    expect(err.recordErrors.map((e) => e.batchIndex)).toEqual([1]);
    validateRecordsFromClient(b, OPTS);
  });
});

describe('LogValidator on mutated batches', () => {
  it.each([
    ['uncompressed', 0, (b: Buffer) => b],
    ['gzip', 1, (b: Buffer) => gzipSync(b)],
    ['snappy', 2, snappyLiterals],
    ['lz4', 3, lz4Stored],
    ['zstd', 4, zstdRaw],
  ] as const)('%s: a flipped byte (CRC recomputed) is accepted or a RecordValidationError, never another error', (_n, codec, pack) => {
    const good = batch({ codec, payload: pack(records(4, { headers: [['h', Buffer.from('v')]] })), count: 4 });
    let seed = 3;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const outcomes = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const b = Buffer.from(good);
      const at = RB.ATTRIBUTES_OFFSET + 2 + Math.floor(rand() * (b.length - RB.ATTRIBUTES_OFFSET - 2));
      b[at] ^= 1 + Math.floor(rand() * 255);
      RB.writeCrc(b, 0);
      try {
        validateRecordsFromClient(b, OPTS);
        outcomes.add('accepted');
      } catch (err) {
        expect(err).toBeInstanceOf(RecordValidationError);
        outcomes.add(String((err as RecordValidationError).code));
      }
    }
    expect(outcomes.size).toBeGreaterThan(1);
  });
});

describe('stored batches inflate within a bound', () => {
  it('ListOffsets reads compressed stored records through a bounded inflate (a 1 GiB bomb stops at the bound)', () => {
    const head = record({ offsetDelta: 0, value: null, extra: Buffer.alloc(0) });
    const zeros = gzipSync(Buffer.alloc(64 << 20));
    const bomb = batch({ codec: 1, payload: Buffer.concat([gzipSync(head), ...Array.from({ length: 16 }, () => zeros)]), count: 1 });
    let error: unknown;
    try {
      RB.forEachRecordTimestamp(bomb, 0, () => true);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CompressionError);
    expect((error as CompressionError).kind).toBe('too-large');
  });
});

// ---------------------------------------------------------------------------------------------
// Over TCP

describe('over TCP: rejected batches are not stored', () => {
  let cluster: Cluster;
  let client: RawClient;

  beforeAll(async () => {
    cluster = await startCluster();
    await cluster.createTopic('bad', { partitions: 1 });
    await cluster.createTopic('times', { partitions: 1 });
    client = await RawClient.connect(cluster.bootstrapServers[0]!);
  });
  afterAll(async () => {
    client?.close();
    await cluster?.close();
  });

  const partition = (topic: string) => cluster.brokers[0]!.replicaManager.getPartition(topic, 0)!;

  async function produce(records: Buffer, topic = 'bad', version = 8) {
    const res = await client.request(0, version, encodeProduceRequest, decodeProduceResponse, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
    });
    return res.responses[0]!.partitionResponses[0]!;
  }

  async function listOffset(topic: string, timestamp: number) {
    const res = await client.request(2, 7, encodeListOffsetsRequest, decodeListOffsetsResponse, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
    });
    return res.topics[0]!.partitions[0]!;
  }

  it.each([
    ['a gzip batch claiming 2^31-1 records', () => batch({ codec: 1, payload: gzipSync(records(1)), count: 0x7fffffff }), ErrorCode.INVALID_RECORD],
    ['an uncompressed batch with a record overrunning', () => batch({ payload: record({ offsetDelta: 0, length: 90 }), count: 1 }), ErrorCode.INVALID_RECORD],
    ['a gzip bomb of 128 MiB', () => batch({ codec: 1, payload: gzipSync(record({ offsetDelta: 0, value: Buffer.alloc(128 << 20) })), count: 1 }), ErrorCode.MESSAGE_TOO_LARGE],
    ['snappy garbage', () => batch({ codec: 2, payload: Buffer.from([0x10, 0x0d, 0xff, 0xff, 0xff, 0xff]), count: 1 }), ErrorCode.UNKNOWN_SERVER_ERROR],
    ['lz4 garbage', () => batch({ codec: 3, payload: Buffer.from('\x04\x22\x4d\x18garbage'), count: 1 }), ErrorCode.UNKNOWN_SERVER_ERROR],
    ['zstd garbage', () => batch({ codec: 4, payload: Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.from('garbage')]), count: 1 }), ErrorCode.UNKNOWN_SERVER_ERROR],
    ['codec id 7', () => batch({ codec: 7, payload: records(1), count: 1 }), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE],
    ['a control batch', () => batch({ payload: records(1), count: 1, attributes: RB.CONTROL_MASK }), ErrorCode.INVALID_RECORD],
    // Kafka: transactional records without a transactional id are refused as an unauthorised one
    ['a transactional batch without a transactional id', () => batch({ payload: records(1), count: 1, attributes: RB.TRANSACTIONAL_MASK, producerId: 1, baseSequence: 0 }), ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED],
  ] as const)('%s: its error code, no offset, log end offset unchanged', async (_n, make, code) => {
    const before = partition('bad').log.logEndOffset;
    const res = await produce(make());
    expect(res.errorCode).toBe(code);
    expect(res.baseOffset).toBe(-1);
    expect(partition('bad').log.logEndOffset).toBe(before);
  });

  it('zstd in Produce v3-v6 is UNSUPPORTED_COMPRESSION_TYPE (KIP-110), in v7+ it is stored', async () => {
    const before = partition('bad').log.logEndOffset;
    const zstd = () => batch({ codec: 4, payload: zstdRaw(records(2)), count: 2 });
    expect((await produce(zstd(), 'bad', 6)).errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    expect(partition('bad').log.logEndOffset).toBe(before);
    expect((await produce(zstd(), 'bad', 7)).errorCode).toBe(0);
    expect(partition('bad').log.logEndOffset).toBe(before + 2);
  });

  it('per-record errors reach the client (Produce v8): a keyless record on a compacted topic', async () => {
    await cluster.createTopic('compacted', { partitions: 1, config: { 'cleanup.policy': 'compact' } });
    const b = batch({ payload: Buffer.concat([record({ offsetDelta: 0 }), record({ offsetDelta: 1, key: null })]), count: 2 });
    const res = await produce(b, 'compacted');
    expect(res.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(res.recordErrors).toEqual([{ batchIndex: 1, batchIndexErrorMessage: 'Compacted topic cannot accept message without key' }]);
    expect(partition('compacted').log.logEndOffset).toBe(0);
  });

  it('the broker still takes good batches of every codec and reads them back exactly', async () => {
    const before = partition('bad').log.logEndOffset;
    for (const [codec, pack] of [
      [0, (b: Buffer) => b],
      [1, (b: Buffer) => gzipSync(b)],
      [2, snappyLiterals],
      [3, lz4Stored],
    ] as const) {
      const res = await produce(batch({ codec, payload: pack(records(3)), count: 3 }));
      expect(res.errorCode).toBe(0);
    }
    expect(partition('bad').log.logEndOffset).toBe(before + 12);
    const values = (await readAll(cluster.bootstrapServers[0]!, 'bad', 0, before)).map((r) => r.value);
    expect(values).toEqual(Array.from({ length: 4 }, () => ['v0', 'v1', 'v2']).flat());
  });

  it('ListOffsets by timestamp finds the exact record inside snappy and lz4 batches', async () => {
    const spaced = (n: number) => Buffer.concat(Array.from({ length: n }, (_, i) => record({ offsetDelta: i, tsDelta: i * 1000 })));
    expect((await produce(batch({ codec: 2, payload: snappyLiterals(spaced(3)), count: 3, maxTimestamp: BASE_TS + 2000 }), 'times')).errorCode).toBe(0);
    expect((await produce(batch({ codec: 3, payload: lz4Stored(spaced(3)), count: 3, baseTimestamp: BASE_TS + 10_000, maxTimestamp: BASE_TS + 12_000 }), 'times')).errorCode).toBe(0);
    expect(await listOffset('times', BASE_TS + 1500)).toMatchObject({ errorCode: 0, offset: 2, timestamp: BASE_TS + 2000 });
    expect(await listOffset('times', BASE_TS + 10_500)).toMatchObject({ errorCode: 0, offset: 4, timestamp: BASE_TS + 11_000 });
  });

  it('ListOffsets over a stored 1 GiB bomb (written before validation existed) answers from the batch header, bounded', async () => {
    await cluster.createTopic('stored-bomb', { partitions: 1 });
    const head = record({ offsetDelta: 0, tsDelta: 0, value: null });
    const zeros = gzipSync(Buffer.alloc(64 << 20));
    const bomb = batch({ codec: 1, payload: Buffer.concat([gzipSync(head), ...Array.from({ length: 16 }, () => zeros)]), count: 1, maxTimestamp: BASE_TS });
    partition('stored-bomb').appendRecordsToLeader(bomb, 1); // bypasses Produce's validation
    const start = Date.now();
    const res = await listOffset('stored-bomb', BASE_TS - 5);
    expect(res).toMatchObject({ errorCode: 0, offset: 0, timestamp: BASE_TS });
    expect(Date.now() - start).toBeLessThan(10_000);
  });
});
