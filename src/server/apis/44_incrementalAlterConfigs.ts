// IncrementalAlterConfigs v0–1: SET, DELETE, APPEND and SUBTRACT on a topic's overrides,
// validated as a whole before anything changes. Topic resources only.
import {
  decodeIncrementalAlterConfigsRequest,
  encodeIncrementalAlterConfigsResponse,
  IncrementalAlterConfigsApi,
} from '../../protocol/messages/IncrementalAlterConfigs.js';
import type { IncrementalAlterConfigsResponse } from '../../protocol/messages/IncrementalAlterConfigs.js';
import { applyConfigOp, validateTopicConfig } from '../../common/KafkaConfig.js';
import { defineApi } from './Api.js';
import { alterTopicConfigs, resourceErrors } from './configSources.js';

export const incrementalAlterConfigsApi = defineApi(
  IncrementalAlterConfigsApi,
  [0, 1],
  { decodeRequest: decodeIncrementalAlterConfigsRequest, encodeResponse: encodeIncrementalAlterConfigsResponse },
  async (ctx, req): Promise<IncrementalAlterConfigsResponse> => ({
    throttleTimeMs: 0,
    responses: await Promise.all(
      req.resources.map((res) =>
        alterTopicConfigs(ctx.broker, res, req.validateOnly, (configs) => {
          for (const c of res.configs) {
            const problem =
              applyConfigOp(ctx.broker.config, configs, c.name, c.configOperation, c.value) ??
              (configs[c.name] !== undefined ? validateTopicConfig(c.name, configs[c.name]!) : null);
            if (problem) return problem;
          }
          return configs;
        }),
      ),
    ),
  }),
  (req, code, _v, message = null) => ({ throttleTimeMs: 0, responses: resourceErrors(req.resources, code, message) }),
);
