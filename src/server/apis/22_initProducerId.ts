// InitProducerId v0–4 (v5 is transaction version 2, not served). Without a transactional id
// every call gets a fresh producer id at epoch 0 (the v3+ producer id / epoch are ignored). With
// one, the transaction coordinator answers (transaction/TransactionCoordinator): a new id gets a
// fresh producer id at epoch 0, a known one an epoch bump (an ongoing transaction of the older
// epoch is aborted first, answered CONCURRENT_TRANSACTIONS, which clients retry), a new producer
// id once the epoch is exhausted; KIP-360 (v3+) recovers a producer by its producer id and epoch.
// A v3+ request with only one of producer id / epoch set is INVALID_REQUEST; PRODUCER_FENCED is
// INVALID_PRODUCER_EPOCH below v4, as Kafka maps it. A timeout outside
// (0, transaction.max.timeout.ms] is INVALID_TRANSACTION_TIMEOUT.
import { ErrorCode } from '../../protocol/errors.js';
import { decodeInitProducerIdRequest, encodeInitProducerIdResponse, InitProducerIdApi } from '../../protocol/messages/InitProducerId.js';
import type { InitProducerIdResponse } from '../../protocol/messages/InitProducerId.js';
import { defineApi } from './Api.js';

const response = (errorCode: number, producerId = -1, producerEpoch = -1): InitProducerIdResponse => ({
  throttleTimeMs: 0,
  errorCode,
  producerId,
  producerEpoch,
});

export const initProducerIdApi = defineApi(
  InitProducerIdApi,
  [0, 4],
  { decodeRequest: decodeInitProducerIdRequest, encodeResponse: encodeInitProducerIdResponse },
  async (ctx, req) => {
    const { broker } = ctx;
    if (req.transactionalId === null) {
      const producerId = await broker.producerIds.generate();
      broker.log.debug(`InitProducerId from ${ctx.clientId ?? '-'}: producer id ${producerId}`);
      return response(ErrorCode.NONE, producerId, 0);
    }
    let expected: { producerId: number; producerEpoch: number } | null = null;
    if (ctx.apiVersion >= 3) {
      const noId = req.producerId === -1;
      const noEpoch = req.producerEpoch === -1;
      if (noId !== noEpoch) return response(ErrorCode.INVALID_REQUEST);
      if (!noId) expected = { producerId: req.producerId, producerEpoch: req.producerEpoch };
    }
    const r = await broker.transactionCoordinator.handleInitProducerId(req.transactionalId, req.transactionTimeoutMs, expected);
    const code = r.errorCode === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 4 ? ErrorCode.INVALID_PRODUCER_EPOCH : r.errorCode;
    return response(code, r.producerId, r.producerEpoch);
  },
  (_req, code) => response(code),
);
