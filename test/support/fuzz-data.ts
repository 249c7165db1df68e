// The fuzzer's data checks: a known data set (keyed, headered, plain and gzip batches over
// several topics and partitions) produced before a run and compared byte-for-byte after it;
// every batch valid fuzz cases got stored must still decode; and housekeeping of topics that
// valid cases grew to thousands of partitions.
import { crc32c } from '../../src/protocol/crc32c.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import * as M from '../../src/protocol/messages/index.js';
import { encodeRecordBatch } from '../../src/protocol/recordBatch.js';
import { fetchBatches } from './fetchAll.js';
import { SCRATCH_GZIP_TOPIC, SCRATCH_TOPIC } from './fuzz-corpus.js';
import { RawClient } from './RawClient.js';

const SCRATCH_TOPICS: [string, number][] = [[SCRATCH_TOPIC, 2], [SCRATCH_GZIP_TOPIC, 1]];

export const DATA_SET_TOPICS: [string, number][] = [['golden-a', 3], ['golden-b', 1], ['golden-c', 2]];

export interface PartitionSnapshot {
  records: Buffer;
  highWatermark: number;
  logStartOffset: number;
}

/** Create the data set's topics and produce keyed, headered, plain and gzip batches to every partition. */
export async function produceDataSet(bootstrap: string): Promise<void> {
  const c = await RawClient.connect(bootstrap);
  try {
    const created = await c.request(19, 5, M.encodeCreateTopicsRequest, M.decodeCreateTopicsResponse, {
      topics: DATA_SET_TOPICS.map(([name, numPartitions]) => ({ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] })),
      timeoutMs: 10_000,
      validateOnly: false,
    });
    for (const t of created.topics) if (t.errorCode !== 0) throw new Error(`create ${t.name}: ${t.errorCode}`);
    const now = Date.now();
    for (const [topic, partitions] of DATA_SET_TOPICS) {
      for (let p = 0; p < partitions; p++) {
        for (let b = 0; b < 4; b++) {
          const records = Array.from({ length: 1 + b * 3 }, (_, i) => ({
            key: i % 3 === 0 ? null : Buffer.from(`${topic}-${p}-key-${b}-${i}`),
            value: Buffer.from(`value ${topic}/${p}/${b}/${i} `.repeat(1 + (i % 5))),
            headers: [{ key: 'batch', value: Buffer.from(String(b)) }, { key: 'empty', value: null }],
            timestamp: now - 60_000 + b * 1000 + i, // recent: retention must not touch the data set during a run
          }));
          const res = await c.request(0, 9, M.encodeProduceRequest, M.decodeProduceResponse, {
            transactionalId: null,
            acks: -1,
            timeoutMs: 10_000,
            topicData: [{ name: topic, partitionData: [{ index: p, records: encodeRecordBatch({ records, compression: b % 2 === 1 ? 1 : 0 }) }] }],
          });
          const code = res.responses[0]!.partitionResponses[0]!.errorCode;
          if (code !== 0) throw new Error(`produce ${topic}-${p}: ${code}`);
        }
      }
    }
  } finally {
    c.close();
  }
}

