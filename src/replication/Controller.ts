// The cluster controller (KRaft's active controller, without the quorum): the single writer of
// the metadata log. Brokers register and heartbeat over TCP; a broker whose heartbeats stop
// for broker.session.timeout.ms is fenced: it leaves every ISR and its leaderships move to
// another ISR member with a bumped leader epoch (never outside the ISR unless
// unclean.leader.election.enable). Leaders propose ISR changes (AlterPartition); admin
// requests arrive forwarded by brokers. Every change is a batch of MetadataRecords appended
// (and fsynced) to `__cluster_metadata`, which brokers replicate with ordinary Fetch requests.
//
// As in Kafka's QuorumController, the decisions are the control managers': brokers in
// ClusterControlManager.ts, topics, partitions and ISRs in ReplicationControlManager.ts (with
// Reassignments.ts), ACLs in AclControlManager.ts, SCRAM credentials in ScramControl.ts. This
// class owns the metadata log they commit through, the listener and the periodic checks.
//
// It sits behind the ControllerChannel seen by brokers (NodeClient + the Kafka APIs in
// ControllerApis.ts), so a replicated quorum can replace it later.
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { LogConfig } from '../log/LogConfig.js';
import { readNumberCheckpoint } from '../log/CheckpointFile.js';
import { RECOVERY_POINT_FILE, UnifiedLog } from '../log/UnifiedLog.js';
import { createLogger, type Logger } from '../logger.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { Connection } from '../network/Connection.js';
import { KafkaConfig, type Properties } from '../common/KafkaConfig.js';
import { RequestDispatcher } from '../network/RequestDispatcher.js';
import { crashPoint, guarded } from '../util/CrashBoundary.js';
import { SYSTEM_TIME, type Time, type TimerHandle } from '../util/Time.js';
import { CONTROLLER_APIS, type ControllerContext } from './ControllerApis.js';
import { createAclRecords, deleteAclRecords, type AclCreateResult, type AclDeleteResult } from './AclControlManager.js';
import type { AclEntry, AclFilter } from '../security/Acl.js';
import type { Reassignments } from './Reassignments.js';
import { ReplicationControlManager, type AlterPartitionProposal } from './ReplicationControlManager.js';
import { ClusterControlManager } from './ClusterControlManager.js';
import { configKey, encodeMetadataRecords, MetadataImage, type BrokerEndpoint, type MetadataRecord, type PartitionState, type TopicImage } from './MetadataImage.js';
import type { AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse } from '../protocol/messages/AlterUserScramCredentials.js';
import { scramChanges } from './ScramControl.js';

export const METADATA_TOPIC = '__cluster_metadata';
const PRODUCER_ID_BLOCK = 1000;
export { checkRequestSize, MAX_PARTITIONS_PER_REQUEST, type AlterPartitionProposal } from './ReplicationControlManager.js';
/** How often broker sessions are checked for expiry. */
export const SESSION_CHECK_INTERVAL_MS = 100;
/** Kafka's unclean.leader.election.interval.ms (internal, 5 minutes): how often leaderless partitions get an unclean election where enabled. */
export const UNCLEAN_ELECTION_INTERVAL_MS = 5 * 60_000;

export interface ControllerOptions {
  host?: string;
  port?: number;
  /** Where the metadata log lives; null keeps it in memory. */
  dataDir: string | null;
  config?: Properties;
  /** Clock and timers (MockTime in simulated-time tests). */
  time?: Time;
}

export class Controller {
  readonly config: KafkaConfig;
  readonly image = new MetadataImage();
  readonly log: Logger;
  private readonly metadataLog: UnifiedLog;
  private readonly waiters = new Set<() => void>();
  private server: net.Server | null = null;
  private readonly connections = new Set<Connection>();
  private timer: TimerHandle | null = null;
  private boundPort = -1;
  private stopped = false;
  private nextUncleanElection = 0;
  private lastSessionCheck = 0;
  /** The durable end of the metadata log: records below it are fsynced and applied. */
  private highWatermark = 0;
  private readonly time: Time;
  /** Topics, partitions and ISRs (ReplicationControlManager.ts). */
  private readonly replication: ReplicationControlManager;
  /** Broker registrations, heartbeats and sessions (ClusterControlManager.ts). */
  private readonly cluster: ClusterControlManager;
  /** Partition reassignments and leader elections (AlterPartitionReassignments, ElectLeaders). */
  readonly reassignments: Reassignments;

