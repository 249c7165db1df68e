// TxnOffsetCommit v0–3 (v4 belongs to KIP-890 part 2, transaction version 2, not served): a
// transactional producer commits a group's offsets inside its transaction. Partitions of
// unknown topics (or past a topic's partition count) are UNKNOWN_TOPIC_OR_PARTITION, checked
// before the group, as Kafka's KafkaApis does; the rest go to the group coordinator, which
// writes them to the group's __consumer_offsets partition as a transactional batch of the
// producer (acks=all) and keeps them pending until the producer's commit or abort marker
// (GroupCoordinator.completeTransaction). An unknown group is created empty; v3 adds member id,
// generation and group.instance.id, checked as for OffsetCommit (UNKNOWN_MEMBER_ID,
// ILLEGAL_GENERATION, FENCED_INSTANCE_ID), but a commit without them is accepted for a group
// with members too. The empty group id is INVALID_GROUP_ID; a producer id or epoch below 0 is
// INVALID_PRODUCER_ID_MAPPING (what Kafka's transaction verification answers).
// With transaction.partition.verification.enable (KIP-890 part 1, default true; Kafka 3.6+'s
// GroupCoordinator.handleTxnCommitOffsets), a commit that would open the producer's transaction
// in the group's __consumer_offsets partition is first verified with the producer's transaction
// coordinator (AddPartitionsToTxn v4 verifyOnly, src/server/AddPartitionsToTxnManager.ts): the
// partition must be in the ongoing transaction, i.e. AddOffsetsToTxn added it. If not, nothing
// is written and every partition gets the answer (Kafka's maybeConvertOffsetCommitError):
// INVALID_TXN_STATE (not in the transaction, or the transaction ended: TRANSACTION_ABORTABLE is
// for v4+ clients only), INVALID_PRODUCER_EPOCH (fenced), INVALID_PRODUCER_ID_MAPPING,
// CONCURRENT_TRANSACTIONS, COORDINATOR_NOT_AVAILABLE (no transaction coordinator), and
// COORDINATOR_LOAD_IN_PROGRESS for a lost connection to it. Below v2,
// COORDINATOR_LOAD_IN_PROGRESS is answered as COORDINATOR_NOT_AVAILABLE (clients before 2.0
// did not retry it, KAFKA-7296).
import { ErrorCode } from '../../protocol/errors.js';
import { decodeTxnOffsetCommitRequest, encodeTxnOffsetCommitResponse, TxnOffsetCommitApi } from '../../protocol/messages/TxnOffsetCommit.js';
import type { TxnOffsetCommitResponse } from '../../protocol/messages/TxnOffsetCommit.js';
import type { CommitPartition, TopicResults } from '../group/GroupCoordinator.js';
import { defineApi } from './Api.js';

export const txnOffsetCommitApi = defineApi(
  TxnOffsetCommitApi,
  [0, 3],
  { decodeRequest: decodeTxnOffsetCommitRequest, encodeResponse: encodeTxnOffsetCommitResponse },
  (ctx, req): TxnOffsetCommitResponse | Promise<TxnOffsetCommitResponse> => {
    const { broker } = ctx;
    const v = ctx.apiVersion;
    // Per request partition: a fixed error, or where the partition sits in what the coordinator gets.
    const valid: { name: string; partitions: CommitPartition[] }[] = [];
    const plan = req.topics.map((t) => {
      const meta = broker.metadata.get(t.name);
      const kept: CommitPartition[] = [];
      const slots = t.partitions.map((p): { errorCode: number } | { topicSlot: number; partitionSlot: number } => {
        if (!meta || p.partitionIndex < 0 || p.partitionIndex >= meta.partitions) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        kept.push({
          partitionIndex: p.partitionIndex,
          committedOffset: p.committedOffset,
          committedLeaderEpoch: v >= 2 ? p.committedLeaderEpoch : -1,
          commitTimestamp: -1,
          committedMetadata: p.committedMetadata,
        });
        return { topicSlot: valid.length, partitionSlot: kept.length - 1 };
      });
      if (kept.length > 0) valid.push({ name: t.name, partitions: kept });
      return { name: t.name, slots, partitions: t.partitions };
    });
    const results: TopicResults | Promise<TopicResults> =
      valid.length === 0
        ? []
        : broker.groupCoordinator.commitTransactionalOffsets({
            transactionalId: req.transactionalId,
            groupId: req.groupId,
            producerId: req.producerId,
            producerEpoch: req.producerEpoch,
            generationId: v >= 3 ? req.generationId : -1,
            memberId: v >= 3 ? req.memberId : '',
            groupInstanceId: v >= 3 ? req.groupInstanceId : null,
            topics: valid,
            apiVersion: v,
            verifier: broker.config.bool('transaction.partition.verification.enable') ? broker.replicaManager.addPartitionsToTxnManager : null,
          });
    const compatible = (code: number) => (v < 2 && code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? ErrorCode.COORDINATOR_NOT_AVAILABLE : code);
    const respond = (r: TopicResults): TxnOffsetCommitResponse => ({
      throttleTimeMs: 0,
      topics: plan.map((t) => ({
        name: t.name,
        partitions: t.slots.map((s, i) => ({
          partitionIndex: t.partitions[i]!.partitionIndex,
          errorCode: compatible('errorCode' in s ? s.errorCode : r[s.topicSlot]!.partitions[s.partitionSlot]!.errorCode),
        })),
      })),
    });
    return results instanceof Promise ? results.then(respond) : respond(results);
  },
  (req, code) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })),
  }),
);
