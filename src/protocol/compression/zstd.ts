// A pure-TS Zstandard decoder (RFC 8878) for runtimes whose node:zlib lacks zstd (Node < 22.15):
// frames (skippable frames skipped), raw/RLE/compressed blocks, literals (raw, RLE, Huffman with
// 1 or 4 streams, treeless reuse), Huffman weights (direct or FSE-coded), sequences with
// predefined/RLE/FSE/repeat tables and repeat offsets. Dictionaries are refused (Kafka does not
// use them); the content checksum (XXH64) is not verified, as Kafka skips LZ4's. The output is
// one buffer that never grows past the caller's bound.

import { CompressionError, corrupt, tooLarge } from './CompressionError.js';

const MAGIC = 0xfd2fb528;
const BLOCK_MAX = 128 * 1024;

// ---------------------------------------------------------------------------------------------
// Output within a bound

class Output {
  buf: Buffer;
  pos = 0;
  constructor(readonly limit: number, hint: number) {
    this.buf = Buffer.allocUnsafe(Math.min(limit, Math.max(hint, 1024)));
  }
  ensure(n: number): void {
    const need = this.pos + n;
    if (need > this.limit) tooLarge(this.limit);
    if (need <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.min(this.limit, Math.max(need, this.buf.length * 2)));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

// ---------------------------------------------------------------------------------------------
// Bit readers

/** Bits [pos, pos + n) of data read least-significant first (n <= 24); bits past the end read 0. */
function bitsAt(data: Buffer, pos: number, n: number): number {
  const i = pos >>> 3;
  const v = (data[i] ?? 0) | ((data[i + 1] ?? 0) << 8) | ((data[i + 2] ?? 0) << 16) | ((data[i + 3] ?? 0) << 24);
  return ((v >>> (pos & 7)) & ((1 << n) - 1)) >>> 0;
}

/** The backward bitstream of Huffman and FSE streams: read from the last byte's marker bit down. */
class BackwardBits {
  /** Bits not yet consumed (negative once over-read: missing bits read as zeros). */
  left: number;
  /** The stream's bytes with 4 zero bytes of padding, so reads never leave the array. */
  private readonly bytes: Uint8Array;
  constructor(data: Buffer, start: number, end: number) {
    if (end <= start) corrupt('zstd: empty bitstream');
    const last = data[end - 1]!;
    if (last === 0) corrupt('zstd: bitstream without end marker');
    this.bytes = new Uint8Array(end - start + 4);
    this.bytes.set(data.subarray(start, end));
    this.left = (end - 1 - start) * 8 + (31 - Math.clz32(last));
  }
  /** The next n bits (n <= 31), most significant first. */
  read(n: number): number {
    if (n === 0) return 0;
    const v = this.peek(n);
    this.left -= n;
    return v;
  }
  peek(n: number): number {
    const top = this.left;
    if (top >= n) return this.get(top - n, n);
    if (top <= 0) return 0;
    return this.get(0, top) * 2 ** (n - top); // missing low bits read as zeros
  }
  private get(pos: number, n: number): number {
    if (n > 24) return this.get(pos, 16) + this.get(pos + 16, n - 16) * 65536;
    const b = this.bytes;
    const i = pos >>> 3;
    const v = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
    return (v >>> (pos & 7)) & ((1 << n) - 1);
  }
}

// ---------------------------------------------------------------------------------------------
// FSE tables

interface FseTable {
  log: number;
  symbol: Uint8Array;
  bits: Uint8Array;
  base: Uint16Array;
}

/** Read an FSE normalized distribution at data[pos]; returns the table and the bytes consumed. */
function readFseTable(data: Buffer, pos: number, end: number, maxLog: number, maxSymbol: number): { table: FseTable; size: number } {
  if (pos >= end) corrupt('zstd: truncated FSE table');
  let bit = pos * 8;
  const limitBits = end * 8;
  const log = bitsAt(data, bit, 4) + 5;
  bit += 4;
  if (log > maxLog) corrupt(`zstd: FSE accuracy log ${log} above ${maxLog}`);
  const norm: number[] = [];
  let remaining = (1 << log) + 1;
  let threshold = 1 << log;
  let nbBits = log + 1;
  let previousZero = false;
  while (remaining > 1) {
    if (norm.length > maxSymbol) corrupt('zstd: FSE table has too many symbols');
    if (previousZero) {
      for (;;) {
        const repeat = bitsAt(data, bit, 2);
        bit += 2;
        for (let r = 0; r < repeat; r++) norm.push(0);
        if (repeat !== 3) break;
      }
      if (norm.length > maxSymbol) corrupt('zstd: FSE table has too many symbols');
    }
    const max = 2 * threshold - 1 - remaining;
    let count: number;
    const low = bitsAt(data, bit, nbBits - 1);
    if (low < max) {
      count = low;
      bit += nbBits - 1;
    } else {
      count = bitsAt(data, bit, nbBits);
      if (count >= threshold) count -= max;
      bit += nbBits;
    }
    count--;
    remaining -= Math.abs(count);
    norm.push(count);
    previousZero = count === 0;
    while (remaining < threshold && threshold > 1) {
      nbBits--;
      threshold >>= 1;
    }
    if (bit > limitBits) corrupt('zstd: truncated FSE table');
  }
  if (remaining !== 1 || norm.length > maxSymbol + 1) corrupt('zstd: FSE distribution does not add up');
  return { table: buildFseTable(norm, log), size: ((bit + 7) >> 3) - pos };
}

function buildFseTable(norm: readonly number[], log: number): FseTable {
  const size = 1 << log;
  const symbol = new Uint8Array(size);
  const bits = new Uint8Array(size);
  const base = new Uint16Array(size);
  const next = new Uint32Array(norm.length);
  let high = size - 1;
  for (let s = 0; s < norm.length; s++) {
    if (norm[s] === -1) {
      symbol[high--] = s;
      next[s] = 1;
    } else next[s] = Math.max(0, norm[s]!);
  }
  const step = (size >> 1) + (size >> 3) + 3;
  const mask = size - 1;
  let p = 0;
  for (let s = 0; s < norm.length; s++) {
    for (let i = 0; i < norm[s]!; i++) {
      symbol[p] = s;
      do p = (p + step) & mask;
      while (p > high);
    }
  }
  if (p !== 0) corrupt('zstd: invalid FSE distribution');
  for (let u = 0; u < size; u++) {
    const s = symbol[u]!;
    const state = next[s]++;
    const nb = log - (31 - Math.clz32(state));
    bits[u] = nb;
    base[u] = (state << nb) - size;
  }
  return { log, symbol, bits, base };
}

function rleTable(sym: number): FseTable {
  return { log: 0, symbol: Uint8Array.of(sym), bits: Uint8Array.of(0), base: Uint16Array.of(0) };
}

// Predefined distributions (RFC 8878 3.1.1.3.2.2)
const LL_DEFAULT = buildFseTable([4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1], 6);
const ML_DEFAULT = buildFseTable(
  [1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1],
  6,
);
const OF_DEFAULT = buildFseTable([1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1], 5);

const LL_BASE = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];
const LL_BITS = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
const ML_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051,
  4099, 8195, 16387, 32771, 65539,
];
const ML_BITS = [
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
];