  constructor(private readonly opts: ControllerOptions) {
    this.config = new KafkaConfig(opts.config ?? {});
    this.log = createLogger('controller');
    this.time = opts.time ?? SYSTEM_TIME;
    const logConfig = LogConfig.fromProperties({ 'retention.ms': '-1', 'retention.bytes': '-1' });
    const dir = opts.dataDir === null ? null : path.join(opts.dataDir, `${METADATA_TOPIC}-0`);
    // Every commit checkpoints the recovery point after its fsync: what lies beyond the last
    // checkpoint was never committed (a failed fsync whose rollback failed too, then a crash).
    const committed = dir === null ? null : readNumberCheckpoint(path.join(dir, RECOVERY_POINT_FILE));
    this.metadataLog = UnifiedLog.open(dir, logConfig, { now: () => this.time.now() });
    if (committed !== null && this.metadataLog.logEndOffset > committed) {
      this.log.warn(`metadata log: dropping offsets ${committed}..${this.metadataLog.logEndOffset - 1}, written after the last commit`);
      this.metadataLog.truncateTo(committed);
    }
    this.replay();
    this.highWatermark = this.metadataLog.logEndOffset;
    if (!this.image.clusterId) this.append([{ type: 'cluster', clusterId: randomBytes(16).toString('base64url') }]);
    // The managers start from the replayed image.
    const host = { image: this.image, config: this.config, log: this.log, append: (records: MetadataRecord[]) => this.append(records) };
    this.replication = new ReplicationControlManager(host);
    this.reassignments = this.replication.reassignments;
    this.cluster = new ClusterControlManager({ ...host, time: this.time, committedOffset: () => this.highWatermark }, this.replication);
  }

  get port(): number {
    return this.boundPort;
  }

  get host(): string {
    return this.opts.host ?? '127.0.0.1';
  }

  /** End of the committed metadata log: what brokers can read and what the image holds. */
  get logEndOffset(): number {
    return this.highWatermark;
  }

  private replay(): void {
    let offset = this.metadataLog.logStartOffset;
    while (offset < this.metadataLog.logEndOffset) {
      const { records } = this.metadataLog.read(offset, 1 << 20, this.metadataLog.logEndOffset, true);
      if (!records) break;
      offset = this.image.applyBatches(records);
      this.syncDynamicDefaults();
    }
  }

