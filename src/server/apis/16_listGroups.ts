// ListGroups v0–5: the groups this broker coordinates, those of the __consumer_offsets
// partitions it leads (clients ask every broker and merge; COORDINATOR_LOAD_IN_PROGRESS while
// one of them is loading). v4+ may filter by state (case-insensitive) and answer each group's
// state; v5+ may filter by type and answer it (every group here is "classic").
import { decodeListGroupsRequest, encodeListGroupsResponse, ListGroupsApi } from '../../protocol/messages/ListGroups.js';
import type { ListGroupsResponse } from '../../protocol/messages/ListGroups.js';
import { defineApi } from './Api.js';

export const listGroupsApi = defineApi(
  ListGroupsApi,
  [0, 5],
  { decodeRequest: decodeListGroupsRequest, encodeResponse: encodeListGroupsResponse },
  (ctx, req): ListGroupsResponse => {
    const v = ctx.apiVersion;
    const r = ctx.broker.groupCoordinator.listGroups(v >= 4 ? req.statesFilter : [], v >= 5 ? req.typesFilter : []);
    return { throttleTimeMs: 0, errorCode: r.errorCode, groups: r.groups };
  },
  (_req, code) => ({ throttleTimeMs: 0, errorCode: code, groups: [] }),
);
