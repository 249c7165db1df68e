// Kafka's KafkaProducer for Node: send() partitions a record and encodes it straight into its
// partition's open batch; the Sender (on the event loop) ships batches per leader. When the
// topic's metadata is not known yet or buffer.memory is used up, the send waits (BlockedSends:
// a FIFO, so records keep their order) for at most max.block.ms; `needsDrain` and the 'drain'
// event let a caller stop sending meanwhile (backpressure, as stream.Writable's write()/'drain').
// With a transactional.id: initTransactions, beginTransaction, sendOffsetsToTransaction,
// commitTransaction, abortTransaction (the TransactionManager keeps Java's states and rules).
import { EventEmitter } from 'node:events';
import { createLogger, type Logger } from '../logger.js';
import { BATCH_HEADER_SIZE } from '../protocol/recordBatch.js';
import { sizeOfRecordBody, sizeOfRecordHeaders, sizeOfRecordInBatch, type RecordHeaderInput } from '../protocol/recordBatchBuilder.js';
import { APPENDED, BlockedSends, WAIT_MEMORY, WAIT_METADATA } from './BlockedSends.js';
import { BuiltInPartitioner } from './BuiltInPartitioner.js';
import {
  AuthenticationError,
  IllegalStateError,
  InvalidPartitionError,
  KafkaApiError,
  ProducerClosedError,
  ProducerError,
  RecordTooLargeError,
  SerializationError,
  TimeoutError,
  producerErrorOf,
} from './errors.js';
import { NetworkClient } from '../network/NetworkClient.js';
import { failedRecordPromise } from './FutureRecordMetadata.js';
import { setCallbackErrorHandler, type ProducerBatch } from './ProducerBatch.js';
import { optionsFromProperties, resolveConfig, type ConfigResolution, type ProducerConfig, type ProducerOptions } from './ProducerConfig.js';
import { ProducerMetadata, type PartitionMeta, type TopicState } from './ProducerMetadata.js';
import { ProducerMetrics, type ProducerMetricsSnapshot } from './ProducerMetrics.js';
import type { ProducerRecord, RecordMetadata, SendCallback } from './ProducerRecord.js';
import { RecordAccumulator } from './RecordAccumulator.js';
import { Sender } from './Sender.js';
import { TransactionManager } from './TransactionManager.js';
import { checkTxnOffsets, type GroupMetadata, type TxnOffset } from './TxnRequestHandlers.js';
import type { WaitingSends } from './WaitingSends.js';

/** Topic errors in metadata that fail a send at once instead of waiting (Java: InvalidTopicException, TopicAuthorizationException). */
const FATAL_TOPIC_ERRORS = new Set([17, 29]);

function normalizeHeaders(h: ProducerRecord['headers']): readonly RecordHeaderInput[] | null {
  if (h === undefined || h === null) return null;
  if (Array.isArray(h)) return h.length === 0 ? null : (h as readonly RecordHeaderInput[]);
  const out: RecordHeaderInput[] = [];
  for (const key of Object.keys(h)) out.push({ key, value: (h as Record<string, RecordHeaderInput['value']>)[key]! });
  return out.length === 0 ? null : out;
}

function isBytes(v: unknown): v is Uint8Array | string | null {
  return v === null || typeof v === 'string' || v instanceof Uint8Array;
}

export class Producer extends EventEmitter {
  /** Every setting as resolved (defaults applied, idempotence decided). */
  readonly config: ProducerConfig;
  /** Which settings were explicit, why idempotence was switched off (if it was), warnings. */
  readonly configResolution: ConfigResolution;

  private readonly log: Logger;
  private readonly metadata: ProducerMetadata;
  private readonly accumulator: RecordAccumulator;
  private readonly client: NetworkClient;
  private readonly sender: Sender;
  private readonly txn: TransactionManager | null;
  private readonly stats = new ProducerMetrics();
  private readonly partitioner = new BuiltInPartitioner();
  /** Sends waiting for metadata or memory (Java's send() would block on them). */
  private readonly blocked: BlockedSends;
  /** Its FIFO, read directly by send(): while it is not empty, a send queues behind it. */
  private readonly waiting: WaitingSends;
  private closing = false;
  private closed: Promise<void> | null = null;
  private readonly maxRequestSize: number;
  private readonly bufferMemory: number;
  /** min(max.request.size, buffer.memory): no record batch may be larger. */
  private readonly sizeLimit: number;
  private readonly ignoreKeys: boolean;
  /** The batch the last APPENDED record went to. */
  private appendedTo: ProducerBatch | null = null;

