// Metadata v0–13, with real topic ids (v10+), so no client negotiates v9 as its maximum
// (v9 has no ids: see CLIENTS.md). All topics for v0's empty list and v1+'s null list; named
// topics that do not exist are created when auto.create.topics.enable and the request
// allows it (always below v4), and returned at once. Invalid names get
// INVALID_TOPIC_EXCEPTION, unknown ones UNKNOWN_TOPIC_OR_PARTITION, unknown ids (v10+)
// UNKNOWN_TOPIC_ID. Offline partitions (no live leader) are LEADER_NOT_AVAILABLE. __consumer_offsets is
// listed like any topic, with is_internal set (clients filter it out themselves). v13's
// top-level error code (KIP-1102's REBOOTSTRAP_REQUIRED) is NONE: this broker never asks a
// client to rebootstrap; a failed request carries its code there too, as Kafka's error response.
import { ErrorCode } from '../../protocol/errors.js';
import { decodeMetadataRequest, encodeMetadataResponse, MetadataApi } from '../../protocol/messages/Metadata.js';
import type { MetadataResponse } from '../../protocol/messages/Metadata.js';
import type { Broker } from '../Broker.js';
import { GROUP_METADATA_TOPIC } from '../group/GroupMetadataRecords.js';
import { invalidTopicName } from '../../common/Topic.js';
import type { TopicMetadata } from '../MetadataCache.js';
import { defineApi } from './Api.js';

type TopicResult = MetadataResponse['topics'][number];

const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
// Topic ACL operations (READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS): all allowed.
const TOPIC_OPERATIONS = [3, 4, 5, 6, 7, 8, 10, 11].reduce((bits, op) => bits | (1 << op), 0);
// Cluster operations (CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE).
const CLUSTER_OPERATIONS = [5, 7, 8, 9, 10, 11, 12].reduce((bits, op) => bits | (1 << op), 0);

export function topicIdBytes(topicIdHex: string): Buffer {
  return topicIdHex ? Buffer.from(topicIdHex, 'hex') : Buffer.alloc(16);
}

function describeTopic(broker: Broker, t: TopicMetadata, operations: number): TopicResult {
  const partitions = [];
  for (let i = 0; i < t.partitions; i++) {
    const state = broker.metadata.partitionState(t.name, i)!;
    const leaderLive = state.leader >= 0 && broker.image.isLive(state.leader);
    partitions.push({
      // An offline partition: clients retry LEADER_NOT_AVAILABLE until a leader is elected.
      errorCode: leaderLive ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
      partitionIndex: i,
      leaderId: leaderLive ? state.leader : -1,
      leaderEpoch: state.leaderEpoch,
      replicaNodes: state.replicas,
      isrNodes: state.isr,
      offlineReplicas: state.replicas.filter((r) => !broker.image.isLive(r)),
    });
  }
  return { errorCode: ErrorCode.NONE, name: t.name, topicId: topicIdBytes(t.topicId), isInternal: t.name === GROUP_METADATA_TOPIC, partitions, topicAuthorizedOperations: operations };
}

function topicError(name: string | null, errorCode: number): TopicResult {
  return { errorCode, name, topicId: Buffer.alloc(16), isInternal: name === GROUP_METADATA_TOPIC, partitions: [], topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
}

export const metadataApi = defineApi(
  MetadataApi,
  [0, 13],
  { decodeRequest: decodeMetadataRequest, encodeResponse: encodeMetadataResponse },
  async (ctx, req): Promise<MetadataResponse> => {
    const { broker } = ctx;
    const operations = req.includeTopicAuthorizedOperations ? TOPIC_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;
    const all = req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0);
    const autoCreate = broker.config.bool('auto.create.topics.enable') && (ctx.apiVersion < 4 || req.allowAutoTopicCreation);
    let topics: TopicResult[];
    if (all) {
      topics = broker.metadata.all().map((t) => describeTopic(broker, t, operations));
    } else {
      topics = await Promise.all(
        req.topics!.map(async (rt) => {
          if (rt.name === null) {
            // v10+: a topic asked for by id.
            const byId = broker.metadata.getById(rt.topicId.toString('hex'));
            if (byId) return describeTopic(broker, byId, operations);
            return { ...topicError('', ErrorCode.UNKNOWN_TOPIC_ID), name: null, topicId: rt.topicId };
          }
          const name = rt.name;
          const existing = broker.metadata.get(name);
          if (existing) return describeTopic(broker, existing, operations);
          if (!autoCreate) return topicError(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          const bad = invalidTopicName(name);
          if (bad) return topicError(name, ErrorCode.INVALID_TOPIC_EXCEPTION);
          const code = await broker.autoCreateTopic(name).catch(() => ErrorCode.LEADER_NOT_AVAILABLE);
          const created = broker.metadata.get(name);
          if (created) return describeTopic(broker, created, operations);
          return topicError(name, code === ErrorCode.INVALID_TOPIC_EXCEPTION ? code : ErrorCode.LEADER_NOT_AVAILABLE);
        }),
      );
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      brokers: broker.metadata.liveBrokers(ctx.conn.listenerName).map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
      clusterId: broker.clusterId,
      controllerId: broker.metadata.controllerId(),
      topics,
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
  (req, code) => ({
    throttleTimeMs: 0,
    errorCode: code,
    brokers: [],
    clusterId: null,
    controllerId: -1,
    topics: (req.topics ?? []).map((t) => ({ ...topicError(t.name ?? '', code), topicId: t.topicId })),
    clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  }),
);
