// A seeded wire-protocol fuzzer against a broker child process (issue 10). Each case opens one
// connection and writes, in one stream: a good request (ApiVersions, or Metadata), 1–3 mutated real request
// frames (fuzz-corpus.ts, fuzz-mutators.ts) and a good sentinel request. The client splits the
// stream into frames exactly as the broker does and expects, in order, a well-formed response
// (decoded by our codecs, right correlation id) to each frame, or a closed connection — but never
// before the good request is answered (the "lost answer" rule), and never nothing at all within
// `caseTimeoutMs` unless the broker may legitimately wait: a frame announcing more bytes than
// sent, or a Fetch/JoinGroup/SyncGroup that parks. Every `checkEvery` cases and at the end:
// the broker is alive, logged no ERROR, its RSS is under the bound, a known data set produced
// before the run reads back byte-for-byte identical, and what valid cases stored decodes
// (fuzz-data.ts). Replay: FUZZ_SEED=<seed> with the same corpus (each case number derives its
// own PRNG stream); a failure also carries the exact bytes of its stream.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as M from '../../src/protocol/messages/index.js';
import { Reader, Writer } from '../../src/protocol/primitives.js';
import { API_LIST } from '../../src/server/apis/index.js';
import type { CorpusEntry } from './fuzz-corpus.js';
import { diffSnapshots, housekeep, snapshotDataSet, verifyStoredBatches, type PartitionSnapshot } from './fuzz-data.js';
import { mutate, Prng } from './fuzz-mutators.js';

export { DATA_SET_TOPICS, diffSnapshots, produceDataSet, snapshotDataSet, type PartitionSnapshot } from './fuzz-data.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, path.basename(path.resolve(here, '../..')) === 'dist' ? '../../..' : '../..');
const BIN = path.join(ROOT, 'bin', 'minikafka.js');

export const FUZZ_MAX_REQUEST_BYTES = 1 << 20;

/** The broker under test, as a child process (so a crash is an exit, not a vitest failure). */
export class BrokerProcess {
  readonly errors: string[] = [];
  closesLogged = 0;
  /** Why the broker closed connections (numbers blanked), with counts. */
  readonly closeReasons = new Map<string, number>();
  exited: string | null = null;
  private constructor(
    private readonly child: ChildProcess,
    readonly bootstrap: string,
  ) {}

