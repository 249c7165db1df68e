// Shared by Produce (v10+) and Fetch (v16+), KIP-951: a partition answered NOT_LEADER_OR_FOLLOWER
// (Fetch also FENCED_LEADER_EPOCH) names the leader this broker knows, with its epoch, and the
// response's node_endpoints list that leader's endpoint when it is alive, so the client can
// redirect without a metadata round trip (Kafka's KafkaApis.getCurrentLeader; -1/-1 when the
// partition is unknown).
import type { Broker } from '../Broker.js';

export interface NodeEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/** Collects the leaders named in one response and the endpoints of the live ones. */
export class CurrentLeaders {
  private readonly endpoints = new Map<number, NodeEndpoint>();

  constructor(private readonly broker: Broker) {}

  /** The leader id and epoch of a partition as this broker's metadata has them. */
  leaderOf(topic: string, partition: number): { leaderId: number; leaderEpoch: number } {
    const state = this.broker.metadata.partitionState(topic, partition);
    if (!state) return { leaderId: -1, leaderEpoch: -1 };
    const live = this.broker.metadata.liveBrokers().find((b) => b.nodeId === state.leader);
    if (live) this.endpoints.set(live.nodeId, { nodeId: live.nodeId, host: live.host, port: live.port, rack: live.rack });
    return { leaderId: state.leader, leaderEpoch: state.leaderEpoch };
  }

  nodeEndpoints(): NodeEndpoint[] {
    return [...this.endpoints.values()];
  }
}
