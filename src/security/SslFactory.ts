// TLS for SSL and SASL_SSL listeners with node:tls, configured as Kafka's PEM stores are:
// `ssl.keystore.location` (a PEM file with the private key and its certificate chain) or the
// inline `ssl.keystore.key` + `ssl.keystore.certificate.chain`, `ssl.key.password` for an
// encrypted key, `ssl.truststore.location` / `ssl.truststore.certificates` (PEM CA certificates),
// `ssl.client.auth=required|requested|none`. Kafka applies ssl.client.auth to SSL listeners and,
// for SASL_SSL, only when set for that listener (listener.name.<l>.ssl.client.auth).
//
// A client certificate's principal is its subject DN in RFC 2253 order, as Kafka's default
// principal builder (ssl.principal.mapping.rules=DEFAULT) gives it: `User:CN=alice,O=acme`.
import fs from 'node:fs';
import tls from 'node:tls';
import { ConfigError, type KafkaConfig } from '../common/KafkaConfig.js';
import { isSsl, listenerConfig, type Endpoint } from './Listeners.js';

export type ClientAuth = 'required' | 'requested' | 'none';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

/** The PEM blocks of a text, by label. */
function pemBlocks(text: string): { label: string; pem: string }[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1]!, pem: m[0] + '\n' }));
}

function readPem(path: string, what: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${what}: cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Key, certificate chain and trusted CAs for one listener, from its (listener-prefixed) configs. */
export function sslMaterial(config: KafkaConfig, listener: string): { key?: string; cert?: string; ca?: string[]; passphrase?: string } {
  const get = (name: string) => listenerConfig(config, listener, name);
  for (const type of ['ssl.keystore.type', 'ssl.truststore.type']) {
    if (get(type).toUpperCase() !== 'PEM') throw new ConfigError(`${type}=${get(type)}: minikafka reads PEM stores only`);
  }
  let key: string | undefined;
  let cert: string | undefined;
  const location = get('ssl.keystore.location');
  const inlineKey = get('ssl.keystore.key');
  const inlineChain = get('ssl.keystore.certificate.chain');
  if (inlineKey || inlineChain) {
    key = inlineKey;
    cert = inlineChain;
  } else if (location) {
    const blocks = pemBlocks(readPem(location, 'ssl.keystore.location'));
    key = blocks.find((b) => b.label.includes('PRIVATE KEY'))?.pem;
    cert = blocks.filter((b) => b.label === 'CERTIFICATE').map((b) => b.pem).join('');
    if (!key || !cert) throw new ConfigError(`ssl.keystore.location: ${location} needs a PRIVATE KEY and a CERTIFICATE block`);
  }
  let ca: string[] | undefined;
  const trustInline = get('ssl.truststore.certificates');
  const trustLocation = get('ssl.truststore.location');
  const trustText = trustInline || (trustLocation ? readPem(trustLocation, 'ssl.truststore.location') : '');
  if (trustText) ca = pemBlocks(trustText).filter((b) => b.label === 'CERTIFICATE').map((b) => b.pem);
  const passphrase = get('ssl.key.password') || undefined;
  return { key, cert, ca, passphrase };
}

/** ssl.client.auth for a listener (see the note at the top). */
export function clientAuthOf(config: KafkaConfig, listener: Endpoint): ClientAuth {
  const prefixed = config.explicit.get(`listener.name.${listener.name.toLowerCase()}.ssl.client.auth`);
  const value = (prefixed ?? (listener.securityProtocol === 'SSL' ? config.get('ssl.client.auth') : 'none')).toLowerCase();
  if (value !== 'required' && value !== 'requested' && value !== 'none') throw new ConfigError(`ssl.client.auth: '${value}' is not required, requested or none`);
  return value;
}

/** node:tls server options for an SSL or SASL_SSL listener. */
export function tlsServerOptions(config: KafkaConfig, listener: Endpoint): tls.TlsOptions {
  if (!isSsl(listener.securityProtocol)) throw new Error(`${listener.name} is not a TLS listener`);
  const m = sslMaterial(config, listener.name);
  if (!m.key || !m.cert) {
    throw new ConfigError(`listener ${listener.name} (${listener.securityProtocol}) needs ssl.keystore.location (PEM) or ssl.keystore.key + ssl.keystore.certificate.chain`);
  }
  const auth = clientAuthOf(config, listener);
  if (auth !== 'none' && !m.ca) throw new ConfigError(`listener ${listener.name}: ssl.client.auth=${auth} needs ssl.truststore.location`);
  const options: tls.TlsOptions = {
    key: m.key,
    cert: m.cert,
    passphrase: m.passphrase,
    ca: m.ca,
    requestCert: auth !== 'none',
    // 'requested': a client may send no certificate, but one it sends must be trusted (checked on accept).
    rejectUnauthorized: auth === 'required',
    minVersion: 'TLSv1.2',
  };
  try {
    tls.createSecureContext(options); // a wrong ssl.key.password or a key not matching its certificate fails here
  } catch (err) {
    throw new ConfigError(`listener ${listener.name}: the keystore cannot be used (${(err as Error).message}); check ssl.keystore.* and ssl.key.password`);
  }
  return options;
}

/** node:tls client options a broker uses to reach another broker's SSL listener. */
export function tlsClientOptions(config: KafkaConfig, listener: string): tls.ConnectionOptions {
  const m = sslMaterial(config, listener);
  return {
    key: m.key,
    cert: m.cert,
    passphrase: m.passphrase,
    ca: m.ca,
    // Brokers share one certificate whose names may not match every advertised host.
    checkServerIdentity: () => undefined,
  };
}

/**
 * RFC 2253 form of a certificate subject as node:crypto prints it (one RDN per line, first RDN
 * first, specials already escaped), as Java's X500Principal.getName() gives it to Kafka: last RDN
 * first, and an attribute without an RFC 2253 keyword as its OID with the DER value in hex
 * (emailAddress, always an IA5String: `1.2.840.113549.1.9.1=#16…`). Other keyword-less
 * attributes keep node's name (their DER string type is not known here).
 */
export function rfc2253(subject: string): string {
  return subject
    .split('\n')
    .filter(Boolean)
    .reverse()
    .map((rdn) => {
      const m = /^emailAddress=(.*)$/.exec(rdn);
      if (!m) return rdn;
      const value = Buffer.from(m[1]!.replace(/\\(.)/g, '$1'), 'latin1');
      if (value.length > 127) return rdn;
      return `1.2.840.113549.1.9.1=#16${value.length.toString(16).padStart(2, '0')}${value.toString('hex')}`;
    })
    .join(',');
}

/**
 * The principal of a TLS connection, as Kafka's DefaultKafkaPrincipalBuilder: `User:<DN>` of the
 * client certificate, or `User:ANONYMOUS` when the client sent none.
 */
export function principalOfTlsSocket(socket: tls.TLSSocket): string {
  const cert = socket.getPeerX509Certificate?.();
  if (!cert) return 'User:ANONYMOUS';
  return `User:${rfc2253(cert.subject)}`;
}

/** Whether a TLS client that did send a certificate sent an untrusted one ('requested' refuses those). */
export function hasUntrustedCertificate(socket: tls.TLSSocket): boolean {
  const cert = socket.getPeerCertificate?.();
  return !!cert && Object.keys(cert).length > 0 && !socket.authorized;
}
