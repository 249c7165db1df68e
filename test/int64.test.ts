// int64 values round-trip exactly over the whole range [-2^63, 2^63-1], or are refused with a
// clear error; never changed (issue 9: 2^63-1 read from the wire came back as -2^63). A seeded
// property test over the primitive codecs, every int64 field of every generated message, the
// group metadata records and the time index; over TCP against a real broker: committed offsets
// (our codecs and kafkajs, across a restart), record timestamps, and Fetch / DeleteRecords /
// ListOffsets targets past ±(2^53-1), answered as Kafka does. The seed is printed; replay a run
// with INT64_SEED=<seed>.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { TimeIndex } from '../src/log/TimeIndex.js';
import * as M from '../src/protocol/messages/index.js';
import {
  INT64_MAX,
  INT64_MIN,
  ProtocolError,
  Reader,
  Writer,
  int64ForComparison,
  isSafeInt64At,
  readInt64,
  readInt64Exact,
  readVarlong,
  sizeOfVarlong,
  toInt64,
  varintEnd,
  writeInt64,
  writeInt64Exact,
  writeVarlong,
  type Int64,
} from '../src/protocol/primitives.js';
import * as RB from '../src/protocol/recordBatch.js';
import { decodeRecord, encodeKey, encodeValue, type GroupLogRecord } from '../src/server/group/GroupMetadataRecords.js';
import { INT64_LAYOUT, SAMPLE_CASES, type Int64Slot } from './generated/samples.js';
import { waitForCoordinator } from './support/coordinator.js';
import { RawClient } from './support/RawClient.js';

// ---------------------------------------------------------------------------------------------
// Seeded values

const SEED = BigInt(process.env.INT64_SEED ?? Math.floor(Math.random() * 2 ** 48));
console.log(`int64 property seed ${SEED} (replay: INT64_SEED=${SEED} npx vitest run test/int64.test.ts)`);

const MASK = (1n << 64n) - 1n;
/** splitmix64: a seeded stream of uniform 64-bit values. */
function rng(seed: bigint): () => bigint {
  let s = seed & MASK;
  return () => {
    s = (s + 0x9e3779b97f4a7c15n) & MASK;
    let z = s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
    return z ^ (z >> 31n);
  };
}

const SAFE = 2n ** 53n - 1n;
const isSafe = (v: bigint): boolean => v >= -SAFE && v <= SAFE;
const EDGES: bigint[] = [0n, 1n, -1n, SAFE, -SAFE, SAFE + 1n, -SAFE - 1n, SAFE + 2n, -SAFE - 2n, INT64_MAX, INT64_MIN, INT64_MAX - 1n, INT64_MIN + 1n, 2n ** 31n, -(2n ** 32n)];
const BOUNDS = [0n, 2n ** 31n, 2n ** 32n, 2n ** 53n, INT64_MAX, -(2n ** 31n), -(2n ** 32n), -(2n ** 53n), INT64_MIN];

/** Random int64s: uniform 64-bit, uniform bit length (every magnitude), and near the bounds. */
function values(seed: bigint, n: number): bigint[] {
  const next = rng(seed);
  const out = [...EDGES];
  for (let i = 0; i < n; i++) {
    const pick = next() % 3n;
    if (pick === 0n) out.push(BigInt.asIntN(64, next()));
    else if (pick === 1n) {
      const m = next() >> (next() % 64n);
      out.push(BigInt.asIntN(64, next() & 1n ? m : -m));
    } else out.push(BigInt.asIntN(64, BOUNDS[Number(next() % BigInt(BOUNDS.length))]! + (next() % 7n) - 3n));
  }
  return out;
}

/** Kafka's big-endian int64 bytes, from Node's own bigint codec (the reference). */
function int64Bytes(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(v);
  return b;
}

/** Zigzag varlong bytes (reference encoder). */
function varlongBytes(v: bigint): Buffer {
  let z = v >= 0n ? v << 1n : ((-v) << 1n) - 1n;
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return Buffer.from(out);
}

// ---------------------------------------------------------------------------------------------

