// One client TCP connection: length-prefixed frames in, responses out in request order.
//
// Frames are `int32 size` + `size` bytes. A size below the smallest header or above
// `socket.request.max.bytes` closes the connection with one logged line, as Kafka does, but
// only after every earlier request has been answered (a client's acknowledged Produce must
// not look lost and be retried because a later frame was bad).
// Requests are handed to the dispatcher as they arrive (so appends happen in arrival
// order), may complete out of order, and are answered strictly in arrival order.
import { setMaxListeners } from 'node:events';
import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';
import { FrameDecoder } from '../protocol/FrameDecoder.js';

/** What the dispatcher returns for one request frame. */
export type Reply =
  | { kind: 'response'; chunks: Buffer[] }
  | { kind: 'none' } // acks=0 produce: nothing is sent
  | { kind: 'close'; reason: string }; // drop the connection (fault injection, undecodable request)

export interface FrameHandler {
  /** Handle one request frame (without its size prefix). */
  handleFrame(frame: Buffer, conn: Connection): Reply | Promise<Reply>;
}

const MIN_FRAME = 8; // api key + version + correlation id
/** Pause reading once this many requests are waiting for their turn to be answered. */
const MAX_QUEUED = 1000;
/** How long a closing connection may take to flush its last answers to a peer. */
const CLOSE_GRACE_MS = 5000;

interface Slot {
  reply: Reply | undefined;
}

export class Connection {
  readonly id: string;
  private readonly frames: FrameDecoder;
  private queue: Slot[] = [];
  private closed = false;
  /** No more requests are read (a bad frame, or a close reply): answer what is queued, then close. */
  private closing = false;
  private paused = false;
  private readonly closeController = new AbortController();

  constructor(
    readonly socket: Socket,
    private readonly handler: FrameHandler,
    private readonly maxRequestBytes: number,
    private readonly log: Logger,
    private readonly onClose: (c: Connection) => void,
  ) {
    this.id = `${socket.remoteAddress}:${socket.remotePort}`;
    this.frames = new FrameDecoder(MIN_FRAME, maxRequestBytes);
    setMaxListeners(0, this.closeController.signal); // one listener per parked request
    socket.setNoDelay(true);
    socket.on('data', (d) => this.onData(d));
    socket.on('error', (e) => this.log.debug(`connection ${this.id} error: ${e.message}`));
    socket.on('close', () => {
      this.closed = true;
      this.closing = true;
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

  /** Close now: whatever was written is flushed (end), then the socket is destroyed. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
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
    this.socket.pause();
    const slot: Slot = { reply: undefined };
    this.queue.push(slot);
    this.complete(slot, { kind: 'close', reason });
  }

  private onData(data: Buffer): void {
    if (this.closing) return;
    const problem = this.frames.push(data, (frame) => {
      this.dispatch(frame);
      return !this.closing;
    });
    if (problem) this.closeAfterPending(problem.replace('the limit of', 'socket.request.max.bytes'));
  }

  private dispatch(frame: Buffer): void {
    const slot: Slot = { reply: undefined };
    this.queue.push(slot);
    let result: Reply | Promise<Reply>;
    try {
      result = this.handler.handleFrame(frame, this);
    } catch (err) {
      result = { kind: 'close', reason: `handler failed: ${(err as Error).message}` };
    }
    if (result instanceof Promise) {
      result.then(
        (r) => this.complete(slot, r),
        (err: Error) => this.complete(slot, { kind: 'close', reason: `handler failed: ${err.message}` }),
      );
      if (!this.paused && this.queue.length >= MAX_QUEUED) {
        this.paused = true;
        this.socket.pause();
      }
    } else {
      if (result.kind === 'close' && !this.closing) {
        // Later frames of the same write are not served (Kafka reads no further either).
        this.closing = true;
        this.socket.pause();
      }
      this.complete(slot, result);
    }
  }

  private complete(slot: Slot, reply: Reply): void {
    slot.reply = reply;
    if (this.queue[0] !== slot) return;
    let corked = false;
    while (this.queue.length > 0 && this.queue[0]!.reply !== undefined && !this.closed) {
      const r = this.queue.shift()!.reply!;
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
    }
    if (corked) this.socket.uncork();
    if (this.paused && this.queue.length < MAX_QUEUED / 2 && !this.closing) {
      this.paused = false;
      this.socket.resume();
    }
  }
}
