// Every version of every API we advertise, sent over TCP to a live broker through our own
// codecs: the reply must decode to the last byte and carry the expected outcome.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import * as M from '../src/protocol/messages/index.js';
import { decodeRecordBatches, encodeRecordBatch } from '../src/protocol/recordBatch.js';
import { API_LIST } from '../src/server/apis/index.js';
import { RawClient } from './support/RawClient.js';

let cluster: Cluster;
let client: RawClient;
const TOPIC = 'versions';
let produced = 0;

beforeAll(async () => {
  cluster = await startCluster();
  await cluster.createTopic(TOPIC, { partitions: 1 });
  client = await RawClient.connect(cluster.bootstrapServers[0]!);
});
afterAll(async () => {
  client?.close();
  await cluster?.close();
});

interface Case {
  run(v: number): Promise<void>;
}

const zeroUuid = Buffer.alloc(16);

const cases: Record<number, Case> = {
  0: {
    async run(v) {
      const records = encodeRecordBatch({ records: [{ key: Buffer.from(`k${v}`), value: Buffer.from(`produce v${v}`) }] });
      const res = await client.request(0, v, M.encodeProduceRequest, M.decodeProduceResponse, {
        ...M.defaultProduceRequest(),
        acks: -1,
        timeoutMs: 1000,
        topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }],
      });
      const p = res.responses[0]!.partitionResponses[0]!;
      expect(p.errorCode).toBe(0);
      expect(p.baseOffset).toBe(produced++);
    },
  },
  1: {
    async run(v) {
      const res = await client.request(1, v, M.encodeFetchRequest, M.decodeFetchResponse, {
        ...M.defaultFetchRequest(),
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        sessionEpoch: -1,
        topics: [
          {
            topic: TOPIC,
            topicId: zeroUuid,
            partitions: [{ ...M.defaultFetchRequestFetchPartition(), partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }],
          },
        ],
      });
      const p = res.responses[0]!.partitions[0]!;
      expect(p.errorCode).toBe(0);
      expect(p.highWatermark).toBe(produced);
      const batches = decodeRecordBatches(p.records!);
      expect(batches.length).toBe(produced);
      expect(batches[0]!.records[0]!.value!.toString()).toBe('produce v3');
    },
  },
  2: {
    async run(v) {
      const res = await client.request(2, v, M.encodeListOffsetsRequest, M.decodeListOffsetsResponse, {
        ...M.defaultListOffsetsRequest(),
        replicaId: -1,
        topics: [{ name: TOPIC, partitions: [{ ...M.defaultListOffsetsRequestListOffsetsPartition(), partitionIndex: 0, timestamp: -1 }] }],
      });
      const p = res.topics[0]!.partitions[0]!;
      expect(p.errorCode).toBe(0);
      expect(p.offset).toBe(produced);
    },
  },
  3: {
    async run(v) {
      const res = await client.request(3, v, M.encodeMetadataRequest, M.decodeMetadataResponse, {
        ...M.defaultMetadataRequest(),
        topics: [{ topicId: zeroUuid, name: TOPIC }],
        allowAutoTopicCreation: false,
      });
      expect(res.topics.map((t) => [t.name, t.errorCode, t.partitions.length])).toEqual([[TOPIC, 0, 1]]);
      expect(res.brokers[0]!.port).toBe(Number(cluster.bootstrapServers[0]!.split(':')[1]));
      if (v >= 1) expect(res.controllerId).toBe(res.brokers[0]!.nodeId);
      if (v >= 2) expect(res.clusterId).toBe(cluster.brokers[0]!.clusterId);
    },
  },
  18: {
    async run(v) {
      const res = await client.request(18, v, M.encodeApiVersionsRequest, M.decodeApiVersionsResponse, {
        clientSoftwareName: 'minikafka-test',
        clientSoftwareVersion: '1.0.0',
      });
      expect(res.errorCode).toBe(0);
      expect(res.apiKeys.map((k) => k.apiKey)).toEqual(API_LIST.map((a) => a.key));
    },
  },
  19: {
    async run(v) {
      const res = await client.request(19, v, M.encodeCreateTopicsRequest, M.decodeCreateTopicsResponse, {
        ...M.defaultCreateTopicsRequest(),
        topics: [{ name: `created-v${v}`, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '1000' }] }],
      });
      expect(res.topics[0]!.errorCode).toBe(0);
      if (v >= 5) expect(res.topics[0]!.numPartitions).toBe(2);
      if (v >= 7) expect(res.topics[0]!.topicId.equals(zeroUuid)).toBe(false);
    },
  },
  20: {
    async run(v) {
      const name = `created-v${Math.min(v, 7)}`;
      const res = await client.request(20, v, M.encodeDeleteTopicsRequest, M.decodeDeleteTopicsResponse, {
        ...M.defaultDeleteTopicsRequest(),
        topicNames: [name],
        topics: [{ name, topicId: zeroUuid }],
        timeoutMs: 1000,
      });
      expect(res.responses[0]!.errorCode).toBe(0);
    },
  },
  21: {
    async run(v) {
      const res = await client.request(21, v, M.encodeDeleteRecordsRequest, M.decodeDeleteRecordsResponse, {
        topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, offset: 0 }] }],
        timeoutMs: 1000,
      });
      expect(res.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, lowWatermark: 0 });
    },
  },
  22: {
    async run(v) {
      const res = await client.request(22, v, M.encodeInitProducerIdRequest, M.decodeInitProducerIdResponse, {
        ...M.defaultInitProducerIdRequest(),
        transactionalId: null,
        transactionTimeoutMs: 60000,
      });
      expect(res.errorCode).toBe(0);
      expect(res.producerId).toBeGreaterThanOrEqual(0);
      expect(res.producerEpoch).toBe(0);
    },
  },
  32: {
    async run(v) {
      const res = await client.request(32, v, M.encodeDescribeConfigsRequest, M.decodeDescribeConfigsResponse, {
        ...M.defaultDescribeConfigsRequest(),
        resources: [{ resourceType: 2, resourceName: TOPIC, configurationKeys: ['retention.ms'] }],
      });
      expect(res.results[0]!.errorCode).toBe(0);
      expect(res.results[0]!.configs.map((c) => [c.name, c.value])).toEqual([['retention.ms', '604800000']]);
    },
  },
  33: {
    async run(v) {
      const res = await client.request(33, v, M.encodeAlterConfigsRequest, M.decodeAlterConfigsResponse, {
        ...M.defaultAlterConfigsRequest(),
        resources: [{ resourceType: 2, resourceName: TOPIC, configs: [{ name: 'segment.ms', value: String(1000000 + v) }] }],
      });
      expect(res.responses[0]!.errorCode).toBe(0);
    },
  },
  37: {
    async run(v) {
      const res = await client.request(37, v, M.encodeCreatePartitionsRequest, M.decodeCreatePartitionsResponse, {
        ...M.defaultCreatePartitionsRequest(),
        topics: [{ name: 'grow', count: v + 2, assignments: null }],
      });
      expect(res.results[0]!.errorCode).toBe(0);
    },
  },
  44: {
    async run(v) {
      const res = await client.request(44, v, M.encodeIncrementalAlterConfigsRequest, M.decodeIncrementalAlterConfigsResponse, {
        ...M.defaultIncrementalAlterConfigsRequest(),
        resources: [{ resourceType: 2, resourceName: TOPIC, configs: [{ name: 'retention.bytes', configOperation: 0, value: String(1 << 30) }] }],
      });
      expect(res.responses[0]!.errorCode).toBe(0);
    },
  },
  60: {
    async run(v) {
      const res = await client.request(60, v, M.encodeDescribeClusterRequest, M.decodeDescribeClusterResponse, {
        ...M.defaultDescribeClusterRequest(),
      });
      expect(res.errorCode).toBe(0);
      expect(res.clusterId).toBe(cluster.brokers[0]!.clusterId);
      expect(res.brokers).toHaveLength(1);
    },
  },
};

describe('every advertised API version against a live broker', () => {
  it('has a live case for every advertised API', () => {
    expect(API_LIST.map((a) => a.key).filter((k) => !cases[k])).toEqual([]);
  });

  it('prepares a topic for CreatePartitions', async () => {
    await cluster.createTopic('grow', { partitions: 1 });
  });

  for (const api of API_LIST) {
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      it(`${api.name} v${v}`, async () => {
        await cases[api.key]!.run(v);
      });
    }
  }
});
