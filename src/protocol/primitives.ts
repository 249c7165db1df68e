/**
 * Kafka wire-format primitives: a bounds-checked Reader and a growable, chunked Writer.
 *
 * Everything here is on the produce/fetch hot path, so the code avoids per-call
 * allocations (beyond returned values) and never trusts a length read from the network.
 *
 * int64 and varlong: a JS number is exact only within ±(2^53-1), so every int64 read as a
 * `number` must be a safe integer or the read throws a ProtocolError naming the value; every
 * number written as an int64 must be a safe integer or the write throws a RangeError. A value
 * is therefore never silently changed (no rounding, no wrap of 2^63 to -2^63). Fields whose
 * values the broker only stores and hands back (committed offsets) use `Int64` instead: a
 * safe integer as a number, anything else in the int64 range as a bigint, so all 2^64 values
 * round-trip exactly.
 */

/** Thrown on truncated or malformed input. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

const TWO_32 = 4294967296;
const EMPTY = Buffer.alloc(0);

/**
 * An exact int64: a number when it is a safe integer (|v| <= 2^53-1), else a bigint in
 * [-2^63, 2^63-1]. Decoders always produce this canonical form, so === compares values.
 */
export type Int64 = number | bigint;

export const INT64_MAX = 0x7fffffffffffffffn;
export const INT64_MIN = -0x8000000000000000n;

/** The canonical Int64 of a bigint in the int64 range (a number when safe); throws RangeError outside it. */
export function toInt64(v: bigint): Int64 {
  if (v > INT64_MAX || v < INT64_MIN) throw new RangeError(`${v} is outside the int64 range [-2^63, 2^63-1]`);
  return v >= -0x1fffffffffffffn && v <= 0x1fffffffffffffn ? Number(v) : v;
}

/**
 * An Int64 as a number for comparisons only: a bigint (beyond ±(2^53-1)) becomes ±Infinity,
 * which orders the same against every safe integer. Writing the result as an int64 throws, so
 * it cannot leak back onto the wire as another value.
 */
export function int64ForComparison(v: Int64): number {
  return typeof v === 'number' ? v : v > 0n ? Infinity : -Infinity;
}

/** The exact value at buf[pos..pos+8] as a decimal string (for error messages). */
function int64Text(buf: Buffer, pos: number): string {
  return buf.readBigInt64BE(pos).toString();
}

function unsafeInt64(buf: Buffer, pos: number): never {
  throw new ProtocolError(`int64 value ${int64Text(buf, pos)} is outside the range this broker holds exactly (±(2^53-1))`);
}

function notWritable(v: number, what: string): never {
  const exact = Number.isInteger(v) ? BigInt(v).toString() : String(v); // the double's exact value, not its shortest form
  throw new RangeError(`cannot write ${exact} as ${what}: not an integer within ±(2^53-1)`);
}

/** All-zero UUID ("no topic id"). Shared instance: never mutate it. */
export const ZERO_UUID: Buffer = Buffer.alloc(16);

/** Number of bytes `uvarint(v)` takes (v must be a non-negative integer < 2^53). */
export function uvarintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  let n = 5;
  v = Math.floor(v / 0x800000000);
  while (v > 0) {
    n++;
    v = Math.floor(v / 128);
  }
  return n;
}

function truncated(): never {
  throw new ProtocolError('truncated input');
}

// ---------------------------------------------------------------------------------------------
// Position-based codecs, shared by Reader/Writer and by in-place record batch code.

let vpos = 0; // "position after the last varint read": a scratch slot, so reads allocate nothing

/** Position just after the last readVarint/readVarlong. */
export function varintEnd(): number {
  return vpos;
}

/** Zigzag varint (int32) at pos, bounded by end; the position after it is left in varintEnd(). */
export function readVarint(buf: Buffer, pos: number, end = buf.length): number {
  let raw = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= end) truncated();
    const b = buf[pos++]!;
    if (shift === 28) {
      if (b > 0x0f) throw new ProtocolError('varint is longer than 5 bytes');
      raw |= b << 28;
      break;
    }
    raw |= (b & 0x7f) << shift;
    if (b < 0x80) break;
  }
  vpos = pos;
  return (raw >>> 1) ^ -(raw & 1);
}

