// One TCP connection to one Kafka node, the one client connection everything uses (producer,
// replica fetchers, the broker→controller channel, the nemesis): connect (optionally TLS)
// bounded by a connect timeout, an optional ApiVersions v3 handshake (falling back to the
// version the peer's UNSUPPORTED_VERSION answer names), then with SASL settings SaslHandshake v1
// and SaslAuthenticate v0–2 (Kafka's client order), correlation ids, pipelined requests answered in order, a
// deadline per request (one timer for all), requests written corked from Writer chunks, and an
// optional `canReach` hook that cuts the link (isolate/heal) without touching the socket from
// outside. One socket per object: once closed it stays closed (NetworkClient / NodeClient make
// a new one), so its frame decoder never sees another socket's bytes.
//
// KIP-368: when SaslAuthenticate names a session lifetime, the first request after 85–95% of it
// (Kafka's window) starts a re-authentication on the same connection, as Kafka's client does
// when it has something to send; requests made meanwhile wait and go out after it. A failed
// TLS handshake closes with SslAuthenticationError, refused credentials with SaslAuthenticationError.
import { FrameDecoder } from './FrameDecoder.js';
import net from 'node:net';
import tls from 'node:tls';
import { errorName } from '../protocol/errors.js';
import { decodeApiVersionsResponse, encodeApiVersionsRequest } from '../protocol/messages/ApiVersions.js';
import { encodeRequestHeader, requestHeaderVersion, responseHeaderVersion } from '../protocol/messages/index.js';
import { decodeSaslAuthenticateResponse, encodeSaslAuthenticateRequest } from '../protocol/messages/SaslAuthenticate.js';
import { decodeSaslHandshakeResponse, encodeSaslHandshakeRequest } from '../protocol/messages/SaslHandshake.js';
import { Reader, Writer } from '../protocol/primitives.js';
import { AuthenticationError, NetworkError, NetworkTimeoutError, SaslAuthenticationError, SslAuthenticationError, UnsupportedApiVersionError } from './errors.js';
import { createSaslClient, type SaslClient, type SaslClientConfig } from './SaslClient.js';

const API_VERSIONS = 18;
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;
const SASL_AUTHENTICATION_FAILED = 58;
const CLIENT_SOFTWARE_NAME = 'minikafka-producer';
const CLIENT_SOFTWARE_VERSION = '0.1.0';
/** Responses larger than this are refused (a Fetch of many partitions stays well below). */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

/** Gets the response body (positioned after the response header), or the error that ended the request. */
export type ResponseHandler = (error: NetworkError | null, body: Reader | null) => void;

interface InFlightRequest {
  correlationId: number;
  apiKey: number;
  apiVersion: number;
  deadline: number;
  timeoutMs: number;
  handler: ResponseHandler;
}

/** A request made while re-authenticating: written once it is done. */
interface HeldRequest {
  write: () => void;
  handler: ResponseHandler | null;
}

/** Socket error codes of a failed TLS handshake or certificate check (Node's and OpenSSL's). */
function isTlsFailure(e: NodeJS.ErrnoException): boolean {
  const code = e.code ?? '';
  return code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || /CERT|UNABLE_TO_|SIGNATURE/.test(code);
}

export type ConnectionState = 'connecting' | 'ready' | 'closed';

export interface ConnectionOptions {
  clientId: string;
  /** Default timeout of a request (sendRequest may give its own). */
  requestTimeoutMs: number;
  /** Give up when not ready (connected, and handshaken) within this (socket.connection.setup.timeout.ms). */
  connectTimeoutMs: number;
  /** Send ApiVersions first and learn the peer's versions (default true; our controller serves none). */
  handshake?: boolean;
  /** Checked before each response is taken: false cuts the link (the response is lost). */
  canReach?: () => boolean;
  /** Connect with TLS using these options (host becomes the servername unless they name one). */
  tls?: tls.ConnectionOptions;
  /** Authenticate with SASL after the ApiVersions handshake. */
  sasl?: SaslClientConfig;
}

