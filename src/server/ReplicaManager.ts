// The partitions this broker hosts (Kafka's ReplicaManager): it applies the controller's
// metadata (which replicas live here, who leads them at which epoch), runs one replica
// fetcher per leader it follows, and serves the two things clients and followers do to
// partitions: append (Produce) and read (Fetch, long-polling on min.bytes / max.wait.ms).
// read_committed consumers (isolation level 1) read up to the last stable offset and get the
// aborted transactions overlapping what they read, from the segments' transaction indexes.
import fs from 'node:fs';
import path from 'node:path';
import { LogConfig } from '../log/LogConfig.js';
import { UnifiedLog } from '../log/UnifiedLog.js';
import type { Logger } from '../logger.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import * as RB from '../protocol/recordBatch.js';
import type { MetadataDelta, MetadataImage, TopicImage } from '../replication/MetadataImage.js';
import type { NodeClient } from '../network/NodeClient.js';
import { ReplicaFetcher } from './ReplicaFetcher.js';
import { AddPartitionsToTxnManager } from './AddPartitionsToTxnManager.js';
import { TRANSACTION_STATE_TOPIC } from './transaction/TransactionLog.js';
import { partitionForGroup } from './group/GroupMetadataRecords.js';
import { crashPoint, guarded } from '../util/CrashBoundary.js';
import { effectiveTopicConfigs, type KafkaConfig } from '../common/KafkaConfig.js';
import { Partition, type IsrProposal } from './Partition.js';
import { SYSTEM_TIME, type Time } from '../util/Time.js';
import { contain, detach } from '../util/CrashBoundary.js';

export interface FetchPartitionRequest {
  topic: string;
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
  currentLeaderEpoch?: number;
  lastFetchedEpoch?: number;
}

export interface FetchPartitionResult {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  records: Buffer | null;
  divergingEpoch?: { epoch: number; endOffset: number };
  /** read_committed: aborted transactions overlapping the returned records ([] when none); absent otherwise. */
  abortedTransactions?: { producerId: number; firstOffset: number }[];
}

export interface FetchParams {
  /** -1 for consumers, the follower's broker id for replication. */
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  partitions: FetchPartitionRequest[];
  /** 1 = read_committed (consumers only): read up to the last stable offset. Default 0. */
  isolationLevel?: number;
  /** false: no first batch past maxBytes (the connection has no room for more answers). */
  minOneBatch?: boolean;
  /** Aborts when the request's connection closes: a parked fetch is then cancelled. */
  signal?: AbortSignal;
}

export interface ReplicaManagerHost {
  readonly nodeId: number;
  readonly dataDir: string | null;
  readonly config: KafkaConfig;
  /** A client for replicating from `leaderId`, or null when that broker is unknown. */
  replicaClient(leaderId: number): NodeClient | null;
  proposeIsr(partition: Partition, proposal: IsrProposal): void;
  readonly time?: Time;
  /** A hosted partition became leader or follower at a new epoch, or is no longer hosted here. */
  roleChanged?(partition: Partition, role: 'leader' | 'follower' | 'removed'): void;
}

interface HostedTopic {
  topicId: string;
  partitions: Map<number, Partition>;
}

const PARTITION_DIR = /^(.+)-(\d+)$/;

/** The longest synchronous stretch of applying metadata before yielding to the event loop. */
export const APPLY_SLICE_MS = 20;

/** Ends a metadata pass that yielded while its broker stopped. */
export class MetadataApplyAborted extends Error {}

/** Time slices of one metadata pass: due() after APPLY_SLICE_MS of work, then yield() lets the event loop run. */
class Slicer {
  private start = performance.now();
  constructor(private readonly aborted: () => boolean) {}

  due(): boolean {
    return performance.now() - this.start >= APPLY_SLICE_MS;
  }

  async yield(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.aborted()) throw new MetadataApplyAborted('the broker is stopping');
    this.start = performance.now();
  }
}

