// OffsetCommit v0–10. Partitions of unknown topics (or past a topic's partition count) are
// UNKNOWN_TOPIC_OR_PARTITION, checked before the group, as Kafka's KafkaApis does; the rest go
// to the group coordinator, which validates membership (member id, generation,
// group.instance.id) and answers once the offsets are replicated (acks=all to the group's
// partition of __consumer_offsets). Metadata longer than
// offset.metadata.max.bytes is OFFSET_METADATA_TOO_LARGE for that partition. A commit with
// generation -1 and no member id is accepted for an empty group and creates a "simple" group
// if none exists (admin clients, consumers without group management). v0 (no member
// fields) is served from the same store, like v1 with generation -1; v1 may carry a commit
// timestamp, v2–4 a retention time; v6+ a leader epoch; v7+ group.instance.id; v9 answers
// GROUP_ID_NOT_FOUND instead of ILLEGAL_GENERATION for an unknown group. The empty group
// id is accepted, as Kafka does for backward compatibility. v10 names topics by id (KIP-848's
// form, served for classic groups too, as Kafka 4.4 does): an id this broker does not know is
// UNKNOWN_TOPIC_ID for each of its partitions, and the answer names topics by id.
import { ErrorCode } from '../../protocol/errors.js';
import { decodeOffsetCommitRequest, encodeOffsetCommitResponse, OffsetCommitApi } from '../../protocol/messages/OffsetCommit.js';
import type { OffsetCommitResponse } from '../../protocol/messages/OffsetCommit.js';
import type { CommitPartition, TopicResults } from '../group/GroupCoordinator.js';
import { ZERO_UUID } from '../../protocol/primitives.js';
import { defineApi } from './Api.js';

export const offsetCommitApi = defineApi(
  OffsetCommitApi,
  [0, 10],
  { decodeRequest: decodeOffsetCommitRequest, encodeResponse: encodeOffsetCommitResponse },
  (ctx, req): OffsetCommitResponse | Promise<OffsetCommitResponse> => {
    const { broker } = ctx;
    const v = ctx.apiVersion;
    // Per request partition: a fixed error, or the index of the partition handed to the coordinator.
    const valid: { name: string; partitions: CommitPartition[] }[] = [];
    const plan = req.topics.map((t) => {
      const name = v >= 10 ? (broker.metadata.getById((t.topicId ?? ZERO_UUID).toString('hex'))?.name ?? null) : t.name;
      const meta = name === null ? undefined : broker.metadata.get(name);
      const kept: CommitPartition[] = [];
      const slots = t.partitions.map((p): { errorCode: number } | { topicSlot: number; partitionSlot: number } => {
        if (name === null) return { errorCode: ErrorCode.UNKNOWN_TOPIC_ID };
        if (!meta || p.partitionIndex < 0 || p.partitionIndex >= meta.partitions) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        kept.push({
          partitionIndex: p.partitionIndex,
          committedOffset: p.committedOffset,
          committedLeaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1,
          commitTimestamp: v === 1 ? p.commitTimestamp : -1,
          committedMetadata: p.committedMetadata,
        });
        return { topicSlot: valid.length, partitionSlot: kept.length - 1 };
      });
      if (kept.length > 0) valid.push({ name: name!, partitions: kept });
      return { name: t.name, topicId: t.topicId, slots, partitions: t.partitions };
    });
    const results: TopicResults | Promise<TopicResults> =
      valid.length === 0
        ? []
        : broker.groupCoordinator.commitOffsets({
            groupId: req.groupId,
            generationId: v >= 1 ? req.generationIdOrMemberEpoch : -1,
            memberId: v >= 1 ? req.memberId : '',
            groupInstanceId: v >= 7 ? req.groupInstanceId : null,
            retentionTimeMs: v >= 2 && v <= 4 ? req.retentionTimeMs : -1,
            topics: valid,
            apiVersion: v,
          });
    const respond = (r: TopicResults): OffsetCommitResponse => ({
      throttleTimeMs: 0,
      topics: plan.map((t) => ({
        name: t.name,
        topicId: t.topicId,
        partitions: t.slots.map((s, i) => ({
          partitionIndex: t.partitions[i]!.partitionIndex,
          errorCode: 'errorCode' in s ? s.errorCode : r[s.topicSlot]!.partitions[s.partitionSlot]!.errorCode,
        })),
      })),
    });
    return results instanceof Promise ? results.then(respond) : respond(results);
  },
  (req, code) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })),
  }),
);
