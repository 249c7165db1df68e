// Issue 12, KIP-890 part 1 on the partition leader (transaction.partition.verification.enable):
// the verification guard of a Partition (a marker written while the coordinator is asked voids
// it), AddPartitionsToTxnManager's request and error translation against a stand-in
// coordinator speaking the Kafka protocol over TCP (the real coordinator is another part of this
// issue), and a broker's Produce answers when no coordinator is there or none is needed.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { LogConfig } from '../src/log/LogConfig.js';
import { UnifiedLog } from '../src/log/UnifiedLog.js';
import { createLogger } from '../src/logger.js';
import { defineApi } from '../src/network/Api.js';
import { Connection } from '../src/network/Connection.js';
import { NodeClient } from '../src/network/NodeClient.js';
import { RequestDispatcher } from '../src/network/RequestDispatcher.js';
import { buildEndTxnMarker } from '../src/protocol/controlRecords.js';
import { ErrorCode, KafkaError } from '../src/protocol/errors.js';
import {
  AddPartitionsToTxnApi,
  decodeAddPartitionsToTxnRequest,
  encodeAddPartitionsToTxnResponse,
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnResponse,
} from '../src/protocol/messages/AddPartitionsToTxn.js';
import { decodeProduceResponse, encodeProduceRequest } from '../src/protocol/messages/index.js';
import * as RB from '../src/protocol/recordBatch.js';
import { AddPartitionsToTxnManager, produceErrorForVerification, tpKey } from '../src/server/AddPartitionsToTxnManager.js';
import { Partition } from '../src/server/Partition.js';
import { RawClient } from './support/RawClient.js';

const log = createLogger('test');

function txnBatch(pid: number, seq: number, epoch = 0, transactional = true): Buffer {
  return RB.encodeRecordBatch({ baseTimestamp: Date.now(), producerId: pid, producerEpoch: epoch, baseSequence: seq, transactional, records: [{ key: null, value: Buffer.from('v'), timestamp: Date.now() }] });
}

function errorOf(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    return (err as KafkaError).code;
  }
  return ErrorCode.NONE;
}

