// Kafka's RecordAccumulator: per partition a queue of batches; the last one is open for
// appends. The Sender asks which leaders have sendable batches (ready), takes the first batch of
// each of a leader's partitions into one request (drain), expires batches past
// delivery.timeout.ms, and puts failed batches back in front for retries (in sequence order
// when idempotent).
import { Compression, COMPRESSION_NAMES, RECORDS_OFFSET } from '../protocol/recordBatch.js';
import { BufferPool } from './BufferPool.js';
import { ExponentialBackoff } from '../network/ExponentialBackoff.js';
import { ProducerBatch } from './ProducerBatch.js';
import type { ProducerConfig } from './ProducerConfig.js';
import type { TopicState } from './ProducerMetadata.js';
import type { TransactionManager } from './TransactionManager.js';

/** One topic-partition's queue (and, when idempotent, its sequence bookkeeping). */
export class PartitionQueue {
  readonly batches: ProducerBatch[] = [];
  /** Batches of this partition in unanswered requests, in drain order (for delivery.timeout.ms). */
  readonly inFlight: ProducerBatch[] = [];
  /** max.in.flight.requests.per.connection=1: one batch of the partition in flight at a time. */
  muted = false;

  // Idempotence (Kafka's TxnPartitionEntry)
  /** Producer id/epoch the partition's sequences belong to. */
  producerId = -1;
  producerEpoch = -1;
  nextSequence = 0;
  lastAckedSequence = -1;
  lastAckedOffset = -1;
  /** Sent batches not yet acknowledged or failed, by base sequence. */
  readonly inflightBySequence: ProducerBatch[] = [];

  constructor(
    readonly ts: TopicState,
    readonly partition: number,
  ) {}

  get topic(): string {
    return this.ts.name;
  }

  get name(): string {
    return `${this.ts.name}-${this.partition}`;
  }

  get leader(): number {
    return this.ts.leaderOf(this.partition);
  }
}

export interface ReadyResult {
  readyNodes: Set<number>;
  nextReadyCheckDelayMs: number;
  unknownLeaderTopics: Set<string>;
}

const EMPTY = Buffer.alloc(0);

export class RecordAccumulator {
  /** Every partition queue ever created, in creation order. */
  readonly queues: PartitionQueue[] = [];
  /** Batches not yet completed (queued or in flight). */
  readonly incomplete = new Set<ProducerBatch>();
  readonly pool: BufferPool;
  readonly retryBackoff: ExponentialBackoff;
  flushesInProgress = 0;
  closed = false;
  /** Sends are waiting for buffer memory: everything is sendable (Kafka's "exhausted"). */
  exhausted = false;
  nextBatchExpiryTimeMs = Infinity;
  private drainIndex = 0;
  private readonly compression: number;
  private readonly readyNodes = new Set<number>();
  private readonly unknownLeaderTopics = new Set<string>();
  txn: TransactionManager | null = null;

  constructor(private readonly config: ProducerConfig) {
    this.pool = new BufferPool(config.bufferMemory, config.batchSize);
    this.retryBackoff = new ExponentialBackoff(config.retryBackoffMs, 2, config.retryBackoffMaxMs, 0.2);
    this.compression = COMPRESSION_NAMES.indexOf(config.compressionType);
  }

  queue(ts: TopicState, partition: number): PartitionQueue {
    let q = ts.queues[partition];
    if (q === undefined) {
      q = new PartitionQueue(ts, partition);
      ts.queues[partition] = q;
      this.queues.push(q);
    }
    return q;
  }

  /** A new open batch at the end of pq's queue sized for `size` bytes, or null when buffer memory is used up. */
  newBatch(pq: PartitionQueue, recordBatchBytes: number, now: number): ProducerBatch | null {
    const size = Math.max(this.config.batchSize, recordBatchBytes);
    const buf = this.pool.tryAllocate(size);
    if (buf === null) return null;
    const batch = new ProducerBatch(pq, buf, size, now);
    if (this.txn !== null) this.txn.maybeAddPartition(pq);
    pq.batches.push(batch);
    this.incomplete.add(batch);
    return batch;
  }

