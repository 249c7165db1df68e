// One partition of a coordinator's internal topic (__consumer_offsets, __transaction_state)
// while this broker leads it: what Kafka's coordinator runtime does for one shard, minus the
// threads. The records are the runtime user's (R), read and written through its codec.
//
// - Loading: on becoming leader, the log is replayed from its start offset to its end, in
//   slices of at most LOAD_SLICE_MS so that a long log does not stall the event loop; the
//   coordinator answers COORDINATOR_LOAD_IN_PROGRESS for the partition's groups meanwhile.
// - Writing: records are appended like an acks=all produce (Partition.appendRecordsToLeader
//   with acks -1: NOT_ENOUGH_REPLICAS when the ISR is below min.insync.replicas), as one
//   append, and the caller is answered once the high watermark passes them
//   (offsets.commit.timeout.ms on the coordinator's clock, then REQUEST_TIMED_OUT). A write's onCommit runs when the
//   high watermark passes it, in log order, even if its caller already timed out, so state
//   built from committed records matches what a new leader would load.
// - Compaction: Kafka's log cleaner is not implemented; instead, once the log holds far more
//   records than live keys, the leader rolls a segment, appends the last record of every live
//   key (its `live` view, which is exactly what replaying the log yields), waits until the high
//   watermark passes that copy, and then moves the log start offset to it. Every ISR replica
//   then holds the copy, followers follow the leader's log start offset from Fetch responses,
//   and replaying from the new start gives the same state: nothing committed is lost.
// - Transactions (transactional offset commits): a write with `txn` is one transactional batch
//   of that producer (sequence -1); its records stay out of `live` while the transaction is
//   open and enter it at the producer's COMMIT marker (unless a later record of the same key is
//   already there, Kafka's rule), or are dropped at ABORT. Loading hands each record its
//   producer id (-1 outside transactions) and each marker to the caller. No compaction runs
//   while a transaction is open here, so the log start offset never passes a record that a
//   replay still needs (a transaction's records before the copy, its marker after).
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../logger.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { buildEndTxnMarker, ControlRecordType, type EndTxnMarker } from '../../protocol/controlRecords.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../protocol/recordBatch.js';
import { contain, crashPoint, detach, type CrashPoint } from '../../util/CrashBoundary.js';
import type { Time } from '../../util/Time.js';
import type { Partition, VerificationGuard } from '../Partition.js';

/** How a coordinator's records are stored in its topic (the runtime's user provides it). */
export interface CoordinatorRecordCodec<R> {
  /** Decode one record; null for keys this coordinator does not know (skipped, as Kafka does). Throws on bad bytes. */
  decode(key: Buffer, value: Buffer | null): R | null;
  encodeKey(rec: R): Buffer;
  /** null for a tombstone. */
  encodeValue(rec: R): Buffer | null;
  /** The identity of the record's key: the last record of each key wins. */
  keyOf(rec: R): string;
  isTombstone(rec: R): boolean;
  /** Order of the records in a compacted copy, lowest first (ties in log order). */
  compactionRank(rec: R): number;
  /** The crash point passed while loading (tests inject failures there), if any. */
  loadCrashPoint: CrashPoint | null;
  /** Whether a plain tombstone also removes `rec` of a transaction still open (a group's tombstone, its offsets); its own key always. */
  tombstoneCovers?(tombstone: R, rec: R): boolean;
}

/** The producer of a transactional write (its batch: producer id and epoch, sequence -1). */
export interface TxnProducer {
  producerId: number;
  producerEpoch: number;
  /**
   * With transaction verification on (KIP-890 part 1): the guard of a verified write that opens
   * the producer's transaction here, or null for a write into its open transaction; the append
   * is refused (INVALID_TXN_STATE) unless it holds (Partition.appendRecordsToLeader). Absent: off.
   */
  verificationGuard?: VerificationGuard | null;
}

/** What loading hands over per record (producerId -1 outside transactions) and per end-transaction marker. */
export interface LoadVisitor<R> {
  record(rec: R, offset: number, producerId: number): void;
  endTransaction(producerId: number, commit: boolean, offset: number): void;
}

const RECORDS_PER_BATCH = 500;
/** Compact when the log holds more than this many records beyond twice the live keys. */
export const COMPACTION_SLACK = 10_000;
const LOAD_SLICE_MS = 20;

