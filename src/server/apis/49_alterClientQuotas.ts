// AlterClientQuotas v0–1: forwarded to the controller, which checks each entry as Kafka does and
// stores the quotas in the metadata log; answered once this broker's image shows them, so a
// DescribeClientQuotas right after sees the change.
import { ErrorCode } from '../../protocol/errors.js';
import * as M from '../../protocol/messages/index.js';
import { defineApi } from './Api.js';

export const alterClientQuotasApi = defineApi(
  M.AlterClientQuotasApi,
  [0, 1],
  { decodeRequest: M.decodeAlterClientQuotasRequest, encodeResponse: M.encodeAlterClientQuotasResponse },
  async (ctx, req): Promise<M.AlterClientQuotasResponse> => {
    const res = await ctx.broker.forwardToController(M.AlterClientQuotasApi.key, 1, M.encodeAlterClientQuotasRequest, M.decodeAlterClientQuotasResponse, req);
    if (!req.validateOnly && res.entries.some((e) => e.errorCode === ErrorCode.NONE)) await ctx.broker.catchUpWithController();
    return res;
  },
  (req, code, _v, message = null) => ({ throttleTimeMs: 0, entries: req.entries.map((e) => ({ errorCode: code, errorMessage: message, entity: e.entity })) }),
);
