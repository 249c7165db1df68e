// SASL/OAUTHBEARER (RFC 7628) with unsecured JWS tokens, as Kafka's default
// OAuthBearerUnsecuredJws validator accepts them: a token `base64url(header).base64url(claims).`
// whose header says `"alg":"none"`, with a string `sub` (the principal; Kafka's
// unsecuredValidatorPrincipalClaimName default) and a numeric `exp` in seconds that has not
// passed. Kafka answers a bad token with an error challenge and fails on the client's next
// message; minikafka fails at once with SASL_AUTHENTICATION_FAILED and the same JSON status.
import { SaslAuthenticationError, type SaslServer } from './SaslServer.js';

function decodePart(part: string, what: string): Record<string, unknown> {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new SaslAuthenticationError(`{"status":"invalid_token"} (the token's ${what} is not a JSON object)`);
}

export class OAuthBearerSaslServer implements SaslServer {
  readonly mechanism = 'OAUTHBEARER';
  complete = false;
  authorizationId = '';
  credentialExpiresAtMs?: number;

  constructor(private readonly now: () => number) {}

  evaluate(token: Buffer): Buffer {
    // gs2-header kvsep *(key=value kvsep) kvsep, kvsep = %x01
    const text = token.toString('utf8');
    const m = /^n,(a=[^,]*)?,\x01(.*)\x01$/s.exec(text);
    if (!m) throw new SaslAuthenticationError('Invalid OAUTHBEARER client first message');
    const kv = new Map<string, string>();
    for (const pair of m[2]!.split('\x01').filter(Boolean)) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new SaslAuthenticationError('Invalid OAUTHBEARER client first message');
      kv.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const auth = /^Bearer +(\S+)$/i.exec(kv.get('auth') ?? '');
    if (!auth) throw new SaslAuthenticationError('Invalid OAUTHBEARER client first message: no bearer token');
    const parts = auth[1]!.split('.');
    if (parts.length !== 3) throw new SaslAuthenticationError('{"status":"invalid_token"} (not a JWS compact serialization)');
    const header = decodePart(parts[0]!, 'header');
    const claims = decodePart(parts[1]!, 'claims');
    if (header.alg !== 'none' || parts[2] !== '') throw new SaslAuthenticationError('{"status":"invalid_token"} (only unsecured tokens, alg "none", are accepted)');
    const sub = claims.sub;
    const exp = claims.exp;
    if (typeof sub !== 'string' || !sub.trim()) throw new SaslAuthenticationError('{"status":"invalid_token"} (no "sub" claim)');
    if (typeof exp !== 'number') throw new SaslAuthenticationError('{"status":"invalid_token"} (no numeric "exp" claim)');
    const expiresAt = Math.round(exp * 1000);
    if (expiresAt <= this.now()) throw new SaslAuthenticationError('{"status":"invalid_token"} (the token has expired)');
    const authzid = m[1] ? m[1].slice(2) : '';
    if (authzid && authzid !== sub) throw new SaslAuthenticationError('{"status":"invalid_token"} (authorization id differs from the token\'s subject)');
    this.authorizationId = sub;
    this.credentialExpiresAtMs = expiresAt;
    this.complete = true;
    return Buffer.alloc(0);
  }
}
