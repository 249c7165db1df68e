// AlterConfigs v0–2 (the non-incremental form): a resource's configs become exactly the given
// set. Topics: unknown or invalid configs are INVALID_CONFIG. Brokers (this broker's id, or ""
// for the cluster default) and client-metrics subscriptions: stored in the metadata log as
// Kafka's ConfigRecord, refused as Kafka refuses them (see configSources.ts). Broker loggers
// are IncrementalAlterConfigs only (INVALID_REQUEST here). validate_only checks without applying.
import { AlterConfigsApi, decodeAlterConfigsRequest, encodeAlterConfigsResponse } from '../../protocol/messages/AlterConfigs.js';
import type { AlterConfigsResponse } from '../../protocol/messages/AlterConfigs.js';
import { validateTopicConfig } from '../../common/KafkaConfig.js';
import { defineApi } from './Api.js';
import { ErrorCode } from '../../protocol/errors.js';
import { alterTopicConfigs, ConfigResourceType, DUPLICATE_RESOURCE, duplicateResources, resourceErrors } from './configSources.js';

export const alterConfigsApi = defineApi(
  AlterConfigsApi,
  [0, 2],
  { decodeRequest: decodeAlterConfigsRequest, encodeResponse: encodeAlterConfigsResponse },
  async (ctx, req): Promise<AlterConfigsResponse> => {
    const dups = duplicateResources(req.resources);
    return {
    throttleTimeMs: 0,
    responses: await Promise.all(
      req.resources.map((res) =>
        dups.has(`${res.resourceType}:${res.resourceName}`)
          ? Promise.resolve({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: DUPLICATE_RESOURCE, resourceType: res.resourceType, resourceName: res.resourceName })
          : alterTopicConfigs(ctx.broker, res, req.validateOnly, () => {
          const configs: Record<string, string> = {};
          for (const c of res.configs) {
            const problem =
              (res.resourceType === ConfigResourceType.TOPIC ? validateTopicConfig(c.name, c.value) : null) ??
              (c.value === null ? `Null value not supported for: ${c.name}` : null);
            if (problem) return problem;
            configs[c.name] = c.value!;
          }
          return configs;
        }),
      ),
    ),
  };
  },
  (req, code, _v, message = null) => ({ throttleTimeMs: 0, responses: resourceErrors(req.resources, code, message) }),
);
