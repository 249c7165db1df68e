// One partition batch (Kafka's ProducerBatch + MemoryRecordsBuilder): records are encoded
// straight into a pooled buffer as they are appended; the header, the producer state and the
// CRC are written once when the batch is closed for sending. It also holds the records'
// callbacks and timestamps (per-record slots sized for the records the buffer holds, so
// appending adds no growth garbage), and one promise its records' promises derive from; it completes them all in
// one pass, building each RecordMetadata only as its promise is resolved.
import { compress } from '../protocol/compression/index.js';
import { BATCH_HEADER_SIZE, Compression, RECORDS_OFFSET, TRANSACTIONAL_MASK, readRecordField, readVarint, readVarlong, recordFieldEnd, varintEnd } from '../protocol/recordBatch.js';
import {
  forEachRecordSpan,
  setProducerState,
  sizeOfRecordBody,
  sizeOfRecordHeaders,
  sizeOfRecordInBatch,
  writeBatchHeader,
  writeRecordInPlace,
  type RecordBytes,
  type RecordHeaderInput,
} from '../protocol/recordBatchBuilder.js';
import type { ProducerError } from './errors.js';
import { markHandled } from './FutureRecordMetadata.js';
import type { RecordMetadata, SendCallback } from './ProducerRecord.js';
import type { PartitionQueue } from './RecordAccumulator.js';

export interface DecodedProducerRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[] | null;
  headersBytes: number;
  /** Encoded size in the batch (length varint included). */
  size: number;
}



/** Per-record slots a batch starts with; once they fill, as many as the buffer holds records of the average size so far, then double. */
const FIRST_SLOTS = 16;
const NO_TIMESTAMPS = new Float64Array(0);

let capturedVoid: (() => void) | null = null;
function captureVoid(resolve: () => void): void {
  capturedVoid = resolve;
}

/** Reports exceptions thrown by user callbacks (set by the Producer). */
export let onCallbackError: (err: unknown) => void = () => {};
export function setCallbackErrorHandler(fn: (err: unknown) => void): void {
  onCallbackError = fn;
}

/** A slot array of `cap` entries holding the first n of `from` (the rest holes). */
function copySlots<T>(from: T[], n: number, cap: number): T[] {
  const to = new Array<T>(cap);
  for (let i = 0; i < n; i++) to[i] = from[i]!;
  return to;
}

export class ProducerBatch {
  /** Write position: records occupy [RECORDS_OFFSET, pos). */
  pos = RECORDS_OFFSET;
  count = 0;
  baseTimestamp = 0;
  maxTimestamp = -1;
  /**
   * Each record's timestamp (for its RecordMetadata), by record index, off the JS heap; its
   * length is the capacity of all per-record slots (see growSlots).
   */
  timestamps: Float64Array = NO_TIMESTAMPS;
  /**
   * Callbacks of records sent with one, by record index (null until the first such record, then
   * as many slots as `timestamps`; records without one leave null or a hole).
   */
  callbacks: (SendCallback | null | undefined)[] | null = null;
  /**
   * The fast path: one promise per batch, resolved once its outcome is final; each record
   * promise made at append is `settled.then(pick)`, a derived promise with no settle functions
   * of its own. Reactions run in the order they were added, so `pick` hands out the records'
   * outcomes in append order.
   */
  private settled: Promise<void> | null = null;
  private settleAll: (() => void) | null = null;
  private pick: (() => RecordMetadata) | null = null;
  /** The derived record promises by record index (holes for callback records): their order, and failures to mark handled. */
  private derived: (Promise<RecordMetadata> | undefined)[] | null = null;
  private followers: Promise<RecordMetadata>[] | null = null;
  /** The record index the next reaction of `settled` looks for its promise from. */
  private picked = 0;
  /** Set when the batch was split: its records live on in these batches. */
  private splitParts: ProducerBatch[] | null = null;
  private splitAt = 0;
  /** Outcome, once done. */
  resultBaseOffset = -1;
  resultLogAppendTime = -1;
  resultError: ProducerError | null = null;
  private failedKeys: (Buffer | null)[] | null = null;

  attempts = 0;
  lastAttemptMs: number;
  /** Backoff before the current retry (set when re-enqueued). */
  retryBackoffMs = 0;
  drainedMs = 0;

  producerId = -1;
  producerEpoch = -1;
  baseSequence = -1;
  /** Sequences were rewritten after an epoch bump (Kafka's "reopened"). */
  sequenceHasBeenReset = false;
  /** Part of a transaction: the batch header carries the transactional bit. */
  transactional = false;

