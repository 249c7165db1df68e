// DescribeQuorum v0–2: forwarded to the controller, the single voter of __cluster_metadata
// (replication/ControllerApis.ts); brokers are its observers.
import * as M from '../../protocol/messages/index.js';
import { defineApi } from './Api.js';

export const describeQuorumApi = defineApi(
  M.DescribeQuorumApi,
  [0, 2],
  { decodeRequest: M.decodeDescribeQuorumRequest, encodeResponse: M.encodeDescribeQuorumResponse },
  (ctx, req): Promise<M.DescribeQuorumResponse> => ctx.broker.forwardToController(M.DescribeQuorumApi.key, 2, M.encodeDescribeQuorumRequest, M.decodeDescribeQuorumResponse, req),
  (_req, code) => ({ errorCode: code, errorMessage: null, topics: [], nodes: [] }),
);
