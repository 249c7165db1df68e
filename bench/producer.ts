// Producer benchmark: our Producer against kafkajs on the same broker, same run: 100 B and
// 1 KiB records, 1 and 6 partitions, acks=1 and acks=all; records/s, MB/s of values, and
// send-to-ack latency percentiles.
//
// Our producer: one send() per record, at most WINDOW records unacknowledged (the loop awaits
// the oldest outstanding send beyond that), batch.size BATCH_SIZE, everything else default
// (acks=all is idempotent, acks=1 switches idempotence off as Kafka does). Latency is sampled
// on every 100th record. kafkajs: 1000 messages per send() call, 4 calls in flight (its
// documented batching); latency is per call (all its messages are acknowledged together).
// Each figure is the median of RUNS runs (by records/s) on a fresh topic: the bench machine
// is shared, single runs are noisy. Then the three ways to learn outcomes (callback,
// Promise.all, Promise.allSettled) on the same workload (sendFormsBench).
import { Kafka, logLevel } from 'kafkajs';
import { Producer } from '../src/producer/index.js';
import { promiseFloorRun, type PromiseForm } from './promiseFloor.js';

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  detail?: string;
}

const WINDOW = 20_000;
const RUNS = 3;
const BATCH_SIZE = 131_072;

interface Result {
  rps: number;
  mbps: number;
  p50: number;
  p99: number;
  records: number;
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

/** Delete a finished run's topic: its files go before the kernel has to write them back, so later runs are not slowed by earlier ones' data. */
async function deleteTopic(bootstrap: string, topic: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-admin', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
}

async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-admin', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  await admin.disconnect();
}

async function ours(bootstrap: string, topic: string, size: number, acks: 1 | 'all', total: number, batchSize: number): Promise<Result> {
  // acks=1 needs idempotence off (Kafka would switch it off silently; saying so keeps the log quiet).
  const p = new Producer({ bootstrapServers: [bootstrap], acks, enableIdempotence: acks === 'all', batchSize, clientId: 'bench-ours' });
  const value = Buffer.alloc(size, 'x');
  await p.send({ topic, value }); // metadata, connection, producer id
  await p.flush();
  const lat: number[] = [];
  const marks: Promise<unknown>[] = [];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const f = p.send({ topic, value });
    if (i % 100 === 0) {
      const s = performance.now();
      f.then(() => lat.push(performance.now() - s));
    }
    if ((i & 1023) === 1023) {
      marks.push(f);
      if (marks.length * 1024 > WINDOW) await marks.shift();
    }
  }
  await p.flush();
  const secs = (performance.now() - started) / 1000;
  const m = p.metrics();
  await p.close();
  if (m.recordErrors > 0) throw new Error(`our producer: ${m.recordErrors} record errors`);
  lat.sort((a, b) => a - b);
  return { rps: total / secs, mbps: (total * size) / secs / 1e6, p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), records: total };
}

