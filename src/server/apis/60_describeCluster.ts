// DescribeCluster v0–1 (admin clients): cluster id, every live (unfenced) broker and the
// controller id, the same as Metadata answers (a KRaft broker names a live broker, which
// forwards controller requests, not the quorum controller).
import { ErrorCode } from '../../protocol/errors.js';
import { decodeDescribeClusterRequest, defaultDescribeClusterResponse, DescribeClusterApi, encodeDescribeClusterResponse } from '../../protocol/messages/DescribeCluster.js';
import type { DescribeClusterResponse } from '../../protocol/messages/DescribeCluster.js';
import { defineApi } from './Api.js';

const BROKERS_ENDPOINT = 1;

export const describeClusterApi = defineApi(
  DescribeClusterApi,
  [0, 1],
  { decodeRequest: decodeDescribeClusterRequest, encodeResponse: encodeDescribeClusterResponse },
  (ctx, req): DescribeClusterResponse => {
    const { broker } = ctx;
    if (req.endpointType !== BROKERS_ENDPOINT) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
        errorMessage: `Unsupported endpoint type ${req.endpointType}`,
        endpointType: req.endpointType,
        clusterId: broker.clusterId,
        controllerId: -1,
        brokers: [],
        clusterAuthorizedOperations: -2147483648,
      };
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: BROKERS_ENDPOINT,
      clusterId: broker.clusterId,
      controllerId: broker.metadata.controllerId(),
      brokers: broker.metadata.liveBrokers(ctx.conn.listenerName).map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
      clusterAuthorizedOperations: -2147483648,
    };
  },
  (_req, code, _v, message = null) => ({ ...defaultDescribeClusterResponse(), errorCode: code, errorMessage: message }),
);
