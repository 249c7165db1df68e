// A small promise-based Kafka client for the nemesis' built-in reader and committer, over the
// network layer's KafkaConnection (handshake, framing, request timeouts) and our own codecs:
// Metadata for leaders, Fetch to read a partition up to its high watermark, FindCoordinator,
// OffsetCommit and OffsetFetch for a group. No retries of its own: callers decide.
import { KafkaConnection } from '../network/KafkaConnection.js';
import * as M from '../protocol/messages/index.js';
import type { Reader, Writer } from '../protocol/primitives.js';
import { decodeRecordBatches } from '../protocol/recordBatch.js';

const METADATA = 3;
const FETCH = 1;
const FIND_COORDINATOR = 10;
const OFFSET_COMMIT = 8;
const OFFSET_FETCH = 9;

export interface FetchedRecord {
  offset: number;
  value: string | null;
  /** The batch's producer id and epoch, and the record's sequence (-1 without idempotence). */
  producerId: number;
  producerEpoch: number;
  sequence: number;
}

export interface PartitionRead {
  errorCode: number;
  highWatermark: number;
  records: FetchedRecord[];
  /** The offset after the last record returned (or the fetch offset when none). */
  nextOffset: number;
}

export class WireClient {
  private readonly conns = new Map<string, KafkaConnection>();
  private readonly nodes = new Map<number, string>();
  private closed = false;

  constructor(
    private readonly bootstrap: string[],
    private readonly clientId: string,
    private readonly requestTimeoutMs = 5000,
  ) {}

  private async connection(address: string): Promise<KafkaConnection> {
    if (this.closed) throw new Error('client closed');
    let c = this.conns.get(address);
    if (c === undefined || c.state === 'closed') {
      const at = address.lastIndexOf(':');
      c = new KafkaConnection(-1, address.slice(0, at), Number(address.slice(at + 1)), {
        clientId: this.clientId,
        requestTimeoutMs: this.requestTimeoutMs,
        connectTimeoutMs: this.requestTimeoutMs,
      });
      this.conns.set(address, c);
    }
    await c.ready;
    return c;
  }

  async request<Req, Res>(address: string, apiKey: number, version: number, encode: (w: Writer, v: number, m: Req) => void, decode: (r: Reader, v: number) => Res, body: Req): Promise<Res> {
    const c = await this.connection(address);
    return new Promise<Res>((resolve, reject) => {
      c.sendRequest(apiKey, version, (w) => encode(w, version, body), (err, r) => {
        if (err) return reject(err);
        try {
          resolve(decode(r!, version));
        } catch (e) {
          reject(e as Error);
        }
      });
    });
  }

  /** Any broker that answers, trying the known ones and then the bootstrap list. */
  private async anyBroker<T>(fn: (address: string) => Promise<T>): Promise<T> {
    const candidates = [...new Set([...this.nodes.values(), ...this.bootstrap])];
    let last: unknown = new Error('no broker');
    for (const a of candidates) {
      try {
        return await fn(a);
      } catch (e) {
        last = e;
      }
    }
    throw last;
  }

  /** Leader node of each partition of a topic (-1 when none), refreshing broker addresses. */
  async leaders(topic: string): Promise<Map<number, number>> {
    const res = await this.anyBroker((a) =>
      this.request(a, METADATA, 9, M.encodeMetadataRequest, M.decodeMetadataResponse, {
        ...M.defaultMetadataRequest(),
        topics: [{ ...M.defaultMetadataRequestMetadataRequestTopic(), name: topic }],
        allowAutoTopicCreation: false,
      }),
    );
    for (const b of res.brokers) this.nodes.set(b.nodeId, `${b.host}:${b.port}`);
    const out = new Map<number, number>();
    const t = res.topics.find((x) => x.name === topic);
    for (const p of t?.partitions ?? []) out.set(p.partitionIndex, p.errorCode === 0 ? p.leaderId : -1);
    return out;
  }

  address(nodeId: number): string {
    const a = this.nodes.get(nodeId);
    if (a === undefined) throw new Error(`unknown node ${nodeId}`);
    return a;
  }

