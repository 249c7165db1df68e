// Issue #12, proof 1, 2 and 4 with kafkajs: a transactional producer's commit makes its records
// and its consumer offsets (sendOffsets) visible together, an abort makes neither visible,
// read_committed stops at the last stable offset while a transaction is open and never delivers
// aborted records, read_uncommitted sees everything; a second producer with the same
// transactional id fences the first; a transaction left open is aborted by the coordinator after
// its timeout and the LSO moves. Runs against startCluster(), or against the broker named by
// MINIKAFKA_TEST_BOOTSTRAP (e.g. scripts/reference-kafka.sh's Apache Kafka) to check the test itself.
import { afterAll, describe, expect, it } from 'vitest';
import type { Producer as KafkaJsProducer } from 'kafkajs';
import { READ_COMMITTED, READ_UNCOMMITTED, consumeUntil, eventually, fetchRounds, latestOffset, readIsolated, txnTarget } from './support/txn.js';

const target = txnTarget({
  config: {
    'transaction.abort.timed.out.transaction.cleanup.interval.ms': 200,
    'transaction.state.log.num.partitions': 5,
    'offsets.topic.num.partitions': 5,
  },
});

const producers: KafkaJsProducer[] = [];
async function txnProducer(transactionalId: string, transactionTimeout?: number): Promise<KafkaJsProducer> {
  const p = target.kafka('txn-producer').producer({ transactionalId, maxInFlightRequests: 1, idempotent: true, ...(transactionTimeout ? { transactionTimeout } : {}) });
  await p.connect();
  producers.push(p);
  return p;
}
async function plainProducer(): Promise<KafkaJsProducer> {
  const p = target.kafka('plain-producer').producer();
  await p.connect();
  producers.push(p);
  return p;
}

async function groupOffset(groupId: string, topic: string, partition = 0): Promise<string> {
  const admin = target.kafka('offsets-admin').admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return t!.partitions.find((p) => p.partition === partition)!.offset;
  } finally {
    await admin.disconnect();
  }
}

/**
 * kafkajs's sendOffsets does not wait out COORDINATOR_NOT_AVAILABLE from TxnOffsetCommit while a
 * fresh broker creates __consumer_offsets (seen with Apache Kafka 4.4): have the group's
 * coordinator serve first. The group has no offsets yet.
 */
async function groupCoordinatorReady(groupId: string, topic: string): Promise<void> {
  expect(await eventually(`the coordinator of ${groupId}`, () => groupOffset(groupId, topic))).toBe('-1');
}

