// The sends that Java's KafkaProducer.send() would block on: the topic's metadata is not known
// yet (waitOnMetadata) or buffer.memory is used up (BufferPool.allocate). Node must not block,
// so they wait here, in send order (a FIFO: WaitingSends), for at most max.block.ms, and are
// appended as soon as metadata or memory comes back. While any waits the producer's
// `needsDrain` is true; a 'drain' event follows once none does (as stream.Writable's).
import type { EventEmitter } from 'node:events';
import type { Logger } from '../logger.js';
import { contain } from '../util/CrashBoundary.js';
import { BufferExhaustedError, ProducerClosedError, SerializationError, TimeoutError, type ProducerError } from './errors.js';
import type { ProducerBatch } from './ProducerBatch.js';
import type { ProducerConfig } from './ProducerConfig.js';
import type { ProducerMetrics } from './ProducerMetrics.js';
import type { ProducerRecord, RecordMetadata, SendCallback } from './ProducerRecord.js';
import type { RecordAccumulator } from './RecordAccumulator.js';
import type { Sender } from './Sender.js';
import type { TransactionManager } from './TransactionManager.js';
import { WaitingGroup, WaitingSends } from './WaitingSends.js';

// What the producer's tryAppend returns when the send did not fail: appended, or it must wait.
export const APPENDED = 0;
export const WAIT_METADATA = 1;
export const WAIT_MEMORY = 2;

/** What the waiting sends need of their producer. */
export interface BlockedSendsHost {
  readonly config: Pick<ProducerConfig, 'maxBlockMs' | 'bufferMemory'>;
  readonly txn: TransactionManager | null;
  /** Its `exhausted` is set while the oldest waiting send waits for memory (everything is sendable then). */
  readonly accumulator: Pick<RecordAccumulator, 'exhausted'>;
  readonly sender: Pick<Sender, 'wakeup'>;
  readonly stats: ProducerMetrics;
  readonly log: Logger;
  /** The producer itself: it emits 'drain'. */
  readonly events: Pick<EventEmitter, 'listenerCount' | 'emit'>;
  /** Partition and append a record: APPENDED, WAIT_METADATA, WAIT_MEMORY, or why it fails. */
  tryAppend(record: ProducerRecord, ts: number, cb: SendCallback | null, now: number): number | ProducerError;
  /** The batch the last APPENDED record went to. */
  appendedTo(): ProducerBatch;
}

export class BlockedSends {
  /** Sends waiting for metadata or memory: record, send time, its callback or WaitingGroup, its index in the group. */
  readonly queue = new WaitingSends();
  /** What the oldest waiting send waits for. */
  private headWaitsFor: 'metadata' | 'memory' = 'memory';
  /** When the oldest waiting send became the oldest (its max.block.ms for memory counts from then). */
  private headSince = 0;
  private drainScheduled = false;
  /** A send waited since the last 'drain': one is due once none waits. */
  private drainOwed = false;
  private timer: NodeJS.Timeout | null = null;
  private drainedWaiters: (() => void)[] = [];
  private draining = false;
  /** close() gave up waiting: waiting sends fail. */
  private forced = false;
  /** Set while sends waiting for metadata fail with an authentication error (Kafka's Metadata.fatalError). */
  private metadataError: ProducerError | null = null;
  /** The group that waiting sends without a callback join (a new one once it is sealed). */
  private group: WaitingGroup | null = null;

  constructor(private readonly host: BlockedSendsHost) {}

  /**
   * A send that must wait (tryAppend said `waitsFor`, or others already wait), behind any send
   * already waiting (order is kept): with a callback nothing is returned, else its promise.
   */
  wait(record: ProducerRecord, now: number, cb: SendCallback | null, waitsFor: number): Promise<RecordMetadata> | undefined {
    if (this.queue.length === 0) this.headWaitsFor = waitsFor === WAIT_METADATA ? 'metadata' : 'memory';
    if (cb !== null) {
      this.enqueue(record, now, cb, 0);
      return undefined;
    }
    let g = this.group;
    if (g === null || g.sealed) g = this.group = new WaitingGroup();
    const index = g.size;
    const promise = g.join();
    this.enqueue(record, now, g, index);
    return promise;
  }

  /** A send failed: its callback gets the error (a callback that throws is logged). */
  failSend(cb: SendCallback, err: ProducerError): void {
    this.host.stats.recordErrors++;
    try {
      cb(err, null);
    } catch (e) {
      this.host.log.error(`send callback threw: ${(e as Error)?.stack ?? String(e)}`);
    }
  }

  /** A waiting send failed: its callback, or its group member. */
  private failWaiting(completion: SendCallback | WaitingGroup, index: number, err: ProducerError): void {
    if (this.host.txn !== null) this.host.txn.maybeTransitionOnSendError(err);
    if (completion instanceof WaitingGroup) {
      this.host.stats.recordErrors++;
      completion.failed(index, err);
    } else this.failSend(completion, err);
  }

  /** Queue a send: its callback, or its group and index in it. */
  private enqueue(record: ProducerRecord, now: number, completion: SendCallback | WaitingGroup, index: number): void {
    this.queue.push(record, now, completion, index, null);
    this.drainOwed = true;
    if (this.queue.length === 1) this.headSince = now;
    if (this.queue.length === 1 && this.headWaitsFor === 'memory') {
      this.host.accumulator.exhausted = true;
      this.host.sender.wakeup();
    }
    this.armTimer();
  }

