// Every topic-level config Kafka 3.9 has (its LogConfig definition: 36 names), with Kafka's
// default, type, the broker properties that supply its value when the topic does not set it
// (in Kafka's order: `log.retention.ms`, then `.minutes`, then `.hours`), whether minikafka acts
// on it, a short description (include_documentation) and the value rules it is checked against.

/** Kafka's config types (DescribeConfigs config_type: BOOLEAN 1, STRING 2, INT 3, LONG 5, DOUBLE 6, LIST 7). */
export type ConfigKind = 'boolean' | 'string' | 'int' | 'long' | 'double' | 'list';

export const LONG_MAX = '9223372036854775807';

export interface BrokerSynonym {
  name: string;
  /** The broker property's own default (null: none, as log.retention.ms). */
  default: string | null;
  /** Its value as the topic config's (hours → ms). */
  toTopic?: (v: string) => string;
}

export interface TopicConfigDef {
  kind: ConfigKind;
  /** Kafka's default (used when no broker property supplies one). */
  default: string;
  /** Broker properties that supply the value, first set one wins. */
  synonyms: BrokerSynonym[];
  /** false: stored and reported, not acted on (README's Known limits). */
  honoured: boolean;
  doc: string;
  /** Value rules beyond the type; returns why a value is rejected. */
  check?: (v: string) => string | null;
}

const hoursToMs = (v: string) => String(Number(v) * 3_600_000);
const minutesToMs = (v: string) => String(Number(v) * 60_000);
const syn = (name: string, def: string | null, toTopic?: (v: string) => string): BrokerSynonym => ({ name, default: def, toTopic });

const atLeast = (min: number) => (v: string) => (Number(v) < min ? `Value must be at least ${min}` : null);
const between = (min: number, max: number) => (v: string) => (Number(v) < min || Number(v) > max ? `Value must be no less than ${min} and no more than ${max}` : null);
const oneOf = (...allowed: string[]) => (v: string) => (allowed.includes(v) ? null : `String must be one of: ${allowed.join(', ')}`);
const listOf = (...allowed: string[]) => (v: string) => {
  const bad = v.split(',').map((s) => s.trim()).find((s) => !allowed.includes(s));
  return bad === undefined ? null : `Invalid value ${bad} for configuration: String must be one of: ${allowed.join(', ')}`;
};
const throttledReplicas = (v: string) =>
  v.trim() === '' || v.trim() === '*' || v.split(',').every((s) => /^\s*\d+\s*:\s*\d+\s*$/.test(s))
    ? null
    : 'must be the literal \'*\' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...';
const messageFormat = (v: string) => (/^\d+\.\d+(\.\d+)?(-IV\d+)?$/.test(v) ? null : `Version \`${v}\` is not a valid version`);

const TIERED_STORAGE_OFF = (v: string) =>
  v === 'true' ? 'Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.' : null;

