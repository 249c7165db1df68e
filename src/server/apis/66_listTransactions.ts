// ListTransactions v0–1: the transactional ids this broker coordinates, filtered by state names
// (unknown names come back in unknownStateFilters), producer ids and (v1) a minimum running time
// (durationFilter ms, -1 = none); COORDINATOR_LOAD_IN_PROGRESS while a partition is loading.
import { decodeListTransactionsRequest, encodeListTransactionsResponse, ListTransactionsApi } from '../../protocol/messages/ListTransactions.js';
import { defineApi } from './Api.js';

export const listTransactionsApi = defineApi(
  ListTransactionsApi,
  [0, 1],
  { decodeRequest: decodeListTransactionsRequest, encodeResponse: encodeListTransactionsResponse },
  (ctx, req) => {
    const duration = ctx.apiVersion >= 1 ? req.durationFilter : -1;
    return { throttleTimeMs: 0, ...ctx.broker.transactionCoordinator.listTransactions(req.producerIdFilters, req.stateFilters, duration) };
  },
  (_req, code) => ({ throttleTimeMs: 0, errorCode: code, unknownStateFilters: [], transactionStates: [] }),
);
