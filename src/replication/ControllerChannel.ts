// A broker's typed link to the controller: the Kafka requests of ControllerApis.ts over one
// NodeClient connection.
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import * as M from '../protocol/messages/index.js';
import { METADATA_TOPIC } from './Controller.js';
import type { NodeClient } from '../network/NodeClient.js';

const TIMEOUT_MS = 10_000;

export class ControllerChannel {
  constructor(
    private readonly client: NodeClient,
    private readonly brokerId: number,
  ) {}

  close(): void {
    this.client.close();
  }

  async register(host: string, port: number, clusterId: string): Promise<number> {
    const res = await this.client.request(M.BrokerRegistrationApi.key, 0, M.encodeBrokerRegistrationRequest, M.decodeBrokerRegistrationResponse, {
      ...M.defaultBrokerRegistrationRequest(),
      brokerId: this.brokerId,
      clusterId,
      incarnationId: Buffer.alloc(16),
      listeners: [{ name: 'PLAINTEXT', host, port, securityProtocol: 0 }],
      features: [],
      rack: null,
    }, TIMEOUT_MS);
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, 'broker registration refused');
    return res.brokerEpoch;
  }

  heartbeat(brokerEpoch: number, metadataOffset: number, wantShutDown: boolean): Promise<M.BrokerHeartbeatResponse> {
    return this.client.request(M.BrokerHeartbeatApi.key, 0, M.encodeBrokerHeartbeatRequest, M.decodeBrokerHeartbeatResponse, {
      brokerId: this.brokerId,
      brokerEpoch,
      currentMetadataOffset: metadataOffset,
      wantFence: false,
      wantShutDown,
      offlineLogDirs: [],
    }, TIMEOUT_MS);
  }

  /** Metadata log records from offset, long-polling up to maxWaitMs. */
  async fetchMetadata(offset: number, maxWaitMs: number): Promise<{ records: Buffer | null; errorCode: number; highWatermark: number }> {
    const res = await this.client.request(M.FetchApi.key, 12, M.encodeFetchRequest, M.decodeFetchResponse, {
      ...M.defaultFetchRequest(),
      replicaId: this.brokerId,
      maxWaitMs,
      minBytes: 1,
      maxBytes: 8 * 1024 * 1024,
      sessionEpoch: -1,
      topics: [{ topic: METADATA_TOPIC, topicId: Buffer.alloc(16), partitions: [{ ...M.defaultFetchRequestFetchPartition(), partition: 0, fetchOffset: offset, partitionMaxBytes: 8 * 1024 * 1024 }] }],
    }, maxWaitMs + TIMEOUT_MS);
    const p = res.responses[0]?.partitions[0];
    return { records: p?.records ?? null, errorCode: p?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, highWatermark: p?.highWatermark ?? -1 };
  }

  alterPartition(topic: string, partition: number, leaderEpoch: number, partitionEpoch: number, newIsr: number[], brokerEpoch: number) {
    return this.client
      .request(M.AlterPartitionApi.key, 1, M.encodeAlterPartitionRequest, M.decodeAlterPartitionResponse, {
        brokerId: this.brokerId,
        brokerEpoch,
        topics: [{ topicName: topic, topicId: Buffer.alloc(16), partitions: [{ ...M.defaultAlterPartitionRequestPartitionData(), partitionIndex: partition, leaderEpoch, newIsr, partitionEpoch }] }],
      }, TIMEOUT_MS)
      .then((res): M.AlterPartitionResponsePartitionData => {
        const p = res.topics[0]?.partitions[0];
        if (res.errorCode !== ErrorCode.NONE || !p) {
          // A request-level error (STALE_BROKER_EPOCH) answers no partition: report it as this one's.
          return { partitionIndex: partition, errorCode: res.errorCode !== ErrorCode.NONE ? res.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR, leaderId: -1, leaderEpoch: -1, isr: [], leaderRecoveryState: 0, partitionEpoch: -1 };
        }
        return p;
      });
  }

  async allocateProducerIds(brokerEpoch: number): Promise<{ start: number; length: number }> {
    const res = await this.client.request(M.AllocateProducerIdsApi.key, 0, M.encodeAllocateProducerIdsRequest, M.decodeAllocateProducerIdsResponse, {
      brokerId: this.brokerId,
      brokerEpoch,
    }, TIMEOUT_MS);
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, 'producer id allocation failed');
    return { start: res.producerIdStart, length: res.producerIdLen };
  }

  createTopics(req: M.CreateTopicsRequest): Promise<M.CreateTopicsResponse> {
    return this.client.request(M.CreateTopicsApi.key, 7, M.encodeCreateTopicsRequest, M.decodeCreateTopicsResponse, req, TIMEOUT_MS);
  }

  deleteTopics(names: string[]): Promise<M.DeleteTopicsResponse> {
    return this.client.request(M.DeleteTopicsApi.key, 6, M.encodeDeleteTopicsRequest, M.decodeDeleteTopicsResponse, {
      topics: names.map((name) => ({ name, topicId: Buffer.alloc(16) })),
      topicNames: [],
      timeoutMs: TIMEOUT_MS,
    }, TIMEOUT_MS);
  }

  createPartitions(req: M.CreatePartitionsRequest): Promise<M.CreatePartitionsResponse> {
    return this.client.request(M.CreatePartitionsApi.key, 3, M.encodeCreatePartitionsRequest, M.decodeCreatePartitionsResponse, req, TIMEOUT_MS);
  }

  /** Replace a topic's config overrides. */
  async setTopicConfigs(topic: string, configs: Record<string, string>): Promise<{ errorCode: number; errorMessage: string | null }> {
    const res = await this.client.request(M.AlterConfigsApi.key, 2, M.encodeAlterConfigsRequest, M.decodeAlterConfigsResponse, {
      resources: [{ resourceType: 2, resourceName: topic, configs: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
      validateOnly: false,
    }, TIMEOUT_MS);
    return res.responses[0]!;
  }
}