  static start(config: Record<string, string | number>): Promise<BrokerProcess> {
    const args = [BIN, '--in-memory', '--port', '0'];
    for (const [k, v] of Object.entries(config)) args.push('--config', `${k}=${v}`);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MINIKAFKA_LOG: 'warn' } });
    return new Promise((resolve, reject) => {
      let out = '';
      let broker: BrokerProcess | null = null;
      let err = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /minikafka ready bootstrap=(\S+)/.exec(out);
        if (m && !broker) resolve((broker = new BrokerProcess(child, m[1]!.split(',')[0]!)));
      });
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        let nl: number;
        while ((nl = err.indexOf('\n')) >= 0) {
          const line = err.slice(0, nl);
          err = err.slice(nl + 1);
          if (line.includes('closing connection') && broker) {
            broker.closesLogged++;
            const reason = line.replace(/^.*closing connection \S+: /, '').replace(/[0-9]+/g, 'N').replace(/: .*$/, '').slice(0, 60);
            broker.closeReasons.set(reason, (broker.closeReasons.get(reason) ?? 0) + 1);
          }
          else if (/ (ERROR|FATAL) |Uncaught|unhandled/i.test(line) && broker && broker.errors.length < 50) broker.errors.push(line);
        }
      });
      child.on('exit', (code, signal) => {
        if (broker) broker.exited = `exit code ${code} signal ${signal}`;
        else reject(new Error(`broker exited before ready (code ${code}): ${err}`));
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resident set size in MiB (Linux /proc). */
  rssMb(): number {
    const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const done = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await done;
  }
}

// ---- one case -------------------------------------------------------------------------------

const GOOD_ID = 2_000_000_001;
const SENTINEL_ID = 2_000_000_002;

function apiVersionsFrame(correlationId: number): Buffer {
  const w = new Writer();
  const size = w.reserveInt32();
  M.encodeRequestHeader(w, 2, { requestApiKey: 18, requestApiVersion: 3, correlationId, clientId: 'fz-good' });
  M.encodeApiVersionsRequest(w, 3, { clientSoftwareName: 'fz', clientSoftwareVersion: '1' });
  w.patchInt32(size, w.length - 4);
  return w.toBuffer();
}
const GOOD = apiVersionsFrame(GOOD_ID);
/** A good request whose handler completes asynchronously (its answer is queued behind the event loop). */
const GOOD_ASYNC = (() => {
  const w = new Writer();
  const size = w.reserveInt32();
  M.encodeRequestHeader(w, 1, { requestApiKey: 3, requestApiVersion: 1, correlationId: GOOD_ID, clientId: 'fz-good' });
  M.encodeMetadataRequest(w, 1, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  w.patchInt32(size, w.length - 4);
  return w.toBuffer();
})();

/**
 * The good request before the mutated frames: ApiVersions (answered synchronously), Metadata
 * (answered asynchronously, so a close decided meanwhile must wait for it), or either by case.
 */
export type GoodRequest = 'apiVersions' | 'metadata' | 'mixed';
const SENTINEL = apiVersionsFrame(SENTINEL_ID);

interface ExpectedFrame {
  correlationId: number;
  apiKey: number;
  apiVersion: number;
  /** acks=0 produce may legitimately get no answer. */
  maySkip: boolean;
  /** The frame without its size prefix. */
  body: Buffer;
}

/** Frame the stream as the broker will: its frames, and how it ends. */
export function frameStream(stream: Buffer, maxBytes: number): { frames: ExpectedFrame[]; end: 'clean' | 'partial' | 'bad-size' } {
  const frames: ExpectedFrame[] = [];
  let p = 0;
  while (p < stream.length) {
    if (p + 4 > stream.length) return { frames, end: 'partial' };
    const size = stream.readInt32BE(p);
    if (size < 8 || size > maxBytes) return { frames, end: 'bad-size' };
    if (p + 4 + size > stream.length) return { frames, end: 'partial' };
    const apiKey = stream.readInt16BE(p + 4);
    frames.push({ apiKey, apiVersion: stream.readInt16BE(p + 6), correlationId: stream.readInt32BE(p + 8), maySkip: apiKey === 0, body: stream.subarray(p + 4, p + 4 + size) });
    p += 4 + size;
  }
  return { frames, end: 'clean' };
}

const BY_KEY = new Map(API_LIST.map((a) => [a.key, a]));
const DECODERS = M as unknown as Record<string, (r: Reader, v: number) => unknown>;

/** Null when `frame` is a well-formed response to `e`, else what is wrong. */
function checkResponse(frame: Buffer, e: ExpectedFrame): string | null {
  try {
    const api = BY_KEY.get(e.apiKey);
    if (!api) return `answered an unserved API key ${e.apiKey}`;
    const served = e.apiVersion >= api.minVersion && e.apiVersion <= api.maxVersion;
    if (!served && e.apiKey !== 18) return `answered unsupported ${api.name} v${e.apiVersion}`;
    const r = new Reader(frame);
    const header = M.decodeResponseHeader(r, M.responseHeaderVersion(e.apiKey, e.apiVersion));
    if (header.correlationId !== e.correlationId) return `correlation id ${header.correlationId}, expected ${e.correlationId}`;
    DECODERS[`decode${api.name}Response`]!(r, served ? e.apiVersion : 0);
    if (r.remaining() !== 0) return `${r.remaining()} bytes left after the ${api.name} v${e.apiVersion} response`;
    return null;
  } catch (err) {
    return `undecodable response: ${(err as Error).message}`;
  }
}

export type Outcome = 'answered' | 'closed' | 'reset' | 'partial' | 'parked' | 'hang' | 'lost-answer' | 'bad-response';
export const FAILURES: ReadonlySet<Outcome> = new Set(['hang', 'lost-answer', 'bad-response']);
/**
 * May the broker hold this request longer than `timeoutMs` by design? A Fetch asking to wait
 * that long for data (judged by decoding it as the broker does), and JoinGroup/SyncGroup, which
 * wait for the rest of their group.
 */
function mayPark(e: ExpectedFrame, timeoutMs: number): boolean {
  if (e.apiKey === 11 || e.apiKey === 14) return true;
  if (e.apiKey !== 1) return false;
  try {
    const r = new Reader(e.body);
    M.decodeRequestHeader(r, M.requestHeaderVersion(1, e.apiVersion));
    return M.decodeFetchRequest(r, e.apiVersion).maxWaitMs >= timeoutMs / 2;
  } catch {
    return false;
  }
}

/** Send one stream on a fresh connection and judge what comes back. */
export function runStream(bootstrap: string, stream: Buffer, chunks: number[], maxBytes: number, timeoutMs: number): Promise<{ outcome: Outcome; detail: string }> {
  const { frames, end } = frameStream(stream, maxBytes);
  const [host, port] = bootstrap.split(':');
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port) });
    socket.setNoDelay(true);
    let next = 0; // index in frames of the next expected answer
    let buffered = Buffer.alloc(0);
    let settled = false;
    const finish = (outcome: Outcome, detail = '') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ outcome, detail });
    };
    const pendingMustAnswer = () => frames.slice(next).some((f) => !f.maySkip);
    const timer = setTimeout(() => {
      const waiting = frames.slice(next);
      if (next === 0) return finish('hang', 'the good request was not answered');
      if (end === 'partial' && !pendingMustAnswer()) return finish('partial');
      const head = waiting.find((f) => !f.maySkip);
      if (head && mayPark(head, timeoutMs)) return finish('parked', waiting.map((f) => f.apiKey).join(','));
      finish('hang', `no answer to ${waiting.map((f) => `key ${f.apiKey} v${f.apiVersion} #${f.correlationId}`).join(', ')}`);
    }, timeoutMs);
    // A write that fails (the broker closed and reset while we still sent) makes Node destroy
    // the socket with answers unread in the kernel: such a case is a 'reset', not a lost answer.
    let written = false;
    socket.on('connect', () => {
      let at = 0;
      for (const cut of [...chunks, stream.length]) {
        if (cut > at) socket.write(stream.subarray(at, cut), (err) => {
          if (!err && cut === stream.length) written = true;
        });
        at = Math.max(at, cut);
      }
    });
    socket.on('data', (d) => {
      buffered = buffered.length === 0 ? d : Buffer.concat([buffered, d]);
      while (buffered.length >= 4 && !settled) {
        const size = buffered.readInt32BE(0);
        if (buffered.length < 4 + size) return;
        const frame = buffered.subarray(4, 4 + size);
        buffered = buffered.subarray(4 + size);
        const got = frame.readInt32BE(0);
        while (next < frames.length && frames[next]!.correlationId !== got && frames[next]!.maySkip) next++;
        const e = frames[next];
        if (!e) return finish('bad-response', `an answer (#${got}) to no request`);
        const problem = checkResponse(frame, e);
        if (problem) return finish('bad-response', problem);
        next++;
        if (next === frames.length && end === 'clean') return finish('answered');
        if (end === 'partial' && !pendingMustAnswer()) return finish('partial');
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (next === 0) finish(written ? 'lost-answer' : 'reset', 'closed before the good request was answered');
      else if (end === 'clean' && next === frames.length) finish('answered');
      else finish('closed');
    });
  });
}

