// ElectLeaders v0–2: preferred (v0 always) or unclean (v1+) leader elections, forwarded to the
// controller (replication/Reassignments.ts) at v2 with the election type the client's version
// means; per-partition errors as Kafka's (ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE,
// ELIGIBLE_LEADERS_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION).
import * as M from '../../protocol/messages/index.js';
import { defineApi } from './Api.js';

export const electLeadersApi = defineApi(
  M.ElectLeadersApi,
  [0, 2],
  { decodeRequest: M.decodeElectLeadersRequest, encodeResponse: M.encodeElectLeadersResponse },
  async (ctx, req): Promise<M.ElectLeadersResponse> => {
    const res = await ctx.broker.forwardToController(M.ElectLeadersApi.key, 2, M.encodeElectLeadersRequest, M.decodeElectLeadersResponse, {
      ...req,
      electionType: ctx.apiVersion >= 1 ? req.electionType : 0,
    });
    // Answered once this broker's metadata shows the new leaders (clients look them up next).
    await ctx.broker.catchUpWithController();
    return res;
  },
  (req, code, _v, message = null) => ({
    throttleTimeMs: 0,
    errorCode: code,
    replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode: code, errorMessage: message })) })),
  }),
);
