// The client side of SASL (Kafka's PlainSaslClient, ScramSaslClient, OAuthBearerSaslClient):
// one object per authentication, asked for the next token with the server's last one. PLAIN
// sends `\0user\0password` once. SCRAM-SHA-256/512 (RFC 5802) sends client-first, answers the
// server-first with the proof and checks the server signature in server-final. OAUTHBEARER
// (RFC 7628) sends an unsecured JWS made as Kafka's OAuthBearerUnsecuredLoginCallbackHandler
// makes it from the login module's `unsecuredLogin*` options; a fresh token per authentication
// (Kafka's login refresh), so re-authentication presents one that has not expired.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512' | 'OAUTHBEARER';
export const SASL_MECHANISMS: readonly SaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];

/** What a SASL client authenticates with: the mechanism and the login module's options (sasl.jaas.config). */
export interface SaslClientConfig {
  mechanism: SaslMechanism;
  /** username/password (PLAIN, SCRAM) or unsecuredLogin* options (OAUTHBEARER). */
  options: ReadonlyMap<string, string>;
}

export interface SaslClient {
  readonly mechanism: SaslMechanism;
  /** The next token for the server, given its last one (null before the first); throws SaslClientError. */
  evaluate(challenge: Buffer | null): Buffer;
  /** True once the exchange succeeded from the client's side (no more tokens to send). */
  readonly complete: boolean;
}

/** The client refused the server's answer (bad signature, nonce, iterations) or cannot make a token. */
export class SaslClientError extends Error {}

export function createSaslClient(config: SaslClientConfig, now: () => number = Date.now): SaslClient {
  switch (config.mechanism) {
    case 'PLAIN':
      return new PlainSaslClient(required(config, 'username'), required(config, 'password'));
    case 'SCRAM-SHA-256':
    case 'SCRAM-SHA-512':
      return new ScramSaslClient(config.mechanism, required(config, 'username'), required(config, 'password'));
    case 'OAUTHBEARER':
      return new OAuthBearerSaslClient(unsecuredToken(config.options, now()), extensions(config.options));
  }
}

function required(config: SaslClientConfig, option: string): string {
  const v = config.options.get(option);
  if (v === undefined) throw new SaslClientError(`sasl.jaas.config for ${config.mechanism} needs the option ${option}="…"`);
  return v;
}

class PlainSaslClient implements SaslClient {
  readonly mechanism = 'PLAIN';
  complete = false;

  constructor(
    private readonly user: string,
    private readonly password: string,
  ) {}

  evaluate(challenge: Buffer | null): Buffer {
    if (challenge !== null) {
      // The server's (empty) answer to our one message.
      this.complete = true;
      return Buffer.alloc(0);
    }
    return Buffer.from(`\0${this.user}\0${this.password}`, 'utf8');
  }
}

const hmac = (hash: string, key: Buffer, data: string) => createHmac(hash, key).update(data).digest();

class ScramSaslClient implements SaslClient {
  complete = false;
  private state: 'first' | 'serverFirst' | 'serverFinal' | 'done' = 'first';
  private readonly nonce = randomBytes(24).toString('base64').replace(/[+/=]/g, 'x');
  private clientFirstBare = '';
  private expectedServerSignature: Buffer | null = null;
  private readonly hash: 'sha256' | 'sha512';

  constructor(
    readonly mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512',
    private readonly user: string,
    private readonly password: string,
  ) {
    this.hash = mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
  }

  evaluate(challenge: Buffer | null): Buffer {
    switch (this.state) {
      case 'first': {
        // RFC 5802 saslname: ',' and '=' escaped.
        const name = this.user.replace(/=/g, '=3D').replace(/,/g, '=2C');
        this.clientFirstBare = `n=${name},r=${this.nonce}`;
        this.state = 'serverFirst';
        return Buffer.from(`n,,${this.clientFirstBare}`, 'utf8');
      }
      case 'serverFirst':
        return this.onServerFirst((challenge ?? Buffer.alloc(0)).toString('utf8'));
      case 'serverFinal': {
        const attrs = attributes((challenge ?? Buffer.alloc(0)).toString('utf8'));
        const error = attrs.get('e');
        if (error !== undefined) throw new SaslClientError(`Sasl authentication using ${this.mechanism} failed with error: ${error}`);
        const signature = Buffer.from(attrs.get('v') ?? '', 'base64');
        const expected = this.expectedServerSignature!;
        if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) throw new SaslClientError('Invalid server signature in server final message');
        this.state = 'done';
        this.complete = true;
        return Buffer.alloc(0);
      }
      case 'done':
        throw new SaslClientError(`Unexpected challenge in Sasl client state complete (${this.mechanism})`);
    }
  }

  private onServerFirst(serverFirst: string): Buffer {
    const attrs = attributes(serverFirst);
    const nonce = attrs.get('r') ?? '';
    const salt = Buffer.from(attrs.get('s') ?? '', 'base64');
    const iterations = Number(attrs.get('i'));
    if (!nonce.startsWith(this.nonce)) throw new SaslClientError('Invalid server nonce: does not start with client nonce');
    if (!Number.isInteger(iterations) || iterations < 4096) throw new SaslClientError(`Requested iterations ${attrs.get('i')} is less than the minimum 4096 for ${this.mechanism}`);
    const hash = this.hash;
    const salted = pbkdf2Sync(Buffer.from(this.password, 'utf8'), salt, iterations, hash === 'sha256' ? 32 : 64, hash);
    const clientKey = hmac(hash, salted, 'Client Key');
    const storedKey = createHash(hash).update(clientKey).digest();
    const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = hmac(hash, storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!;
    this.expectedServerSignature = hmac(hash, hmac(hash, salted, 'Server Key'), authMessage);
    this.state = 'serverFinal';
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }
}

