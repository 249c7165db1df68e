// Kafka's Sender, as an event-loop task instead of a thread: each run takes the leaders with
// sendable batches, drains one batch per partition into a Produce request per leader while the
// connection has room (max.in.flight.requests.per.connection), expires batches past
// delivery.timeout.ms, refreshes metadata and gets the idempotent producer id. Responses
// complete, retry (with backoff, in sequence order when idempotent), split or fail batches.
// A run is scheduled with setImmediate on new batches and connection changes, runs at once
// after a successful Produce response (refilling the in-flight slot first), and is timed
// by a timer for linger.ms, backoffs and expiries. A transactional producer's coordinator
// requests (TxnRequestHandlers.ts) go out one at a time from the TransactionManager's queue,
// before each pass drains batches (which wait until their partition is in the transaction).
import type { Logger } from '../logger.js';
import { decodeInitProducerIdResponse, encodeInitProducerIdRequest } from '../protocol/messages/InitProducerId.js';
import { decodeMetadataResponse, encodeMetadataRequest } from '../protocol/messages/Metadata.js';
import { decodeProduceResponse, encodeProduceRequest, type ProduceRequest, type ProduceResponse } from '../protocol/messages/Produce.js';
import { ZERO_UUID, type Reader } from '../protocol/primitives.js';
import { KafkaApiError, ProducerError, TimeoutError, TransactionAbortedError, UnsupportedVersionError, isInvalidMetadata, isRetriable, produceError, producerErrorOf } from './errors.js';
import type { NetworkClient } from '../network/NetworkClient.js';
import type { ProducerBatch } from './ProducerBatch.js';
import type { ProducerConfig } from './ProducerConfig.js';
import type { ProducerMetadata } from './ProducerMetadata.js';
import type { ProducerMetrics } from './ProducerMetrics.js';
import type { RecordAccumulator } from './RecordAccumulator.js';
import type { TransactionManager } from './TransactionManager.js';

const PRODUCE = 0;
const METADATA = 3;
const INIT_PRODUCER_ID = 22;
const MAX_INT = 0x7fffffff;

export interface SenderContext {
  config: ProducerConfig;
  accumulator: RecordAccumulator;
  metadata: ProducerMetadata;
  client: NetworkClient;
  txn: TransactionManager | null;
  metrics: ProducerMetrics;
  log: Logger;
}

export class Sender {
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private metadataInFlight = false;
  private initInFlight = false;
  private initRetryAt = 0;
  private initAttempts = 0;
  private stopped = false;
  private running = false;
  private readonly guaranteeMessageOrder: boolean;
  private readonly runBound = () => {
    this.scheduled = false;
    this.run();
  };
  private readonly timerBound = () => {
    this.timer = null;
    this.timerAt = Infinity;
    this.run();
  };
  /** Called when the idempotent producer hits a fatal error (the Producer fails waiting sends). */
  onFatalError: ((error: ProducerError) => void) | null = null;

  constructor(private readonly ctx: SenderContext) {
    this.guaranteeMessageOrder = ctx.config.maxInFlightRequestsPerConnection === 1;
  }

