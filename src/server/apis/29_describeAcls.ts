// DescribeAcls v0–3: the ACLs of this broker's metadata image that match the filter, grouped by
// resource pattern (v0 knows only LITERAL patterns: its filter is LITERAL). Without an
// authorizer (no authorizer.class.name) Kafka answers SECURITY_DISABLED; a filter with an
// UNKNOWN field is INVALID_REQUEST.
import { ErrorCode } from '../../protocol/errors.js';
import { decodeDescribeAclsRequest, DescribeAclsApi, encodeDescribeAclsResponse } from '../../protocol/messages/DescribeAcls.js';
import type { DescribeAclsResponse } from '../../protocol/messages/DescribeAcls.js';
import { filterMatches, invalidFilter, type AclFilter } from '../../security/Acl.js';
import { defineApi } from './Api.js';

export const describeAclsApi = defineApi(
  DescribeAclsApi,
  [0, 3],
  { decodeRequest: decodeDescribeAclsRequest, encodeResponse: encodeDescribeAclsResponse },
  (ctx, req): DescribeAclsResponse => {
    if (!ctx.broker.authorizer.enabled) return { throttleTimeMs: 0, errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.', resources: [] };
    const filter: AclFilter = {
      resourceType: req.resourceTypeFilter,
      resourceName: req.resourceNameFilter,
      patternType: req.patternTypeFilter,
      principal: req.principalFilter,
      host: req.hostFilter,
      operation: req.operation,
      permissionType: req.permissionType,
    };
    const why = invalidFilter(filter);
    if (why) return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: why, resources: [] };
    const byPattern = new Map<string, DescribeAclsResponse['resources'][number]>();
    for (const acl of ctx.broker.image.acls.values()) {
      if (!filterMatches(filter, acl)) continue;
      const key = JSON.stringify([acl.resourceType, acl.patternType, acl.resourceName]);
      let r = byPattern.get(key);
      if (!r) byPattern.set(key, (r = { resourceType: acl.resourceType, resourceName: acl.resourceName, patternType: acl.patternType, acls: [] }));
      r.acls.push({ principal: acl.principal, host: acl.host, operation: acl.operation, permissionType: acl.permissionType });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: [...byPattern.values()] };
  },
  (_req, code, _v, message = null) => ({ throttleTimeMs: 0, errorCode: code, errorMessage: message, resources: [] }),
);
