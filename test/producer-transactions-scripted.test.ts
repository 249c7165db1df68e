// The transactional producer's Sender against a scripted broker over TCP: the order of the
// coordinator requests (FindCoordinator key type 1, InitProducerId, AddPartitionsToTxn before the
// partition's first Produce, EndTxn once every batch is answered), what they carry, and the
// recovery paths a real broker gives only by chance: NOT_COORDINATOR (find it again),
// CONCURRENT_TRANSACTIONS (retry), a connection cut under EndTxn (find the coordinator again,
// resend), the group coordinator (key type 0) for TxnOffsetCommit.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Producer, ProducerFencedError } from '../src/index.js';
import * as M from '../src/protocol/messages/index.js';
import { Reader, Writer } from '../src/protocol/primitives.js';
import { decodeRecordBatches } from '../src/protocol/recordBatch.js';

interface Seen {
  apiKey: number;
  version: number;
  body: Record<string, unknown>;
}

/** Error codes to answer, per API key, in order (then 0); 'cut' closes the connection instead. */
type Script = Partial<Record<number, (number | 'cut')[]>>;

/** One broker (node 1) that is every partition's leader and every coordinator. */
async function scriptedBroker(script: Script, coordinators: { nodeId: number; port: number }[] = []) {
  const seen: Seen[] = [];
  let nextOffset = 0;
  const next = (apiKey: number): number | 'cut' => script[apiKey]?.shift() ?? 0;
  const server = net.createServer((socket) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        const apiKey = frame.readInt16BE(0);
        const version = frame.readInt16BE(2);
        const r = new Reader(frame);
        const header = M.decodeRequestHeader(r, M.requestHeaderVersion(apiKey, version));
        const w = new Writer();
        const size = w.reserveInt32();
        M.encodeResponseHeader(w, M.responseHeaderVersion(apiKey, version), { correlationId: header.correlationId });
        const port = (server.address() as net.AddressInfo).port;
        const record = (body: object) => seen.push({ apiKey, version, body: body as Record<string, unknown> });
        if (apiKey === 18) {
          M.decodeApiVersionsRequest(r, version);
          const apiKeys = [
            [0, 3, 9],
            [3, 1, 12],
            [10, 0, 4],
            [18, 0, 3],
            [22, 0, 4],
            [24, 0, 3],
            [25, 0, 3],
            [26, 0, 3],
            [28, 0, 3],
          ].map(([k, min, max]) => ({ apiKey: k!, minVersion: min!, maxVersion: max! }));
          M.encodeApiVersionsResponse(w, version, { errorCode: 0, apiKeys, throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1, finalizedFeatures: [], zkMigrationReady: false });
        } else if (apiKey === 3) {
          const req = M.decodeMetadataRequest(r, version);
          M.encodeMetadataResponse(w, version, {
            throttleTimeMs: 0,
            brokers: [{ nodeId: 1, host: '127.0.0.1', port, rack: null }],
            clusterId: 'scripted',
            controllerId: 1,
            topics: (req.topics ?? []).map((t) => ({
              errorCode: 0,
              name: t.name,
              topicId: Buffer.alloc(16),
              isInternal: false,
              partitions: [0, 1].map((i) => ({ errorCode: 0, partitionIndex: i, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] })),
              topicAuthorizedOperations: -2147483648,
            })),
            clusterAuthorizedOperations: -2147483648,
          });
        } else {
          const code = next(apiKey);
          if (code === 'cut') {
            seen.push({ apiKey, version, body: { cut: true } });
            socket.destroy();
            return;
          }
          if (apiKey === 10) {
            const req = M.decodeFindCoordinatorRequest(r, version);
            record(req);
            const c = coordinators.shift() ?? { nodeId: 1, port };
            M.encodeFindCoordinatorResponse(w, version, {
              throttleTimeMs: 0,
              errorCode: code,
              errorMessage: null,
              nodeId: c.nodeId,
              host: '127.0.0.1',
              port: c.port,
              coordinators: (req.coordinatorKeys ?? []).map((key) => ({ key, nodeId: c.nodeId, host: '127.0.0.1', port: c.port, errorCode: code, errorMessage: null })),
            });
          } else if (apiKey === 22) {
            record(M.decodeInitProducerIdRequest(r, version));
            M.encodeInitProducerIdResponse(w, version, { throttleTimeMs: 0, errorCode: code, producerId: code === 0 ? 4000 : -1, producerEpoch: code === 0 ? 3 : -1 });
          } else if (apiKey === 24) {
            const req = M.decodeAddPartitionsToTxnRequest(r, version);
            record(req);
            M.encodeAddPartitionsToTxnResponse(w, version, {
              throttleTimeMs: 0,
              errorCode: 0,
              resultsByTransaction: [],
              resultsByTopicV3AndBelow: req.v3AndBelowTopics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code })) })),
            });
          } else if (apiKey === 25) {
            record(M.decodeAddOffsetsToTxnRequest(r, version));
            M.encodeAddOffsetsToTxnResponse(w, version, { throttleTimeMs: 0, errorCode: code });
          } else if (apiKey === 28) {
            const req = M.decodeTxnOffsetCommitRequest(r, version);
            record(req);
            M.encodeTxnOffsetCommitResponse(w, version, {
              throttleTimeMs: 0,
              topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })),
            });
          } else if (apiKey === 26) {
            record(M.decodeEndTxnRequest(r, version));
            M.encodeEndTxnResponse(w, version, { throttleTimeMs: 0, errorCode: code });
          } else if (apiKey === 0) {
            const req = M.decodeProduceRequest(r, version);
            record(req);
            const responses = req.topicData.map((t) => ({
              name: t.name,
              partitionResponses: t.partitionData.map((p) => {
                const base = nextOffset;
                nextOffset += decodeRecordBatches(p.records!)[0]!.recordCount;
                return { index: p.index, errorCode: code, baseOffset: base, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null, currentLeader: { leaderId: -1, leaderEpoch: -1 } };
              }),
            }));
            M.encodeProduceResponse(w, version, { responses, throttleTimeMs: 0, nodeEndpoints: [] });
          } else {
            socket.destroy();
            return;
          }
        }
        w.patchInt32(size, w.length - 4);
        socket.write(w.toBuffer());
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const port = (server.address() as net.AddressInfo).port;
  /** API keys of the transactional and produce requests, in the order they came. */
  const order = () => seen.map((s) => (s.body.cut ? `cut:${s.apiKey}` : s.apiKey === 10 ? `find:${s.body.keyType}` : String(s.apiKey)));
  return { bootstrap: `127.0.0.1:${port}`, seen, order };
}

