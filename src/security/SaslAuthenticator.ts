// The SASL gate of a SASL_PLAINTEXT or SASL_SSL listener (Kafka's SaslServerAuthenticator),
// in front of the broker's request dispatcher:
//
// - Before authentication only ApiVersions, SaslHandshake (v0–1) and then SaslAuthenticate
//   (v0–2) are served; any other request closes the connection, as Kafka's
//   IllegalSaslStateException does. A mechanism not enabled is answered
//   UNSUPPORTED_SASL_MECHANISM (with the enabled list), then closed.
// - A failed SaslAuthenticate is answered SASL_AUTHENTICATION_FAILED with the reason, then closed.
// - KIP-368: a successful SaslAuthenticate (v1+) names the session lifetime: the smaller of
//   `connections.max.reauth.ms` (when > 0) and the time until the credential expires (an
//   OAUTHBEARER token's exp); 0 when neither applies (the session never expires). A client
//   re-authenticates with SaslHandshake + SaslAuthenticate on the same connection, with the same
//   mechanism (else its SaslAuthenticate fails) and principal; a request other than those
//   arriving after the session expired closes the connection.
// - After a v0 SaslHandshake (clients before Kafka 1.0) the tokens that follow are raw:
//   size-prefixed SASL tokens without a request header, answered the same way; a failure there
//   just closes the connection, as Kafka does. (A raw token under 8 bytes is refused by the
//   connection's frame bounds, like any frame that small.)
import type { Logger } from '../logger.js';
import { ErrorCode, errorName } from '../protocol/errors.js';
import { decodeRequestHeader, encodeResponseHeader } from '../protocol/messages/index.js';
import {
  decodeSaslAuthenticateRequest,
  encodeSaslAuthenticateResponse,
  SaslAuthenticateApi,
  type SaslAuthenticateResponse,
} from '../protocol/messages/SaslAuthenticate.js';
import { decodeSaslHandshakeRequest, encodeSaslHandshakeResponse, SaslHandshakeApi } from '../protocol/messages/SaslHandshake.js';
import { Reader, Writer } from '../protocol/primitives.js';
import type { Connection, FrameHandler, Reply } from '../network/Connection.js';
import { OAuthBearerSaslServer } from './OAuthBearerSaslServer.js';
import { PlainSaslServer } from './PlainSaslServer.js';
import { SaslAuthenticationError, SaslCredentialError, type CredentialStore, type SaslServer, type ScramMechanism } from './SaslServer.js';
import { ScramSaslServer } from './ScramSaslServer.js';

const API_VERSIONS_KEY = 18;

export interface SaslSettings {
  listener: string;
  /** sasl.enabled.mechanisms for this listener. */
  mechanisms: string[];
  /** connections.max.reauth.ms (0: sessions do not expire). */
  maxReauthMs: number;
  credentials: CredentialStore;
  /** Wall clock, ms (session expiry, token expiry). */
  now: () => number;
}

interface Session {
  state: 'handshake' | 'authenticate' | 'authenticated';
  server: SaslServer | null;
  /** Set once authenticated: what re-authentication must keep. */
  principal: string | null;
  mechanism: string | null;
  /** When the session expires (ms), or Infinity. */
  expiresAtMs: number;
  reauthenticating: boolean;
  /** ApiVersions is answered once, before the handshake. */
  versionsAnswered: boolean;
  /** Re-authentication asked for another mechanism: its SaslAuthenticate fails with this. */
  badMechanism: string | null;
  /** After a v0 handshake: the next frames are raw SASL tokens. */
  raw: boolean;
}

export class SaslAuthenticator implements FrameHandler {
  private readonly sessions = new WeakMap<Connection, Session>();

  constructor(
    private readonly inner: FrameHandler,
    private readonly settings: SaslSettings,
    private readonly log: Logger,
  ) {}

  /** Whether a connection has authenticated (and its session has not expired). */
  isAuthenticated(conn: Connection): boolean {
    const s = this.sessions.get(conn);
    return !!s && s.principal !== null && s.expiresAtMs > this.settings.now();
  }

