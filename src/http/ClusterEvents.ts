// Recent cluster events, read from the controller's metadata log the way a broker replays it:
// every committed record is applied to an image of our own, and what it changed becomes an
// event — a leader election (new leader and leader epoch), an ISR shrink or expansion, a broker
// fenced, unfenced or registered, a topic created or deleted. The ISR shrinks and expansions are
// also counted per leader (Kafka's IsrShrinksPerSec / IsrExpandsPerSec of that broker's
// ReplicaManager). Reading the log, not hooking the controller, keeps this outside it; the same
// reader serves in-process and process-per-broker clusters since the controller is always ours.
import { decodeRecordBatches } from '../protocol/recordBatch.js';
import { MetadataImage, type MetadataRecord } from '../replication/MetadataImage.js';
import type { Controller } from '../replication/Controller.js';

export type ClusterEventKind = 'election' | 'isr-shrink' | 'isr-expand' | 'fenced' | 'unfenced' | 'registered' | 'topic-created' | 'topic-deleted';

export interface ClusterEvent {
  /** Metadata log offset of the record. */
  offset: number;
  /** When the controller committed it (the record's timestamp, ms since the epoch). */
  time: number;
  kind: ClusterEventKind;
  topic?: string;
  partition?: number;
  broker?: number;
  message: string;
}

/** How many events are kept (the oldest go first). */
export const MAX_EVENTS = 500;

export class ClusterEvents {
  private readonly image = new MetadataImage();
  private readonly events: ClusterEvent[] = [];
  /** Per leader broker: ISR shrinks and expansions seen since we started reading. */
  readonly isrShrinks = new Map<number, number>();
  readonly isrExpands = new Map<number, number>();
  private reading: Promise<void> | null = null;

  constructor(private readonly controller: Controller) {}

  /** Read whatever the controller committed since the last call. */
  catchUp(): Promise<void> {
    this.reading ??= this.readAll().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  private async readAll(): Promise<void> {
    for (;;) {
      const res = await this.controller.readMetadata(this.image.offset, 1 << 20, 0);
      if (res.errorCode !== 0 && this.image.offset < res.logStartOffset) {
        this.image.offset = res.logStartOffset; // records before the log start are gone: go on from there
        continue;
      }
      if (res.errorCode !== 0 || !res.records || res.records.length === 0) return;
      const before = this.image.offset;
      for (const batch of decodeRecordBatches(res.records)) {
        for (const r of batch.records) {
          if (r.offset < this.image.offset || !r.value) continue;
          const rec = JSON.parse(r.value.toString('utf8')) as MetadataRecord;
          this.note(r.offset, r.timestamp, rec);
          this.image.apply(rec);
          this.image.offset = r.offset + 1;
        }
      }
      if (this.image.offset === before) return;
      if (this.image.offset >= res.highWatermark) return;
    }
  }

  private push(at: { offset: number; time: number }, kind: ClusterEventKind, message: string, extra: Partial<ClusterEvent> = {}): void {
    this.events.push({ offset: at.offset, time: at.time, kind, message, ...extra });
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
  }

  private note(offset: number, time: number, rec: MetadataRecord): void {
    const at = { offset, time };
    switch (rec.type) {
      case 'broker': {
        const before = this.image.brokers.get(rec.broker.nodeId);
        const id = rec.broker.nodeId;
        if (!before || before.epoch !== rec.broker.epoch) this.push(at, 'registered', `broker ${id} registered (epoch ${rec.broker.epoch})`, { broker: id });
        else if (!before.fenced && rec.broker.fenced) this.push(at, 'fenced', `broker ${id} fenced`, { broker: id });
        else if (before.fenced && !rec.broker.fenced) this.push(at, 'unfenced', `broker ${id} unfenced`, { broker: id });
        break;
      }
      case 'topic':
        this.push(at, 'topic-created', `topic ${rec.name} created`, { topic: rec.name });
        break;
      case 'removeTopic':
        if (this.image.topics.has(rec.name)) this.push(at, 'topic-deleted', `topic ${rec.name} deleted`, { topic: rec.name });
        break;
      case 'partition': {
        const before = this.image.topics.get(rec.topic)?.partitions[rec.partition];
        const s = rec.state;
        const where = { topic: rec.topic, partition: rec.partition };
        const name = `${rec.topic}-${rec.partition}`;
        if (!before) break; // a new partition: its topic's creation says it
        if (before.leader !== s.leader || before.leaderEpoch !== s.leaderEpoch) {
          const who = s.leader < 0 ? 'no leader (offline)' : `leader ${s.leader}`;
          this.push(at, 'election', `${name}: ${who}, epoch ${s.leaderEpoch} (was leader ${before.leader}, epoch ${before.leaderEpoch})`, { ...where, broker: s.leader });
        }
        const removed = before.isr.filter((r) => !s.isr.includes(r));
        const added = s.isr.filter((r) => !before.isr.includes(r));
        // The leader's own AlterPartition, or the controller acting for it (a fenced replica leaves).
        const leader = s.leader >= 0 ? s.leader : before.leader;
        if (removed.length > 0) {
          this.isrShrinks.set(leader, (this.isrShrinks.get(leader) ?? 0) + 1);
          this.push(at, 'isr-shrink', `${name}: ISR [${before.isr.join(',')}] → [${s.isr.join(',')}]`, { ...where, broker: leader });
        }
        if (added.length > 0) {
          this.isrExpands.set(leader, (this.isrExpands.get(leader) ?? 0) + 1);
          this.push(at, 'isr-expand', `${name}: ISR [${before.isr.join(',')}] → [${s.isr.join(',')}]`, { ...where, broker: leader });
        }
        break;
      }
      default:
        break;
    }
  }

  /** The newest `limit` events, oldest first. */
  recent(limit = 100): ClusterEvent[] {
    return this.events.slice(-limit);
  }
}
