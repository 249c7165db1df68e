// SASL/SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677), as Kafka's ScramSaslServer: two
// rounds (client-first → server-first with our nonce, salt and iterations; client-final with
// the proof → server-final with the server signature). Credentials hold the stored and server
// keys, never the password (`scramCredentialFromSaltedPassword` derives them, as Kafka's
// ScramFormatter does for AlterUserScramCredentials).
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SaslAuthenticationError, SaslCredentialError, type SaslServer, type ScramCredential, type ScramMechanism } from './SaslServer.js';

export const SCRAM_MECHANISMS: Record<ScramMechanism, { hash: 'sha256' | 'sha512'; minIterations: number; maxIterations: number; type: number }> = {
  'SCRAM-SHA-256': { hash: 'sha256', minIterations: 4096, maxIterations: 16384, type: 1 },
  'SCRAM-SHA-512': { hash: 'sha512', minIterations: 4096, maxIterations: 16384, type: 2 },
};

/** The mechanism of a ScramCredentialInfo mechanism byte (1 = SHA-256, 2 = SHA-512). */
export function scramMechanismOfType(type: number): ScramMechanism | undefined {
  return type === 1 ? 'SCRAM-SHA-256' : type === 2 ? 'SCRAM-SHA-512' : undefined;
}

const hmac = (hash: string, key: Buffer, data: string | Buffer) => createHmac(hash, key).update(data).digest();

/** StoredKey = H(HMAC(SaltedPassword, "Client Key")), ServerKey = HMAC(SaltedPassword, "Server Key"). */
export function scramCredentialFromSaltedPassword(mechanism: ScramMechanism, salt: Buffer, iterations: number, saltedPassword: Buffer): ScramCredential {
  const { hash } = SCRAM_MECHANISMS[mechanism];
  const clientKey = hmac(hash, saltedPassword, 'Client Key');
  return {
    salt,
    iterations,
    storedKey: createHash(hash).update(clientKey).digest(),
    serverKey: hmac(hash, saltedPassword, 'Server Key'),
  };
}

/** Parse `k=v,k=v` attributes (values may hold '='). */
function attributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq !== 1) throw new SaslCredentialError(`Invalid SCRAM message attribute '${part}'`);
    out.set(part[0]!, part.slice(2));
  }
  return out;
}

/** RFC 5802 saslname: "=2C" is ',' and "=3D" is '='. */
const saslName = (s: string) => s.replace(/=2C/g, ',').replace(/=3D/g, '=');

export class ScramSaslServer implements SaslServer {
  complete = false;
  authorizationId = '';
  private state: 'first' | 'final' | 'done' = 'first';
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private gs2Header = '';
  private credential: ScramCredential | undefined;

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly credentialOf: (user: string) => ScramCredential | undefined,
  ) {}

  evaluate(token: Buffer): Buffer {
    const text = token.toString('utf8');
    if (this.state === 'first') return this.onClientFirst(text);
    if (this.state === 'final') return this.onClientFinal(text);
    throw new SaslCredentialError('SCRAM exchange already complete');
  }

  private onClientFirst(text: string): Buffer {
    // gs2-header = gs2-cbind-flag "," [ authzid ] "," ; then client-first-message-bare
    const m = /^([ny]|p=[^,]*),(a=[^,]*)?,(.*)$/s.exec(text);
    if (!m) throw new SaslCredentialError('Invalid SCRAM client first message');
    if (m[1]!.startsWith('p')) throw new SaslCredentialError('SCRAM channel binding is not supported');
    this.gs2Header = text.slice(0, text.length - m[3]!.length);
    this.clientFirstBare = m[3]!;
    const attrs = attributes(this.clientFirstBare);
    const user = saslName(attrs.get('n') ?? '');
    const clientNonce = attrs.get('r') ?? '';
    if (!user || !clientNonce) throw new SaslCredentialError('Invalid SCRAM client first message: no user name or nonce');
    const authzid = m[2] ? saslName(m[2].slice(2)) : '';
    if (authzid && authzid !== user) {
      throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    }
    if (attrs.get('t') !== undefined || /(^|,)tokenauth=true(,|$)/.test(this.clientFirstBare)) {
      throw new SaslCredentialError('Authentication failed: delegation tokens are not supported');
    }
    this.credential = this.credentialOf(user);
    if (!this.credential) throw new SaslCredentialError('Authentication failed: Invalid user credentials');
    this.authorizationId = user;
    this.nonce = clientNonce + randomBytes(18).toString('base64').replace(/[+/=]/g, 'x');
    this.serverFirst = `r=${this.nonce},s=${this.credential.salt.toString('base64')},i=${this.credential.iterations}`;
    this.state = 'final';
    return Buffer.from(this.serverFirst, 'utf8');
  }

  private onClientFinal(text: string): Buffer {
    const cred = this.credential!;
    const proofAt = text.lastIndexOf(',p=');
    if (proofAt < 0) throw new SaslCredentialError('Invalid SCRAM client final message: no proof');
    const withoutProof = text.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    if (attrs.get('c') !== Buffer.from(this.gs2Header, 'utf8').toString('base64')) {
      throw new SaslCredentialError('Invalid SCRAM client final message: channel binding does not match');
    }
    // Kafka only checks that the nonce ends with ours (librdkafka sends the client nonce twice).
    if (!(attrs.get('r') ?? '').endsWith(this.nonce)) throw new SaslCredentialError('Invalid client nonce in the final client message.');
    const proof = Buffer.from(text.slice(proofAt + 3), 'base64');
    const { hash } = SCRAM_MECHANISMS[this.mechanism];
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(hash, cred.storedKey, authMessage);
    if (proof.length !== clientSignature.length) throw new SaslCredentialError('Authentication failed: Invalid client credentials');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    const stored = createHash(hash).update(clientKey).digest();
    if (!timingSafeEqual(stored, cred.storedKey)) throw new SaslCredentialError('Authentication failed: Invalid client credentials');
    this.state = 'done';
    this.complete = true;
    return Buffer.from(`v=${hmac(hash, cred.serverKey, authMessage).toString('base64')}`, 'utf8');
  }
}
