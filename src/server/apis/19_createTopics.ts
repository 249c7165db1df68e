// CreateTopics v0–7, forwarded to the controller, which validates (name, partitions,
// replication factor against the live brokers, assignments, configs) and places replicas; a
// name repeated in one request is INVALID_REQUEST for each copy, as Kafka answers. The reply
// waits until this broker's metadata shows the new topics. validate_only checks without
// creating. v5+ returns the topic's configs and sizes.
// The partitions created count against the client's controller_mutation_rate (KIP-599): from v6
// on strictly, a topic that finds the quota exhausted is THROTTLING_QUOTA_EXCEEDED and not
// created; before v6 all are created and the response is throttled. Validate-only requests
// count too, as in KRaft.
import { ErrorCode } from '../../protocol/errors.js';
import { CreateTopicsApi, decodeCreateTopicsRequest, encodeCreateTopicsResponse } from '../../protocol/messages/CreateTopics.js';
import type { CreateTopicsRequest, CreateTopicsResponse } from '../../protocol/messages/CreateTopics.js';
import type { Broker } from '../Broker.js';
import type { ControllerMutationQuota } from '../quota/ControllerMutationQuotaManager.js';
import { controllerMutationQuotaFor, throttleWithControllerQuota } from '../quota/mutationQuota.js';
import { defineApi } from './Api.js';
import { topicConfigEntries } from './configSources.js';

type TopicResult = CreateTopicsResponse['topics'][number];

export const createTopicsApi = defineApi(
  CreateTopicsApi,
  [0, 7],
  { decodeRequest: decodeCreateTopicsRequest, encodeResponse: encodeCreateTopicsResponse },
  async (ctx, req): Promise<CreateTopicsResponse> => {
    const { broker } = ctx;
    const quota = controllerMutationQuotaFor(ctx, 6);
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const unique = req.topics.filter((t) => counts.get(t.name) === 1);
    const forwarded = unique.length > 0 ? await createWithinQuota(broker, { ...req, topics: unique }, quota) : { throttleTimeMs: 0, topics: [] };
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
    return throttleWithControllerQuota(ctx, quota, { throttleTimeMs: 0, topics });
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

/**
 * Create the topics, counting their partitions against `quota`. A strict quota is taken in
 * request order over the topics the controller finds valid (asked first with validate_only, as
 * Kafka's controller charges a topic only once it passed its checks); the refused are not sent.
 */
async function createWithinQuota(broker: Broker, req: CreateTopicsRequest, quota: ControllerMutationQuota): Promise<CreateTopicsResponse> {
  if (quota.kind !== 'strict') {
    const res = await broker.createTopics(req);
    for (const r of res.topics) if (r.errorCode === ErrorCode.NONE) quota.record(r.numPartitions);
    return res;
  }
  const checked = await broker.createTopics({ ...req, validateOnly: true });
  const refused = new Set<string>();
  for (const r of checked.topics) if (r.errorCode === ErrorCode.NONE && !quota.record(r.numPartitions)) refused.add(r.name);
  const rest = req.topics.filter((t) => !refused.has(t.name));
  const res = req.validateOnly || rest.length === 0 ? checked : await broker.createTopics({ ...req, topics: rest });
  return {
    ...res,
    topics: [
      ...res.topics.filter((r) => !refused.has(r.name)),
      ...[...refused].map((name): TopicResult => ({
        name,
        topicId: Buffer.alloc(16),
        errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED,
        errorMessage: null, // Kafka's ApiError leaves the generic message out
        topicConfigErrorCode: 0,
        numPartitions: -1,
        replicationFactor: -1,
        configs: null,
      })),
    ],
  };
}
