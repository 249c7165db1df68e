// Produce v3–9 (magic 2 record batches only), to partition leaders (else
// NOT_LEADER_OR_FOLLOWER). Each partition's records are checked as a whole (length, magic,
// CRC), then record by record as Kafka's LogValidator does (src/log/LogValidator.ts; compressed
// batches are decompressed within a bound to check them), then appended as sent: offsets, the
// leader epoch and maxTimestamp are patched in place, payloads are never re-encoded.
// acks=0 gets no response; acks=1 is answered after the leader's append; acks=-1 needs an ISR
// of at least min.insync.replicas before the append (NOT_ENOUGH_REPLICAS) and is answered once
// the high watermark passes the batch (REQUEST_TIMED_OUT after timeout_ms;
// NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank meanwhile). acks outside {-1,0,1} →
// INVALID_REQUIRED_ACKS for every partition.
// Idempotent batches go through the partition's producer state (UnifiedLog): a retry of a
// cached batch answers NONE with its original offset; a stale epoch is INVALID_PRODUCER_EPOCH
// and a sequence gap OUT_OF_ORDER_SEQUENCE_NUMBER (never PRODUCER_FENCED, as Kafka ≥2.7).
// Clients cannot append to the internal __consumer_offsets (INVALID_TOPIC_EXCEPTION).
import { ErrorCode, KafkaError, errorName } from '../../protocol/errors.js';
import { decodeProduceRequest, encodeProduceResponse, ProduceApi } from '../../protocol/messages/Produce.js';
import type { ProduceResponse } from '../../protocol/messages/Produce.js';
import { validateProducedRecords } from '../../protocol/recordBatch.js';
import { RecordValidationError, validateRecordsFromClient } from '../../log/LogValidator.js';
import { GROUP_METADATA_TOPIC } from '../group/GroupMetadataRecords.js';
import { defineApi, NO_RESPONSE } from './Api.js';

/** Kafka's transaction log topic (the transaction coordinator's), internal like __consumer_offsets. */
export const TRANSACTION_STATE_TOPIC = '__transaction_state';

type PartitionResponse = ProduceResponse['responses'][number]['partitionResponses'][number];

function partitionResponse(index: number, errorCode: number, errorMessage: string | null = null): PartitionResponse {
  return {
    index,
    errorCode,
    baseOffset: -1,
    logAppendTimeMs: -1,
    logStartOffset: -1,
    recordErrors: [],
    errorMessage,
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
  };
}

export const produceApi = defineApi(
  ProduceApi,
  [3, 9],
  { decodeRequest: decodeProduceRequest, encodeResponse: encodeProduceResponse },
  (ctx, req) => {
    const { broker } = ctx;
    const rm = broker.replicaManager;
    const validAcks = req.acks === 0 || req.acks === 1 || req.acks === -1;
    // Appends happen now, in request order; acks=all answers wait for the high watermark.
    const pending: Promise<void>[] = [];
    const responses = req.topicData.map((topic) => ({
      name: topic.name,
      partitionResponses: topic.partitionData.map((pd): PartitionResponse => {
        if (!validAcks) return partitionResponse(pd.index, ErrorCode.INVALID_REQUIRED_ACKS);
        if (topic.name === GROUP_METADATA_TOPIC || topic.name === TRANSACTION_STATE_TOPIC) return partitionResponse(pd.index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topic.name}`);
        let partition;
        try {
          partition = rm.leaderPartitionOrThrow(topic.name, pd.index);
        } catch (err) {
          return partitionResponse(pd.index, (err as KafkaError).code);
        }
        const records = pd.records;
        if (!records || records.length === 0) return partitionResponse(pd.index, ErrorCode.CORRUPT_MESSAGE, 'empty records');
        const config = partition.log.config;
        const check = validateProducedRecords(records, config.maxMessageBytes, ctx.apiVersion);
        if (check.errorCode !== ErrorCode.NONE) {
          broker.log.debug(`rejected produce to ${partition.name}: ${errorName(check.errorCode)} ${check.message ?? ''}`);
          return partitionResponse(pd.index, check.errorCode, check.message ?? null);
        }
        try {
          validateRecordsFromClient(records, {
            maxMessageBytes: config.maxMessageBytes,
            timestampType: config.messageTimestampType,
            now: Date.now(),
            compacted: config.cleanupPolicy.includes('compact'),
          });
        } catch (err) {
          if (!(err instanceof RecordValidationError)) throw err;
          broker.log.debug(`rejected produce to ${partition.name}: ${errorName(err.code)} ${err.message}`);
          return { ...partitionResponse(pd.index, err.code, err.message), recordErrors: err.recordErrors };
        }
        try {
          const info = partition.appendRecordsToLeader(records, req.acks);
          const res: PartitionResponse = {
            ...partitionResponse(pd.index, ErrorCode.NONE),
            baseOffset: info.firstOffset,
            logAppendTimeMs: info.logAppendTime,
            logStartOffset: partition.logStartOffset,
          };
          if (req.acks === -1) {
            pending.push(
              partition.waitForHighWatermark(info.lastOffset, Math.max(req.timeoutMs, 0)).then((code) => {
                if (code !== ErrorCode.NONE) Object.assign(res, partitionResponse(pd.index, code));
              }),
            );
          }
          return res;
        } catch (err) {
          if (err instanceof KafkaError) return partitionResponse(pd.index, err.code, err.message);
          broker.log.error(`append to ${partition.name} failed: ${(err as Error).message}`);
          return partitionResponse(pd.index, ErrorCode.KAFKA_STORAGE_ERROR, (err as Error).message);
        }
      }),
    }));
    if (req.acks === 0) return NO_RESPONSE;
    const response: ProduceResponse = { responses, throttleTimeMs: 0, nodeEndpoints: [] };
    return pending.length === 0 ? response : Promise.all(pending).then(() => response);
  },
  (req, code, _v, message = null) => ({
    responses: req.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => partitionResponse(p.index, code, message)) })),
    throttleTimeMs: 0,
    nodeEndpoints: [],
  }),
);
