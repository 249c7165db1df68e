// The transaction coordinator across brokers and restarts, over TCP with raw requests:
// - a coordinator crash in PrepareCommit: the new leader of the __transaction_state partition
//   loads the transaction from the replicated log, still PrepareCommit with its producer and
//   partitions, and sends its markers again (then completes it once they are written);
// - the state of transactional ids (producer id, epoch, Ongoing partitions) survives a graceful
//   restart and a crash of a single broker, and an ongoing transaction found after restart can be
//   ended.
// Markers are held back with a disconnect fault on WriteTxnMarkers so that a transaction stays in
// PrepareCommit, then released.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { partitionForGroup } from '../src/server/group/GroupMetadataRecords.js';
import { TRANSACTION_STATE_TOPIC } from '../src/server/transaction/TransactionLog.js';
import { until } from './support/coordinator.js';
import { TE, TxnClient } from './support/transactions.js';

const TOPIC = 'payments';
const open: { cluster?: Cluster; clients: TxnClient[]; dirs: string[] } = { clients: [], dirs: [] };

afterEach(async () => {
  for (const c of open.clients) c.close();
  open.clients = [];
  await open.cluster?.close();
  open.cluster = undefined;
  for (const d of open.dirs) fs.rmSync(d, { recursive: true, force: true });
  open.dirs = [];
});

async function connect(bootstrap: string): Promise<TxnClient> {
  const c = await TxnClient.connect(bootstrap);
  open.clients.push(c);
  return c;
}

/** A client connected to the coordinator of `id`. */
async function coordinatorClient(cluster: Cluster, id: string): Promise<{ client: TxnClient; nodeId: number }> {
  const any = await connect(cluster.bootstrapServers[0]!);
  const nodeId = await any.waitForCoordinator(id);
  const index = cluster.brokers.findIndex((b) => b.nodeId === nodeId);
  return { client: await connect(cluster.bootstrapServers[index]!), nodeId };
}

/**
 * Run a request at the coordinator of `id` as clients do: while it answers NOT_COORDINATOR or
 * COORDINATOR_NOT_AVAILABLE (leadership moved, e.g. a broker fenced under load), find the
 * coordinator again; loading and CONCURRENT_TRANSACTIONS are retried at the same broker.
 */
async function atCoordinator<T>(cluster: Cluster, id: string, fn: (c: TxnClient) => Promise<T>, codeOf: (r: T) => number) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const at = await coordinatorClient(cluster, id);
    const r = await at.client.retrying(() => fn(at.client), codeOf, [14, TE.CONCURRENT_TRANSACTIONS]);
    if (![15, 16].includes(codeOf(r)) || Date.now() > deadline) return { ...at, result: r };
  }
}

async function init(client: TxnClient, id: string) {
  const res = await client.retrying(() => client.initProducerId(id), (r) => r.errorCode);
  expect(res.errorCode).toBe(TE.NONE);
  return { producerId: res.producerId, epoch: res.producerEpoch };
}

describe('coordinator failover', () => {
  it('a coordinator crash in PrepareCommit: the new coordinator loads it from the replicated log and sends its markers again', async () => {
    const cluster = (open.cluster = await startCluster({ brokers: 3, config: { 'transaction.state.log.num.partitions': 3 } }));
    await cluster.createTopic(TOPIC, { partitions: 2 });
    const id = 'failover-txn';
    await coordinatorClient(cluster, id); // creates __transaction_state
    const txnPartition = partitionForGroup(id, 3);
    await cluster.waitForReplication(TRANSACTION_STATE_TOPIC);
    const { client, nodeId: first, result } = await atCoordinator(cluster, id, (c) => c.initProducerId(id), (r) => r.errorCode);
    expect(result.errorCode).toBe(TE.NONE);
    const p = { producerId: result.producerId, epoch: result.producerEpoch };
    expect(await client.addPartitions(id, p.producerId, p.epoch, { [TOPIC]: [0, 1] })).toEqual({ [`${TOPIC}-0`]: TE.NONE, [`${TOPIC}-1`]: TE.NONE });
    const hold = cluster.faults.add({ api: 'WriteTxnMarkers', action: 'disconnect', times: Infinity });
    expect(await client.endTxn(id, p.producerId, p.epoch, true)).toBe(TE.NONE);
    const coordinatorBroker = cluster.brokers.find((b) => b.nodeId === first)!;
    await until(() => coordinatorBroker.transactionCoordinator.markers.requestsSent > 0, 'the first coordinator sends markers');
    expect((await client.describe(id)).transactionState).toBe('PrepareCommit');

    await cluster.stopBroker(first, { crash: true });
    await until(() => cluster.leaderOf(TRANSACTION_STATE_TOPIC, txnPartition) >= 0 && cluster.leaderOf(TRANSACTION_STATE_TOPIC, txnPartition) !== first, 'a new coordinator is elected');
    const second = cluster.leaderOf(TRANSACTION_STATE_TOPIC, txnPartition);
    const next = cluster.brokers.find((b) => b.nodeId === second)!;
    const nextClient = await connect(cluster.bootstrapServers[cluster.brokers.indexOf(next)]!);
    const loaded = await nextClient.retrying(() => nextClient.describe(id), (d) => d.errorCode);
    expect(loaded).toMatchObject({ errorCode: TE.NONE, transactionState: 'PrepareCommit', producerId: p.producerId, producerEpoch: p.epoch });
    expect(loaded.topics).toEqual([{ topic: TOPIC, partitions: [0, 1] }]);
    await until(() => next.transactionCoordinator.markers.requestsSent > 0, 'the new coordinator sends the markers again');
    // Still completing: the producer's next requests wait.
    expect(await nextClient.endTxn(id, p.producerId, p.epoch, true)).toBe(TE.CONCURRENT_TRANSACTIONS);

    cluster.faults.remove(hold);
    await until(() => next.transactionCoordinator.describeTransaction(id).transactionState === 'CompleteCommit', 'the commit completes', 30_000);
    // A retry of the commit is answered NONE by whoever coordinates the id now.
    const now = await coordinatorClient(cluster, id);
    expect(await now.client.retrying(() => now.client.endTxn(id, p.producerId, p.epoch, true), (c) => c)).toBe(TE.NONE);
    await cluster.startBroker(first);
  });
});