// ---------------------------------------------------------------------------------------------
// Huffman literals

interface HuffTable {
  log: number;
  symbol: Uint8Array;
  bits: Uint8Array;
}

/** Read a Huffman tree description at data[pos]; returns the table and the bytes consumed. */
function readHuffTable(data: Buffer, pos: number, end: number): { table: HuffTable; size: number } {
  if (pos >= end) corrupt('zstd: truncated Huffman table');
  const header = data[pos]!;
  const weights: number[] = [];
  let size: number;
  if (header >= 128) {
    const n = header - 127;
    size = 1 + ((n + 1) >> 1);
    if (pos + size > end) corrupt('zstd: truncated Huffman weights');
    for (let i = 0; i < n; i++) weights.push(i & 1 ? data[pos + 1 + (i >> 1)]! & 15 : data[pos + 1 + (i >> 1)]! >> 4);
  } else {
    size = 1 + header;
    if (pos + size > end) corrupt('zstd: truncated Huffman weights');
    const { table, size: tsize } = readFseTable(data, pos + 1, pos + size, 6, 255);
    const bits = new BackwardBits(data, pos + 1 + tsize, pos + size);
    let s1 = bits.read(table.log);
    let s2 = bits.read(table.log);
    for (;;) {
      if (weights.length > 254) corrupt('zstd: too many Huffman weights');
      weights.push(table.symbol[s1]!);
      s1 = table.base[s1]! + bits.read(table.bits[s1]!);
      if (bits.left < 0) {
        weights.push(table.symbol[s2]!);
        break;
      }
      weights.push(table.symbol[s2]!);
      s2 = table.base[s2]! + bits.read(table.bits[s2]!);
      if (bits.left < 0) {
        weights.push(table.symbol[s1]!);
        break;
      }
    }
  }
  let sum = 0;
  for (const w of weights) {
    if (w > 11) corrupt('zstd: Huffman weight above 11');
    if (w > 0) sum += 1 << (w - 1);
  }
  if (sum === 0) corrupt('zstd: empty Huffman table');
  const log = 32 - Math.clz32(sum);
  if (log > 11) corrupt('zstd: Huffman table too deep');
  const rest = (1 << log) - sum;
  if (rest & (rest - 1)) corrupt('zstd: Huffman weights do not complete a tree');
  weights.push(32 - Math.clz32(rest));
  const rankCount = new Array<number>(log + 2).fill(0);
  for (const w of weights) rankCount[w]!++;
  const rankStart = new Array<number>(log + 2).fill(0);
  for (let w = 1, next = 0; w <= log; w++) {
    rankStart[w] = next;
    next += rankCount[w]! << (w - 1);
  }
  const symbol = new Uint8Array(1 << log);
  const bits = new Uint8Array(1 << log);
  for (let s = 0; s < weights.length; s++) {
    const w = weights[s]!;
    if (w === 0) continue;
    const len = 1 << (w - 1);
    const at = rankStart[w]!;
    symbol.fill(s, at, at + len);
    bits.fill(log + 1 - w, at, at + len);
    rankStart[w] = at + len;
  }
  return { table: { log, symbol, bits }, size };
}