  /** Bytes to send once closed (a view of buf, or the compressed output). */
  wire: Buffer | null = null;
  done = false;
  /** Part of a request that has not been answered. */
  inFlight = false;
  /** Whether a request carrying this batch has ever been written (its buffer may be referenced by a socket). */
  everSent = false;
  private doneWaiters: (() => void)[] | null = null;

  constructor(
    readonly pq: PartitionQueue,
    public buf: Buffer,
    /** Bytes counted against buffer.memory (0 for split batches, which are outside the pool). */
    readonly allocSize: number,
    readonly createdMs: number,
  ) {
    this.lastAttemptMs = createdMs;
  }

  get topic(): string {
    return this.pq.topic;
  }

  get partition(): number {
    return this.pq.partition;
  }

  get hasSequence(): boolean {
    return this.baseSequence >= 0;
  }

  get lastSequence(): number {
    // wraps like Kafka's DefaultRecordBatch.incrementSequence
    const s = this.baseSequence + this.count - 1;
    return s > 0x7fffffff ? s - 0x80000000 : s;
  }

  get isClosed(): boolean {
    return this.wire !== null;
  }

  /** No further record fits (Kafka's isFull). */
  get isFull(): boolean {
    return this.wire !== null || this.buf.length - this.pos < 7;
  }

  get estimatedSizeInBytes(): number {
    return this.wire !== null ? this.wire.length : this.pos;
  }

  /** Uncompressed size of the records section. */
  get uncompressedBytes(): number {
    return this.pos - RECORDS_OFFSET;
  }

  get inRetry(): boolean {
    return this.attempts > 0;
  }

  hasReachedDeliveryTimeout(deliveryTimeoutMs: number, now: number): boolean {
    return deliveryTimeoutMs <= now - this.createdMs;
  }

  /**
   * Encode one record at the end of the batch if it fits (the first record always fits: the
   * buffer was sized for it). keyLen/valueLen are byte lengths, -1 for null.
   */
  tryAppend(
    timestamp: number,
    key: RecordBytes,
    keyLen: number,
    value: RecordBytes,
    valueLen: number,
    headers: readonly RecordHeaderInput[] | null,
    headersBytes: number,
    callback: SendCallback | null,
  ): boolean {
    if (this.wire !== null) return false;
    const n = this.count;
    if (n === 0) this.baseTimestamp = timestamp;
    const tsDelta = timestamp - this.baseTimestamp;
    const body = sizeOfRecordBody(n, tsDelta, keyLen, valueLen, headers === null ? 0 : headers.length, headersBytes);
    const size = sizeOfRecordInBatch(body);
    if (this.pos + size > this.buf.length) return false;
    this.pos = writeRecordInPlace(this.buf, this.pos, body, n, tsDelta, key, keyLen, value, valueLen, headers);
    this.count = n + 1;
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
    let ts = this.timestamps;
    if (n === ts.length) ts = this.growSlots(n);
    ts[n] = timestamp;
    if (callback !== null) {
      let cbs = this.callbacks;
      if (cbs === null) cbs = this.callbacks = new Array<SendCallback | null>(ts.length).fill(null);
      cbs[n] = callback;
    }
    return true;
  }

  /**
   * The per-record slots are full (n records, the one just written included in `pos`): a new
   * batch gets FIRST_SLOTS (a batch that stays small costs little), a batch that fills them as
   * many as its buffer holds records of the average size so far, and after that twice as many.
   * So a batch's slots are reallocated about twice however many records it takes, instead of
   * growing by half with every few records (no young-generation garbage per record).
   */
  private growSlots(n: number): Float64Array {
    let cap = FIRST_SLOTS;
    if (n >= FIRST_SLOTS * 2) cap = n * 2;
    else if (n > 0) cap = Math.max(n * 2, Math.ceil(((this.buf.length - RECORDS_OFFSET) * (n + 1)) / (this.pos - RECORDS_OFFSET)) + 1);
    const ts = new Float64Array(cap);
    if (n > 0) ts.set(this.timestamps);
    this.timestamps = ts;
    const d = this.derived;
    if (d !== null) this.derived = copySlots(d, n, cap);
    const c = this.callbacks;
    if (c !== null) this.callbacks = copySlots(c, n, cap);
    return ts;
  }

