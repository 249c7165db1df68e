// ListOffsets v0–11. v1+: earliest (-2), latest (-1, the high watermark; for read_committed the
// last stable offset), max timestamp (-3, v7+), earliest local (-4, v8+: the log start, as Kafka
// answers without tiered storage), latest tiered (-5, v9+) and earliest pending upload (-6,
// v11+): offset, timestamp and leader epoch -1 without tiered storage, as Kafka answers; any
// other time: the first offset whose timestamp is >= it below the high watermark (read_committed:
// the LSO) (offset and timestamp -1 when none). A sentinel older than the request's version, or
// an unknown negative one, is UNSUPPORTED_VERSION. Earliest answers the epoch of the log's first
// leader epoch entry (-1 if it starts after the log start), as Kafka does.
// v0 (Kafka 3.9's legacy form, which kafkajs can force): up to max_num_offsets offsets in
// old_style_offsets, picked from segment boundaries by file modification time
// (UnifiedLog.legacyFetchOffsetsBefore), capped at the high watermark for consumers; only -1
// and -2 among negative times. v10's timeout_ms only matters for tiered storage and is ignored.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { decodeListOffsetsRequest, encodeListOffsetsResponse, ListOffsetsApi } from '../../protocol/messages/ListOffsets.js';
import type { ListOffsetsResponse } from '../../protocol/messages/ListOffsets.js';
import type { Partition } from '../Partition.js';
import { defineApi } from './Api.js';

export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
export const MAX_TIMESTAMP = -3;
export const EARLIEST_LOCAL_TIMESTAMP = -4;
export const LATEST_TIERED_TIMESTAMP = -5;
export const EARLIEST_PENDING_UPLOAD_TIMESTAMP = -6;

/** The first version that may ask for each sentinel (Kafka's ReplicaManager.timestampMinSupportedVersion). */
const SENTINEL_MIN_VERSION = new Map<number, number>([
  [EARLIEST_TIMESTAMP, 1],
  [LATEST_TIMESTAMP, 1],
  [MAX_TIMESTAMP, 7],
  [EARLIEST_LOCAL_TIMESTAMP, 8],
  [LATEST_TIERED_TIMESTAMP, 9],
  [EARLIEST_PENDING_UPLOAD_TIMESTAMP, 11],
]);

/** ListOffsets v0's replica id of a consumer (offsets capped at the high watermark). */
const CONSUMER_REPLICA_ID = -1;

type PartitionResult = ListOffsetsResponse['topics'][number]['partitions'][number];

export const listOffsetsApi = defineApi(
  ListOffsetsApi,
  [0, 11],
  { decodeRequest: decodeListOffsetsRequest, encodeResponse: encodeListOffsetsResponse },
  (ctx, req): ListOffsetsResponse => {
    const rm = ctx.broker.replicaManager;
    const v = ctx.apiVersion;
    const topics = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p): PartitionResult => {
        const result = (errorCode: number, offset = -1, timestamp = -1, leaderEpoch = -1) =>
          partitionResult(p.partitionIndex, errorCode, offset, timestamp, leaderEpoch);
        const ts = p.timestamp;
        // A bigint lies beyond ±(2^53-1): below, an unknown sentinel; above, after every timestamp the log holds.
        if (typeof ts === 'bigint' && ts < 0n) return result(ErrorCode.UNSUPPORTED_VERSION);
        try {
          if (v === 0) {
            if (typeof ts === 'number' && ts < EARLIEST_TIMESTAMP) return result(ErrorCode.UNSUPPORTED_VERSION);
            const partition = rm.leaderPartitionOrThrow(t.name, p.partitionIndex);
            // A (positive) bigint time lies past every segment's modification time: the latest candidates.
            const time = typeof ts === 'bigint' ? Number.MAX_SAFE_INTEGER : ts;
            let offsets = partition.log.legacyFetchOffsetsBefore(time, p.maxNumOffsets);
            if (req.replicaId === CONSUMER_REPLICA_ID) {
              const hw = partition.highWatermark;
              if (offsets.some((o) => o > hw)) offsets = [hw, ...offsets.filter((o) => o <= hw)];
            }
            return { ...result(ErrorCode.NONE), oldStyleOffsets: offsets };
          }
          if (typeof ts === 'number' && ts < 0) {
            const min = SENTINEL_MIN_VERSION.get(ts);
            if (min === undefined || v < min) return result(ErrorCode.UNSUPPORTED_VERSION);
          }
          const partition = rm.leaderPartitionOrThrow(t.name, p.partitionIndex, p.currentLeaderEpoch);
          const epoch = partition.leaderEpoch;
          switch (ts) {
            case LATEST_TIMESTAMP:
              return result(ErrorCode.NONE, req.isolationLevel === 1 ? partition.lastStableOffset : partition.highWatermark, -1, epoch);
            case EARLIEST_TIMESTAMP:
            case EARLIEST_LOCAL_TIMESTAMP:
              return result(ErrorCode.NONE, partition.logStartOffset, -1, earliestEpoch(partition));
            case LATEST_TIERED_TIMESTAMP:
            case EARLIEST_PENDING_UPLOAD_TIMESTAMP:
              return result(ErrorCode.NONE);
            case MAX_TIMESTAMP: {
              const found = partition.log.fetchMaxTimestampOffset();
              return found ? result(ErrorCode.NONE, found.offset, found.timestamp, epoch) : result(ErrorCode.NONE);
            }
            default: {
              // A (positive) bigint target lies past 2^53-1, after every timestamp the log can hold: nothing found.
              const found = typeof ts === 'bigint' ? null : partition.log.fetchOffsetByTimestamp(ts);
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

/** The epoch of the log's first leader epoch entry, if it covers the log start (Kafka's UnifiedLog.fetchOffsetByTimestamp). */
function earliestEpoch(partition: Partition): number {
  const first = partition.log.leaderEpochCache.all()[0];
  return first !== undefined && first.startOffset <= partition.logStartOffset ? first.epoch : -1;
}

function partitionResult(partitionIndex: number, errorCode: number, offset = -1, timestamp = -1, leaderEpoch = -1): PartitionResult {
  return { partitionIndex, errorCode, oldStyleOffsets: [], timestamp, offset, leaderEpoch };
}