const leader = () => target.bootstrap[0]!;
const values = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('kafkajs transactions', () => {
  it('commit makes the records and the sendOffsets offsets visible together', { timeout: 60_000 }, async () => {
    const out = await target.topic('kjs-commit-out');
    const input = await target.topic('kjs-commit-in');
    const group = target.unique('kjs-commit-group');
    await groupCoordinatorReady(group, input);
    const producer = await txnProducer(target.unique('kjs-commit'));
    const txn = await producer.transaction();
    await txn.send({ topic: out, messages: values(3, 'c').map((value) => ({ value })) });
    await txn.sendOffsets({ consumerGroupId: group, topics: [{ topic: input, partitions: [{ partition: 0, offset: '3' }] }] });

    // Open: nothing is stable yet, neither the records nor the offsets.
    expect(await latestOffset(leader(), out, 0, READ_UNCOMMITTED)).toBe(3);
    expect(await latestOffset(leader(), out, 0, READ_COMMITTED)).toBe(0);
    const open = await readIsolated(leader(), out, 0, READ_COMMITTED);
    expect(open.values).toEqual([]);
    expect(open.lastStableOffset).toBe(0);
    expect(await groupOffset(group, input)).toBe('-1');

    await txn.commit();
    // The markers are written after EndTxn answers (as Kafka does): wait for the LSO to pass the
    // commit marker, then records and offsets are both there.
    await eventually('the commit marker to be stable', async () => ((await latestOffset(leader(), out, 0, READ_COMMITTED)) === 4 ? true : undefined));
    expect(await latestOffset(leader(), out, 0, READ_UNCOMMITTED)).toBe(4);
    const committed = await readIsolated(leader(), out, 0, READ_COMMITTED);
    expect(committed.values).toEqual(values(3, 'c'));
    expect(committed.abortedTransactions).toEqual([]);
    expect(await eventually('the offset commit', async () => ((await groupOffset(group, input)) === '3' ? '3' : undefined))).toBe('3');
    const seen = await consumeUntil(target.kafka(), out, { readUncommitted: false, groupId: target.unique('kjs-commit-reader'), done: (g) => g.length >= 3 });
    expect(seen.map((m) => m.value)).toEqual(values(3, 'c'));
  });

  it('abort makes neither the records nor the offsets visible; read_uncommitted sees the records', { timeout: 60_000 }, async () => {
    const out = await target.topic('kjs-abort-out');
    const input = await target.topic('kjs-abort-in');
    const group = target.unique('kjs-abort-group');
    await groupCoordinatorReady(group, input);
    const producer = await txnProducer(target.unique('kjs-abort'));
    const aborted = await producer.transaction();
    await aborted.send({ topic: out, messages: values(3, 'a').map((value) => ({ value })) });
    await aborted.sendOffsets({ consumerGroupId: group, topics: [{ topic: input, partitions: [{ partition: 0, offset: '7' }] }] });
    await aborted.abort();
    // A committed transaction after it, so "nothing aborted is visible" is checked past its marker.
    const next = await producer.transaction();
    await next.send({ topic: out, messages: [{ value: 'after-abort' }] });
    await next.commit();

    // a0 a1 a2 (0-2), abort marker (3), after-abort (4), commit marker (5).
    await eventually('both markers to be stable', async () => ((await latestOffset(leader(), out, 0, READ_COMMITTED)) === 6 ? true : undefined));
    const rc = await readIsolated(leader(), out, 0, READ_COMMITTED);
    expect(rc.values).toEqual(['after-abort']);
    expect(rc.abortedTransactions).toHaveLength(1);
    expect(rc.abortedTransactions[0]!.firstOffset).toBe(0);
    const ru = await readIsolated(leader(), out, 0, READ_UNCOMMITTED);
    expect(ru.values).toEqual([...values(3, 'a'), 'after-abort']);
    expect(ru.abortedTransactions).toEqual([]);
    expect(await groupOffset(group, input)).toBe('-1');

    const committedView = await consumeUntil(target.kafka(), out, {
      readUncommitted: false,
      groupId: target.unique('kjs-abort-rc'),
      done: (g) => g.some((m) => m.value === 'after-abort'),
    });
    expect(committedView.map((m) => m.value)).toEqual(['after-abort']);
    expect(committedView[0]!.offset).toBe('4');
    const everything = await consumeUntil(target.kafka(), out, {
      readUncommitted: true,
      groupId: target.unique('kjs-abort-ru'),
      done: (g) => g.some((m) => m.value === 'after-abort'),
    });
    expect(everything.map((m) => m.value)).toEqual([...values(3, 'a'), 'after-abort']);
  });

  it('read_committed stops at the LSO while a transaction is open; read_uncommitted reads past it', { timeout: 60_000 }, async () => {
    const topic = await target.topic('kjs-lso');
    const plain = await plainProducer();
    await plain.send({ topic, acks: -1, messages: [{ value: 'before' }] });
    const producer = await txnProducer(target.unique('kjs-lso'));
    const txn = await producer.transaction();
    await txn.send({ topic, messages: [{ value: 't0' }, { value: 't1' }] });
    await plain.send({ topic, acks: -1, messages: [{ value: 'after' }] }); // offset 3, behind the open transaction

    expect(await latestOffset(leader(), topic, 0, READ_UNCOMMITTED)).toBe(4);
    expect(await latestOffset(leader(), topic, 0, READ_COMMITTED)).toBe(1);
    const rc = await readIsolated(leader(), topic, 0, READ_COMMITTED);
    expect(rc.lastStableOffset).toBe(1);
    expect(rc.values).toEqual(['before']);
    expect(rc.nextOffset).toBe(1); // no batch at or past the LSO was returned
    const ru = await readIsolated(leader(), topic, 0, READ_UNCOMMITTED);
    expect(ru.values).toEqual(['before', 't0', 't1', 'after']);

    // A read_committed kafkajs consumer gets 'before' and then nothing, fetch after fetch…
    const consumer = target.kafka().consumer({ groupId: target.unique('kjs-lso-rc'), readUncommitted: false, maxWaitTimeInMs: 50 });
    const got: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void got.push(message.value!.toString()) });
      await eventually('the stable record', async () => (got.length >= 1 ? true : undefined));
      await fetchRounds(consumer, 5);
      expect(got).toEqual(['before']);
      // …until the transaction commits: then the rest, in offset order.
      await txn.commit();
      await eventually('the records past the LSO', async () => (got.length >= 4 ? true : undefined));
      expect(got).toEqual(['before', 't0', 't1', 'after']);
    } finally {
      await consumer.disconnect();
    }
    expect(await latestOffset(leader(), topic, 0, READ_COMMITTED)).toBe(5);
  });

  it('a second producer with the same transactional id fences the first, whose commit fails', { timeout: 60_000 }, async () => {
    const topic = await target.topic('kjs-fence');
    const id = target.unique('kjs-fence');
    const first = await txnProducer(id);
    const zombie = await first.transaction();
    await zombie.send({ topic, messages: [{ value: 'zombie' }] });

    const second = await txnProducer(id);
    const txn = await second.transaction(); // InitProducerId: bumps the epoch, aborts the zombie's transaction
    const err = await zombie.commit().then(
      () => null,
      (e: unknown) => e as Error & { type?: string },
    );
    expect(err).not.toBeNull();
    // kafkajs (EndTxn v0-v1) gets PRODUCER_FENCED as INVALID_PRODUCER_EPOCH, as Kafka maps it for old versions.
    expect(err!.name).toBe('KafkaJSProtocolError');
    expect(err!.type).toBe('INVALID_PRODUCER_EPOCH');

    await txn.send({ topic, messages: [{ value: 'winner' }] });
    await txn.commit();
    await eventually('the winner committed', async () => ((await readIsolated(leader(), topic, 0, READ_COMMITTED)).values.length === 1 ? true : undefined));
    const rc = await readIsolated(leader(), topic, 0, READ_COMMITTED);
    expect(rc.values).toEqual(['winner']);
    expect((await readIsolated(leader(), topic, 0, READ_UNCOMMITTED)).values).toEqual(['zombie', 'winner']);
    // The fenced producer cannot write either.
    const again = await first
      .transaction()
      .then(async (t) => {
        await t.send({ topic, messages: [{ value: 'zombie-again' }] });
        await t.commit();
        return null;
      })
      .catch((e: unknown) => e as Error);
    expect(again).not.toBeNull();
    expect((await readIsolated(leader(), topic, 0, READ_COMMITTED)).values).toEqual(['winner']);
  });

  it('a transaction never committed is aborted after transaction.timeout.ms and the LSO moves', { timeout: 60_000 }, async () => {
    const topic = await target.topic('kjs-timeout');
    const producer = await txnProducer(target.unique('kjs-timeout'), 2000);
    const txn = await producer.transaction();
    await txn.send({ topic, messages: [{ value: 'x0' }, { value: 'x1' }] });
    expect(await latestOffset(leader(), topic, 0, READ_COMMITTED)).toBe(0);

    // The coordinator's abort writes a marker at offset 2: the LSO becomes the high watermark, 3.
    await eventually(
      'the timed-out transaction to be aborted',
      async () => ((await latestOffset(leader(), topic, 0, READ_COMMITTED)) === 3 ? true : undefined),
      600,
    );
    expect(await latestOffset(leader(), topic, 0, READ_UNCOMMITTED)).toBe(3);
    const rc = await readIsolated(leader(), topic, 0, READ_COMMITTED);
    expect(rc.values).toEqual([]);
    expect(rc.abortedTransactions.map((a) => a.firstOffset)).toEqual([0]);
    expect((await readIsolated(leader(), topic, 0, READ_UNCOMMITTED)).values).toEqual(['x0', 'x1']);
    // The coordinator bumped the epoch when it aborted: the late commit is refused.
    const err = await txn.commit().then(
      () => null,
      (e: unknown) => e as Error & { type?: string },
    );
    expect(err?.type).toBe('INVALID_PRODUCER_EPOCH');
    expect((await readIsolated(leader(), topic, 0, READ_COMMITTED)).values).toEqual([]);
  });
});

// After-hooks run in reverse order (vitest's default 'stack'): the producers close before the cluster.
afterAll(async () => {
  for (const p of producers.splice(0)) await p.disconnect().catch(() => {});
});
