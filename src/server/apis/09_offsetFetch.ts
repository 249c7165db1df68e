// OffsetFetch v1–10 (v0 read ZooKeeper-stored offsets in Kafka and is not served). A
// partition without a committed offset answers offset -1 and empty metadata; so does every
// partition of an unknown group. A null topic list (v2+) means every partition the group has
// committed. v2+ carry a group-level error code (below v2 it is put on each partition); v7
// adds require_stable: a partition with a pending commit (transactional before its marker, or
// plain before it is replicated) answers UNSTABLE_OFFSET_COMMIT there (offset -1; the
// group-level code stays NONE, as Kafka's getOffsets), without it the last committed offset;
// v8+ fetch several
// groups in one request; v9's member id / epoch only matter to KIP-848 groups and are
// ignored for classic ones, as Kafka does. The empty group id is accepted, as in Kafka.
// v10 names topics by id (as Kafka 4.4's KafkaApis): an id this broker does not know answers
// UNKNOWN_TOPIC_ID on each requested partition (after the known topics); for every committed
// topic (null list) a topic without a known id is left out.
import { decodeOffsetFetchRequest, encodeOffsetFetchResponse, OffsetFetchApi } from '../../protocol/messages/OffsetFetch.js';
import type { OffsetFetchResponse } from '../../protocol/messages/OffsetFetch.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { OffsetFetchRequest } from '../../protocol/messages/OffsetFetch.js';
import { ZERO_UUID } from '../../protocol/primitives.js';
import type { Broker } from '../Broker.js';
import { defineApi } from './Api.js';

type ResponseGroup = OffsetFetchResponse['groups'][number];

/** One group of a v10 request: topic ids resolved to names for the coordinator, and back. */
function fetchByTopicId(broker: Broker, g: OffsetFetchRequest['groups'][number], requireStable: boolean): ResponseGroup {
  const idOf = (name: string): Buffer | undefined => {
    const meta = broker.metadata.get(name);
    return meta ? Buffer.from(meta.topicId, 'hex') : undefined;
  };
  if (g.topics === null) {
    const fetched = broker.groupCoordinator.fetchOffsets(g.groupId, null, requireStable);
    const topics: ResponseGroup['topics'] = [];
    for (const t of fetched.topics) {
      const topicId = idOf(t.name);
      if (topicId) topics.push({ ...t, topicId });
    }
    return { ...fetched, topics };
  }
  const known: { name: string; topicId: Buffer; partitionIndexes: number[] }[] = [];
  const unknown: ResponseGroup['topics'] = [];
  for (const t of g.topics) {
    const topicId = t.topicId ?? ZERO_UUID;
    const name = broker.metadata.getById(topicId.toString('hex'))?.name;
    if (name !== undefined) known.push({ name, topicId, partitionIndexes: t.partitionIndexes });
    else {
      unknown.push({
        name: '',
        topicId,
        partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNKNOWN_TOPIC_ID })),
      });
    }
  }
  const fetched = broker.groupCoordinator.fetchOffsets(g.groupId, known, requireStable);
  if (fetched.errorCode !== ErrorCode.NONE) return fetched;
  return { ...fetched, topics: [...fetched.topics.map((t, i) => ({ ...t, topicId: known[i]!.topicId })), ...unknown] };
}

export const offsetFetchApi = defineApi(
  OffsetFetchApi,
  [1, 10],
  { decodeRequest: decodeOffsetFetchRequest, encodeResponse: encodeOffsetFetchResponse },
  (ctx, req): OffsetFetchResponse => {
    const coordinator = ctx.broker.groupCoordinator;
    const v = ctx.apiVersion;
    if (v >= 8) {
      return {
        throttleTimeMs: 0,
        topics: [],
        errorCode: 0,
        groups: req.groups.map((g) => (v >= 10 ? fetchByTopicId(ctx.broker, g, req.requireStable) : coordinator.fetchOffsets(g.groupId, g.topics, req.requireStable))),
      };
    }
    const g = coordinator.fetchOffsets(req.groupId, req.topics, v >= 7 && req.requireStable);
    return {
      throttleTimeMs: 0,
      errorCode: g.errorCode,
      groups: [],
      topics: g.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) =>
          v < 2 && g.errorCode !== 0
            ? { partitionIndex: p.partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: g.errorCode }
            : p,
        ),
      })),
    };
  },
  // v8+: every group gets the code; v2–7: the top-level code and no partitions; v0–1 have no
  // top-level code, so every requested partition carries it.
  (req, code, v) => {
    if (v >= 8) return { throttleTimeMs: 0, errorCode: 0, topics: [], groups: req.groups.map((g) => ({ groupId: g.groupId, errorCode: code, topics: [] })) };
    const topics =
      v >= 2
        ? []
        : (req.topics ?? []).map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: code })),
          }));
    return { throttleTimeMs: 0, errorCode: code, groups: [], topics };
  },
);
