// What a broker needs of the controller (Kafka's broker-to-controller channel), as an interface:
// the broker holds this type, never the Controller class, so the controller behind it can be
// replaced (a replicated quorum) without touching the broker. ControllerChannel implements it
// with Kafka requests over one network/NodeClient connection.
import type * as M from '../protocol/messages/index.js';
import type { Reader, Writer } from '../protocol/primitives.js';
import type { BrokerEndpoint } from './MetadataImage.js';

export interface BrokerToController {
  /**
   * Register this broker: its inter-broker endpoint (host, port) and every listener's advertised
   * endpoint (default: host and port as PLAINTEXT); resolves with its broker epoch.
   */
  register(host: string, port: number, clusterId: string, listeners?: BrokerEndpoint[]): Promise<number>;
  heartbeat(brokerEpoch: number, metadataOffset: number, wantShutDown: boolean): Promise<M.BrokerHeartbeatResponse>;
  /** Metadata log records from offset, long-polling up to maxWaitMs. */
  fetchMetadata(offset: number, maxWaitMs: number): Promise<{ records: Buffer | null; errorCode: number; highWatermark: number }>;
  /** Propose a partition's new ISR (AlterPartition); a request-level error comes back as the partition's. */
  alterPartition(
    topic: string,
    partition: number,
    leaderEpoch: number,
    partitionEpoch: number,
    newIsr: number[],
    brokerEpoch: number,
  ): Promise<M.AlterPartitionResponsePartitionData>;
  allocateProducerIds(brokerEpoch: number): Promise<{ start: number; length: number }>;
  createTopics(req: M.CreateTopicsRequest): Promise<M.CreateTopicsResponse>;
  deleteTopics(names: string[]): Promise<M.DeleteTopicsResponse>;
  createPartitions(req: M.CreatePartitionsRequest): Promise<M.CreatePartitionsResponse>;
  /** Replace a topic's config overrides. */
  setTopicConfigs(topic: string, configs: Record<string, string>): Promise<{ errorCode: number; errorMessage: string | null }>;
  /** Replace a broker ("" the cluster default) or client-metrics resource's configs. */
  setResourceConfigs(resourceType: number, resourceName: string, configs: Record<string, string>): Promise<{ errorCode: number; errorMessage: string | null }>;
  /** CreateAcls/DeleteAcls, forwarded as v3. */
  createAcls(req: M.CreateAclsRequest): Promise<M.CreateAclsResponse>;
  deleteAcls(req: M.DeleteAclsRequest): Promise<M.DeleteAclsResponse>;
  /** Send an admin request on to the controller as it is (Kafka's forwarding), at `version`; resolves with its response. */
  forward<Req, Res>(apiKey: number, version: number, encode: (w: Writer, v: number, m: Req) => void, decode: (r: Reader, v: number) => Res, req: Req): Promise<Res>;
  /** Create, replace or delete SCRAM credentials (forwarded AlterUserScramCredentials). */
  alterUserScramCredentials(req: M.AlterUserScramCredentialsRequest): Promise<M.AlterUserScramCredentialsResponse>;
  close(): void;
}