/** Kafka 3.9's topic configs, sorted by name. */
export const TOPIC_CONFIG_DEFS: Record<string, TopicConfigDef> = {
  'cleanup.policy': {
    kind: 'list', default: 'delete', synonyms: [syn('log.cleanup.policy', 'delete')], honoured: true,
    doc: 'Retention policy of old log segments: "delete" removes them by time or size, "compact" keeps the latest value of each key; both may be given.',
    check: listOf('compact', 'delete'),
  },
  'compression.gzip.level': {
    kind: 'int', default: '-1', synonyms: [syn('compression.gzip.level', '-1')], honoured: false,
    doc: 'The compression level used when compression.type is gzip.', check: (v) => (v === '-1' ? null : between(1, 9)(v)),
  },
  'compression.lz4.level': {
    kind: 'int', default: '9', synonyms: [syn('compression.lz4.level', '9')], honoured: false,
    doc: 'The compression level used when compression.type is lz4.', check: between(1, 17),
  },
  'compression.type': {
    kind: 'string', default: 'producer', synonyms: [syn('compression.type', 'producer')], honoured: true,
    doc: 'Final compression type of the topic: a codec (uncompressed, zstd, lz4, snappy, gzip) or "producer" to keep what the producer sent.',
    check: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'),
  },
  'compression.zstd.level': {
    kind: 'int', default: '3', synonyms: [syn('compression.zstd.level', '3')], honoured: false,
    doc: 'The compression level used when compression.type is zstd.', check: between(-131072, 22),
  },
  'delete.retention.ms': {
    kind: 'long', default: '86400000', synonyms: [syn('log.cleaner.delete.retention.ms', '86400000')], honoured: false,
    doc: 'How long delete tombstones are kept in compacted topics.', check: atLeast(0),
  },
  'file.delete.delay.ms': {
    kind: 'long', default: '60000', synonyms: [syn('log.segment.delete.delay.ms', '60000')], honoured: false,
    doc: 'How long to wait before deleting a file from the filesystem.', check: atLeast(0),
  },
  'flush.messages': {
    kind: 'long', default: LONG_MAX, synonyms: [syn('log.flush.interval.messages', LONG_MAX)], honoured: true,
    doc: 'Force an fsync of the log after this many messages.', check: atLeast(1),
  },
  'flush.ms': {
    kind: 'long', default: LONG_MAX, synonyms: [syn('log.flush.interval.ms', null), syn('log.flush.scheduler.interval.ms', LONG_MAX)], honoured: true,
    doc: 'Force an fsync of the log when this much time has passed since the last one.', check: atLeast(0),
  },
  'follower.replication.throttled.replicas': {
    kind: 'list', default: '', synonyms: [], honoured: false,
    doc: 'Replicas whose log replication is throttled on the follower side: [PartitionId]:[BrokerId],... or the wildcard \'*\'.', check: throttledReplicas,
  },
  'index.interval.bytes': {
    kind: 'int', default: '4096', synonyms: [syn('log.index.interval.bytes', '4096')], honoured: true,
    doc: 'How many bytes of log lie between two offset index entries.', check: atLeast(0),
  },
  'leader.replication.throttled.replicas': {
    kind: 'list', default: '', synonyms: [], honoured: false,
    doc: 'Replicas whose log replication is throttled on the leader side: [PartitionId]:[BrokerId],... or the wildcard \'*\'.', check: throttledReplicas,
  },
  'local.retention.bytes': {
    kind: 'long', default: '-2', synonyms: [syn('log.local.retention.bytes', '-2')], honoured: false,
    doc: 'Bytes of a partition kept locally when tiered storage is on (-2: retention.bytes).', check: atLeast(-2),
  },
  'local.retention.ms': {
    kind: 'long', default: '-2', synonyms: [syn('log.local.retention.ms', '-2')], honoured: false,
    doc: 'How long segments are kept locally when tiered storage is on (-2: retention.ms).', check: atLeast(-2),
  },
  'max.compaction.lag.ms': {
    kind: 'long', default: LONG_MAX, synonyms: [syn('log.cleaner.max.compaction.lag.ms', LONG_MAX)], honoured: false,
    doc: 'The longest a message stays ineligible for compaction.', check: atLeast(1),
  },
  'max.message.bytes': {
    kind: 'int', default: '1048588', synonyms: [syn('message.max.bytes', '1048588')], honoured: true,
    doc: 'The largest record batch size allowed by the topic (after compression, if compressed).', check: atLeast(0),
  },
  'message.downconversion.enable': {
    kind: 'boolean', default: 'true', synonyms: [syn('log.message.downconversion.enable', 'true')], honoured: false,
    doc: 'Whether the broker may down-convert messages for consumers using an older fetch version.',
  },
  'message.format.version': {
    kind: 'string', default: '3.0-IV1', synonyms: [syn('log.message.format.version', '3.0-IV1')], honoured: false,
    doc: '[DEPRECATED] The message format version used to append messages; ignored from inter.broker.protocol.version 3.0 on.', check: messageFormat,
  },
  'message.timestamp.after.max.ms': {
    kind: 'long', default: LONG_MAX, synonyms: [syn('log.message.timestamp.after.max.ms', LONG_MAX)], honoured: false,
    doc: 'How far a message timestamp may lie after the broker timestamp (CreateTime only).', check: atLeast(0),
  },
  'message.timestamp.before.max.ms': {
    kind: 'long', default: LONG_MAX, synonyms: [syn('log.message.timestamp.before.max.ms', LONG_MAX)], honoured: false,
    doc: 'How far a message timestamp may lie before the broker timestamp (CreateTime only).', check: atLeast(0),
  },
  'message.timestamp.difference.max.ms': {
    kind: 'long', default: LONG_MAX, synonyms: [syn('log.message.timestamp.difference.max.ms', LONG_MAX)], honoured: false,
    doc: '[DEPRECATED] The largest difference allowed between a message timestamp and the broker timestamp.', check: atLeast(0),
  },
  'message.timestamp.type': {
    kind: 'string', default: 'CreateTime', synonyms: [syn('log.message.timestamp.type', 'CreateTime')], honoured: true,
    doc: 'Whether a message timestamp is the create time or the log append time: CreateTime or LogAppendTime.',
    check: oneOf('CreateTime', 'LogAppendTime'),
  },
  'min.cleanable.dirty.ratio': {
    kind: 'double', default: '0.5', synonyms: [syn('log.cleaner.min.cleanable.ratio', '0.5')], honoured: false,
    doc: 'The share of uncleaned log above which the cleaner compacts the log.', check: between(0, 1),
  },
  'min.compaction.lag.ms': {
    kind: 'long', default: '0', synonyms: [syn('log.cleaner.min.compaction.lag.ms', '0')], honoured: false,
    doc: 'The shortest a message stays uncompacted.', check: atLeast(0),
  },
  'min.insync.replicas': {
    kind: 'int', default: '1', synonyms: [syn('min.insync.replicas', '1')], honoured: true,
    doc: 'With acks=all, the fewest replicas that must acknowledge a write for it to succeed.', check: atLeast(1),
  },
  preallocate: {
    kind: 'boolean', default: 'false', synonyms: [syn('log.preallocate', 'false')], honoured: false,
    doc: 'Whether to preallocate the file on disk when creating a new log segment.',
  },
  'remote.log.copy.disable': {
    kind: 'boolean', default: 'false', synonyms: [], honoured: false,
    doc: 'Stop copying log segments to remote storage while keeping what is there readable.',
  },
  'remote.log.delete.on.disable': {
    kind: 'boolean', default: 'false', synonyms: [], honoured: false,
    doc: 'Whether remote data is deleted when tiered storage is disabled for the topic.',
  },
  'remote.storage.enable': {
    kind: 'boolean', default: 'false', synonyms: [], honoured: false,
    doc: 'Whether tiered storage is enabled for the topic.', check: TIERED_STORAGE_OFF,
  },
  'retention.bytes': {
    kind: 'long', default: '-1', synonyms: [syn('log.retention.bytes', '-1')], honoured: true,
    doc: 'The largest a partition may grow before old segments are discarded (delete policy); -1: no limit.',
  },
  'retention.ms': {
    kind: 'long', default: '604800000',
    synonyms: [syn('log.retention.ms', null), syn('log.retention.minutes', null, minutesToMs), syn('log.retention.hours', '168', hoursToMs)],
    honoured: true,
    doc: 'How long a log is kept before old segments are discarded (delete policy); -1: no time limit.', check: atLeast(-1),
  },
  'segment.bytes': {
    kind: 'int', default: '1073741824', synonyms: [syn('log.segment.bytes', '1073741824')], honoured: true,
    doc: 'The size of one segment file of the log.', check: atLeast(14),
  },
  'segment.index.bytes': {
    kind: 'int', default: '10485760', synonyms: [syn('log.index.size.max.bytes', '10485760')], honoured: true,
    doc: 'The size of the index that maps offsets to file positions.', check: atLeast(4),
  },
  'segment.jitter.ms': {
    kind: 'long', default: '0', synonyms: [syn('log.roll.jitter.ms', null), syn('log.roll.jitter.hours', '0', hoursToMs)], honoured: true,
    doc: 'The most random jitter subtracted from segment.ms to avoid rolling every segment at once.', check: atLeast(0),
  },
  'segment.ms': {
    kind: 'long', default: '604800000', synonyms: [syn('log.roll.ms', null), syn('log.roll.hours', '168', hoursToMs)], honoured: true,
    doc: 'After how long the log rolls a new segment even if the current one is not full.', check: atLeast(1),
  },
  'unclean.leader.election.enable': {
    kind: 'boolean', default: 'false', synonyms: [syn('unclean.leader.election.enable', 'false')], honoured: true,
    doc: 'Whether a replica outside the ISR may become leader as a last resort, at the risk of data loss.',
  },
};

