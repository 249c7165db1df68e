// Issue #12, proof 3 (minikafka only: it crashes brokers): an exactly-once consume-transform-produce
// pipeline (test/support/eosPipeline.ts) on 3 brokers, replication factor 3, min.insync.replicas 2,
// with our producer and with kafkajs's, while the test crashes the transaction coordinator's broker
// mid-transaction, restarts the pipeline mid-transaction (a new instance with the same transactional
// id fences the old one, whose commit is refused) and crashes a leader of the output topic
// mid-transaction. Afterwards every input record is in the output exactly once for read_committed:
// none lost, none duplicated; the aborted attempts are in the log (read_uncommitted sees more).
// Checked against Apache Kafka with MINIKAFKA_TEST_BOOTSTRAP + MINIKAFKA_TEST_REFERENCE_RESTART=1
// (scripts/reference-kafka.sh): a single node, so replication factor 1 and a "crash" is the
// script's kill -9 and restart of the whole broker.
import { afterAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { EOS_CLUSTER_CONFIG, faultSchedule, kafkajsSink, ourSink, runPipeline, type EosFaults, type TxnSink } from './support/eosPipeline.js';
import { EXTERNAL, READ_COMMITTED, READ_UNCOMMITTED, REFERENCE, eventually, readIsolated, restartReference, txnTarget } from './support/txn.js';

const BROKERS = 3;
const INPUT_RECORDS = 300;
const PARTITIONS = 3;
const CHUNK = 10;

const target = txnTarget({ brokers: BROKERS, config: EOS_CLUSTER_CONFIG });

const sinks: TxnSink[] = [];
afterAll(async () => {
  for (const s of sinks.splice(0)) await s.close();
});

/** Where a partition's leader listens, by the controller's view (brokers are ids 1..N). */
function leaderAddress(topic: string, partition: number): string | undefined {
  const cluster = target.cluster;
  if (!cluster) return target.bootstrap[0];
  const id = cluster.leaderOf(topic, partition);
  return id > 0 ? cluster.bootstrapServers[id - 1] : undefined;
}

/** Broker control: the cluster's, or the reference broker's kill -9 + restart (start is then a no-op). */
function brokerFaults(): EosFaults {
  const cluster = target.cluster;
  if (cluster) {
    return { crash: (id) => cluster.stopBroker(id, { crash: true }), start: (id) => cluster.startBroker(id), leaderOf: (t, p) => cluster.leaderOf(t, p) };
  }
  return { crash: async () => restartReference(true), start: async () => {}, leaderOf: () => 1 };
}

async function produceInput(kafka: Kafka, topic: string): Promise<void> {
  const p = kafka.producer();
  await p.connect();
  const messages = Array.from({ length: INPUT_RECORDS }, (_, i) => ({ key: `k${i}`, value: `in-${i}` }));
  for (let i = 0; i < messages.length; i += 50) await p.send({ topic, acks: -1, messages: messages.slice(i, i + 50) });
  await p.disconnect();
}

/** True once the group's committed offsets of every input partition reach its end. */
function groupCaughtUp(kafka: Kafka, topic: string, groupId: string): () => Promise<boolean> {
  return async () => {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return ends.every((e) => committed!.partitions.find((p) => p.partition === e.partition)?.offset === e.high);
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  };
}

/** Every value of the output for an isolation level, all partitions, read from their leaders. */
async function outputValues(topic: string, isolation: number): Promise<string[]> {
  const out: string[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const read = await eventually(`${topic}-${p} readable`, async () => {
      const addr = leaderAddress(topic, p);
      return addr ? readIsolated(addr, topic, p, isolation) : undefined;
    });
    out.push(...read.values);
  }
  return out;
}

const expectedOutput = Array.from({ length: INPUT_RECORDS }, (_, i) => `out-${i}`).sort();

describe.skipIf(EXTERNAL && !REFERENCE)('exactly-once consume-transform-produce under failures (3 brokers, RF 3)', () => {
  for (const variant of ['our producer', 'kafkajs producer'] as const) {
    it(`${variant}: every input record in the output exactly once`, { timeout: REFERENCE ? 300_000 : 120_000 }, async () => {
      const cluster = target.cluster;
      const tag = variant === 'our producer' ? 'eos-ours' : 'eos-kjs';
      const replicas = cluster ? 3 : 1;
      const input = await target.topic(`${tag}-in`, PARTITIONS, replicas);
      const output = await target.topic(`${tag}-out`, PARTITIONS, replicas);
      await cluster?.waitForReplication(input);
      await cluster?.waitForReplication(output);
      const kafka = target.kafka(tag);
      await produceInput(kafka, input);
      const transactionalId = target.unique(`${tag}-txn`);
      const groupId = target.unique(`${tag}-group`);
      const schedule = faultSchedule(() => target.bootstrap, transactionalId, output, brokerFaults());
      const report = await runPipeline({
        kafka,
        input,
        output,
        groupId,
        chunk: CHUNK,
        hook: schedule.hook,
        done: groupCaughtUp(kafka, input, groupId),
        sink: () => {
          // Against the reference a crash takes ~25 s (restart, settle): keep transactions from timing out meanwhile.
          const timeoutMs = REFERENCE ? 90_000 : 15_000;
          const s = variant === 'our producer' ? ourSink(target.bootstrap, transactionalId, timeoutMs) : kafkajsSink(kafka, transactionalId, timeoutMs);
          sinks.push(s);
          return s;
        },
      });
      await schedule.restoreAll();
      console.info(`${variant}: ${JSON.stringify({ ...report, faults: schedule.done })}`);

      // Every fault of the schedule happened, the abandoned instance was fenced.
      expect(schedule.done.filter((d) => !d.startsWith('start')).map((d) => d.split(' ').slice(0, 2).join(' '))).toEqual(['crash coordinator', 'abandon', 'crash leader']);
      expect(report.instances).toBeGreaterThanOrEqual(2);
      expect(report.zombieCommits).toBe(0);
      expect(report.zombieRefusals).toBe(1);

      for (const t of [input, output]) await cluster?.waitForReplication(t, 30_000);
      const committed = await outputValues(output, READ_COMMITTED);
      const counts = new Map<string, number>();
      for (const v of committed) counts.set(v, (counts.get(v) ?? 0) + 1);
      const duplicated = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
      const lost = expectedOutput.filter((v) => !counts.has(v));
      if (duplicated.length || lost.length) console.info(`${variant}: duplicated ${duplicated.join(',')}; lost ${lost.join(',')}`);
      expect(committed.length).toBe(INPUT_RECORDS);
      expect(new Set(committed).size).toBe(INPUT_RECORDS);
      expect([...committed].sort()).toEqual(expectedOutput);
      // The aborted attempts (at least the abandoned transaction's records) are in the log.
      const everything = await outputValues(output, READ_UNCOMMITTED);
      expect(everything.length).toBeGreaterThan(INPUT_RECORDS);
      // And a read_committed kafkajs consumer counts the same.
      const seen: string[] = [];
      const consumer = kafka.consumer({ groupId: target.unique(`${tag}-check`), readUncommitted: false, maxWaitTimeInMs: 100 });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic: output, fromBeginning: true });
        await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
        await eventually('the checker to read the output', async () => (seen.length >= INPUT_RECORDS ? true : undefined), 600);
      } finally {
        await consumer.disconnect();
      }
      expect([...seen].sort()).toEqual(expectedOutput);
    });
  }
});