const servers: net.Server[] = [];
const producers: Producer[] = [];
afterEach(async () => {
  for (const p of producers.splice(0)) await p.close({ timeoutMs: 0 });
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

function txnProducer(bootstrap: string, id = 'scripted-tx'): Producer {
  const p = new Producer({ bootstrapServers: [bootstrap], transactionalId: id, retryBackoffMs: 5, lingerMs: 0 });
  producers.push(p);
  return p;
}

describe('transactional producer against a scripted broker', () => {
  it('request order and contents: FindCoordinator(1), InitProducerId, AddPartitionsToTxn before Produce, EndTxn last', async () => {
    const b = await scriptedBroker({});
    const p = txnProducer(b.bootstrap);
    await p.initTransactions();
    p.beginTransaction();
    await Promise.all([p.send({ topic: 't', partition: 0, value: 'a' }), p.send({ topic: 't', partition: 1, value: 'b' })]);
    await p.commitTransaction();
    expect(b.order()).toEqual(['find:1', '22', '24', '0', '26']);
    const [find, init, add, produce, end] = b.seen.map((s) => s.body) as any[];
    expect(find.coordinatorKeys[0] || find.key).toBe('scripted-tx');
    expect(init).toMatchObject({ transactionalId: 'scripted-tx', transactionTimeoutMs: 60000 });
    expect(add).toMatchObject({ v3AndBelowTransactionalId: 'scripted-tx', v3AndBelowProducerId: 4000, v3AndBelowProducerEpoch: 3 });
    expect(add.v3AndBelowTopics).toEqual([{ name: 't', partitions: [0, 1] }]); // one request for both partitions
    expect(produce.transactionalId).toBe('scripted-tx');
    const batches = produce.topicData[0].partitionData.flatMap((pd: any) => decodeRecordBatches(pd.records));
    expect(batches.map((x: any) => [x.isTransactional, x.producerId, x.producerEpoch, x.baseSequence])).toEqual([
      [true, 4000, 3, 0],
      [true, 4000, 3, 0],
    ]);
    expect(end).toMatchObject({ transactionalId: 'scripted-tx', producerId: 4000, producerEpoch: 3, committed: true });
    // Versions: the highest both sides serve, below transaction version 2.
    expect(Object.fromEntries(b.seen.map((s) => [s.apiKey, s.version]))).toMatchObject({ 10: 4, 22: 4, 24: 3, 26: 3 });
  });

  it('NOT_COORDINATOR re-finds the coordinator; CONCURRENT_TRANSACTIONS is retried; a cut under EndTxn re-finds and resends it', async () => {
    const b = await scriptedBroker({ 22: [16], 24: [51, 51], 26: ['cut'] });
    const p = txnProducer(b.bootstrap);
    await p.initTransactions();
    p.beginTransaction();
    await p.send({ topic: 't', value: 'a' });
    await p.commitTransaction();
    expect(b.order()).toEqual(['find:1', '22', 'find:1', '22', '24', '24', '24', '0', 'cut:26', 'find:1', '26']);
  });

  it('a coordinator that cannot be reached (not in metadata, connection refused) is looked up again', async () => {
    const dead = net.createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadPort = (dead.address() as net.AddressInfo).port;
    await new Promise((r) => dead.close(r)); // nothing listens there now
    const b = await scriptedBroker({}, [{ nodeId: 9, port: deadPort }]);
    const p = txnProducer(b.bootstrap);
    await p.initTransactions();
    expect(b.order()).toEqual(['find:1', 'find:1', '22']);
    expect(p.metrics().producerId).toBe(4000);
  });

  it('sendOffsetsToTransaction: AddOffsetsToTxn to the transaction coordinator, then FindCoordinator(0) and TxnOffsetCommit', async () => {
    const b = await scriptedBroker({ 28: [14] }); // COORDINATOR_LOAD_IN_PROGRESS once: retried
    const p = txnProducer(b.bootstrap);
    await p.initTransactions();
    p.beginTransaction();
    await p.sendOffsetsToTransaction([{ topic: 'in', partition: 2, offset: 42, metadata: 'm' }], { groupId: 'g', generationId: 5, memberId: 'member-1' });
    await p.commitTransaction();
    expect(b.order()).toEqual(['find:1', '22', '25', 'find:0', '28', '28', '26']);
    const commit = b.seen.find((s) => s.apiKey === 28)!.body as any;
    expect(commit).toMatchObject({ transactionalId: 'scripted-tx', groupId: 'g', producerId: 4000, producerEpoch: 3, generationId: 5, memberId: 'member-1' });
    expect(commit.topics[0].name).toBe('in');
    expect(commit.topics[0].partitions[0]).toMatchObject({ partitionIndex: 2, committedMetadata: 'm' });
    expect(Number(commit.topics[0].partitions[0].committedOffset)).toBe(42);
  });

  it('a transaction that wrote nothing sends no EndTxn; PRODUCER_FENCED on EndTxn is fatal', async () => {
    const b = await scriptedBroker({ 26: [90] });
    const p = txnProducer(b.bootstrap);
    await p.initTransactions();
    p.beginTransaction();
    await p.commitTransaction();
    expect(b.order()).toEqual(['find:1', '22']);
    p.beginTransaction();
    await p.send({ topic: 't', value: 'a' });
    await expect(p.commitTransaction()).rejects.toBeInstanceOf(ProducerFencedError);
    await expect(p.send({ topic: 't', value: 'b' })).rejects.toBeInstanceOf(ProducerFencedError);
    expect(b.order().slice(2)).toEqual(['24', '0', '26']);
  });
});
