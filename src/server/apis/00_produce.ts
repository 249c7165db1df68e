// Produce v3–13 (magic 2 record batches only), to partition leaders (else
// NOT_LEADER_OR_FOLLOWER; v10+ (KIP-951) with the leader and epoch this broker knows and the
// leader's endpoint in node_endpoints). v13 names topics by id (UNKNOWN_TOPIC_ID for an id we
// do not know) and answers by id. Each partition's records are checked as a whole (length, magic,
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
// Clients cannot append to the internal __consumer_offsets and __transaction_state
// (INVALID_TOPIC_EXCEPTION).
// Transactional batches (Kafka 3.9, transaction version 1): the request must name its
// transactional id (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as an unauthorised one) and carry
// one producer id (else INVALID_PRODUCER_ID_MAPPING). With
// transaction.partition.verification.enable (KIP-890 part 1, default true), partitions where the
// producer has no open transaction are first verified with the transaction coordinator
// (AddPartitionsToTxn v4 verifyOnly, src/server/AddPartitionsToTxnManager.ts) and every append
// of the request waits for that answer; a partition not in the transaction is
// INVALID_TXN_STATE, a fenced epoch INVALID_PRODUCER_EPOCH, an unknown producer
// INVALID_PRODUCER_ID_MAPPING, a coordinator that is missing, loading, moving or busy
// NOT_ENOUGH_REPLICAS (retried by every client), as Kafka's ReplicaManager answers; a partition
// the coordinator says the transaction must abort is INVALID_TXN_STATE below v11 and
// TRANSACTION_ABORTABLE from v11 (KIP-890). v12 (KIP-890 part 2) only differs for transaction
// version 2, which this broker does not finalize, so clients send transactional batches at v11
// or below; a transactional v12 request is verified like v11.
// Client quotas (src/server/quota/): once answered, the request's size counts against the
// client's producer_byte_rate and its handler time against request_percentage (not for acks=0);
// over either, the answer carries throttle_time_ms and the connection is muted for that long.
import { ErrorCode, KafkaError, errorName } from '../../protocol/errors.js';
import { decodeProduceRequest, encodeProduceResponse, ProduceApi } from '../../protocol/messages/Produce.js';
import type { ProduceRequest, ProduceResponse } from '../../protocol/messages/Produce.js';
import { isSafeInt64At } from '../../protocol/byteUtils.js';
import { BATCH_HEADER_SIZE, isTransactional, PRODUCER_ID_OFFSET, producerEpoch, producerId, validateProducedRecords } from '../../protocol/recordBatch.js';
import { RecordValidationError, validateRecordsFromClient } from '../../log/LogValidator.js';
import { GROUP_METADATA_TOPIC } from '../group/GroupMetadataRecords.js';
import { produceErrorForVerification, tpKey } from '../AddPartitionsToTxnManager.js';
import { TRANSACTION_STATE_TOPIC } from '../transaction/TransactionLog.js';
import type { Partition, VerificationGuard } from '../Partition.js';
import type { Broker } from '../Broker.js';
import { ZERO_UUID } from '../../protocol/primitives.js';
import { defineApi, NO_RESPONSE } from './Api.js';
import { CurrentLeaders } from './currentLeader.js';
import { throttleProduce } from '../quota/throttle.js';

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

/** A partition that passed the checks and waits for its append. */
interface Ready {
  res: PartitionResponse;
  partition: Partition;
  records: Buffer;
  transactional: boolean;
  guard?: VerificationGuard | null;
}

