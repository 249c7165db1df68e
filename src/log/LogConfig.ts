// Per-topic log configuration (Kafka's LogConfig): typed values, Kafka defaults, parsing from
// Kafka property names. Values that Kafka keeps as Long.MAX_VALUE ("never") become
// Number.MAX_SAFE_INTEGER-or-larger numbers, which behave as "never" in comparisons.

import { ErrorCode, KafkaError } from '../protocol/errors.js';

export type TimestampType = 'CreateTime' | 'LogAppendTime';
export type CleanupPolicy = 'delete' | 'compact';

export interface LogConfigValues {
  /** segment.bytes: roll when the active segment would exceed this size. */
  segmentBytes: number;
  /** segment.ms: roll when the active segment is older than this. */
  segmentMs: number;
  /** segment.jitter.ms */
  segmentJitterMs: number;
  /** retention.ms: -1 = infinite. */
  retentionMs: number;
  /** retention.bytes: -1 = infinite. */
  retentionBytes: number;
  /** flush.messages: fsync after this many appended messages. */
  flushMessages: number;
  /** flush.ms: fsync when this long has passed since the last flush. */
  flushMs: number;
  /** index.interval.bytes: bytes between sparse index entries. */
  indexIntervalBytes: number;
  /** segment.index.bytes: max size of a segment's offset/time index; roll when full. */
  segmentIndexBytes: number;
  /** max.message.bytes: largest record batch accepted. */
  maxMessageBytes: number;
  /** message.timestamp.type */
  messageTimestampType: TimestampType;
  /** cleanup.policy */
  cleanupPolicy: CleanupPolicy[];
  /** min.insync.replicas (not used by the log itself; carried for the broker). */
  minInSyncReplicas: number;
  /** compression.type (not used by the log: batches are stored as sent). */
  compressionType: string;
}

const LONG_MAX = 9223372036854775807; // rounds to 2^63; used as "never"

const DEFAULTS: LogConfigValues = {
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  segmentJitterMs: 0,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  flushMessages: LONG_MAX,
  flushMs: LONG_MAX,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 10 * 1024 * 1024,
  maxMessageBytes: 1048588,
  messageTimestampType: 'CreateTime',
  cleanupPolicy: ['delete'],
  minInSyncReplicas: 1,
  compressionType: 'producer',
};
export const LOG_CONFIG_DEFAULTS: Readonly<LogConfigValues> = Object.freeze(DEFAULTS);

/** Kafka property name → field, with the smallest legal value for numeric properties. */
const NUMERIC: Record<string, { field: keyof LogConfigValues; min: number }> = {
  'segment.bytes': { field: 'segmentBytes', min: 14 },
  'segment.ms': { field: 'segmentMs', min: 1 },
  'segment.jitter.ms': { field: 'segmentJitterMs', min: 0 },
  'retention.ms': { field: 'retentionMs', min: -1 },
  'retention.bytes': { field: 'retentionBytes', min: -Infinity },
  'flush.messages': { field: 'flushMessages', min: 1 },
  'flush.ms': { field: 'flushMs', min: 0 },
  'index.interval.bytes': { field: 'indexIntervalBytes', min: 0 },
  'segment.index.bytes': { field: 'segmentIndexBytes', min: 4 },
  'max.message.bytes': { field: 'maxMessageBytes', min: 0 },
  'min.insync.replicas': { field: 'minInSyncReplicas', min: 1 },
};

const COMPRESSION_TYPES = new Set(['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd']);

function invalid(name: string, value: unknown, why: string): never {
  throw new KafkaError(ErrorCode.INVALID_CONFIG, `Invalid value ${String(value)} for configuration ${name}: ${why}`);
}

export class LogConfig implements LogConfigValues {
  readonly segmentBytes: number;
  readonly segmentMs: number;
  readonly segmentJitterMs: number;
  readonly retentionMs: number;
  readonly retentionBytes: number;
  readonly flushMessages: number;
  readonly flushMs: number;
  readonly indexIntervalBytes: number;
  readonly segmentIndexBytes: number;
  readonly maxMessageBytes: number;
  readonly messageTimestampType: TimestampType;
  readonly cleanupPolicy: CleanupPolicy[];
  readonly minInSyncReplicas: number;
  readonly compressionType: string;

