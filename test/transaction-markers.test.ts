// The transaction coordinator's marker channel (TransactionMarkerChannelManager) against scripted
// partition leaders over real TCP: two small Kafka-protocol servers that decode every
// WriteTxnMarkers request with the generated codecs and answer each partition as the test says.
// It checks what the channel sends (v1, one request per broker carrying every queued marker,
// producer id/epoch, result, coordinator epoch) and what it does with the answers: retriable
// errors and unknown leaders are sent again (to the current leader) after the retry backoff on
// its clock (a MockTime, advanced by the test), partitions of deleted topics leave the
// transaction, a fenced answer stops the transaction's markers, and `done` runs once, after
// the last partition is written.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { NodeClient } from '../src/network/NodeClient.js';
import { decodeWriteTxnMarkersRequest, encodeWriteTxnMarkersResponse, type WriteTxnMarkersRequest } from '../src/protocol/messages/WriteTxnMarkers.js';
import { Reader, Writer } from '../src/protocol/primitives.js';
import { TxnState } from '../src/server/transaction/TransactionLog.js';
import { RETRY_BACKOFF_MS, TransactionMarkerChannelManager, type PendingCompleteTxn } from '../src/server/transaction/TransactionMarkerChannelManager.js';
import { tpKey, TransactionMetadata } from '../src/server/transaction/TransactionMetadata.js';
import { MockTime } from '../src/util/Time.js';
import { until } from './support/coordinator.js';

const E = { NONE: 0, NOT_LEADER_OR_FOLLOWER: 6, INVALID_PRODUCER_EPOCH: 47, TRANSACTION_COORDINATOR_FENCED: 52 };

interface Received {
  version: number;
  request: WriteTxnMarkersRequest;
}

/** A partition leader that answers WriteTxnMarkers per partition with `answer(topic, partition)`. */
class ScriptedLeader {
  readonly received: Received[] = [];
  answer: (topic: string, partition: number) => number = () => E.NONE;
  /** Drop the next N connections' requests by closing the socket. */
  hangUps = 0;
  private readonly server: net.Server;
  port = 0;

  constructor() {
    this.server = net.createServer((socket) => {
      let buf = Buffer.alloc(0);
      socket.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
          const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
          buf = buf.subarray(4 + frame.length);
          if (this.hangUps > 0) {
            this.hangUps--;
            socket.destroy();
            return;
          }
          this.handle(socket, frame);
        }
      });
      socket.on('error', () => {});
    });
  }

  private handle(socket: net.Socket, frame: Buffer): void {
    const r = new Reader(frame);
    const apiKey = r.int16();
    const version = r.int16();
    const correlationId = r.int32();
    r.nullableString();
    r.skipTaggedFields(); // request header v2 (WriteTxnMarkers v1 is flexible)
    expect(apiKey).toBe(27);
    const request = decodeWriteTxnMarkersRequest(r, version);
    this.received.push({ version, request });
    const w = new Writer();
    w.int32(correlationId).emptyTaggedFields();
    encodeWriteTxnMarkersResponse(w, version, {
      markers: request.markers.map((m) => ({
        producerId: m.producerId,
        topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode: this.answer(t.name, p) })) })),
      })),
    });
    const body = w.toBuffer();
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length);
    socket.write(Buffer.concat([size, body]));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  close(): void {
    this.server.close();
  }
}

const log = createLogger('markers-test');
let leaders: ScriptedLeader[];
let time: MockTime;
/** topic → leader of each partition (-1: none). */
let topics: Map<string, { partitions: { leader: number }[] }>;
let channel: TransactionMarkerChannelManager;
let seq = 0;

beforeAll(async () => {
  leaders = [new ScriptedLeader(), new ScriptedLeader()];
  await Promise.all(leaders.map((l) => l.listen()));
});

afterAll(() => {
  channel?.close();
  for (const l of leaders) l.close();
});

function freshChannel(): void {
  channel?.close();
  time = new MockTime();
  for (const l of leaders) {
    l.received.length = 0;
    l.answer = () => E.NONE;
  }
  topics = new Map();
  const brokers = new Map(leaders.map((l, i) => [i + 1, { nodeId: i + 1, host: '127.0.0.1', port: l.port, rack: null, epoch: 0, fenced: false }]));
  const image = { brokers, topics } as unknown as ConstructorParameters<typeof TransactionMarkerChannelManager>[0]['image'];
  channel = new TransactionMarkerChannelManager({ image, clientFor: (id) => new NodeClient('127.0.0.1', brokers.get(id)!.port, 'markers-test', log) }, log, time);
}

/** An Ongoing-turned-PrepareCommit transaction over `partitions`, with a done counter. */
function txn(partitions: [string, number][], o: { commit?: boolean; current?: () => boolean } = {}) {
  const m = new TransactionMetadata(`t-${++seq}`, { producerId: 1000 + seq, producerEpoch: 3, timeoutMs: 60_000, state: TxnState.PrepareCommit, startMs: 0, lastUpdateMs: 0 });
  for (const [t, p] of partitions) m.partitions.add(tpKey(t, p));
  const state = { done: 0 };
  const pending: PendingCompleteTxn = {
    metadata: m,
    txnPartition: 0,
    coordinatorEpoch: 7,
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    commit: o.commit ?? true,
    current: o.current ?? (() => true),
    done: () => void state.done++,
  };
  return { m, state, pending };
}

