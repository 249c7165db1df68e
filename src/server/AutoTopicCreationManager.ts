// Topics a broker has the controller create on its own (Kafka's AutoTopicCreationManager): the
// internal topics of its coordinators, __consumer_offsets and __transaction_state, with the
// settings Kafka's brokers give them, and a topic a Metadata request names when
// auto.create.topics.enable allows it, with the broker defaults.
import type { KafkaConfig } from '../common/KafkaConfig.js';
import type { Logger } from '../logger.js';
import { ErrorCode } from '../protocol/errors.js';
import type * as M from '../protocol/messages/index.js';
import type { BrokerToController } from '../replication/BrokerToController.js';
import type { MetadataImage } from '../replication/MetadataImage.js';
import { GROUP_METADATA_TOPIC, offsetsTopicConfigs } from './group/GroupMetadataRecords.js';
import { TRANSACTION_STATE_TOPIC, transactionTopicConfigs } from './transaction/TransactionLog.js';

/** How long an admin request waits for the controller's answer and then for this broker's metadata to show it. */
export const ADMIN_WAIT_MS = 10_000;

export interface AutoTopicCreationDeps {
  config: KafkaConfig;
  /** The published metadata (live brokers, known topics). */
  image: MetadataImage;
  /** The channel to the controller (throws while the broker is not running). */
  controller(): BrokerToController;
  /** The broker's CreateTopics: forwarded, answered once the metadata shows the result. */
  createTopics(req: M.CreateTopicsRequest): Promise<M.CreateTopicsResponse>;
  /** Resolve once cond() holds in the published metadata. */
  waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void>;
  log: Logger;
}

/** An internal topic to create: its partitions, replication factor and configs. */
interface InternalTopic {
  numPartitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

export class AutoTopicCreationManager {
  /** The creation under way per internal topic: one request at a time. */
  private readonly creations = new Map<string, Promise<number>>();

  constructor(private readonly deps: AutoTopicCreationDeps) {}

  /**
   * Have the controller create __consumer_offsets as Kafka's brokers do: offsets.topic.num.partitions
   * partitions, replication factor min(offsets.topic.replication.factor, live brokers),
   * compacted. One request at a time; resolves its error code (TOPIC_ALREADY_EXISTS if another
   * broker was first) without waiting for the metadata.
   */
  createOffsetsTopic(): Promise<number> {
    const { config } = this.deps;
    return this.createInternalTopic(GROUP_METADATA_TOPIC, () => ({
      numPartitions: Math.max(1, config.int('offsets.topic.num.partitions')),
      replicationFactor: this.replicationFactor('offsets.topic.replication.factor'),
      configs: offsetsTopicConfigs(config),
    }));
  }

  /**
   * Have the controller create __transaction_state as Kafka's brokers do:
   * transaction.state.log.num.partitions partitions, replication factor
   * min(transaction.state.log.replication.factor, live brokers), min.insync.replicas
   * min(transaction.state.log.min.isr, that factor), compacted. Like createOffsetsTopic.
   */
  createTransactionTopic(): Promise<number> {
    const { config } = this.deps;
    return this.createInternalTopic(TRANSACTION_STATE_TOPIC, () => {
      const replicationFactor = this.replicationFactor('transaction.state.log.replication.factor');
      const configs = { ...transactionTopicConfigs(config) };
      configs['min.insync.replicas'] = String(Math.max(1, Math.min(config.int('transaction.state.log.min.isr'), replicationFactor)));
      return { numPartitions: Math.max(1, config.int('transaction.state.log.num.partitions')), replicationFactor, configs };
    });
  }

  /** Create a topic with the broker defaults (auto-creation); resolves when it is known here. */
  async autoCreateTopic(name: string): Promise<number> {
    if (name === GROUP_METADATA_TOPIC || name === TRANSACTION_STATE_TOPIC) {
      const code = await (name === GROUP_METADATA_TOPIC ? this.createOffsetsTopic() : this.createTransactionTopic());
      if (code !== ErrorCode.NONE && code !== ErrorCode.TOPIC_ALREADY_EXISTS) return code;
      await this.deps.waitFor(() => this.deps.image.topics.has(name), ADMIN_WAIT_MS, `told about ${name}`);
      return ErrorCode.NONE;
    }
    const res = await this.deps.createTopics({
      topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] }],
      timeoutMs: ADMIN_WAIT_MS,
      validateOnly: false,
    });
    return res.topics[0]!.errorCode;
  }

  /** min(the configured replication factor, live brokers), at least 1. */
  private replicationFactor(key: string): number {
    return Math.max(1, Math.min(this.deps.config.int(key), this.deps.image.liveBrokers().length));
  }

  /** Ask the controller to create an internal topic, unless a request for it is already under way. */
  private createInternalTopic(name: string, settings: () => InternalTopic): Promise<number> {
    const pending = this.creations.get(name);
    if (pending) return pending;
    const { numPartitions, replicationFactor, configs } = settings();
    const topic = { name, numPartitions, replicationFactor, assignments: [], configs: Object.entries(configs).map(([name, value]) => ({ name, value })) };
    const creation = this.requestCreation(topic, replicationFactor);
    // Stored before it can settle (a channel that is down fails it at once), dropped once settled.
    this.creations.set(name, creation);
    void creation.then(() => {
      if (this.creations.get(name) === creation) this.creations.delete(name);
    });
    return creation;
  }

  private async requestCreation(topic: M.CreateTopicsRequestCreatableTopic, replicationFactor: number): Promise<number> {
    const { log } = this.deps;
    const name = topic.name;
    try {
      const res = await this.deps.controller().createTopics({ topics: [topic], timeoutMs: ADMIN_WAIT_MS, validateOnly: false });
      const code = res.topics[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      if (code === ErrorCode.NONE) log.info(`created ${name}: ${topic.numPartitions} partitions, replication factor ${replicationFactor}`);
      else if (code !== ErrorCode.TOPIC_ALREADY_EXISTS) log.warn(`creating ${name} failed: ${res.topics[0]?.errorMessage ?? code}`);
      return code;
    } catch (err) {
      log.debug(`creating ${name} failed: ${(err as Error).message}`);
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }
}