function decodeHuffStream(t: HuffTable, data: Buffer, start: number, end: number, dst: Buffer, from: number, to: number): void {
  const bits = new BackwardBits(data, start, end);
  for (let i = from; i < to; i++) {
    const v = bits.peek(t.log);
    dst[i] = t.symbol[v]!;
    bits.left -= t.bits[v]!;
  }
  if (bits.left !== 0) corrupt('zstd: Huffman stream not fully consumed');
}

// ---------------------------------------------------------------------------------------------
// Frame and blocks

interface FrameState {
  huff: HuffTable | null;
  ll: FseTable | null;
  of: FseTable | null;
  ml: FseTable | null;
  rep: [number, number, number];
  frameStart: number;
}

function decodeLiterals(data: Buffer, pos: number, end: number, st: FrameState): { lits: Buffer; size: number } {
  const b0 = data[pos]!;
  const type = b0 & 3;
  const format = (b0 >> 2) & 3;
  if (type < 2) {
    let regen: number;
    let hsize: number;
    if ((format & 1) === 0) {
      regen = b0 >> 3;
      hsize = 1;
    } else if (format === 1) {
      if (pos + 2 > end) corrupt('zstd: truncated literals header');
      regen = (b0 >> 4) + (data[pos + 1]! << 4);
      hsize = 2;
    } else {
      if (pos + 3 > end) corrupt('zstd: truncated literals header');
      regen = (b0 >> 4) + (data[pos + 1]! << 4) + (data[pos + 2]! << 12);
      hsize = 3;
    }
    if (regen > BLOCK_MAX) corrupt('zstd: literals larger than a block');
    if (type === 0) {
      if (pos + hsize + regen > end) corrupt('zstd: truncated raw literals');
      return { lits: data.subarray(pos + hsize, pos + hsize + regen), size: hsize + regen };
    }
    if (pos + hsize + 1 > end) corrupt('zstd: truncated RLE literals');
    return { lits: Buffer.alloc(regen, data[pos + hsize]!), size: hsize + 1 };
  }
  const hsize = format < 2 ? 3 : format === 2 ? 4 : 5;
  if (pos + hsize > end) corrupt('zstd: truncated literals header');
  const fieldBits = format < 2 ? 10 : format === 2 ? 14 : 18;
  let h = 0;
  for (let i = hsize - 1; i >= 0; i--) h = h * 256 + data[pos + i]!;
  const mask = 2 ** fieldBits;
  const regen = Math.floor(h / 16) % mask;
  const csize = Math.floor(h / 16 / mask) % mask;
  const streams = format === 0 ? 1 : 4;
  if (regen > BLOCK_MAX) corrupt('zstd: literals larger than a block');
  let p = pos + hsize;
  const cend = p + csize;
  if (cend > end) corrupt('zstd: truncated compressed literals');
  if (type === 2) {
    const { table, size } = readHuffTable(data, p, cend);
    st.huff = table;
    p += size;
  } else if (!st.huff) corrupt('zstd: treeless literals without a previous Huffman table');
  const lits = Buffer.allocUnsafe(regen);
  if (streams === 1) {
    decodeHuffStream(st.huff!, data, p, cend, lits, 0, regen);
  } else {
    if (p + 6 > cend) corrupt('zstd: truncated jump table');
    const s1 = data.readUInt16LE(p);
    const s2 = data.readUInt16LE(p + 2);
    const s3 = data.readUInt16LE(p + 4);
    p += 6;
    const per = (regen + 3) >> 2;
    if (per * 3 > regen || p + s1 + s2 + s3 > cend) corrupt('zstd: invalid jump table');
    const starts = [p, p + s1, p + s1 + s2, p + s1 + s2 + s3, cend];
    for (let i = 0; i < 4; i++) decodeHuffStream(st.huff!, data, starts[i]!, starts[i + 1]!, lits, i * per, i === 3 ? regen : (i + 1) * per);
  }
  return { lits, size: hsize + csize };
}

