// AlterConfigs v0–2 (the non-incremental form): a resource's configs become exactly the given
// set. Topics: unknown or invalid configs are INVALID_CONFIG. Brokers (this broker's id, or ""
// for the cluster default) and client-metrics subscriptions: stored in the metadata log as
// Kafka's ConfigRecord, refused as Kafka refuses them (see configSources.ts). Broker loggers
// are IncrementalAlterConfigs only (INVALID_REQUEST here). validate_only checks without applying.
import { AlterConfigsApi, decodeAlterConfigsRequest, encodeAlterConfigsResponse } from '../../protocol/messages/AlterConfigs.js';
import type { AlterConfigsResponse } from '../../protocol/messages/AlterConfigs.js';
import { validateTopicConfig } from '../../common/KafkaConfig.js';
import { defineApi } from './Api.js';
import { alterTopicConfigs, ConfigResourceType, duplicateResources, precheck, resourceErrors } from './configSources.js';

export const alterConfigsApi = defineApi(
  AlterConfigsApi,
  [0, 2],
  { decodeRequest: decodeAlterConfigsRequest, encodeResponse: encodeAlterConfigsResponse },
  async (ctx, req): Promise<AlterConfigsResponse> => {
    const dups = duplicateResources(req.resources);
    const responses = await Promise.all(
      req.resources.map(
        (res) =>
          precheck(res, dups) ??
          alterTopicConfigs(ctx.broker, res, req.validateOnly, () => {
            const configs: Record<string, string> = {};
            for (const c of res.configs) {
              const problem = res.resourceType === ConfigResourceType.TOPIC ? validateTopicConfig(c.name, c.value) : null;
              if (problem) return problem;
              configs[c.name] = c.value!;
            }
            return configs;
          }),
      ),
    );
    return { throttleTimeMs: 0, responses };
  },
  (req, code, _v, message = null) => ({ throttleTimeMs: 0, responses: resourceErrors(req.resources, code, message) }),
);