  private backoffFor(batch: ProducerBatch): number {
    return batch.retryBackoffMs;
  }

  /** Leaders with a sendable batch, and how long until the next batch becomes sendable. */
  ready(now: number): ReadyResult {
    const readyNodes = this.readyNodes;
    const unknown = this.unknownLeaderTopics;
    readyNodes.clear();
    unknown.clear();
    let next = Infinity;
    const linger = this.config.lingerMs;
    const flushing = this.flushesInProgress > 0 || this.closed || this.exhausted || (this.txn !== null && this.txn.isCompleting());
    for (let i = 0; i < this.queues.length; i++) {
      const pq = this.queues[i]!;
      const batches = pq.batches;
      if (batches.length === 0) continue;
      const leader = pq.leader;
      if (leader < 0) {
        unknown.add(pq.topic);
        continue;
      }
      if (readyNodes.has(leader) || pq.muted) continue;
      const batch = batches[0]!;
      const waited = Math.max(now - batch.lastAttemptMs, 0);
      const backingOff = batch.attempts > 0 && waited < this.backoffFor(batch);
      const timeToWait = backingOff ? this.backoffFor(batch) : linger;
      const full = batches.length > 1 || batch.isFull;
      const expired = waited >= timeToWait;
      if ((full || expired || flushing) && !backingOff) readyNodes.add(leader);
      else {
        const left = Math.max(timeToWait - waited, 0);
        if (left < next) next = left;
      }
    }
    return { readyNodes, nextReadyCheckDelayMs: next, unknownLeaderTopics: unknown };
  }

  /** The first batch of each of the node's partitions, up to maxSize bytes (at least one batch). */
  drain(nodeId: number, maxSize: number, now: number): ProducerBatch[] {
    const out: ProducerBatch[] = [];
    const n = this.queues.length;
    if (n === 0) return out;
    let size = 0;
    const start = this.drainIndex % n;
    const txn = this.txn;
    for (let k = 0; k < n; k++) {
      const idx = (start + k) % n;
      const pq = this.queues[idx]!;
      if (pq.batches.length === 0 || pq.muted || pq.leader !== nodeId) continue;
      const first = pq.batches[0]!;
      if (first.attempts > 0 && now - first.lastAttemptMs < this.backoffFor(first)) continue;
      if (size + first.estimatedSizeInBytes > maxSize && out.length > 0) {
        this.drainIndex = idx;
        return out;
      }
      if (txn !== null && txn.shouldStopDrain(first, pq)) {
        this.drainIndex = idx + 1;
        return out;
      }
      const batch = pq.batches.shift()!;
      if (txn !== null && !batch.hasSequence) txn.assignSequence(batch, pq);
      const wire = batch.close(this.compression, this.config.compressionGzipLevel);
      size += wire.length;
      batch.drainedMs = now;
      out.push(batch);
    }
    this.drainIndex = start + 1;
    return out;
  }

  /** Queued batches past delivery.timeout.ms (in flight ones are the Sender's). */
  expiredBatches(now: number): ProducerBatch[] {
    const out: ProducerBatch[] = [];
    const timeout = this.config.deliveryTimeoutMs;
    let next = Infinity;
    for (const pq of this.queues) {
      const b = pq.batches;
      while (b.length > 0) {
        const first = b[0]!;
        if (first.hasReachedDeliveryTimeout(timeout, now)) {
          b.shift();
          out.push(first);
        } else {
          const at = first.createdMs + timeout;
          if (at < next) next = at;
          break;
        }
      }
    }
    this.nextBatchExpiryTimeMs = next;
    return out;
  }

  /** Note an in-flight batch's expiry time (Kafka's maybeUpdateNextBatchExpiryTime). */
  noteExpiry(batch: ProducerBatch): void {
    const at = batch.createdMs + this.config.deliveryTimeoutMs;
    if (at < this.nextBatchExpiryTimeMs) this.nextBatchExpiryTimeMs = at;
  }

