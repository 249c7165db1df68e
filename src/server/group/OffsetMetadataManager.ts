// Kafka's OffsetMetadataManager: the offsets committed by the groups this broker coordinates.
// OffsetCommit appends acks=all records through the CoordinatorRuntime and a commit becomes
// visible (OffsetFetch) once the high watermark passes it; OffsetDelete; offsets of topics that
// are deleted (or deleted and re-created) are tombstoned when the metadata shows it; offsets of
// empty groups expire after offsets.retention.minutes (cleanupExpiredOffsets, driven by the
// coordinator's cleanup cycle). Commit validation asks the GroupMetadataManager about the group.
import type { Logger } from '../../logger.js';
import { ErrorCode, errorName } from '../../protocol/errors.js';
import type { Time } from '../../util/Time.js';
import type { ClassicGroup } from './ClassicGroup.js';
import { codeOf, writeErrorCode, type CoordinatorHost, type CoordinatorRuntime } from './CoordinatorRuntime.js';
import type { CommitParams, DeletedOffsets, FetchedGroup, FetchedPartition, GroupCoordinatorSettings, PartitionResult, TopicResults } from './GroupCoordinator.js';
import type { GroupMetadataManager } from './GroupMetadataManager.js';
import { partitionForGroup, type GroupLogRecord, type OffsetAndMetadata } from './GroupMetadataRecords.js';

export class OffsetMetadataManager {
  /** group → topic → partition → committed offset (committed: the high watermark passed its record). */
  private readonly offsets = new Map<string, Map<string, Map<number, OffsetAndMetadata>>>();
  /** Topic id each committed offset was made for (not persisted: loaded offsets take the id the topic has when loaded). */
  private readonly offsetTopicIds = new WeakMap<OffsetAndMetadata, string>();

  constructor(
    private readonly settings: GroupCoordinatorSettings,
    private readonly runtime: CoordinatorRuntime<GroupLogRecord>,
    private readonly groups: GroupMetadataManager,
    private readonly host: CoordinatorHost,
    private readonly log: Logger,
    private readonly time: Time,
  ) {}

  private now(): number {
    return this.time.now();
  }

  // -------------------------------------------------------------------------------------------
  // The offsets, loading and unloading

  /** Replay an offset commit record (or tombstone) of a partition being loaded. */
  replay(rec: GroupLogRecord & { kind: 'offset' }): void {
    if (rec.value === null) {
      this.removeOffset(rec.group, rec.topic, rec.partition);
    } else {
      if (!this.groups.group(rec.group)) this.groups.createGroup(rec.group);
      this.putOffset(rec.group, rec.topic, rec.partition, rec.value);
    }
  }

  /** A partition was loaded: its offsets count as made for the topics the metadata has now. */
  onLoaded(index: number, partitionCount: number): void {
    for (const [group, topics] of this.offsets) {
      if (partitionForGroup(group, partitionCount) !== index) continue;
      for (const [topic, parts] of topics) {
        const id = this.host.image.topics.get(topic)?.topicId;
        if (id !== undefined) for (const o of parts.values()) this.offsetTopicIds.set(o, id);
      }
    }
  }

  /** A partition was unloaded: forget its groups' offsets. */
  onUnloaded(index: number, partitionCount: number): void {
    for (const groupId of [...this.offsets.keys()]) if (partitionForGroup(groupId, partitionCount) === index) this.offsets.delete(groupId);
  }

  countOffsets(groupIds: Iterable<string>): number {
    let n = 0;
    for (const g of groupIds) for (const parts of this.offsets.get(g)?.values() ?? []) n += parts.size;
    return n;
  }

  /** Tombstones for every offset of the group (when it is deleted). */
  tombstonesOf(groupId: string): GroupLogRecord[] {
    const records: GroupLogRecord[] = [];
    for (const [topic, parts] of this.offsets.get(groupId) ?? []) {
      for (const partition of parts.keys()) records.push({ kind: 'offset', group: groupId, topic, partition, value: null });
    }
    return records;
  }

  /** Forget every offset of a deleted group. */
  forget(groupId: string): void {
    this.offsets.delete(groupId);
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

  getOffset(group: string, topic: string, partition: number): OffsetAndMetadata | undefined {
    return this.offsets.get(group)?.get(topic)?.get(partition);
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
    const unavailable = this.runtime.unavailable(p.groupId);
    if (unavailable !== ErrorCode.NONE) return all(unavailable);
    let group = this.groups.group(p.groupId);
    if (!group) {
      if (p.generationId >= 0) return all(p.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION);
      // No group management: a "simple" group is created by the commit.
      group = this.groups.createGroup(p.groupId);
    }
    const error = this.validateOffsetCommit(group, p);
    if (error !== ErrorCode.NONE) return all(error);
    if (group.is('Stable') || group.is('PreparingRebalance')) {
      // Commits keep a classic member's session alive.
      this.groups.rescheduleHeartbeat(group, group.get(p.memberId));
    }
    const now = this.now();
    // Saturated: a retention reaching past 2^53-1 ms since the epoch never expires either way, and int64 writes refuse unsafe numbers.
    const expireTimestamp = p.retentionTimeMs === -1 ? -1 : Math.min(now + p.retentionTimeMs, Number.MAX_SAFE_INTEGER);
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
      committed = this.runtime.append(p.groupId, records, (shard, first) => {
        committedGroup.pendingOffsetCommits--;
        // Visible once replicated, unless the group was deleted or a later record replaced it.
        if (this.groups.group(p.groupId) !== committedGroup || committedGroup.is('Dead')) return;
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
    const unavailable = this.runtime.unavailable(groupId);
    if (unavailable !== ErrorCode.NONE) return { groupId, errorCode: unavailable, topics: [] };
    const group = this.groups.group(groupId);
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
    const unavailable = this.runtime.unavailable(groupId);
    if (unavailable !== ErrorCode.NONE) return { errorCode: unavailable, topics: [] };
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] };
    const group = this.groups.group(groupId);
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
      committed = this.runtime.append(groupId, tombstones);
    } catch (err) {
      this.log.warn(`removing ${tombstones.length} offsets of group ${groupId} failed: ${(err as Error).message}`);
      return writeErrorCode(codeOf(err), 'delete');
    }
    for (const r of tombstones) if (r.kind === 'offset') this.removeOffset(r.group, r.topic, r.partition);
    return committed;
  }

  /**
   * Tombstone the offsets committed for topics that no longer exist, or that were re-created
   * since (another topic id), in the groups this broker serves. Offsets loaded from the log
   * count as made for the topic the metadata had when they were loaded. `only` limits the scan
   * to one topic name.
   */
  removeOffsetsOfDeletedTopics(only?: string): void {
    const topicsNow = this.host.image.topics;
    const removed = new Set<string>();
    let count = 0;
    for (const [group, topics] of [...this.offsets]) {
      if (this.runtime.unavailable(group) !== ErrorCode.NONE) continue;
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

  /**
   * Kafka's cleanupExpiredOffsets: tombstone the group's expired offsets. Whether every offset
   * of the group is gone (false also when their removal failed).
   */
  cleanupExpiredOffsets(group: ClassicGroup, now: number): boolean {
    const retention = this.settings.offsetsRetentionMs;
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
    if (expired.length > 0) {
      if (typeof this.removeOffsets(groupId, expired) === 'number') return false;
      this.log.info(`expired ${expired.length} committed offsets of group ${groupId}`);
    }
    return allExpired;
  }
}