async function kafkajs(bootstrap: string, topic: string, size: number, acks: 1 | 'all', total: number): Promise<Result> {
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const value = Buffer.alloc(size, 'x');
  const perSend = 1000;
  const messages = Array.from({ length: perSend }, () => ({ value }));
  const inFlight = 4;
  const acksNum = acks === 'all' ? -1 : 1;
  await producer.send({ topic, acks: acksNum, messages: [{ value }] });
  const lat: number[] = [];
  let sent = 0;
  const started = performance.now();
  const worker = async () => {
    while (sent < total) {
      sent += perSend;
      const s = performance.now();
      await producer.send({ topic, acks: acksNum, messages });
      lat.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const secs = (performance.now() - started) / 1000;
  await producer.disconnect();
  lat.sort((a, b) => a - b);
  return { rps: sent / secs, mbps: (sent * size) / secs / 1e6, p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), records: sent };
}

const fmt = (r: Result) => `${r.mbps.toFixed(1)} MB/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${r.records} records, median of ${RUNS}`;

let topicSeq = 0;

/** Median (by records/s) of RUNS runs, each on a fresh topic. */
async function median(bootstrap: string, prefix: string, partitions: number, run: (topic: string) => Promise<Result>): Promise<Result> {
  const results: Result[] = [];
  for (let i = 0; i < RUNS; i++) {
    const topic = `${prefix}-${topicSeq++}`;
    await createTopic(bootstrap, topic, partitions);
    results.push(await run(topic));
    await deleteTopic(bootstrap, topic);
  }
  results.sort((a, b) => a.rps - b.rps);
  return results[Math.floor(results.length / 2)]!;
}

/** The comparison matrix plus our producer with all defaults (batch.size 16384) for the headline case. */
export async function producerBench(bootstrap: string, quick: boolean): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  let kafkajsSame = 0; // kafkajs on the send forms' workload (100 B, 1 partition, acks=1)
  // Warm both clients up (JIT) on a throwaway topic, so the first row is not the cold one.
  await median(bootstrap, 'bench-warmup-ours', 1, (t) => ours(bootstrap, t, 100, 1, quick ? 50_000 : 300_000, BATCH_SIZE));
  await median(bootstrap, 'bench-warmup-kafkajs', 1, (t) => kafkajs(bootstrap, t, 100, 1, quick ? 10_000 : 30_000));
  for (const size of [100, 1024]) {
    for (const partitions of [1, 6]) {
      for (const acks of [1, 'all'] as const) {
        const label = `${size === 100 ? '100 B' : '1 KiB'}, ${partitions} partition${partitions > 1 ? 's' : ''}, acks=${acks}`;
        const oursTotal = size === 100 ? (quick ? 200_000 : 1_000_000) : quick ? 50_000 : 200_000;
        const theirsTotal = size === 100 ? (quick ? 50_000 : 200_000) : quick ? 20_000 : 60_000;
        const a = await median(bootstrap, `bench-ours-${size}-${partitions}-${acks}`, partitions, (t) => ours(bootstrap, t, size, acks, oursTotal, BATCH_SIZE));
        const b = await median(bootstrap, `bench-kafkajs-${size}-${partitions}-${acks}`, partitions, (t) => kafkajs(bootstrap, t, size, acks, theirsTotal));
        rows.push({ name: `producer ours    ${label}`, value: Math.round(a.rps), unit: 'records/s', detail: `${fmt(a)}; ${(a.rps / b.rps).toFixed(1)}x kafkajs` });
        rows.push({ name: `producer kafkajs ${label}`, value: Math.round(b.rps), unit: 'records/s', detail: fmt(b) });
        if (size === 100 && partitions === 1 && acks === 1) kafkajsSame = b.rps;
      }
    }
  }
  const d = await median(bootstrap, 'bench-ours-defaults', 1, (t) => ours(bootstrap, t, 100, 1, quick ? 200_000 : 1_000_000, 16_384));
  rows.push({ name: 'producer ours    100 B, 1 partition, acks=1, batch.size 16384', value: Math.round(d.rps), unit: 'records/s', detail: fmt(d) });
  rows.push(...(await sendFormsBench(bootstrap, quick, kafkajsSame)));
  return rows;
}

export const PRODUCER_BENCH_SETTINGS = { window: WINDOW, batchSize: BATCH_SIZE };

/** How the caller learns each record's outcome (issue 14: a Promise per send should cost little more than a callback). */
export type SendForm = 'callback' | 'Promise.all' | 'Promise.allSettled';
export const SEND_FORMS: readonly SendForm[] = ['callback', 'Promise.all', 'Promise.allSettled'];
/** Sends per window; at most two windows are unacknowledged at a time in every form. */
const FORM_WINDOW = 16_384;

/**
 * 100 B records to one partition, acks=1, in windows of FORM_WINDOW sends: the callback form
 * counts acknowledgements; the Promise forms collect each window's futures into Promise.all /
 * Promise.allSettled. A new window starts once the one before the previous is settled.
 * Returns records/s and this process's CPU time per record (user + system, µs: on a shared
 * machine a steadier measure of the client's cost than the rate).
 */
