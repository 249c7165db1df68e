// DeleteGroups v0–2: removes empty groups with their committed offsets (tombstones in
// __consumer_offsets, answered once replicated). A group with members is NON_EMPTY_GROUP, an
// unknown one GROUP_ID_NOT_FOUND. Repeated ids are answered once, as Kafka does.
import { decodeDeleteGroupsRequest, DeleteGroupsApi, encodeDeleteGroupsResponse } from '../../protocol/messages/DeleteGroups.js';
import type { DeleteGroupsResponse } from '../../protocol/messages/DeleteGroups.js';
import { defineApi } from './Api.js';

export const deleteGroupsApi = defineApi(
  DeleteGroupsApi,
  [0, 2],
  { decodeRequest: decodeDeleteGroupsRequest, encodeResponse: encodeDeleteGroupsResponse },
  (ctx, req): DeleteGroupsResponse | Promise<DeleteGroupsResponse> => {
    const results = ctx.broker.groupCoordinator.deleteGroups(req.groupsNames);
    const respond = (r: DeleteGroupsResponse['results']): DeleteGroupsResponse => ({ throttleTimeMs: 0, results: r });
    return results instanceof Promise ? results.then(respond) : respond(results);
  },
  (req, code) => ({ throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode: code })) }),
);