export class ReplicaManager {
  private readonly topics = new Map<string, HostedTopic>();
  private readonly fetchers = new Map<number, ReplicaFetcher>();
  private cleanedOrphans = false;
  /** Logs opened while set trust their segments (the broker found its clean-shutdown marker). */
  hadCleanShutdown = false;
  /** Until a whole-image pass succeeds (after start), deltas are not enough. */
  private needsFullPass = true;
  private image: MetadataImage | null = null;
  /** Cancel functions of the parked fetches. */
  private readonly parkedFetches = new Set<() => void>();
  /** Hosted followers by the leader they follow, so a change of that broker re-checks only them. */
  private readonly followersOf = new Map<number, Set<Partition>>();
  private readonly leaderFollowed = new Map<Partition, number>();

  /** KIP-890 part 1: asks transaction coordinators whether a partition is in a transaction. */
  readonly addPartitionsToTxnManager: AddPartitionsToTxnManager;

  /** One proposer for every partition (a closure per partition would keep its creating scope alive). */
  private readonly proposeIsr = (p: Partition, proposal: IsrProposal): void => this.host.proposeIsr(p, proposal);

  private get time(): Time {
    return this.host.time ?? SYSTEM_TIME;
  }

  constructor(
    private readonly host: ReplicaManagerHost,
    private readonly log: Logger,
  ) {
    this.addPartitionsToTxnManager = new AddPartitionsToTxnManager(
      (id) => this.host.replicaClient(id),
      (transactionalId) => this.transactionCoordinatorFor(transactionalId),
      log.child('txn-verification'),
    );
  }

  /** The live leader of the transactional id's partition of __transaction_state in the metadata image, or -1. */
  transactionCoordinatorFor(transactionalId: string): number {
    const t = this.image?.topics.get(TRANSACTION_STATE_TOPIC);
    if (!t || t.partitions.length === 0) return -1;
    const leader = t.partitions[partitionForGroup(transactionalId, t.partitions.length)]?.leader ?? -1;
    return leader >= 0 && this.image!.isLive(leader) ? leader : -1;
  }

  logConfigFor(topic: TopicImage): LogConfig {
    const props: Record<string, string> = {};
    for (const c of effectiveTopicConfigs(this.host.config, topic.configs)) props[c.name] = c.value;
    return LogConfig.fromProperties(props);
  }

  private partitionDir(topic: string, index: number): string | null {
    return this.host.dataDir === null ? null : path.join(this.host.dataDir, `${topic}-${index}`);
  }

  /**
   * Make the hosted partitions match the controller's metadata. The first pass after start (or
   * `delta` null) walks the whole image; later ones apply only what `delta` says changed, so a
   * metadata change costs O(changed partitions). Long passes yield to the event loop every
   * APPLY_SLICE_MS (the controller's heartbeat handling may share it); `aborted` ends such a pass
   * early (the broker is stopping) by throwing. A pass that throws may be repeated with the same
   * delta: applying a change twice is harmless. `caughtUp`: the image holds the whole metadata
   * log, so directories it does not know are really orphans.
   */
  async applyMetadata(image: MetadataImage, delta: MetadataDelta | null, caughtUp: boolean, aborted: () => boolean = () => false): Promise<void> {
    this.image = image;
    const slice = new Slicer(aborted);
    if (this.needsFullPass || delta === null) {
      await this.applyWholeImage(image, slice);
      this.needsFullPass = false;
    } else {
      await this.applyDelta(image, delta, slice);
    }
    if (caughtUp && !this.cleanedOrphans) {
      this.cleanedOrphans = true;
      const hosted = new Set<string>();
      for (const [name, t] of this.topics) for (const i of t.partitions.keys()) hosted.add(`${name}-${i}`);
      this.deleteOrphanDirs(hosted);
    }
    for (const [leader, f] of this.fetchers) {
      if (f.size === 0) {
        this.fetchers.delete(leader);
        detach(this.log, `stopping the fetcher from ${leader}`, f.stop());
      }
    }
  }

