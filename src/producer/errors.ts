// Typed producer errors, named after the Java client's exceptions. Every error that concerns a
// record says which one: topic-partition, its position in its batch (and the send order), its
// key, and why.
import * as net from '../network/errors.js';
import { errorName } from '../protocol/errors.js';

/** Where a failed record was going and which one it was. */
export interface RecordContext {
  topic?: string;
  partition?: number;
  /** Position of the record in its batch (0-based). */
  batchIndex?: number;
  /** Records in that batch. */
  batchSize?: number;
  /** The record's key as sent (null for a null key). */
  key?: Uint8Array | string | null;
}

function describeKey(key: Uint8Array | string | null | undefined): string {
  if (key === undefined) return '';
  if (key === null) return 'null key';
  const s = typeof key === 'string' ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('utf8');
  const printable = /^[\x20-\x7e]*$/.test(s);
  const shown = printable ? JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s) : `0x${Buffer.from(key as Uint8Array).subarray(0, 20).toString('hex')}`;
  return `key ${shown}`;
}

/** "orders-2, record 5 of 120 (key "user-42")" */
export function describeRecord(ctx: RecordContext): string {
  const parts: string[] = [];
  if (ctx.topic !== undefined) parts.push(ctx.partition !== undefined && ctx.partition >= 0 ? `${ctx.topic}-${ctx.partition}` : ctx.topic);
  if (ctx.batchIndex !== undefined) parts.push(`record ${ctx.batchIndex}${ctx.batchSize !== undefined ? ` of ${ctx.batchSize} in its batch` : ''}`);
  const k = describeKey(ctx.key);
  if (k) parts.push(k);
  return parts.join(', ');
}

/** Base class of every error the producer reports. */
export class ProducerError extends Error {
  /** True when the same operation may succeed if tried again (Kafka's RetriableException). */
  readonly retriable: boolean = false;
  topic?: string;
  partition?: number;
  batchIndex?: number;
  key?: Uint8Array | string | null;

  constructor(message: string, opts: { cause?: unknown; record?: RecordContext } = {}) {
    super(opts.record ? `${message} [${describeRecord(opts.record)}]` : message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = new.target.name;
    if (opts.record) {
      this.topic = opts.record.topic;
      this.partition = opts.record.partition;
      this.batchIndex = opts.record.batchIndex;
      this.key = opts.record.key;
    }
  }

  /** A copy of this error about one record of the batch it concerns (same class and reason). */
  forRecord(record: RecordContext): ProducerError {
    const e = Object.create(Object.getPrototypeOf(this)) as ProducerError;
    const base = this.baseMessage ?? this.message;
    Object.assign(e, this);
    e.baseMessage = base;
    e.message = `${base} [${describeRecord(record)}]`;
    e.topic = record.topic;
    e.partition = record.partition;
    e.batchIndex = record.batchIndex;
    e.key = record.key;
    e.stack = `${e.name}: ${e.message}${this.stack ? this.stack.slice(this.stack.indexOf('\n')) : ''}`;
    return e;
  }

  /** The message without the record description. */
  baseMessage?: string;
}

/** An invalid or conflicting producer setting (Kafka's ConfigException). */
export class ConfigError extends ProducerError {
  constructor(
    message: string,
    readonly config?: string,
    readonly value?: unknown,
  ) {
    super(config !== undefined ? `Invalid value ${JSON.stringify(value)} for configuration ${config}: ${message}` : message);
  }
}

/** Something did not happen in time: metadata, buffer memory, delivery (Kafka's TimeoutException). */
export class TimeoutError extends ProducerError {
  override readonly retriable = true;
}

/** send() waited max.block.ms for buffer memory (Kafka's BufferExhaustedException). */
export class BufferExhaustedError extends TimeoutError {}

/** A record too large for max.request.size / buffer.memory, or refused as too large by the broker. */
export class RecordTooLargeError extends ProducerError {}

/** The producer was closed (before or while the record waited). */
export class ProducerClosedError extends ProducerError {}

/** A partition number outside the topic's partitions. */
export class InvalidPartitionError extends ProducerError {}

/** A key, value or header that is not a Buffer, Uint8Array, string or null. */
export class SerializationError extends ProducerError {}

/** The connection failed or was closed before a response came (Kafka's NetworkException). */
export class NetworkError extends ProducerError {
  override readonly retriable = true;
}

/** Authentication with a broker failed (Kafka's AuthenticationException): not retried, sends waiting for metadata fail with it. */
export class AuthenticationError extends ProducerError {}

/** Bad SASL credentials, or a mechanism the broker does not enable (Kafka's SaslAuthenticationException). */
export class SaslAuthenticationError extends AuthenticationError {}

/** The TLS handshake failed: untrusted or mismatching certificates (Kafka's SslAuthenticationException). */
export class SslAuthenticationError extends AuthenticationError {}

/** The broker does not support an API version the producer needs (Kafka's UnsupportedVersionException). */
export class UnsupportedVersionError extends ProducerError {}

/**
 * The public error for a failure of the network layer: a timed-out connection or request is a
 * TimeoutError, a version the broker lacks an UnsupportedVersionError, a failed TLS handshake or
 * SASL authentication an (Ssl|Sasl)AuthenticationError, anything else (refused, closed, cut,
 * malformed) a NetworkError; same message, the original as cause.
 */
export function producerErrorOf(error: net.NetworkError): ProducerError {
  if (error instanceof net.NetworkTimeoutError) return new TimeoutError(error.message, { cause: error });
  if (error instanceof net.UnsupportedApiVersionError) return new UnsupportedVersionError(error.message, { cause: error });
  if (error instanceof net.SaslAuthenticationError) return new SaslAuthenticationError(error.message, { cause: error });
  if (error instanceof net.SslAuthenticationError) return new SslAuthenticationError(error.message, { cause: error });
  if (error instanceof net.AuthenticationError) return new AuthenticationError(error.message, { cause: error });
  return new NetworkError(error.message, { cause: error });
}

/** An error code returned by a broker (Kafka's ApiException subclasses). */
export class KafkaApiError extends ProducerError {
  override readonly retriable: boolean;
  readonly codeName: string;

