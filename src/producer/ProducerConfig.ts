// Producer settings: typed camelCase options, Kafka's property names, Kafka's defaults (3.x
// line, see README) and Kafka's validation rules (ProducerConfig.postProcessAndValidate-
// IdempotenceConfigs, KafkaProducer.configureDeliveryTimeout). One table drives all of it.
import { clientSecurity, SECURITY_PROTOCOLS, SecurityConfigError, type ClientSecurityConfig, type SecurityProtocol } from '../network/ClientSecurity.js';
import { CODEC_ZSTD, canCompress, ZSTD_NODE_VERSIONS } from '../protocol/compression/index.js';
import { ConfigError } from './errors.js';

export type Acks = 0 | 1 | -1 | 'all';
export type CompressionType = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** new Producer(options): every setting optional except bootstrapServers. */
export interface ProducerOptions extends Omit<ClientSecurityConfig, 'securityProtocol'> {
  /** host:port list (or a comma separated string), as bootstrap.servers. */
  bootstrapServers: string[] | string;
  clientId?: string;
  acks?: Acks | '0' | '1' | '-1';
  enableIdempotence?: boolean;
  lingerMs?: number;
  batchSize?: number;
  bufferMemory?: number;
  maxBlockMs?: number;
  maxInFlightRequestsPerConnection?: number;
  requestTimeoutMs?: number;
  deliveryTimeoutMs?: number;
  retries?: number;
  retryBackoffMs?: number;
  retryBackoffMaxMs?: number;
  compressionType?: CompressionType;
  compressionGzipLevel?: number;
  maxRequestSize?: number;
  metadataMaxAgeMs?: number;
  metadataMaxIdleMs?: number;
  socketConnectionSetupTimeoutMs?: number;
  reconnectBackoffMs?: number;
  reconnectBackoffMaxMs?: number;
  partitionerIgnoreKeys?: boolean;
  allowAutoCreateTopics?: boolean;
  /** Makes the producer transactional (implies idempotence). */
  transactionalId?: string | null;
  transactionTimeoutMs?: number;
  /** PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (security.protocol). */
  securityProtocol?: SecurityProtocol | Lowercase<SecurityProtocol>;
}

/** Every setting resolved (defaults applied, idempotence decided). */
export interface ProducerConfig {
  bootstrapServers: string[];
  clientId: string;
  acks: 0 | 1 | -1;
  enableIdempotence: boolean;
  lingerMs: number;
  batchSize: number;
  bufferMemory: number;
  maxBlockMs: number;
  maxInFlightRequestsPerConnection: number;
  requestTimeoutMs: number;
  deliveryTimeoutMs: number;
  retries: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  compressionType: CompressionType;
  compressionGzipLevel: number;
  maxRequestSize: number;
  metadataMaxAgeMs: number;
  metadataMaxIdleMs: number;
  socketConnectionSetupTimeoutMs: number;
  reconnectBackoffMs: number;
  reconnectBackoffMaxMs: number;
  partitionerIgnoreKeys: boolean;
  allowAutoCreateTopics: boolean;
  /** null: not transactional. */
  transactionalId: string | null;
  transactionTimeoutMs: number;
  securityProtocol: SecurityProtocol;
  sslTruststoreType: string;
  sslTruststoreCertificates: string | null;
  sslTruststoreLocation: string | null;
  sslKeystoreType: string;
  sslKeystoreCertificateChain: string | null;
  sslKeystoreKey: string | null;
  sslKeystoreLocation: string | null;
  sslKeyPassword: string | null;
  sslEndpointIdentificationAlgorithm: string;
  saslMechanism: string;
  saslJaasConfig: string | null;
}

type Kind = 'list' | 'string' | 'nonEmptyString' | 'int' | 'bool' | 'acks' | 'compression' | 'securityProtocol';

interface Def {
  key: keyof ProducerConfig;
  prop: string;
  kind: Kind;
  default: unknown;
  min?: number;
  max?: number;
  doc: string;
}

const MAX_INT = 2147483647;

