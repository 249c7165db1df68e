// The group coordinator (Kafka's GroupCoordinator + GroupCoordinatorShard for classic groups):
// the API the broker's request handlers call, over four parts with Kafka's names —
//
// - CoordinatorRuntime: the replicated internal topic __consumer_offsets: placement
//   (FindCoordinator), loading a partition's log into state when this broker becomes its leader
//   and dropping it when it stops leading, acks=all writes, compaction (with OffsetsPartition);
// - CoordinatorTimer: keyed timers on the injected clock, behind the crash boundary;
// - GroupMetadataManager: the groups and the classic protocol (join, sync, heartbeat, leave);
// - OffsetMetadataManager: committed offsets (commit, fetch, delete, expiration), and the
//   pending transactional offset commits of producers (TxnOffsetCommit, first verified with
//   the producer's transaction coordinator: KIP-890 part 1) that their end-transaction markers
//   commit or abort (completeTransaction).
//
// Committed offsets and group metadata are records of __consumer_offsets, a group lives in
// partition abs(groupId.hashCode()) % partitions and the broker leading that partition
// coordinates it; other brokers answer NOT_COORDINATOR. Writes (OffsetCommit, SyncGroup,
// DeleteGroups, OffsetDelete) are answered once the high watermark passes them. All state lives
// on the event loop, so an operation runs to completion before the next one starts. Time is an
// injected `Time` (tests pass a MockTime); timers, the periodic cleanup, loads and detached
// writes run through the crash boundary: a throw is logged at ERROR with its stack and
// contained (see CoordinatorTimer, CoordinatorRuntime).
import type { Socket } from 'node:net';
import type { Logger } from '../../logger.js';
import type { Int64 } from '../../protocol/primitives.js';
import { ErrorCode, errorName } from '../../protocol/errors.js';
import { contain, crashPoint, detach, guarded } from '../../util/CrashBoundary.js';
import { SYSTEM_TIME, type Time, type TimerHandle } from '../../util/Time.js';
import type { KafkaConfig } from '../../common/KafkaConfig.js';
import type { Partition } from '../Partition.js';
import type { ClassicGroup, GroupState, JoinResult, Protocol, SyncResult } from './ClassicGroup.js';
import { CoordinatorRuntime, codeOf, writeErrorCode, type CoordinatorHost, type CoordinatorNode, type CoordinatorShardHandler, type CoordinatorTopic } from './CoordinatorRuntime.js';
import { CoordinatorTimer } from './CoordinatorTimer.js';
import { GroupMetadataManager } from './GroupMetadataManager.js';
import { GROUP_METADATA_TOPIC, groupRecordCodec, partitionForGroup, type GroupLogRecord } from './GroupMetadataRecords.js';
import { OffsetMetadataManager } from './OffsetMetadataManager.js';

export type { JoinResult, SyncResult } from './ClassicGroup.js';
export type { CoordinatorHost, CoordinatorNode } from './CoordinatorRuntime.js';

const EMPTY = Buffer.alloc(0);