export interface OffsetsPartitionSettings {
  /** offsets.commit.timeout.ms */
  commitTimeoutMs: number;
  /** offsets.load.buffer.size: bytes read from the log at a time while loading. */
  loadBufferSize: number;
}

interface PendingWrite {
  lastOffset: number;
  firstOffset: number;
  onCommit: (firstOffset: number) => void;
}

export class OffsetsPartition<R> {
  /** True until the whole log has been replayed. */
  loading = true;
  readonly leaderEpoch: number;
  /** The last record of each live key (tombstoned keys are absent), with its offset. */
  private readonly live = new Map<string, { rec: R; offset: number }>();
  /** Per producer with an open transaction here: its records' keys, as `live` will take them at COMMIT. */
  private readonly openTxns = new Map<number, Map<string, { rec: R; offset: number }>>();
  private pending: PendingWrite[] = [];
  private readonly unwatch: () => void;
  private compacting = false;
  /** After an abandoned compaction: the log size below which no other is tried. */
  private retryCompactionAt = 0;
  private closed = false;

  constructor(
    readonly partition: Partition,
    private readonly settings: OffsetsPartitionSettings,
    private readonly log: Logger,
    private readonly time: Time,
    private readonly codec: CoordinatorRecordCodec<R>,
  ) {
    this.leaderEpoch = partition.leaderEpoch;
    this.unwatch = partition.watch(() => this.drain());
  }

  /** Still the leader at the epoch this shard was loaded for. */
  get current(): boolean {
    return !this.closed && this.partition.isLeader && this.partition.leaderEpoch === this.leaderEpoch;
  }

  /**
   * Replay the log from its start offset, calling visit for each record in order, then done().
   * The first slice runs synchronously; the rest (if any) on later turns of the event loop. A
   * throw (from the log, visit or done) is logged and contained, ends the load and goes to failed.
   */
  load(visit: LoadVisitor<R>, done: (records: number, ms: number) => void, failed: (err: unknown) => void): void {
    // Slices are a budget of real CPU time, not of the coordinator's clock.
    const started = performance.now();
    const log = this.partition.log;
    let offset = log.logStartOffset;
    let count = 0;
    const onLoadError = (err: unknown) => {
      if (!this.closed) failed(err);
    };
    const step = () => {
      if (this.closed) return;
      if (this.codec.loadCrashPoint) crashPoint(this.codec.loadCrashPoint);
      const sliceEnd = performance.now() + LOAD_SLICE_MS;
      while (offset < log.logEndOffset) {
        const { records } = log.read(offset, this.settings.loadBufferSize, log.logEndOffset, true);
        const batches = records ? decodeRecordBatches(records) : [];
        if (batches.length === 0) break;
        for (const b of batches) {
          if (b.isControl) {
            const marker = b.isTransactional && b.lastOffset >= offset ? b.records[0] : undefined;
            const type = marker?.key && marker.key.length >= 4 ? marker.key.readInt16BE(2) : -1;
            if (marker && (type === ControlRecordType.COMMIT || type === ControlRecordType.ABORT)) {
              const commit = type === ControlRecordType.COMMIT;
              this.endTxn(b.producerId, commit, marker.offset);
              visit.endTransaction(b.producerId, commit, marker.offset);
            }
          } else {
            const producerId = b.isTransactional ? b.producerId : -1;
            for (const r of b.records) {
              if (r.offset < offset || r.key === null) continue;
              let rec: R | null;
              try {
                rec = this.codec.decode(r.key, r.value);
              } catch (err) {
                this.log.warn(`skipping undecodable record at offset ${r.offset}: ${(err as Error).message}`);
                continue;
              }
              count++;
              if (!rec) continue;
              this.track(rec, r.offset, producerId);
              visit.record(rec, r.offset, producerId);
            }
          }
          offset = b.lastOffset + 1;
        }
        if (offset < log.logEndOffset && performance.now() >= sliceEnd) {
          setImmediate(() => contain(this.log, `loading ${this.partition.name}`, step, onLoadError));
          return;
        }
      }
      this.loading = false;
      done(count, Math.round(performance.now() - started));
    };
    contain(this.log, `loading ${this.partition.name}`, step, onLoadError);
  }