/** The settings, in README order. `default` is Kafka's (3.x). */
export const PRODUCER_CONFIG_DEFS: readonly Def[] = [
  { key: 'bootstrapServers', prop: 'bootstrap.servers', kind: 'list', default: undefined, doc: 'host:port pairs to fetch the cluster metadata from (required)' },
  { key: 'clientId', prop: 'client.id', kind: 'string', default: undefined, doc: 'sent with every request; default `producer-N`' },
  { key: 'acks', prop: 'acks', kind: 'acks', default: -1, doc: '0 (no response), 1 (leader wrote it), all/-1 (all in-sync replicas)' },
  { key: 'enableIdempotence', prop: 'enable.idempotence', kind: 'bool', default: true, doc: 'producer id + per-partition sequences: no duplicates, order kept across retries' },
  { key: 'lingerMs', prop: 'linger.ms', kind: 'int', default: 0, min: 0, doc: 'how long a partition batch waits for more records before it is sendable (Kafka 3.x: 0; 4.0: 5)' },
  { key: 'batchSize', prop: 'batch.size', kind: 'int', default: 16384, min: 0, doc: 'bytes per partition batch (a larger record gets a batch of its own)' },
  { key: 'bufferMemory', prop: 'buffer.memory', kind: 'int', default: 33554432, min: 0, doc: 'bytes of batch buffers the producer may hold; when used up, send() waits' },
  { key: 'maxBlockMs', prop: 'max.block.ms', kind: 'int', default: 60000, min: 0, doc: 'how long send() may wait for metadata or buffer memory before failing with a TimeoutError' },
  { key: 'maxInFlightRequestsPerConnection', prop: 'max.in.flight.requests.per.connection', kind: 'int', default: 5, min: 1, doc: 'unanswered requests per broker connection (at most 5 with idempotence)' },
  { key: 'requestTimeoutMs', prop: 'request.timeout.ms', kind: 'int', default: 30000, min: 0, doc: 'how long to wait for a response before the connection is dropped and the request retried' },
  { key: 'deliveryTimeoutMs', prop: 'delivery.timeout.ms', kind: 'int', default: 120000, min: 0, doc: 'upper bound from send() to success or failure, retries included (>= linger.ms + request.timeout.ms)' },
  { key: 'retries', prop: 'retries', kind: 'int', default: MAX_INT, min: 0, max: MAX_INT, doc: 'resends of a batch after a retriable error (bounded by delivery.timeout.ms)' },
  { key: 'retryBackoffMs', prop: 'retry.backoff.ms', kind: 'int', default: 100, min: 0, doc: 'first wait before a retry; doubles per attempt (20% jitter)' },
  { key: 'retryBackoffMaxMs', prop: 'retry.backoff.max.ms', kind: 'int', default: 1000, min: 0, doc: 'cap of the growing retry backoff' },
  { key: 'compressionType', prop: 'compression.type', kind: 'compression', default: 'none', doc: 'none, gzip, snappy, lz4 or zstd (zstd needs Node >= 22.15 or >= 23.8)' },
  { key: 'compressionGzipLevel', prop: 'compression.gzip.level', kind: 'int', default: -1, min: -1, max: 9, doc: 'zlib level 1-9, -1 = zlib default' },
  { key: 'maxRequestSize', prop: 'max.request.size', kind: 'int', default: 1048576, min: 0, doc: 'largest request (and record) the producer sends' },
  { key: 'metadataMaxAgeMs', prop: 'metadata.max.age.ms', kind: 'int', default: 300000, min: 0, doc: 'metadata is refreshed at least this often' },
  { key: 'metadataMaxIdleMs', prop: 'metadata.max.idle.ms', kind: 'int', default: 300000, min: 5000, doc: 'a topic not produced to for this long is dropped from metadata refreshes' },
  { key: 'socketConnectionSetupTimeoutMs', prop: 'socket.connection.setup.timeout.ms', kind: 'int', default: 10000, min: 0, doc: 'TCP connect + ApiVersions handshake timeout' },
  { key: 'reconnectBackoffMs', prop: 'reconnect.backoff.ms', kind: 'int', default: 50, min: 0, doc: 'first wait before reconnecting to a broker' },
  { key: 'reconnectBackoffMaxMs', prop: 'reconnect.backoff.max.ms', kind: 'int', default: 1000, min: 0, doc: 'cap of the growing reconnect backoff' },
  { key: 'partitionerIgnoreKeys', prop: 'partitioner.ignore.keys', kind: 'bool', default: false, doc: 'partition keyed records like null-key ones (sticky)' },
  { key: 'allowAutoCreateTopics', prop: 'allow.auto.create.topics', kind: 'bool', default: true, doc: 'let Metadata requests create missing topics (if the broker allows it)' },
  { key: 'transactionalId', prop: 'transactional.id', kind: 'nonEmptyString', default: null, doc: 'makes the producer transactional (initTransactions, beginTransaction, ...); needs enable.idempotence' },
  { key: 'transactionTimeoutMs', prop: 'transaction.timeout.ms', kind: 'int', default: 60000, doc: 'how long the coordinator lets a transaction stay open before aborting it' },
  { key: 'securityProtocol', prop: 'security.protocol', kind: 'securityProtocol', default: 'PLAINTEXT', doc: 'PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL' },
  { key: 'sslTruststoreType', prop: 'ssl.truststore.type', kind: 'string', default: 'PEM', doc: 'PEM only (Kafka\'s default JKS is not read)' },
  { key: 'sslTruststoreCertificates', prop: 'ssl.truststore.certificates', kind: 'nonEmptyString', default: null, doc: 'PEM CA certificates to trust (default: Node\'s CAs)' },
  { key: 'sslTruststoreLocation', prop: 'ssl.truststore.location', kind: 'nonEmptyString', default: null, doc: 'a PEM file of CA certificates to trust (also `ssl.ca.location`)' },
  { key: 'sslKeystoreType', prop: 'ssl.keystore.type', kind: 'string', default: 'PEM', doc: 'PEM only' },
  { key: 'sslKeystoreCertificateChain', prop: 'ssl.keystore.certificate.chain', kind: 'nonEmptyString', default: null, doc: 'client certificate chain, PEM (mutual TLS)' },
  { key: 'sslKeystoreKey', prop: 'ssl.keystore.key', kind: 'nonEmptyString', default: null, doc: 'client private key, PEM' },
  { key: 'sslKeystoreLocation', prop: 'ssl.keystore.location', kind: 'nonEmptyString', default: null, doc: 'a PEM file with the client key and certificate chain' },
  { key: 'sslKeyPassword', prop: 'ssl.key.password', kind: 'nonEmptyString', default: null, doc: 'password of an encrypted client key' },
  { key: 'sslEndpointIdentificationAlgorithm', prop: 'ssl.endpoint.identification.algorithm', kind: 'string', default: 'https', doc: 'https: the broker certificate must name the host; empty: not checked' },
  { key: 'saslMechanism', prop: 'sasl.mechanism', kind: 'string', default: 'GSSAPI', doc: 'PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER (Kafka\'s default GSSAPI is not supported)' },
  { key: 'saslJaasConfig', prop: 'sasl.jaas.config', kind: 'nonEmptyString', default: null, doc: 'login module and options, e.g. `…PlainLoginModule required username="u" password="p";`' },
];

