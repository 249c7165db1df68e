// The exactly-once proof's body (issue #12, proof 3), shared by the in-process and the
// process-per-broker test files: input topic → runPipeline (with our producer or kafkajs's)
// under faultSchedule → output topic, then every input record exactly once in the output for
// read_committed (real counts and values), the aborted attempts present for read_uncommitted.
import { expect } from 'vitest';
import type { Kafka } from 'kafkajs';
import { faultSchedule, kafkajsSink, ourSink, runPipeline, type EosFaults, type TxnSink } from './eosPipeline.js';
import { READ_COMMITTED, READ_UNCOMMITTED, REFERENCE, eventually, readIsolated, restartReference, type TxnTarget } from './txn.js';

export const INPUT_RECORDS = 300;
const PARTITIONS = 3;
const CHUNK = 10;

export type EosVariant = 'our producer' | 'kafkajs producer';

/** Where a partition's leader listens, by the controller's view (brokers are ids 1..N). */
function leaderAddress(target: TxnTarget, topic: string, partition: number): string | undefined {
  const cluster = target.cluster;
  if (!cluster) return target.bootstrap[0];
  const id = cluster.leaderOf(topic, partition);
  return id > 0 ? cluster.bootstrapServers[id - 1] : undefined;
}

/** Broker control: the cluster's, or the reference broker's kill -9 + restart (start is then a no-op). */
function brokerFaults(target: TxnTarget): EosFaults {
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
async function outputValues(target: TxnTarget, topic: string, isolation: number): Promise<string[]> {
  const out: string[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const read = await eventually(`${topic}-${p} readable`, async () => {
      const addr = leaderAddress(target, topic, p);
      return addr ? readIsolated(addr, topic, p, isolation) : undefined;
    });
    out.push(...read.values);
  }
  return out;
}

const expectedOutput = Array.from({ length: INPUT_RECORDS }, (_, i) => `out-${i}`).sort();

/** Run the pipeline through the fault schedule and check the output. `sinks` collects the producers for closing. */
export async function eosProof(target: TxnTarget, variant: EosVariant, sinks: TxnSink[]): Promise<void> {
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
  const schedule = faultSchedule(() => target.bootstrap, transactionalId, output, brokerFaults(target));
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
  const committed = await outputValues(target, output, READ_COMMITTED);
  const counts = new Map<string, number>();
  for (const v of committed) counts.set(v, (counts.get(v) ?? 0) + 1);
  const duplicated = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
  const lost = expectedOutput.filter((v) => !counts.has(v));
  if (duplicated.length || lost.length) console.info(`${variant}: duplicated ${duplicated.join(',')}; lost ${lost.join(',')}`);
  expect(committed.length).toBe(INPUT_RECORDS);
  expect(new Set(committed).size).toBe(INPUT_RECORDS);
  expect([...committed].sort()).toEqual(expectedOutput);
  // The aborted attempts (at least the abandoned transaction's records) are in the log.
  const everything = await outputValues(target, output, READ_UNCOMMITTED);
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
}
