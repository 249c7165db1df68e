// Broker configuration under Kafka's own property names, and the topic-level configs
// derived from it (a topic config falls back to its broker-level `log.*` twin).
import { LogConfig } from '../log/LogConfig.js';
import { checkKind, LONG_MAX, TOPIC_CONFIG_DEFS, topicConfigDef, topicConfigProblem, type ConfigKind, type TopicConfigDef } from './TopicConfigDefs.js';

export type ConfigValue = string | number | boolean;
export type Properties = Record<string, ConfigValue>;

type Kind = ConfigKind;

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
  // Client quotas (server/quota/): the rate each quota is checked against spans this many windows
  'quota.window.num': { kind: 'int', default: '11' },
  'quota.window.size.seconds': { kind: 'int', default: '1' },
  'controller.quota.window.num': { kind: 'int', default: '11' },
  'controller.quota.window.size.seconds': { kind: 'int', default: '1' },
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
  // Authorization (security/Authorizer.ts): on only when authorizer.class.name names one, as in Kafka.
  'authorizer.class.name': { kind: 'string', default: '' },
  'super.users': { kind: 'string', default: '' },
  'allow.everyone.if.no.acl.found': { kind: 'boolean', default: 'false' },
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

/** Broker properties that supply topic configs' values (log.cleaner.delete.retention.ms, log.roll.jitter.hours, …) and are not in BROKER_CONFIGS. */
const TOPIC_SYNONYM_CONFIGS: Record<string, BrokerConfigDef> = {};
for (const def of Object.values(TOPIC_CONFIG_DEFS)) {
  for (const s of def.synonyms) {
    if (!BROKER_CONFIGS[s.name] && !TOPIC_SYNONYM_CONFIGS[s.name]) TOPIC_SYNONYM_CONFIGS[s.name] = { kind: s.toTopic ? 'int' : def.kind, default: s.default ?? '' };
  }
}

function brokerDef(name: string): BrokerConfigDef | undefined {
  if (Object.prototype.hasOwnProperty.call(BROKER_CONFIGS, name)) return BROKER_CONFIGS[name];
  return Object.prototype.hasOwnProperty.call(TOPIC_SYNONYM_CONFIGS, name) ? TOPIC_SYNONYM_CONFIGS[name] : undefined;
}

/**
 * Broker properties Kafka lets AlterConfigs change at runtime (DynamicBrokerConfig): the first
 * broker synonym of each topic config but message.format.version's (DynamicLogConfig), and those below.
 */
export const DYNAMIC_BROKER_CONFIGS: ReadonlySet<string> = new Set([
  ...Object.entries(TOPIC_CONFIG_DEFS)
    .filter(([name, d]) => name !== 'message.format.version' && d.synonyms.length > 0)
    .map(([, d]) => d.synonyms[0]!.name),
  'producer.id.expiration.ms',
  'transaction.partition.verification.enable',
  'max.connections',
  'max.connections.per.ip',
]);