/**
 * Zigzag varlong at pos as a JS number; position after it in varintEnd(). Throws ProtocolError
 * when the value is not a safe integer (|v| > 2^53-1), rather than rounding it.
 */
export function readVarlong(buf: Buffer, pos: number, end = buf.length): number {
  // Fast path: up to 4 bytes fit in 28 bits, plain int math.
  let result = 0;
  let b = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) truncated();
    b = buf[pos++]!;
    result |= (b & 0x7f) << shift;
    if (b < 0x80) {
      vpos = pos;
      return (result >>> 1) ^ -(result & 1);
    }
  }
  // Slow path: 5th byte holds bits 28..34, split across lo (4 bits) and hi (3 bits).
  if (pos >= end) truncated();
  b = buf[pos++]!;
  const lo = (result | ((b & 0x0f) << 28)) >>> 0;
  let hi = (b & 0x7f) >>> 4;
  if (b >= 0x80) {
    for (let i = 5, s = 3; ; i++, s += 7) {
      if (i >= 10) throw new ProtocolError('varlong is longer than 10 bytes');
      if (pos >= end) truncated();
      b = buf[pos++]!;
      if (s === 31 && (b & 0x7f) > 1) throw new ProtocolError('varlong has bits beyond 64');
      hi = (hi | ((b & 0x7f) << s)) >>> 0;
      if (b < 0x80) break;
    }
  }
  // zigzag z = hi:lo; |v| = z >>> 1 (+1 when negative). Safe iff z < 2^54 - 2, i.e. hi < 2^22 - 1 or
  // hi = 2^22 - 1 with lo < 2^32 - 2 (z = 2^54 - 2 is 2^53 - 1; 2^54 - 1 is -2^53).
  if (hi > 0x3fffff || (hi === 0x3fffff && lo > 0xfffffffe)) {
    const z = (BigInt(hi) << 32n) | BigInt(lo);
    const v = (z & 1n) === 0n ? z >> 1n : -(z >> 1n) - 1n;
    throw new ProtocolError(`varlong value ${v} is outside the range this broker holds exactly (±(2^53-1))`);
  }
  vpos = pos;
  const half = hi * 2147483648 + (lo >>> 1);
  return (lo & 1) === 0 ? half : -half - 1;
}

/** Bytes a zigzag varint of v takes. */
export function sizeOfVarint(v: number): number {
  return uvarintSize(((v << 1) ^ (v >> 31)) >>> 0);
}

/** Bytes a zigzag varlong of v takes (v a safe integer, else RangeError). */
export function sizeOfVarlong(v: number): number {
  if (!Number.isSafeInteger(v)) notWritable(v, 'a varlong');
  return uvarintSize(v >= 0 ? v * 2 : -v * 2 - 1);
}

