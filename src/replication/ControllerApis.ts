// The Kafka APIs the controller serves to brokers: registration, heartbeats, ISR changes,
// producer id blocks, Fetch of the metadata log, and admin requests forwarded by brokers
// (CreateTopics, DeleteTopics, CreatePartitions; AlterConfigs with a topic's whole override set;
// CreateAcls and DeleteAcls).
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import * as M from '../protocol/messages/index.js';
import { int64ForComparison } from '../protocol/primitives.js';
import { defineApi, type Api, type BaseContext } from '../network/Api.js';
import { checkRequestSize, METADATA_TOPIC, type Controller } from './Controller.js';
import type { AclEntry } from '../security/Acl.js';
import { applyOps, canonicalEntity, invalidEntity, invalidQuotaOp } from './ClientQuotas.js';

export interface ControllerContext extends BaseContext {
  controller: Controller;
}

/** A KafkaError (a rule, or a metadata write that failed and was rolled back) as its code; anything else is a bug and propagates. */
function codeOf(err: unknown): { code: number; message: string } {
  if (err instanceof KafkaError) return { code: err.code, message: err.message };
  throw err;
}

const brokerRegistration = defineApi<M.BrokerRegistrationRequest, M.BrokerRegistrationResponse, ControllerContext>(
  M.BrokerRegistrationApi,
  [0, 4],
  { decodeRequest: M.decodeBrokerRegistrationRequest, encodeResponse: M.encodeBrokerRegistrationResponse },
  ({ controller }, req) => {
    const listener = req.listeners[0];
    if (!listener) return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REGISTRATION, brokerEpoch: -1 };
    if (req.clusterId && req.clusterId !== controller.image.clusterId) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID, brokerEpoch: -1 };
    }
    try {
      const listeners = req.listeners.map((l) => ({ name: l.name, host: l.host, port: l.port, securityProtocol: l.securityProtocol }));
      const epoch = controller.registerBroker(req.brokerId, listener.host, listener.port, req.rack, listeners);
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, brokerEpoch: epoch };
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: codeOf(err).code, brokerEpoch: -1 };
    }
  },
);

const brokerHeartbeat = defineApi<M.BrokerHeartbeatRequest, M.BrokerHeartbeatResponse, ControllerContext>(
  M.BrokerHeartbeatApi,
  [0, 1],
  { decodeRequest: M.decodeBrokerHeartbeatRequest, encodeResponse: M.encodeBrokerHeartbeatResponse },
  ({ controller }, req) => {
    try {
      const r = controller.heartbeat(req.brokerId, req.brokerEpoch, req.currentMetadataOffset, req.wantShutDown);
      return { throttleTimeMs: 0, errorCode: r.errorCode, isCaughtUp: r.caughtUp, isFenced: r.fenced, shouldShutDown: r.shouldShutDown };
    } catch (err) {
      // The fencing change could not be committed: the broker stays as the image has it.
      const fenced = !controller.image.isLive(req.brokerId);
      return { throttleTimeMs: 0, errorCode: codeOf(err).code, isCaughtUp: false, isFenced: fenced, shouldShutDown: false };
    }
  },
);

