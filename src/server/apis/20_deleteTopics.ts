// DeleteTopics v0–6 (v6 may name topics by id), forwarded to the controller; the reply waits
// until this broker's metadata no longer has them (every replica deletes its logs when it
// sees the change). An unknown name is UNKNOWN_TOPIC_OR_PARTITION, an unknown id UNKNOWN_TOPIC_ID.
// The partitions of each known topic count against the client's controller_mutation_rate
// (KIP-599): from v5 on strictly, a topic that finds the quota exhausted is
// THROTTLING_QUOTA_EXCEEDED and kept; before v5 all are deleted and the response is throttled.
import { ErrorCode } from '../../protocol/errors.js';
import { decodeDeleteTopicsRequest, DeleteTopicsApi, encodeDeleteTopicsResponse } from '../../protocol/messages/DeleteTopics.js';
import type { DeleteTopicsResponse } from '../../protocol/messages/DeleteTopics.js';
import { controllerMutationQuotaFor, throttleWithControllerQuota } from '../quota/mutationQuota.js';
import { defineApi } from './Api.js';

type Result = DeleteTopicsResponse['responses'][number];

export const deleteTopicsApi = defineApi(
  DeleteTopicsApi,
  [0, 6],
  { decodeRequest: decodeDeleteTopicsRequest, encodeResponse: encodeDeleteTopicsResponse },
  async (ctx, req): Promise<DeleteTopicsResponse> => {
    const { broker } = ctx;
    const targets =
      ctx.apiVersion >= 6
        ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
        : req.topicNames.map((name) => ({ name: name as string | null, topicId: Buffer.alloc(16) }));
    const resolved = targets.map(({ name, topicId }) => {
      const topic = name === null ? broker.metadata.getById(topicId.toString('hex')) : broker.metadata.get(name);
      return { name, topicId, topic };
    });
    const quota = controllerMutationQuotaFor(ctx, 5);
    const seen = new Set<string>();
    const refused = new Set<string>();
    for (const { topic } of resolved) {
      if (!topic || seen.has(topic.name)) continue;
      seen.add(topic.name);
      if (!quota.record(topic.partitions)) refused.add(topic.name);
    }
    const known = resolved.filter((r) => r.topic && !refused.has(r.topic.name)).map((r) => r.topic!.name);
    const forwarded = known.length > 0 ? await broker.deleteTopics(known) : { throttleTimeMs: 0, responses: [] };
    const byName = new Map(forwarded.responses.map((r) => [r.name, r]));
    const responses = resolved.map(({ name, topicId, topic }): Result => {
      if (!topic) return { name, topicId, errorCode: name === null ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null };
      if (refused.has(topic.name)) return { name: topic.name, topicId: Buffer.from(topic.topicId, 'hex'), errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED, errorMessage: null };
      const r = byName.get(topic.name);
      return { name: topic.name, topicId: Buffer.from(topic.topicId, 'hex'), errorCode: r?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: r?.errorMessage ?? null };
    });
    return throttleWithControllerQuota(ctx, quota, { throttleTimeMs: 0, responses });
  },
  // Kafka leaves error_message (v5+) null here.
  (req, code, v) => ({
    throttleTimeMs: 0,
    responses: (v >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: Buffer.alloc(16) }))).map((t) => ({
      name: t.name,
      topicId: t.topicId,
      errorCode: code,
      errorMessage: null,
    })),
  }),
);