// ---- the run --------------------------------------------------------------------------------

export interface FuzzOptions {
  seed: number;
  cases: number;
  corpus: CorpusEntry[];
  broker: BrokerProcess;
  baseline: Map<string, PartitionSnapshot>;
  concurrency?: number;
  caseTimeoutMs?: number;
  checkEvery?: number;
  rssLimitMb: number;
  /** Default 'apiVersions'; see GoodRequest. */
  good?: GoodRequest;
  /** Use only this mutator (to study one). */
  onlyMutator?: string;
  /** Only these case numbers (replay). */
  only?: number[];
  onProgress?: (s: FuzzSummary) => void;
}

export interface FuzzFailure {
  caseNo: number;
  kind: string;
  detail: string;
  mutators: string;
  hex: string;
}

export interface FuzzSummary {
  seed: number;
  cases: number;
  outcomes: Record<Outcome, number>;
  perApi: Record<string, number>;
  perMutator: Record<string, number>;
  /** Of those, cases fully answered (the mutated request reached a handler and was answered). */
  answeredPerMutator: Record<string, number>;
  failures: FuzzFailure[];
  maxRssMb: number;
  closesLogged: number;
  closeReasons: Record<string, number>;
  checks: number;
  /** Topics grown past 64 partitions by valid cases, deleted at checks (see housekeep). */
  topicsHousekept: number;
  wallMs: number;
}

