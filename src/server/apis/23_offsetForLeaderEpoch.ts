// OffsetForLeaderEpoch v0–4 (KIP-101/KIP-320): for each partition this broker leads, the
// largest leader epoch <= the requested one in its log and the offset where that epoch ends
// (the log end offset for the current epoch); epoch -1 and offset -1 when the log knows no
// such epoch. current_leader_epoch (v2+) fences stale callers (FENCED_LEADER_EPOCH,
// UNKNOWN_LEADER_EPOCH); a partition led elsewhere is NOT_LEADER_OR_FOLLOWER. Consumers use it
// to detect that a new leader truncated records they had already read.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import {
  decodeOffsetForLeaderEpochRequest,
  encodeOffsetForLeaderEpochResponse,
  OffsetForLeaderEpochApi,
} from '../../protocol/messages/OffsetForLeaderEpoch.js';
import type { OffsetForLeaderEpochResponse } from '../../protocol/messages/OffsetForLeaderEpoch.js';
import { defineApi } from './Api.js';

export const offsetForLeaderEpochApi = defineApi(
  OffsetForLeaderEpochApi,
  [0, 4],
  { decodeRequest: decodeOffsetForLeaderEpochRequest, encodeResponse: encodeOffsetForLeaderEpochResponse },
  (ctx, req): OffsetForLeaderEpochResponse => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => {
        try {
          const partition = ctx.broker.replicaManager.leaderPartitionOrThrow(t.topic, p.partition, p.currentLeaderEpoch);
          const end = partition.log.endOffsetForEpoch(p.leaderEpoch);
          return { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: end.epoch, endOffset: end.endOffset };
        } catch (err) {
          if (!(err instanceof KafkaError)) throw err;
          return { errorCode: err.code, partition: p.partition, leaderEpoch: -1, endOffset: -1 };
        }
      }),
    })),
  }),
  (req, code) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ errorCode: code, partition: p.partition, leaderEpoch: -1, endOffset: -1 })) })),
  }),
);
