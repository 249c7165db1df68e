// AddPartitionsToTxn v0–4 (v5 is transaction version 2, not served). v0–3 come from clients: one
// transaction, answered per partition. v4 is the batched form partition leaders send (KIP-890
// part 1): several transactions, each either added like a client's or, with verifyOnly, only
// checked (is each partition in that producer's ongoing transaction: NONE or
// TRANSACTION_ABORTABLE). As in Kafka, a partition of an unknown topic fails its whole
// transaction: UNKNOWN_TOPIC_OR_PARTITION for it, OPERATION_NOT_ATTEMPTED for the others;
// otherwise every partition carries the coordinator's one answer (PRODUCER_FENCED is
// INVALID_PRODUCER_EPOCH below v2).
import { ErrorCode } from '../../protocol/errors.js';
import {
  AddPartitionsToTxnApi,
  decodeAddPartitionsToTxnRequest,
  encodeAddPartitionsToTxnResponse,
  type AddPartitionsToTxnRequestAddPartitionsToTxnTopic,
  type AddPartitionsToTxnResponse,
  type AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult,
} from '../../protocol/messages/AddPartitionsToTxn.js';
import { tpKey, tpOf } from '../transaction/TransactionMetadata.js';
import { defineApi, type RequestContext } from './Api.js';

interface Txn {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  verifyOnly: boolean;
  topics: AddPartitionsToTxnRequestAddPartitionsToTxnTopic[];
}

/** Per-partition results, grouped by topic in request order. */
function byTopic(results: Map<string, number>): AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult[] {
  const topics = new Map<string, { partitionIndex: number; partitionErrorCode: number }[]>();
  for (const [key, code] of results) {
    const { topic, partition } = tpOf(key);
    let list = topics.get(topic);
    if (!list) topics.set(topic, (list = []));
    list.push({ partitionIndex: partition, partitionErrorCode: code });
  }
  return [...topics].map(([name, resultsByPartition]) => ({ name, resultsByPartition }));
}

async function handleTransaction(ctx: RequestContext, txn: Txn): Promise<Map<string, number>> {
  const { broker } = ctx;
  const partitions = [...new Set(txn.topics.flatMap((t) => t.partitions.map((p) => tpKey(t.name, p))))];
  const all = (code: number) => new Map(partitions.map((p) => [p, code]));
  const missing = partitions.filter((key) => {
    const { topic, partition } = tpOf(key);
    const t = broker.image.topics.get(topic);
    return !t || partition < 0 || partition >= t.partitions.length;
  });
  if (missing.length > 0) {
    const res = all(ErrorCode.OPERATION_NOT_ATTEMPTED);
    for (const key of missing) res.set(key, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    return res;
  }
  const coordinator = broker.transactionCoordinator;
  if (txn.verifyOnly) return coordinator.handleVerifyPartitionsInTransaction(txn.transactionalId, txn.producerId, txn.producerEpoch, partitions);
  const code = await coordinator.handleAddPartitionsToTransaction(txn.transactionalId, txn.producerId, txn.producerEpoch, partitions);
  return all(code === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 2 ? ErrorCode.INVALID_PRODUCER_EPOCH : code);
}

export const addPartitionsToTxnApi = defineApi(
  AddPartitionsToTxnApi,
  [0, 4],
  { decodeRequest: decodeAddPartitionsToTxnRequest, encodeResponse: encodeAddPartitionsToTxnResponse },
  async (ctx, req): Promise<AddPartitionsToTxnResponse> => {
    if (ctx.apiVersion < 4) {
      const results = await handleTransaction(ctx, {
        transactionalId: req.v3AndBelowTransactionalId,
        producerId: req.v3AndBelowProducerId,
        producerEpoch: req.v3AndBelowProducerEpoch,
        verifyOnly: false,
        topics: req.v3AndBelowTopics,
      });
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: [], resultsByTopicV3AndBelow: byTopic(results) };
    }
    const resultsByTransaction = await Promise.all(
      req.transactions.map(async (t) => ({ transactionalId: t.transactionalId, topicResults: byTopic(await handleTransaction(ctx, t)) })),
    );
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction, resultsByTopicV3AndBelow: [] };
  },
  // Kafka's getErrorResponse: the error on every partition (below v4), or at the top (v4+).
  (req, code, v) => {
    const every = (topics: AddPartitionsToTxnRequestAddPartitionsToTxnTopic[]) =>
      topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code })) }));
    if (v < 4) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: [], resultsByTopicV3AndBelow: every(req.v3AndBelowTopics) };
    return { throttleTimeMs: 0, errorCode: code, resultsByTransaction: [], resultsByTopicV3AndBelow: [] };
  },
);
