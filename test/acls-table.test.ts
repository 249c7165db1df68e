// The rest of the authorization table (src/server/apis/authorization.ts) over TCP: each API
// under one DENY (beside an ALLOW ALL on the same resource) answers Kafka's error where Kafka
// puts it, and changes nothing. The ACL APIs and the main operations: test/acls.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { ErrorCode } from '../src/protocol/errors.js';
import * as M from '../src/protocol/messages/index.js';
import { AclOperation as Op, AclPermissionType as Perm, ResourceType as RT } from '../src/security/Acl.js';
import { AUTHORIZER, clearAcls, entry, seed } from './support/acls.js';
import { waitForCoordinator } from './support/coordinator.js';
import { RawClient } from './support/RawClient.js';
import { encodeRecordBatch } from '../src/protocol/recordBatch.js';

describe('ACLs with allow.everyone.if.no.acl.found=true: every other checked API', () => {
  let cluster: Cluster;
  let client: RawClient;

  beforeAll(async () => {
    cluster = await startCluster({ config: { ...AUTHORIZER, 'allow.everyone.if.no.acl.found': true, 'group.initial.rebalance.delay.ms': 0 } });
    client = await RawClient.connect(cluster.bootstrapServers[0]!);
  });
  afterAll(async () => {
    client?.close();
    await cluster?.close();
  });

  const clear = () => clearAcls(cluster);

  it('every other checked API answers its denial with Kafka\'s error', async () => {
    await cluster.createTopic('m-table');
    await cluster.createTopic('m-table-2');
    await waitForCoordinator(client, 'm-table-group');
    const txn = async (id: string) => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const r = await client.request(22, 1, M.encodeInitProducerIdRequest, M.decodeInitProducerIdResponse, { ...M.defaultInitProducerIdRequest(), transactionalId: id, transactionTimeoutMs: 60_000 });
        if (r.errorCode === ErrorCode.NONE) return r;
        if (Date.now() > deadline) throw new Error(`InitProducerId ${id}: ${r.errorCode}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const { producerId, producerEpoch } = await txn('m-table-txn');
    const T = (op: number) => [RT.TOPIC, 'm-table', op] as const;
    const G = (op: number) => [RT.GROUP, 'm-table-group', op] as const;
    const X = (op: number) => [RT.TRANSACTIONAL_ID, 'm-table-txn', op] as const;
    const C = (op: number) => [RT.CLUSTER, 'kafka-cluster', op] as const;
    const cases: { api: string; denied: (readonly [number, string, number])[]; codes: () => Promise<unknown> }[] = [
      {
        api: 'ListOffsets',
        denied: [T(Op.DESCRIBE)],
        codes: async () => (await client.request(2, 7, M.encodeListOffsetsRequest, M.decodeListOffsetsResponse, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'm-table', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 }] }] })).topics.map((t) => t.partitions[0]!.errorCode),
      },
      {
        api: 'Produce v13 (topic by id)',
        denied: [T(Op.WRITE)],
        codes: async () => {
          const topicId = Buffer.from(cluster.controller.image.topics.get('m-table')!.topicId, 'hex');
          const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('x') }] });
          const res = await client.request(0, 13, M.encodeProduceRequest, M.decodeProduceResponse, {
            ...M.defaultProduceRequest(),
            acks: 1,
            timeoutMs: 5000,
            topicData: [{ ...M.defaultProduceRequestTopicProduceData(), topicId, partitionData: [{ index: 0, records }] }],
          });
          return res.responses.map((t) => [t.topicId?.equals(topicId), t.partitionResponses[0]!.errorCode]);
        },
      },
      {
        api: 'OffsetCommit v10 (topic by id)',
        denied: [T(Op.READ)],
        codes: async () => {
          const topicId = Buffer.from(cluster.controller.image.topics.get('m-table')!.topicId, 'hex');
          const res = await client.request(8, 10, M.encodeOffsetCommitRequest, M.decodeOffsetCommitResponse, {
            ...M.defaultOffsetCommitRequest(),
            groupId: 'm-table-group',
            topics: [{ ...M.defaultOffsetCommitRequestOffsetCommitRequestTopic(), topicId, partitions: [{ ...M.defaultOffsetCommitRequestOffsetCommitRequestPartition(), committedOffset: 1 }] }],
          });
          return res.topics.map((t) => t.partitions[0]!.errorCode);
        },
      },
      {
        api: 'DeleteRecords',
        denied: [T(Op.DELETE)],
        codes: async () => (await client.request(21, 2, M.encodeDeleteRecordsRequest, M.decodeDeleteRecordsResponse, { timeoutMs: 5000, topics: [{ name: 'm-table', partitions: [{ partitionIndex: 0, offset: 0 }] }] })).topics.map((t) => t.partitions[0]!.errorCode),
      },
      {
        api: 'OffsetForLeaderEpoch',
        denied: [T(Op.DESCRIBE)],
        codes: async () => (await client.request(23, 4, M.encodeOffsetForLeaderEpochRequest, M.decodeOffsetForLeaderEpochResponse, { replicaId: -1, topics: [{ topic: 'm-table', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] })).topics.map((t) => [t.topic, t.partitions[0]!.errorCode]),
      },
      {
        api: 'DescribeProducers',
        denied: [T(Op.READ)],
        codes: async () => (await client.request(61, 0, M.encodeDescribeProducersRequest, M.decodeDescribeProducersResponse, { topics: [{ name: 'm-table', partitionIndexes: [0] }] })).topics.map((t) => t.partitions[0]!.errorCode),
      },
      {
        api: 'CreatePartitions',
        denied: [T(Op.ALTER)],
        codes: async () => (await client.request(37, 3, M.encodeCreatePartitionsRequest, M.decodeCreatePartitionsResponse, { timeoutMs: 5000, validateOnly: true, topics: [{ name: 'm-table', count: 2, assignments: null }] })).results.map((r) => r.errorCode),
      },
      {
        api: 'IncrementalAlterConfigs',
        denied: [T(Op.ALTER_CONFIGS), C(Op.ALTER_CONFIGS)],
        codes: async () =>
          (await client.request(44, 1, M.encodeIncrementalAlterConfigsRequest, M.decodeIncrementalAlterConfigsResponse, {
            validateOnly: true,
            resources: [
              { resourceType: 2, resourceName: 'm-table', configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }] },
              { resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '1000' }] },
            ],
          })).responses.map((r) => r.errorCode),
      },
      {
        api: 'DescribeConfigs (broker)',
        denied: [C(Op.DESCRIBE_CONFIGS)],
        codes: async () => (await client.request(32, 4, M.encodeDescribeConfigsRequest, M.decodeDescribeConfigsResponse, { resources: [{ resourceType: 4, resourceName: '1', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false })).results.map((r) => r.errorCode),
      },
      {
        api: 'Heartbeat, SyncGroup, LeaveGroup',
        denied: [G(Op.READ)],
        codes: async () => [
          (await client.request(12, 4, M.encodeHeartbeatRequest, M.decodeHeartbeatResponse, { ...M.defaultHeartbeatRequest(), groupId: 'm-table-group', memberId: 'm' })).errorCode,
          (await client.request(14, 5, M.encodeSyncGroupRequest, M.decodeSyncGroupResponse, { ...M.defaultSyncGroupRequest(), groupId: 'm-table-group', memberId: 'm', protocolType: 'consumer', protocolName: 'range' })).errorCode,
          (await client.request(13, 5, M.encodeLeaveGroupRequest, M.decodeLeaveGroupResponse, { ...M.defaultLeaveGroupRequest(), groupId: 'm-table-group', members: [{ memberId: 'm', groupInstanceId: null, reason: null }] })).errorCode,
        ],
      },
      {
        api: 'DeleteGroups',
        denied: [G(Op.DELETE)],
        codes: async () => (await client.request(42, 2, M.encodeDeleteGroupsRequest, M.decodeDeleteGroupsResponse, { groupsNames: ['m-table-group'] })).results.map((r) => [r.groupId, r.errorCode]),
      },
      {
        api: 'OffsetDelete',
        denied: [G(Op.DELETE)],
        codes: async () => (await client.request(47, 0, M.encodeOffsetDeleteRequest, M.decodeOffsetDeleteResponse, { groupId: 'm-table-group', topics: [{ name: 'm-table', partitions: [{ partitionIndex: 0 }] }] })).errorCode,
      },
      {
        api: 'ListGroups',
        denied: [C(Op.DESCRIBE), G(Op.DESCRIBE)],
        codes: async () => (await client.request(16, 5, M.encodeListGroupsRequest, M.decodeListGroupsResponse, { statesFilter: [], typesFilter: [] })).groups.map((g) => g.groupId).filter((g) => g.startsWith('m-table')),
      },
      {
        api: 'AddPartitionsToTxn v3',
        denied: [T(Op.WRITE)],
        codes: async () =>
          (await client.request(24, 3, M.encodeAddPartitionsToTxnRequest, M.decodeAddPartitionsToTxnResponse, {
            ...M.defaultAddPartitionsToTxnRequest(),
            v3AndBelowTransactionalId: 'm-table-txn',
            v3AndBelowProducerId: producerId,
            v3AndBelowProducerEpoch: producerEpoch,
            v3AndBelowTopics: [{ name: 'm-table', partitions: [0] }, { name: 'm-table-2', partitions: [0] }],
          })).resultsByTopicV3AndBelow.map((t) => [t.name, t.resultsByPartition[0]!.partitionErrorCode]),
      },
      {
        api: 'AddOffsetsToTxn, EndTxn, TxnOffsetCommit (transactional id)',
        denied: [X(Op.WRITE)],
        codes: async () => [
          (await client.request(25, 3, M.encodeAddOffsetsToTxnRequest, M.decodeAddOffsetsToTxnResponse, { transactionalId: 'm-table-txn', producerId, producerEpoch, groupId: 'm-table-group' })).errorCode,
          (await client.request(26, 3, M.encodeEndTxnRequest, M.decodeEndTxnResponse, { transactionalId: 'm-table-txn', producerId, producerEpoch, committed: false })).errorCode,
          (await client.request(28, 3, M.encodeTxnOffsetCommitRequest, M.decodeTxnOffsetCommitResponse, { ...M.defaultTxnOffsetCommitRequest(), transactionalId: 'm-table-txn', groupId: 'm-table-group', producerId, producerEpoch, topics: [{ name: 'm-table', partitions: [{ partitionIndex: 0, committedOffset: 0, committedLeaderEpoch: -1, committedMetadata: null }] }] })).topics.map((t) => t.partitions[0]!.errorCode)[0],
        ],
      },
      {
        api: 'AddOffsetsToTxn (group)',
        denied: [G(Op.READ)],
        codes: async () => (await client.request(25, 3, M.encodeAddOffsetsToTxnRequest, M.decodeAddOffsetsToTxnResponse, { transactionalId: 'm-table-txn', producerId, producerEpoch, groupId: 'm-table-group' })).errorCode,
      },
      {
        api: 'DescribeTransactions, ListTransactions',
        denied: [X(Op.DESCRIBE)],
        codes: async () => [
          (await client.request(65, 0, M.encodeDescribeTransactionsRequest, M.decodeDescribeTransactionsResponse, { transactionalIds: ['m-table-txn'] })).transactionStates.map((t) => t.errorCode)[0],
          (await client.request(66, 1, M.encodeListTransactionsRequest, M.decodeListTransactionsResponse, { stateFilters: [], producerIdFilters: [], durationFilter: -1 })).transactionStates.some((t) => t.transactionalId === 'm-table-txn'),
        ],
      },
      {
        api: 'DescribeCluster operations without DESCRIBE',
        denied: [C(Op.DESCRIBE)],
        codes: async () => (await client.request(60, 1, M.encodeDescribeClusterRequest, M.decodeDescribeClusterResponse, { ...M.defaultDescribeClusterRequest(), includeClusterAuthorizedOperations: true })).clusterAuthorizedOperations,
      },
    ];
    const expected: Record<string, unknown> = {
      ListOffsets: [ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      'Produce v13 (topic by id)': [[true, ErrorCode.TOPIC_AUTHORIZATION_FAILED]],
      'OffsetCommit v10 (topic by id)': [ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      DeleteRecords: [ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      OffsetForLeaderEpoch: [['m-table', ErrorCode.TOPIC_AUTHORIZATION_FAILED]],
      DescribeProducers: [ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      CreatePartitions: [ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      IncrementalAlterConfigs: [ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED],
      'DescribeConfigs (broker)': [ErrorCode.CLUSTER_AUTHORIZATION_FAILED],
      'Heartbeat, SyncGroup, LeaveGroup': [ErrorCode.GROUP_AUTHORIZATION_FAILED, ErrorCode.GROUP_AUTHORIZATION_FAILED, ErrorCode.GROUP_AUTHORIZATION_FAILED],
      DeleteGroups: [['m-table-group', ErrorCode.GROUP_AUTHORIZATION_FAILED]],
      OffsetDelete: ErrorCode.GROUP_AUTHORIZATION_FAILED,
      ListGroups: [],
      'AddPartitionsToTxn v3': [
        ['m-table', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
        ['m-table-2', ErrorCode.OPERATION_NOT_ATTEMPTED],
      ],
      'AddOffsetsToTxn, EndTxn, TxnOffsetCommit (transactional id)': [
        ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
        ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
        ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
      ],
      'AddOffsetsToTxn (group)': ErrorCode.GROUP_AUTHORIZATION_FAILED,
      'DescribeTransactions, ListTransactions': [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, false],
      'DescribeCluster operations without DESCRIBE': 0,
    };
    const seen: Record<string, unknown> = {};
    for (const c of cases) {
      await seed(cluster, () => cluster.controller.createAcls(c.denied.flatMap(([type, name, op]) => [entry(type, name, op, Perm.DENY), entry(type, name, Op.ALL, Perm.ALLOW)])));
      seen[c.api] = await c.codes();
      await clear();
    }
    expect(seen).toEqual(expected);
    // Nothing was changed by the denied requests.
    const t = cluster.controller.image.topics.get('m-table')!;
    expect([t.partitions.length, t.configs['retention.ms']]).toEqual([1, undefined]);
  });

});
