// The controller applies a metadata change only once its metadata log holds it durably
// (issue 10 item 2). A write or fsync that fails (the LogIO write-fault seam stands in for a
// full or failing disk) is rolled back: the admin request gets KAFKA_STORAGE_ERROR, neither the
// controller's image nor any broker ever sees the change, and a retry creates the topic once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/cluster.js';
import { clearWriteFaults, injectWriteFault } from '../src/log/LogIO.js';
import { ErrorCode, KafkaError } from '../src/protocol/errors.js';
import * as M from '../src/protocol/messages/index.js';
import { decodeRecordBatches } from '../src/protocol/recordBatch.js';
import { Controller, METADATA_TOPIC } from '../src/replication/Controller.js';
import type { MetadataRecord } from '../src/replication/MetadataImage.js';
import { MockTime } from '../src/util/Time.js';
import { RawClient } from './support/RawClient.js';

const dirs: string[] = [];
const controllers: Controller[] = [];
let cluster: Cluster | null = null;

afterEach(async () => {
  clearWriteFaults();
  await cluster?.close();
  cluster = null;
  for (const c of controllers.splice(0)) await c.stop();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-controller-'));
  dirs.push(d);
  return d;
}

function open(dataDir: string, time?: MockTime): Controller {
  const c = new Controller({ dataDir, time });
  controllers.push(c);
  return c;
}

/** Make `ops` on the metadata log's files fail as a full disk does. */
function failMetadataLog(...ops: ('write' | 'fsync' | 'truncate')[]): void {
  const site = { write: 'segment', fsync: 'fsync', truncate: 'segment-truncate' } as const;
  for (const op of ops) injectWriteFault({ site: site[op], pathIncludes: `${METADATA_TOPIC}-0`, times: Infinity });
}

/** Every record a broker can fetch from the controller, from offset 0, with its offset. */
async function committedRecords(c: Controller): Promise<{ offset: number; record: MetadataRecord }[]> {
  const out: { offset: number; record: MetadataRecord }[] = [];
  let offset = 0;
  for (;;) {
    const r = await c.readMetadata(offset, 1 << 20, 0);
    expect(r.errorCode).toBe(ErrorCode.NONE);
    if (!r.records || r.records.length === 0) return out;
    for (const b of decodeRecordBatches(r.records)) {
      for (const rec of b.records) {
        out.push({ offset: rec.offset, record: JSON.parse(rec.value!.toString('utf8')) as MetadataRecord });
        offset = rec.offset + 1;
      }
    }
  }
}

async function topicRecords(c: Controller, name: string): Promise<string[]> {
  return (await committedRecords(c)).flatMap(({ record }) => (record.type === 'topic' && record.name === name ? [record.topicId] : []));
}

function registerLive(c: Controller, id: number): void {
  const epoch = c.registerBroker(id, '127.0.0.1', 9000 + id, null);
  expect(c.heartbeat(id, epoch, c.logEndOffset, false).fenced).toBe(false);
}

function storageErrorOf(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(KafkaError);
    return (err as KafkaError).code;
  }
  return ErrorCode.NONE;
}

describe('a metadata change is applied only once durable', () => {
  for (const op of ['write', 'fsync'] as const) {
    it(`a CreateTopics whose ${op} fails is rolled back with KAFKA_STORAGE_ERROR; the retry creates the topic once, and a restart replays it once`, async () => {
      const dataDir = tempDir();
      const c = open(dataDir);
      registerLive(c, 1);
      const end = c.logEndOffset;
      failMetadataLog(op);
      expect(storageErrorOf(() => c.createTopic('orders', 3, 1, [], {}, false))).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
      expect(c.image.topics.has('orders')).toBe(false);
      expect(c.logEndOffset).toBe(end);
      expect((await c.readMetadata(end, 1 << 20, 0)).records).toBeNull();
      expect(await topicRecords(c, 'orders')).toEqual([]);

      clearWriteFaults();
      const created = c.createTopic('orders', 3, 1, [], {}, false);
      expect(c.image.topics.get('orders')?.topicId).toBe(created.topicId);
      expect(await topicRecords(c, 'orders')).toEqual([created.topicId]);
      // The change landed where the failed one would have: nothing of it is left in between.
      expect((await committedRecords(c)).find(({ record }) => record.type === 'topic')?.offset).toBe(end);

      await c.stop();
      const again = open(dataDir);
      expect(again.image.topics.get('orders')?.topicId).toBe(created.topicId);
      expect(await topicRecords(again, 'orders')).toEqual([created.topicId]);
    });
  }

  it('when the rollback fails too, the tail is never served, the next change overwrites it, and a restart drops it', async () => {
    const dataDir = tempDir();
    const c = open(dataDir);
    registerLive(c, 1);
    const end = c.logEndOffset;
    failMetadataLog('fsync', 'truncate');
    expect(storageErrorOf(() => c.createTopic('orders', 1, 1, [], {}, false))).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(c.logEndOffset).toBe(end);
    expect((await c.readMetadata(end, 1 << 20, 0)).records).toBeNull();

    clearWriteFaults();
    c.createTopic('payments', 1, 1, [], {}, false);
    const records = await committedRecords(c);
    expect(records.filter(({ record }) => record.type === 'topic').map(({ offset, record }) => [offset, (record as { name: string }).name])).toEqual([[end, 'payments']]);

    // Fail again, and shut down while the tail cannot be truncated: the next open drops it.
    const end2 = c.logEndOffset;
    failMetadataLog('fsync', 'truncate');
    expect(storageErrorOf(() => c.createTopic('orders', 1, 1, [], {}, false))).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    await c.stop();
    clearWriteFaults();
    const again = open(dataDir);
    expect(again.logEndOffset).toBe(end2);
    expect(again.image.topics.has('orders')).toBe(false);
    expect(again.image.topics.has('payments')).toBe(true);
    expect(await topicRecords(again, 'orders')).toEqual([]);
  });

  it('a failing heartbeat or producer id allocation keeps the state unchanged and can be retried', async () => {
    const c = open(tempDir());
    const epoch = c.registerBroker(1, '127.0.0.1', 9001, null);
    failMetadataLog('fsync');
    expect(storageErrorOf(() => c.heartbeat(1, epoch, c.logEndOffset, false))).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(c.image.isLive(1)).toBe(false);
    expect(storageErrorOf(() => c.allocateProducerIds())).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    clearWriteFaults();
    expect(c.heartbeat(1, epoch, c.logEndOffset, false).fenced).toBe(false);
    expect(c.allocateProducerIds().start).toBe(0);
  });
});

