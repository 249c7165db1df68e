// The group coordinator (Kafka's GroupCoordinatorService + GroupMetadataManager +
// OffsetMetadataManager for classic groups). This single broker coordinates every group.
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
// Committed offsets and group metadata go to the internal log (GroupMetadataLog) before they
// are acknowledged, and are replayed from it on start. All state lives on the event loop, so
// an operation runs to completion before the next one starts.
//
// Placement: the internal log is not replicated, so exactly one broker coordinates every group:
// the lowest node id the cluster has registered (like a __consumer_offsets with replication
// factor 1 led by that broker). FindCoordinator on any broker names it, or answers
// COORDINATOR_NOT_AVAILABLE while it is fenced/down; group requests sent to another broker get
// NOT_COORDINATOR. Offsets of a topic that is deleted (or deleted and re-created) are dropped
// when the metadata shows it.
import type { Socket } from 'node:net';
import type { Logger } from '../../logger.js';
import { ErrorCode, KafkaError, errorName } from '../../protocol/errors.js';
import type { BrokerInfo, TopicImage } from '../../replication/MetadataImage.js';
import type { KafkaConfig } from '../KafkaConfig.js';
import { ClassicGroup, ClassicGroupMember, joinError, syncError, type GroupState, type JoinResult, type Protocol, type SyncResult } from './ClassicGroup.js';
import { GroupMetadataLog, type GroupLogRecord, type OffsetAndMetadata, type StoredGroup } from './GroupMetadataLog.js';

export type { JoinResult, SyncResult } from './ClassicGroup.js';

/** A member's host as Kafka reports it (InetAddress.toString(): "/127.0.0.1"). */
export function clientHostOf(socket: Socket): string {
  const addr = socket.remoteAddress ?? '';
  return `/${addr.startsWith('::ffff:') ? addr.slice(7) : addr}`;
}

/** Kafka's group.classic.new.member.join.timeout.ms: a brand-new member's JoinGroup is not held longer. */
const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60_000;
const EMPTY = Buffer.alloc(0);

/** What the coordinator needs to know about the cluster: its own node id and the metadata image. */
export interface CoordinatorHost {
  readonly nodeId: number;
  readonly image: { readonly brokers: ReadonlyMap<number, BrokerInfo>; readonly topics: ReadonlyMap<string, TopicImage> };
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

/** Keyed timers (Kafka's coordinator timer): scheduling a key again replaces its timer. */
class Timers {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  schedule(key: string, ms: number, fn: () => void): void {
    this.cancel(key);
    const t = setTimeout(() => {
      if (this.timers.get(key) !== t) return;
      this.timers.delete(key);
      fn();
    }, Math.max(0, ms));
    t.unref();
    this.timers.set(key, t);
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) {
      clearTimeout(t);
      this.timers.delete(key);
    }
  }

  has(key: string): boolean {
    return this.timers.has(key);
  }

