// EndTxn v0–4 (v5 is transaction version 2, not served): commit or abort the producer's ongoing
// transaction. Answered once PrepareCommit/PrepareAbort is written to __transaction_state (as
// Kafka 3.9 does); the markers and CompleteCommit/CompleteAbort follow. A retry after completion
// is NONE; the other result's is INVALID_TXN_STATE; during completion CONCURRENT_TRANSACTIONS.
// PRODUCER_FENCED is INVALID_PRODUCER_EPOCH below v2.
import { ErrorCode } from '../../protocol/errors.js';
import { decodeEndTxnRequest, encodeEndTxnResponse, EndTxnApi } from '../../protocol/messages/EndTxn.js';
import { defineApi } from './Api.js';

export const endTxnApi = defineApi(
  EndTxnApi,
  [0, 4],
  { decodeRequest: decodeEndTxnRequest, encodeResponse: encodeEndTxnResponse },
  async (ctx, req) => {
    const code = await ctx.broker.transactionCoordinator.handleEndTransaction(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
    return { throttleTimeMs: 0, errorCode: code === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 2 ? ErrorCode.INVALID_PRODUCER_EPOCH : code };
  },
  (_req, code) => ({ throttleTimeMs: 0, errorCode: code }),
);
