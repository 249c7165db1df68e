// One client TCP connection: length-prefixed frames in, responses out in request order.
//
// Frames are `int32 size` + `size` bytes. A size below the smallest header or above
// `socket.request.max.bytes` closes the connection with one logged line, as Kafka does, but
// only after every earlier request has been answered (a client's acknowledged Produce must
// not look lost and be retried because a later frame was bad).
//
// Requests are handed to the dispatcher one by one in arrival order (so appends happen in
// arrival order), may complete out of order, and are answered strictly in arrival order.
// Memory per connection is bounded whatever the client does: reading stops while the requests
// read but not answered exceed `queued.max.request.bytes` or `queued.max.requests`, or while
// the answers not yet taken by the peer (waiting for their turn, or in the socket's write
// buffer) exceed `maxPendingResponseBytes`; it resumes on 'drain'. Requests read while over
// the response bound wait undispatched. Across connections, every announced frame reserves its
// size in the broker's MemoryPool (queued.max.request.bytes) until it is answered; while the pool
// is exhausted the connection reads nothing. A connection that sends nothing (also one that
// stalls mid-frame) and has nothing in progress for `connections.max.idle.ms` is closed.
import { setMaxListeners } from 'node:events';
import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';
import { contain, guarded } from '../util/CrashBoundary.js';
import { FrameDecoder } from './FrameDecoder.js';
import { MemoryPool, UNBOUNDED_POOL } from './MemoryPool.js';

/** What the dispatcher returns for one request frame. */
export type Reply =
  | { kind: 'response'; chunks: Buffer[]; /** Close once this answer is written (a failed SASL authentication). */ thenClose?: string }
  | { kind: 'none' } // acks=0 produce: nothing is sent
  | { kind: 'close'; reason: string }; // drop the connection (fault injection, undecodable request)

export interface FrameHandler {
  /** Handle one request frame (without its size prefix). */
  handleFrame(frame: Buffer, conn: Connection): Reply | Promise<Reply>;
}

export interface ConnectionLimits {
  /** socket.request.max.bytes: the largest frame accepted. */
  maxRequestBytes: number;
  /** queued.max.request.bytes (per connection): request bytes read but not yet answered. */
  maxQueuedRequestBytes?: number;
  /** queued.max.requests (per connection): requests read but not yet answered. */
  maxQueuedRequests?: number;
  /** Answers not yet taken by the peer (waiting for their turn or in the write buffer). */
  maxPendingResponseBytes?: number;
  /** Requests handed to the dispatcher and not yet complete. */
  maxInFlight?: number;
  /** connections.max.idle.ms: close a connection silent this long (0 or less: never). */
  idleMs?: number;
  /** The broker-wide budget for request bytes (queued.max.request.bytes). */
  pool?: MemoryPool;
}

/** A broker's connection limits from its config (a KafkaConfig: network/ does not import common/). */
export function connectionLimits(config: { int(name: string): number }, pool: MemoryPool): ConnectionLimits {
  return {
    pool,
    idleMs: config.int('connections.max.idle.ms'),
    maxRequestBytes: config.int('socket.request.max.bytes'),
    maxQueuedRequestBytes: config.int('queued.max.request.bytes') < 0 ? Infinity : config.int('queued.max.request.bytes'),
    maxQueuedRequests: config.int('queued.max.requests'),
  };
}

const EMPTY = Buffer.alloc(0);
const MIN_FRAME = 8; // api key + version + correlation id
/** How long a closing connection may take to flush its last answers to a peer. */
const CLOSE_GRACE_MS = 5000;
export const DEFAULT_MAX_PENDING_RESPONSE_BYTES = 16 * 1024 * 1024;
const DEFAULT_MAX_QUEUED_REQUESTS = 500;
const DEFAULT_MAX_IN_FLIGHT = 64;

interface Slot {
  reply: Reply | undefined;
  /** The request's frame size, counted until it is answered. */
  requestBytes: number;
  /** Bytes of the answer while it waits for earlier answers. */
  responseBytes: number;
  /** Answer bytes the handler reserved (reserveResponseBytes) until it completes. */
  reservedBytes: number;
}

