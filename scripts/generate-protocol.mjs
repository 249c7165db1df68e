#!/usr/bin/env node
// Generates TypeScript codecs for Kafka protocol messages from Kafka's JSON message schemas.
//
// Input:  ../shared/kafka-protocol/messages/*.json (Kafka 3.9.0, relative to the repo root) and
//         ../shared/kafka-protocol/messages-4.4.0/*.json (Kafka 4.4.0). A message whose 4.4.0
//         schema reaches a newer version is merged: versions up to 3.9's newest come from the
//         3.9 schema (4.x dropped old versions clients still send), newer ones from 4.4.0's.
// Output: src/protocol/messages/<Api>.ts, src/protocol/messages/index.ts,
//         test/generated/samples.ts (sample objects used by the codec round-trip tests)
//
// The emitted code is straight-line: one decode/encode function per struct, with
// `if (version >= N)` checks, so nothing walks a schema at runtime.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** APIs to generate (request + response each). Extend here. */
const APIS = [
  'Produce', 'Fetch', 'ListOffsets', 'Metadata', 'OffsetCommit', 'OffsetFetch', 'FindCoordinator',
  'JoinGroup', 'Heartbeat', 'LeaveGroup', 'SyncGroup', 'DescribeGroups', 'ListGroups', 'SaslHandshake',
  'ApiVersions', 'CreateTopics', 'DeleteTopics', 'DeleteRecords', 'InitProducerId', 'OffsetForLeaderEpoch',
  'AddPartitionsToTxn', 'AddOffsetsToTxn', 'EndTxn', 'WriteTxnMarkers', 'TxnOffsetCommit', 'DescribeConfigs',
  'AlterConfigs', 'SaslAuthenticate', 'CreatePartitions', 'DeleteGroups', 'IncrementalAlterConfigs',
  'OffsetDelete', 'DescribeCluster', 'DescribeProducers', 'DescribeTransactions', 'ListTransactions',
  'DescribeAcls', 'CreateAcls', 'DeleteAcls',
  // partition reassignment, log dirs, quorum, quotas (issue 13)
  'AlterPartitionReassignments', 'ListPartitionReassignments', 'ElectLeaders', 'DescribeLogDirs', 'AlterReplicaLogDirs',
  'DescribeQuorum', 'DescribeTopicPartitions', 'UnregisterBroker', 'DescribeClientQuotas', 'AlterClientQuotas',
  // broker ↔ controller
  'BrokerRegistration', 'BrokerHeartbeat', 'AlterPartition', 'AllocateProducerIds',
  // client metrics (KIP-714)
  'ListClientMetricsResources',
  // SCRAM credentials (KIP-554)
  'DescribeUserScramCredentials', 'AlterUserScramCredentials',
];
/** Standalone schemas (headers and data types), one file each. */
const STANDALONE = ['RequestHeader', 'ResponseHeader', 'ConsumerProtocolSubscription', 'ConsumerProtocolAssignment'];

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCHEMA_DIR = path.resolve(ROOT, '../shared/kafka-protocol/messages');
const OUT_DIR = path.join(ROOT, 'src/protocol/messages');
const SAMPLES_FILE = path.join(ROOT, 'test/generated/samples.ts');

// ---------------------------------------------------------------------------------------------
// Schema loading and version ranges

const SCHEMA_DIR_NEW = path.resolve(ROOT, '../shared/kafka-protocol/messages-4.4.0');

