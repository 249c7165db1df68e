// Shared by the config APIs: Kafka's ConfigSource codes and resource types.
import { effectiveTopicConfigs } from '../KafkaConfig.js';
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
