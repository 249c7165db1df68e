// kafkajs consumer groups against minikafka: partitions shared out and every record consumed
// once, a member leaving and another crashing (no LeaveGroup, no heartbeats) with the
// survivors taking over from the committed offsets, a broker restart under a running
// consumer, and two groups reading the same topic independently.
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssignerProtocol, Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';

const GROUP_CONFIG = { 'group.initial.rebalance.delay.ms': 0 };
const CONSUMER_OPTS = { maxWaitTimeInMs: 100, heartbeatInterval: 500, sessionTimeout: 10_000, rebalanceTimeout: 20_000 };
const CRASHING_CONSUMER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'support', 'group-consumer.mjs');

interface Seen {
  who: string;
  partition: number;
  offset: number;
  value: string;
}

let cluster: Cluster;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
const cleanups: (() => Promise<unknown> | void)[] = [];

beforeAll(async () => {
  cluster = await startCluster({ config: GROUP_CONFIG });
  kafka = new Kafka({ clientId: 'groups-test', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer();
  await producer.connect();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await cluster?.close();
});

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `perPartition` records on every partition, values `${prefix}-${partition}-${i}`. */
async function produce(p: Producer, topic: string, partitions: number, perPartition: number, prefix: string): Promise<string[]> {
  const messages = [];
  for (let partition = 0; partition < partitions; partition++) {
    for (let i = 0; i < perPartition; i++) messages.push({ partition, value: `${prefix}-${partition}-${i}` });
  }
  await p.send({ topic, acks: -1, messages });
  return messages.map((m) => m.value);
}

async function startConsumer(groupId: string, topic: string, who: string, seen: Seen[], opts: Record<string, unknown> = {}): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId, ...CONSUMER_OPTS, ...opts });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      seen.push({ who, partition, offset: Number(message.offset), value: message.value!.toString() });
    },
  });
  return consumer;
}

/** The group's members and the partitions of `topic` each was assigned, once the group is Stable. */
async function stableAssignment(groupId: string, topic: string, members: number): Promise<Map<string, number[]>> {
  let result = new Map<string, number[]>();
  await waitFor(`group ${groupId} stable with ${members} members`, async () => {
    const [g] = (await admin.describeGroups([groupId])).groups;
    if (!g || g.state !== 'Stable' || g.members.length !== members) return false;
    result = new Map(
      g.members.map((m) => {
        const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
        return [m.memberId, [...(a?.assignment[topic] ?? [])].sort((x, y) => x - y)];
      }),
    );
    return true;
  });
  return result;
}

async function committed(groupId: string, topic: string): Promise<number[]> {
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return t!.partitions.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
}

