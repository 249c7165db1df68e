// The consume-transform-produce pipeline of the exactly-once proof (issue #12, proof 3): a
// read_committed kafkajs consumer reads `in-<i>` records of an input topic, and each chunk of a
// fetched batch is written as `out-<i>` to an output topic in one transaction together with the
// consumer's next offsets (sendOffsetsToTransaction). The sink is either our producer or kafkajs's.
// A test drives it through faults with `hook(txnNumber)`, called after a transaction's records
// are written and before its commit; on any failure the instance is dropped and a new one (new
// consumer, new producer, same transactional id) resumes from the group's committed offsets.
import type { Kafka, Consumer, Producer as KafkaJsProducer, Transaction } from 'kafkajs';
import { Producer } from '../../src/index.js';
import { eventually, transactionCoordinator } from './txn.js';

/** What a transactional sink needs; our producer's API as issue #12 names it (Java's). */
export interface TxnSink {
  init(): Promise<void>;
  begin(): Promise<void>;
  send(topic: string, records: { key: string; value: string }[]): Promise<void>;
  sendOffsets(groupId: string, topic: string, partition: number, nextOffset: string): Promise<void>;
  commit(): Promise<void>;
  /** Close without finishing the open transaction, if it can (a zombie is closed after it was fenced). */
  close(): Promise<void>;
}

export function ourSink(bootstrap: string[], transactionalId: string, transactionTimeoutMs = 15_000): TxnSink {
  const options = { bootstrapServers: bootstrap, transactionalId, transactionTimeoutMs, requestTimeoutMs: 5_000, deliveryTimeoutMs: 30_000, maxBlockMs: 30_000 };
  const p = new Producer(options);
  return {
    init: () => p.initTransactions(),
    begin: async () => p.beginTransaction(),
    send: async (topic, records) => {
      await Promise.all(records.map((r) => p.send({ topic, key: r.key, value: r.value })));
    },
    sendOffsets: (groupId, topic, partition, offset) => p.sendOffsetsToTransaction([{ topic, partition, offset }], { groupId, generationId: -1, memberId: '', groupInstanceId: null }),
    commit: () => p.commitTransaction(),
    close: () => p.close({ timeoutMs: 0 }).catch(() => {}),
  };
}

export function kafkajsSink(kafka: Kafka, transactionalId: string, transactionTimeout = 15_000): TxnSink {
  const p: KafkaJsProducer = kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true, transactionTimeout });
  let txn: Transaction | null = null;
  const open = () => {
    if (!txn) throw new Error('no transaction');
    return txn;
  };
  return {
    // kafkajs has no initTransactions: its first transaction() runs InitProducerId (and so fences
    // an older producer with the same id), so init opens that first transaction.
    init: async () => {
      await p.connect();
      txn = await p.transaction();
    },
    begin: async () => {
      txn ??= await p.transaction();
    },
    send: async (topic, records) => {
      await open().send({ topic, messages: records });
    },
    sendOffsets: (groupId, topic, partition, offset) => open().sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition, offset }] }] }),
    commit: async () => {
      await open().commit();
      txn = null;
    },
    close: () => p.disconnect().catch(() => {}),
  };
}

export type HookAction = 'continue' | 'abandon';

export interface PipelineOptions {
  kafka: Kafka;
  input: string;
  output: string;
  groupId: string;
  /** A fresh sink per pipeline instance, all with the same transactional id. */
  sink: () => TxnSink;
  /** Records per transaction at most. */
  chunk: number;
  /** Called with the global transaction number before each commit; 'abandon' = the process dies here. */
  hook: (txn: number) => Promise<HookAction>;
  /** True once the group's committed offsets reach the input's end. */
  done: () => Promise<boolean>;
}

export interface PipelineReport {
  instances: number;
  transactions: number;
  committed: number;
  failures: string[];
  /** Commits of abandoned (fenced) instances that the broker accepted: must stay 0. */
  zombieCommits: number;
  zombieRefusals: number;
}

class Abandoned extends Error {}

