// Metadata v0–8 (capped at 8: v9 is flexible without topic ids, which some clients
// mishandle; see CLIENTS.md). All topics for v0's empty list and v1+'s null list; named
// topics that do not exist are created when auto.create.topics.enable and the request
// allows it (always below v4), and returned at once. Invalid names get
// INVALID_TOPIC_EXCEPTION, unknown ones UNKNOWN_TOPIC_OR_PARTITION.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { decodeMetadataRequest, encodeMetadataResponse, MetadataApi } from '../../protocol/messages/Metadata.js';
import type { MetadataResponse } from '../../protocol/messages/Metadata.js';
import type { Broker } from '../Broker.js';
import type { TopicMetadata } from '../MetadataStore.js';
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
    const p = broker.replicaManager.getPartition(t.name, i);
    partitions.push({
      errorCode: ErrorCode.NONE,
      partitionIndex: i,
      leaderId: broker.nodeId,
      leaderEpoch: p?.leaderEpoch ?? 0,
      replicaNodes: [broker.nodeId],
      isrNodes: [broker.nodeId],
      offlineReplicas: [],
    });
  }
  return { errorCode: ErrorCode.NONE, name: t.name, topicId: topicIdBytes(t.topicId), isInternal: false, partitions, topicAuthorizedOperations: operations };
}

function topicError(name: string, errorCode: number): TopicResult {
  return { errorCode, name, topicId: Buffer.alloc(16), isInternal: false, partitions: [], topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
}

export const metadataApi = defineApi(
  MetadataApi,
  [0, 8],
  { decodeRequest: decodeMetadataRequest, encodeResponse: encodeMetadataResponse },
  (ctx, req): MetadataResponse => {
    const { broker } = ctx;
    const operations = req.includeTopicAuthorizedOperations ? TOPIC_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;
    const all = req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0);
    const autoCreate = broker.config.bool('auto.create.topics.enable') && (ctx.apiVersion < 4 || req.allowAutoTopicCreation);
    let topics: TopicResult[];
    if (all) {
      topics = broker.metadata.all().map((t) => describeTopic(broker, t, operations));
    } else {
      topics = req.topics!.map((rt) => {
        const name = rt.name ?? '';
        const existing = broker.metadata.get(name);
        if (existing) return describeTopic(broker, existing, operations);
        if (!autoCreate) return topicError(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        try {
          return describeTopic(broker, broker.createTopic(name, -1, -1, {}), operations);
        } catch (err) {
          if (err instanceof KafkaError) return topicError(name, err.code === ErrorCode.INVALID_TOPIC_EXCEPTION ? err.code : ErrorCode.LEADER_NOT_AVAILABLE);
          throw err;
        }
      });
    }
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: broker.nodeId, host: broker.advertisedHost, port: broker.port, rack: null }],
      clusterId: broker.clusterId,
      controllerId: broker.nodeId,
      topics,
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
  (req, code) => ({
    throttleTimeMs: 0,
    brokers: [],
    clusterId: null,
    controllerId: -1,
    topics: (req.topics ?? []).map((t) => topicError(t.name ?? '', code)),
    clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  }),
);
