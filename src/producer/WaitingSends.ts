// The sends waiting for metadata or buffer.memory, in send order (Java's send() blocks its
// thread in waitOnMetadata / BufferPool.allocate; Node must not block, so they wait here). A
// FIFO of fixed-size chunks laid out as parallel arrays: push and shift are O(1) at any length
// (an Array used as a queue degrades to an O(n) copy per shift once it is large), a waiting
// send costs a few words, and a consumed chunk is kept as the one spare or left to the GC, so
// the queue's memory follows its length. Waiting sends without a callback share one promise per
// WaitingGroup.
import type { ProducerError } from './errors.js';
import { markHandled } from './FutureRecordMetadata.js';
import type { ProducerBatch } from './ProducerBatch.js';
import type { ProducerRecord, RecordMetadata } from './ProducerRecord.js';

/** Sends per chunk. */
export const WAITING_CHUNK = 1024;

class Chunk {
  readonly records: (ProducerRecord | null)[] = new Array<ProducerRecord | null>(WAITING_CHUNK).fill(null);
  /** When send() was called (its timestamp if the record has none; max.block.ms counts from it). */
  readonly times = new Float64Array(WAITING_CHUNK);
  /** Three opaque completion slots per send (the Producer's: callback or promise and its settle functions). */
  readonly a: unknown[] = new Array<unknown>(WAITING_CHUNK).fill(null);
  readonly b: unknown[] = new Array<unknown>(WAITING_CHUNK).fill(null);
  readonly c: unknown[] = new Array<unknown>(WAITING_CHUNK).fill(null);
  next: Chunk | null = null;
}

export class WaitingSends {
  private head = new Chunk();
  private headAt = 0;
  private tail = this.head;
  private tailAt = 0;
  private spare: Chunk | null = null;
  length = 0;
  /** Chunks made so far (for tests: memory follows the length, not the number of sends ever queued). */
  chunksCreated = 1;

  push(record: ProducerRecord, time: number, a: unknown, b: unknown, c: unknown): void {
    let t = this.tail;
    if (this.tailAt === WAITING_CHUNK) {
      let n = this.spare;
      if (n === null) {
        n = new Chunk();
        this.chunksCreated++;
      } else this.spare = null;
      t.next = n;
      this.tail = t = n;
      this.tailAt = 0;
    }
    const i = this.tailAt++;
    t.records[i] = record;
    t.times[i] = time;
    t.a[i] = a;
    t.b[i] = b;
    t.c[i] = c;
    this.length++;
  }

  // The oldest waiting send (only while length > 0).
  get record(): ProducerRecord {
    return this.head.records[this.headAt]!;
  }
  get time(): number {
    return this.head.times[this.headAt]!;
  }
  get a(): unknown {
    return this.head.a[this.headAt];
  }
  get b(): unknown {
    return this.head.b[this.headAt];
  }
  get c(): unknown {
    return this.head.c[this.headAt];
  }

  /** Drop the oldest waiting send (its slots are cleared so nothing it referenced is kept). */
  shift(): void {
    if (this.length === 0) return;
    const h = this.head;
    const i = this.headAt;
    h.records[i] = null;
    h.a[i] = null;
    h.b[i] = null;
    h.c[i] = null;
    this.length--;
    if (this.length === 0) {
      // Empty (the head chunk is the tail): start over at its front.
      this.headAt = 0;
      this.tailAt = 0;
      return;
    }
    if (i + 1 === WAITING_CHUNK) {
      this.head = h.next!;
      h.next = null;
      this.spare = h;
      this.headAt = 0;
    } else this.headAt = i + 1;
  }
}

/**
 * Up to WAITING_CHUNK consecutive waiting sends without a callback. Their promises derive from
 * the group's one promise (no settle functions per send: ~100 bytes less per waiting send),
 * which is resolved once every member has left the queue; each member's promise then follows
 * the promise its batch gave it, or rejects with the error that made it leave.
 */
export class WaitingGroup {
  private readonly settled: Promise<void>;
  private readonly settleAll: () => void;
  /** Per member: its batch's promise for it, or the error it failed with. */
  private readonly outcomes: (Promise<RecordMetadata> | ProducerError | null)[] = [];
  /** The members' promises (a failure is marked handled before it happens). */
  private readonly members: Promise<RecordMetadata>[] = [];
  private left = 0;
  private picked = 0;
  /** No member may join any more (the group is full or has been settled). */
  sealed = false;
  private readonly pick = (): Promise<RecordMetadata> => {
    const o = this.outcomes[this.picked]!;
    this.outcomes[this.picked++] = null;
    if (o instanceof Promise) return o;
    throw o;
  };

  constructor() {
    let settle: (() => void) | null = null;
    this.settled = new Promise<void>((r) => (settle = r));
    this.settleAll = settle!;
  }

  /** A new member: its promise, and its index in `appended`/`failed`. */
  join(): Promise<RecordMetadata> {
    const p = this.settled.then(this.pick);
    this.members.push(p);
    this.outcomes.push(null);
    if (this.members.length === WAITING_CHUNK) this.sealed = true;
    return p;
  }

  get size(): number {
    return this.members.length;
  }

  /** Member i reached a batch, which gave it `promise`. */
  appended(i: number, batch: ProducerBatch): void {
    this.outcomes[i] = batch.derivePromise(this.members[i]!);
    this.leave();
  }

  failed(i: number, error: ProducerError): void {
    markHandled(this.members[i]!);
    this.outcomes[i] = error;
    this.leave();
  }

  private leave(): void {
    if (++this.left < this.members.length) return;
    this.sealed = true;
    this.members.length = 0;
    this.settleAll();
  }
}
