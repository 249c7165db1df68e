// `minikafka` as a newcomer runs it: a child process, the ready line, a real client, SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/minikafka.js', import.meta.url));
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function run(args: string[]): { child: ChildProcess; stdout: () => string; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MINIKAFKA_LOG: 'info' } });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function readyLine(proc: ReturnType<typeof run>): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const line = proc.stdout().split('\n').find((l) => l.startsWith('minikafka ready'));
    if (line) return line;
    if (proc.child.exitCode !== null) throw new Error(`exited: ${proc.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ready line; stderr: ${proc.stderr()}`);
}

describe('cli', () => {
  it('prints one ready line, serves kafkajs, keeps data across runs and exits 0 on SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-cli-'));
    dirs.push(dir);
    let proc = run(['--port', '0', '--data-dir', dir, '--config', 'num.partitions=2']);
    const line = await readyLine(proc);
    expect(line).toMatch(/^minikafka ready bootstrap=127\.0\.0\.1:\d+$/);
    const bootstrap = line.split('=')[1]!;
    const kafka = new Kafka({ clientId: 'cli-test', brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'from-cli', messages: [{ key: 'a', value: 'one' }] });
    await producer.disconnect();
    proc.child.kill('SIGTERM');
    expect(await proc.exit).toBe(0);
    expect(proc.stdout().trim().split('\n')).toEqual([line]);

    const port = bootstrap.split(':')[1]!;
    proc = run(['--port', port, '--data-dir', dir]);
    await readyLine(proc);
    const admin = new Kafka({ clientId: 'cli-test', brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('from-cli');
    await admin.disconnect();
    expect(offsets).toHaveLength(2);
    expect(offsets.reduce((n, o) => n + Number(o.high), 0)).toBe(1);
    proc.child.kill('SIGINT');
    expect(await proc.exit).toBe(0);
  });

  it('--brokers 3 lists every broker in the ready line and replicates topics three ways', async () => {
    const proc = run(['--brokers', '3', '--port', '0', '--in-memory']);
    const line = await readyLine(proc);
    expect(line).toMatch(/^minikafka ready bootstrap=127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/);
    const brokers = line.split('=')[1]!.split(',');
    const kafka = new Kafka({ clientId: 'cli-test', brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'replicated', numPartitions: 2 }] });
    const meta = await admin.fetchTopicMetadata({ topics: ['replicated'] });
    expect(meta.topics[0]!.partitions.map((p) => p.replicas.length)).toEqual([3, 3]);
    expect((await admin.describeCluster()).brokers).toHaveLength(3);
    await admin.disconnect();
    proc.child.kill('SIGTERM');
    expect(await proc.exit).toBe(0);
  });

  it('rejects unknown flags and configs with exit code 2', async () => {
    const bad = run(['--no-such-flag']);
    expect(await bad.exit).toBe(2);
    const badConfig = run(['--in-memory', '--config', 'no.such.config=1']);
    expect(await badConfig.exit).toBe(2);
    expect(badConfig.stderr()).toContain("unknown config 'no.such.config'");
  });

  it('--help prints usage', async () => {
    const help = run(['--help']);
    expect(await help.exit).toBe(0);
    expect(help.stdout()).toContain('--data-dir');
  });
});
