// Kafka record batch v2 (magic 2): header accessors, produce-time validation without decoding,
// batch iteration, and an encoder/decoder used by tests and clients. The producer's in-place
// batch writing is in recordBatchBuilder.ts.
//
// Header (big-endian), 61 bytes:
//   0 baseOffset int64 | 8 batchLength int32 | 12 partitionLeaderEpoch int32 | 16 magic int8
//   17 crc uint32 (CRC-32C of bytes 21..end) | 21 attributes int16 | 23 lastOffsetDelta int32
//   27 baseTimestamp int64 | 35 maxTimestamp int64 | 43 producerId int64 | 51 producerEpoch int16
//   53 baseSequence int32 | 57 recordCount int32 | 61 records...

import { gzipSync } from 'node:zlib';
import { DEFAULT_DECOMPRESSION_LIMIT, decompress } from './compression/index.js';
import { crc32c } from './crc32c.js';
import { ErrorCode } from './errors.js';
import {
  isSafeInt64At,
  readInt64,
  readVarint,
  readVarlong,
  sizeOfVarint,
  sizeOfVarlong,
  varintEnd,
  writeInt64,
  writeVarint,
  writeVarlong,
} from './byteUtils.js';

// The varint and int64 codecs live in byteUtils.ts; record code uses them by position.
export { readInt64, readVarint, readVarlong, sizeOfVarint, sizeOfVarlong, varintEnd, writeInt64, writeVarint, writeVarlong };

export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORD_COUNT_OFFSET = 57;
export const RECORDS_OFFSET = 61;
export const BATCH_HEADER_SIZE = 61;
/** baseOffset + batchLength: bytes before what batchLength counts. */
export const LOG_OVERHEAD = 12;
/** Bytes needed to read up to and including the magic byte. */
export const HEADER_SIZE_UP_TO_MAGIC = 17;
/** Smallest legal value of the batchLength field for any magic (legacy v0 record overhead). */
export const MIN_RECORD_OVERHEAD_V0 = 14;
export const CURRENT_MAGIC = 2;

export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_MASK = 0x10;
export const CONTROL_MASK = 0x20;

export const Compression = { NONE: 0, GZIP: 1, SNAPPY: 2, LZ4: 3, ZSTD: 4 } as const;
export const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

// ---------------------------------------------------------------------------------------------
// Header accessors (pos = start of the batch in buf)

export const baseOffset = (buf: Buffer, pos = 0): number => readInt64(buf, pos);
export const batchLength = (buf: Buffer, pos = 0): number => buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
/** Whole batch size in bytes including the 12-byte log overhead. */
export const batchSize = (buf: Buffer, pos = 0): number => buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
export const partitionLeaderEpoch = (buf: Buffer, pos = 0): number => buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET);
export const magic = (buf: Buffer, pos = 0): number => buf.readInt8(pos + MAGIC_OFFSET);
export const crc = (buf: Buffer, pos = 0): number => buf.readUInt32BE(pos + CRC_OFFSET);
export const attributes = (buf: Buffer, pos = 0): number => buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
export const compression = (buf: Buffer, pos = 0): number => buf[pos + ATTRIBUTES_OFFSET + 1]! & COMPRESSION_MASK;
export const isLogAppendTime = (buf: Buffer, pos = 0): boolean => (buf[pos + ATTRIBUTES_OFFSET + 1]! & TIMESTAMP_TYPE_MASK) !== 0;
export const isTransactional = (buf: Buffer, pos = 0): boolean => (buf[pos + ATTRIBUTES_OFFSET + 1]! & TRANSACTIONAL_MASK) !== 0;
export const isControl = (buf: Buffer, pos = 0): boolean => (buf[pos + ATTRIBUTES_OFFSET + 1]! & CONTROL_MASK) !== 0;
export const lastOffsetDelta = (buf: Buffer, pos = 0): number => buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
/** baseOffset + lastOffsetDelta. */
export const lastOffset = (buf: Buffer, pos = 0): number => readInt64(buf, pos) + buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
export const baseTimestamp = (buf: Buffer, pos = 0): number => readInt64(buf, pos + BASE_TIMESTAMP_OFFSET);
export const maxTimestamp = (buf: Buffer, pos = 0): number => readInt64(buf, pos + MAX_TIMESTAMP_OFFSET);
export const producerId = (buf: Buffer, pos = 0): number => readInt64(buf, pos + PRODUCER_ID_OFFSET);
export const producerEpoch = (buf: Buffer, pos = 0): number => buf.readInt16BE(pos + PRODUCER_EPOCH_OFFSET);
export const baseSequence = (buf: Buffer, pos = 0): number => buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET);
export const recordCount = (buf: Buffer, pos = 0): number => buf.readInt32BE(pos + RECORD_COUNT_OFFSET);

