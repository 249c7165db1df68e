// Transaction coordinator test support: raw requests for the transactional APIs (one method
// each, version chosen by the caller), FindCoordinator key type 1 until it names a coordinator,
// and brokers whose transaction coordinators run on a MockTime (transaction timeouts and id
// expiration advance a simulated clock; everything else keeps the system clock).
import { Controller } from '../../src/replication/Controller.js';
import * as M from '../../src/protocol/messages/index.js';
import { Broker } from '../../src/server/Broker.js';
import type { Properties } from '../../src/common/KafkaConfig.js';
import type { MockTime } from '../../src/util/Time.js';
import { createLogger } from '../../src/logger.js';
import { FaultInjector } from '../../src/network/FaultInjector.js';
import { RawClient } from './RawClient.js';
import { until } from './coordinator.js';

export const TE = {
  NONE: 0,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  NOT_COORDINATOR: 16,
  INVALID_REQUEST: 42,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TXN_STATE: 48,
  INVALID_PRODUCER_ID_MAPPING: 49,
  INVALID_TRANSACTION_TIMEOUT: 50,
  CONCURRENT_TRANSACTIONS: 51,
  OPERATION_NOT_ATTEMPTED: 55,
  PRODUCER_FENCED: 90,
  TRANSACTIONAL_ID_NOT_FOUND: 105,
  TRANSACTION_ABORTABLE: 120,
} as const;

/** A raw connection to one broker with a method per transactional request. */
export class TxnClient {
  private constructor(readonly raw: RawClient) {}

  static async connect(bootstrap: string): Promise<TxnClient> {
    return new TxnClient(await RawClient.connect(bootstrap));
  }

  close(): void {
    this.raw.close();
  }

  findCoordinator(key: string, version = 3) {
    return this.raw.request(10, version, M.encodeFindCoordinatorRequest, M.decodeFindCoordinatorResponse, {
      ...M.defaultFindCoordinatorRequest(),
      key,
      keyType: 1,
      coordinatorKeys: [key],
    });
  }

  initProducerId(transactionalId: string | null, o: { timeoutMs?: number; producerId?: number; producerEpoch?: number; version?: number } = {}) {
    return this.raw.request(22, o.version ?? 4, M.encodeInitProducerIdRequest, M.decodeInitProducerIdResponse, {
      transactionalId,
      transactionTimeoutMs: o.timeoutMs ?? 60_000,
      producerId: o.producerId ?? -1,
      producerEpoch: o.producerEpoch ?? -1,
    });
  }

