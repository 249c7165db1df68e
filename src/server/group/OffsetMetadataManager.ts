// Kafka's OffsetMetadataManager: the offsets committed by the groups this broker coordinates.
// OffsetCommit appends acks=all records through the CoordinatorRuntime and a commit becomes
// visible (OffsetFetch) once the high watermark passes it; OffsetDelete; offsets of topics that
// are deleted (or deleted and re-created) are tombstoned when the metadata shows it; offsets of
// empty groups expire after offsets.retention.minutes (cleanupExpiredOffsets, driven by the
// coordinator's cleanup cycle). Commit validation asks the GroupMetadataManager about the group.
//
// Transactional offset commits (TxnOffsetCommit, Kafka's storeOffsets with a producer id) are
// written as a transactional batch of the producer and stay *pending* for it, invisible to
// OffsetFetch (require_stable answers UNSTABLE_OFFSET_COMMIT for their partitions), until the
// producer's end-transaction marker in the group's partition is committed (a plain commit not
// yet replicated is unstable for require_stable too, as in Kafka): COMMIT makes them
// the committed offsets unless a later record of the same partition is already there (Kafka's
// olderThan rule, by log offset), ABORT drops them. Loading replays them the same way. A plain
// tombstone of a partition (OffsetDelete, expiration, a deleted topic) or of the group also
// drops its pending transactional offsets, live and on replay alike.
import type { Logger } from '../../logger.js';
import { ErrorCode, errorName } from '../../protocol/errors.js';
import type { Time } from '../../util/Time.js';
import type { VerificationGuard } from '../Partition.js';
import type { ClassicGroup } from './ClassicGroup.js';
import { codeOf, writeErrorCode, type CoordinatorHost, type CoordinatorRuntime } from './CoordinatorRuntime.js';
import type { CommitParams, DeletedOffsets, FetchedGroup, FetchedPartition, GroupCoordinatorSettings, PartitionResult, TopicResults, TxnCommitParams } from './GroupCoordinator.js';
import type { GroupMetadataManager } from './GroupMetadataManager.js';
import { partitionForGroup, type GroupLogRecord, type OffsetAndMetadata } from './GroupMetadataRecords.js';

/** A transactional offset commit waiting for its producer's marker. */
interface PendingTxnOffset {
  topic: string;
  partition: number;
  value: OffsetAndMetadata;
  /** Log offset of its record once committed (replicated), -1 before. */
  recordOffset: number;
}

const partitionKey = (topic: string, partition: number): string => `${topic}\0${partition}`;

/** One error for every partition of a TxnOffsetCommit. */
const everyPartition = (p: TxnCommitParams, errorCode: number): TopicResults =>
  p.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((x) => ({ partitionIndex: x.partitionIndex, errorCode })) }));

export class OffsetMetadataManager {
  /** group → topic → partition → committed offset (committed: the high watermark passed its record). */
  private readonly offsets = new Map<string, Map<string, Map<number, OffsetAndMetadata>>>();
  /** Topic id each committed offset was made for (not persisted: loaded offsets take the id the topic has when loaded). */
  private readonly offsetTopicIds = new WeakMap<OffsetAndMetadata, string>();
  /** Log offset of each committed offset's record (Kafka's appendedBatchOffset, for the olderThan rule). */
  private readonly recordOffsets = new WeakMap<OffsetAndMetadata, number>();
  /** group → topic\0partition → plain commits appended but not yet replicated (nor failed). */
  private readonly inFlight = new Map<string, Map<string, number>>();
  /** producer id → group → topic\0partition → its pending transactional offset commit. */
  private readonly pendingTxn = new Map<number, Map<string, Map<string, PendingTxnOffset>>>();

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

  /** Replay an offset commit record (or tombstone) of a partition being loaded; producerId ≥ 0 for a transactional one. */
  replay(rec: GroupLogRecord & { kind: 'offset' }, offset: number, producerId = -1): void {
    if (producerId >= 0) {
      if (rec.value === null) {
        this.dropPending(rec.group, (e) => e.topic === rec.topic && e.partition === rec.partition, producerId);
      } else {
        if (!this.groups.group(rec.group)) this.groups.createGroup(rec.group);
        this.putPending(producerId, rec.group, { topic: rec.topic, partition: rec.partition, value: rec.value, recordOffset: offset });
      }
    } else if (rec.value === null) {
      this.removeOffset(rec.group, rec.topic, rec.partition);
      this.dropPending(rec.group, (e) => e.topic === rec.topic && e.partition === rec.partition);
    } else {
      if (!this.groups.group(rec.group)) this.groups.createGroup(rec.group);
      this.putOffset(rec.group, rec.topic, rec.partition, rec.value);
      this.recordOffsets.set(rec.value, offset);
    }
  }