export function topicConfigDef(name: string): TopicConfigDef | undefined {
  return Object.prototype.hasOwnProperty.call(TOPIC_CONFIG_DEFS, name) ? TOPIC_CONFIG_DEFS[name] : undefined;
}

/** The type check every config gets (int/long/double/boolean). */
export function checkKind(kind: ConfigKind, value: string): string | null {
  const v = value.trim();
  if (kind === 'int' || kind === 'long') {
    if (!/^-?\d+$/.test(v)) return `Expected value to be a${kind === 'int' ? ' 32-bit' : ' 64-bit'} integer, but it was a java.lang.String`;
    if (kind === 'int' && (Number(v) > 2147483647 || Number(v) < -2147483648)) return 'Expected value to be a 32-bit integer, but it was a java.lang.String';
  } else if (kind === 'double') {
    if (v === '' || !Number.isFinite(Number(v))) return 'Expected value to be a double, but it was a java.lang.String';
  } else if (kind === 'boolean') {
    if (v.toLowerCase() !== 'true' && v.toLowerCase() !== 'false') return 'Expected value to be either true or false';
  }
  return null;
}

/** Why a topic config value is rejected (Kafka's "Invalid value V for configuration N: why"), or null. */
export function topicConfigProblem(name: string, value: string): string | null {
  const def = topicConfigDef(name);
  if (!def) return `Unknown topic config name: ${name}`;
  const why = checkKind(def.kind, value) ?? def.check?.(value.trim()) ?? null;
  return why === null ? null : `Invalid value ${value} for configuration ${name}: ${why}`;
}
