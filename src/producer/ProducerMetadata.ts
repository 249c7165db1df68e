// The producer's view of the cluster (Kafka's ProducerMetadata): brokers by node id, and for
// each topic in use its partitions' leaders. Refreshed when a topic is new, when the Sender
// sees a stale-leader error or a disconnect, and at least every metadata.max.age.ms. Topics
// not produced to for metadata.max.idle.ms are dropped from refreshes.
import type { MetadataResponse } from '../protocol/messages/Metadata.js';
import type { PartitionQueue } from './RecordAccumulator.js';

export interface BrokerNode {
  nodeId: number;
  host: string;
  port: number;
}

export interface PartitionMeta {
  partition: number;
  /** Leader node id, -1 when none. */
  leader: number;
  leaderEpoch: number;
}

/** Everything the producer keeps per topic: its metadata and its partition queues. */
export class TopicState {
  /** Partitions by index; empty until the topic's metadata is known. */
  partitions: PartitionMeta[] = [];
  /** Indexes of partitions that have a leader. */
  available: number[] = [];
  /** Error code of the last metadata answer for this topic (0 = fine). */
  error = 0;
  errorMessage: string | null = null;
  lastUsedMs: number;
  /** Left out of refreshes after metadata.max.idle.ms without sends (its queues and sequences stay). */
  idle = false;
  /** The partitioner's sticky partition for null-key records (-1 = none yet). */
  stickyPartition = -1;
  /** Partition queues of the accumulator, by index (created on first use). */
  readonly queues: PartitionQueue[] = [];

  constructor(
    readonly name: string,
    now: number,
  ) {
    this.lastUsedMs = now;
  }

  get known(): boolean {
    return this.partitions.length > 0;
  }

  leaderOf(partition: number): number {
    const p = this.partitions[partition];
    return p === undefined ? -1 : p.leader;
  }
}

export class ProducerMetadata {
  readonly topics = new Map<string, TopicState>();
  readonly brokers = new Map<number, BrokerNode>();
  clusterId: string | null = null;
  controllerId = -1;
  /** An update was asked for (new topic, stale leader, disconnect). */
  needUpdate = true;
  /** A new topic was added: refresh without waiting for the backoff. */
  private needFullUpdateForNewTopics = false;
  lastRefreshMs = 0;
  lastSuccessfulRefreshMs = 0;
  refreshAttempts = 0;
  version = 0;
  updates = 0;
  /** Called after every successful update. */
  onUpdate: (() => void) | null = null;

  constructor(
    private readonly maxAgeMs: number,
    private readonly maxIdleMs: number,
    private readonly refreshBackoffMs: number,
    private readonly refreshBackoffMaxMs: number,
  ) {}

  /** The topic's state, registering interest in it (a refresh is requested for new topics). */
  topic(name: string, now: number): TopicState {
    let t = this.topics.get(name);
    if (t !== undefined && t.idle) {
      t.idle = false;
      this.needUpdate = true;
    }
    if (t === undefined) {
      t = new TopicState(name, now);
      this.topics.set(name, t);
      this.needUpdate = true;
      this.needFullUpdateForNewTopics = true;
    }
    return t;
  }

  requestUpdate(): void {
    this.needUpdate = true;
  }

  /** Ms until the next refresh is due (0 = now). */
  timeToNextUpdate(now: number): number {
    const backoff = this.refreshAttempts === 0 ? 0 : Math.min(this.refreshBackoffMs * 2 ** (this.refreshAttempts - 1), this.refreshBackoffMaxMs);
    const sinceLast = now - this.lastRefreshMs;
    if (this.needFullUpdateForNewTopics && this.refreshAttempts === 0) return 0;
    const backoffLeft = Math.max(backoff - sinceLast, 0);
    if (this.needUpdate) return backoffLeft;
    return Math.max(this.lastSuccessfulRefreshMs + this.maxAgeMs - now, backoffLeft);
  }

  /** Topic names for the next Metadata request (idle topics are dropped first). */
  topicsToRequest(now: number): string[] {
    const out: string[] = [];
    for (const [name, t] of this.topics) {
      if (now - t.lastUsedMs > this.maxIdleMs && t.queues.every((q) => q.batches.length === 0 && q.inFlight.length === 0)) {
        t.idle = true;
        continue;
      }
      t.idle = false;
      out.push(name);
    }
    return out;
  }

  beginRefresh(now: number): void {
    this.lastRefreshMs = now;
    this.needFullUpdateForNewTopics = false;
  }

  failedUpdate(now: number): void {
    this.lastRefreshMs = now;
    this.refreshAttempts++;
  }

  update(res: MetadataResponse, now: number): void {
    this.brokers.clear();
    for (const b of res.brokers) this.brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port });
    this.clusterId = res.clusterId;
    this.controllerId = res.controllerId;
    let retryable = false;
    for (const rt of res.topics) {
      const t = rt.name === null ? undefined : this.topics.get(rt.name);
      if (!t) continue;
      t.error = rt.errorCode;
      t.errorMessage = null;
      if (rt.errorCode !== 0) {
        // Keep the last known partitions for transient errors, as the Java client does.
        if (rt.errorCode === 3 || rt.errorCode === 5) retryable = true;
        continue;
      }
      const parts: PartitionMeta[] = [];
      for (const p of rt.partitions) {
        // A partition error (LEADER_NOT_AVAILABLE, ...) leaves the partition without a leader.
        parts[p.partitionIndex] = { partition: p.partitionIndex, leader: p.errorCode === 0 || p.errorCode === 9 ? p.leaderId : -1, leaderEpoch: p.leaderEpoch };
        if (p.errorCode !== 0 && p.errorCode !== 9) retryable = true;
      }
      for (let i = 0; i < parts.length; i++) if (!parts[i]) parts[i] = { partition: i, leader: -1, leaderEpoch: -1 };
      t.partitions = parts;
      t.available = parts.filter((p) => p.leader >= 0 && this.brokers.has(p.leader)).map((p) => p.partition);
    }
    this.lastSuccessfulRefreshMs = now;
    this.lastRefreshMs = now;
    this.version++;
    this.updates++;
    // Topics still being created or without leaders: ask again after the backoff.
    this.needUpdate = retryable;
    this.refreshAttempts = retryable ? this.refreshAttempts + 1 : 0;
    this.onUpdate?.();
  }
}
