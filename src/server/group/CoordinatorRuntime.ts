// Kafka's coordinator runtime: the part of a coordinator that is about its replicated internal
// topic, not about groups or transactions. One instance per user: the group coordinator over
// __consumer_offsets, the transaction coordinator over __transaction_state; each gives its topic
// (CoordinatorTopic: name, placement, creation, record codec) and its shard handler.
//
// - Placement: a key lives in partition abs(key.hashCode()) % partitions, and the broker leading
//   that partition coordinates it (FindCoordinator); the topic is created on first use.
// - Loading and unloading, driven by leadership changes: when this broker becomes leader of a
//   partition, its log is replayed into the shard handler's state (COORDINATOR_LOAD_IN_PROGRESS
//   meanwhile, see OffsetsPartition); a load that throws is logged, its state dropped and the
//   load tried again after LOAD_RETRY_BACKOFF_MS while this broker still leads the partition at
//   that epoch. When it stops leading, the handler drops that partition's state.
// - Writes: acks=all appends to the key's partition, answered once the high watermark passes
//   them; writeErrorCode maps a failed write to the error a group API answers, as Kafka does.
// - Compaction of the partitions (OffsetsPartition).
// - Transactions: a write may be a producer's transactional batch (`append` with `txn`), the
//   handler replays records with their producer id and end-transaction markers, and
//   appendEndTxnMarker writes a marker (WriteTxnMarkers for a partition this broker leads),
//   handing it to the handler's replayEndTransaction once committed, as a load would.
import type { Logger } from '../../logger.js';
import type { EndTxnMarker } from '../../protocol/controlRecords.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { BrokerInfo, TopicImage } from '../../replication/MetadataImage.js';
import { guarded } from '../../util/CrashBoundary.js';
import type { Time } from '../../util/Time.js';
import type { Partition } from '../Partition.js';
import { OffsetsPartition, type CoordinatorRecordCodec, type OffsetsPartitionSettings, type TxnProducer } from './OffsetsPartition.js';

export type { CoordinatorRecordCodec, OffsetsPartitionSettings } from './OffsetsPartition.js';

/** How long after a failed load of a coordinator partition it is loaded again. */
export const LOAD_RETRY_BACKOFF_MS = 1000;

/** What a runtime needs from its broker: the metadata image. */
export interface CoordinatorRuntimeHost {
  readonly nodeId: number;
  readonly image: { readonly brokers: ReadonlyMap<number, BrokerInfo>; readonly topics: ReadonlyMap<string, TopicImage> };
}

/** What the group coordinator needs from its broker: the image, and a way to have __consumer_offsets created. */
export interface CoordinatorHost extends CoordinatorRuntimeHost {
  /** Ask the controller to create __consumer_offsets (fire and forget; FindCoordinator retries). */
  createOffsetsTopic(): void;
}

/** The internal topic one runtime serves. */
export interface CoordinatorTopic<R> {
  /** __consumer_offsets, __transaction_state */
  readonly name: string;
  /** The partition holding a key (Kafka: abs(key.hashCode()) % partitions). */
  partitionFor(key: string, partitions: number): number;
  /** Ask the controller to create the topic (fire and forget; FindCoordinator retries). */
  create(): void;
  readonly codec: CoordinatorRecordCodec<R>;
  /** What the keys are called in log lines ("groups", "transactional ids"). */
  readonly unit: string;
}

export interface CoordinatorNode {
  errorCode: number;
  nodeId: number;
  host: string;
  port: number;
}

/** The state a partition's records are replayed into (Kafka's coordinator shard). */
export interface CoordinatorShardHandler<R> {
  /** One record of a partition being loaded, in log order; producerId ≥ 0 for a record of a transactional batch, -1 otherwise. */
  replay(rec: R, offset: number, producerId: number): void;
  /**
   * An end-transaction marker of partition `index` (placing keys over `partitionCount`
   * partitions) at `offset`: found while loading, or committed after appendEndTxnMarker.
   */
  replayEndTransaction?(producerId: number, commit: boolean, offset: number, index: number, partitionCount: number): void;
  /** Partition `index` is loaded (`partitionCount` partitions place the keys); a summary for the log. */
  onLoaded(index: number, partitionCount: number): string;
  /** Partition `index` is no longer served here: drop its state; how many keys were dropped. */
  onUnloaded(index: number, partitionCount: number): number;
}

export const codeOf = (err: unknown): number => (err instanceof KafkaError ? err.code : ErrorCode.KAFKA_STORAGE_ERROR);

