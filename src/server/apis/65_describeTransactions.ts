// DescribeTransactions v0: the state of each transactional id this broker coordinates (state,
// timeout, start time, producer id and epoch, partitions of the ongoing transaction);
// NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS for one it does not serve (yet),
// TRANSACTIONAL_ID_NOT_FOUND for an unknown one, INVALID_REQUEST for "".
import { DescribeTransactionsApi, decodeDescribeTransactionsRequest, encodeDescribeTransactionsResponse } from '../../protocol/messages/DescribeTransactions.js';
import { defineApi } from './Api.js';

export const describeTransactionsApi = defineApi(
  DescribeTransactionsApi,
  [0, 0],
  { decodeRequest: decodeDescribeTransactionsRequest, encodeResponse: encodeDescribeTransactionsResponse },
  (ctx, req) => ({
    throttleTimeMs: 0,
    transactionStates: req.transactionalIds.map((id) => ctx.broker.transactionCoordinator.describeTransaction(id)),
  }),
  (req, code) => ({
    throttleTimeMs: 0,
    transactionStates: req.transactionalIds.map((transactionalId) => ({
      errorCode: code,
      transactionalId,
      transactionState: '',
      transactionTimeoutMs: 0,
      transactionStartTimeMs: -1,
      producerId: -1,
      producerEpoch: -1,
      topics: [],
    })),
  }),
);