export class Connection {
  readonly id: string;
  /**
   * Who is on the other end, as Kafka's KafkaPrincipal string ("User:ANONYMOUS" until a TLS
   * certificate or SASL authentication says otherwise); what the authorizer checks.
   */
  principal = 'User:ANONYMOUS';
  /** The listener this connection came in through (Kafka's listener name) and its security protocol. */
  listenerName = 'PLAINTEXT';
  securityProtocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL' = 'PLAINTEXT';
  private readonly frames: FrameDecoder;
  private readonly limits: Required<ConnectionLimits>;
  /** Requests read, not yet handed to the dispatcher. */
  private inbox: (Buffer | { close: string })[] = [];
  /** Requests handed to the dispatcher, in arrival order, until their answer is written. */
  private queue: Slot[] = [];
  private inFlight = 0;
  private queuedRequestBytes = 0;
  private waitingResponseBytes = 0;
  private reservedResponseBytes = 0;
  /** The request whose handler is running synchronously (for reserveResponseBytes). */
  private current: Slot | null = null;
  private closed = false;
  /** No more requests are read (a bad frame, or a close reply): answer what is queued, then close. */
  private closing = false;
  private readPaused = false;
  /** Quota throttles in effect (Kafka's channel mute): nothing is read or dispatched meanwhile. */
  private throttles = 0;
  private pumping = false;
  private readonly closeController = new AbortController();
  private readonly pool: MemoryPool;
  /** Cancels the wait for pool memory, while the decoder is blocked. */
  private cancelPoolWait: (() => void) | null = null;

  constructor(
    readonly socket: Socket,
    private readonly handler: FrameHandler,
    limits: number | ConnectionLimits,
    private readonly log: Logger,
    private readonly onClose: (c: Connection) => void,
  ) {
    const l = typeof limits === 'number' ? { maxRequestBytes: limits } : limits;
    this.limits = {
      maxRequestBytes: l.maxRequestBytes,
      maxQueuedRequestBytes: l.maxQueuedRequestBytes ?? Infinity,
      maxQueuedRequests: l.maxQueuedRequests ?? DEFAULT_MAX_QUEUED_REQUESTS,
      maxPendingResponseBytes: l.maxPendingResponseBytes ?? DEFAULT_MAX_PENDING_RESPONSE_BYTES,
      maxInFlight: l.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
      idleMs: l.idleMs ?? 0,
      pool: l.pool ?? UNBOUNDED_POOL,
    };
    this.pool = this.limits.pool;
    this.id = `${socket.remoteAddress}:${socket.remotePort}`;
    this.frames = new FrameDecoder(MIN_FRAME, this.limits.maxRequestBytes, (n) => this.pool.tryReserve(n));
    setMaxListeners(0, this.closeController.signal); // one listener per parked request
    socket.setNoDelay(true);
    // A bug in here closes this connection, never the process.
    const fail = (err: unknown) => this.socket.destroy(err instanceof Error ? err : new Error(String(err)));
    socket.on('data', guarded(this.log, `connection ${this.id} read`, (d: Buffer) => this.onData(d), fail));
    socket.on('drain', guarded(this.log, `connection ${this.id} drain`, () => this.pump(), fail));
    socket.on('error', (e) => this.log.debug(`connection ${this.id} error: ${e.message}`));
    if (this.limits.idleMs > 0 && Number.isFinite(this.limits.idleMs)) {
      socket.setTimeout(this.limits.idleMs);
      socket.on('timeout', guarded(this.log, `connection ${this.id} idle check`, () => this.onIdle(), fail));
    }
    socket.on('close', () => {
      this.closed = true;
      this.closing = true;
      this.dropInbox();
      this.releaseDecoder();
      this.closeController.abort();
      this.onClose(this);
    });
  }