/** Write a zigzag varint at pos (room for 5 bytes needed); returns the position after it. */
export function writeVarint(buf: Buffer, pos: number, v: number): number {
  let z = ((v << 1) ^ (v >> 31)) >>> 0;
  while (z >= 0x80) {
    buf[pos++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  buf[pos++] = z;
  return pos;
}

/** Write a zigzag varlong at pos (room for 10 bytes needed); returns the position after it. v must be a safe integer (else RangeError). */
export function writeVarlong(buf: Buffer, pos: number, v: number): number {
  if (v >= -0x40000000 && v < 0x40000000 && (v | 0) === v) return writeVarint(buf, pos, v);
  if (!Number.isSafeInteger(v)) notWritable(v, 'a varlong');
  // Zigzag into a (hi, lo) pair of uint32 halves: exact for |v| <= 2^53-1 (hi < 2^22).
  let hi: number;
  let lo: number;
  if (v >= 0) {
    hi = Math.floor(v / 2147483648);
    lo = (v % 2147483648) * 2;
  } else {
    const a = -v - 1;
    hi = Math.floor(a / 2147483648);
    lo = (a % 2147483648) * 2 + 1;
  }
  while (hi !== 0 || lo >= 0x80) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  buf[pos++] = lo;
  return pos;
}

/** Whether the int64 at pos is a safe integer, i.e. readInt64 returns it exactly instead of throwing. */
export function isSafeInt64At(buf: Buffer, pos: number): boolean {
  const hi = buf.readInt32BE(pos);
  // Safe: -2^53 < v < 2^53, i.e. hi in [-2^21, 2^21), excluding v = -2^53 (hi = -2^21, lo = 0).
  return hi < 0x200000 && (hi > -0x200000 || (hi === -0x200000 && buf.readUInt32BE(pos + 4) !== 0));
}

/** int64 at pos as a JS number; throws ProtocolError (never rounds) when it is not a safe integer. */
export function readInt64(buf: Buffer, pos: number): number {
  const hi = buf.readInt32BE(pos);
  const v = hi * TWO_32 + buf.readUInt32BE(pos + 4);
  // Exact whenever |v| <= 2^53; anything beyond rounds to a value beyond MAX_SAFE_INTEGER.
  if (v > Number.MAX_SAFE_INTEGER || v < Number.MIN_SAFE_INTEGER) unsafeInt64(buf, pos);
  return v;
}

/** Write a JS number as int64 at pos; RangeError (never a wrap) unless v is a safe integer. */
export function writeInt64(buf: Buffer, pos: number, v: number): void {
  if (!Number.isSafeInteger(v)) notWritable(v, 'an int64');
  const hi = Math.floor(v / TWO_32);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(v - hi * TWO_32, pos + 4);
}

/** Exact int64 at pos: a number when safe, else a bigint. */
export function readInt64Exact(buf: Buffer, pos: number): Int64 {
  if (isSafeInt64At(buf, pos)) return buf.readInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4);
  return buf.readBigInt64BE(pos);
}

/** Write an Int64 at pos: numbers must be safe integers, bigints within the int64 range (else RangeError). */
export function writeInt64Exact(buf: Buffer, pos: number, v: Int64): void {
  if (typeof v === 'number') return writeInt64(buf, pos, v);
  if (v > INT64_MAX || v < INT64_MIN) throw new RangeError(`cannot write ${v} as an int64: outside [-2^63, 2^63-1]`);
  buf.writeBigInt64BE(v, pos);
}

export class Reader {
  offset: number;
  readonly end: number;
  readonly buf: Buffer;

  constructor(buf: Buffer, offset = 0, end: number = buf.length) {
    if (offset < 0 || end > buf.length || offset > end) {
      throw new ProtocolError(`invalid reader bounds ${offset}..${end} for buffer of ${buf.length}`);
    }
    this.buf = buf;
    this.offset = offset;
    this.end = end;
  }

  remaining(): number {
    return this.end - this.offset;
  }

  /** Advance by n bytes. */
  skip(n: number): void {
    if (n < 0 || n > this.end - this.offset) truncated();
    this.offset += n;
  }

  int8(): number {
    const o = this.offset;
    if (o + 1 > this.end) truncated();
    this.offset = o + 1;
    return this.buf.readInt8(o);
  }

  int16(): number {
    const o = this.offset;
    if (o + 2 > this.end) truncated();
    this.offset = o + 2;
    return this.buf.readInt16BE(o);
  }

  uint16(): number {
    const o = this.offset;
    if (o + 2 > this.end) truncated();
    this.offset = o + 2;
    return this.buf.readUInt16BE(o);
  }

  int32(): number {
    const o = this.offset;
    if (o + 4 > this.end) truncated();
    this.offset = o + 4;
    return this.buf.readInt32BE(o);
  }

  uint32(): number {
    const o = this.offset;
    if (o + 4 > this.end) truncated();
    this.offset = o + 4;
    return this.buf.readUInt32BE(o);
  }

  /** int64 as a JS number; ProtocolError when it is not a safe integer (|v| > 2^53-1). */
  int64(): number {
    const o = this.offset;
    if (o + 8 > this.end) truncated();
    const v = readInt64(this.buf, o);
    this.offset = o + 8;
    return v;
  }

  /** int64 exactly, over its whole range (a bigint when not a safe integer). */
  int64Exact(): Int64 {
    const o = this.offset;
    if (o + 8 > this.end) truncated();
    this.offset = o + 8;
    return readInt64Exact(this.buf, o);
  }

  float64(): number {
    const o = this.offset;
    if (o + 8 > this.end) truncated();
    this.offset = o + 8;
    return this.buf.readDoubleBE(o);
  }

  bool(): boolean {
    const o = this.offset;
    if (o + 1 > this.end) truncated();
    this.offset = o + 1;
    return this.buf[o] !== 0;
  }

  /** Unsigned varint, at most 5 bytes (uint32 range). */
  uvarint(): number {
    const buf = this.buf;
    const end = this.end;
    let o = this.offset;
    if (o >= end) truncated();
    let b = buf[o++]!;
    if (b < 0x80) {
      this.offset = o;
      return b;
    }
    let result = b & 0x7f;
    let shift = 7;
    for (;;) {
      if (o >= end) truncated();
      b = buf[o++]!;
      if (shift === 28) {
        if (b & 0x80) throw new ProtocolError('varint is longer than 5 bytes');
        result = (result | (b << 28)) >>> 0;
        break;
      }
      result |= (b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7;
    }
    this.offset = o;
    return result;
  }

  /** Zigzag-encoded signed int32 varint. */
  varint(): number {
    const v = readVarint(this.buf, this.offset, this.end);
    this.offset = vpos;
    return v;
  }

  /** Zigzag-encoded signed int64 varint (at most 10 bytes), as a JS number (ProtocolError beyond ±(2^53-1)). */
  varlong(): number {
    const v = readVarlong(this.buf, this.offset, this.end);
    this.offset = vpos;
    return v;
  }

  /** 16-byte copy. */
  uuid(): Buffer {
    const o = this.offset;
    if (o + 16 > this.end) truncated();
    this.offset = o + 16;
    const b = Buffer.allocUnsafe(16);
    this.buf.copy(b, 0, o, o + 16);
    return b;
  }

  private utf8(len: number): string {
    const o = this.offset;
    if (len > this.end - o) throw new ProtocolError(`string length ${len} exceeds remaining ${this.end - o}`);
    this.offset = o + len;
    return len === 0 ? '' : this.buf.toString('utf8', o, o + len);
  }

  private slice(len: number): Buffer {
    const o = this.offset;
    if (len > this.end - o) throw new ProtocolError(`bytes length ${len} exceeds remaining ${this.end - o}`);
    this.offset = o + len;
    return this.buf.subarray(o, o + len);
  }

  string(): string {
    const len = this.int16();
    if (len < 0) throw new ProtocolError('non-nullable string is null');
    return this.utf8(len);
  }

  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) {
      if (len === -1) return null;
      throw new ProtocolError(`invalid string length ${len}`);
    }
    return this.utf8(len);
  }

  compactString(): string {
    const len = this.uvarint() - 1;
    if (len < 0) throw new ProtocolError('non-nullable compact string is null');
    return this.utf8(len);
  }

  compactNullableString(): string | null {
    const len = this.uvarint() - 1;
    if (len < 0) return null;
    return this.utf8(len);
  }

  bytes(): Buffer {
    const len = this.int32();
    if (len < 0) throw new ProtocolError('non-nullable bytes is null');
    return this.slice(len);
  }

  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len < 0) {
      if (len === -1) return null;
      throw new ProtocolError(`invalid bytes length ${len}`);
    }
    return this.slice(len);
  }

  compactBytes(): Buffer {
    const len = this.uvarint() - 1;
    if (len < 0) throw new ProtocolError('non-nullable compact bytes is null');
    return this.slice(len);
  }

  compactNullableBytes(): Buffer | null {
    const len = this.uvarint() - 1;
    if (len < 0) return null;
    return this.slice(len);
  }

  /** int32 element count; -1 for null. Bounded by remaining() (every element takes >= 1 byte). */
  arrayLength(): number {
    const n = this.int32();
    if (n < 0) {
      if (n === -1) return -1;
      throw new ProtocolError(`invalid array length ${n}`);
    }
    if (n > this.end - this.offset) throw new ProtocolError(`array length ${n} exceeds remaining ${this.end - this.offset}`);
    return n;
  }

  /** uvarint element count - 1; -1 for null. Bounded by remaining(). */
  compactArrayLength(): number {
    const n = this.uvarint() - 1;
    if (n > this.end - this.offset) throw new ProtocolError(`array length ${n} exceeds remaining ${this.end - this.offset}`);
    return n;
  }

  skipTaggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint(); // tag
      this.skip(this.uvarint());
    }
  }
}

