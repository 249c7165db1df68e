// `minikafka` as a newcomer runs it: a child process, the ready line, a real client, SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/minikafka.js', import.meta.url));
const children: ChildProcess[] = [];
const dirs: string[] = [];
const servers: net.Server[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** Listen on a free port and keep it (closed after the test). */
async function holdPort(): Promise<number> {
  const s = net.createServer();
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as net.AddressInfo).port;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

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

  it('--node-ids 0,1,2 numbers the brokers as Kafka does and --controller-port pins the controller', async () => {
    const controllerPort = await freePort();
    const proc = run(['--node-ids', '0,1,2', '--port', '0', '--controller-port', String(controllerPort), '--in-memory']);
    const line = await readyLine(proc);
    const brokers = line.split('=')[1]!.split(',');
    expect(brokers).toHaveLength(3);
    const admin = new Kafka({ clientId: 'cli-test', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const cluster = await admin.describeCluster();
    expect(cluster.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`).sort()).toEqual(brokers.map((b, i) => `${i}@${b}`).sort());
    expect(cluster.controller).toBe(0);
    const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 4, name: '2', configNames: ['broker.id', 'node.id'] }] });
    expect(configs.resources[0]!.configEntries.map((c) => [c.configName, c.configValue])).toEqual([
      ['broker.id', '2'],
      ['node.id', '2'],
    ]);
    await admin.disconnect();
    await new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port: controllerPort }, () => {
        s.destroy();
        resolve();
      });
      s.once('error', reject);
    });
    proc.child.kill('SIGTERM');
    expect(await proc.exit).toBe(0);
  });

  it('--config node.id=5 makes a single broker broker 5', async () => {
    const proc = run(['--port', '0', '--in-memory', '--config', 'node.id=5']);
    const brokers = (await readyLine(proc)).split('=')[1]!.split(',');
    const admin = new Kafka({ clientId: 'cli-test', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    expect((await admin.describeCluster()).brokers.map((b) => b.nodeId)).toEqual([5]);
    const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 4, name: '5', configNames: ['broker.id'] }] });
    expect(configs.resources[0]!.configEntries.map((c) => [c.configName, c.configValue])).toEqual([['broker.id', '5']]);
    await admin.disconnect();
    proc.child.kill('SIGTERM');
    expect(await proc.exit).toBe(0);
  });

  it('a taken port exits 2 naming the port and the flag to change', async () => {
    const taken = await holdPort();
    const broker = run(['--port', String(taken), '--in-memory']);
    expect(await broker.exit).toBe(2);
    expect(broker.stderr()).toContain(`port ${taken} is already in use (EADDRINUSE); choose another with --port`);
    const perProcess = run(['--port', String(taken), '--in-memory', '--process-per-broker']);
    expect(await perProcess.exit).toBe(2);
    expect(perProcess.stderr()).toContain(`port ${taken} is already in use (EADDRINUSE); choose another with --port`);
    const controller = run(['--port', '0', '--controller-port', String(taken), '--in-memory']);
    expect(await controller.exit).toBe(2);
    expect(controller.stderr()).toContain(`port ${taken} is already in use (EADDRINUSE); choose another with --controller-port`);
    expect(broker.stdout() + perProcess.stdout() + controller.stdout()).toBe('');
  });

  it('rejects ids it cannot honour with exit code 2', async () => {
    const count = run(['--in-memory', '--brokers', '3', '--node-ids', '0,1']);
    expect(await count.exit).toBe(2);
    expect(count.stderr()).toContain('--node-ids lists 2 ids for 3 brokers');
    const dup = run(['--in-memory', '--node-ids', '1,1']);
    expect(await dup.exit).toBe(2);
    const multi = run(['--in-memory', '--brokers', '2', '--config', 'node.id=3']);
    expect(await multi.exit).toBe(2);
    expect(multi.stderr()).toContain('--node-ids');
    const clash = run(['--in-memory', '--config', 'node.id=3', '--config', 'broker.id=4']);
    expect(await clash.exit).toBe(2);
    expect(clash.stderr()).toContain('must match');
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
    expect(help.stdout()).toContain('--node-ids');
    expect(help.stdout()).toContain('--controller-port');
  });
});
