// One minikafka broker: a TCP listener for clients, the partitions it hosts (ReplicaManager),
// the consumer group coordinator (of the __consumer_offsets partitions it leads), the
// transaction coordinator (of the __transaction_state partitions it leads), and its link
// to the controller: it registers and heartbeats (BrokerLifecycleManager), replays the metadata
// log into its image (BrokerMetadataListener), proposes ISR changes (AlterPartitionManager),
// has internal topics created (AutoTopicCreationManager) and forwards admin requests.
import fs from 'node:fs';
import type tls from 'node:tls';
import { createLogger, type Logger } from '../logger.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type * as M from '../protocol/messages/index.js';
import type { Reader, Writer } from '../protocol/primitives.js';
import type { BrokerToController } from '../replication/BrokerToController.js';
import { ControllerChannel } from '../replication/ControllerChannel.js';
import { configKey, MetadataImage } from '../replication/MetadataImage.js';
import { NodeClient } from '../network/NodeClient.js';
import { API_LIST, encodeUnsupportedApiVersions, type RequestContext } from './apis/index.js';
import { type Connection, connectionLimits } from '../network/Connection.js';
import { ConnectionQuotas } from '../network/ConnectionQuotas.js';
import { FaultInjector } from '../network/FaultInjector.js';
import { GroupCoordinator, settingsFrom } from './group/GroupCoordinator.js';
import { KafkaConfig, type Properties } from '../common/KafkaConfig.js';
import { MemoryPool } from '../network/MemoryPool.js';
import { MetadataCache } from './MetadataCache.js';
import { ProducerIdManager } from './ProducerIdManager.js';
import { ReplicaManager } from './ReplicaManager.js';
import { TransactionCoordinator, type TransactionCoordinatorSettings } from './transaction/TransactionCoordinator.js';
import { RequestDispatcher } from '../network/RequestDispatcher.js';
import { RequestMetrics } from '../network/RequestMetrics.js';
import { crashPoint, guarded } from '../util/CrashBoundary.js';
import { consumeCleanShutdownMarker, writeCleanShutdownMarker } from '../log/CleanShutdownFile.js';
import { Authorizer, parseSuperUsers } from '../security/Authorizer.js';
import { sameAcl } from '../security/Acl.js';
import { SYSTEM_TIME, type Time, type TimerHandle } from '../util/Time.js';
import { advertisedEndpoints, brokerListeners, interBrokerListener, isSsl, type Endpoint } from '../security/Listeners.js';
import { tlsClientOptions, tlsServerOptions } from '../security/SslFactory.js';
import { SocketServer } from './SocketServer.js';
import type { CredentialStore } from '../security/SaslServer.js';
import { plainUsers } from '../security/JaasConfig.js';
import { scramCredentialOf } from './ScramCredentials.js';
import { AlterPartitionManager } from './AlterPartitionManager.js';
import { ADMIN_WAIT_MS, AutoTopicCreationManager } from './AutoTopicCreationManager.js';
import { BrokerLifecycleManager } from './BrokerLifecycleManager.js';
import { BrokerMetadataListener } from './BrokerMetadataListener.js';

export interface BrokerOptions {
  host?: string;
  port?: number;
  /** Host given to clients in Metadata (defaults to host). */
  advertisedHost?: string;
  /** Data directory; ignored when inMemory. */
  dataDir?: string;
  inMemory?: boolean;
  config?: Properties;
  /** host:port of the controller. */
  controller: string;
  /** Fault rules shared by the brokers of a cluster (a broker of its own gets its own). */
  faults?: FaultInjector;
  /** Whether this broker can reach node `to` (-1 = the controller); isolate/heal flip it. */
  canReach?: (to: number) => boolean;
  /** Clock and timers (tests inject a MockTime). */
  time?: Time;
  /** The group coordinator's clock and timers, when tests drive it apart from the rest; default `time`. */
  groupCoordinatorTime?: Time;
  /** The transaction coordinator's clock (transaction timeouts, id expiration); default `time`. */
  transactionCoordinatorTime?: Time;
}

const MAINTENANCE_INTERVAL_MS = 1000;