function sequenceTable(mode: number, data: Buffer, pos: number, end: number, def: FseTable, prev: FseTable | null, maxLog: number, maxSym: number): { table: FseTable; size: number } {
  switch (mode) {
    case 0:
      return { table: def, size: 0 };
    case 1:
      if (pos >= end) corrupt('zstd: truncated RLE table');
      if (data[pos]! > maxSym) corrupt('zstd: RLE symbol out of range');
      return { table: rleTable(data[pos]!), size: 1 };
    case 2:
      return readFseTable(data, pos, end, maxLog, maxSym);
    default:
      if (!prev) corrupt('zstd: repeat table without a previous one');
      return { table: prev!, size: 0 };
  }
}

function decodeCompressedBlock(data: Buffer, pos: number, end: number, st: FrameState, out: Output): void {
  const { lits, size } = decodeLiterals(data, pos, end, st);
  let p = pos + size;
  if (p >= end) corrupt('zstd: truncated sequences section');
  let nseq = data[p++]!;
  if (nseq >= 128) {
    if (p >= end) corrupt('zstd: truncated sequence count');
    if (nseq < 255) nseq = ((nseq - 128) << 8) + data[p++]!;
    else {
      if (p + 2 > end) corrupt('zstd: truncated sequence count');
      nseq = data[p]! + (data[p + 1]! << 8) + 0x7f00;
      p += 2;
    }
  }
  if (nseq === 0) {
    if (p !== end) corrupt('zstd: bytes after an empty sequences section');
    out.ensure(lits.length);
    lits.copy(out.buf, out.pos);
    out.pos += lits.length;
    return;
  }
  if (p >= end) corrupt('zstd: truncated compression modes');
  const modes = data[p++]!;
  if (modes & 3) corrupt('zstd: reserved bits set in compression modes');
  const ll = sequenceTable(modes >> 6, data, p, end, LL_DEFAULT, st.ll, 9, 35);
  p += ll.size;
  const of = sequenceTable((modes >> 4) & 3, data, p, end, OF_DEFAULT, st.of, 8, 31);
  p += of.size;
  const ml = sequenceTable((modes >> 2) & 3, data, p, end, ML_DEFAULT, st.ml, 9, 52);
  p += ml.size;
  st.ll = ll.table;
  st.of = of.table;
  st.ml = ml.table;
  const bits = new BackwardBits(data, p, end);
  let sLL = bits.read(ll.table.log);
  let sOF = bits.read(of.table.log);
  let sML = bits.read(ml.table.log);
  const rep = st.rep;
  let litPos = 0;
  const blockStart = out.pos;
  for (let i = 0; i < nseq; i++) {
    const ofCode = of.table.symbol[sOF]!;
    const llCode = ll.table.symbol[sLL]!;
    const mlCode = ml.table.symbol[sML]!;
    if (ofCode > 31) corrupt('zstd: offset code out of range');
    const ov = ofCode === 0 ? 1 : 2 ** ofCode + bits.read(ofCode);
    const matchLen = ML_BASE[mlCode]! + bits.read(ML_BITS[mlCode]!);
    const litLen = LL_BASE[llCode]! + bits.read(LL_BITS[llCode]!);
    if (i + 1 < nseq) {
      sLL = ll.table.base[sLL]! + bits.read(ll.table.bits[sLL]!);
      sML = ml.table.base[sML]! + bits.read(ml.table.bits[sML]!);
      sOF = of.table.base[sOF]! + bits.read(of.table.bits[sOF]!);
    }
    if (bits.left < 0) corrupt('zstd: sequences bitstream over-read');
    let offset: number;
    if (ov > 3) {
      offset = ov - 3;
      rep[2] = rep[1];
      rep[1] = rep[0];
      rep[0] = offset;
    } else {
      const idx = ov - 1 + (litLen === 0 ? 1 : 0);
      if (idx === 0) offset = rep[0];
      else {
        offset = idx === 3 ? rep[0] - 1 : rep[idx]!;
        if (offset === 0) corrupt('zstd: zero repeat offset');
        if (idx !== 1) rep[2] = rep[1];
        rep[1] = rep[0];
        rep[0] = offset;
      }
    }
    if (litPos + litLen > lits.length) corrupt('zstd: sequence uses more literals than decoded');
    out.ensure(litLen + matchLen);
    const buf = out.buf;
    lits.copy(buf, out.pos, litPos, litPos + litLen);
    litPos += litLen;
    out.pos += litLen;
    if (offset > out.pos - st.frameStart) corrupt(`zstd: match offset ${offset} before the frame start`);
    let from = out.pos - offset;
    if (offset >= matchLen) {
      buf.copy(buf, out.pos, from, from + matchLen);
      out.pos += matchLen;
    } else {
      for (let k = 0; k < matchLen; k++) buf[out.pos++] = buf[from++]!;
    }
  }
  if (bits.left !== 0) corrupt('zstd: sequences bitstream not fully consumed');
  const restLits = lits.length - litPos;
  out.ensure(restLits);
  lits.copy(out.buf, out.pos, litPos);
  out.pos += restLits;
  if (out.pos - blockStart > BLOCK_MAX) corrupt('zstd: block decodes past 128 KiB');
}