// v0-1 name topics, v2+ identify them by id; v3 gives each ISR member's broker epoch. As in
// Kafka, a stale requester epoch fails the whole request, and ineligible replicas are
// OPERATION_NOT_ATTEMPTED below v2 (INELIGIBLE_REPLICA did not exist yet).
const alterPartition = defineApi<M.AlterPartitionRequest, M.AlterPartitionResponse, ControllerContext>(
  M.AlterPartitionApi,
  [0, 3],
  { decodeRequest: M.decodeAlterPartitionRequest, encodeResponse: M.encodeAlterPartitionResponse },
  ({ controller, apiVersion }, req) => {
    const requester = controller.image.brokers.get(req.brokerId);
    if (!requester || requester.epoch !== req.brokerEpoch) return { throttleTimeMs: 0, errorCode: ErrorCode.STALE_BROKER_EPOCH, topics: [] };
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      topics: req.topics.map((t) => {
        const name = apiVersion >= 2 ? controller.image.topicById(t.topicId.toString('hex'))?.name : t.topicName;
        return {
          topicName: t.topicName,
          topicId: t.topicId,
          partitions: t.partitions.map((p) => {
            try {
              if (name === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID);
              const withEpochs = apiVersion >= 3;
              const s = controller.alterPartition({
                brokerId: req.brokerId,
                brokerEpoch: req.brokerEpoch,
                topic: name,
                partition: p.partitionIndex,
                leaderEpoch: p.leaderEpoch,
                partitionEpoch: p.partitionEpoch,
                newIsr: withEpochs ? p.newIsrWithEpochs.map((b) => b.brokerId) : p.newIsr,
                newIsrEpochs: withEpochs ? p.newIsrWithEpochs.map((b) => b.brokerEpoch) : undefined,
              });
              return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, leaderId: s.leader, leaderEpoch: s.leaderEpoch, isr: s.isr, leaderRecoveryState: 0, partitionEpoch: s.partitionEpoch };
            } catch (err) {
              let code = codeOf(err).code;
              if (code === ErrorCode.INELIGIBLE_REPLICA && apiVersion < 2) code = ErrorCode.OPERATION_NOT_ATTEMPTED;
              return { partitionIndex: p.partitionIndex, errorCode: code, leaderId: -1, leaderEpoch: -1, isr: [], leaderRecoveryState: 0, partitionEpoch: -1 };
            }
          }),
        };
      }),
    };
  },
);

const allocateProducerIds = defineApi<M.AllocateProducerIdsRequest, M.AllocateProducerIdsResponse, ControllerContext>(
  M.AllocateProducerIdsApi,
  [0, 0],
  { decodeRequest: M.decodeAllocateProducerIdsRequest, encodeResponse: M.encodeAllocateProducerIdsResponse },
  ({ controller }) => {
    try {
      const block = controller.allocateProducerIds();
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerIdStart: block.start, producerIdLen: block.length };
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: codeOf(err).code, producerIdStart: -1, producerIdLen: 0 };
    }
  },
);

const metadataFetch = defineApi<M.FetchRequest, M.FetchResponse, ControllerContext>(
  M.FetchApi,
  [12, 12],
  { decodeRequest: M.decodeFetchRequest, encodeResponse: M.encodeFetchResponse },
  async ({ controller }, req) => {
    const topic = req.topics[0];
    const part = topic?.partitions[0];
    if (!topic || !part) return { ...M.defaultFetchResponse(), errorCode: ErrorCode.INVALID_REQUEST };
    const r = await controller.readMetadata(int64ForComparison(part.fetchOffset), Math.min(req.maxBytes, part.partitionMaxBytes), req.maxWaitMs);
    return {
      ...M.defaultFetchResponse(),
      responses: [
        {
          topic: topic.topic,
          topicId: topic.topicId,
          partitions: [
            {
              ...M.defaultFetchResponsePartitionData(),
              partitionIndex: 0,
              errorCode: r.errorCode,
              highWatermark: r.highWatermark,
              lastStableOffset: r.highWatermark,
              logStartOffset: r.logStartOffset,
              abortedTransactions: [],
              records: r.records ?? Buffer.alloc(0),
            },
          ],
        },
      ],
    };
  },
);

