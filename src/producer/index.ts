// The producer client's public surface.
export { Producer } from './Producer.js';
export type { ProducerRecord, RecordMetadata, RecordHeaders, SendCallback } from './ProducerRecord.js';
export { PRODUCER_CONFIG_DEFS } from './ProducerConfig.js';
export type { Acks, CompressionType, ProducerConfig, ProducerOptions } from './ProducerConfig.js';
export type { ProducerMetricsSnapshot } from './ProducerMetrics.js';
export type { PartitionMeta } from './ProducerMetadata.js';
export { murmur2, toPositive, partitionForKey } from './murmur2.js';
export {
  ProducerError,
  ConfigError,
  TimeoutError,
  BufferExhaustedError,
  RecordTooLargeError,
  ProducerClosedError,
  InvalidPartitionError,
  SerializationError,
  NetworkError,
  AuthenticationError,
  SaslAuthenticationError,
  SslAuthenticationError,
  UnsupportedVersionError,
  KafkaApiError,
  ProducerFencedError,
  OutOfOrderSequenceError,
  InvalidProducerEpochError,
  UnknownProducerIdError,
  TopicAuthorizationError,
  IllegalStateError,
  TransactionAbortedError,
  CommitFailedError,
  InvalidTxnStateError,
  TransactionalIdAuthorizationError,
  ClusterAuthorizationError,
  GroupAuthorizationError,
  TransactionAbortableError,
  InvalidPidMappingError,
} from './errors.js';
export type { TransactionState } from './TransactionManager.js';
export type { TxnOffset, GroupMetadata } from './TxnRequestHandlers.js';
