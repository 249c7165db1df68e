// The cluster metadata as a log of records (like KRaft's __cluster_metadata): the controller
// appends records, every broker replays them into the same image. One record type per change.
// Replaying also notes what changed (KRaft's MetadataDelta), so a broker applies only that.
import { decodeRecordBatches, encodeRecordBatch } from '../protocol/recordBatch.js';
import type { AclEntry } from '../security/Acl.js';
import { canonicalEntity, type QuotaEntityPart, type StoredQuotas } from './ClientQuotas.js';

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
  /**
   * Every listener's advertised endpoint (securityProtocol: Kafka's id, 0 PLAINTEXT … 3 SASL_SSL);
   * host/port above are the inter-broker listener's. Absent in records from before listeners.
   */
  listeners?: BrokerEndpoint[];
  /** Changes on every registration: the controller log offset of the registration. */
  epoch: number;
  fenced: boolean;
}

export interface BrokerEndpoint {
  name: string;
  host: string;
  port: number;
  securityProtocol: number;
}

export interface PartitionState {
  replicas: number[];
  isr: number[];
  /** -1 when no replica in the ISR is alive (the partition is offline). */
  leader: number;
  leaderEpoch: number;
  /** Bumped on every change (leader or ISR): guards AlterPartition against stale proposals. */
  partitionEpoch: number;
  /** A reassignment in progress (KIP-455): replicas it adds, still catching up (absent: none). */
  addingReplicas?: number[];
  /** A reassignment in progress: replicas it removes once the added ones are in the ISR (absent: none). */
  removingReplicas?: number[];
}

export interface TopicImage {
  name: string;
  /** 16-byte topic id, hex. */
  topicId: string;
  configs: Record<string, string>;
  partitions: PartitionState[];
}

export type MetadataRecord =
  | { type: 'cluster'; clusterId: string }
  | { type: 'broker'; broker: BrokerInfo }
  | { type: 'topic'; name: string; topicId: string; configs: Record<string, string> }
  | { type: 'partition'; topic: string; partition: number; state: PartitionState }
  | { type: 'topicConfig'; name: string; configs: Record<string, string> }
  | { type: 'removeTopic'; name: string }
  /** Kafka's ConfigRecord for a broker ("" the cluster default) or client-metrics resource: its whole config set. */
  | { type: 'config'; resourceType: number; resourceName: string; configs: Record<string, string> }
  | { type: 'producerIds'; nextBlockStart: number }
  // Kafka's AccessControlEntryRecord / RemoveAccessControlEntryRecord: one ACL, by a random id.
  | { type: 'accessControlEntry'; id: string; acl: AclEntry }
  | { type: 'removeAccessControlEntry'; id: string }
  /** A broker's registration removed (UnregisterBroker). */
  | { type: 'unregisterBroker'; nodeId: number }
  /** An entity's client quota values, all of them (none: the entity has no quotas). */
  | { type: 'clientQuota'; entity: QuotaEntityPart[]; values: Record<string, number> }
  // Kafka's UserScramCredentialRecord / RemoveUserScramCredentialRecord (mechanism 1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512)
  | { type: 'userScramCredential'; name: string; mechanism: number; credential: StoredScramCredential }
  | { type: 'removeUserScramCredential'; name: string; mechanism: number };

/** A SCRAM credential as the metadata log holds it (base64 fields): never the password. */
export interface StoredScramCredential {
  salt: string;
  storedKey: string;
  serverKey: string;
  iterations: number;
}

/**
 * What a run of metadata records changed (KRaft's MetadataDelta): brokers apply only this to
 * their partitions, so a change costs O(what changed), not O(every partition). Deltas merge, so
 * one whose application failed is applied again together with the next.
 */
export class MetadataDelta {
  /** Topics created, name → topic id. */
  readonly createdTopics = new Map<string, string>();
  /** Topics removed, name → topic id (the last one removed under that name). */
  readonly removedTopics = new Map<string, string>();
  /** Partitions created or changed, topic name → partition indexes (of the topic the image now holds). */
  readonly changedPartitions = new Map<string, Set<number>>();
  /** Brokers registered, fenced or unfenced. */
  readonly changedBrokers = new Set<number>();
  /** Topics whose config overrides changed. */
  readonly changedTopicConfigs = new Set<string>();