/** CreateTopics' manual assignments in partition order: each partition once, numbered 0..n-1. */
function manualAssignments(assignments: { partitionIndex: number; brokerIds: number[] }[]): number[][] {
  const byIndex = new Map<number, number[]>();
  for (const a of assignments) {
    if (byIndex.has(a.partitionIndex)) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Found multiple manual partition assignments for partition ${a.partitionIndex}`);
    byIndex.set(a.partitionIndex, a.brokerIds);
  }
  return assignments.map((_, i) => {
    const a = byIndex.get(i);
    if (!a) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions should be a consecutive 0-based integer sequence');
    return a;
  });
}

const createTopics = defineApi<M.CreateTopicsRequest, M.CreateTopicsResponse, ControllerContext>(
  M.CreateTopicsApi,
  [7, 7],
  { decodeRequest: M.decodeCreateTopicsRequest, encodeResponse: M.encodeCreateTopicsResponse },
  ({ controller }, req) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => {
      const result = { ...M.defaultCreateTopicsResponseCreatableTopicResult(), name: t.name, configs: null };
      try {
        checkRequestSize(controller.partitionsRequested({ create: req.topics.map((c) => ({ numPartitions: c.numPartitions, assignments: c.assignments.length })) }));
        const configs: Record<string, string> = {};
        for (const c of t.configs) {
          if (c.value === null) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${c.name}`);
          configs[c.name] = c.value;
        }
        const created = controller.createTopic(t.name, t.numPartitions, t.replicationFactor, manualAssignments(t.assignments), configs, req.validateOnly);
        return {
          ...result,
          topicId: created.topicId ? Buffer.from(created.topicId, 'hex') : Buffer.alloc(16),
          numPartitions: created.partitions.length,
          replicationFactor: created.partitions[0]!.replicas.length,
        };
      } catch (err) {
        const { code, message } = codeOf(err);
        return { ...result, errorCode: code, errorMessage: message };
      }
    }),
  }),
);

const deleteTopics = defineApi<M.DeleteTopicsRequest, M.DeleteTopicsResponse, ControllerContext>(
  M.DeleteTopicsApi,
  [6, 6],
  { decodeRequest: M.decodeDeleteTopicsRequest, encodeResponse: M.encodeDeleteTopicsResponse },
  ({ controller }, req) => ({
    throttleTimeMs: 0,
    responses: req.topics.map((t) => {
      try {
        controller.deleteTopic(t.name ?? '');
        return { name: t.name, topicId: t.topicId, errorCode: ErrorCode.NONE, errorMessage: null };
      } catch (err) {
        const { code, message } = codeOf(err);
        return { name: t.name, topicId: t.topicId, errorCode: code, errorMessage: message };
      }
    }),
  }),
);

const createPartitions = defineApi<M.CreatePartitionsRequest, M.CreatePartitionsResponse, ControllerContext>(
  M.CreatePartitionsApi,
  [3, 3],
  { decodeRequest: M.decodeCreatePartitionsRequest, encodeResponse: M.encodeCreatePartitionsResponse },
  ({ controller }, req) => ({
    throttleTimeMs: 0,
    results: req.topics.map((t) => {
      try {
        checkRequestSize(controller.partitionsRequested({ grow: req.topics }));
        controller.createPartitions(t.name, t.count, t.assignments ? t.assignments.map((a) => a.brokerIds) : null, req.validateOnly);
        return { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null };
      } catch (err) {
        const { code, message } = codeOf(err);
        return { name: t.name, errorCode: code, errorMessage: message };
      }
    }),
  }),
);

const alterConfigs = defineApi<M.AlterConfigsRequest, M.AlterConfigsResponse, ControllerContext>(
  M.AlterConfigsApi,
  [2, 2],
  { decodeRequest: M.decodeAlterConfigsRequest, encodeResponse: M.encodeAlterConfigsResponse },
  ({ controller }, req) => ({
    throttleTimeMs: 0,
    responses: req.resources.map((res) => {
      const base = { resourceType: res.resourceType, resourceName: res.resourceName };
      try {
        const configs: Record<string, string> = {};
        for (const c of res.configs) if (c.value !== null) configs[c.name] = c.value;
        if (!req.validateOnly) {
          if (res.resourceType === 2) controller.setTopicConfigs(res.resourceName, configs);
          else controller.setResourceConfigs(res.resourceType, res.resourceName, configs);
        }
        return { ...base, errorCode: ErrorCode.NONE, errorMessage: null };
      } catch (err) {
        const { code, message } = codeOf(err);
        return { ...base, errorCode: code, errorMessage: message };
      }
    }),
  }),
);

