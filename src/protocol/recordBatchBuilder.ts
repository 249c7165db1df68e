// In-place encoding of record batch v2 (the producer's hot path; Kafka's MemoryRecordsBuilder and
// DefaultRecord.writeTo): records are written one by one straight into a batch buffer with their
// varints in place, and the 61-byte header (and its CRC) is written once when the batch closes.
// Nothing is allocated per record. The header layout and accessors are in recordBatch.ts.

import { readVarint, sizeOfVarlong, varintEnd, writeInt64, writeVarlong } from './byteUtils.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH_OFFSET,
  CURRENT_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_COUNT_OFFSET,
  writeCrc,
} from './recordBatch.js';

/** Key, value or header value as a producer holds it: bytes, a UTF-8 string, or null. */
export type RecordBytes = Uint8Array | string | null;

export interface RecordHeaderInput {
  key: string;
  value: RecordBytes;
}

/** Byte length of a key/value (-1 for null); strings count their UTF-8 bytes. */
export function recordBytesLength(v: RecordBytes): number {
  if (v === null) return -1;
  return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length;
}

/** Zigzag varint size of an int32 (fast path for the small values records carry). */
function varintSize32(v: number): number {
  const z = ((v << 1) ^ (v >> 31)) >>> 0;
  return z < 0x80 ? 1 : z < 0x4000 ? 2 : z < 0x200000 ? 3 : z < 0x10000000 ? 4 : 5;
}

/** Bytes of the headers section after its count varint (header keys and values with their lengths). */
export function sizeOfRecordHeaders(headers: readonly RecordHeaderInput[]): number {
  let n = 0;
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!;
    const kl = Buffer.byteLength(h.key, 'utf8');
    const vl = recordBytesLength(h.value);
    n += varintSize32(kl) + kl + (vl < 0 ? 1 : varintSize32(vl) + vl);
  }
  return n;
}

/**
 * Size of a record's body (what its length varint counts): attributes, timestampDelta,
 * offsetDelta, key, value, header count and headers. keyLen/valueLen are -1 for null.
 */
export function sizeOfRecordBody(offsetDelta: number, timestampDelta: number, keyLen: number, valueLen: number, headerCount: number, headersBytes: number): number {
  const tsSize = timestampDelta >= -0x40000000 && timestampDelta < 0x40000000 ? varintSize32(timestampDelta) : sizeOfVarlong(timestampDelta);
  return (
    1 +
    tsSize +
    varintSize32(offsetDelta) +
    (keyLen < 0 ? 1 : varintSize32(keyLen) + keyLen) +
    (valueLen < 0 ? 1 : varintSize32(valueLen) + valueLen) +
    varintSize32(headerCount) +
    headersBytes
  );
}

/** Whole size of a record inside a batch: its length varint plus its body. */
export function sizeOfRecordInBatch(bodySize: number): number {
  return varintSize32(bodySize) + bodySize;
}

/** Upper bound of a batch holding one record of this body size (header + record). */
export function sizeOfSingleRecordBatch(bodySize: number): number {
  return BATCH_HEADER_SIZE + sizeOfRecordInBatch(bodySize);
}

