// OffsetFetch v1–9 (v0 read ZooKeeper-stored offsets in Kafka and is not served). A
// partition without a committed offset answers offset -1 and empty metadata; so does every
// partition of an unknown group. A null topic list (v2+) means every partition the group has
// committed. v2+ carry a group-level error code (below v2 it is put on each partition); v7
// adds require_stable: a partition with a pending commit (transactional before its marker, or
// plain before it is replicated) answers UNSTABLE_OFFSET_COMMIT there (offset -1; the
// group-level code stays NONE, as Kafka's getOffsets), without it the last committed offset;
// v8+ fetch several
// groups in one request; v9's member id / epoch only matter to KIP-848 groups and are
// ignored for classic ones, as Kafka does. The empty group id is accepted, as in Kafka.
import { decodeOffsetFetchRequest, encodeOffsetFetchResponse, OffsetFetchApi } from '../../protocol/messages/OffsetFetch.js';
import type { OffsetFetchResponse } from '../../protocol/messages/OffsetFetch.js';
import { defineApi } from './Api.js';

export const offsetFetchApi = defineApi(
  OffsetFetchApi,
  [1, 9],
  { decodeRequest: decodeOffsetFetchRequest, encodeResponse: encodeOffsetFetchResponse },
  (ctx, req): OffsetFetchResponse => {
    const coordinator = ctx.broker.groupCoordinator;
    const v = ctx.apiVersion;
    if (v >= 8) {
      return {
        throttleTimeMs: 0,
        topics: [],
        errorCode: 0,
        groups: req.groups.map((g) => coordinator.fetchOffsets(g.groupId, g.topics, req.requireStable)),
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