/** Kafka's ConfigSource codes (DescribeConfigs). */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
  CLIENT_METRICS_CONFIG: 7,
} as const;

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: number;
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
  /** Dynamic broker configs from the metadata log: for this broker, and the cluster default (resource name ""). */
  private dynamicBroker = new Map<string, string>();
  private dynamicDefault = new Map<string, string>();

  constructor(props: Properties = {}) {
    this.explicit = new Map();
    for (const [k, v] of Object.entries(props)) {
      const value = String(v);
      const def = brokerDef(k) ?? topicDefByName(k) ?? secretOrListenerDef(k);
      if (!def) throw new ConfigError(`unknown config '${k}'`);
      const problem = checkKind(def.kind, value);
      if (problem) throw new ConfigError(`${k}: ${problem}, got '${value}'`);
      this.explicit.set(k, value);
    }
    const nodeId = this.explicit.get('node.id');
    const brokerId = this.explicit.get('broker.id');
    if (nodeId !== undefined && brokerId !== undefined && nodeId !== brokerId) {
      throw new ConfigError(`node.id (${nodeId}) and broker.id (${brokerId}) must match when both are set`);
    }
  }

  /** Replace the dynamic configs of one level (from the metadata image). */
  setDynamic(level: 'broker' | 'default', configs: Record<string, string>): void {
    const m = new Map(Object.entries(configs));
    if (level === 'broker') this.dynamicBroker = m;
    else this.dynamicDefault = m;
  }

  has(name: string): boolean {
    return this.explicit.has(name);
  }

  get(name: string): string {
    if (name === 'broker.id' || name === 'node.id') return String(this.nodeId); // synonyms, as in KRaft
    const v = this.dynamicBroker.get(name) ?? this.dynamicDefault.get(name) ?? this.explicit.get(name);
    if (v !== undefined) return v;
    const def = brokerDef(name) ?? secretOrListenerDef(name);
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

  /** Where a broker property's values come from, most precedent first (Kafka's synonym order). */
  private layers(name: string, defaultValue: string | null): ConfigSynonym[] {
    const out: ConfigSynonym[] = [];
    const d = this.dynamicBroker.get(name);
    if (d !== undefined) out.push({ name, value: d, source: ConfigSource.DYNAMIC_BROKER_CONFIG });
    const dd = this.dynamicDefault.get(name);
    if (dd !== undefined) out.push({ name, value: dd, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    // a broker always has its id, as a KRaft broker always sets node.id (Kafka's default for both is -1)
    const s = isIdConfig(name) ? String(this.nodeId) : this.explicit.get(name);
    if (s !== undefined) out.push({ name, value: s, source: ConfigSource.STATIC_BROKER_CONFIG });
    if (defaultValue !== null) out.push({ name, value: isIdConfig(name) ? '-1' : defaultValue, source: ConfigSource.DEFAULT_CONFIG });
    return out;
  }

  /** Every broker config with its value, source and synonyms (DescribeConfigs of a broker). */
  entries(): { name: string; value: string | null; source: number; synonyms: ConfigSynonym[]; kind: ConfigKind }[] {
    const names = [...new Set([...Object.keys(BROKER_CONFIGS), ...Object.keys(TOPIC_SYNONYM_CONFIGS)])].sort();
    return names.map((name) => {
      const def = brokerDef(name)!;
      const synonyms = brokerSynonymNames(name)
        .flatMap((n) => this.layers(n, nullable(brokerDef(n)?.default ?? null, brokerDef(n)?.kind)))
        .sort((a, b) => a.source - b.source);
      // Kafka lists every level of every synonym in precedence order, dropping the ones before this name
      const from = synonyms.findIndex((x) => x.name === name);
      const own = from < 0 ? [] : synonyms.slice(from);
      return {
        name,
        value: isIdConfig(name) ? String(this.nodeId) : (this.layers(name, nullable(def.default, def.kind))[0]?.value ?? null),
        source: own[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
        synonyms: own,
        kind: def.kind,
      };
    });
  }

  /**
   * A topic config's value when the topic does not set it, and the source and synonyms Kafka
   * reports: every level of every broker synonym in precedence order, from the first entry for
   * the primary one on (Kafka drops those before it, so `retention.ms` shows no synonym unless
   * `log.retention.ms` is set somewhere, though `log.retention.hours` supplies the value).
   */
  topicDefault(name: string): { value: string; source: number; synonyms: ConfigSynonym[] } {
    const def = topicDefByName(name);
    if (!def) throw new Error(`not a topic config: ${name}`);
    const all: ConfigSynonym[] = [];
    for (const level of [ConfigSource.DYNAMIC_BROKER_CONFIG, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, ConfigSource.STATIC_BROKER_CONFIG, ConfigSource.DEFAULT_CONFIG]) {
      for (const s of def.synonyms) {
        for (const l of this.layers(s.name, s.default)) if (l.source === level) all.push(l);
      }
    }
    const primary = def.synonyms[0]?.name;
    const from = all.findIndex((s) => s.name === primary);
    const synonyms = from < 0 ? [] : all.slice(from);
    // minikafka also takes a topic config's own name as a static broker default (--config retention.ms=…)
    if (this.explicit.has(name) && !def.synonyms.some((s) => s.name === name)) {
      const own = { name, value: this.explicit.get(name)!, source: ConfigSource.STATIC_BROKER_CONFIG };
      all.splice(0, 0, own);
      synonyms.splice(0, 0, own);
    }
    const source = synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG;
    const head = all.find((s) => s.value !== null && s.value !== '');
    if (!head) return { value: def.default, source, synonyms };
    const conv = def.synonyms.find((s) => s.name === head.name)?.toTopic;
    return { value: conv ? conv(head.value!) : head.value!, source, synonyms };
  }
}

/** Kafka's brokerConfigSynonyms: the names one broker property shares its value with. */
function brokerSynonymNames(name: string): string[] {
  for (const def of Object.values(TOPIC_CONFIG_DEFS)) {
    if (def.synonyms.length > 1 && def.synonyms.some((s) => s.name === name)) return def.synonyms.map((s) => s.name);
  }
  return [name];
}

/** Numeric broker properties without a default (log.retention.ms) have none in Kafka: null, not "". */
const nullable = (v: string | null, kind: ConfigKind | undefined): string | null => (v === '' && kind !== 'string' && kind !== 'list' ? null : v);

const isIdConfig = (name: string) => name === 'node.id' || name === 'broker.id';

function topicDefByName(name: string): TopicConfigDef | undefined {
  return topicConfigDef(name);
}

/** Validate one topic config override; returns an error message or null. */
export function validateTopicConfig(name: string, value: string | null): string | null {
  if (!topicDefByName(name)) return `Unknown topic config name: ${name}`;
  if (value === null) return null;
  const problem = topicConfigProblem(name, value);
  if (problem) return problem;
  try {
    LogConfig.fromProperties({ [name]: value }); // the log's own rules (ranges, enums)
  } catch (e) {
    return (e as Error).message;
  }
  return null;
}

/** A topic's effective configs: overrides over broker defaults, with Kafka's source and synonyms. */
export function effectiveTopicConfigs(
  broker: KafkaConfig,
  overrides: Record<string, string>,
): { name: string; value: string; source: number; synonyms: ConfigSynonym[] }[] {
  return Object.keys(TOPIC_CONFIG_DEFS)
    .sort()
    .map((name) => {
      const d = broker.topicDefault(name);
      if (Object.prototype.hasOwnProperty.call(overrides, name)) {
        const value = overrides[name]!;
        return { name, value, source: ConfigSource.DYNAMIC_TOPIC_CONFIG, synonyms: [{ name, value, source: ConfigSource.DYNAMIC_TOPIC_CONFIG }, ...d.synonyms] };
      }
      return { name, value: d.value, source: d.source, synonyms: d.synonyms };
    });
}

/** Kafka's DescribeConfigs config type codes. */
const CONFIG_TYPE_CODES: Record<ConfigKind, number> = { boolean: 1, string: 2, int: 3, long: 5, double: 6, list: 7 };

export function configTypeCode(name: string, resource: 'topic' | 'broker' = 'topic'): number {
  const def = resource === 'topic' ? (topicDefByName(name) ?? brokerDef(name)) : (brokerDef(name) ?? topicDefByName(name));
  return def ? CONFIG_TYPE_CODES[def.kind] : 0;
}

/** Topic config documentation (include_documentation). */
export function topicConfigDoc(name: string): string | null {
  return topicDefByName(name)?.doc ?? null;
}

/** A broker property's own default ("" if none or unknown): what Kafka's APPEND/SUBTRACT start from when the level sets nothing. */
export function brokerConfigDefault(name: string): string {
  return brokerDef(name)?.default ?? '';
}

/** Is this a broker property minikafka knows (static or a topic config's broker synonym)? */
export function isBrokerConfig(name: string): boolean {
  return brokerDef(name) !== undefined;
}

/** A broker property's value problem (its type, and the rules of the topic config it supplies), or null. */
export function brokerConfigProblem(name: string, value: string): string | null {
  const def = brokerDef(name);
  if (!def) return null;
  const why = checkKind(def.kind, value);
  if (why !== null) return `Invalid value ${value} for configuration ${name}: ${why}`;
  for (const [topicName, t] of Object.entries(TOPIC_CONFIG_DEFS)) {
    const s = t.synonyms.find((x) => x.name === name);
    if (!s) continue;
    const asTopic = s.toTopic ? s.toTopic(value.trim()) : value.trim();
    if (validateTopicConfig(topicName, asTopic) !== null) return `Invalid value ${value} for configuration ${name}`;
  }
  return null;
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
  if (!def) return `Unknown topic config name: ${name}`;
  return applyListOp(configs, name, op, value, def.kind === 'list', () => broker.topicDefault(name).value);
}

/** Kafka's incremental ops on a set of overrides (any resource); `isList`: APPEND/SUBTRACT allowed. */
export function applyListOp(
  configs: Record<string, string>,
  name: string,
  op: number,
  value: string | null,
  isList: boolean,
  current: () => string,
): string | null {
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
    if (!isList) return `Config value append/subtract is not allowed for config key: ${name}`;
    const cur = (configs[name] ?? current()).split(',').map((s) => s.trim()).filter(Boolean);
    const items = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const next = op === 2 ? [...cur, ...items.filter((i) => !cur.includes(i))] : cur.filter((c) => !items.includes(c));
    configs[name] = next.join(',');
    return null;
  }
  return `unknown config operation ${op}`;
}
