// One minikafka broker: a TCP listener, the partitions it hosts and the metadata it serves.
import fs from 'node:fs';
import net from 'node:net';
import { createLogger, type Logger } from '../logger.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { Connection } from './Connection.js';
import { FaultInjector } from './FaultInjector.js';
import { GroupCoordinator } from './group/GroupCoordinator.js';
import { GROUP_METADATA_TOPIC } from './group/GroupMetadataLog.js';
import { API_LIST, encodeUnsupportedApiVersions, type RequestContext } from './apis/index.js';
import { RequestDispatcher } from './RequestDispatcher.js';
import { KafkaConfig, validateTopicConfig, type Properties } from './KafkaConfig.js';
import { invalidTopicName, MetadataStore, type TopicMetadata } from './MetadataStore.js';
import { ProducerIdManager } from './ProducerIdManager.js';
import { ReplicaManager } from './ReplicaManager.js';

export interface BrokerOptions {
  host?: string;
  port?: number;
  /** Host given to clients in Metadata (defaults to host). */
  advertisedHost?: string;
  /** Data directory; ignored when inMemory. */
  dataDir?: string;
  inMemory?: boolean;
  config?: Properties;
  /** Fault rules shared by the brokers of a cluster (a broker of its own gets its own). */
  faults?: FaultInjector;
}

const MAINTENANCE_INTERVAL_MS = 1000;

export class Broker {
  readonly config: KafkaConfig;
  readonly nodeId: number;
  readonly host: string;
  readonly advertisedHost: string;
  readonly dataDir: string | null;
  readonly metadata: MetadataStore;
  readonly replicaManager: ReplicaManager;
  readonly groupCoordinator: GroupCoordinator;
  readonly producerIds: ProducerIdManager;
  readonly log: Logger;
  readonly faults: FaultInjector;
  private server: net.Server | null = null;
  private readonly connections = new Set<Connection>();
  private readonly apis: RequestDispatcher<RequestContext>;
  private requestedPort: number;
  private boundPort = -1;
  private timer: NodeJS.Timeout | null = null;
  private lastRetentionCheck = 0;

  constructor(opts: BrokerOptions = {}) {
    this.config = new KafkaConfig(opts.config ?? {});
    this.nodeId = this.config.nodeId;
    this.host = opts.host ?? '127.0.0.1';
    this.advertisedHost = opts.advertisedHost ?? this.host;
    this.requestedPort = opts.port ?? 9092;
    this.dataDir = opts.inMemory ? null : (opts.dataDir ?? 'minikafka-data');
    this.log = createLogger(`broker-${this.nodeId}`);
    this.faults = opts.faults ?? new FaultInjector(this.log.child('faults'));
    if (this.dataDir) fs.mkdirSync(this.dataDir, { recursive: true });
    this.metadata = new MetadataStore(this.dataDir);
    this.producerIds = new ProducerIdManager(this.dataDir);
    this.replicaManager = new ReplicaManager(this.dataDir, this.config, this.log.child('logs'));
    for (const t of this.metadata.all()) this.replicaManager.openPartitions(t);
    this.groupCoordinator = GroupCoordinator.open(this.dataDir, this.config, this.log.child('group'));
    this.apis = new RequestDispatcher<RequestContext>({
      apis: API_LIST,
      makeContext: (base) => ({ ...base, broker: this }),
      log: this.log.child('apis'),
      faults: this.faults,
      nodeId: this.nodeId,
      unsupportedApiVersions: encodeUnsupportedApiVersions,
    });
  }

  get port(): number {
    return this.boundPort;
  }

  get clusterId(): string {
    return this.metadata.clusterId;
  }