/** Set baseOffset in place (not covered by the CRC). */
export function setBaseOffset(buf: Buffer, pos: number, offset: number): void {
  writeInt64(buf, pos, offset);
}

/** Set partitionLeaderEpoch in place (not covered by the CRC). */
export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + PARTITION_LEADER_EPOCH_OFFSET);
}

/** CRC-32C the batch at pos should carry (over attributes..end). */
export function computeCrc(buf: Buffer, pos = 0): number {
  return crc32c(buf, pos + ATTRIBUTES_OFFSET, pos + LOG_OVERHEAD + batchLength(buf, pos));
}

/** Recompute and store the CRC of the batch at pos. */
export function writeCrc(buf: Buffer, pos = 0): void {
  buf.writeUInt32BE(computeCrc(buf, pos), pos + CRC_OFFSET);
}

/** True when the stored CRC matches the batch's bytes (batch must be whole within buf). */
export function isCrcValid(buf: Buffer, pos = 0): boolean {
  return computeCrc(buf, pos) === crc(buf, pos);
}

/** Mark the batch as LogAppendTime with the given timestamp (attribute bit 3 + maxTimestamp), recompute the CRC. */
export function setLogAppendTime(buf: Buffer, pos: number, ts: number): void {
  const attrs = buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
  buf.writeInt16BE(attrs | TIMESTAMP_TYPE_MASK, pos + ATTRIBUTES_OFFSET);
  writeInt64(buf, pos + MAX_TIMESTAMP_OFFSET, ts);
  writeCrc(buf, pos);
}

// ---------------------------------------------------------------------------------------------
// Batch iteration

/**
 * Size of the whole batch starting at pos (LOG_OVERHEAD + batchLength) if it lies entirely within
 * [pos, end), else -1 (partial, or a batchLength too small to be a v2 batch).
 */
export function wholeBatchSize(buf: Buffer, pos: number, end = buf.length): number {
  if (end - pos < LOG_OVERHEAD) return -1;
  const len = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
  if (len < BATCH_HEADER_SIZE - LOG_OVERHEAD) return -1;
  const size = len + LOG_OVERHEAD;
  return end - pos >= size ? size : -1;
}

/**
 * Calls fn(pos, size) for each whole batch in a buffer of concatenated batches, stopping at a partial
 * (or impossibly short) trailing batch. Returns the number of bytes covered by whole batches.
 * fn may return false to stop early.
 */
export function forEachBatch(buf: Buffer, fn: (pos: number, size: number) => boolean | void): number {
  let pos = 0;
  for (;;) {
    const size = wholeBatchSize(buf, pos);
    if (size < 0) return pos;
    if (fn(pos, size) === false) return pos + size;
    pos += size;
  }
}

/** Iterator over the whole batches in buf as { pos, size }. */
export function* batches(buf: Buffer): Generator<{ pos: number; size: number }> {
  let pos = 0;
  for (;;) {
    const size = wholeBatchSize(buf, pos);
    if (size < 0) return;
    yield { pos, size };
    pos += size;
  }
}

// ---------------------------------------------------------------------------------------------
// Produce validation (no record decoding)

