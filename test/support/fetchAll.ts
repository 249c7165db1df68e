// Read a partition back through our own codecs (Fetch v11 + record batch decoding), for tests
// that run before consumer groups exist.
import { decodeFetchResponse, encodeFetchRequest } from '../../src/protocol/messages/index.js';
import { decodeRecordBatches, type DecodedBatch } from '../../src/protocol/recordBatch.js';
import { RawClient } from './RawClient.js';

export interface ReadRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string | null>;
}

export async function fetchBatches(client: RawClient, topic: string, partition: number, fetchOffset: number, maxBytes = 1 << 20) {
  const res = await client.request(1, 11, encodeFetchRequest, decodeFetchResponse, {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1 },
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId: Buffer.alloc(16),
        partitions: [
          { partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: maxBytes, replicaDirectoryId: Buffer.alloc(16) },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  });
  const p = res.responses[0]!.partitions[0]!;
  return { ...p, batches: p.records ? decodeRecordBatches(p.records) : ([] as DecodedBatch[]) };
}

/** Every record of a partition from `from` up to its high watermark. */
export async function readAll(bootstrap: string, topic: string, partition = 0, from = 0): Promise<ReadRecord[]> {
  const client = await RawClient.connect(bootstrap);
  try {
    const out: ReadRecord[] = [];
    let offset = from;
    for (;;) {
      const res = await fetchBatches(client, topic, partition, offset);
      if (res.errorCode !== 0) throw new Error(`fetch error ${res.errorCode}`);
      for (const b of res.batches) {
        for (const r of b.records) {
          if (r.offset < offset) continue;
          const headers: Record<string, string | null> = {};
          for (const h of r.headers) headers[h.key] = h.value === null ? null : h.value.toString();
          out.push({
            offset: r.offset,
            timestamp: r.timestamp,
            key: r.key === null ? null : r.key.toString(),
            value: r.value === null ? null : r.value.toString(),
            headers,
          });
        }
      }
      const last = res.batches.at(-1);
      if (!last) break;
      offset = last.baseOffset + last.lastOffsetDelta + 1;
      if (offset >= res.highWatermark) break;
    }
    return out;
  } finally {
    client.close();
  }
}

/** Every batch of a partition from offset 0, decoded by our reader (attributes and records). */
export async function batchesOf(bootstrap: string, topic: string, partition = 0, maxBytes = 8 << 20): Promise<DecodedBatch[]> {
  const client = await RawClient.connect(bootstrap);
  try {
    const out: DecodedBatch[] = [];
    let offset = 0;
    for (;;) {
      const res = await fetchBatches(client, topic, partition, offset, maxBytes);
      if (res.batches.length === 0) break;
      out.push(...res.batches);
      offset = res.batches.at(-1)!.lastOffset + 1;
      if (offset >= res.highWatermark) break;
    }
    return out;
  } finally {
    client.close();
  }
}