/**
 * What a group API answers when its write to __consumer_offsets failed, as Kafka's
 * GroupMetadataManager maps it: for offset commits (`commit`, maybeConvertOffsetCommitError, also
 * for a failed transaction verification of a TxnOffsetCommit) and group metadata (`group`,
 * storeGroup); `delete` (DeleteGroups, OffsetDelete) as Kafka's coordinator runtime does.
 */
export function writeErrorCode(code: number, op: 'commit' | 'group' | 'delete'): number {
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
    case ErrorCode.NETWORK_EXCEPTION:
      // A transactional commit's verification could not reach the transaction coordinator: a
      // retriable error older clients may not retry; this one they retry without a new
      // coordinator lookup.
      return op === 'commit' ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : code;
    default:
      return code;
  }
}

const COORDINATOR_UNAVAILABLE: CoordinatorNode = { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1, host: '', port: -1 };

export class CoordinatorRuntime<R> {
  /** Serving requests (between the coordinator's start and close). */
  active = false;
  /** The partitions of the topic this broker leads (loading or loaded), by index. */
  private readonly shards = new Map<number, OffsetsPartition<R>>();
  /** Partition count of the topic when each shard was loaded (placement of its keys). */
  private readonly shardPartitionCounts = new WeakMap<OffsetsPartition<R>, number>();

  constructor(
    private readonly host: CoordinatorRuntimeHost,
    private readonly settings: OffsetsPartitionSettings,
    private readonly handler: CoordinatorShardHandler<R>,
    private readonly log: Logger,
    private readonly time: Time,
    readonly topic: CoordinatorTopic<R>,
  ) {}

  // -------------------------------------------------------------------------------------------
  // Placement: which partition of the topic holds a key, and who leads it

  partitionCount(): number {
    return this.host.image.topics.get(this.topic.name)?.partitions.length ?? 0;
  }

  /** The partition of the topic holding a key (-1 while the topic does not exist). */
  partitionFor(key: string): number {
    const n = this.partitionCount();
    return n === 0 ? -1 : this.topic.partitionFor(key, n);
  }

  /**
   * FindCoordinator: the leader of the key's partition. COORDINATOR_NOT_AVAILABLE while it has
   * no live leader, or while the topic does not exist (its creation is requested).
   */
  coordinatorFor(key: string): CoordinatorNode {
    const topic = this.host.image.topics.get(this.topic.name);
    if (!topic || topic.partitions.length === 0) {
      this.topic.create();
      return COORDINATOR_UNAVAILABLE;
    }
    const leader = topic.partitions[this.topic.partitionFor(key, topic.partitions.length)]?.leader ?? -1;
    const b = leader >= 0 ? this.host.image.brokers.get(leader) : undefined;
    if (!b || b.fenced) return COORDINATOR_UNAVAILABLE;
    return { errorCode: ErrorCode.NONE, nodeId: b.nodeId, host: b.host, port: b.port };
  }

  /** The partition holding the key (loading or loaded), if this broker leads it. */
  private shardFor(key: string): OffsetsPartition<R> | undefined {
    const n = this.partitionCount();
    if (n === 0) return undefined;
    const index = this.topic.partitionFor(key, n);
    let shard = this.shards.get(index);
    if (shard && shard.current && this.shardPartitionCounts.get(shard) !== n) {
      // Partitions were added to the topic: placement changed, load it again.
      this.loadPartition(shard.partition);
      shard = this.shards.get(index);
    }
    return shard?.current ? shard : undefined;
  }

  /** The partition of the topic holding the key, while this broker serves it loaded. */
  servedPartition(key: string): Partition | undefined {
    const shard = this.shardFor(key);
    return shard && !shard.loading ? shard.partition : undefined;
  }

  /** 0 when this broker serves the key, else COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS. */
  unavailable(key: string): number {
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const shard = this.shardFor(key);
    if (!shard) return ErrorCode.NOT_COORDINATOR;
    return shard.loading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE;
  }

  /** The leader epoch partition `index` was loaded at, while this broker serves it loaded (the transaction coordinator's epoch). */
  loadedEpoch(index: number): number | undefined {
    const shard = this.shards.get(index);
    return shard && !shard.loading && shard.current ? shard.leaderEpoch : undefined;
  }

  /** Whether a partition this broker leads is still loading. */
  get anyLoading(): boolean {
    return [...this.shards.values()].some((s) => s.loading);
  }

