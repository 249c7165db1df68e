// ListOffsets v1–7: earliest (-2), latest (-1, the high watermark; for read_committed the
// last stable offset), max timestamp (-3, v7+) and the first offset whose timestamp is >= a
// given time below the high watermark (read_committed: the LSO) (offset and timestamp -1 when none).
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { decodeListOffsetsRequest, encodeListOffsetsResponse, ListOffsetsApi } from '../../protocol/messages/ListOffsets.js';
import type { ListOffsetsResponse } from '../../protocol/messages/ListOffsets.js';
import { defineApi } from './Api.js';

export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
export const MAX_TIMESTAMP = -3;

type PartitionResult = ListOffsetsResponse['topics'][number]['partitions'][number];

export const listOffsetsApi = defineApi(
  ListOffsetsApi,
  [1, 7],
  { decodeRequest: decodeListOffsetsRequest, encodeResponse: encodeListOffsetsResponse },
  (ctx, req): ListOffsetsResponse => {
    const rm = ctx.broker.replicaManager;
    const topics = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p): PartitionResult => {
        const result = (errorCode: number, offset = -1, timestamp = -1, leaderEpoch = -1) =>
          partitionResult(p.partitionIndex, errorCode, offset, timestamp, leaderEpoch);
        try {
          const partition = rm.leaderPartitionOrThrow(t.name, p.partitionIndex, p.currentLeaderEpoch);
          const epoch = partition.leaderEpoch;
          switch (p.timestamp) {
            case LATEST_TIMESTAMP:
              return result(ErrorCode.NONE, req.isolationLevel === 1 ? partition.lastStableOffset : partition.highWatermark, -1, epoch);
            case EARLIEST_TIMESTAMP:
              return result(ErrorCode.NONE, partition.logStartOffset, -1, epoch);
            case MAX_TIMESTAMP: {
              if (ctx.apiVersion < 7) return result(ErrorCode.UNSUPPORTED_VERSION);
              const found = partition.log.fetchMaxTimestampOffset();
              return found ? result(ErrorCode.NONE, found.offset, found.timestamp, epoch) : result(ErrorCode.NONE);
            }
            default: {
              if (p.timestamp < 0) return result(ErrorCode.UNSUPPORTED_VERSION);
              // A bigint target lies past 2^53-1, after every timestamp the log can hold: nothing found.
              const found = typeof p.timestamp === 'bigint' ? null : partition.log.fetchOffsetByTimestamp(p.timestamp);
              return found && found.offset < (req.isolationLevel === 1 ? partition.lastStableOffset : partition.highWatermark)
                ? result(ErrorCode.NONE, found.offset, found.timestamp, epoch)
                : result(ErrorCode.NONE);
            }
          }
        } catch (err) {
          if (err instanceof KafkaError) return result(err.code);
          throw err;
        }
      }),
    }));
    return { throttleTimeMs: 0, topics };
  },
  (req, code) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => partitionResult(p.partitionIndex, code)) })),
  }),
);

function partitionResult(partitionIndex: number, errorCode: number, offset = -1, timestamp = -1, leaderEpoch = -1): PartitionResult {
  return { partitionIndex, errorCode, oldStyleOffsets: [], timestamp, offset, leaderEpoch };
}
