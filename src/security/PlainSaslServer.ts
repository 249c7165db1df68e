// SASL/PLAIN (RFC 4616), as Kafka's PlainSaslServer: one message
// `authzid NUL authcid NUL password`; an authorization id other than the user name is refused.
import { timingSafeEqual } from 'node:crypto';
import { SaslAuthenticationError, type SaslServer } from './SaslServer.js';

export class PlainSaslServer implements SaslServer {
  readonly mechanism = 'PLAIN';
  complete = false;
  authorizationId = '';

  constructor(private readonly passwordOf: (user: string) => string | undefined) {}

  evaluate(token: Buffer): Buffer {
    const parts = token.toString('utf8').split('\u0000');
    if (parts.length !== 3) throw new SaslAuthenticationError('Invalid SASL/PLAIN response: expected 3 tokens, got ' + parts.length);
    const [authzid, user, password] = parts as [string, string, string];
    if (!user) throw new SaslAuthenticationError('Authentication failed: username not specified');
    if (!password) throw new SaslAuthenticationError('Authentication failed: password not specified');
    if (authzid && authzid !== user) {
      throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    }
    const expected = this.passwordOf(user);
    const a = Buffer.from(password, 'utf8');
    const b = Buffer.from(expected ?? '', 'utf8');
    if (expected === undefined || a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new SaslAuthenticationError('Authentication failed: Invalid username or password');
    }
    this.authorizationId = user;
    this.complete = true;
    return Buffer.alloc(0);
  }
}
