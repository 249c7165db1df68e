// Partition choice (Kafka's built-in partitioning): an explicit partition wins; a keyed record
// goes to toPositive(murmur2(key)) % numPartitions, as the Java client does; a null-key record
// goes to the topic's sticky partition, which changes only when a new batch has to be created
// for it (KIP-480), to a random other partition that has a leader.
import { murmur2, toPositive } from './murmur2.js';
import type { TopicState } from './ProducerMetadata.js';

export class BuiltInPartitioner {
  private scratch = Buffer.allocUnsafe(1024);

  /** Partition of a keyed record (string keys are hashed on their UTF-8 bytes). */
  keyed(key: Uint8Array | string, numPartitions: number): number {
    let bytes: Uint8Array;
    let len: number;
    if (typeof key === 'string') {
      if (key.length * 3 > this.scratch.length) {
        const need = Buffer.byteLength(key, 'utf8');
        if (need > this.scratch.length) this.scratch = Buffer.allocUnsafe(Math.max(need, this.scratch.length * 2));
      }
      len = this.scratch.write(key, 0, 'utf8');
      bytes = this.scratch;
    } else {
      bytes = key;
      len = key.length;
    }
    return toPositive(murmur2(bytes, 0, len)) % numPartitions;
  }

  /** The topic's current sticky partition. */
  stickyPartition(t: TopicState): number {
    const p = t.stickyPartition;
    if (p >= 0 && p < t.partitions.length) return p;
    return this.next(t, -1);
  }

  /** KIP-480 onNewBatch: the sticky partition needed a new batch, move to another partition. */
  onNewBatch(t: TopicState, previous: number): number {
    const cur = t.stickyPartition;
    if (cur >= 0 && cur !== previous) return cur;
    return this.next(t, previous);
  }

  private next(t: TopicState, previous: number): number {
    const avail = t.available.length > 0 ? t.available : null;
    const n = avail ? avail.length : t.partitions.length;
    let p: number;
    if (n <= 1) {
      p = avail ? avail[0]! : 0;
    } else {
      do {
        const i = Math.floor(Math.random() * n);
        p = avail ? avail[i]! : i;
      } while (p === previous);
    }
    t.stickyPartition = p;
    return p;
  }
}
