// What send() takes and what it answers (Kafka's ProducerRecord and RecordMetadata).
import type { RecordBytes, RecordHeaderInput } from '../protocol/recordBatchBuilder.js';

export type { RecordBytes, RecordHeaderInput };

/** Record headers: an ordered list (duplicate keys allowed, as in Kafka) or an object. */
export type RecordHeaders = readonly RecordHeaderInput[] | Readonly<Record<string, RecordBytes>>;

export interface ProducerRecord {
  topic: string;
  /** Explicit partition; without it keyed records go by murmur2(key), others sticky. */
  partition?: number;
  /** Bytes (Buffer/Uint8Array), a UTF-8 string, or null. */
  key?: RecordBytes;
  value: RecordBytes;
  headers?: RecordHeaders;
  /** CreateTime in ms since the epoch; default: now when send() is called. */
  timestamp?: number;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1 when unknown (acks=0, or a duplicate the broker no longer had the offset of). */
  offset: number;
  /** The record's CreateTime, or the broker's LogAppendTime for LogAppendTime topics. */
  timestamp: number;
}

/** Node-style completion callback, the fast path of send() (no Promise per record). */
export type SendCallback = (error: Error | null, metadata: RecordMetadata | null) => void;
