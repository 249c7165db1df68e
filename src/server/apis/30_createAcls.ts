// CreateAcls v0–3, forwarded to the controller, which validates each ACL (INVALID_REQUEST for
// an UNKNOWN or ANY field, an empty name, a principal without `Type:`) and commits the new ones
// to the metadata log; answered once this broker's image holds them. v0 creates LITERAL
// patterns. SECURITY_DISABLED without an authorizer, as Kafka.
import { ErrorCode } from '../../protocol/errors.js';
import { CreateAclsApi, decodeCreateAclsRequest, encodeCreateAclsResponse } from '../../protocol/messages/CreateAcls.js';
import type { CreateAclsResponse } from '../../protocol/messages/CreateAcls.js';
import { defineApi } from './Api.js';

export const createAclsApi = defineApi(
  CreateAclsApi,
  [0, 3],
  { decodeRequest: decodeCreateAclsRequest, encodeResponse: encodeCreateAclsResponse },
  async (ctx, req): Promise<CreateAclsResponse> => {
    if (!ctx.broker.authorizer.enabled) {
      return { throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.' })) };
    }
    if (req.creations.length === 0) return { throttleTimeMs: 0, results: [] };
    return ctx.broker.createAcls(req);
  },
  (req, code, _v, message = null) => ({ throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode: code, errorMessage: message })) }),
);
