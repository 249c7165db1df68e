// What every SASL mechanism's server side is (Kafka's javax.security.sasl.SaslServer as its
// authenticator drives it), and where credentials come from.

/** A failed authentication: answered SASL_AUTHENTICATION_FAILED with this message, then closed. */
export class SaslAuthenticationError extends Error {}

/**
 * A failure whose reason stays in the broker's log (Kafka's plain SaslException): the client is
 * told only "Authentication failed during authentication due to invalid credentials with SASL
 * mechanism X", so it cannot learn, say, whether a user exists.
 */
export class SaslCredentialError extends SaslAuthenticationError {}

export interface SaslServer {
  readonly mechanism: string;
  /** Take the client's next token; returns the server's next token. Throws SaslAuthenticationError. */
  evaluate(token: Buffer): Buffer;
  readonly complete: boolean;
  /** The authenticated user name (the principal is `User:<name>`), once complete. */
  readonly authorizationId: string;
  /** When the credential itself expires (ms since the epoch; OAUTHBEARER's `exp`), if it does. */
  readonly credentialExpiresAtMs?: number;
}

/** A SCRAM credential as Kafka stores it (ScramCredential): never the password itself. */
export interface ScramCredential {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
  iterations: number;
}

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface CredentialStore {
  /** PLAIN: the password of `user` on `listener` (JAAS user_<name> or sasl.plain.users), if known. */
  plainPassword(listener: string, user: string): string | undefined;
  /** SCRAM: the stored credential of `user` for `mechanism`, if any. */
  scramCredential(mechanism: ScramMechanism, user: string): ScramCredential | undefined;
}