/** Raw buffers at least this large are appended by reference rather than copied. */
const RAW_CHUNK_THRESHOLD = 4096;

export class Writer {
  private buf: Buffer;
  /** Start of the not-yet-chunked region of `buf`. */
  private start = 0;
  /** Write position in `buf`. */
  private pos = 0;
  /** Completed chunks (slices of earlier regions or large raw buffers). */
  private segs: Buffer[] = [];
  /** Logical offset at which each completed chunk starts. */
  private segStarts: number[] = [];
  /** Total bytes in completed chunks. */
  private flushed = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialSize));
  }

  get length(): number {
    return this.flushed + this.pos - this.start;
  }

  private grow(n: number): void {
    const used = this.pos - this.start;
    let size = this.buf.length * 2;
    if (size < used + n) size = used + n;
    const nb = Buffer.allocUnsafe(size);
    this.buf.copy(nb, 0, this.start, this.pos);
    this.buf = nb;
    this.start = 0;
    this.pos = used;
  }

  int8(v: number): this {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.pos = this.buf.writeInt8(v, this.pos);
    return this;
  }

  int16(v: number): this {
    if (this.pos + 2 > this.buf.length) this.grow(2);
    this.pos = this.buf.writeInt16BE(v, this.pos);
    return this;
  }

  uint16(v: number): this {
    if (this.pos + 2 > this.buf.length) this.grow(2);
    this.pos = this.buf.writeUInt16BE(v, this.pos);
    return this;
  }

  int32(v: number): this {
    if (this.pos + 4 > this.buf.length) this.grow(4);
    this.pos = this.buf.writeInt32BE(v, this.pos);
    return this;
  }

  uint32(v: number): this {
    if (this.pos + 4 > this.buf.length) this.grow(4);
    this.pos = this.buf.writeUInt32BE(v, this.pos);
    return this;
  }

  /** int64 from a JS number: a safe integer, else RangeError (nothing written). */
  int64(v: number): this {
    if (this.pos + 8 > this.buf.length) this.grow(8);
    writeInt64(this.buf, this.pos, v);
    this.pos += 8;
    return this;
  }

  /** int64 from an Int64 (exact over the whole range; RangeError outside it). */
  int64Exact(v: Int64): this {
    if (this.pos + 8 > this.buf.length) this.grow(8);
    writeInt64Exact(this.buf, this.pos, v);
    this.pos += 8;
    return this;
  }

  float64(v: number): this {
    if (this.pos + 8 > this.buf.length) this.grow(8);
    this.pos = this.buf.writeDoubleBE(v, this.pos);
    return this;
  }

  bool(v: boolean): this {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = v ? 1 : 0;
    return this;
  }

  /** Unsigned varint (0 <= v < 2^32). */
  uvarint(v: number): this {
    if (this.pos + 5 > this.buf.length) this.grow(5);
    const buf = this.buf;
    let p = this.pos;
    v >>>= 0;
    while (v >= 0x80) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p++] = v;
    this.pos = p;
    return this;
  }

  /** Zigzag signed int32 varint. */
  varint(v: number): this {
    if (this.pos + 5 > this.buf.length) this.grow(5);
    this.pos = writeVarint(this.buf, this.pos, v);
    return this;
  }

  /** Zigzag signed int64 varint from a JS number (a safe integer, else RangeError). */
  varlong(v: number): this {
    if (this.pos + 10 > this.buf.length) this.grow(10);
    this.pos = writeVarlong(this.buf, this.pos, v);
    return this;
  }

  uuid(b: Buffer): this {
    if (b.length !== 16) throw new RangeError(`uuid must be 16 bytes, got ${b.length}`);
    if (this.pos + 16 > this.buf.length) this.grow(16);
    b.copy(this.buf, this.pos);
    this.pos += 16;
    return this;
  }

  private utf8(s: string, len: number): void {
    if (this.pos + len > this.buf.length) this.grow(len);
    if (len > 0) this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }

  string(s: string): this {
    const len = Buffer.byteLength(s, 'utf8');
    if (len > 0x7fff) throw new RangeError(`string too long (${len} bytes)`);
    this.int16(len);
    this.utf8(s, len);
    return this;
  }

  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    return this.string(s);
  }

  compactString(s: string): this {
    const len = Buffer.byteLength(s, 'utf8');
    this.uvarint(len + 1);
    this.utf8(s, len);
    return this;
  }

  compactNullableString(s: string | null): this {
    if (s === null) return this.uvarint(0);
    return this.compactString(s);
  }

  bytes(b: Buffer): this {
    this.int32(b.length);
    return this.raw(b);
  }

  nullableBytes(b: Buffer | null): this {
    if (b === null) return this.int32(-1);
    return this.bytes(b);
  }

  compactBytes(b: Buffer): this {
    this.uvarint(b.length + 1);
    return this.raw(b);
  }

  compactNullableBytes(b: Buffer | null): this {
    if (b === null) return this.uvarint(0);
    return this.compactBytes(b);
  }

  /** n = -1 writes null. */
  arrayLength(n: number): this {
    return this.int32(n);
  }

  /** n = -1 writes null. */
  compactArrayLength(n: number): this {
    return this.uvarint(n + 1);
  }

  /** Writes an empty tagged-field section (uvarint 0). */
  emptyTaggedFields(): this {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = 0;
    return this;
  }

  /** Append a buffer without copying it when it is large (>= 4 KiB): it becomes its own chunk. */
  raw(b: Buffer): this {
    const n = b.length;
    if (n < RAW_CHUNK_THRESHOLD) {
      if (n === 0) return this;
      if (this.pos + n > this.buf.length) this.grow(n);
      b.copy(this.buf, this.pos);
      this.pos += n;
      return this;
    }
    if (this.pos > this.start) {
      this.segs.push(this.buf.subarray(this.start, this.pos));
      this.segStarts.push(this.flushed);
      this.flushed += this.pos - this.start;
      this.start = this.pos;
    }
    this.segs.push(b);
    this.segStarts.push(this.flushed);
    this.flushed += n;
    return this;
  }

  /** The written bytes as a list of buffers (for socket writev); large raw() buffers are not copied. */
  chunks(): Buffer[] {
    const out = this.segs.slice();
    if (this.pos > this.start) out.push(this.buf.subarray(this.start, this.pos));
    return out;
  }

  /** One contiguous copy of everything written. */
  toBuffer(): Buffer {
    const total = this.length;
    const out = Buffer.allocUnsafe(total);
    let p = 0;
    for (const s of this.segs) p += s.copy(out, p);
    this.buf.copy(out, p, this.start, this.pos);
    return out;
  }

  /** Reserve 4 bytes now and fill them later (frame sizes): returns a handle for patchInt32. */
  reserveInt32(): number {
    if (this.pos + 4 > this.buf.length) this.grow(4);
    const handle = this.length;
    this.buf.fill(0, this.pos, this.pos + 4);
    this.pos += 4;
    return handle;
  }

  patchInt32(handle: number, value: number): void {
    if (handle >= this.flushed) {
      this.buf.writeInt32BE(value, this.start + handle - this.flushed);
      return;
    }
    // Reserved bytes never straddle chunks: find the completed chunk holding them.
    for (let i = this.segs.length - 1; i >= 0; i--) {
      const s = this.segStarts[i]!;
      if (handle >= s) {
        this.segs[i]!.writeInt32BE(value, handle - s);
        return;
      }
    }
    throw new RangeError(`invalid handle ${handle}`);
  }
}

export { EMPTY as EMPTY_BUFFER };
