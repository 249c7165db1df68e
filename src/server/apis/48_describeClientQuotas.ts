// DescribeClientQuotas v0–1: the client quotas in this broker's metadata image matching the
// filter (exact name, default, or any specified name per entity type; strict: no other entity
// types), as Kafka's ClientQuotasImage.describe; a bad filter is INVALID_REQUEST with entries null.
import { ErrorCode } from '../../protocol/errors.js';
import * as M from '../../protocol/messages/index.js';
import { invalidFilter, matchQuotas } from '../../replication/ClientQuotas.js';
import { defineApi } from './Api.js';

export const describeClientQuotasApi = defineApi(
  M.DescribeClientQuotasApi,
  [0, 1],
  { decodeRequest: M.decodeDescribeClientQuotasRequest, encodeResponse: M.encodeDescribeClientQuotasResponse },
  ({ broker }, req): M.DescribeClientQuotasResponse => {
    const problem = invalidFilter(req.components);
    if (problem) return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, entries: null };
    const entries = matchQuotas(broker.image.clientQuotas.values(), req.components, req.strict).map((q) => ({
      entity: q.entity.map((p) => ({ ...p })),
      values: Object.entries(q.values).map(([key, value]) => ({ key, value })),
    }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries };
  },
  (_req, code, _v, message = null) => ({ throttleTimeMs: 0, errorCode: code, errorMessage: message, entries: null }),
);
