// Shared setup of the transaction proof tests (issue #12): the broker under test is either a
// fresh startCluster() or, when MINIKAFKA_TEST_BOOTSTRAP is set, an external broker such as the
// reference Apache Kafka of scripts/reference-kafka.sh (then broker-control steps are skipped).
// Plus what read_committed looks like on the wire, read with our own codecs: ListOffsets per
// isolation level and a Fetch that applies the aborted-transactions list as a client must.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { Kafka, logLevel, type Consumer, type EachMessagePayload } from 'kafkajs';
import { startCluster, type Cluster, type ClusterOptions } from '../../src/index.js';
import * as M from '../../src/protocol/messages/index.js';
import { decodeRecordBatches } from '../../src/protocol/recordBatch.js';
import { RawClient } from './RawClient.js';

export const EXTERNAL_BOOTSTRAP = process.env.MINIKAFKA_TEST_BOOTSTRAP;
export const EXTERNAL = EXTERNAL_BOOTSTRAP !== undefined && EXTERNAL_BOOTSTRAP !== '';

/**
 * Against the reference broker of scripts/reference-kafka.sh, MINIKAFKA_TEST_REFERENCE_RESTART=1
 * lets the restart/crash tests restart and kill -9 it through the script (single node).
 */
export const REFERENCE = EXTERNAL && process.env.MINIKAFKA_TEST_REFERENCE_RESTART === '1';
const REFERENCE_SCRIPT = fileURLToPath(new URL('../../scripts/reference-kafka.sh', import.meta.url));
const referencePort = () => EXTERNAL_BOOTSTRAP!.split(',')[0]!.split(':')[1]!;

/** The reference broker: stop cleanly (or kill -9 when `crash`) and start again on its data. */
export function restartReference(crash: boolean): void {
  execFileSync(REFERENCE_SCRIPT, [crash ? 'crash' : 'restart', referencePort()], { stdio: 'ignore', timeout: 150_000 });
}

/** The reference broker's log dir (the script's). */
export function referenceDataDir(): string {
  return path.join(process.env.TMPDIR ?? os.tmpdir(), `minikafka-ref-${referencePort()}`, 'data');
}

export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

export interface TxnTarget {
  /** The broker list clients connect to. */
  readonly bootstrap: string[];
  /** The minikafka cluster, or null against an external broker. */
  readonly cluster: Cluster | null;
  /** A kafkajs client on the target (logging off). */
  kafka(clientId?: string): Kafka;
  /** Create a topic whose name is unique per run (external brokers keep old topics), return its name. */
  topic(base: string, partitions?: number, replicationFactor?: number): Promise<string>;
  /** A name unique per run (transactional ids, group ids). */
  unique(base: string): string;
}

const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;

/** Call at the top level of a test file: one target per file, closed after it. */
export function txnTarget(clusterOptions: ClusterOptions = {}): TxnTarget {
  let cluster: Cluster | null = null;
  let bootstrap: string[] = [];
  const kafkas: Kafka[] = [];
  beforeAll(async () => {
    if (EXTERNAL) {
      bootstrap = EXTERNAL_BOOTSTRAP!.split(',');
    } else {
      cluster = await startCluster(clusterOptions);
      bootstrap = cluster.bootstrapServers;
    }
  }, 60_000);
  afterAll(async () => {
    await cluster?.close();
  }, 60_000);
  const target: TxnTarget = {
    get bootstrap() {
      return bootstrap;
    },
    get cluster() {
      return cluster;
    },
    kafka(clientId = 'txn-proof') {
      const k = new Kafka({ clientId, brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
      kafkas.push(k);
      return k;
    },
    unique(base) {
      return `${base}-${runId}`;
    },
    async topic(base, partitions = 1, replicationFactor) {
      const name = target.unique(base);
      if (cluster) {
        await cluster.createTopic(name, { partitions, ...(replicationFactor ? { replicationFactor } : {}) });
      } else {
        const admin = target.kafka().admin();
        await admin.connect();
        try {
          await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions, ...(replicationFactor ? { replicationFactor } : {}) }], waitForLeaders: true });
        } finally {
          await admin.disconnect();
        }
      }
      return name;
    },
  };
  return target;
}