  handleFrame(frame: Buffer, conn: Connection): Reply | Promise<Reply> {
    let s = this.sessions.get(conn);
    if (!s) {
      s = { state: 'handshake', server: null, principal: null, mechanism: null, expiresAtMs: Infinity, reauthenticating: false, versionsAnswered: false, badMechanism: null, raw: false };
      this.sessions.set(conn, s);
    }
    if (s.raw) return this.onRawToken(frame, conn, s);
    const apiKey = frame.readInt16BE(0);
    if (apiKey === SaslHandshakeApi.key) return this.onHandshake(frame, conn, s);
    if (apiKey === SaslAuthenticateApi.key) return this.onAuthenticate(frame, conn, s);
    if (s.principal === null) {
      if (apiKey === API_VERSIONS_KEY && s.state === 'handshake' && !s.versionsAnswered) {
        s.versionsAnswered = true;
        return this.inner.handleFrame(frame, conn);
      }
      return { kind: 'close', reason: `unexpected request (API key ${apiKey}) before SASL authentication on listener ${this.settings.listener}` };
    }
    if (this.settings.now() >= s.expiresAtMs) {
      return { kind: 'close', reason: `SASL session of ${s.principal} expired (connections.max.reauth.ms or the credential's lifetime) and was not renewed by re-authentication` };
    }
    return this.inner.handleFrame(frame, conn);
  }

  private onHandshake(frame: Buffer, conn: Connection, s: Session): Reply {
    const version = frame.readInt16BE(2);
    if (version < SaslHandshakeApi.minVersion || version > SaslHandshakeApi.maxVersion) {
      return { kind: 'close', reason: `unsupported SaslHandshake version ${version}` };
    }
    const reauth = s.state === 'authenticated';
    if (s.state === 'authenticate' || (reauth && s.reauthenticating)) return { kind: 'close', reason: 'unexpected SaslHandshake during SASL authentication' };
    if (reauth && version < 1) return { kind: 'close', reason: 'SASL re-authentication needs SaslHandshake v1' };
    const r = new Reader(frame);
    let correlationId: number;
    let mechanism: string;
    try {
      correlationId = decodeRequestHeader(r, 1).correlationId;
      mechanism = decodeSaslHandshakeRequest(r, version).mechanism;
    } catch (err) {
      return { kind: 'close', reason: `malformed SaslHandshake: ${(err as Error).message}` };
    }
    const enabled = this.settings.mechanisms;
    const answer = (errorCode: number) => this.encode((w) => encodeSaslHandshakeResponse(w, version, { errorCode, mechanisms: enabled }), correlationId, false);
    const server = enabled.includes(mechanism) ? this.serverFor(mechanism) : null;
    if (!server) {
      return { kind: 'response', chunks: answer(ErrorCode.UNSUPPORTED_SASL_MECHANISM), thenClose: `unsupported SASL mechanism ${mechanism} (enabled: ${enabled.join(', ')})` };
    }
    // Kafka accepts the handshake and fails the SaslAuthenticate that follows.
    s.badMechanism = reauth && mechanism !== s.mechanism ? `SASL mechanism '${mechanism}' requested by client is not supported for re-authentication of mechanism '${s.mechanism}'` : null;
    s.server = server;
    if (reauth) s.reauthenticating = true;
    else s.state = 'authenticate';
    s.raw = version === 0;
    return { kind: 'response', chunks: answer(ErrorCode.NONE) };
  }