/** The request's one transactional producer (Kafka's checks in KafkaApis and handleProduceAppend), or null. */
function transactionalProducer(req: ProduceRequest): { producerId: number; producerEpoch: number } | null {
  let found: { producerId: number; producerEpoch: number } | null = null;
  for (const t of req.topicData) {
    for (const pd of t.partitionData) {
      const r = pd.records;
      if (!r || r.length < BATCH_HEADER_SIZE || !isTransactional(r)) continue;
      if (req.transactionalId === null) throw new KafkaError(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      // A producer id beyond ±(2^53-1) is the partition's INVALID_RECORD (validateProducedRecords), not read here.
      if (!isSafeInt64At(r, PRODUCER_ID_OFFSET)) continue;
      const pid = producerId(r);
      if (found && found.producerId !== pid) throw new KafkaError(ErrorCode.INVALID_PRODUCER_ID_MAPPING, 'Transactional records contained more than one producer ID');
      found = { producerId: pid, producerEpoch: producerEpoch(r) };
    }
  }
  return found;
}

/** KIP-890 part 1: verify the partitions where the producer opens a transaction; the failed ones get their answer and leave `ready`. */
async function verifyTransaction(
  broker: Broker,
  transactionalId: string,
  txn: { producerId: number; producerEpoch: number },
  ready: Ready[],
  abortableErrorSupported: boolean,
): Promise<Ready[]> {
  const toVerify: Ready[] = [];
  for (const r of ready) {
    if (!r.transactional) continue;
    r.guard = r.partition.maybeStartTransactionVerification(txn.producerId, txn.producerEpoch);
    if (r.guard) toVerify.push(r);
  }
  if (toVerify.length === 0) return ready;
  const refs = toVerify.map((r) => ({ topic: r.partition.topic, partition: r.partition.index }));
  const errors = await broker.replicaManager.addPartitionsToTxnManager.verifyTransaction(transactionalId, txn.producerId, txn.producerEpoch, refs, abortableErrorSupported);
  if (errors.size === 0) return ready;
  return ready.filter((r) => {
    const code = errors.get(tpKey(r.partition.topic, r.partition.index));
    if (code === undefined) return true;
    if (r.guard) r.partition.abandonTransactionVerification(r.guard);
    const e = produceErrorForVerification(code);
    Object.assign(r.res, partitionResponse(r.res.index, e.code, e.message));
    return false;
  });
}

export const produceApi = defineApi(
  ProduceApi,
  [3, 13],
  { decodeRequest: decodeProduceRequest, encodeResponse: encodeProduceResponse },
  (ctx, req) => {
    const { broker } = ctx;
    const rm = broker.replicaManager;
    const v = ctx.apiVersion;
    const validAcks = req.acks === 0 || req.acks === 1 || req.acks === -1;
    const txn = transactionalProducer(req);
    const ready: Ready[] = [];
    const responses = req.topicData.map((topic) => {
      // v13+ names topics by id.
      const name = v >= 13 ? (broker.metadata.getById((topic.topicId ?? ZERO_UUID).toString('hex'))?.name ?? null) : topic.name;
      return {
        name: topic.name,
        topicId: topic.topicId,
        partitionResponses: topic.partitionData.map((pd) => (name === null ? partitionResponse(pd.index, ErrorCode.UNKNOWN_TOPIC_ID) : checkPartition(name, pd))),
      };
    });
    function checkPartition(topicName: string, pd: ProduceRequest['topicData'][number]['partitionData'][number]): PartitionResponse {
      if (!validAcks) return partitionResponse(pd.index, ErrorCode.INVALID_REQUIRED_ACKS);
      if (topicName === GROUP_METADATA_TOPIC || topicName === TRANSACTION_STATE_TOPIC) {
        return partitionResponse(pd.index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topicName}`);
      }
      let partition;
      try {
        partition = rm.leaderPartitionOrThrow(topicName, pd.index);
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
      const res = partitionResponse(pd.index, ErrorCode.NONE);
      ready.push({ res, partition, records, transactional: isTransactional(records) });
      return res;
    }
    const respond = (): ProduceResponse | typeof NO_RESPONSE | Promise<ProduceResponse> => {
      // acks=all answers wait for the high watermark
      const pending = ready.map((r) => append(broker, r, req)).filter((p): p is Promise<void> => p !== null);
      // producer_byte_rate is checked once the produce is answered (src/server/quota/throttle.ts)
      if (req.acks === 0) {
        throttleProduce(ctx);
        return NO_RESPONSE;
      }
      const response = (): ProduceResponse => ({ responses, throttleTimeMs: throttleProduce(ctx), nodeEndpoints: v >= 10 ? nameLeaders(broker, req, responses) : [] });
      return pending.length === 0 ? response() : Promise.all(pending).then(response);
    };
    const verify = txn !== null && req.transactionalId !== null && broker.config.bool('transaction.partition.verification.enable');
    if (!verify || !ready.some((r) => r.transactional)) return respond();
    return verifyTransaction(broker, req.transactionalId!, txn, ready, v >= 11).then((left) => {
      ready.splice(0, ready.length, ...left);
      return respond();
    });
  },
  (req, code, _v, message = null) => ({
    responses: req.topicData.map((t) => ({ name: t.name, topicId: t.topicId, partitionResponses: t.partitionData.map((p) => partitionResponse(p.index, code, message)) })),
    throttleTimeMs: 0,
    nodeEndpoints: [],
  }),
);

/** KIP-951 (v10+): each NOT_LEADER_OR_FOLLOWER partition names the current leader; the live leaders' endpoints. */
function nameLeaders(broker: Broker, req: ProduceRequest, responses: ProduceResponse['responses']): ProduceResponse['nodeEndpoints'] {
  const leaders = new CurrentLeaders(broker);
  responses.forEach((t, i) => {
    const topic = req.topicData[i]!;
    const name = topic.name || broker.metadata.getById((topic.topicId ?? ZERO_UUID).toString('hex'))?.name;
    if (name === undefined) return;
    for (const p of t.partitionResponses) {
      if (p.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER) p.currentLeader = leaders.leaderOf(name, p.index);
    }
  });
  return leaders.nodeEndpoints();
}

/** Append one partition's records now; for acks=all, a promise settling its answer once the high watermark passes them. */
function append(broker: Broker, r: Ready, req: ProduceRequest): Promise<void> | null {
  const { partition, res } = r;
  // (after a verification the partition may have gone from this broker meanwhile)
  if (broker.replicaManager.getPartition(partition.topic, partition.index) !== partition) {
    Object.assign(res, partitionResponse(res.index, ErrorCode.NOT_LEADER_OR_FOLLOWER));
    return null;
  }
  try {
    const info = partition.appendRecordsToLeader(r.records, req.acks, 'client', r.guard);
    Object.assign(res, { baseOffset: info.firstOffset, logAppendTimeMs: info.logAppendTime, logStartOffset: partition.logStartOffset });
    if (req.acks !== -1) return null;
    return partition.waitForHighWatermark(info.lastOffset, Math.max(req.timeoutMs, 0)).then((code) => {
      if (code !== ErrorCode.NONE) Object.assign(res, partitionResponse(res.index, code));
    });
  } catch (err) {
    if (err instanceof KafkaError) Object.assign(res, partitionResponse(res.index, err.code, err.message));
    else {
      broker.log.error(`append to ${partition.name} failed: ${(err as Error).message}`);
      Object.assign(res, partitionResponse(res.index, ErrorCode.KAFKA_STORAGE_ERROR, (err as Error).message));
    }
    return null;
  }
}