export class Broker {
  readonly config: KafkaConfig;
  readonly nodeId: number;
  readonly host: string;
  readonly advertisedHost: string;
  readonly dataDir: string | null;
  /** The metadata as clients see it: what the hosted partitions reflect (published once applied to them). */
  readonly image = new MetadataImage();
  /** The metadata log replayed as far as fetched: the partitions are brought to it, then `image` follows. */
  private readonly nextImage = new MetadataImage();
  readonly metadata = new MetadataCache(this.image);
  readonly replicaManager: ReplicaManager;
  readonly producerIds: ProducerIdManager;
  readonly groupCoordinator: GroupCoordinator;
  readonly transactionCoordinator: TransactionCoordinator;
  /** Kafka's StandardAuthorizer over the published image's ACLs (off without authorizer.class.name). */
  readonly authorizer: Authorizer;
  readonly log: Logger;
  readonly faults: FaultInjector;
  readonly time: Time;
  private readonly canReach: (to: number) => boolean;
  private readonly controllerAddress: { host: string; port: number };
  private controller: BrokerToController | null = null;
  /** Registration, heartbeats, fencing. */
  private readonly lifecycle: BrokerLifecycleManager;
  /** The metadata log replayed into nextImage, applied to the partitions, published to `image`. */
  private readonly metadataListener: BrokerMetadataListener;
  private readonly alterPartitionManager: AlterPartitionManager;
  private readonly autoTopicCreation: AutoTopicCreationManager;
  private running = false;
  private stopSignal = new AbortController();
  private loops: Promise<void>[] = [];
  /** The listeners and their connections. */
  private readonly socketServer: SocketServer;
  /**
   * The listeners this broker binds (`listeners`, or one PLAINTEXT listener on host:port); their
   * ports are the bound ones once started, so a restart binds the same.
   */
  readonly listeners: Endpoint[];
  /** The listener other brokers replicate from (inter.broker.listener.name). */
  readonly interBrokerListenerName: string;
  /** TLS options of this broker's connections to other brokers when the inter-broker listener is SSL. */
  private readonly interBrokerTls: tls.ConnectionOptions | undefined;
  /** PLAIN passwords and SCRAM credentials for the SASL listeners. */
  readonly credentials: CredentialStore;
  /** Kafka's memory pool for request bytes (queued.max.request.bytes), shared by all connections. */
  requestPool = new MemoryPool(Number.POSITIVE_INFINITY);
  private readonly apis: RequestDispatcher<RequestContext>;
  /** Request and per-topic traffic counters, kept by the dispatcher (GET /metrics). */
  readonly requestMetrics = new RequestMetrics((idHex) => this.image.topicById(idHex)?.name);
  private requestedPort: number;
  private boundPort = -1;
  private timer: TimerHandle | null = null;
  private lastRetentionCheck = 0;
  /** start() finished: every hosted log was opened (and recovered where needed) in this run. */
  private served = false;