  /** AddPartitionsToTxn v0–3: topic → partitions; the per-partition error codes. */
  async addPartitions(transactionalId: string, producerId: number, producerEpoch: number, topics: Record<string, number[]>, version = 3) {
    const res = await this.raw.request(24, version, M.encodeAddPartitionsToTxnRequest, M.decodeAddPartitionsToTxnResponse, {
      ...M.defaultAddPartitionsToTxnRequest(),
      v3AndBelowTransactionalId: transactionalId,
      v3AndBelowProducerId: producerId,
      v3AndBelowProducerEpoch: producerEpoch,
      v3AndBelowTopics: Object.entries(topics).map(([name, partitions]) => ({ name, partitions })),
    });
    return Object.fromEntries(res.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((p) => [`${t.name}-${p.partitionIndex}`, p.partitionErrorCode])));
  }

  /** AddPartitionsToTxn v4 (the broker form): per transactional id, per partition. */
  async addPartitionsV4(transactions: { transactionalId: string; producerId: number; producerEpoch: number; verifyOnly: boolean; topics: Record<string, number[]> }[]) {
    const res = await this.raw.request(24, 4, M.encodeAddPartitionsToTxnRequest, M.decodeAddPartitionsToTxnResponse, {
      ...M.defaultAddPartitionsToTxnRequest(),
      transactions: transactions.map((t) => ({ ...t, topics: Object.entries(t.topics).map(([name, partitions]) => ({ name, partitions })) })),
    });
    return Object.fromEntries(
      res.resultsByTransaction.map((r) => [
        r.transactionalId,
        Object.fromEntries(r.topicResults.flatMap((t) => t.resultsByPartition.map((p) => [`${t.name}-${p.partitionIndex}`, p.partitionErrorCode]))),
      ]),
    );
  }

  async addOffsets(transactionalId: string, producerId: number, producerEpoch: number, groupId: string, version = 3) {
    const res = await this.raw.request(25, version, M.encodeAddOffsetsToTxnRequest, M.decodeAddOffsetsToTxnResponse, { transactionalId, producerId, producerEpoch, groupId });
    return res.errorCode;
  }

  async endTxn(transactionalId: string, producerId: number, producerEpoch: number, committed: boolean, version = 3) {
    const res = await this.raw.request(26, version, M.encodeEndTxnRequest, M.decodeEndTxnResponse, {
      transactionalId,
      producerId,
      producerEpoch,
      committed,
    });
    return res.errorCode;
  }

  async describe(transactionalId: string) {
    const res = await this.raw.request(65, 0, M.encodeDescribeTransactionsRequest, M.decodeDescribeTransactionsResponse, { transactionalIds: [transactionalId] });
    return res.transactionStates[0]!;
  }

  list(o: { states?: string[]; producerIds?: number[]; durationMs?: number; version?: number } = {}) {
    return this.raw.request(66, o.version ?? 1, M.encodeListTransactionsRequest, M.decodeListTransactionsResponse, {
      stateFilters: o.states ?? [],
      producerIdFilters: o.producerIds ?? [],
      durationFilter: o.durationMs ?? -1,
    });
  }

  /** The coordinator's node id once FindCoordinator key type 1 names one (the first request creates __transaction_state). */
  async waitForCoordinator(transactionalId: string, timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.findCoordinator(transactionalId);
      if (res.errorCode === 0) return res.nodeId;
      if (Date.now() > deadline) throw new Error(`no transaction coordinator for ${transactionalId} after ${timeoutMs} ms (error ${res.errorCode})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Retry a request while it answers one of `retriable` (loading, not yet coordinator, completing). */
  async retrying<T>(fn: () => Promise<T>, codeOf: (r: T) => number, retriable: number[] = [14, 15, 16, TE.CONCURRENT_TRANSACTIONS], timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await fn();
      if (!retriable.includes(codeOf(r)) || Date.now() > deadline) return r;
      await new Promise((res) => setTimeout(res, 20));
    }
  }
}

export interface SimulatedTxnCluster {
  readonly bootstrapServers: string[];
  readonly brokers: Broker[];
  readonly controller: Controller;
  readonly time: MockTime;
  /** Faults on the wire, shared by the brokers (e.g. hold back WriteTxnMarkers). */
  readonly faults: FaultInjector;
  createTopic(name: string, partitions: number): Promise<void>;
  deleteTopic(name: string): Promise<void>;
  close(): Promise<void>;
}

/** A controller and N in-memory brokers (ids 1..N) whose transaction coordinators run on `time`. */
export async function startSimulatedTxnCluster(time: MockTime, config: Properties = {}, count = 1): Promise<SimulatedTxnCluster> {
  const base: Properties = { 'default.replication.factor': Math.min(3, count), 'transaction.state.log.num.partitions': 3, ...config };
  const controller = new Controller({ host: '127.0.0.1', dataDir: null, config: base });
  await controller.start();
  const brokers: Broker[] = [];
  const faults = new FaultInjector(createLogger('faults'));
  try {
    for (let id = 1; id <= count; id++) {
      brokers.push(
        new Broker({ host: '127.0.0.1', port: 0, inMemory: true, config: { ...base, 'node.id': id }, controller: `127.0.0.1:${controller.port}`, transactionCoordinatorTime: time, faults }),
      );
    }
    await Promise.all(brokers.map((b) => b.start()));
  } catch (err) {
    await Promise.all(brokers.map((b) => b.stop()));
    await controller.stop();
    throw err;
  }
  const served = (name: string) => {
    const t = controller.image.topics.get(name);
    return t !== undefined && t.partitions.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length) && brokers.every((b) => b.image.offset >= controller.logEndOffset);
  };
  return {
    bootstrapServers: brokers.map((b) => `127.0.0.1:${b.port}`),
    brokers,
    controller,
    time,
    faults,
    async createTopic(name, partitions) {
      controller.createTopic(name, partitions, -1, [], {}, false);
      await until(() => served(name), `topic ${name} is served`);
    },
    async deleteTopic(name) {
      await brokers[0]!.deleteTopics([name]);
      await until(() => brokers.every((b) => !b.image.topics.has(name)), `topic ${name} is gone`);
    },
    async close() {
      await Promise.all(brokers.map((b) => b.stop()));
      await controller.stop();
    },
  };
}