function putVarint(buf: Uint8Array, p: number, v: number): number {
  let z = ((v << 1) ^ (v >> 31)) >>> 0;
  while (z >= 0x80) {
    buf[p++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  buf[p++] = z;
  return p;
}

function putBytes(buf: Buffer, p: number, v: RecordBytes, len: number): number {
  if (v === null) {
    buf[p] = 1; // zigzag(-1)
    return p + 1;
  }
  p = putVarint(buf, p, len);
  if (len === 0) return p;
  if (typeof v === 'string') {
    buf.write(v, p, len, 'utf8');
  } else if (len <= 32) {
    for (let i = 0; i < len; i++) buf[p + i] = v[i]!;
  } else {
    buf.set(v, p);
  }
  return p + len;
}

/**
 * Write one record at pos (length varint first) and return the position after it. bodySize must
 * come from sizeOfRecordBody with the same arguments; keyLen/valueLen are the byte lengths
 * (-1 for null). The caller guarantees room (sizeOfRecordInBatch(bodySize) bytes).
 */
export function writeRecordInPlace(
  buf: Buffer,
  pos: number,
  bodySize: number,
  offsetDelta: number,
  timestampDelta: number,
  key: RecordBytes,
  keyLen: number,
  value: RecordBytes,
  valueLen: number,
  headers: readonly RecordHeaderInput[] | null,
): number {
  let p = putVarint(buf, pos, bodySize);
  buf[p++] = 0; // record attributes (unused)
  if (timestampDelta >= -0x40000000 && timestampDelta < 0x40000000) p = putVarint(buf, p, timestampDelta);
  else p = writeVarlong(buf, p, timestampDelta);
  p = putVarint(buf, p, offsetDelta);
  p = putBytes(buf, p, key, keyLen);
  p = putBytes(buf, p, value, valueLen);
  if (headers === null || headers.length === 0) {
    buf[p++] = 0;
  } else {
    p = putVarint(buf, p, headers.length);
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i]!;
      const kl = Buffer.byteLength(h.key, 'utf8');
      p = putVarint(buf, p, kl);
      if (kl > 0) p += buf.write(h.key, p, kl, 'utf8');
      p = putBytes(buf, p, h.value, recordBytesLength(h.value));
    }
  }
  return p;
}

export interface BatchHeaderFields {
  /** Bytes of the whole batch, header included. */
  size: number;
  attributes: number;
  recordCount: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  partitionLeaderEpoch?: number;
  baseOffset?: number;
}

/**
 * Write the 61-byte v2 header of the batch at pos whose records already sit at pos+61..pos+size,
 * then its CRC-32C (computed once, over attributes..end).
 */
export function writeBatchHeader(buf: Buffer, pos: number, f: BatchHeaderFields): void {
  writeInt64(buf, pos + BASE_OFFSET_OFFSET, f.baseOffset ?? 0);
  buf.writeInt32BE(f.size - LOG_OVERHEAD, pos + BATCH_LENGTH_OFFSET);
  buf.writeInt32BE(f.partitionLeaderEpoch ?? -1, pos + PARTITION_LEADER_EPOCH_OFFSET);
  buf[pos + MAGIC_OFFSET] = CURRENT_MAGIC;
  buf.writeInt16BE(f.attributes, pos + ATTRIBUTES_OFFSET);
  buf.writeInt32BE(f.recordCount - 1, pos + LAST_OFFSET_DELTA_OFFSET);
  writeInt64(buf, pos + BASE_TIMESTAMP_OFFSET, f.baseTimestamp);
  writeInt64(buf, pos + MAX_TIMESTAMP_OFFSET, f.maxTimestamp);
  writeInt64(buf, pos + PRODUCER_ID_OFFSET, f.producerId);
  buf.writeInt16BE(f.producerEpoch, pos + PRODUCER_EPOCH_OFFSET);
  buf.writeInt32BE(f.baseSequence, pos + BASE_SEQUENCE_OFFSET);
  buf.writeInt32BE(f.recordCount, pos + RECORD_COUNT_OFFSET);
  writeCrc(buf, pos);
}

/** Rewrite producer id, epoch and base sequence of a closed batch (idempotent retries after an epoch bump) and its CRC. */
export function setProducerState(buf: Buffer, pos: number, producerId: number, producerEpoch: number, baseSequence: number): void {
  writeInt64(buf, pos + PRODUCER_ID_OFFSET, producerId);
  buf.writeInt16BE(producerEpoch, pos + PRODUCER_EPOCH_OFFSET);
  buf.writeInt32BE(baseSequence, pos + BASE_SEQUENCE_OFFSET);
  writeCrc(buf, pos);
}

/**
 * Calls fn(start, end) for each record of an uncompressed records section [from, to) using only
 * the length varints (start = the record's length varint, end = just after its body).
 */
export function forEachRecordSpan(buf: Buffer, from: number, to: number, fn: (start: number, end: number) => void): void {
  let p = from;
  while (p < to) {
    const len = readVarint(buf, p, to);
    const end = varintEnd() + len;
    fn(p, end);
    p = end;
  }
}
