// InitProducerId v0–4. Without a transactional id every call gets a fresh producer id at
// epoch 0 (the v3+ producer id / epoch are ignored, as Kafka does). With one, the id maps
// to a persisted (producer id, epoch) that each re-init bumps (KIP-360); a v3+ caller whose
// producer id / epoch do not match is fenced: PRODUCER_FENCED at v4+, INVALID_PRODUCER_EPOCH
// below. A timeout above transaction.max.timeout.ms is INVALID_TRANSACTION_TIMEOUT.
// (Transactions themselves are not served yet: AddPartitionsToTxn & co. are not advertised.)
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
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
    if (req.transactionalId === '') return response(ErrorCode.INVALID_REQUEST);
    if (req.transactionTimeoutMs <= 0 || req.transactionTimeoutMs > broker.config.int('transaction.max.timeout.ms')) {
      return response(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    }
    try {
      const expected = ctx.apiVersion >= 3 ? { producerId: req.producerId, producerEpoch: req.producerEpoch } : null;
      const r = await broker.producerIds.initTransactional(req.transactionalId, expected);
      return response(ErrorCode.NONE, r.producerId, r.producerEpoch);
    } catch (err) {
      if (err instanceof KafkaError) {
        const code = err.code === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 4 ? ErrorCode.INVALID_PRODUCER_EPOCH : err.code;
        return response(code);
      }
      throw err;
    }
  },
  (_req, code) => response(code),
);
