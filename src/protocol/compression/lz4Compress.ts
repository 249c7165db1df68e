// LZ4 compression as Kafka's Java producer writes it (Lz4BlockOutputStream with its defaults):
// an LZ4 frame (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md) with magic
// 0x184D2204, FLG = version 01 + independent blocks (no block checksums, no content size, no
// content checksum), BD = 64 KiB block maximum, the descriptor checksum byte (xxHash32 of FLG
// and BD, >> 8), then one block per 64 KiB of input — int32 little-endian size, its high bit
// set when the block is stored as is because compressing did not make it smaller — and the end
// mark (int32 0). Blocks are LZ4 block format from a greedy hash-table matcher that keeps the
// format's end rules: the last 5 bytes are literals and no match starts in the last 12.

import { xxhash32 } from './lz4.js';

const MAGIC = 0x184d2204;
/** FLG: version 01, block independence. */
const FLG = 0x60;
/** BD: block maximum size id 4 (64 KiB), Kafka's default. */
const BD = 0x40;
export const LZ4_BLOCK_SIZE = 1 << 16;
const INCOMPRESSIBLE = 0x80000000;
const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MF_LIMIT = 12;
const MAX_OFFSET = 0xffff;
/** The hash table has 2^8..2^14 entries, fewer for small blocks, so a small batch clears little. */
const MAX_HASH_BITS = 14;
const table = new Int32Array(1 << MAX_HASH_BITS);
let shift = 32 - MAX_HASH_BITS;

/** LZ4_compressBound: the most one block of n input bytes can take. */
export function lz4CompressBound(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

const hashAt = (b: Buffer, i: number): number => Math.imul(b.readInt32LE(i), 2654435761) >>> shift;

/** A length beyond a token nibble's 15: runs of 255 and the rest. */
function writeLength(n: number, out: Buffer, op: number): number {
  for (; n >= 255; n -= 255) out[op++] = 255;
  out[op++] = n;
  return op;
}

function writeSequence(src: Buffer, anchor: number, lit: number, out: Buffer, op: number, offset: number, matchLen: number): number {
  const ml = matchLen - MIN_MATCH;
  out[op++] = (Math.min(lit, 15) << 4) | (offset === 0 ? 0 : Math.min(ml, 15));
  if (lit >= 15) op = writeLength(lit - 15, out, op);
  src.copy(out, op, anchor, anchor + lit);
  op += lit;
  if (offset === 0) return op; // the last sequence: literals only
  out[op++] = offset & 0xff;
  out[op++] = offset >>> 8;
  if (ml >= 15) op = writeLength(ml - 15, out, op);
  return op;
}

/** One LZ4 block of src[start, end) written into out at op (room: lz4CompressBound); returns the new op. */
export function lz4CompressBlock(src: Buffer, start: number, end: number, out: Buffer, op: number): number {
  let anchor = start;
  if (end - start > MF_LIMIT) {
    const matchLimit = end - LAST_LITERALS; // matches end at or before this
    const lastStart = end - MF_LIMIT; // and start at or before this
    const bits = Math.min(MAX_HASH_BITS, Math.max(8, 32 - Math.clz32(end - start - 1)));
    shift = 32 - bits;
    table.fill(-1, 0, 1 << bits);
    table[hashAt(src, start)] = 0;
    let ip = start + 1;
    outer: for (;;) {
      let probes = 1 << 6;
      let cand: number;
      for (;;) {
        if (ip > lastStart) break outer;
        const h = hashAt(src, ip);
        const prev = table[h]!;
        table[h] = ip - start;
        cand = start + prev;
        if (prev >= 0 && ip - cand <= MAX_OFFSET && src.readInt32LE(cand) === src.readInt32LE(ip)) break;
        ip += probes++ >>> 6;
      }
      while (ip > anchor && cand > start && src[ip - 1] === src[cand - 1]) {
        ip--;
        cand--;
      }
      let len = MIN_MATCH;
      while (ip + len < matchLimit && src[cand + len] === src[ip + len]) len++;
      op = writeSequence(src, anchor, ip - anchor, out, op, ip - cand, len);
      ip += len;
      anchor = ip;
      if (ip > lastStart) break;
      table[hashAt(src, ip - 2)] = ip - 2 - start;
    }
  }
  return writeSequence(src, anchor, end - anchor, out, op, 0, 0);
}

/** The LZ4 frame Kafka's Lz4BlockOutputStream writes for `input`. */
export function lz4Compress(input: Buffer): Buffer {
  const blocks = Math.ceil(input.length / LZ4_BLOCK_SIZE);
  const out = Buffer.allocUnsafe(7 + blocks * (4 + 16) + lz4CompressBound(input.length) + 4);
  out.writeInt32LE(MAGIC, 0);
  out[4] = FLG;
  out[5] = BD;
  out[6] = (xxhash32(out, 4, 6) >>> 8) & 0xff;
  let op = 7;
  for (let p = 0; p < input.length; p += LZ4_BLOCK_SIZE) {
    const end = Math.min(input.length, p + LZ4_BLOCK_SIZE);
    const start = op + 4;
    const size = lz4CompressBlock(input, p, end, out, start) - start;
    if (size < end - p) {
      out.writeUInt32LE(size, op);
      op = start + size;
    } else {
      out.writeUInt32LE((end - p + INCOMPRESSIBLE) >>> 0, op);
      op = start + input.copy(out, start, p, end);
    }
  }
  out.writeInt32LE(0, op);
  return out.subarray(0, op + 4);
}
