// What one broker knows that the controller does not: its replicas' offsets (high watermark,
// log start and end, last stable offset), the idempotent producers of the partitions it leads,
// the groups it coordinates (members, assignments, committed offsets) and its request metrics.
// Plain JSON, so a broker in its own process hands the same snapshot over IPC.
import { decodeConsumerProtocolAssignment } from '../protocol/messages/ConsumerProtocolAssignment.js';
import { Reader } from '../protocol/primitives.js';
import type { RequestMetricsSnapshot } from '../network/RequestMetrics.js';
import type { Broker } from '../server/Broker.js';

export interface ReplicaSnapshot {
  topic: string;
  partition: number;
  /** The leader this broker knows of (itself when leading). */
  leader: number;
  leaderEpoch: number;
  /** The ISR this broker last applied (the leader's is authoritative). */
  isr: number[];
  highWatermark: number;
  logStartOffset: number;
  logEndOffset: number;
  lastStableOffset: number;
}

export interface ProducerSnapshot {
  topic: string;
  partition: number;
  producerId: number;
  producerEpoch: number;
  /** Last sequence of the producer's last batch (-1 when none is cached). */
  lastSequence: number;
  lastOffset: number;
  lastTimestamp: number;
}

export interface GroupMemberSnapshot {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Consumer-protocol assignment, topic → partitions ({} for other protocols). */
  assignment: Record<string, number[]>;
}

export interface GroupSnapshot {
  groupId: string;
  coordinator: number;
  state: string;
  protocolType: string;
  protocol: string | null;
  generationId: number;
  leader: string | null;
  members: GroupMemberSnapshot[];
  offsets: { topic: string; partition: number; offset: number; leaderEpoch: number; metadata: string }[];
}

export interface BrokerSnapshot {
  nodeId: number;
  /** Whether the broker considers itself fenced (the controller's view is in the cluster state). */
  fenced: boolean;
  connections: number;
  replicas: ReplicaSnapshot[];
  producers: ProducerSnapshot[];
  groups: GroupSnapshot[];
  metrics: RequestMetricsSnapshot;
  /**
   * A broker in its own process: the ids (as the cluster numbers them) of the fault rules it
   * still holds, each process counting a rule's `times` on its own. Absent in process.
   */
  activeFaults?: number[];
}

/** A consumer-protocol assignment as topic → partitions; {} when it is not one or does not decode. */
export function decodeAssignment(buf: Buffer): Record<string, number[]> {
  if (buf.length < 2) return {};
  try {
    const r = new Reader(buf);
    const version = r.int16();
    const a = decodeConsumerProtocolAssignment(r, Math.min(Math.max(version, 0), 3));
    const out: Record<string, number[]> = {};
    for (const tp of a.assignedPartitions) out[tp.topic] = [...(out[tp.topic] ?? []), ...tp.partitions].sort((x, y) => x - y);
    return out;
  } catch {
    return {};
  }
}

function groupsOf(broker: Broker): GroupSnapshot[] {
  const gc = broker.groupCoordinator;
  const listed = gc.listGroups([], []);
  if (listed.errorCode !== 0) return [];
  const ids = listed.groups.map((g) => g.groupId).sort();
  return gc.describeGroups(ids).map((d): GroupSnapshot => {
    const g = gc.classicGroup(d.groupId);
    const fetched = gc.fetchOffsets(d.groupId, null);
    const offsets = fetched.topics.flatMap((t) =>
      t.partitions
        .filter((p) => p.errorCode === 0 && Number(p.committedOffset) >= 0)
        .map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset), leaderEpoch: p.committedLeaderEpoch, metadata: p.metadata })),
    );
    return {
      groupId: d.groupId,
      coordinator: broker.nodeId,
      state: d.groupState,
      protocolType: d.protocolType,
      protocol: g?.protocolName ?? null,
      generationId: g?.generationId ?? -1,
      leader: g?.leaderId ?? null,
      members: d.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        assignment: d.protocolType === 'consumer' ? decodeAssignment(m.memberAssignment) : {},
      })),
      offsets,
    };
  });
}

export function snapshotBroker(broker: Broker): BrokerSnapshot {
  const replicas: ReplicaSnapshot[] = [];
  const producers: ProducerSnapshot[] = [];
  for (const p of broker.replicaManager.allPartitions()) {
    replicas.push({
      topic: p.topic,
      partition: p.index,
      leader: p.leaderId,
      leaderEpoch: p.leaderEpoch,
      isr: [...p.isr],
      highWatermark: p.highWatermark,
      logStartOffset: p.logStartOffset,
      logEndOffset: p.log.logEndOffset,
      lastStableOffset: p.lastStableOffset,
    });
    if (!p.isLeader) continue;
    for (const e of p.log.producerState.entries()) {
      const last = e.batches[e.batches.length - 1];
      producers.push({
        topic: p.topic,
        partition: p.index,
        producerId: e.producerId,
        producerEpoch: e.producerEpoch,
        lastSequence: last?.lastSeq ?? -1,
        lastOffset: last?.lastOffset ?? -1,
        lastTimestamp: e.lastTimestamp,
      });
    }
  }
  let groups: GroupSnapshot[] = [];
  try {
    groups = groupsOf(broker);
  } catch {
    groups = []; // a coordinator mid-load: no groups this time
  }
  return {
    nodeId: broker.nodeId,
    fenced: broker.isFenced,
    connections: broker.clientConnections.size,
    replicas,
    producers,
    groups,
    metrics: broker.requestMetrics.snapshot(),
  };
}