  private async applyWholeImage(image: MetadataImage, slice: Slicer): Promise<void> {
    const now = this.time.now();
    for (const t of image.topics.values()) {
      await this.dropIfRecreated(t.name, image, slice);
      const config = this.logConfigFor(t);
      for (let i = 0; i < t.partitions.length; i++) {
        if (slice.due()) await slice.yield();
        this.applyPartition(t, i, config, image, now, true);
      }
    }
    for (const [name, hosted] of [...this.topics]) {
      const t = image.topics.get(name);
      if (!t || t.topicId !== hosted.topicId) {
        await this.removeTopic(name, slice);
        continue;
      }
      for (const [i, p] of [...hosted.partitions]) if (!t.partitions[i]?.replicas.includes(this.host.nodeId)) this.removePartition(name, i, p);
    }
  }

  private async applyDelta(image: MetadataImage, delta: MetadataDelta, slice: Slicer): Promise<void> {
    const now = this.time.now();
    for (const name of delta.removedTopics.keys()) await this.dropIfRecreated(name, image, slice);
    for (const name of delta.createdTopics.keys()) await this.dropIfRecreated(name, image, slice);
    for (const name of delta.changedTopicConfigs) {
      const t = image.topics.get(name);
      const hosted = this.topics.get(name);
      if (!t || !hosted) continue;
      const config = this.logConfigFor(t);
      for (const p of hosted.partitions.values()) p.log.updateConfig(config);
    }
    for (const [name, indexes] of delta.changedPartitions) {
      const t = image.topics.get(name);
      if (!t) continue;
      const config = this.logConfigFor(t);
      for (const i of indexes) {
        if (slice.due()) await slice.yield();
        this.applyPartition(t, i, config, image, now, false);
      }
    }
    // A broker fenced, unfenced or registered again: the partitions following it re-check their fetcher.
    for (const id of delta.changedBrokers) for (const p of [...(this.followersOf.get(id) ?? [])]) this.assignFetcher(p, image);
  }

  /** A hosted topic deleted, or deleted and created again under the same name, goes as a whole. */
  private async dropIfRecreated(name: string, image: MetadataImage, slice: Slicer): Promise<void> {
    const hosted = this.topics.get(name);
    if (hosted && image.topics.get(name)?.topicId !== hosted.topicId) await this.removeTopic(name, slice);
  }

  /** Bring one partition in line with the image: create it here, change its role, or let it go (`refreshConfig`: the topic's configs may have changed too). */
  private applyPartition(t: TopicImage, i: number, config: LogConfig, image: MetadataImage, now: number, refreshConfig: boolean): void {
    const state = t.partitions[i];
    if (!state) return;
    const local = this.host.nodeId;
    let hosted = this.topics.get(t.name);
    let p = hosted?.partitions.get(i);
    if (!state.replicas.includes(local)) {
      if (p) this.removePartition(t.name, i, p);
      return;
    }
    if (!hosted) {
      hosted = { topicId: t.topicId, partitions: new Map() };
      this.topics.set(t.name, hosted);
    }
    if (!p) {
      p = new Partition(t.name, i, UnifiedLog.open(this.partitionDir(t.name, i), config, { hadCleanShutdown: this.hadCleanShutdown }), local, this.proposeIsr, this.host.time);
      hosted.partitions.set(i, p);
    } else if (refreshConfig) {
      p.log.updateConfig(config);
    }
    const change = p.applyState(state, now);
    if (change) this.log.info(`${p.name}: ${change} at epoch ${state.leaderEpoch} (leader ${state.leader}, ISR [${state.isr.join(',')}], log end ${p.log.logEndOffset})`);
    this.assignFetcher(p, image);
    if (change) this.host.roleChanged?.(p, change);
  }