  constructor(options: ProducerOptions, warnings: string[] = []) {
    super();
    this.configResolution = resolveConfig(options, warnings);
    const config = (this.config = this.configResolution.config);
    this.log = createLogger(`producer ${config.clientId}`);
    for (const w of this.configResolution.warnings) this.log.info(w);
    this.maxRequestSize = config.maxRequestSize;
    this.bufferMemory = config.bufferMemory;
    this.sizeLimit = Math.min(config.maxRequestSize, config.bufferMemory);
    this.ignoreKeys = config.partitionerIgnoreKeys;
    this.metadata = new ProducerMetadata(config.metadataMaxAgeMs, config.metadataMaxIdleMs, config.retryBackoffMs, config.retryBackoffMaxMs);
    this.accumulator = new RecordAccumulator(config);
    this.client = new NetworkClient(config);
    this.txn = config.enableIdempotence
      ? new TransactionManager({ transactionalId: config.transactionalId, transactionTimeoutMs: config.transactionTimeoutMs, retryBackoffMs: config.retryBackoffMs })
      : null;
    this.accumulator.txn = this.txn;
    this.sender = new Sender({ config, accumulator: this.accumulator, metadata: this.metadata, client: this.client, txn: this.txn, metrics: this.stats, log: this.log });
    this.blocked = new BlockedSends({
      config,
      txn: this.txn,
      accumulator: this.accumulator,
      sender: this.sender,
      stats: this.stats,
      log: this.log,
      events: this,
      tryAppend: (record, ts, cb, now) => this.tryAppend(record, ts, cb, now),
      appendedTo: () => this.appendedTo!,
    });
    this.waiting = this.blocked.queue;
    this.client.onChange = () => this.sender.wakeup();
    this.client.onDisconnect = (nodeId, err) => {
      this.log.debug(`disconnected from node ${nodeId}: ${err.message}`);
      this.metadata.requestUpdate();
      const e = producerErrorOf(err);
      if (e instanceof AuthenticationError) this.authenticationFailed(e);
    };
    this.metadata.onUpdate = () => {
      if (this.waiting.length > 0) this.blocked.drain();
    };
    this.accumulator.pool.onAvailable = () => {
      if (this.waiting.length > 0) this.blocked.drain();
    };
    this.sender.onFatalError = () => {
      if (this.waiting.length > 0) this.blocked.drain();
    };
    setCallbackErrorHandler((err) => this.log.error(`send callback threw: ${(err as Error)?.stack ?? String(err)}`));
  }

  /** A producer from Kafka property names: Producer.fromProperties({ 'bootstrap.servers': 'h:9092', 'linger.ms': '5' }). */
  static fromProperties(props: Record<string, string | number | boolean | string[]>): Producer {
    const { options, warnings } = optionsFromProperties(props);
    return new Producer(options, warnings);
  }