  async start(): Promise<void> {
    const dispatcher = new RequestDispatcher<ControllerContext>({
      apis: CONTROLLER_APIS,
      makeContext: (base) => ({ ...base, controller: this }),
      log: this.log,
      nodeId: -1,
    });
    const server = net.createServer((socket) => {
      const conn = new Connection(socket, dispatcher, 100 * 1024 * 1024, this.log, (c) => this.connections.delete(c));
      this.connections.add(conn);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.boundPort = (server.address() as net.AddressInfo).port;
    this.opts.port = this.boundPort;
    this.nextUncleanElection = this.time.now() + UNCLEAN_ELECTION_INTERVAL_MS;
    this.lastSessionCheck = this.time.now();
    this.timer = this.time.setInterval(guarded(this.log, 'controller.sessions', () => this.checkSessions()), SESSION_CHECK_INTERVAL_MS).unref();
    this.log.info(`controller listening on ${this.host}:${this.boundPort} (metadata log end offset ${this.logEndOffset})`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.time.clear(this.timer);
    this.timer = null;
    for (const c of this.connections) c.socket.destroy();
    this.connections.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    for (const w of [...this.waiters]) w();
    if (this.metadataLog.logEndOffset > this.highWatermark) {
      try {
        this.metadataLog.truncateTo(this.highWatermark);
      } catch (err) {
        // close() would checkpoint the uncommitted tail as recovered: leave it for the next open to drop.
        this.log.error(`metadata log truncation to ${this.highWatermark} failed at shutdown: ${err instanceof Error ? err.message : String(err)}`);
        this.metadataLog.abandon();
        return;
      }
    }
    this.metadataLog.close();
  }

  // -------------------------------------------------------------------------------------------
  // The metadata log

  /**
   * Commit one change: append it as one batch, fsync it, and only then apply it to the image and
   * let brokers read it. If the write or the fsync fails, the log is truncated back to the
   * durable end (retried before the next append if that fails too) and the caller gets
   * KAFKA_STORAGE_ERROR, as Kafka's log layer wraps I/O errors: nothing of the change was applied.
   */
  private append(records: MetadataRecord[]): void {
    if (records.length === 0) return;
    const durableEnd = this.highWatermark;
    try {
      if (this.metadataLog.logEndOffset > durableEnd) this.metadataLog.truncateTo(durableEnd);
      this.metadataLog.appendAsLeader(encodeMetadataRecords(records, this.time.now()), 0);
      this.metadataLog.flush();
    } catch (err) {
      this.log.error(`metadata log write at offset ${durableEnd} failed; rolling back: ${err instanceof Error ? err.message : String(err)}`);
      try {
        this.metadataLog.truncateTo(durableEnd);
      } catch (again) {
        this.log.error(`metadata log truncation to ${durableEnd} failed (retried before the next write): ${again instanceof Error ? again.message : String(again)}`);
      }
      if (err instanceof KafkaError) throw err;
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `metadata log write failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.highWatermark = this.metadataLog.logEndOffset;
    for (const r of records) this.image.apply(r);
    if (records.some((r) => r.type === 'config')) this.syncDynamicDefaults();
    this.image.offset = this.highWatermark;
    for (const w of [...this.waiters]) w();
  }

  /**
   * Whole batches of the metadata log from offset (for brokers' Fetch), waiting up to maxWaitMs
   * for news. Only committed (durable) records are served: the high watermark is the durable end.
   */
  async readMetadata(offset: number, maxBytes: number, maxWaitMs: number): Promise<{ records: Buffer | null; highWatermark: number; logStartOffset: number; errorCode: number }> {
    const read = () => {
      const highWatermark = this.highWatermark;
      const logStartOffset = this.metadataLog.logStartOffset;
      if (offset > highWatermark || offset < logStartOffset) return { records: null, highWatermark, logStartOffset, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
      const { records } = this.metadataLog.read(offset, maxBytes, highWatermark, true);
      return { records, highWatermark, logStartOffset, errorCode: ErrorCode.NONE };
    };
    if (offset < this.highWatermark || maxWaitMs <= 0 || this.stopped) return read();
    await new Promise<void>((resolve) => {
      const done = () => {
        this.time.clear(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = this.time.setTimeout(done, maxWaitMs);
      this.waiters.add(done);
    });
    return read();
  }

  // -------------------------------------------------------------------------------------------
  // Brokers: registration, heartbeats, fencing (ClusterControlManager.ts)

  registerBroker(nodeId: number, host: string, port: number, rack: string | null, listeners?: BrokerEndpoint[]): number {
    return this.cluster.registerBroker(nodeId, host, port, rack, listeners);
  }

  heartbeat(nodeId: number, brokerEpoch: number, metadataOffset: number, wantShutDown: boolean): { errorCode: number; fenced: boolean; caughtUp: boolean; shouldShutDown: boolean } {
    return this.cluster.heartbeat(nodeId, brokerEpoch, metadataOffset, wantShutDown);
  }

  unregisterBroker(nodeId: number): void {
    this.cluster.unregisterBroker(nodeId);
  }

  /** What DescribeQuorum reports of the brokers following the metadata log: their offset and last heartbeat time. */
  observers(): { now: number; brokers: { nodeId: number; logEndOffset: number; lastFetchTimestamp: number }[] } {
    return this.cluster.observers();
  }

  /** Every SESSION_CHECK_INTERVAL_MS: expired broker sessions, and every UNCLEAN_ELECTION_INTERVAL_MS unclean elections. */
  private checkSessions(): void {
    crashPoint('controller.sessions');
    const now = this.time.now();
    // A check that comes late means this process could not read heartbeats either (an event loop
    // stall, shared with in-process brokers): brokers are not blamed for time nobody listened.
    const stalled = this.lastSessionCheck > 0 ? now - this.lastSessionCheck - SESSION_CHECK_INTERVAL_MS : 0;
    this.lastSessionCheck = now;
    if (stalled > SESSION_CHECK_INTERVAL_MS) this.cluster.extendSessions(stalled);
    this.cluster.fenceExpiredSessions(now);
    if (now >= this.nextUncleanElection) {
      this.nextUncleanElection = now + UNCLEAN_ELECTION_INTERVAL_MS;
      this.replication.electUncleanLeaders();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Topics, partitions and ISRs (ReplicationControlManager.ts)

  /** AlterPartition: one partition's ISR change proposed by its leader. */
  alterPartition(req: AlterPartitionProposal): PartitionState {
    return this.replication.alterPartition(req);
  }

  createTopic(name: string, numPartitions: number, replicationFactor: number, assignments: number[][], configs: Record<string, string>, validateOnly: boolean): TopicImage {
    return this.replication.createTopic(name, numPartitions, replicationFactor, assignments, configs, validateOnly);
  }

  /** The partitions a whole CreateTopics (numPartitions -1: num.partitions) or CreatePartitions request would create. */
  partitionsRequested(req: { create?: { numPartitions: number; assignments: number }[]; grow?: { name: string; count: number }[] }): number {
    return this.replication.partitionsRequested(req);
  }

  deleteTopic(name: string): void {
    this.replication.deleteTopic(name);
  }

  createPartitions(name: string, total: number, assignments: number[][] | null, validateOnly: boolean): void {
    this.replication.createPartitions(name, total, assignments, validateOnly);
  }

  setTopicConfigs(name: string, configs: Record<string, string>): void {
    this.replication.setTopicConfigs(name, configs);
  }

  // -------------------------------------------------------------------------------------------
  // ACLs, SCRAM credentials, client quotas, configs, producer ids

  /** Commit client quota changes (records built and checked by ControllerApis' AlterClientQuotas). */
  setClientQuotas(records: Extract<MetadataRecord, { type: 'clientQuota' }>[]): void {
    this.append(records);
  }

  /** CreateAcls: the valid new ACLs committed as one batch (a failed write fails them all). */
  createAcls(acls: AclEntry[]): AclCreateResult[] {
    const { records, results } = createAclRecords(this.image, acls);
    this.append(records);
    return results;
  }

  /** DeleteAcls: what the filters match removed as one batch, each filter with what it removed. */
  deleteAcls(filters: AclFilter[]): AclDeleteResult[] {
    const { records, results } = deleteAclRecords(this.image, filters);
    this.append(records);
    return results;
  }

  allocateProducerIds(): { start: number; length: number } {
    const start = this.image.nextProducerIdBlock;
    this.append([{ type: 'producerIds', nextBlockStart: start + PRODUCER_ID_BLOCK }]);
    return { start, length: PRODUCER_ID_BLOCK };
  }

  /** AlterUserScramCredentials (ScramControl.ts): the valid changes are committed together. */
  alterUserScramCredentials(req: AlterUserScramCredentialsRequest): AlterUserScramCredentialsResponse {
    const { records, response } = scramChanges(this.image, req);
    this.append(records);
    return response;
  }

  /** Store a broker ("" the cluster default) or client-metrics resource's whole config set (Kafka's ConfigRecord). */
  setResourceConfigs(resourceType: number, resourceName: string, configs: Record<string, string>): void {
    this.append([{ type: 'config', resourceType, resourceName, configs }]);
    this.log.info(`configs of resource ${resourceType}:${resourceName} now ${JSON.stringify(configs)}`);
  }

  /** The cluster-default broker configs apply to the controller's own decisions (num.partitions, unclean election…). */
  private syncDynamicDefaults(): void {
    this.config.setDynamic('default', this.image.configs.get(configKey(4, '')) ?? {});
  }
}
