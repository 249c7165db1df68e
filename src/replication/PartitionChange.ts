// One partition's next state under a change of its replica set, ISR or leader: Kafka's KRaft
// PartitionChangeBuilder (without ELR) together with PartitionReassignmentReplicas and
// PartitionReassignmentRevert (KIP-455). Pure functions over PartitionState; the controller
// decides what to ask for and appends the result as a partition record.
import type { PartitionState } from './MetadataImage.js';

/** How a new leader may be chosen: from the ISR, the first replica if it can (preferred), or any live replica (unclean). */
export type Election = 'normal' | 'preferred' | 'unclean';

export interface ChangeTarget {
  /** The replica list wanted (default: unchanged). */
  replicas?: number[];
  /** The ISR wanted (default: unchanged). */
  isr?: number[];
  /** The replicas being added / removed by a reassignment (default: unchanged). */
  adding?: number[];
  removing?: number[];
  election?: Election;
}

export interface ChangeEnv {
  /** A broker that may lead: registered and unfenced (or about to be unfenced). */
  acceptable(brokerId: number): boolean;
  /** unclean.leader.election.enable for the topic: a leaderless partition may elect outside the ISR. */
  uncleanAllowed: boolean;
}

export function isReassigning(p: PartitionState): boolean {
  return (p.addingReplicas?.length ?? 0) > 0 || (p.removingReplicas?.length ?? 0) > 0;
}

/**
 * The replica lists of a reassignment from `current` to `target` (PartitionReassignmentReplicas):
 * replicas are the target's, then the ones being removed; adding and removing are sorted.
 */
export function reassignmentReplicas(current: readonly number[], target: readonly number[]): { replicas: number[]; adding: number[]; removing: number[] } {
  const removing = current.filter((r) => !target.includes(r)).sort((a, b) => a - b);
  const adding = target.filter((r) => !current.includes(r)).sort((a, b) => a - b);
  return { replicas: [...target, ...removing], adding, removing };
}

/**
 * The partition with its reassignment taken back (PartitionReassignmentRevert): the replicas it
 * was adding leave the replica list and the ISR, unless that would empty the ISR (then the ISR
 * stays as it is and `unclean` says the leader may have to come from outside the original set).
 */
export function revertReassignment(p: PartitionState): { replicas: number[]; isr: number[]; unclean: boolean } {
  const adding = p.addingReplicas ?? [];
  const replicas = p.replicas.filter((r) => !adding.includes(r));
  const isr = p.isr.filter((r) => !adding.includes(r));
  if (isr.length === 0) return { replicas, isr: [...p.isr], unclean: true };
  return { replicas, isr, unclean: false };
}

/**
 * A reassignment is complete once every replica it keeps is in the ISR: the removed replicas
 * leave the replica list and the ISR (never emptying either). Null while it is not complete.
 */
export function maybeCompleteReassignment(replicas: readonly number[], adding: readonly number[], removing: readonly number[], isr: readonly number[]): { replicas: number[]; isr: number[] } | null {
  if (adding.length === 0 && removing.length === 0) return null;
  const newIsr = isr.filter((r) => !removing.includes(r));
  const newReplicas = replicas.filter((r) => !removing.includes(r));
  if (newIsr.length === 0 || newReplicas.length === 0) return null;
  if (!newReplicas.every((r) => newIsr.includes(r))) return null;
  return { replicas: newReplicas, isr: newIsr };
}

/**
 * The partition's next state for `target`, or null when nothing changes. A reassignment the new
 * ISR completes is completed. The leader stays while it is in the target ISR and acceptable
 * (a preferred election moves it to the first replica when that one can lead); otherwise the
 * first replica in the target list that is in the ISR and acceptable leads, failing that (with
 * unclean election allowed, or asked for) the first acceptable replica, with an ISR of itself.
 * The leader epoch is bumped when the leader changes or a replica leaves the replica list; the
 * partition epoch on any change.
 */
export function buildPartitionChange(p: PartitionState, target: ChangeTarget, env: ChangeEnv): PartitionState | null {
  let replicas = target.replicas ?? p.replicas;
  let isr = target.isr ?? p.isr;
  let adding = target.adding ?? p.addingReplicas ?? [];
  let removing = target.removing ?? p.removingReplicas ?? [];
  const done = maybeCompleteReassignment(replicas, adding, removing, isr);
  if (done) {
    replicas = done.replicas;
    isr = done.isr;
    adding = [];
    removing = [];
  }
  const election = target.election ?? 'normal';
  const valid = (r: number) => isr.includes(r) && replicas.includes(r) && env.acceptable(r);
  let leader = p.leader;
  const preferred = replicas[0];
  if (election === 'preferred' && preferred !== undefined && preferred !== p.leader && valid(preferred)) {
    leader = preferred;
  } else if (p.leader === -1 || !valid(p.leader)) {
    leader = replicas.find(valid) ?? -1;
    if (leader === -1 && (env.uncleanAllowed || election === 'unclean')) {
      const unclean = replicas.find((r) => env.acceptable(r));
      if (unclean !== undefined) {
        leader = unclean;
        isr = [unclean];
      }
    }
  }
  const replicasRemoved = p.replicas.some((r) => !replicas.includes(r));
  const next: PartitionState = {
    replicas: [...replicas],
    isr: [...isr],
    leader,
    leaderEpoch: leader !== p.leader || replicasRemoved ? p.leaderEpoch + 1 : p.leaderEpoch,
    partitionEpoch: p.partitionEpoch + 1,
  };
  if (adding.length > 0) next.addingReplicas = [...adding];
  if (removing.length > 0) next.removingReplicas = [...removing];
  if (
    next.leader === p.leader &&
    next.leaderEpoch === p.leaderEpoch &&
    sameList(next.replicas, p.replicas) &&
    sameList(next.isr, p.isr) &&
    sameList(adding, p.addingReplicas ?? []) &&
    sameList(removing, p.removingReplicas ?? [])
  ) {
    return null;
  }
  return next;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