export interface ProduceValidation {
  errorCode: number;
  /** Number of whole batches found (1 when valid). */
  batches: number;
  message?: string;
}

const fail = (errorCode: number, message: string, n = 0): ProduceValidation => ({ errorCode, batches: n, message });

/**
 * Walk the records of an uncompressed batch using only their length prefixes: each record's varint
 * length must fit, they must tile [61, size) exactly and their number must equal recordCount.
 * Returns an error message or null.
 */
export function checkRecordFraming(buf: Buffer, pos: number, size: number): string | null {
  const end = pos + size;
  const count = recordCount(buf, pos);
  let p = pos + RECORDS_OFFSET;
  let n = 0;
  try {
    while (p < end) {
      const len = readVarint(buf, p, end);
      p = varintEnd();
      // smallest possible record body: attributes, timestampDelta, offsetDelta, keyLen, valueLen, headerCount
      if (len < 6) return `Invalid record size ${len} for record ${n}`;
      if (p + len > end) return `Invalid record size: expected ${len} bytes in record payload, but only ${end - p} bytes remain`;
      p += len;
      n++;
    }
  } catch {
    return `Found invalid record structure at record ${n}`;
  }
  if (n !== count) return `Incorrect declared batch size: header says ${count} records, found ${n}`;
  return null;
}

/**
 * Produce (v3+) validation of one partition's records as a Kafka broker does before appending,
 * without decoding records (except walking the length prefixes of uncompressed records).
 *
 * Error choices follow Kafka (ProduceRequest.validateRecords, ByteBufferLogInputStream,
 * UnifiedLog.analyzeAndValidateRecords, LogValidator.validateBatch/validateRecord):
 *  - no whole batch (empty, truncated, or a batchLength claiming more bytes than present) → INVALID_RECORD
 *  - batchLength < 14 or magic outside 0..2 → CORRUPT_MESSAGE; magic 0/1 → INVALID_RECORD
 *  - more than one whole batch → INVALID_RECORD; trailing bytes that are not a whole batch → CORRUPT_MESSAGE
 *    (Kafka silently trims a trailing partial batch; we refuse instead)
 *  - zstd with produceVersion < 7 → UNSUPPORTED_COMPRESSION_TYPE
 *  - baseOffset != 0 → INVALID_RECORD; size > maxMessageBytes → MESSAGE_TOO_LARGE
 *  - size < 61 or CRC mismatch → CORRUPT_MESSAGE
 *  - codec 5..7 → UNSUPPORTED_COMPRESSION_TYPE (Kafka throws an unmapped IllegalArgumentException)
 *  - recordCount <= 0, lastOffsetDelta != recordCount - 1, control batch, producerId >= 0 with
 *    baseSequence < 0 → INVALID_RECORD
 *  - uncompressed record lengths that do not tile the batch / count mismatch → INVALID_RECORD
 *    (Kafka's DefaultRecord.readFrom / record iterator throw InvalidRecordException)
 */
