// A client's security settings, Kafka's names: `security.protocol` (PLAINTEXT, SSL,
// SASL_PLAINTEXT, SASL_SSL); TLS from PEM stores as Kafka's `ssl.*.type=PEM` takes them
// (`ssl.truststore.certificates` or `ssl.truststore.location` for the CAs to trust, Node's
// default CAs when neither is given; `ssl.keystore.certificate.chain` + `ssl.keystore.key`, or
// `ssl.keystore.location` with both, and `ssl.key.password`, for a client certificate) and
// `ssl.endpoint.identification.algorithm` (https: the broker's certificate must name the host
// connected to; empty: not checked); SASL with `sasl.mechanism` and the login module's options
// from `sasl.jaas.config`. Turned into node:tls connect options and a SaslClientConfig here,
// once, so a mistake is a config error when the client is made, not at the first connection.
import fs from 'node:fs';
import type tls from 'node:tls';
import { SASL_MECHANISMS, SaslClientError, unsecuredToken, type SaslClientConfig, type SaslMechanism } from './SaslClient.js';

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
export const SECURITY_PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

/** The settings (camelCase of Kafka's names); absent ones take Kafka's defaults. */
export interface ClientSecurityConfig {
  securityProtocol?: SecurityProtocol;
  sslTruststoreType?: string;
  /** PEM CA certificates to trust (ssl.truststore.certificates). */
  sslTruststoreCertificates?: string | null;
  /** A PEM file of CA certificates to trust (ssl.truststore.location). */
  sslTruststoreLocation?: string | null;
  sslKeystoreType?: string;
  /** Client certificate chain, PEM (ssl.keystore.certificate.chain). */
  sslKeystoreCertificateChain?: string | null;
  /** Client private key, PEM (ssl.keystore.key). */
  sslKeystoreKey?: string | null;
  /** A PEM file with the client's private key and certificate chain (ssl.keystore.location). */
  sslKeystoreLocation?: string | null;
  sslKeyPassword?: string | null;
  /** 'https' (default): the broker certificate must name the host; '' turns the check off. */
  sslEndpointIdentificationAlgorithm?: string;
  /** PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER (sasl.mechanism). */
  saslMechanism?: string;
  /** The login module and its options, Kafka's JAAS syntax (sasl.jaas.config). */
  saslJaasConfig?: string | null;
}

/** What a connection needs: TLS options (SSL, SASL_SSL) and SASL settings (SASL_*). */
export interface ClientSecurity {
  protocol: SecurityProtocol;
  tls?: tls.ConnectionOptions;
  sasl?: SaslClientConfig;
}

/** A setting that cannot be used, with its Kafka name. */
export class SecurityConfigError extends Error {
  constructor(
    message: string,
    readonly prop: string,
    readonly value: unknown,
  ) {
    super(message);
  }
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

function pemBlocks(text: string): { label: string; pem: string }[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1]!, pem: `${m[0]}\n` }));
}

function readPem(path: string, prop: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new SecurityConfigError(`cannot read ${path}: ${(err as Error).message}`, prop, path);
  }
}

/** The login module and options of a client's JAAS line: `<LoginModule> required k="v" k2=v2;` (one module). */
export function parseJaasConfig(text: string): { loginModule: string; options: Map<string, string> } {
  const prop = 'sasl.jaas.config';
  const body = text.trim();
  const m = /^(\S+)\s+(required|requisite|sufficient|optional)\b([\s\S]*)$/.exec(body);
  if (!m) throw new SecurityConfigError(`expected '<LoginModule> required key="value" …;'`, prop, '[hidden]');
  const options = new Map<string, string>();
  const option = /\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;"]+))/y;
  let rest = m[3]!;
  for (;;) {
    option.lastIndex = 0;
    const o = option.exec(rest);
    if (!o) break;
    options.set(o[1]!, o[2] !== undefined ? o[2].replace(/\\(.)/g, '$1') : o[3]!);
    rest = rest.slice(o[0].length);
  }
  const tail = rest.trim();
  if (tail !== ';') {
    const what = tail === '' ? "no ';' at the end" : tail.startsWith(';') ? 'more than one login module (a client takes one)' : `cannot parse '${tail.slice(0, 20)}'`;
    throw new SecurityConfigError(`JAAS configuration: ${what}`, prop, '[hidden]');
  }
  return { loginModule: m[1]!, options };
}

/** Node's TLS options and the SASL settings for `config`; throws SecurityConfigError. */
export function clientSecurity(config: ClientSecurityConfig): ClientSecurity {
  const protocol = config.securityProtocol ?? 'PLAINTEXT';
  if (!SECURITY_PROTOCOLS.includes(protocol)) throw new SecurityConfigError(`must be one of ${SECURITY_PROTOCOLS.join(', ')}`, 'security.protocol', protocol);
  const out: ClientSecurity = { protocol };
  if (protocol === 'SSL' || protocol === 'SASL_SSL') out.tls = tlsOptions(config);
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') out.sasl = saslConfig(config);
  return out;
}

