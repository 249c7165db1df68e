// DescribeConfigs v0–4. Topics: every Kafka 3.9 topic config with its effective value, source
// and synonyms (the topic override, then the broker properties that supply it: dynamic per
// broker, dynamic cluster default, static, Kafka's default), type and documentation. Brokers
// (this broker's id): every broker config, read-only unless Kafka changes it at runtime; the
// cluster default (name ""): only the dynamic default configs, as Kafka. Broker loggers: every
// logger's level. Client metrics: a subscription's stored configs (none if unknown), as 3.9.
// A result Kafka answers without setting a message carries the schema default, "", not null.
import { ErrorCode, errorName } from '../../protocol/errors.js';
import { decodeDescribeConfigsRequest, DescribeConfigsApi, encodeDescribeConfigsResponse } from '../../protocol/messages/DescribeConfigs.js';
import type { DescribeConfigsResponse } from '../../protocol/messages/DescribeConfigs.js';
import { configTypeCode, DYNAMIC_BROKER_CONFIGS, topicConfigDoc, type ConfigSynonym } from '../../common/KafkaConfig.js';
import { loggerLevels } from '../../logger.js';
import { defineApi } from './Api.js';
import { ConfigResourceType, ConfigSource, resourceErrors, topicConfigEntries } from './configSources.js';

type Result = DescribeConfigsResponse['results'][number];
type Entry = Result['configs'][number];

interface EntryInput {
  name: string;
  value: string | null;
  source: number;
  synonyms: ConfigSynonym[];
  readOnly?: boolean;
  configType?: number;
  documentation?: string | null;
}

function entry(e: EntryInput, includeSynonyms: boolean, includeDocumentation: boolean): Entry {
  return {
    name: e.name,
    value: e.value,
    readOnly: e.readOnly ?? false,
    isDefault: e.source === ConfigSource.DEFAULT_CONFIG,
    configSource: e.source,
    isSensitive: false,
    synonyms: includeSynonyms ? e.synonyms.map((s) => ({ name: s.name, value: s.value, source: s.source })) : [],
    configType: e.configType ?? 0,
    documentation: includeDocumentation ? (e.documentation ?? null) : null,
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
      const out = (list: EntryInput[]) => list.filter((c) => wanted(c.name)).map((c) => entry(c, req.includeSynonyms, req.includeDocumentation));
      switch (res.resourceType) {
        case ConfigResourceType.TOPIC: {
          const topic = broker.metadata.get(res.resourceName);
          if (!topic) return result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ''); // Kafka sets no message: the schema's ""
          const configs = topicConfigEntries(broker, topic).map((c) => ({ ...c, configType: configTypeCode(c.name), documentation: topicConfigDoc(c.name) }));
          return result(ErrorCode.NONE, '', out(configs));
        }
        case ConfigResourceType.BROKER: {
          const perBroker = res.resourceName !== '';
          if (perBroker && res.resourceName !== String(broker.nodeId)) {
            return result(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${broker.nodeId} or empty string, but received ${res.resourceName}`);
          }
          const configs = broker.config
            .entries()
            .map((c) => {
              // the cluster-default resource shows only what is set at that level
              const synonyms = perBroker ? c.synonyms : c.synonyms.filter((s) => s.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
              return {
                name: c.name,
                value: perBroker ? c.value : (synonyms.find((s) => s.name === c.name)?.value ?? null),
                source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
                synonyms,
                readOnly: !DYNAMIC_BROKER_CONFIGS.has(c.name),
                configType: configTypeCode(c.name, 'broker'),
              };
            })
            .filter((c) => perBroker || c.synonyms.some((s) => s.name === c.name));
          return result(ErrorCode.NONE, '', out(configs));
        }
        case ConfigResourceType.BROKER_LOGGER: {
          if (res.resourceName === '') return result(ErrorCode.INVALID_REQUEST, 'Broker id must not be empty');
          if (res.resourceName !== String(broker.nodeId)) {
            return result(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${broker.nodeId} but received ${res.resourceName}`);
          }
          const configs = Object.entries(loggerLevels()).map(([name, level]) => ({ name, value: level, source: ConfigSource.DYNAMIC_BROKER_LOGGER_CONFIG, synonyms: [] }));
          return result(ErrorCode.NONE, '', out(configs));
        }
        case ConfigResourceType.CLIENT_METRICS: {
          if (res.resourceName === '') return result(ErrorCode.INVALID_REQUEST, 'Client metrics subscription name must not be empty');
          const stored = broker.image.configs.get(`${ConfigResourceType.CLIENT_METRICS}:${res.resourceName}`) ?? {};
          const configs = Object.entries(stored).map(([name, value]) => ({ name, value, source: ConfigSource.CLIENT_METRICS_CONFIG, synonyms: [] }));
          return result(ErrorCode.NONE, '', out(configs));
        }
        default:
          return result(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${res.resourceType}`);
      }
    });
    return { throttleTimeMs: 0, results };
  },
  // Kafka sends the code's fixed message here (Errors.message()), not the exception's.
  (req, code) => ({ throttleTimeMs: 0, results: resourceErrors(req.resources, code, errorName(code)).map((r) => ({ ...r, configs: [] })) }),
);