/** Poll `check` until it returns a value other than undefined (every `everyMs`), or throw after `attempts`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, attempts = 300, everyMs = 50): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`gave up waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

async function withClient<T>(bootstrap: string, fn: (c: RawClient) => Promise<T>): Promise<T> {
  const c = await RawClient.connect(bootstrap);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/** ListOffsets (v5) latest offset of a partition at an isolation level: the high watermark, or the LSO for read_committed. */
export function latestOffset(leader: string, topic: string, partition: number, isolationLevel: number): Promise<number> {
  return withClient(leader, async (c) => {
    const res = await c.request(2, 5, M.encodeListOffsetsRequest, M.decodeListOffsetsResponse, {
      ...M.defaultListOffsetsRequest(),
      replicaId: -1,
      isolationLevel,
      topics: [{ name: topic, partitions: [{ ...M.defaultListOffsetsRequestListOffsetsPartition(), partitionIndex: partition, timestamp: -1 }] }],
    });
    const p = res.topics[0]!.partitions[0]!;
    if (p.errorCode !== 0) throw new Error(`ListOffsets ${topic}-${partition}: error ${p.errorCode}`);
    return Number(p.offset);
  });
}

export interface IsolatedRead {
  highWatermark: number;
  lastStableOffset: number;
  /** The aborted transactions the broker listed (read_committed only). */
  abortedTransactions: { producerId: number; firstOffset: number }[];
  /** Data records a client at this isolation level delivers, in offset order. */
  values: string[];
  /** Offset after the last batch returned (control batches included). */
  nextOffset: number;
}

/**
 * Fetch (v11) a partition from offset 0 at an isolation level, as a consumer would see it: at
 * read_committed, batches of a producer listed as aborted are dropped from its first offset up
 * to its abort marker (Kafka's consumer-side filtering); control batches are never delivered.
 */
export function readIsolated(leader: string, topic: string, partition: number, isolationLevel: number): Promise<IsolatedRead> {
  return withClient(leader, async (c) => {
    const values: string[] = [];
    const listed: { producerId: number; firstOffset: number }[] = [];
    const aborted: { producerId: number; firstOffset: number }[] = []; // ranges not yet closed by their marker
    let offset = 0;
    let hw = 0;
    let lso = -1;
    for (let round = 0; round < 1000; round++) {
      const res = await c.request(1, 11, M.encodeFetchRequest, M.decodeFetchResponse, {
        clusterId: null,
        replicaId: -1,
        replicaState: { replicaId: -1, replicaEpoch: -1 },
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        isolationLevel,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic,
            topicId: Buffer.alloc(16),
            partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: Buffer.alloc(16) }],
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      });
      const p = res.responses[0]!.partitions[0]!;
      if (p.errorCode !== 0) throw new Error(`Fetch ${topic}-${partition}: error ${p.errorCode}`);
      hw = Number(p.highWatermark);
      lso = Number(p.lastStableOffset);
      for (const a of p.abortedTransactions ?? []) {
        const range = { producerId: Number(a.producerId), firstOffset: Number(a.firstOffset) };
        if (!listed.some((l) => l.producerId === range.producerId && l.firstOffset === range.firstOffset)) {
          listed.push(range);
          aborted.push(range);
        }
      }
      const batches = p.records ? decodeRecordBatches(p.records) : [];
      if (batches.length === 0) break;
      for (const b of batches) {
        const isAborted =
          isolationLevel === READ_COMMITTED &&
          b.isTransactional &&
          aborted.some((a) => a.producerId === Number(b.producerId) && a.firstOffset <= b.baseOffset) &&
          !b.isControl;
        if (b.isControl) {
          // An abort marker closes that producer's aborted range.
          const idx = aborted.findIndex((a) => a.producerId === Number(b.producerId) && a.firstOffset <= b.baseOffset);
          if (idx >= 0 && b.records[0]?.key?.readInt16BE(2) === 0) aborted.splice(idx, 1);
        } else if (!isAborted) {
          for (const r of b.records) if (r.offset >= offset) values.push(r.value === null ? '' : r.value.toString());
        }
        offset = b.lastOffset + 1;
      }
    }
    return { highWatermark: hw, lastStableOffset: lso, abortedTransactions: listed, values, nextOffset: offset };
  });
}

