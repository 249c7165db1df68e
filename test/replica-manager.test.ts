// ReplicaManager in simulated time (MockTime): a parked Fetch answers at max.wait.ms and not
// before, an append wakes it early, and the periodic pass drops a silent follower from the ISR
// after replica.lag.time.max.ms — no sleeps, no sockets.
import { createLogger } from '../src/logger.js';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/protocol/errors.js';
import * as RB from '../src/protocol/recordBatch.js';
import { MetadataImage } from '../src/replication/MetadataImage.js';
import { KafkaConfig } from '../src/common/KafkaConfig.js';
import type { IsrProposal } from '../src/server/Partition.js';
import { ReplicaManager, type FetchPartitionResult } from '../src/server/ReplicaManager.js';
import { MockTime } from '../src/util/Time.js';

async function setup() {
  const time = new MockTime();
  const proposals: IsrProposal[] = [];
  const rm = new ReplicaManager(
    { nodeId: 1, dataDir: null, config: new KafkaConfig({ 'replica.lag.time.max.ms': 1000 }), replicaClient: () => null, proposeIsr: (_p, prop) => proposals.push(prop), time },
    createLogger('replica-manager-test'),
  );
  const image = new MetadataImage();
  for (const id of [1, 2]) image.apply({ type: 'broker', broker: { nodeId: id, host: '127.0.0.1', port: 9000 + id, rack: null, epoch: id, fenced: false } });
  image.apply({ type: 'topic', name: 't', topicId: '00'.repeat(16), configs: {} });
  image.apply({ type: 'partition', topic: 't', partition: 0, state: { replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 0 } });
  await rm.applyMetadata(image, null, true);
  return { time, rm, proposals, partition: rm.getPartition('t', 0)! };
}

const batch = () => RB.encodeRecordBatch({ compression: 0, baseTimestamp: 0, records: [{ key: null, value: Buffer.from('v'), timestamp: 0 }] });
const consumerFetch = (maxWaitMs: number) => ({ replicaId: -1, maxWaitMs, minBytes: 1, maxBytes: 1 << 20, partitions: [{ topic: 't', partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] });

describe('ReplicaManager in simulated time', () => {
  it('a parked consumer fetch is answered (empty) exactly at max.wait.ms', async () => {
    const { time, rm } = await setup();
    let answer: FetchPartitionResult[] | undefined;
    void Promise.resolve(rm.fetchMessages(consumerFetch(500))).then((r) => (answer = r));
    await time.advance(499);
    expect(answer).toBeUndefined();
    await time.advance(1);
    expect(answer?.[0]).toMatchObject({ errorCode: ErrorCode.NONE, records: null });
  });

  it('a parked follower fetch is woken by an append before max.wait.ms', async () => {
    const { time, rm, partition } = await setup();
    let answer: FetchPartitionResult[] | undefined;
    const fetch = { ...consumerFetch(10_000), replicaId: 2 };
    void Promise.resolve(rm.fetchMessages(fetch)).then((r) => (answer = r));
    await time.advance(100);
    expect(answer).toBeUndefined();
    partition.appendRecordsToLeader(batch(), 1);
    await new Promise((r) => setImmediate(r)); // the recheck is deferred one turn
    await time.advance(0);
    expect(answer?.[0]?.records?.length).toBeGreaterThan(0);
    expect(time.pending).toBe(0); // its timer is gone
  });

  it('a follower that stops fetching is proposed out of the ISR after replica.lag.time.max.ms', async () => {
    const { time, rm, proposals, partition } = await setup();
    partition.appendRecordsToLeader(batch(), 1);
    await time.advance(1000);
    rm.maintain(time.now(), false);
    expect(proposals).toEqual([]);
    await time.advance(1);
    rm.maintain(time.now(), false);
    expect(proposals.map((p) => p.isr)).toEqual([[1]]);
  });
});