  /** One Fetch of a partition from a node, from `offset`, records below the high watermark. */
  async fetch(nodeId: number, topic: string, partition: number, offset: number, maxBytes = 1 << 20): Promise<PartitionRead> {
    const res = await this.request(this.address(nodeId), FETCH, 11, M.encodeFetchRequest, M.decodeFetchResponse, {
      ...M.defaultFetchRequest(),
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          ...M.defaultFetchRequestFetchTopic(),
          topic,
          partitions: [{ ...M.defaultFetchRequestFetchPartition(), partition, fetchOffset: offset, partitionMaxBytes: maxBytes }],
        },
      ],
    });
    const p = res.responses[0]?.partitions[0];
    if (!p) throw new Error(`fetch of ${topic}-${partition} answered no partition`);
    const records: FetchedRecord[] = [];
    let next = offset;
    if (p.errorCode === 0 && p.records) {
      for (const b of decodeRecordBatches(p.records)) {
        for (const r of b.records) {
          if (r.offset < offset || r.offset >= p.highWatermark) continue;
          records.push({
            offset: r.offset,
            value: r.value === null ? null : r.value.toString(),
            producerId: b.producerId,
            producerEpoch: b.producerEpoch,
            sequence: b.baseSequence < 0 ? -1 : b.baseSequence + (r.offset - b.baseOffset),
          });
          next = r.offset + 1;
        }
        if (b.baseOffset + b.lastOffsetDelta < p.highWatermark) next = Math.max(next, b.baseOffset + b.lastOffsetDelta + 1);
      }
    }
    return { errorCode: p.errorCode, highWatermark: Number(p.highWatermark), records, nextOffset: next };
  }

  /** Every record of a partition from offset 0 to the leader's high watermark. */
  async readPartition(topic: string, partition: number, timeoutMs = 30_000): Promise<{ records: FetchedRecord[]; highWatermark: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const leader = (await this.leaders(topic)).get(partition) ?? -1;
        if (leader < 0) throw new Error(`no leader for ${topic}-${partition}`);
        const records: FetchedRecord[] = [];
        let offset = 0;
        for (;;) {
          const r = await this.fetch(leader, topic, partition, offset);
          if (r.errorCode !== 0) throw new Error(`fetch ${topic}-${partition} error ${r.errorCode}`);
          records.push(...r.records);
          if (r.nextOffset >= r.highWatermark || r.nextOffset === offset) return { records, highWatermark: r.highWatermark };
          offset = r.nextOffset;
        }
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  }

  /** The node coordinating a group, or an error code. */
  async findCoordinator(group: string): Promise<number> {
    const res = await this.anyBroker((a) =>
      this.request(a, FIND_COORDINATOR, 3, M.encodeFindCoordinatorRequest, M.decodeFindCoordinatorResponse, { ...M.defaultFindCoordinatorRequest(), key: group, keyType: 0 }),
    );
    if (res.errorCode !== 0) throw new Error(`FindCoordinator error ${res.errorCode}`);
    this.nodes.set(res.nodeId, `${res.host}:${res.port}`);
    return res.nodeId;
  }

  /** Commit offsets as a standalone (simple) group member; per-partition error codes. */
  async commit(coordinator: number, group: string, topic: string, offsets: Map<number, number>): Promise<Map<number, number>> {
    const res = await this.request(this.address(coordinator), OFFSET_COMMIT, 8, M.encodeOffsetCommitRequest, M.decodeOffsetCommitResponse, {
      ...M.defaultOffsetCommitRequest(),
      groupId: group,
      topics: [{ name: topic, partitions: [...offsets].map(([p, o]) => ({ ...M.defaultOffsetCommitRequestOffsetCommitRequestPartition(), partitionIndex: p, committedOffset: o })) }],
    });
    const out = new Map<number, number>();
    for (const p of res.topics[0]?.partitions ?? []) out.set(p.partitionIndex, p.errorCode);
    return out;
  }

  /** Committed offsets of a group (-1 when none); throws on a group-level error. */
  async committed(coordinator: number, group: string, topic: string, partitions: number[]): Promise<Map<number, number>> {
    const res = await this.request(this.address(coordinator), OFFSET_FETCH, 7, M.encodeOffsetFetchRequest, M.decodeOffsetFetchResponse, {
      ...M.defaultOffsetFetchRequest(),
      groupId: group,
      topics: [{ name: topic, partitionIndexes: partitions }],
    });
    if (res.errorCode !== 0) throw new Error(`OffsetFetch error ${res.errorCode}`);
    const out = new Map<number, number>();
    for (const p of res.topics[0]?.partitions ?? []) {
      if (p.errorCode !== 0) throw new Error(`OffsetFetch ${topic}-${p.partitionIndex} error ${p.errorCode}`);
      out.set(p.partitionIndex, Number(p.committedOffset));
    }
    return out;
  }

  close(): void {
    this.closed = true;
    for (const c of this.conns.values()) c.close();
    this.conns.clear();
  }
}
