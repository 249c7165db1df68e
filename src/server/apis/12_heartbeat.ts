// Heartbeat v0–4: keeps a member's session alive. REBALANCE_IN_PROGRESS tells the member to
// rejoin; UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION / FENCED_INSTANCE_ID say its membership is
// gone or stale. v3+ carry group.instance.id.
import { decodeHeartbeatRequest, encodeHeartbeatResponse, HeartbeatApi } from '../../protocol/messages/Heartbeat.js';
import type { HeartbeatResponse } from '../../protocol/messages/Heartbeat.js';
import { defineApi } from './Api.js';

export const heartbeatApi = defineApi(
  HeartbeatApi,
  [0, 4],
  { decodeRequest: decodeHeartbeatRequest, encodeResponse: encodeHeartbeatResponse },
  (ctx, req): HeartbeatResponse => ({
    throttleTimeMs: 0,
    errorCode: ctx.broker.groupCoordinator.heartbeat(req.groupId, req.memberId, ctx.apiVersion >= 3 ? req.groupInstanceId : null, req.generationId),
  }),
  (_req, code) => ({ throttleTimeMs: 0, errorCode: code }),
);
