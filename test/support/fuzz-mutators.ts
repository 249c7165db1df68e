// The fuzzer's seeded PRNG and frame mutators. A mutator gets a real request frame (size prefix
// included) with its field map and returns new bytes: bit flips, byte inserts/deletes,
// truncation at field boundaries, length fields set to -1/0/huge/off-by-one, overlong and
// unterminated varints, huge array counts, unknown API keys, unsupported and negative versions,
// wrong client id lengths, tagged-field garbage, record batches with garbage behind a valid CRC,
// and frame sizes that lie (bigger and smaller than sent).
import { crc32c } from '../../src/protocol/crc32c.js';
import { API_LIST } from '../../src/server/apis/index.js';
import type { CorpusEntry, Span } from './fuzz-corpus.js';

/** sfc32: small, fast, and the same on every platform. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = 0) {
    this.a = seed >>> 0;
    this.b = Math.imul(stream, 0x9e3779b9) >>> 0;
    this.c = 0x243f6a88 ^ stream;
    this.d = 1;
    for (let i = 0; i < 15; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + (this.u32() % (hi - lo + 1));
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.u32() % xs.length]!;
  }

  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}

/** A frame being mutated: `fixSize` rewrites the size prefix to the length at the end. */
export interface Mutable {
  bytes: Buffer;
  spans: Span[];
  fixSize: boolean;
  maxRequestBytes: number;
}

type Mutator = (r: Prng, m: Mutable) => void;

function splice(m: Mutable, start: number, end: number, insert: Buffer): void {
  m.bytes = Buffer.concat([m.bytes.subarray(0, start), insert, m.bytes.subarray(end)]);
  const delta = insert.length - (end - start);
  if (delta !== 0) m.spans = m.spans.filter((s) => s.end <= start).concat(m.spans.filter((s) => s.start >= end).map((s) => ({ ...s, start: s.start + delta, end: s.end + delta })));
}

export function uvarintBytes(v: number, minBytes = 1): Buffer {
  const out: number[] = [];
  let x = v >>> 0;
  do {
    out.push(x & 0x7f);
    x >>>= 7;
  } while (x !== 0);
  while (out.length < minBytes) out.push(0);
  for (let i = 0; i < out.length - 1; i++) out[i]! |= 0x80;
  return Buffer.from(out);
}

/** int16/int32 writes that wrap instead of throwing on out-of-range picks. */
function w16(buf: Buffer, v: number, pos: number): void {
  buf.writeInt16BE(((v + 0x8000) & 0xffff) - 0x8000, pos);
}
function w32(buf: Buffer, v: number, pos: number): void {
  buf.writeInt32BE(v | 0, pos);
}

function uvarintAt(buf: Buffer, pos: number): { value: number; width: number } {
  let value = 0;
  for (let i = 0; i < 5 && pos + i < buf.length; i++) {
    value += (buf[pos + i]! & 0x7f) * 2 ** (7 * i);
    if ((buf[pos + i]! & 0x80) === 0) return { value, width: i + 1 };
  }
  return { value, width: 1 };
}

const LENGTH16 = new Set(['string', 'nullableString']);
const LENGTH32 = new Set(['bytes', 'nullableBytes', 'arrayLength']);
const LENGTH_VAR = new Set(['compactString', 'compactNullableString', 'compactBytes', 'compactNullableBytes', 'compactArrayLength']);
const VARINTS = new Set(['uvarint', 'varint', 'varlong']);

function spansOf(m: Mutable, kinds: Set<string>): Span[] {
  return m.spans.filter((s) => kinds.has(s.kind) && s.end <= m.bytes.length && s.start >= 4);
}

const bitFlip: Mutator = (r, m) => {
  if (m.bytes.length <= 4) return;
  for (let n = r.int(1, 4); n > 0; n--) m.bytes[r.int(4, m.bytes.length - 1)]! ^= 1 << r.int(0, 7);
};

const insertBytes: Mutator = (r, m) => {
  const at = r.int(4, m.bytes.length);
  splice(m, at, at, r.bytes(r.int(1, 8)));
};

const deleteBytes: Mutator = (r, m) => {
  if (m.bytes.length <= 5) return;
  const at = r.int(4, m.bytes.length - 1);
  splice(m, at, Math.min(m.bytes.length, at + r.int(1, 8)), Buffer.alloc(0));
};

