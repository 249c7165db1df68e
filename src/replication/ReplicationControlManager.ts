// The controller's topics and partitions (Kafka's ReplicationControlManager): topic creation
// and deletion, new partitions, topic configs, ISR changes proposed by leaders
// (AlterPartition), and the partition changes that brokers leaving or joining cause (fencing,
// unfencing, unclean elections). Reassignments and ElectLeaders live in Reassignments.ts, which
// this owns. Every change is a batch of records committed through the controller's `append`.
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { validateTopicConfig, type KafkaConfig } from '../common/KafkaConfig.js';
import { invalidTopicName, newTopicId } from '../common/Topic.js';
import type { Logger } from '../logger.js';
import { Reassignments } from './Reassignments.js';
import type { MetadataImage, MetadataRecord, PartitionState, TopicImage } from './MetadataImage.js';

/**
 * Partition limits (issue 10: one request for 65,535 partitions used to exhaust file descriptors
 * and stall the process). As KRaft's controller does, one CreateTopics or CreatePartitions
 * request creates at most MAX_PARTITIONS_PER_REQUEST partitions in all (POLICY_VIOLATION,
 * "Excessively large number of partitions per request."). Beyond that Kafka has no cap; these
 * are KIP-578's configs, which Kafka never shipped: `max.broker.partitions` (replicas one broker
 * may host, default 4000 here, Kafka's long-standing guidance; 3 files each on disk) and
 * `max.partitions` (in the cluster, unbounded by default), refused with POLICY_VIOLATION as a
 * CreateTopicPolicy refuses. Auto-created topics and __consumer_offsets obey them too.
 */
export const MAX_PARTITIONS_PER_REQUEST = 10_000;

/** What the controller's managers work over: its image, its configs, its log, and its commit. */
export interface ControlHost {
  image: MetadataImage;
  config: KafkaConfig;
  log: Logger;
  /** Commit records to the metadata log as one batch (throws KafkaError when the write fails). */
  append(records: MetadataRecord[]): void;
}

/** One partition of an AlterPartition request. */
export interface AlterPartitionProposal {
  brokerId: number;
  brokerEpoch: number;
  topic: string;
  partition: number;
  leaderEpoch: number;
  partitionEpoch: number;
  newIsr: number[];
  /** Broker epochs of newIsr's members (AlterPartition v3+); -1 or absent skips the check. */
  newIsrEpochs?: number[];
}

export class ReplicationControlManager {
  private readonly image: MetadataImage;
  private readonly config: KafkaConfig;
  private readonly log: Logger;
  private readonly append: (records: MetadataRecord[]) => void;
  /** Where the next automatic placement starts (one step per topic or partition growth). */
  private topicCounter: number;
  /** Partition reassignments and leader elections (AlterPartitionReassignments, ElectLeaders). */
  readonly reassignments: Reassignments;

