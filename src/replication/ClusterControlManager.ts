// The controller's brokers (Kafka's ClusterControlManager with its BrokerHeartbeatManager):
// registrations, heartbeats and sessions. A broker registers fenced, is unfenced once its
// heartbeats show it caught up with the metadata log, and is fenced again on a controlled
// shutdown or when its heartbeats stop for broker.session.timeout.ms. Fencing and
// unregistration take it out of every ISR and unfencing lets it lead leaderless partitions:
// those partition changes come from ReplicationControlManager (in Kafka its
// handleBrokerFenced / handleBrokerUnfenced) and are committed in the same batch as the
// broker's record.
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { Time } from '../util/Time.js';
import type { BrokerEndpoint, BrokerInfo } from './MetadataImage.js';
import type { ControlHost, ReplicationControlManager } from './ReplicationControlManager.js';

export interface ClusterControlHost extends ControlHost {
  time: Time;
  /** The committed end of the metadata log: a registration's offset, so its broker epoch. */
  committedOffset(): number;
}

export class ClusterControlManager {
  private readonly lastHeartbeat = new Map<number, number>();
  /** Each broker's metadata log progress from its last heartbeat (DescribeQuorum's observers). */
  private readonly metadataOffsets = new Map<number, number>();

  /** Made from the replayed image: brokers registered before a restart get one session timeout to heartbeat again. */
  constructor(
    private readonly host: ClusterControlHost,
    private readonly replication: ReplicationControlManager,
  ) {
    const now = host.time.now();
    for (const b of host.image.liveBrokers()) this.lastHeartbeat.set(b.nodeId, now);
  }

  /**
   * A (re-)registration: a new broker epoch, fenced until caught up. A broker still in ISRs
   * registering again restarted without being fenced (a crash within its session): it leaves
   * them first, as fencing does, so it never leads again on data it may have lost. (Kafka 3.9
   * refuses a new incarnation until the old session expires, with the same effect.)
   */
  registerBroker(nodeId: number, host: string, port: number, rack: string | null, listeners?: BrokerEndpoint[]): number {
    const { image, log } = this.host;
    const epoch = this.host.committedOffset();
    const left = image.brokers.has(nodeId) ? this.replication.leaveIsrs(nodeId) : [];
    const broker: BrokerInfo = { nodeId, host, port, rack, epoch, fenced: true };
    if (listeners && listeners.length > 0) broker.listeners = listeners;
    this.host.append([{ type: 'broker', broker }, ...left]);
    this.lastHeartbeat.set(nodeId, this.host.time.now());
    log.info(`broker ${nodeId} registered at ${host}:${port} (epoch ${epoch}${left.length ? `; left ${left.length} ISR(s) of its previous incarnation` : ''})`);
    return epoch;
  }

  /** A heartbeat; returns the broker's state as the controller sees it. */
  heartbeat(nodeId: number, brokerEpoch: number, metadataOffset: number, wantShutDown: boolean): { errorCode: number; fenced: boolean; caughtUp: boolean; shouldShutDown: boolean } {
    const b = this.host.image.brokers.get(nodeId);
    if (!b || b.epoch !== brokerEpoch) return { errorCode: ErrorCode.STALE_BROKER_EPOCH, fenced: true, caughtUp: false, shouldShutDown: false };
    this.lastHeartbeat.set(nodeId, this.host.time.now());
    this.metadataOffsets.set(nodeId, metadataOffset);
    // metadataOffset is the broker's next offset to apply: caught up once it applied its own registration.
    const caughtUp = metadataOffset > b.epoch;
    if (wantShutDown) {
      if (!b.fenced) this.fence(nodeId, 'controlled shutdown');
      return { errorCode: ErrorCode.NONE, fenced: true, caughtUp, shouldShutDown: true };
    }
    if (b.fenced && caughtUp) this.unfence(nodeId);
    return { errorCode: ErrorCode.NONE, fenced: this.host.image.brokers.get(nodeId)!.fenced, caughtUp, shouldShutDown: false };
  }

  /** Every session gets `stalledMs` more: the controller could not read heartbeats for that long. */
  extendSessions(stalledMs: number): void {
    const timeout = this.host.config.int('broker.session.timeout.ms');
    for (const [id, last] of this.lastHeartbeat) this.lastHeartbeat.set(id, last + stalledMs);
    const say = stalledMs >= timeout / 2 ? this.host.log.warn : this.host.log.debug;
    say(`session check ran ${stalledMs} ms late (event loop stall): broker sessions extended by as much`);
  }

  /** Fence every live broker whose last heartbeat is more than broker.session.timeout.ms before `now`. */
  fenceExpiredSessions(now: number): void {
    const timeout = this.host.config.int('broker.session.timeout.ms');
    for (const b of this.host.image.liveBrokers()) {
      const last = this.lastHeartbeat.get(b.nodeId) ?? 0;
      if (now - last > timeout) this.fence(b.nodeId, `no heartbeat for ${now - last} ms`);
    }
  }

  /** Fence a broker: out of every ISR (but never leaving one empty), its leaderships moved to another ISR member. */
  private fence(nodeId: number, why: string): void {
    const { image } = this.host;
    const b = image.brokers.get(nodeId)!;
    const records = this.replication.leaveIsrs(nodeId);
    const moved = records.filter((r) => r.type === 'partition' && r.state.leader !== image.topics.get(r.topic)?.partitions[r.partition]?.leader).length;
    records.push({ type: 'broker', broker: { ...b, fenced: true } });
    this.host.append(records);
    this.host.log.info(`fenced broker ${nodeId} (${why}); ${moved} leadership(s) changed`);
  }

  /** Unfence a broker: every leaderless partition it can lead (from the ISR, or uncleanly where enabled) elects it. */
  private unfence(nodeId: number): void {
    const b = this.host.image.brokers.get(nodeId)!;
    const records = this.replication.electOnUnfence(nodeId);
    records.push({ type: 'broker', broker: { ...b, fenced: false } });
    this.host.append(records);
    this.host.log.info(`broker ${nodeId} is unfenced`);
  }

  /**
   * UnregisterBroker (Kafka's ReplicationControlManager.unregisterBroker): the broker leaves
   * every ISR (its leaderships move) and its registration is removed. A running broker
   * registers again on its next heartbeat. BROKER_ID_NOT_REGISTERED for an unknown id.
   */
  unregisterBroker(nodeId: number): void {
    if (!this.host.image.brokers.has(nodeId)) throw new KafkaError(ErrorCode.BROKER_ID_NOT_REGISTERED, `Broker ID ${nodeId} is not currently registered`);
    this.host.append([...this.replication.leaveIsrs(nodeId), { type: 'unregisterBroker', nodeId }]);
    this.lastHeartbeat.delete(nodeId);
    this.metadataOffsets.delete(nodeId);
    this.host.log.info(`unregistered broker ${nodeId}`);
  }

  /** What DescribeQuorum reports of the brokers following the metadata log: their offset and last heartbeat time. */
  observers(): { now: number; brokers: { nodeId: number; logEndOffset: number; lastFetchTimestamp: number }[] } {
    const brokers = [...this.host.image.brokers.keys()]
      .sort((a, b) => a - b)
      .map((nodeId) => ({ nodeId, logEndOffset: this.metadataOffsets.get(nodeId) ?? -1, lastFetchTimestamp: this.lastHeartbeat.get(nodeId) ?? -1 }));
    return { now: this.host.time.now(), brokers };
  }
}