  private track(rec: R, offset: number, producerId = -1): void {
    const k = this.codec.keyOf(rec);
    if (producerId >= 0) {
      let open = this.openTxns.get(producerId);
      if (!open) this.openTxns.set(producerId, (open = new Map()));
      open.set(k, { rec, offset });
    } else if (this.codec.isTombstone(rec)) {
      this.live.delete(k);
      // A plain tombstone (OffsetDelete, expiration, a deleted group) also drops the open transactional records it covers.
      for (const open of this.openTxns.values()) for (const [key, e] of open) if (key === k || this.codec.tombstoneCovers?.(rec, e.rec)) open.delete(key);
    } else this.live.set(k, { rec, offset });
  }

  /** A producer's marker: its open records enter `live` (COMMIT; not over a later record of the key) or are dropped. */
  private endTxn(producerId: number, commit: boolean, markerOffset: number): void {
    const open = this.openTxns.get(producerId);
    if (!open) return;
    this.openTxns.delete(producerId);
    if (!commit) return;
    for (const [k, e] of open) {
      if (e.offset > markerOffset) continue;
      const current = this.live.get(k);
      if (current && current.offset > e.offset) continue;
      if (this.codec.isTombstone(e.rec)) this.live.delete(k);
      else this.live.set(k, e);
    }
  }

  /** Whether the record at `offset` is still the last one written for its key (no later value or tombstone). */
  isLatest(rec: R, offset: number): boolean {
    return this.live.get(this.codec.keyOf(rec))?.offset === offset;
  }

  /**
   * Append records as one acks=all write. Throws the KafkaError of a failed append (nothing is
   * appended then). Resolves NONE once the high watermark passes them, or the error that ended
   * the wait. onCommit(firstOffset) runs when they are committed (see the header).
   */
  append(records: R[], onCommit?: (firstOffset: number) => void, txn?: TxnProducer): Promise<number> {
    const info = this.appendToLog(records, txn);
    records.forEach((r, i) => this.track(r, info.firstOffset + i, txn ? txn.producerId : -1));
    if (onCommit) {
      this.pending.push({ firstOffset: info.firstOffset, lastOffset: info.lastOffset, onCommit });
      this.drain();
    }
    const committed = this.waitForCommit(info.lastOffset);
    this.maybeCompact();
    return committed;
  }

