// Snappy compression as Kafka's Java producer writes it (snappy-java's SnappyOutputStream with
// its default 32 KiB block size): the xerial header 0x82 "SNAPPY" 0x00, version 1, compatible
// version 1 (int32 big-endian each), then one chunk per 32 KiB of input: int32 big-endian length
// and a raw snappy block. Raw blocks (https://github.com/google/snappy/blob/main/format_description.txt)
// come from a greedy matcher: a hash table of 4-byte sequences per 64 KiB fragment, literals for
// what matches nothing, copies (1- or 2-byte offsets) for the rest; the step between probes
// grows while nothing matches, so incompressible input is passed over quickly.

const XERIAL_HEADER = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
/** snappy-java's SnappyOutputStream.DEFAULT_BLOCK_SIZE. */
export const XERIAL_BLOCK_SIZE = 32 * 1024;
/** Matches never reach further back than one fragment (copy offsets fit in 16 bits). */
const FRAGMENT_SIZE = 1 << 16;
/** The hash table has 2^8..2^14 entries, fewer for small inputs (as snappy sizes it), so a small batch clears little. */
const MAX_HASH_BITS = 14;
const table = new Int32Array(1 << MAX_HASH_BITS);
let shift = 32 - MAX_HASH_BITS;

/** Snappy's MaxCompressedLength: the most a raw block of n input bytes can take. */
export function snappyMaxCompressedLength(n: number): number {
  return 32 + n + Math.floor(n / 6);
}

const hashAt = (b: Buffer, i: number): number => Math.imul(b.readInt32LE(i), 0x1e35a7bd) >>> shift;

function emitLiteral(src: Buffer, from: number, to: number, out: Buffer, op: number): number {
  const n = to - from - 1;
  if (n < 60) {
    out[op++] = n << 2;
  } else {
    const bytes = n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4;
    out[op++] = (59 + bytes) << 2;
    for (let i = 0, v = n; i < bytes; i++, v >>>= 8) out[op++] = v & 0xff;
  }
  src.copy(out, op, from, to);
  return op + (to - from);
}

function emitCopyUpTo64(offset: number, len: number, out: Buffer, op: number): number {
  if (len < 12 && offset < 2048) {
    out[op++] = 1 | ((len - 4) << 2) | ((offset >>> 8) << 5);
    out[op++] = offset & 0xff;
  } else {
    out[op++] = 2 | ((len - 1) << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
  }
  return op;
}

function emitCopy(offset: number, len: number, out: Buffer, op: number): number {
  while (len >= 68) {
    op = emitCopyUpTo64(offset, 64, out, op);
    len -= 64;
  }
  if (len > 64) {
    op = emitCopyUpTo64(offset, 60, out, op);
    len -= 60;
  }
  return emitCopyUpTo64(offset, len, out, op);
}

/** Compress src[base, end) (at most one fragment) as elements into out at op; returns the new op. */
function compressFragment(src: Buffer, base: number, end: number, out: Buffer, op: number): number {
  let nextEmit = base;
  const limit = end - 4; // the last position a 4-byte probe may read
  if (end - base >= 16) {
    const bits = Math.min(MAX_HASH_BITS, Math.max(8, 32 - Math.clz32(end - base - 1)));
    shift = 32 - bits;
    table.fill(0, 0, 1 << bits);
    let ip = base + 1;
    outer: for (;;) {
      let skip = 32;
      let cand: number;
      for (;;) {
        if (ip > limit) break outer;
        const h = hashAt(src, ip);
        cand = base + table[h]!;
        table[h] = ip - base;
        if (cand < ip && src.readInt32LE(cand) === src.readInt32LE(ip)) break;
        ip += skip++ >>> 5;
      }
      op = emitLiteralIfAny(src, nextEmit, ip, out, op);
      for (;;) {
        let len = 4;
        while (ip + len < end && src[cand + len] === src[ip + len]) len++;
        op = emitCopy(ip - cand, len, out, op);
        ip += len;
        nextEmit = ip;
        if (ip > limit) break outer;
        table[hashAt(src, ip - 1)] = ip - 1 - base;
        const h = hashAt(src, ip);
        cand = base + table[h]!;
        table[h] = ip - base;
        if (src.readInt32LE(cand) !== src.readInt32LE(ip)) break;
      }
      ip++;
    }
  }
  return emitLiteralIfAny(src, nextEmit, end, out, op);
}

function emitLiteralIfAny(src: Buffer, from: number, to: number, out: Buffer, op: number): number {
  return to > from ? emitLiteral(src, from, to, out, op) : op;
}

/** One raw snappy block of src[start, end) written into out at op (room: snappyMaxCompressedLength); returns the new op. */
export function snappyCompressBlock(src: Buffer, start: number, end: number, out: Buffer, op: number): number {
  for (let v = end - start; ; v >>>= 7) {
    if (v < 0x80) {
      out[op++] = v;
      break;
    }
    out[op++] = (v & 0x7f) | 0x80;
  }
  for (let p = start; p < end; p += FRAGMENT_SIZE) op = compressFragment(src, p, Math.min(end, p + FRAGMENT_SIZE), out, op);
  return op;
}

/** One raw snappy block (no framing) of the whole input. */
export function snappyCompressRaw(input: Buffer): Buffer {
  const out = Buffer.allocUnsafe(snappyMaxCompressedLength(input.length));
  return out.subarray(0, snappyCompressBlock(input, 0, input.length, out, 0));
}

/** The xerial-framed stream snappy-java's SnappyOutputStream writes for `input` (what Kafka's Java producer sends). */
export function snappyCompress(input: Buffer): Buffer {
  const chunks = Math.ceil(input.length / XERIAL_BLOCK_SIZE);
  const out = Buffer.allocUnsafe(XERIAL_HEADER.length + chunks * 4 + snappyMaxCompressedLength(input.length) + chunks * 32);
  XERIAL_HEADER.copy(out, 0);
  let op = XERIAL_HEADER.length;
  for (let p = 0; p < input.length; p += XERIAL_BLOCK_SIZE) {
    const start = op + 4;
    op = snappyCompressBlock(input, p, Math.min(input.length, p + XERIAL_BLOCK_SIZE), out, start);
    out.writeInt32BE(op - start, start - 4);
  }
  return out.subarray(0, op);
}