  constructor(opts: BrokerOptions) {
    this.config = new KafkaConfig(opts.config ?? {});
    this.nodeId = this.config.nodeId;
    this.host = opts.host ?? '127.0.0.1';
    this.advertisedHost = opts.advertisedHost ?? this.host;
    this.requestedPort = opts.port ?? 9092;
    this.listeners = brokerListeners(this.config, this.host, this.requestedPort);
    const inter = interBrokerListener(this.config, this.listeners);
    this.interBrokerListenerName = inter.name;
    for (const l of this.listeners) if (isSsl(l.securityProtocol)) tlsServerOptions(this.config, l); // bad TLS configs fail here, not on start
    advertisedEndpoints(this.config, this.listeners, opts.advertisedHost);
    this.interBrokerTls = inter.securityProtocol === 'SSL' ? tlsClientOptions(this.config, inter.name) : undefined;
    const plain = new Map<string, Map<string, string>>();
    this.credentials = {
      plainPassword: (listener, user) => {
        let users = plain.get(listener);
        if (!users) plain.set(listener, (users = plainUsers(this.config, listener)));
        return users.get(user);
      },
      scramCredential: (mechanism, user) => scramCredentialOf(this.image, mechanism, user),
    };
    this.dataDir = opts.inMemory ? null : (opts.dataDir ?? 'minikafka-data');
    this.log = createLogger(`broker-${this.nodeId}`);
    this.time = opts.time ?? SYSTEM_TIME;
    this.faults = opts.faults ?? new FaultInjector(this.log.child('faults'));
    this.canReach = opts.canReach ?? (() => true);
    const [chost, cport] = opts.controller.split(':');
    this.controllerAddress = { host: chost!, port: Number(cport) };
    if (this.dataDir) fs.mkdirSync(this.dataDir, { recursive: true });
    this.authorizer = new Authorizer(
      {
        enabled: this.config.get('authorizer.class.name') !== '',
        superUsers: parseSuperUsers(this.config.get('super.users')),
        allowEveryoneIfNoAclFound: this.config.bool('allow.everyone.if.no.acl.found'),
      },
      () => this.image.acls.values(),
    );
    const controller = () => this.controllerChannel();
    const running = () => this.running;
    this.lifecycle = new BrokerLifecycleManager({
      config: this.config,
      listeners: this.listeners,
      interBrokerListenerName: this.interBrokerListenerName,
      advertisedHost: opts.advertisedHost,
      controller,
      metadataOffset: () => this.image.offset,
      running,
      stopSignal: () => this.stopSignal.signal,
      fencingChanged: () => this.metadataListener.wakeWaiters(),
      log: this.log,
      time: this.time,
    });
    this.alterPartitionManager = new AlterPartitionManager({ controller, brokerEpoch: () => this.lifecycle.brokerEpoch, running, log: this.log, time: this.time });
    this.producerIds = new ProducerIdManager(() => this.controllerChannel().allocateProducerIds(this.lifecycle.brokerEpoch));
    this.replicaManager = new ReplicaManager(
      {
        nodeId: this.nodeId,
        dataDir: this.dataDir,
        config: this.config,
        replicaClient: (leaderId) => this.clientFor(leaderId),
        proposeIsr: (p, proposal) => this.alterPartitionManager.submit(p, proposal),
        time: this.time,
        roleChanged: (p, role) => {
          this.groupCoordinator.onPartitionRoleChange(p, role);
          this.transactionCoordinator.onPartitionRoleChange(p, role);
        },
      },
      this.log.child('replicas'),
    );
    this.metadataListener = new BrokerMetadataListener({
      nodeId: this.nodeId,
      config: this.config,
      image: this.image,
      nextImage: this.nextImage,
      replicaManager: this.replicaManager,
      controller,
      running,
      sleep: (ms) => this.time.sleep(ms, this.stopSignal.signal),
      published: () => this.lifecycle.metadataPublished(this.image.offset),
      log: this.log,
    });
    this.autoTopicCreation = new AutoTopicCreationManager({
      config: this.config,
      image: this.image,
      controller,
      createTopics: (req) => this.createTopics(req),
      waitFor: (cond, timeoutMs, what) => this.waitFor(cond, timeoutMs, what),
      log: this.log,
    });
    this.groupCoordinator = new GroupCoordinator(settingsFrom(this.config), this, this.log.child('group'), opts.groupCoordinatorTime);
    this.transactionCoordinator = new TransactionCoordinator(
      transactionSettingsFrom(this.config),
      {
        nodeId: this.nodeId,
        image: this.image,
        createTransactionTopic: () => void this.createTransactionTopic(),
        clientFor: (nodeId) => this.clientFor(nodeId),
        generateProducerId: () => this.producerIds.generate(),
      },
      this.log.child('txn'),
      opts.transactionCoordinatorTime ?? this.time,
      this.time,
    );
    this.apis = new RequestDispatcher<RequestContext>({
      apis: API_LIST,
      makeContext: (base) => ({ ...base, broker: this }),
      log: this.log.child('apis'),
      faults: this.faults,
      metrics: this.requestMetrics,
      nodeId: this.nodeId,
      unsupportedApiVersions: encodeUnsupportedApiVersions,
    });
    this.socketServer = new SocketServer({ config: this.config, handler: this.apis, credentials: this.credentials, now: () => this.time.now(), log: this.log.child('net') });
  }

  /** The open client connections (gauges for tests). */
  get clientConnections(): ReadonlySet<Connection> {
    return this.socketServer.connections;
  }

