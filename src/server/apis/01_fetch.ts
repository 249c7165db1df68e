// Fetch v4–18 for consumers and for followers (v13 names topics by id) (replica_id >= 0; v15+
// in replica_state, whose broker epoch is not checked), from partition leaders only
// (NOT_LEADER_OR_FOLLOWER; FENCED/UNKNOWN_LEADER_EPOCH against current_leader_epoch; v16+
// (KIP-951) those two name the leader and epoch this broker knows, with the leader's endpoint
// in node_endpoints). v14 only adds OFFSET_MOVED_TO_TIERED_STORAGE (no tiered storage here);
// v17's replica_directory_id and v18's high_watermark (KIP-1166) are for KRaft voters and are
// ignored, as Kafka 4.4's partition fetches ignore them.
// Sessionless: the reply's session id is always 0, which every client accepts as "no
// session". Consumers get whole batches from the fetch offset up to the high watermark;
// followers up to the log end offset, their fetch offset advancing the high watermark, or
// the diverging epoch when their last fetched epoch ends before their fetch offset.
// At least one batch even past max_bytes, partition_max_bytes per partition. Whatever a client
// asks, a response holds at most the broker's fetch.max.bytes (consumers) or
// replica.fetch.response.max.bytes with replica.fetch.max.bytes per partition (followers), and
// only what is actually read is allocated.
// If fewer than min_bytes are available the request waits up to max_wait_ms for appends.
// isolation_level 1 (read_committed): records up to the last stable offset, with
// aborted_transactions (producer id, first offset) overlapping them; isolation_level 0:
// aborted_transactions null, as Kafka answers. last_stable_offset is always the partition's LSO.
// A topic may appear several times in one request (kafkajs does that); each entry is
// answered in request order.
// Consumers held to a consumer_byte_rate quota fetch at most its window's worth at once; over it
// or over request_percentage, the answer is empty with throttle_time_ms and the connection is
// muted for that long (src/server/quota/). Followers are not held to client quotas.
import { ErrorCode } from '../../protocol/errors.js';
import { decodeFetchRequest, encodeFetchResponse, FetchApi } from '../../protocol/messages/Fetch.js';
import { int64ForComparison } from '../../protocol/primitives.js';
import type { FetchResponse } from '../../protocol/messages/Fetch.js';
import type { FetchPartitionRequest, FetchPartitionResult } from '../ReplicaManager.js';
import type { Broker } from '../Broker.js';
import { defineApi } from './Api.js';
import { CurrentLeaders } from './currentLeader.js';
import { FetchQuota } from '../quota/throttle.js';

const EMPTY = Buffer.alloc(0);
const unknownTopicId: FetchPartitionResult = { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: null };

/** Bound how long a client may park a request on us. */
const MAX_WAIT_CAP_MS = 5 * 60_000;