  /** Aborts when the socket has closed (parked requests give up then). */
  get closeSignal(): AbortSignal {
    return this.closeController.signal;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Answer bytes the peer has not taken yet: waiting for their turn plus the socket's write buffer. */
  get pendingResponseBytes(): number {
    return this.waitingResponseBytes + this.socket.writableLength;
  }

  /**
   * For a handler whose answer size it chooses (Fetch): how many of `wanted` bytes the connection
   * can still take (at least 0), reserved until the request completes. Several pipelined Fetch
   * requests in flight together thus share the pending-response bound instead of each taking it.
   */
  reserveResponseBytes(wanted: number): number {
    const slot = this.current;
    if (!slot) return wanted;
    const free = Math.max(0, this.limits.maxPendingResponseBytes - this.pendingResponseBytes - this.reservedResponseBytes);
    const granted = Math.min(wanted, free);
    slot.reservedBytes += granted;
    this.reservedResponseBytes += granted;
    return granted;
  }

  /**
   * Kafka's throttled channel mute (KIP-219): read and dispatch nothing more until every
   * `throttle()` has had its `unthrottle()`; answers already under way are still written.
   */
  throttle(): void {
    this.throttles++;
    this.updateReading();
  }

  unthrottle(): void {
    if (this.throttles === 0) return;
    this.throttles--;
    if (this.throttles === 0) this.pump();
  }

  /** Bytes of the requests read and not yet answered. */
  get pendingRequestBytes(): number {
    return this.queuedRequestBytes;
  }

  /** Whether reading from the socket is paused by a bound. */
  get isReadPaused(): boolean {
    return this.readPaused;
  }

  /** Close now: whatever was written is flushed (end), then the socket is destroyed. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    this.dropInbox();
    this.log.warn(`closing connection ${this.id}: ${reason}`);
    this.socket.uncork();
    // end() sends what is written, then FIN; a peer that never reads must not hold the socket.
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    t.unref();
    this.socket.once('close', () => clearTimeout(t));
  }

  /** Stop reading; close once every request read before this point is answered. */
  private closeAfterPending(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.updateReading();
    this.inbox.push({ close: reason });
    this.pump();
  }

  private onData(data: Buffer): void {
    if (this.closing) return;
    const problem = this.frames.push(data, (frame) => {
      this.inbox.push(frame);
      this.queuedRequestBytes += frame.length;
      return true;
    });
    if (problem) {
      this.closeAfterPending(problem.replace('the limit of', 'socket.request.max.bytes'));
      return;
    }
    if (this.frames.blocked && !this.cancelPoolWait) {
      // The pool is exhausted: read nothing more until memory is given back.
      this.cancelPoolWait = this.pool.whenAvailable(() => {
        this.cancelPoolWait = null;
        contain(this.log, `connection ${this.id} read`, () => this.onData(EMPTY), () => this.socket.destroy());
      });
    }
    this.pump();
  }

  /** No traffic for connections.max.idle.ms. */
  private onIdle(): void {
    if (this.closed) return;
    const midFrame = this.frames.heldBytes > 0 || this.frames.reservedBytes > 0;
    if (!midFrame && this.inFlight > 0 && this.socket.writableLength === 0) {
      this.socket.setTimeout(this.limits.idleMs); // our own work in progress (a parked fetch)
      return;
    }
    this.socket.destroy();
    this.log.info(`closed connection ${this.id}: ${midFrame ? 'stalled mid-frame' : 'idle'} for connections.max.idle.ms (${this.limits.idleMs} ms)`);
  }

  /** Give back what the decoder holds (the connection is gone). */
  private releaseDecoder(): void {
    this.cancelPoolWait?.();
    this.cancelPoolWait = null;
    this.pool.release(this.frames.reservedBytes);
    this.frames.reset();
  }

  /** Hand queued requests to the dispatcher while the bounds allow, then pause or resume reading. */
  private pump(): void {
    if (this.pumping) return; // a synchronous answer completing inside the loop below
    this.pumping = true;
    try {
      this.dispatchQueued();
    } finally {
      this.pumping = false;
    }
    this.updateReading();
  }

  private dispatchQueued(): void {
    while (
      this.inbox.length > 0 &&
      !this.closed &&
      this.throttles === 0 &&
      this.inFlight < this.limits.maxInFlight &&
      this.pendingResponseBytes < this.limits.maxPendingResponseBytes
    ) {
      const item = this.inbox.shift()!;
      if (Buffer.isBuffer(item)) {
        this.dispatch(item);
      } else {
        const slot: Slot = { reply: undefined, requestBytes: 0, responseBytes: 0, reservedBytes: 0 };
        this.queue.push(slot);
        this.complete(slot, { kind: 'close', reason: item.close });
      }
    }
  }

  /** Forget the requests not yet dispatched (the connection is closing). */
  private dropInbox(): void {
    for (const item of this.inbox) {
      if (!Buffer.isBuffer(item)) continue;
      this.queuedRequestBytes -= item.length;
      this.pool.release(item.length);
    }
    this.inbox = [];
  }

  private updateReading(): void {
    if (this.closed) return;
    const l = this.limits;
    const over =
      this.closing ||
      this.throttles > 0 ||
      this.frames.blocked ||
      this.queuedRequestBytes >= l.maxQueuedRequestBytes ||
      this.inbox.length + this.queue.length >= l.maxQueuedRequests ||
      this.pendingResponseBytes >= l.maxPendingResponseBytes;
    if (over && !this.readPaused) {
      this.readPaused = true;
      this.socket.pause();
    } else if (!over && this.readPaused) {
      this.readPaused = false;
      this.socket.resume();
    }
  }

  private dispatch(frame: Buffer): void {
    const slot: Slot = { reply: undefined, requestBytes: frame.length, responseBytes: 0, reservedBytes: 0 };
    this.queue.push(slot);
    this.inFlight++;
    let result: Reply | Promise<Reply>;
    this.current = slot;
    try {
      result = this.handler.handleFrame(frame, this);
    } catch (err) {
      result = { kind: 'close', reason: `handler failed: ${(err as Error).message}` };
    } finally {
      this.current = null;
    }
    if (result instanceof Promise) {
      const settle = (r: Reply) => contain(this.log, `connection ${this.id} answer`, () => this.complete(slot, r), () => this.socket.destroy());
      result.then(settle, (err: Error) => settle({ kind: 'close', reason: `handler failed: ${err.message}` }));
    } else {
      if (result.kind === 'close' && !this.closing) {
        // Later frames of the same write are not served (Kafka reads no further either).
        this.closing = true;
        this.dropInbox();
      }
      this.complete(slot, result);
    }
  }

  private complete(slot: Slot, reply: Reply): void {
    slot.reply = reply;
    if (slot.requestBytes > 0) {
      this.inFlight--;
      this.queuedRequestBytes -= slot.requestBytes;
      this.pool.release(slot.requestBytes);
      slot.requestBytes = 0;
    }
    this.reservedResponseBytes -= slot.reservedBytes;
    slot.reservedBytes = 0;
    if (reply.kind === 'response') {
      slot.responseBytes = reply.chunks.reduce((n, c) => n + c.length, 0);
      this.waitingResponseBytes += slot.responseBytes;
    }
    if (this.queue[0] === slot) this.writeReady();
    this.pump();
  }

  /** Write every answer at the head of the queue that is ready, in order. */
  private writeReady(): void {
    let corked = false;
    while (this.queue.length > 0 && this.queue[0]!.reply !== undefined && !this.closed) {
      const slot = this.queue.shift()!;
      const r = slot.reply!;
      this.waitingResponseBytes -= slot.responseBytes;
      if (r.kind === 'close') {
        if (corked) this.socket.uncork(); // earlier answers go out before the FIN
        corked = false;
        this.close(r.reason);
        break;
      }
      if (r.kind === 'none') continue;
      if (!corked) {
        this.socket.cork();
        corked = true;
      }
      for (const c of r.chunks) this.socket.write(c);
      if (r.thenClose !== undefined) {
        this.socket.uncork();
        corked = false;
        this.close(r.thenClose);
        break;
      }
    }
    if (corked) this.socket.uncork();
  }
}