/** Cut at a field boundary (or anywhere), with a size prefix that tells the truth. */
const truncate: Mutator = (r, m) => {
  const cuts = m.spans.flatMap((s) => [s.start, s.end]).filter((p) => p >= 4 && p < m.bytes.length);
  const at = cuts.length > 0 && r.chance(0.8) ? r.pick(cuts) : r.int(4, Math.max(4, m.bytes.length - 1));
  m.bytes = m.bytes.subarray(0, at);
};

const lengthField: Mutator = (r, m) => {
  const all = [...spansOf(m, LENGTH16), ...spansOf(m, LENGTH32), ...spansOf(m, LENGTH_VAR)];
  if (all.length === 0) return bitFlip(r, m);
  const s = r.pick(all);
  const b = Buffer.from(m.bytes);
  if (LENGTH16.has(s.kind)) {
    const orig = b.readInt16BE(s.start);
    w16(b, r.pick([-1, -2, 0, 0x7fff, Math.min(0x7fff, orig + 1), Math.max(-0x8000, orig - 1), r.int(0, 0xffff) - 0x8000]), s.start);
    m.bytes = b;
  } else if (LENGTH32.has(s.kind)) {
    const orig = b.readInt32BE(s.start);
    w32(b, r.pick([-1, -2, 0, 0x7fffffff, 0x10000000, Math.min(0x7fffffff, orig + 1), orig - 1, r.u32() | 0]), s.start);
    m.bytes = b;
  } else {
    const { value, width } = uvarintAt(b, s.start);
    splice(m, s.start, s.start + width, uvarintBytes(r.pick([0, 1, value + 1, Math.max(0, value - 1), 0xffffffff, 2 ** 28, r.u32()])));
  }
};

const hugeCount: Mutator = (r, m) => {
  const arrays = m.spans.filter((s) => (s.kind === 'arrayLength' || s.kind === 'compactArrayLength') && s.start >= 4 && s.end <= m.bytes.length);
  if (arrays.length === 0) return lengthField(r, m);
  const s = r.pick(arrays);
  if (s.kind === 'arrayLength') {
    const b = Buffer.from(m.bytes);
    w32(b, r.pick([0x7fffffff, 0x7ffffffe, 1 << 24, -0x80000000]), s.start);
    m.bytes = b;
  } else {
    splice(m, s.start, s.start + uvarintAt(m.bytes, s.start).width, uvarintBytes(r.pick([0xffffffff, 0x80000000, 1 << 24])));
  }
};

/** Overlong (padded with continuation bytes) or unterminated varints. */
const varintGarbage: Mutator = (r, m) => {
  const all = [...spansOf(m, VARINTS), ...spansOf(m, LENGTH_VAR)];
  if (all.length === 0) return bitFlip(r, m);
  const s = r.pick(all);
  const { value, width } = uvarintAt(m.bytes, s.start);
  const mode = r.int(0, 2);
  if (mode === 0) splice(m, s.start, s.start + width, uvarintBytes(value, r.int(width + 1, 11)));
  else if (mode === 1) splice(m, s.start, s.start + width, Buffer.alloc(r.int(5, 11), 0xff));
  else {
    const b = Buffer.from(m.bytes);
    for (let i = s.start; i < Math.min(b.length, s.start + width); i++) b[i]! |= 0x80;
    m.bytes = b;
  }
};

