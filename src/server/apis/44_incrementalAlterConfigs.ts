// IncrementalAlterConfigs v0–1: SET, DELETE, APPEND and SUBTRACT on a topic's overrides,
// validated as a whole before anything changes. Topic resources only.
import { ErrorCode } from '../../protocol/errors.js';
import {
  decodeIncrementalAlterConfigsRequest,
  encodeIncrementalAlterConfigsResponse,
  IncrementalAlterConfigsApi,
} from '../../protocol/messages/IncrementalAlterConfigs.js';
import type { IncrementalAlterConfigsResponse } from '../../protocol/messages/IncrementalAlterConfigs.js';
import { applyConfigOp, validateTopicConfig } from '../KafkaConfig.js';
import { defineApi } from './Api.js';
import { ConfigResourceType } from './configSources.js';

export const incrementalAlterConfigsApi = defineApi(
  IncrementalAlterConfigsApi,
  [0, 1],
  { decodeRequest: decodeIncrementalAlterConfigsRequest, encodeResponse: encodeIncrementalAlterConfigsResponse },
  async (ctx, req): Promise<IncrementalAlterConfigsResponse> => {
    const { broker } = ctx;
    const responses = await Promise.all(req.resources.map(async (res) => {
      const result = (errorCode: number, errorMessage: string | null = null) => ({
        errorCode,
        errorMessage,
        resourceType: res.resourceType,
        resourceName: res.resourceName,
      });
      if (res.resourceType !== ConfigResourceType.TOPIC) {
        return result(ErrorCode.INVALID_REQUEST, 'minikafka supports altering topic configs only');
      }
      const topic = broker.metadata.get(res.resourceName);
      if (!topic) return result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${res.resourceName} does not exist`);
      const configs = { ...topic.configs };
      for (const c of res.configs) {
        const problem =
          applyConfigOp(broker.config, configs, c.name, c.configOperation, c.value) ??
          (configs[c.name] !== undefined ? validateTopicConfig(c.name, configs[c.name]!) : null);
        if (problem) return result(ErrorCode.INVALID_CONFIG, problem);
      }
      if (req.validateOnly) return result(ErrorCode.NONE);
      const r = await broker.setTopicConfigs(res.resourceName, configs);
      return result(r.errorCode, r.errorMessage);
    }));
    return { throttleTimeMs: 0, responses };
  },
);