/** An ACL's fields as the wire has them. */
function aclFields(a: AclEntry) {
  return { resourceType: a.resourceType, resourceName: a.resourceName, patternType: a.patternType, principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType };
}

const createAcls = defineApi<M.CreateAclsRequest, M.CreateAclsResponse, ControllerContext>(
  M.CreateAclsApi,
  [3, 3],
  { decodeRequest: M.decodeCreateAclsRequest, encodeResponse: M.encodeCreateAclsResponse },
  ({ controller }, req) => {
    const acls = req.creations.map((c) => ({ ...c, patternType: c.resourcePatternType }));
    try {
      return { throttleTimeMs: 0, results: controller.createAcls(acls) };
    } catch (err) {
      const { code, message } = codeOf(err);
      return { throttleTimeMs: 0, results: acls.map(() => ({ errorCode: code, errorMessage: message })) };
    }
  },
);

// AlterPartitionReassignments v0 (KIP-455): start, replace or cancel (null replicas) reassignments.
const alterPartitionReassignments = defineApi<M.AlterPartitionReassignmentsRequest, M.AlterPartitionReassignmentsResponse, ControllerContext>(
  M.AlterPartitionReassignmentsApi,
  [0, 0],
  { decodeRequest: M.decodeAlterPartitionReassignmentsRequest, encodeResponse: M.encodeAlterPartitionReassignmentsResponse },
  ({ controller }, req) => ({
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    responses: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        try {
          controller.reassignments.alter(t.name, p.partitionIndex, p.replicas);
          return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null };
        } catch (err) {
          const { code, message } = codeOf(err);
          return { partitionIndex: p.partitionIndex, errorCode: code, errorMessage: message };
        }
      }),
    })),
  }),
);

// ListPartitionReassignments v0: the ongoing reassignments (of every partition when topics is null).
const listPartitionReassignments = defineApi<M.ListPartitionReassignmentsRequest, M.ListPartitionReassignmentsResponse, ControllerContext>(
  M.ListPartitionReassignmentsApi,
  [0, 0],
  { decodeRequest: M.decodeListPartitionReassignmentsRequest, encodeResponse: M.encodeListPartitionReassignmentsResponse },
  ({ controller }, req) => {
    const topics: M.ListPartitionReassignmentsResponseOngoingTopicReassignment[] = [];
    for (const r of controller.reassignments.list(req.topics)) {
      let t = topics.find((x) => x.name === r.topic);
      if (!t) topics.push((t = { name: r.topic, partitions: [] }));
      t.partitions.push({ partitionIndex: r.partition, replicas: r.replicas, addingReplicas: r.addingReplicas, removingReplicas: r.removingReplicas });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics };
  },
);

// ElectLeaders v0–2: preferred (0) or unclean (1; v1+) elections. With topicPartitions null every
// partition is tried and, as in Kafka, those answering ELECTION_NOT_NEEDED are left out.
const electLeaders = defineApi<M.ElectLeadersRequest, M.ElectLeadersResponse, ControllerContext>(
  M.ElectLeadersApi,
  [0, 2],
  { decodeRequest: M.decodeElectLeadersRequest, encodeResponse: M.encodeElectLeadersResponse },
  ({ controller, apiVersion }, req) => {
    const type = apiVersion >= 1 ? req.electionType : 0;
    if (type !== 0 && type !== 1) return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: [] };
    const election = type === 0 ? 'preferred' : 'unclean';
    const elect = (topic: string, partitionId: number) => {
      try {
        controller.reassignments.electLeader(topic, partitionId, election);
        return { partitionId, errorCode: ErrorCode.NONE, errorMessage: null };
      } catch (err) {
        const { code, message } = codeOf(err);
        return { partitionId, errorCode: code, errorMessage: message };
      }
    };
    const results: M.ElectLeadersResponseReplicaElectionResult[] = [];
    if (req.topicPartitions === null) {
      for (const t of controller.image.topics.values()) {
        const partitionResult = t.partitions.map((_, i) => elect(t.name, i)).filter((r) => r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED);
        if (partitionResult.length > 0) results.push({ topic: t.name, partitionResult });
      }
    } else {
      for (const t of req.topicPartitions) results.push({ topic: t.topic, partitionResult: t.partitions.map((i) => elect(t.topic, i)) });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: results };
  },
);