/** Decode one frame at data[pos]; returns the position after it. */
function decodeFrame(data: Buffer, pos: number, out: Output): number {
  const end = data.length;
  if (pos + 5 > end) corrupt('zstd: truncated frame header');
  const fhd = data[pos + 4]!;
  let p = pos + 5;
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  if (fhd & 8) corrupt('zstd: reserved frame header bit set');
  const checksum = (fhd >> 2) & 1;
  const dictIdSize = [0, 1, 2, 4][fhd & 3]!;
  if (!single) p++; // window descriptor: matches are checked against the frame start instead
  let dictId = 0;
  for (let i = 0; i < dictIdSize; i++) dictId += (data[p + i] ?? 0) * 2 ** (8 * i);
  p += dictIdSize;
  if (dictId !== 0) corrupt('zstd: dictionaries are not supported');
  const fcsSize = fcsFlag === 0 ? single : [0, 2, 4, 8][fcsFlag]!;
  if (p + fcsSize > end) corrupt('zstd: truncated frame header');
  let contentSize = -1;
  if (fcsSize > 0) {
    contentSize = 0;
    for (let i = 0; i < fcsSize; i++) contentSize += data[p + i]! * 2 ** (8 * i);
    if (fcsSize === 2) contentSize += 256;
  }
  p += fcsSize;
  if (contentSize > out.limit - out.pos) tooLarge(out.limit);
  if (contentSize > 0) out.ensure(contentSize); // pre-size (within the bound) when the frame says
  const st: FrameState = { huff: null, ll: null, of: null, ml: null, rep: [1, 4, 8], frameStart: out.pos };
  for (;;) {
    if (p + 3 > end) corrupt('zstd: truncated block header');
    const bh = data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16);
    p += 3;
    const last = bh & 1;
    const type = (bh >> 1) & 3;
    const size = bh >>> 3;
    if (type === 1) {
      if (size > BLOCK_MAX) corrupt('zstd: RLE block larger than 128 KiB');
      if (p + 1 > end) corrupt('zstd: truncated RLE block');
      out.ensure(size);
      out.buf.fill(data[p]!, out.pos, out.pos + size);
      out.pos += size;
      p += 1;
    } else {
      if (size > BLOCK_MAX) corrupt('zstd: block larger than 128 KiB');
      if (p + size > end) corrupt('zstd: truncated block');
      if (type === 0) {
        out.ensure(size);
        data.copy(out.buf, out.pos, p, p + size);
        out.pos += size;
      } else if (type === 2) {
        decodeCompressedBlock(data, p, p + size, st, out);
      } else corrupt('zstd: reserved block type');
      p += size;
    }
    if (last) break;
  }
  if (contentSize >= 0 && out.pos - st.frameStart !== contentSize) corrupt('zstd: frame content size mismatch');
  if (checksum) {
    if (p + 4 > end) corrupt('zstd: truncated content checksum');
    p += 4;
  }
  return p;
}