const BY_KEY = new Map(PRODUCER_CONFIG_DEFS.map((d) => [d.key as string, d]));
const BY_PROP = new Map(PRODUCER_CONFIG_DEFS.map((d) => [d.prop, d]));

/** Kafka producer properties this client accepts and ignores (they have no meaning here). */
const IGNORED_PROPS = new Set([
  'key.serializer',
  'value.serializer',
  'client.dns.lookup',
  'send.buffer.bytes',
  'receive.buffer.bytes',
  'connections.max.idle.ms',
  'metrics.sample.window.ms',
  'metrics.num.samples',
  'metrics.recording.level',
  'metric.reporters',
  'interceptor.classes',
  'partitioner.class',
  'partitioner.adaptive.partitioning.enable',
  'partitioner.availability.timeout.ms',
  'ssl.protocol',
  'ssl.enabled.protocols',
  'enable.metrics.push',
  'metadata.recovery.strategy',
]);

let clientSequence = 1;

function rangeCheck(d: Def, v: number): void {
  if (!Number.isInteger(v)) throw new ConfigError('Not an integer', d.prop, v);
  if (d.min !== undefined && v < d.min) throw new ConfigError(`Value must be at least ${d.min}`, d.prop, v);
  if (d.max !== undefined && v > d.max) throw new ConfigError(`Value must be no more than ${d.max}`, d.prop, v);
}