  /**
   * A promise for the record just appended (send() without a callback). `follower` is a
   * promise that will follow it (a waiting send's), to be marked handled too if it fails.
   */
  derivePromise(follower: Promise<RecordMetadata> | null = null): Promise<RecordMetadata> {
    let d = this.settled;
    let slots = this.derived;
    if (d === null || slots === null) {
      d = this.settled = new Promise<void>(captureVoid);
      this.settleAll = capturedVoid;
      this.pick = () => this.outcome();
      // One slot per record the batch is expected to hold (holey: callback records leave holes).
      slots = this.derived = new Array<Promise<RecordMetadata> | undefined>(this.timestamps.length);
    }
    const p = d.then(this.pick);
    slots[this.count - 1] = p;
    if (follower !== null) (this.followers ??= []).push(follower);
    return p;
  }

  /**
   * The next derived record's outcome (called by the reactions of `settled`, which run in the
   * order they were added: append order); throws its error. The common case (one batch, no
   * error) builds the RecordMetadata and nothing else.
   */
  private outcome(): RecordMetadata {
    const slots = this.derived!;
    let i = this.picked;
    while (slots[i] === undefined && i < this.count) i++;
    this.picked = i + 1;
    if (this.splitParts === null && this.resultError === null) {
      const base = this.resultBaseOffset;
      const lat = this.resultLogAppendTime;
      return { topic: this.pq.topic, partition: this.pq.partition, offset: base < 0 ? -1 : base + i, timestamp: lat >= 0 ? lat : this.timestamps[i]! };
    }
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let b: ProducerBatch = this;
    while (b.splitParts !== null) {
      if (i < b.splitAt) b = b.splitParts[0]!;
      else {
        i -= b.splitAt;
        b = b.splitParts[1]!;
      }
    }
    const err = b.errorFor(i);
    if (err !== null) throw err;
    return b.metadataFor(i);
  }

  /** Settle the derived record promises (marking them handled first if any may fail). */
  private settleDerived(mayFail: boolean): void {
    const settle = this.settleAll;
    if (settle === null) return;
    this.settleAll = null;
    if (mayFail) {
      const slots = this.derived!;
      for (let i = 0; i < this.count; i++) {
        const p = slots[i];
        if (p !== undefined) markHandled(p);
      }
      if (this.followers !== null) for (const p of this.followers) markHandled(p);
    }
    this.followers = null;
    settle();
  }

  /** Producer id, epoch and base sequence for an idempotent batch (before close, or rewriting a closed one). */
  setProducerState(producerId: number, producerEpoch: number, baseSequence: number): void {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.baseSequence = baseSequence;
    if (this.wire !== null) setProducerState(this.wire, 0, producerId, producerEpoch, baseSequence);
  }

  /** Kafka's resetProducerState: new epoch/sequence after an epoch bump (the batch may be resent). */
  resetProducerState(producerId: number, producerEpoch: number, baseSequence: number): void {
    this.sequenceHasBeenReset = true;
    this.setProducerState(producerId, producerEpoch, baseSequence);
  }

