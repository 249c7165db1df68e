// Kafka's ConnectionQuotas: max.connections for the broker and max.connections.per.ip for one
// client address (both unlimited by default, as in Kafka). A connection over a limit is closed
// at once with one logged line; the client sees its connection closed and reconnects later.
// A limit may be given as a function, read at each connection (a dynamic broker config).
import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';

export class ConnectionQuotas {
  private total = 0;
  private readonly perIp = new Map<string, number>();
  /** Admitted sockets and their address (a closed socket no longer reports it). */
  private readonly admitted = new WeakMap<Socket, string>();

  constructor(
    private readonly maxConnectionsOf: number | (() => number),
    private readonly maxPerIpOf: number | (() => number),
    private readonly log: Logger,
  ) {}

  private get maxConnections(): number {
    return typeof this.maxConnectionsOf === 'number' ? this.maxConnectionsOf : this.maxConnectionsOf();
  }

  private get maxPerIp(): number {
    return typeof this.maxPerIpOf === 'number' ? this.maxPerIpOf : this.maxPerIpOf();
  }

  /** Count the socket in, or close it and return false when a limit is reached. */
  admit(socket: Socket): boolean {
    const ip = socket.remoteAddress ?? 'unknown';
    const fromIp = this.perIp.get(ip) ?? 0;
    let refusal: string | null = null;
    if (fromIp >= this.maxPerIp) refusal = `max.connections.per.ip (${this.maxPerIp}) reached for ${ip}`;
    else if (this.total >= this.maxConnections) refusal = `max.connections (${this.maxConnections}) reached`;
    if (refusal) {
      this.log.warn(`refusing a connection from ${ip}:${socket.remotePort}: ${refusal}`);
      socket.on('error', () => {});
      socket.destroy();
      return false;
    }
    this.admitted.set(socket, ip);
    this.total++;
    this.perIp.set(ip, fromIp + 1);
    return true;
  }

  /** The socket closed (counted once, however often it is called). */
  release(socket: Socket): void {
    const ip = this.admitted.get(socket);
    if (ip === undefined) return;
    this.admitted.delete(socket);
    this.total--;
    const n = (this.perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, n);
  }

  get count(): number {
    return this.total;
  }
}
