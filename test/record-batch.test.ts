import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/protocol/errors.js';
import * as RB from '../src/protocol/recordBatch.js';

const { encodeRecordBatch, decodeRecordBatch, decodeRecordBatches, validateProducedRecords } = RB;

const MAX = 1048588;

function sample(n = 3, compression: 0 | 1 = 0): Buffer {
  return encodeRecordBatch({
    compression,
    baseTimestamp: 1_700_000_000_000,
    records: Array.from({ length: n }, (_, i) => ({
      key: Buffer.from(`k${i}`),
      value: Buffer.from(`value-${i}`),
      timestamp: 1_700_000_000_000 + i * 10,
    })),
  });
}

describe('record batch header', () => {
  it('reads and writes int64 including -1 and large values', () => {
    const b = Buffer.alloc(8);
    for (const v of [0, 1, -1, -2, 2 ** 32, 2 ** 32 - 1, -(2 ** 32), 2 ** 53 - 1, -(2 ** 53 - 1), 1_700_000_000_123]) {
      RB.writeInt64(b, 0, v);
      expect(RB.readInt64(b, 0)).toBe(v);
      expect(b.readBigInt64BE(0)).toBe(BigInt(v));
    }
  });

  it('exposes header fields and setters', () => {
    const b = encodeRecordBatch({
      producerId: 77,
      producerEpoch: 3,
      baseSequence: 10,
      transactional: true,
      records: [
        { key: null, value: Buffer.from('a'), timestamp: 1000 },
        { key: null, value: Buffer.from('b'), timestamp: 900 },
      ],
    });
    expect(b.length).toBe(RB.batchSize(b, 0));
    expect(RB.batchLength(b, 0)).toBe(b.length - RB.LOG_OVERHEAD);
    expect(RB.magic(b)).toBe(2);
    expect(RB.baseOffset(b, 0)).toBe(0);
    expect(RB.lastOffsetDelta(b, 0)).toBe(1);
    expect(RB.recordCount(b, 0)).toBe(2);
    expect(RB.baseTimestamp(b, 0)).toBe(1000);
    expect(RB.maxTimestamp(b, 0)).toBe(1000);
    expect(RB.producerId(b, 0)).toBe(77);
    expect(RB.producerEpoch(b, 0)).toBe(3);
    expect(RB.baseSequence(b, 0)).toBe(10);
    expect(RB.isTransactional(b, 0)).toBe(true);
    expect(RB.isControl(b, 0)).toBe(false);
    expect(RB.compression(b, 0)).toBe(0);
    expect(RB.partitionLeaderEpoch(b, 0)).toBe(-1);
    expect(RB.isCrcValid(b, 0)).toBe(true);

    RB.setBaseOffset(b, 0, 123456789012);
    RB.setPartitionLeaderEpoch(b, 0, 7);
    expect(RB.baseOffset(b, 0)).toBe(123456789012);
    expect(RB.lastOffset(b, 0)).toBe(123456789013);
    expect(RB.partitionLeaderEpoch(b, 0)).toBe(7);
    expect(RB.isCrcValid(b, 0)).toBe(true); // both outside the CRC

    RB.setLogAppendTime(b, 0, 5555);
    expect(RB.isLogAppendTime(b, 0)).toBe(true);
    expect(RB.maxTimestamp(b, 0)).toBe(5555);
    expect(RB.isCrcValid(b, 0)).toBe(true);
    const d = decodeRecordBatch(b);
    expect(d.timestampType).toBe('LogAppendTime');
    expect(d.records.map((r) => r.timestamp)).toEqual([5555, 5555]);
    expect(d.records.map((r) => r.offset)).toEqual([123456789012, 123456789013]);
  });
});

