// CreatePartitions v0–3: grow a topic to `count` partitions (never shrink: INVALID_PARTITIONS).
// Manual assignments must name this broker only.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { CreatePartitionsApi, decodeCreatePartitionsRequest, encodeCreatePartitionsResponse } from '../../protocol/messages/CreatePartitions.js';
import type { CreatePartitionsResponse } from '../../protocol/messages/CreatePartitions.js';
import { defineApi } from './Api.js';

export const createPartitionsApi = defineApi(
  CreatePartitionsApi,
  [0, 3],
  { decodeRequest: decodeCreatePartitionsRequest, encodeResponse: encodeCreatePartitionsResponse },
  (ctx, req): CreatePartitionsResponse => {
    const { broker } = ctx;
    const results = req.topics.map((t) => {
      try {
        if (t.assignments && t.assignments.some((a) => a.brokerIds.some((id) => id !== broker.nodeId))) {
          throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Assignments may only name broker ${broker.nodeId}`);
        }
        broker.addPartitions(t.name, t.count, req.validateOnly);
        return { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null };
      } catch (err) {
        if (err instanceof KafkaError) return { name: t.name, errorCode: err.code, errorMessage: err.message };
        throw err;
      }
    });
    return { throttleTimeMs: 0, results };
  },
);
