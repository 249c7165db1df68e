// The cluster as GET /cluster, /groups and /producers show it: the controller's metadata (brokers
// and whether they are fenced, each partition's leader, replicas, ISR and epochs) joined with
// what each running broker reports of itself (offsets, producers, groups; BrokerSnapshot.ts).
// A partition's offsets are its leader's; each replica's log end is listed beside them.
import type { ActiveFault, FaultRule } from '../network/FaultInjector.js';
import type { Controller } from '../replication/Controller.js';
import type { BrokerSnapshot, GroupSnapshot, ProducerSnapshot, ReplicaSnapshot } from './BrokerSnapshot.js';

/** What the HTTP server needs of a cluster handle (startCluster() builds one). */
export interface ControlPlane {
  readonly controller: Controller;
  readonly faults: { add(rule: FaultRule): number; remove(id: number): boolean; clear(): void; list(): ActiveFault[] };
  /** Every broker of the cluster, running or not. */
  brokers(): { id: number; host: string; port: number; running: boolean; pid?: number }[];
  /** The state of every running broker that answers (a broker mid-stop may be missing). */
  snapshots(): Promise<BrokerSnapshot[]>;
  stopBroker(id: number, opts: { crash?: boolean }): Promise<void>;
  startBroker(id: number): Promise<void>;
  isolate(id: number): void;
  heal(): void;
  isolated(): number[];
  readonly processPerBroker: boolean;
}

export interface PartitionView {
  partition: number;
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
  replicas: number[];
  isr: number[];
  underReplicated: boolean;
  offline: boolean;
  /** The leader's offsets (null while its broker does not answer). */
  highWatermark: number | null;
  logStartOffset: number | null;
  logEndOffset: number | null;
  lastStableOffset: number | null;
  /** Each answering replica's log end offset, by broker id. */
  replicaLogEndOffsets: Record<string, number>;
}

export interface TopicView {
  name: string;
  topicId: string;
  internal: boolean;
  configs: Record<string, string>;
  partitions: PartitionView[];
}

export interface BrokerView {
  id: number;
  host: string;
  port: number;
  running: boolean;
  /** Registered with the controller and not fenced. */
  registered: boolean;
  fenced: boolean;
  isolated: boolean;
  pid?: number;
  leaderCount: number;
}

export interface ClusterView {
  clusterId: string;
  /** The broker Metadata and DescribeCluster name as controller: the lowest live one (-1 when none). */
  controllerId: number;
  controller: { host: string; port: number; metadataOffset: number };
  processPerBroker: boolean;
  brokers: BrokerView[];
  topics: TopicView[];
  faults: ActiveFault[];
}

export interface GroupView extends GroupSnapshot {
  offsets: (GroupSnapshot['offsets'][number] & { highWatermark: number | null; lag: number | null })[];
  totalLag: number;
}

/** Leader snapshots of every partition, by "topic\0partition", and every replica's. */
function replicaIndex(snaps: BrokerSnapshot[]): { leaders: Map<string, ReplicaSnapshot>; all: Map<string, Map<number, ReplicaSnapshot>> } {
  const leaders = new Map<string, ReplicaSnapshot>();
  const all = new Map<string, Map<number, ReplicaSnapshot>>();
  for (const s of snaps) {
    for (const r of s.replicas) {
      const key = `${r.topic}\0${r.partition}`;
      if (r.leader === s.nodeId) leaders.set(key, r);
      let m = all.get(key);
      if (!m) all.set(key, (m = new Map()));
      m.set(s.nodeId, r);
    }
  }
  return { leaders, all };
}

export function clusterView(cp: ControlPlane, snaps: BrokerSnapshot[]): ClusterView {
  const image = cp.controller.image;
  const { leaders, all } = replicaIndex(snaps);
  const isolated = new Set(cp.isolated());
  const leaderCount = new Map<number, number>();
  const topics: TopicView[] = [...image.topics.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((t) => ({
      name: t.name,
      topicId: t.topicId,
      internal: t.name.startsWith('__'),
      configs: { ...t.configs },
      partitions: t.partitions.map((p, i): PartitionView => {
        if (p.leader >= 0) leaderCount.set(p.leader, (leaderCount.get(p.leader) ?? 0) + 1);
        const key = `${t.name}\0${i}`;
        // The leader's own view, if it has applied this leader epoch.
        const l = leaders.get(key);
        const own = l && l.leader === p.leader && l.leaderEpoch === p.leaderEpoch ? l : undefined;
        const leos: Record<string, number> = {};
        for (const [id, r] of all.get(key) ?? []) leos[String(id)] = r.logEndOffset;
        return {
          partition: i,
          leader: p.leader,
          leaderEpoch: p.leaderEpoch,
          partitionEpoch: p.partitionEpoch,
          replicas: [...p.replicas],
          isr: [...p.isr],
          underReplicated: p.isr.length < p.replicas.length,
          offline: p.leader < 0,
          highWatermark: own?.highWatermark ?? null,
          logStartOffset: own?.logStartOffset ?? null,
          logEndOffset: own?.logEndOffset ?? null,
          lastStableOffset: own?.lastStableOffset ?? null,
          replicaLogEndOffsets: leos,
        };
      }),
    }));
  const brokers: BrokerView[] = cp.brokers().map((b) => {
    const info = image.brokers.get(b.id);
    return {
      id: b.id,
      host: b.host,
      port: b.port,
      running: b.running,
      registered: info !== undefined,
      fenced: info === undefined || info.fenced,
      isolated: isolated.has(b.id),
      ...(b.pid !== undefined ? { pid: b.pid } : {}),
      leaderCount: leaderCount.get(b.id) ?? 0,
    };
  });
  return {
    clusterId: image.clusterId,
    controllerId: image.liveBrokers()[0]?.nodeId ?? -1,
    controller: { host: cp.controller.host, port: cp.controller.port, metadataOffset: cp.controller.logEndOffset },
    processPerBroker: cp.processPerBroker,
    brokers,
    topics,
    faults: cp.faults.list(),
  };
}

/** Every group, from its coordinator, with each committed offset's lag behind the high watermark. */
export function groupsView(snaps: BrokerSnapshot[]): GroupView[] {
  const { leaders } = replicaIndex(snaps);
  const seen = new Map<string, GroupView>();
  for (const s of snaps) {
    for (const g of s.groups) {
      if (seen.has(g.groupId)) continue;
      let totalLag = 0;
      const offsets = g.offsets.map((o) => {
        const hw = leaders.get(`${o.topic}\0${o.partition}`)?.highWatermark ?? null;
        const lag = hw === null ? null : Math.max(0, hw - o.offset);
        totalLag += lag ?? 0;
        return { ...o, highWatermark: hw, lag };
      });
      seen.set(g.groupId, { ...g, offsets, totalLag });
    }
  }
  return [...seen.values()].sort((a, b) => a.groupId.localeCompare(b.groupId));
}

/** The idempotent producers each partition's leader knows. */
export function producersView(snaps: BrokerSnapshot[]): (ProducerSnapshot & { leader: number })[] {
  return snaps
    .flatMap((s) => s.producers.map((p) => ({ ...p, leader: s.nodeId })))
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition || a.producerId - b.producerId);
}