  get isEmpty(): boolean {
    return (
      this.createdTopics.size === 0 &&
      this.removedTopics.size === 0 &&
      this.changedPartitions.size === 0 &&
      this.changedBrokers.size === 0 &&
      this.changedTopicConfigs.size === 0
    );
  }

  topicCreated(name: string, topicId: string): void {
    this.createdTopics.set(name, topicId);
  }

  topicRemoved(name: string, topicId: string): void {
    // What was noted about the topic under this name is moot: it is gone as a whole.
    this.createdTopics.delete(name);
    this.changedPartitions.delete(name);
    this.changedTopicConfigs.delete(name);
    this.removedTopics.set(name, topicId);
  }

  partitionChanged(topic: string, partition: number): void {
    let set = this.changedPartitions.get(topic);
    if (!set) this.changedPartitions.set(topic, (set = new Set()));
    set.add(partition);
  }

  /** Fold a later delta into this one (as if its records had been replayed after ours). */
  merge(later: MetadataDelta): void {
    for (const [name, id] of later.removedTopics) this.topicRemoved(name, id);
    for (const [name, id] of later.createdTopics) this.topicCreated(name, id);
    for (const [name, set] of later.changedPartitions) for (const i of set) this.partitionChanged(name, i);
    for (const b of later.changedBrokers) this.changedBrokers.add(b);
    for (const t of later.changedTopicConfigs) this.changedTopicConfigs.add(t);
  }
}

export class MetadataImage {
  clusterId = '';
  readonly brokers = new Map<number, BrokerInfo>();
  readonly topics = new Map<string, TopicImage>();
  private readonly byId = new Map<string, TopicImage>();
  nextProducerIdBlock = 0;
  /** Configs of non-topic resources, keyed `${resourceType}:${resourceName}` (see configKey). */
  readonly configs = new Map<string, Record<string, string>>();
  /** Every ACL, by its id (what the authorizer reads). */
  readonly acls = new Map<string, AclEntry>();
  /** Client quotas by canonical entity key (ClientQuotas.canonicalEntity). */
  readonly clientQuotas = new Map<string, StoredQuotas>();
  /** SCRAM credentials: user name → mechanism (1, 2) → credential. */
  readonly scramCredentials = new Map<string, Map<number, StoredScramCredential>>();
  /** Offset of the next record to apply (records below it are in the image). */
  offset = 0;