  // -------------------------------------------------------------------------------------------
  // Loading and unloading, driven by leadership changes of the topic's partitions

  /** ReplicaManager's role-change callback. */
  onPartitionRoleChange(p: Partition, role: 'leader' | 'follower' | 'removed'): void {
    if (p.topic !== this.topic.name) return;
    if (role === 'leader') this.loadPartition(p);
    else this.unloadPartition(p.index, role === 'removed' ? 'no longer hosted here' : p.leaderId < 0 ? 'it has no leader' : `broker ${p.leaderId} leads it`);
  }

  private loadPartition(p: Partition): void {
    this.unloadPartition(p.index, `a new leader epoch ${p.leaderEpoch}`);
    const shard = new OffsetsPartition<R>(p, this.settings, this.log.child(p.name), this.time, this.topic.codec);
    const count = this.partitionCount();
    this.shards.set(p.index, shard);
    this.shardPartitionCounts.set(shard, count);
    shard.load(
      {
        record: (rec, offset, producerId) => this.handler.replay(rec, offset, producerId),
        endTransaction: (producerId, commit, offset) => this.handler.replayEndTransaction?.(producerId, commit, offset, p.index, count),
      },
      (records, ms) => {
        if (this.shards.get(p.index) !== shard) return;
        const summary = this.handler.onLoaded(p.index, count);
        const line = `loaded ${p.name} at leader epoch ${shard.leaderEpoch}: ${records} records in ${ms} ms, ${summary}`;
        if (records > 0) this.log.info(line);
        else this.log.debug(line);
        shard.maybeCompact();
      },
      () => {
        // Contained and logged by the shard. Its state is dropped (NOT_COORDINATOR) and the
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

  /** Forget the state of a partition this broker no longer leads. */
  private unloadPartition(index: number, reason: string): void {
    const shard = this.shards.get(index);
    if (!shard) return;
    this.shards.delete(index);
    shard.close();
    const keys = this.handler.onUnloaded(index, this.shardPartitionCounts.get(shard)!);
    const line = `unloaded ${this.topic.name}-${index} (${reason}): ${keys} ${this.topic.unit}`;
    if (keys > 0) this.log.info(line);
    else this.log.debug(line);
  }

  /** Drop every loaded partition (the broker is stopping). */
  close(): void {
    this.active = false;
    for (const index of [...this.shards.keys()]) this.unloadPartition(index, 'the broker is stopping');
  }

  // -------------------------------------------------------------------------------------------
  // Writes

  /**
   * Append records to the key's partition (acks=all). Throws the KafkaError of a failed append
   * (NOT_LEADER_OR_FOLLOWER when this broker does not serve the key); resolves NONE once the
   * high watermark passes them, or the error that ended the wait. onCommit runs when they are
   * committed, in log order (see OffsetsPartition).
   */
  append(
    key: string,
    records: R[],
    onCommit?: (shard: OffsetsPartition<R>, firstOffset: number) => void,
    /** A transactional write of this producer (one transactional batch, sequence -1). */
    txn?: TxnProducer,
  ): Promise<number> {
    const shard = this.shardFor(key);
    if (!shard || shard.loading) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `this broker does not coordinate ${key} (${this.topic.name})`);
    return shard.append(records, onCommit && ((first) => onCommit(shard, first)), txn);
  }

  /**
   * Append an end-transaction marker to partition `partitionIndex` (acks=all, origin
   * 'coordinator'); once committed, the handler's replayEndTransaction applies it. Resolves
   * NONE once committed, else an error code: NOT_LEADER_OR_FOLLOWER while this broker does not
   * serve the partition (not active, not its leader, still loading), the append's error
   * (a stale producer or coordinator epoch, NOT_ENOUGH_REPLICAS), or the error that ended the
   * wait (REQUEST_TIMED_OUT after timeoutMs).
   */
  appendEndTxnMarker(partitionIndex: number, marker: EndTxnMarker, timeoutMs: number): Promise<number> {
    const shard = this.shards.get(partitionIndex);
    if (!this.active || !shard || !shard.current || shard.loading) return Promise.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const count = this.shardPartitionCounts.get(shard)!;
    try {
      return shard.appendEndTxnMarker(marker, timeoutMs, (offset) =>
        this.handler.replayEndTransaction?.(marker.producerId, marker.commit, offset, partitionIndex, count),
      );
    } catch (err) {
      return Promise.resolve(codeOf(err));
    }
  }
}
