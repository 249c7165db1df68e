// FindCoordinator v0–6. One broker coordinates every group (key type 0) and every
// transactional id (key type 1): the lowest registered node id (see group/GroupCoordinator.ts);
// while it is down the answer is COORDINATOR_NOT_AVAILABLE, which clients retry. v0 has no key
// type and means a group. v4+ carries a batch of keys and answers one coordinator per key
// (KIP-699). Any other key type (2 = share groups, which a 3.9 broker serves only when share
// groups are enabled) is INVALID_REQUEST. Below v4 a success carries the error message "NONE",
// as Kafka's Errors.NONE.message() does.
import { ErrorCode, errorName } from '../../protocol/errors.js';
import { decodeFindCoordinatorRequest, encodeFindCoordinatorResponse, FindCoordinatorApi } from '../../protocol/messages/FindCoordinator.js';
import type { FindCoordinatorResponse } from '../../protocol/messages/FindCoordinator.js';
import { defineApi } from './Api.js';

const GROUP = 0;
const TRANSACTION = 1;

export const findCoordinatorApi = defineApi(
  FindCoordinatorApi,
  [0, 6],
  { decodeRequest: decodeFindCoordinatorRequest, encodeResponse: encodeFindCoordinatorResponse },
  (ctx, req): FindCoordinatorResponse => {
    const keyType = ctx.apiVersion === 0 ? GROUP : req.keyType;
    const known = keyType === GROUP || keyType === TRANSACTION;
    const coordinator = known ? ctx.broker.groupCoordinator.coordinatorNode() : { errorCode: ErrorCode.INVALID_REQUEST, nodeId: -1, host: '', port: -1 };
    const { errorCode } = coordinator;
    const ok = errorCode === ErrorCode.NONE;
    const node = { nodeId: coordinator.nodeId, host: coordinator.host, port: coordinator.port };
    const message = ok ? null : known ? errorName(errorCode) : `unsupported coordinator key type ${keyType}`;
    if (ctx.apiVersion >= 4) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        nodeId: -1,
        host: '',
        port: -1,
        coordinators: req.coordinatorKeys.map((key) => ({ key, ...node, errorCode, errorMessage: message })),
      };
    }
    return {
      throttleTimeMs: 0,
      errorCode,
      errorMessage: ok ? errorName(ErrorCode.NONE) : message,
      ...node,
      coordinators: [],
    };
  },
);