  constructor(
    readonly code: number,
    message?: string | null,
    opts: { retriable?: boolean; record?: RecordContext } = {},
  ) {
    super(`${errorName(code)} (${code})${message ? `: ${message}` : ''}`, { record: opts.record });
    this.codeName = errorName(code);
    this.retriable = opts.retriable ?? isRetriable(code);
  }
}

/** Another producer with the same transactional id / a newer epoch took over (fatal). */
export class ProducerFencedError extends KafkaApiError {}

/** The broker saw a sequence gap for this idempotent producer (Kafka's OutOfOrderSequenceException). */
export class OutOfOrderSequenceError extends KafkaApiError {}

/** The producer epoch is older than the broker's (Kafka's InvalidProducerEpochException). */
export class InvalidProducerEpochError extends KafkaApiError {}

/** The broker lost this producer's state (Kafka's UnknownProducerIdException). */
export class UnknownProducerIdError extends KafkaApiError {}

/** Not allowed to write to the topic (Kafka's TopicAuthorizationException). */
export class TopicAuthorizationError extends KafkaApiError {}

/** A call in a state that does not allow it, e.g. send() outside a transaction (Java's IllegalStateException). */
export class IllegalStateError extends ProducerError {}

/** A batch failed because its transaction was aborted (Java's TransactionAbortedException). */
export class TransactionAbortedError extends ProducerError {}

/** The group's member or generation did not match the offsets sent to the transaction (Java's CommitFailedException). */
export class CommitFailedError extends ProducerError {}

/** The coordinator refused a transactional request in the transaction's current state (INVALID_TXN_STATE, fatal). */
export class InvalidTxnStateError extends KafkaApiError {}

/** Not allowed to use this transactional.id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED, fatal). */
export class TransactionalIdAuthorizationError extends KafkaApiError {}

/** Not allowed to act on the cluster, e.g. idempotent writes (CLUSTER_AUTHORIZATION_FAILED, fatal). */
export class ClusterAuthorizationError extends KafkaApiError {}

/** Not allowed to commit offsets for the group (GROUP_AUTHORIZATION_FAILED, abortable). */
export class GroupAuthorizationError extends KafkaApiError {}

/** The broker asks for the transaction to be aborted (TRANSACTION_ABORTABLE, KIP-890). */
export class TransactionAbortableError extends KafkaApiError {}

/** The coordinator no longer maps the transactional id to this producer id (INVALID_PRODUCER_ID_MAPPING). */
export class InvalidPidMappingError extends KafkaApiError {}

/** Error codes whose Java exception is a RetriableException (see CLIENTS.md §6 and Kafka's Errors). */
const RETRIABLE = new Set([
  2, // CORRUPT_MESSAGE
  3, // UNKNOWN_TOPIC_OR_PARTITION
  5, // LEADER_NOT_AVAILABLE
  6, // NOT_LEADER_OR_FOLLOWER
  7, // REQUEST_TIMED_OUT
  9, // REPLICA_NOT_AVAILABLE
  13, // NETWORK_EXCEPTION
  14, // COORDINATOR_LOAD_IN_PROGRESS
  15, // COORDINATOR_NOT_AVAILABLE
  16, // NOT_COORDINATOR
  19, // NOT_ENOUGH_REPLICAS
  20, // NOT_ENOUGH_REPLICAS_AFTER_APPEND
  51, // CONCURRENT_TRANSACTIONS
  56, // KAFKA_STORAGE_ERROR
  70, // FETCH_SESSION_ID_NOT_FOUND
  71, // INVALID_FETCH_SESSION_EPOCH
  74, // FENCED_LEADER_EPOCH
  75, // UNKNOWN_LEADER_EPOCH
  78, // OFFSET_NOT_AVAILABLE
  89, // THROTTLING_QUOTA_EXCEEDED
  100, // UNKNOWN_TOPIC_ID
  103, // INCONSISTENT_TOPIC_ID
  107, // INELIGIBLE_REPLICA
  108, // NEW_LEADER_ELECTED
]);

export function isRetriable(code: number): boolean {
  return RETRIABLE.has(code);
}

/** Codes after which the producer's view of leaders is stale (Kafka's InvalidMetadataException). */
const INVALID_METADATA = new Set([3, 5, 6, 9, 56, 74, 75, 100, 103, 108]);

export function isInvalidMetadata(code: number): boolean {
  return INVALID_METADATA.has(code);
}

/** The typed error for a Produce partition error code. */
export function produceError(code: number, message: string | null): ProducerError {
  switch (code) {
    case 10: // MESSAGE_TOO_LARGE
    case 18: // RECORD_LIST_TOO_LARGE
      return new RecordTooLargeError(
        `${errorName(code)} (${code}): ${message ?? 'The request included a message larger than the max message size the server will accept.'}`,
      );
    case 29:
      return new TopicAuthorizationError(code, message);
    case 45:
      return new OutOfOrderSequenceError(code, message ?? 'The broker received an out of order sequence number.');
    case 47:
      return new InvalidProducerEpochError(code, message ?? 'Producer attempted to produce with an old epoch.');
    case 59:
      return new UnknownProducerIdError(code, message);
    case 90:
      return new ProducerFencedError(code, message ?? 'There is a newer producer with the same transactionalId which fences the current one.');
    default:
      return txnError(code, message);
  }
}

/** The typed error for an error code of a transactional request (Java's Errors.exception()). */
export function txnError(code: number, message?: string | null): KafkaApiError {
  switch (code) {
    case 30:
      return new GroupAuthorizationError(code, message);
    case 31:
      return new ClusterAuthorizationError(code, message);
    case 47:
      return new InvalidProducerEpochError(code, message ?? 'Producer attempted to produce with an old epoch.');
    case 48:
      return new InvalidTxnStateError(code, message ?? 'The producer attempted a transactional operation in an invalid state.');
    case 49:
      return new InvalidPidMappingError(code, message ?? 'The producer attempted to use a producer id which is not currently assigned to its transactional id.');
    case 53:
      return new TransactionalIdAuthorizationError(code, message ?? 'Transactional Id authorization failed.');
    case 59:
      return new UnknownProducerIdError(code, message);
    case 90:
      return new ProducerFencedError(code, message ?? 'There is a newer producer with the same transactionalId which fences the current one.');
    case 120:
      return new TransactionAbortableError(code, message ?? 'The server encountered an error with the transaction. The client can abort the transaction to continue using this transactional ID.');
    default:
      return new KafkaApiError(code, message);
  }
}