  /** Start listening; resolves once connections are accepted. */
  async start(): Promise<void> {
    const maxRequest = this.config.int('socket.request.max.bytes');
    const server = net.createServer((socket) => {
      const conn = new Connection(socket, this.apis, maxRequest, this.log.child('net'), (c) => this.connections.delete(c));
      this.connections.add(conn);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.requestedPort, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error(`listener error: ${err.message}`));
    this.server = server;
    this.boundPort = (server.address() as net.AddressInfo).port;
    this.requestedPort = this.boundPort; // a restart binds the same port
    this.lastRetentionCheck = Date.now();
    this.timer = setInterval(() => this.maintain(), MAINTENANCE_INTERVAL_MS);
    this.timer.unref();
    this.groupCoordinator.start();
    this.log.info(
      `broker ${this.nodeId} listening on ${this.host}:${this.boundPort} (${this.dataDir ? `data in ${this.dataDir}` : 'in memory'}, ${this.metadata.all().length} topics)`,
    );
  }

  private maintain(): void {
    const now = Date.now();
    const retention = now - this.lastRetentionCheck >= this.config.int('log.retention.check.interval.ms');
    if (retention) this.lastRetentionCheck = now;
    this.replicaManager.maintain(now, retention);
    this.groupCoordinator.maintain(now);
  }

  /** Run retention now (tests and the admin API use it instead of waiting for the timer). */
  applyRetention(): void {
    this.replicaManager.maintain(Date.now(), true);
  }

  /** Stop accepting, drop connections, flush and close every log. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const server = this.server;
    this.server = null;
    for (const c of this.connections) c.socket.destroy();
    this.connections.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.replicaManager.close();
    this.groupCoordinator.close();
    this.log.info(`broker ${this.nodeId} stopped`);
  }

  /**
   * Create a topic after Kafka's validations; throws KafkaError with the code Kafka gives.
   * `validateOnly` checks without creating.
   */
  createTopic(
    name: string,
    partitions: number,
    replicationFactor: number,
    configs: Record<string, string>,
    validateOnly = false,
  ): TopicMetadata {
    const bad = invalidTopicName(name);
    if (bad) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, bad);
    if (name === GROUP_METADATA_TOPIC) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${name}' is the group coordinator's internal log.`);
    if (this.metadata.get(name)) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const count = partitions === -1 ? this.config.int('num.partitions') : partitions;
    const rf = replicationFactor === -1 ? this.config.int('default.replication.factor') : replicationFactor;
    if (!Number.isInteger(count) || count < 1) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
    if (count > 100_000) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions is above 100000.');
    if (rf < 1) throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
    if (rf > 1) {
      throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor: ${rf} larger than available brokers: 1.`);
    }
    for (const [k, v] of Object.entries(configs)) {
      const problem = validateTopicConfig(k, v);
      if (problem) throw new KafkaError(ErrorCode.INVALID_CONFIG, problem);
    }
    if (validateOnly) return { name, topicId: '', partitions: count, configs };
    const topic = this.metadata.createTopic(name, count, configs);
    this.replicaManager.openPartitions(topic);
    this.log.info(`created topic ${name} with ${count} partition(s)${Object.keys(configs).length ? ` and configs ${JSON.stringify(configs)}` : ''}`);
    return topic;
  }

  deleteTopic(name: string): TopicMetadata {
    if (!this.config.bool('delete.topic.enable')) throw new KafkaError(ErrorCode.TOPIC_DELETION_DISABLED);
    const topic = this.metadata.deleteTopic(name);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    this.replicaManager.deletePartitions(name);
    this.groupCoordinator.onTopicDeleted(name);
    this.log.info(`deleted topic ${name}`);
    return topic;
  }

  addPartitions(name: string, total: number, validateOnly: boolean): void {
    const topic = this.metadata.get(name);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    if (total <= topic.partitions) {
      throw new KafkaError(
        ErrorCode.INVALID_PARTITIONS,
        total === topic.partitions
          ? `Topic already has ${topic.partitions} partitions.`
          : `Topic currently has ${topic.partitions} partitions, which is higher than the requested ${total}.`,
      );
    }
    if (total > 100_000) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions is above 100000.');
    if (validateOnly) return;
    const from = topic.partitions;
    this.metadata.setPartitionCount(name, total);
    this.replicaManager.openPartitions(topic, from);
    this.log.info(`topic ${name} now has ${total} partitions`);
  }

  setTopicConfigs(name: string, configs: Record<string, string>): void {
    this.metadata.setConfigs(name, configs);
    this.replicaManager.updateConfig(this.metadata.get(name)!);
    this.log.info(`topic ${name} configs now ${JSON.stringify(configs)}`);
  }
}