export async function sendFormRun(bootstrap: string, topic: string, form: SendForm, total: number, batchSize = BATCH_SIZE): Promise<{ rps: number; cpuUs: number }> {
  const p = new Producer({ bootstrapServers: [bootstrap], acks: 1, enableIdempotence: false, batchSize, clientId: 'bench-forms' });
  const value = Buffer.alloc(100, 'x');
  await p.send({ topic, value });
  await p.flush();
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  let errors = 0;
  if (form === 'callback') {
    let acked = 0;
    let waitFor = 0;
    let wake: (() => void) | null = null;
    const cb = (err: Error | null) => {
      if (err !== null) errors++;
      acked++;
      if (wake !== null && acked >= waitFor) {
        const w = wake;
        wake = null;
        w();
      }
    };
    for (let sent = 0; sent < total; ) {
      const end = Math.min(sent + FORM_WINDOW, total);
      for (; sent < end; sent++) p.send({ topic, value }, cb);
      if (sent - acked > FORM_WINDOW) {
        waitFor = sent - FORM_WINDOW;
        await new Promise<void>((r) => (wake = r));
      }
    }
    await p.flush();
  } else {
    const windows: Promise<unknown>[] = [];
    for (let sent = 0; sent < total; ) {
      const end = Math.min(sent + FORM_WINDOW, total);
      const win = new Array<Promise<unknown>>(end - sent);
      for (let i = 0; sent < end; sent++, i++) win[i] = p.send({ topic, value });
      windows.push(form === 'Promise.all' ? Promise.all(win) : Promise.allSettled(win));
      if (windows.length > 1) await windows.shift();
    }
    for (const w of windows) {
      const r = await w;
      if (form === 'Promise.allSettled') errors += (r as PromiseSettledResult<unknown>[]).filter((s) => s.status === 'rejected').length;
    }
  }
  const secs = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  errors += p.metrics().recordErrors;
  await p.close();
  if (errors > 0) throw new Error(`our producer (${form}): ${errors} record errors`);
  return { rps: total / secs, cpuUs: (cpu.user + cpu.system) / total };
}

/** Rows for the three forms: median of RUNS runs each, runs of the forms interleaved (so machine noise hits all alike). */
export async function sendFormsBench(bootstrap: string, quick: boolean, kafkajsRps = 0): Promise<BenchRow[]> {
  const total = quick ? 200_000 : 1_000_000;
  const rates = new Map<SendForm, number[]>(SEND_FORMS.map((f) => [f, []]));
  const cpus = new Map<SendForm, number[]>(SEND_FORMS.map((f) => [f, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const form of SEND_FORMS) {
      const topic = `bench-forms-${topicSeq++}`;
      await createTopic(bootstrap, topic, 1);
      const r = await sendFormRun(bootstrap, topic, form, total);
      rates.get(form)!.push(r.rps);
      cpus.get(form)!.push(r.cpuUs);
      await deleteTopic(bootstrap, topic);
    }
  }
  const rows = SEND_FORMS.map((form) => {
    const r = rates.get(form)!.sort((a, b) => a - b);
    const c = cpus.get(form)!.sort((a, b) => a - b);
    const med = r[Math.floor(r.length / 2)]!;
    const vsKafkajs = kafkajsRps > 0 ? `; ${(med / kafkajsRps).toFixed(1)}x kafkajs (${Math.round(kafkajsRps)} records/s, its row above)` : '';
    return {
      name: `producer ours    100 B, 1 partition, acks=1, ${form}`,
      value: Math.round(med),
      unit: 'records/s',
      detail: `windows of ${FORM_WINDOW} sends, 2 unacknowledged; ${total} records, median of ${RUNS} (runs ${r.map((x) => Math.round(x / 1000) + 'k').join(', ')}); client CPU ${c[Math.floor(c.length / 2)]!.toFixed(2)} µs/record${vsKafkajs}`,
    };
  });
  // What Node alone charges for the same promises (no producer, no network): the floor under the rows above.
  for (const form of ['Promise.all', 'Promise.allSettled'] as PromiseForm[]) {
    await promiseFloorRun(form, total, FORM_WINDOW);
    const runs: { rps: number; cpuUs: number }[] = [];
    for (let run = 0; run < RUNS; run++) runs.push(await promiseFloorRun(form, total, FORM_WINDOW));
    runs.sort((a, b) => a.rps - b.rps);
    const med = runs[Math.floor(runs.length / 2)]!;
    rows.push({
      name: `promise floor    ${form} alone (no producer, no network)`,
      value: Math.round(med.rps),
      unit: 'promises/s',
      detail: `same windows of ${FORM_WINDOW}, derived per batch as the producer does; median of ${RUNS}; CPU ${med.cpuUs.toFixed(2)} µs/promise; node ${process.version}`,
    });
  }
  return rows;
}

export { createTopic, deleteTopic };