describe('brokers waiting for metadata', () => {
  it('a parked metadata fetch is not woken by a change that was rolled back, and gets the one committed after it', async () => {
    const time = new MockTime();
    const c = open(tempDir(), time);
    registerLive(c, 1);
    const end = c.logEndOffset;
    let answered = false;
    const parked = c.readMetadata(end, 1 << 20, 5000).then((r) => ((answered = true), r));
    failMetadataLog('fsync');
    expect(storageErrorOf(() => c.createTopic('orders', 1, 1, [], {}, false))).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    await time.advance(100);
    expect(answered).toBe(false);
    clearWriteFaults();
    const created = c.createTopic('orders', 1, 1, [], {}, false);
    const r = await parked;
    const records = decodeRecordBatches(r.records!).flatMap((b) => b.records.map((x) => JSON.parse(x.value!.toString('utf8')) as MetadataRecord));
    expect(records.filter((x) => x.type === 'topic')).toEqual([{ type: 'topic', name: 'orders', topicId: created.topicId, configs: {} }]);
  });
});

describe('CreateTopics through a broker on a failing metadata disk', () => {
  it('answers KAFKA_STORAGE_ERROR on an open connection, no broker ever sees the topic, and the retry creates it once', async () => {
    cluster = await startCluster({ brokers: 2 });
    const c = cluster.controller;
    const client = await RawClient.connect(cluster.bootstrapServers[0]!);
    const createOrders = () =>
      client.request(M.CreateTopicsApi.key, 7, M.encodeCreateTopicsRequest, M.decodeCreateTopicsResponse, {
        ...M.defaultCreateTopicsRequest(),
        timeoutMs: 10_000,
        topics: [{ name: 'orders', numPartitions: 2, replicationFactor: 2, assignments: [], configs: [] }],
      });
    const partitionDirs = () => cluster!.brokers.flatMap((b) => fs.readdirSync(b.dataDir!).filter((n) => n.startsWith('orders-')));
    try {
      failMetadataLog('fsync');
      const failed = await createOrders();
      expect(failed.topics[0]).toMatchObject({ name: 'orders', errorCode: ErrorCode.KAFKA_STORAGE_ERROR });
      // Every broker is caught up with everything the controller committed, and knows nothing of it.
      await Promise.all(cluster.brokers.map((b) => b.waitFor(() => b.image.offset >= c.logEndOffset, 5000, 'caught up')));
      for (const b of cluster.brokers) expect(b.image.topics.has('orders')).toBe(false);
      expect(partitionDirs()).toEqual([]);
      expect(await topicRecords(c, 'orders')).toEqual([]);

      clearWriteFaults();
      const created = await createOrders(); // the same connection: it was never closed
      expect(created.topics[0]).toMatchObject({ name: 'orders', errorCode: ErrorCode.NONE, numPartitions: 2 });
      const topicId = created.topics[0]!.topicId.toString('hex');
      expect(await topicRecords(c, 'orders')).toEqual([topicId]);
      await cluster.waitForReplication('orders');
      for (const b of cluster.brokers) expect(b.image.topics.get('orders')?.topicId).toBe(topicId);
      expect(partitionDirs().sort()).toEqual(['orders-0', 'orders-0', 'orders-1', 'orders-1']);
      // The committed log holds one creation and no removal: no broker had a reason to delete a partition.
      expect((await committedRecords(c)).filter(({ record }) => record.type === 'removeTopic')).toEqual([]);
    } finally {
      client.close();
    }
  });
});