describe('Partition: the verification guard', () => {
  function leader(): Partition {
    const p = new Partition('t', 0, UnifiedLog.open(null, new LogConfig({})), 1, () => {});
    p.applyState({ leader: 1, leaderEpoch: 0, partitionEpoch: 0, replicas: [1], isr: [1] }, 0);
    return p;
  }

  it('a verified first batch is appended; later batches of the open transaction need no guard', () => {
    const p = leader();
    const guard = p.maybeStartTransactionVerification(7, 0);
    expect(guard).not.toBeNull();
    p.appendRecordsToLeader(txnBatch(7, 0), 1, 'client', guard);
    expect(p.maybeStartTransactionVerification(7, 0)).toBeNull();
    p.appendRecordsToLeader(txnBatch(7, 1), 1, 'client', null);
    expect(p.log.logEndOffset).toBe(2);
  });

  it('a marker written while the coordinator was asked voids the guard: INVALID_TXN_STATE, nothing appended', () => {
    const p = leader();
    p.appendRecordsToLeader(txnBatch(7, 0), 1, 'client', p.maybeStartTransactionVerification(7, 0));
    const guard = p.maybeStartTransactionVerification(7, 0); // null: open
    expect(guard).toBeNull();
    p.appendRecordsToLeader(buildEndTxnMarker({ producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, commit: false, timestamp: Date.now() }), 1, 'coordinator');
    // the request verified against an open transaction now finds it ended
    expect(errorOf(() => p.appendRecordsToLeader(txnBatch(7, 1), 1, 'client', guard))).toBe(ErrorCode.INVALID_TXN_STATE);
    const fresh = p.maybeStartTransactionVerification(7, 0)!;
    p.appendRecordsToLeader(buildEndTxnMarker({ producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, commit: false, timestamp: Date.now() }), 1, 'coordinator');
    expect(errorOf(() => p.appendRecordsToLeader(txnBatch(7, 1), 1, 'client', fresh))).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(p.log.logEndOffset).toBe(3);
    // a guard handed out for another producer does not count
    const other = p.maybeStartTransactionVerification(8, 0)!;
    expect(errorOf(() => p.appendRecordsToLeader(txnBatch(7, 1), 1, 'client', other))).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it("an open transaction of an older epoch is not the new epoch's (Kafka's hasOngoingTransaction(producerId, producerEpoch))", () => {
    const p = leader();
    p.appendRecordsToLeader(txnBatch(7, 0, 0), 1, 'client', p.maybeStartTransactionVerification(7, 0));
    expect(p.maybeStartTransactionVerification(7, 0)).toBeNull();
    // epoch 1 must be verified: its first batch without a guard is refused, nothing appended
    expect(errorOf(() => p.appendRecordsToLeader(txnBatch(7, 0, 1), 1, 'client', null))).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(p.log.logEndOffset).toBe(1);
    const guard = p.maybeStartTransactionVerification(7, 1);
    expect(guard).not.toBeNull();
  });

  it('a leadership change voids guards handed out before it', () => {
    const p = leader();
    const guard = p.maybeStartTransactionVerification(3, 0)!;
    p.applyState({ leader: 1, leaderEpoch: 1, partitionEpoch: 1, replicas: [1], isr: [1] }, 0);
    expect(errorOf(() => p.appendRecordsToLeader(txnBatch(3, 0), 1, 'client', guard))).toBe(ErrorCode.INVALID_TXN_STATE);
  });
});

describe('produceErrorForVerification (Kafka 3.9 ReplicaManager.handleProduceAppend)', () => {
  it('retriable coordinator errors become NOT_ENOUGH_REPLICAS, INVALID_TXN_STATE gets its message, the rest pass through', () => {
    for (const code of [ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.NETWORK_EXCEPTION, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR]) {
      expect(produceErrorForVerification(code).code).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    }
    expect(produceErrorForVerification(ErrorCode.INVALID_TXN_STATE)).toEqual({ code: ErrorCode.INVALID_TXN_STATE, message: 'Partition was not added to the transaction' });
    expect(produceErrorForVerification(ErrorCode.INVALID_PRODUCER_EPOCH).code).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(produceErrorForVerification(ErrorCode.INVALID_PRODUCER_ID_MAPPING).code).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  });
});

describe('AddPartitionsToTxnManager against a stand-in coordinator', () => {
  let server: net.Server;
  let port: number;
  const seen: { version: number; req: AddPartitionsToTxnRequest }[] = [];
  let answer: (req: AddPartitionsToTxnRequest) => AddPartitionsToTxnResponse | 'close';
  const sockets = new Set<net.Socket>();

  beforeAll(async () => {
    const api = defineApi(AddPartitionsToTxnApi, [0, 5], { decodeRequest: decodeAddPartitionsToTxnRequest, encodeResponse: encodeAddPartitionsToTxnResponse }, (ctx, req) => {
      seen.push({ version: ctx.apiVersion, req });
      const a = answer(req);
      if (a === 'close') throw new Error('stand-in closes');
      return a;
    });
    const dispatcher = new RequestDispatcher({ apis: [api], makeContext: (b) => b, log, nodeId: 99 });
    server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      new Connection(socket, dispatcher, 1 << 20, log, () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const results = (req: AddPartitionsToTxnRequest, code: (topic: string, p: number) => number, top = 0): AddPartitionsToTxnResponse => ({
    throttleTimeMs: 0,
    errorCode: top,
    resultsByTopicV3AndBelow: [],
    resultsByTransaction: req.transactions.map((t) => ({
      transactionalId: t.transactionalId,
      topicResults: t.topics.map((tp) => ({ name: tp.name, resultsByPartition: tp.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code(tp.name, p) })) })),
    })),
  });

  function manager(coordinator = 5): AddPartitionsToTxnManager {
    return new AddPartitionsToTxnManager((id) => (id === 5 ? new NodeClient('127.0.0.1', port, 'verify-test', log) : null), () => coordinator, log, 5000);
  }

  it('sends AddPartitionsToTxn v4 verifyOnly for the transactional id, producer and partitions; all verified → no errors', async () => {
    answer = (req) => results(req, () => 0);
    const m = manager();
    const errors = await m.verifyTransaction('tid-1', 42, 3, [
      { topic: 'a', partition: 0 },
      { topic: 'a', partition: 2 },
      { topic: 'b', partition: 1 },
    ]);
    m.close();
    expect(errors.size).toBe(0);
    expect(seen.at(-1)).toEqual({
      version: 4,
      req: expect.objectContaining({
        transactions: [
          {
            transactionalId: 'tid-1',
            producerId: 42,
            producerEpoch: 3,
            verifyOnly: true,
            topics: [
              { name: 'a', partitions: [0, 2] },
              { name: 'b', partitions: [1] },
            ],
          },
        ],
      }),
    });
  });

  it("translates the coordinator's errors as Kafka's manager does", async () => {
    const m = manager();
    const parts = [
      { topic: 'a', partition: 0 },
      { topic: 'a', partition: 1 },
      { topic: 'a', partition: 2 },
      { topic: 'a', partition: 3 },
    ];
    const codes = [ErrorCode.NONE, ErrorCode.PRODUCER_FENCED, ErrorCode.TRANSACTION_ABORTABLE, ErrorCode.INVALID_TXN_STATE];
    answer = (req) => results(req, (_t, p) => codes[p]!);
    expect(await m.verifyTransaction('tid-2', 1, 0, parts)).toEqual(
      new Map([
        [tpKey('a', 1), ErrorCode.INVALID_PRODUCER_EPOCH],
        [tpKey('a', 2), ErrorCode.INVALID_TXN_STATE],
        [tpKey('a', 3), ErrorCode.INVALID_TXN_STATE],
      ]),
    );
    // Produce v11+ clients handle TRANSACTION_ABORTABLE (Kafka's genericErrorSupported): passed through.
    expect(await m.verifyTransaction('tid-2', 1, 0, parts, true)).toEqual(
      new Map([
        [tpKey('a', 1), ErrorCode.INVALID_PRODUCER_EPOCH],
        [tpKey('a', 2), ErrorCode.TRANSACTION_ABORTABLE],
        [tpKey('a', 3), ErrorCode.INVALID_TXN_STATE],
      ]),
    );
    answer = (req) => results(req, () => ErrorCode.NOT_COORDINATOR);
    expect([...(await m.verifyTransaction('tid-2', 1, 0, parts.slice(0, 1))).values()]).toEqual([ErrorCode.NOT_COORDINATOR]);
    answer = (req) => results(req, () => 0, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    expect([...(await m.verifyTransaction('tid-2', 1, 0, parts.slice(0, 2))).values()]).toEqual([ErrorCode.INVALID_TXN_STATE, ErrorCode.INVALID_TXN_STATE]);
    answer = () => 'close';
    expect([...(await m.verifyTransaction('tid-2', 1, 0, parts.slice(0, 1))).values()]).toEqual([ErrorCode.NETWORK_EXCEPTION]);
    m.close();
  });

  it('no live coordinator: COORDINATOR_NOT_AVAILABLE without a request', async () => {
    const before = seen.length;
    const m = manager(-1);
    expect([...(await m.verifyTransaction('tid-3', 1, 0, [{ topic: 'a', partition: 0 }])).values()]).toEqual([ErrorCode.COORDINATOR_NOT_AVAILABLE]);
    expect(seen.length).toBe(before);
    m.close();
  });
});

describe('a broker with verification on (the default)', () => {
  let cluster: Cluster;
  let c: RawClient;
  beforeAll(async () => {
    cluster = await startCluster();
    await cluster.createTopic('v', { partitions: 2 });
    c = await RawClient.connect(cluster.bootstrapServers[0]!);
  });
  afterAll(async () => {
    c?.close();
    await cluster?.close();
  });

  const produce = async (transactionalId: string | null, parts: { index: number; records: Buffer }[]) => {
    const res = await c.request(0, 9, encodeProduceRequest, decodeProduceResponse, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: 'v', partitionData: parts }] });
    return res.responses[0]!.partitionResponses.map((p) => ({ errorCode: p.errorCode, baseOffset: Number(p.baseOffset), errorMessage: p.errorMessage }));
  };

  it('without a transaction coordinator, a transaction cannot start: NOT_ENOUGH_REPLICAS (retriable), nothing appended', async () => {
    const [r] = await produce('tx-a', [{ index: 0, records: txnBatch(100, 0) }]);
    expect(r!.errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect(r!.errorMessage).toContain('COORDINATOR_NOT_AVAILABLE');
    expect(cluster.brokers[0]!.replicaManager.getPartition('v', 0)!.log.logEndOffset).toBe(0);
  });

  it('a producer whose transaction is already open in the partition is appended without asking', async () => {
    const p = cluster.brokers[0]!.replicaManager.getPartition('v', 1)!;
    p.appendRecordsToLeader(txnBatch(200, 0), 1); // opened before (verification is the produce path's)
    const [r] = await produce('tx-b', [{ index: 1, records: txnBatch(200, 1) }]);
    expect(r).toMatchObject({ errorCode: 0, baseOffset: 1 });
  });

  it('transactional records need a transactional id and one producer id per request', async () => {
    expect((await produce(null, [{ index: 1, records: txnBatch(200, 2) }]))[0]!.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const two = await produce('tx-b', [
      { index: 0, records: txnBatch(300, 0) },
      { index: 1, records: txnBatch(200, 2) },
    ]);
    expect(two.map((r) => r.errorCode)).toEqual([ErrorCode.INVALID_PRODUCER_ID_MAPPING, ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
    // plain records in a request of a transactional id are not verified
    const plain = await produce('tx-b', [{ index: 0, records: RB.encodeRecordBatch({ baseTimestamp: Date.now(), records: [{ key: null, value: Buffer.from('x'), timestamp: Date.now() }] }) }]);
    expect(plain[0]!.errorCode).toBe(0);
  });
});