describe('varints', () => {
  it('round-trips zigzag varints and varlongs', () => {
    const b = Buffer.alloc(16);
    for (const v of [0, 1, -1, 63, -64, 64, 300, -300, 2 ** 31 - 1, -(2 ** 31)]) {
      const end = RB.writeVarint(b, 0, v);
      expect(end).toBe(RB.sizeOfVarint(v));
      expect(RB.readVarint(b, 0)).toBe(v);
      expect(RB.varintEnd()).toBe(end);
    }
    for (const v of [0, -1, 1, 2 ** 40, -(2 ** 40), 1_700_000_000_000, -1_700_000_000_000, 2 ** 53 - 1]) {
      const end = RB.writeVarlong(b, 0, v);
      expect(end).toBe(RB.sizeOfVarlong(v));
      expect(RB.readVarlong(b, 0)).toBe(v);
      expect(RB.varintEnd()).toBe(end);
    }
  });
});

describe('encode/decode', () => {
  for (const compression of [0, 1] as const) {
    it(`round-trips keys, null keys/values and headers (compression ${compression})`, () => {
      const records = [
        { key: Buffer.from('key-1'), value: Buffer.from('hello'), timestamp: 1_700_000_000_000 },
        { key: null, value: null, timestamp: 1_700_000_000_005, headers: [{ key: 'h1', value: Buffer.from('v1') }, { key: 'h-null', value: null }] },
        { key: Buffer.alloc(0), value: Buffer.alloc(300, 7), timestamp: 1_699_999_999_990 },
        { key: Buffer.from('ü-unicode'), value: Buffer.from('x'), headers: [{ key: 'ключ', value: Buffer.alloc(0) }] },
      ];
      const buf = encodeRecordBatch({ compression, baseOffset: 40, partitionLeaderEpoch: 2, records, baseTimestamp: 1_700_000_000_000 });
      const d = decodeRecordBatch(buf);
      expect(d.compression).toBe(compression);
      expect(d.crcValid).toBe(true);
      expect(d.baseOffset).toBe(40);
      expect(d.lastOffset).toBe(43);
      expect(d.partitionLeaderEpoch).toBe(2);
      expect(d.recordCount).toBe(4);
      expect(d.maxTimestamp).toBe(1_700_000_000_005);
      expect(d.records.map((r) => r.offset)).toEqual([40, 41, 42, 43]);
      expect(d.records[0]!.key!.toString()).toBe('key-1');
      expect(d.records[0]!.value!.toString()).toBe('hello');
      expect(d.records[1]!.key).toBeNull();
      expect(d.records[1]!.value).toBeNull();
      expect(d.records[1]!.headers).toEqual([{ key: 'h1', value: Buffer.from('v1') }, { key: 'h-null', value: null }]);
      expect(d.records[2]!.key!.length).toBe(0);
      expect(d.records[2]!.value).toEqual(Buffer.alloc(300, 7));
      expect(d.records[2]!.timestamp).toBe(1_699_999_999_990);
      expect(d.records[3]!.timestamp).toBe(1_700_000_000_000); // defaults to baseTimestamp
      expect(d.records[3]!.key!.toString()).toBe('ü-unicode');
      expect(d.records[3]!.headers[0]!.key).toBe('ключ');
      expect(validateProducedRecords(RB.encodeRecordBatch({ compression, records }), MAX).errorCode).toBe(0);
    });
  }

  it('decodes concatenated batches and ignores a truncated tail', () => {
    const a = encodeRecordBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.from('a') }] });
    const b = encodeRecordBatch({ baseOffset: 1, records: [{ key: null, value: Buffer.from('b') }, { key: null, value: Buffer.from('c') }] });
    const c = encodeRecordBatch({ baseOffset: 3, records: [{ key: null, value: Buffer.from('d') }] });
    const all = Buffer.concat([a, b, c.subarray(0, c.length - 5)]);
    const ds = decodeRecordBatches(all);
    expect(ds.map((d) => d.baseOffset)).toEqual([0, 1]);
    expect(ds.flatMap((d) => d.records.map((r) => r.value!.toString()))).toEqual(['a', 'b', 'c']);
    const seen: number[] = [];
    expect(RB.forEachBatch(all, (pos, size) => void seen.push(pos, size))).toBe(a.length + b.length);
    expect(seen).toEqual([0, a.length, a.length, b.length]);
    expect([...RB.batches(Buffer.concat([a, b, c]))].length).toBe(3);
  });

  it('walks record timestamps', () => {
    const b = sample(4);
    RB.setBaseOffset(b, 0, 100);
    const got: [number, number][] = [];
    RB.forEachRecordTimestamp(b, 0, (o, t) => void got.push([o, t]));
    expect(got).toEqual([[100, 1_700_000_000_000], [101, 1_700_000_000_010], [102, 1_700_000_000_020], [103, 1_700_000_000_030]]);
  });

  it('refuses payloads it cannot decompress and unknown codecs', () => {
    const b = sample(1);
    b.writeInt16BE(2, RB.ATTRIBUTES_OFFSET); // plain records labelled snappy
    RB.writeCrc(b, 0);
    expect(() => decodeRecordBatch(b)).toThrow(/snappy/);
    b.writeInt16BE(6, RB.ATTRIBUTES_OFFSET);
    RB.writeCrc(b, 0);
    expect(() => decodeRecordBatch(b)).toThrow(/Unknown compression type id: 6/);
  });
});

