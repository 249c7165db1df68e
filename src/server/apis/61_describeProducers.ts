// DescribeProducers v0 (KIP-664; Kafka's ReplicaManager.activeProducerState): the producers a
// partition leader keeps state for — id, epoch, last sequence, last timestamp, the coordinator
// epoch of its last transaction marker and the first offset of its open transaction (-1 when
// none). UNKNOWN_TOPIC_OR_PARTITION for a partition the cluster does not have,
// NOT_LEADER_OR_FOLLOWER on any broker but its leader.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { decodeDescribeProducersRequest, DescribeProducersApi, encodeDescribeProducersResponse } from '../../protocol/messages/DescribeProducers.js';
import type { DescribeProducersResponse } from '../../protocol/messages/DescribeProducers.js';
import { defineApi } from './Api.js';

type PartitionResponse = DescribeProducersResponse['topics'][number]['partitions'][number];

const failed = (partitionIndex: number, errorCode: number): PartitionResponse => ({
  partitionIndex,
  errorCode,
  errorMessage: null,
  activeProducers: [],
});

export const describeProducersApi = defineApi(
  DescribeProducersApi,
  [0, 0],
  { decodeRequest: decodeDescribeProducersRequest, encodeResponse: encodeDescribeProducersResponse },
  (ctx, req): DescribeProducersResponse => {
    const rm = ctx.broker.replicaManager;
    const topics = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((index): PartitionResponse => {
        let partition;
        try {
          partition = rm.leaderPartitionOrThrow(t.name, index);
        } catch (err) {
          if (err instanceof KafkaError) return failed(index, err.code);
          throw err;
        }
        const activeProducers = [...partition.log.producerState.activeProducers()].map((e) => ({
          producerId: e.producerId,
          producerEpoch: e.producerEpoch,
          lastSequence: e.batches.at(-1)?.lastSeq ?? -1,
          lastTimestamp: e.lastTimestamp,
          coordinatorEpoch: e.coordinatorEpoch,
          currentTxnStartOffset: e.currentTxnFirstOffset,
        }));
        return { partitionIndex: index, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers };
      }),
    }));
    return { throttleTimeMs: 0, topics };
  },
  // As Kafka's getErrorResponse: the code on every partition, no message.
  (req, code) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((i) => failed(i, code)) })),
  }),
);
