// FindCoordinator v0–6. A group (key type 0) is coordinated by the leader of its partition of
// __consumer_offsets, a transactional id (key type 1) by the leader of its partition of
// __transaction_state: abs(key.hashCode()) % partitions as in Kafka. The first request of a
// type creates its topic; until it exists, and while the partition has no live leader, the
// answer is COORDINATOR_NOT_AVAILABLE, which clients retry. v0 has no key type and means a group. v4+ carries a batch of keys and answers one coordinator per key
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
    const lookup = (key: string) => {
      let c =
        keyType === GROUP
          ? ctx.broker.groupCoordinator.coordinatorFor(key)
          : keyType === TRANSACTION
            ? ctx.broker.transactionCoordinator.coordinatorFor(key)
            : { errorCode: ErrorCode.INVALID_REQUEST, nodeId: -1, host: '', port: -1 };
      if (c.errorCode === ErrorCode.NONE) {
        // The coordinator's endpoint on the listener this client came through.
        const e = ctx.broker.metadata.endpoint(c.nodeId, ctx.conn.listenerName);
        c = e ? { ...c, ...e } : { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1, host: '', port: -1 };
      }
      const message = c.errorCode === ErrorCode.NONE ? null : known ? errorName(c.errorCode) : `unsupported coordinator key type ${keyType}`;
      return { errorCode: c.errorCode, errorMessage: message, nodeId: c.nodeId, host: c.host, port: c.port };
    };
    if (ctx.apiVersion >= 4) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        nodeId: -1,
        host: '',
        port: -1,
        coordinators: req.coordinatorKeys.map((key) => ({ key, ...lookup(key) })),
      };
    }
    const c = lookup(req.key);
    return {
      throttleTimeMs: 0,
      ...c,
      errorMessage: c.errorCode === ErrorCode.NONE ? errorName(ErrorCode.NONE) : c.errorMessage,
      coordinators: [],
    };
  },
  // Kafka sends the code's fixed message here (Errors.message()), not the exception's; no node.
  (req, code, v) => {
    const noNode = { errorCode: code, errorMessage: errorName(code), nodeId: -1, host: '', port: -1 };
    if (v >= 4) return { throttleTimeMs: 0, ...noNode, errorCode: ErrorCode.NONE, errorMessage: null, coordinators: req.coordinatorKeys.map((key) => ({ key, ...noNode })) };
    return { throttleTimeMs: 0, ...noNode, coordinators: [] };
  },
);