  /** Close for appends: write the header (and compress), compute the CRC once. Idempotent. */
  close(compression: number, gzipLevel: number): Buffer {
    if (this.wire !== null) return this.wire;
    const fields = {
      size: this.pos,
      attributes: this.transactional ? compression | TRANSACTIONAL_MASK : compression,
      recordCount: this.count,
      baseTimestamp: this.baseTimestamp,
      maxTimestamp: this.maxTimestamp,
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      baseSequence: this.baseSequence,
    };
    if (compression !== Compression.NONE) {
      const z = compress(compression, this.buf.subarray(RECORDS_OFFSET, this.pos), { gzipLevel });
      const out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + z.length);
      out.set(z, BATCH_HEADER_SIZE);
      fields.size = out.length;
      writeBatchHeader(out, 0, fields);
      this.wire = out;
    } else {
      writeBatchHeader(this.buf, 0, fields);
      this.wire = this.buf.subarray(0, this.pos);
    }
    return this.wire;
  }

  /** Kafka's reenqueued(): one more attempt, backoff counted from now. */
  reenqueued(now: number): void {
    this.attempts++;
    this.lastAttemptMs = now;
  }

  /** Acknowledged: complete every record. baseOffset -1 = unknown (acks=0). */
  complete(baseOffset: number, logAppendTime: number): boolean {
    if (this.done) return false;
    this.done = true;
    this.resultBaseOffset = baseOffset;
    this.resultLogAppendTime = logAppendTime;
    const cbs = this.callbacks;
    if (cbs !== null) {
      for (let i = 0; i < this.count; i++) {
        const cb = cbs[i];
        if (cb == null) continue;
        try {
          cb(null, this.metadataFor(i));
        } catch (err) {
          onCallbackError(err);
        }
      }
    }
    this.settleDerived(false);
    this.release();
    return true;
  }

  /** Failed: every record fails with a copy of `error` naming it (position in the batch, key). */
  completeExceptionally(error: ProducerError): boolean {
    if (this.done) return false;
    this.done = true;
    this.resultError = error;
    this.failedKeys = this.recordKeys();
    const cbs = this.callbacks;
    if (cbs !== null) {
      for (let i = 0; i < this.count; i++) {
        const cb = cbs[i];
        if (cb == null) continue;
        try {
          cb(this.errorFor(i), null);
        } catch (err) {
          onCallbackError(err);
        }
      }
    }
    this.settleDerived(true);
    this.release();
    return true;
  }

  metadataFor(i: number): RecordMetadata {
    const base = this.resultBaseOffset;
    const lat = this.resultLogAppendTime;
    return { topic: this.pq.topic, partition: this.pq.partition, offset: base < 0 ? -1 : base + i, timestamp: lat >= 0 ? lat : this.timestamps[i]! };
  }

  errorFor(i: number): ProducerError | null {
    const e = this.resultError;
    if (e === null) return null;
    return e.forRecord({ topic: this.pq.topic, partition: this.pq.partition, batchIndex: i, batchSize: this.count, key: this.failedKeys?.[i] ?? null });
  }

  /** This batch was split into `parts` (records [0, at) in the first): callbacks moved there; its promises settle when both are done (finishSplit). */
  markSplit(parts: ProducerBatch[], at: number): void {
    this.splitParts = parts;
    this.splitAt = at;
    this.done = true;
    this.callbacks = null;
  }

  /** Resolves when the batch is done (flush). */
  whenDone(): Promise<void> {
    if (this.done) return Promise.resolve();
    return new Promise((resolve) => (this.doneWaiters ??= []).push(resolve));
  }

  /** The halves of a split batch are done: release whoever waits on this one (flush). */
  finishSplit(): void {
    this.settleDerived(true);
    const w = this.doneWaiters;
    this.doneWaiters = null;
    if (w) for (const f of w) f();
  }

  private release(): void {
    this.callbacks = null;
    const w = this.doneWaiters;
    this.doneWaiters = null;
    if (w) for (const f of w) f();
  }

  /** The records, decoded from the (uncompressed) records section (for splitting). */
  decodeRecords(): DecodedProducerRecord[] {
    const out: DecodedProducerRecord[] = [];
    const buf = this.buf;
    forEachRecordSpan(buf, RECORDS_OFFSET, this.pos, (start, end) => {
      readVarint(buf, start, end);
      readVarlong(buf, varintEnd() + 1, end);
      readVarint(buf, varintEnd(), end);
      const key = readRecordField(buf, varintEnd(), end);
      const value = readRecordField(buf, recordFieldEnd(), end);
      const hc = readVarint(buf, recordFieldEnd(), end);
      let p = varintEnd();
      const headers: { key: string; value: Buffer | null }[] = [];
      for (let h = 0; h < hc; h++) {
        const kl = readVarint(buf, p, end);
        const kp = varintEnd();
        const hk = buf.toString('utf8', kp, kp + kl);
        const hv = readRecordField(buf, kp + kl, end);
        p = recordFieldEnd();
        headers.push({ key: hk, value: hv });
      }
      out.push({ key, value, headers: headers.length ? headers : null, headersBytes: sizeOfRecordHeaders(headers), size: end - start });
    });
    return out;
  }

  /** Keys of the records, decoded from the (uncompressed) records section. */
  recordKeys(): (Buffer | null)[] {
    const keys: (Buffer | null)[] = [];
    const buf = this.buf;
    try {
      forEachRecordSpan(buf, RECORDS_OFFSET, this.pos, (start, end) => {
        readVarint(buf, start, end);
        readVarlong(buf, varintEnd() + 1, end); // after attributes: timestampDelta
        readVarint(buf, varintEnd(), end); // offsetDelta
        const kl = readVarint(buf, varintEnd(), end);
        const p = varintEnd();
        keys.push(kl < 0 ? null : Buffer.from(buf.subarray(p, p + kl)));
      });
    } catch {
      // keys are a courtesy for error messages
    }
    return keys;
  }
}