// UnregisterBroker v0: remove a broker's registration (it leaves every ISR first).
const unregisterBroker = defineApi<M.UnregisterBrokerRequest, M.UnregisterBrokerResponse, ControllerContext>(
  M.UnregisterBrokerApi,
  [0, 0],
  { decodeRequest: M.decodeUnregisterBrokerRequest, encodeResponse: M.encodeUnregisterBrokerResponse },
  ({ controller }, req) => {
    try {
      controller.unregisterBroker(req.brokerId);
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null };
    } catch (err) {
      const { code, message } = codeOf(err);
      return { throttleTimeMs: 0, errorCode: code, errorMessage: message };
    }
  },
);

const deleteAcls = defineApi<M.DeleteAclsRequest, M.DeleteAclsResponse, ControllerContext>(
  M.DeleteAclsApi,
  [3, 3],
  { decodeRequest: M.decodeDeleteAclsRequest, encodeResponse: M.encodeDeleteAclsResponse },
  ({ controller }, req) => {
    const filters = req.filters.map((f) => ({
      resourceType: f.resourceTypeFilter,
      resourceName: f.resourceNameFilter,
      patternType: f.patternTypeFilter,
      principal: f.principalFilter,
      host: f.hostFilter,
      operation: f.operation,
      permissionType: f.permissionType,
    }));
    try {
      const results = controller.deleteAcls(filters);
      return {
        throttleTimeMs: 0,
        filterResults: results.map((r) => ({
          errorCode: r.errorCode,
          errorMessage: r.errorMessage,
          matchingAcls: r.deleted.map((a) => ({ errorCode: ErrorCode.NONE, errorMessage: null, ...aclFields(a) })),
        })),
      };
    } catch (err) {
      const { code, message } = codeOf(err);
      return { throttleTimeMs: 0, filterResults: filters.map(() => ({ errorCode: code, errorMessage: message, matchingAcls: [] })) };
    }
  },
);

const alterUserScramCredentials = defineApi<M.AlterUserScramCredentialsRequest, M.AlterUserScramCredentialsResponse, ControllerContext>(
  M.AlterUserScramCredentialsApi,
  [0, 0],
  { decodeRequest: M.decodeAlterUserScramCredentialsRequest, encodeResponse: M.encodeAlterUserScramCredentialsResponse },
  ({ controller }, req) => {
    try {
      return controller.alterUserScramCredentials(req);
    } catch (err) {
      const { code, message } = codeOf(err); // the commit failed: nothing changed
      const users = new Set([...req.deletions.map((d) => d.name), ...req.upsertions.map((u) => u.name)]);
      return { throttleTimeMs: 0, results: [...users].map((user) => ({ user, errorCode: code, errorMessage: message })) };
    }
  },
);