function parse(d: Def, raw: unknown): unknown {
  switch (d.kind) {
    case 'list': {
      const list = Array.isArray(raw) ? raw.map(String) : String(raw).split(',');
      const out = list.map((s) => s.trim()).filter((s) => s.length > 0);
      for (const hp of out) {
        const i = hp.lastIndexOf(':');
        const port = Number(hp.slice(i + 1));
        if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new ConfigError(`Invalid url in ${d.prop}: ${hp}`, d.prop, raw);
      }
      if (out.length === 0) throw new ConfigError('No resolvable bootstrap urls given', d.prop, raw);
      return out;
    }
    case 'string':
      if (typeof raw !== 'string') throw new ConfigError('Expected a string', d.prop, raw);
      return raw;
    case 'nonEmptyString':
      if (raw === null) return null;
      if (typeof raw !== 'string') throw new ConfigError('Expected a string', d.prop, raw);
      if (raw.length === 0) throw new ConfigError('String must be non-empty', d.prop, raw);
      return raw;
    case 'int': {
      const v = typeof raw === 'string' && raw.trim() !== '' ? Number(raw.trim()) : raw;
      if (typeof v !== 'number' || Number.isNaN(v)) throw new ConfigError('Expected a number', d.prop, raw);
      rangeCheck(d, v);
      return v;
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).trim().toLowerCase();
      if (s === 'true') return true;
      if (s === 'false') return false;
      throw new ConfigError('Expected value to be either true or false', d.prop, raw);
    }
    case 'acks': {
      const s = String(raw).trim().toLowerCase();
      if (s === 'all' || s === '-1') return -1;
      if (s === '0') return 0;
      if (s === '1') return 1;
      throw new ConfigError('String must be one of: all, -1, 0, 1', d.prop, raw);
    }
    case 'compression': {
      const s = String(raw).trim().toLowerCase();
      if (s === 'zstd' && !canCompress(CODEC_ZSTD)) throw new ConfigError(`zstd needs node:zlib's zstd (Node ${ZSTD_NODE_VERSIONS}); this is Node ${process.versions.node}`, d.prop, raw);
      if (s === 'none' || s === 'gzip' || s === 'snappy' || s === 'lz4' || s === 'zstd') return s;
      throw new ConfigError('String must be one of: none, gzip, snappy, lz4, zstd', d.prop, raw);
    }
    case 'securityProtocol': {
      const s = String(raw).trim().toUpperCase() as SecurityProtocol;
      if (SECURITY_PROTOCOLS.includes(s)) return s;
      throw new ConfigError(`String must be one of: ${SECURITY_PROTOCOLS.join(', ')}`, d.prop, raw);
    }
  }
}

/** What resolveConfig decided beyond the plain values. */
export interface ConfigResolution {
  config: ProducerConfig;
  /** Settings given explicitly (camelCase keys). */
  explicit: Set<keyof ProducerConfig>;
  /** Why idempotence was switched off although it is on by default, if it was. */
  idempotenceDisabledReason: string | null;
  /** Notes for the log: adjusted defaults, ignored properties. */
  warnings: string[];
}

/**
 * Apply defaults and Kafka's cross-setting rules:
 *  - idempotence (explicit or by default) needs acks=all, retries > 0 and at most 5 requests in
 *    flight. Explicit enable.idempotence=true with a conflict is a ConfigError; when it was not set
 *    explicitly, idempotence is switched off instead (Kafka 3.x; Kafka 4.0 makes max.in.flight > 5
 *    an error in both cases).
 *  - a transactional.id needs idempotence: ConfigError when it ends up disabled.
 *  - delivery.timeout.ms < linger.ms + request.timeout.ms is a ConfigError when delivery.timeout.ms
 *    was given; otherwise it is raised to that sum.
 */
