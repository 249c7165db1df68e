// Issue #12, proof 5 (minikafka only: it restarts and crashes the broker): committed and aborted
// transactions over several segments, then a clean restart and then a crash with a transaction
// open and others written since the restart (so the crash's log recovery rebuilds their
// aborted-transaction index and producer state). After each: read_committed sees exactly the
// committed records, the aborted ranges are still listed, the open transaction still holds the
// LSO until it is fenced, and transactional ids keep their producer id and epoch (a re-init bumps).
// To check the test itself against Apache Kafka: start scripts/reference-kafka.sh, then run with
// MINIKAFKA_TEST_BOOTSTRAP=127.0.0.1:39092 MINIKAFKA_TEST_REFERENCE_RESTART=1 (restarts and crashes
// go through the script's `restart` / `crash`).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Producer as KafkaJsProducer } from 'kafkajs';
import {
  EXTERNAL,
  READ_COMMITTED,
  READ_UNCOMMITTED,
  REFERENCE,
  eventually,
  initTransactionalId,
  latestOffset,
  readIsolated,
  referenceDataDir,
  restartReference,
  txnTarget,
} from './support/txn.js';

const target = txnTarget({
  config: {
    'transaction.state.log.num.partitions': 5,
    'offsets.topic.num.partitions': 5,
    'transaction.abort.timed.out.transaction.cleanup.interval.ms': 200,
  },
});

const producers: KafkaJsProducer[] = [];
afterAll(async () => {
  for (const p of producers.splice(0)) await p.disconnect().catch(() => {});
});

async function txnProducer(transactionalId: string, transactionTimeout = 60_000): Promise<KafkaJsProducer> {
  const p = target.kafka('recovery').producer({ transactionalId, maxInFlightRequests: 1, idempotent: true, transactionTimeout });
  await p.connect();
  producers.push(p);
  return p;
}

const pad = 'x'.repeat(200);
const rec = (name: string) => `${name}:${pad}`;
const names = (values: string[]) => values.map((v) => v.split(':')[0]);

/** The read_committed / read_uncommitted views of a partition once the broker serves it again. */
async function views(topic: string) {
  const leader = target.bootstrap[0]!;
  const rc = await eventually(`${topic} readable`, () => readIsolated(leader, topic, 0, READ_COMMITTED));
  const ru = await readIsolated(leader, topic, 0, READ_UNCOMMITTED);
  return {
    committed: names(rc.values),
    everything: names(ru.values),
    aborted: rc.abortedTransactions.map((a) => a.firstOffset),
    lso: await latestOffset(leader, topic, 0, READ_COMMITTED),
    hw: await latestOffset(leader, topic, 0, READ_UNCOMMITTED),
  };
}

/** Stop the (single) broker cleanly or crash it, and start it again on the same data. */
async function restart(crash: boolean): Promise<void> {
  const cluster = target.cluster;
  if (cluster) {
    await cluster.stopBroker(1, crash ? { crash: true } : {});
    await cluster.startBroker(1);
  } else {
    restartReference(crash);
  }
}

async function createTopic(name: string, config: Record<string, string | number> = {}): Promise<void> {
  if (target.cluster) return target.cluster.createTopic(name, { partitions: 1, config });
  const admin = target.kafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: name, numPartitions: 1, configEntries: Object.entries(config).map(([n, v]) => ({ name: n, value: String(v) })) }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

