// Kafka's LogValidator for the leader append of client batches (origin CLIENT, magic 2): what
// UnifiedLog.appendAsLeader may store. Batch level (validateBatch): magic 2, a positive record
// count equal to lastOffsetDelta + 1, no control batch, a base sequence when there is a producer
// id. Record level, on the records as sent or — for gzip, snappy, lz4 and zstd — on the
// decompressed payload (bounded by decompressionLimit(max.message.bytes)): exactly recordCount
// records, each with well-formed varints, key, value and headers consuming exactly its length,
// offset deltas 0..n-1 in order; keys on compacted topics; CreateTime timestamps within
// message.timestamp.before/after.max.ms; no LogAppendTime from a client where Kafka refuses it.
// The producer's bytes are never re-encoded: only the header's maxTimestamp and timestamp type
// are corrected in place (with the CRC) as Kafka's in-place assignment does.
//
// Error codes as Kafka 3.9 answers them:
//  - batch-level and record-structure faults → INVALID_RECORD (InvalidRecordException)
//  - key missing on a compacted topic → INVALID_RECORD with per-record errors
//  - timestamp out of range / LogAppendTime from a client → INVALID_TIMESTAMP with per-record errors
//  - a payload that does not decompress → UNKNOWN_SERVER_ERROR (Kafka wraps the codec's IOException
//    in a plain KafkaException, which Errors.forException maps to UNKNOWN_SERVER_ERROR)
//  - codec ids 5..7 → UNSUPPORTED_COMPRESSION_TYPE (Kafka: an unmapped IllegalArgumentException)
// Where Kafka has no answer we chose: a payload inflating past the bound (a decompression bomb;
// Kafka would inflate it all) → MESSAGE_TOO_LARGE; offset deltas other than 0..n-1 (Kafka
// silently re-encodes such compressed batches and stores uncompressed ones as they are) →
// INVALID_RECORD, since we never re-encode.

import { CompressionError, decompress, decompressionLimit } from '../protocol/compression/index.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import * as RB from '../protocol/recordBatch.js';
import { ProtocolError, readVarint, readVarlong, varintEnd } from '../protocol/primitives.js';

export interface LogValidatorOptions {
  /** max.message.bytes: sets the decompressed-size bound. */
  maxMessageBytes: number;
  /** message.timestamp.type of the topic. */
  timestampType: 'CreateTime' | 'LogAppendTime';
  /** The broker's clock (ms) for timestamp bounds. */
  now: number;
  /** cleanup.policy contains compact: every record needs a key. */
  compacted?: boolean;
  /** message.timestamp.before.max.ms (Kafka 3.9 default: unbounded). */
  timestampBeforeMaxMs?: number;
  /** message.timestamp.after.max.ms (Kafka 3.9 default: unbounded). */
  timestampAfterMaxMs?: number;
}

/** One rejected record, as Produce v8+ reports it (batchIndex is the record's index). */
export interface RecordError {
  batchIndex: number;
  batchIndexErrorMessage: string | null;
}

/** A rejection: the partition's error code and message, and per-record errors when Kafka gives them. */
export class RecordValidationError extends KafkaError {
  constructor(
    code: number,
    message: string,
    readonly recordErrors: RecordError[] = [],
  ) {
    super(code, message);
  }
}

const invalid = (message: string): never => {
  throw new RecordValidationError(ErrorCode.INVALID_RECORD, message);
};

/**
 * Validate every whole batch of a client's records for a leader append (throws
 * RecordValidationError) and correct each batch's maxTimestamp/timestamp type in place for
 * CreateTime topics, as Kafka does. LogAppendTime stamping stays with the log.
 */
export function validateRecordsFromClient(records: Buffer, opts: LogValidatorOptions): void {
  let n = 0;
  RB.forEachBatch(records, (pos, size) => {
    validateBatch(records, pos, size, opts);
    n++;
  });
  if (n === 0) invalid('Record batch has no batches at all');
}

