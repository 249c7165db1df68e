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
// Snapshots (`<20-digit offset>.snapshot`, JSON written atomically) hold the state as of an
// offset; they are taken at segment roll and on close, so recovery replays only the tail.
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
}

/** lastSequence = baseSequence + lastOffsetDelta, wrapping past 2^31-1 back to 0. */
export function lastSequence(baseSequence: number, lastOffsetDelta: number): number {
  const s = baseSequence + lastOffsetDelta;
  return s > INT32_MAX ? s - INT32_MAX - 1 : s;
}

function snapshotName(offset: number): string {
  return `${String(offset).padStart(20, '0')}.snapshot`;
}

export class ProducerStateManager {
  private producers = new Map<number, ProducerStateEntry>();

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

  /** Apply an appended batch (leader, follower and recovery alike): no checks. */
  update(producerId: number, epoch: number, batch: BatchMetadata): void {
    let entry = this.producers.get(producerId);
    if (!entry || epoch > entry.producerEpoch) {
      entry = { producerId, producerEpoch: epoch, batches: [], lastTimestamp: -1 };
      this.producers.set(producerId, entry);
    } else if (epoch < entry.producerEpoch) {
      return; // a fenced producer's batch that made it into the log earlier: keeps no state
    }
    entry.batches.push(batch);
    if (entry.batches.length > NUM_BATCHES_TO_RETAIN) entry.batches.shift();
    if (batch.timestamp > entry.lastTimestamp) entry.lastTimestamp = batch.timestamp;
  }

  /** Forget producers not heard from for expirationMs. Returns how many were removed. */
  removeExpired(now: number, expirationMs: number): number {
    let n = 0;
    for (const [pid, e] of this.producers) {
      if (now - e.lastTimestamp >= expirationMs) {
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
      if (last && last.lastOffset < logStartOffset) this.producers.delete(pid);
    }
  }

  clear(): void {
    this.producers.clear();
  }

  // -------------------------------------------------------------------------------------------
  // Snapshots

  /** Write the state as of `offset` (everything below it applied). */
  takeSnapshot(offset: number): void {
    if (this.dir === null) return;
    const state = JSON.stringify({ version: 1, offset, producers: [...this.producers.values()] });
    writeFileAtomically(path.join(this.dir, snapshotName(offset)), state);
  }

  /** Snapshot offsets on disk, ascending. */
  snapshotOffsets(): number[] {
    if (this.dir === null) return [];
    const out: number[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      const m = SNAPSHOT_RE.exec(name);
      if (m) out.push(Number(m[1]));
    }
    return out.sort((a, b) => a - b);
  }

  /**
   * Replace the state with the newest readable snapshot at or below maxOffset; returns its offset,
   * or -1 (state cleared) when there is none. Unreadable snapshots are deleted.
   */
  loadLatestSnapshot(maxOffset: number): number {
    this.producers.clear();
    const offsets = this.snapshotOffsets().filter((o) => o <= maxOffset);
    while (offsets.length > 0) {
      const offset = offsets.pop()!;
      const file = path.join(this.dir!, snapshotName(offset));
      try {
        const data = JSON.parse(fs.readFileSync(file, 'utf8')) as { offset: number; producers: ProducerStateEntry[] };
        for (const e of data.producers) this.producers.set(e.producerId, e);
        return offset;
      } catch {
        fs.rmSync(file, { force: true });
      }
    }
    return -1;
  }

  /** Delete snapshots outside [from, to]: older ones are no longer needed, newer ones are invalid after a truncation. */
  deleteSnapshotsOutside(from: number, to: number): void {
    for (const o of this.snapshotOffsets()) {
      if (o < from || o > to) fs.rmSync(path.join(this.dir!, snapshotName(o)), { force: true });
    }
  }
}
