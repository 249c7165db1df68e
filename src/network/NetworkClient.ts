// Connections by broker node id (Kafka's NetworkClient, reduced to what the producer needs):
// connect on demand with reconnect backoff, readiness and the per-connection in-flight limit,
// and the least loaded node for metadata and InitProducerId. Bootstrap addresses get negative
// ids until metadata names the brokers; a bootstrap connection whose address a broker turns out
// to have is kept under that broker's id. Connections use the security settings (TLS, SASL);
// none given is PLAINTEXT.
import { clientSecurity, type ClientSecurity, type ClientSecurityConfig } from './ClientSecurity.js';
import type { NetworkError } from './errors.js';
import { ExponentialBackoff } from './ExponentialBackoff.js';
import { KafkaConnection } from './KafkaConnection.js';

/** A broker's address as metadata names it. */
export interface BrokerNode {
  nodeId: number;
  host: string;
  port: number;
}

/** The client settings NetworkClient uses (Kafka's names; the producer's config has them all). */
export interface NetworkClientConfig extends ClientSecurityConfig {
  bootstrapServers: string[];
  clientId: string;
  requestTimeoutMs: number;
  socketConnectionSetupTimeoutMs: number;
  reconnectBackoffMs: number;
  reconnectBackoffMaxMs: number;
  maxInFlightRequestsPerConnection: number;
}

interface NodeState {
  failures: number;
  reconnectAt: number;
}

export class NetworkClient {
  readonly connections = new Map<number, KafkaConnection>();
  private readonly nodes = new Map<number, BrokerNode>();
  private readonly bootstrap: BrokerNode[];
  private readonly states = new Map<number, NodeState>();
  private readonly reconnectBackoff: ExponentialBackoff;
  private readonly security: ClientSecurity;
  /** Called when a connection becomes ready or closes. */
  onChange: (() => void) | null = null;
  /** Called when a connection closes with an error (the producer refreshes metadata). */
  onDisconnect: ((nodeId: number, error: NetworkError) => void) | null = null;
  closed = false;
  connectionsCreated = 0;
  closedBytesSent = 0;
  closedBytesReceived = 0;

  constructor(private readonly config: NetworkClientConfig) {
    this.bootstrap = config.bootstrapServers.map((hp, i) => {
      const at = hp.lastIndexOf(':');
      return { nodeId: -1 - i, host: hp.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(hp.slice(at + 1)) };
    });
    this.reconnectBackoff = new ExponentialBackoff(config.reconnectBackoffMs, 2, config.reconnectBackoffMaxMs, 0.2);
    this.security = clientSecurity(config);
  }

  /** Brokers from a metadata answer. */
  updateNodes(brokers: Iterable<BrokerNode>): void {
    this.nodes.clear();
    for (const b of brokers) {
      this.nodes.set(b.nodeId, b);
      if (this.connections.has(b.nodeId)) continue;
      for (const [id, conn] of this.connections) {
        if (id < 0 && conn.state !== 'closed' && conn.host === b.host && conn.port === b.port) {
          this.connections.delete(id);
          conn.nodeId = b.nodeId;
          this.connections.set(b.nodeId, conn);
          break;
        }
      }
    }
  }

  private address(nodeId: number): BrokerNode | undefined {
    return nodeId < 0 ? this.bootstrap[-1 - nodeId] : this.nodes.get(nodeId);
  }

  isReady(nodeId: number): boolean {
    const c = this.connections.get(nodeId);
    return c !== undefined && c.state === 'ready';
  }

  canSendMore(nodeId: number): boolean {
    const c = this.connections.get(nodeId);
    return c !== undefined && c.state === 'ready' && c.inFlightCount < this.config.maxInFlightRequestsPerConnection;
  }

  connection(nodeId: number): KafkaConnection | undefined {
    return this.connections.get(nodeId);
  }

  /** Ms before this node can be used: 0 = now, Infinity while connecting (onChange tells when ready). */
  connectionDelay(nodeId: number, now: number): number {
    const c = this.connections.get(nodeId);
    if (c !== undefined) return c.state === 'connecting' ? Infinity : 0;
    const s = this.states.get(nodeId);
    return s === undefined ? 0 : Math.max(s.reconnectAt - now, 0);
  }

  /** True when ready; otherwise starts connecting (if not already, and not backing off). */
  ready(nodeId: number, now: number): boolean {
    const c = this.connections.get(nodeId);
    if (c !== undefined) {
      if (c.state === 'ready') return true;
      if (c.state === 'connecting') return false;
    }
    if (this.connectionDelay(nodeId, now) > 0) return false;
    this.connect(nodeId);
    return false;
  }

  private connect(nodeId: number): void {
    if (this.closed) return;
    const addr = this.address(nodeId);
    if (!addr) return;
    const conn = new KafkaConnection(nodeId, addr.host, addr.port, {
      clientId: this.config.clientId,
      requestTimeoutMs: this.config.requestTimeoutMs,
      connectTimeoutMs: this.config.socketConnectionSetupTimeoutMs,
      tls: this.security.tls,
      sasl: this.security.sasl,
    });
    this.connectionsCreated++;
    this.connections.set(nodeId, conn);
    conn.onClose = (c, err) => {
      if (this.connections.get(c.nodeId) === c) this.connections.delete(c.nodeId);
      this.closedBytesSent += c.bytesSent;
      this.closedBytesReceived += c.bytesReceived;
      const s = this.states.get(c.nodeId) ?? { failures: 0, reconnectAt: 0 };
      s.reconnectAt = Date.now() + this.reconnectBackoff.backoff(s.failures);
      s.failures++;
      this.states.set(c.nodeId, s);
      if (!this.closed) {
        this.onDisconnect?.(c.nodeId, err);
        this.onChange?.();
      }
    };
    conn.ready.then(
      () => {
        this.states.delete(conn.nodeId);
        this.onChange?.();
      },
      () => {},
    );
  }

  /**
   * A node for metadata / InitProducerId: a ready connection with the fewest requests in flight,
   * else one that is connecting, else a known node (or bootstrap address) that may be connected to.
   */
  leastLoadedNode(now: number): number | null {
    let best: number | null = null;
    let bestLoad = Infinity;
    for (const [id, c] of this.connections) {
      if (c.state === 'ready' && c.inFlightCount < bestLoad && c.inFlightCount < this.config.maxInFlightRequestsPerConnection) {
        best = id;
        bestLoad = c.inFlightCount;
      }
    }
    if (best !== null) return best;
    for (const [id, c] of this.connections) if (c.state === 'connecting') return id;
    const candidates = this.nodes.size > 0 ? [...this.nodes.keys()] : this.bootstrap.map((b) => b.nodeId);
    let soonest: number | null = null;
    let soonestAt = Infinity;
    const offset = Math.floor(Math.random() * candidates.length);
    for (let i = 0; i < candidates.length; i++) {
      const id = candidates[(i + offset) % candidates.length]!;
      const d = this.connectionDelay(id, now);
      if (d === 0) return id;
      if (d < soonestAt) {
        soonestAt = d;
        soonest = id;
      }
    }
    // Every known broker is backing off: fall back to the bootstrap list when it differs.
    if (this.nodes.size > 0) {
      for (const b of this.bootstrap) if (this.connectionDelay(b.nodeId, now) === 0) return b.nodeId;
    }
    return soonest;
  }

  inFlightRequests(): number {
    let n = 0;
    for (const c of this.connections.values()) n += c.inFlightCount;
    return n;
  }

  close(): void {
    this.closed = true;
    for (const c of [...this.connections.values()]) c.close();
    this.connections.clear();
  }
}
