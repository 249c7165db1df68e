// DeleteTopics v0–6 (v6 may name topics by id). The partitions' logs are removed at
// once; an unknown name is UNKNOWN_TOPIC_OR_PARTITION, an unknown id UNKNOWN_TOPIC_ID.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { decodeDeleteTopicsRequest, DeleteTopicsApi, encodeDeleteTopicsResponse } from '../../protocol/messages/DeleteTopics.js';
import type { DeleteTopicsResponse } from '../../protocol/messages/DeleteTopics.js';
import { defineApi } from './Api.js';

type Result = DeleteTopicsResponse['responses'][number];

export const deleteTopicsApi = defineApi(
  DeleteTopicsApi,
  [0, 6],
  { decodeRequest: decodeDeleteTopicsRequest, encodeResponse: encodeDeleteTopicsResponse },
  (ctx, req): DeleteTopicsResponse => {
    const { broker } = ctx;
    const targets =
      ctx.apiVersion >= 6
        ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
        : req.topicNames.map((name) => ({ name: name as string | null, topicId: Buffer.alloc(16) }));
    const responses = targets.map(({ name, topicId }): Result => {
      const byId = name === null;
      const idHex = topicId.toString('hex');
      const topic = byId ? broker.metadata.getById(idHex) : broker.metadata.get(name);
      const result = (errorCode: number, errorMessage: string | null = null): Result => ({
        name: topic?.name ?? name,
        topicId: topic ? Buffer.from(topic.topicId, 'hex') : topicId,
        errorCode,
        errorMessage,
      });
      if (!topic) return result(byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      try {
        broker.deleteTopic(topic.name);
        return result(ErrorCode.NONE);
      } catch (err) {
        if (err instanceof KafkaError) return result(err.code, err.message);
        throw err;
      }
    });
    return { throttleTimeMs: 0, responses };
  },
);
