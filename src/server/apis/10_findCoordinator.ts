// FindCoordinator v0–6. This single broker coordinates every group (key type 0) and every
// transactional id (key type 1); v0 has no key type and means a group. v4+ carries a batch of
// keys and answers one coordinator per key (KIP-699). Any other key type (2 = share groups,
// which a 3.9 broker serves only when share groups are enabled) is INVALID_REQUEST. Below v4 a
// success carries the error message "NONE", as Kafka's Errors.NONE.message() does.
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
    const { broker } = ctx;
    const keyType = ctx.apiVersion === 0 ? GROUP : req.keyType;
    const ok = keyType === GROUP || keyType === TRANSACTION;
    const errorCode = ok ? ErrorCode.NONE : ErrorCode.INVALID_REQUEST;
    const node = ok ? { nodeId: broker.nodeId, host: broker.advertisedHost, port: broker.port } : { nodeId: -1, host: '', port: -1 };
    if (ctx.apiVersion >= 4) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        nodeId: -1,
        host: '',
        port: -1,
        coordinators: req.coordinatorKeys.map((key) => ({ key, ...node, errorCode, errorMessage: ok ? null : `unsupported coordinator key type ${keyType}` })),
      };
    }
    return {
      throttleTimeMs: 0,
      errorCode,
      errorMessage: ok ? errorName(ErrorCode.NONE) : `unsupported coordinator key type ${keyType}`,
      ...node,
      coordinators: [],
    };
  },
);
