// The cluster metadata as a log of records (like KRaft's __cluster_metadata): the controller
// appends records, every broker replays them into the same image. One record type per change.
import { decodeRecordBatches, encodeRecordBatch } from '../protocol/recordBatch.js';

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
  /** Changes on every registration: the controller log offset of the registration. */
  epoch: number;
  fenced: boolean;
}

export interface PartitionState {
  replicas: number[];
  isr: number[];
  /** -1 when no replica in the ISR is alive (the partition is offline). */
  leader: number;
  leaderEpoch: number;
  /** Bumped on every change (leader or ISR): guards AlterPartition against stale proposals. */
  partitionEpoch: number;
}

export interface TopicImage {
  name: string;
  /** 16-byte topic id, hex. */
  topicId: string;
  configs: Record<string, string>;
  partitions: PartitionState[];
}

export type MetadataRecord =
  | { type: 'cluster'; clusterId: string }
  | { type: 'broker'; broker: BrokerInfo }
  | { type: 'topic'; name: string; topicId: string; configs: Record<string, string> }
  | { type: 'partition'; topic: string; partition: number; state: PartitionState }
  | { type: 'topicConfig'; name: string; configs: Record<string, string> }
  | { type: 'removeTopic'; name: string }
  | { type: 'producerIds'; nextBlockStart: number };

export class MetadataImage {
  clusterId = '';
  readonly brokers = new Map<number, BrokerInfo>();
  readonly topics = new Map<string, TopicImage>();
  private readonly byId = new Map<string, TopicImage>();
  nextProducerIdBlock = 0;
  /** Offset of the next record to apply (records below it are in the image). */
  offset = 0;

  apply(rec: MetadataRecord): void {
    switch (rec.type) {
      case 'cluster':
        this.clusterId = rec.clusterId;
        break;
      case 'broker':
        this.brokers.set(rec.broker.nodeId, { ...rec.broker });
        break;
      case 'topic': {
        const t: TopicImage = { name: rec.name, topicId: rec.topicId, configs: { ...rec.configs }, partitions: [] };
        this.topics.set(rec.name, t);
        this.byId.set(rec.topicId, t);
        break;
      }
      case 'partition': {
        const t = this.topics.get(rec.topic);
        if (t) t.partitions[rec.partition] = { ...rec.state, replicas: [...rec.state.replicas], isr: [...rec.state.isr] };
        break;
      }
      case 'topicConfig': {
        const t = this.topics.get(rec.name);
        if (t) t.configs = { ...rec.configs };
        break;
      }
      case 'removeTopic': {
        const t = this.topics.get(rec.name);
        if (t) {
          this.topics.delete(rec.name);
          this.byId.delete(t.topicId);
        }
        break;
      }
      case 'producerIds':
        this.nextProducerIdBlock = rec.nextBlockStart;
        break;
    }
  }

  topicById(topicIdHex: string): TopicImage | undefined {
    return this.byId.get(topicIdHex);
  }

  liveBrokers(): BrokerInfo[] {
    return [...this.brokers.values()].filter((b) => !b.fenced).sort((a, b) => a.nodeId - b.nodeId);
  }

  isLive(nodeId: number): boolean {
    const b = this.brokers.get(nodeId);
    return b !== undefined && !b.fenced;
  }

  /** Apply every record of a buffer of record batches; returns the offset after the last one. */
  applyBatches(records: Buffer): number {
    for (const batch of decodeRecordBatches(records)) {
      for (const r of batch.records) {
        if (r.offset < this.offset) continue;
        this.apply(JSON.parse(r.value!.toString('utf8')) as MetadataRecord);
        this.offset = r.offset + 1;
      }
    }
    return this.offset;
  }
}

/** One record batch holding the records of one controller change (applied atomically). */
export function encodeMetadataRecords(records: MetadataRecord[], timestamp: number): Buffer {
  return encodeRecordBatch({
    baseTimestamp: timestamp,
    records: records.map((r) => ({ key: null, value: Buffer.from(JSON.stringify(r)), timestamp })),
  });
}
