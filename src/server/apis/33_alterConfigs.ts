// AlterConfigs v0–2 (the non-incremental form): a topic's overrides become exactly the
// given set. Unknown or invalid configs are INVALID_CONFIG; brokers' dynamic configs are
// not supported (INVALID_REQUEST). validate_only checks without applying.
import { ErrorCode } from '../../protocol/errors.js';
import { AlterConfigsApi, decodeAlterConfigsRequest, encodeAlterConfigsResponse } from '../../protocol/messages/AlterConfigs.js';
import type { AlterConfigsResponse } from '../../protocol/messages/AlterConfigs.js';
import { validateTopicConfig } from '../KafkaConfig.js';
import { defineApi } from './Api.js';
import { ConfigResourceType } from './configSources.js';

export const alterConfigsApi = defineApi(
  AlterConfigsApi,
  [0, 2],
  { decodeRequest: decodeAlterConfigsRequest, encodeResponse: encodeAlterConfigsResponse },
  async (ctx, req): Promise<AlterConfigsResponse> => {
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
      if (!broker.metadata.get(res.resourceName)) return result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${res.resourceName} does not exist`);
      const configs: Record<string, string> = {};
      for (const c of res.configs) {
        const problem = validateTopicConfig(c.name, c.value) ?? (c.value === null ? `Null value not supported for: ${c.name}` : null);
        if (problem) return result(ErrorCode.INVALID_CONFIG, problem);
        configs[c.name] = c.value!;
      }
      if (req.validateOnly) return result(ErrorCode.NONE);
      const r = await broker.setTopicConfigs(res.resourceName, configs);
      return result(r.errorCode, r.errorMessage);
    }));
    return { throttleTimeMs: 0, responses };
  },
);