const VALUES = new Set(['int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'int64Exact', 'float64', 'bool', 'uuid']);

/** A field's value replaced by an edge value, the structure intact: reaches the handlers. */
const fieldValue: Mutator = (r, m) => {
  const nested = new Set(m.spans.filter((s) => !VALUES.has(s.kind)).map((s) => s.start));
  const values = spansOf(m, VALUES).filter((s) => !nested.has(s.start) && s.start >= 12); // not lengths, not the header's key/version
  const strings = spansOf(m, new Set(['string', 'compactString', 'nullableString', 'compactNullableString']));
  if (values.length === 0 && strings.length === 0) return bitFlip(r, m);
  const b = Buffer.from(m.bytes);
  if (strings.length > 0 && (values.length === 0 || r.chance(0.25))) {
    const s = r.pick(strings);
    const width = s.kind.startsWith('compact') ? uvarintAt(b, s.start).width : 2;
    // same length, different bytes: invalid UTF-8, NULs, control characters
    for (let i = s.start + width; i < s.end; i++) if (r.chance(0.5)) b[i] = r.pick([0, 0xff, 0xc3, 0x2e, 0x2f, r.int(0, 255)]);
    m.bytes = b;
    return;
  }
  const s = r.pick(values);
  const width = s.end - s.start;
  const fill = r.int(0, 5);
  if (fill === 0) b.fill(0, s.start, s.end);
  else if (fill === 1) b.fill(0xff, s.start, s.end);
  else if (fill === 2) b.fill(0xff, s.start, s.end)[s.start] = 0x7f; // max
  else if (fill === 3) b.fill(0, s.start, s.end)[s.start] = 0x80; // min
  else if (fill === 4) r.bytes(width).copy(b, s.start);
  else b[s.end - 1] = (b[s.end - 1]! + r.pick([1, 255])) & 0xff; // off by one
  m.bytes = b;
};

const SERVED = new Map(API_LIST.map((a) => [a.key, a]));

const apiKey: Mutator = (r, m) => {
  if (m.bytes.length < 6) return;
  const unserved = [4, 5, 6, 7, 17, 24, 27, 36, 50, 57, 67, 1000, 32767, -1, -32768];
  m.bytes = Buffer.from(m.bytes);
  w16(m.bytes, r.chance(0.7) ? r.pick(unserved) : r.int(0, 0xffff) - 0x8000, 4);
};

const apiVersion: Mutator = (r, m) => {
  if (m.bytes.length < 8) return;
  const api = SERVED.get(m.bytes.readInt16BE(4));
  const choices = [-1, -32768, 32767, r.int(0, 0xffff) - 0x8000];
  if (api) choices.push(api.maxVersion + 1, api.minVersion - 1, r.int(api.minVersion, api.maxVersion));
  m.bytes = Buffer.from(m.bytes);
  w16(m.bytes, r.pick(choices), 6);
};

const clientIdLength: Mutator = (r, m) => {
  if (m.bytes.length < 14) return;
  const orig = m.bytes.readInt16BE(12);
  m.bytes = Buffer.from(m.bytes);
  w16(m.bytes, r.pick([-2, -32768, 0x7fff, 0, Math.min(0x7fff, orig + 1), Math.max(-0x8000, orig - 1), orig + r.int(2, 40)]), 12);
};

/** Tagged fields: unknown but well-formed (must be skipped), or counts and sizes that lie. */
const taggedGarbage: Mutator = (r, m) => {
  const tagged = spansOf(m, new Set(['skipTaggedFields']));
  if (tagged.length === 0) return varintGarbage(r, m);
  const s = r.pick(tagged);
  const size = r.int(0, 20);
  const options = [
    Buffer.concat([uvarintBytes(1), uvarintBytes(r.int(100, 20000)), uvarintBytes(size), r.bytes(size)]),
    Buffer.concat([uvarintBytes(r.pick([2, 1000, 0xffffffff])), uvarintBytes(1), uvarintBytes(0)]),
    Buffer.concat([uvarintBytes(1), uvarintBytes(r.u32()), uvarintBytes(r.pick([0x7fffffff, 0xffffffff, size + 1]))]),
    r.bytes(r.int(1, 6)),
  ];
  splice(m, s.start, s.end, r.pick(options));
};

const BYTES = new Set(['bytes', 'nullableBytes', 'compactBytes', 'compactNullableBytes']);

/** Garbage inside a Produce request's record batch, mostly behind a recomputed (valid) CRC. */
const batchGarbage: Mutator = (r, m) => {
  const batches = spansOf(m, BYTES)
    .map((s) => ({ s, start: s.start + (s.kind.startsWith('compact') ? uvarintAt(m.bytes, s.start).width : 4) }))
    .filter(({ s, start }) => s.end - start > 61 && m.bytes[start + 16] === 2);
  if (batches.length === 0) return bitFlip(r, m);
  const { s, start } = r.pick(batches);
  const b = Buffer.from(m.bytes);
  const batch = b.subarray(start, s.end);
  const mode = r.int(0, 6);
  if (mode === 0) for (let n = r.int(1, 6); n > 0; n--) batch[r.int(61, batch.length - 1)]! ^= 1 << r.int(0, 7);
  else if (mode === 1) w32(batch, r.pick([0x7fffffff, -1, 0, 1 << 20, batch.readInt32BE(57) + 1]), 57);
  else if (mode === 2) batch[22] = (batch[22]! & ~7) | r.int(0, 7);
  else if (mode === 3) r.bytes(Math.min(16, batch.length - 61)).copy(batch, r.int(61, batch.length - 1));
  else if (mode === 4) w32(batch, r.pick([0, -1, 0x7fffffff, batch.readInt32BE(8) - r.int(1, 40), batch.readInt32BE(8) + r.int(1, 40)]), 8);
  else if (mode === 5) w32(batch, r.pick([-1, 0x7fffffff, batch.readInt32BE(23) + 1]), 23);
  else batch[r.int(17, batch.length - 1)]! ^= 1 << r.int(0, 7); // no CRC fix-up below
  if (mode !== 6 && mode !== 4) batch.writeUInt32BE(crc32c(batch, 21), 17);
  m.bytes = b;
};

/** The size prefix lies: more than sent (the broker waits), less (the rest reads as the next frame), or impossible. */
const frameSize: Mutator = (r, m) => {
  m.fixSize = false;
  const actual = m.bytes.length - 4;
  const choices = [actual + r.int(1, 64), actual - r.int(1, Math.max(1, actual)), 0, -1, 7, 0x7fffffff, m.maxRequestBytes + 1, m.maxRequestBytes];
  m.bytes = Buffer.from(m.bytes);
  w32(m.bytes, r.pick(choices), 0);
};

/** Truncated with the original size prefix kept: the frame announces more bytes than are sent. */
const truncateLying: Mutator = (r, m) => {
  truncate(r, m);
  m.fixSize = false;
};

export const MUTATORS: [string, Mutator, number][] = [
  ['fieldValue', fieldValue, 50],
  ['bitFlip', bitFlip, 12],
  ['insertBytes', insertBytes, 5],
  ['deleteBytes', deleteBytes, 5],
  ['truncate', truncate, 8],
  ['truncateLying', truncateLying, 2],
  ['lengthField', lengthField, 12],
  ['hugeCount', hugeCount, 6],
  ['varintGarbage', varintGarbage, 6],
  ['apiKey', apiKey, 3],
  ['apiVersion', apiVersion, 5],
  ['clientIdLength', clientIdLength, 4],
  ['taggedGarbage', taggedGarbage, 6],
  ['batchGarbage', batchGarbage, 10],
  ['frameSize', frameSize, 3],
];
const TOTAL_WEIGHT = MUTATORS.reduce((s, [, , w]) => s + w, 0);

/** 1–3 stacked mutations of a corpus frame; returns the bytes and the mutators' names. */
export function mutate(r: Prng, e: CorpusEntry, maxRequestBytes: number, onlyMutator?: string): { bytes: Buffer; mutators: string[] } {
  const m: Mutable = { bytes: Buffer.from(e.frame), spans: e.spans, fixSize: true, maxRequestBytes }; // a copy: mutators may edit in place
  const names: string[] = [];
  // Produce frames get batch garbage more often: it is where stored bytes could change.
  for (let n = r.chance(0.6) ? 1 : r.chance(0.75) ? 2 : 3; n > 0; n--) {
    let pickW = r.int(0, TOTAL_WEIGHT - 1);
    let chosen = MUTATORS[0]!;
    for (const mu of MUTATORS) {
      if (pickW < mu[2]) {
        chosen = mu;
        break;
      }
      pickW -= mu[2];
    }
    if (e.apiKey === 0 && r.chance(0.3)) chosen = MUTATORS.find(([name]) => name === 'batchGarbage')!;
    if (onlyMutator) chosen = MUTATORS.find(([name]) => name === onlyMutator) ?? chosen;
    chosen[1](r, m);
    names.push(chosen[0]);
  }
  if (m.fixSize && m.bytes.length >= 4) {
    m.bytes = Buffer.from(m.bytes);
    w32(m.bytes, m.bytes.length - 4, 0);
  }
  return { bytes: m.bytes, mutators: names };
}
