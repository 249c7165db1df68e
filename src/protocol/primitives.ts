/**
 * Kafka wire-format primitives: a bounds-checked Reader and a growable, chunked Writer.
 *
 * Everything here is on the produce/fetch hot path, so the code avoids per-call
 * allocations (beyond returned values) and never trusts a length read from the network.
 * The position-based varint/int64 codecs they use live in byteUtils.ts (re-exported here, so
 * importers and the generated codecs keep one import); its opening comment says how int64s are
 * kept exact.
 */

import {
  EMPTY,
  ProtocolError,
  readInt64,
  readInt64Exact,
  readVarint,
  readVarlong,
  truncated,
  vpos,
  writeInt64,
  writeInt64Exact,
  writeVarint,
  writeVarlong,
  type Int64,
} from './byteUtils.js';

export {
  ProtocolError,
  type Int64,
  INT64_MAX,
  INT64_MIN,
  toInt64,
  int64ForComparison,
  ZERO_UUID,
  uvarintSize,
  varintEnd,
  readVarint,
  readVarlong,
  sizeOfVarint,
  sizeOfVarlong,
  writeVarint,
  writeVarlong,
  isSafeInt64At,
  readInt64,
  writeInt64,
  readInt64Exact,
  writeInt64Exact,
} from './byteUtils.js';

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
