// What the client side of the network layer fails with. Callers map these to their own public
// errors (producer/errors.ts does); the broker answers REQUEST_TIMED_OUT for any of them when a
// broker-to-broker request it made on a client's behalf fails.

/** The connection failed, was closed or was cut before a response came (Kafka's NetworkException). */
export class NetworkError extends Error {
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = new.target.name;
  }
}

/** A connection attempt or a request ran out of time (the connection is dropped). */
export class NetworkTimeoutError extends NetworkError {}

/** The peer serves no version this client can send (ApiVersions handshake). */
export class UnsupportedApiVersionError extends NetworkError {}

/** Authentication with the broker failed (Kafka's AuthenticationException): not retried. */
export class AuthenticationError extends NetworkError {}

/** SASL authentication failed: bad credentials, or a mechanism the broker does not enable (Kafka's SaslAuthenticationException). */
export class SaslAuthenticationError extends AuthenticationError {}

/** The TLS handshake failed: an untrusted or mismatching certificate on either side (Kafka's SslAuthenticationException). */
export class SslAuthenticationError extends AuthenticationError {}