  /**
   * Append an end-transaction marker (acks=all, origin 'coordinator'). Throws the KafkaError of
   * a failed append (a stale producer or coordinator epoch, as the partition decides). Resolves
   * NONE once the high watermark passes it, or the error that ended the wait (REQUEST_TIMED_OUT
   * after timeoutMs). onCommit(markerOffset) runs when it is committed, in log order.
   */
  appendEndTxnMarker(marker: EndTxnMarker, timeoutMs: number, onCommit?: (markerOffset: number) => void): Promise<number> {
    if (this.closed) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${this.partition.name} is no longer loaded`);
    const info = this.partition.appendRecordsToLeader(buildEndTxnMarker(marker), -1, 'coordinator');
    if (info.duplicate) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `${this.partition.name} took the marker of producer ${marker.producerId} for a retried batch`);
    this.endTxn(marker.producerId, marker.commit, info.lastOffset);
    if (onCommit) {
      this.pending.push({ firstOffset: info.lastOffset, lastOffset: info.lastOffset, onCommit });
      this.drain();
    }
    const committed = this.waitForCommit(info.lastOffset, timeoutMs);
    this.maybeCompact(); // it may have waited for this transaction
    return committed;
  }

  /**
   * NONE once the high watermark passes `offset` (or the partition's error), REQUEST_TIMED_OUT
   * after `timeoutMs` (default offsets.commit.timeout.ms) on the coordinator's clock. The
   * partition's own wait has the same timeout on the system clock; whichever ends first answers.
   */
  private waitForCommit(offset: number, timeoutMs = this.settings.commitTimeoutMs): Promise<number> {
    return new Promise<number>((resolve) => {
      let settled = false;
      const settle = (code: number) => {
        if (settled) return;
        settled = true;
        this.time.clear(timer);
        resolve(code);
      };
      const timer = this.time.setTimeout(() => settle(ErrorCode.REQUEST_TIMED_OUT), timeoutMs);
      timer.unref();
      detach(this.log, `waiting for the high watermark of ${this.partition.name}`, this.partition.waitForHighWatermark(offset, timeoutMs).then(settle));
    });
  }

  private appendToLog(records: R[], txn?: TxnProducer): { firstOffset: number; lastOffset: number } {
    if (this.closed) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${this.partition.name} is no longer loaded`);
    const now = this.time.now();
    const batches: Buffer[] = [];
    for (let i = 0; i < records.length; i += RECORDS_PER_BATCH) {
      const chunk = records.slice(i, i + RECORDS_PER_BATCH);
      const encoded = chunk.map((r) => ({ key: this.codec.encodeKey(r), value: this.codec.encodeValue(r), timestamp: now }));
      batches.push(encodeRecordBatch(txn ? { records: encoded, producerId: txn.producerId, producerEpoch: txn.producerEpoch, baseSequence: -1, transactional: true } : { records: encoded }));
    }
    // One append: all batches or none.
    const info = this.partition.appendRecordsToLeader(batches.length === 1 ? batches[0]! : Buffer.concat(batches), -1, 'coordinator', txn?.verificationGuard);
    // A transactional write (sequence -1) must never be taken for a producer's retried batch.
    if (info.duplicate) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `${this.partition.name} took a write of producer ${txn?.producerId} for a retried batch`);
    return info;
  }

  /** Run the onCommit of writes the high watermark has passed, in log order. */
  private drain(): void {
    const hw = this.partition.highWatermark;
    while (this.pending.length > 0 && this.pending[0]!.lastOffset < hw && this.current) {
      const w = this.pending.shift()!;
      contain(this.log, `applying committed records at offset ${w.firstOffset}`, () => w.onCommit(w.firstOffset));
    }
  }

  /** Records from the log start offset (every offset holds one record: the coordinator writes no gaps). */
  get recordsInLog(): number {
    return this.partition.log.logEndOffset - this.partition.log.logStartOffset;
  }

  /** Compact if the log holds far more records than live keys (see the header). */
  maybeCompact(): void {
    // An open transaction: its records (before the copy) must stay until its marker (see the header).
    if (this.compacting || this.loading || !this.current || this.openTxns.size > 0) return;
    const before = this.recordsInLog;
    if (before <= Math.max(2 * this.live.size + COMPACTION_SLACK, this.retryCompactionAt)) return;
    this.compacting = true;
    const log = this.partition.log;
    log.roll();
    const start = log.logEndOffset;
    // In the codec's order (for groups: metadata first, then offsets: the order in which a fresh coordinator would have written them).
    const rank = (rec: R) => this.codec.compactionRank(rec);
    const copy = [...this.live.values()].sort((a, b) => rank(a.rec) - rank(b.rec) || a.offset - b.offset).map((e) => e.rec);
    let committed: Promise<number>;
    try {
      // The copy is not tracked: `live` keeps the offsets of the writes themselves, so that a
      // write still waiting for the high watermark remains the latest of its key.
      const last = copy.length === 0 ? start - 1 : this.appendToLog(copy).lastOffset;
      committed = last < 0 ? Promise.resolve(ErrorCode.NONE) : this.waitForCommit(last);
    } catch (err) {
      this.compacting = false;
      this.log.info(`compaction of ${this.partition.name} postponed: ${(err as Error).message}`);
      return;
    }
    const compacted = committed.then((code) => {
      this.compacting = false;
      if (code !== ErrorCode.NONE || !this.current) {
        // Not again before as many more records: a slow ISR must not get a new copy per write.
        this.retryCompactionAt = this.recordsInLog + COMPACTION_SLACK;
        this.log.info(`compaction of ${this.partition.name} abandoned (error ${code}); the copy stays in the log`);
        return;
      }
      this.retryCompactionAt = 0;
      log.deleteRecordsBefore(start);
      this.log.info(`compacted ${this.partition.name}: ${before} records → ${copy.length} (log start offset ${start})`);
    });
    detach(this.log, `compacting ${this.partition.name}`, compacted, () => (this.compacting = false));
  }

  /** Stop: pending onCommits are dropped (the partition's state is unloaded). */
  close(): void {
    this.closed = true;
    this.pending = [];
    this.unwatch();
  }
}