export function validateProducedRecords(records: Buffer, maxMessageBytes: number, produceVersion = 9): ProduceValidation {
  const total = records.length;
  if (total < LOG_OVERHEAD) return fail(ErrorCode.INVALID_RECORD, 'Produce requests must have at least one record batch per partition');
  const len = records.readInt32BE(BATCH_LENGTH_OFFSET);
  if (len < MIN_RECORD_OVERHEAD_V0) return fail(ErrorCode.CORRUPT_MESSAGE, `Record size ${len} is less than the minimum record overhead (${MIN_RECORD_OVERHEAD_V0})`);
  if (total < HEADER_SIZE_UP_TO_MAGIC) return fail(ErrorCode.INVALID_RECORD, 'Produce requests must have at least one record batch per partition');
  const m = records.readInt8(MAGIC_OFFSET);
  if (m < 0 || m > CURRENT_MAGIC) return fail(ErrorCode.CORRUPT_MESSAGE, `Invalid magic found in record: ${m}`);
  const size = len + LOG_OVERHEAD;
  if (size > total) return fail(ErrorCode.INVALID_RECORD, `Produce requests must have at least one record batch per partition (batch claims ${size} bytes, ${total} present)`);
  if (m !== CURRENT_MAGIC) return fail(ErrorCode.INVALID_RECORD, 'Produce requests with version >= 3 are only allowed to contain record batches with magic version 2', 1);
  const codec = size >= BATCH_HEADER_SIZE ? compression(records, 0) : 0;
  if (produceVersion < 7 && codec === Compression.ZSTD) {
    return fail(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `Produce requests with version ${produceVersion} are not allowed to use ZStandard compression`, 1);
  }
  if (size < total) {
    const rest = total - size;
    if (rest >= LOG_OVERHEAD) {
      const len2 = records.readInt32BE(size + BATCH_LENGTH_OFFSET);
      if (len2 < MIN_RECORD_OVERHEAD_V0) return fail(ErrorCode.CORRUPT_MESSAGE, `Record size ${len2} is less than the minimum record overhead (${MIN_RECORD_OVERHEAD_V0})`, 1);
      if (rest >= HEADER_SIZE_UP_TO_MAGIC) {
        const m2 = records.readInt8(size + MAGIC_OFFSET);
        if (m2 < 0 || m2 > CURRENT_MAGIC) return fail(ErrorCode.CORRUPT_MESSAGE, `Invalid magic found in record: ${m2}`, 1);
        if (rest >= len2 + LOG_OVERHEAD) {
          let n = 0;
          forEachBatch(records, () => void n++);
          return fail(ErrorCode.INVALID_RECORD, 'Produce requests with version >= 3 are only allowed to contain exactly one record batch per partition', Math.max(n, 2));
        }
      }
    }
    return fail(ErrorCode.CORRUPT_MESSAGE, `${rest} trailing bytes after the record batch do not form a whole batch`, 1);
  }
  // UnifiedLog.analyzeAndValidateRecords
  if (size < BATCH_HEADER_SIZE) return fail(ErrorCode.CORRUPT_MESSAGE, `Record batch is corrupt (the size ${size} is smaller than the minimum allowed overhead ${BATCH_HEADER_SIZE})`, 1);
  // int64 header fields are numbers, exact only within ±(2^53-1) (byteUtils.ts): refuse others here.
  if (!isSafeInt64At(records, BASE_OFFSET_OFFSET)) return fail(ErrorCode.INVALID_RECORD, `The baseOffset of the record batch in the append should be 0, but it is ${records.readBigInt64BE(BASE_OFFSET_OFFSET)}`, 1);
  const bo = baseOffset(records, 0);
  if (bo !== 0) return fail(ErrorCode.INVALID_RECORD, `The baseOffset of the record batch in the append should be 0, but it is ${bo}`, 1);
  if (size > maxMessageBytes) return fail(ErrorCode.MESSAGE_TOO_LARGE, `The record batch size ${size} exceeds max.message.bytes ${maxMessageBytes}`, 1);
  const stored = crc(records, 0);
  const computed = computeCrc(records, 0);
  if (stored !== computed) return fail(ErrorCode.CORRUPT_MESSAGE, `Record is corrupt (stored crc = ${stored}, computed crc = ${computed})`, 1);
  if (codec > Compression.ZSTD) return fail(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `Unknown compression type id: ${codec}`, 1);
  if (!isSafeInt64At(records, BASE_TIMESTAMP_OFFSET)) return fail(ErrorCode.INVALID_TIMESTAMP, `Batch baseTimestamp ${records.readBigInt64BE(BASE_TIMESTAMP_OFFSET)} is outside ±(2^53-1), the range this broker holds exactly`, 1);
  if (!isSafeInt64At(records, MAX_TIMESTAMP_OFFSET)) return fail(ErrorCode.INVALID_TIMESTAMP, `Batch maxTimestamp ${records.readBigInt64BE(MAX_TIMESTAMP_OFFSET)} is outside ±(2^53-1), the range this broker holds exactly`, 1);
  if (!isSafeInt64At(records, PRODUCER_ID_OFFSET)) return fail(ErrorCode.INVALID_RECORD, `Batch producerId ${records.readBigInt64BE(PRODUCER_ID_OFFSET)} is outside ±(2^53-1), the range this broker holds exactly`, 1);
  // LogValidator.validateBatch (origin = client)
  const lod = lastOffsetDelta(records, 0);
  const count = recordCount(records, 0);
  if (lod + 1 <= 0) return fail(ErrorCode.INVALID_RECORD, `Batch has an invalid offset range: [0, ${lod}]`, 1);
  if (count <= 0) return fail(ErrorCode.INVALID_RECORD, `Invalid reported count for record batch: ${count}`, 1);
  if (lod + 1 !== count) return fail(ErrorCode.INVALID_RECORD, `Inconsistent batch offset range [0, ${lod}] and count of records ${count}`, 1);
  if (isControl(records, 0)) return fail(ErrorCode.INVALID_RECORD, 'Clients are not allowed to write control records', 1);
  const pid = producerId(records, 0);
  const seq = baseSequence(records, 0);
  if (pid >= 0 && seq < 0) return fail(ErrorCode.INVALID_RECORD, `Invalid sequence number ${seq} in record batch with producerId ${pid}`, 1);
  if (codec === Compression.NONE) {
    const err = checkRecordFraming(records, 0, size);
    if (err) return fail(ErrorCode.INVALID_RECORD, err, 1);
  }
  return { errorCode: ErrorCode.NONE, batches: 1 };
}

