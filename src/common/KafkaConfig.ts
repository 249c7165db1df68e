// Broker configuration under Kafka's own property names, and the topic-level configs
// derived from it (a topic config falls back to its broker-level `log.*` twin).
import { LogConfig } from '../log/LogConfig.js';

export type ConfigValue = string | number | boolean;
export type Properties = Record<string, ConfigValue>;

type Kind = 'int' | 'long' | 'boolean' | 'string' | 'list';

interface BrokerConfigDef {
  kind: Kind;
  default: string;
}

/** Broker properties minikafka honours, with Kafka's defaults. */
const BROKER_CONFIGS: Record<string, BrokerConfigDef> = {
  'node.id': { kind: 'int', default: '1' },
  'broker.id': { kind: 'int', default: '-1' },
  'auto.create.topics.enable': { kind: 'boolean', default: 'true' },
  'delete.topic.enable': { kind: 'boolean', default: 'true' },
  'num.partitions': { kind: 'int', default: '1' },
  'default.replication.factor': { kind: 'int', default: '1' },
  'min.insync.replicas': { kind: 'int', default: '1' },
  'socket.request.max.bytes': { kind: 'int', default: String(100 * 1024 * 1024) },
  // Kafka: -1 (unbounded). minikafka bounds request memory by default: per connection and, as
  // Kafka's memory pool, across all connections (a frame is admitted alone when the pool is empty).
  'queued.max.request.bytes': { kind: 'long', default: String(200 * 1024 * 1024) },
  // Kafka's broker-wide request queue length, applied per connection here.
  'queued.max.requests': { kind: 'int', default: '500' },
  'connections.max.idle.ms': { kind: 'long', default: '600000' },
  'max.connections': { kind: 'int', default: '2147483647' },
  'max.connections.per.ip': { kind: 'int', default: '2147483647' },
  'fetch.max.bytes': { kind: 'int', default: String(55 * 1024 * 1024) },
  'replica.fetch.max.bytes': { kind: 'int', default: String(1024 * 1024) },
  'replica.fetch.response.max.bytes': { kind: 'int', default: String(10 * 1024 * 1024) },
  'message.max.bytes': { kind: 'int', default: '1048588' },
  'log.segment.bytes': { kind: 'int', default: String(1024 * 1024 * 1024) },
  'log.roll.ms': { kind: 'long', default: '' },
  'log.roll.hours': { kind: 'int', default: '168' },
  'log.retention.ms': { kind: 'long', default: '' },
  'log.retention.minutes': { kind: 'int', default: '' },
  'log.retention.hours': { kind: 'int', default: '168' },
  'log.retention.bytes': { kind: 'long', default: '-1' },
  'log.retention.check.interval.ms': { kind: 'long', default: '300000' },
  'log.flush.interval.messages': { kind: 'long', default: '9223372036854775807' },
  'log.flush.interval.ms': { kind: 'long', default: '' },
  'log.flush.scheduler.interval.ms': { kind: 'long', default: '9223372036854775807' },
  'log.index.interval.bytes': { kind: 'int', default: '4096' },
  'log.index.size.max.bytes': { kind: 'int', default: String(10 * 1024 * 1024) },
  'log.message.timestamp.type': { kind: 'string', default: 'CreateTime' },
  'log.cleanup.policy': { kind: 'list', default: 'delete' },
  'compression.type': { kind: 'string', default: 'producer' },
  'unclean.leader.election.enable': { kind: 'boolean', default: 'false' },
  'group.initial.rebalance.delay.ms': { kind: 'int', default: '3000' },
  'group.min.session.timeout.ms': { kind: 'int', default: '6000' },
  'group.max.session.timeout.ms': { kind: 'int', default: '1800000' },
  'group.max.size': { kind: 'int', default: '2147483647' },
  'offset.metadata.max.bytes': { kind: 'int', default: '4096' },
  'offsets.retention.minutes': { kind: 'int', default: '10080' },
  'offsets.retention.check.interval.ms': { kind: 'long', default: '600000' },
  'offsets.topic.num.partitions': { kind: 'int', default: '50' },
  'offsets.topic.replication.factor': { kind: 'int', default: '3' },
  'offsets.topic.segment.bytes': { kind: 'int', default: String(100 * 1024 * 1024) },
  'offsets.commit.timeout.ms': { kind: 'int', default: '5000' },
  'offsets.load.buffer.size': { kind: 'int', default: String(5 * 1024 * 1024) },
  'producer.id.expiration.ms': { kind: 'int', default: '86400000' },
  'transaction.max.timeout.ms': { kind: 'int', default: '900000' },
  // KIP-890 part 1: partition leaders verify with the transaction coordinator before a transaction's first write
  'transaction.partition.verification.enable': { kind: 'boolean', default: 'true' },
  'transaction.state.log.num.partitions': { kind: 'int', default: '50' },
  'transaction.state.log.replication.factor': { kind: 'int', default: '3' },
  'transaction.state.log.min.isr': { kind: 'int', default: '2' },
  'transaction.state.log.segment.bytes': { kind: 'int', default: String(100 * 1024 * 1024) },
  'transaction.state.log.load.buffer.size': { kind: 'int', default: String(5 * 1024 * 1024) },
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': { kind: 'int', default: '10000' },
  'transaction.remove.expired.transaction.cleanup.interval.ms': { kind: 'int', default: '3600000' },
  'transactional.id.expiration.ms': { kind: 'int', default: '604800000' },
  'replica.lag.time.max.ms': { kind: 'long', default: '30000' },
  'broker.session.timeout.ms': { kind: 'int', default: '9000' },
  'broker.heartbeat.interval.ms': { kind: 'int', default: '2000' },
  'advertised.listeners': { kind: 'string', default: '' },
  // Listeners and security (src/security/): several listeners per broker, TLS, SASL
  listeners: { kind: 'string', default: '' },
  'listener.security.protocol.map': { kind: 'string', default: 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL' },
  'inter.broker.listener.name': { kind: 'string', default: '' },
  'ssl.keystore.type': { kind: 'string', default: 'PEM' },
  'ssl.keystore.location': { kind: 'string', default: '' },
  'ssl.truststore.type': { kind: 'string', default: 'PEM' },
  'ssl.truststore.location': { kind: 'string', default: '' },
  'ssl.client.auth': { kind: 'string', default: 'none' },
  'ssl.principal.mapping.rules': { kind: 'string', default: 'DEFAULT' },
  // Kafka's default is GSSAPI, which minikafka does not serve: every mechanism it serves is enabled.
  'sasl.enabled.mechanisms': { kind: 'list', default: 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER' },
  'connections.max.reauth.ms': { kind: 'long', default: '0' },
  // KIP-578's partition limits (see Controller.ts)
  'max.partitions': { kind: 'int', default: '2147483647' },
  'max.broker.partitions': { kind: 'int', default: '4000' },
};

/**
 * Secrets and per-listener overrides: accepted and read like broker configs, but never listed by
 * `entries()` (so DescribeConfigs cannot echo a password). `listener.name.<listener>.<config>`
 * overrides any security config for one listener, as in Kafka.
 */
const SECRET_CONFIGS: Record<string, BrokerConfigDef> = {
  'ssl.key.password': { kind: 'string', default: '' },
  'ssl.keystore.password': { kind: 'string', default: '' },
  'ssl.truststore.password': { kind: 'string', default: '' },
  'ssl.keystore.key': { kind: 'string', default: '' },
  'ssl.keystore.certificate.chain': { kind: 'string', default: '' },
  'ssl.truststore.certificates': { kind: 'string', default: '' },
  'sasl.jaas.config': { kind: 'string', default: '' },
  // minikafka's shortcut for PLAIN users: "alice:alice-secret,bob:bob-secret"
  'sasl.plain.users': { kind: 'string', default: '' },
};

function secretOrListenerDef(name: string): BrokerConfigDef | undefined {
  const own = SECRET_CONFIGS[name];
  if (own) return own;
  const m = /^listener\.name\.[a-z0-9_-]+\.(.+)$/.exec(name);
  if (!m) return undefined;
  const rest = m[1]!.replace(/^(plain|scram-sha-256|scram-sha-512|oauthbearer)\./, '');
  const base = BROKER_CONFIGS[rest] ?? SECRET_CONFIGS[rest];
  return base ? { kind: base.kind, default: '' } : undefined;
}

export class ConfigError extends Error {}

const LONG_MAX = '9223372036854775807';

function checkValue(name: string, kind: Kind, value: string): void {
  if (kind === 'int' || kind === 'long') {
    if (!/^-?\d+$/.test(value)) throw new ConfigError(`${name}: expected a number, got '${value}'`);
  } else if (kind === 'boolean') {
    if (value !== 'true' && value !== 'false') throw new ConfigError(`${name}: expected true or false, got '${value}'`);
  }
}

/** Parse a numeric property; Long.MAX_VALUE and anything past 2^53 become Infinity. */
export function toNumber(value: string): number {
  if (value === LONG_MAX) return Number.POSITIVE_INFINITY;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : n > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}

export class KafkaConfig {
  /** Properties set explicitly (by --config or startCluster({ config })). */
  readonly explicit: Map<string, string>;

  constructor(props: Properties = {}) {
    this.explicit = new Map();
    for (const [k, v] of Object.entries(props)) {
      const value = String(v);
      const def = BROKER_CONFIGS[k] ?? topicDefByName(k) ?? secretOrListenerDef(k);
      if (!def) throw new ConfigError(`unknown config '${k}'`);
      checkValue(k, def.kind, value);
      this.explicit.set(k, value);
    }
    const nodeId = this.explicit.get('node.id');
    const brokerId = this.explicit.get('broker.id');
    if (nodeId !== undefined && brokerId !== undefined && nodeId !== brokerId) {
      throw new ConfigError(`node.id (${nodeId}) and broker.id (${brokerId}) must match when both are set`);
    }
  }

  has(name: string): boolean {
    return this.explicit.has(name);
  }

  get(name: string): string {
    if (name === 'broker.id' || name === 'node.id') return String(this.nodeId); // synonyms, as in KRaft
    const v = this.explicit.get(name);
    if (v !== undefined) return v;
    const def = BROKER_CONFIGS[name] ?? secretOrListenerDef(name);
    if (!def) throw new Error(`not a broker config: ${name}`);
    return def.default;
  }

  int(name: string): number {
    return toNumber(this.get(name));
  }

  bool(name: string): boolean {
    return this.get(name) === 'true';
  }

  get nodeId(): number {
    return toNumber(this.explicit.get('node.id') ?? this.explicit.get('broker.id') ?? BROKER_CONFIGS['node.id']!.default);
  }

  /** Every broker config with its value and whether it was set explicitly. */
  entries(): { name: string; value: string; explicit: boolean }[] {
    return Object.keys(BROKER_CONFIGS)
      .sort()
      .map((name) => ({ name, value: this.get(name), explicit: this.explicit.has(name) || (isIdConfig(name) && (this.has('node.id') || this.has('broker.id'))) }));
  }

  /** Broker default of a topic config, and whether it was set explicitly on the broker. */
  topicDefault(name: string): { value: string; source: 'static' | 'default' } {
    const def = topicDefByName(name);
    if (!def) throw new Error(`not a topic config: ${name}`);
    if (this.explicit.has(name)) return { value: this.explicit.get(name)!, source: 'static' };
    for (const key of def.brokerKeys) {
      const v = this.explicit.get(key.name);
      if (v !== undefined && v !== '') return { value: key.convert ? key.convert(v) : v, source: 'static' };
    }
    return { value: def.default, source: 'default' };
  }
}

const isIdConfig = (name: string) => name === 'node.id' || name === 'broker.id';

interface TopicConfigDef {
  kind: Kind;
  default: string;
  /** Broker keys it falls back to, first match wins (e.g. log.retention.ms, then minutes, then hours). */
  brokerKeys: { name: string; convert?: (v: string) => string }[];
}

const hoursToMs = (v: string) => String(Number(v) * 3600_000);
const minutesToMs = (v: string) => String(Number(v) * 60_000);

/** The log's own defaults (LogConfig), under Kafka's names: one source for both. */
const LOG_DEFAULTS = new LogConfig().toProperties();

/** Topic-level configs minikafka honours or reports, with Kafka's defaults. */
export const TOPIC_CONFIGS: Record<string, TopicConfigDef> = {
  'cleanup.policy': {
    kind: 'list',
    default: LOG_DEFAULTS['cleanup.policy']!,
    brokerKeys: [{ name: 'log.cleanup.policy' }],
  },
  'compression.type': {
    kind: 'string',
    default: LOG_DEFAULTS['compression.type']!,
    brokerKeys: [{ name: 'compression.type' }],
  },
  'flush.messages': { kind: 'long', default: LOG_DEFAULTS['flush.messages']!, brokerKeys: [{ name: 'log.flush.interval.messages' }] },
  'flush.ms': { kind: 'long', default: LOG_DEFAULTS['flush.ms']!, brokerKeys: [{ name: 'log.flush.interval.ms' }] },
  'index.interval.bytes': { kind: 'int', default: LOG_DEFAULTS['index.interval.bytes']!, brokerKeys: [{ name: 'log.index.interval.bytes' }] },
  'max.message.bytes': { kind: 'int', default: LOG_DEFAULTS['max.message.bytes']!, brokerKeys: [{ name: 'message.max.bytes' }] },
  'message.timestamp.type': {
    kind: 'string',
    default: LOG_DEFAULTS['message.timestamp.type']!,
    brokerKeys: [{ name: 'log.message.timestamp.type' }],
  },
  'min.insync.replicas': { kind: 'int', default: LOG_DEFAULTS['min.insync.replicas']!, brokerKeys: [{ name: 'min.insync.replicas' }] },
  'retention.bytes': { kind: 'long', default: LOG_DEFAULTS['retention.bytes']!, brokerKeys: [{ name: 'log.retention.bytes' }] },
  'retention.ms': {
    kind: 'long',
    default: LOG_DEFAULTS['retention.ms']!,
    brokerKeys: [
      { name: 'log.retention.ms' },
      { name: 'log.retention.minutes', convert: minutesToMs },
      { name: 'log.retention.hours', convert: hoursToMs },
    ],
  },
  'segment.bytes': { kind: 'int', default: LOG_DEFAULTS['segment.bytes']!, brokerKeys: [{ name: 'log.segment.bytes' }] },
  'segment.index.bytes': { kind: 'int', default: LOG_DEFAULTS['segment.index.bytes']!, brokerKeys: [{ name: 'log.index.size.max.bytes' }] },
  'segment.ms': {
    kind: 'long',
    default: LOG_DEFAULTS['segment.ms']!,
    brokerKeys: [{ name: 'log.roll.ms' }, { name: 'log.roll.hours', convert: hoursToMs }],
  },
  'unclean.leader.election.enable': {
    kind: 'boolean',
    default: 'false',
    brokerKeys: [{ name: 'unclean.leader.election.enable' }],
  },
};

function topicDefByName(name: string): TopicConfigDef | undefined {
  return Object.prototype.hasOwnProperty.call(TOPIC_CONFIGS, name) ? TOPIC_CONFIGS[name] : undefined;
}

/** Validate one topic config override; returns an error message or null. */
export function validateTopicConfig(name: string, value: string | null): string | null {
  const def = topicDefByName(name);
  if (!def) return `unknown topic config '${name}'`;
  if (value === null) return null;
  try {
    checkValue(name, def.kind, value);
    LogConfig.fromProperties({ [name]: value }); // the log's own rules (ranges, enums)
  } catch (e) {
    return (e as Error).message;
  }
  return null;
}

/** A topic's effective configs: overrides over broker defaults, with where each came from. */
export function effectiveTopicConfigs(
  broker: KafkaConfig,
  overrides: Record<string, string>,
): { name: string; value: string; source: 'topic' | 'static' | 'default' }[] {
  return Object.keys(TOPIC_CONFIGS)
    .sort()
    .map((name) => {
      if (Object.prototype.hasOwnProperty.call(overrides, name)) return { name, value: overrides[name]!, source: 'topic' as const };
      const d = broker.topicDefault(name);
      return { name, value: d.value, source: d.source };
    });
}

/** Kafka's DescribeConfigs config type codes. */
const CONFIG_TYPE_CODES: Record<Kind, number> = { boolean: 1, string: 2, int: 3, long: 5, list: 7 };

export function configTypeCode(name: string): number {
  const def = topicDefByName(name) ?? BROKER_CONFIGS[name];
  return def ? CONFIG_TYPE_CODES[def.kind] : 0;
}

/** Topic config overrides after Kafka's incremental ops (0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT). */
export function applyConfigOp(
  broker: KafkaConfig,
  configs: Record<string, string>,
  name: string,
  op: number,
  value: string | null,
): string | null {
  const def = topicDefByName(name);
  if (!def) return `unknown topic config '${name}'`;
  if (op === 1) {
    delete configs[name];
    return null;
  }
  if (op === 0) {
    if (value === null) return `Null value not supported for: ${name}`;
    configs[name] = value;
    return null;
  }
  if (op === 2 || op === 3) {
    if (def.kind !== 'list') return `Config value append/subtract is not allowed for config key: ${name}`;
    const current = (configs[name] ?? broker.topicDefault(name).value).split(',').map((s) => s.trim()).filter(Boolean);
    const items = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const next = op === 2 ? [...current, ...items.filter((i) => !current.includes(i))] : current.filter((c) => !items.includes(c));
    configs[name] = next.join(',');
    return null;
  }
  return `unknown config operation ${op}`;
}