export function resolveConfig(options: ProducerOptions, extraWarnings: string[] = []): ConfigResolution {
  if (options === null || typeof options !== 'object') throw new ConfigError('Producer options must be an object');
  const explicit = new Set<keyof ProducerConfig>();
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined) continue;
    const d = BY_KEY.get(k);
    if (!d) throw new ConfigError(`Unknown producer option '${k}'`);
    out[k] = parse(d, v);
    explicit.add(d.key);
  }
  if (!explicit.has('bootstrapServers')) throw new ConfigError('Missing required configuration "bootstrap.servers" which has no default value.');
  for (const d of PRODUCER_CONFIG_DEFS) if (!(d.key in out) && d.default !== undefined) out[d.key] = d.default;
  if (out.clientId === undefined) out.clientId = out.transactionalId != null ? `producer-${out.transactionalId as string}` : `producer-${clientSequence++}`;
  const config = out as unknown as ProducerConfig;
  const warnings = [...extraWarnings];

  let idempotenceDisabledReason: string | null = null;
  if (config.enableIdempotence) {
    const userIdem = explicit.has('enableIdempotence');
    const disable = (reason: string, error: string) => {
      if (userIdem) throw new ConfigError(error);
      idempotenceDisabledReason ??= reason;
    };
    if (config.retries === 0) disable('retries is set to 0', 'Must set retries to non-zero when using the idempotent producer.');
    if (config.acks !== -1) {
      disable(`acks is set to ${config.acks}, not set to 'all'`, 'Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.');
    }
    if (config.maxInFlightRequestsPerConnection > 5) {
      disable(
        `max.in.flight.requests.per.connection is set to ${config.maxInFlightRequestsPerConnection}, which is greater than 5`,
        `To use the idempotent producer, max.in.flight.requests.per.connection must be set to at most 5. Current value is ${config.maxInFlightRequestsPerConnection}.`,
      );
    }
    if (idempotenceDisabledReason) {
      config.enableIdempotence = false;
      warnings.push(`Idempotence will be disabled because ${idempotenceDisabledReason}.`);
    }
  }

  // A transactional.id needs idempotence, whether it was disabled explicitly or for a conflicting setting.
  if (config.transactionalId !== null && !config.enableIdempotence) {
    throw new ConfigError('Cannot set a transactional.id without also enabling idempotence.');
  }

  const lingerAndRequest = Math.min(config.lingerMs + config.requestTimeoutMs, MAX_INT);
  if (config.deliveryTimeoutMs < lingerAndRequest) {
    if (explicit.has('deliveryTimeoutMs')) throw new ConfigError('delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms');
    warnings.push(`delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms. Setting it to ${lingerAndRequest}.`);
    config.deliveryTimeoutMs = lingerAndRequest;
  }
  if (config.retryBackoffMaxMs < config.retryBackoffMs) config.retryBackoffMaxMs = config.retryBackoffMs;
  if (config.reconnectBackoffMaxMs < config.reconnectBackoffMs) config.reconnectBackoffMaxMs = config.reconnectBackoffMs;
  try {
    clientSecurity(config); // TLS stores readable, SASL settings complete: a ConfigError now, not at the first connection
  } catch (e) {
    if (e instanceof SecurityConfigError) throw new ConfigError(e.message, e.prop, e.value);
    throw e;
  }
  return { config, explicit, idempotenceDisabledReason, warnings };
}

/**
 * Options from Kafka property names ({ 'linger.ms': '5', acks: 'all', ... }). Values may be
 * strings, numbers or booleans. Serializer, metrics and other Java-only properties are accepted
 * and ignored; other unknown names are reported as warnings, as Kafka does.
 */
export function optionsFromProperties(props: Record<string, string | number | boolean | string[]>): { options: ProducerOptions; warnings: string[] } {
  const options: Record<string, unknown> = {};
  const warnings: string[] = [];
  for (const [prop, value] of Object.entries(props)) {
    if (value === undefined) continue;
    const d = BY_PROP.get(prop);
    if (d) {
      options[d.key] = value;
      continue;
    }
    if (prop === 'ssl.ca.location') {
      options.sslTruststoreLocation = value; // librdkafka's name for a PEM CA file
      continue;
    }
    if (IGNORED_PROPS.has(prop)) continue;
    warnings.push(`The configuration '${prop}' was supplied but isn't a known config.`);
  }
  return { options: options as unknown as ProducerOptions, warnings };
}