function partitionDir(topic: string): string {
  const root = target.cluster ? target.cluster.dataDir! : referenceDataDir();
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      if (e.name === `${topic}-0`) found.push(path.join(dir, e.name));
      else walk(path.join(dir, e.name));
    }
  };
  walk(root);
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe.skipIf(EXTERNAL && !REFERENCE)('transactions survive restart and recovery', () => {
  it('clean restart, then a crash with an open transaction: committed visible, aborted invisible, epochs kept', { timeout: REFERENCE ? 180_000 : 60_000 }, async () => {
    const topic = target.unique('recovery');
    // Kafka 4 refuses segment.bytes below 1 MiB and takes its test-only internal.segment.bytes instead.
    await createTopic(topic, { [target.cluster ? 'segment.bytes' : 'internal.segment.bytes']: 2048 });
    const idX = target.unique('recovery-x');

    // Six transactions of five ~200-byte records, even ones committed, odd ones aborted: they
    // span several 2 KiB segments.
    const committed: string[] = [];
    const all: string[] = [];
    const x = await txnProducer(idX);
    for (let t = 0; t < 6; t++) {
      const txn = await x.transaction();
      const batch = Array.from({ length: 5 }, (_, j) => `t${t}-${j}`);
      for (const name of batch) await txn.send({ topic, messages: [{ value: rec(name) }] });
      all.push(...batch);
      if (t % 2 === 0) {
        await txn.commit();
        committed.push(...batch);
      } else {
        await txn.abort();
      }
    }
    await x.disconnect();
    // 30 records + 6 markers.
    await eventually('all markers stable', async () => ((await latestOffset(target.bootstrap[0]!, topic, 0, READ_COMMITTED)) === 36 ? true : undefined));
    const before = await views(topic);
    expect(before.committed).toEqual(committed);
    expect(before.everything).toEqual(all);
    expect(before.aborted).toEqual([6, 18, 30]);
    expect(before.lso).toBe(36);
    const dir = partitionDir(topic);
    const files = fs.readdirSync(dir);
    expect(files.filter((f) => f.endsWith('.log')).length).toBeGreaterThan(2);
    expect(files.filter((f) => f.endsWith('.txnindex')).some((f) => fs.statSync(path.join(dir, f)).size > 0)).toBe(true);
    const first = await initTransactionalId(target.bootstrap[0]!, idX);

    // 1. Clean restart.
    await restart(false);
    expect(await views(topic)).toEqual(before);
    const second = await initTransactionalId(target.bootstrap[0]!, idX);
    expect(second).toEqual({ producerId: first.producerId, producerEpoch: first.producerEpoch + 1 });

    // 2. Written since the restart (not flushed): an aborted and a committed transaction, then one left open.
    const y = await txnProducer(target.unique('recovery-y'));
    const lateAbort = await y.transaction();
    await lateAbort.send({ topic, messages: [{ value: rec('late-abort') }] });
    await lateAbort.abort();
    const lateCommit = await y.transaction();
    await lateCommit.send({ topic, messages: [{ value: rec('late-commit') }] });
    await lateCommit.commit();
    await y.disconnect();
    // late-abort (36), abort marker (37), late-commit (38), commit marker (39).
    await eventually('the late transactions stable', async () => ((await latestOffset(target.bootstrap[0]!, topic, 0, READ_COMMITTED)) === 40 ? true : undefined));
    const idZ = target.unique('recovery-z');
    const z = await txnProducer(idZ);
    const open = await z.transaction();
    await open.send({ topic, messages: [{ value: rec('open') }] }); // offset 40, never committed
    await z.disconnect();
    const crashedWith = await views(topic);
    expect(crashedWith.lso).toBe(40);
    expect(crashedWith.hw).toBe(41);

    // 3. Crash: nothing flushed, no snapshot; recovery rebuilds from the log.
    await restart(true);
    const recovered = await views(topic);
    expect(recovered.committed).toEqual([...committed, 'late-commit']);
    expect(recovered.everything).toEqual([...all, 'late-abort', 'late-commit', 'open']);
    expect(recovered.aborted).toEqual([6, 18, 30, 36]);
    expect(recovered.lso).toBe(40); // the open transaction still holds the LSO
    expect(recovered.hw).toBe(41);

    // Re-initialising Z's id fences its open transaction: aborted, and the LSO reaches the end.
    const zEpoch = await initTransactionalId(target.bootstrap[0]!, idZ);
    expect(zEpoch.producerEpoch).toBeGreaterThan(0);
    await eventually('the open transaction aborted', async () => ((await latestOffset(target.bootstrap[0]!, topic, 0, READ_COMMITTED)) === 42 ? true : undefined));
    const end = await views(topic);
    expect(end.committed).toEqual([...committed, 'late-commit']);
    expect(end.aborted).toEqual([6, 18, 30, 36, 40]);
    expect(end.hw).toBe(42);

    const third = await initTransactionalId(target.bootstrap[0]!, idX);
    expect(third).toEqual({ producerId: first.producerId, producerEpoch: first.producerEpoch + 2 });
  });

  it('a crash right after commits and aborts: the coordinator state and markers come back the same', { timeout: REFERENCE ? 180_000 : 60_000 }, async () => {
    const topic = target.unique('recovery-crash');
    await createTopic(topic);
    const id = target.unique('recovery-crash-p');
    const p = await txnProducer(id);
    for (let t = 0; t < 4; t++) {
      const txn = await p.transaction();
      await txn.send({ topic, messages: [{ value: `r${t}` }] });
      if (t % 2 === 0) await txn.commit();
      else await txn.abort();
    }
    await p.disconnect();
    await eventually('markers stable', async () => ((await latestOffset(target.bootstrap[0]!, topic, 0, READ_COMMITTED)) === 8 ? true : undefined));
    const first = await initTransactionalId(target.bootstrap[0]!, id);
    await restart(true);
    const after = await views(topic);
    expect(after.committed).toEqual(['r0', 'r2']);
    expect(after.everything).toEqual(['r0', 'r1', 'r2', 'r3']);
    expect(after.aborted).toEqual([2, 6]);
    expect(after.lso).toBe(8);
    const next = await initTransactionalId(target.bootstrap[0]!, id);
    expect(next).toEqual({ producerId: first.producerId, producerEpoch: first.producerEpoch + 1 });
    // The restarted producer id works: a new transaction commits after the crash.
    const again = await txnProducer(id);
    const txn = await again.transaction();
    await txn.send({ topic, messages: [{ value: 'after-crash' }] });
    await txn.commit();
    await eventually('the post-crash commit', async () => ((await latestOffset(target.bootstrap[0]!, topic, 0, READ_COMMITTED)) === 10 ? true : undefined));
    expect((await views(topic)).committed).toEqual(['r0', 'r2', 'after-crash']);
  });
});
