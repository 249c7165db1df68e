// Shared by the config APIs: Kafka's ConfigSource codes and resource types.
import { ErrorCode } from '../../protocol/errors.js';
import { brokerConfigProblem, ConfigSource, DYNAMIC_BROKER_CONFIGS, effectiveTopicConfigs, isBrokerConfig } from '../../common/KafkaConfig.js';
import { configKey } from '../../replication/MetadataImage.js';
import type { Broker } from '../Broker.js';
import type { TopicMetadata } from '../MetadataCache.js';

export { ConfigSource };
export const ConfigResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, CLIENT_METRICS: 16 } as const;

/** The effective configs of a topic with Kafka's source codes and synonyms. */
export function topicConfigEntries(broker: Broker, topic: Pick<TopicMetadata, 'configs'>) {
  return effectiveTopicConfigs(broker.config, topic.configs);
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
  if (res.resourceType === ConfigResourceType.BROKER || res.resourceType === ConfigResourceType.CLIENT_METRICS) {
    const current = { ...(broker.image.configs.get(configKey(res.resourceType, res.resourceName)) ?? {}) };
    const problem = res.resourceType === ConfigResourceType.BROKER ? brokerResourceProblem(broker, res.resourceName) : res.resourceName === '' ? "Subscription name can't be empty" : null;
    if (problem) return result(ErrorCode.INVALID_REQUEST, problem);
    const configs = next(current);
    if (typeof configs === 'string') return result(ErrorCode.INVALID_CONFIG, configs);
    const bad = res.resourceType === ConfigResourceType.BROKER ? brokerConfigsProblem(configs) : clientMetricsProblem(configs);
    if (bad) return result(bad.code, bad.message);
    if (validateOnly) return result(ErrorCode.NONE);
    const r = await broker.setResourceConfigs(res.resourceType, res.resourceName, configs);
    return result(r.errorCode, r.errorMessage);
  }
  if (res.resourceType !== ConfigResourceType.TOPIC) return result(ErrorCode.INVALID_REQUEST, `Unknown resource type ${res.resourceType}`);
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

/** A broker resource names this broker or "" (the cluster default), as Kafka's validateResourceNameIsCurrentNodeId. */
function brokerResourceProblem(broker: Broker, name: string): string | null {
  if (name === '') return null;
  if (!/^-?\d+$/.test(name)) return `Node id must be an integer, but it is: ${name}`;
  return Number(name) === broker.nodeId ? null : `Unexpected broker id, expected ${broker.nodeId}, but received ${name}`;
}

/** Kafka's DynamicBrokerConfig.validateConfigs: known static configs are refused, values checked (INVALID_REQUEST, KAFKA-13609). */
function brokerConfigsProblem(configs: Record<string, string>): { code: number; message: string } | null {
  const names = Object.keys(configs);
  const fixed = names.filter((n) => isBrokerConfig(n) && !DYNAMIC_BROKER_CONFIGS.has(n));
  if (fixed.length > 0) return { code: ErrorCode.INVALID_REQUEST, message: `Cannot update these configs dynamically: [${fixed.join(', ')}]` };
  for (const n of names) {
    const p = brokerConfigProblem(n, configs[n]!);
    if (p) return { code: ErrorCode.INVALID_REQUEST, message: p };
  }
  return null;
}

const MATCH_PARAMS = new Set(['client_instance_id', 'client_id', 'client_software_name', 'client_software_version', 'client_source_address', 'client_source_port']);

/** Kafka's ClientMetricsConfigs.validate (KIP-714): metrics, interval.ms (100..3600000) and match patterns. */
function clientMetricsProblem(configs: Record<string, string>): { code: number; message: string } | null {
  for (const [k, v] of Object.entries(configs)) {
    if (k !== 'metrics' && k !== 'interval.ms' && k !== 'match') return { code: ErrorCode.INVALID_REQUEST, message: `Unknown client metrics configuration: ${k}` };
    if (k === 'interval.ms') {
      if (!/^-?\d+$/.test(v.trim())) return { code: ErrorCode.INVALID_CONFIG, message: `Invalid value ${v} for configuration interval.ms: Not a number of type INT` };
      const n = Number(v.trim());
      if (n < 100 || n > 3600000) return { code: ErrorCode.INVALID_REQUEST, message: `Invalid value ${n} for interval.ms, interval must be between 100 and 3600000 (1 hour)` };
    }
    if (k === 'match') {
      for (const pattern of v.split(',').map((s) => s.trim()).filter(Boolean)) {
        const pair = pattern.split('=');
        let ok = pair.length === 2 && MATCH_PARAMS.has(pair[0]!.trim());
        if (ok) {
          try {
            new RegExp(pair[1]!.trim());
          } catch {
            ok = false;
          }
        }
        if (!ok) return { code: ErrorCode.INVALID_CONFIG, message: `Illegal client matching pattern: ${pattern}` };
      }
    }
  }
  return null;
}

/** Resources named twice in one request: each answers "Each resource must appear at most once." (INVALID_REQUEST), as Kafka. */
export function duplicateResources(resources: { resourceType: number; resourceName: string }[]): Set<string> {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const r of resources) {
    const k = `${r.resourceType}:${r.resourceName}`;
    if (seen.has(k)) dup.add(k);
    seen.add(k);
  }
  return dup;
}

export const DUPLICATE_RESOURCE = 'Each resource must appear at most once.';

/** A config named twice in one resource: "Error due to duplicate config keys" (INVALID_REQUEST), as Kafka. */
export function duplicateKeys(configs: { name: string }[]): boolean {
  return new Set(configs.map((c) => c.name)).size !== configs.length;
}

/**
 * Kafka's ConfigAdminManager.preprocess checks, in its order: a resource named twice, a config
 * named twice, null values (but for DELETE). Returns the resource's error result, or null.
 */
export function precheck(
  res: { resourceType: number; resourceName: string; configs: { name: string; value: string | null; configOperation?: number }[] },
  dups: Set<string>,
): ConfigResourceResult | null {
  const fail = (errorMessage: string): ConfigResourceResult => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage, resourceType: res.resourceType, resourceName: res.resourceName });
  if (dups.has(`${res.resourceType}:${res.resourceName}`)) return fail(DUPLICATE_RESOURCE);
  if (duplicateKeys(res.configs)) return fail('Error due to duplicate config keys');
  const nulls = res.configs.filter((c) => c.configOperation !== 1 && c.value === null).map((c) => c.name);
  if (nulls.length > 0) return fail(`Null value not supported for : ${nulls.join(', ')}`);
  return null;
}
