// A broker's side of a reassignment, in simulated time (ReplicaManager + Partition, no sockets):
// the leader starts tracking a replica added at the same leader epoch (so it can join the ISR),
// and a leader removed from the replicas answers its parked acks=all produces
// NOT_LEADER_OR_FOLLOWER at once instead of leaving them to time out.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { ErrorCode } from '../src/protocol/errors.js';
import * as RB from '../src/protocol/recordBatch.js';
import { MetadataImage, type PartitionState } from '../src/replication/MetadataImage.js';
import { KafkaConfig } from '../src/common/KafkaConfig.js';
import type { IsrProposal } from '../src/server/Partition.js';
import { ReplicaManager } from '../src/server/ReplicaManager.js';
import { MockTime } from '../src/util/Time.js';

async function setup() {
  const time = new MockTime();
  const proposals: IsrProposal[] = [];
  const rm = new ReplicaManager(
    { nodeId: 1, dataDir: null, config: new KafkaConfig({}), replicaClient: () => null, proposeIsr: (_p, prop) => proposals.push(prop), time },
    createLogger('reassignment-replicas-test'),
  );
  const image = new MetadataImage();
  for (const id of [1, 2, 3]) image.apply({ type: 'broker', broker: { nodeId: id, host: '127.0.0.1', port: 9000 + id, rack: null, epoch: id, fenced: false } });
  image.apply({ type: 'topic', name: 't', topicId: '00'.repeat(16), configs: {} });
  const apply = async (state: PartitionState) => {
    image.apply({ type: 'partition', topic: 't', partition: 0, state });
    await rm.applyMetadata(image, null, true);
  };
  await apply({ replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 0 });
  return { time, rm, proposals, apply };
}

const batch = () => RB.encodeRecordBatch({ compression: 0, baseTimestamp: 0, records: [{ key: null, value: Buffer.from('v'), timestamp: 0 }] });

describe('a reassignment on the brokers', () => {
  it('the leader tracks a replica added without a new leader epoch and proposes it into the ISR once caught up', async () => {
    const { time, rm, proposals, apply } = await setup();
    const p = rm.getPartition('t', 0)!;
    p.appendRecordsToLeader(batch(), 0);
    p.updateFollowerFetchState(2, 1, time.now());
    expect(p.highWatermark).toBe(1);
    await apply({ replicas: [1, 2, 3], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 1, addingReplicas: [3] });
    expect(rm.getPartition('t', 0)).toBe(p);
    p.updateFollowerFetchState(3, 1, time.now());
    expect(proposals.map((x) => x.isr)).toEqual([[1, 2, 3]]);
  });

  it('a leader removed from the replicas fails its parked acks=all produces with NOT_LEADER_OR_FOLLOWER', async () => {
    const { rm, apply } = await setup();
    const p = rm.getPartition('t', 0)!;
    p.appendRecordsToLeader(batch(), 0);
    let code: number | undefined;
    void p.waitForHighWatermark(0, 30_000).then((c) => (code = c));
    await apply({ replicas: [2, 3], isr: [2, 3], leader: 2, leaderEpoch: 1, partitionEpoch: 2 });
    expect(rm.getPartition('t', 0)).toBeUndefined();
    await Promise.resolve();
    expect(code).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });
});
