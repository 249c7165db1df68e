// The group coordinator (Kafka's GroupCoordinator + GroupMetadataManager for classic groups).
//
// Membership follows Kafka 3.9's classic protocol: JoinGroup parks until every known member
// rejoined or the rebalance timeout passed (members that did not rejoin are dropped); the
// first rebalance of an empty group waits group.initial.rebalance.delay.ms, extended while new
// members keep arriving (up to the rebalance timeout); the leader's SyncGroup carries the
// assignment, which is persisted and handed to the parked SyncGroups; a member that misses its
// session timeout is removed and the group rebalances; a member that gets its JoinGroup answer
// but never syncs is dropped after the rebalance timeout. Static members (group.instance.id)
// keep their place across restarts and fence older incarnations (FENCED_INSTANCE_ID).
//
// Placement and durability are Kafka's: committed offsets and group metadata are records of
// the replicated internal topic __consumer_offsets (created on the first FindCoordinator), a
// group lives in partition abs(groupId.hashCode()) % partitions, and the broker leading that
// partition coordinates the group. When this broker becomes its leader, the partition's log is
// replayed into group state (COORDINATOR_LOAD_IN_PROGRESS meanwhile, see OffsetsPartition);
// when it stops leading, those groups are dropped and their parked JoinGroup/SyncGroup answered
// NOT_COORDINATOR. Group requests for a partition this broker does not lead get NOT_COORDINATOR.
// Writes are acks=all appends to the partition: OffsetCommit, SyncGroup, DeleteGroups and
// OffsetDelete are answered once the high watermark passes them, and committed offsets become
// visible (OffsetFetch) only then. All state lives on the event loop, so an operation runs to
// completion before the next one starts. Offsets of a topic that is deleted (or deleted and
// re-created) are dropped when the metadata shows it.
import type { Socket } from 'node:net';
import type { Logger } from '../../logger.js';
import { contain, crashPoint, detach, guarded } from '../../util/CrashBoundary.js';
import { SYSTEM_TIME, type Time, type TimerHandle } from '../../util/Time.js';
import { ErrorCode, KafkaError, errorName } from '../../protocol/errors.js';
import type { BrokerInfo, TopicImage } from '../../replication/MetadataImage.js';
import type { KafkaConfig } from '../KafkaConfig.js';
import type { Partition } from '../Partition.js';
import { ClassicGroup, ClassicGroupMember, joinError, syncError, type GroupState, type JoinResult, type Protocol, type SyncResult } from './ClassicGroup.js';
import { GROUP_METADATA_TOPIC, partitionForGroup, type GroupLogRecord, type OffsetAndMetadata, type StoredGroup } from './GroupMetadataRecords.js';
import { OffsetsPartition } from './OffsetsPartition.js';

export type { JoinResult, SyncResult } from './ClassicGroup.js';

/** A member's host as Kafka reports it (InetAddress.toString(): "/127.0.0.1"). */
export function clientHostOf(socket: Socket): string {
  const addr = socket.remoteAddress ?? '';
  return `/${addr.startsWith('::ffff:') ? addr.slice(7) : addr}`;
}

/** Kafka's group.classic.new.member.join.timeout.ms: a brand-new member's JoinGroup is not held longer. */
const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60_000;
const EMPTY = Buffer.alloc(0);

/** What the coordinator needs from its broker: the metadata image, and a way to have __consumer_offsets created. */
export interface CoordinatorHost {
  readonly nodeId: number;
  readonly image: { readonly brokers: ReadonlyMap<number, BrokerInfo>; readonly topics: ReadonlyMap<string, TopicImage> };
  /** Ask the controller to create __consumer_offsets (fire and forget; FindCoordinator retries). */
  createOffsetsTopic(): void;
}

export interface CoordinatorNode {
  errorCode: number;
  nodeId: number;
  host: string;
  port: number;
}

export interface GroupCoordinatorSettings {
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  maxGroupSize: number;
  offsetMetadataMaxBytes: number;
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
  /** offsets.commit.timeout.ms: how long a write waits for the high watermark. */
  commitTimeoutMs: number;
  /** offsets.load.buffer.size */
  loadBufferSize: number;
}

export function settingsFrom(config: KafkaConfig): GroupCoordinatorSettings {
  return {
    initialRebalanceDelayMs: config.int('group.initial.rebalance.delay.ms'),
    minSessionTimeoutMs: config.int('group.min.session.timeout.ms'),
    maxSessionTimeoutMs: config.int('group.max.session.timeout.ms'),
    maxGroupSize: config.int('group.max.size'),
    offsetMetadataMaxBytes: config.int('offset.metadata.max.bytes'),
    offsetsRetentionMs: config.int('offsets.retention.minutes') * 60_000,
    offsetsRetentionCheckIntervalMs: config.int('offsets.retention.check.interval.ms'),
    commitTimeoutMs: config.int('offsets.commit.timeout.ms'),
    loadBufferSize: Math.max(1, config.int('offsets.load.buffer.size')),
  };
}

export interface JoinGroupParams {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  reason: string | null;
  apiVersion: number;
  clientId: string;
  clientHost: string;
}

export interface SyncGroupParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface MemberIdentity {
  memberId: string;
  groupInstanceId: string | null;
  reason?: string | null;
}

export interface LeaveResult {
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export interface CommitPartition {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  commitTimestamp: number;
  committedMetadata: string | null;
}

export interface CommitParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** -1 unless the request set a retention (OffsetCommit v2–4). */
  retentionTimeMs: number;
  topics: { name: string; partitions: CommitPartition[] }[];
  apiVersion: number;
}

export interface PartitionResult {
  partitionIndex: number;
  errorCode: number;
}

export type TopicResults = { name: string; partitions: PartitionResult[] }[];

export interface DeletedOffsets {
  errorCode: number;
  topics: { name: string; partitions: PartitionResult[] }[];
}

export interface DeletedGroup {
  groupId: string;
  errorCode: number;
}