/** A member's host as Kafka reports it (InetAddress.toString(): "/127.0.0.1"). */
export function clientHostOf(socket: Socket): string {
  const addr = socket.remoteAddress ?? '';
  return `/${addr.startsWith('::ffff:') ? addr.slice(7) : addr}`;
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
  committedOffset: Int64;
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

/** TxnOffsetCommit: the offsets a transactional producer commits for a group (Kafka's TxnOffsetCommitRequest). */
export interface TxnCommitParams {
  transactionalId: string;
  groupId: string;
  producerId: number;
  producerEpoch: number;
  /** -1, '' and null below v3. */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: { name: string; partitions: CommitPartition[] }[];
  apiVersion: number;
  /**
   * KIP-890 part 1 (transaction.partition.verification.enable): who asks the producer's
   * transaction coordinator whether the group's partition is in its transaction; null: off.
   */
  verifier: TransactionVerifier | null;
}

/** The broker's AddPartitionsToTxnManager, as the group coordinator uses it. */
export interface TransactionVerifier {
  /** The partitions not in the producer's ongoing transaction, each with its (translated) error; never rejects. */
  verifyTransaction(transactionalId: string, producerId: number, producerEpoch: number, partitions: { topic: string; partition: number }[]): Promise<Map<string, number>>;
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
  committedOffset: Int64;
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

export class GroupCoordinator {
  private readonly runtime: CoordinatorRuntime<GroupLogRecord>;
  private readonly timers: CoordinatorTimer;
  private readonly groups: GroupMetadataManager;
  private readonly offsets: OffsetMetadataManager;
  private cleanupTimer: TimerHandle | null = null;

  constructor(
    readonly settings: GroupCoordinatorSettings,
    host: CoordinatorHost,
    private readonly log: Logger,
    /** The clock of sessions, rebalance delays, commit waits and the cleanup cycle (tests pass a MockTime). */
    readonly time: Time = SYSTEM_TIME,
  ) {
    // The state a partition's records are replayed into, and dropped from when it is unloaded.
    const shards: CoordinatorShardHandler<GroupLogRecord> = {
      replay: (rec, offset, producerId) => {
        if (rec.kind === 'offset') return this.offsets.replay(rec, offset, producerId);
        // A deleted group takes its pending transactional offsets with it, as it does live (forget).
        if (rec.value === null) this.offsets.dropPending(rec.group);
        this.groups.replay(rec.group, rec.value);
      },
      replayEndTransaction: (producerId, commit, offset, index, partitionCount) => this.offsets.completeTransaction(producerId, commit, offset, index, partitionCount),
      onLoaded: (index, partitionCount) => {
        const groupIds = this.groups.groupIdsIn(index, partitionCount);
        this.offsets.onLoaded(index, partitionCount);
        this.groups.onLoaded(groupIds);
        return `${groupIds.length} groups, ${this.offsets.countOffsets(groupIds)} committed offsets`;
      },
      onUnloaded: (index, partitionCount) => {
        const groupIds = this.groups.groupIdsIn(index, partitionCount);
        this.groups.onUnloaded(groupIds);
        this.offsets.onUnloaded(index, partitionCount);
        return groupIds.length;
      },
    };
    const topic: CoordinatorTopic<GroupLogRecord> = {
      name: GROUP_METADATA_TOPIC,
      partitionFor: partitionForGroup,
      create: () => host.createOffsetsTopic(),
      codec: groupRecordCodec,
      unit: 'groups',
    };
    this.runtime = new CoordinatorRuntime(host, { commitTimeoutMs: settings.commitTimeoutMs, loadBufferSize: settings.loadBufferSize }, shards, log, time, topic);
    this.timers = new CoordinatorTimer(time, log);
    this.groups = new GroupMetadataManager(settings, this.runtime, this.timers, log, time);
    this.offsets = new OffsetMetadataManager(settings, this.runtime, this.groups, host, log, time);
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle

  /** Serve group requests and run the offset expiration cycle. */
  start(): void {
    this.runtime.active = true;
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
    if (this.runtime.active) contain(this.log, 'removing offsets of deleted topics', () => this.offsets.removeOffsetsOfDeletedTopics());
  }

  /** Stop timers, drop every loaded partition (parked requests get NOT_COORDINATOR). */
  close(): void {
    this.runtime.active = false;
    this.time.clear(this.cleanupTimer);
    this.cleanupTimer = null;
    this.runtime.close();
    this.timers.clear();
  }

  // -------------------------------------------------------------------------------------------
  // Placement and leadership (CoordinatorRuntime)

  /** FindCoordinator: the leader of the key's __consumer_offsets partition, or COORDINATOR_NOT_AVAILABLE. */
  coordinatorFor(key: string): CoordinatorNode {
    return this.runtime.coordinatorFor(key);
  }

  /** ReplicaManager's role-change callback. */
  onPartitionRoleChange(p: Partition, role: 'leader' | 'follower' | 'removed'): void {
    this.runtime.onPartitionRoleChange(p, role);
  }

  // -------------------------------------------------------------------------------------------
  // The classic protocol (GroupMetadataManager)

  joinGroup(p: JoinGroupParams): JoinResult | Promise<JoinResult> {
    return this.groups.joinGroup(p);
  }

  syncGroup(p: SyncGroupParams): SyncResult | Promise<SyncResult> {
    return this.groups.syncGroup(p);
  }

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    return this.groups.heartbeat(groupId, memberId, groupInstanceId, generationId);
  }

  leaveGroup(groupId: string, members: MemberIdentity[]): LeaveResult {
    return this.groups.leaveGroup(groupId, members);
  }

  // -------------------------------------------------------------------------------------------
  // Offsets (OffsetMetadataManager)

  /** OffsetCommit for partitions that exist; one result per partition once replicated (or failed). */
  commitOffsets(p: CommitParams): TopicResults | Promise<TopicResults> {
    return this.offsets.commitOffsets(p);
  }

  /** TxnOffsetCommit for partitions that exist: verified (KIP-890 part 1), then pending for the producer until its marker; one result per partition once written (or failed). */
  commitTransactionalOffsets(p: TxnCommitParams): TopicResults | Promise<TopicResults> {
    return this.offsets.commitTransactionalOffsets(p);
  }

  /** OffsetFetch for one group; topics null = every committed partition; requireStable: UNSTABLE_OFFSET_COMMIT for partitions with a pending transactional commit. */
  fetchOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, requireStable = false): FetchedGroup {
    return this.offsets.fetchOffsets(groupId, topics, requireStable);
  }

  /** OffsetDelete for partitions that exist; a group-level error code, or per-partition results. */
  deleteOffsets(groupId: string, topics: { name: string; partitions: number[] }[]): DeletedOffsets | Promise<DeletedOffsets> {
    const r = this.offsets.deleteOffsets(groupId, topics);
    // As Kafka's handleDeleteOffsets (cleanupGroupMetadata): an empty group left without offsets is gone at once.
    const group = this.groups.group(groupId);
    const failed = !(r instanceof Promise) && r.errorCode !== ErrorCode.NONE;
    if (failed || !group || !group.is('Empty') || group.pendingOffsetCommits > 0 || this.offsets.countOffsets([groupId]) > 0 || this.offsets.hasPendingTxnOffsets(groupId)) return r;
    let removed: Promise<number>;
    try {
      removed = this.deleteGroup(group);
    } catch (err) {
      this.log.warn(`removing group ${groupId} after its last offsets went failed: ${(err as Error).message}`);
      return r;
    }
    return Promise.all([r, removed]).then(([d, code]) => (d.errorCode === ErrorCode.NONE && code !== ErrorCode.NONE ? { errorCode: writeErrorCode(code, 'delete'), topics: [] } : d));
  }

  /**
   * WriteTxnMarkers for partition `partitionIndex` of __consumer_offsets: append the end-transaction
   * marker there (acks=all) and, once it is committed, make the producer's pending transactional
   * offset commits visible (commit) or drop them (abort), as Kafka's onTransactionCompleted.
   * Resolves the partition's error code for the WriteTxnMarkers answer: NONE once committed;
   * NOT_LEADER_OR_FOLLOWER while this broker does not serve the partition (Kafka translates
   * NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS and COORDINATOR_NOT_AVAILABLE to it for the
   * transaction coordinator); else the append's error (a stale producer or coordinator epoch,
   * NOT_ENOUGH_REPLICAS) or REQUEST_TIMED_OUT after timeoutMs (the coordinator retries).
   */
  completeTransaction(partitionIndex: number, producerId: number, producerEpoch: number, coordinatorEpoch: number, commit: boolean, timeoutMs: number): Promise<number> {
    const marker = { producerId, producerEpoch, coordinatorEpoch, commit, timestamp: this.time.now() };
    return this.runtime.appendEndTxnMarker(partitionIndex, marker, timeoutMs).then((code) => {
      if (code !== ErrorCode.NONE) this.log.info(`${commit ? 'commit' : 'abort'} marker of producer ${producerId} in ${GROUP_METADATA_TOPIC}-${partitionIndex}: ${errorName(code)}`);
      return code;
    });
  }

  /** A deleted topic takes its committed offsets with it, in every group. */
  onTopicDeleted(topic: string): void {
    this.offsets.removeOffsetsOfDeletedTopics(topic);
  }

  // -------------------------------------------------------------------------------------------
  // Admin: DescribeGroups, ListGroups, DeleteGroups; expiration

  describeGroups(groupIds: string[]): DescribedGroup[] {
    return groupIds.map((groupId): DescribedGroup => {
      const base = { groupId, errorCode: ErrorCode.NONE, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
      const unavailable = this.runtime.unavailable(groupId);
      if (unavailable !== ErrorCode.NONE) return { ...base, errorCode: unavailable, groupState: '' };
      const group = this.groups.group(groupId);
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
    if (!this.runtime.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    if (this.runtime.anyLoading) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: [] };
    const states = new Set(statesFilter.map((s) => s.trim().toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    const groups: ListedGroup[] = [];
    for (const g of this.groups.allGroups()) {
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
      const unavailable = this.runtime.unavailable(groupId);
      if (unavailable !== ErrorCode.NONE) {
        out.push({ groupId, errorCode: unavailable });
        continue;
      }
      const group = this.groups.group(groupId);
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
    const tombstones = this.offsets.tombstonesOf(groupId);
    const committed = this.groups.deleteGroup(group, tombstones);
    this.offsets.forget(groupId);
    this.log.info(`deleted group ${groupId} and its ${tombstones.length} committed offsets`);
    return committed;
  }

  /** Kafka's cleanupGroupMetadata: expire old offsets, then drop empty groups left without offsets. */
  cleanupGroupMetadata(now = this.time.now()): void {
    if (!this.runtime.active) return;
    // One group's failure is contained there; the others are still cleaned up.
    for (const group of this.groups.allGroups()) contain(this.log, `expiring offsets of group ${group.groupId}`, () => this.cleanupGroup(group, now));
  }

  private cleanupGroup(group: ClassicGroup, now: number): void {
    const groupId = group.groupId;
    if (this.runtime.unavailable(groupId) !== ErrorCode.NONE) return;
    const allExpired = this.offsets.cleanupExpiredOffsets(group, now);
    // Commits still waiting for the high watermark count as offsets (Kafka's hasOffsets).
    if (allExpired && group.is('Empty') && group.pendingOffsetCommits === 0 && !this.offsets.hasPendingTxnOffsets(groupId)) {
      try {
        detach(this.log, `deleting expired group ${groupId}`, this.deleteGroup(group));
      } catch (err) {
        this.log.error(`deleting expired group ${groupId} failed: ${(err as Error).message}`);
      }
    }
  }

  /** For tests and tools: the state of a group, or undefined. */
  groupState(groupId: string): GroupState | undefined {
    return this.groups.group(groupId)?.state;
  }

  /** For tests and tools: a group's state machine (members, parked requests), or undefined. Do not modify it. */
  classicGroup(groupId: string): ClassicGroup | undefined {
    return this.groups.group(groupId);
  }
}