  get port(): number {
    return this.boundPort;
  }

  get clusterId(): string {
    return this.image.clusterId;
  }

  get isFenced(): boolean {
    return this.lifecycle.fenced;
  }

  private controllerChannel(): BrokerToController {
    if (!this.controller) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'broker is not running');
    return this.controller;
  }

  /** A connection for replicating from another broker. */
  private clientFor(nodeId: number): NodeClient | null {
    const b = this.nextImage.brokers.get(nodeId);
    if (!b) return null;
    return new NodeClient(b.host, b.port, `minikafka-replica-${this.nodeId}`, this.log.child(`to-${nodeId}`), () => this.canReach(nodeId), { tls: this.interBrokerTls });
  }

  /** Listen, register with the controller, catch up with the metadata; resolves once serving unfenced. */
  async start(): Promise<void> {
    const poolBytes = this.config.int('queued.max.request.bytes');
    this.requestPool = new MemoryPool(poolBytes < 0 ? Number.POSITIVE_INFINITY : poolBytes);
    const limits = connectionLimits(this.config, this.requestPool);
    const netLog = this.log.child('net');
    // read at each connection: both are dynamic broker configs
    const quotas = new ConnectionQuotas(() => this.config.int('max.connections'), () => this.config.int('max.connections.per.ip'), netLog);
    this.running = true; // (a listener failing to bind stops the broker: stop() closes the ones bound)
    await this.socketServer.bind(this.listeners, limits, quotas);
    this.boundPort = this.listeners[0]!.port;
    this.requestedPort = this.boundPort;
    this.stopSignal = new AbortController();
    // Before any log opens: logs opened during this start trust their segments if it was there.
    this.replicaManager.hadCleanShutdown = this.dataDir !== null && consumeCleanShutdownMarker(this.dataDir);
    if (this.replicaManager.hadCleanShutdown) this.log.info('found the clean shutdown marker: logs load without recovery');
    this.controller = new ControllerChannel(
      new NodeClient(this.controllerAddress.host, this.controllerAddress.port, `minikafka-broker-${this.nodeId}`, this.log.child('controller'), () => this.canReach(-1)),
      this.nodeId,
      this.nextImage,
    );
    await this.lifecycle.register();
    this.loops = [this.metadataListener.run(), this.lifecycle.heartbeatLoop()];
    await this.waitFor(() => !this.lifecycle.fenced, 30_000, 'unfenced by the controller');
    // Its own Metadata and DescribeCluster list it once start() resolves (the unfencing record is read).
    await this.waitFor(() => this.image.isLive(this.nodeId), 30_000, 'its own unfencing in the metadata log');
    // Every hosted log opened in the first metadata pass; one created later recovers as usual.
    this.replicaManager.hadCleanShutdown = false;
    this.served = true;
    this.lastRetentionCheck = this.time.now();
    this.timer = this.time.setInterval(guarded(this.log, 'broker maintenance', () => this.maintain()), MAINTENANCE_INTERVAL_MS).unref();
    this.groupCoordinator.start();
    this.transactionCoordinator.start();
    this.log.info(
      `broker ${this.nodeId} serving on ${this.listeners.map((l) => `${l.name}://${l.host}:${l.port}`).join(',')} (${this.dataDir ? `data in ${this.dataDir}` : 'in memory'}, ${this.image.topics.size} topics)`,
    );
  }

  /** Resolve once cond() holds (checked on every metadata change), or fail after timeoutMs. */
  waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return this.metadataListener.waitFor(cond, timeoutMs, what);
  }

  private maintain(): void {
    crashPoint('broker.maintenance');
    const now = this.time.now();
    const retention = now - this.lastRetentionCheck >= this.config.int('log.retention.check.interval.ms');
    if (retention) this.lastRetentionCheck = now;
    this.replicaManager.maintain(now, retention);
    this.groupCoordinator.maintain(now);
  }

  /** Run retention now (tests use it instead of waiting for the timer). */
  applyRetention(): void {
    this.replicaManager.maintain(this.time.now(), true);
  }

  /**
   * Stop. Graceful: tell the controller first (it moves our leaderships away), then flush and
   * close every log. `crash`: cut every socket at once, tell nobody, flush nothing, write no
   * checkpoint — the next start recovers from the last flushed point.
   */
  async stop(opts: { crash?: boolean } = {}): Promise<void> {
    const crash = opts.crash ?? false;
    if (!crash && this.running && this.controller) await this.lifecycle.controlledShutdown();
    this.running = false;
    this.stopSignal.abort();
    this.time.clear(this.timer);
    this.timer = null;
    const listenersClosed = this.socketServer.shutdown();
    this.controller?.close();
    this.controller = null;
    this.metadataListener.wakeWaiters();
    await listenersClosed;
    await Promise.all(this.loops);
    this.groupCoordinator.close();
    this.transactionCoordinator.close();
    this.replicaManager.hadCleanShutdown = false;
    const clean = await this.replicaManager.close(crash);
    // Only after a start that opened every hosted log: one never opened may still need recovery.
    if (clean && this.served && this.dataDir !== null) {
      try {
        writeCleanShutdownMarker(this.dataDir, this.lifecycle.brokerEpoch);
      } catch (err) {
        this.log.error(`writing the clean shutdown marker failed (the next start recovers every log): ${(err as Error).message}`);
      }
    }
    this.served = false;
    this.lifecycle.stopped();
    this.log.info(`broker ${this.nodeId} ${crash ? 'crashed (simulated)' : 'stopped'}`);
  }

  // -------------------------------------------------------------------------------------------
  // Admin requests, forwarded to the controller; answered once our metadata shows the result

  async createTopics(req: M.CreateTopicsRequest): Promise<M.CreateTopicsResponse> {
    const res = await this.controllerChannel().createTopics(req);
    if (!req.validateOnly) {
      const created = res.topics.filter((t) => t.errorCode === ErrorCode.NONE).map((t) => t.name);
      await this.waitFor(() => created.every((n) => this.image.topics.has(n)), ADMIN_WAIT_MS, `told about topics ${created.join(', ')}`);
    }
    return res;
  }

  async deleteTopics(names: string[]): Promise<M.DeleteTopicsResponse> {
    const res = await this.controllerChannel().deleteTopics(names);
    const deleted = res.responses.filter((r) => r.errorCode === ErrorCode.NONE).map((r) => r.name!);
    await this.waitFor(() => deleted.every((n) => !this.image.topics.has(n)), ADMIN_WAIT_MS, `told about deleted topics`);
    for (const n of deleted) this.groupCoordinator.onTopicDeleted(n);
    return res;
  }

  /** Forward AlterUserScramCredentials; resolves once this broker's image shows what was committed. */
  async alterUserScramCredentials(req: M.AlterUserScramCredentialsRequest): Promise<M.AlterUserScramCredentialsResponse> {
    const res = await this.controllerChannel().alterUserScramCredentials(req);
    const ok = new Set(res.results.filter((r) => r.errorCode === ErrorCode.NONE).map((r) => r.user));
    const deleted = req.deletions.filter((d) => ok.has(d.name));
    const upserted = req.upsertions.filter((u) => ok.has(u.name));
    const creds = this.image.scramCredentials;
    await this.waitFor(
      () =>
        deleted.every((d) => !creds.get(d.name)?.has(d.mechanism)) &&
        upserted.every((u) => creds.get(u.name)?.get(u.mechanism)?.salt === u.salt.toString('base64')),
      ADMIN_WAIT_MS,
      'told about SCRAM credentials',
    );
    return res;
  }

  /** An admin request the controller answers (reassignments, elections), forwarded as it is at `version`. */
  forwardToController<Req, Res>(apiKey: number, version: number, encode: (w: Writer, v: number, m: Req) => void, decode: (r: Reader, v: number) => Res, req: Req): Promise<Res> {
    return this.controllerChannel().forward(apiKey, version, encode, decode, req);
  }

  /**
   * Resolve once this broker's image holds everything the controller has committed now: its high
   * watermark comes back with the answer to a fetch past the end (OFFSET_OUT_OF_RANGE, no records).
   */
  async catchUpWithController(): Promise<void> {
    const { highWatermark } = await this.controllerChannel().fetchMetadata(Number.MAX_SAFE_INTEGER, 0);
    if (highWatermark >= 0) await this.waitFor(() => this.image.offset >= highWatermark, ADMIN_WAIT_MS, 'caught up with the metadata log');
  }

  async createPartitions(req: M.CreatePartitionsRequest): Promise<M.CreatePartitionsResponse> {
    const res = await this.controllerChannel().createPartitions(req);
    if (!req.validateOnly) {
      const grown = req.topics.filter((t, i) => res.results[i]?.errorCode === ErrorCode.NONE);
      await this.waitFor(() => grown.every((t) => (this.image.topics.get(t.name)?.partitions.length ?? 0) >= t.count), ADMIN_WAIT_MS, 'told about new partitions');
    }
    return res;
  }

  /** Replace a broker ("" the cluster default) or client-metrics resource's configs through the controller; resolves once this broker applied them. */
  async setResourceConfigs(resourceType: number, resourceName: string, configs: Record<string, string>): Promise<{ errorCode: number; errorMessage: string | null }> {
    const res = await this.controllerChannel().setResourceConfigs(resourceType, resourceName, configs);
    if (res.errorCode === ErrorCode.NONE) {
      const want = JSON.stringify(configs);
      const key = configKey(resourceType, resourceName);
      await this.waitFor(() => JSON.stringify(this.image.configs.get(key) ?? {}) === want, ADMIN_WAIT_MS, 'told about new configs');
    }
    return res;
  }

  async createAcls(req: M.CreateAclsRequest): Promise<M.CreateAclsResponse> {
    const res = await this.controllerChannel().createAcls(req);
    const created = req.creations
      .filter((_, i) => res.results[i]?.errorCode === ErrorCode.NONE)
      .map((c) => ({ ...c, patternType: c.resourcePatternType }));
    await this.waitFor(() => created.every((c) => [...this.image.acls.values()].some((a) => sameAcl(a, c))), ADMIN_WAIT_MS, 'told about new ACLs');
    return res;
  }

  async deleteAcls(req: M.DeleteAclsRequest): Promise<M.DeleteAclsResponse> {
    const res = await this.controllerChannel().deleteAcls(req);
    const deleted = res.filterResults.flatMap((r) => r.matchingAcls);
    await this.waitFor(() => deleted.every((d) => ![...this.image.acls.values()].some((a) => sameAcl(a, d))), ADMIN_WAIT_MS, 'told about deleted ACLs');
    return res;
  }

  async setTopicConfigs(name: string, configs: Record<string, string>): Promise<{ errorCode: number; errorMessage: string | null }> {
    const res = await this.controllerChannel().setTopicConfigs(name, configs);
    if (res.errorCode === ErrorCode.NONE) {
      const want = JSON.stringify(configs);
      await this.waitFor(() => JSON.stringify(this.image.topics.get(name)?.configs ?? null) === want, ADMIN_WAIT_MS, 'told about new configs');
    }
    return res;
  }

  /** Have the controller create __consumer_offsets (see AutoTopicCreationManager); resolves its error code. */
  createOffsetsTopic(): Promise<number> {
    return this.autoTopicCreation.createOffsetsTopic();
  }

  /** Have the controller create __transaction_state (see AutoTopicCreationManager); resolves its error code. */
  createTransactionTopic(): Promise<number> {
    return this.autoTopicCreation.createTransactionTopic();
  }

  /** Create a topic with the broker defaults (auto-creation); resolves when it is known here. */
  autoCreateTopic(name: string): Promise<number> {
    return this.autoTopicCreation.autoCreateTopic(name);
  }
}

/** The transaction coordinator's settings from the broker config (Kafka's TransactionConfig). */
export function transactionSettingsFrom(config: KafkaConfig): TransactionCoordinatorSettings {
  return {
    transactionalIdExpirationMs: config.int('transactional.id.expiration.ms'),
    maxTimeoutMs: config.int('transaction.max.timeout.ms'),
    writeTimeoutMs: config.int('offsets.commit.timeout.ms'),
    loadBufferSize: config.int('transaction.state.log.load.buffer.size'),
    abortTimedOutTransactionsIntervalMs: config.int('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
    removeExpiredTransactionalIdsIntervalMs: config.int('transaction.remove.expired.transaction.cleanup.interval.ms'),
  };
}