  constructor(values: Partial<LogConfigValues> = {}) {
    const v = { ...LOG_CONFIG_DEFAULTS, ...values };
    this.segmentBytes = v.segmentBytes;
    this.segmentMs = v.segmentMs;
    this.segmentJitterMs = v.segmentJitterMs;
    this.retentionMs = v.retentionMs;
    this.retentionBytes = v.retentionBytes;
    this.flushMessages = v.flushMessages;
    this.flushMs = v.flushMs;
    this.indexIntervalBytes = v.indexIntervalBytes;
    this.segmentIndexBytes = v.segmentIndexBytes;
    this.maxMessageBytes = v.maxMessageBytes;
    this.messageTimestampType = v.messageTimestampType;
    this.cleanupPolicy = [...v.cleanupPolicy];
    this.minInSyncReplicas = v.minInSyncReplicas;
    this.compressionType = v.compressionType;
  }

  /** Defaults overridden by Kafka-named properties (unknown names are ignored). Throws KafkaError(INVALID_CONFIG). */
  static fromProperties(props: Record<string, string | number | undefined | null> | Map<string, string>): LogConfig {
    const entries = props instanceof Map ? [...props.entries()] : Object.entries(props);
    const values: Partial<Record<keyof LogConfigValues, unknown>> = {};
    for (const [name, raw] of entries) {
      if (raw === undefined || raw === null) continue;
      const spec = NUMERIC[name];
      if (spec) {
        const s = String(raw).trim();
        if (!/^-?\d+$/.test(s)) invalid(name, raw, 'not an integer');
        const n = Number(s);
        if (n < spec.min) invalid(name, raw, `must be at least ${spec.min}`);
        if (spec.field === 'segmentBytes' || spec.field === 'segmentIndexBytes' || spec.field === 'indexIntervalBytes' || spec.field === 'maxMessageBytes') {
          if (n > 2147483647) invalid(name, raw, 'must fit in an int32');
        }
        values[spec.field] = n;
      } else if (name === 'message.timestamp.type') {
        if (raw !== 'CreateTime' && raw !== 'LogAppendTime') invalid(name, raw, 'must be CreateTime or LogAppendTime');
        values.messageTimestampType = raw;
      } else if (name === 'cleanup.policy') {
        const list = String(raw)
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0);
        for (const p of list) if (p !== 'delete' && p !== 'compact') invalid(name, raw, 'must be a list of delete, compact');
        values.cleanupPolicy = [...new Set(list)];
      } else if (name === 'compression.type') {
        if (!COMPRESSION_TYPES.has(String(raw))) invalid(name, raw, `must be one of ${[...COMPRESSION_TYPES].join(', ')}`);
        values.compressionType = String(raw);
      }
    }
    return new LogConfig(values as Partial<LogConfigValues>);
  }

  /** A copy with some values replaced. */
  with(overrides: Partial<LogConfigValues>): LogConfig {
    return new LogConfig({ ...this, ...overrides });
  }

  /** True when time/size retention applies (cleanup.policy contains delete). */
  get deleteEnabled(): boolean {
    return this.cleanupPolicy.includes('delete');
  }

  get compactEnabled(): boolean {
    return this.cleanupPolicy.includes('compact');
  }

  /** Offset index capacity in entries (8 bytes each). */
  get maxOffsetIndexEntries(): number {
    return Math.floor(this.segmentIndexBytes / 8);
  }

  /** Time index capacity in entries (12 bytes each). */
  get maxTimeIndexEntries(): number {
    return Math.floor(this.segmentIndexBytes / 12);
  }

  /** Kafka property names and string values (for DescribeConfigs). */
  toProperties(): Record<string, string> {
    return {
      'segment.bytes': String(this.segmentBytes),
      'segment.ms': String(this.segmentMs),
      'segment.jitter.ms': String(this.segmentJitterMs),
      'retention.ms': String(this.retentionMs),
      'retention.bytes': String(this.retentionBytes),
      'flush.messages': this.flushMessages >= LONG_MAX ? '9223372036854775807' : String(this.flushMessages),
      'flush.ms': this.flushMs >= LONG_MAX ? '9223372036854775807' : String(this.flushMs),
      'index.interval.bytes': String(this.indexIntervalBytes),
      'segment.index.bytes': String(this.segmentIndexBytes),
      'max.message.bytes': String(this.maxMessageBytes),
      'message.timestamp.type': this.messageTimestampType,
      'cleanup.policy': this.cleanupPolicy.join(','),
      'min.insync.replicas': String(this.minInSyncReplicas),
      'compression.type': this.compressionType,
    };
  }
}
