// CreateTopics v0–7, forwarded to the controller, which validates (name, partitions,
// replication factor against the live brokers, assignments, configs) and places replicas; a
// name repeated in one request is INVALID_REQUEST for each copy, as Kafka answers. The reply
// waits until this broker's metadata shows the new topics. validate_only checks without
// creating. v5+ returns the topic's configs and sizes.
import { ErrorCode } from '../../protocol/errors.js';
import { CreateTopicsApi, decodeCreateTopicsRequest, encodeCreateTopicsResponse } from '../../protocol/messages/CreateTopics.js';
import type { CreateTopicsResponse } from '../../protocol/messages/CreateTopics.js';
import { defineApi } from './Api.js';
import { topicConfigEntries } from './configSources.js';

type TopicResult = CreateTopicsResponse['topics'][number];

export const createTopicsApi = defineApi(
  CreateTopicsApi,
  [0, 7],
  { decodeRequest: decodeCreateTopicsRequest, encodeResponse: encodeCreateTopicsResponse },
  async (ctx, req): Promise<CreateTopicsResponse> => {
    const { broker } = ctx;
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const unique = req.topics.filter((t) => counts.get(t.name) === 1);
    const forwarded = unique.length > 0 ? await broker.createTopics({ ...req, topics: unique }) : { throttleTimeMs: 0, topics: [] };
    const byName = new Map(forwarded.topics.map((r) => [r.name, r]));
    const topics = req.topics.map((t): TopicResult => {
      const r = byName.get(t.name);
      if (!r || counts.get(t.name)! > 1) {
        return {
          name: t.name,
          topicId: Buffer.alloc(16),
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: `Create topics request from client contains duplicate topic: ${t.name}`,
          topicConfigErrorCode: 0,
          numPartitions: -1,
          replicationFactor: -1,
          configs: null,
        };
      }
      if (r.errorCode !== ErrorCode.NONE) return { ...r, numPartitions: -1, replicationFactor: -1, configs: null };
      const configs: Record<string, string> = {};
      for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value;
      return {
        ...r,
        errorMessage: null, // Kafka's success carries no message (the schema default "" would)
        configs: topicConfigEntries(broker, { configs }).map((c) => ({ name: c.name, value: c.value, readOnly: false, configSource: c.source, isSensitive: false })),
      };
    });
    return { throttleTimeMs: 0, topics };
  },
  (req, code, _v, message = null) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      topicId: Buffer.alloc(16),
      errorCode: code,
      errorMessage: message,
      topicConfigErrorCode: 0,
      numPartitions: -1,
      replicationFactor: -1,
      configs: [],
    })),
  }),
);