describe('kafkajs consumer groups', () => {
  it('3 consumers share 6 partitions: each partition has one owner, each record is consumed once', async () => {
    const topic = 'three-consumers';
    await cluster.createTopic(topic, { partitions: 6 });
    const seen: Seen[] = [];
    const consumers: Consumer[] = [];
    const memberOf = new Map<string, string>();
    for (const who of ['a', 'b', 'c']) {
      const c = kafka.consumer({ groupId: 'three', ...CONSUMER_OPTS });
      c.on(c.events.GROUP_JOIN, (e) => memberOf.set(e.payload.memberId, who));
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({ eachMessage: async ({ partition, message }) => void seen.push({ who, partition, offset: Number(message.offset), value: message.value!.toString() }) });
      consumers.push(c);
    }
    cleanups.push(() => Promise.all(consumers.map((c) => c.disconnect())));

    const assignment = await stableAssignment('three', topic, 3);
    const owners = [...assignment.values()];
    expect(owners.every((parts) => parts.length === 2)).toBe(true);
    expect(owners.flat().sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const ownerOf = new Map<number, string>();
    for (const [memberId, parts] of assignment) for (const p of parts) ownerOf.set(p, memberOf.get(memberId)!);

    const values = await produce(producer, topic, 6, 100, 'three');
    await waitFor('every record consumed', () => seen.length >= values.length);
    await new Promise((r) => setTimeout(r, 300)); // a duplicate would show up here
    expect(seen.map((s) => s.value).sort()).toEqual([...values].sort());
    for (const s of seen) expect(s.who).toBe(ownerOf.get(s.partition));
    await waitFor('offsets committed', async () => (await committed('three', topic)).every((o) => o === 100));
  });

  it('a member that leaves and a member that crashes: the rest take over from the committed offsets, nothing skipped', async () => {
    const topic = 'failover';
    const groupId = 'failover';
    await cluster.createTopic(topic, { partitions: 6 });
    const seen: Seen[] = [];
    const a = await startConsumer(groupId, topic, 'a', seen);
    cleanups.push(() => a.disconnect());
    const b = await startConsumer(groupId, topic, 'b', seen);
    let bConnected = true;
    cleanups.push(() => (bConnected ? b.disconnect() : undefined));

    // The third member runs in its own process, commits only when told, and gets killed.
    const child: ChildProcess = fork(CRASHING_CONSUMER, [cluster.bootstrapServers[0]!, groupId, topic, '6000'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    cleanups.push(() => void child.kill('SIGKILL'));
    let childAssignment: number[] = [];
    let childCommitted: Record<string, number> | null = null;
    child.on('message', (m: { type: string; partition: number; offset: number; value: string; assignment: Record<string, number[]>; offsets: Record<string, number> }) => {
      if (m.type === 'record') seen.push({ who: 'c', partition: m.partition, offset: m.offset, value: m.value });
      if (m.type === 'join') childAssignment = m.assignment[topic] ?? [];
      if (m.type === 'committed') childCommitted = m.offsets;
    });

    const assignment = await stableAssignment(groupId, topic, 3);
    expect([...assignment.values()].flat().sort()).toEqual([0, 1, 2, 3, 4, 5]);
    await waitFor('the crashing member has its partitions', () => childAssignment.length === 2);

    const batch1 = await produce(producer, topic, 6, 20, 'one');
    await waitFor('batch 1 consumed', () => seen.length >= batch1.length);
    child.send({ type: 'commit' });
    await waitFor('offsets of batch 1 committed', async () => childCommitted !== null && (await committed(groupId, topic)).every((o) => o === 20));

    // Batch 2 is consumed by everyone, but the crashing member never commits it.
    const batch2 = await produce(producer, topic, 6, 10, 'two');
    await waitFor('batch 2 consumed', () => seen.length >= batch1.length + batch2.length);
    const crashed = [...childAssignment];
    const bParts = [...new Set(seen.filter((s) => s.who === 'b').map((s) => s.partition))].sort();
    child.kill('SIGKILL');
    await b.disconnect(); // LeaveGroup
    bConnected = false;

    // The crashed member is dropped when its 6 s session runs out; then a owns everything.
    const after = await stableAssignment(groupId, topic, 1);
    expect([...after.values()][0]).toEqual([0, 1, 2, 3, 4, 5]);
    const batch3 = await produce(producer, topic, 6, 10, 'three');
    await waitFor('a caught up', async () => (await committed(groupId, topic)).every((o) => o === 40));

    const all = [...batch1, ...batch2, ...batch3];
    expect(new Set(seen.map((s) => s.value))).toEqual(new Set(all));
    const byA = (p: number) =>
      seen
        .filter((s) => s.who === 'a' && s.partition === p)
        .map((s) => s.offset)
        .sort((x, y) => x - y);
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    // The crashed member's uncommitted batch 2 is consumed again, from its committed offset.
    for (const p of crashed) expect(byA(p)).toEqual(range(20, 40));
    // The member that left had committed what it consumed: a continues exactly there.
    for (const p of bParts) expect(byA(p)).toEqual(range(30, 40));
    // a's own partitions: every offset once.
    for (const p of [0, 1, 2, 3, 4, 5].filter((x) => !crashed.includes(x) && !bParts.includes(x))) expect(byA(p)).toEqual(range(0, 40));
  }, 60_000);

  it('two groups on one topic each see every record', async () => {
    const topic = 'shared';
    await cluster.createTopic(topic, { partitions: 3 });
    const seenA: Seen[] = [];
    const seenB: Seen[] = [];
    const a = await startConsumer('reader-a', topic, 'a', seenA);
    const b = await startConsumer('reader-b', topic, 'b', seenB);
    cleanups.push(() => Promise.all([a.disconnect(), b.disconnect()]));
    await stableAssignment('reader-a', topic, 1);
    await stableAssignment('reader-b', topic, 1);
    const values = await produce(producer, topic, 3, 50, 'shared');
    await waitFor('both groups consumed everything', () => seenA.length >= values.length && seenB.length >= values.length);
    await new Promise((r) => setTimeout(r, 300));
    expect(seenA.map((s) => s.value).sort()).toEqual([...values].sort());
    expect(seenB.map((s) => s.value).sort()).toEqual([...values].sort());
    const listed = (await admin.listGroups()).groups.map((g) => g.groupId);
    expect(listed).toEqual(expect.arrayContaining(['reader-a', 'reader-b']));
  });
});

describe('broker restart', () => {
  let dir: string;
  let restartable: Cluster | null = null;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-groups-'));
  });
  afterAll(async () => {
    await restartable?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a running consumer and a new member of its group resume from the committed offsets', async () => {
    const topic = 'restart';
    const groupId = 'restart';
    restartable = await startCluster({ dataDir: dir, config: GROUP_CONFIG });
    const port = restartable.brokers[0]!.port;
    await restartable.createTopic(topic, { partitions: 3 });
    const k = new Kafka({ clientId: 'restart-test', brokers: restartable.bootstrapServers, logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, retries: 20 } });
    const kAdmin = k.admin();
    const offsets = async () => {
      const [t] = await kAdmin.fetchOffsets({ groupId, topics: [topic] });
      return t!.partitions.sort((x, y) => x.partition - y.partition).map((p) => Number(p.offset));
    };
    const send = async (prefix: string) => {
      const p = k.producer();
      await p.connect();
      const values = await produce(p, topic, 3, 10, prefix);
      await p.disconnect();
      return values;
    };

    const seen: Seen[] = [];
    const x = k.consumer({ groupId, ...CONSUMER_OPTS });
    await x.connect();
    await x.subscribe({ topic, fromBeginning: true });
    await x.run({ eachMessage: async ({ partition, message }) => void seen.push({ who: 'x', partition, offset: Number(message.offset), value: message.value!.toString() }) });
    const batch1 = await send('before');
    await kAdmin.connect();
    await waitFor('batch 1 committed', async () => (await offsets()).every((o) => o === 10));
    await kAdmin.disconnect();

    await restartable.close();
    restartable = await startCluster({ dataDir: dir, port, config: GROUP_CONFIG });
    await kAdmin.connect();
    expect(await offsets()).toEqual([10, 10, 10]);

    const batch2 = await send('after');
    await waitFor('batch 2 consumed and committed', async () => (await offsets()).every((o) => o === 20), 45_000);
    await x.disconnect();
    expect(seen.map((s) => s.value).sort()).toEqual([...batch1, ...batch2].sort());

    // A new member of the group starts where the group left off.
    const seenY: Seen[] = [];
    const y = k.consumer({ groupId, ...CONSUMER_OPTS });
    await y.connect();
    await y.subscribe({ topic, fromBeginning: true });
    await y.run({ eachMessage: async ({ partition, message }) => void seenY.push({ who: 'y', partition, offset: Number(message.offset), value: message.value!.toString() }) });
    const batch3 = await send('later');
    await waitFor('batch 3 committed', async () => (await offsets()).every((o) => o === 30));
    await y.disconnect();
    expect(seenY.map((s) => s.value).sort()).toEqual([...batch3].sort());
    await kAdmin.disconnect();
  }, 90_000);
});