  private removePartition(topic: string, index: number, p: Partition, say = true): void {
    const hosted = this.topics.get(topic);
    this.detachFetcher(p);
    hosted?.partitions.delete(index);
    if (hosted?.partitions.size === 0) this.topics.delete(topic);
    this.host.roleChanged?.(p, 'removed');
    p.markRemoved();
    p.log.delete();
    p.notifyWatchers();
    if (say) this.log.info(`${p.name}: no longer hosted here, log deleted`);
  }

  /** Partition directories of topics deleted while this broker was down. */
  private deleteOrphanDirs(wanted: Set<string>): void {
    if (!this.host.dataDir || !fs.existsSync(this.host.dataDir)) return;
    for (const name of fs.readdirSync(this.host.dataDir)) {
      if (!PARTITION_DIR.test(name) || wanted.has(name)) continue;
      const dir = path.join(this.host.dataDir, name);
      if (!fs.statSync(dir).isDirectory() || !fs.readdirSync(dir).some((f) => f.endsWith('.log'))) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      this.log.info(`deleted ${name}: its topic no longer exists`);
    }
  }

  private assignFetcher(p: Partition, image: MetadataImage): void {
    const leader = p.leaderId;
    this.indexFollower(p, p.isLeader || leader < 0 ? -1 : leader);
    for (const [id, f] of this.fetchers) if (id !== leader || p.isLeader) f.remove(p);
    if (p.isLeader || leader < 0 || !image.isLive(leader)) return;
    let f = this.fetchers.get(leader);
    if (!f) {
      const client = this.host.replicaClient(leader);
      if (!client) return;
      f = new ReplicaFetcher(this.host.nodeId, leader, client, this.log.child(`fetcher-${leader}`));
      this.fetchers.set(leader, f);
    }
    if (!f.has(p)) f.add(p);
  }

  /** Keep `followersOf` current: p follows `leader` (-1: nobody). */
  private indexFollower(p: Partition, leader: number): void {
    const before = this.leaderFollowed.get(p) ?? -1;
    if (before === leader) return;
    if (before >= 0) {
      const set = this.followersOf.get(before);
      set?.delete(p);
      if (set?.size === 0) this.followersOf.delete(before);
    }
    if (leader < 0) {
      this.leaderFollowed.delete(p);
      return;
    }
    this.leaderFollowed.set(p, leader);
    let set = this.followersOf.get(leader);
    if (!set) this.followersOf.set(leader, (set = new Set()));
    set.add(p);
  }

  private detachFetcher(p: Partition): void {
    this.indexFollower(p, -1);
    for (const f of this.fetchers.values()) f.remove(p);
  }

  /** Delete every hosted partition of a topic, in slices (a partition still here when a pass is aborted is closed with the others). */
  private async removeTopic(name: string, slice: Slicer): Promise<void> {
    const hosted = this.topics.get(name);
    if (!hosted) return;
    const count = hosted.partitions.size;
    for (const [i, p] of [...hosted.partitions]) {
      if (slice.due()) await slice.yield();
      this.removePartition(name, i, p, false);
    }
    this.log.info(`topic ${name}: ${count} partition(s) no longer hosted here, logs deleted`);
  }

  /** The leader whose replica fetcher holds p, or -1 when none does. */
  fetchingFrom(p: Partition): number {
    for (const [id, f] of this.fetchers) if (f.has(p)) return id;
    return -1;
  }

  getPartition(topic: string, index: number): Partition | undefined {
    return this.topics.get(topic)?.partitions.get(index);
  }