describe('restart and recovery', () => {
  for (const crash of [false, true]) {
    it(`transactional ids and an ongoing transaction survive ${crash ? 'a crash' : 'a restart'}`, async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-txn-'));
      open.dirs.push(dataDir);
      let cluster = (open.cluster = await startCluster({ dataDir, config: { 'transaction.state.log.num.partitions': 2 } }));
      await cluster.createTopic(TOPIC, { partitions: 1 });
      const port = Number(cluster.bootstrapServers[0]!.split(':')[1]);
      let client = await connect(cluster.bootstrapServers[0]!);
      await client.waitForCoordinator('a');
      const a = await init(client, 'a');
      const a2 = await init(client, 'a'); // epoch 1
      const b = await init(client, 'b');
      expect(await client.addPartitions('b', b.producerId, b.epoch, { [TOPIC]: [0] })).toEqual({ [`${TOPIC}-0`]: TE.NONE });

      if (crash) {
        await cluster.stopBroker(cluster.brokers[0]!.nodeId, { crash: true });
        await cluster.close();
      } else {
        await cluster.close();
      }
      cluster = open.cluster = await startCluster({ dataDir, port, config: { 'transaction.state.log.num.partitions': 2 } });
      client = await connect(cluster.bootstrapServers[0]!);
      await client.waitForCoordinator('a');
      const da = await client.retrying(() => client.describe('a'), (d) => d.errorCode);
      expect(da).toMatchObject({ errorCode: TE.NONE, transactionState: 'Empty', producerId: a.producerId, producerEpoch: a2.epoch });
      expect(await client.describe('b')).toMatchObject({ transactionState: 'Ongoing', producerId: b.producerId, producerEpoch: b.epoch, topics: [{ topic: TOPIC, partitions: [0] }] });
      // The next epoch follows the stored one; the ongoing transaction can be ended.
      expect(await client.initProducerId('a')).toMatchObject({ errorCode: TE.NONE, producerId: a.producerId, producerEpoch: a2.epoch + 1 });
      expect(await client.endTxn('b', b.producerId, b.epoch, false)).toBe(TE.NONE);
      expect(['PrepareAbort', 'CompleteAbort']).toContain((await client.describe('b')).transactionState);
      // A new producer id is still fresh (the id blocks come from the controller's log).
      const c = await init(client, 'c');
      expect([a.producerId, b.producerId]).not.toContain(c.producerId);
    });
  }
});

describe('a restarted coordinator completes what it finds in PrepareCommit', () => {
  it('without any request for the transactional id, it sends the markers on load', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-txn-'));
    open.dirs.push(dataDir);
    const config = { 'transaction.state.log.num.partitions': 2 };
    let cluster = (open.cluster = await startCluster({ dataDir, config }));
    await cluster.createTopic(TOPIC, { partitions: 1 });
    const port = Number(cluster.bootstrapServers[0]!.split(':')[1]);
    const client = await connect(cluster.bootstrapServers[0]!);
    await client.waitForCoordinator('pending');
    const p = await init(client, 'pending');
    expect(await client.addPartitions('pending', p.producerId, p.epoch, { [TOPIC]: [0] })).toEqual({ [`${TOPIC}-0`]: TE.NONE });
    cluster.faults.add({ api: 'WriteTxnMarkers', action: 'disconnect', times: Infinity });
    expect(await client.endTxn('pending', p.producerId, p.epoch, true)).toBe(TE.NONE);
    await cluster.stopBroker(cluster.brokers[0]!.nodeId, { crash: true });
    await cluster.close();

    cluster = open.cluster = await startCluster({ dataDir, port, config });
    const broker = cluster.brokers[0]!;
    // No client asks about 'pending': the load alone resends its markers and completes it.
    await until(() => broker.transactionCoordinator.describeTransaction('pending').transactionState === 'CompleteCommit', 'the commit completes');
  });
});
