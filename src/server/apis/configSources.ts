// Shared by the config APIs: Kafka's ConfigSource codes and resource types.
import { ErrorCode } from '../../protocol/errors.js';
import { effectiveTopicConfigs } from '../../common/KafkaConfig.js';
import type { Broker } from '../Broker.js';
import type { TopicMetadata } from '../MetadataCache.js';

export const ConfigSource = { UNKNOWN: 0, DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;
export const ConfigResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

const SOURCE_CODES = { topic: ConfigSource.DYNAMIC_TOPIC_CONFIG, static: ConfigSource.STATIC_BROKER_CONFIG, default: ConfigSource.DEFAULT_CONFIG };

/** The effective configs of a topic with Kafka's source codes. */
export function topicConfigEntries(broker: Broker, topic: Pick<TopicMetadata, 'configs'>) {
  return effectiveTopicConfigs(broker.config, topic.configs).map((c) => ({
    name: c.name,
    value: c.value,
    source: SOURCE_CODES[c.source],
    isDefault: c.source === 'default',
  }));
}

export interface ConfigResourceResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

/**
 * What both AlterConfigs APIs do to one resource: topics only, the new override set computed
 * by `next` from the current one (a string is the INVALID_CONFIG reason), then sent to the
 * controller unless validate_only.
 */
export async function alterTopicConfigs(
  broker: Broker,
  res: { resourceType: number; resourceName: string },
  validateOnly: boolean,
  next: (current: Record<string, string>) => Record<string, string> | string,
): Promise<ConfigResourceResult> {
  const result = (errorCode: number, errorMessage: string | null = null): ConfigResourceResult => ({
    errorCode,
    errorMessage,
    resourceType: res.resourceType,
    resourceName: res.resourceName,
  });
  if (res.resourceType !== ConfigResourceType.TOPIC) return result(ErrorCode.INVALID_REQUEST, 'minikafka supports altering topic configs only');
  const topic = broker.metadata.get(res.resourceName);
  if (!topic) return result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${res.resourceName} does not exist`);
  const configs = next({ ...topic.configs });
  if (typeof configs === 'string') return result(ErrorCode.INVALID_CONFIG, configs);
  if (validateOnly) return result(ErrorCode.NONE);
  const r = await broker.setTopicConfigs(res.resourceName, configs);
  return result(r.errorCode, r.errorMessage);
}

/** Every resource of a config request answered with one error (the config APIs' error responses). */
export function resourceErrors(resources: { resourceType: number; resourceName: string }[], errorCode: number, errorMessage: string | null): ConfigResourceResult[] {
  return resources.map((r) => ({ errorCode, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName }));
}
