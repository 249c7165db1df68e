// Every version of every API we advertise, sent over TCP to a live broker through our own
// codecs: the reply must decode to the last byte and carry the expected outcome.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import * as M from '../src/protocol/messages/index.js';
import { decodeRecordBatches, encodeRecordBatch } from '../src/protocol/recordBatch.js';
import { API_LIST } from '../src/server/apis/index.js';
import { waitForCoordinator } from './support/coordinator.js';
import { RawClient } from './support/RawClient.js';

let cluster: Cluster;
let client: RawClient;
const TOPIC = 'versions';
let produced = 0;

beforeAll(async () => {
  cluster = await startCluster({ config: { 'group.initial.rebalance.delay.ms': 0 } });
  await cluster.createTopic(TOPIC, { partitions: 1 });
  client = await RawClient.connect(cluster.bootstrapServers[0]!);
  await waitForCoordinator(client, 'warm-up'); // creates __consumer_offsets
  await waitForTxnCoordinator('warm-up'); // creates __transaction_state
});

async function waitForTxnCoordinator(transactionalId: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await client.request(10, 3, M.encodeFindCoordinatorRequest, M.decodeFindCoordinatorResponse, { ...M.defaultFindCoordinatorRequest(), key: transactionalId, keyType: 1 });
    if (res.errorCode === 0) return;
    if (Date.now() > deadline) throw new Error(`no transaction coordinator (error ${res.errorCode})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A transactional id initialized at epoch 0 (InitProducerId v1). */
async function initTransactional(transactionalId: string) {
  const res = await client.request(22, 1, M.encodeInitProducerIdRequest, M.decodeInitProducerIdResponse, { ...M.defaultInitProducerIdRequest(), transactionalId, transactionTimeoutMs: 60_000 });
  expect(res.errorCode).toBe(0);
  return { producerId: res.producerId, producerEpoch: res.producerEpoch };
}

async function addPartition(transactionalId: string, producerId: number, producerEpoch: number) {
  const res = await client.request(24, 3, M.encodeAddPartitionsToTxnRequest, M.decodeAddPartitionsToTxnResponse, {
    ...M.defaultAddPartitionsToTxnRequest(),
    v3AndBelowTransactionalId: transactionalId,
    v3AndBelowProducerId: producerId,
    v3AndBelowProducerEpoch: producerEpoch,
    v3AndBelowTopics: [{ name: TOPIC, partitions: [0] }],
  });
  expect(res.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode).toBe(0);
}
afterAll(async () => {
  client?.close();
  await cluster?.close();
});

interface Case {
  run(v: number): Promise<void>;
}

const zeroUuid = Buffer.alloc(16);
const topicId = (): Buffer => Buffer.from(cluster.brokers[0]!.metadata.get(TOPIC)!.topicId, 'hex');

// Consumer groups: a member joins (JoinGroup v5, rejoining after MEMBER_ID_REQUIRED) and, unless
// told otherwise, syncs (SyncGroup v3) with an assignment for itself, leaving a Stable group.
const SUBSCRIPTION = Buffer.from('subscription');
const ASSIGNMENT = Buffer.from('assignment');

async function joinGroup(groupId: string, version = 5, groupInstanceId: string | null = null) {
  const body = {
    ...M.defaultJoinGroupRequest(),
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    groupInstanceId,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: SUBSCRIPTION }],
  };
  let res = await client.request(11, version, M.encodeJoinGroupRequest, M.decodeJoinGroupResponse, body);
  if (res.errorCode === 79) {
    expect(version).toBeGreaterThanOrEqual(4);
    expect(groupInstanceId).toBeNull();
    res = await client.request(11, version, M.encodeJoinGroupRequest, M.decodeJoinGroupResponse, { ...body, memberId: res.memberId });
  }
  expect(res.errorCode).toBe(0);
  return res;
}

async function joinAndSync(groupId: string, groupInstanceId: string | null = null) {
  const join = await joinGroup(groupId, 5, groupInstanceId);
  const sync = await client.request(14, 3, M.encodeSyncGroupRequest, M.decodeSyncGroupResponse, {
    ...M.defaultSyncGroupRequest(),
    groupId,
    generationId: join.generationId,
    memberId: join.memberId,
    groupInstanceId,
    assignments: [{ memberId: join.memberId, assignment: ASSIGNMENT }],
  });
  expect(sync.errorCode).toBe(0);
  expect(sync.assignment.equals(ASSIGNMENT)).toBe(true);
  return { memberId: join.memberId, generationId: join.generationId };
}

async function commit(groupId: string, offset: number, version = 2, leaderEpoch = -1) {
  const res = await client.request(8, version, M.encodeOffsetCommitRequest, M.decodeOffsetCommitResponse, {
    ...M.defaultOffsetCommitRequest(),
    groupId,
    topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: leaderEpoch, commitTimestamp: -1, committedMetadata: `meta-${offset}` }] }],
  });
  expect(res.topics[0]!.partitions[0]!.errorCode).toBe(0);
}

async function fetchCommitted(groupId: string): Promise<number | bigint> {
  const res = await client.request(9, 1, M.encodeOffsetFetchRequest, M.decodeOffsetFetchResponse, {
    ...M.defaultOffsetFetchRequest(),
    groupId,
    topics: [{ name: TOPIC, partitionIndexes: [0] }],
  });
  return res.topics[0]!.partitions[0]!.committedOffset;
}

const cases: Record<number, Case> = {
  0: {
    async run(v) {
      const records = encodeRecordBatch({ records: [{ key: Buffer.from(`k${v}`), value: Buffer.from(`produce v${v}`) }] });
      const res = await client.request(0, v, M.encodeProduceRequest, M.decodeProduceResponse, {
        ...M.defaultProduceRequest(),
        acks: -1,
        timeoutMs: 1000,
        // v13+ names the topic by id (KIP-516) and is answered by id.
        topicData: [{ name: TOPIC, topicId: v >= 13 ? topicId() : zeroUuid, partitionData: [{ index: 0, records }] }],
      });
      const p = res.responses[0]!.partitionResponses[0]!;
      expect(p.errorCode).toBe(0);
      expect(p.baseOffset).toBe(produced++);
      if (v >= 13) {
        expect([res.responses[0]!.name, res.responses[0]!.topicId]).toEqual(['', topicId()]);
        const unknown = await client.request(0, v, M.encodeProduceRequest, M.decodeProduceResponse, {
          ...M.defaultProduceRequest(),
          acks: -1,
          timeoutMs: 1000,
          topicData: [{ name: '', topicId: Buffer.alloc(16, 7), partitionData: [{ index: 0, records }] }],
        });
        expect(unknown.responses.map((t) => [t.topicId, t.partitionResponses.map((x) => [x.index, x.errorCode])])).toEqual([[Buffer.alloc(16, 7), [[0, 100]]]]); // UNKNOWN_TOPIC_ID
      }
    },
  },
  1: {
    async run(v) {
      const res = await client.request(1, v, M.encodeFetchRequest, M.decodeFetchResponse, {
        ...M.defaultFetchRequest(),
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        sessionEpoch: -1,
        topics: [
          {
            topic: TOPIC,
            topicId: v >= 13 ? Buffer.from(cluster.brokers[0]!.metadata.get(TOPIC)!.topicId, 'hex') : zeroUuid,
            partitions: [{ ...M.defaultFetchRequestFetchPartition(), partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }],
          },
        ],
      });
      const p = res.responses[0]!.partitions[0]!;
      expect(p.errorCode).toBe(0);
      expect(p.highWatermark).toBe(produced);
      const batches = decodeRecordBatches(p.records!);
      expect(batches.length).toBe(produced);
      expect(batches[0]!.records[0]!.value!.toString()).toBe('produce v3');
    },
  },
  2: {
    async run(v) {
      const res = await client.request(2, v, M.encodeListOffsetsRequest, M.decodeListOffsetsResponse, {
        ...M.defaultListOffsetsRequest(),
        replicaId: -1,
        topics: [{ name: TOPIC, partitions: [{ ...M.defaultListOffsetsRequestListOffsetsPartition(), partitionIndex: 0, timestamp: -1 }] }],
      });
      const p = res.topics[0]!.partitions[0]!;
      expect(p.errorCode).toBe(0);
      if (v === 0) {
        // v0: offsets from segment boundaries, newest first, at most max_num_offsets (1 by default).
        expect([p.offset, p.oldStyleOffsets]).toEqual([-1, [produced]]);
        const more = async (timestamp: number, maxNumOffsets: number) =>
          (
            await client.request(2, 0, M.encodeListOffsetsRequest, M.decodeListOffsetsResponse, {
              ...M.defaultListOffsetsRequest(),
              replicaId: -1,
              topics: [{ name: TOPIC, partitions: [{ ...M.defaultListOffsetsRequestListOffsetsPartition(), partitionIndex: 0, timestamp, maxNumOffsets }] }],
            })
          ).topics[0]!.partitions[0]!;
        expect((await more(-1, 10)).oldStyleOffsets).toEqual([produced, 0]);
        expect((await more(-2, 10)).oldStyleOffsets).toEqual([0]);
        expect((await more(Date.now() + 60_000, 10)).oldStyleOffsets).toEqual([produced, 0]);
        expect((await more(0, 10)).oldStyleOffsets).toEqual([]);
        expect((await more(-3, 10)).errorCode).toBe(35); // only -1 and -2 among negative times
        return;
      }
      expect(p.offset).toBe(produced);
      // The sentinels, each from the version that introduced it (UNSUPPORTED_VERSION before).
      const at = async (timestamp: number) =>
        (
          await client.request(2, v, M.encodeListOffsetsRequest, M.decodeListOffsetsResponse, {
            ...M.defaultListOffsetsRequest(),
            replicaId: -1,
            topics: [{ name: TOPIC, partitions: [{ ...M.defaultListOffsetsRequestListOffsetsPartition(), partitionIndex: 0, timestamp }] }],
          })
        ).topics[0]!.partitions[0]!;
      const row = (r: M.ListOffsetsResponse['topics'][number]['partitions'][number]) => [r.errorCode, r.offset, r.timestamp, r.leaderEpoch];
      const epoch = v >= 4 ? 0 : -1;
      // earliest-local (-4) is the log start without tiered storage; latest-tiered (-5) and
      // earliest-pending-upload (-6) are -1 with leader epoch -1, as Kafka answers then.
      expect(row(await at(-4))).toEqual(v >= 8 ? [0, 0, -1, epoch] : [35, -1, -1, -1]);
      expect(row(await at(-5))).toEqual(v >= 9 ? [0, -1, -1, -1] : [35, -1, -1, -1]);
      expect(row(await at(-6))).toEqual(v >= 11 ? [0, -1, -1, -1] : [35, -1, -1, -1]);
      expect(row(await at(-7))).toEqual([35, -1, -1, -1]);
      expect(row(await at(-2))).toEqual([0, 0, -1, epoch]);
    },
  },
  3: {
    async run(v) {
      const res = await client.request(3, v, M.encodeMetadataRequest, M.decodeMetadataResponse, {
        ...M.defaultMetadataRequest(),
        topics: [{ topicId: zeroUuid, name: TOPIC }],
        allowAutoTopicCreation: false,
      });
      expect(res.topics.map((t) => [t.name, t.errorCode, t.partitions.length])).toEqual([[TOPIC, 0, 1]]);
      expect(res.brokers[0]!.port).toBe(Number(cluster.bootstrapServers[0]!.split(':')[1]));
      if (v >= 1) expect(res.controllerId).toBe(res.brokers[0]!.nodeId);
      if (v >= 2) expect(res.clusterId).toBe(cluster.brokers[0]!.clusterId);
      if (v >= 13) expect(res.errorCode).toBe(0);
      if (v >= 10) {
        const id = res.topics[0]!.topicId;
        expect(id.equals(zeroUuid)).toBe(false);
        // Asked for by id alone, the topic comes back with its name.
        const byId = await client.request(3, v, M.encodeMetadataRequest, M.decodeMetadataResponse, {
          ...M.defaultMetadataRequest(),
          topics: [{ topicId: id, name: null }],
          allowAutoTopicCreation: false,
        });
        expect(byId.topics.map((t) => [t.name, t.errorCode])).toEqual([[TOPIC, 0]]);
      }
    },
  },
  8: {
    async run(v) {
      const groupId = `commit-v${v}`;
      const res = await client.request(8, v, M.encodeOffsetCommitRequest, M.decodeOffsetCommitResponse, {
        ...M.defaultOffsetCommitRequest(),
        groupId,
        retentionTimeMs: -1,
        // v10 names topics by id: an unknown id is UNKNOWN_TOPIC_ID (100), an unknown name UNKNOWN_TOPIC_OR_PARTITION (3).
        topics: [
          {
            name: TOPIC,
            topicId: topicId(),
            partitions: [{ partitionIndex: 0, committedOffset: 100 + v, committedLeaderEpoch: 0, commitTimestamp: -1, committedMetadata: `v${v}` }],
          },
          {
            name: 'no-such-topic',
            topicId: Buffer.alloc(16, 9),
            partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }],
          },
        ],
      });
      expect(res.topics.map((t) => [v >= 10 ? t.topicId : t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])])).toEqual(
        v >= 10
          ? [
              [topicId(), [[0, 0]]],
              [Buffer.alloc(16, 9), [[0, 100]]],
            ]
          : [
              [TOPIC, [[0, 0]]],
              ['no-such-topic', [[0, 3]]],
            ],
      );
      expect(await fetchCommitted(groupId)).toBe(100 + v);
      if (v >= 1) {
        // A member of a group with management commits with its generation.
        const member = await joinAndSync(`commit-member-v${v}`);
        const r = await client.request(8, v, M.encodeOffsetCommitRequest, M.decodeOffsetCommitResponse, {
          ...M.defaultOffsetCommitRequest(),
          groupId: `commit-member-v${v}`,
          generationIdOrMemberEpoch: member.generationId,
          memberId: member.memberId,
          topics: [{ name: TOPIC, topicId: topicId(), partitions: [{ partitionIndex: 0, committedOffset: 7, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: '' }] }],
        });
        expect(r.topics[0]!.partitions[0]!.errorCode).toBe(0);
        expect(await fetchCommitted(`commit-member-v${v}`)).toBe(7);
      }
    },
  },
  9: {
    async run(v) {
      const groupId = `fetch-v${v}`;
      await commit(groupId, 40 + v, 6, 3);
      // v10 names topics by id; an unknown id answers UNKNOWN_TOPIC_ID (100) on each partition, after the known topics.
      const groupTopics = [
        ...(v >= 10 ? [{ name: '', topicId: Buffer.alloc(16, 9), partitionIndexes: [0, 1] }] : []),
        { name: TOPIC, topicId: topicId(), partitionIndexes: [0] },
      ];
      const body = { ...M.defaultOffsetFetchRequest(), groupId, topics: [{ name: TOPIC, partitionIndexes: [0] }], groups: [{ groupId, memberId: null, memberEpoch: -1, topics: groupTopics }] };
      const res = await client.request(9, v, M.encodeOffsetFetchRequest, M.decodeOffsetFetchResponse, body);
      const topics = v >= 8 ? res.groups[0]!.topics : res.topics;
      if (v >= 8) expect(res.groups.map((g) => [g.groupId, g.errorCode])).toEqual([[groupId, 0]]);
      if (v >= 2 && v < 8) expect(res.errorCode).toBe(0);
      expect(topics.map((t: { name: string; topicId?: Buffer; partitions: M.OffsetFetchResponseOffsetFetchResponsePartitions[] }) => [v >= 10 ? t.topicId : t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata, p.errorCode])])).toEqual([
        [v >= 10 ? topicId() : TOPIC, [[0, 40 + v, `meta-${40 + v}`, 0]]],
        ...(v >= 10 ? [[Buffer.alloc(16, 9), [[0, -1, '', 100], [1, -1, '', 100]]]] : []),
      ]);
      if (v >= 5) expect(topics[0]!.partitions[0]!.committedLeaderEpoch).toBe(3);
      if (v >= 2) {
        // A null topic list: every committed partition of the group (for two groups at once at v8+).
        const other = `fetch-other-v${v}`;
        await commit(other, 5);
        const all = await client.request(9, v, M.encodeOffsetFetchRequest, M.decodeOffsetFetchResponse, {
          ...body,
          topics: null,
          groups: [
            { groupId, memberId: null, memberEpoch: -1, topics: null },
            { groupId: other, memberId: null, memberEpoch: -1, topics: null },
          ],
        });
        const groups = v >= 8 ? all.groups : [{ groupId, errorCode: all.errorCode, topics: all.topics }];
        const T = v >= 10 ? topicId() : TOPIC;
        expect(groups.map((g) => [g.groupId, g.topics.map((t: { name: string; topicId?: Buffer; partitions: { committedOffset: number | bigint }[] }) => [v >= 10 ? t.topicId : t.name, t.partitions.map((p) => p.committedOffset)])])).toEqual(
          v >= 8
            ? [
                [groupId, [[T, [40 + v]]]],
                [other, [[T, [5]]]],
              ]
            : [[groupId, [[T, [40 + v]]]]],
        );
      }
    },
  },
  10: {
    async run(v) {
      const port = Number(cluster.bootstrapServers[0]!.split(':')[1]);
      const nodeId = cluster.brokers[0]!.nodeId;
      if (v < 4) {
        for (const keyType of v === 0 ? [0] : [0, 1]) {
          const res = await client.request(10, v, M.encodeFindCoordinatorRequest, M.decodeFindCoordinatorResponse, {
            ...M.defaultFindCoordinatorRequest(),
            key: keyType === 0 ? 'some-group' : 'some-transactional-id',
            keyType,
          });
          expect([res.errorCode, res.nodeId, res.host, res.port]).toEqual([0, nodeId, '127.0.0.1', port]);
        }
        return;
      }
      const res = await client.request(10, v, M.encodeFindCoordinatorRequest, M.decodeFindCoordinatorResponse, {
        ...M.defaultFindCoordinatorRequest(),
        keyType: 0,
        coordinatorKeys: ['group-a', 'group-b'],
      });
      expect(res.coordinators.map((c) => [c.key, c.errorCode, c.nodeId, c.port])).toEqual([
        ['group-a', 0, nodeId, port],
        ['group-b', 0, nodeId, port],
      ]);
      const txn = await client.request(10, v, M.encodeFindCoordinatorRequest, M.decodeFindCoordinatorResponse, {
        ...M.defaultFindCoordinatorRequest(),
        keyType: 1,
        coordinatorKeys: ['txn-a'],
      });
      expect(txn.coordinators.map((c) => [c.key, c.errorCode, c.nodeId])).toEqual([['txn-a', 0, nodeId]]);
    },
  },
  11: {
    async run(v) {
      const groupId = `join-v${v}`;
      const res = await joinGroup(groupId, v, v >= 5 ? `instance-v${v}` : null);
      expect(res.generationId).toBe(1);
      expect(res.leader).toBe(res.memberId);
      expect(res.protocolName).toBe('range');
      if (v >= 7) expect(res.protocolType).toBe('consumer');
      expect(res.members.map((m) => [m.memberId, m.metadata.toString()])).toEqual([[res.memberId, 'subscription']]);
      if (v >= 5) expect(res.members[0]!.groupInstanceId).toBe(`instance-v${v}`);
    },
  },
  12: {
    async run(v) {
      const groupId = `heartbeat-v${v}`;
      const instance = v >= 3 ? `hb-instance-v${v}` : null;
      const { memberId, generationId } = await joinAndSync(groupId, instance);
      const hb = (generation: number) =>
        client.request(12, v, M.encodeHeartbeatRequest, M.decodeHeartbeatResponse, { groupId, generationId: generation, memberId, groupInstanceId: instance });
      expect((await hb(generationId)).errorCode).toBe(0);
      expect((await hb(generationId + 1)).errorCode).toBe(22); // ILLEGAL_GENERATION
    },
  },
  13: {
    async run(v) {
      const groupId = `leave-v${v}`;
      const { memberId } = await joinAndSync(groupId);
      const res = await client.request(13, v, M.encodeLeaveGroupRequest, M.decodeLeaveGroupResponse, {
        groupId,
        memberId,
        members: [
          { memberId, groupInstanceId: null, reason: 'done' },
          { memberId: 'stranger', groupInstanceId: null, reason: null },
        ],
      });
      expect(res.errorCode).toBe(0);
      if (v >= 3) {
        expect(res.members.map((m) => [m.memberId, m.errorCode])).toEqual([
          [memberId, 0],
          ['stranger', 25],
        ]);
      }
      const described = await client.request(15, 0, M.encodeDescribeGroupsRequest, M.decodeDescribeGroupsResponse, { groups: [groupId], includeAuthorizedOperations: false });
      expect(described.groups[0]!.groupState).toBe('Empty');
    },
  },
  14: {
    async run(v) {
      const groupId = `sync-v${v}`;
      const instance = v >= 3 ? `sync-instance-v${v}` : null;
      const join = await joinGroup(groupId, 5, instance);
      const res = await client.request(14, v, M.encodeSyncGroupRequest, M.decodeSyncGroupResponse, {
        groupId,
        generationId: join.generationId,
        memberId: join.memberId,
        groupInstanceId: instance,
        protocolType: 'consumer',
        protocolName: 'range',
        assignments: [{ memberId: join.memberId, assignment: ASSIGNMENT }],
      });
      expect(res.errorCode).toBe(0);
      expect(res.assignment.toString()).toBe('assignment');
      if (v >= 5) expect([res.protocolType, res.protocolName]).toEqual(['consumer', 'range']);
    },
  },
  15: {
    async run(v) {
      const groupId = `describe-v${v}`;
      const instance = `describe-instance-v${v}`;
      const { memberId } = await joinAndSync(groupId, instance);
      const res = await client.request(15, v, M.encodeDescribeGroupsRequest, M.decodeDescribeGroupsResponse, {
        groups: [groupId, 'no-such-group'],
        includeAuthorizedOperations: true,
      });
      const [g, unknown] = res.groups;
      expect([g!.errorCode, g!.groupState, g!.protocolType, g!.protocolData]).toEqual([0, 'Stable', 'consumer', 'range']);
      expect(g!.members.map((m) => [m.memberId, m.clientId, m.clientHost, m.memberMetadata.toString(), m.memberAssignment.toString()])).toEqual([
        [memberId, 'minikafka-test', '/127.0.0.1', 'subscription', 'assignment'],
      ]);
      if (v >= 4) expect(g!.members[0]!.groupInstanceId).toBe(instance);
      if (v >= 3) expect(g!.authorizedOperations).toBe((1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11));
      expect([unknown!.groupId, unknown!.errorCode, unknown!.groupState]).toEqual(['no-such-group', 0, 'Dead']);
    },
  },
  16: {
    async run(v) {
      const stable = `list-stable-v${v}`;
      const empty = `list-empty-v${v}`;
      await joinAndSync(stable);
      await commit(empty, 1);
      const res = await client.request(16, v, M.encodeListGroupsRequest, M.decodeListGroupsResponse, {
        statesFilter: v >= 4 ? ['stable'] : [],
        typesFilter: v >= 5 ? ['classic'] : [],
      });
      expect(res.errorCode).toBe(0);
      const byId = new Map(res.groups.map((g) => [g.groupId, g]));
      expect(byId.get(stable)?.protocolType).toBe('consumer');
      if (v >= 4) {
        expect(byId.has(empty)).toBe(false);
        expect(res.groups.every((g) => g.groupState === 'Stable')).toBe(true);
      } else {
        expect(byId.get(empty)?.protocolType).toBe('');
      }
      if (v >= 5) expect(byId.get(stable)?.groupType).toBe('classic');
    },
  },
  18: {
    async run(v) {
      const res = await client.request(18, v, M.encodeApiVersionsRequest, M.decodeApiVersionsResponse, {
        ...M.defaultApiVersionsRequest(),
        clientSoftwareName: 'minikafka-test',
        clientSoftwareVersion: '1.0.0',
      });
      expect(res.errorCode).toBe(0);
      expect(res.apiKeys.map((k) => k.apiKey)).toEqual(API_LIST.map((a) => a.key));
      if (v >= 5) {
        // KIP-1242: naming this cluster and node is served; another one is REBOOTSTRAP_REQUIRED; one without the other INVALID_REQUEST.
        const ask = (clusterId: string | null, nodeId: number) =>
          client.request(18, v, M.encodeApiVersionsRequest, M.decodeApiVersionsResponse, {
            ...M.defaultApiVersionsRequest(),
            clientSoftwareName: 'minikafka-test',
            clientSoftwareVersion: '1.0.0',
            clusterId,
            nodeId,
          });
        const broker = cluster.brokers[0]!;
        const ok = await ask(broker.clusterId, broker.nodeId);
        expect([ok.errorCode, ok.apiKeys.length]).toEqual([0, API_LIST.length]);
        for (const [clusterId, nodeId, code] of [
          ['another-cluster', broker.nodeId, 129],
          [broker.clusterId, broker.nodeId + 1, 129],
          [broker.clusterId, -1, 42],
          [null, broker.nodeId, 42],
        ] as const) {
          const r = await ask(clusterId, nodeId);
          expect([r.errorCode, r.apiKeys]).toEqual([code, []]);
        }
      }
    },
  },
  19: {
    async run(v) {
      const res = await client.request(19, v, M.encodeCreateTopicsRequest, M.decodeCreateTopicsResponse, {
        ...M.defaultCreateTopicsRequest(),
        topics: [{ name: `created-v${v}`, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '1000' }] }],
      });
      expect(res.topics[0]!.errorCode).toBe(0);
      if (v >= 5) expect(res.topics[0]!.numPartitions).toBe(2);
      if (v >= 7) expect(res.topics[0]!.topicId.equals(zeroUuid)).toBe(false);
    },
  },
  20: {
    async run(v) {
      const name = `created-v${Math.min(v, 7)}`;
      const res = await client.request(20, v, M.encodeDeleteTopicsRequest, M.decodeDeleteTopicsResponse, {
        ...M.defaultDeleteTopicsRequest(),
        topicNames: [name],
        topics: [{ name, topicId: zeroUuid }],
        timeoutMs: 1000,
      });
      expect(res.responses[0]!.errorCode).toBe(0);
    },
  },
  21: {
    async run(v) {
      const res = await client.request(21, v, M.encodeDeleteRecordsRequest, M.decodeDeleteRecordsResponse, {
        topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, offset: 0 }] }],
        timeoutMs: 1000,
      });
      expect(res.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, lowWatermark: 0 });
    },
  },
  22: {
    async run(v) {
      const res = await client.request(22, v, M.encodeInitProducerIdRequest, M.decodeInitProducerIdResponse, {
        ...M.defaultInitProducerIdRequest(),
        transactionalId: null,
        transactionTimeoutMs: 60000,
      });
      expect(res.errorCode).toBe(0);
      expect(res.producerId).toBeGreaterThanOrEqual(0);
      expect(res.producerEpoch).toBe(0);
    },
  },
  24: {
    async run(v) {
      const id = `apv-24-${v}`;
      const { producerId, producerEpoch } = await initTransactional(id);
      const topics = [{ name: TOPIC, partitions: [0] }];
      const res = await client.request(24, v, M.encodeAddPartitionsToTxnRequest, M.decodeAddPartitionsToTxnResponse, {
        ...M.defaultAddPartitionsToTxnRequest(),
        ...(v >= 4
          ? { transactions: [{ transactionalId: id, producerId, producerEpoch, verifyOnly: false, topics }] }
          : { v3AndBelowTransactionalId: id, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: topics }),
      });
      const results = v >= 4 ? res.resultsByTransaction[0]!.topicResults : res.resultsByTopicV3AndBelow;
      expect(results.map((t) => [t.name, t.resultsByPartition.map((p) => [p.partitionIndex, p.partitionErrorCode])])).toEqual([[TOPIC, [[0, 0]]]]);
    },
  },
  25: {
    async run(v) {
      const id = `apv-25-${v}`;
      const { producerId, producerEpoch } = await initTransactional(id);
      const res = await client.request(25, v, M.encodeAddOffsetsToTxnRequest, M.decodeAddOffsetsToTxnResponse, { transactionalId: id, producerId, producerEpoch, groupId: 'g' });
      expect(res.errorCode).toBe(0);
    },
  },
  26: {
    async run(v) {
      const id = `apv-26-${v}`;
      const { producerId, producerEpoch } = await initTransactional(id);
      await addPartition(id, producerId, producerEpoch);
      const res = await client.request(26, v, M.encodeEndTxnRequest, M.decodeEndTxnResponse, { transactionalId: id, producerId, producerEpoch, committed: false });
      expect(res.errorCode).toBe(0);
    },
  },
  23: {
    async run(v) {
      const ask = (leaderEpoch: number, currentLeaderEpoch = -1) =>
        client.request(23, v, M.encodeOffsetForLeaderEpochRequest, M.decodeOffsetForLeaderEpochResponse, {
          replicaId: -1,
          topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch, leaderEpoch }] }],
        });
      // One broker, leader epoch 0 from the start: epoch 0 ends at the log end offset.
      const res = await ask(0);
      expect(res.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, endOffset: produced, ...(v >= 1 ? { leaderEpoch: 0 } : {}) });
      if (v >= 2) expect((await ask(0, 5)).topics[0]!.partitions[0]!.errorCode).toBe(75); // UNKNOWN_LEADER_EPOCH
    },
  },
  27: {
    async run(v) {
      // a marker for a producer with no transaction here: appended (an empty transaction) and replicated
      const res = await client.request(27, v, M.encodeWriteTxnMarkersRequest, M.decodeWriteTxnMarkersResponse, {
        markers: [{ producerId: 4242, producerEpoch: 0, transactionResult: v === 1, coordinatorEpoch: 0, topics: [{ name: TOPIC, partitionIndexes: [0] }] }],
      });
      expect(res.markers[0]!.topics[0]!.partitions).toEqual([{ partitionIndex: 0, errorCode: 0 }]);
      produced++;
    },
  },
  28: {
    async run(v) {
      const groupId = `txn-commit-v${v}`;
      // The group's partition must be in the transaction (KIP-890 part 1 verification).
      const transactionalId = `txn-v${v}`;
      const { producerId, producerEpoch } = await initTransactional(transactionalId);
      const added = await client.request(25, 3, M.encodeAddOffsetsToTxnRequest, M.decodeAddOffsetsToTxnResponse, { transactionalId, producerId, producerEpoch, groupId });
      expect(added.errorCode).toBe(0);
      const res = await client.request(28, v, M.encodeTxnOffsetCommitRequest, M.decodeTxnOffsetCommitResponse, {
        ...M.defaultTxnOffsetCommitRequest(),
        transactionalId,
        groupId,
        producerId,
        producerEpoch,
        topics: [
          { name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 40 + v, committedLeaderEpoch: 0, committedMetadata: `v${v}` }] },
          { name: 'no-such-topic', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] },
        ],
      });
      expect(res.topics.map((t) => [t.name, t.partitions.map((p) => p.errorCode)])).toEqual([
        [TOPIC, [0]],
        ['no-such-topic', [3]], // UNKNOWN_TOPIC_OR_PARTITION
      ]);
      // Pending until the producer's commit marker: not visible yet.
      expect(await fetchCommitted(groupId)).toBe(-1);
    },
  },
  32: {
    async run(v) {
      const res = await client.request(32, v, M.encodeDescribeConfigsRequest, M.decodeDescribeConfigsResponse, {
        ...M.defaultDescribeConfigsRequest(),
        resources: [{ resourceType: 2, resourceName: TOPIC, configurationKeys: ['retention.ms'] }],
      });
      expect(res.results[0]!.errorCode).toBe(0);
      expect(res.results[0]!.configs.map((c) => [c.name, c.value])).toEqual([['retention.ms', '604800000']]);
    },
  },
  33: {
    async run(v) {
      const res = await client.request(33, v, M.encodeAlterConfigsRequest, M.decodeAlterConfigsResponse, {
        ...M.defaultAlterConfigsRequest(),
        resources: [{ resourceType: 2, resourceName: TOPIC, configs: [{ name: 'segment.ms', value: String(1000000 + v) }] }],
      });
      expect(res.responses[0]!.errorCode).toBe(0);
    },
  },
  37: {
    async run(v) {
      const res = await client.request(37, v, M.encodeCreatePartitionsRequest, M.decodeCreatePartitionsResponse, {
        ...M.defaultCreatePartitionsRequest(),
        topics: [{ name: 'grow', count: v + 2, assignments: null }],
      });
      expect(res.results[0]!.errorCode).toBe(0);
    },
  },
  42: {
    async run(v) {
      const groupId = `delete-v${v}`;
      await commit(groupId, 9);
      const busy = `delete-busy-v${v}`;
      await joinAndSync(busy);
      const res = await client.request(42, v, M.encodeDeleteGroupsRequest, M.decodeDeleteGroupsResponse, { groupsNames: [groupId, busy, 'no-such-group'] });
      expect(res.results.map((r) => [r.groupId, r.errorCode])).toEqual([
        [groupId, 0],
        [busy, 68], // NON_EMPTY_GROUP
        ['no-such-group', 69], // GROUP_ID_NOT_FOUND
      ]);
      expect(await fetchCommitted(groupId)).toBe(-1);
    },
  },
  44: {
    async run(v) {
      const res = await client.request(44, v, M.encodeIncrementalAlterConfigsRequest, M.decodeIncrementalAlterConfigsResponse, {
        ...M.defaultIncrementalAlterConfigsRequest(),
        resources: [{ resourceType: 2, resourceName: TOPIC, configs: [{ name: 'retention.bytes', configOperation: 0, value: String(1 << 30) }] }],
      });
      expect(res.responses[0]!.errorCode).toBe(0);
    },
  },
  47: {
    async run(v) {
      const groupId = `offset-delete-v${v}`;
      await commit(groupId, 12);
      const res = await client.request(47, v, M.encodeOffsetDeleteRequest, M.decodeOffsetDeleteResponse, {
        groupId,
        topics: [
          { name: TOPIC, partitions: [{ partitionIndex: 0 }] },
          { name: 'no-such-topic', partitions: [{ partitionIndex: 0 }] },
        ],
      });
      expect(res.errorCode).toBe(0);
      expect(res.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]).sort()).toEqual([
        ['no-such-topic', [[0, 3]]],
        [TOPIC, [[0, 0]]],
      ]);
      expect(await fetchCommitted(groupId)).toBe(-1);
    },
  },
  65: {
    async run(v) {
      const { producerId } = await initTransactional('apv-65');
      const res = await client.request(65, v, M.encodeDescribeTransactionsRequest, M.decodeDescribeTransactionsResponse, { transactionalIds: ['apv-65', 'apv-unknown'] });
      expect(res.transactionStates.map((s) => [s.transactionalId, s.errorCode, s.transactionState, s.producerId])).toEqual([
        ['apv-65', 0, 'Empty', producerId],
        ['apv-unknown', 105, '', -1],
      ]);
    },
  },
  66: {
    async run(v) {
      await initTransactional('apv-66');
      const res = await client.request(66, v, M.encodeListTransactionsRequest, M.decodeListTransactionsResponse, { stateFilters: ['Empty'], producerIdFilters: [], durationFilter: -1 });
      expect(res.errorCode).toBe(0);
      expect(res.transactionStates.map((s) => s.transactionalId)).toContain('apv-66');
    },
  },
  // ACL APIs without an authorizer (this broker has no authorizer.class.name): SECURITY_DISABLED,
  // as Kafka answers; served with an authorizer in test/acls.test.ts.
  29: {
    async run(v) {
      const res = await client.request(29, v, M.encodeDescribeAclsRequest, M.decodeDescribeAclsResponse, { ...M.defaultDescribeAclsRequest(), resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: v >= 1 ? 1 : 3, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });
      expect([res.errorCode, res.resources]).toEqual([54, []]);
    },
  },
  30: {
    async run(v) {
      const creation = { resourceType: 2, resourceName: TOPIC, resourcePatternType: 3, principal: 'User:ANONYMOUS', host: '*', operation: 3, permissionType: 3 };
      const res = await client.request(30, v, M.encodeCreateAclsRequest, M.decodeCreateAclsResponse, { creations: [creation] });
      expect(res.results.map((r) => r.errorCode)).toEqual([54]);
    },
  },
  31: {
    async run(v) {
      const filter = { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: v >= 1 ? 1 : 3, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 };
      const res = await client.request(31, v, M.encodeDeleteAclsRequest, M.decodeDeleteAclsResponse, { filters: [filter] });
      expect(res.filterResults.map((r) => [r.errorCode, r.matchingAcls])).toEqual([[54, []]]);
    },
  },
  60: {
    async run(v) {
      const res = await client.request(60, v, M.encodeDescribeClusterRequest, M.decodeDescribeClusterResponse, {
        ...M.defaultDescribeClusterRequest(),
      });
      expect(res.errorCode).toBe(0);
      expect(res.clusterId).toBe(cluster.brokers[0]!.clusterId);
      expect(res.brokers).toHaveLength(1);
    },
  },
  // On a PLAINTEXT listener SASL is out of place (test/security-sasl.test.ts covers SASL listeners).
  17: {
    async run(v) {
      const res = await client.request(17, v, M.encodeSaslHandshakeRequest, M.decodeSaslHandshakeResponse, { mechanism: 'PLAIN' });
      expect(res.errorCode).toBe(34); // ILLEGAL_SASL_STATE
    },
  },
  36: {
    async run(v) {
      const res = await client.request(36, v, M.encodeSaslAuthenticateRequest, M.decodeSaslAuthenticateResponse, { authBytes: Buffer.from('\0u\0p') });
      expect(res.errorCode).toBe(34); // ILLEGAL_SASL_STATE
    },
  },
  51: {
    async run(v) {
      const res = await client.request(51, v, M.encodeAlterUserScramCredentialsRequest, M.decodeAlterUserScramCredentialsResponse, {
        deletions: [{ name: 'nobody', mechanism: 1 }],
        upsertions: [{ name: `apv-user-${v}`, mechanism: 2, iterations: 4096, salt: Buffer.from('salt'), saltedPassword: Buffer.alloc(64, 7) }],
      });
      expect(res.results.map((r) => [r.user, r.errorCode]).sort()).toEqual([
        [`apv-user-${v}`, 0],
        ['nobody', 91], // RESOURCE_NOT_FOUND
      ]);
    },
  },
  50: {
    async run(v) {
      await cases[51]!.run(v);
      const res = await client.request(50, v, M.encodeDescribeUserScramCredentialsRequest, M.decodeDescribeUserScramCredentialsResponse, { users: [{ name: `apv-user-${v}` }, { name: 'nobody' }] });
      expect(res.results.map((r) => [r.user, r.errorCode, r.credentialInfos])).toEqual([
        [`apv-user-${v}`, 0, [{ mechanism: 2, iterations: 4096 }]],
        ['nobody', 91, []],
      ]);
    },
  },
  74: {
    async run(v) {
      const res = await client.request(74, v, M.encodeListClientMetricsResourcesRequest, M.decodeListClientMetricsResourcesResponse, {});
      expect([res.errorCode, res.clientMetricsResources]).toEqual([0, []]);
    },
  },
  61: {
    async run(v) {
      const res = await client.request(61, v, M.encodeDescribeProducersRequest, M.decodeDescribeProducersResponse, { topics: [{ name: TOPIC, partitionIndexes: [0] }] });
      expect(res.topics[0]!.partitions[0]!.errorCode).toBe(0);
    },
  },
  34: {
    async run(v) {
      const res = await client.request(34, v, M.encodeAlterReplicaLogDirsRequest, M.decodeAlterReplicaLogDirsResponse, { dirs: [{ path: '/no/such/dir', topics: [{ name: TOPIC, partitions: [0] }] }] });
      expect(res.results[0]!.partitions[0]!.errorCode).toBe(57); // LOG_DIR_NOT_FOUND
    },
  },
  35: {
    async run(v) {
      const res = await client.request(35, v, M.encodeDescribeLogDirsRequest, M.decodeDescribeLogDirsResponse, { topics: [{ topic: TOPIC, partitions: [0] }] });
      expect(res.results[0]!.errorCode).toBe(0);
      expect(res.results[0]!.topics[0]!.name).toBe(TOPIC);
    },
  },
  43: {
    async run(v) {
      const res = await client.request(43, v, M.encodeElectLeadersRequest, M.decodeElectLeadersResponse, { electionType: 0, topicPartitions: [{ topic: TOPIC, partitions: [0] }], timeoutMs: 5000 });
      expect(res.replicaElectionResults[0]!.partitionResult[0]!.errorCode).toBe(84); // ELECTION_NOT_NEEDED
    },
  },
  45: {
    async run(v) {
      const res = await client.request(45, v, M.encodeAlterPartitionReassignmentsRequest, M.decodeAlterPartitionReassignmentsResponse, { timeoutMs: 5000, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, replicas: null }] }] });
      expect(res.responses[0]!.partitions[0]!.errorCode).toBe(85); // NO_REASSIGNMENT_IN_PROGRESS
    },
  },
  46: {
    async run(v) {
      const res = await client.request(46, v, M.encodeListPartitionReassignmentsRequest, M.decodeListPartitionReassignmentsResponse, { timeoutMs: 5000, topics: null });
      expect(res).toMatchObject({ errorCode: 0, topics: [] });
    },
  },
  48: {
    async run(v) {
      const res = await client.request(48, v, M.encodeDescribeClientQuotasRequest, M.decodeDescribeClientQuotasResponse, { components: [{ entityType: 'user', matchType: 0, match: `quota-v${v}` }], strict: true });
      expect(res.errorCode).toBe(0);
    },
  },
  49: {
    async run(v) {
      const res = await client.request(49, v, M.encodeAlterClientQuotasRequest, M.decodeAlterClientQuotasResponse, {
        entries: [{ entity: [{ entityType: 'user', entityName: `quota-v${v}` }], ops: [{ key: 'producer_byte_rate', value: 1000, remove: false }] }],
        validateOnly: false,
      });
      expect(res.entries[0]!.errorCode).toBe(0);
    },
  },
  55: {
    async run(v) {
      const res = await client.request(55, v, M.encodeDescribeQuorumRequest, M.decodeDescribeQuorumResponse, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] });
      expect(res.topics[0]!.partitions[0]!.leaderId).toBe(1);
    },
  },
  64: {
    async run(v) {
      const res = await client.request(64, v, M.encodeUnregisterBrokerRequest, M.decodeUnregisterBrokerResponse, { brokerId: 99 });
      expect(res.errorCode).toBe(102); // BROKER_ID_NOT_REGISTERED
    },
  },
  75: {
    async run(v) {
      const res = await client.request(75, v, M.encodeDescribeTopicPartitionsRequest, M.decodeDescribeTopicPartitionsResponse, { topics: [{ name: TOPIC }], responsePartitionLimit: 100, cursor: null });
      expect(res.topics[0]!.partitions).toHaveLength(1);
    },
  },
};

describe('every advertised API version against a live broker', () => {
  it('has a live case for every advertised API', () => {
    expect(API_LIST.map((a) => a.key).filter((k) => !cases[k])).toEqual([]);
  });

  it('prepares a topic for CreatePartitions', async () => {
    await cluster.createTopic('grow', { partitions: 1 });
  });

  for (const api of API_LIST) {
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      it(`${api.name} v${v}`, async () => {
        await cases[api.key]!.run(v);
      });
    }
  }
});