// AlterClientQuotas v0–1: each entry checked on its own (INVALID_REQUEST with Kafka's message);
// the valid ones are committed together unless validate_only.
const alterClientQuotas = defineApi<M.AlterClientQuotasRequest, M.AlterClientQuotasResponse, ControllerContext>(
  M.AlterClientQuotasApi,
  [0, 1],
  { decodeRequest: M.decodeAlterClientQuotasRequest, encodeResponse: M.encodeAlterClientQuotasResponse },
  ({ controller }, req) => {
    const records: Parameters<Controller['setClientQuotas']>[0] = [];
    const pending = new Map<string, Record<string, number>>();
    const entries = req.entries.map((e) => {
      const entity = e.entity.map((p) => ({ entityType: p.entityType, entityName: p.entityName }));
      const problem = invalidEntity(entity) ?? e.ops.map((op) => invalidQuotaOp(entity, op.key, op.value, op.remove)).find((m) => m !== null) ?? null;
      if (problem) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, entity };
      const { entity: canonical, key } = canonicalEntity(entity);
      const values = applyOps(pending.get(key) ?? controller.image.clientQuotas.get(key)?.values ?? {}, e.ops);
      pending.set(key, values);
      records.push({ type: 'clientQuota', entity: canonical, values });
      return { errorCode: ErrorCode.NONE, errorMessage: null, entity };
    });
    if (!req.validateOnly && records.length > 0) {
      try {
        controller.setClientQuotas(records);
      } catch (err) {
        const { code, message } = codeOf(err);
        for (const e of entries) if (e.errorCode === ErrorCode.NONE) Object.assign(e, { errorCode: code, errorMessage: message });
      }
    }
    return { throttleTimeMs: 0, entries };
  },
);

// DescribeQuorum v0–2: the controller as the single voter of the metadata log. It goes by the
// lowest registered broker id (as a one-node combined-mode Kafka's controller shares its node id
// with the broker), at quorum epoch 1; the other brokers are the observers, with the metadata
// offset and time of their last heartbeat. v2 adds the voter's CONTROLLER listener.
const QUORUM_EPOCH = 1;
const describeQuorum = defineApi<M.DescribeQuorumRequest, M.DescribeQuorumResponse, ControllerContext>(
  M.DescribeQuorumApi,
  [0, 2],
  { decodeRequest: M.decodeDescribeQuorumRequest, encodeResponse: M.encodeDescribeQuorumResponse },
  ({ controller }, req) => {
    const t = req.topics[0];
    if (req.topics.length !== 1 || t?.topicName !== METADATA_TOPIC || t.partitions.length !== 1 || t.partitions[0]!.partitionIndex !== 0) {
      return {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        nodes: [],
        topics: req.topics.map((x) => ({
          topicName: x.topicName,
          partitions: x.partitions.map((p) => ({ ...M.defaultDescribeQuorumResponsePartitionData(), partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null })),
        })),
      };
    }
    const { now, brokers: observers } = controller.observers();
    const voterId = observers[0]?.nodeId ?? -1;
    const highWatermark = controller.logEndOffset;
    const state = (replicaId: number, logEndOffset: number, lastFetchTimestamp: number) => ({
      replicaId,
      replicaDirectoryId: Buffer.alloc(16),
      logEndOffset,
      lastFetchTimestamp,
      lastCaughtUpTimestamp: logEndOffset >= highWatermark ? lastFetchTimestamp : -1,
    });
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      topics: [
        {
          topicName: METADATA_TOPIC,
          partitions: [
            {
              partitionIndex: 0,
              errorCode: ErrorCode.NONE,
              errorMessage: null,
              leaderId: voterId,
              leaderEpoch: QUORUM_EPOCH,
              highWatermark,
              currentVoters: [state(voterId, highWatermark, now)],
              observers: observers.filter((o) => o.nodeId !== voterId).map((o) => state(o.nodeId, o.logEndOffset, o.lastFetchTimestamp)),
            },
          ],
        },
      ],
      nodes: voterId === -1 ? [] : [{ nodeId: voterId, listeners: [{ name: 'CONTROLLER', host: controller.host, port: controller.port }] }],
    };
  },
);

export const CONTROLLER_APIS: Api<any, any, ControllerContext>[] = [
  unregisterBroker,
  alterClientQuotas,
  describeQuorum,
  alterPartitionReassignments,
  listPartitionReassignments,
  electLeaders,
  brokerRegistration,
  brokerHeartbeat,
  alterPartition,
  allocateProducerIds,
  metadataFetch,
  createTopics,
  deleteTopics,
  createPartitions,
  alterConfigs,
  alterUserScramCredentials,
  createAcls,
  deleteAcls,
];
