// DeleteRecords v0–2: move a partition's log start offset forward (offset -1 means the
// high watermark); whole segments below it are deleted. Answers the new low watermark.
// An offset past the high watermark is OFFSET_OUT_OF_RANGE. The internal __consumer_offsets
// is INVALID_TOPIC_EXCEPTION, as in Kafka; a partition whose log cannot be written KAFKA_STORAGE_ERROR.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { decodeDeleteRecordsRequest, DeleteRecordsApi, encodeDeleteRecordsResponse } from '../../protocol/messages/DeleteRecords.js';
import type { DeleteRecordsResponse } from '../../protocol/messages/DeleteRecords.js';
import { int64ForComparison } from '../../protocol/primitives.js';
import { GROUP_METADATA_TOPIC } from '../group/GroupMetadataRecords.js';
import { defineApi } from './Api.js';

export const deleteRecordsApi = defineApi(
  DeleteRecordsApi,
  [0, 2],
  { decodeRequest: decodeDeleteRecordsRequest, encodeResponse: encodeDeleteRecordsResponse },
  (ctx, req): DeleteRecordsResponse => {
    const rm = ctx.broker.replicaManager;
    const topics = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        try {
          if (t.name === GROUP_METADATA_TOPIC) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot delete records of internal topic ${t.name}`);
          const partition = rm.leaderPartitionOrThrow(t.name, p.partitionIndex);
          const target = p.offset === -1 ? partition.highWatermark : int64ForComparison(p.offset);
          if (target < 0 || target > partition.highWatermark) throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE);
          const low = partition.log.deleteRecordsBefore(target);
          return { partitionIndex: p.partitionIndex, lowWatermark: low, errorCode: ErrorCode.NONE };
        } catch (err) {
          if (err instanceof KafkaError) return { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: err.code };
          // An I/O error: KAFKA_STORAGE_ERROR for this partition, as Kafka's log layer wraps it.
          ctx.broker.log.error(`DeleteRecords on ${t.name}-${p.partitionIndex} failed: ${(err as Error).message}`);
          return { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: ErrorCode.KAFKA_STORAGE_ERROR };
        }
      }),
    }));
    return { throttleTimeMs: 0, topics };
  },
  (req, code) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: code })) })),
  }),
);