  /** Put a batch back in front of its queue for a retry. */
  reenqueue(batch: ProducerBatch, now: number): void {
    batch.reenqueued(now);
    batch.retryBackoffMs = this.retryBackoff.backoff(batch.attempts - 1);
    const q = batch.pq.batches;
    if (this.txn !== null && batch.hasSequence) {
      let i = 0;
      while (i < q.length && q[i]!.hasSequence && q[i]!.baseSequence < batch.baseSequence) i++;
      q.splice(i, 0, batch);
    } else {
      q.unshift(batch);
    }
  }

  /**
   * MESSAGE_TOO_LARGE for a batch of several records: split it in two halves and put them back
   * in front (Kafka splits by batch.size; halving always converges to single records). Returns
   * the number of new batches.
   */
  splitAndReenqueue(big: ProducerBatch): ProducerBatch[] {
    const decoded = big.decodeRecords();
    const half = Math.ceil(big.count / 2);
    const parts: ProducerBatch[] = [];
    const ranges = [
      [0, half],
      [half, big.count],
    ] as const;
    for (const [from, to] of ranges) {
      let bytes = RECORDS_OFFSET;
      for (let i = from; i < to; i++) bytes += decoded[i]!.size + 10;
      const nb = new ProducerBatch(big.pq, Buffer.allocUnsafe(bytes), 0, big.createdMs);
      nb.attempts = big.attempts;
      nb.lastAttemptMs = big.lastAttemptMs;
      for (let i = from; i < to; i++) {
        const r = decoded[i]!;
        nb.tryAppend(big.timestamps[i]!, r.key, r.key === null ? -1 : r.key.length, r.value, r.value === null ? -1 : r.value.length, r.headers, r.headersBytes, big.callbacks?.[i] ?? null);
      }
      parts.push(nb);
    }
    this.incomplete.delete(big);
    this.pool.deallocate(big.buf, big.allocSize, !big.inFlight);
    big.markSplit(parts, half);
    const q = big.pq.batches;
    if (this.txn !== null && big.hasSequence) {
      this.txn.replaceWithSplit(big, parts);
      for (let k = parts.length - 1; k >= 0; k--) {
        this.incomplete.add(parts[k]!);
      }
      for (const p of parts) this.reenqueueSplit(p);
    } else {
      for (let k = parts.length - 1; k >= 0; k--) {
        this.incomplete.add(parts[k]!);
        q.unshift(parts[k]!);
      }
    }
    return parts;
  }

  private reenqueueSplit(batch: ProducerBatch): void {
    const q = batch.pq.batches;
    let i = 0;
    while (i < q.length && q[i]!.hasSequence && q[i]!.baseSequence < batch.baseSequence) i++;
    q.splice(i, 0, batch);
  }

  /** Return a completed batch's memory. */
  deallocate(batch: ProducerBatch): void {
    this.incomplete.delete(batch);
    if (batch.allocSize === 0) return; // split batches live outside the pool
    // A batch failed while its request is still unanswered may still be queued in a socket
    // write: give the memory back but never reuse that buffer.
    const shared = this.compression === Compression.NONE;
    this.pool.deallocate(batch.buf, batch.allocSize, !(batch.inFlight && shared));
    batch.buf = EMPTY;
  }

  /**
   * Queued batches never sent (not closed), removed from their queues: an aborted transaction
   * fails them (Kafka's abortUndrainedBatches). Batches waiting for a retry stay.
   */
  takeUnsent(): ProducerBatch[] {
    const out: ProducerBatch[] = [];
    for (const pq of this.queues) {
      const q = pq.batches;
      if (q.length === 0) continue;
      let kept = 0;
      for (let i = 0; i < q.length; i++) {
        const b = q[i]!;
        if (b.isClosed) q[kept++] = b;
        else out.push(b);
      }
      q.length = kept;
    }
    return out;
  }

  /** Queued (not in flight) batches, removed from their queues. */
  takeUndrained(): ProducerBatch[] {
    const out: ProducerBatch[] = [];
    for (const pq of this.queues) out.push(...pq.batches.splice(0));
    return out;
  }
}
