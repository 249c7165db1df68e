// ACLs over TCP with real clients (kafkajs admin/producer and our RawClient): CreateAcls,
// DescribeAcls and DeleteAcls; an operation matrix where each denied operation answers Kafka's
// error and changes nothing, and the same operation works once the DENY is gone; authorized
// operations. On plaintext every client is User:ANONYMOUS, so the ACLs name it. The rest of the
// table is test/acls-table.test.ts; restrictive clusters, restarts, SASL: test/acls-cluster.test.ts.
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { encodeRecordBatch } from '../src/protocol/recordBatch.js';
import * as M from '../src/protocol/messages/index.js';
import { AclOperation as Op, AclPermissionType as Perm, PatternType as PT, ResourceType as RT } from '../src/security/Acl.js';
import { ANON, AUTHORIZER, clearAcls, denyOnly, entry, failure, metadataRequest, seed } from './support/acls.js';
import { fetchBatches } from './support/fetchAll.js';
import { waitForCoordinator } from './support/coordinator.js';
import { RawClient } from './support/RawClient.js';

describe('ACLs with allow.everyone.if.no.acl.found=true: the operation matrix', () => {
  let cluster: Cluster;
  let kafka: Kafka;
  let admin: ReturnType<Kafka['admin']>;
  let client: RawClient;

  beforeAll(async () => {
    cluster = await startCluster({ config: { ...AUTHORIZER, 'allow.everyone.if.no.acl.found': true, 'group.initial.rebalance.delay.ms': 0 } });
    kafka = new Kafka({ clientId: 'acls', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    admin = kafka.admin();
    await admin.connect();
    client = await RawClient.connect(cluster.bootstrapServers[0]!);
  });
  afterAll(async () => {
    client?.close();
    await admin?.disconnect();
    await cluster?.close();
  });

  // Each case denies one operation beside an ALLOW ALL on the resource (see denyOnly).
  const deny = (resourceType: number, name: string, op: number) => denyOnly(cluster, resourceType, name, op);
  const clear = () => clearAcls(cluster);

  it('creates, describes (ANY and MATCH filters) and deletes ACLs through kafkajs', async () => {
    await admin.createAcls({
      acl: [
        { resourceType: AclResourceTypes.TOPIC, resourceName: 'orders-eu', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:alice', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW },
        { resourceType: AclResourceTypes.TOPIC, resourceName: 'orders-', resourcePatternType: ResourcePatternTypes.PREFIXED, principal: 'User:alice', host: '10.0.0.1', operation: AclOperationTypes.WRITE, permissionType: AclPermissionTypes.DENY },
        { resourceType: AclResourceTypes.GROUP, resourceName: 'billing', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:bob', host: '*', operation: AclOperationTypes.ALL, permissionType: AclPermissionTypes.ALLOW },
      ],
    });
    const all = await admin.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
    expect(all.resources.map((r) => [r.resourceType, r.resourceName, r.resourcePatternType, r.acls.length]).sort()).toEqual([
      [AclResourceTypes.TOPIC, 'orders-', ResourcePatternTypes.PREFIXED, 1],
      [AclResourceTypes.TOPIC, 'orders-eu', ResourcePatternTypes.LITERAL, 1],
      [AclResourceTypes.GROUP, 'billing', ResourcePatternTypes.LITERAL, 1],
    ]);
    const match = await admin.describeAcls({ resourceType: AclResourceTypes.TOPIC, resourceName: 'orders-eu', resourcePatternType: ResourcePatternTypes.MATCH, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
    expect(match.resources.map((r) => r.resourceName).sort()).toEqual(['orders-', 'orders-eu']);
    const byPrincipal = await admin.describeAcls({ resourceType: AclResourceTypes.ANY, principal: 'User:bob', resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
    expect(byPrincipal.resources.map((r) => [r.resourceName, r.acls[0]!.operation])).toEqual([['billing', AclOperationTypes.ALL]]);

    const deleted = await admin.deleteAcls({
      filters: [{ resourceType: AclResourceTypes.TOPIC, resourcePatternType: ResourcePatternTypes.ANY, principal: 'User:alice', operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }],
    });
    expect(deleted.filterResponses[0]!.matchingAcls.map((a) => a.resourceName).sort()).toEqual(['orders-', 'orders-eu']);
    const left = await admin.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
    expect(left.resources.map((r) => r.resourceName)).toEqual(['billing']);
    await clear();
  });

  it('refuses invalid ACLs and filters with INVALID_REQUEST, over every version', async () => {
    for (let v = 0; v <= 3; v++) {
      const creation = { resourceType: RT.TOPIC, resourceName: 't', resourcePatternType: PT.LITERAL, principal: ANON, host: '*', operation: Op.ANY, permissionType: Perm.ALLOW };
      const created = await client.request(30, v, M.encodeCreateAclsRequest, M.decodeCreateAclsResponse, { creations: [creation, { ...creation, operation: Op.READ, principal: 'no-colon' }] });
      expect(created.results.map((r) => r.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
    }
    const described = await client.request(29, 3, M.encodeDescribeAclsRequest, M.decodeDescribeAclsResponse, { ...M.defaultDescribeAclsRequest(), resourceTypeFilter: RT.ANY, patternTypeFilter: PT.UNKNOWN, resourceNameFilter: null, principalFilter: null, hostFilter: null, operation: Op.ANY, permissionType: Perm.ANY });
    expect(described.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(cluster.controller.image.acls.size).toBe(0);
  });

  it('Produce: WRITE denied is TOPIC_AUTHORIZATION_FAILED and appends nothing; allowed again it appends', async () => {
    await cluster.createTopic('m-write');
    await deny(RT.TOPIC, 'm-write', Op.WRITE);
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    try {
      expect(await failure(producer.send({ topic: 'm-write', acks: -1, messages: [{ value: 'x' }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect((await admin.fetchTopicOffsets('m-write'))[0]!.high).toBe('0');
      await clear();
      await producer.send({ topic: 'm-write', acks: -1, messages: [{ value: 'x' }] });
      expect((await admin.fetchTopicOffsets('m-write'))[0]!.high).toBe('1');
    } finally {
      await producer.disconnect();
    }
  });

  it('Fetch: READ denied is TOPIC_AUTHORIZATION_FAILED with no records; allowed again it reads', async () => {
    await deny(RT.TOPIC, 'm-write', Op.READ);
    const denied = await fetchBatches(client, 'm-write', 0, 0);
    expect([denied.errorCode, denied.batches.length]).toEqual([ErrorCode.TOPIC_AUTHORIZATION_FAILED, 0]);
    await clear();
    const allowed = await fetchBatches(client, 'm-write', 0, 0);
    expect([allowed.errorCode, allowed.batches.length]).toEqual([ErrorCode.NONE, 1]);
  });

  it('Metadata: DESCRIBE denied hides a topic and does not leak or auto-create a missing one', async () => {
    await cluster.createTopic('m-hidden');
    await deny(RT.TOPIC, 'm-hidden', Op.DESCRIBE);
    await deny(RT.TOPIC, 'm-absent', Op.DESCRIBE);
    const res = await client.request(3, 12, M.encodeMetadataRequest, M.decodeMetadataResponse, metadataRequest(['m-hidden', 'm-absent']));
    expect(res.topics.map((t) => [t.name, t.errorCode]).sort()).toEqual([
      ['m-absent', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      ['m-hidden', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ]);
    expect(await admin.listTopics()).not.toContain('m-hidden');
    expect(cluster.controller.image.topics.has('m-absent')).toBe(false);
    // CREATE denied on the cluster and the topic (DESCRIBE allowed): auto-creation is refused the same way.
    await deny(RT.TOPIC, 'm-auto', Op.CREATE);
    await deny(RT.CLUSTER, 'kafka-cluster', Op.CREATE);
    const auto = await client.request(3, 12, M.encodeMetadataRequest, M.decodeMetadataResponse, metadataRequest(['m-auto']));
    expect(auto.topics.map((t) => [t.name, t.errorCode])).toEqual([['m-auto', ErrorCode.TOPIC_AUTHORIZATION_FAILED]]);
    expect(cluster.controller.image.topics.has('m-auto')).toBe(false);
    await clear();
    expect(await admin.listTopics()).toContain('m-hidden');
  });

  it('edge cases: acks=0 denied gets no answer and appends nothing; Metadata v0 and by id; OffsetFetch per topic and group', async () => {
    await cluster.createTopic('m-edge');
    await deny(RT.TOPIC, 'm-edge', Op.WRITE);
    await deny(RT.TOPIC, 'm-edge', Op.DESCRIBE);
    const records = encodeRecordBatch({ baseTimestamp: Date.now(), records: [{ key: null, value: Buffer.from('x'), timestamp: Date.now() }] });
    client.writeRaw(client.encodeRequest(0, 9, M.encodeProduceRequest, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 'm-edge', partitionData: [{ index: 0, records }] }] }));
    // The next frame answers the ApiVersions sent after it: the produce got none.
    const versions = await client.request(18, 3, M.encodeApiVersionsRequest, M.decodeApiVersionsResponse, { ...M.defaultApiVersionsRequest(), clientSoftwareName: 'acls', clientSoftwareVersion: '1' });
    expect(versions.errorCode).toBe(ErrorCode.NONE);
    expect(cluster.brokers[0]!.replicaManager.getPartition('m-edge', 0)!.log.logEndOffset).toBe(0);

    const v0 = await client.request(3, 0, M.encodeMetadataRequest, M.decodeMetadataResponse, metadataRequest(['m-edge']));
    expect(v0.topics.map((t) => [t.name, t.errorCode])).toEqual([['m-edge', ErrorCode.TOPIC_AUTHORIZATION_FAILED]]);
    const topicId = Buffer.from(cluster.controller.image.topics.get('m-edge')!.topicId, 'hex');
    const byId = await client.request(3, 12, M.encodeMetadataRequest, M.decodeMetadataResponse, { ...metadataRequest([]), topics: [{ topicId, name: null }] });
    expect(byId.topics.map((t) => [t.name, t.errorCode, t.topicId.equals(topicId)])).toEqual([[null, ErrorCode.TOPIC_AUTHORIZATION_FAILED, true]]);

    await waitForCoordinator(client, 'm-edge-group');
    await deny(RT.GROUP, 'm-edge-denied', Op.DESCRIBE);
    const fetched = await client.request(9, 8, M.encodeOffsetFetchRequest, M.decodeOffsetFetchResponse, {
      ...M.defaultOffsetFetchRequest(),
      groups: ['m-edge-group', 'm-edge-denied'].map((groupId) => ({ groupId, memberId: null, memberEpoch: -1, topics: [{ name: 'm-edge', partitionIndexes: [0] }] })),
    });
    expect(fetched.groups.map((g) => [g.groupId, g.errorCode, g.topics.map((t) => t.partitions.map((q) => q.errorCode))])).toEqual([
      ['m-edge-group', ErrorCode.NONE, [[ErrorCode.TOPIC_AUTHORIZATION_FAILED]]],
      ['m-edge-denied', ErrorCode.GROUP_AUTHORIZATION_FAILED, []],
    ]);
    await clear();
  });

  it('CreateTopics: CREATE denied on the cluster needs CREATE on the topic; denied creates nothing', async () => {
    await deny(RT.CLUSTER, 'kafka-cluster', Op.CREATE);
    await deny(RT.TOPIC, 'm-new-denied', Op.CREATE);
    const res = await client.request(19, 7, M.encodeCreateTopicsRequest, M.decodeCreateTopicsResponse, {
      ...M.defaultCreateTopicsRequest(),
      timeoutMs: 10_000,
      topics: ['m-new-denied', 'm-new-ok'].map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })),
    });
    expect(res.topics.map((t) => [t.name, t.errorCode]).sort()).toEqual([
      ['m-new-denied', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      ['m-new-ok', ErrorCode.NONE],
    ]);
    expect(cluster.controller.image.topics.has('m-new-denied')).toBe(false);
    expect(cluster.controller.image.topics.has('m-new-ok')).toBe(true);
    await clear();
    // Created, but its configs hidden without DESCRIBE_CONFIGS on it (as KRaft answers).
    await deny(RT.TOPIC, 'm-new-hidden', Op.DESCRIBE_CONFIGS);
    const hidden = await client.request(19, 7, M.encodeCreateTopicsRequest, M.decodeCreateTopicsResponse, {
      ...M.defaultCreateTopicsRequest(),
      timeoutMs: 10_000,
      topics: [{ name: 'm-new-hidden', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
    });
    expect(hidden.topics.map((t) => [t.errorCode, t.topicConfigErrorCode, t.numPartitions, t.configs])).toEqual([[ErrorCode.NONE, ErrorCode.TOPIC_AUTHORIZATION_FAILED, -1, []]]);
    expect(cluster.controller.image.topics.get('m-new-hidden')?.partitions.length).toBe(2);
    await clear();
  });

  it('DeleteTopics, CreatePartitions, AlterConfigs, DescribeConfigs: denied, nothing changes', async () => {
    await cluster.createTopic('m-admin', { partitions: 1 });
    await deny(RT.TOPIC, 'm-admin', Op.DELETE);
    await deny(RT.TOPIC, 'm-admin', Op.ALTER);
    await deny(RT.TOPIC, 'm-admin', Op.ALTER_CONFIGS);
    await deny(RT.TOPIC, 'm-admin', Op.DESCRIBE_CONFIGS);
    expect(await failure(admin.deleteTopics({ topics: ['m-admin'] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await failure(admin.createPartitions({ topicPartitions: [{ topic: 'm-admin', count: 3 }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await failure(admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'm-admin', configEntries: [{ name: 'retention.ms', value: '1000' }] }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
    const described = await client.request(32, 4, M.encodeDescribeConfigsRequest, M.decodeDescribeConfigsResponse, { resources: [{ resourceType: 2, resourceName: 'm-admin', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
    expect(described.results.map((r) => [r.resourceName, r.errorCode, r.configs.length])).toEqual([['m-admin', ErrorCode.TOPIC_AUTHORIZATION_FAILED, 0]]);
    const t = cluster.controller.image.topics.get('m-admin')!;
    expect([t.partitions.length, t.configs['retention.ms']]).toEqual([1, undefined]);
    await clear();
    await admin.createPartitions({ topicPartitions: [{ topic: 'm-admin', count: 2 }] });
    expect(cluster.controller.image.topics.get('m-admin')!.partitions.length).toBe(2);
    await admin.deleteTopics({ topics: ['m-admin'] });
    expect(cluster.controller.image.topics.has('m-admin')).toBe(false);
  });

  it('groups: READ denied is GROUP_AUTHORIZATION_FAILED for JoinGroup and OffsetCommit (nothing committed); DESCRIBE for DescribeGroups', async () => {
    await deny(RT.GROUP, 'm-group', Op.READ);
    await deny(RT.GROUP, 'm-group', Op.DESCRIBE);
    const join = await client.request(11, 5, M.encodeJoinGroupRequest, M.decodeJoinGroupResponse, {
      ...M.defaultJoinGroupRequest(),
      groupId: 'm-group',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from('x') }],
    });
    expect(join.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const commit = await client.request(8, 8, M.encodeOffsetCommitRequest, M.decodeOffsetCommitResponse, {
      ...M.defaultOffsetCommitRequest(),
      groupId: 'm-group',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      topics: [{ name: 'm-write', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }],
    });
    expect(commit.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const described = await client.request(15, 5, M.encodeDescribeGroupsRequest, M.decodeDescribeGroupsResponse, { groups: ['m-group'], includeAuthorizedOperations: true });
    expect(described.groups.map((g) => [g.groupId, g.errorCode])).toEqual([['m-group', ErrorCode.GROUP_AUTHORIZATION_FAILED]]);
    await clear();
    // Nothing was committed (kafkajs with retries: __consumer_offsets may still be loading).
    const patient = new Kafka({ clientId: 'acls', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING }).admin();
    await patient.connect();
    const offsets = await patient.fetchOffsets({ groupId: 'm-group', topics: ['m-write'] });
    await patient.disconnect();
    expect(offsets[0]!.partitions[0]!.offset).toBe('-1');
  });

  it('transactions: WRITE denied on the transactional id is TRANSACTIONAL_ID_AUTHORIZATION_FAILED; IDEMPOTENT_WRITE denied is CLUSTER_AUTHORIZATION_FAILED', async () => {
    await deny(RT.TRANSACTIONAL_ID, 'm-txn', Op.WRITE);
    await deny(RT.TRANSACTIONAL_ID, 'm-txn', Op.DESCRIBE);
    const init = await client.request(22, 1, M.encodeInitProducerIdRequest, M.decodeInitProducerIdResponse, { ...M.defaultInitProducerIdRequest(), transactionalId: 'm-txn', transactionTimeoutMs: 60_000 });
    expect(init.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const coordinator = await client.request(10, 3, M.encodeFindCoordinatorRequest, M.decodeFindCoordinatorResponse, { ...M.defaultFindCoordinatorRequest(), key: 'm-txn', keyType: 1 });
    expect(coordinator.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    await clear();
    await deny(RT.CLUSTER, 'kafka-cluster', Op.IDEMPOTENT_WRITE);
    await deny(RT.TOPIC, '*', Op.WRITE);
    const idempotent = await client.request(22, 1, M.encodeInitProducerIdRequest, M.decodeInitProducerIdResponse, { ...M.defaultInitProducerIdRequest(), transactionalId: null, transactionTimeoutMs: 60_000 });
    expect(idempotent.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    await clear();
    const again = await client.request(22, 1, M.encodeInitProducerIdRequest, M.decodeInitProducerIdResponse, { ...M.defaultInitProducerIdRequest(), transactionalId: null, transactionTimeoutMs: 60_000 });
    expect(again.errorCode).toBe(ErrorCode.NONE);
  });

  it('reports authorized operations in Metadata and DescribeCluster', async () => {
    await seed(cluster, () => cluster.controller.createAcls([entry(RT.TOPIC, 'm-write', Op.READ, Perm.ALLOW), entry(RT.CLUSTER, 'kafka-cluster', Op.DESCRIBE, Perm.ALLOW)]));
    const res = await client.request(3, 10, M.encodeMetadataRequest, M.decodeMetadataResponse, metadataRequest(['m-write'], true)); // v8-10 carry cluster operations
    expect(res.topics[0]!.topicAuthorizedOperations).toBe((1 << Op.READ) | (1 << Op.DESCRIBE));
    expect(res.clusterAuthorizedOperations).toBe(1 << Op.DESCRIBE);
    const described = await client.request(60, 0, M.encodeDescribeClusterRequest, M.decodeDescribeClusterResponse, { ...M.defaultDescribeClusterRequest(), includeClusterAuthorizedOperations: true });
    expect(described.clusterAuthorizedOperations).toBe(1 << Op.DESCRIBE);
    await clear();
  });

  it('ACL APIs: ALTER and DESCRIBE on the cluster denied are CLUSTER_AUTHORIZATION_FAILED', async () => {
    await deny(RT.CLUSTER, 'kafka-cluster', Op.ALTER);
    await deny(RT.CLUSTER, 'kafka-cluster', Op.DESCRIBE);
    const acl = { resourceType: AclResourceTypes.TOPIC, resourceName: 'x', resourcePatternType: ResourcePatternTypes.LITERAL, principal: ANON, host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW };
    expect(await failure(admin.createAcls({ acl: [acl] }))).toBe('CLUSTER_AUTHORIZATION_FAILED');
    expect(await failure(admin.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }))).toBe('CLUSTER_AUTHORIZATION_FAILED');
    expect(cluster.controller.image.acls.size).toBe(3); // the two DENYs and the ALLOW ALL
    await clear();
  });
});

