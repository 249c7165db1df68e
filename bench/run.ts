// `npm run bench`: throughput and latency figures for minikafka on this machine.
// The broker runs as its own process (the CLI, data on disk) so that clients and broker do
// not share an event loop. Prints a table and writes bench/results/<name>.json.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { decodeProduceResponse, encodeProduceRequest, encodeRequestHeader, requestHeaderVersion } from '../src/protocol/messages/index.js';
import { Reader, Writer } from '../src/protocol/primitives.js';
import { encodeRecordBatch } from '../src/protocol/recordBatch.js';
import { producerBench } from './producer.js';
import { transactionalBench } from './transactions.js';
import net from 'node:net';
import { replicatedProduce } from './replication.js';
import { startupBench } from './startup.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'minikafka.js');

interface Row {
  name: string;
  value: number;
  unit: string;
  detail?: string;
}

async function startBroker(): Promise<{ child: ChildProcess; bootstrap: string; dir: string; readyMs: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-bench-'));
  const started = performance.now();
  // No initial rebalance delay: the consumer benches measure consumption, not Kafka's 3 s wait for more members.
  const args = [BIN, '--port', '0', '--data-dir', dir, '--config', 'group.initial.rebalance.delay.ms=0'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, MINIKAFKA_LOG: 'warn' } });
  const bootstrap = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /minikafka ready bootstrap=(\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
  return { child, bootstrap, dir, readyMs: performance.now() - started };
}

async function stopBroker(b: { child: ChildProcess; dir: string }): Promise<void> {
  const exited = new Promise((r) => b.child.on('exit', r));
  b.child.kill('SIGTERM');
  await exited;
  fs.rmSync(b.dir, { recursive: true, force: true });
}