/** The raw record batch bytes (and offsets) of every data set partition, as Fetch returns them. */
export async function snapshotDataSet(bootstrap: string): Promise<Map<string, PartitionSnapshot>> {
  const c = await RawClient.connect(bootstrap);
  try {
    const out = new Map<string, PartitionSnapshot>();
    for (const [topic, partitions] of DATA_SET_TOPICS) {
      for (let p = 0; p < partitions; p++) {
        const res = await fetchBatches(c, topic, p, 0, 8 << 20);
        if (res.errorCode !== 0) throw new Error(`fetch ${topic}-${p}: error ${res.errorCode}`);
        out.set(`${topic}-${p}`, { records: Buffer.from(res.records ?? []), highWatermark: Number(res.highWatermark), logStartOffset: Number(res.logStartOffset) });
      }
    }
    const meta = await c.request(3, 1, M.encodeMetadataRequest, M.decodeMetadataResponse, {
      topics: null,
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    const golden = meta.topics.filter((t) => t.name?.startsWith('golden')).map((t) => `${t.name}:${t.partitions.length}`);
    out.set(`topics:${golden.sort().join(',')}`, { records: Buffer.alloc(0), highWatermark: 0, logStartOffset: 0 });
    return out;
  } finally {
    c.close();
  }
}

/**
 * Every batch the broker accepted outside the data set (what valid fuzz cases produced) must
 * have a good CRC and decode, decompressed, to as many records as it claims: a broker that
 * stored garbage would hand it to every consumer. `verified` remembers where each partition was
 * checked up to, so repeated checks only read what is new.
 */
export async function verifyStoredBatches(bootstrap: string, verified: Map<string, number>): Promise<string[]> {
  const problems: string[] = [];
  const c = await RawClient.connect(bootstrap);
  try {
    const topics = (await allTopics(c)).filter((t) => !t.name.startsWith('golden') && !t.name.startsWith('__'));
    // One ListOffsets for every partition: only those that grew since the last check are read.
    const ends = await c.request(2, 1, M.encodeListOffsetsRequest, M.decodeListOffsetsResponse, {
      replicaId: -1,
      isolationLevel: 0,
      topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 })) })),
    });
    for (const t of ends.topics) {
      for (const part of t.partitions) {
        const key = `${t.name}-${part.partitionIndex}`;
        let offset = verified.get(key) ?? 0;
        if (part.errorCode !== 0 || part.offset <= offset) continue;
        for (let round = 0; round < 1000 && offset < part.offset; round++) {
          let res;
          try {
            res = await fetchBatches(c, t.name, part.partitionIndex, offset, 8 << 20);
          } catch (err) {
            problems.push(`${key} at ${offset}: stored batch does not decode: ${(err as Error).message}`);
            break;
          }
          if (res.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE && Number(res.logStartOffset) > offset) {
            offset = Number(res.logStartOffset);
            continue;
          }
          if (res.errorCode !== 0 || res.batches.length === 0) break;
          const raw = res.records!;
          for (let pos = 0; pos + 61 <= raw.length; pos += raw.readInt32BE(pos + 8) + 12) {
            const size = raw.readInt32BE(pos + 8) + 12;
            if (pos + size > raw.length) break; // a partial batch at the end of a fetch
            if (raw.readUInt32BE(pos + 17) !== crc32c(raw.subarray(pos + 21, pos + size))) problems.push(`${key} batch at ${Number(raw.readBigInt64BE(pos))}: bad CRC stored`);
          }
          for (const b of res.batches) {
            if (b.records.length !== b.recordCount) problems.push(`${key} batch at ${b.baseOffset}: ${b.recordCount} records claimed, ${b.records.length} decoded`);
            offset = Math.max(offset, b.lastOffset + 1);
          }
        }
        verified.set(key, offset);
      }
    }
  } finally {
    c.close();
  }
  return problems;
}

async function allTopics(c: RawClient): Promise<{ name: string; partitions: number[] }[]> {
  const meta = await c.request(3, 1, M.encodeMetadataRequest, M.decodeMetadataResponse, {
    topics: null,
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  return meta.topics.filter((t) => t.name).map((t) => ({ name: t.name!, partitions: t.partitions.map((p) => p.partitionIndex) }));
}

/**
 * Valid fuzz cases may grow a scratch topic, or create one, with up to the broker's 100,000
 * partitions (a bit flip in a count is enough). That is Kafka's behaviour, not bad input, but it
 * turns the run into a partition-count stress test: such topics (over 64 partitions) are deleted
 * at each check, and the corpus's own scratch topics recreated. Returns how many were deleted.
 */
export async function housekeep(bootstrap: string, verified: Map<string, number>): Promise<number> {
  const c = await RawClient.connect(bootstrap);
  try {
    const big = (await allTopics(c)).filter((t) => t.partitions.length > 64 && !t.name.startsWith('golden') && !t.name.startsWith('__')).map((t) => t.name);
    if (big.length === 0) return 0;
    await c.request(20, 4, M.encodeDeleteTopicsRequest, M.decodeDeleteTopicsResponse, { topics: [], topicNames: big, timeoutMs: 10_000 });
    for (const key of [...verified.keys()]) if (big.some((t) => key.startsWith(`${t}-`))) verified.delete(key);
    const recreate = SCRATCH_TOPICS.filter(([name]) => big.includes(name));
    if (recreate.length > 0) {
      await c.request(19, 5, M.encodeCreateTopicsRequest, M.decodeCreateTopicsResponse, {
        topics: recreate.map(([name, numPartitions]) => ({ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] })),
        timeoutMs: 10_000,
        validateOnly: false,
      });
    }
    return big.length;
  } finally {
    c.close();
  }
}

/** Differences between two snapshots (empty when byte-for-byte identical). */
export function diffSnapshots(before: Map<string, PartitionSnapshot>, after: Map<string, PartitionSnapshot>): string[] {
  const out: string[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(key);
    const b = after.get(key);
    if (!a || !b) out.push(`${key}: ${a ? 'gone' : 'appeared'}`);
    else if (!a.records.equals(b.records) || a.highWatermark !== b.highWatermark || a.logStartOffset !== b.logStartOffset) {
      out.push(`${key}: ${a.records.length} bytes hw ${a.highWatermark} start ${a.logStartOffset} -> ${b.records.length} bytes hw ${b.highWatermark} start ${b.logStartOffset}`);
    }
  }
  return out;
}
