// The controller's partition reassignments (KIP-455 as KRaft does it) and leader elections
// (ElectLeaders): AlterPartitionReassignments records the target in the partition (the adding
// and removing replicas); the added replicas catch up through ordinary replication and join the
// ISR by AlterPartition, which completes the reassignment (Controller.alterPartition asks
// `completeOnIsrChange`); cancelling reverts. Every change is a partition record appended
// through the controller, so a restart replays an ongoing reassignment from the metadata log.
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { Logger } from '../logger.js';
import { buildPartitionChange, isReassigning, reassignmentReplicas, revertReassignment, type ChangeTarget, type Election } from './PartitionChange.js';
import type { MetadataImage, MetadataRecord, PartitionState, TopicImage } from './MetadataImage.js';

export interface ReassignmentHost {
  image: MetadataImage;
  /** Commit records to the metadata log (throws KafkaError when the write fails). */
  append(records: MetadataRecord[]): void;
  uncleanElectionEnabled(t: TopicImage): boolean;
  log: Logger;
}

/** One ongoing reassignment, as ListPartitionReassignments reports it. */
export interface OngoingReassignment {
  topic: string;
  partition: number;
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

export class Reassignments {
  constructor(private readonly host: ReassignmentHost) {}

  /** The partition, or UNKNOWN_TOPIC_OR_PARTITION with the message Kafka's reassignment (or election) gives. */
  private partition(topic: string, partition: number, forElection = false): { t: TopicImage; p: PartitionState } {
    const t = this.host.image.topics.get(topic);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, forElection ? `No such topic as ${topic}` : `Unable to find a topic named ${topic}.`);
    const p = t.partitions[partition];
    if (!p) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, forElection ? `No such partition as ${topic}-${partition}` : `Unable to find partition ${topic}:${partition}.`);
    return { t, p };
  }

  /** The next state of a partition under `target`, with the controller's view of who may lead. */
  change(t: TopicImage, p: PartitionState, target: ChangeTarget): PartitionState | null {
    return buildPartitionChange(p, target, { acceptable: (r) => this.host.image.isLive(r), uncleanAllowed: this.host.uncleanElectionEnabled(t) });
  }

  /**
   * Start (target given) or cancel (null) a partition's reassignment, as Kafka's
   * ReplicationControlManager does. A new target is taken from the current replica list: an
   * ongoing reassignment's adding replicas not in the new target become removing ones (they may
   * be in the ISR already), the ISR is left as it is. A target equal to the current replicas
   * with nothing in progress changes nothing. Cancelling reverts to the replicas before the
   * reassignment; a revert that needs an unclean election is INVALID_REPLICA_ASSIGNMENT unless
   * the topic allows unclean elections.
   */
  alter(topic: string, partition: number, target: number[] | null): void {
    const { t, p } = this.partition(topic, partition);
    let next: PartitionState | null;
    if (target === null) {
      if (!isReassigning(p)) throw new KafkaError(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, 'No partition reassignment is in progress.');
      const revert = revertReassignment(p);
      const unclean = this.host.uncleanElectionEnabled(t);
      if (revert.unclean && !unclean) {
        throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unable to revert partition assignment for ${topic}:${partition} because it would require an unclean leader election.`);
      }
      next = this.change(t, p, { replicas: revert.replicas, isr: revert.isr, adding: [], removing: [], election: unclean ? 'unclean' : 'normal' });
    } else {
      this.validateTarget(target);
      const r = reassignmentReplicas(p.replicas, target);
      next = this.change(t, p, { replicas: r.replicas, adding: r.adding, removing: r.removing });
    }
    if (!next) return;
    this.host.append([{ type: 'partition', topic, partition, state: next }]);
    const what = target === null ? 'cancelled' : isReassigning(next) ? `started towards [${target.join(',')}]` : `done: [${next.replicas.join(',')}]`;
    this.host.log.info(`reassignment of ${topic}-${partition} ${what} (replicas [${next.replicas.join(',')}], ISR [${next.isr.join(',')}], leader ${next.leader})`);
  }

  /** Kafka's checks of a reassignment target: not empty, no broker twice, every broker registered. */
  private validateTarget(target: number[]): void {
    const invalid = (why: string) => new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment ${why}`);
    if (target.length === 0) throw invalid('includes an empty replica list.');
    const unknown = target.find((id) => !this.host.image.brokers.has(id));
    if (unknown !== undefined) throw invalid(`includes broker ${unknown}, but no such broker is registered.`);
    if (new Set(target).size !== target.length) throw invalid(`includes a broker more than once: [${target.join(',')}].`);
  }

  /**
   * An ISR change a leader proposed, completing the partition's reassignment if the new ISR holds
   * every target replica (the removed replicas leave; the leader moves if it was one of them).
   */
  completeOnIsrChange(t: TopicImage, p: PartitionState, newIsr: number[]): PartitionState {
    const plain = { ...p, isr: [...newIsr], partitionEpoch: p.partitionEpoch + 1 };
    if (!isReassigning(p)) return plain;
    return this.change(t, p, { isr: newIsr }) ?? plain;
  }

  /** The ongoing reassignments, of the partitions asked for (null: all). */
  list(topics: { name: string; partitionIndexes: number[] }[] | null): OngoingReassignment[] {
    const out: OngoingReassignment[] = [];
    const add = (name: string, i: number, p: PartitionState | undefined) => {
      if (p && isReassigning(p)) out.push({ topic: name, partition: i, replicas: [...p.replicas], addingReplicas: [...(p.addingReplicas ?? [])], removingReplicas: [...(p.removingReplicas ?? [])] });
    };
    if (topics === null) {
      for (const t of [...this.host.image.topics.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) t.partitions.forEach((p, i) => add(t.name, i, p));
    } else {
      for (const { name, partitionIndexes } of topics) for (const i of partitionIndexes) add(name, i, this.host.image.topics.get(name)?.partitions[i]);
    }
    return out;
  }

  /**
   * ElectLeaders for one partition (Kafka's ReplicationControlManager.electLeader):
   * ELECTION_NOT_NEEDED when the preferred replica already leads (preferred) or there is a
   * leader (unclean); PREFERRED_LEADER_NOT_AVAILABLE / ELIGIBLE_LEADERS_NOT_AVAILABLE when no
   * change can be made.
   */
  electLeader(topic: string, partition: number, election: Exclude<Election, 'normal'>): void {
    const { t, p } = this.partition(topic, partition, true);
    if (election === 'preferred' && p.leader === p.replicas[0]) throw new KafkaError(ErrorCode.ELECTION_NOT_NEEDED, 'Leader election not needed for topic partition.');
    if (election === 'unclean' && p.leader !== -1) throw new KafkaError(ErrorCode.ELECTION_NOT_NEEDED, 'Leader election not needed for topic partition.');
    const next = this.change(t, p, { election });
    if (!next || (election === 'preferred' && next.leader !== p.replicas[0])) {
      throw election === 'preferred'
        ? new KafkaError(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, `Failed to elect leader for partition ${topic}-${partition} under strategy PreferredReplicaPartitionLeaderElectionStrategy`)
        : new KafkaError(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, `Failed to elect leader for partition ${topic}-${partition} under strategy UncleanLeaderElectionStrategy`);
    }
    this.host.append([{ type: 'partition', topic, partition, state: next }]);
    this.host.log.info(`${election} election for ${topic}-${partition}: leader ${next.leader} at epoch ${next.leaderEpoch} (was ${p.leader})`);
  }
}