  /**
   * The producer's marker at `markerOffset` in partition `index` of `partitionCount` (loaded or
   * committed): its pending offsets in that partition's groups, written before the marker, are
   * committed (unless a later record of the partition is already committed) or dropped.
   */
  completeTransaction(producerId: number, commit: boolean, markerOffset: number, index: number, partitionCount: number): void {
    const byGroup = this.pendingTxn.get(producerId);
    if (!byGroup) return;
    for (const [groupId, parts] of byGroup) {
      if (partitionForGroup(groupId, partitionCount) !== index) continue;
      const group = this.groups.group(groupId);
      for (const [k, e] of parts) {
        // A commit of the producer's next transaction, written after this marker, stays pending.
        if (e.recordOffset < 0 || e.recordOffset > markerOffset) continue;
        parts.delete(k);
        if (!commit || !group || group.is('Dead')) continue;
        const current = this.getOffset(groupId, e.topic, e.partition);
        if (current && (this.recordOffsets.get(current) ?? -1) > e.recordOffset) continue;
        this.putOffset(groupId, e.topic, e.partition, e.value);
        this.recordOffsets.set(e.value, e.recordOffset);
        const topicId = this.host.image.topics.get(e.topic)?.topicId;
        if (topicId !== undefined) this.offsetTopicIds.set(e.value, topicId);
      }
      if (parts.size === 0) byGroup.delete(groupId);
    }
    if (byGroup.size === 0) this.pendingTxn.delete(producerId);
  }

  private putPending(producerId: number, groupId: string, e: PendingTxnOffset): void {
    let byGroup = this.pendingTxn.get(producerId);
    if (!byGroup) this.pendingTxn.set(producerId, (byGroup = new Map()));
    let parts = byGroup.get(groupId);
    if (!parts) byGroup.set(groupId, (parts = new Map()));
    parts.set(partitionKey(e.topic, e.partition), e);
  }

  /** Drop the group's pending transactional offsets that `match` (of one producer, or of all). */
  dropPending(groupId: string, match: (e: PendingTxnOffset) => boolean = () => true, producerId?: number): void {
    for (const [pid, byGroup] of this.pendingTxn) {
      if (producerId !== undefined && pid !== producerId) continue;
      const parts = byGroup.get(groupId);
      if (!parts) continue;
      for (const [k, e] of parts) if (match(e)) parts.delete(k);
      if (parts.size === 0) byGroup.delete(groupId);
      if (byGroup.size === 0) this.pendingTxn.delete(pid);
    }
  }

  /**
   * Whether a commit of the group's partition is pending: a plain one not yet replicated, or a
   * transactional one before its marker (Kafka's hasPendingOffsetCommitsForTopicPartition).
   */
  hasPendingCommit(groupId: string, topic: string, partition: number): boolean {
    const k = partitionKey(topic, partition);
    if (this.inFlight.get(groupId)?.has(k)) return true;
    for (const byGroup of this.pendingTxn.values()) if (byGroup.get(groupId)?.has(k)) return true;
    return false;
  }

  /** Whether the group has pending transactional offset commits (they count as offsets for group expiration). */
  hasPendingTxnOffsets(groupId: string): boolean {
    for (const byGroup of this.pendingTxn.values()) if (byGroup.has(groupId)) return true;
    return false;
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

  /** A partition was unloaded: forget its groups' offsets, committed and pending. */
  onUnloaded(index: number, partitionCount: number): void {
    for (const groupId of [...this.offsets.keys()]) if (partitionForGroup(groupId, partitionCount) === index) this.offsets.delete(groupId);
    for (const groupId of [...this.inFlight.keys()]) if (partitionForGroup(groupId, partitionCount) === index) this.inFlight.delete(groupId);
    for (const [pid, byGroup] of this.pendingTxn) {
      for (const groupId of [...byGroup.keys()]) if (partitionForGroup(groupId, partitionCount) === index) byGroup.delete(groupId);
      if (byGroup.size === 0) this.pendingTxn.delete(pid);
    }
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

  /** Forget every offset of a deleted group, committed and pending. */
  forget(groupId: string): void {
    this.offsets.delete(groupId);
    this.dropPending(groupId);
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
    // In flight until replicated or failed (Kafka's pendingOffsetCommits): unstable for require_stable.
    const settle = this.markInFlight(p.groupId, records);
    try {
      committed = this.runtime.append(p.groupId, records, (shard, first) => {
        settle();
        committedGroup.pendingOffsetCommits--;
        // Visible once replicated, unless the group was deleted or a later record replaced it.
        if (this.groups.group(p.groupId) !== committedGroup || committedGroup.is('Dead')) return;
        records.forEach((r, i) => {
          if (r.kind !== 'offset' || r.value === null || !shard.isLatest(r, first + i)) return;
          this.putOffset(r.group, r.topic, r.partition, r.value);
          this.recordOffsets.set(r.value, first + i);
          const topicId = this.host.image.topics.get(r.topic)?.topicId;
          if (topicId !== undefined) this.offsetTopicIds.set(r.value, topicId);
        });
      });
    } catch (err) {
      settle();
      committedGroup.pendingOffsetCommits--;
      return failed(codeOf(err), (err as Error).message);
    }
    return committed.then((code) => {
      settle();
      return code === ErrorCode.NONE ? results : failed(code, errorName(code));
    });
  }

  /** Count the records' partitions as in flight; the returned function ends that, once (later calls do nothing). */
  private markInFlight(groupId: string, records: GroupLogRecord[]): () => void {
    let parts = this.inFlight.get(groupId);
    if (!parts) this.inFlight.set(groupId, (parts = new Map()));
    const keys = records.flatMap((r) => (r.kind === 'offset' ? [partitionKey(r.topic, r.partition)] : []));
    for (const k of keys) parts.set(k, (parts.get(k) ?? 0) + 1);
    const counted = parts;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const k of keys) {
        const n = (counted.get(k) ?? 1) - 1;
        if (n > 0) counted.set(k, n);
        else counted.delete(k);
      }
      if (counted.size === 0 && this.inFlight.get(groupId) === counted) this.inFlight.delete(groupId);
    };
  }