export interface FetchedPartition {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

export interface FetchedGroup {
  groupId: string;
  errorCode: number;
  topics: { name: string; partitions: FetchedPartition[] }[];
}

export interface DescribedGroup {
  groupId: string;
  errorCode: number;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; memberMetadata: Buffer; memberAssignment: Buffer }[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

/** How long after a failed load of a __consumer_offsets partition it is loaded again. */
export const LOAD_RETRY_BACKOFF_MS = 1000;
/** Kafka's retry backoff for a coordinator timer whose operation failed. */
export const TIMER_RETRY_BACKOFF_MS = 500;
/** Retries of a failing group timer before it is given up (the group is then left to its next event). */
export const TIMER_MAX_RETRIES = 3;

/**
 * Keyed timers (Kafka's coordinator timer): scheduling a key again replaces its timer. Every
 * operation runs through the crash boundary: a throw is logged at ERROR with its stack and the
 * operation is retried after TIMER_RETRY_BACKOFF_MS (as Kafka's CoordinatorTimer does for
 * operations scheduled with retry), unless it scheduled its key again itself; after
 * TIMER_MAX_RETRIES failures it is given up, as Kafka gives up its classic group timers.
 */
class Timers {
  private readonly timers = new Map<string, TimerHandle>();

  constructor(
    private readonly time: Time,
    private readonly log: Logger,
  ) {}

  schedule(key: string, ms: number, fn: () => void, attempt = 0): void {
    this.cancel(key);
    const t = this.time.setTimeout(() => {
      if (this.timers.get(key) !== t) return;
      this.timers.delete(key);
      const run = () => {
        crashPoint('group.timer');
        fn();
      };
      contain(this.log, `group timer ${describeKey(key)}`, run, () => this.retry(key, fn, attempt));
    }, Math.max(0, ms));
    t.unref();
    this.timers.set(key, t);
  }

  private retry(key: string, fn: () => void, attempt: number): void {
    if (this.timers.has(key)) return; // the operation scheduled its key again before it threw: that timer stands
    if (attempt >= TIMER_MAX_RETRIES) {
      this.log.error(`group timer ${describeKey(key)} failed ${attempt + 1} times; giving it up (the group is left to its next event)`);
      return;
    }
    this.log.warn(`retrying group timer ${describeKey(key)} in ${TIMER_RETRY_BACKOFF_MS} ms`);
    this.schedule(key, TIMER_RETRY_BACKOFF_MS, fn, attempt + 1);
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) {
      this.time.clear(t);
      this.timers.delete(key);
    }
  }

  has(key: string): boolean {
    return this.timers.has(key);
  }

  /** Cancel every timer of a group (join, sync, members' sessions). */
  cancelGroup(groupId: string): void {
    const hb = heartbeatKey(groupId, '');
    for (const key of [...this.timers.keys()]) if (key === joinKey(groupId) || key === syncKey(groupId) || key.startsWith(hb)) this.cancel(key);
  }

  clear(): void {
    for (const t of this.timers.values()) this.time.clear(t);
    this.timers.clear();
  }
}

const joinKey = (g: string) => `join\0${g}`;
const syncKey = (g: string) => `sync\0${g}`;
const heartbeatKey = (g: string, m: string) => `hb\0${g}\0${m}`;
/** A timer key as logs show it: "join/group", "hb/group/member". */
const describeKey = (key: string) => key.split('\0').join('/');

const codeOf = (err: unknown): number => (err instanceof KafkaError ? err.code : ErrorCode.KAFKA_STORAGE_ERROR);

/**
 * What a group API answers when its write to __consumer_offsets failed, as Kafka's
 * GroupMetadataManager maps it: for offset commits (`commit`) and group metadata (`group`,
 * storeGroup); `delete` (DeleteGroups, OffsetDelete) as Kafka's coordinator runtime does.
 */
function writeErrorCode(code: number, op: 'commit' | 'group' | 'delete'): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.REQUEST_TIMED_OUT:
      // A commit that timed out is answered as such (the client retries it).
      return op === 'group' ? ErrorCode.REBALANCE_IN_PROGRESS : op === 'delete' ? ErrorCode.COORDINATOR_NOT_AVAILABLE : code;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return op === 'commit' ? ErrorCode.INVALID_COMMIT_OFFSET_SIZE : ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

const COORDINATOR_UNAVAILABLE: CoordinatorNode = { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1, host: '', port: -1 };

export class GroupCoordinator {
  private readonly groups = new Map<string, ClassicGroup>();
  /** group → topic → partition → committed offset (committed: the high watermark passed its record). */
  private readonly offsets = new Map<string, Map<string, Map<number, OffsetAndMetadata>>>();
  /** Topic id each committed offset was made for (not persisted: loaded offsets take the id the topic has when loaded). */
  private readonly offsetTopicIds = new WeakMap<OffsetAndMetadata, string>();
  /** The partitions of __consumer_offsets this broker leads (loading or loaded), by index. */
  private readonly shards = new Map<number, OffsetsPartition>();
  /** Partition count of __consumer_offsets when each shard was loaded (placement of its groups). */
  private readonly shardPartitionCounts = new WeakMap<OffsetsPartition, number>();
  private readonly timers: Timers;
  private cleanupTimer: TimerHandle | null = null;
  private active = false;

  constructor(
    readonly settings: GroupCoordinatorSettings,
    private readonly host: CoordinatorHost,
    private readonly log: Logger,
    /** The clock of sessions, rebalance delays, commit waits and the cleanup cycle (tests pass a MockTime). */
    readonly time: Time = SYSTEM_TIME,
  ) {
    this.timers = new Timers(time, log);
  }

