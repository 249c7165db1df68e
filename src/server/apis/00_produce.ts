// Produce v3–9 (magic 2 record batches only). Each partition's records are validated
// without decoding them (length, magic, CRC, counts), then appended as sent: offsets and
// the leader epoch are patched in place, compressed batches stay opaque. acks=0 gets no
// response; acks=1 and acks=-1 are answered after the append (a single replica is the
// whole ISR). acks outside {-1,0,1} → INVALID_REQUIRED_ACKS for every partition.
// Idempotent batches go through the partition's producer state (UnifiedLog): a retry of a
// cached batch answers NONE with its original offset; a stale epoch is INVALID_PRODUCER_EPOCH
// and a sequence gap OUT_OF_ORDER_SEQUENCE_NUMBER (never PRODUCER_FENCED, as Kafka ≥2.7).
import { ErrorCode, KafkaError, errorName } from '../../protocol/errors.js';
import { decodeProduceRequest, encodeProduceResponse, ProduceApi } from '../../protocol/messages/Produce.js';
import type { ProduceResponse } from '../../protocol/messages/Produce.js';
import { isTransactional, validateProducedRecords } from '../../protocol/recordBatch.js';
import { defineApi, NO_RESPONSE } from './Api.js';

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
    const responses = req.topicData.map((topic) => ({
      name: topic.name,
      partitionResponses: topic.partitionData.map((pd): PartitionResponse => {
        if (!validAcks) return partitionResponse(pd.index, ErrorCode.INVALID_REQUIRED_ACKS);
        const partition = rm.getPartition(topic.name, pd.index);
        if (!partition) return partitionResponse(pd.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        const records = pd.records;
        if (!records || records.length === 0) return partitionResponse(pd.index, ErrorCode.CORRUPT_MESSAGE, 'empty records');
        const check = validateProducedRecords(records, partition.log.config.maxMessageBytes);
        if (check.errorCode !== ErrorCode.NONE) {
          broker.log.debug(`rejected produce to ${partition.name}: ${errorName(check.errorCode)} ${check.message ?? ''}`);
          return partitionResponse(pd.index, check.errorCode, check.message ?? null);
        }
        if (isTransactional(records)) {
          // No transaction coordinator yet: no partition can have been added with AddPartitionsToTxn.
          return partitionResponse(pd.index, ErrorCode.INVALID_TXN_STATE, 'transactional produce is not supported yet');
        }
        if (req.acks === -1 && partition.log.config.minInSyncReplicas > 1) {
          return partitionResponse(
            pd.index,
            ErrorCode.NOT_ENOUGH_REPLICAS,
            `The size of the current ISR 1 is insufficient to satisfy the min.isr requirement of ${partition.log.config.minInSyncReplicas}`,
          );
        }
        try {
          const info = partition.appendRecordsToLeader(records);
          return {
            ...partitionResponse(pd.index, ErrorCode.NONE),
            baseOffset: info.firstOffset,
            logAppendTimeMs: info.logAppendTime,
            logStartOffset: partition.logStartOffset,
          };
        } catch (err) {
          if (err instanceof KafkaError) return partitionResponse(pd.index, err.code, err.message);
          broker.log.error(`append to ${partition.name} failed: ${(err as Error).message}`);
          return partitionResponse(pd.index, ErrorCode.KAFKA_STORAGE_ERROR, (err as Error).message);
        }
      }),
    }));
    if (req.acks === 0) return NO_RESPONSE;
    return { responses, throttleTimeMs: 0, nodeEndpoints: [] } satisfies ProduceResponse;
  },
  (req, code) => ({
    responses: req.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => partitionResponse(p.index, code)) })),
    throttleTimeMs: 0,
    nodeEndpoints: [],
  }),
);
