// SyncGroup v0–5. The leader's request carries the assignment for every member; each
// member's answer is held until the leader's assignment is replicated in __consumer_offsets. v3+ carry
// group.instance.id; v5+ must carry the protocol type and name (else
// INCONSISTENT_GROUP_PROTOCOL, as Kafka checks) and get them back.
import { ErrorCode } from '../../protocol/errors.js';
import { decodeSyncGroupRequest, encodeSyncGroupResponse, SyncGroupApi } from '../../protocol/messages/SyncGroup.js';
import type { SyncGroupResponse } from '../../protocol/messages/SyncGroup.js';
import type { SyncResult } from '../group/GroupCoordinator.js';
import { defineApi } from './Api.js';

const toResponse = (r: SyncResult): SyncGroupResponse => ({
  throttleTimeMs: 0,
  errorCode: r.errorCode,
  protocolType: r.protocolType,
  protocolName: r.protocolName,
  assignment: r.assignment,
});

export const syncGroupApi = defineApi(
  SyncGroupApi,
  [0, 5],
  { decodeRequest: decodeSyncGroupRequest, encodeResponse: encodeSyncGroupResponse },
  (ctx, req) => {
    const v = ctx.apiVersion;
    if (v >= 5 && (req.protocolType === null || req.protocolName === null)) {
      return toResponse({ errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) });
    }
    const out = ctx.broker.groupCoordinator.syncGroup({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: v >= 3 ? req.groupInstanceId : null,
      protocolType: v >= 5 ? req.protocolType : null,
      protocolName: v >= 5 ? req.protocolName : null,
      assignments: req.assignments,
    });
    return out instanceof Promise ? out.then(toResponse) : toResponse(out);
  },
  (_req, code) => toResponse({ errorCode: code, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) }),
);