describe('validateProducedRecords', () => {
  const code = (b: Buffer, max = MAX) => validateProducedRecords(b, max).errorCode;

  it('accepts a valid batch', () => {
    expect(validateProducedRecords(sample(), MAX)).toEqual({ errorCode: 0, batches: 1 });
    expect(code(sample(5, 1))).toBe(0);
    expect(code(encodeRecordBatch({ producerId: 5, producerEpoch: 0, baseSequence: 0, records: [{ key: null, value: null }] }))).toBe(0);
  });

  it('bad CRC → CORRUPT_MESSAGE', () => {
    const b = sample();
    b[b.length - 1]! ^= 0xff;
    expect(code(b)).toBe(ErrorCode.CORRUPT_MESSAGE);
    const c = sample();
    c.writeUInt32BE((c.readUInt32BE(RB.CRC_OFFSET) + 1) >>> 0, RB.CRC_OFFSET);
    expect(code(c)).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  it('wrong magic: 0/1 → INVALID_RECORD, out of range → CORRUPT_MESSAGE', () => {
    const b = sample();
    b.writeInt8(1, RB.MAGIC_OFFSET);
    expect(code(b)).toBe(ErrorCode.INVALID_RECORD);
    b.writeInt8(3, RB.MAGIC_OFFSET);
    expect(code(b)).toBe(ErrorCode.CORRUPT_MESSAGE);
    b.writeInt8(-1, RB.MAGIC_OFFSET);
    expect(code(b)).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  it('lying batch length', () => {
    const longer = sample();
    longer.writeInt32BE(RB.batchLength(longer) + 10, RB.BATCH_LENGTH_OFFSET);
    expect(code(longer)).toBe(ErrorCode.INVALID_RECORD); // no whole batch present (Kafka: "at least one record batch")
    const shorter = sample();
    shorter.writeInt32BE(RB.batchLength(shorter) - 10, RB.BATCH_LENGTH_OFFSET);
    expect(code(shorter)).toBe(ErrorCode.CORRUPT_MESSAGE); // trailing bytes are not a batch
    const tiny = sample();
    tiny.writeInt32BE(5, RB.BATCH_LENGTH_OFFSET);
    expect(code(tiny)).toBe(ErrorCode.CORRUPT_MESSAGE);
    const negative = sample();
    negative.writeInt32BE(-100, RB.BATCH_LENGTH_OFFSET);
    expect(code(negative)).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  it('lying record length inside an uncompressed batch → INVALID_RECORD', () => {
    const b = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('abc') }, { key: null, value: Buffer.from('def') }] });
    // first record's length prefix (a 1-byte varint) at offset 61: make it claim 2 more bytes, fix the CRC
    const len = RB.readVarint(b, RB.RECORDS_OFFSET);
    RB.writeVarint(b, RB.RECORDS_OFFSET, len + 2);
    RB.writeCrc(b, 0);
    expect(code(b)).toBe(ErrorCode.INVALID_RECORD);
    const overrun = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('abc') }] });
    RB.writeVarint(overrun, RB.RECORDS_OFFSET, 60);
    RB.writeCrc(overrun, 0);
    expect(code(overrun)).toBe(ErrorCode.INVALID_RECORD);
  });

  it('truncated → INVALID_RECORD (no whole batch)', () => {
    const b = sample();
    expect(code(b.subarray(0, b.length - 1))).toBe(ErrorCode.INVALID_RECORD);
    expect(code(b.subarray(0, 30))).toBe(ErrorCode.INVALID_RECORD);
    expect(code(b.subarray(0, 5))).toBe(ErrorCode.INVALID_RECORD);
    expect(code(Buffer.alloc(0))).toBe(ErrorCode.INVALID_RECORD);
  });

  it('trailing partial bytes → CORRUPT_MESSAGE', () => {
    const b = sample();
    expect(code(Buffer.concat([b, Buffer.alloc(3)]))).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(code(Buffer.concat([b, sample().subarray(0, 40)]))).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  it('count mismatch → INVALID_RECORD', () => {
    const b = sample(3);
    b.writeInt32BE(2, RB.RECORD_COUNT_OFFSET);
    RB.writeCrc(b, 0);
    expect(code(b)).toBe(ErrorCode.INVALID_RECORD);
    const c = sample(3);
    c.writeInt32BE(3, RB.LAST_OFFSET_DELTA_OFFSET);
    RB.writeCrc(c, 0);
    expect(code(c)).toBe(ErrorCode.INVALID_RECORD);
    // count consistent with lastOffsetDelta but not with the records actually present
    const d = sample(3);
    d.writeInt32BE(4, RB.RECORD_COUNT_OFFSET);
    d.writeInt32BE(3, RB.LAST_OFFSET_DELTA_OFFSET);
    RB.writeCrc(d, 0);
    expect(code(d)).toBe(ErrorCode.INVALID_RECORD);
    const empty = sample(1);
    empty.writeInt32BE(0, RB.RECORD_COUNT_OFFSET);
    empty.writeInt32BE(-1, RB.LAST_OFFSET_DELTA_OFFSET);
    RB.writeCrc(empty, 0);
    expect(code(empty)).toBe(ErrorCode.INVALID_RECORD);
  });

  it('control batch → INVALID_RECORD', () => {
    const b = sample();
    b.writeInt16BE(RB.CONTROL_MASK | RB.TRANSACTIONAL_MASK, RB.ATTRIBUTES_OFFSET);
    RB.writeCrc(b, 0);
    expect(code(b)).toBe(ErrorCode.INVALID_RECORD);
  });

  it('producerId without sequence → INVALID_RECORD', () => {
    expect(code(encodeRecordBatch({ producerId: 9, producerEpoch: 0, baseSequence: -1, records: [{ key: null, value: null }] }))).toBe(ErrorCode.INVALID_RECORD);
  });

  it('non-zero baseOffset → INVALID_RECORD', () => {
    expect(code(encodeRecordBatch({ baseOffset: 5, records: [{ key: null, value: null }] }))).toBe(ErrorCode.INVALID_RECORD);
  });

  it('too large → MESSAGE_TOO_LARGE', () => {
    const b = sample();
    expect(code(b, b.length)).toBe(0);
    expect(code(b, b.length - 1)).toBe(ErrorCode.MESSAGE_TOO_LARGE);
  });

  it('two batches → INVALID_RECORD', () => {
    const r = validateProducedRecords(Buffer.concat([sample(), sample()]), MAX);
    expect(r.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(r.batches).toBe(2);
  });

  it('unknown codec → UNSUPPORTED_COMPRESSION_TYPE; zstd before produce v7 too', () => {
    const b = sample();
    b.writeInt16BE(5, RB.ATTRIBUTES_OFFSET);
    RB.writeCrc(b, 0);
    expect(code(b)).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    const z = sample();
    z.writeInt16BE(4, RB.ATTRIBUTES_OFFSET);
    RB.writeCrc(z, 0);
    expect(validateProducedRecords(z, MAX, 6).errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    expect(validateProducedRecords(z, MAX, 7).errorCode).toBe(0); // compressed payload is not inspected
  });
});