/** `k=v,k=v` (values may hold '='). */
function attributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',')) {
    if (part.length < 2 || part[1] !== '=') throw new SaslClientError(`Invalid SCRAM server message '${text}'`);
    out.set(part[0]!, part.slice(2));
  }
  return out;
}

class OAuthBearerSaslClient implements SaslClient {
  readonly mechanism = 'OAUTHBEARER';
  complete = false;
  private sent = false;

  constructor(
    private readonly token: string,
    private readonly extensions: string,
  ) {}

  evaluate(challenge: Buffer | null): Buffer {
    if (!this.sent) {
      this.sent = true;
      return Buffer.from(`n,,\x01auth=Bearer ${this.token}${this.extensions}\x01\x01`, 'utf8');
    }
    if (challenge !== null && challenge.length > 0) {
      // An error challenge (JSON status): RFC 7628 has the client answer with a lone kvsep, then the server fails.
      return Buffer.from('\x01', 'utf8');
    }
    this.complete = true;
    return Buffer.alloc(0);
  }
}

const STRING_CLAIM = 'unsecuredLoginStringClaim_';
const NUMBER_CLAIM = 'unsecuredLoginNumberClaim_';
const LIST_CLAIM = 'unsecuredLoginListClaim_';
const EXTENSION = 'unsecuredLoginExtension_';

/**
 * An unsecured JWS as Kafka's unsecured login makes it: header `{"alg":"none"}`, claims `exp`
 * (now + unsecuredLoginLifetimeSeconds, default 3600) and `iat` in seconds, then the string,
 * number and list claims of the options (a list's first character is its delimiter).
 */
export function unsecuredToken(options: ReadonlyMap<string, string>, nowMs: number): string {
  const principalClaim = options.get('unsecuredLoginPrincipalClaimName')?.trim() || 'sub';
  const lifetime = Number(options.get('unsecuredLoginLifetimeSeconds') ?? '3600');
  if (!Number.isInteger(lifetime)) throw new SaslClientError(`unsecuredLoginLifetimeSeconds: not an integer: ${options.get('unsecuredLoginLifetimeSeconds')}`);
  const claims: Record<string, unknown> = { exp: nowMs / 1000 + lifetime, iat: nowMs / 1000 };
  for (const [key, value] of options) {
    const claim = (prefix: string) => {
      const name = key.slice(prefix.length);
      if (name === 'iat' || name === 'exp') throw new SaslClientError(`Cannot explicitly set the '${name}' claim`);
      return name;
    };
    if (key.startsWith(STRING_CLAIM) && key.length > STRING_CLAIM.length) claims[claim(STRING_CLAIM)] = value;
    else if (key.startsWith(NUMBER_CLAIM) && key.length > NUMBER_CLAIM.length) {
      const n = Number(value);
      if (Number.isNaN(n)) throw new SaslClientError(`${key}: not a number: ${value}`);
      claims[claim(NUMBER_CLAIM)] = n;
    } else if (key.startsWith(LIST_CLAIM) && key.length > LIST_CLAIM.length) {
      claims[claim(LIST_CLAIM)] = value.length <= 1 ? [] : value.slice(1).split(value[0]!);
    }
  }
  const principal = claims[principalClaim];
  if (typeof principal !== 'string' || principal.trim() === '') {
    throw new SaslClientError(`OAUTHBEARER: no principal claim '${principalClaim}' (set unsecuredLoginStringClaim_${principalClaim}="…" in sasl.jaas.config)`);
  }
  const part = (o: unknown) => Buffer.from(JSON.stringify(o), 'utf8').toString('base64url');
  return `${part({ alg: 'none' })}.${part(claims)}.`;
}

/** `\x01name=value` for each unsecuredLoginExtension_<name> option. */
function extensions(options: ReadonlyMap<string, string>): string {
  let out = '';
  for (const [key, value] of options) {
    if (!key.startsWith(EXTENSION)) continue;
    const name = key.slice(EXTENSION.length);
    if (!/^[A-Za-z]+$/.test(name) || name === 'auth') throw new SaslClientError(`Invalid SASL extension name '${name}'`);
    out += `\x01${name}=${value}`;
  }
  return out;
}