  clear(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

const joinKey = (g: string) => `join\0${g}`;
const syncKey = (g: string) => `sync\0${g}`;
const heartbeatKey = (g: string, m: string) => `hb\0${g}\0${m}`;

/** Kafka's mapping of an append failure to what the group APIs answer. */
function appendErrorCode(err: unknown): number {
  const code = err instanceof KafkaError ? err.code : ErrorCode.KAFKA_STORAGE_ERROR;
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

export class GroupCoordinator {
  private readonly groups = new Map<string, ClassicGroup>();
  /** group → topic → partition → committed offset. */
  private readonly offsets = new Map<string, Map<string, Map<number, OffsetAndMetadata>>>();
  /** Topic id each committed offset was made for (not persisted: loaded offsets take the id the topic has at start). */
  private readonly offsetTopicIds = new WeakMap<OffsetAndMetadata, string>();
  /** The last group metadata written per group (what a compaction snapshot re-writes). */
  private readonly persistedGroups = new Map<string, StoredGroup>();
  private readonly timers = new Timers();
  private cleanupTimer: NodeJS.Timeout | null = null;
  private active = false;

  constructor(
    private readonly store: GroupMetadataLog,
    readonly settings: GroupCoordinatorSettings,
    private readonly host: CoordinatorHost,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  static open(dataDir: string | null, config: KafkaConfig, log: Logger, host: CoordinatorHost): GroupCoordinator {
    const store = GroupMetadataLog.open(dataDir, config, log.child('log'));
    const c = new GroupCoordinator(store, settingsFrom(config), host, log);
    c.load();
    return c;
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle

  private load(): void {
    const started = this.now();
    const count = this.store.load((rec) => this.replay(rec));
    if (count > 0) {
      this.log.info(
        `loaded ${count} group metadata records in ${this.now() - started} ms: ${this.groups.size} groups, ${this.countOffsets()} committed offsets`,
      );
    }
  }

  private countOffsets(): number {
    let n = 0;
    for (const topics of this.offsets.values()) for (const parts of topics.values()) n += parts.size;
    return n;
  }

  /** Start timers: loaded members' sessions and the offset expiration cycle. */
  start(): void {
    this.active = true;
    for (const [, topics] of this.offsets) {
      for (const [topic, parts] of topics) {
        const id = this.host.image.topics.get(topic)?.topicId;
        if (id !== undefined) for (const o of parts.values()) this.offsetTopicIds.set(o, id);
      }
    }
    for (const group of this.groups.values()) {
      for (const m of group.members.values()) this.rescheduleHeartbeat(group, m);
      if (group.size > this.settings.maxGroupSize) {
        this.prepareRebalance(group, `freshly-loaded group is over capacity (${this.settings.maxGroupSize})`);
      }
    }
    const interval = Math.max(1, Math.min(this.settings.offsetsRetentionCheckIntervalMs, 2 ** 31 - 1));
    this.cleanupTimer = setInterval(() => this.cleanupGroupMetadata(), interval);
    this.cleanupTimer.unref();
  }

  /** Periodic work driven by the broker: drop offsets of deleted topics, time-based flushes of the internal log. */
  maintain(now: number): void {
    if (this.active) this.removeOffsetsOfDeletedTopics();
    try {
      this.store.maybeFlush(now);
    } catch (err) {
      this.log.error(`flushing the group metadata log failed: ${(err as Error).message}`);
    }
  }

  /** The broker coordinating every group: the lowest registered node id, if it is up. */
  coordinatorNode(): CoordinatorNode {
    let best: BrokerInfo | undefined;
    for (const b of this.host.image.brokers.values()) if (!best || b.nodeId < best.nodeId) best = b;
    if (!best || best.fenced) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1, host: '', port: -1 };
    return { errorCode: ErrorCode.NONE, nodeId: best.nodeId, host: best.host, port: best.port };
  }

  /** 0 when this broker serves group requests, else COORDINATOR_NOT_AVAILABLE or NOT_COORDINATOR. */
  private unavailable(): number {
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    let lowest = Infinity;
    for (const id of this.host.image.brokers.keys()) lowest = Math.min(lowest, id);
    if (lowest === Infinity || lowest === this.host.nodeId) return ErrorCode.NONE;
    return ErrorCode.NOT_COORDINATOR;
  }

  /** Stop timers, answer parked requests with NOT_COORDINATOR, flush and close the log. */
  close(): void {
    if (!this.active && this.cleanupTimer === null) {
      this.store.close();
      return;
    }
    this.active = false;
    if (this.cleanupTimer) clearInterval(this.cleanupTimer);
    this.cleanupTimer = null;
    this.timers.clear();
    for (const g of this.groups.values()) {
      g.completeAllJoins(ErrorCode.NOT_COORDINATOR);
      g.completeAllSyncs(ErrorCode.NOT_COORDINATOR);
    }
    this.store.close();
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

  /** Append to the internal log, then apply to the persisted view. Throws on failure (nothing applied). */
  private write(records: GroupLogRecord[]): void {
    if (records.length === 0) return;
    this.store.append(records);
    for (const r of records) {
      if (r.kind === 'group') {
        if (r.value === null) this.persistedGroups.delete(r.group);
        else this.persistedGroups.set(r.group, r.value);
      }
    }
    this.store.maybeCompact(() => this.snapshot());
  }

  private snapshot(): GroupLogRecord[] {
    const out: GroupLogRecord[] = [];
    for (const [group, value] of this.persistedGroups) out.push({ kind: 'group', group, value });
    for (const [group, topics] of this.offsets) {
      for (const [topic, parts] of topics) for (const [partition, value] of parts) out.push({ kind: 'offset', group, topic, partition, value });
    }
    return out;
  }

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
      this.persistedGroups.delete(rec.group);
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
    this.persistedGroups.set(rec.group, v);
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
    const unavailable = this.unavailable();
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
        // Same protocol: no rebalance. Persist the new member id and give it the current generation.
        const assignment = new Map([...group.members.values()].map((m) => [m.memberId, m.assignment] as const));
        try {
          this.write([{ kind: 'group', group: group.groupId, value: this.storedGroup(group, assignment) }]);
        } catch (err) {
          this.log.warn(`persisting static member ${instanceId} of group ${group.groupId} failed: ${(err as Error).message}; reverting to ${oldMemberId}`);
          group.updateMember(member, old.protocols, old.rebalanceTimeoutMs, old.sessionTimeoutMs, null);
          const restored = group.replaceStaticMember(instanceId, newMemberId, oldMemberId, ErrorCode.FENCED_INSTANCE_ID);
          this.timers.cancel(heartbeatKey(group.groupId, newMemberId));
          this.rescheduleHeartbeat(group, restored);
          respond({ ...this.currentJoinResult(group, '', false, currentLeader), errorCode: appendErrorCode(err) });
          return;
        }
        if (p.apiVersion >= 9) {
          // KIP-814: the static leader learns it leads but skips the assignment of a stable group.
          const isLeader = group.isLeader(newMemberId);
          group.completeJoin(member, this.currentJoinResult(group, newMemberId, isLeader, group.leaderId ?? '', isLeader));
        } else {
          // Older clients get the old leader id, so that a rejoining leader does not reassign.
          group.completeJoin(member, this.currentJoinResult(group, newMemberId, false, currentLeader));
        }
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
      try {
        this.write([{ kind: 'group', group: groupId, value: this.storedGroup(group, new Map()) }]);
      } catch (err) {
        this.log.warn(`failed to write empty metadata for group ${groupId}: ${(err as Error).message}`);
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
    const unavailable = this.unavailable();
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
    try {
      this.write([{ kind: 'group', group: group.groupId, value: this.storedGroup(group, assignment) }]);
    } catch (err) {
      const code = appendErrorCode(err);
      this.log.error(`storing the assignment of group ${group.groupId} failed: ${errorName(code)} ${(err as Error).message}`);
      this.resetAndPropagateAssignmentWithError(group, code);
      this.maybePrepareRebalanceOrCompleteJoin(group, `error ${errorName(code)} when storing the group assignment`);
      return;
    }
    for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY;
    this.propagateAssignment(group, ErrorCode.NONE);
    group.transitionTo('Stable', this.now());
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
    const unavailable = this.unavailable();
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
    const unavailable = this.unavailable();
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
   * for the others). Returns one result per requested partition, in request order.
   */
  commitOffsets(p: CommitParams): { name: string; partitions: PartitionResult[] }[] {
    const all = (code: number) => p.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((x) => ({ partitionIndex: x.partitionIndex, errorCode: code })) }));
    const unavailable = this.unavailable();
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
    try {
      this.write(records);
    } catch (err) {
      const code = appendErrorCode(err);
      this.log.error(`storing offsets of group ${p.groupId} failed: ${(err as Error).message}`);
      for (const t of results) for (const x of t.partitions) if (x.errorCode === ErrorCode.NONE) x.errorCode = code;
      return results;
    }
    for (const r of records) {
      if (r.kind !== 'offset' || !r.value) continue;
      this.putOffset(r.group, r.topic, r.partition, r.value);
      const topicId = this.host.image.topics.get(r.topic)?.topicId;
      if (topicId !== undefined) this.offsetTopicIds.set(r.value, topicId);
    }
    return results;
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
    const unavailable = this.unavailable();
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
  deleteOffsets(groupId: string, topics: { name: string; partitions: number[] }[]): { errorCode: number; topics: { name: string; partitions: PartitionResult[] }[] } {
    const unavailable = this.unavailable();
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
    try {
      this.write(records);
    } catch (err) {
      return { errorCode: appendErrorCode(err), topics: [] };
    }
    for (const r of records) if (r.kind === 'offset') this.removeOffset(r.group, r.topic, r.partition);
    if (records.length > 0) this.log.info(`deleted ${records.length} committed offsets of group ${groupId}`);
    return { errorCode: ErrorCode.NONE, topics: out };
  }

  /** A deleted topic takes its committed offsets with it, in every group. */
  onTopicDeleted(topic: string): void {
    this.removeOffsetsOfDeletedTopics(topic);
  }

  /**
   * Tombstone the offsets committed for topics that no longer exist, or that were re-created
   * since (another topic id). Offsets loaded from the log count as made for the topic the
   * metadata had when the coordinator started. `only` limits the scan to one topic name.
   */
  private removeOffsetsOfDeletedTopics(only?: string): void {
    const topicsNow = this.host.image.topics;
    const records: GroupLogRecord[] = [];
    const removed = new Set<string>();
    for (const [group, topics] of this.offsets) {
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
    }
    if (records.length === 0) return;
    try {
      this.write(records);
    } catch (err) {
      this.log.error(`removing offsets of deleted topics failed: ${(err as Error).message}`);
      return;
    }
    for (const r of records) if (r.kind === 'offset') this.removeOffset(r.group, r.topic, r.partition);
    this.log.info(`removed ${records.length} committed offsets of deleted topic(s) ${[...removed].join(', ')}`);
  }

  // -------------------------------------------------------------------------------------------
  // Admin: DescribeGroups, ListGroups, DeleteGroups

  describeGroups(groupIds: string[]): DescribedGroup[] {
    const unavailable = this.unavailable();
    return groupIds.map((groupId): DescribedGroup => {
      const base = { groupId, errorCode: ErrorCode.NONE, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
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

  listGroups(statesFilter: string[], typesFilter: string[]): { errorCode: number; groups: ListedGroup[] } {
    const unavailable = this.unavailable();
    // Clients list groups on every broker and merge: another broker simply coordinates none.
    if (unavailable === ErrorCode.NOT_COORDINATOR) return { errorCode: ErrorCode.NONE, groups: [] };
    if (unavailable !== ErrorCode.NONE) return { errorCode: unavailable, groups: [] };
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

  deleteGroups(groupIds: string[]): { groupId: string; errorCode: number }[] {
    const out: { groupId: string; errorCode: number }[] = [];
    const unavailable = this.unavailable();
    for (const groupId of new Set(groupIds)) {
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
      try {
        this.deleteGroup(group);
        out.push({ groupId, errorCode: ErrorCode.NONE });
      } catch (err) {
        out.push({ groupId, errorCode: appendErrorCode(err) });
      }
    }
    return out;
  }

  /** Tombstone the group's offsets and metadata and forget it. Throws if the log append fails. */
  private deleteGroup(group: ClassicGroup): void {
    const groupId = group.groupId;
    const records: GroupLogRecord[] = [];
    let offsets = 0;
    for (const [topic, parts] of this.offsets.get(groupId) ?? []) {
      for (const partition of parts.keys()) records.push({ kind: 'offset', group: groupId, topic, partition, value: null });
      offsets += parts.size;
    }
    records.push({ kind: 'group', group: groupId, value: null });
    this.write(records);
    this.offsets.delete(groupId);
    group.transitionTo('Dead', this.now());
    this.groups.delete(groupId);
    this.timers.cancel(joinKey(groupId));
    this.timers.cancel(syncKey(groupId));
    this.log.info(`deleted group ${groupId} and its ${offsets} committed offsets`);
  }

  /** Kafka's cleanupGroupMetadata: expire old offsets, then drop empty groups left without offsets. */
  cleanupGroupMetadata(now = this.now()): void {
    if (!this.active) return;
    const retention = this.settings.offsetsRetentionMs;
    for (const group of [...this.groups.values()]) {
      const groupId = group.groupId;
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
      try {
        if (expired.length > 0) {
          this.write(expired);
          for (const r of expired) if (r.kind === 'offset') this.removeOffset(r.group, r.topic, r.partition);
          this.log.info(`expired ${expired.length} committed offsets of group ${groupId}`);
        }
        if (allExpired && group.is('Empty')) this.deleteGroup(group);
      } catch (err) {
        this.log.error(`cleaning up group ${groupId} failed: ${(err as Error).message}`);
      }
    }
  }

  /** For tests and tools: the state of a group, or undefined. */
  groupState(groupId: string): GroupState | undefined {
    return this.groups.get(groupId)?.state;
  }
}
