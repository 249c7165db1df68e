/**
 * Kafka's ByteUtils: position-based codecs for varints, varlongs and int64s, shared by
 * primitives.ts's Reader/Writer and by in-place record batch code, plus the Int64 type and
 * ProtocolError. Plain functions (no class, no per-call indirection): this is the hot path.
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
/** An empty buffer. Shared instance. */
export const EMPTY = Buffer.alloc(0);

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

export function truncated(): never {
  throw new ProtocolError('truncated input');
}

// ---------------------------------------------------------------------------------------------
// Position-based codecs, shared by Reader/Writer and by in-place record batch code.

/** "Position after the last varint read": a scratch slot, so reads allocate nothing. Read it (as Reader does) or call varintEnd(); only this module writes it. */
export let vpos = 0;

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