  private now(): number {
    return this.time.now();
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle

  /** Serve group requests and run the offset expiration cycle. */
  start(): void {
    this.active = true;
    const interval = Math.max(1, Math.min(this.settings.offsetsRetentionCheckIntervalMs, 2 ** 31 - 1));
    // A cleanup that throws is logged and contained; the next interval runs it again.
    const cleanup = () => {
      crashPoint('group.cleanup');
      this.cleanupGroupMetadata();
    };
    this.cleanupTimer = this.time.setInterval(guarded(this.log, 'group metadata cleanup', cleanup), interval);
    this.cleanupTimer.unref();
  }

  /** Periodic work driven by the broker: drop offsets of deleted topics (a failure waits for the next pass). */
  maintain(_now: number): void {
    if (this.active) contain(this.log, 'removing offsets of deleted topics', () => this.removeOffsetsOfDeletedTopics());
  }

  /** Stop timers, drop every loaded partition (parked requests get NOT_COORDINATOR). */
  close(): void {
    this.active = false;
    this.time.clear(this.cleanupTimer);
    this.cleanupTimer = null;
    for (const index of [...this.shards.keys()]) this.unloadPartition(index, 'the broker is stopping');
    this.timers.clear();
  }

  private countOffsets(groupIds: Iterable<string>): number {
    let n = 0;
    for (const g of groupIds) for (const parts of this.offsets.get(g)?.values() ?? []) n += parts.size;
    return n;
  }

  // -------------------------------------------------------------------------------------------
  // Placement: which partition of __consumer_offsets holds a group, and who leads it

  private offsetsPartitionCount(): number {
    return this.host.image.topics.get(GROUP_METADATA_TOPIC)?.partitions.length ?? 0;
  }

  /**
   * FindCoordinator: the leader of the key's partition. COORDINATOR_NOT_AVAILABLE while it has
   * no live leader, or while __consumer_offsets does not exist (its creation is requested).
   * Transactional ids are placed the same way (there is no __transaction_state here).
   */
  coordinatorFor(key: string): CoordinatorNode {
    const topic = this.host.image.topics.get(GROUP_METADATA_TOPIC);
    if (!topic || topic.partitions.length === 0) {
      this.host.createOffsetsTopic();
      return COORDINATOR_UNAVAILABLE;
    }
    const leader = topic.partitions[partitionForGroup(key, topic.partitions.length)]?.leader ?? -1;
    const b = leader >= 0 ? this.host.image.brokers.get(leader) : undefined;
    if (!b || b.fenced) return COORDINATOR_UNAVAILABLE;
    return { errorCode: ErrorCode.NONE, nodeId: b.nodeId, host: b.host, port: b.port };
  }

  /** The partition holding the group (loading or loaded), if this broker leads it. */
  private shardFor(groupId: string): OffsetsPartition | undefined {
    const n = this.offsetsPartitionCount();
    if (n === 0) return undefined;
    const index = partitionForGroup(groupId, n);
    let shard = this.shards.get(index);
    if (shard && shard.current && this.shardPartitionCounts.get(shard) !== n) {
      // Partitions were added to __consumer_offsets: placement changed, load it again.
      this.loadPartition(shard.partition);
      shard = this.shards.get(index);
    }
    return shard?.current ? shard : undefined;
  }

  /** 0 when this broker serves the group, else COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS. */
  private unavailable(groupId: string): number {
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const shard = this.shardFor(groupId);
    if (!shard) return ErrorCode.NOT_COORDINATOR;
    return shard.loading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE;
  }

  // -------------------------------------------------------------------------------------------
  // Loading and unloading, driven by leadership changes of __consumer_offsets partitions

  /** ReplicaManager's role-change callback. */
  onPartitionRoleChange(p: Partition, role: 'leader' | 'follower' | 'removed'): void {
    if (p.topic !== GROUP_METADATA_TOPIC) return;
    if (role === 'leader') this.loadPartition(p);
    else this.unloadPartition(p.index, role === 'removed' ? 'no longer hosted here' : p.leaderId < 0 ? 'it has no leader' : `broker ${p.leaderId} leads it`);
  }

  private loadPartition(p: Partition): void {
    this.unloadPartition(p.index, `a new leader epoch ${p.leaderEpoch}`);
    const shard = new OffsetsPartition(p, { commitTimeoutMs: this.settings.commitTimeoutMs, loadBufferSize: this.settings.loadBufferSize }, this.log.child(p.name), this.time);
    const count = this.offsetsPartitionCount();
    this.shards.set(p.index, shard);
    this.shardPartitionCounts.set(shard, count);
    shard.load(
      (rec) => this.replay(rec),
      (records, ms) => {
        if (this.shards.get(p.index) !== shard) return;
        const groupIds = [...this.groups.keys()].filter((g) => partitionForGroup(g, count) === p.index);
        for (const [group, topics] of this.offsets) {
          if (partitionForGroup(group, count) !== p.index) continue;
          for (const [topic, parts] of topics) {
            const id = this.host.image.topics.get(topic)?.topicId;
            if (id !== undefined) for (const o of parts.values()) this.offsetTopicIds.set(o, id);
          }
        }
        for (const groupId of groupIds) {
          const group = this.groups.get(groupId)!;
          for (const m of group.members.values()) this.rescheduleHeartbeat(group, m);
          if (group.size > this.settings.maxGroupSize) {
            this.prepareRebalance(group, `freshly-loaded group is over capacity (${this.settings.maxGroupSize})`);
          }
        }
        const line = `loaded ${p.name} at leader epoch ${shard.leaderEpoch}: ${records} records in ${ms} ms, ${groupIds.length} groups, ${this.countOffsets(groupIds)} committed offsets`;
        if (records > 0) this.log.info(line);
        else this.log.debug(line);
        shard.maybeCompact();
      },
      () => {
        // Contained and logged by the shard. Its groups are dropped (NOT_COORDINATOR) and the
        // load is tried again while this broker still leads the partition at that epoch.
        if (this.shards.get(p.index) !== shard) return;
        this.unloadPartition(p.index, 'its load failed');
        const epoch = shard.leaderEpoch;
        const retry = () => {
          if (this.active && !this.shards.has(p.index) && p.isLeader && p.leaderEpoch === epoch) this.loadPartition(p);
        };
        this.log.warn(`loading ${p.name} again in ${LOAD_RETRY_BACKOFF_MS} ms`);
        this.time.setTimeout(guarded(this.log, `reloading ${p.name}`, retry), LOAD_RETRY_BACKOFF_MS).unref();
      },
    );
  }

  /** Forget the groups of a partition this broker no longer leads; their parked requests get NOT_COORDINATOR. */
  private unloadPartition(index: number, reason: string): void {
    const shard = this.shards.get(index);
    if (!shard) return;
    this.shards.delete(index);
    shard.close();
    const count = this.shardPartitionCounts.get(shard)!;
    let groups = 0;
    for (const [groupId, group] of [...this.groups]) {
      if (partitionForGroup(groupId, count) !== index) continue;
      group.completeAllJoins(ErrorCode.NOT_COORDINATOR);
      group.completeAllSyncs(ErrorCode.NOT_COORDINATOR);
      group.transitionTo('Dead', this.now());
      this.timers.cancelGroup(groupId);
      this.groups.delete(groupId);
      groups++;
    }
    for (const groupId of [...this.offsets.keys()]) if (partitionForGroup(groupId, count) === index) this.offsets.delete(groupId);
    const line = `unloaded ${GROUP_METADATA_TOPIC}-${index} (${reason}): ${groups} groups`;
    if (groups > 0) this.log.info(line);
    else this.log.debug(line);
  }

  // -------------------------------------------------------------------------------------------
  // Persistence

  private storedGroup(group: ClassicGroup, assignment: Map<string, Buffer>): StoredGroup {
    const protocol = group.protocolName;
    return {
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol,
      leader: group.leaderId,
      currentStateTimestamp: group.currentStateTimestamp,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: protocol === null ? EMPTY : m.metadata(protocol),
        assignment: assignment.get(m.memberId) ?? EMPTY,
      })),
    };
  }

  /**
   * Append records to the group's partition (acks=all). Throws the KafkaError of a failed
   * append (NOT_LEADER_OR_FOLLOWER when this broker does not serve the group); resolves NONE
   * once the high watermark passes them, or the error that ended the wait. onCommit runs when
   * they are committed, in log order (see OffsetsPartition).
   */
  private append(groupId: string, records: GroupLogRecord[], onCommit?: (shard: OffsetsPartition, firstOffset: number) => void): Promise<number> {
    const shard = this.shardFor(groupId);
    if (!shard || shard.loading) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `this broker does not coordinate group ${groupId}`);
    return shard.append(records, onCommit && ((first) => onCommit(shard, first)));
  }

  private writeGroup(group: ClassicGroup, assignment: Map<string, Buffer>): Promise<number> {
    return this.append(group.groupId, [{ kind: 'group', group: group.groupId, value: this.storedGroup(group, assignment) }]);
  }

  /** Replay one record of a partition being loaded. */
  private replay(rec: GroupLogRecord): void {
    if (rec.kind === 'offset') {
      if (rec.value === null) {
        this.removeOffset(rec.group, rec.topic, rec.partition);
      } else {
        if (!this.groups.has(rec.group)) this.groups.set(rec.group, new ClassicGroup(rec.group, this.now()));
        this.putOffset(rec.group, rec.topic, rec.partition, rec.value);
      }
      return;
    }
    if (rec.value === null) {
      this.groups.delete(rec.group);
      return;
    }
    const v = rec.value;
    const group = new ClassicGroup(rec.group, v.currentStateTimestamp >= 0 ? v.currentStateTimestamp : this.now(), v.members.length > 0 ? 'Stable' : 'Empty');
    group.generationId = v.generation;
    group.protocolType = v.protocolType === '' ? null : v.protocolType;
    group.protocolName = v.protocol;
    for (const sm of v.members) {
      const m = new ClassicGroupMember(
        sm.memberId,
        sm.groupInstanceId,
        sm.clientId,
        sm.clientHost,
        sm.rebalanceTimeoutMs,
        sm.sessionTimeoutMs,
        v.protocolType,
        [{ name: v.protocol ?? '', metadata: sm.subscription }],
      );
      m.assignment = sm.assignment;
      group.add(m, null);
    }
    if (v.leader !== null && group.has(v.leader)) group.leaderId = v.leader;
    group.subscribedTopics = group.computeSubscribedTopics();
    this.groups.set(rec.group, group);
  }

  private putOffset(group: string, topic: string, partition: number, value: OffsetAndMetadata): void {
    let topics = this.offsets.get(group);
    if (!topics) this.offsets.set(group, (topics = new Map()));
    let parts = topics.get(topic);
    if (!parts) topics.set(topic, (parts = new Map()));
    parts.set(partition, value);
  }

  private removeOffset(group: string, topic: string, partition: number): void {
    const topics = this.offsets.get(group);
    const parts = topics?.get(topic);
    if (!topics || !parts) return;
    parts.delete(partition);
    if (parts.size === 0) topics.delete(topic);
    if (topics.size === 0) this.offsets.delete(group);
  }

  private getOffset(group: string, topic: string, partition: number): OffsetAndMetadata | undefined {
    return this.offsets.get(group)?.get(topic)?.get(partition);
  }

  // -------------------------------------------------------------------------------------------
  // JoinGroup

  joinGroup(p: JoinGroupParams): JoinResult | Promise<JoinResult> {
    const unavailable = this.unavailable(p.groupId);
    if (unavailable !== ErrorCode.NONE) return joinError(p.memberId, unavailable);
    if (p.groupId === '') return joinError(p.memberId, ErrorCode.INVALID_GROUP_ID);
    if (p.sessionTimeoutMs < this.settings.minSessionTimeoutMs || p.sessionTimeoutMs > this.settings.maxSessionTimeoutMs) {
      return joinError(p.memberId, ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    const isUnknownMember = p.memberId === '';
    let group = this.groups.get(p.groupId);
    if (!group) {
      // A group is created by a member without an id; a member id for an unknown group is stale.
      if (!isUnknownMember) return joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
      group = new ClassicGroup(p.groupId, this.now());
      this.groups.set(p.groupId, group);
    }
    let answer: JoinResult | undefined;
    let resolve: ((r: JoinResult) => void) | undefined;
    const respond = (r: JoinResult) => {
      if (resolve) resolve(r);
      else answer = r;
    };
    try {
      if (!this.acceptJoiningMember(group, p.memberId)) {
        group.remove(p.memberId);
        respond(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
      } else if (isUnknownMember) {
        this.joinNewMember(group, p, respond);
      } else {
        this.joinExistingMember(group, p, respond);
      }
    } catch (err) {
      this.log.error(`JoinGroup of group ${p.groupId} failed: ${(err as Error).stack ?? err}`);
      respond(joinError(p.memberId, ErrorCode.UNKNOWN_SERVER_ERROR));
    }
    if (answer) return answer;
    return new Promise<JoinResult>((r) => {
      if (answer) r(answer);
      else resolve = r;
    });
  }

  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        return (group.has(memberId) && group.get(memberId).isAwaitingJoin) || group.numAwaitingJoinResponse < this.settings.maxGroupSize;
      case 'CompletingRebalance':
      case 'Stable':
        return group.has(memberId) || group.size < this.settings.maxGroupSize;
    }
  }

  private joinNewMember(group: ClassicGroup, p: JoinGroupParams, respond: (r: JoinResult) => void): void {
    if (group.is('Dead')) return respond(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(p.protocolType, p.protocols.map((x) => x.name))) {
      return respond(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const newMemberId = group.generateMemberId(p.clientId, p.groupInstanceId);
    if (p.groupInstanceId !== null) {
      const existing = group.staticMemberId(p.groupInstanceId);
      if (existing !== undefined) {
        this.log.info(`static member ${p.groupInstanceId} of group ${group.groupId} rejoins in ${group.state}; replacing member id ${existing}`);
        return this.updateStaticMemberThenRebalanceOrCompleteJoin(group, p, existing, newMemberId, respond);
      }
      return this.addMemberThenRebalanceOrCompleteJoin(group, p, newMemberId, respond);
    }
    if (p.apiVersion >= 4) {
      // KIP-394: hand out the member id and have the client rejoin with it.
      group.addPendingMember(newMemberId);
      this.timers.schedule(heartbeatKey(group.groupId, newMemberId), p.sessionTimeoutMs, () => this.expireHeartbeat(group.groupId, newMemberId));
      return respond(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    }
    this.addMemberThenRebalanceOrCompleteJoin(group, p, newMemberId, respond);
  }

  private joinExistingMember(group: ClassicGroup, p: JoinGroupParams, respond: (r: JoinResult) => void): void {
    const memberId = p.memberId;
    if (group.is('Dead')) return respond(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(p.protocolType, p.protocols.map((x) => x.name))) {
      return respond(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    if (group.isPendingMember(memberId)) {
      // Pending members were handed their id by MEMBER_ID_REQUIRED, which static members never get.
      if (p.groupInstanceId !== null) return respond(joinError(memberId, ErrorCode.UNKNOWN_SERVER_ERROR));
      return this.addMemberThenRebalanceOrCompleteJoin(group, p, memberId, respond);
    }
    const error = group.validateMember(memberId, p.groupInstanceId, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID);
    if (error !== ErrorCode.NONE) return respond(joinError(memberId, error));
    const member = group.get(memberId);
    const reason = p.reason ?? 'not provided';
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberThenRebalanceOrCompleteJoin(group, member, p, respond, `member ${memberId} joining during PreparingRebalance; client reason: ${reason}`);
      case 'CompletingRebalance':
        if (member.matches(p.protocols)) {
          // The member probably missed the JoinGroup answer: give it the current generation again.
          return respond(this.currentJoinResult(group, memberId, group.isLeader(memberId)));
        }
        return this.updateMemberThenRebalanceOrCompleteJoin(group, member, p, respond, `member ${memberId} changed its metadata during CompletingRebalance; client reason: ${reason}`);
      case 'Stable':
        if (group.isLeader(memberId)) {
          // A leader's JoinGroup always rebalances (it may have seen topic metadata change).
          return this.updateMemberThenRebalanceOrCompleteJoin(group, member, p, respond, `leader ${memberId} re-joining during Stable; client reason: ${reason}`);
        }
        if (!member.matches(p.protocols)) {
          return this.updateMemberThenRebalanceOrCompleteJoin(group, member, p, respond, `member ${memberId} changed its metadata during Stable; client reason: ${reason}`);
        }
        return respond(this.currentJoinResult(group, memberId, false));
      default:
        this.log.warn(`member ${memberId} of group ${group.groupId} rejoins in unexpected state ${group.state}`);
        return respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private currentJoinResult(group: ClassicGroup, memberId: string, withMembers: boolean, leader = group.leaderId ?? '', skipAssignment = false): JoinResult {
    return {
      errorCode: ErrorCode.NONE,
      memberId,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader,
      skipAssignment,
      members: withMembers ? group.currentMemberMetadata() : [],
    };
  }

  private addMemberThenRebalanceOrCompleteJoin(group: ClassicGroup, p: JoinGroupParams, memberId: string, respond: (r: JoinResult) => void): void {
    const member = new ClassicGroupMember(
      memberId,
      p.groupInstanceId,
      p.clientId,
      p.clientHost,
      p.rebalanceTimeoutMs,
      p.sessionTimeoutMs,
      p.protocolType,
      p.protocols,
    );
    member.isNew = true;
    if (group.is('PreparingRebalance') && group.previousState === 'Empty') group.newMemberAdded = true;
    group.add(member, respond);
    // A new member cannot heartbeat while its JoinGroup is parked; bound how long it may be held.
    this.rescheduleHeartbeat(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
    this.maybePrepareRebalanceOrCompleteJoin(
      group,
      `adding new member ${memberId} with group instance id ${p.groupInstanceId}; client reason: ${p.reason ?? 'not provided'}`,
    );
  }

  private updateMemberThenRebalanceOrCompleteJoin(
    group: ClassicGroup,
    member: ClassicGroupMember,
    p: JoinGroupParams,
    respond: (r: JoinResult) => void,
    reason: string,
  ): void {
    group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, respond);
    this.maybePrepareRebalanceOrCompleteJoin(group, reason);
  }

  private updateStaticMemberThenRebalanceOrCompleteJoin(
    group: ClassicGroup,
    p: JoinGroupParams,
    oldMemberId: string,
    newMemberId: string,
    respond: (r: JoinResult) => void,
  ): void {
    const instanceId = p.groupInstanceId!;
    const currentLeader = group.leaderId ?? '';
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId, ErrorCode.FENCED_INSTANCE_ID);
    this.timers.cancel(heartbeatKey(group.groupId, oldMemberId));
    this.rescheduleHeartbeat(group, member);
    const old = { protocols: member.protocols, rebalanceTimeoutMs: member.rebalanceTimeoutMs, sessionTimeoutMs: member.sessionTimeoutMs };
    group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, respond);
    const reason = `static member ${instanceId} rejoined as ${newMemberId}; client reason: ${p.reason ?? 'not provided'}`;
    switch (group.state) {
      case 'Stable': {
        if (group.protocolName !== group.selectProtocol()) {
          return this.maybePrepareRebalanceOrCompleteJoin(group, `${reason}; the selected protocol changes`);
        }
        // Same protocol: no rebalance. Persist the new member id, then give it the current generation.
        const assignment = new Map([...group.members.values()].map((m) => [m.memberId, m.assignment] as const));
        const revert = (m: ClassicGroupMember, code: number, why: string) => {
          this.log.warn(`persisting static member ${instanceId} of group ${group.groupId} failed: ${why}; reverting to ${oldMemberId}`);
          group.updateMember(m, old.protocols, old.rebalanceTimeoutMs, old.sessionTimeoutMs, null);
          const restored = group.replaceStaticMember(instanceId, newMemberId, oldMemberId, ErrorCode.FENCED_INSTANCE_ID);
          this.timers.cancel(heartbeatKey(group.groupId, newMemberId));
          this.rescheduleHeartbeat(group, restored);
          respond({ ...this.currentJoinResult(group, '', false, currentLeader), errorCode: code });
        };
        let committed: Promise<number>;
        try {
          committed = this.writeGroup(group, assignment);
        } catch (err) {
          return revert(member, writeErrorCode(codeOf(err), 'group'), (err as Error).message);
        }
        const persisted = committed.then((code) => {
          // Unloaded meanwhile (the parked JoinGroup got NOT_COORDINATOR), or replaced again.
          if (this.groups.get(group.groupId) !== group || !group.has(newMemberId)) return;
          const current = group.get(newMemberId);
          // A rebalance that started meanwhile answers the parked JoinGroup itself.
          if (!group.is('Stable') || group.staticMemberId(instanceId) !== newMemberId) return;
          if (code !== ErrorCode.NONE) return revert(current, writeErrorCode(code, 'group'), errorName(code));
          if (p.apiVersion >= 9) {
            // KIP-814: the static leader learns it leads but skips the assignment of a stable group.
            const isLeader = group.isLeader(newMemberId);
            group.completeJoin(current, this.currentJoinResult(group, newMemberId, isLeader, group.leaderId ?? '', isLeader));
          } else {
            // Older clients get the old leader id, so that a rejoining leader does not reassign.
            group.completeJoin(current, this.currentJoinResult(group, newMemberId, false, currentLeader));
          }
        });
        detach(this.log, `answering rejoined static member ${instanceId} of group ${group.groupId}`, persisted);
        return;
      }
      case 'CompletingRebalance':
        // The leader may already be assigning to the old member id: rebalance again.
        return this.prepareRebalance(group, reason);
      case 'PreparingRebalance':
        return this.maybeCompleteJoinPhase(group);
      default:
        throw new Error(`group ${group.groupId} in unexpected state ${group.state} for a rejoining static member`);
    }
  }

  private maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup, reason: string): void {
    if (group.canRebalance) this.prepareRebalance(group, reason);
    else this.maybeCompleteJoinPhase(group);
  }

  private prepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentWithError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.removeSyncExpiration(group);
    const isInitialRebalance = group.is('Empty');
    if (isInitialRebalance) {
      const delayMs = this.settings.initialRebalanceDelayMs;
      const remainingMs = Math.max(group.rebalanceTimeoutMs - delayMs, 0);
      const groupId = group.groupId;
      this.timers.schedule(joinKey(groupId), delayMs, () => this.tryCompleteInitialRebalanceElseSchedule(groupId, delayMs, remainingMs));
    }
    group.transitionTo('PreparingRebalance', this.now());
    this.log.info(`preparing to rebalance group ${group.groupId} with old generation ${group.generationId} (reason: ${reason})`);
    if (!isInitialRebalance) this.maybeCompleteJoinElseSchedule(group);
  }

  private maybeCompleteJoinElseSchedule(group: ClassicGroup): void {
    if (group.hasAllMembersJoined) return this.completeJoin(group);
    const groupId = group.groupId;
    this.timers.schedule(joinKey(groupId), group.rebalanceTimeoutMs, () => this.completeJoinById(groupId));
  }

  private tryCompleteInitialRebalanceElseSchedule(groupId: string, delayMs: number, remainingMs: number): void {
    const group = this.groups.get(groupId);
    if (!group) return;
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false;
      const newDelayMs = Math.min(this.settings.initialRebalanceDelayMs, remainingMs);
      const newRemainingMs = Math.max(remainingMs - delayMs, 0);
      this.timers.schedule(joinKey(groupId), newDelayMs, () => this.tryCompleteInitialRebalanceElseSchedule(groupId, newDelayMs, newRemainingMs));
    } else {
      this.completeJoin(group);
    }
  }

  private maybeCompleteJoinPhase(group: ClassicGroup): void {
    if (!group.is('PreparingRebalance')) return;
    if (group.previousState === 'Empty') return; // the initial rebalance waits for its delay
    if (!group.hasAllMembersJoined) return;
    this.completeJoin(group);
  }

  private completeJoinById(groupId: string): void {
    const group = this.groups.get(groupId);
    if (group) this.completeJoin(group);
  }

  /** End of the join phase: drop dynamic members that did not rejoin, start the next generation. */
  private completeJoin(group: ClassicGroup): void {
    const groupId = group.groupId;
    this.timers.cancel(joinKey(groupId));
    if (!group.is('PreparingRebalance')) return;
    const dropped = group.notYetRejoinedMembers().filter((m) => !m.isStatic);
    for (const m of dropped) {
      group.remove(m.memberId);
      this.timers.cancel(heartbeatKey(groupId, m.memberId));
    }
    if (dropped.length > 0) this.log.info(`group ${groupId} removed members that did not rejoin: ${dropped.map((m) => m.memberId).join(', ')}`);
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Only static members are left and none rejoined: wait until their sessions expire.
      this.log.warn(`group ${groupId} could not complete its rebalance because no member rejoined`);
      this.timers.schedule(joinKey(groupId), group.rebalanceTimeoutMs, () => this.completeJoinById(groupId));
      return;
    }
    group.initNextGeneration(this.now());
    if (group.is('Empty')) {
      this.log.info(`group ${groupId} with generation ${group.generationId} is now empty`);
      const failed = (why: string) => this.log.warn(`failed to write empty metadata for group ${groupId}: ${why}`);
      try {
        const written = this.writeGroup(group, new Map()).then((code) => code !== ErrorCode.NONE && failed(errorName(code)));
        detach(this.log, `writing empty metadata of group ${groupId}`, written);
      } catch (err) {
        failed((err as Error).message);
      }
      return;
    }
    this.log.info(`stabilized group ${groupId} generation ${group.generationId} (${group.protocolType}/${group.protocolName}) with ${group.size} members`);
    for (const m of [...group.members.values()]) {
      group.completeJoin(m, this.currentJoinResult(group, m.memberId, group.isLeader(m.memberId)));
      this.rescheduleHeartbeat(group, m);
      m.isNew = false;
      group.addPendingSyncMember(m.memberId);
    }
    const generation = group.generationId;
    this.timers.schedule(syncKey(groupId), group.rebalanceTimeoutMs, () => this.expirePendingSync(groupId, generation));
  }

  private expirePendingSync(groupId: string, generationId: number): void {
    const group = this.groups.get(groupId);
    if (!group || generationId !== group.generationId) return;
    if (!(group.is('CompletingRebalance') || group.is('Stable')) || group.hasReceivedSyncFromAllMembers) return;
    const pending = group.allPendingSyncMembers();
    for (const id of pending) {
      group.remove(id);
      this.timers.cancel(heartbeatKey(groupId, id));
    }
    this.prepareRebalance(group, `removing ${pending.join(', ')} on pending sync request expiration`);
  }

  private removeSyncExpiration(group: ClassicGroup): void {
    group.clearPendingSyncMembers();
    this.timers.cancel(syncKey(group.groupId));
  }

  private removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.removePendingSyncMember(memberId);
    if (!(group.is('CompletingRebalance') || group.is('Stable')) || group.hasReceivedSyncFromAllMembers) this.timers.cancel(syncKey(group.groupId));
  }

  // -------------------------------------------------------------------------------------------
  // Sessions

  private rescheduleHeartbeat(group: ClassicGroup, member: ClassicGroupMember, timeoutMs = member.sessionTimeoutMs): void {
    const groupId = group.groupId;
    const memberId = member.memberId;
    this.timers.schedule(heartbeatKey(groupId, memberId), timeoutMs, () => this.expireHeartbeat(groupId, memberId));
  }

  private expireHeartbeat(groupId: string, memberId: string): void {
    const group = this.groups.get(groupId);
    if (!group || group.is('Dead')) return;
    if (group.isPendingMember(memberId)) {
      this.log.info(`pending member ${memberId} of group ${groupId} removed after its session timeout`);
      group.remove(memberId);
      if (group.is('PreparingRebalance') && group.hasAllMembersJoined) this.completeJoin(group);
      return;
    }
    const member = group.members.get(memberId);
    if (!member || member.hasSatisfiedHeartbeat()) return;
    this.log.info(`member ${memberId} of group ${groupId} has failed (session timeout ${member.sessionTimeoutMs} ms), removing it`);
    this.removeMemberAndUpdateGroup(group, member, `removing member ${memberId} on heartbeat expiration`);
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: ClassicGroupMember, reason: string): void {
    // A new member may expire while parked in JoinGroup: answer it so that the client retries.
    group.completeJoin(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    if (group.is('Stable') || group.is('CompletingRebalance')) this.maybePrepareRebalanceOrCompleteJoin(group, reason);
    else if (group.is('PreparingRebalance') && group.hasAllMembersJoined) this.completeJoin(group);
  }

  // -------------------------------------------------------------------------------------------
  // SyncGroup

  syncGroup(p: SyncGroupParams): SyncResult | Promise<SyncResult> {
    const unavailable = this.unavailable(p.groupId);
    if (unavailable !== ErrorCode.NONE) return syncError(unavailable);
    if (p.groupId === '') return syncError(ErrorCode.INVALID_GROUP_ID);
    const group = this.groups.get(p.groupId);
    if (!group) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    if (group.is('Dead')) return syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const error = group.validateMember(p.memberId, p.groupInstanceId, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID);
    if (error !== ErrorCode.NONE) return syncError(error);
    if (p.generationId !== group.generationId) return syncError(ErrorCode.ILLEGAL_GENERATION);
    const inconsistent = (req: string | null, current: string | null) => req !== null && current !== null && req !== current;
    if (inconsistent(p.protocolType, group.protocolType) || inconsistent(p.protocolName, group.protocolName)) {
      return syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    switch (group.state) {
      case 'PreparingRebalance':
        return syncError(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Stable': {
        this.removePendingSyncMember(group, p.memberId);
        const m = group.get(p.memberId);
        return { errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment };
      }
      case 'CompletingRebalance': {
        const member = group.get(p.memberId);
        const parked = new Promise<SyncResult>((resolve) => {
          // A duplicate SyncGroup replaces the parked one; answer the old one first.
          group.completeSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
          member.awaitingSync = resolve;
        });
        this.removePendingSyncMember(group, p.memberId);
        if (group.isLeader(p.memberId)) this.completeSyncWithLeaderAssignment(group, p);
        return parked;
      }
      default:
        return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    }
  }

  private completeSyncWithLeaderAssignment(group: ClassicGroup, p: SyncGroupParams): void {
    const assignment = new Map<string, Buffer>();
    for (const a of p.assignments) if (group.has(a.memberId)) assignment.set(a.memberId, a.assignment);
    const missing = [...group.members.keys()].filter((id) => !assignment.has(id));
    for (const id of missing) assignment.set(id, EMPTY);
    if (missing.length > 0) this.log.warn(`group ${group.groupId} generation ${group.generationId}: empty assignment for ${missing.join(', ')}`);
    this.log.info(`assignment received from leader ${p.memberId} for group ${group.groupId} generation ${group.generationId} (${group.size} members)`);
    const generation = group.generationId;
    const failed = (code: number, why: string) => {
      this.log.error(`storing the assignment of group ${group.groupId} generation ${generation} failed: ${why}; answering ${errorName(code)}`);
      this.resetAndPropagateAssignmentWithError(group, code);
      this.maybePrepareRebalanceOrCompleteJoin(group, `error ${errorName(code)} when storing the group assignment`);
    };
    let committed: Promise<number>;
    try {
      committed = this.writeGroup(group, assignment);
    } catch (err) {
      return failed(writeErrorCode(codeOf(err), 'group'), (err as Error).message);
    }
    // The members get their assignment once it is replicated (offsets.commit.required.acks=-1).
    const current = () => this.groups.get(group.groupId) === group && group.is('CompletingRebalance') && group.generationId === generation;
    const stored = committed.then((code) => {
      if (!current()) return;
      if (code !== ErrorCode.NONE) return failed(writeErrorCode(code, 'group'), errorName(code));
      for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY;
      this.propagateAssignment(group, ErrorCode.NONE);
      group.transitionTo('Stable', this.now());
    });
    // Should completing the generation throw, the members parked in SyncGroup are not left hanging: they rejoin.
    detach(this.log, `completing generation ${generation} of group ${group.groupId}`, stored, () => {
      if (current()) failed(ErrorCode.UNKNOWN_SERVER_ERROR, 'completing the generation failed');
    });
  }

  private resetAndPropagateAssignmentWithError(group: ClassicGroup, errorCode: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY;
    this.propagateAssignment(group, errorCode);
  }

  private propagateAssignment(group: ClassicGroup, errorCode: number): void {
    const ok = errorCode === ErrorCode.NONE;
    for (const m of [...group.members.values()]) {
      const r: SyncResult = { errorCode, protocolType: ok ? group.protocolType : null, protocolName: ok ? group.protocolName : null, assignment: m.assignment };
      // Restart the session clock: it may have run out while the member waited for the leader.
      if (group.completeSync(m, r)) this.rescheduleHeartbeat(group, m);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Heartbeat and LeaveGroup

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    const unavailable = this.unavailable(groupId);
    if (unavailable !== ErrorCode.NONE) return unavailable;
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const group = this.groups.get(groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const error = group.validateMember(memberId, groupInstanceId, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID);
    if (error !== ErrorCode.NONE) return error;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    switch (group.state) {
      case 'Empty':
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case 'PreparingRebalance':
        this.rescheduleHeartbeat(group, group.get(memberId));
        return ErrorCode.REBALANCE_IN_PROGRESS;
      default:
        this.rescheduleHeartbeat(group, group.get(memberId));
        return ErrorCode.NONE;
    }
  }

  leaveGroup(groupId: string, members: MemberIdentity[]): LeaveResult {
    const unavailable = this.unavailable(groupId);
    if (unavailable !== ErrorCode.NONE) return { errorCode: unavailable, members: [] };
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const group = this.groups.get(groupId);
    const result = (m: MemberIdentity, errorCode: number) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode });
    if (!group) return { errorCode: ErrorCode.NONE, members: members.map((m) => result(m, ErrorCode.UNKNOWN_MEMBER_ID)) };
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const out: LeaveResult['members'] = [];
    let anyLeft = false;
    for (const m of members) {
      const reason = m.reason ?? 'not provided';
      let code: number = ErrorCode.NONE;
      if (m.memberId === '') {
        // Administrative removal of a static member by its instance id.
        const id = m.groupInstanceId === null ? undefined : group.staticMemberId(m.groupInstanceId);
        if (id === undefined) code = ErrorCode.UNKNOWN_MEMBER_ID;
        else this.removeCurrentMember(group, id, reason);
      } else if (group.isPendingMember(m.memberId)) {
        group.remove(m.memberId);
        this.timers.cancel(heartbeatKey(groupId, m.memberId));
        this.log.info(`pending member ${m.memberId} left group ${groupId}; client reason: ${reason}`);
      } else {
        code = group.validateMember(m.memberId, m.groupInstanceId, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID);
        if (code === ErrorCode.NONE) this.removeCurrentMember(group, m.memberId, reason);
      }
      if (code === ErrorCode.NONE) anyLeft = true;
      out.push(result(m, code));
    }
    if (anyLeft) {
      const reason = `explicit LeaveGroup of ${out.filter((r) => r.errorCode === ErrorCode.NONE).map((r) => r.memberId || r.groupInstanceId).join(', ')}`;
      if (group.is('Stable') || group.is('CompletingRebalance')) this.maybePrepareRebalanceOrCompleteJoin(group, reason);
      else if (group.is('PreparingRebalance')) this.maybeCompleteJoinPhase(group);
    }
    return { errorCode: ErrorCode.NONE, members: out };
  }

  private removeCurrentMember(group: ClassicGroup, memberId: string, reason: string): void {
    const member = group.get(memberId);
    this.timers.cancel(heartbeatKey(group.groupId, memberId));
    this.log.info(`member ${memberId} left group ${group.groupId}; client reason: ${reason}`);
    group.completeJoin(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(memberId);
  }

  // -------------------------------------------------------------------------------------------
  // Offsets

  /**
   * OffsetCommit for partitions that exist (the API layer answers UNKNOWN_TOPIC_OR_PARTITION
   * for the others). One result per requested partition, in request order, once the commit is
   * replicated (or failed).
   */
  commitOffsets(p: CommitParams): TopicResults | Promise<TopicResults> {
    const all = (code: number) => p.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((x) => ({ partitionIndex: x.partitionIndex, errorCode: code })) }));
    const unavailable = this.unavailable(p.groupId);
    if (unavailable !== ErrorCode.NONE) return all(unavailable);
    let group = this.groups.get(p.groupId);
    if (!group) {
      if (p.generationId >= 0) return all(p.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION);
      // No group management: a "simple" group is created by the commit.
      group = new ClassicGroup(p.groupId, this.now());
      this.groups.set(p.groupId, group);
    }
    const error = this.validateOffsetCommit(group, p);
    if (error !== ErrorCode.NONE) return all(error);
    if (group.is('Stable') || group.is('PreparingRebalance')) {
      // Commits keep a classic member's session alive.
      this.rescheduleHeartbeat(group, group.get(p.memberId));
    }
    const now = this.now();
    const expireTimestamp = p.retentionTimeMs === -1 ? -1 : now + p.retentionTimeMs;
    const records: GroupLogRecord[] = [];
    const results = p.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((x): PartitionResult => {
        if (x.committedMetadata !== null && x.committedMetadata.length > this.settings.offsetMetadataMaxBytes) {
          return { partitionIndex: x.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
        }
        records.push({
          kind: 'offset',
          group: p.groupId,
          topic: t.name,
          partition: x.partitionIndex,
          value: {
            offset: x.committedOffset,
            leaderEpoch: x.committedLeaderEpoch,
            metadata: x.committedMetadata ?? '',
            commitTimestamp: x.commitTimestamp === -1 ? now : x.commitTimestamp,
            expireTimestamp,
          },
        });
        return { partitionIndex: x.partitionIndex, errorCode: ErrorCode.NONE };
      }),
    }));
    if (records.length === 0) return results;
    const failed = (code: number, why: string) => {
      const answer = writeErrorCode(code, 'commit');
      this.log.warn(`storing offsets of group ${p.groupId} failed: ${why}; answering ${errorName(answer)}`);
      for (const t of results) for (const x of t.partitions) if (x.errorCode === ErrorCode.NONE) x.errorCode = answer;
      return results;
    };
    const committedGroup = group;
    let committed: Promise<number>;
    committedGroup.pendingOffsetCommits++;
    try {
      committed = this.append(p.groupId, records, (shard, first) => {
        committedGroup.pendingOffsetCommits--;
        // Visible once replicated, unless the group was deleted or a later record replaced it.
        if (this.groups.get(p.groupId) !== committedGroup || committedGroup.is('Dead')) return;
        records.forEach((r, i) => {
          if (r.kind !== 'offset' || r.value === null || !shard.isLatest(r, first + i)) return;
          this.putOffset(r.group, r.topic, r.partition, r.value);
          const topicId = this.host.image.topics.get(r.topic)?.topicId;
          if (topicId !== undefined) this.offsetTopicIds.set(r.value, topicId);
        });
      });
    } catch (err) {
      committedGroup.pendingOffsetCommits--;
      return failed(codeOf(err), (err as Error).message);
    }
    return committed.then((code) => (code === ErrorCode.NONE ? results : failed(code, errorName(code))));
  }

  private validateOffsetCommit(group: ClassicGroup, p: CommitParams): number {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (p.generationId < 0 && group.is('Empty')) return ErrorCode.NONE; // admin client or a consumer without group management
    if (p.generationId >= 0 || p.memberId !== '' || p.groupInstanceId !== null) {
      const error = group.validateMember(p.memberId, p.groupInstanceId, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID);
      if (error !== ErrorCode.NONE) return error;
      if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    } else if (!group.is('Empty')) {
      // Without member id and generation, commits are only accepted while the group is empty.
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    if (group.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  /** OffsetFetch for one group; topics null = every committed partition. */
  fetchOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null): FetchedGroup {
    const unavailable = this.unavailable(groupId);
    if (unavailable !== ErrorCode.NONE) return { groupId, errorCode: unavailable, topics: [] };
    const group = this.groups.get(groupId);
    const known = group !== undefined && !group.is('Dead');
    const groupOffsets = known ? this.offsets.get(groupId) : undefined;
    const toPartition = (partitionIndex: number, o: OffsetAndMetadata | undefined): FetchedPartition =>
      o
        ? { partitionIndex, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE }
        : { partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
    if (topics === null) {
      const out: FetchedGroup['topics'] = [];
      for (const [name, parts] of groupOffsets ?? []) {
        out.push({ name, partitions: [...parts].sort((a, b) => a[0] - b[0]).map(([i, o]) => toPartition(i, o)) });
      }
      return { groupId, errorCode: ErrorCode.NONE, topics: out };
    }
    return {
      groupId,
      errorCode: ErrorCode.NONE,
      topics: topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((i) => toPartition(i, groupOffsets?.get(t.name)?.get(i))) })),
    };
  }

  /** OffsetDelete for partitions that exist; a group-level error code, or per-partition results. */
  deleteOffsets(groupId: string, topics: { name: string; partitions: number[] }[]): DeletedOffsets | Promise<DeletedOffsets> {
    const unavailable = this.unavailable(groupId);
    if (unavailable !== ErrorCode.NONE) return { errorCode: unavailable, topics: [] };
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] };
    const group = this.groups.get(groupId);
    if (!group || group.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    if (!group.is('Empty') && !group.usesConsumerProtocol) return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
    const records: GroupLogRecord[] = [];
    const out = topics.map((t) => {
      const subscribed = group.isSubscribedToTopic(t.name);
      return {
        name: t.name,
        partitions: t.partitions.map((partition): PartitionResult => {
          if (subscribed) return { partitionIndex: partition, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
          if (this.getOffset(groupId, t.name, partition)) records.push({ kind: 'offset', group: groupId, topic: t.name, partition, value: null });
          return { partitionIndex: partition, errorCode: ErrorCode.NONE };
        }),
      };
    });
    if (records.length === 0) return { errorCode: ErrorCode.NONE, topics: out };
    const committed = this.removeOffsets(groupId, records);
    if (typeof committed === 'number') return { errorCode: committed, topics: [] };
    this.log.info(`deleted ${records.length} committed offsets of group ${groupId}`);
    return committed.then((code) => (code === ErrorCode.NONE ? { errorCode: ErrorCode.NONE, topics: out } : { errorCode: writeErrorCode(code, 'delete'), topics: [] }));
  }

  /**
   * Append offset tombstones and drop the offsets at once (Kafka's coordinator removes them
   * before the write). The mapped error if the append failed (nothing removed), else the write.
   */
  private removeOffsets(groupId: string, tombstones: GroupLogRecord[]): number | Promise<number> {
    let committed: Promise<number>;
    try {
      committed = this.append(groupId, tombstones);
    } catch (err) {
      this.log.warn(`removing ${tombstones.length} offsets of group ${groupId} failed: ${(err as Error).message}`);
      return writeErrorCode(codeOf(err), 'delete');
    }
    for (const r of tombstones) if (r.kind === 'offset') this.removeOffset(r.group, r.topic, r.partition);
    return committed;
  }

  /** A deleted topic takes its committed offsets with it, in every group. */
  onTopicDeleted(topic: string): void {
    this.removeOffsetsOfDeletedTopics(topic);
  }

  /**
   * Tombstone the offsets committed for topics that no longer exist, or that were re-created
   * since (another topic id), in the groups this broker serves. Offsets loaded from the log
   * count as made for the topic the metadata had when they were loaded. `only` limits the scan
   * to one topic name.
   */
  private removeOffsetsOfDeletedTopics(only?: string): void {
    const topicsNow = this.host.image.topics;
    const removed = new Set<string>();
    let count = 0;
    for (const [group, topics] of [...this.offsets]) {
      if (this.unavailable(group) !== ErrorCode.NONE) continue;
      const records: GroupLogRecord[] = [];
      for (const [topic, parts] of topics) {
        if (only !== undefined && topic !== only) continue;
        const current = topicsNow.get(topic)?.topicId;
        for (const [partition, o] of parts) {
          const madeFor = this.offsetTopicIds.get(o);
          if (current !== undefined && (madeFor === undefined || madeFor === current)) continue;
          records.push({ kind: 'offset', group, topic, partition, value: null });
          removed.add(topic);
        }
      }
      if (records.length > 0 && typeof this.removeOffsets(group, records) !== 'number') count += records.length;
    }
    if (count > 0) this.log.info(`removed ${count} committed offsets of deleted topic(s) ${[...removed].join(', ')}`);
  }

  // -------------------------------------------------------------------------------------------
  // Admin: DescribeGroups, ListGroups, DeleteGroups

  describeGroups(groupIds: string[]): DescribedGroup[] {
    return groupIds.map((groupId): DescribedGroup => {
      const base = { groupId, errorCode: ErrorCode.NONE, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
      const unavailable = this.unavailable(groupId);
      if (unavailable !== ErrorCode.NONE) return { ...base, errorCode: unavailable, groupState: '' };
      const group = this.groups.get(groupId);
      if (!group) return base;
      const stable = group.is('Stable');
      return {
        groupId,
        errorCode: ErrorCode.NONE,
        groupState: group.state,
        protocolType: group.protocolType ?? '',
        protocolData: stable ? (group.protocolName ?? '') : '',
        members: [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: stable ? m.metadata(group.protocolName ?? '') : EMPTY,
          memberAssignment: m.assignment,
        })),
      };
    });
  }

  /** The groups of every partition this broker leads (clients list every broker and merge). */
  listGroups(statesFilter: string[], typesFilter: string[]): { errorCode: number; groups: ListedGroup[] } {
    if (!this.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    if ([...this.shards.values()].some((s) => s.loading)) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: [] };
    const states = new Set(statesFilter.map((s) => s.trim().toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    const groups: ListedGroup[] = [];
    for (const g of this.groups.values()) {
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
      if (types.size > 0 && !types.has('classic')) continue;
      groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: 'classic' });
    }
    return { errorCode: ErrorCode.NONE, groups };
  }

  /** DeleteGroups: answered once the tombstones are replicated. */
  deleteGroups(groupIds: string[]): DeletedGroup[] | Promise<DeletedGroup[]> {
    const out: DeletedGroup[] = [];
    const writes: Promise<void>[] = [];
    for (const groupId of new Set(groupIds)) {
      const unavailable = this.unavailable(groupId);
      if (unavailable !== ErrorCode.NONE) {
        out.push({ groupId, errorCode: unavailable });
        continue;
      }
      const group = this.groups.get(groupId);
      if (!group || group.is('Dead')) {
        out.push({ groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND });
        continue;
      }
      if (!group.is('Empty')) {
        out.push({ groupId, errorCode: ErrorCode.NON_EMPTY_GROUP });
        continue;
      }
      const result: DeletedGroup = { groupId, errorCode: ErrorCode.NONE };
      out.push(result);
      try {
        writes.push(this.deleteGroup(group).then((code) => void (result.errorCode = code === ErrorCode.NONE ? code : writeErrorCode(code, 'delete'))));
      } catch (err) {
        result.errorCode = writeErrorCode(codeOf(err), 'delete');
      }
    }
    return writes.length === 0 ? out : Promise.all(writes).then(() => out);
  }

  /** Tombstone the group's offsets and metadata and forget it at once. Throws if the append fails. */
  private deleteGroup(group: ClassicGroup): Promise<number> {
    const groupId = group.groupId;
    const records: GroupLogRecord[] = [];
    let offsets = 0;
    for (const [topic, parts] of this.offsets.get(groupId) ?? []) {
      for (const partition of parts.keys()) records.push({ kind: 'offset', group: groupId, topic, partition, value: null });
      offsets += parts.size;
    }
    records.push({ kind: 'group', group: groupId, value: null });
    const committed = this.append(groupId, records);
    this.offsets.delete(groupId);
    group.transitionTo('Dead', this.now());
    this.groups.delete(groupId);
    this.timers.cancelGroup(groupId);
    this.log.info(`deleted group ${groupId} and its ${offsets} committed offsets`);
    return committed;
  }

  /** Kafka's cleanupGroupMetadata: expire old offsets, then drop empty groups left without offsets. */
  cleanupGroupMetadata(now = this.now()): void {
    if (!this.active) return;
    // One group's failure is contained there; the others are still cleaned up.
    for (const group of [...this.groups.values()]) contain(this.log, `expiring offsets of group ${group.groupId}`, () => this.cleanupGroup(group, now));
  }

  private cleanupGroup(group: ClassicGroup, now: number): void {
    const retention = this.settings.offsetsRetentionMs;
    const groupId = group.groupId;
    if (this.unavailable(groupId) !== ErrorCode.NONE) return;
    const topics = this.offsets.get(groupId);
    const expired: GroupLogRecord[] = [];
    let allExpired = true;
    if (topics) {
      // Offsets of a group with members never expire; an empty group's age from when it became empty.
      const base: ((o: OffsetAndMetadata) => number) | null = group.isSimple
        ? (o) => o.commitTimestamp
        : group.is('Empty')
          ? () => group.currentStateTimestamp
          : null;
      for (const [topic, parts] of topics) {
        if (base === null || group.isSubscribedToTopic(topic)) {
          allExpired = false;
          continue;
        }
        for (const [partition, o] of parts) {
          const isExpired = o.expireTimestamp >= 0 ? now >= o.expireTimestamp : now - base(o) >= retention;
          if (isExpired) expired.push({ kind: 'offset', group: groupId, topic, partition, value: null });
          else allExpired = false;
        }
      }
    }
    if (expired.length > 0) {
      if (typeof this.removeOffsets(groupId, expired) === 'number') return;
      this.log.info(`expired ${expired.length} committed offsets of group ${groupId}`);
    }
    // Commits still waiting for the high watermark count as offsets (Kafka's hasOffsets).
    if (allExpired && group.is('Empty') && group.pendingOffsetCommits === 0) {
      try {
        detach(this.log, `deleting expired group ${groupId}`, this.deleteGroup(group));
      } catch (err) {
        this.log.error(`deleting expired group ${groupId} failed: ${(err as Error).message}`);
      }
    }
  }

  /** For tests and tools: the state of a group, or undefined. */
  groupState(groupId: string): GroupState | undefined {
    return this.groups.get(groupId)?.state;
  }

  /** For tests and tools: a group's state machine (members, parked requests), or undefined. Do not modify it. */
  classicGroup(groupId: string): ClassicGroup | undefined {
    return this.groups.get(groupId);
  }
}