export interface Consumed {
  value: string;
  partition: number;
  offset: string;
}

/**
 * A kafkajs consumer (own group, from the beginning) collecting the values of `topic` until
 * `done(values)`; `readUncommitted` as kafkajs names it. `fetches` counts completed fetch rounds.
 */
export async function consumeUntil(
  kafka: Kafka,
  topic: string,
  opts: { readUncommitted: boolean; groupId: string; done: (got: Consumed[]) => boolean; attempts?: number },
): Promise<Consumed[]> {
  const consumer: Consumer = kafka.consumer({ groupId: opts.groupId, readUncommitted: opts.readUncommitted, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 500 });
  const got: Consumed[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }: EachMessagePayload) => {
        got.push({ value: message.value?.toString() ?? '', partition, offset: message.offset });
      },
    });
    await eventually(`${topic}: consumer to reach its goal (have ${got.length})`, async () => (opts.done(got) ? true : undefined), opts.attempts ?? 400);
    return got;
  } finally {
    await consumer.disconnect();
  }
}

/** Wait for a consumer to complete `rounds` more fetch rounds (kafkajs FETCH events). */
export function fetchRounds(consumer: Consumer, rounds: number): Promise<void> {
  return new Promise((resolve) => {
    let n = 0;
    const off = consumer.on(consumer.events.FETCH, () => {
      if (++n >= rounds) {
        off();
        resolve();
      }
    });
  });
}

const RETRIABLE_COORDINATOR_ERRORS = new Set([14 /* COORDINATOR_LOAD_IN_PROGRESS */, 15 /* COORDINATOR_NOT_AVAILABLE */, 16 /* NOT_COORDINATOR */, 51 /* CONCURRENT_TRANSACTIONS */]);

/** The transaction coordinator (FindCoordinator v3, key type 1) of a transactional id, as host:port. */
export function transactionCoordinator(bootstrap: string, transactionalId: string): Promise<{ nodeId: number; address: string }> {
  return eventually(`the coordinator of ${transactionalId}`, () =>
    withClient(bootstrap, async (c) => {
      const res = await c.request(10, 3, M.encodeFindCoordinatorRequest, M.decodeFindCoordinatorResponse, {
        ...M.defaultFindCoordinatorRequest(),
        key: transactionalId,
        keyType: 1,
      });
      if (RETRIABLE_COORDINATOR_ERRORS.has(res.errorCode)) return undefined;
      if (res.errorCode !== 0) throw new Error(`FindCoordinator ${transactionalId}: error ${res.errorCode}`);
      return { nodeId: res.nodeId, address: `${res.host}:${res.port}` };
    }),
  );
}

/**
 * InitProducerId (v4) for a transactional id at its coordinator, retrying the coordinator's
 * retriable errors: what a producer's initTransactions does. It bumps the epoch (and aborts an
 * ongoing transaction of an older epoch first).
 */
export function initTransactionalId(bootstrap: string, transactionalId: string, transactionTimeoutMs = 60_000): Promise<{ producerId: number; producerEpoch: number }> {
  return eventually(`InitProducerId ${transactionalId}`, async () => {
    const coordinator = await transactionCoordinator(bootstrap, transactionalId);
    return withClient(coordinator.address, async (c) => {
      const res = await c.request(22, 4, M.encodeInitProducerIdRequest, M.decodeInitProducerIdResponse, {
        ...M.defaultInitProducerIdRequest(),
        transactionalId,
        transactionTimeoutMs,
      });
      if (RETRIABLE_COORDINATOR_ERRORS.has(res.errorCode)) return undefined;
      if (res.errorCode !== 0) throw new Error(`InitProducerId ${transactionalId}: error ${res.errorCode}`);
      return { producerId: Number(res.producerId), producerEpoch: res.producerEpoch };
    });
  });
}
