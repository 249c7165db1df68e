// Start and restart without waits (issue 14): a broker that registered and caught up with the
// metadata log is unfenced by that event, not by a heartbeat tick; the brokers and the
// controller run on a MockTime that never advances, so any start that needed a timer would hang.
// A clean stop leaves Kafka's `.kafka_cleanshutdown` marker and the next start validates no
// segment; a crash leaves none and the next start recovers; an unchanged log rewrites nothing.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/cluster.js';
import { CLEAN_SHUTDOWN_FILE } from '../src/log/CleanShutdownFile.js';
import { LogConfig } from '../src/log/LogConfig.js';
import { UnifiedLog } from '../src/log/UnifiedLog.js';
import * as RB from '../src/protocol/recordBatch.js';
import { Controller } from '../src/replication/Controller.js';
import { Broker } from '../src/server/Broker.js';
import { MockTime } from '../src/util/Time.js';

const stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** Rejects if p has not settled after ms of real time: a hang becomes a failure, not a timeout. */
function withinRealTime<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish without advancing simulated time`)), ms);
  });
  return Promise.race([p, hang]).finally(() => clearTimeout(timer));
}

describe('startup in simulated time', () => {
  it('a broker is unfenced once caught up, with no timer tick', async () => {
    const time = new MockTime();
    const controller = new Controller({ host: '127.0.0.1', dataDir: null, time });
    await controller.start();
    stops.push(() => controller.stop());
    const startedAt = time.now();
    const brokers = [1, 2, 3].map(
      (id) => new Broker({ host: '127.0.0.1', port: 0, inMemory: true, config: { 'node.id': id }, controller: `127.0.0.1:${controller.port}`, time }),
    );
    for (const b of brokers) stops.push(() => b.stop());
    await withinRealTime(Promise.all(brokers.map((b) => b.start())), 10_000, 'start');
    expect(time.now()).toBe(startedAt);
    for (const b of brokers) expect(b.isFenced).toBe(false);
    expect(controller.image.liveBrokers().map((b) => b.nodeId)).toEqual([1, 2, 3]);
  });

  it('a broker restarted on the same controller is unfenced again with no timer tick', async () => {
    const time = new MockTime();
    const controller = new Controller({ host: '127.0.0.1', dataDir: null, time });
    await controller.start();
    stops.push(() => controller.stop());
    const broker = new Broker({ host: '127.0.0.1', port: 0, inMemory: true, config: { 'node.id': 1 }, controller: `127.0.0.1:${controller.port}`, time });
    stops.push(() => broker.stop());
    await withinRealTime(broker.start(), 10_000, 'start');
    await broker.stop();
    expect(controller.image.isLive(1)).toBe(false); // controlled shutdown fenced it
    await withinRealTime(broker.start(), 10_000, 'restart');
    expect(broker.isFenced).toBe(false);
    expect(controller.image.isLive(1)).toBe(true);
  });
});

describe('restart on the data dir', () => {
  const TOPIC = 'restart';
  const PARTITIONS = 4;

  async function clusterWithData(): Promise<{ cluster: Cluster; dir: string }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-startup-'));
    const cluster = await startCluster({ dataDir: dir });
    stops.push(async () => {
      await cluster.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    await cluster.createTopic(TOPIC, { partitions: PARTITIONS });
    const kafka = new Kafka({ clientId: 'startup-test', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    for (let round = 0; round < 3; round++) {
      await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: PARTITIONS }, (_, i) => ({ partition: i, value: `v${round}-${i}` })) });
    }
    await producer.disconnect();
    return { cluster, dir };
  }

  const broker = (c: Cluster) => c.brokers.find((b) => b.nodeId === 1)!;
  const logs = (c: Cluster) => Array.from({ length: PARTITIONS }, (_, i) => broker(c).replicaManager.getPartition(TOPIC, i)!.log);
  const marker = (dir: string) => path.join(dir, 'broker-1', CLEAN_SHUTDOWN_FILE);

  it('a clean stop writes the marker and the next start loads every log without recovery', async () => {
    const { cluster, dir } = await clusterWithData();
    const ends = logs(cluster).map((l) => l.logEndOffset);
    expect(ends).toEqual([3, 3, 3, 3]);
    await cluster.stopBroker(1);
    expect(JSON.parse(fs.readFileSync(marker(dir), 'utf8'))).toMatchObject({ version: 0 });
    await cluster.startBroker(1);
    expect(fs.existsSync(marker(dir))).toBe(false); // consumed: a crash from now on recovers
    expect(logs(cluster).map((l) => l.recoveredSegments)).toEqual([0, 0, 0, 0]);
    expect(logs(cluster).map((l) => l.logEndOffset)).toEqual(ends);
  });

  it('a crash leaves no marker and the next start recovers', async () => {
    const { cluster, dir } = await clusterWithData();
    await cluster.stopBroker(1, { crash: true });
    expect(fs.existsSync(marker(dir))).toBe(false);
    await cluster.startBroker(1);
    expect(logs(cluster).every((l) => l.recoveredSegments > 0)).toBe(true);
    expect(logs(cluster).map((l) => l.logEndOffset)).toEqual([3, 3, 3, 3]);
  });

  it('a clean stop and start of an unchanged log rewrites no checkpoint', async () => {
    const { cluster, dir } = await clusterWithData();
    await cluster.stopBroker(1);
    await cluster.startBroker(1);
    const partitionDir = path.join(dir, 'broker-1', `${TOPIC}-0`);
    const files = () =>
      Object.fromEntries(
        fs
          .readdirSync(partitionDir)
          .filter((f) => !f.endsWith('.log') && !f.endsWith('index'))
          .map((f) => [f, fs.statSync(path.join(partitionDir, f)).ino]),
      );
    const before = files();
    expect(Object.keys(before)).toEqual(expect.arrayContaining(['high-watermark', 'recovery-point', 'leader-epoch-checkpoint', `${'3'.padStart(20, '0')}.snapshot`]));
    await cluster.stopBroker(1);
    await cluster.startBroker(1);
    await cluster.stopBroker(1);
    const after = files();
    // Every write is a new file renamed into place: an unchanged inode is a file not rewritten.
    const rewritten = Object.keys(after).filter((f) => after[f] !== before[f]);
    expect(rewritten).toEqual([]);
    // The new leader epoch (bumped by the restart) reaches the file with the next append.
    const epochs = () => fs.readFileSync(path.join(partitionDir, 'leader-epoch-checkpoint'), 'utf8').trim().split('\n').at(-1);
    expect(epochs()).toBe('0 0');
    await cluster.startBroker(1);
    const epoch = broker(cluster).replicaManager.getPartition(TOPIC, 0)!.leaderEpoch;
    expect(epoch).toBeGreaterThan(0);
    const kafka = new Kafka({ clientId: 'startup-test', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: TOPIC, acks: -1, messages: [{ partition: 0, value: 'after' }] });
    await producer.disconnect();
    expect(epochs()).toBe(`${epoch} 3`);
  });
});

describe('leader epoch checkpoint writes', () => {
  it("a new leader's epoch at the log end is written before the next append, not at once", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-epochs-'));
    try {
      const file = path.join(dir, 'leader-epoch-checkpoint');
      const log = UnifiedLog.open(dir, LogConfig.fromProperties({}));
      log.appendAsLeader(RB.encodeRecordBatch({ records: [{ key: null, value: Buffer.from('a') }] }), 0);
      expect(fs.readFileSync(file, 'utf8')).toBe('0 0\n');
      log.leaderEpochCache.assignAtLogEnd(4, log.logEndOffset);
      expect(log.endOffsetForEpoch(4)).toEqual({ epoch: 4, endOffset: 1 });
      expect(fs.readFileSync(file, 'utf8')).toBe('0 0\n');
      log.close();
      // Reopened without that append: the epoch had no batch, and loading drops it as before.
      const again = UnifiedLog.open(dir, LogConfig.fromProperties({}), { hadCleanShutdown: true });
      expect(again.leaderEpochCache.all()).toEqual([{ epoch: 0, startOffset: 0 }]);
      again.leaderEpochCache.assignAtLogEnd(5, again.logEndOffset);
      again.appendAsLeader(RB.encodeRecordBatch({ records: [{ key: null, value: Buffer.from('b') }] }), 5);
      expect(fs.readFileSync(file, 'utf8')).toBe('0 0\n5 1\n');
      again.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the CLI on its data dir', () => {
  const BIN = fileURLToPath(new URL('../bin/minikafka.js', import.meta.url));

  /** Start the CLI, SIGTERM it the moment its ready line arrives; the exit code and signal. */
  async function startAndTerminate(dir: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = spawn(process.execPath, [BIN, '--port', '0', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, MINIKAFKA_LOG: 'warn' } });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('minikafka ready')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code} before its ready line`)));
    });
    child.kill('SIGTERM');
    return exited;
  }

  it('a SIGTERM sent on the ready line is a clean shutdown: exit 0 and the marker, every time', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-cli-restart-'));
    try {
      for (let i = 0; i < 5; i++) {
        expect(await startAndTerminate(dir)).toEqual({ code: 0, signal: null });
        expect(fs.existsSync(path.join(dir, 'broker-1', CLEAN_SHUTDOWN_FILE))).toBe(true);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