  /** Apply one record, noting what it changed in `delta` if given. */
  apply(rec: MetadataRecord, delta?: MetadataDelta): void {
    switch (rec.type) {
      case 'cluster':
        this.clusterId = rec.clusterId;
        break;
      case 'broker':
        this.brokers.set(rec.broker.nodeId, { ...rec.broker });
        delta?.changedBrokers.add(rec.broker.nodeId);
        break;
      case 'topic': {
        const old = this.topics.get(rec.name);
        if (old) {
          this.byId.delete(old.topicId);
          delta?.topicRemoved(old.name, old.topicId);
        }
        const t: TopicImage = { name: rec.name, topicId: rec.topicId, configs: { ...rec.configs }, partitions: [] };
        this.topics.set(rec.name, t);
        this.byId.set(rec.topicId, t);
        delta?.topicCreated(rec.name, rec.topicId);
        break;
      }
      case 'partition': {
        const t = this.topics.get(rec.topic);
        if (t) {
          t.partitions[rec.partition] = { ...rec.state, replicas: [...rec.state.replicas], isr: [...rec.state.isr] };
          delta?.partitionChanged(rec.topic, rec.partition);
        }
        break;
      }
      case 'topicConfig': {
        const t = this.topics.get(rec.name);
        if (t) {
          t.configs = { ...rec.configs };
          delta?.changedTopicConfigs.add(rec.name);
        }
        break;
      }
      case 'removeTopic': {
        const t = this.topics.get(rec.name);
        if (t) {
          this.topics.delete(rec.name);
          this.byId.delete(t.topicId);
          delta?.topicRemoved(t.name, t.topicId);
        }
        break;
      }
      case 'producerIds':
        this.nextProducerIdBlock = rec.nextBlockStart;
        break;
      case 'userScramCredential': {
        let byMechanism = this.scramCredentials.get(rec.name);
        if (!byMechanism) this.scramCredentials.set(rec.name, (byMechanism = new Map()));
        byMechanism.set(rec.mechanism, { ...rec.credential });
        break;
      }
      case 'removeUserScramCredential': {
        const byMechanism = this.scramCredentials.get(rec.name);
        byMechanism?.delete(rec.mechanism);
        if (byMechanism?.size === 0) this.scramCredentials.delete(rec.name);
        break;
      }
      case 'config': {
        const key = configKey(rec.resourceType, rec.resourceName);
        if (Object.keys(rec.configs).length === 0) this.configs.delete(key);
        else this.configs.set(key, { ...rec.configs });
        // a broker-level default changes what every topic inherits
        if (rec.resourceType === BROKER_RESOURCE && delta) for (const t of this.topics.keys()) delta.changedTopicConfigs.add(t);
        break;
      }
      case 'accessControlEntry':
        this.acls.set(rec.id, { ...rec.acl });
        break;
      case 'removeAccessControlEntry':
        this.acls.delete(rec.id);
        break;
      case 'unregisterBroker':
        this.brokers.delete(rec.nodeId);
        delta?.changedBrokers.add(rec.nodeId);
        break;
      case 'clientQuota': {
        const { entity, key } = canonicalEntity(rec.entity);
        if (Object.keys(rec.values).length === 0) this.clientQuotas.delete(key);
        else this.clientQuotas.set(key, { entity, values: { ...rec.values } });
        break;
      }
    }
  }

  topicById(topicIdHex: string): TopicImage | undefined {
    return this.byId.get(topicIdHex);
  }

  liveBrokers(): BrokerInfo[] {
    return [...this.brokers.values()].filter((b) => !b.fenced).sort((a, b) => a.nodeId - b.nodeId);
  }

  isLive(nodeId: number): boolean {
    const b = this.brokers.get(nodeId);
    return b !== undefined && !b.fenced;
  }

  /**
   * Apply every record of a buffer of record batches; returns the offset after the last one.
   * What the records changed is noted in `delta` if given.
   */
  applyBatches(records: Buffer, delta?: MetadataDelta): number {
    return this.applyRecords(decodeMetadataRecords(records, this.offset), delta);
  }

  /** Apply decoded records (those below `offset` are skipped); returns the offset after the last one. */
  applyRecords(records: readonly OffsetRecord[], delta?: MetadataDelta): number {
    for (const r of records) {
      if (r.offset < this.offset) continue;
      this.apply(r.record, delta);
      this.offset = r.offset + 1;
    }
    return this.offset;
  }
}

const BROKER_RESOURCE = 4;

/** The image's key of a config resource (resource type 4 broker, 16 client metrics). */
export function configKey(resourceType: number, resourceName: string): string {
  return `${resourceType}:${resourceName}`;
}

/** A metadata record and its offset in the metadata log. */
export interface OffsetRecord {
  offset: number;
  record: MetadataRecord;
}

/** The records of a buffer of record batches from offset `from` on, decoded once (to replay into more than one image). */
export function decodeMetadataRecords(records: Buffer, from = 0): OffsetRecord[] {
  const out: OffsetRecord[] = [];
  for (const batch of decodeRecordBatches(records)) {
    for (const r of batch.records) {
      if (r.offset >= from) out.push({ offset: r.offset, record: JSON.parse(r.value!.toString('utf8')) as MetadataRecord });
    }
  }
  return out;
}

/** One record batch holding the records of one controller change (applied atomically). */
export function encodeMetadataRecords(records: MetadataRecord[], timestamp: number): Buffer {
  return encodeRecordBatch({
    baseTimestamp: timestamp,
    records: records.map((r) => ({ key: null, value: Buffer.from(JSON.stringify(r)), timestamp })),
  });
}