describe('primitive int64 and varlong codecs', () => {
  const vs = values(SEED, 3000);

  it('Int64 round-trips every value exactly: a number when safe, a bigint otherwise', () => {
    for (const v of vs) {
      const ref = int64Bytes(v);
      const x = toInt64(v);
      expect(typeof x).toBe(isSafe(v) ? 'number' : 'bigint');
      const w = new Writer(4).int64Exact(x);
      expect(w.toBuffer().equals(ref), `write ${v}`).toBe(true);
      expect(readInt64Exact(ref, 0)).toBe(x);
      const r = new Reader(ref);
      expect(r.int64Exact()).toBe(x);
      expect(r.remaining()).toBe(0);
      const b = Buffer.alloc(10, 0xaa);
      writeInt64Exact(b, 1, x);
      expect(b.subarray(1, 9).equals(ref)).toBe(true);
    }
    // bigints in non-canonical form are written exactly too, and read back canonical
    expect(readInt64Exact(new Writer().int64Exact(5n).toBuffer(), 0)).toBe(5);
    expect(() => toInt64(INT64_MAX + 1n)).toThrow(RangeError);
    expect(() => new Writer().int64Exact(INT64_MIN - 1n)).toThrow(RangeError);
  });

  it('number int64: exact for safe integers, refused both ways beyond ±(2^53-1), never wrapped', () => {
    for (const v of vs) {
      const ref = int64Bytes(v);
      const n = Number(v);
      expect(isSafeInt64At(ref, 0)).toBe(isSafe(v));
      if (isSafe(v)) {
        expect(readInt64(ref, 0)).toBe(n);
        expect(new Reader(ref).int64()).toBe(n);
        expect(new Writer(4).int64(n).toBuffer().equals(ref), `write ${v}`).toBe(true);
        continue;
      }
      expect(() => readInt64(ref, 0)).toThrow(ProtocolError);
      const r = new Reader(ref);
      expect(() => r.int64()).toThrow(`int64 value ${v} is outside`);
      expect(r.offset).toBe(0);
      // Number(v) rounds; writing the rounded number must fail rather than write another value.
      const w = new Writer(4);
      expect(() => w.int64(n)).toThrow(RangeError);
      expect(w.length).toBe(0);
      const b = Buffer.alloc(8, 0xaa);
      expect(() => writeInt64(b, 0, n)).toThrow(RangeError);
      expect(b.equals(Buffer.alloc(8, 0xaa))).toBe(true);
    }
  });

  it('the issue: 2^63-1 from the wire is never written back as -2^63', () => {
    const wire = int64Bytes(INT64_MAX);
    expect(new Reader(wire).int64Exact()).toBe(INT64_MAX);
    expect(new Writer().int64Exact(new Reader(wire).int64Exact()).toBuffer().equals(wire)).toBe(true);
    expect(() => new Reader(wire).int64()).toThrow('int64 value 9223372036854775807 is outside');
    // what a number reader used to return for it (2^63), written as an int64: refused, not -2^63
    expect(() => new Writer().int64(Number(INT64_MAX))).toThrow('cannot write 9223372036854775808 as an int64');
    for (const bad of [2 ** 63, -(2 ** 63) - 4096, 2 ** 64, 0.5, -1.5, NaN, Infinity, -Infinity]) {
      expect(() => new Writer().int64(bad)).toThrow(RangeError);
    }
  });

  it('int64ForComparison orders every Int64 against every safe integer as the exact values do', () => {
    const next = rng(SEED ^ 0xc0c0n);
    const sign = (x: number | bigint): number => (x > 0 ? 1 : x < 0 ? -1 : 0);
    for (const v of vs) {
      const c = int64ForComparison(toInt64(v));
      for (const a of [0n, 1n, -1n, SAFE, -SAFE, BigInt.asIntN(54, next()) % (SAFE + 1n)]) expect(sign(Number(a) - c), `${a} vs ${v}`).toBe(sign(a - v));
      if (!isSafe(v)) expect(() => new Writer().int64(c)).toThrow(RangeError); // cannot leak onto the wire
    }
  });

  it('varlong: exact for safe integers (same bytes as the reference), refused both ways beyond', () => {
    for (const v of vs) {
      const ref = varlongBytes(v);
      const n = Number(v);
      if (isSafe(v)) {
        expect(new Writer(4).varlong(n).toBuffer().equals(ref), `varlong ${v}`).toBe(true);
        expect(sizeOfVarlong(n)).toBe(ref.length);
        expect(readVarlong(ref, 0)).toBe(n);
        expect(varintEnd()).toBe(ref.length);
        continue;
      }
      expect(() => readVarlong(ref, 0)).toThrow(`varlong value ${v} is outside`);
      const b = Buffer.alloc(10);
      expect(() => writeVarlong(b, 0, n)).toThrow(RangeError);
      expect(() => sizeOfVarlong(n)).toThrow(RangeError);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Every int64 field of every generated message

interface Slot {
  holder: Record<string | number, unknown>;
  key: string | number;
  exact: boolean;
  path: (string | number)[];
}

/** The int64 positions of a sample message present in `version`. */
function slotsOf(obj: Record<string, unknown>, struct: string, version: number, at: (string | number)[] = [], out: Slot[] = []): Slot[] {
  for (const s of INT64_LAYOUT[struct] ?? ([] as Int64Slot[])) {
    if (version < s.lo || version > s.hi) continue;
    const v = obj[s.field];
    const p = [...at, s.field];
    if (v === null || v === undefined) continue;
    if (s.kind === 'struct') slotsOf(v as Record<string, unknown>, s.struct!, version, p, out);
    else if (s.kind === 'structs') (v as Record<string, unknown>[]).forEach((e, i) => slotsOf(e, s.struct!, version, [...p, i], out));
    else if (s.kind === 'int64s' || s.kind === 'int64Exacts') (v as unknown[]).forEach((_e, i) => out.push({ holder: v as Record<number, unknown>, key: i, exact: s.kind === 'int64Exacts', path: [...p, i] }));
    else out.push({ holder: obj, key: s.field, exact: s.kind === 'int64Exact', path: p });
  }
  return out;
}

const at = (obj: unknown, p: (string | number)[]): unknown => p.reduce((o, k) => (o as Record<string | number, unknown>)[k], obj);

describe('generated messages: every int64 field', () => {
  it('round-trips each value exactly (Int64 fields over the whole range, number fields within ±(2^53-1)) or refuses it', () => {
    const next = rng(SEED ^ 0x5eedn);
    const MARK = 0x0123456789abn; // a safe value to find in the encoded bytes
    const markBytes = int64Bytes(MARK);
    let checked = 0;
    const exactFields = new Set<string>();
    for (const c of SAMPLE_CASES) {
      if (!INT64_LAYOUT[c.name]) continue;
      for (let version = c.min; version <= c.max; version++) {
        const msg = c.sample(version) as Record<string, unknown>;
        const slots = slotsOf(msg, c.name, version);
        for (const slot of slots) {
          const where = `${c.name} v${version} ${slot.path.join('.')}`;
          if (slot.exact) exactFields.add(`${c.name}.${String(slot.path[slot.path.length - 1])}`);
          const original = slot.holder[slot.key];
          const cases = [...EDGES, BigInt.asIntN(64, next()), BigInt.asIntN(64, next()) >> (next() % 64n)];
          for (const v of cases) {
            const encode = (): Buffer => {
              const w = new Writer(64);
              c.encode(w, version, msg);
              return w.toBuffer();
            };
            if (slot.exact || isSafe(v)) {
              slot.holder[slot.key] = slot.exact ? toInt64(v) : Number(v);
              const r = new Reader(encode());
              const decoded = c.decode(r, version);
              expect(at(decoded, slot.path), `${where} = ${v}`).toBe(slot.holder[slot.key]);
              expect(r.remaining()).toBe(0);
            } else {
              slot.holder[slot.key] = Number(v);
              expect(encode, `${where} = ${v}`).toThrow(RangeError);
              // The same value arriving on the wire is refused by the decoder, naming it.
              slot.holder[slot.key] = Number(MARK);
              const bytes = encode();
              const pos = bytes.indexOf(markBytes);
              expect(pos, where).toBeGreaterThanOrEqual(0);
              expect(bytes.indexOf(markBytes, pos + 1), where).toBe(-1);
              int64Bytes(v).copy(bytes, pos);
              expect(() => c.decode(new Reader(bytes), version), `${where} = ${v} on the wire`).toThrow(`int64 value ${v} is outside`);
            }
            checked++;
          }
          slot.holder[slot.key] = original;
        }
      }
    }
    console.log(`int64 message fields: ${checked} value checks`);
    expect(checked).toBeGreaterThan(10_000);
    expect([...exactFields].sort()).toEqual(['DeleteRecordsRequest.offset', 'FetchRequest.fetchOffset', 'FetchRequest.highWatermark', 'ListOffsetsRequest.timestamp', 'OffsetCommitRequest.committedOffset', 'OffsetFetchResponse.committedOffset', 'TxnOffsetCommitRequest.committedOffset']);
  });
});

// ---------------------------------------------------------------------------------------------
// __consumer_offsets records

describe('group metadata record codec', () => {
  const offsetRecord = (offset: Int64, commitTimestamp: number, expireTimestamp: number): GroupLogRecord => ({
    kind: 'offset',
    group: 'g',
    topic: 't',
    partition: 3,
    value: { offset, leaderEpoch: expireTimestamp >= 0 ? -1 : 7, metadata: 'm', commitTimestamp, expireTimestamp },
  });

  it('committed offsets round-trip exactly over the whole range; timestamps within ±(2^53-1) or refused', () => {
    const vs = values(SEED ^ 0x6e0ffn, 2000);
    const next = rng(SEED ^ 0x71e5n);
    for (const [i, v] of vs.entries()) {
      // v3 (no expire timestamp) and v1 (with one) values
      const ts = Number(BigInt.asUintN(52, next()));
      const rec = offsetRecord(toInt64(v), ts, i % 2 ? ts + 1000 : -1);
      const value = encodeValue(rec)!;
      expect(value.readInt16BE(0)).toBe(i % 2 ? 1 : 3);
      expect(value.subarray(2, 10).equals(int64Bytes(v)), `offset ${v}`).toBe(true);
      expect(decodeRecord(encodeKey(rec), value)).toEqual(rec);
      // a timestamp is a number: safe ones round-trip, others are refused rather than wrapped
      if (isSafe(v)) {
        for (const t of [Number(v), Number(-v)]) {
          const r2 = offsetRecord(1, t, i % 2 ? Math.abs(t) : -1);
          expect(decodeRecord(encodeKey(r2), encodeValue(r2))).toEqual(r2);
        }
      } else {
        expect(() => encodeValue(offsetRecord(1, Number(v), -1))).toThrow(RangeError);
        expect(() => encodeValue(offsetRecord(1, 0, Math.abs(Number(v))))).toThrow(RangeError);
        // stored bytes with such a commit timestamp: the reader names the value instead of rounding it
        const stored = encodeValue(offsetRecord(1, 0, -1))!;
        int64Bytes(v).copy(stored, stored.length - 8);
        expect(() => decodeRecord(encodeKey(rec), stored)).toThrow(`int64 value ${v} is outside`);
      }
    }
  });

  it('group metadata currentStateTimestamp: exact within ±(2^53-1), refused beyond', () => {
    const group = (currentStateTimestamp: number): GroupLogRecord => ({
      kind: 'group',
      group: 'g',
      value: { protocolType: 'consumer', generation: 4, protocol: 'range', leader: 'm1', currentStateTimestamp, members: [] },
    });
    for (const v of values(SEED ^ 0x9a0n, 500)) {
      if (isSafe(v)) expect(decodeRecord(encodeKey(group(Number(v))), encodeValue(group(Number(v))))).toEqual(group(Number(v)));
      else expect(() => encodeValue(group(Number(v)))).toThrow(RangeError);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Time index

describe('time index timestamps', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'int64-timeindex-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('safe timestamps survive the file exactly; others are refused and leave the index unchanged', () => {
    const file = path.join(dir, 'a.timeindex');
    const vs = values(SEED ^ 0x71den, 3000);
    const safe = [...new Set(vs.filter(isSafe))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const unsafe = vs.filter((v) => !isSafe(v));
    const ti = new TimeIndex(file, 1000, 100_000);
    const appended: bigint[] = [];
    safe.forEach((v, i) => {
      expect(ti.maybeAppend(Number(v), 1000 + i)).toBe(true);
      appended.push(v);
      // interleave refusals: an unsafe timestamp never reaches memory or the file
      const u = unsafe[i % Math.max(1, unsafe.length)];
      if (u !== undefined) {
        expect(() => ti.maybeAppend(Number(u), 1000 + i + 1)).toThrow(RangeError);
        expect(ti.entries).toBe(appended.length);
      }
    });
    ti.close();
    const bytes = fs.readFileSync(file);
    expect(bytes.length).toBe(appended.length * 12);
    appended.forEach((v, i) => expect(bytes.subarray(i * 12, i * 12 + 8).equals(int64Bytes(v)), `entry ${i} = ${v}`).toBe(true));
    const reopened = new TimeIndex(file, 1000, 100_000);
    expect(reopened.sanityCheck()).toBeNull();
    expect(reopened.entries).toBe(appended.length);
    appended.forEach((v, i) => expect(reopened.entry(i)).toEqual({ timestamp: Number(v), offset: 1000 + i }));
    // lookups hit the exact bounds
    expect(reopened.lookup(Number(SAFE))).toEqual(reopened.lastEntry());
    expect(reopened.lastEntry().timestamp).toBe(Number(SAFE));
    reopened.close();
  });

  it('the issue: a timestamp of 2^63-1 is never stored as -2^63', () => {
    const file = path.join(dir, 'b.timeindex');
    const ti = new TimeIndex(file, 0, 100);
    expect(ti.maybeAppend(5, 0)).toBe(true);
    expect(() => ti.maybeAppend(Number(INT64_MAX), 1)).toThrow(RangeError);
    ti.close();
    const again = new TimeIndex(file, 0, 100);
    expect(again.entries).toBe(1);
    expect(again.lastEntry()).toEqual({ timestamp: 5, offset: 0 });
    again.close();
  });

  it('an index file holding a timestamp beyond ±(2^53-1) is reported (and rebuilt), not read as another value', () => {
    const file = path.join(dir, 'c.timeindex');
    const entry = (ts: bigint, rel: number): Buffer => Buffer.concat([int64Bytes(ts), Buffer.from([0, 0, 0, rel])]);
    fs.writeFileSync(file, Buffer.concat([entry(10n, 0), entry(INT64_MAX, 1), entry(INT64_MIN, 2)]));
    const ti = new TimeIndex(file, 0, 100);
    expect(ti.entries).toBe(1);
    expect(ti.sanityCheck()).toBe('time index entry 1 has timestamp 9223372036854775807, outside ±(2^53-1)');
    ti.reset(); // what segment recovery does with a failed sanity check
    expect(ti.sanityCheck()).toBeNull();
    expect(fs.statSync(file).size).toBe(0);
    ti.close();
  });
});

// ---------------------------------------------------------------------------------------------
// Over TCP against a real broker

describe('over TCP: committed offsets and record timestamps', () => {
  let cluster: Cluster;
  let client: RawClient;
  const TOPIC = 'int64-offsets';
  const PARTITIONS = 16;

  beforeAll(async () => {
    cluster = await startCluster({ config: { 'group.initial.rebalance.delay.ms': 0 } });
    await cluster.createTopic(TOPIC, { partitions: PARTITIONS });
    client = await RawClient.connect(cluster.bootstrapServers[0]!);
    await waitForCoordinator(client, 'int64');
  });
  afterAll(async () => {
    client?.close();
    await cluster?.close();
  });

  const commit = (groupId: string, version: number, offsets: Int64[]) =>
    client.request(8, version, M.encodeOffsetCommitRequest, M.decodeOffsetCommitResponse, {
      ...M.defaultOffsetCommitRequest(),
      groupId,
      generationIdOrMemberEpoch: -1,
      topics: [{ name: TOPIC, partitions: offsets.map((o, i) => ({ ...M.defaultOffsetCommitRequestOffsetCommitRequestPartition(), partitionIndex: i, committedOffset: o, committedMetadata: `m${i}` })) }],
    });

  const fetch = async (groupId: string, version: number): Promise<Int64[]> => {
    const partitionIndexes = Array.from({ length: PARTITIONS }, (_, i) => i);
    const res = await client.request(9, version, M.encodeOffsetFetchRequest, M.decodeOffsetFetchResponse, {
      ...M.defaultOffsetFetchRequest(),
      groupId,
      topics: [{ name: TOPIC, partitionIndexes }],
      groups: [{ ...M.defaultOffsetFetchRequestOffsetFetchRequestGroup(), groupId, topics: [{ name: TOPIC, partitionIndexes }] }],
    });
    const topics = version >= 8 ? res.groups[0]!.topics : res.topics;
    expect(version >= 8 ? res.groups[0]!.errorCode : res.errorCode).toBe(0);
    return topics[0]!.partitions.map((p) => {
      expect(p.errorCode).toBe(0);
      return p.committedOffset;
    });
  };

  it('OffsetCommit v0–9 → OffsetFetch v1–9 and kafkajs return exactly the committed int64, over its whole range', async () => {
    const vs = values(SEED ^ 0x7c9n, 10 * PARTITIONS).map(toInt64);
    const kafka = new Kafka({ clientId: 'int64', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (let version = 0, round = 0; round * PARTITIONS < vs.length; round++, version = (version + 1) % 10) {
        const offsets = vs.slice(round * PARTITIONS, (round + 1) * PARTITIONS);
        while (offsets.length < PARTITIONS) offsets.push(round);
        const groupId = `int64-${round}`;
        const res = await commit(groupId, version, offsets);
        expect(res.topics[0]!.partitions.map((p) => p.errorCode)).toEqual(offsets.map(() => 0));
        for (const fv of [1, 5, 7, 8, 9]) expect(await fetch(groupId, fv), `commit v${version}, fetch v${fv}`).toEqual(offsets);
        // an independent decoder (kafkajs, Long-based) reads the same exact values
        const [t] = await admin.fetchOffsets({ groupId, topics: [TOPIC] });
        const got = [...t!.partitions].sort((a, b) => a.partition - b.partition).map((p) => p.offset);
        expect(got).toEqual(offsets.map((o) => o.toString()));
      }
    } finally {
      await admin.disconnect();
    }
  });

  it('OffsetCommit v2–4 retention times up to 2^53-1 ms are accepted (the expiry saturates), beyond that the request is refused', async () => {
    for (const version of [2, 3, 4]) {
      const res = await client.request(8, version, M.encodeOffsetCommitRequest, M.decodeOffsetCommitResponse, {
        ...M.defaultOffsetCommitRequest(),
        groupId: `int64-retention-${version}`,
        generationIdOrMemberEpoch: -1,
        retentionTimeMs: Number(SAFE),
        topics: [{ name: TOPIC, partitions: [{ ...M.defaultOffsetCommitRequestOffsetCommitRequestPartition(), partitionIndex: 0, committedOffset: INT64_MAX, committedMetadata: '' }] }],
      });
      expect(res.topics[0]!.partitions[0]!.errorCode, `v${version}`).toBe(0);
      expect((await fetch(`int64-retention-${version}`, 7))[0]).toBe(INT64_MAX);
    }
    // 2^53 ms on the wire: not representable, the request is refused (Kafka's InvalidRequest: connection closed)
    const other = await RawClient.connect(cluster.bootstrapServers[0]!);
    const frame = other.encodeRequest(8, 2, M.encodeOffsetCommitRequest, {
      ...M.defaultOffsetCommitRequest(),
      groupId: 'int64-retention-x',
      generationIdOrMemberEpoch: -1,
      retentionTimeMs: 0x0123456789ab,
      topics: [{ name: TOPIC, partitions: [{ ...M.defaultOffsetCommitRequestOffsetCommitRequestPartition(), partitionIndex: 0, committedOffset: 1, committedMetadata: '' }] }],
    });
    int64Bytes(SAFE + 1n).copy(frame, frame.indexOf(int64Bytes(0x0123456789abn)));
    const reply = other.nextFrame();
    other.writeRaw(frame);
    await expect(reply).rejects.toThrow('connection closed');
    other.close();
    expect(await fetch('int64-retention-x', 7)).toEqual(Array.from({ length: PARTITIONS }, () => -1));
  });

  it('Fetch and DeleteRecords at offsets past ±(2^53-1) answer OFFSET_OUT_OF_RANGE, as Kafka does, at once', async () => {
    for (const offset of [INT64_MAX, toInt64(SAFE + 1n), INT64_MIN]) {
      for (let version = 4; version <= 12; version++) {
        const started = Date.now();
        const res = await client.request(1, version, M.encodeFetchRequest, M.decodeFetchResponse, {
          ...M.defaultFetchRequest(),
          replicaId: -1,
          maxWaitMs: 5000,
          minBytes: 1,
          maxBytes: 1 << 20,
          topics: [{ ...M.defaultFetchRequestFetchTopic(), topic: TOPIC, partitions: [{ ...M.defaultFetchRequestFetchPartition(), partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
        });
        expect(res.responses[0]!.partitions[0]!.errorCode, `Fetch v${version} at ${offset}`).toBe(1);
        expect(Date.now() - started).toBeLessThan(4000);
      }
      for (let version = 0; version <= 2; version++) {
        const res = await client.request(21, version, M.encodeDeleteRecordsRequest, M.decodeDeleteRecordsResponse, {
          ...M.defaultDeleteRecordsRequest(),
          timeoutMs: 5000,
          topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, offset }] }],
        });
        expect(res.topics[0]!.partitions[0]!.errorCode, `DeleteRecords v${version} at ${offset}`).toBe(1);
      }
    }
  });

  it('a kafkajs consumer whose committed offset is 2^63-1 gets OFFSET_OUT_OF_RANGE and resets, as against Kafka', async () => {
    const topic = 'int64-reset';
    await cluster.createTopic(topic, { partitions: 1 });
    const kafka = new Kafka({ clientId: 'int64-reset', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }] });
    await producer.disconnect();
    const res = await client.request(8, 8, M.encodeOffsetCommitRequest, M.decodeOffsetCommitResponse, {
      ...M.defaultOffsetCommitRequest(),
      groupId: 'int64-reset',
      generationIdOrMemberEpoch: -1,
      topics: [{ name: topic, partitions: [{ ...M.defaultOffsetCommitRequestOffsetCommitRequestPartition(), partitionIndex: 0, committedOffset: INT64_MAX, committedMetadata: '' }] }],
    });
    expect(res.topics[0]!.partitions[0]!.errorCode).toBe(0);
    const consumer = kafka.consumer({ groupId: 'int64-reset', rebalanceTimeout: 3000, sessionTimeout: 6000 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`consumed only ${JSON.stringify(seen)}`)), 30_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            seen.push(message.value!.toString());
            if (seen.length === 2) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
    expect(seen).toEqual(['a', 'b']);
  }, 40_000);

  it('committed offsets at the int64 bounds survive a broker restart (reloaded from __consumer_offsets)', async () => {
    const offsets: Int64[] = [INT64_MAX, INT64_MIN, toInt64(SAFE + 1n), toInt64(-SAFE - 1n), Number(SAFE), -1, 0, 1];
    while (offsets.length < PARTITIONS) offsets.push(offsets.length);
    expect((await commit('int64-restart', 9, offsets)).topics[0]!.partitions.every((p) => p.errorCode === 0)).toBe(true);
    client.close();
    const id = cluster.brokers[0]!.nodeId;
    await cluster.stopBroker(id);
    await cluster.startBroker(id);
    client = await RawClient.connect(cluster.bootstrapServers[0]!);
    await waitForCoordinator(client, 'int64-restart');
    const deadline = Date.now() + 10_000;
    let got: Int64[] | null = null;
    while (got === null) {
      const res = await client.request(9, 9, M.encodeOffsetFetchRequest, M.decodeOffsetFetchResponse, {
        ...M.defaultOffsetFetchRequest(),
        groups: [{ ...M.defaultOffsetFetchRequestOffsetFetchRequestGroup(), groupId: 'int64-restart', topics: [{ name: TOPIC, partitionIndexes: offsets.map((_, i) => i) }] }],
      });
      const g = res.groups[0]!;
      if (g.errorCode === 0) got = g.topics[0]!.partitions.map((p) => p.committedOffset);
      else if (Date.now() > deadline) throw new Error(`OffsetFetch error ${g.errorCode} after restart`);
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(got).toEqual(offsets);
  });

  it('record batches: timestamps up to ±(2^53-1) come back exactly from ListOffsets; beyond, the produce is refused', async () => {
    const topic = 'int64-timestamps';
    await cluster.createTopic(topic, { partitions: 1 });
    const produce = (patch: (b: Buffer) => void, timestamp: number) => {
      const batch = RB.encodeRecordBatch({ records: [{ key: null, value: Buffer.from('v'), timestamp }] });
      patch(batch);
      RB.writeCrc(batch, 0);
      return client.request(0, 9, M.encodeProduceRequest, M.decodeProduceResponse, {
        ...M.defaultProduceRequest(),
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
      });
    };
    const setInt64 = (at: number, v: bigint) => (b: Buffer) => int64Bytes(v).copy(b, at);
    for (const [at, v, code] of [
      [RB.MAX_TIMESTAMP_OFFSET, INT64_MAX, 32],
      [RB.BASE_TIMESTAMP_OFFSET, -SAFE - 1n, 32],
      [RB.MAX_TIMESTAMP_OFFSET, SAFE + 1n, 32],
      [RB.PRODUCER_ID_OFFSET, INT64_MAX, 87],
      [RB.BASE_OFFSET_OFFSET, INT64_MIN, 87],
    ] as const) {
      const p = (await produce(setInt64(at, v), 1)).responses[0]!.partitionResponses[0]!;
      expect([p.errorCode, p.errorMessage], `${v} at ${at}`).toEqual([code, expect.stringContaining(String(v))]);
    }
    // A transactional batch (with a transactional id) whose producer id is beyond 2^53-1: refused
    // the same way, before any transaction check reads the id (found by the wire fuzzer).
    {
      const batch = RB.encodeRecordBatch({ records: [{ key: null, value: Buffer.from('v'), timestamp: 1 }], transactional: true, producerId: 1, producerEpoch: 0, baseSequence: 0 });
      int64Bytes(INT64_MAX).copy(batch, RB.PRODUCER_ID_OFFSET);
      RB.writeCrc(batch, 0);
      const res = await client.request(0, 11, M.encodeProduceRequest, M.decodeProduceResponse, {
        ...M.defaultProduceRequest(),
        transactionalId: 'int64-txn',
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ ...M.defaultProduceRequestTopicProduceData(), name: topic, partitionData: [{ index: 0, records: batch }] }],
      });
      const p = res.responses[0]!.partitionResponses[0]!;
      expect([p.errorCode, p.errorMessage]).toEqual([87, expect.stringContaining(String(INT64_MAX))]);
    }
    // the largest safe timestamp is accepted, indexed, and read back exactly
    const ok = (await produce(() => {}, Number(SAFE))).responses[0]!.partitionResponses[0]!;
    expect(ok.errorCode).toBe(0);
    const listOffsets = (timestamp: Int64) =>
      client.request(2, 7, M.encodeListOffsetsRequest, M.decodeListOffsetsResponse, {
        ...M.defaultListOffsetsRequest(),
        replicaId: -1,
        topics: [{ name: topic, partitions: [{ ...M.defaultListOffsetsRequestListOffsetsPartition(), partitionIndex: 0, timestamp }] }],
      });
    for (const ts of [-3, Number(SAFE)]) {
      const p = (await listOffsets(ts)).topics[0]!.partitions[0]!;
      expect([p.errorCode, p.offset, p.timestamp], `ListOffsets ${ts}`).toEqual([0, ok.baseOffset, Number(SAFE)]);
    }
    // A target past every timestamp the broker can hold (e.g. Long.MAX_VALUE): no record, as Kafka answers.
    for (const ts of [SAFE + 1n, INT64_MAX]) {
      const p = (await listOffsets(ts)).topics[0]!.partitions[0]!;
      expect([p.errorCode, p.offset, p.timestamp], `ListOffsets ${ts}`).toEqual([0, -1, -1]);
    }
    // Below -2^53 it is an unknown special timestamp, like any other negative one Kafka does not define.
    expect((await listOffsets(INT64_MIN)).topics[0]!.partitions[0]!.errorCode).toBe(35); // UNSUPPORTED_VERSION
  });
});
