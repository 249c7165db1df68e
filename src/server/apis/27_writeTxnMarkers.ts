// WriteTxnMarkers v0–1 (transaction coordinator → partition leaders; Kafka's
// handleWriteTxnMarkersRequest). For each marker and partition: an end-transaction marker
// batch (COMMIT or ABORT, the producer's id and epoch, the coordinator epoch) appended to the
// leader with origin 'coordinator' and acks=all, answered once the high watermark passes it
// (REQUEST_TIMED_OUT after Kafka's request.timeout.ms, 30 s). Errors per partition:
// UNKNOWN_TOPIC_OR_PARTITION for a partition with no replica on this broker (as Kafka, which
// looks for the local log first), NOT_LEADER_OR_FOLLOWER on a follower,
// NOT_ENOUGH_REPLICAS(_AFTER_APPEND) under min.insync.replicas, INVALID_PRODUCER_EPOCH for an
// older producer epoch and TRANSACTION_COORDINATOR_FENCED for an older coordinator epoch than
// the partition's last marker, KAFKA_STORAGE_ERROR on a failed write.
// Partitions of __consumer_offsets go to the group coordinator (completeTransaction), which
// writes the marker itself and materialises (or drops) the transaction's offsets; its
// coordinator-not-ready errors become NOT_LEADER_OR_FOLLOWER, as Kafka maps them.
import { buildEndTxnMarker } from '../../protocol/controlRecords.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { decodeWriteTxnMarkersRequest, encodeWriteTxnMarkersResponse, WriteTxnMarkersApi } from '../../protocol/messages/WriteTxnMarkers.js';
import type { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from '../../protocol/messages/WriteTxnMarkers.js';
import { GROUP_METADATA_TOPIC } from '../group/GroupMetadataRecords.js';
import type { Broker } from '../Broker.js';
import { defineApi } from './Api.js';

/** Kafka's broker request.timeout.ms default: how long a marker waits for its replication. */
export const MARKER_APPEND_TIMEOUT_MS = 30_000;

type Marker = WriteTxnMarkersRequest['markers'][number];

/** Append one marker to one partition this broker leads; resolves the partition's error code. */
export function appendTxnMarker(broker: Broker, topic: string, index: number, m: Marker, timeoutMs = MARKER_APPEND_TIMEOUT_MS): Promise<number> {
  // Kafka asks the local log first (getMagic): a partition with no replica here is unknown.
  if (!broker.replicaManager.getPartition(topic, index)) return Promise.resolve(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (topic === GROUP_METADATA_TOPIC) {
    return broker.groupCoordinator
      .completeTransaction(index, m.producerId, m.producerEpoch, m.coordinatorEpoch, m.transactionResult, timeoutMs)
      .then((code) =>
        code === ErrorCode.COORDINATOR_NOT_AVAILABLE || code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || code === ErrorCode.NOT_COORDINATOR
          ? ErrorCode.NOT_LEADER_OR_FOLLOWER
          : code,
      );
  }
  try {
    const partition = broker.replicaManager.leaderPartitionOrThrow(topic, index);
    const batch = buildEndTxnMarker({
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      coordinatorEpoch: m.coordinatorEpoch,
      commit: m.transactionResult,
      timestamp: Date.now(),
    });
    const info = partition.appendRecordsToLeader(batch, -1, 'coordinator');
    return partition.waitForHighWatermark(info.lastOffset, timeoutMs);
  } catch (err) {
    if (err instanceof KafkaError) return Promise.resolve(err.code);
    broker.log.error(`transaction marker append to ${topic}-${index} failed: ${(err as Error).message}`);
    return Promise.resolve(ErrorCode.KAFKA_STORAGE_ERROR);
  }
}

export const writeTxnMarkersApi = defineApi(
  WriteTxnMarkersApi,
  [0, 1],
  { decodeRequest: decodeWriteTxnMarkersRequest, encodeResponse: encodeWriteTxnMarkersResponse },
  async (ctx, req): Promise<WriteTxnMarkersResponse> => {
    const { broker } = ctx;
    const markers = await Promise.all(
      req.markers.map(async (m) => ({
        producerId: m.producerId,
        topics: await Promise.all(
          m.topics.map(async (t) => ({
            name: t.name,
            partitions: await Promise.all(
              t.partitionIndexes.map(async (index) => ({ partitionIndex: index, errorCode: await appendTxnMarker(broker, t.name, index, m) })),
            ),
          })),
        ),
      })),
    );
    return { markers };
  },
  (req, code) => ({
    markers: req.markers.map((m) => ({
      producerId: m.producerId,
      topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: code })) })),
    })),
  }),
);