function readSchema(dir, name) {
  const file = path.join(dir, `${name}.json`);
  const text = fs.readFileSync(file, 'utf8');
  // Comments are whole lines starting with `//`.
  const json = text
    .split('\n')
    .filter((l) => !/^\s*\/\//.test(l))
    .join('\n');
  try {
    return JSON.parse(json);
  } catch (e) {
    throw new Error(`${file}: ${e.message}`);
  }
}

/** APIs whose newer 4.4.0 versions are generated too (the others stay at 3.9.0's range). */
const NEWER_FROM_4_4 = ['ApiVersions', 'Produce', 'Fetch', 'ListOffsets', 'Metadata', 'OffsetCommit', 'OffsetFetch'];

/** A message's schema: 3.9.0's, merged with 4.4.0's newer versions for NEWER_FROM_4_4. */
function loadSchema(name) {
  const hasOld = fs.existsSync(path.join(SCHEMA_DIR, `${name}.json`));
  const hasNew = fs.existsSync(path.join(SCHEMA_DIR_NEW, `${name}.json`));
  if (!hasOld) return readSchema(SCHEMA_DIR_NEW, name);
  const old = readSchema(SCHEMA_DIR, name);
  if (!hasNew || !NEWER_FROM_4_4.some((api) => name === `${api}Request` || name === `${api}Response`)) return old;
  const neu = readSchema(SCHEMA_DIR_NEW, name);
  const vo = parseRange(old.validVersions);
  const vn = parseRange(neu.validVersions);
  if (!vo || !vn || vn.hi <= vo.hi) return old;
  return mergeSchemas(name, old, neu, vo.hi);
}

// ---------------------------------------------------------------------------------------------
// Merging two schema generations: versions <= cut as `old` has them, versions > cut as `neu`.

function formatRange(r) {
  if (!r) return 'none';
  if (r.hi === Infinity) return `${r.lo}+`;
  return r.lo === r.hi ? `${r.lo}` : `${r.lo}-${r.hi}`;
}

/** The versions of `a` up to cut joined with those of `b` after it (must be contiguous). */
function mergeRange(where, a, b, cut) {
  const lo = intersect(parseRange(a), { lo: 0, hi: cut });
  const hi = intersect(parseRange(b), { lo: cut + 1, hi: Infinity });
  if (!lo && !hi) return undefined;
  if (!lo) return formatRange(hi);
  if (!hi) return formatRange(lo);
  if (lo.hi + 1 !== hi.lo) throw new Error(`${where}: cannot merge version ranges ${a} and ${b} at ${cut}`);
  return formatRange({ lo: lo.lo, hi: hi.hi });
}

function mergeField(where, a, b, cut) {
  // A field only newer versions have is optional in the TypeScript types (`newerOnly`), so code
  // written for the older versions need not name it; decoders always fill it.
  if (!a) return { ...b, newerOnly: true, fields: b.fields && mergeFields(where, [], b.fields, cut), versions: mergeRange(where, undefined, b.versions, cut) };
  if (!b) return { ...a, fields: a.fields && mergeFields(where, a.fields, [], cut), versions: mergeRange(where, a.versions, undefined, cut) };
  if (a.type !== b.type) throw new Error(`${where}: type ${a.type} vs ${b.type}`);
  const out = { ...a, ...b };
  for (const k of ['versions', 'nullableVersions', 'taggedVersions', 'flexibleVersions']) {
    const m = mergeRange(`${where}.${k}`, a[k], b[k], cut);
    if (m === undefined) delete out[k];
    else out[k] = m;
  }
  if (a.fields || b.fields) out.fields = mergeFields(where, a.fields ?? [], b.fields ?? [], cut);
  return out;
}

/** Fields by name, in an order that is each generation's order for its own versions. */
function mergeFields(where, oldFields, newFields, cut) {
  const byName = (fs_) => new Map(fs_.map((f) => [f.name, f]));
  const oldBy = byName(oldFields);
  const newBy = byName(newFields);
  const order = newFields.map((f) => f.name);
  oldFields.forEach((f, i) => {
    if (newBy.has(f.name)) return;
    // Place an old-only field right after the old field that precedes it.
    let at = 0;
    for (let j = i - 1; j >= 0; j--) {
      const k = order.indexOf(oldFields[j].name);
      if (k >= 0) {
        at = k + 1;
        break;
      }
    }
    order.splice(at, 0, f.name);
  });
  return order.map((n) => mergeField(`${where}.${n}`, oldBy.get(n), newBy.get(n), cut));
}

function mergeSchemas(name, old, neu, cut) {
  const commons = new Map();
  for (const s of old.commonStructs ?? []) commons.set(s.name, [s, undefined]);
  for (const s of neu.commonStructs ?? []) commons.set(s.name, [commons.get(s.name)?.[0], s]);
  const merged = {
    ...old,
    ...neu,
    validVersions: `${parseRange(old.validVersions).lo}-${parseRange(neu.validVersions).hi}`,
    flexibleVersions: mergeRange(`${name}.flexibleVersions`, old.flexibleVersions, neu.flexibleVersions, cut) ?? 'none',
    fields: mergeFields(name, old.fields, neu.fields, cut),
    commonStructs: [...commons].map(([n, [a, b]]) => ({
      ...(a ?? {}),
      ...(b ?? {}),
      fields: mergeFields(`${name}.${n}`, a?.fields ?? [], b?.fields ?? [], cut),
    })),
  };
  delete merged.deprecatedVersions;
  // Every version of the merged schema must put on the wire exactly what its source schema does.
  const vo = parseRange(old.validVersions);
  const vn = parseRange(neu.validVersions);
  for (let v = vo.lo; v <= vn.hi; v++) {
    const src = v <= cut ? old : neu;
    const want = JSON.stringify(wireShape(src, v));
    const got = JSON.stringify(wireShape(merged, v));
    if (want !== got) throw new Error(`${name} v${v}: merged schema differs from its source\n${want}\n${got}`);
  }
  return merged;
}

/** What a schema puts on the wire at version v: fields present, types, nullability, tags, flexibility. */
function wireShape(schema, v) {
  const inR = (s) => {
    const r = parseRange(s);
    return !!r && r.lo <= v && v <= r.hi;
  };
  const commons = new Map((schema.commonStructs ?? []).map((s) => [s.name, s]));
  const flexible = inR(schema.flexibleVersions);
  const shape = (fields) =>
    fields
      .filter((f) => inR(f.versions))
      .map((f) => {
        const elem = f.type.startsWith('[]') ? f.type.slice(2) : f.type;
        const sub = f.fields ?? commons.get(elem)?.fields;
        return {
          name: f.name,
          type: f.type,
          nullable: inR(f.nullableVersions),
          tag: flexible && inR(f.taggedVersions) ? f.tag : null,
          flexible: f.flexibleVersions === undefined ? flexible : inR(f.flexibleVersions),
          fields: sub ? shape(sub) : null,
        };
      });
  return { valid: inR(schema.validVersions), flexible, fields: shape(schema.fields) };
}

/** "3+", "0-5", "7", "none" -> {lo, hi} | null */
function parseRange(s) {
  if (s === undefined || s === null) return null;
  s = String(s).trim();
  if (s === '' || s === 'none') return null;
  if (s.endsWith('+')) return { lo: Number(s.slice(0, -1)), hi: Infinity };
  const dash = s.indexOf('-');
  if (dash > 0) return { lo: Number(s.slice(0, dash)), hi: Number(s.slice(dash + 1)) };
  return { lo: Number(s), hi: Number(s) };
}

function intersect(a, b) {
  if (!a || !b) return null;
  const lo = Math.max(a.lo, b.lo);
  const hi = Math.min(a.hi, b.hi);
  return lo <= hi ? { lo, hi } : null;
}

function covers(range, ctx) {
  return !!range && range.lo <= ctx.lo && range.hi >= ctx.hi;
}

/** ctx minus range, when that is contiguous; otherwise ctx (a safe over-approximation). */
function minus(ctx, range) {
  if (!range) return ctx;
  if (range.lo > ctx.lo && range.hi >= ctx.hi) return { lo: ctx.lo, hi: range.lo - 1 };
  if (range.lo <= ctx.lo && range.hi < ctx.hi) return { lo: range.hi + 1, hi: ctx.hi };
  return ctx;
}

/** Condition expression for `version in range`, knowing version is in ctx. */
function condExpr(range, ctx) {
  const parts = [];
  if (range.lo === range.hi && range.lo > ctx.lo && range.hi < ctx.hi) return `version === ${range.lo}`;
  if (range.lo > ctx.lo) parts.push(`version >= ${range.lo}`);
  if (range.hi < ctx.hi) parts.push(`version <= ${range.hi}`);
  return parts.join(' && ');
}

/** Expression select: thenFn(ctx') if version in range else elseFn(ctx'). */
function sel(ctx, range, thenFn, elseFn) {
  const inR = intersect(ctx, range);
  if (!inR) return elseFn(ctx);
  if (covers(range, ctx)) return thenFn(ctx);
  return `(${condExpr(range, ctx)} ? ${thenFn(inR)} : ${elseFn(minus(ctx, range))})`;
}

/** Statement select (returns lines). */
function stmtSel(ctx, range, ind, thenFn, elseFn) {
  const inR = intersect(ctx, range);
  if (!inR) return elseFn ? elseFn(ctx, ind) : [];
  if (covers(range, ctx)) return thenFn(ctx, ind);
  const out = [`${ind}if (${condExpr(range, ctx)}) {`, ...thenFn(inR, ind + '  ')];
  if (elseFn) {
    const e = elseFn(minus(ctx, range), ind + '  ');
    if (e.length) out.push(`${ind}} else {`, ...e);
  }
  out.push(`${ind}}`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Model

const PRIMS = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'records', 'uuid']);
const FIXED_SIZE = { bool: 1, int8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, int64Exact: 8, float64: 8, uuid: 16 };

/**
 * int64 fields a client may legitimately fill with any value: committed offsets, which the
 * broker only stores and hands back (OffsetFetch returns them exactly as committed), and
 * targets Kafka answers for any value (a Fetch or DeleteRecords offset past the log is
 * OFFSET_OUT_OF_RANGE; a ListOffsets timestamp of Long.MAX_VALUE finds nothing), so that a
 * consumer whose committed offset is 2^63-1 gets Kafka's answer rather than a closed
 * connection. They are typed `Int64` and decoded over the whole int64 range (a bigint beyond
 * ±(2^53-1)); every other int64 is a `number` whose read refuses values beyond ±(2^53-1)
 * (see primitives.ts). Message name -> field names.
 */
const EXACT_INT64 = {
  DeleteRecordsRequest: ['Offset'],
  // HighWatermark (v18, tagged): a follower's, Long.MAX_VALUE by default.
  FetchRequest: ['FetchOffset', 'HighWatermark'],
  ListOffsetsRequest: ['Timestamp'],
  OffsetCommitRequest: ['CommittedOffset'],
  OffsetFetchResponse: ['CommittedOffset'],
  TxnOffsetCommitRequest: ['CommittedOffset'],
};
const exactInt64Seen = new Set();
const RESERVED = new Set(('break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
  'import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface ' +
  'package private protected public await arguments eval undefined version r w m').split(' '));

function camel(name) {
  return name[0].toLowerCase() + name.slice(1);
}

class MessageModel {
  constructor(schema) {
    this.schema = schema;
    this.name = schema.name;
    this.valid = parseRange(schema.validVersions);
    this.flex = parseRange(schema.flexibleVersions);
    this.common = new Map((schema.commonStructs ?? []).map((s) => [s.name, s]));
    /** typeName -> struct */
    this.structs = new Map();
    this.structOrder = [];
    this.root = this.makeStruct(this.name, schema.fields, this.valid, true);
  }

  makeStruct(typeName, rawFields, ctx, isRoot = false) {
    const tsName = isRoot ? typeName : this.name + typeName;
    const struct = { typeName, tsName, ctx, fields: [], isRoot };
    if (!isRoot) {
      if (this.structs.has(typeName)) throw new Error(`${this.name}: duplicate struct ${typeName}`);
      this.structs.set(typeName, struct);
    }
    this.structOrder.push(struct); // pre-order: parents before children
    struct.fields = rawFields.map((f) => this.makeField(f, ctx));
    return struct;
  }

  structFor(field, typeName, ctx) {
    if (field.fields) return this.makeStruct(typeName, field.fields, ctx);
    const existing = this.structs.get(typeName);
    if (existing) return existing;
    const common = this.common.get(typeName);
    if (!common) throw new Error(`${this.name}: unknown struct type ${typeName} for field ${field.name}`);
    // Common structs may be used from several places: use the whole valid range as context.
    return this.makeStruct(typeName, common.fields, this.valid);
  }

  makeField(f, parentCtx) {
    const versions = parseRange(f.versions);
    const present = intersect(parentCtx, versions);
    let desc;
    const t = f.type;
    if (t.startsWith('[]')) {
      const elem = t.slice(2);
      desc = PRIMS.has(elem)
        ? { kind: 'array', elem: { kind: 'prim', prim: elem } }
        : { kind: 'array', elem: { kind: 'struct', struct: this.structFor(f, elem, present ?? parentCtx) } };
    } else if (t === 'int64' && EXACT_INT64[this.name]?.includes(f.name)) {
      desc = { kind: 'prim', prim: 'int64Exact' };
      exactInt64Seen.add(`${this.name}.${f.name}`);
    } else if (PRIMS.has(t)) {
      desc = { kind: 'prim', prim: t };
    } else {
      desc = { kind: 'struct', struct: this.structFor(f, t, present ?? parentCtx) };
    }
    const nullable = intersect(parseRange(f.nullableVersions), versions);
    const tagged = intersect(parseRange(f.taggedVersions), versions);
    if (tagged && tagged.hi !== Infinity) throw new Error(`${this.name}.${f.name}: closed taggedVersions unsupported`);
    if (tagged && f.tag === undefined) throw new Error(`${this.name}.${f.name}: taggedVersions without tag`);
    const regular = tagged ? (tagged.lo > (versions?.lo ?? 0) ? { lo: versions.lo, hi: Math.min(versions.hi, tagged.lo - 1) } : null) : versions;
    const flex = f.flexibleVersions !== undefined ? parseRange(f.flexibleVersions) : this.flex;
    const c = camel(f.name);
    const field = {
      name: f.name,
      camel: c,
      local: RESERVED.has(c) ? `${c}_` : c,
      desc,
      versions,
      nullable,
      nullableAny: desc.kind === 'prim' && desc.prim === 'records' ? true : !!nullable,
      tagged,
      tag: f.tag,
      regular,
      flex,
      rawDefault: f.default,
      optional: f.newerOnly === true,
    };
    field.tsType = tsType(field);
    field.defaultExpr = defaultExpr(field);
    return field;
  }
}

function elemTsType(desc) {
  if (desc.kind === 'struct') return desc.struct.tsName;
  switch (desc.prim) {
    case 'bool':
      return 'boolean';
    case 'string':
      return 'string';
    case 'bytes':
    case 'uuid':
      return 'Buffer';
    case 'records':
      return 'Buffer | null';
    case 'int64Exact':
      return 'Int64';
    default:
      return 'number';
  }
}

function tsType(field) {
  const d = field.desc;
  if (d.kind === 'array') return `${elemTsType(d.elem)}[]${field.nullableAny ? ' | null' : ''}`;
  if (d.kind === 'prim' && d.prim === 'records') return 'Buffer | null';
  return `${elemTsType(d)}${field.nullableAny ? ' | null' : ''}`;
}

function defaultExpr(field) {
  const d = field.desc;
  const raw = field.rawDefault;
  const isNull = raw === 'null' && field.nullableAny;
  if (d.kind === 'array') return isNull ? 'null' : '[]';
  if (d.kind === 'struct') return isNull ? 'null' : `default${d.struct.tsName}()`;
  switch (d.prim) {
    case 'bool':
      return String(raw === true || raw === 'true');
    case 'string':
      if (isNull) return 'null';
      return JSON.stringify(raw === undefined || raw === 'null' ? '' : String(raw));
    case 'bytes':
      return isNull ? 'null' : 'EMPTY_BUFFER';
    case 'records':
      return 'null';
    case 'uuid':
      return 'ZERO_UUID';
    default: {
      if (raw === undefined || raw === '' || raw === 'null') return '0';
      // An exact int64 default beyond ±(2^53-1) (Long.MAX_VALUE) is a bigint, as toInt64 holds it.
      if (d.prim === 'int64Exact' && !Number.isSafeInteger(Number(raw))) return `${BigInt(raw)}n`;
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new Error(`${field.name}: bad default ${raw}`);
      return String(n);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Code generation: decode

/** Read expression for a primitive. `flex`/`nullable` are ranges; ctx is where we are. */
function primReadExpr(prim, ctx, flex, nullable) {
  switch (prim) {
    case 'string':
      return sel(ctx, flex,
        (c) => sel(c, nullable, () => 'r.compactNullableString()', () => 'r.compactString()'),
        (c) => sel(c, nullable, () => 'r.nullableString()', () => 'r.string()'));
    case 'bytes':
    case 'records':
      return sel(ctx, flex,
        (c) => sel(c, nullable, () => 'r.compactNullableBytes()', () => 'r.compactBytes()'),
        (c) => sel(c, nullable, () => 'r.nullableBytes()', () => 'r.bytes()'));
    default:
      return `r.${prim}()`;
  }
}

function genReadInto(field, target, ctx, ind) {
  const d = field.desc;
  if (d.kind === 'prim') return [`${ind}${target} = ${primReadExpr(d.prim, ctx, field.flex, field.nullable)};`];
  if (d.kind === 'struct') {
    const call = `decode${d.struct.tsName}(r, version)`;
    return [`${ind}${target} = ${sel(ctx, field.nullable, () => `(r.int8() < 0 ? null : ${call})`, () => call)};`];
  }
  // array
  const e = d.elem;
  const elemExpr = e.kind === 'struct' ? `decode${e.struct.tsName}(r, version)` : primReadExpr(e.prim, ctx, field.flex, null);
  const lenExpr = sel(ctx, field.flex, () => 'r.compactArrayLength()', () => 'r.arrayLength()');
  const out = [`${ind}{`, `${ind}  const _n = ${lenExpr};`, `${ind}  if (_n < 0) {`];
  out.push(
    ...stmtSel(ctx, field.nullable, ind + '    ',
      (_c, i) => [`${i}${target} = null;`],
      (_c, i) => [`${i}throw new ProtocolError('non-nullable field ${field.name} was null');`]),
  );
  out.push(
    `${ind}  } else {`,
    `${ind}    const _a: ${elemTsType(e)}[] = [];`,
    `${ind}    for (let _i = 0; _i < _n; _i++) _a.push(${elemExpr});`,
    `${ind}    ${target} = _a;`,
    `${ind}  }`,
    `${ind}}`,
  );
  return out;
}

function genDecode(model, struct) {
  const ctx = struct.ctx;
  const lines = [];
  const fnName = `decode${struct.tsName}`;
  lines.push(`export function ${fnName}(r: Reader, version: number): ${struct.tsName} {`);
  for (const f of struct.fields) {
    const reg = intersect(ctx, f.regular);
    if (reg && covers(f.regular, ctx) && !f.tagged) {
      // Always present: read straight into a const where possible.
      if (f.desc.kind === 'array') {
        lines.push(`  let ${f.local}: ${f.tsType};`);
        lines.push(...genReadInto(f, f.local, ctx, '  '));
      } else {
        const [stmt] = genReadInto(f, '@@', ctx, '');
        lines.push(`  const ${f.local}: ${f.tsType} = ${stmt.slice(5)}`);
      }
      continue;
    }
    lines.push(`  let ${f.local}: ${f.tsType} = ${f.defaultExpr};`);
    if (reg) lines.push(...stmtSel(ctx, f.regular, '  ', (c, i) => genReadInto(f, f.local, c, i)));
  }
  const flexCtx = intersect(ctx, model.flex);
  if (flexCtx) {
    const tagged = struct.fields.filter((f) => f.tagged && intersect(flexCtx, f.tagged)).sort((a, b) => a.tag - b.tag);
    lines.push(
      ...stmtSel(ctx, model.flex, '  ', (fc, i) => {
        if (!tagged.length) return [`${i}r.skipTaggedFields();`];
        const out = [
          `${i}const _nt = r.uvarint();`,
          `${i}for (let _k = 0; _k < _nt; _k++) {`,
          `${i}  const _tag = r.uvarint();`,
          `${i}  const _size = r.uvarint();`,
          `${i}  if (_size > r.remaining()) throw new ProtocolError('tagged field exceeds input');`,
          `${i}  const _end = r.offset + _size;`,
          `${i}  switch (_tag) {`,
        ];
        for (const f of tagged) {
          out.push(`${i}    case ${f.tag}:`);
          out.push(
            ...stmtSel(fc, f.tagged, `${i}      `,
              (c, j) => genReadInto({ ...f, flex: c }, f.local, c, j),
              (_c, j) => [`${j}r.skip(_size);`]),
          );
          out.push(`${i}      break;`);
        }
        out.push(
          `${i}    default:`,
          `${i}      r.skip(_size);`,
          `${i}  }`,
          `${i}  if (r.offset !== _end) throw new ProtocolError('tagged field size mismatch');`,
          `${i}}`,
        );
        return out;
      }),
    );
  }
  lines.push(`  return { ${struct.fields.map((f) => (f.local === f.camel ? f.camel : `${f.camel}: ${f.local}`)).join(', ')} };`);
  lines.push('}');
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Code generation: encode

function primWriteStmts(prim, v, ctx, flex, nullable, nullableAny, wv) {
  const nn = (zero) => (nullableAny ? `${v} ?? ${zero}` : v);
  switch (prim) {
    case 'string':
      return sel(ctx, flex,
        (c) => sel(c, nullable, () => `${wv}.compactNullableString(${v})`, () => `${wv}.compactString(${nn("''")})`),
        (c) => sel(c, nullable, () => `${wv}.nullableString(${v})`, () => `${wv}.string(${nn("''")})`));
    case 'bytes':
    case 'records':
      return sel(ctx, flex,
        (c) => sel(c, nullable, () => `${wv}.compactNullableBytes(${v})`, () => `${wv}.compactBytes(${nn('EMPTY_BUFFER')})`),
        (c) => sel(c, nullable, () => `${wv}.nullableBytes(${v})`, () => `${wv}.bytes(${nn('EMPTY_BUFFER')})`));
    default:
      return `${wv}.${prim}(${v})`;
  }
}

function getter(f, obj = 'm') {
  if (f.nullableAny) return `(${obj}.${f.camel} === undefined ? ${f.defaultExpr} : ${obj}.${f.camel})`;
  return `(${obj}.${f.camel} ?? ${f.defaultExpr})`;
}

/** Statements writing value `v` (an identifier) of field f. */
function genWriteValue(f, v, ctx, ind, wv) {
  const d = f.desc;
  if (d.kind === 'prim') return [`${ind}${primWriteStmts(d.prim, v, ctx, f.flex, f.nullable, f.nullableAny, wv)};`];
  if (d.kind === 'struct') {
    const call = `encode${d.struct.tsName}(${wv}, version, ${f.nullableAny ? `${v}!` : v})`;
    if (!f.nullableAny) return [`${ind}${call};`];
    return stmtSel(ctx, f.nullable, ind,
      (_c, i) => [`${i}if (${v} === null) ${wv}.int8(-1);`, `${i}else {`, `${i}  ${wv}.int8(1);`, `${i}  ${call};`, `${i}}`],
      (_c, i) => [`${i}encode${d.struct.tsName}(${wv}, version, ${v} ?? default${d.struct.tsName}());`]);
  }
  const e = d.elem;
  const lenStmt = (n) => sel(ctx, f.flex, () => `${wv}.compactArrayLength(${n})`, () => `${wv}.arrayLength(${n})`);
  const elemStmt = e.kind === 'struct'
    ? `encode${e.struct.tsName}(${wv}, version, ${v}[_i]!)`
    : primWriteStmts(e.prim, `${v}[_i]!`, ctx, f.flex, null, false, wv);
  const out = [];
  if (f.nullableAny) {
    out.push(`${ind}if (${v} === null) {`);
    out.push(...stmtSel(ctx, f.nullable, ind + '  ', (_c, i) => [`${i}${lenStmt(-1)};`], (_c, i) => [`${i}${lenStmt(0)};`]));
    out.push(`${ind}} else {`);
  } else {
    out.push(`${ind}{`);
  }
  out.push(`${ind}  ${lenStmt(`${v}.length`)};`);
  out.push(`${ind}  for (let _i = 0; _i < ${v}.length; _i++) ${elemStmt};`);
  out.push(`${ind}}`);
  return out;
}

function genWriteField(f, ctx, ind, wv) {
  const d = f.desc;
  if (d.kind === 'prim' && !f.nullableAny && !['string', 'bytes', 'records'].includes(d.prim)) {
    return [`${ind}${primWriteStmts(d.prim, getter(f), ctx, f.flex, f.nullable, false, wv)};`];
  }
  return [`${ind}{`, `${ind}  const _v = ${getter(f)};`, ...genWriteValue(f, '_v', ctx, ind + '  ', wv), `${ind}}`];
}

/** Expression that is true when tagged value `v` differs from the field's default. */
function nonDefaultExpr(f, v) {
  const d = f.desc;
  const def = f.defaultExpr;
  const orNull = f.nullableAny ? `${v} === null || ` : '';
  if (d.kind === 'array') return def === 'null' ? `${v} !== null` : `(${orNull}${v}.length !== 0)`;
  if (d.kind === 'struct') return def === 'null' ? `${v} !== null` : `(${orNull}!isDefault${d.struct.tsName}(${v}))`;
  switch (d.prim) {
    case 'uuid':
      return `!${v}.equals(ZERO_UUID)`;
    case 'bytes':
    case 'records':
      return def === 'null' ? `${v} !== null` : `(${orNull}${v}.length !== 0)`;
    default:
      return `${v} !== ${def}`;
  }
}

function genEncode(model, struct) {
  const ctx = struct.ctx;
  const lines = [`export function encode${struct.tsName}(w: Writer, version: number, m: ${struct.tsName}): void {`];
  for (const f of struct.fields) {
    if (!intersect(ctx, f.regular)) continue;
    lines.push(...stmtSel(ctx, f.regular, '  ', (c, i) => genWriteField(f, c, i, 'w')));
  }
  const flexCtx = intersect(ctx, model.flex);
  if (flexCtx) {
    const tagged = struct.fields.filter((f) => f.tagged && intersect(flexCtx, f.tagged)).sort((a, b) => a.tag - b.tag);
    lines.push(
      ...stmtSel(ctx, model.flex, '  ', (fc, i) => {
        if (!tagged.length) return [`${i}w.emptyTaggedFields();`];
        const out = [`${i}let _tc = 0;`];
        tagged.forEach((f, k) => {
          const inV = intersect(fc, f.tagged);
          const cond = covers(f.tagged, fc) ? '' : `${condExpr(f.tagged, fc)} && `;
          if (f.desc.kind === 'struct') {
            // Avoid allocating a default struct just to find out it is the default.
            const S = f.desc.struct.tsName;
            out.push(`${i}const _t${k} = m.${f.camel};`);
            let nd;
            if (f.defaultExpr === 'null') nd = `_t${k} != null`;
            else if (f.nullableAny) nd = `(_t${k} === null || (_t${k} !== undefined && !isDefault${S}(_t${k})))`;
            else nd = `(_t${k} != null && !isDefault${S}(_t${k}))`;
            out.push(`${i}const _h${k} = ${cond}${nd};`);
          } else {
            out.push(`${i}const _t${k} = ${getter(f)};`);
            out.push(`${i}const _h${k} = ${cond}${nonDefaultExpr(f, `_t${k}`)};`);
          }
          out.push(`${i}if (_h${k}) _tc++;`);
          f._inV = inV;
        });
        out.push(`${i}w.uvarint(_tc);`);
        tagged.forEach((f, k) => {
          out.push(`${i}if (_h${k}) {`);
          out.push(`${i}  w.uvarint(${f.tag});`);
          const d = f.desc;
          const tf = { ...f, flex: f._inV };
          if (d.kind === 'prim' && FIXED_SIZE[d.prim] !== undefined) {
            out.push(`${i}  w.uvarint(${FIXED_SIZE[d.prim]});`);
            out.push(...genWriteValue(tf, `_t${k}`, f._inV, `${i}  `, 'w'));
          } else {
            out.push(`${i}  const _tw = new Writer(64);`);
            out.push(...genWriteValue(tf, `_t${k}`, f._inV, `${i}  `, '_tw'));
            out.push(`${i}  w.uvarint(_tw.length);`);
            out.push(`${i}  for (const _c of _tw.chunks()) w.raw(_c);`);
          }
          out.push(`${i}}`);
        });
        return out;
      }),
    );
  }
  lines.push('}');
  return lines;
}

function genDefault(struct) {
  const body = struct.fields.map((f) => `${f.camel}: ${f.defaultExpr}`).join(', ');
  return [
    `/** A ${struct.tsName} with every field at its default. */`,
    `export function default${struct.tsName}(): ${struct.tsName} {`,
    `  return { ${body} };`,
    '}',
  ];
}

function genIsDefault(struct) {
  const conds = struct.fields.map((f) => {
    const v = `(${getter(f, 's')})`;
    return `!(${nonDefaultExpr(f, v)})`;
  });
  return [
    `function isDefault${struct.tsName}(s: ${struct.tsName}): boolean {`,
    `  return ${conds.length ? conds.join(' &&\n    ') : 'true'};`,
    '}',
  ];
}

function genInterface(struct) {
  const lines = [`export interface ${struct.tsName} {`];
  for (const f of struct.fields) {
    const notes = [];
    if (f.versions) notes.push(`v${f.versions.lo}${f.versions.hi === Infinity ? '+' : f.versions.hi === f.versions.lo ? '' : `-${f.versions.hi}`}`);
    else notes.push('no versions');
    if (f.nullable) notes.push(`nullable v${f.nullable.lo}${f.nullable.hi === Infinity ? '+' : `-${f.nullable.hi}`}`);
    if (f.tagged) notes.push(`tag ${f.tag}`);
    if (f.defaultExpr !== '0' && f.defaultExpr !== "''" && f.defaultExpr !== '""' && f.defaultExpr !== '[]' && f.defaultExpr !== 'false')
      notes.push(`default ${f.defaultExpr}`);
    lines.push(`  ${f.camel}${f.optional ? '?' : ''}: ${f.tsType}; // ${notes.join(', ')}`);
  }
  lines.push('}');
  return lines;
}

function genMessage(model) {
  const out = [];
  const structs = model.structOrder;
  for (const s of structs) out.push(...genInterface(s), '');
  for (const s of structs) out.push(...genDefault(s), '');
  const codecs = [];
  for (const s of structs) codecs.push(...genDecode(model, s), '', ...genEncode(model, s), '');
  // isDefault helpers are only emitted when some tagged struct field needs them (transitively).
  const isDefaults = new Map(structs.map((s) => [s.tsName, genIsDefault(s)]));
  const needed = new Set();
  const scan = (text) => {
    for (const m of text.matchAll(/\bisDefault(\w+)\(/g)) {
      if (!needed.has(m[1]) && isDefaults.has(m[1])) {
        needed.add(m[1]);
        scan(isDefaults.get(m[1]).join('\n'));
      }
    }
  };
  scan(codecs.join('\n'));
  for (const s of structs) if (needed.has(s.tsName)) out.push(...isDefaults.get(s.tsName), '');
  out.push(...codecs);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Samples (for tests)

let sampleCounter = 0;

function sampleValueExpr(desc, ctx, k) {
  const c = ++sampleCounter;
  if (desc.kind === 'struct') return `sample${desc.struct.tsName}(version, variant, ${k})`;
  switch (desc.prim) {
    case 'bool':
      return 'SAMPLE_BOOL';
    case 'int8':
      return `s_int8(${c}, ${k})`;
    case 'int16':
      return `s_int16(${c}, ${k})`;
    case 'uint16':
      return `s_uint16(${c}, ${k})`;
    case 'int32':
      return `s_int32(${c}, ${k})`;
    case 'uint32':
      return `s_uint32(${c}, ${k})`;
    case 'int64':
      return `s_int64(${c}, ${k})`;
    case 'int64Exact':
      return `s_int64x(${c}, ${k})`;
    case 'float64':
      return `s_float64(${c}, ${k})`;
    case 'string':
      return `s_string(${c}, ${k})`;
    case 'bytes':
    case 'records':
      return `s_bytes(${c}, ${k})`;
    case 'uuid':
      return `s_uuid(${c}, ${k})`;
  }
  throw new Error('unknown ' + desc.prim);
}

function genSample(model, struct) {
  const ctx = struct.ctx;
  const props = struct.fields.map((f) => {
    const present = intersect(ctx, f.versions);
    if (!present) return `    ${f.camel}: ${f.defaultExpr},`;
    let val;
    const d = f.desc;
    if (d.kind === 'array') {
      const e0 = sampleValueExpr(d.elem, present, 'k * 2');
      const e1 = sampleValueExpr(d.elem, present, 'k * 2 + 1');
      val = `[${e0}, ${e1}]`;
    } else if (d.kind === 'prim' && d.prim === 'bool') {
      val = f.defaultExpr === 'true' ? 'false' : 'true';
    } else {
      val = sampleValueExpr(d, present, 'k');
    }
    if (f.nullable) {
      // variant 1: every nullable field null; variant 2: nullable non-arrays null.
      const nullVariant = d.kind === 'array' ? 'variant === 1' : 'variant !== 0';
      val = sel(present, f.nullable, () => `(${nullVariant} ? null : ${val})`, () => val);
    }
    const expr = sel(ctx, f.versions, () => val, () => f.defaultExpr);
    return `    ${f.camel}: ${expr},`;
  });
  return [
    `export function sample${struct.tsName}(version: number, variant = 0, k = 0): M.${struct.tsName} {`,
    '  return {',
    ...props,
    '  };',
    '}',
  ];
}

/**
 * Where the int64 values of a struct are, for the int64 round-trip tests: int64 fields (and
 * arrays of them), and struct fields that contain some, each with its version range. Structs
 * without any int64 (transitively) are left out.
 */
function genInt64Layout(models) {
  const layouts = new Map();
  const has = (struct, seen = new Set()) => {
    if (seen.has(struct)) return false;
    seen.add(struct);
    return struct.fields.some((f) => {
      const d = f.desc.kind === 'array' ? f.desc.elem : f.desc;
      return d.kind === 'struct' ? has(d.struct, seen) : d.prim === 'int64' || d.prim === 'int64Exact';
    });
  };
  for (const m of models) {
    for (const struct of m.structOrder) {
      if (!has(struct)) continue;
      const slots = [];
      for (const f of struct.fields) {
        if (!f.versions) continue;
        const range = `lo: ${f.versions.lo}, hi: ${f.versions.hi === Infinity ? 0x7fff : f.versions.hi}`;
        const d = f.desc;
        const e = d.kind === 'array' ? d.elem : d;
        const many = d.kind === 'array';
        if (e.kind === 'struct') {
          if (has(e.struct)) slots.push(`{ field: '${f.camel}', ${range}, kind: '${many ? 'structs' : 'struct'}', struct: '${e.struct.tsName}' }`);
        } else if (e.prim === 'int64' || e.prim === 'int64Exact') {
          slots.push(`{ field: '${f.camel}', ${range}, kind: '${e.prim}${many ? 's' : ''}' }`);
        }
      }
      layouts.set(struct.tsName, `  ${struct.tsName}: [\n    ${slots.join(',\n    ')},\n  ],`);
    }
  }
  return [...layouts.values()];
}

// ---------------------------------------------------------------------------------------------
// Files

function header(desc) {
  return `// Generated by scripts/generate-protocol.mjs from Kafka's ${desc}. Do not edit.`;
}

function imports(body) {
  const names = ['Reader', 'Writer', 'ProtocolError', 'ZERO_UUID', 'EMPTY_BUFFER', 'Int64'].filter((n) => new RegExp(`\\b${n}\\b`).test(body));
  const typeOnly = names.filter((n) => n === 'Reader' || n === 'Int64' || (n === 'Writer' && !/new Writer\(/.test(body)));
  const values = names.filter((n) => !typeOnly.includes(n));
  const lines = [];
  if (values.length) lines.push(`import { ${values.join(', ')} } from '../primitives.js';`);
  if (typeOnly.length) lines.push(`import type { ${typeOnly.join(', ')} } from '../primitives.js';`);
  return lines.join('\n');
}

function writeFile(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

function main() {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  // Remove previously generated files so renamed/removed APIs don't linger.
  for (const f of fs.readdirSync(OUT_DIR)) {
    if (f.endsWith('.ts')) {
      const t = fs.readFileSync(path.join(OUT_DIR, f), 'utf8');
      if (t.startsWith('// Generated by scripts/generate-protocol.mjs')) fs.unlinkSync(path.join(OUT_DIR, f));
    }
  }

  const apiConsts = [];
  const modules = [];
  const samples = [];
  const sampleIndex = [];
  const allModels = [];

  const emit = (moduleName, descr, models, extra) => {
    const body = [];
    for (const m of models) body.push(...genMessage(m));
    body.push(...extra);
    const bodyText = body.join('\n');
    const text = `${header(descr)}\n\n${imports(bodyText)}\n\n${bodyText.trimEnd()}\n`;
    writeFile(path.join(OUT_DIR, `${moduleName}.ts`), text);
    modules.push(moduleName);
    for (const m of models) {
      for (const s of m.structOrder) samples.push(...genSample(m, s), '');
      allModels.push(m);
    }
  };

  for (const api of APIS) {
    const req = new MessageModel(loadSchema(`${api}Request`));
    const res = new MessageModel(loadSchema(`${api}Response`));
    if (req.schema.apiKey !== res.schema.apiKey) throw new Error(`${api}: apiKey mismatch`);
    if (req.valid.lo !== res.valid.lo || req.valid.hi !== res.valid.hi) {
      console.warn(`warning: ${api} request/response valid versions differ`);
    }
    const flexibleFrom = req.flex ? req.flex.lo : -1;
    const resFlex = res.flex ? res.flex.lo : -1;
    if (resFlex !== flexibleFrom) console.warn(`warning: ${api} request/response flexible versions differ`);
    const extra = [
      `export const ${api}Api = { key: ${req.schema.apiKey}, name: '${api}', minVersion: ${req.valid.lo}, maxVersion: ${req.valid.hi}, flexibleFrom: ${flexibleFrom} /* -1 = never */ } as const;`,
    ];
    emit(api, `${api}Request/Response schemas`, [req, res], extra);
    apiConsts.push(`${api}Api`);
    sampleIndex.push(
      `  { api: '${api}', kind: 'request', name: '${req.name}', min: ${req.valid.lo}, max: ${req.valid.hi}, sample: sample${req.name}, defaults: M.default${req.name}, decode: M.decode${req.name}, encode: M.encode${req.name} },`,
      `  { api: '${api}', kind: 'response', name: '${res.name}', min: ${res.valid.lo}, max: ${res.valid.hi}, sample: sample${res.name}, defaults: M.default${res.name}, decode: M.decode${res.name}, encode: M.encode${res.name} },`,
    );
  }

  for (const name of STANDALONE) {
    const model = new MessageModel(loadSchema(name));
    const extra = [
      `export const ${name}Schema = { name: '${name}', minVersion: ${model.valid.lo}, maxVersion: ${model.valid.hi}, flexibleFrom: ${model.flex ? model.flex.lo : -1} /* -1 = never */ } as const;`,
    ];
    emit(name, `${name} schema`, [model], extra);
    sampleIndex.push(
      `  { api: '${name}', kind: '${model.schema.type}', name: '${name}', min: ${model.valid.lo}, max: ${model.valid.hi}, sample: sample${name}, defaults: M.default${name}, decode: M.decode${name}, encode: M.encode${name} },`,
    );
  }

  for (const [msg, fields] of Object.entries(EXACT_INT64)) {
    for (const f of fields) if (!exactInt64Seen.has(`${msg}.${f}`)) throw new Error(`EXACT_INT64: no int64 field ${msg}.${f}`);
  }

  // index.ts
  const idx = [
    '// Generated by scripts/generate-protocol.mjs from Kafka\'s message schemas. Do not edit.',
    '',
    ...modules.map((m) => `export * from './${m}.js';`),
    '',
    ...APIS.map((a) => `import { ${a}Api } from './${a}.js';`),
    '',
    '/** Every generated API: key, name, supported version range, first flexible version (-1 = never). */',
    'export const API_SCHEMAS: { key: number; name: string; minVersion: number; maxVersion: number; flexibleFrom: number }[] = [',
    ...apiConsts.map((c) => `  ${c},`),
    '];',
    '',
    '/** First flexible version by API key (-1 = never / unknown). */',
    'const FLEXIBLE_FROM: Int16Array = (() => {',
    '  let max = 0;',
    '  for (const s of API_SCHEMAS) if (s.key > max) max = s.key;',
    '  const t = new Int16Array(max + 1).fill(-1);',
    '  for (const s of API_SCHEMAS) t[s.key] = s.flexibleFrom;',
    '  return t;',
    '})();',
    '',
    'function isFlexible(apiKey: number, apiVersion: number): boolean {',
    '  if (apiKey < 0 || apiKey >= FLEXIBLE_FROM.length) return false;',
    '  const f = FLEXIBLE_FROM[apiKey]!;',
    '  return f >= 0 && apiVersion >= f;',
    '}',
    '',
    '/** Request header version for a request: 2 for flexible API versions, else 1. */',
    'export function requestHeaderVersion(apiKey: number, apiVersion: number): number {',
    '  return isFlexible(apiKey, apiVersion) ? 2 : 1;',
    '}',
    '',
    '/** Response header version: 1 for flexible API versions, else 0. ApiVersions (18) always uses 0. */',
    'export function responseHeaderVersion(apiKey: number, apiVersion: number): number {',
    '  if (apiKey === 18) return 0;',
    '  return isFlexible(apiKey, apiVersion) ? 1 : 0;',
    '}',
    '',
  ];
  writeFile(path.join(OUT_DIR, 'index.ts'), idx.join('\n'));

  // test/generated/samples.ts
  const sampleText = [
    '// Generated by scripts/generate-protocol.mjs from Kafka\'s message schemas. Do not edit.',
    '// Sample objects with non-default values for every field present in a version (for codec tests).',
    '/* eslint-disable */',
    "import * as M from '../../src/protocol/messages/index.js';",
    "import type { Reader, Writer } from '../../src/protocol/primitives.js';",
    "import { ZERO_UUID, EMPTY_BUFFER } from '../../src/protocol/primitives.js';",
    '',
    'const { ' + [...new Set(samples.join('\n').match(/\bdefault[A-Z]\w*/g) ?? [])].join(', ') + ' } = M;',
    'void ZERO_UUID; void EMPTY_BUFFER;',
    '',
    'const SAMPLE_BOOL = true;',
    'const s_int8 = (c: number, k: number): number => ((c * 7 + k * 3) % 100) + 2 * (c % 2 ? 1 : -1) + 5;',
    'const s_int16 = (c: number, k: number): number => (c % 2 ? -1 : 1) * (((c * 131 + k * 17) % 30000) + 2);',
    'const s_uint16 = (c: number, k: number): number => 40000 + ((c * 13 + k) % 20000);',
    'const s_int32 = (c: number, k: number): number => (c % 3 === 0 ? -1 : 1) * (100000 + c * 1009 + k * 7);',
    'const s_uint32 = (c: number, k: number): number => 3000000000 + c * 1000 + k;',
    'const s_int64 = (c: number, k: number): number => (c % 3 === 0 ? -1 : 1) * (2 ** 40 + c * 1000003 + k * 11) + (c % 5 === 0 ? 2 ** 52 : 0);',
    '// exact int64 fields: alternately past ±2^53 (bigint) and the int64 bounds themselves',
    "const s_int64x = (c: number, k: number): bigint => [0x7fffffffffffffffn, -0x8000000000000000n, 2n ** 53n + 1n, -(2n ** 53n) - BigInt(c + k)][(c + k) % 4]!;",
    'const s_float64 = (c: number, k: number): number => c + k + 0.25;',
    "const s_string = (c: number, k: number): string => (c % 4 === 0 ? `str-é${c}-${k}` : `s${c}-${k}`);",
    'const s_bytes = (c: number, k: number): Buffer => Buffer.from([c & 255, k & 255, 1, 2, 3]);',
    'const s_uuid = (c: number, k: number): Buffer => { const b = Buffer.alloc(16); for (let i = 0; i < 16; i++) b[i] = (c * 31 + k * 7 + i * 13) & 255; return b; };',
    '',
    ...samples,
    'export interface SampleCase {',
    '  api: string;',
    '  kind: string;',
    '  name: string;',
    '  min: number;',
    '  max: number;',
    '  sample: (version: number, variant?: number) => unknown;',
    '  defaults: () => unknown;',
    '  decode: (r: Reader, version: number) => unknown;',
    '  encode: (w: Writer, version: number, m: any) => void;',
    '}',
    '',
    'export const SAMPLE_CASES: SampleCase[] = [',
    ...sampleIndex,
    '];',
    '',
    '/** An int64 (int64: number; int64Exact: Int64; trailing s: array of them) or a struct holding some. */',
    'export interface Int64Slot {',
    '  field: string;',
    '  lo: number;',
    '  hi: number;',
    "  kind: 'int64' | 'int64s' | 'int64Exact' | 'int64Exacts' | 'struct' | 'structs';",
    '  struct?: string;',
    '}',
    '',
    '/** Struct name -> where its int64 values are (structs without any are absent). */',
    'export const INT64_LAYOUT: Record<string, Int64Slot[]> = {',
    ...genInt64Layout(allModels),
    '};',
    '',
  ];
  writeFile(SAMPLES_FILE, sampleText.join('\n'));
  console.log(`generated ${modules.length} modules into ${path.relative(ROOT, OUT_DIR)} and ${path.relative(ROOT, SAMPLES_FILE)}`);
}

main();
