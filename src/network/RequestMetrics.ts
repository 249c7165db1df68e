// Request and per-topic traffic metrics, collected where requests are dispatched (Kafka's
// RequestChannel metrics and BrokerTopicStats), so no API handler has to count anything:
//
// - per API: requests served and their total time (frame in → answer ready) as a histogram,
//   Kafka's kafka.network:type=RequestMetrics,name={RequestsPerSec,TotalTimeMs},request=<api>;
// - per topic: messages and bytes in (accepted Produce batches, Kafka's MessagesInPerSec and
//   BytesInPerSec), bytes and messages out to consumers (BytesOutPerSec; Kafka has no
//   messages-out meter, we count the records of the batches served), and replication bytes out
//   to followers (ReplicationBytesOutPerSec), which Kafka keeps apart from BytesOutPerSec.
//
// Everything is a plain counter since the broker started; a snapshot is plain JSON, so a broker
// in another process can hand it over IPC.
import { forEachBatch, RECORD_COUNT_OFFSET } from '../protocol/recordBatch.js';

/** Upper bounds (ms) of the latency histogram's buckets; +Inf is implied. */
export const LATENCY_BUCKETS_MS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

export interface ApiRequestStats {
  requests: number;
  totalTimeMsSum: number;
  /** Cumulative counts per LATENCY_BUCKETS_MS bound (Prometheus `le` buckets, +Inf is `requests`). */
  buckets: number[];
}

export interface TopicTrafficStats {
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
  replicationBytesOut: number;
}

export interface RequestMetricsSnapshot {
  apis: Record<string, ApiRequestStats>;
  topics: Record<string, TopicTrafficStats>;
}

/** What a Produce request carries, counted before the handler runs (its buffers may be reused after). */
export type ProduceCounts = { topic: string; partition: number; bytes: number; messages: number }[];

function recordsIn(buf: Buffer): { bytes: number; messages: number } {
  let bytes = 0;
  let messages = 0;
  forEachBatch(buf, (pos, size) => {
    bytes += size;
    messages += buf.readInt32BE(pos + RECORD_COUNT_OFFSET);
  });
  return { bytes, messages };
}

export class RequestMetrics {
  private readonly apis = new Map<string, ApiRequestStats>();
  private readonly topics = new Map<string, TopicTrafficStats>();

  /** topicNameOf resolves a topic id (hex) for Fetch v13+, whose answers name topics by id. */
  constructor(private readonly topicNameOf: (topicIdHex: string) => string | undefined = () => undefined) {}

  private topic(name: string): TopicTrafficStats {
    let t = this.topics.get(name);
    if (!t) this.topics.set(name, (t = { messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0, replicationBytesOut: 0 }));
    return t;
  }

  /** One request of `api` answered (or dropped) after `ms`. */
  recordRequest(api: string, ms: number): void {
    let s = this.apis.get(api);
    if (!s) this.apis.set(api, (s = { requests: 0, totalTimeMsSum: 0, buckets: LATENCY_BUCKETS_MS.map(() => 0) }));
    s.requests++;
    s.totalTimeMsSum += ms;
    for (let i = LATENCY_BUCKETS_MS.length - 1; i >= 0 && ms <= LATENCY_BUCKETS_MS[i]!; i--) s.buckets[i]!++;
  }

  /** The batches of a decoded Produce request, per partition. */
  countProduce(request: unknown): ProduceCounts {
    const out: ProduceCounts = [];
    const topics = (request as { topicData?: { name: string; partitionData: { index: number; records: Buffer | null }[] }[] }).topicData ?? [];
    for (const t of topics) {
      for (const p of t.partitionData) if (p.records) out.push({ topic: t.name, partition: p.index, ...recordsIn(p.records) });
    }
    return out;
  }

  /** Credit the partitions the Produce response accepted (all of them for acks=0, which has none). */
  recordProduce(counts: ProduceCounts, response: unknown): void {
    const failed = new Set<string>();
    const responses = (response as { responses?: { name: string; partitionResponses: { index: number; errorCode: number }[] }[] } | null)?.responses ?? [];
    for (const t of responses) for (const p of t.partitionResponses) if (p.errorCode !== 0) failed.add(`${t.name}\0${p.index}`);
    for (const c of counts) {
      if (failed.has(`${c.topic}\0${c.partition}`)) continue;
      const t = this.topic(c.topic);
      t.messagesIn += c.messages;
      t.bytesIn += c.bytes;
    }
  }

  /** Count what a Fetch response serves: to a follower (replicaId >= 0) as replication bytes. */
  recordFetch(request: unknown, response: unknown): void {
    const req = request as { replicaId?: number; replicaState?: { replicaId: number } };
    const follower = (req.replicaId ?? -1) >= 0 || (req.replicaState?.replicaId ?? -1) >= 0;
    const responses = (response as { responses?: { topic: string; topicId: Buffer; partitions: { records: Buffer | null }[] }[] } | null)?.responses ?? [];
    for (const r of responses) {
      const name = r.topic || this.topicNameOf(r.topicId.toString('hex'));
      if (!name) continue;
      let bytes = 0;
      let messages = 0;
      for (const p of r.partitions) {
        if (!p.records || p.records.length === 0) continue;
        const c = recordsIn(p.records);
        bytes += c.bytes;
        messages += c.messages;
      }
      if (bytes === 0) continue;
      const t = this.topic(name);
      if (follower) {
        t.replicationBytesOut += bytes;
      } else {
        t.bytesOut += bytes;
        t.messagesOut += messages;
      }
    }
  }

  snapshot(): RequestMetricsSnapshot {
    const apis: Record<string, ApiRequestStats> = {};
    for (const [k, v] of this.apis) apis[k] = { ...v, buckets: [...v.buckets] };
    const topics: Record<string, TopicTrafficStats> = {};
    for (const [k, v] of this.topics) topics[k] = { ...v };
    return { apis, topics };
  }
}