  /**
   * TxnOffsetCommit (Kafka's handleTxnCommitOffsets + storeOffsets with a producer id) for
   * partitions that exist: the offsets are written as one transactional batch of the producer
   * and stay pending until its marker (see the header). An unknown group is created empty, as
   * Kafka does. With a verifier (KIP-890 part 1), a write that would open the producer's
   * transaction in the group's partition is first verified with its transaction coordinator:
   * the partition must be in the ongoing transaction (AddOffsetsToTxn added it); if not, every
   * partition gets the coordinator's error as a failed commit write is answered (Kafka's
   * maybeConvertOffsetCommitError: INVALID_TXN_STATE, INVALID_PRODUCER_EPOCH for a fenced epoch,
   * NETWORK_EXCEPTION as COORDINATOR_LOAD_IN_PROGRESS, ...) and nothing is written. One result
   * per requested partition, in request order, once written (or failed).
   */
  commitTransactionalOffsets(p: TxnCommitParams): TopicResults | Promise<TopicResults> {
    const all = (code: number) => everyPartition(p, code);
    if (p.groupId === '') return all(ErrorCode.INVALID_GROUP_ID);
    const unavailable = this.runtime.unavailable(p.groupId);
    if (unavailable !== ErrorCode.NONE) return all(unavailable);
    // No producer: what Kafka's transaction verification answers for it (the batch could not be transactional).
    if (p.producerId < 0 || p.producerEpoch < 0) return all(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const group = this.groups.group(p.groupId) ?? this.groups.createGroup(p.groupId);
    if (!p.verifier) return this.storeTransactionalOffsets(group, p, undefined);
    const partition = this.runtime.servedPartition(p.groupId);
    if (!partition) return all(ErrorCode.NOT_COORDINATOR); // (served: checked above)
    // Null: the producer's transaction is open in the partition, nothing to verify (the append still checks it is).
    const guard = partition.maybeStartTransactionVerification(p.producerId, p.producerEpoch);
    if (guard === null) return this.storeTransactionalOffsets(group, p, null);
    const tp = { topic: partition.topic, partition: partition.index };
    return p.verifier.verifyTransaction(p.transactionalId, p.producerId, p.producerEpoch, [tp]).then((errors) => {
      const [code = ErrorCode.NONE] = errors.values(); // the one partition asked about
      if (code === ErrorCode.NONE) return this.storeTransactionalOffsets(group, p, guard);
      partition.abandonTransactionVerification(guard);
      const answer = writeErrorCode(code, 'commit');
      this.log.debug(`transactional offsets of group ${p.groupId} for producer ${p.producerId} (${p.transactionalId}) not verified: ${errorName(code)}; answering ${errorName(answer)}`);
      return all(answer);
    });
  }

  /** Kafka's doTxnCommitOffsets: validate against the group (it may have gone while verifying: Dead) and write. */
  private storeTransactionalOffsets(group: ClassicGroup, p: TxnCommitParams, verificationGuard: VerificationGuard | null | undefined): TopicResults | Promise<TopicResults> {
    const error = this.validateTxnOffsetCommit(group, p);
    if (error !== ErrorCode.NONE) return everyPartition(p, error);
    const now = this.now();
    const records: GroupLogRecord[] = [];
    const prepared: PendingTxnOffset[] = [];
    const results = p.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((x): PartitionResult => {
        if (x.committedMetadata !== null && x.committedMetadata.length > this.settings.offsetMetadataMaxBytes) {
          return { partitionIndex: x.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
        }
        const value: OffsetAndMetadata = { offset: x.committedOffset, leaderEpoch: x.committedLeaderEpoch, metadata: x.committedMetadata ?? '', commitTimestamp: now, expireTimestamp: -1 };
        records.push({ kind: 'offset', group: p.groupId, topic: t.name, partition: x.partitionIndex, value });
        prepared.push({ topic: t.name, partition: x.partitionIndex, value, recordOffset: -1 });
        return { partitionIndex: x.partitionIndex, errorCode: ErrorCode.NONE };
      }),
    }));
    if (records.length === 0) return results;
    // Pending from now on (Kafka's prepareTxnOffsetCommit): require_stable sees them at once.
    for (const e of prepared) this.putPending(p.producerId, p.groupId, e);
    const failed = (code: number, why: string, appended: boolean) => {
      // Nothing appended: no longer pending (Kafka's failPendingTxnOffsetCommit). Appended but
      // not known to be replicated (a timeout): the record is in the log, so it stays pending as
      // a new leader would load it, and its marker completes it once it is committed.
      if (!appended) this.dropPending(p.groupId, (e) => prepared.includes(e), p.producerId);
      const answer = writeErrorCode(code, 'commit');
      this.log.warn(`storing transactional offsets of group ${p.groupId} for producer ${p.producerId} failed: ${why}; answering ${errorName(answer)}`);
      for (const t of results) for (const x of t.partitions) if (x.errorCode === ErrorCode.NONE) x.errorCode = answer;
      return results;
    };
    let committed: Promise<number>;
    try {
      // Once replicated, each record's log offset is known (Kafka's onTxnOffsetCommitAppend).
      const onCommit = (_shard: unknown, first: number) => prepared.forEach((e, i) => void (e.recordOffset = first + i));
      committed = this.runtime.append(p.groupId, records, onCommit, { producerId: p.producerId, producerEpoch: p.producerEpoch, verificationGuard });
    } catch (err) {
      return failed(codeOf(err), (err as Error).message, false);
    }
    return committed.then((code) => (code === ErrorCode.NONE ? results : failed(code, errorName(code), true)));
  }

  /** Kafka's validateOffsetCommit with isTransactional: a non-empty group accepts commits without member fields. */
  private validateTxnOffsetCommit(group: ClassicGroup, p: TxnCommitParams): number {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (p.generationId < 0 && group.is('Empty')) return ErrorCode.NONE;
    if (p.generationId >= 0 || p.memberId !== '' || p.groupInstanceId !== null) {
      const error = group.validateMember(p.memberId, p.groupInstanceId, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID);
      if (error !== ErrorCode.NONE) return error;
      if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    }
    return ErrorCode.NONE;
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

  /**
   * OffsetFetch for one group; topics null = every committed partition. With requireStable, a
   * partition with a pending commit (transactional before its marker, or plain before it is
   * replicated) answers UNSTABLE_OFFSET_COMMIT (offset -1), as Kafka's getOffsets; without it,
   * the last committed offset.
   */
  fetchOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, requireStable = false): FetchedGroup {
    const unavailable = this.runtime.unavailable(groupId);
    if (unavailable !== ErrorCode.NONE) return { groupId, errorCode: unavailable, topics: [] };
    const group = this.groups.group(groupId);
    const known = group !== undefined && !group.is('Dead');
    const groupOffsets = known ? this.offsets.get(groupId) : undefined;
    const toPartition = (topic: string, partitionIndex: number, o: OffsetAndMetadata | undefined): FetchedPartition => {
      if (known && requireStable && this.hasPendingCommit(groupId, topic, partitionIndex)) {
        return { partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
      }
      return o
        ? { partitionIndex, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE }
        : { partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
    };
    if (topics === null) {
      const out: FetchedGroup['topics'] = [];
      for (const [name, parts] of groupOffsets ?? []) {
        out.push({ name, partitions: [...parts].sort((a, b) => a[0] - b[0]).map(([i, o]) => toPartition(name, i, o)) });
      }
      return { groupId, errorCode: ErrorCode.NONE, topics: out };
    }
    return {
      groupId,
      errorCode: ErrorCode.NONE,
      topics: topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((i) => toPartition(t.name, i, groupOffsets?.get(t.name)?.get(i))) })),
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
    for (const r of tombstones) {
      if (r.kind !== 'offset') continue;
      this.removeOffset(r.group, r.topic, r.partition);
      this.dropPending(r.group, (e) => e.topic === r.topic && e.partition === r.partition);
    }
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
