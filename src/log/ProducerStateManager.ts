// Per-partition idempotent producer state (Kafka's ProducerStateManager): for each producer id
// its epoch and the metadata of its last five batches, so that a retried batch is recognised
// and answered with its original offsets, and a gap or a stale epoch is refused.
//
// The state is rebuilt from batch headers alone, which is why followers and log recovery can
// replay it: `update` applies a batch without checks, `checkLeaderBatch` holds the rules
// (CLIENTS.md §6, Kafka 3.9):
//   1. same epoch and a cached batch with the same first and last sequence → duplicate;
//   2. an older epoch → INVALID_PRODUCER_EPOCH;
//   3. a newer epoch must start at sequence 0; the same epoch must continue at last + 1
//      (0 after 2^31-1); otherwise OUT_OF_ORDER_SEQUENCE_NUMBER;
//   an unknown producer id (new, expired, or all its data deleted) may start anywhere.
//
// Transactions (Kafka's ongoingTxns / unreplicatedTxns): a transactional batch of a producer
// with no open transaction here opens one at its offset; an end marker (COMMIT or ABORT) closes
// it and leaves a CompletedTxn that stays unstable until the high watermark passes the marker.
// The first unstable offset, the smallest first offset of an open or unreplicated transaction,
// bounds the last stable offset. A producer with an open transaction never expires.
//
// Snapshots (`<20-digit offset>.snapshot`, JSON written atomically) hold the state as of an
// offset, open transactions included; they are taken at segment roll and on close, so recovery
// replays only the tail.
import fs from 'node:fs';
import path from 'node:path';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { writeFileAtomically } from './CheckpointFile.js';

/** Idempotent clients keep at most five requests in flight, so five batches suffice. */
export const NUM_BATCHES_TO_RETAIN = 5;
const INT32_MAX = 2147483647;
const SNAPSHOT_RE = /^(\d{20})\.snapshot$/;

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
  /** The batch's max timestamp (the append time for LogAppendTime topics). */
  timestamp: number;
}

export interface ProducerStateEntry {
  producerId: number;
  producerEpoch: number;
  batches: BatchMetadata[];
  /** Largest batch timestamp seen, for producer.id.expiration.ms. */
  lastTimestamp: number;
  /** First offset of the producer's open transaction in this partition, -1 when none. */
  currentTxnFirstOffset: number;
  /** Coordinator epoch of the last end marker, -1 before any. */
  coordinatorEpoch: number;
}

/** A transaction ended by a marker (Kafka's CompletedTxn). */
export interface CompletedTxn {
  producerId: number;
  firstOffset: number;
  /** The marker's offset. */
  lastOffset: number;
  isAborted: boolean;
}

/** lastSequence = baseSequence + lastOffsetDelta, wrapping past 2^31-1 back to 0. */
export function lastSequence(baseSequence: number, lastOffsetDelta: number): number {
  const s = baseSequence + lastOffsetDelta;
  return s > INT32_MAX ? s - INT32_MAX - 1 : s;
}

function snapshotName(offset: number): string {
  return `${String(offset).padStart(20, '0')}.snapshot`;
}

function newEntry(producerId: number, producerEpoch: number): ProducerStateEntry {
  return { producerId, producerEpoch, batches: [], lastTimestamp: -1, currentTxnFirstOffset: -1, coordinatorEpoch: -1 };
}

export class ProducerStateManager {
  private producers = new Map<number, ProducerStateEntry>();
  /** Open transactions: first offset → producer id, in ascending first offset. */
  private ongoingTxns = new Map<number, number>();
  /** Ended transactions whose marker the high watermark has not passed yet. */
  private unreplicatedTxns: CompletedTxn[] = [];

  constructor(private readonly dir: string | null) {}

  get(producerId: number): ProducerStateEntry | undefined {
    return this.producers.get(producerId);
  }

  get size(): number {
    return this.producers.size;
  }

  /** Every producer's entry (read-only use: status pages, metrics). */
  entries(): IterableIterator<ProducerStateEntry> {
    return this.producers.values();
  }