/** Run pipeline instances one after another until `done()`. */
export async function runPipeline(o: PipelineOptions): Promise<PipelineReport> {
  const report: PipelineReport = { instances: 0, transactions: 0, committed: 0, failures: [], zombieCommits: 0, zombieRefusals: 0 };
  let zombie: TxnSink | null = null;
  let barren = 0; // instances in a row that failed without committing anything
  for (let round = 0; round < 40 && !(await o.done()); round++) {
    if (barren >= 5) throw new Error(`the pipeline makes no progress; last failures: ${report.failures.slice(-3).join(' | ')}`);
    report.instances++;
    const committedBefore = report.committed;
    const sink = o.sink();
    let failed: unknown = null;
    let consumer: Consumer | null = null;
    try {
      await sink.init();
      if (zombie) {
        // The new instance's InitProducerId fenced the abandoned one: its commit must be refused.
        const z = zombie;
        zombie = null;
        await z.commit().then(
          () => report.zombieCommits++,
          () => report.zombieRefusals++,
        );
        await z.close();
      }
      consumer = o.kafka.consumer({
        groupId: o.groupId,
        readUncommitted: false,
        maxWaitTimeInMs: 100,
        sessionTimeout: 6_000,
        rebalanceTimeout: 6_000,
        heartbeatInterval: 300,
        maxBytesPerPartition: 4096,
        retry: { retries: 3, initialRetryTime: 100 },
      });
      const c = consumer;
      c.on(c.events.CRASH, (e) => {
        failed ??= e.payload.error;
      });
      await c.connect();
      await c.subscribe({ topic: o.input, fromBeginning: true });
      await c.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          for (let i = 0; i < batch.messages.length && failed === null; i += o.chunk) {
            const chunk = batch.messages.slice(i, i + o.chunk);
            const txn = ++report.transactions;
            try {
              await sink.begin();
              await sink.send(
                o.output,
                chunk.map((m) => ({ key: m.key!.toString(), value: m.value!.toString().replace(/^in-/, 'out-') })),
              );
              const next = (BigInt(chunk.at(-1)!.offset) + 1n).toString();
              await sink.sendOffsets(o.groupId, o.input, batch.partition, next);
              if ((await o.hook(txn)) === 'abandon') throw new Abandoned(`abandoned in transaction ${txn}`);
              await sink.commit();
              if (process.env.EOS_DEBUG) console.info(`txn ${txn} instance ${report.instances} committed ${o.input}-${batch.partition} ${chunk[0]!.offset}..${chunk.at(-1)!.offset} -> next ${next}`);
              report.committed++;
              resolveOffset(chunk.at(-1)!.offset);
              await heartbeat();
            } catch (e) {
              if (process.env.EOS_DEBUG) console.info(`txn ${txn} instance ${report.instances} failed ${o.input}-${batch.partition} ${chunk[0]!.offset}..${chunk.at(-1)!.offset}: ${String(e)}`);
              failed ??= e;
            }
          }
        },
      });
      await eventually('the pipeline to finish or fail', async () => (failed !== null || (await o.done()) ? true : undefined), 1200, 50);
    } catch (e) {
      failed ??= e;
    }
    await consumer?.disconnect().catch(() => {});
    if (failed instanceof Abandoned) {
      zombie = sink; // stays open, as a process that died would leave it, until the next instance fences it
    } else {
      await sink.close();
    }
    if (failed !== null) report.failures.push(String((failed as Error).message ?? failed));
    barren = failed !== null && !(failed instanceof Abandoned) && report.committed === committedBefore ? barren + 1 : 0;
  }
  if (zombie) await zombie.close();
  return report;
}

/** Broker settings of the exactly-once runs: 3 replicas everywhere, min ISR 2, fast failover. */
export const EOS_CLUSTER_CONFIG = {
  'min.insync.replicas': 2,
  'broker.session.timeout.ms': 1500,
  'broker.heartbeat.interval.ms': 200,
  'offsets.topic.replication.factor': 3,
  'offsets.topic.num.partitions': 5,
  'transaction.state.log.replication.factor': 3,
  'transaction.state.log.min.isr': 2,
  'transaction.state.log.num.partitions': 5,
};

export interface EosFaults {
  crash(id: number): Promise<void>;
  start(id: number): Promise<void>;
  leaderOf(topic: string, partition: number): number;
}

/**
 * The fault schedule, by global transaction number (before its commit): crash the transaction
 * coordinator's broker at 4 (restart at 8), abandon the pipeline at 12, crash the leader of
 * output partition 0 at 17 (restart at 21). Returns the hook and what it did.
 */
export function faultSchedule(bootstrap: () => string[], transactionalId: string, output: string, faults: EosFaults) {
  const done: string[] = [];
  const down = new Set<number>();
  const hook = async (txn: number): Promise<HookAction> => {
    if (txn === 4) {
      const { nodeId } = await transactionCoordinator(bootstrap()[0]!, transactionalId);
      done.push(`crash coordinator ${nodeId}`);
      await faults.crash(nodeId);
      down.add(nodeId);
    } else if (txn === 12) {
      done.push('abandon');
      return 'abandon';
    } else if (txn === 17) {
      const leader = faults.leaderOf(output, 0);
      done.push(`crash leader ${leader}`);
      await faults.crash(leader);
      down.add(leader);
    } else if (txn === 8 || txn === 21) {
      for (const id of [...down]) {
        done.push(`start ${id}`);
        await faults.start(id);
        down.delete(id);
      }
    }
    return 'continue';
  };
  const restoreAll = async () => {
    for (const id of [...down]) {
      await faults.start(id);
      down.delete(id);
    }
  };
  return { hook, done, restoreAll };
}