// ---------------------------------------------------------------------------------------------
// Encoder

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  timestamp?: number;
}

export interface EncodeOptions {
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  compression?: 0 | 1;
  records: RecordInput[];
  baseTimestamp?: number;
}

function encodeRecords(records: RecordInput[], baseTs: number): { body: Buffer; maxTs: number } {
  const parts: Buffer[] = [];
  let maxTs = -1;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const ts = r.timestamp ?? baseTs;
    if (ts > maxTs) maxTs = ts;
    const headers = r.headers ?? [];
    const hkeys = headers.map((h) => Buffer.from(h.key, 'utf8'));
    let bodyLen = 1 + sizeOfVarlong(ts - baseTs) + sizeOfVarint(i);
    bodyLen += r.key ? sizeOfVarint(r.key.length) + r.key.length : 1;
    bodyLen += r.value ? sizeOfVarint(r.value.length) + r.value.length : 1;
    bodyLen += sizeOfVarint(headers.length);
    for (let h = 0; h < headers.length; h++) {
      const k = hkeys[h]!;
      const v = headers[h]!.value;
      bodyLen += sizeOfVarint(k.length) + k.length + (v ? sizeOfVarint(v.length) + v.length : 1);
    }
    const out = Buffer.allocUnsafe(sizeOfVarint(bodyLen) + bodyLen);
    let p = writeVarint(out, 0, bodyLen);
    out[p++] = 0; // record attributes (unused)
    p = writeVarlong(out, p, ts - baseTs);
    p = writeVarint(out, p, i);
    if (r.key) {
      p = writeVarint(out, p, r.key.length);
      p += r.key.copy(out, p);
    } else p = writeVarint(out, p, -1);
    if (r.value) {
      p = writeVarint(out, p, r.value.length);
      p += r.value.copy(out, p);
    } else p = writeVarint(out, p, -1);
    p = writeVarint(out, p, headers.length);
    for (let h = 0; h < headers.length; h++) {
      const k = hkeys[h]!;
      const v = headers[h]!.value;
      p = writeVarint(out, p, k.length);
      p += k.copy(out, p);
      if (v) {
        p = writeVarint(out, p, v.length);
        p += v.copy(out, p);
      } else p = writeVarint(out, p, -1);
    }
    if (p !== out.length) throw new Error(`record encoding size mismatch (${p} != ${out.length})`);
    parts.push(out);
  }
  return { body: Buffer.concat(parts), maxTs };
}

