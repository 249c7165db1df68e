// A broker's read-only view of the cluster metadata (Kafka's MetadataCache), over the image it
// replays from the controller's metadata log.
import type { MetadataImage, PartitionState, TopicImage } from '../replication/MetadataImage.js';

export interface TopicMetadata {
  name: string;
  /** 16-byte topic id, hex. */
  topicId: string;
  partitions: number;
  configs: Record<string, string>;
}

function view(t: TopicImage): TopicMetadata {
  return { name: t.name, topicId: t.topicId, partitions: t.partitions.length, configs: t.configs };
}

export class MetadataCache {
  constructor(private readonly image: MetadataImage) {}

  get clusterId(): string {
    return this.image.clusterId;
  }

  get(name: string): TopicMetadata | undefined {
    const t = this.image.topics.get(name);
    return t ? view(t) : undefined;
  }

  getById(topicIdHex: string): TopicMetadata | undefined {
    const t = this.image.topicById(topicIdHex);
    return t ? view(t) : undefined;
  }

  all(): TopicMetadata[] {
    return [...this.image.topics.values()].map(view);
  }

  partitionState(topic: string, partition: number): PartitionState | undefined {
    return this.image.topics.get(topic)?.partitions[partition];
  }

  liveBrokers() {
    return this.image.liveBrokers();
  }

  /** The broker admin clients should send controller requests to: the lowest live broker, which forwards them. */
  controllerId(): number {
    return this.image.liveBrokers()[0]?.nodeId ?? -1;
  }
}