  /**
   * Send a record: the returned (native) Promise resolves with its offset once acknowledged
   * (per acks), or rejects with a typed ProducerError that names the record. With a callback,
   * nothing is returned and no Promise is made (like Java's send(record, callback)).
   */
  send(record: ProducerRecord): Promise<RecordMetadata>;
  send(record: ProducerRecord, callback: SendCallback): void;
  send(record: ProducerRecord, callback?: SendCallback): Promise<RecordMetadata> | void {
    const cb = callback === undefined ? null : callback;
    const now = Date.now();
    let r: number | ProducerError;
    if (this.closing || (this.txn !== null && this.txn.refusesSends) || record === null || typeof record !== 'object') {
      r = this.precheckError(record);
    } else {
      const ts = record.timestamp ?? now;
      if (typeof ts !== 'number' || !(ts >= 0)) {
        r = new SerializationError(`Invalid timestamp: ${String(ts)}. Timestamp should always be non-negative or null.`, { record: { topic: record.topic, key: record.key ?? null } });
      } else if (this.waiting.length > 0) {
        r = WAIT_MEMORY;
      } else {
        try {
          r = this.tryAppend(record, ts, cb, now);
        } catch (err) {
          r = new SerializationError(`Cannot send this record: ${(err as Error)?.message ?? String(err)}`, { cause: err, record: { topic: String(record.topic) } });
        }
        // The fast path: a promise derived from the batch's own (no settle functions per record).
        if (r === APPENDED) return cb === null ? this.appendedTo!.derivePromise() : undefined;
      }
    }
    if (typeof r !== 'number') {
      // Failed at once.
      if (this.txn !== null) this.txn.maybeTransitionOnSendError(r);
      if (cb !== null) {
        this.blocked.failSend(cb, r);
        return undefined;
      }
      this.stats.recordErrors++;
      return failedRecordPromise(r);
    }
    // It waits, behind any send already waiting (order is kept); the queue is retried when
    // memory or metadata comes back, not on every send.
    return this.blocked.wait(record, now, cb, r);
  }

  private precheckError(record: ProducerRecord): ProducerError {
    if (this.closing) return new ProducerClosedError('Cannot send after the producer is closed.');
    if (this.txn !== null && this.txn.refusesSends && record !== null && typeof record === 'object') {
      const err = this.txn.sendError(String(record.topic));
      if (err !== null) return err;
    }
    return new SerializationError(`A record must be an object with topic and value, got ${record === null ? 'null' : typeof record}`);
  }

  /** Partition the record and encode it into its partition's open batch (or a new one). */
  private tryAppend(record: ProducerRecord, ts: number, cb: SendCallback | null, now: number): number | ProducerError {
    const topic = record.topic;
    let t: TopicState | undefined = this.metadata.topics.get(topic);
    if (t === undefined || t.idle) {
      if (typeof topic !== 'string' || topic.length === 0) return new SerializationError(`Invalid topic ${JSON.stringify(topic)}`);
      t = this.metadata.topic(topic, now);
    }
    const n = t.partitions.length;
    if (n === 0) {
      if (t.error !== 0 && FATAL_TOPIC_ERRORS.has(t.error)) return new KafkaApiError(t.error, `Metadata for topic ${topic}`, { record: { topic } });
      this.sender.wakeup();
      return WAIT_METADATA;
    }
    t.lastUsedMs = now;
    const key = record.key === undefined ? null : record.key;
    const value = record.value === undefined ? null : record.value;
    if (!isBytes(key) || !isBytes(value)) {
      return new SerializationError(`Keys and values must be Buffer, Uint8Array, string or null (got key ${typeof key}, value ${typeof value})`, { record: { topic } });
    }
    const keyLen = key === null ? -1 : typeof key === 'string' ? Buffer.byteLength(key, 'utf8') : key.length;
    const valueLen = value === null ? -1 : typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.length;
    let headers: readonly RecordHeaderInput[] | null = null;
    let headersBytes = 0;
    if (record.headers !== undefined) {
      headers = normalizeHeaders(record.headers);
      if (headers !== null) {
        for (const h of headers) {
          if (typeof h.key !== 'string' || !isBytes(h.value)) return new SerializationError('Header keys must be strings and values Buffer, Uint8Array, string or null', { record: { topic, key } });
        }
        headersBytes = sizeOfRecordHeaders(headers);
      }
    }
    let partition: number;
    let sticky = false;
    const explicit = record.partition;
    if (explicit !== undefined && explicit !== null) {
      if (!Number.isInteger(explicit) || explicit < 0 || explicit >= n) {
        return new InvalidPartitionError(`Invalid partition given with record: ${explicit} is not in the range [0...${n}).`, { record: { topic, partition: explicit, key } });
      }
      partition = explicit;
    } else if (key !== null && !this.ignoreKeys) {
      partition = this.partitioner.keyed(key, n);
    } else {
      partition = this.partitioner.stickyPartition(t);
      sticky = true;
    }
    // Cheap upper bound first; the exact size only for big records and new batches.
    let batchBytes = (keyLen > 0 ? keyLen : 0) + (valueLen > 0 ? valueLen : 0) + headersBytes + 128;
    if (batchBytes > this.sizeLimit) batchBytes = this.exactBatchBytes(keyLen, valueLen, headers, headersBytes);
    if (batchBytes > this.sizeLimit) {
      const which = batchBytes > this.maxRequestSize ? `max.request.size configuration (${this.maxRequestSize})` : `total memory buffer you have configured with the buffer.memory configuration (${this.bufferMemory})`;
      return new RecordTooLargeError(`The message is ${batchBytes} bytes when serialized which is larger than the ${which}.`, { record: { topic, partition, key } });
    }
    const acc = this.accumulator;
    let pq = acc.queue(t, partition);
    let q = pq.batches;
    let last = q.length > 0 ? q[q.length - 1]! : undefined;
    if (last !== undefined && last.tryAppend(ts, key, keyLen, value, valueLen, headers, headersBytes, cb)) {
      if (last.isFull) this.sender.wakeup();
      this.appendedTo = last;
      return APPENDED;
    }
    if (sticky) {
      // KIP-480: a new batch is needed for the sticky partition, so move to another one.
      const next = this.partitioner.onNewBatch(t, partition);
      if (next !== partition) {
        partition = next;
        pq = acc.queue(t, partition);
        q = pq.batches;
        last = q.length > 0 ? q[q.length - 1]! : undefined;
        if (last !== undefined && last.tryAppend(ts, key, keyLen, value, valueLen, headers, headersBytes, cb)) {
          if (last.isFull) this.sender.wakeup();
          this.appendedTo = last;
          return APPENDED;
        }
      }
    }
    const batch = acc.newBatch(pq, this.exactBatchBytes(keyLen, valueLen, headers, headersBytes), now);
    if (batch === null) return WAIT_MEMORY;
    if (!batch.tryAppend(ts, key, keyLen, value, valueLen, headers, headersBytes, cb)) {
      return new RecordTooLargeError('Record does not fit in a batch sized for it', { record: { topic, partition, key } });
    }
    this.sender.wakeup();
    this.appendedTo = batch;
    return APPENDED;
  }