/**
 * Call `frame(pos)` for each zstd frame of `input` (skippable frames skipped); it returns where
 * that frame ends. Corrupt on an empty input, an unknown magic or a cut skippable frame.
 */
function forEachFrame(input: Buffer, frame: (pos: number) => number): void {
  let pos = 0;
  if (input.length === 0) corrupt('zstd: empty input');
  while (pos < input.length) {
    if (pos + 4 > input.length) corrupt('zstd: truncated frame magic');
    const magic = input.readUInt32LE(pos);
    if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
      if (pos + 8 > input.length) corrupt('zstd: truncated skippable frame');
      pos += 8 + input.readUInt32LE(pos + 4);
      if (pos > input.length) corrupt('zstd: truncated skippable frame');
      continue;
    }
    if (magic !== MAGIC) corrupt('zstd: unknown frame magic');
    pos = frame(pos);
  }
}

/**
 * Walk the frame and block headers of concatenated zstd frames without decoding them and return
 * where each (non-skippable) frame lies: corrupt if any frame or block is cut short; too-large if
 * the content sizes the frames declare exceed `limit`. node:zlib's zstd (Node >= 22.15) returns a
 * truncated frame's partial output without an error and decodes only the first of several
 * frames, so this runs before it; it costs one header read per block.
 */
export function zstdCheckFrames(input: Buffer, limit: number): [start: number, end: number][] {
  const frames: [number, number][] = [];
  let declared = 0;
  forEachFrame(input, (pos) => {
    if (pos + 5 > input.length) corrupt('zstd: truncated frame header');
    const fhd = input[pos + 4]!;
    const single = (fhd >> 5) & 1;
    const fcsFlag = fhd >> 6;
    const fcsSize = fcsFlag === 0 ? single : [0, 2, 4, 8][fcsFlag]!;
    let p = pos + 5 + (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3]!;
    if (p + fcsSize > input.length) corrupt('zstd: truncated frame header');
    if (fcsSize > 0) {
      let size = 0;
      for (let i = 0; i < fcsSize; i++) size += input[p + i]! * 2 ** (8 * i);
      declared += fcsSize === 2 ? size + 256 : size;
      if (declared > limit) tooLarge(limit);
    }
    p += fcsSize;
    for (;;) {
      if (p + 3 > input.length) corrupt('zstd: truncated block header');
      const bh = input[p]! | (input[p + 1]! << 8) | (input[p + 2]! << 16);
      p += 3 + (((bh >> 1) & 3) === 1 ? 1 : bh >>> 3);
      if (p > input.length) corrupt('zstd: truncated block');
      if (bh & 1) break;
    }
    if ((fhd >> 2) & 1) p += 4;
    if (p > input.length) corrupt('zstd: truncated content checksum');
    frames.push([pos, p]);
    return p;
  });
  return frames;
}

/** Decompress concatenated zstd frames (skippable frames skipped) into at most `limit` bytes. */
export function zstdDecompress(input: Buffer, limit: number): Buffer {
  const out = new Output(limit, input.length * 4);
  forEachFrame(input, (pos) => {
    try {
      return decodeFrame(input, pos, out);
    } catch (err) {
      if (err instanceof CompressionError) throw err;
      return corrupt(`zstd: ${(err as Error).message}`);
    }
  });
  return out.buf.subarray(0, out.pos);
}