/** The stream for case `caseNo`: deterministic from (seed, caseNo). */
export function buildCase(seed: number, caseNo: number, corpus: CorpusEntry[], maxBytes: number, onlyMutator?: string, good: GoodRequest = 'apiVersions') {
  const r = new Prng(seed, caseNo + 1);
  const asyncGood = r.chance(0.5); // drawn in every mode, so modes share the mutations of a seed
  const parts: Buffer[] = [good === 'metadata' || (good === 'mixed' && asyncGood) ? GOOD_ASYNC : GOOD];
  const apis: string[] = [];
  const mutators: string[] = [];
  for (let n = corpus.length === 0 ? 0 : r.chance(0.8) ? 1 : r.int(2, 3); n > 0; n--) {
    const e = r.pick(corpus);
    const m = mutate(r, e, maxBytes, onlyMutator);
    parts.push(m.bytes);
    apis.push(BY_KEY.get(e.apiKey)?.name ?? `key${e.apiKey}`);
    mutators.push(...m.mutators);
  }
  parts.push(SENTINEL);
  const stream = Buffer.concat(parts);
  const chunks = r.chance(0.5) ? [] : Array.from({ length: r.int(1, 3) }, () => r.int(1, stream.length - 1)).sort((a, b) => a - b);
  return { stream, chunks, apis, mutators };
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzSummary> {
  const started = Date.now();
  const s: FuzzSummary = {
    seed: o.seed,
    cases: 0,
    outcomes: { answered: 0, closed: 0, reset: 0, partial: 0, parked: 0, hang: 0, 'lost-answer': 0, 'bad-response': 0 },
    perApi: {},
    perMutator: {},
    answeredPerMutator: {},
    failures: [],
    maxRssMb: 0,
    closesLogged: 0,
    closeReasons: {},
    checks: 0,
    topicsHousekept: 0,
    wallMs: 0,
  };
  const fail = (caseNo: number, kind: string, detail: string, mutators = '', stream?: Buffer) => {
    if (s.failures.length < 50) s.failures.push({ caseNo, kind, detail, mutators, hex: stream ? stream.subarray(0, 4096).toString('hex') : '' });
  };
  const checkEvery = o.checkEvery ?? 2000;
  const verified = new Map<string, number>();
  let fatal = false;
  const check = async (caseNo: number) => {
    s.checks++;
    if (o.broker.exited) {
      fatal = true;
      return fail(caseNo, 'broker-died', o.broker.exited);
    }
    const rss = o.broker.rssMb();
    s.maxRssMb = Math.max(s.maxRssMb, rss);
    if (rss > o.rssLimitMb) fail(caseNo, 'rss', `${rss.toFixed(0)} MiB > ${o.rssLimitMb} MiB`);
    try {
      const diff = diffSnapshots(o.baseline, await snapshotDataSet(o.broker.bootstrap));
      if (diff.length > 0) fail(caseNo, 'data-changed', diff.join('; '));
    } catch (err) {
      fail(caseNo, 'data-changed', `the data set does not read back: ${(err as Error).message}`);
    }
    try {
      s.topicsHousekept += await housekeep(o.broker.bootstrap, verified);
    } catch (err) {
      fail(caseNo, 'housekeeping', (err as Error).message);
    }
    try {
      for (const p of await verifyStoredBatches(o.broker.bootstrap, verified)) fail(caseNo, 'stored-garbage', p);
    } catch (err) {
      fail(caseNo, 'stored-garbage', `stored batches do not read back: ${(err as Error).message}`);
    }
    for (const line of o.broker.errors.splice(0)) fail(caseNo, 'logged-error', line);
  };
  const list = o.only ?? Array.from({ length: o.cases }, (_, i) => i);
  let nextIndex = 0;
  let sinceCheck = 0;
  let checking: Promise<void> | null = null;
  const worker = async () => {
    while (!fatal && nextIndex < list.length) {
      const caseNo = list[nextIndex++]!;
      const c = buildCase(o.seed, caseNo, o.corpus, FUZZ_MAX_REQUEST_BYTES, o.onlyMutator, o.good);
      const { outcome, detail } = await runStream(o.broker.bootstrap, c.stream, c.chunks, FUZZ_MAX_REQUEST_BYTES, o.caseTimeoutMs ?? 5000);
      s.cases++;
      s.outcomes[outcome]++;
      for (const a of c.apis) s.perApi[a] = (s.perApi[a] ?? 0) + 1;
      for (const m of c.mutators) s.perMutator[m] = (s.perMutator[m] ?? 0) + 1;
      if (outcome === 'answered') for (const m of c.mutators) s.answeredPerMutator[m] = (s.answeredPerMutator[m] ?? 0) + 1;
      if (FAILURES.has(outcome)) fail(caseNo, outcome, detail, c.mutators.join(','), c.stream);
      if (o.broker.exited) {
        fatal = true;
        fail(caseNo, 'broker-died', o.broker.exited, c.mutators.join(','), c.stream);
      }
      if (++sinceCheck >= checkEvery && !checking) {
        sinceCheck = 0;
        checking = check(caseNo).finally(() => {
          checking = null;
          o.onProgress?.({ ...s, closesLogged: o.broker.closesLogged, wallMs: Date.now() - started });
        });
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 8 }, worker));
  await checking;
  if (!fatal) await check(list.length);
  s.closesLogged = o.broker.closesLogged;
  s.closeReasons = Object.fromEntries([...o.broker.closeReasons].sort((a, b) => b[1] - a[1]).slice(0, 12));
  s.wallMs = Date.now() - started;
  return s;
}

/** A seed from FUZZ_SEED, else a fresh one. */
export function fuzzSeed(): number {
  const env = process.env.FUZZ_SEED;
  return env ? Number(env) >>> 0 : (Math.random() * 0x100000000) >>> 0;
}

/** One line per API and mutator, and the outcomes, for printing. */
export function formatSummary(s: FuzzSummary): string {
  const kv = (o: Record<string, number>) => Object.entries(o).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}=${v}`).join(' ');
  return [
    `seed=${s.seed} cases=${s.cases} wall=${(s.wallMs / 1000).toFixed(1)}s maxRss=${s.maxRssMb.toFixed(0)}MiB checks=${s.checks} topicsHousekept=${s.topicsHousekept} closesLogged=${s.closesLogged}`,
    `outcomes: ${kv(s.outcomes)}`,
    `per API: ${kv(s.perApi)}`,
    `per mutator (answered): ${Object.entries(s.perMutator).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}=${v}(${s.answeredPerMutator[k] ?? 0})`).join(' ')}`,
    `close reasons: ${kv(s.closeReasons)}`,
    ...s.failures.map((f) => `FAILURE case ${f.caseNo} ${f.kind}: ${f.detail} [${f.mutators}] ${f.hex.slice(0, 400)}`),
  ].join('\n');
}
