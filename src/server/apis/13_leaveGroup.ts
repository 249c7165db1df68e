// LeaveGroup v0–5. v0–2 name one member and answer one error code (the member's error when
// there is no group-level one); v3+ remove a batch of members, by member id or, with an
// empty member id, by group.instance.id (administrative removal of static members), and
// answer per member. v5 adds a reason per member (logged).
import { decodeLeaveGroupRequest, encodeLeaveGroupResponse, LeaveGroupApi } from '../../protocol/messages/LeaveGroup.js';
import type { LeaveGroupResponse } from '../../protocol/messages/LeaveGroup.js';
import { defineApi } from './Api.js';

export const leaveGroupApi = defineApi(
  LeaveGroupApi,
  [0, 5],
  { decodeRequest: decodeLeaveGroupRequest, encodeResponse: encodeLeaveGroupResponse },
  (ctx, req): LeaveGroupResponse => {
    const v = ctx.apiVersion;
    const members = v >= 3 ? req.members : [{ memberId: req.memberId, groupInstanceId: null, reason: null }];
    const r = ctx.broker.groupCoordinator.leaveGroup(req.groupId, members);
    if (v >= 3) return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
    return { throttleTimeMs: 0, errorCode: r.errorCode !== 0 ? r.errorCode : (r.members[0]?.errorCode ?? 0), members: [] };
  },
  (_req, code) => ({ throttleTimeMs: 0, errorCode: code, members: [] }),
);