/** Encode a v2 record batch with a correct CRC. */
export function encodeRecordBatch(opts: EncodeOptions): Buffer {
  const records = opts.records;
  const baseTs = opts.baseTimestamp ?? records[0]?.timestamp ?? Date.now();
  const { body: raw, maxTs } = encodeRecords(records, baseTs);
  const codec = opts.compression ?? 0;
  const body = codec === Compression.GZIP ? gzipSync(raw) : raw;
  const buf = Buffer.allocUnsafe(BATCH_HEADER_SIZE + body.length);
  writeInt64(buf, BASE_OFFSET_OFFSET, opts.baseOffset ?? 0);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  buf.writeInt32BE(opts.partitionLeaderEpoch ?? -1, PARTITION_LEADER_EPOCH_OFFSET);
  buf.writeInt8(CURRENT_MAGIC, MAGIC_OFFSET);
  buf.writeUInt32BE(0, CRC_OFFSET);
  buf.writeInt16BE(codec | (opts.transactional ? TRANSACTIONAL_MASK : 0), ATTRIBUTES_OFFSET);
  buf.writeInt32BE(records.length - 1, LAST_OFFSET_DELTA_OFFSET);
  writeInt64(buf, BASE_TIMESTAMP_OFFSET, baseTs);
  writeInt64(buf, MAX_TIMESTAMP_OFFSET, records.length ? maxTs : baseTs);
  writeInt64(buf, PRODUCER_ID_OFFSET, opts.producerId ?? -1);
  buf.writeInt16BE(opts.producerEpoch ?? -1, PRODUCER_EPOCH_OFFSET);
  buf.writeInt32BE(opts.baseSequence ?? -1, BASE_SEQUENCE_OFFSET);
  buf.writeInt32BE(records.length, RECORD_COUNT_OFFSET);
  body.copy(buf, RECORDS_OFFSET);
  writeCrc(buf, 0);
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Decoder

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface DecodedBatch {
  baseOffset: number;
  batchLength: number;
  /** Whole size in bytes (batchLength + 12). */
  sizeInBytes: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  crcValid: boolean;
  attributes: number;
  compression: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
  isTransactional: boolean;
  isControl: boolean;
  lastOffsetDelta: number;
  lastOffset: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
  records: DecodedRecord[];
}

/**
 * The uncompressed records section of the batch at pos, decompressed (any codec this runtime
 * has) into at most `limit` bytes; throws CompressionError past the bound or on a bad payload.
 */
export function recordsPayload(buf: Buffer, pos = 0, limit = DEFAULT_DECOMPRESSION_LIMIT): Buffer {
  const size = batchSize(buf, pos);
  const payload = buf.subarray(pos + RECORDS_OFFSET, pos + size);
  const codec = compression(buf, pos);
  if (codec === Compression.NONE) return payload;
  return decompress(codec, payload, limit);
}

/**
 * Calls fn(offset, timestamp) for each record of the batch at pos, reading only the fields
 * needed. fn may return false to stop. Used by the log for timestamp lookups; a compressed
 * batch inflates into at most `limit` bytes (CompressionError past it).
 */
export function forEachRecordTimestamp(
  buf: Buffer,
  pos: number,
  fn: (offset: number, timestamp: number) => boolean | void,
  limit = DEFAULT_DECOMPRESSION_LIMIT,
): void {
  const bo = baseOffset(buf, pos);
  const logAppend = isLogAppendTime(buf, pos);
  const bts = baseTimestamp(buf, pos);
  const mts = maxTimestamp(buf, pos);
  const count = recordCount(buf, pos);
  const data = recordsPayload(buf, pos, limit);
  let p = 0;
  for (let i = 0; i < count && p < data.length; i++) {
    const len = readVarint(data, p);
    p = varintEnd();
    const next = p + len;
    const tsDelta = readVarlong(data, p + 1, next);
    const offDelta = readVarint(data, varintEnd(), next);
    if (fn(bo + offDelta, logAppend ? mts : bts + tsDelta) === false) return;
    p = next;
  }
}

let bytesEnd = 0; // position after the last readRecordField (no allocation per read)

/** Position just after the last readRecordField. */
export function recordFieldEnd(): number {
  return bytesEnd;
}

/** A record's varint-length-prefixed key, value or header value (null for -1), copied; the position after it is left in recordFieldEnd(). */
export function readRecordField(data: Buffer, p: number, end: number): Buffer | null {
  const len = readVarint(data, p, end);
  p = varintEnd();
  bytesEnd = p;
  if (len < 0) return null;
  if (p + len > end) throw new RangeError('record field overruns record');
  bytesEnd = p + len;
  return Buffer.from(data.subarray(p, p + len));
}

/** Decode the batch at pos (must be whole within buf). */
export function decodeRecordBatch(buf: Buffer, pos = 0): DecodedBatch {
  if (buf.length - pos < BATCH_HEADER_SIZE) throw new RangeError('buffer too short for a record batch header');
  const m = magic(buf, pos);
  if (m !== CURRENT_MAGIC) throw new Error(`unsupported record batch magic ${m}`);
  const size = batchSize(buf, pos);
  if (size < BATCH_HEADER_SIZE || pos + size > buf.length) throw new RangeError(`record batch of ${size} bytes does not fit in buffer`);
  const attrs = attributes(buf, pos);
  const bo = baseOffset(buf, pos);
  const logAppend = (attrs & TIMESTAMP_TYPE_MASK) !== 0;
  const bts = baseTimestamp(buf, pos);
  const mts = maxTimestamp(buf, pos);
  const count = recordCount(buf, pos);
  const data = recordsPayload(buf, pos);
  const records: DecodedRecord[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    const len = readVarint(data, p);
    p = varintEnd();
    const end = p + len;
    if (end > data.length) throw new RangeError('record overruns batch');
    p++; // attributes
    const tsDelta = readVarlong(data, p, end);
    const offDelta = readVarint(data, varintEnd(), end);
    const key = readRecordField(data, varintEnd(), end);
    const value = readRecordField(data, bytesEnd, end);
    const hc = readVarint(data, bytesEnd, end);
    p = varintEnd();
    const headers: RecordHeader[] = [];
    for (let h = 0; h < hc; h++) {
      const klen = readVarint(data, p, end);
      p = varintEnd();
      if (klen < 0 || p + klen > end) throw new RangeError('invalid header key');
      const hk = data.toString('utf8', p, p + klen);
      const hv = readRecordField(data, p + klen, end);
      p = bytesEnd;
      headers.push({ key: hk, value: hv });
    }
    if (p !== end) throw new RangeError(`record ${i} has ${end - p} unread bytes`);
    records.push({ offset: bo + offDelta, timestamp: logAppend ? mts : bts + tsDelta, key, value, headers });
  }
  return {
    baseOffset: bo,
    batchLength: size - LOG_OVERHEAD,
    sizeInBytes: size,
    partitionLeaderEpoch: partitionLeaderEpoch(buf, pos),
    magic: m,
    crc: crc(buf, pos),
    crcValid: isCrcValid(buf, pos),
    attributes: attrs,
    compression: attrs & COMPRESSION_MASK,
    timestampType: logAppend ? 'LogAppendTime' : 'CreateTime',
    isTransactional: (attrs & TRANSACTIONAL_MASK) !== 0,
    isControl: (attrs & CONTROL_MASK) !== 0,
    lastOffsetDelta: lastOffsetDelta(buf, pos),
    lastOffset: bo + lastOffsetDelta(buf, pos),
    baseTimestamp: bts,
    maxTimestamp: mts,
    producerId: producerId(buf, pos),
    producerEpoch: producerEpoch(buf, pos),
    baseSequence: baseSequence(buf, pos),
    recordCount: count,
    records,
  };
}

/** Decode all whole batches in a buffer of concatenated batches (a truncated tail is ignored). */
export function decodeRecordBatches(buf: Buffer): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  forEachBatch(buf, (pos) => void out.push(decodeRecordBatch(buf, pos)));
  return out;
}
