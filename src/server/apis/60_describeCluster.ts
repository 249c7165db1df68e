// DescribeCluster v0–1 (admin clients): cluster id, controller and brokers, as Metadata.
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
      controllerId: broker.nodeId,
      brokers: [{ brokerId: broker.nodeId, host: broker.advertisedHost, port: broker.port, rack: null }],
      clusterAuthorizedOperations: -2147483648,
    };
  },
  (_req, code, _v, message = null) => ({ ...defaultDescribeClusterResponse(), errorCode: code, errorMessage: message }),
);
