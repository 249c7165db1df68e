// JoinGroup v0–9 (classic protocol; see group/GroupCoordinator.ts). The answer is held until
// the rebalance's join phase completes. v0 has no rebalance timeout (the session timeout is
// used); v4+ clients joining without a member id get MEMBER_ID_REQUIRED and a generated id
// to rejoin with (never below v4); v5+ carry group.instance.id (static membership); v7+
// answer the protocol type and a nullable protocol name; v9+ may tell a rejoining static
// leader to skip the assignment.
import { decodeJoinGroupRequest, defaultJoinGroupResponse, encodeJoinGroupResponse, JoinGroupApi } from '../../protocol/messages/JoinGroup.js';
import type { JoinGroupResponse } from '../../protocol/messages/JoinGroup.js';
import { clientHostOf } from '../group/GroupCoordinator.js';
import type { JoinResult } from '../group/GroupCoordinator.js';
import { defineApi } from './Api.js';

function toResponse(r: JoinResult, version: number): JoinGroupResponse {
  // Before v7 the protocol name is not nullable; from v7 an empty one is sent as null.
  const protocolName = version < 7 ? (r.protocolName ?? '') : r.protocolName === '' ? null : r.protocolName;
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    generationId: r.generationId,
    protocolType: r.protocolType,
    protocolName,
    leader: r.leader,
    skipAssignment: r.skipAssignment,
    memberId: r.memberId,
    members: r.members,
  };
}

export const joinGroupApi = defineApi(
  JoinGroupApi,
  [0, 9],
  { decodeRequest: decodeJoinGroupRequest, encodeResponse: encodeJoinGroupResponse },
  (ctx, req) => {
    const v = ctx.apiVersion;
    const out = ctx.broker.groupCoordinator.joinGroup({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: v >= 5 ? req.groupInstanceId : null,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: v === 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols,
      reason: req.reason,
      apiVersion: v,
      clientId: ctx.clientId ?? '',
      clientHost: clientHostOf(ctx.conn.socket),
    });
    return out instanceof Promise ? out.then((r) => toResponse(r, v)) : toResponse(out, v);
  },
  (_req, code, v) => ({ ...defaultJoinGroupResponse(), errorCode: code, protocolName: v >= 7 ? null : '' }),
);
