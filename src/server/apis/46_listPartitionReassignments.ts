// ListPartitionReassignments v0: the ongoing reassignments, answered by the controller (forwarded).
import * as M from '../../protocol/messages/index.js';
import { defineApi } from './Api.js';

export const listPartitionReassignmentsApi = defineApi(
  M.ListPartitionReassignmentsApi,
  [0, 0],
  { decodeRequest: M.decodeListPartitionReassignmentsRequest, encodeResponse: M.encodeListPartitionReassignmentsResponse },
  (ctx, req): Promise<M.ListPartitionReassignmentsResponse> =>
    ctx.broker.forwardToController(M.ListPartitionReassignmentsApi.key, 0, M.encodeListPartitionReassignmentsRequest, M.decodeListPartitionReassignmentsResponse, req),
  (_req, code, _v, message = null) => ({ throttleTimeMs: 0, errorCode: code, errorMessage: message, topics: [] }),
);
