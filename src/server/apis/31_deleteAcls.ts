// DeleteAcls v0–3, forwarded to the controller: each filter (ANY and MATCH pattern types,
// null name/principal/host matching all) removes the ACLs it matches, listed in its result;
// answered once this broker's image no longer holds them. SECURITY_DISABLED without an
// authorizer, as Kafka.
import { ErrorCode } from '../../protocol/errors.js';
import { decodeDeleteAclsRequest, DeleteAclsApi, encodeDeleteAclsResponse } from '../../protocol/messages/DeleteAcls.js';
import type { DeleteAclsResponse } from '../../protocol/messages/DeleteAcls.js';
import { defineApi } from './Api.js';

export const deleteAclsApi = defineApi(
  DeleteAclsApi,
  [0, 3],
  { decodeRequest: decodeDeleteAclsRequest, encodeResponse: encodeDeleteAclsResponse },
  async (ctx, req): Promise<DeleteAclsResponse> => {
    if (!ctx.broker.authorizer.enabled) {
      return { throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.', matchingAcls: [] })) };
    }
    if (req.filters.length === 0) return { throttleTimeMs: 0, filterResults: [] };
    return ctx.broker.deleteAcls(req);
  },
  (req, code, _v, message = null) => ({ throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode: code, errorMessage: message, matchingAcls: [] })) }),
);