  /**
   * When the oldest waiting send fails. Java's send() blocks its caller, so the next send's
   * max.block.ms starts when that one returns: a send waiting for memory has max.block.ms from
   * when it became the oldest (sends queued behind it are the ones a Java caller had not made
   * yet), so a long queue keeps draining while memory keeps coming back. Metadata waits count
   * from send(): every send to a topic that never appears fails max.block.ms after it was made.
   */
  private headDeadline(): number {
    const w = this.queue;
    const since = this.headWaitsFor === 'memory' ? Math.max(w.time, this.headSince) : w.time;
    return since + this.host.config.maxBlockMs;
  }

  private armTimer(): void {
    if (this.timer !== null || this.queue.length === 0) return;
    const wait = Math.max(this.headDeadline() - Date.now(), 0);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.expire();
    }, wait + 1);
  }

  /** Fail sends that waited max.block.ms (Kafka's TimeoutException / BufferExhaustedException). */
  private expire(): void {
    const now = Date.now();
    const w = this.queue;
    const max = this.host.config.maxBlockMs;
    while (w.length > 0 && this.headDeadline() <= now) {
      const record = w.record;
      const completion = w.a as SendCallback | WaitingGroup;
      const index = w.b as number;
      w.shift();
      this.headSince = now;
      const ctx = { record: { topic: record.topic, key: record.key ?? null, partition: record.partition } };
      const err =
        this.headWaitsFor === 'metadata'
          ? new TimeoutError(`Topic ${record.topic} not present in metadata after ${max} ms.`, ctx)
          : new BufferExhaustedError(`Failed to allocate memory within the configured max blocking time ${max} ms. (buffer.memory = ${this.host.config.bufferMemory})`, ctx);
      this.failWaiting(completion, index, err);
      this.drain(); // the next send may go through now; if not, what it waits for
    }
    this.drain();
  }

  /** Append waiting sends in order, as far as metadata and memory allow. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    const { txn } = this.host;
    try {
      const now = Date.now();
      const w = this.queue;
      while (w.length > 0) {
        const record = w.record;
        const completion = w.a as SendCallback | WaitingGroup;
        const index = w.b as number;
        const cb = completion instanceof WaitingGroup ? null : completion;
        const refused = this.forced ? null : txn !== null && txn.refusesSends ? txn.sendError(String(record.topic)) : null;
        if (this.forced || refused !== null) {
          w.shift();
          const ctx = { topic: record.topic, key: record.key ?? null };
          const err = this.forced ? new ProducerClosedError('Producer closed while send in progress', { record: ctx }) : txn!.isTransactional ? refused!.forRecord(ctx) : txn!.lastError!.forRecord(ctx);
          this.failWaiting(completion, index, err);
          continue;
        }
        let r: number | ProducerError;
        try {
          r = this.host.tryAppend(record, record.timestamp ?? w.time, cb, now);
        } catch (err) {
          r = new SerializationError(`Cannot send this record: ${(err as Error)?.message ?? String(err)}`, { cause: err, record: { topic: String(record.topic) } });
        }
        if (r === WAIT_METADATA && this.metadataError !== null) r = this.metadataError.forRecord({ topic: record.topic, key: record.key ?? null });
        if (r === WAIT_METADATA || r === WAIT_MEMORY) {
          this.headWaitsFor = r === WAIT_METADATA ? 'metadata' : 'memory';
          break;
        }
        w.shift();
        this.headSince = now;
        if (r !== APPENDED) this.failWaiting(completion, index, r as ProducerError);
        else if (cb === null) (completion as WaitingGroup).appended(index, this.host.appendedTo());
      }
    } finally {
      this.draining = false;
    }
    const empty = this.queue.length === 0;
    this.host.accumulator.exhausted = !empty && this.headWaitsFor === 'memory';
    if (empty) {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      const w = this.drainedWaiters;
      this.drainedWaiters = [];
      for (const f of w) f();
      this.scheduleDrainEvent();
    } else {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      this.armTimer();
      if (this.host.accumulator.exhausted) this.host.sender.wakeup();
    }
  }

  /** Sends waiting for metadata fail with `err` (authentication failed: Kafka's Metadata.fatalError). */
  failMetadataWaits(err: ProducerError): void {
    this.metadataError = err;
    try {
      this.drain();
    } finally {
      this.metadataError = null;
    }
  }

  /** close() gave up waiting: from the next drain() on, every waiting send fails with ProducerClosedError. */
  closeForcefully(): void {
    this.forced = true;
  }

  /** Resolves once no send waits. */
  drained(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainedWaiters.push(resolve));
  }

  /** 'drain' is emitted on a later tick once no send is waiting (and still none is). */
  private scheduleDrainEvent(): void {
    if (!this.drainOwed) return;
    this.drainOwed = false;
    const events = this.host.events;
    if (this.drainScheduled || events.listenerCount('drain') === 0) return;
    this.drainScheduled = true;
    process.nextTick(() => {
      this.drainScheduled = false;
      if (this.queue.length === 0) contain(this.host.log, "a 'drain' listener", () => events.emit('drain'));
    });
  }
}
