// AlterPartitionReassignments v0 (KIP-455): forwarded to the controller, which records the
// target in each partition; added replicas catch up by replication and join the ISR, then the
// removed ones go (replication/Reassignments.ts). Null replicas cancel.
import * as M from '../../protocol/messages/index.js';
import { defineApi } from './Api.js';

export const alterPartitionReassignmentsApi = defineApi(
  M.AlterPartitionReassignmentsApi,
  [0, 0],
  { decodeRequest: M.decodeAlterPartitionReassignmentsRequest, encodeResponse: M.encodeAlterPartitionReassignmentsResponse },
  async (ctx, req): Promise<M.AlterPartitionReassignmentsResponse> => {
    const res = await ctx.broker.forwardToController(M.AlterPartitionReassignmentsApi.key, 0, M.encodeAlterPartitionReassignmentsRequest, M.decodeAlterPartitionReassignmentsResponse, req);
    await ctx.broker.catchUpWithController();
    return res;
  },
  // Kafka's getErrorResponse: the code at the top level and on every partition.
  (req, code, _v, message = null) => ({
    throttleTimeMs: 0,
    errorCode: code,
    errorMessage: message,
    responses: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code, errorMessage: message })) })),
  }),
);