export const fetchApi = defineApi(
  FetchApi,
  [4, 18],
  { decodeRequest: decodeFetchRequest, encodeResponse: encodeFetchResponse },
  async (ctx, req) => {
    // v13+ names topics by id; an id we do not know is UNKNOWN_TOPIC_ID.
    const names = req.topics.map((t) => (ctx.apiVersion >= 13 ? (ctx.broker.metadata.getById(t.topicId.toString('hex'))?.name ?? null) : t.topic));
    const replicaId = ctx.apiVersion >= 15 ? req.replicaState.replicaId : req.replicaId;
    const follower = replicaId >= 0;
    const config = ctx.broker.config;
    const partitionCap = follower ? config.int('replica.fetch.max.bytes') : Number.POSITIVE_INFINITY;
    const responseCap = follower ? config.int('replica.fetch.response.max.bytes') : config.int('fetch.max.bytes');
    const partitions: FetchPartitionRequest[] = [];
    req.topics.forEach((t, ti) => {
      const name = names[ti];
      if (name === null) return;
      for (const p of t.partitions) {
        partitions.push({
          topic: name,
          partition: p.partition,
          fetchOffset: int64ForComparison(p.fetchOffset), // past ±(2^53-1): ±Infinity, out of range like Kafka
          partitionMaxBytes: Math.min(p.partitionMaxBytes, partitionCap),
          currentLeaderEpoch: p.currentLeaderEpoch,
          lastFetchedEpoch: p.lastFetchedEpoch,
        });
      }
    });
    // Pipelined fetches on one connection share its bound on answers not yet read: one granted
    // no room at all gets no records (not even Kafka's first batch) until the client reads.
    // A consumer held to a consumer_byte_rate quota asks for no more than the quota's window allows.
    const quota = follower ? null : FetchQuota.of(ctx);
    const quotaCap = quota === null ? responseCap : Math.min(responseCap, quota.maxBytes());
    const wanted = Math.max(0, Math.min(req.maxBytes, quotaCap));
    const maxBytes = ctx.conn.reserveResponseBytes(wanted);
    const fetched = ctx.broker.replicaManager.fetchMessages({
      replicaId,
      maxWaitMs: Math.min(Math.max(req.maxWaitMs, 0), MAX_WAIT_CAP_MS),
      minBytes: quota === null ? req.minBytes : Math.min(req.minBytes, wanted),
      maxBytes,
      minOneBatch: maxBytes > 0 || wanted === 0,
      isolationLevel: req.isolationLevel,
      partitions,
      signal: ctx.conn.closeSignal,
    });
    quota?.pause();
    const results = await fetched;
    quota?.resume();
    let i = 0;
    const responses: FetchResponse['responses'] = req.topics.map((t, ti) => ({
      topic: t.topic,
      topicId: t.topicId,
      partitions: t.partitions.map((p) =>
        partitionData(p.partition, names[ti] === null ? unknownTopicId : results[i++]!),
      ),
    }));
    const nodeEndpoints = ctx.apiVersion >= 16 ? nameLeaders(ctx.broker, names, responses) : [];
    const res: FetchResponse = { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses, nodeEndpoints };
    return quota === null ? res : quota.answer(res);
  },
  // As Kafka: the top-level code (v7+), and below v13 the same code on every partition too
  // (older clients only read those); v13+ answers no partitions.
  (req, code, v) => ({
    throttleTimeMs: 0,
    errorCode: code,
    sessionId: 0,
    responses: (v >= 13 ? [] : req.topics).map((t) => ({
      topic: t.topic,
      topicId: t.topicId,
      partitions: t.partitions.map((p) =>
        partitionData(p.partition, { errorCode: code, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: null }),
      ),
    })),
    nodeEndpoints: [],
  }),
);

/** KIP-951 (v16+): NOT_LEADER_OR_FOLLOWER and FENCED_LEADER_EPOCH partitions name the current leader; the live leaders' endpoints. */
function nameLeaders(broker: Broker, names: (string | null)[], responses: FetchResponse['responses']): FetchResponse['nodeEndpoints'] {
  const leaders = new CurrentLeaders(broker);
  responses.forEach((t, i) => {
    const name = names[i];
    if (name === null || name === undefined) return;
    for (const p of t.partitions) {
      if (p.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || p.errorCode === ErrorCode.FENCED_LEADER_EPOCH) p.currentLeader = leaders.leaderOf(name, p.partitionIndex);
    }
  });
  return leaders.nodeEndpoints();
}

function partitionData(index: number, r: FetchPartitionResult): FetchResponse['responses'][number]['partitions'][number] {
  return {
    partitionIndex: index,
    errorCode: r.errorCode,
    highWatermark: r.highWatermark,
    lastStableOffset: r.lastStableOffset,
    logStartOffset: r.logStartOffset,
    divergingEpoch: r.divergingEpoch ?? { epoch: -1, endOffset: -1 },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1, epoch: -1 },
    abortedTransactions: r.abortedTransactions ?? null,
    preferredReadReplica: -1,
    records: r.records ?? EMPTY,
  };
}
