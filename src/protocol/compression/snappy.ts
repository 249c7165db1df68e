// Snappy decompression as Kafka's broker does it (snappy-java's SnappyInputStream): the payload
// is either xerial-framed — the 16-byte header 0x82 "SNAPPY" 0x00, version, compatible version,
// then chunks of (int32 big-endian length, raw snappy block), possibly several concatenated
// streams — as Java clients write it, or, when the header is absent, one raw snappy block as
// librdkafka and others may write. Raw blocks: a varint uncompressed length, then literal and
// copy elements (https://github.com/google/snappy/blob/main/format_description.txt).
// Output is bounded: a block announcing more than the bound fails before any allocation.

import { BoundedOutput, corrupt } from './CompressionError.js';

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;

function hasXerialMagic(input: Buffer, pos: number): boolean {
  if (input.length - pos < XERIAL_HEADER_SIZE) return false;
  return input.compare(XERIAL_MAGIC, 0, XERIAL_MAGIC.length, pos, pos + XERIAL_MAGIC.length) === 0;
}

/** The uncompressed length a raw block announces and where its elements start. */
function rawHeader(input: Buffer, pos: number, end: number): { length: number; start: number } {
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= end) corrupt('snappy: truncated length preamble');
    const b = input[pos++]!;
    if (shift === 28 && b > 0x0f) corrupt('snappy: length preamble overflows 32 bits');
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  return { length, start: pos };
}

/** Decode one raw snappy block [pos, end), checking its announced length against `out`'s bound. */
function decodeRawBlock(input: Buffer, pos: number, end: number, out: BoundedOutput): void {
  const { length, start } = rawHeader(input, pos, end);
  out.reserve(length);
  const dst = Buffer.allocUnsafe(length);
  let ip = start;
  let op = 0;
  while (ip < end) {
    const tag = input[ip++]!;
    const type = tag & 3;
    if (type === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59;
        if (ip + extra > end) corrupt('snappy: truncated literal length');
        len = 0;
        for (let i = 0; i < extra; i++) len += input[ip + i]! * 2 ** (8 * i);
        ip += extra;
      }
      len += 1;
      if (ip + len > end) corrupt('snappy: literal overruns input');
      if (op + len > length) corrupt('snappy: literal overruns announced length');
      input.copy(dst, op, ip, ip + len);
      ip += len;
      op += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (type === 1) {
      if (ip + 1 > end) corrupt('snappy: truncated copy');
      len = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | input[ip++]!;
    } else if (type === 2) {
      if (ip + 2 > end) corrupt('snappy: truncated copy');
      len = (tag >>> 2) + 1;
      offset = input.readUInt16LE(ip);
      ip += 2;
    } else {
      if (ip + 4 > end) corrupt('snappy: truncated copy');
      len = (tag >>> 2) + 1;
      offset = input.readUInt32LE(ip);
      ip += 4;
    }
    if (offset === 0 || offset > op) corrupt(`snappy: copy offset ${offset} outside the output`);
    if (op + len > length) corrupt('snappy: copy overruns announced length');
    if (offset >= len) {
      dst.copy(dst, op, op - offset, op - offset + len);
      op += len;
    } else {
      for (let i = 0; i < len; i++, op++) dst[op] = dst[op - offset]!;
    }
  }
  if (op !== length) corrupt(`snappy: block decoded to ${op} bytes, announced ${length}`);
  out.push(dst);
}

/** Decompress a Kafka snappy payload (xerial-framed or one raw block) into at most `limit` bytes. */
export function snappyDecompress(input: Buffer, limit: number): Buffer {
  const out = new BoundedOutput(limit);
  if (input.length === 0) return out.result();
  if (!hasXerialMagic(input, 0)) {
    decodeRawBlock(input, 0, input.length, out);
    return out.result();
  }
  let pos = XERIAL_HEADER_SIZE;
  while (pos < input.length) {
    if (hasXerialMagic(input, pos)) {
      pos += XERIAL_HEADER_SIZE; // a concatenated stream's header
      continue;
    }
    if (pos + 4 > input.length) corrupt('snappy: truncated chunk length');
    const chunk = input.readInt32BE(pos);
    pos += 4;
    if (chunk < 0 || pos + chunk > input.length) corrupt(`snappy: chunk of ${chunk} bytes overruns input`);
    decodeRawBlock(input, pos, pos + chunk, out);
    pos += chunk;
  }
  return out.result();
}
