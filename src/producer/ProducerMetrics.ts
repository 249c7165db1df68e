// Counters behind producer.metrics(), named after the Java producer's metrics.

export interface ProducerMetricsSnapshot {
  /** Records acknowledged (record-send-total). */
  recordsSent: number;
  /** Records failed (record-error-total). */
  recordErrors: number;
  /** Records re-enqueued for a retry (record-retry-total). */
  recordRetries: number;
  /** Batches sent in Produce requests, retries included. */
  batchesSent: number;
  /** Average batch size in bytes as sent (batch-size-avg). */
  batchSizeAvg: number;
  batchSizeMax: number;
  /** Average records per request (records-per-request-avg). */
  recordsPerRequestAvg: number;
  /** Average compressed / uncompressed size of batches (compression-rate-avg; 1 without compression). */
  compressionRateAvg: number;
  /** Produce requests sent (request-total for Produce). */
  produceRequests: number;
  /** Bytes written to and read from brokers (outgoing-byte-total, incoming-byte-total). */
  bytesSent: number;
  bytesReceived: number;
  /** Produce request latency: send to response, ms (request-latency-avg/max). */
  requestLatencyAvg: number;
  requestLatencyMax: number;
  /** Requests currently unanswered (requests-in-flight). */
  requestsInFlight: number;
  /** buffer.memory and what is free of it (buffer-total-bytes, buffer-available-bytes). */
  bufferTotalBytes: number;
  bufferAvailableBytes: number;
  /** send() calls waiting for metadata or buffer memory (waiting-threads). */
  waitingSends: number;
  /** Batches not yet completed (queued or in flight). */
  incompleteBatches: number;
  metadataRefreshes: number;
  connectionsCreated: number;
  producerId: number;
  producerEpoch: number;
  epochBumps: number;
}

export class ProducerMetrics {
  recordsSent = 0;
  recordErrors = 0;
  recordRetries = 0;
  batchesSent = 0;
  batchBytes = 0;
  batchSizeMax = 0;
  uncompressedBytes = 0;
  produceRequests = 0;
  recordsInRequests = 0;
  latencySum = 0;
  latencyCount = 0;
  latencyMax = 0;
  metadataRequests = 0;

  recordBatch(wireBytes: number, uncompressedBytes: number): void {
    this.batchesSent++;
    this.batchBytes += wireBytes;
    this.uncompressedBytes += uncompressedBytes;
    if (wireBytes > this.batchSizeMax) this.batchSizeMax = wireBytes;
  }

  recordLatency(ms: number): void {
    this.latencySum += ms;
    this.latencyCount++;
    if (ms > this.latencyMax) this.latencyMax = ms;
  }
}
