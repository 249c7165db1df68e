// A broker's own outbound Kafka-protocol connection to one node (the controller, or a leader it
// replicates from): pipelined requests, responses matched in order, per-request timeouts, lazy
// reconnects. `canReach` lets the cluster cut the link (isolate/heal) without closing sockets
// from the outside. Connecting is bounded too (Kafka's socket.connection.setup.timeout.ms, and
// the request's own timeout): a peer that accepts nothing fails the request, never hangs it.
import net from 'node:net';
import type { Logger } from '../logger.js';
import { decodeResponseHeader, encodeRequestHeader, requestHeaderVersion, responseHeaderVersion } from '../protocol/messages/index.js';
import { FrameDecoder } from './FrameDecoder.js';
import { Reader, Writer } from '../protocol/primitives.js';

export class NetworkError extends Error {}

interface Pending {
  correlationId: number;
  apiKey: number;
  version: number;
  decode: (r: Reader, v: number) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** Largest response we accept from a peer (a Fetch of many partitions stays well below). */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;
/** Kafka's socket.connection.setup.timeout.ms default. */
const CONNECT_TIMEOUT_MS = 10_000;

export interface NodeClientOptions {
  /** Give up a connection attempt after this long (default 10 s). */
  connectTimeoutMs?: number;
}

export class NodeClient {
  private socket: net.Socket | null = null;
  private connecting: Promise<net.Socket> | null = null;
  private connectingSocket: net.Socket | null = null;
  private pending: Pending[] = [];
  private readonly frames = new FrameDecoder(4, MAX_RESPONSE_BYTES);
  private nextCorrelationId = 1;
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
      this.dropConnection(new NetworkError(`${this.host}:${this.port} is unreachable (isolated)`));
      throw new NetworkError(`${this.host}:${this.port} is unreachable (isolated)`);
    }
    const socket = await this.connectWithin(timeoutMs);
    if (this.closed || this.socket !== socket) throw new NetworkError(`connection to ${this.host}:${this.port} closed`);
    const correlationId = this.nextCorrelationId++;
    const w = new Writer(256);
    const size = w.reserveInt32();
    encodeRequestHeader(w, requestHeaderVersion(apiKey, version), { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: this.clientId });
    encode(w, version, body);
    w.patchInt32(size, w.length - 4);
    return new Promise<Res>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.dropConnection(new NetworkError(`request ${apiKey} v${version} to ${this.host}:${this.port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.push({ correlationId, apiKey, version, decode, resolve: resolve as (v: unknown) => void, reject, timer });
      socket.cork();
      for (const c of w.chunks()) socket.write(c);
      socket.uncork();
    });
  }

  /** connect(), failing after timeoutMs (the attempt itself goes on for the next request). */
  private connectWithin(timeoutMs: number): Promise<net.Socket> {
    if (this.socket) return Promise.resolve(this.socket);
    return new Promise<net.Socket>((resolve, reject) => {
      const timer = setTimeout(() => reject(new NetworkError(`connecting to ${this.host}:${this.port} timed out after ${timeoutMs} ms`)), timeoutMs);
      this.connect().then(
        (s) => {
          clearTimeout(timer);
          resolve(s);
        },
        (err: Error) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  private connect(): Promise<net.Socket> {
    if (this.socket) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    const attempt: Promise<net.Socket> = new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: this.host, port: this.port });
      this.connectingSocket = s;
      s.setNoDelay(true);
      const connectTimeoutMs = this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
      const timer = setTimeout(() => {
        s.destroy();
        fail(new Error(`no connection after ${connectTimeoutMs} ms`));
      }, connectTimeoutMs);
      timer.unref();
      const fail = (err: Error) => {
        clearTimeout(timer);
        if (this.connectingSocket === s) this.connectingSocket = null;
        if (this.connecting === attempt) this.connecting = null;
        reject(new NetworkError(`cannot connect to ${this.host}:${this.port}: ${err.message}`));
      };
      s.once('error', fail);
      s.once('connect', () => {
        clearTimeout(timer);
        if (this.connectingSocket === s) this.connectingSocket = null;
        s.off('error', fail);
        if (this.closed) {
          s.destroy();
          fail(new Error('client closed'));
          return;
        }
        this.connecting = null;
        this.socket = s;
        s.on('data', (d) => {
          if (this.socket === s) this.onData(d);
        });
        s.on('error', (e) => {
          if (this.socket === s) this.dropConnection(new NetworkError(`connection to ${this.host}:${this.port} failed: ${e.message}`));
        });
        s.on('close', () => {
          if (this.socket === s) this.dropConnection(new NetworkError(`connection to ${this.host}:${this.port} closed`));
        });
        resolve(s);
      });
    });
    this.connecting = attempt;
    return attempt;
  }

  private onData(d: Buffer): void {
    const socket = this.socket;
    const problem = this.frames.push(d, (frame) => {
      this.onFrame(frame);
      return this.socket === socket;
    });
    if (problem) this.dropConnection(new NetworkError(`${problem} from ${this.host}:${this.port}`));
  }

  private onFrame(frame: Buffer): void {
    if (!this.canReach()) {
      // Cut off while the request was out: the answer is lost, like the link.
      this.dropConnection(new NetworkError(`${this.host}:${this.port} is unreachable (isolated)`));
      return;
    }
    const p = this.pending.shift();
    if (!p) {
      this.dropConnection(new NetworkError(`unexpected response from ${this.host}:${this.port}`));
      return;
    }
    clearTimeout(p.timer);
    try {
      const r = new Reader(frame);
      const header = decodeResponseHeader(r, responseHeaderVersion(p.apiKey, p.version));
      if (header.correlationId !== p.correlationId) throw new Error(`correlation id ${header.correlationId}, expected ${p.correlationId}`);
      p.resolve(p.decode(r, p.version));
    } catch (err) {
      p.reject(err as Error);
      this.dropConnection(new NetworkError(`bad response from ${this.host}:${this.port}: ${(err as Error).message}`));
    }
  }

  /** Fail everything in flight and forget the socket; the next request reconnects. */
  private dropConnection(err: Error): void {
    const s = this.socket;
    this.socket = null;
    this.frames.reset();
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    if (s) {
      if (pending.length > 0) this.log.debug(err.message);
      s.destroy();
    }
  }

  close(): void {
    this.closed = true;
    this.connectingSocket?.destroy(new NetworkError('client closed'));
    this.dropConnection(new NetworkError('client closed'));
  }
}
