// AlterConfigs v0–2 (the non-incremental form): a topic's overrides become exactly the
// given set. Unknown or invalid configs are INVALID_CONFIG; brokers' dynamic configs are
// not supported (INVALID_REQUEST). validate_only checks without applying.
import { AlterConfigsApi, decodeAlterConfigsRequest, encodeAlterConfigsResponse } from '../../protocol/messages/AlterConfigs.js';
import type { AlterConfigsResponse } from '../../protocol/messages/AlterConfigs.js';
import { validateTopicConfig } from '../../common/KafkaConfig.js';
import { defineApi } from './Api.js';
import { alterTopicConfigs, resourceErrors } from './configSources.js';

export const alterConfigsApi = defineApi(
  AlterConfigsApi,
  [0, 2],
  { decodeRequest: decodeAlterConfigsRequest, encodeResponse: encodeAlterConfigsResponse },
  async (ctx, req): Promise<AlterConfigsResponse> => ({
    throttleTimeMs: 0,
    responses: await Promise.all(
      req.resources.map((res) =>
        alterTopicConfigs(ctx.broker, res, req.validateOnly, () => {
          const configs: Record<string, string> = {};
          for (const c of res.configs) {
            const problem = validateTopicConfig(c.name, c.value) ?? (c.value === null ? `Null value not supported for: ${c.name}` : null);
            if (problem) return problem;
            configs[c.name] = c.value!;
          }
          return configs;
        }),
      ),
    ),
  }),
  (req, code, _v, message = null) => ({ throttleTimeMs: 0, responses: resourceErrors(req.resources, code, message) }),
);