async function kafkajsProduce(bootstrap: string, recordSize: number, total: number): Promise<Row[]> {
  const kafka = new Kafka({ clientId: 'bench', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const topic = `kafkajs-${recordSize}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const value = Buffer.alloc(recordSize, 'x');
  const perSend = 1000;
  const messages = Array.from({ length: perSend }, () => ({ value }));
  const inFlight = 4;
  const started = performance.now();
  let sent = 0;
  const worker = async () => {
    while (sent < total) {
      sent += perSend;
      await producer.send({ topic, acks: 1, messages });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const secs = (performance.now() - started) / 1000;
  await producer.disconnect();
  const rps = sent / secs;
  return [
    { name: `kafkajs produce ${recordSize} B, 1 partition, acks=1`, value: Math.round(rps), unit: 'records/s', detail: `${sent} records, ${perSend}/send, ${inFlight} sends in flight` },
    { name: `kafkajs produce ${recordSize} B, 1 partition, acks=1`, value: +((rps * recordSize) / 1e6).toFixed(1), unit: 'MB/s (values)' },
  ];
}

/**
 * End-to-end consumption by a kafkajs group consumer (eachBatch, auto-commit after each batch)
 * of `total` 100-byte records spread over `partitions` partitions, produced beforehand. The
 * clock starts when the consumer has joined the group (after SyncGroup), so it covers the
 * offset fetch and every Fetch; the join itself is reported on its own row.
 */
async function kafkajsConsume(bootstrap: string, partitions: number, total: number): Promise<Row[]> {
  const kafka = new Kafka({ clientId: 'bench', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const topic = `consume-${partitions}p`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const value = Buffer.alloc(100, 'c');
  const perSend = 1000;
  for (let sent = 0; sent < total; ) {
    const sends = [];
    for (let i = 0; i < 4 && sent < total; i++, sent += perSend) {
      sends.push(producer.send({ topic, acks: 1, messages: Array.from({ length: perSend }, (_, j) => ({ value, partition: (sent + j) % partitions })) }));
    }
    await Promise.all(sends);
  }
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `bench-${partitions}p`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let consumed = 0;
  let joined = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    if (joined === 0) joined = performance.now();
  });
  const joinStarted = performance.now();
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      partitionsConsumedConcurrently: partitions,
      eachBatch: async ({ batch }) => {
        consumed += batch.messages.length;
        if (consumed >= total) resolve(performance.now());
      },
    });
  });
  const end = await done;
  await consumer.disconnect();
  const rps = consumed / ((end - joined) / 1000);
  const name = `kafkajs group consumer, 100 B, ${partitions} partition${partitions > 1 ? 's' : ''}`;
  return [
    { name, value: Math.round(rps), unit: 'records/s', detail: `${consumed} records, eachBatch, auto-commit per batch` },
    { name: `${name}: group join`, value: Math.round(joined - joinStarted), unit: 'ms', detail: 'FindCoordinator, JoinGroup (x2), SyncGroup' },
  ];
}

/** Pipelined raw Produce requests, each carrying one ready-made 1 MiB batch. */
async function rawIngest(bootstrap: string, totalMiB: number): Promise<Row[]> {
  const [host, port] = bootstrap.split(':');
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ host, port: Number(port) }, () => resolve(s));
    s.once('error', reject);
  });
  const topic = 'raw-ingest';
  // Metadata auto-creates the topic; simpler: produce once and let the first reply tell us it exists.
  const kafka = new Kafka({ clientId: 'bench', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: String(2 << 20) }] }] });
  await admin.disconnect();
  const records = Array.from({ length: 1024 }, () => ({ key: null, value: Buffer.alloc(1000, 'y') }));
  const batch = encodeRecordBatch({ records });
  const w = new Writer(batch.length + 256);
  const size = w.reserveInt32();
  encodeRequestHeader(w, requestHeaderVersion(0, 7), { requestApiKey: 0, requestApiVersion: 7, correlationId: 1, clientId: 'bench' });
  encodeProduceRequest(w, 7, { transactionalId: null, acks: 1, timeoutMs: 30000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
  w.patchInt32(size, w.length - 4);
  const frame = w.toBuffer();
  const total = totalMiB;
  const window = 8;
  let sent = 0;
  let acked = 0;
  let errors = 0;
  let pending = Buffer.alloc(0);
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (sent < total && sent - acked < window) {
        socket.write(frame);
        sent++;
      }
    };
    socket.on('data', (d) => {
      pending = pending.length ? Buffer.concat([pending, d]) : d;
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const n = pending.readInt32BE(0);
        const r = new Reader(pending.subarray(4, 4 + n));
        r.int32();
        const res = decodeProduceResponse(r, 7);
        if (res.responses[0]!.partitionResponses[0]!.errorCode !== 0) errors++;
        pending = pending.subarray(4 + n);
        acked++;
      }
      if (acked === total) resolve();
      else pump();
    });
    pump();
  });
  const secs = (performance.now() - started) / 1000;
  socket.destroy();
  const mbps = (total * batch.length) / 1e6 / secs;
  return [
    {
      name: 'broker ingest, ready-made ~1 MiB batches (raw Produce v7, acks=1)',
      value: +mbps.toFixed(0),
      unit: 'MB/s',
      detail: `${total} batches of ${batch.length} B, ${window} in flight, ${errors} errors`,
    },
  ];
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const rows: Row[] = [];
  rows.push(...(await startupBench(quick)));

  const broker = await startBroker();
  try {
    rows.push(...(await kafkajsProduce(broker.bootstrap, 100, quick ? 50_000 : 300_000)));
    rows.push(...(await kafkajsProduce(broker.bootstrap, 1024, quick ? 20_000 : 100_000)));
    rows.push(...(await rawIngest(broker.bootstrap, quick ? 200 : 1000)));
    rows.push(...(await kafkajsConsume(broker.bootstrap, 1, quick ? 100_000 : 500_000)));
    rows.push(...(await kafkajsConsume(broker.bootstrap, 6, quick ? 120_000 : 600_000)));
    rows.push(...(await producerBench(broker.bootstrap, quick)));
    rows.push(...(await transactionalBench(broker.bootstrap, quick)));
  } finally {
    await stopBroker(broker);
  }
  rows.push(...(await replicatedProduce(quick)));

  const width = Math.max(...rows.map((r) => r.name.length));
  console.log(`\nminikafka bench (node ${process.version}, ${os.cpus().length} cores)\n`);
  for (const r of rows) console.log(`${r.name.padEnd(width)}  ${String(r.value).padStart(10)} ${r.unit}${r.detail ? `   (${r.detail})` : ''}`);
  const name = process.env.BENCH_NAME ?? 'latest';
  const out = path.join(ROOT, 'bench', 'results', `${name}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, rows }, null, 2));
  console.log(`\nwrote ${path.relative(ROOT, out)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