  /** Bytes of a batch holding just this record (with slack for varint growth). */
  private exactBatchBytes(keyLen: number, valueLen: number, headers: readonly RecordHeaderInput[] | null, headersBytes: number): number {
    return BATCH_HEADER_SIZE + sizeOfRecordInBatch(sizeOfRecordBody(0, 0, keyLen, valueLen, headers === null ? 0 : headers.length, headersBytes)) + 8;
  }

  /**
   * Authentication failed (not retried, as Kafka's client): sends waiting for metadata fail with
   * the error, and so does an idempotent or transactional producer still waiting for its
   * producer id or coordinator (Kafka's TransactionManager.authenticationFailed: fatal).
   */
  private authenticationFailed(err: ProducerError): void {
    this.log.error(err.message);
    this.blocked.failMetadataWaits(err);
    const txn = this.txn;
    if (txn === null || txn.hasFatalError()) return;
    if (txn.hasPendingRequests()) txn.close(err);
    else if (!txn.isTransactional && txn.state === 'INITIALIZING') txn.transitionToFatalError(err);
    this.sender.wakeup();
  }

  /**
   * True while sends are waiting for buffer memory or metadata (send() still accepts records,
   * but they queue in memory): stop sending and wait for 'drain', as with stream.Writable's
   * write() returning false.
   */
  get needsDrain(): boolean {
    return this.waiting.length > 0;
  }

  /**
   * Make every buffered record sendable now and wait until all records sent before this call
   * are completed (acknowledged or failed). Like Java's flush(), it does not throw send errors.
   */
  async flush(): Promise<void> {
    this.accumulator.flushesInProgress++;
    this.sender.wakeup();
    try {
      await this.blocked.drained();
      this.sender.wakeup();
      await Promise.all([...this.accumulator.incomplete].map((b) => b.whenDone()));
    } finally {
      this.accumulator.flushesInProgress--;
    }
  }