  /** The partition if this broker leads it, else the KafkaError a client should see. */
  leaderPartitionOrThrow(topic: string, index: number, currentLeaderEpoch = -1): Partition {
    const p = this.getPartition(topic, index);
    if (!p) {
      // A partition of the cluster that has no replica here is someone else's to lead.
      const exists = (this.image?.topics.get(topic)?.partitions.length ?? 0) > index;
      throw new KafkaError(exists ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
    p.checkLeader(currentLeaderEpoch);
    return p;
  }

  allPartitions(): Partition[] {
    return [...this.topics.values()].flatMap((t) => [...t.partitions.values()]);
  }

  /** Periodic work: ISR shrinks, time-based flushes, retention, producer expiry, HW checkpoints. */
  maintain(now: number, retention: boolean): void {
    const lag = this.host.config.int('replica.lag.time.max.ms');
    const expiration = this.host.config.int('producer.id.expiration.ms');
    for (const p of this.allPartitions()) {
      try {
        p.maybeShrinkIsr(now, lag);
        p.log.maybeFlush(now);
        p.log.removeExpiredProducers(now, expiration);
        if (retention) {
          const deleted = p.log.applyRetention(now, p.isLeader ? p.highWatermark : Infinity);
          if (deleted > 0) this.log.info(`retention deleted ${deleted} segment(s) of ${p.name}, log start offset ${p.logStartOffset}`);
          p.checkpointHighWatermark();
        }
      } catch (err) {
        this.log.error(`maintenance of ${p.name} failed: ${(err as Error).message}`);
      }
    }
  }

  /** Stop replicating and close every log (flushing unless `crash`); whether every log closed cleanly. */
  async close(crash = false): Promise<boolean> {
    for (const cancel of [...this.parkedFetches]) cancel();
    await Promise.all([...this.fetchers.values()].map((f) => f.stop()));
    this.fetchers.clear();
    this.addPartitionsToTxnManager.close();
    let clean = !crash;
    for (const p of this.allPartitions()) {
      // One partition that cannot close cleanly (a full disk) must not leave the others open.
      contain(this.log, `closing ${p.name}`, () => (crash ? p.abandon() : p.close()), () => (clean = false));
    }
    this.topics.clear();
    this.followersOf.clear();
    this.leaderFollowed.clear();
    // A restart starts from the whole image again, and looks for topics deleted meanwhile.
    this.needsFullPass = true;
    this.cleanedOrphans = false;
    return clean;
  }

  /**
   * Kafka's fetchMessages: read what is there; if it is less than minBytes, park until an
   * append (or a high watermark move) on one of the partitions brings enough, or maxWaitMs passes.
   * A parked fetch's timer and rechecks run in the crash boundary: a throw answers that fetch
   * with UNKNOWN_SERVER_ERROR. It is cancelled (answered with no records) when `params.signal`
   * aborts (its connection closed) or the broker stops, so no timer outlives it.
   */
  fetchMessages(params: FetchParams): Promise<FetchPartitionResult[]> | FetchPartitionResult[] {
    const first = this.readFromLocalLogs(params, true);
    if (params.maxWaitMs <= 0 || first.satisfied) return first.results;
    if (params.signal?.aborted) return first.results;
    return new Promise((resolve) => {
      const unwatch: (() => void)[] = [];
      let done = false;
      const finish = (results: FetchPartitionResult[]) => {
        if (done) return;
        done = true;
        this.time.clear(timer);
        for (const u of unwatch) u();
        this.parkedFetches.delete(cancel);
        params.signal?.removeEventListener('abort', cancel);
        resolve(results);
      };
      const cancel = () => finish(first.results);
      const failed = () => finish(errorResults(params, ErrorCode.UNKNOWN_SERVER_ERROR));
      const timer = this.time.setTimeout(
        guarded(this.log, 'parked fetch expiry', () => {
          crashPoint('fetch.expire');
          finish(this.readFromLocalLogs(params).results);
        }, failed),
        params.maxWaitMs,
      );
      const recheck = guarded(this.log, 'parked fetch recheck', () => {
        if (done) return;
        const again = this.readFromLocalLogs(params);
        if (again.satisfied) finish(again.results);
      }, failed);
      // Defer so that one produce request appending to several partitions is seen whole.
      const onAppend = () => void setImmediate(recheck);
      for (const req of params.partitions) {
        const p = this.getPartition(req.topic, req.partition);
        if (p) unwatch.push(p.watch(onAppend));
      }
      this.parkedFetches.add(cancel);
      params.signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  /** Fetches waiting for data (a gauge for tests and overload checks). */
  get parkedFetchCount(): number {
    return this.parkedFetches.size;
  }

  /** One pass over the partitions; `firstPass` records a follower's fetch offsets (once per request). */
  private readFromLocalLogs(params: FetchParams, firstPass = false): { results: FetchPartitionResult[]; satisfied: boolean } {
    const follower = params.replicaId >= 0;
    const now = this.time.now();
    let remaining = params.maxBytes;
    let bytes = 0;
    let anyError = false;
    const results = params.partitions.map((req): FetchPartitionResult => {
      let p: Partition;
      try {
        p = this.leaderPartitionOrThrow(req.topic, req.partition, req.currentLeaderEpoch ?? -1);
      } catch (err) {
        anyError = true;
        return { errorCode: (err as KafkaError).code ?? ErrorCode.UNKNOWN_SERVER_ERROR, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: null };
      }
      const base = { highWatermark: p.highWatermark, lastStableOffset: p.lastStableOffset, logStartOffset: p.logStartOffset };
      if (follower && req.lastFetchedEpoch !== undefined && req.lastFetchedEpoch >= 0) {
        const end = p.log.endOffsetForEpoch(req.lastFetchedEpoch);
        if (end.epoch < req.lastFetchedEpoch || end.endOffset < req.fetchOffset) {
          anyError = true; // answer at once: the follower must truncate first
          return { errorCode: ErrorCode.NONE, ...base, records: null, divergingEpoch: end };
        }
      }
      if (req.fetchOffset < p.logStartOffset || req.fetchOffset > p.log.logEndOffset) {
        anyError = true;
        return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, ...base, records: null };
      }
      if (follower && firstPass) {
        // A consistent follower has everything below its fetch offset: that may move the high watermark.
        p.updateFollowerFetchState(params.replicaId, req.fetchOffset, now);
        base.highWatermark = p.highWatermark;
        base.lastStableOffset = p.lastStableOffset;
      }
      // Consumers read committed records only (read_committed: stable ones); followers read everything the leader has.
      const readCommitted = !follower && params.isolationLevel === 1;
      const maxOffset = follower ? p.log.logEndOffset : readCommitted ? base.lastStableOffset : p.highWatermark;
      const limit = Math.max(0, Math.min(req.partitionMaxBytes, remaining));
      // Kafka returns at least one whole batch for the first partition with data, even past max.bytes.
      const minOneMessage = bytes === 0 && params.minOneBatch !== false;
      const none = readCommitted ? { abortedTransactions: [] } : {};
      if (limit === 0 && !minOneMessage) return { errorCode: ErrorCode.NONE, ...base, records: null, ...none };
      const { records } = p.log.read(req.fetchOffset, limit, maxOffset, minOneMessage);
      if (!records) return { errorCode: ErrorCode.NONE, ...base, records, ...none };
      bytes += records.length;
      remaining -= records.length;
      if (!readCommitted) return { errorCode: ErrorCode.NONE, ...base, records };
      const upperBound = lastBatchEnd(records);
      const aborted = p.log.collectAbortedTxns(Math.max(req.fetchOffset, p.logStartOffset), upperBound);
      return { errorCode: ErrorCode.NONE, ...base, records, abortedTransactions: aborted.map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset })) };
    });
    // (bytes > 0: a fetch granted no room at all still waits for data rather than spinning.)
    return { results, satisfied: anyError || bytes >= params.minBytes || (bytes > 0 && bytes >= params.maxBytes) };
  }
}

/** The offset after the last whole batch of `records`. */
function lastBatchEnd(records: Buffer): number {
  let end = -1;
  RB.forEachBatch(records, (pos) => {
    end = RB.lastOffset(records, pos) + 1;
  });
  return end;
}

function errorResults(params: FetchParams, errorCode: number): FetchPartitionResult[] {
  return params.partitions.map(() => ({ errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: null }));
}