/** LogValidator.validateBatch and the record checks for the batch at [pos, pos + size). */
export function validateBatch(buf: Buffer, pos: number, size: number, opts: LogValidatorOptions): void {
  try {
    checkBatch(buf, pos, size, opts);
  } catch (err) {
    // A header int64 the broker cannot represent exactly (beyond ±(2^53-1)) is refused, never changed.
    if (err instanceof ProtocolError) invalid(`Invalid record batch header: ${err.message}`);
    throw err;
  }
}

function checkBatch(buf: Buffer, pos: number, size: number, opts: LogValidatorOptions): void {
  const magic = RB.magic(buf, pos);
  if (magic !== RB.CURRENT_MAGIC) invalid(`Batch magic ${magic} is not supported: produce requests only carry magic 2`);
  const lod = RB.lastOffsetDelta(buf, pos);
  const count = RB.recordCount(buf, pos);
  if (lod + 1 <= 0) invalid(`Batch has an invalid offset range: [0, ${lod}]`);
  if (count <= 0) invalid(`Invalid reported count for record batch: ${count}`);
  if (lod + 1 !== count) invalid(`Inconsistent batch offset range [0, ${lod}] and count of records ${count}`);
  if (RB.isControl(buf, pos)) invalid('Clients are not allowed to write control records');
  const pid = RB.producerId(buf, pos);
  if (pid >= 0 && RB.baseSequence(buf, pos) < 0) invalid(`Invalid sequence number ${RB.baseSequence(buf, pos)} in record batch with producerId ${pid}`);

  const codec = RB.compression(buf, pos);
  let data = buf;
  let start = pos + RB.RECORDS_OFFSET;
  let end = pos + size;
  if (codec !== RB.Compression.NONE) {
    try {
      data = decompress(codec, buf.subarray(start, end), decompressionLimit(opts.maxMessageBytes));
    } catch (err) {
      if (!(err instanceof CompressionError)) throw err;
      const name = RB.COMPRESSION_NAMES[codec] ?? String(codec);
      if (err.kind === 'unsupported') throw new RecordValidationError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, err.message);
      if (err.kind === 'too-large') throw new RecordValidationError(ErrorCode.MESSAGE_TOO_LARGE, `The ${name} records of the batch: ${err.message}`);
      throw new RecordValidationError(ErrorCode.UNKNOWN_SERVER_ERROR, `Failed to decompress record stream (${name}): ${err.message}`);
    }
    start = 0;
    end = data.length;
  }
  const maxTs = validateRecords(buf, pos, data, start, end, count, opts);
  if (opts.timestampType === 'CreateTime' && (RB.isLogAppendTime(buf, pos) || RB.maxTimestamp(buf, pos) !== maxTs)) {
    // DefaultRecordBatch.setMaxTimestamp(CREATE_TIME, max of the records' timestamps)
    buf.writeInt16BE(RB.attributes(buf, pos) & ~RB.TIMESTAMP_TYPE_MASK, pos + RB.ATTRIBUTES_OFFSET);
    RB.writeInt64(buf, pos + RB.MAX_TIMESTAMP_OFFSET, maxTs);
    RB.writeCrc(buf, pos);
  }
}

/**
 * Walk exactly `count` records in data[start, end) as DefaultRecord.readFrom does; returns the
 * largest record timestamp (-1 if none). Structural faults throw at once; key and timestamp
 * faults are collected per record and thrown after the walk, as Kafka's processRecordErrors.
 */
