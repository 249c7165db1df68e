// DescribeGroups v0–5. An unknown group is described as state "Dead" with no error, as
// Kafka does. Member metadata (the subscription of the selected protocol) is only filled in
// while the group is Stable; assignments always. v3+ may ask for the authorized operations
// (no ACLs here: every group operation); v4+ carry group.instance.id.
import { decodeDescribeGroupsRequest, DescribeGroupsApi, encodeDescribeGroupsResponse } from '../../protocol/messages/DescribeGroups.js';
import type { DescribeGroupsResponse } from '../../protocol/messages/DescribeGroups.js';
import { defineApi } from './Api.js';

const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
// Group ACL operations: READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS.
const GROUP_OPERATIONS = [3, 6, 8, 10, 11].reduce((bits, op) => bits | (1 << op), 0);

export const describeGroupsApi = defineApi(
  DescribeGroupsApi,
  [0, 5],
  { decodeRequest: decodeDescribeGroupsRequest, encodeResponse: encodeDescribeGroupsResponse },
  (ctx, req): DescribeGroupsResponse => {
    const operations = ctx.apiVersion >= 3 && req.includeAuthorizedOperations ? GROUP_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;
    return {
      throttleTimeMs: 0,
      groups: ctx.broker.groupCoordinator.describeGroups(req.groups).map((g) => ({
        ...g,
        authorizedOperations: g.errorCode === 0 ? operations : AUTHORIZED_OPERATIONS_OMITTED,
      })),
    };
  },
  (req, code) => ({
    throttleTimeMs: 0,
    groups: req.groups.map((groupId) => ({
      errorCode: code,
      groupId,
      groupState: '',
      protocolType: '',
      protocolData: '',
      members: [],
      authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    })),
  }),
);
