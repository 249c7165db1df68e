// LZ4 decompression of Kafka's magic-2 payloads: the LZ4 frame format
// (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md) read as Kafka's
// Lz4BlockInputStream reads it — magic 0x184D2204; FLG with version 01, independent blocks and
// zero reserved bits; BD with a block maximum of 64 KiB..4 MiB; an optional content size
// (skipped); the descriptor checksum byte (xxHash32 >> 8) checked (the old broken variant is for
// magic < 2 only); then blocks (int32 little-endian size, high bit = stored uncompressed, 0 =
// end mark) each optionally followed by its xxHash32, checked; the content checksum is skipped,
// as Kafka does. Blocks are LZ4 block format sequences. Output is bounded.

import { BoundedOutput, corrupt } from './CompressionError.js';

const MAGIC = 0x184d2204;
const INCOMPRESSIBLE = 0x80000000;

// ---------------------------------------------------------------------------------------------
// xxHash32 (https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md)

const P1 = 2654435761;
const P2 = 2246822519;
const P3 = 3266489917;
const P4 = 668265263;
const P5 = 374761393;

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));
const round = (acc: number, lane: number): number => Math.imul(rotl((acc + Math.imul(lane, P2)) | 0, 13), P1);

/** xxHash32 of buf[start, end) with the given seed, as an unsigned 32-bit number. */
export function xxhash32(buf: Buffer, start = 0, end = buf.length, seed = 0): number {
  let p = start;
  let h: number;
  if (end - start >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    const limit = end - 16;
    while (p <= limit) {
      v1 = round(v1, buf.readInt32LE(p));
      v2 = round(v2, buf.readInt32LE(p + 4));
      v3 = round(v3, buf.readInt32LE(p + 8));
      v4 = round(v4, buf.readInt32LE(p + 12));
      p += 16;
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + (end - start)) | 0;
  while (p + 4 <= end) {
    h = Math.imul(rotl((h + Math.imul(buf.readInt32LE(p), P3)) | 0, 17), P4);
    p += 4;
  }
  while (p < end) {
    h = Math.imul(rotl((h + Math.imul(buf[p]!, P5)) | 0, 11), P1);
    p++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

// ---------------------------------------------------------------------------------------------
// LZ4 block format

/** Decode one LZ4 block [pos, end) into dst (at most dst.length bytes); returns the bytes written. */
export function lz4DecodeBlock(input: Buffer, pos: number, end: number, dst: Buffer): number {
  let ip = pos;
  let op = 0;
  const cap = dst.length;
  for (;;) {
    if (ip >= end) corrupt('lz4: truncated sequence');
    const token = input[ip++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (ip >= end) corrupt('lz4: truncated literal length');
        b = input[ip++]!;
        lit += b;
      } while (b === 255);
    }
    if (ip + lit > end) corrupt('lz4: literals overrun the block');
    if (op + lit > cap) corrupt('lz4: block decodes past its maximum size');
    input.copy(dst, op, ip, ip + lit);
    ip += lit;
    op += lit;
    if (ip === end) return op; // the last sequence has literals only
    if (ip + 2 > end) corrupt('lz4: truncated match offset');
    const offset = input[ip]! | (input[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) corrupt(`lz4: match offset ${offset} outside the output`);
    let len = token & 15;
    if (len === 15) {
      let b: number;
      do {
        if (ip >= end) corrupt('lz4: truncated match length');
        b = input[ip++]!;
        len += b;
      } while (b === 255);
    }
    len += 4;
    if (op + len > cap) corrupt('lz4: block decodes past its maximum size');
    if (offset >= len) {
      dst.copy(dst, op, op - offset, op - offset + len);
      op += len;
    } else {
      for (let i = 0; i < len; i++, op++) dst[op] = dst[op - offset]!;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Frame format

const BLOCK_MAX_SIZES: Record<number, number> = { 4: 1 << 16, 5: 1 << 18, 6: 1 << 20, 7: 1 << 22 };

/** Decompress a Kafka (magic 2) LZ4 frame into at most `limit` bytes. */
export function lz4Decompress(input: Buffer, limit: number): Buffer {
  const out = new BoundedOutput(limit);
  const end = input.length;
  if (end < 6) corrupt('lz4: stream ended prematurely');
  if (input.readInt32LE(0) !== MAGIC) corrupt('lz4: stream unsupported (bad magic)');
  const flg = input[4]!;
  const bd = input[5]!;
  if ((flg & 3) !== 0) corrupt('lz4: reserved FLG bits must be 0');
  if (((flg >>> 5) & 1) !== 1) corrupt('lz4: dependent block stream is unsupported');
  if (flg >>> 6 !== 1) corrupt(`lz4: version ${flg >>> 6} is unsupported`);
  if ((bd & 0x8f) !== 0) corrupt('lz4: reserved BD bits must be 0');
  const maxBlock = BLOCK_MAX_SIZES[(bd >>> 4) & 7];
  if (maxBlock === undefined) corrupt(`lz4: block size id ${(bd >>> 4) & 7} is invalid`);
  const blockChecksum = (flg & 0x10) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  let pos = 6;
  if (flg & 0x08) {
    if (end - pos < 8) corrupt('lz4: stream ended prematurely');
    pos += 8; // content size: not trusted, the output bound applies
  }
  if (pos >= end) corrupt('lz4: stream ended prematurely');
  if (input[pos] !== ((xxhash32(input, 4, pos) >>> 8) & 0xff)) corrupt('lz4: stream frame descriptor corrupted');
  pos++;
  let scratch: Buffer | null = null;
  for (;;) {
    if (end - pos < 4) corrupt('lz4: stream ended prematurely');
    const word = input.readUInt32LE(pos);
    pos += 4;
    const size = word & 0x7fffffff;
    if (size === 0) {
      if (contentChecksum) {
        if (end - pos < 4) corrupt('lz4: stream ended prematurely');
        pos += 4;
      }
      return out.result();
    }
    if (size > maxBlock!) corrupt(`lz4: block size ${size} exceeded max: ${maxBlock}`);
    if (end - pos < size) corrupt('lz4: stream ended prematurely');
    if (blockChecksum) {
      if (end - pos - size < 4) corrupt('lz4: stream ended prematurely');
      if (xxhash32(input, pos, pos + size) !== input.readUInt32LE(pos + size)) corrupt('lz4: block checksum mismatch');
    }
    if ((word & INCOMPRESSIBLE) !== 0) {
      out.push(Buffer.from(input.subarray(pos, pos + size)));
    } else {
      scratch ??= Buffer.allocUnsafe(maxBlock!);
      const n = lz4DecodeBlock(input, pos, pos + size, scratch);
      out.reserve(n);
      out.push(Buffer.from(scratch.subarray(0, n)));
    }
    pos += size + (blockChecksum ? 4 : 0);
  }
}