  /** Schedule a run soon (once per event-loop turn however often it is called). */
  wakeup(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(this.runBound);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Run now, from a Produce response: the freed in-flight slot is refilled before the promises
   * just settled run their continuations (Java's Sender loop handles responses and sends the next
   * requests in the same poll; a later turn would let a caller's next window of sends, queued on
   * those continuations, run first while the connection idles). Inside a run, it waits its turn.
   */
  private runNow(): void {
    if (this.running) this.wakeup();
    else this.run();
  }

  private run(): void {
    if (this.stopped) return;
    const now = Date.now();
    let delay: number;
    this.running = true;
    try {
      delay = this.runOnce(now);
    } catch (err) {
      this.ctx.log.error(`sender run failed: ${(err as Error).stack ?? String(err)}`);
      delay = this.ctx.config.retryBackoffMs;
    } finally {
      this.running = false;
    }
    this.schedule(delay, now);
  }

  private schedule(delayMs: number, now: number): void {
    if (!Number.isFinite(delayMs)) return;
    const at = now + Math.max(delayMs, 0);
    if (this.timer !== null) {
      if (this.timerAt <= at) return;
      clearTimeout(this.timer);
    }
    this.timerAt = at;
    this.timer = setTimeout(this.timerBound, Math.max(delayMs, 0));
    // Keep the process alive only while records wait to be delivered.
    if (this.ctx.accumulator.incomplete.size === 0) this.timer.unref();
  }

  /** One pass; returns ms until the next pass is needed (Infinity = only on an event). */
  private runOnce(now: number): number {
    const { txn, accumulator } = this.ctx;
    let pollTimeout = Infinity;
    if (txn !== null) {
      txn.maybeResolveSequences();
      if (txn.hasFatalError()) {
        const err = txn.lastError!;
        for (const b of accumulator.takeUndrained()) this.failBatch(b, err, false);
        if (txn.hasPendingRequests()) txn.close(err);
        this.onFatalError?.(err);
        return this.maybeUpdateMetadata(now);
      }
      if (txn.isTransactional) {
        pollTimeout = Math.min(pollTimeout, this.maybeSendTransactionalRequest(now));
      } else {
        txn.bumpIdempotentEpochAndResetIdIfNeeded();
        if (txn.state === 'INITIALIZING') pollTimeout = Math.min(pollTimeout, this.maybeSendInitProducerId(now));
      }
    }
    pollTimeout = Math.min(pollTimeout, this.sendProducerData(now));
    pollTimeout = Math.min(pollTimeout, this.maybeUpdateMetadata(now));
    return pollTimeout;
  }

  private sendProducerData(now: number): number {
    const { accumulator, client, metadata, config, txn } = this.ctx;
    const result = accumulator.ready(now);
    if (result.unknownLeaderTopics.size > 0) metadata.requestUpdate();
    let notReadyTimeout = Infinity;
    for (const node of result.readyNodes) {
      if (!client.ready(node, now)) {
        notReadyTimeout = Math.min(notReadyTimeout, client.connectionDelay(node, now));
        continue;
      }
      while (client.canSendMore(node)) {
        const batches = accumulator.drain(node, config.maxRequestSize, now);
        if (batches.length === 0) break;
        for (const b of batches) {
          if (this.guaranteeMessageOrder) b.pq.muted = true;
          b.pq.inFlight.push(b);
        }
        this.sendProduceRequest(node, batches);
      }
    }
    // delivery.timeout.ms, for queued and in-flight batches alike.
    const expired = accumulator.expiredBatches(now);
    this.collectExpiredInFlight(now, expired);
    for (const b of expired) {
      const err = new TimeoutError(
        `Expiring ${b.count} record(s) for ${b.pq.name}: ${now - b.createdMs} ms has passed since batch creation (delivery.timeout.ms = ${config.deliveryTimeoutMs})`,
      );
      this.failBatch(b, err, false);
      if (txn !== null && b.inRetry) txn.markSequenceUnresolved(b);
    }
    const expiryIn = accumulator.nextBatchExpiryTimeMs - now;
    return Math.min(result.nextReadyCheckDelayMs, notReadyTimeout, expiryIn);
  }

  private collectExpiredInFlight(now: number, out: ProducerBatch[]): void {
    const { accumulator, config } = this.ctx;
    for (const pq of accumulator.queues) {
      const list = pq.inFlight;
      while (list.length > 0) {
        const b = list[0]!;
        if (b.hasReachedDeliveryTimeout(config.deliveryTimeoutMs, now)) {
          list.shift();
          if (!b.done) out.push(b);
        } else {
          accumulator.noteExpiry(b);
          break;
        }
      }
    }
  }

  private sendProduceRequest(nodeId: number, batches: ProducerBatch[]): void {
    const { client, config, metrics } = this.ctx;
    const conn = client.connection(nodeId)!;
    const version = conn.version(PRODUCE, 3, 9);
    if (version < 0) {
      const err = new UnsupportedVersionError(`Node ${nodeId} serves no Produce version between 3 and 9 (record batches v2 need Produce v3+)`);
      for (const b of batches) this.completeBatch(b, 35, -1, -1, -1, null, err, Date.now());
      return;
    }
    const topicData: ProduceRequest['topicData'] = [];
    let bytes = 0;
    let records = 0;
    for (const b of batches) {
      let td = topicData.length > 0 && topicData[topicData.length - 1]!.name === b.topic ? topicData[topicData.length - 1] : topicData.find((t) => t.name === b.topic);
      if (td === undefined) {
        td = { name: b.topic, partitionData: [] };
        topicData.push(td);
      }
      td.partitionData.push({ index: b.partition, records: b.wire });
      b.inFlight = true;
      b.everSent = true;
      bytes += b.wire!.length;
      records += b.count;
      metrics.recordBatch(b.wire!.length, b.uncompressedBytes);
    }
    metrics.produceRequests++;
    metrics.recordsInRequests += records;
    const req: ProduceRequest = { transactionalId: this.ctx.txn?.transactionalId ?? null, acks: config.acks, timeoutMs: config.requestTimeoutMs, topicData };
    const encode = (w: import('../protocol/primitives.js').Writer) => encodeProduceRequest(w, version, req);
    const sizeHint = 64 + topicData.length * 32 + batches.length * 16 + (bytes < 4096 ? bytes : 0);
    if (config.acks === 0) {
      conn.sendRequest(PRODUCE, version, encode, null, () => {
        const now = Date.now();
        for (const b of batches) this.completeBatch(b, 0, -1, -1, -1, null, null, now);
        this.wakeup();
      }, sizeHint);
      return;
    }
    const sentAt = performance.now();
    conn.sendRequest(
      PRODUCE,
      version,
      encode,
      (err, body) => {
        metrics.recordLatency(performance.now() - sentAt);
        this.handleProduceResponse(batches, version, err === null ? null : producerErrorOf(err), body);
      },
      undefined,
      sizeHint,
    );
  }

  private handleProduceResponse(batches: ProducerBatch[], version: number, err: ProducerError | null, body: Reader | null): void {
    const now = Date.now();
    const { metadata, log } = this.ctx;
    if (err === null) {
      let res: ProduceResponse | null = null;
      try {
        res = decodeProduceResponse(body!, version);
      } catch (e) {
        err = new ProducerError(`Malformed Produce v${version} response: ${(e as Error).message}`);
      }
      if (res !== null) {
        const seen = new Set<ProducerBatch>();
        for (const t of res.responses) {
          for (const p of t.partitionResponses) {
            const b = batches.find((x) => x.partition === p.index && x.topic === t.name && !seen.has(x));
            if (b === undefined) {
              log.warn(`Produce response names ${t.name}-${p.index}, which the request did not carry`);
              continue;
            }
            seen.add(b);
            this.completeBatch(b, p.errorCode, p.baseOffset, p.logAppendTimeMs, p.logStartOffset, p.errorMessage, null, now);
          }
        }
        if (seen.size !== batches.length) {
          const missing = new ProducerError('Produce response did not answer every partition of the request');
          for (const b of batches) if (!seen.has(b)) this.completeBatch(b, 13, -1, -1, -1, null, missing, now);
        }
        this.runNow();
        return;
      }
    }
    // Disconnected or timed out: every batch of the request gets a retriable error.
    const code = err instanceof TimeoutError ? 7 : 13;
    for (const b of batches) this.completeBatch(b, code, -1, -1, -1, err!.message, err, now);
    metadata.requestUpdate();
    this.wakeup();
  }

  private canRetry(batch: ProducerBatch, code: number, logStartOffset: number, now: number): boolean {
    const { config, txn } = this.ctx;
    return (
      !batch.hasReachedDeliveryTimeout(config.deliveryTimeoutMs, now) &&
      batch.attempts < config.retries &&
      !batch.done &&
      (txn !== null ? txn.canRetry(code, logStartOffset, batch) : isRetriable(code))
    );
  }

  private completeBatch(
    batch: ProducerBatch,
    code: number,
    baseOffset: number,
    logAppendTime: number,
    logStartOffset: number,
    errorMessage: string | null,
    cause: ProducerError | null,
    now: number,
  ): void {
    const { accumulator, config, metadata, metrics, log } = this.ctx;
    batch.inFlight = false;
    const list = batch.pq.inFlight;
    const i = list.indexOf(batch);
    if (i >= 0) list.splice(i, 1);
    if (this.guaranteeMessageOrder) batch.pq.muted = false;
    if (code === 0) {
      this.completeSuccess(batch, baseOffset, logAppendTime);
      return;
    }
    if (code === 10 && batch.count > 1 && !batch.done) {
      // MESSAGE_TOO_LARGE for several records: split and retry (no retry budget used).
      log.info(`${batch.pq.name}: batch of ${batch.count} records (${batch.wire?.length ?? batch.pos} bytes) too large for the broker, splitting`);
      const parts = accumulator.splitAndReenqueue(batch);
      Promise.all(parts.map((p) => p.whenDone())).then(
        () => batch.finishSplit(),
        () => batch.finishSplit(),
      );
      return;
    }
    if (this.canRetry(batch, code, logStartOffset, now)) {
      log.debug(
        `${batch.pq.name}: retrying batch of ${batch.count} records (sequence ${batch.baseSequence}, attempt ${batch.attempts + 1}${config.retries < MAX_INT ? ` of ${config.retries}` : ''}) after ${cause?.message ?? `error ${code}`}`,
      );
      metrics.recordRetries += batch.count;
      accumulator.reenqueue(batch, now);
    } else if (code === 46) {
      // DUPLICATE_SEQUENCE_NUMBER: written before, the broker no longer knows the offset.
      this.completeSuccess(batch, -1, logAppendTime);
    } else {
      let err: ProducerError = cause ?? produceError(code, errorMessage);
      if (cause === null && err instanceof KafkaApiError && err.retriable) {
        const why = batch.hasReachedDeliveryTimeout(config.deliveryTimeoutMs, now) ? 'delivery.timeout.ms passed' : `retries (${config.retries}) exhausted`;
        err = new KafkaApiError(code, `${errorMessage ?? err.codeName} (${why} after ${batch.attempts + 1} attempt(s))`);
      }
      this.failBatch(batch, err, batch.attempts < config.retries);
    }
    if (isInvalidMetadata(code)) metadata.requestUpdate();
  }

  private completeSuccess(batch: ProducerBatch, baseOffset: number, logAppendTime: number): void {
    const { accumulator, metrics, txn } = this.ctx;
    if (txn !== null && batch.hasSequence) txn.handleCompletedBatch(batch, baseOffset);
    if (batch.complete(baseOffset, logAppendTime)) {
      metrics.recordsSent += batch.count;
      accumulator.deallocate(batch);
    }
  }

  failBatch(batch: ProducerBatch, error: ProducerError, adjustSequenceNumbers: boolean): void {
    const { accumulator, metrics, txn } = this.ctx;
    if (txn !== null && (batch.hasSequence || txn.isTransactional)) txn.handleFailedBatch(batch, error, adjustSequenceNumbers);
    if (batch.completeExceptionally(error)) {
      metrics.recordErrors += batch.count;
      accumulator.deallocate(batch);
    }
  }

  /** A batch of an aborted transaction fails without touching the transaction's state (Kafka's ProducerBatch.abort). */
  private abortBatch(batch: ProducerBatch, error: ProducerError): void {
    const { accumulator, metrics } = this.ctx;
    if (batch.completeExceptionally(error)) {
      metrics.recordErrors += batch.count;
      accumulator.deallocate(batch);
    }
  }

  /**
   * Kafka's maybeSendAndPollTransactionalRequest: send the next coordinator request if none is in
   * flight. While the transaction is to be aborted, batches never sent fail first. Returns ms
   * until the next pass is needed.
   */
  private maybeSendTransactionalRequest(now: number): number {
    const { client, accumulator, metadata, config, log } = this.ctx;
    const txn = this.ctx.txn!;
    if ((txn.hasAbortableError() || txn.isAborting()) && accumulator.incomplete.size > 0) {
      const err = txn.lastError ?? new TransactionAbortedError('Failing batch since transaction was aborted');
      for (const b of accumulator.takeUnsent()) this.abortBatch(b, err);
    }
    if (txn.inFlightRequest) return Infinity;
    const h = txn.nextRequest(accumulator.incomplete.size > 0);
    if (h === null) return Infinity;
    if (h.isRetry) {
      // A retry waits retry.backoff.ms (Java sleeps before sending it).
      if (h.notBefore === 0) h.notBefore = now + h.retryBackoffMs();
      if (now < h.notBefore) {
        txn.requeue(h);
        return h.notBefore - now;
      }
    }
    const type = h.coordinatorType();
    let node: number;
    if (type !== null) {
      const c = txn.coordinator(type);
      if (c === null) {
        txn.lookupCoordinator(type, h.coordinatorKey());
        txn.requeue(h);
        return 0;
      }
      // The coordinator may not be in the last metadata answer yet: make its address known.
      if (!metadata.brokers.has(c.nodeId)) client.updateNodes([...metadata.brokers.values(), c]);
      node = c.nodeId;
    } else {
      const n = client.leastLoadedNode(now);
      if (n === null) {
        txn.requeue(h);
        metadata.requestUpdate();
        return config.retryBackoffMs;
      }
      node = n;
    }
    if (!client.ready(node, now)) {
      const delay = client.connectionDelay(node, now);
      if (delay === Infinity) {
        h.connectingTo = node; // connecting: the connection's change wakes us
        txn.requeue(h);
        return Infinity;
      }
      if (delay > 0 && h.connectingTo !== node) {
        txn.requeue(h); // reconnect backoff after an earlier failure: connect once it is over
        return delay;
      }
      // Our connection attempt failed (or the address is unknown): find the coordinator again
      // (Java's maybeFindCoordinatorAndRetry), or other brokers, and retry after a backoff.
      h.connectingTo = null;
      if (type !== null) txn.lookupCoordinator(type, h.coordinatorKey());
      else metadata.requestUpdate();
      txn.retry(h);
      return Math.max(delay, 1);
    }
    h.connectingTo = null;
    if (!client.canSendMore(node)) {
      txn.requeue(h);
      return Infinity;
    }
    const conn = client.connection(node)!;
    if (type === 'transaction') txn.coordinatorSupportsBumpingEpoch = conn.version(INIT_PRODUCER_ID, 3, 5) >= 0;
    const version = conn.version(h.apiKey, h.minVersion, h.maxVersion);
    if (version < 0) {
      h.fatalError(new UnsupportedVersionError(`Node ${node} serves no version ${h.minVersion}-${h.maxVersion} of API ${h.apiKey}, which transactions need`));
      return 0;
    }
    h.notBefore = 0;
    txn.inFlightRequest = true;
    conn.sendRequest(
      h.apiKey,
      version,
      (w) => h.encode(w, version),
      (err, body) => {
        txn.inFlightRequest = false;
        try {
          if (err !== null) {
            log.debug(`transactional request (API ${h.apiKey}) to node ${node} failed: ${err.message}; retrying`);
            h.onDisconnect();
          } else {
            let res: unknown;
            try {
              res = h.decode(body!, version);
            } catch (e) {
              h.fatalError(new ProducerError(`Malformed response v${version} of API ${h.apiKey}: ${(e as Error).message}`));
              return;
            }
            h.handleResponse(res);
          }
        } catch (e) {
          log.error(`transactional response handling failed: ${(e as Error).stack ?? String(e)}`);
          if (!h.result.isCompleted) h.fatalError(e instanceof ProducerError ? e : new ProducerError(String(e), { cause: e }));
        } finally {
          this.wakeup();
        }
      },
    );
    return Infinity;
  }

  private maybeSendInitProducerId(now: number): number {
    const { client, txn, config, log } = this.ctx;
    if (txn === null || this.initInFlight) return Infinity;
    if (now < this.initRetryAt) return this.initRetryAt - now;
    const node = client.leastLoadedNode(now);
    if (node === null) return config.retryBackoffMs;
    if (!client.ready(node, now)) return client.connectionDelay(node, now);
    if (!client.canSendMore(node)) return Infinity;
    const conn = client.connection(node)!;
    const version = conn.version(INIT_PRODUCER_ID, 0, 1);
    if (version < 0) {
      txn.transitionToFatalError(
        new UnsupportedVersionError(`Node ${node} does not support InitProducerId v0-1, which enable.idempotence=true needs (set enableIdempotence: false for this broker)`),
      );
      this.wakeup();
      return Infinity;
    }
    this.initInFlight = true;
    conn.sendRequest(
      INIT_PRODUCER_ID,
      version,
      (w) => encodeInitProducerIdRequest(w, version, { transactionalId: null, transactionTimeoutMs: MAX_INT, producerId: -1, producerEpoch: -1 }),
      (err, body) => {
        this.initInFlight = false;
        const retry = (why: string) => {
          this.initAttempts++;
          this.initRetryAt = Date.now() + Math.min(config.retryBackoffMs * 2 ** (this.initAttempts - 1), config.retryBackoffMaxMs);
          log.debug(`InitProducerId failed (${why}), retrying`);
          this.wakeup();
        };
        if (err) return retry(err.message);
        let res;
        try {
          res = decodeInitProducerIdResponse(body!, version);
        } catch (e) {
          return retry((e as Error).message);
        }
        if (res.errorCode === 0) {
          this.initAttempts = 0;
          txn.setProducerIdAndEpoch(res.producerId, res.producerEpoch);
          log.debug(`producer id ${res.producerId}, epoch ${res.producerEpoch}`);
        } else if (isRetriable(res.errorCode)) {
          return retry(`error ${res.errorCode}`);
        } else {
          txn.transitionToFatalError(new KafkaApiError(res.errorCode, 'InitProducerId failed'));
        }
        this.wakeup();
      },
    );
    return Infinity;
  }

  private maybeUpdateMetadata(now: number): number {
    const { client, metadata, config, metrics } = this.ctx;
    if (this.metadataInFlight) return Infinity;
    const wait = metadata.timeToNextUpdate(now);
    if (wait > 0) return wait;
    const node = client.leastLoadedNode(now);
    if (node === null) return config.reconnectBackoffMs;
    if (!client.ready(node, now)) return client.connectionDelay(node, now);
    if (!client.canSendMore(node)) return Infinity;
    const conn = client.connection(node)!;
    const version = conn.version(METADATA, 1, 8);
    if (version < 0) {
      metadata.failedUpdate(now);
      return config.retryBackoffMaxMs;
    }
    const topics = metadata.topicsToRequest(now).map((name) => ({ topicId: ZERO_UUID, name }));
    metadata.beginRefresh(now);
    this.metadataInFlight = true;
    metrics.metadataRequests++;
    conn.sendRequest(
      METADATA,
      version,
      (w) => encodeMetadataRequest(w, version, { topics, allowAutoTopicCreation: config.allowAutoCreateTopics, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }),
      (err, body) => {
        this.metadataInFlight = false;
        const t = Date.now();
        if (err === null) {
          try {
            const res = decodeMetadataResponse(body!, version);
            client.updateNodes(res.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })));
            metadata.update(res, t);
          } catch (e) {
            this.ctx.log.warn(`bad Metadata response: ${(e as Error).message}`);
            metadata.failedUpdate(t);
          }
        } else {
          metadata.failedUpdate(t);
        }
        this.wakeup();
      },
    );
    return Infinity;
  }
}