  private onAuthenticate(frame: Buffer, conn: Connection, s: Session): Reply {
    const version = frame.readInt16BE(2);
    if (version < SaslAuthenticateApi.minVersion || version > SaslAuthenticateApi.maxVersion) {
      return { kind: 'close', reason: `unsupported SaslAuthenticate version ${version}` };
    }
    const flexible = version >= SaslAuthenticateApi.flexibleFrom;
    const server = s.server;
    if (!server || (s.state !== 'authenticate' && !s.reauthenticating)) return { kind: 'close', reason: 'SaslAuthenticate without a SaslHandshake' };
    const r = new Reader(frame);
    let correlationId: number;
    let token: Buffer;
    try {
      correlationId = decodeRequestHeader(r, flexible ? 2 : 1).correlationId;
      token = decodeSaslAuthenticateRequest(r, version).authBytes;
    } catch (err) {
      return { kind: 'close', reason: `malformed SaslAuthenticate: ${(err as Error).message}` };
    }
    const answer = (res: SaslAuthenticateResponse) => this.encode((w) => encodeSaslAuthenticateResponse(w, version, res), correlationId, flexible);
    let out: Buffer;
    try {
      if (s.badMechanism) throw new SaslAuthenticationError(s.badMechanism);
      out = server.evaluate(token);
      if (server.complete && s.principal !== null && `User:${server.authorizationId}` !== s.principal) {
        throw new SaslAuthenticationError(`Cannot change principals during re-authentication from ${s.principal.replace(':', '.')}: User.${server.authorizationId}`);
      }
    } catch (err) {
      if (!(err instanceof SaslAuthenticationError)) this.log.error(`SASL ${server.mechanism} failed unexpectedly: ${(err as Error).stack ?? String(err)}`);
      const reason = err instanceof SaslAuthenticationError ? err.message : String(err);
      const message =
        err instanceof SaslAuthenticationError && !(err instanceof SaslCredentialError)
          ? err.message
          : `Authentication failed during ${s.principal === null ? 'authentication' : 're-authentication'} due to invalid credentials with SASL mechanism ${server.mechanism}`;
      const code = ErrorCode.SASL_AUTHENTICATION_FAILED;
      return {
        kind: 'response',
        chunks: answer({ errorCode: code, errorMessage: message, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 }),
        thenClose: `${errorName(code)} on listener ${this.settings.listener} (${server.mechanism}): ${reason}`,
      };
    }
    const sessionLifetimeMs = server.complete ? this.completeSession(s, server, conn) : 0;
    return { kind: 'response', chunks: answer({ errorCode: ErrorCode.NONE, errorMessage: null, authBytes: out, sessionLifetimeMs }) };
  }

  /**
   * Authenticated: the session's principal and expiry (Kafka's calcCompletionTimesAndReturnSessionLifetimeMs);
   * returns the lifetime to announce (0: none).
   */
  private completeSession(s: Session, server: SaslServer, conn: Connection): number {
    const now = this.settings.now();
    const max = this.settings.maxReauthMs > 0 ? this.settings.maxReauthMs : Infinity;
    const credentialLeft = server.credentialExpiresAtMs !== undefined ? server.credentialExpiresAtMs - now : Infinity;
    const lifetime = Math.min(max, credentialLeft);
    const sessionLifetimeMs = Number.isFinite(lifetime) ? Math.max(0, lifetime) : 0;
    s.expiresAtMs = Number.isFinite(lifetime) ? now + sessionLifetimeMs : Infinity;
    const first = s.principal === null;
    s.principal = `User:${server.authorizationId}`;
    s.mechanism = server.mechanism;
    s.state = 'authenticated';
    s.reauthenticating = false;
    s.raw = false;
    s.server = null;
    conn.principal = s.principal;
    this.log.debug(`${conn.id} ${first ? 'authenticated' : 're-authenticated'} as ${s.principal} with ${server.mechanism} on ${this.settings.listener}`);
    return sessionLifetimeMs;
  }

  /** A raw SASL token after a v0 handshake: answered with the raw server token, or the connection closes. */
  private onRawToken(frame: Buffer, conn: Connection, s: Session): Reply {
    const server = s.server!;
    let out: Buffer;
    try {
      out = server.evaluate(frame);
    } catch (err) {
      return { kind: 'close', reason: `SASL ${server.mechanism} authentication (raw tokens) failed on listener ${this.settings.listener}: ${(err as Error).message}` };
    }
    if (server.complete) this.completeSession(s, server, conn);
    const size = Buffer.alloc(4);
    size.writeInt32BE(out.length, 0);
    return { kind: 'response', chunks: [size, out] };
  }

  private serverFor(mechanism: string): SaslServer | null {
    const { credentials, listener } = this.settings;
    switch (mechanism) {
      case 'PLAIN':
        return new PlainSaslServer((user) => credentials.plainPassword(listener, user));
      case 'SCRAM-SHA-256':
      case 'SCRAM-SHA-512':
        return new ScramSaslServer(mechanism, (user) => credentials.scramCredential(mechanism as ScramMechanism, user));
      case 'OAUTHBEARER':
        return new OAuthBearerSaslServer(this.settings.now);
      default:
        return null;
    }
  }

  private encode(body: (w: Writer) => void, correlationId: number, flexible: boolean): Buffer[] {
    const w = new Writer(64);
    const size = w.reserveInt32();
    encodeResponseHeader(w, flexible ? 1 : 0, { correlationId });
    body(w);
    w.patchInt32(size, w.length - 4);
    return w.chunks();
  }
}