  /**
   * The leader-side rules for one client batch: the cached batch when it is a duplicate,
   * null when it may be appended; throws KafkaError for a stale epoch or a sequence gap.
   */
  checkLeaderBatch(producerId: number, epoch: number, firstSeq: number, lastSeq: number): BatchMetadata | null {
    const entry = this.producers.get(producerId);
    if (!entry) return null;
    if (epoch === entry.producerEpoch) {
      for (const b of entry.batches) if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return b;
    }
    if (epoch < entry.producerEpoch) {
      throw new KafkaError(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `Epoch of producer ${producerId} at offset is ${epoch}, which is smaller than the last seen epoch ${entry.producerEpoch}`,
      );
    }
    if (epoch > entry.producerEpoch) {
      if (firstSeq !== 0) {
        throw new KafkaError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `Invalid sequence number for new epoch of producer ${producerId}: ${epoch} (request epoch), ${firstSeq} (seq. number), ${entry.producerEpoch} (current producer epoch)`,
        );
      }
      return null;
    }
    const last = entry.batches.at(-1);
    if (last === undefined) return null;
    const expected = last.lastSeq === INT32_MAX ? 0 : last.lastSeq + 1;
    if (firstSeq !== expected) {
      throw new KafkaError(
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        `Out of order sequence number for producer ${producerId} at offset: ${firstSeq} (incoming seq. number), ${last.lastSeq} (current end sequence number)`,
      );
    }
    return null;
  }

  /**
   * Apply an appended data batch (leader, follower and recovery alike): no checks. A
   * transactional batch opens the producer's transaction if none is open; a batch without a
   * sequence (a coordinator's, sequence -1) is not kept for deduplication.
   */
  update(producerId: number, epoch: number, batch: BatchMetadata, transactional = false): void {
    let entry = this.producers.get(producerId);
    if (!entry) {
      entry = newEntry(producerId, epoch);
      this.producers.set(producerId, entry);
    } else if (epoch > entry.producerEpoch) {
      entry.producerEpoch = epoch;
      entry.batches = [];
    } else if (epoch < entry.producerEpoch) {
      return; // a fenced producer's batch that made it into the log earlier: keeps no state
    }
    if (batch.firstSeq >= 0) {
      entry.batches.push(batch);
      if (entry.batches.length > NUM_BATCHES_TO_RETAIN) entry.batches.shift();
    }
    if (batch.timestamp > entry.lastTimestamp) entry.lastTimestamp = batch.timestamp;
    if (transactional && entry.currentTxnFirstOffset < 0) {
      entry.currentTxnFirstOffset = batch.firstOffset;
      this.ongoingTxns.set(batch.firstOffset, producerId);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Transactions

  /**
   * The leader-side rules for an end-transaction marker (Kafka's appendEndTxnMarker): an older
   * producer epoch is INVALID_PRODUCER_EPOCH, an older coordinator epoch than the last marker's
   * TRANSACTION_COORDINATOR_FENCED.
   */
  checkEndTxnMarker(producerId: number, epoch: number, coordinatorEpoch: number, offset: number): void {
    const entry = this.producers.get(producerId);
    if (!entry) return;
    if (epoch < entry.producerEpoch) {
      throw new KafkaError(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `Epoch of producer ${producerId} at offset ${offset} is ${epoch}, which is smaller than the last seen epoch ${entry.producerEpoch}`,
      );
    }
    if (entry.coordinatorEpoch > coordinatorEpoch) {
      throw new KafkaError(
        ErrorCode.TRANSACTION_COORDINATOR_FENCED,
        `Invalid coordinator epoch for producer ${producerId} at offset ${offset}: ${coordinatorEpoch} (zombie), ${entry.coordinatorEpoch} (current)`,
      );
    }
  }

  /**
   * Apply an end marker at `offset` (no checks): closes the producer's open transaction and
   * returns it, or null when none was open (an empty transaction changes no offset).
   */
  completeTxn(producerId: number, epoch: number, coordinatorEpoch: number, offset: number, timestamp: number, isAborted: boolean): CompletedTxn | null {
    let entry = this.producers.get(producerId);
    if (!entry) {
      entry = newEntry(producerId, epoch);
      this.producers.set(producerId, entry);
    }
    let completed: CompletedTxn | null = null;
    if (entry.currentTxnFirstOffset >= 0) {
      completed = { producerId, firstOffset: entry.currentTxnFirstOffset, lastOffset: offset, isAborted };
      this.ongoingTxns.delete(entry.currentTxnFirstOffset);
      this.unreplicatedTxns.push(completed);
      entry.currentTxnFirstOffset = -1;
    }
    if (epoch > entry.producerEpoch) {
      entry.producerEpoch = epoch;
      entry.batches = [];
    }
    entry.coordinatorEpoch = coordinatorEpoch;
    if (timestamp > entry.lastTimestamp) entry.lastTimestamp = timestamp;
    return completed;
  }

  /** Kafka's lastStableOffset(completedTxn): the first open transaction of another producer, else just past the marker. */
  lastStableOffsetAfter(completed: CompletedTxn): number {
    for (const [first, pid] of this.ongoingTxns) if (pid !== completed.producerId) return first;
    return completed.lastOffset + 1;
  }

  /** The smallest first offset of an open transaction or of one whose marker is at or above highWatermark; null when none. */
  firstUnstableOffset(highWatermark: number): number | null {
    if (this.unreplicatedTxns.length > 0) this.unreplicatedTxns = this.unreplicatedTxns.filter((t) => t.lastOffset >= highWatermark);
    let min: number | null = null;
    for (const first of this.ongoingTxns.keys()) {
      min = first;
      break;
    }
    for (const t of this.unreplicatedTxns) if (min === null || t.firstOffset < min) min = t.firstOffset;
    return min;
  }

  /** The producers with their state (DescribeProducers). */
  activeProducers(): IterableIterator<ProducerStateEntry> {
    return this.producers.values();
  }

  /** Forget producers not heard from for expirationMs. Returns how many were removed. */
  removeExpired(now: number, expirationMs: number): number {
    let n = 0;
    for (const [pid, e] of this.producers) {
      if (e.currentTxnFirstOffset < 0 && now - e.lastTimestamp >= expirationMs) {
        this.producers.delete(pid);
        n++;
      }
    }
    return n;
  }

  /** Forget producers whose every batch lies below the log start offset (their data is gone). */
  evictBelow(logStartOffset: number): void {
    for (const [pid, e] of this.producers) {
      const last = e.batches.at(-1);
      if (last && last.lastOffset < logStartOffset) {
        this.producers.delete(pid);
        if (e.currentTxnFirstOffset >= 0) this.ongoingTxns.delete(e.currentTxnFirstOffset);
      }
    }
    this.unreplicatedTxns = this.unreplicatedTxns.filter((t) => t.lastOffset >= logStartOffset);
  }

  clear(): void {
    this.producers.clear();
    this.ongoingTxns.clear();
    this.unreplicatedTxns = [];
  }

  /** Rebuild the open-transaction map from the entries (after a snapshot load). */
  private indexOngoingTxns(): void {
    const open = [...this.producers.values()].filter((e) => e.currentTxnFirstOffset >= 0).sort((a, b) => a.currentTxnFirstOffset - b.currentTxnFirstOffset);
    for (const e of open) this.ongoingTxns.set(e.currentTxnFirstOffset, e.producerId);
  }

  // -------------------------------------------------------------------------------------------
  // Snapshots

  /** Write the state as of `offset` (everything below it applied). */
  takeSnapshot(offset: number): void {
    if (this.dir === null) return;
    const state = JSON.stringify({ version: 2, offset, producers: [...this.producers.values()] });
    writeFileAtomically(path.join(this.dir, snapshotName(offset)), state);
  }

  /** Snapshot offsets on disk, ascending; `names`: the directory's listing when the caller has it. */
  snapshotOffsets(names?: readonly string[]): number[] {
    if (this.dir === null) return [];
    const out: number[] = [];
    for (const name of names ?? fs.readdirSync(this.dir)) {
      const m = SNAPSHOT_RE.exec(name);
      if (m) out.push(Number(m[1]));
    }
    return out.sort((a, b) => a - b);
  }

  /**
   * Replace the state with the newest readable snapshot at or below maxOffset; returns its offset,
   * or -1 (state cleared) when there is none. Unreadable snapshots are deleted. `known`: the
   * snapshot offsets on disk when the caller has listed them (a listed file since gone is skipped).
   */
  loadLatestSnapshot(maxOffset: number, known?: readonly number[]): number {
    this.clear();
    const offsets = (known ?? this.snapshotOffsets()).filter((o) => o <= maxOffset);
    while (offsets.length > 0) {
      const offset = offsets.pop()!;
      const file = path.join(this.dir!, snapshotName(offset));
      try {
        const data = JSON.parse(fs.readFileSync(file, 'utf8')) as { offset: number; producers: ProducerStateEntry[] };
        // version 1 snapshots (before transactions) have no transaction fields
        for (const e of data.producers) this.producers.set(e.producerId, { ...newEntry(e.producerId, e.producerEpoch), ...e });
        this.indexOngoingTxns();
        return offset;
      } catch {
        fs.rmSync(file, { force: true });
      }
    }
    return -1;
  }

  /**
   * Delete snapshots outside [from, to]: older ones are no longer needed, newer ones are invalid
   * after a truncation. Returns the offsets kept, ascending; `known` as for loadLatestSnapshot.
   */
  deleteSnapshotsOutside(from: number, to: number, known?: readonly number[]): number[] {
    const kept: number[] = [];
    for (const o of known ?? this.snapshotOffsets()) {
      if (o < from || o > to) fs.rmSync(path.join(this.dir!, snapshotName(o)), { force: true });
      else kept.push(o);
    }
    return kept;
  }
}
