// A broker's own outbound client to one node (the controller, or a leader it replicates from):
// a promise-style `request()` over KafkaConnection, the one client connection. It connects
// lazily and reconnects on the next request after a failure; `canReach` lets the cluster cut
// the link (isolate/heal) without closing sockets from the outside. Connecting is bounded by
// the connect timeout (Kafka's socket.connection.setup.timeout.ms) and by the request's own
// timeout: a peer that accepts nothing fails the request, never hangs it. No ApiVersions
// handshake: the versions are fixed by the caller, and our controller serves no ApiVersions.
import type tls from 'node:tls';
import type { Logger } from '../logger.js';
import type { Reader, Writer } from '../protocol/primitives.js';
import { NetworkError } from './errors.js';
import { KafkaConnection } from './KafkaConnection.js';

export { NetworkError } from './errors.js';

/** Kafka's socket.connection.setup.timeout.ms default. */
const CONNECT_TIMEOUT_MS = 10_000;

export interface NodeClientOptions {
  /** Give up a connection attempt after this long (default 10 s). */
  connectTimeoutMs?: number;
  /** Connect with TLS (a broker's SSL inter-broker listener). */
  tls?: tls.ConnectionOptions;
}

export class NodeClient {
  private conn: KafkaConnection | null = null;
  private closed = false;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly clientId: string,
    private readonly log: Logger,
    private readonly canReach: () => boolean = () => true,
    private readonly options: NodeClientOptions = {},
  ) {}

  async request<Req, Res>(
    apiKey: number,
    version: number,
    encode: (w: Writer, v: number, m: Req) => void,
    decode: (r: Reader, v: number) => Res,
    body: Req,
    timeoutMs: number,
  ): Promise<Res> {
    if (this.closed) throw new NetworkError('client closed');
    if (!this.canReach()) {
      const err = new NetworkError(`${this.host}:${this.port} is unreachable (isolated)`);
      this.conn?.close(err);
      throw err;
    }
    const conn = await this.connectWithin(timeoutMs);
    if (this.closed || conn.state !== 'ready') throw new NetworkError(`connection to ${this.host}:${this.port} closed`);
    return new Promise<Res>((resolve, reject) => {
      conn.sendRequest(
        apiKey,
        version,
        (w) => encode(w, version, body),
        (err, r) => {
          if (err !== null) return reject(err);
          let res: Res;
          try {
            res = decode(r!, version);
          } catch (e) {
            reject(e as Error);
            conn.close(new NetworkError(`bad response from ${this.host}:${this.port}: ${(e as Error).message}`, { cause: e }));
            return;
          }
          resolve(res);
        },
        undefined,
        256,
        timeoutMs,
      );
    });
  }

  /** The current connection (a new one when there is none), ready within timeoutMs; the attempt itself goes on for the next request. */
  private connectWithin(timeoutMs: number): Promise<KafkaConnection> {
    let conn = this.conn;
    if (conn === null || conn.state === 'closed') {
      conn = new KafkaConnection(-1, this.host, this.port, {
        clientId: this.clientId,
        requestTimeoutMs: timeoutMs,
        connectTimeoutMs: this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
        handshake: false,
        canReach: this.canReach,
        tls: this.options.tls,
      });
      const created = conn;
      created.onClose = (_c, err) => {
        if (this.conn === created) this.conn = null;
        if (!this.closed) this.log.debug(err.message);
      };
      this.conn = conn;
    }
    if (conn.state === 'ready') return Promise.resolve(conn);
    const attempt = conn;
    return new Promise<KafkaConnection>((resolve, reject) => {
      const timer = setTimeout(() => reject(new NetworkError(`connecting to ${this.host}:${this.port} timed out after ${timeoutMs} ms`)), timeoutMs);
      attempt.ready.then(
        () => {
          clearTimeout(timer);
          resolve(attempt);
        },
        (err: Error) => {
          clearTimeout(timer);
          reject(new NetworkError(`cannot connect to ${this.host}:${this.port}: ${err.message}`, { cause: err }));
        },
      );
    });
  }

  close(): void {
    this.closed = true;
    this.conn?.close(new NetworkError('client closed'));
    this.conn = null;
  }
}