function validateRecords(batch: Buffer, pos: number, data: Buffer, start: number, end: number, count: number, opts: LogValidatorOptions): number {
  const logAppendTime = RB.isLogAppendTime(batch, pos);
  const baseTs = RB.baseTimestamp(batch, pos);
  const batchMaxTs = RB.maxTimestamp(batch, pos);
  const before = opts.timestampBeforeMaxMs ?? Infinity;
  const after = opts.timestampAfterMaxMs ?? Infinity;
  const errors: RecordError[] = [];
  let timestampError = false;
  let maxTs = -1;
  let p = start;
  for (let i = 0; i < count; i++) {
    if (p >= end) invalid(`Incorrect declared batch size, premature EOF reached (record ${i} of ${count})`);
    let len: number;
    let keyLen: number;
    let tsDelta: number;
    let offsetDelta: number;
    try {
      len = readVarint(data, p, end);
      p = varintEnd();
      if (len < 0 || len > end - p) invalid(`Invalid record size: expected ${len} bytes in record payload, but instead the buffer has only ${end - p} remaining bytes.`);
      const recEnd = p + len;
      let q = p + 1; // attributes (unused in v2)
      if (q > recEnd) invalid('Found invalid record structure');
      tsDelta = readVarlong(data, q, recEnd);
      offsetDelta = readVarint(data, varintEnd(), recEnd);
      keyLen = readVarint(data, varintEnd(), recEnd);
      q = skipBytes(varintEnd(), keyLen, recEnd);
      const valueLen = readVarint(data, q, recEnd);
      q = skipBytes(varintEnd(), valueLen, recEnd);
      const headers = readVarint(data, q, recEnd);
      q = varintEnd();
      if (headers < 0) invalid(`Found invalid number of record headers ${headers}`);
      if (headers > recEnd - q) invalid(`Found invalid number of record headers. ${headers} is larger than the remaining size of the buffer`);
      for (let h = 0; h < headers; h++) {
        const klen = readVarint(data, q, recEnd);
        if (klen < 0) invalid(`Invalid negative header key size ${klen}`);
        q = skipBytes(varintEnd(), klen, recEnd);
        const vlen = readVarint(data, q, recEnd);
        q = skipBytes(varintEnd(), vlen, recEnd);
      }
      if (q !== recEnd) invalid(`Invalid record size: expected to read ${len} bytes in record payload, but instead read ${q - p}`);
      p = recEnd;
    } catch (err) {
      if (err instanceof RecordValidationError) throw err;
      return invalid(`Found invalid record structure in record ${i}: ${(err as Error).message}`);
    }
    if (offsetDelta !== i) invalid(`Record ${i} has offset delta ${offsetDelta}; offset deltas must be 0..${count - 1} in order`);
    const ts = logAppendTime ? batchMaxTs : baseTs + tsDelta;
    if (opts.compacted && keyLen < 0) {
      errors.push({ batchIndex: i, batchIndexErrorMessage: 'Compacted topic cannot accept message without key' });
      continue;
    }
    if (opts.timestampType === 'CreateTime' && ts !== -1) {
      if (opts.now - ts > before || ts - opts.now > after) {
        timestampError = true;
        errors.push({
          batchIndex: i,
          batchIndexErrorMessage: `Timestamp ${ts} of message with offset ${i} is out of range. The timestamp should be within [${opts.now - before}, ${opts.now + after}]`,
        });
        continue;
      }
    } else if (logAppendTime) {
      timestampError = true;
      errors.push({ batchIndex: i, batchIndexErrorMessage: 'Invalid timestamp type in message. Producer should not set timestamp type to LogAppendTime.' });
      continue;
    }
    if (ts > maxTs) maxTs = ts;
  }
  if (p !== end) invalid('Incorrect declared batch size, records still remaining in file');
  if (errors.length > 0) {
    if (timestampError) throw new RecordValidationError(ErrorCode.INVALID_TIMESTAMP, 'One or more records have been rejected due to invalid timestamp', errors);
    const shown = errors.slice(0, 3).map((e) => `${e.batchIndex}: ${e.batchIndexErrorMessage}`);
    throw new RecordValidationError(
      ErrorCode.INVALID_RECORD,
      `One or more records have been rejected due to ${errors.length} record errors in total, and only showing the first three errors at most: [${shown.join(', ')}]`,
      errors,
    );
  }
  return maxTs;
}

/** Position after a varint-length-prefixed field of `len` bytes at p (null when len < 0). */
function skipBytes(p: number, len: number, end: number): number {
  if (len < 0) return p;
  if (len > end - p) invalid(`Field of ${len} bytes overruns its record (${end - p} bytes left)`);
  return p + len;
}
