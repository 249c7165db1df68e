// DescribeConfigs v0–4 for topics (every topic config with its effective value and
// source: topic override, static broker config or Kafka's default) and for this broker
// (its honoured properties). Logger resources answer with no entries.
import { ErrorCode, errorName } from '../../protocol/errors.js';
import { decodeDescribeConfigsRequest, DescribeConfigsApi, encodeDescribeConfigsResponse } from '../../protocol/messages/DescribeConfigs.js';
import type { DescribeConfigsResponse } from '../../protocol/messages/DescribeConfigs.js';
import { configTypeCode } from '../../common/KafkaConfig.js';
import { defineApi } from './Api.js';
import { ConfigResourceType, ConfigSource, resourceErrors, topicConfigEntries } from './configSources.js';

type Result = DescribeConfigsResponse['results'][number];
type Entry = Result['configs'][number];

function entry(name: string, value: string, source: number, includeSynonyms: boolean): Entry {
  return {
    name,
    value,
    readOnly: false,
    isDefault: source === ConfigSource.DEFAULT_CONFIG,
    configSource: source,
    isSensitive: false,
    synonyms: includeSynonyms ? [{ name, value, source }] : [],
    configType: configTypeCode(name),
    documentation: null,
  };
}

export const describeConfigsApi = defineApi(
  DescribeConfigsApi,
  [0, 4],
  { decodeRequest: decodeDescribeConfigsRequest, encodeResponse: encodeDescribeConfigsResponse },
  (ctx, req): DescribeConfigsResponse => {
    const { broker } = ctx;
    const results = req.resources.map((res): Result => {
      const result = (errorCode: number, errorMessage: string | null, configs: Entry[] = []): Result => ({
        errorCode,
        errorMessage,
        resourceType: res.resourceType,
        resourceName: res.resourceName,
        configs,
      });
      const wanted = (name: string) => res.configurationKeys === null || res.configurationKeys.includes(name);
      switch (res.resourceType) {
        case ConfigResourceType.TOPIC: {
          const topic = broker.metadata.get(res.resourceName);
          if (!topic) return result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${res.resourceName} does not exist`);
          const configs = topicConfigEntries(broker, topic)
            .filter((c) => wanted(c.name))
            .map((c) => entry(c.name, c.value, c.source, req.includeSynonyms));
          return result(ErrorCode.NONE, null, configs);
        }
        case ConfigResourceType.BROKER: {
          if (res.resourceName !== '' && res.resourceName !== String(broker.nodeId)) {
            return result(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${broker.nodeId} or empty string, but received ${res.resourceName}`);
          }
          const configs = broker.config
            .entries()
            .filter((c) => wanted(c.name))
            .map((c) => entry(c.name, c.value, c.explicit ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG, req.includeSynonyms));
          return result(ErrorCode.NONE, null, configs);
        }
        case ConfigResourceType.BROKER_LOGGER:
          return result(ErrorCode.NONE, null);
        default:
          return result(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${res.resourceType}`);
      }
    });
    return { throttleTimeMs: 0, results };
  },
  // Kafka sends the code's fixed message here (Errors.message()), not the exception's.
  (req, code) => ({ throttleTimeMs: 0, results: resourceErrors(req.resources, code, errorName(code)).map((r) => ({ ...r, configs: [] })) }),
);
