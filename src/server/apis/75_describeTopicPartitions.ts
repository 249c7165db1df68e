// DescribeTopicPartitions v0 (KIP-966), as Kafka 3.9's handler and KRaftMetadataCache answer it:
// the named topics (an empty list: every topic) from the cursor's topic on, sorted by name, at
// most min(2000, response_partition_limit) partitions, with next_cursor at the first partition
// left out. Without ELR (eligible.leader.replicas.enable is off in Kafka 3.9) every partition
// reports empty eligible_leader_replicas and last_known_elr. A leader is reported while its
// broker is registered (fenced or not), else -1; partitions carry no error code. Unknown named
// topics are UNKNOWN_TOPIC_OR_PARTITION (INVALID_TOPIC_EXCEPTION for invalid names); a cursor
// topic missing from a non-empty list is INVALID_REQUEST.
import { invalidTopicName } from '../../common/Topic.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import * as M from '../../protocol/messages/index.js';
import { GROUP_METADATA_TOPIC } from '../group/GroupMetadataRecords.js';
import { TRANSACTION_STATE_TOPIC } from '../transaction/TransactionLog.js';
import { defineApi } from './Api.js';

/** Kafka's max.request.partition.size.limit default. */
const MAX_PARTITIONS = 2000;
// Topic ACL operations (READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS): all allowed without an authorizer.
const TOPIC_OPERATIONS = [3, 4, 5, 6, 7, 8, 10, 11].reduce((bits, op) => bits | (1 << op), 0);

const isInternal = (name: string) => name === GROUP_METADATA_TOPIC || name === TRANSACTION_STATE_TOPIC;

export const describeTopicPartitionsApi = defineApi(
  M.DescribeTopicPartitionsApi,
  [0, 0],
  { decodeRequest: M.decodeDescribeTopicPartitionsRequest, encodeResponse: M.encodeDescribeTopicPartitionsResponse },
  ({ broker }, req): M.DescribeTopicPartitionsResponse => {
    const image = broker.image;
    const all = req.topics.length === 0;
    const cursorTopic = req.cursor?.topicName ?? '';
    const names = new Set<string>();
    for (const n of all ? image.topics.keys() : req.topics.map((t) => t.name)) if (n >= cursorTopic) names.add(n);
    if (!all && req.cursor && !names.has(req.cursor.topicName)) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `DescribeTopicPartitionsRequest topic list should contain the cursor topic: ${req.cursor.topicName}`);
    }
    const topics: M.DescribeTopicPartitionsResponseDescribeTopicPartitionsResponseTopic[] = [];
    let nextCursor: M.DescribeTopicPartitionsResponseCursor | null = null;
    let remaining = Math.min(MAX_PARTITIONS, req.responsePartitionLimit);
    for (const name of [...names].sort()) {
      if (remaining <= 0) {
        if (remaining === 0) nextCursor = { topicName: name, partitionIndex: 0 };
        break;
      }
      const t = image.topics.get(name);
      if (!t) {
        if (!all) {
          const code = invalidTopicName(name) ? ErrorCode.INVALID_TOPIC_EXCEPTION : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          topics.push({ errorCode: code, name, topicId: Buffer.alloc(16), isInternal: isInternal(name), partitions: [], topicAuthorizedOperations: TOPIC_OPERATIONS });
        }
        continue;
      }
      const start = name === cursorTopic && req.cursor ? req.cursor.partitionIndex : 0;
      const upper = Math.min(t.partitions.length, start + remaining);
      const partitions: M.DescribeTopicPartitionsResponseDescribeTopicPartitionsResponsePartition[] = [];
      for (let i = Math.max(0, start); i < upper; i++) {
        const p = t.partitions[i]!;
        partitions.push({
          errorCode: ErrorCode.NONE,
          partitionIndex: i,
          leaderId: p.leader >= 0 && image.brokers.has(p.leader) ? p.leader : -1,
          leaderEpoch: p.leaderEpoch,
          replicaNodes: [...p.replicas],
          isrNodes: [...p.isr],
          eligibleLeaderReplicas: [],
          lastKnownElr: [],
          offlineReplicas: p.replicas.filter((r) => !image.isLive(r)),
        });
      }
      topics.push({ errorCode: ErrorCode.NONE, name, topicId: Buffer.from(t.topicId, 'hex'), isInternal: isInternal(name), partitions, topicAuthorizedOperations: TOPIC_OPERATIONS });
      if (upper < t.partitions.length) {
        nextCursor = { topicName: name, partitionIndex: upper };
        break;
      }
      remaining -= partitions.length;
    }
    return { throttleTimeMs: 0, topics, nextCursor };
  },
  (req, code) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ errorCode: code, name: t.name, topicId: Buffer.alloc(16), isInternal: false, partitions: [], topicAuthorizedOperations: -2147483648 })),
    nextCursor: null,
  }),
);