  /** Made from the replayed image: placement continues from the number of topics it holds. */
  constructor(host: ControlHost) {
    this.image = host.image;
    this.config = host.config;
    this.log = host.log;
    this.append = (records) => host.append(records);
    this.topicCounter = this.image.topics.size;
    this.reassignments = new Reassignments({
      image: this.image,
      append: this.append,
      uncleanElectionEnabled: (t) => this.uncleanElectionEnabled(t),
      log: this.log,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Topics

  createTopic(
    name: string,
    numPartitions: number,
    replicationFactor: number,
    assignments: number[][],
    configs: Record<string, string>,
    validateOnly: boolean,
  ): TopicImage {
    const bad = invalidTopicName(name);
    if (bad) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, bad);
    if (this.image.topics.has(name)) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    checkTopicConfigs(configs);
    const live = this.image.liveBrokers().map((b) => b.nodeId);
    let replicaLists: number[][];
    if (assignments.length > 0) {
      if (replicationFactor !== -1) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but replication factor was not set to -1.');
      if (numPartitions !== -1) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but numPartitions was not set to -1.');
      checkRequestSize(assignments.length);
      assignments.forEach((a, i) => this.validateManualAssignment(a, i, assignments[0]!.length));
      replicaLists = assignments;
    } else {
      const count = numPartitions === -1 ? this.config.int('num.partitions') : numPartitions;
      const rf = replicationFactor === -1 ? Math.min(this.config.int('default.replication.factor'), Math.max(live.length, 1)) : replicationFactor;
      if (!Number.isInteger(count) || count < 1) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
      checkRequestSize(count);
      if (rf < 1) throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
      if (rf > live.length) {
        throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${live.length} broker(s) are registered.`);
      }
      replicaLists = this.assignReplicas(live, count, rf);
    }
    this.checkPartitionLimits(replicaLists);
    const topic: TopicImage = {
      name,
      topicId: validateOnly ? '' : newTopicId(),
      configs,
      partitions: replicaLists.map((replicas) => ({ replicas, isr: replicas.filter((r) => this.image.isLive(r)), leader: -1, leaderEpoch: 0, partitionEpoch: 0 })),
    };
    for (const p of topic.partitions) p.leader = p.isr[0]!;
    if (validateOnly) return topic;
    this.append([
      { type: 'topic', name, topicId: topic.topicId, configs },
      ...topic.partitions.map((state, partition): MetadataRecord => ({ type: 'partition', topic: name, partition, state })),
    ]);
    this.log.info(`created topic ${name}: ${topic.partitions.length} partition(s), replicas ${topic.partitions.map((p) => `[${p.replicas.join(',')}]`).join(' ')}`);
    return topic;
  }

  /**
   * Kafka's checks of one partition's manual assignment: replicas given, registered, distinct,
   * as many as the other partitions', and at least one of them unfenced to lead.
   */
  private validateManualAssignment(replicas: number[], partition: number, replicationFactor: number): void {
    const invalid = (why: string) => new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment for partition ${partition} ${why}`);
    if (replicas.length === 0) throw invalid('includes an empty replica list.');
    const unknown = replicas.find((id) => !this.image.brokers.has(id));
    if (unknown !== undefined) throw invalid(`includes broker ${unknown}, but no such broker is registered.`);
    if (new Set(replicas).size !== replicas.length) throw invalid(`includes a broker more than once: [${replicas.join(',')}].`);
    if (replicas.length !== replicationFactor) throw invalid(`has ${replicas.length} replica(s), but other partitions have ${replicationFactor}.`);
    if (!replicas.some((id) => this.image.isLive(id))) throw invalid('names only brokers that are fenced or in controlled shutdown.');
  }

  /** Kafka-style placement: replicas of consecutive partitions start on consecutive brokers. */
  private assignReplicas(live: number[], count: number, rf: number): number[][] {
    const start = this.topicCounter++ % live.length;
    const out: number[][] = [];
    for (let p = 0; p < count; p++) {
      const replicas: number[] = [];
      for (let j = 0; j < rf; j++) replicas.push(live[(start + p + j) % live.length]!);
      out.push(replicas);
    }
    return out;
  }

  /**
   * KIP-578's limits for new partitions with these replica lists: max.partitions over the
   * cluster, max.broker.partitions replicas on any one broker (POLICY_VIOLATION).
   */
  private checkPartitionLimits(replicaLists: number[][]): void {
    const maxPartitions = this.config.int('max.partitions');
    const maxBrokerPartitions = this.config.int('max.broker.partitions');
    const perBroker = new Map<number, number>();
    let total = 0;
    for (const t of this.image.topics.values()) {
      total += t.partitions.length;
      for (const p of t.partitions) for (const r of p.replicas) perBroker.set(r, (perBroker.get(r) ?? 0) + 1);
    }
    const policy = (why: string) => new KafkaError(ErrorCode.POLICY_VIOLATION, `Creating ${replicaLists.length} partition(s) would ${why}.`);
    if (total + replicaLists.length > maxPartitions) throw policy(`make ${total + replicaLists.length} partitions in the cluster, above max.partitions=${maxPartitions}`);
    const added = new Map<number, number>();
    for (const replicas of replicaLists) for (const r of replicas) added.set(r, (added.get(r) ?? 0) + 1);
    for (const [broker, n] of [...added].sort((a, b) => a[0] - b[0])) {
      const after = (perBroker.get(broker) ?? 0) + n;
      if (after > maxBrokerPartitions) throw policy(`put ${after} partition replicas on broker ${broker}, above max.broker.partitions=${maxBrokerPartitions}`);
    }
  }

  /** The partitions a whole CreateTopics (numPartitions -1: num.partitions) or CreatePartitions request would create. */
  partitionsRequested(req: { create?: { numPartitions: number; assignments: number }[]; grow?: { name: string; count: number }[] }): number {
    let total = 0;
    for (const t of req.create ?? []) total += t.assignments > 0 ? t.assignments : t.numPartitions === -1 ? this.config.int('num.partitions') : Math.max(0, t.numPartitions);
    for (const t of req.grow ?? []) total += Math.max(0, t.count - (this.image.topics.get(t.name)?.partitions.length ?? t.count));
    return total;
  }

  deleteTopic(name: string): void {
    if (!this.config.bool('delete.topic.enable')) throw new KafkaError(ErrorCode.TOPIC_DELETION_DISABLED);
    if (!this.image.topics.has(name)) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    this.append([{ type: 'removeTopic', name }]);
    this.log.info(`deleted topic ${name}`);
  }

  createPartitions(name: string, total: number, assignments: number[][] | null, validateOnly: boolean): void {
    const t = this.image.topics.get(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const current = t.partitions.length;
    if (total <= current) {
      throw new KafkaError(
        ErrorCode.INVALID_PARTITIONS,
        total === current ? `Topic already has ${current} partitions.` : `Topic currently has ${current} partitions, which is higher than the requested ${total}.`,
      );
    }
    checkRequestSize(Math.max(0, total - current));
    const rf = t.partitions[0]!.replicas.length;
    const live = this.image.liveBrokers().map((b) => b.nodeId);
    let lists: number[][];
    if (assignments) {
      if (assignments.length !== total - current) {
        throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Attempted to add ${total - current} additional partition(s), but only ${assignments.length} assignment(s) were specified.`);
      }
      assignments.forEach((a, i) => this.validateManualAssignment(a, current + i, rf));
      lists = assignments;
    } else {
      if (rf > live.length) throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor ${rf} larger than the ${live.length} live broker(s)`);
      lists = this.assignReplicas(live, total - current, rf);
    }
    this.checkPartitionLimits(lists);
    if (validateOnly) return;
    this.append(
      lists.map((replicas, i): MetadataRecord => {
        const isr = replicas.filter((r) => this.image.isLive(r));
        return { type: 'partition', topic: name, partition: current + i, state: { replicas, isr, leader: isr[0]!, leaderEpoch: 0, partitionEpoch: 0 } };
      }),
    );
    this.log.info(`topic ${name} now has ${total} partitions`);
  }

  setTopicConfigs(name: string, configs: Record<string, string>): void {
    if (!this.image.topics.has(name)) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    checkTopicConfigs(configs);
    this.append([{ type: 'topicConfig', name, configs }]);
    this.log.info(`topic ${name} configs now ${JSON.stringify(configs)}`);
  }

  // -------------------------------------------------------------------------------------------
  // ISR changes proposed by leaders (AlterPartition)

  /**
   * A leader's ISR proposal, validated in Kafka 3.9's order (ReplicationControlManager): the
   * requester's broker epoch, the partition, newer epochs than ours (NOT_CONTROLLER), an older
   * leader epoch (FENCED_LEADER_EPOCH), a requester that is not the leader (INVALID_REQUEST), an
   * older partition epoch (INVALID_UPDATE_VERSION), an ISR that is not a set of replicas holding
   * the leader (INVALID_REQUEST), members that are unregistered, fenced or of another broker
   * epoch (INELIGIBLE_REPLICA). The current ISR again changes nothing.
   */
  alterPartition(req: AlterPartitionProposal): PartitionState {
    const { brokerId, topic, partition, leaderEpoch, partitionEpoch, newIsr } = req;
    const requester = this.image.brokers.get(brokerId);
    if (!requester || requester.epoch !== req.brokerEpoch) {
      throw new KafkaError(ErrorCode.STALE_BROKER_EPOCH, `broker ${brokerId} epoch ${req.brokerEpoch} is not the registered one (${requester?.epoch ?? 'none'})`);
    }
    const t = this.image.topics.get(topic);
    const p = t?.partitions[partition];
    if (!t || !p) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    if (leaderEpoch > p.leaderEpoch || partitionEpoch > p.partitionEpoch) {
      throw new KafkaError(ErrorCode.NOT_CONTROLLER, `epochs ${leaderEpoch}/${partitionEpoch} are newer than the controller's ${p.leaderEpoch}/${p.partitionEpoch}`);
    }
    if (leaderEpoch < p.leaderEpoch) throw new KafkaError(ErrorCode.FENCED_LEADER_EPOCH, `leader epoch is ${p.leaderEpoch}, not ${leaderEpoch}`);
    if (brokerId !== p.leader) throw new KafkaError(ErrorCode.INVALID_REQUEST, `the leader of ${topic}-${partition} is ${p.leader}, not ${brokerId}`);
    if (partitionEpoch < p.partitionEpoch) throw new KafkaError(ErrorCode.INVALID_UPDATE_VERSION, `partition epoch is ${p.partitionEpoch}, not ${partitionEpoch}`);
    if (new Set(newIsr).size !== newIsr.length || newIsr.some((r) => !p.replicas.includes(r))) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `ISR [${newIsr.join(',')}] is not a set of replicas [${p.replicas.join(',')}]`);
    }
    if (!newIsr.includes(p.leader)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `ISR [${newIsr.join(',')}] leaves out the leader ${p.leader}`);
    const ineligible = newIsr.filter((r, i) => {
      const b = this.image.brokers.get(r);
      const epoch = req.newIsrEpochs?.[i] ?? -1;
      return !b || b.fenced || (epoch !== -1 && epoch !== b.epoch);
    });
    if (ineligible.length > 0) throw new KafkaError(ErrorCode.INELIGIBLE_REPLICA, `ISR [${newIsr.join(',')}] has ineligible replicas [${ineligible.join(',')}]`);
    if (sameList(newIsr, p.isr)) return p;
    // An ISR holding every target replica completes a reassignment (the leader may move).
    const next = this.reassignments.completeOnIsrChange(t, p, newIsr);
    this.append([{ type: 'partition', topic, partition, state: next }]);
    this.log.info(`ISR of ${topic}-${partition} is now [${next.isr.join(',')}] (was [${p.isr.join(',')}], proposed by leader ${brokerId})`);
    if (next.leader !== brokerId) throw new KafkaError(ErrorCode.NEW_LEADER_ELECTED, `completing the reassignment of ${topic}-${partition} moved its leader to ${next.leader}`);
    return next;
  }

  // -------------------------------------------------------------------------------------------
  // Brokers leaving and joining: the partition changes they cause

  /** The partition changes that take nodeId out of every ISR it is in (fencing, unregistration, re-registration). */
  leaveIsrs(nodeId: number): MetadataRecord[] {
    const records: MetadataRecord[] = [];
    for (const t of this.image.topics.values()) {
      t.partitions.forEach((p, i) => {
        if (!p.isr.includes(nodeId)) return;
        const next = this.partitionChange(t, i, p, nodeId, -1);
        if (next) records.push({ type: 'partition', topic: t.name, partition: i, state: next });
      });
    }
    return records;
  }

  /** The partition changes unfencing nodeId makes: every leaderless partition it can lead (from the ISR, or uncleanly where enabled) elects it. */
  electOnUnfence(nodeId: number): MetadataRecord[] {
    const records: MetadataRecord[] = [];
    for (const t of this.image.topics.values()) {
      t.partitions.forEach((p, i) => {
        if (p.leader !== -1) return;
        const next = this.partitionChange(t, i, p, -1, nodeId);
        if (next) records.push({ type: 'partition', topic: t.name, partition: i, state: next });
      });
    }
    return records;
  }

  /**
   * Kafka's periodic maybeElectUncleanLeaders: a leaderless partition whose topic has unclean
   * election enabled (say, since an AlterConfigs after it went offline) is led by a live replica.
   */
  electUncleanLeaders(): void {
    const records: MetadataRecord[] = [];
    for (const t of this.image.topics.values()) {
      if (!this.uncleanElectionEnabled(t)) continue;
      t.partitions.forEach((p, i) => {
        const next = p.leader === -1 ? this.partitionChange(t, i, p, -1, -1) : null;
        if (next) records.push({ type: 'partition', topic: t.name, partition: i, state: next });
      });
    }
    this.append(records);
  }

  /**
   * Kafka's PartitionChangeBuilder (without ELR) for a broker leaving (brokerToRemove) or
   * joining (brokerToAdd, acceptable as leader although the image still shows it fenced): the
   * ISR loses brokerToRemove unless that would empty it; the current leader stays if still
   * acceptable, else the first replica (in replica order) in the ISR that is; failing that, with
   * unclean.leader.election.enable, the first acceptable replica leads with an ISR of itself.
   * Null when nothing changes. Leader epoch + 1 on a new leader, partition epoch + 1 on any change.
   */
  private partitionChange(t: TopicImage, index: number, p: PartitionState, brokerToRemove: number, brokerToAdd: number): PartitionState | null {
    const acceptable = (r: number) => r !== brokerToRemove && (r === brokerToAdd || this.image.isLive(r));
    const targetIsr = p.isr.filter((r) => r !== brokerToRemove);
    let isr = targetIsr.length > 0 ? targetIsr : p.isr;
    let leader = targetIsr.includes(p.leader) && acceptable(p.leader) ? p.leader : (p.replicas.find((r) => targetIsr.includes(r) && acceptable(r)) ?? -1);
    if (leader === -1 && this.uncleanElectionEnabled(t)) {
      const unclean = p.replicas.find(acceptable);
      if (unclean !== undefined) {
        leader = unclean;
        isr = [unclean];
        this.log.warn(`unclean leader election: ${unclean} leads ${t.name}-${index} without being in the ISR [${p.isr.join(',')}]`);
      }
    }
    if (leader === p.leader && sameList(isr, p.isr)) return null;
    return { ...p, isr, leader, leaderEpoch: leader === p.leader ? p.leaderEpoch : p.leaderEpoch + 1, partitionEpoch: p.partitionEpoch + 1 };
  }

  private uncleanElectionEnabled(t: TopicImage): boolean {
    return (t.configs['unclean.leader.election.enable'] ?? this.config.topicDefault('unclean.leader.election.enable').value) === 'true';
  }
}

/** At most MAX_PARTITIONS_PER_REQUEST partitions created by one request (Kafka's validateTotalNumberOfPartitions). */
export function checkRequestSize(count: number): void {
  if (count > MAX_PARTITIONS_PER_REQUEST) throw new KafkaError(ErrorCode.POLICY_VIOLATION, 'Excessively large number of partitions per request.');
}

/** INVALID_CONFIG for the first topic config that is not valid. */
function checkTopicConfigs(configs: Record<string, string>): void {
  for (const [k, v] of Object.entries(configs)) {
    const problem = validateTopicConfig(k, v);
    if (problem) throw new KafkaError(ErrorCode.INVALID_CONFIG, problem);
  }
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