  /**
   * Stop accepting sends, deliver what is buffered, then close connections. With timeoutMs,
   * records still incomplete after that long fail with ProducerClosedError (timeoutMs 0:
   * fail them at once, as Java's close(Duration.ZERO)).
   */
  close(opts: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) return this.closed;
    this.closing = true;
    this.closed = this.doClose(opts.timeoutMs ?? Infinity);
    return this.closed;
  }

  private async doClose(timeoutMs: number): Promise<void> {
    const closeStart = Date.now();
    this.accumulator.closed = true;
    this.sender.wakeup();
    const allDone = (async () => {
      await this.blocked.drained();
      while (this.accumulator.incomplete.size > 0) await Promise.all([...this.accumulator.incomplete].map((b) => b.whenDone()));
    })();
    if (timeoutMs > 0 && (this.waiting.length > 0 || this.accumulator.incomplete.size > 0)) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = Number.isFinite(timeoutMs) ? new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))) : new Promise<void>(() => {});
      await Promise.race([allDone, timedOut]);
      if (timer) clearTimeout(timer);
    }
    await this.abortOpenTransaction(Number.isFinite(timeoutMs) ? Math.max(closeStart + timeoutMs - Date.now(), 0) : this.config.maxBlockMs);
    this.blocked.closeForcefully();
    if (this.txn !== null && this.txn.isTransactional) this.txn.close(new ProducerError('The producer closed forcefully'));
    this.blocked.drain(); // fails sends still waiting for metadata or memory
    if (this.accumulator.incomplete.size > 0) {
      const err = new ProducerClosedError('Producer is closed forcefully.');
      for (const b of [...this.accumulator.incomplete]) this.sender.failBatch(b, err, false);
      for (const pq of this.accumulator.queues) {
        pq.batches.length = 0;
        pq.inFlight.length = 0;
      }
    }
    this.sender.stop();
    this.client.close();
  }

  // ---- Transactions (KafkaProducer's API; each call waits at most max.block.ms) ----

  private transactionManager(): TransactionManager {
    if (this.txn === null || !this.txn.isTransactional) {
      throw new IllegalStateError('Cannot use transactional methods without enabling transactions by setting the transactional.id configuration property');
    }
    if (this.closing) throw new IllegalStateError('Cannot perform operation after producer has been closed');
    return this.txn;
  }

  /**
   * Get the producer id and epoch for the transactional.id from its transaction coordinator:
   * completes (aborting or finishing) any transaction an earlier producer with this id left
   * open, and fences that producer. Call once, before the first beginTransaction. A call that
   * timed out (TimeoutError after max.block.ms) may be repeated and goes on waiting.
   */
  async initTransactions(): Promise<void> {
    const result = this.transactionManager().initializeTransactions();
    this.sender.wakeup();
    await result.await(this.config.maxBlockMs);
  }

  /** Start a transaction: sends are refused outside one. Throws IllegalStateError in the wrong state. */
  beginTransaction(): void {
    this.transactionManager().beginTransaction();
  }

  /**
   * Make consumer offsets part of the transaction (AddOffsetsToTxn to the transaction
   * coordinator, then TxnOffsetCommit to the group's coordinator): they are committed with the
   * transaction's records or not at all. `offset` is the next offset to consume. A group id
   * alone (no member id / generation) is accepted as Java's deprecated overload.
   */
  async sendOffsetsToTransaction(offsets: readonly TxnOffset[], groupMetadata: GroupMetadata | string): Promise<void> {
    const txn = this.transactionManager();
    const checked = checkTxnOffsets(offsets, groupMetadata);
    if (checked.offsets.length === 0) return;
    const result = txn.sendOffsetsToTransaction(checked.offsets, checked.group);
    this.sender.wakeup();
    await result.await(this.config.maxBlockMs);
  }

  /**
   * Commit the transaction: sends still waiting join it first, every batch is sent (as flush()),
   * then EndTxn(commit). If a send of the transaction failed, this rejects with that error and
   * the transaction must be aborted; a ProducerFencedError means this producer is done.
   */
  async commitTransaction(): Promise<void> {
    const txn = this.transactionManager();
    await this.blocked.drained();
    const result = txn.beginCommit();
    this.sender.wakeup();
    await result.await(this.config.maxBlockMs);
  }

  /** Abort the transaction: batches not yet sent fail with TransactionAbortedError, then EndTxn(abort). */
  async abortTransaction(): Promise<void> {
    const txn = this.transactionManager();
    const result = txn.beginAbort();
    this.sender.wakeup();
    if (this.waiting.length > 0) this.blocked.drain(); // waiting sends fail: the transaction is aborting
    await result.await(this.config.maxBlockMs);
  }

  /** close(): a transaction still open is aborted, as Java's Sender does on shutdown. */
  private async abortOpenTransaction(timeoutMs: number): Promise<void> {
    const result = timeoutMs > 0 && this.txn !== null ? this.txn.abortForClose((e) => this.log.info(`cannot abort the open transaction on close: ${e.message}`)) : null;
    if (result === null) return;
    this.sender.wakeup();
    await result.await(Math.min(timeoutMs, this.config.maxBlockMs)).catch((err: Error) => this.log.info(`aborting the open transaction on close failed: ${err.message}`));
  }

  /** Partitions of a topic (waits for its metadata up to max.block.ms). */
  async partitionsFor(topic: string): Promise<PartitionMeta[]> {
    const deadline = Date.now() + this.config.maxBlockMs;
    for (;;) {
      const t = this.metadata.topic(topic, Date.now());
      if (t.partitions.length > 0) return t.partitions.map((p) => ({ ...p }));
      if (t.error !== 0 && FATAL_TOPIC_ERRORS.has(t.error)) throw new KafkaApiError(t.error, `Metadata for topic ${topic}`);
      if (Date.now() >= deadline) throw new TimeoutError(`Topic ${topic} not present in metadata after ${this.config.maxBlockMs} ms.`);
      this.metadata.requestUpdate();
      this.sender.wakeup();
      await new Promise((r) => setTimeout(r, Math.min(20, this.config.maxBlockMs)));
    }
  }

  /** Counters named after the Java producer's metrics. */
  metrics(): ProducerMetricsSnapshot {
    const s = this.stats;
    let bytesSent = 0;
    let bytesReceived = 0;
    for (const c of this.client.connections.values()) {
      bytesSent += c.bytesSent;
      bytesReceived += c.bytesReceived;
    }
    return {
      recordsSent: s.recordsSent,
      recordErrors: s.recordErrors,
      recordRetries: s.recordRetries,
      batchesSent: s.batchesSent,
      batchSizeAvg: s.batchesSent ? s.batchBytes / s.batchesSent : 0,
      batchSizeMax: s.batchSizeMax,
      recordsPerRequestAvg: s.produceRequests ? s.recordsInRequests / s.produceRequests : 0,
      compressionRateAvg: s.batchesSent ? s.batchBytes / (s.uncompressedBytes + BATCH_HEADER_SIZE * s.batchesSent) : 1,
      produceRequests: s.produceRequests,
      bytesSent: bytesSent + this.client.closedBytesSent,
      bytesReceived: bytesReceived + this.client.closedBytesReceived,
      requestLatencyAvg: s.latencyCount ? s.latencySum / s.latencyCount : 0,
      requestLatencyMax: s.latencyMax,
      requestsInFlight: this.client.inFlightRequests(),
      bufferTotalBytes: this.config.bufferMemory,
      bufferAvailableBytes: this.accumulator.pool.availableMemory,
      waitingSends: this.waiting.length,
      incompleteBatches: this.accumulator.incomplete.size,
      metadataRefreshes: this.metadata.updates,
      connectionsCreated: this.client.connectionsCreated,
      producerId: this.txn?.producerId ?? -1,
      producerEpoch: this.txn?.producerEpoch ?? -1,
      epochBumps: this.txn?.epochBumps ?? 0,
    };
  }
}