function tlsOptions(c: ClientSecurityConfig): tls.ConnectionOptions {
  for (const [prop, type] of [
    ['ssl.truststore.type', c.sslTruststoreType],
    ['ssl.keystore.type', c.sslKeystoreType],
  ] as const) {
    if (type !== undefined && type.toUpperCase() !== 'PEM') throw new SecurityConfigError('this client reads PEM stores only (ssl.*.type=PEM)', prop, type);
  }
  const options: tls.ConnectionOptions = {};
  if (c.sslTruststoreCertificates && c.sslTruststoreLocation) {
    throw new SecurityConfigError('give ssl.truststore.certificates or ssl.truststore.location, not both', 'ssl.truststore.location', c.sslTruststoreLocation);
  }
  const trustProp = c.sslTruststoreCertificates ? 'ssl.truststore.certificates' : 'ssl.truststore.location';
  const trust = c.sslTruststoreCertificates || (c.sslTruststoreLocation ? readPem(c.sslTruststoreLocation, trustProp) : '');
  if (trust) {
    const ca = pemBlocks(trust).filter((b) => b.label === 'CERTIFICATE').map((b) => b.pem);
    if (ca.length === 0) throw new SecurityConfigError('no PEM CERTIFICATE block', trustProp, c.sslTruststoreLocation ?? '[PEM]');
    options.ca = ca;
  }
  let key: string | undefined;
  let cert: string | undefined;
  if (c.sslKeystoreKey || c.sslKeystoreCertificateChain) {
    if (!c.sslKeystoreKey || !c.sslKeystoreCertificateChain) {
      const missing = c.sslKeystoreKey ? 'ssl.keystore.certificate.chain' : 'ssl.keystore.key';
      throw new SecurityConfigError('ssl.keystore.key and ssl.keystore.certificate.chain go together', missing, null);
    }
    if (c.sslKeystoreLocation) throw new SecurityConfigError('give ssl.keystore.location or ssl.keystore.key + ssl.keystore.certificate.chain, not both', 'ssl.keystore.location', c.sslKeystoreLocation);
    key = c.sslKeystoreKey;
    cert = c.sslKeystoreCertificateChain;
  } else if (c.sslKeystoreLocation) {
    const blocks = pemBlocks(readPem(c.sslKeystoreLocation, 'ssl.keystore.location'));
    key = blocks.find((b) => b.label.includes('PRIVATE KEY'))?.pem;
    cert = blocks.filter((b) => b.label === 'CERTIFICATE').map((b) => b.pem).join('') || undefined;
    if (!key || !cert) throw new SecurityConfigError('a PEM keystore needs a PRIVATE KEY and a CERTIFICATE block', 'ssl.keystore.location', c.sslKeystoreLocation);
  }
  if (key !== undefined && cert !== undefined) {
    options.key = key;
    options.cert = cert;
    if (c.sslKeyPassword) options.passphrase = c.sslKeyPassword;
  }
  const algorithm = (c.sslEndpointIdentificationAlgorithm ?? 'https').trim().toLowerCase();
  if (algorithm === '') options.checkServerIdentity = () => undefined;
  else if (algorithm !== 'https') throw new SecurityConfigError("must be 'https' or empty", 'ssl.endpoint.identification.algorithm', c.sslEndpointIdentificationAlgorithm);
  return options;
}

function saslConfig(c: ClientSecurityConfig): SaslClientConfig {
  const mechanism = c.saslMechanism ?? 'GSSAPI';
  if (!SASL_MECHANISMS.includes(mechanism as SaslMechanism)) {
    throw new SecurityConfigError(`this client supports ${SASL_MECHANISMS.join(', ')}${mechanism === 'GSSAPI' ? " (GSSAPI is Kafka's default, Kerberos is not supported)" : ''}`, 'sasl.mechanism', mechanism);
  }
  if (!c.saslJaasConfig) throw new SecurityConfigError(`${c.securityProtocol} needs sasl.jaas.config (the login module and its options)`, 'sasl.jaas.config', null);
  const { options } = parseJaasConfig(c.saslJaasConfig);
  if (mechanism !== 'OAUTHBEARER') {
    for (const o of ['username', 'password']) {
      if (!options.has(o)) throw new SecurityConfigError(`${mechanism} needs the option ${o}="…"`, 'sasl.jaas.config', '[hidden]');
    }
  } else {
    try {
      unsecuredToken(options, Date.now());
    } catch (err) {
      if (err instanceof SaslClientError) throw new SecurityConfigError(err.message, 'sasl.jaas.config', '[hidden]');
      throw err;
    }
  }
  return { mechanism: mechanism as SaslMechanism, options };
}
