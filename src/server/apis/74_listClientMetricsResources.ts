// ListClientMetricsResources v0 (KIP-714, Kafka 3.9; Kafka 4 renames it ListConfigResources and
// adds v1's resource-type filter, not served here): the names of the client-metrics
// subscriptions stored with AlterConfigs/IncrementalAlterConfigs.
import { ErrorCode } from '../../protocol/errors.js';
import {
  decodeListClientMetricsResourcesRequest,
  encodeListClientMetricsResourcesResponse,
  ListClientMetricsResourcesApi,
} from '../../protocol/messages/ListClientMetricsResources.js';
import type { ListClientMetricsResourcesResponse } from '../../protocol/messages/ListClientMetricsResources.js';
import { defineApi } from './Api.js';
import { ConfigResourceType } from './configSources.js';

export const listClientMetricsResourcesApi = defineApi(
  ListClientMetricsResourcesApi,
  [0, 0],
  { decodeRequest: decodeListClientMetricsResourcesRequest, encodeResponse: encodeListClientMetricsResourcesResponse },
  (ctx): ListClientMetricsResourcesResponse => {
    const prefix = `${ConfigResourceType.CLIENT_METRICS}:`;
    const names = [...ctx.broker.image.configs.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, clientMetricsResources: names.sort().map((name) => ({ name })) };
  },
  (_req, code) => ({ throttleTimeMs: 0, errorCode: code, clientMetricsResources: [] }),
);
