// A broker's read-only view of the cluster metadata (Kafka's MetadataCache), over the image it
// replays from the controller's metadata log.
import type { BrokerInfo, MetadataImage, PartitionState, TopicImage } from '../replication/MetadataImage.js';

/** A broker's endpoint on a listener; a registration without listeners has one, PLAINTEXT, at host:port. */
function endpointOf(b: BrokerInfo, listener: string): { host: string; port: number } | null {
  if (!b.listeners) return listener === 'PLAINTEXT' ? { host: b.host, port: b.port } : null;
  const e = b.listeners.find((l) => l.name === listener);
  return e ? { host: e.host, port: e.port } : null;
}

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

  /**
   * The live brokers, each with its endpoint on `listener` when given (the listener a client
   * connected through, as Kafka answers Metadata); brokers without that listener are left out.
   */
  liveBrokers(listener?: string): BrokerInfo[] {
    const live = this.image.liveBrokers();
    if (listener === undefined) return live;
    const out: BrokerInfo[] = [];
    for (const b of live) {
      const e = endpointOf(b, listener);
      if (e) out.push({ ...b, host: e.host, port: e.port });
    }
    return out;
  }

  /** A broker's host and port on `listener` (null when it has no such listener or is unknown). */
  endpoint(nodeId: number, listener: string): { host: string; port: number } | null {
    const b = this.image.brokers.get(nodeId);
    return b ? endpointOf(b, listener) : null;
  }

  /** The broker admin clients should send controller requests to: the lowest live broker, which forwards them. */
  controllerId(): number {
    return this.image.liveBrokers()[0]?.nodeId ?? -1;
  }
}