export class KafkaConnection {
  state: ConnectionState = 'connecting';
  /** Supported versions by API key, from the handshake. */
  readonly apiVersions = new Map<number, { min: number; max: number }>();
  readonly ready: Promise<void>;
  /** Called once when the connection closes (after failing its in-flight requests). */
  onClose: ((conn: KafkaConnection, error: NetworkError) => void) | null = null;
  bytesSent = 0;
  bytesReceived = 0;

  private readonly socket: net.Socket;
  private readonly inFlight: InFlightRequest[] = [];
  private head = 0;
  private nextCorrelationId = 1;
  private readonly frames = new FrameDecoder(4, MAX_RESPONSE_BYTES);
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;
  private closeError: NetworkError | null = null;
  private readonly canReach: (() => boolean) | null;
  /** What the connection is waiting for before it is ready (for the connect timeout's message). */
  private stage = 'connection';
  /** When the next request starts a re-authentication (KIP-368), or Infinity. */
  private reauthAt = Infinity;
  /** Requests waiting for a re-authentication to finish (null: none running). */
  private held: HeldRequest[] | null = null;

  constructor(
    public nodeId: number,
    readonly host: string,
    readonly port: number,
    private readonly opts: ConnectionOptions,
  ) {
    this.canReach = opts.canReach ?? null;
    this.socket = opts.tls ? tls.connect({ servername: net.isIP(host) ? undefined : host, ...opts.tls, host, port }) : net.connect({ host, port });
    this.socket.setNoDelay(true);
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', (e) => {
      const message = `Connection to node ${this.nodeId} (${host}:${port}) failed: ${e.message}`;
      // In TLS 1.3 the broker refuses a client certificate after the client's side of the handshake: that is still before ready.
      const tlsFailure = opts.tls !== undefined && this.state !== 'ready' && isTlsFailure(e);
      this.close(tlsFailure ? new SslAuthenticationError(`SSL handshake failed: ${message}`, { cause: e }) : new NetworkError(message, { cause: e }));
    });
    this.socket.on('close', () => this.close(new NetworkError(`Connection to node ${this.nodeId} (${host}:${port}) was closed`)));
    let connected = false;
    const connectTimer = setTimeout(
      () =>
        this.close(
          new NetworkTimeoutError(
            connected
              ? `Connection to node ${this.nodeId} (${host}:${port}) not ready after ${opts.connectTimeoutMs} ms (socket.connection.setup.timeout.ms): no ${this.stage} answer`
              : `Connection to node ${this.nodeId} (${host}:${port}): no ${this.stage} after ${opts.connectTimeoutMs} ms (socket.connection.setup.timeout.ms)`,
          ),
        ),
      opts.connectTimeoutMs,
    );
    connectTimer.unref();
    if (opts.tls) this.socket.once('connect', () => (this.stage = 'TLS handshake'));
    this.ready = new Promise<void>((resolve, reject) => {
      const done = (err: NetworkError | null) => {
        clearTimeout(connectTimer);
        if (err) {
          reject(err);
          this.close(err);
          return;
        }
        this.state = 'ready';
        resolve();
      };
      this.socket.once(opts.tls ? 'secureConnect' : 'connect', () => {
        connected = true;
        const sasl = opts.sasl;
        const authenticate = () => (sasl ? this.authenticate(sasl, done) : done(null));
        if (opts.handshake === false) return authenticate();
        this.stage = 'ApiVersions';
        this.handshake(3, (err) => (err ? done(err) : authenticate()));
      });
      this.onCloseInternal = (err) => {
        clearTimeout(connectTimer);
        reject(err);
      };
    });
    this.ready.catch(() => {});
  }

  private onCloseInternal: ((err: NetworkError) => void) | null = null;

  get inFlightCount(): number {
    return this.inFlight.length - this.head + (this.held === null ? 0 : this.held.length);
  }

  get isReady(): boolean {
    return this.state === 'ready';
  }

  /** The highest version both sides support, or -1. */
  version(apiKey: number, min: number, max: number): number {
    const r = this.apiVersions.get(apiKey);
    if (!r) return -1;
    const v = Math.min(max, r.max);
    return v >= Math.max(min, r.min) ? v : -1;
  }

  private handshake(version: number, done: (err: NetworkError | null) => void): void {
    this.write(
      API_VERSIONS,
      version,
      (w) => encodeApiVersionsRequest(w, version, { clientSoftwareName: CLIENT_SOFTWARE_NAME, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION }),
      (err, r) => {
        if (err) return done(err);
        const body = r!;
        const errorCode = body.buf.readInt16BE(body.offset);
        // An UNSUPPORTED_VERSION answer is v0-shaped and lists the ApiVersions versions the broker serves.
        let res;
        try {
          res = decodeApiVersionsResponse(body, errorCode === 35 ? 0 : version);
        } catch (e) {
          return done(new NetworkError(`Malformed ApiVersions v${version} response from node ${this.nodeId}: ${(e as Error).message}`));
        }
        if (res.errorCode === 35) {
          const own = res.apiKeys.find((k) => k.apiKey === API_VERSIONS);
          const next = own ? Math.min(own.maxVersion, version - 1) : version - 1;
          if (next < 0 || next >= version) return done(new UnsupportedApiVersionError(`Node ${this.nodeId} supports no ApiVersions version this client can send`));
          return this.handshake(next, done);
        }
        if (res.errorCode !== 0) return done(new UnsupportedApiVersionError(`ApiVersions v${version} to node ${this.nodeId} failed with error code ${res.errorCode}`));
        for (const k of res.apiKeys) this.apiVersions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
        done(null);
      },
    );
  }

  /** SaslHandshake v1, then SaslAuthenticate rounds until the mechanism is complete (first time and re-authentication). */
  private authenticate(sasl: SaslClientConfig, done: (err: NetworkError | null) => void): void {
    this.stage = 'SASL authentication';
    const known = this.apiVersions.size > 0;
    const handshakeVersion = known ? this.version(SASL_HANDSHAKE, 1, 1) : 1;
    const version = known ? this.version(SASL_AUTHENTICATE, 0, 2) : 1;
    if (handshakeVersion < 0 || version < 0) return done(new UnsupportedApiVersionError(`Node ${this.nodeId} serves no SaslHandshake v1 / SaslAuthenticate v0-2, which SASL needs`));
    let client: SaslClient;
    try {
      client = createSaslClient(sasl);
    } catch (e) {
      return done(new SaslAuthenticationError(`Cannot start SASL ${sasl.mechanism}: ${(e as Error).message}`, { cause: e }));
    }
    const mechanism = sasl.mechanism;
    const step = (token: Buffer) =>
      this.write(
        SASL_AUTHENTICATE,
        version,
        (w) => encodeSaslAuthenticateRequest(w, version, { authBytes: token }),
        (err, r) => {
          if (err) return done(err);
          let res;
          try {
            res = decodeSaslAuthenticateResponse(r!, version);
          } catch (e) {
            return done(new NetworkError(`Malformed SaslAuthenticate response from node ${this.nodeId}: ${(e as Error).message}`));
          }
          if (res.errorCode !== 0) {
            const message = res.errorMessage ?? `${errorName(res.errorCode)} (${res.errorCode})`;
            return done(res.errorCode === SASL_AUTHENTICATION_FAILED ? new SaslAuthenticationError(message) : new AuthenticationError(`SASL ${mechanism} with node ${this.nodeId}: ${message}`));
          }
          let next: Buffer;
          try {
            next = client.evaluate(res.authBytes);
          } catch (e) {
            return done(new SaslAuthenticationError(`An error: (${(e as Error).message}) occurred when evaluating SASL token received from the Kafka Broker. Kafka Client will go to AUTHENTICATION_FAILED state.`, { cause: e }));
          }
          if (!client.complete) return step(next);
          // Kafka's window: re-authenticate after 85-95% of the session lifetime.
          const lifetime = Number(res.sessionLifetimeMs);
          this.reauthAt = lifetime > 0 ? Date.now() + Math.floor(lifetime * (0.85 + Math.random() * 0.1)) : Infinity;
          done(null);
        },
      );
    this.write(
      SASL_HANDSHAKE,
      handshakeVersion,
      (w) => encodeSaslHandshakeRequest(w, handshakeVersion, { mechanism }),
      (err, r) => {
        if (err) return done(err);
        let res;
        try {
          res = decodeSaslHandshakeResponse(r!, handshakeVersion);
        } catch (e) {
          return done(new NetworkError(`Malformed SaslHandshake response from node ${this.nodeId}: ${(e as Error).message}`));
        }
        if (res.errorCode === 33) return done(new AuthenticationError(`Client SASL mechanism '${mechanism}' not enabled in the server, enabled mechanisms are [${res.mechanisms.join(', ')}]`));
        if (res.errorCode !== 0) return done(new AuthenticationError(`SaslHandshake for ${mechanism} to node ${this.nodeId} failed: ${errorName(res.errorCode)} (${res.errorCode})`));
        let first: Buffer;
        try {
          first = client.evaluate(null);
        } catch (e) {
          return done(new SaslAuthenticationError(`Cannot start SASL ${mechanism}: ${(e as Error).message}`, { cause: e }));
        }
        step(first);
      },
    );
  }

  /** KIP-368: re-authenticate now; requests made meanwhile are held and written after it (a failure closes the connection). */
  private reauthenticate(): void {
    this.held = [];
    this.reauthAt = Infinity;
    this.authenticate(this.opts.sasl!, (err) => {
      if (err) return this.close(err);
      const held = this.held ?? [];
      this.held = null;
      for (const h of held) if (this.state !== 'closed') h.write();
    });
  }

  /**
   * Write one request. `handler` null means the broker sends no response (Produce acks=0):
   * `onWritten` is then called once the bytes are handed to the socket. No answer within
   * `timeoutMs` (default requestTimeoutMs) closes the connection, failing all in flight.
   */
  sendRequest(
    apiKey: number,
    apiVersion: number,
    body: (w: Writer) => void,
    handler: ResponseHandler | null,
    onWritten?: () => void,
    sizeHint = 256,
    timeoutMs = this.opts.requestTimeoutMs,
  ): void {
    if (this.held === null && this.reauthAt <= Date.now() && this.state === 'ready') this.reauthenticate();
    if (this.held !== null) {
      this.held.push({ write: () => this.write(apiKey, apiVersion, body, handler, onWritten, sizeHint, timeoutMs), handler });
      return;
    }
    this.write(apiKey, apiVersion, body, handler, onWritten, sizeHint, timeoutMs);
  }

  private write(
    apiKey: number,
    apiVersion: number,
    body: (w: Writer) => void,
    handler: ResponseHandler | null,
    onWritten?: () => void,
    sizeHint = 256,
    timeoutMs = this.opts.requestTimeoutMs,
  ): void {
    if (this.state === 'closed') {
      const err = this.closeError ?? new NetworkError(`Connection to node ${this.nodeId} is closed`);
      if (handler) handler(err, null);
      return;
    }
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = correlationId === 0x7fffffff ? 1 : correlationId + 1;
    const w = new Writer(sizeHint);
    const size = w.reserveInt32();
    encodeRequestHeader(w, requestHeaderVersion(apiKey, apiVersion), { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId: this.opts.clientId });
    body(w);
    w.patchInt32(size, w.length - 4);
    const chunks = w.chunks();
    if (handler !== null) {
      const deadline = Date.now() + timeoutMs;
      this.inFlight.push({ correlationId, apiKey, apiVersion, deadline, timeoutMs, handler });
      this.armTimer(deadline);
    }
    const s = this.socket;
    this.bytesSent += w.length;
    if (chunks.length === 1) {
      s.write(chunks[0]!, onWritten ? () => onWritten() : undefined);
    } else {
      s.cork();
      for (let i = 0; i < chunks.length - 1; i++) s.write(chunks[i]!);
      s.write(chunks[chunks.length - 1]!, onWritten ? () => onWritten() : undefined);
      s.uncork();
    }
  }

  private armTimer(deadline: number): void {
    if (this.timer !== null && this.timerAt <= deadline) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = deadline;
    this.timer = setTimeout(() => this.onTimer(), Math.max(deadline - Date.now(), 0) + 1);
    this.timer.unref();
  }

  private onTimer(): void {
    this.timer = null;
    if (this.state === 'closed' || this.inFlightCount === 0) return;
    // Requests may carry different timeouts: the earliest deadline is not always the oldest's.
    const now = Date.now();
    let next = this.inFlight[this.head]!;
    for (let i = this.head; i < this.inFlight.length; i++) {
      const req = this.inFlight[i]!;
      if (req.deadline < next.deadline) next = req;
    }
    if (next.deadline <= now) {
      this.close(
        new NetworkTimeoutError(
          `Disconnecting from node ${this.nodeId} (${this.host}:${this.port}) due to request timeout: API ${next.apiKey} v${next.apiVersion} timed out after ${next.timeoutMs} ms (request.timeout.ms)`,
        ),
      );
      return;
    }
    this.armTimer(next.deadline);
  }

  private onData(data: Buffer): void {
    if (this.state === 'closed') return;
    this.bytesReceived += data.length;
    const problem = this.frames.push(data, (frame) => {
      this.onFrame(frame);
      return this.state !== 'closed';
    });
    if (problem) this.close(new NetworkError(`${problem} from node ${this.nodeId}`));
  }

  private onFrame(frame: Buffer): void {
    if (this.canReach !== null && !this.canReach()) {
      // Cut off while the request was out: the answer is lost, like the link.
      this.close(new NetworkError(`${this.host}:${this.port} is unreachable (isolated)`));
      return;
    }
    if (this.inFlightCount === 0) {
      this.close(new NetworkError(`Unexpected response from node ${this.nodeId} (no request in flight)`));
      return;
    }
    const req = this.inFlight[this.head]!;
    this.inFlight[this.head] = undefined as unknown as InFlightRequest;
    this.head++;
    if (this.head > 64 && this.head * 2 > this.inFlight.length) {
      this.inFlight.splice(0, this.head);
      this.head = 0;
    }
    const correlationId = frame.readInt32BE(0);
    if (correlationId !== req.correlationId) {
      const err = new NetworkError(`Correlation id ${correlationId} from node ${this.nodeId} does not match the request's ${req.correlationId}`);
      req.handler(err, null);
      this.close(err);
      return;
    }
    const r = new Reader(frame, 4);
    try {
      if (responseHeaderVersion(req.apiKey, req.apiVersion) === 1) r.skipTaggedFields();
    } catch {
      const err = new NetworkError(`Malformed response header from node ${this.nodeId}`);
      req.handler(err, null);
      this.close(err);
      return;
    }
    try {
      req.handler(null, r);
    } catch (err) {
      // A bug in a response handler must not take the socket's 'data' event (and the process) down.
      process.emitWarning(`minikafka client: response handler for API ${req.apiKey} failed: ${(err as Error)?.stack ?? String(err)}`);
    }
  }

  /** Close and fail every in-flight request with `error` (retriable for the Sender). */
  close(error: NetworkError = new NetworkError(`Connection to node ${this.nodeId} closed by the client`)): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeError = error;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.socket.destroy();
    // Called from inside the frame callback too: the rest of that chunk is dropped with the socket.
    this.frames.reset();
    const failed = this.inFlight.slice(this.head);
    this.inFlight.length = 0;
    this.head = 0;
    const held = this.held ?? [];
    this.held = null;
    this.onCloseInternal?.(error);
    for (const req of failed) req.handler(error, null);
    for (const h of held) h.handler?.(error, null);
    this.onClose?.(this, error);
  }
}