const sent = () => leaders.map((l) => l.received.length);

describe('the WriteTxnMarkers channel', () => {
  it('sends v1, one request per broker with every queued marker, and completes each transaction once all its partitions are written', async () => {
    freshChannel();
    topics.set('a', { partitions: [{ leader: 1 }, { leader: 2 }] });
    topics.set('b', { partitions: [{ leader: 1 }] });
    const t1 = txn([
      ['a', 0],
      ['a', 1],
      ['b', 0],
    ]);
    const t2 = txn([['a', 0]], { commit: false });
    channel.addTxnMarkersToSend(t1.pending);
    channel.addTxnMarkersToSend(t2.pending);
    await until(() => t1.state.done === 1 && t2.state.done === 1, 'both transactions complete');
    expect(sent()).toEqual([1, 1]);
    const toOne = leaders[0]!.received[0]!;
    expect(toOne.version).toBe(1);
    expect(toOne.request.markers).toEqual([
      { producerId: t1.m.producerId, producerEpoch: 3, transactionResult: true, coordinatorEpoch: 7, topics: [{ name: 'a', partitionIndexes: [0] }, { name: 'b', partitionIndexes: [0] }] },
      { producerId: t2.m.producerId, producerEpoch: 3, transactionResult: false, coordinatorEpoch: 7, topics: [{ name: 'a', partitionIndexes: [0] }] },
    ]);
    expect(leaders[1]!.received[0]!.request.markers).toEqual([
      { producerId: t1.m.producerId, producerEpoch: 3, transactionResult: true, coordinatorEpoch: 7, topics: [{ name: 'a', partitionIndexes: [1] }] },
    ]);
    expect(t1.m.partitions.size).toBe(0);
    expect(channel.pendingTransactions).toBe(0);
  });

  it('a retriable error is sent again after the backoff, to the current leader', async () => {
    freshChannel();
    topics.set('a', { partitions: [{ leader: 1 }, { leader: 1 }] });
    leaders[0]!.answer = (_t, p) => (p === 1 ? E.NOT_LEADER_OR_FOLLOWER : E.NONE);
    const t = txn([
      ['a', 0],
      ['a', 1],
    ]);
    channel.addTxnMarkersToSend(t.pending);
    await until(() => sent()[0] === 1, 'the first request is answered');
    await until(() => t.m.partitions.size === 1, 'a-0 is written');
    expect(t.state.done).toBe(0);
    topics.get('a')!.partitions[1]!.leader = 2; // the leader moved
    await time.advance(RETRY_BACKOFF_MS - 1);
    expect(sent()).toEqual([1, 0]);
    await time.advance(1);
    await until(() => t.state.done === 1, 'the transaction completes');
    expect(leaders[1]!.received[0]!.request.markers[0]!.topics).toEqual([{ name: 'a', partitionIndexes: [1] }]);
  });

  it('a partition without a leader waits for one; a failed request is sent again', async () => {
    freshChannel();
    topics.set('a', { partitions: [{ leader: -1 }] });
    const t = txn([['a', 0]]);
    channel.addTxnMarkersToSend(t.pending);
    await time.advance(RETRY_BACKOFF_MS * 3);
    expect(sent()).toEqual([0, 0]);
    topics.get('a')!.partitions[0]!.leader = 1;
    leaders[0]!.hangUps = 1;
    await time.advance(RETRY_BACKOFF_MS);
    await until(() => leaders[0]!.hangUps === 0, 'the leader hangs up');
    // The failed request is queued again on the channel's clock once the client sees the socket close.
    await until(() => time.pending === 1, 'the failed request to be queued for a retry');
    expect(t.state.done).toBe(0);
    expect(sent()).toEqual([0, 0]);
    await time.advance(RETRY_BACKOFF_MS);
    await until(() => t.state.done === 1, 'the transaction completes');
    expect(sent()).toEqual([1, 0]);
  });

  it('partitions of deleted topics leave the transaction without a marker', async () => {
    freshChannel();
    topics.set('a', { partitions: [{ leader: 1 }] });
    const gone = txn([
      ['deleted', 0],
      ['a', 5],
    ]);
    channel.addTxnMarkersToSend(gone.pending);
    expect(gone.state.done).toBe(1);
    expect(sent()).toEqual([0, 0]);
  });

  it('INVALID_PRODUCER_EPOCH or TRANSACTION_COORDINATOR_FENCED stops the transaction; a coordinator that moved sends nothing', async () => {
    freshChannel();
    topics.set('a', { partitions: [{ leader: 1 }, { leader: 1 }] });
    leaders[0]!.answer = (_t, p) => (p === 0 ? E.TRANSACTION_COORDINATOR_FENCED : E.NONE);
    const fenced = txn([
      ['a', 0],
      ['a', 1],
    ]);
    channel.addTxnMarkersToSend(fenced.pending);
    await until(() => sent()[0] === 1 && channel.pendingTransactions === 0, 'the channel gives up');
    await time.advance(RETRY_BACKOFF_MS * 5);
    expect(sent()[0]).toBe(1);
    expect(fenced.state.done).toBe(0);

    const moved = txn([['a', 1]], { current: () => false });
    channel.addTxnMarkersToSend(moved.pending);
    await new Promise((r) => setTimeout(r, 20));
    expect(sent()[0]).toBe(1);
    expect(moved.state.done).toBe(0);
    expect(channel.pendingTransactions).toBe(0);
  });
});
