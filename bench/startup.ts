// Start and restart figures (issue 14): the CLI to its ready line, startCluster() in a warm
// process, the first import of the package in a fresh one, and a CLI restart on a data dir of
// 200 partitions (SIGTERM → exit, then start → ready). Medians of several runs.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { startCluster } from '../src/cluster.js';
import { setLogLevel } from '../src/logger.js';
import type { BenchRow } from './replication.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'minikafka.js');
const INDEX = path.join(ROOT, 'dist', 'src', 'index.js');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1]!;
}

/** Spawn the CLI; resolves with the child and the ms to its ready line. */
async function cli(args: string[]): Promise<{ child: ChildProcess; bootstrap: string; readyMs: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, MINIKAFKA_LOG: 'warn' } });
  const bootstrap = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /minikafka ready bootstrap=(\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`minikafka exited with ${code} before its ready line`)));
  });
  return { child, bootstrap, readyMs: performance.now() - started };
}

/** SIGTERM; resolves with the ms to exit. */
async function terminate(child: ChildProcess): Promise<number> {
  const started = performance.now();
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  return performance.now() - started;
}

async function firstImportMs(): Promise<number> {
  const code = `const t = performance.now(); import(${JSON.stringify(INDEX)}).then(() => { process.stdout.write(String(performance.now() - t)); process.exit(0); })`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  await new Promise((r) => child.once('exit', r));
  return Number(out);
}

export async function startupBench(quick: boolean): Promise<BenchRow[]> {
  if (!process.env.MINIKAFKA_LOG) setLogLevel('warn');
  const runs = quick ? 3 : 5;
  const rows: BenchRow[] = [];

  const ready: number[] = [];
  for (let i = 0; i < runs; i++) {
    const b = await cli(['--port', '0', '--in-memory']);
    ready.push(b.readyMs);
    await terminate(b.child);
  }
  rows.push({ name: 'CLI --port 0 --in-memory to ready line', value: Math.round(median(ready)), unit: 'ms', detail: `median of ${runs}` });

  const imports: number[] = [];
  for (let i = 0; i < runs; i++) imports.push(await firstImportMs());
  rows.push({ name: "first import('minikafka') in a fresh process", value: Math.round(median(imports)), unit: 'ms', detail: `median of ${runs}` });

  for (const brokers of [1, 3]) {
    await (await startCluster({ inMemory: true, brokers })).close(); // warm the code paths
    const starts: number[] = [];
    for (let i = 0; i < runs * 3; i++) {
      const t = performance.now();
      const cluster = await startCluster({ inMemory: true, brokers });
      starts.push(performance.now() - t);
      await cluster.close();
    }
    rows.push({ name: `startCluster({ inMemory: true }), ${brokers} broker${brokers > 1 ? 's' : ''}, warm process`, value: +median(starts).toFixed(1), unit: 'ms', detail: `median of ${runs * 3}` });
  }

  const partitions = 200;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-bench-restart-'));
  try {
    let b = await cli(['--port', '0', '--data-dir', dir]);
    const kafka = new Kafka({ clientId: 'bench', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'restart', numPartitions: partitions }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'restart', acks: -1, messages: Array.from({ length: partitions }, (_, i) => ({ partition: i, value: 'r' })) });
    await producer.disconnect();
    const stops: number[] = [];
    const starts: number[] = [];
    for (let i = 0; i < runs; i++) {
      stops.push(await terminate(b.child));
      b = await cli(['--port', '0', '--data-dir', dir]);
      starts.push(b.readyMs);
    }
    await terminate(b.child);
    const detail = `median of ${runs}, data on disk`;
    rows.push({ name: `CLI restart, ${partitions} partitions: SIGTERM to exit`, value: Math.round(median(stops)), unit: 'ms', detail });
    rows.push({ name: `CLI restart, ${partitions} partitions: start to ready line`, value: Math.round(median(starts)), unit: 'ms', detail });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
