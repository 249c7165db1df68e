// A broker's typed link to the controller: the Kafka requests of ControllerApis.ts over one
// NodeClient connection. AlterPartition goes out as Kafka 3.9 brokers send it: v3, the topic by
// id and each proposed ISR member with the broker epoch this broker's image knows (KIP-903).
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import * as M from '../protocol/messages/index.js';
import { METADATA_TOPIC } from './Controller.js';
import type { BrokerEndpoint, MetadataImage } from './MetadataImage.js';
import type { NodeClient } from '../network/NodeClient.js';
import type { Reader, Writer } from '../protocol/primitives.js';

const ALTER_PARTITION_VERSION = 3;

const TIMEOUT_MS = 10_000;

export class ControllerChannel {
  constructor(
    private readonly client: NodeClient,
    private readonly brokerId: number,
    /** The broker's metadata image: topic ids and broker epochs for AlterPartition v3. */
    private readonly image?: MetadataImage,
  ) {}

  close(): void {
    this.client.close();
  }

  async register(host: string, port: number, clusterId: string, listeners?: BrokerEndpoint[]): Promise<number> {
    // The inter-broker endpoint goes first: the controller takes it as the broker's host and port.
    const others = (listeners ?? []).filter((l) => l.host !== host || l.port !== port);
    const inter = (listeners ?? []).find((l) => l.host === host && l.port === port) ?? { name: 'PLAINTEXT', host, port, securityProtocol: 0 };
    const res = await this.client.request(M.BrokerRegistrationApi.key, 0, M.encodeBrokerRegistrationRequest, M.decodeBrokerRegistrationResponse, {
      ...M.defaultBrokerRegistrationRequest(),
      brokerId: this.brokerId,
      clusterId,
      incarnationId: Buffer.alloc(16),
      listeners: [inter, ...others],
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

  /**
   * Propose an ISR. v3 (topic id, ISR members with their broker epochs) when the image knows the
   * topic, else v1 by name. The answer is this partition's; a request-level error is reported as
   * its error, and UNKNOWN_TOPIC_ID as UNKNOWN_TOPIC_OR_PARTITION (the topic is gone either way).
   */
  alterPartition(topic: string, partition: number, leaderEpoch: number, partitionEpoch: number, newIsr: number[], brokerEpoch: number) {
    const topicId = this.image?.topics.get(topic)?.topicId;
    const version = topicId ? ALTER_PARTITION_VERSION : 1;
    const data: M.AlterPartitionRequestPartitionData = { ...M.defaultAlterPartitionRequestPartitionData(), partitionIndex: partition, leaderEpoch, partitionEpoch };
    if (version >= 3) data.newIsrWithEpochs = newIsr.map((id) => ({ brokerId: id, brokerEpoch: this.image?.brokers.get(id)?.epoch ?? -1 }));
    else data.newIsr = newIsr;
    return this.client
      .request(M.AlterPartitionApi.key, version, M.encodeAlterPartitionRequest, M.decodeAlterPartitionResponse, {
        brokerId: this.brokerId,
        brokerEpoch,
        topics: [{ topicName: topic, topicId: topicId ? Buffer.from(topicId, 'hex') : Buffer.alloc(16), partitions: [data] }],
      }, TIMEOUT_MS)
      .then((res): M.AlterPartitionResponsePartitionData => {
        const p = res.topics[0]?.partitions[0];
        if (res.errorCode !== ErrorCode.NONE || !p) {
          // A request-level error (STALE_BROKER_EPOCH) answers no partition: report it as this one's.
          return { partitionIndex: partition, errorCode: res.errorCode !== ErrorCode.NONE ? res.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR, leaderId: -1, leaderEpoch: -1, isr: [], leaderRecoveryState: 0, partitionEpoch: -1 };
        }
        return p.errorCode === ErrorCode.UNKNOWN_TOPIC_ID ? { ...p, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION } : p;
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

  forward<Req, Res>(apiKey: number, version: number, encode: (w: Writer, v: number, m: Req) => void, decode: (r: Reader, v: number) => Res, req: Req): Promise<Res> {
    return this.client.request(apiKey, version, encode, decode, req, TIMEOUT_MS);
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

  alterUserScramCredentials(req: M.AlterUserScramCredentialsRequest): Promise<M.AlterUserScramCredentialsResponse> {
    return this.client.request(M.AlterUserScramCredentialsApi.key, 0, M.encodeAlterUserScramCredentialsRequest, M.decodeAlterUserScramCredentialsResponse, req, TIMEOUT_MS);
  }

  createPartitions(req: M.CreatePartitionsRequest): Promise<M.CreatePartitionsResponse> {
    return this.client.request(M.CreatePartitionsApi.key, 3, M.encodeCreatePartitionsRequest, M.decodeCreatePartitionsResponse, req, TIMEOUT_MS);
  }

  createAcls(req: M.CreateAclsRequest): Promise<M.CreateAclsResponse> {
    return this.client.request(M.CreateAclsApi.key, 3, M.encodeCreateAclsRequest, M.decodeCreateAclsResponse, req, TIMEOUT_MS);
  }

  deleteAcls(req: M.DeleteAclsRequest): Promise<M.DeleteAclsResponse> {
    return this.client.request(M.DeleteAclsApi.key, 3, M.encodeDeleteAclsRequest, M.decodeDeleteAclsResponse, req, TIMEOUT_MS);
  }

  /** Replace a topic's config overrides. */
  setTopicConfigs(topic: string, configs: Record<string, string>): Promise<{ errorCode: number; errorMessage: string | null }> {
    return this.setResourceConfigs(2, topic, configs);
  }

  async setResourceConfigs(resourceType: number, resourceName: string, configs: Record<string, string>): Promise<{ errorCode: number; errorMessage: string | null }> {
    const res = await this.client.request(M.AlterConfigsApi.key, 2, M.encodeAlterConfigsRequest, M.decodeAlterConfigsResponse, {
      resources: [{ resourceType, resourceName, configs: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
      validateOnly: false,
    }, TIMEOUT_MS);
    return res.responses[0]!;
  }
}
