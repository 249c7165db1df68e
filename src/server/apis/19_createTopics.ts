// CreateTopics v0–7. Kafka's validations in Broker.createTopic (name, partitions,
// replication factor, configs), per topic; a name repeated in one request is
// INVALID_REQUEST for each copy. Manual assignments must name this broker only.
// validate_only checks without creating. v5+ returns the topic's configs and sizes.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { CreateTopicsApi, decodeCreateTopicsRequest, encodeCreateTopicsResponse } from '../../protocol/messages/CreateTopics.js';
import type { CreateTopicsResponse } from '../../protocol/messages/CreateTopics.js';
import { defineApi } from './Api.js';
import { topicConfigEntries } from './configSources.js';
import { topicIdBytes } from './03_metadata.js';

type TopicResult = CreateTopicsResponse['topics'][number];

export const createTopicsApi = defineApi(
  CreateTopicsApi,
  [0, 7],
  { decodeRequest: decodeCreateTopicsRequest, encodeResponse: encodeCreateTopicsResponse },
  (ctx, req): CreateTopicsResponse => {
    const { broker } = ctx;
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const topics = req.topics.map((t): TopicResult => {
      const fail = (errorCode: number, errorMessage: string | null): TopicResult => ({
        name: t.name,
        topicId: Buffer.alloc(16),
        errorCode,
        errorMessage,
        topicConfigErrorCode: 0,
        numPartitions: -1,
        replicationFactor: -1,
        configs: null,
      });
      if (counts.get(t.name)! > 1) return fail(ErrorCode.INVALID_REQUEST, `Create topics request from client contains duplicate topic: ${t.name}`);
      let partitions = t.numPartitions;
      let rf = t.replicationFactor;
      if (t.assignments.length > 0) {
        if (partitions !== -1 || rf !== -1) {
          return fail(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
        }
        const bad = t.assignments.find((a, i) => a.partitionIndex !== i || a.brokerIds.length === 0 || a.brokerIds.some((id) => id !== broker.nodeId));
        if (bad) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Invalid replica assignment for partition ${bad.partitionIndex}`);
        partitions = t.assignments.length;
        rf = t.assignments[0]!.brokerIds.length;
      }
      const configs: Record<string, string> = {};
      for (const c of t.configs) {
        if (c.value === null) return fail(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${c.name}`);
        configs[c.name] = c.value;
      }
      try {
        const created = broker.createTopic(t.name, partitions, rf, configs, req.validateOnly);
        return {
          name: t.name,
          topicId: topicIdBytes(created.topicId),
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          topicConfigErrorCode: 0,
          numPartitions: created.partitions,
          replicationFactor: 1,
          configs: topicConfigEntries(broker, created).map((c) => ({
            name: c.name,
            value: c.value,
            readOnly: false,
            configSource: c.source,
            isSensitive: false,
          })),
        };
      } catch (err) {
        if (err instanceof KafkaError) return fail(err.code, err.message);
        throw err;
      }
    });
    return { throttleTimeMs: 0, topics };
  },
);
