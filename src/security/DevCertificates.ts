// --tls-dev: a throwaway certificate authority and certificates signed by it, so a test or a
// local run needs no openssl step of its own. node:crypto makes keys but cannot issue X.509
// certificates, so this runs the openssl CLI (present on Linux and macOS); without it --tls-dev
// fails with a line saying so. Keys are unencrypted PEM: for development only.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface DevCa {
  dir: string;
  /** PEM file of the CA certificate (a truststore). */
  caCertFile: string;
  caKeyFile: string;
}

export interface DevCertificate {
  /** PEM file with the private key and the certificate (Kafka's PEM keystore). */
  keystoreFile: string;
  certFile: string;
  keyFile: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error('--tls-dev needs the openssl CLI (node:crypto cannot issue X.509 certificates)');
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() ?? e.message}`);
  }
}

/** A new CA in `dir` (created if needed): ca.crt, ca.key. */
export function createDevCa(dir: string, name = 'minikafka-dev-ca'): DevCa {
  fs.mkdirSync(dir, { recursive: true });
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', `/O=minikafka/CN=${name}`], dir);
  return { dir, caCertFile: path.join(dir, 'ca.crt'), caKeyFile: path.join(dir, 'ca.key') };
}

/**
 * A certificate signed by `ca`, with `subject` as its DN (e.g. "/O=acme/CN=alice") and the
 * given DNS names and IP addresses as subject alternative names; files `<name>.key`,
 * `<name>.crt` and `<name>.pem` (key + certificate) in the CA's directory.
 */
export function issueDevCertificate(ca: DevCa, name: string, subject: string, altNames: string[] = []): DevCertificate {
  const dir = ca.dir;
  const san = altNames.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  const ext = `${name}.ext`;
  fs.writeFileSync(path.join(dir, ext), `basicConstraints=CA:FALSE\n${san ? `subjectAltName=${san}\n` : ''}`);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '30', '-extfile', ext], dir);
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.crt`);
  const keystoreFile = path.join(dir, `${name}.pem`);
  fs.writeFileSync(keystoreFile, fs.readFileSync(keyFile, 'utf8') + fs.readFileSync(certFile, 'utf8'));
  for (const f of [`${name}.csr`, ext]) fs.rmSync(path.join(dir, f), { force: true });
  return { keystoreFile, certFile, keyFile };
}

/**
 * --tls-dev: a CA and a broker certificate for `hosts` in `dir`, and the broker configs that use
 * them (ssl.keystore.location, ssl.truststore.location). A restart on the same data dir keeps the
 * ones made before, so clients that trust that CA keep connecting.
 */
export function devTlsConfig(dir: string, hosts: string[]): { ca: DevCa; broker: DevCertificate; config: Record<string, string> } {
  const at = (f: string) => path.join(dir, f);
  const kept = ['ca.crt', 'ca.key', 'broker.pem', 'broker.crt', 'broker.key'].every((f) => fs.existsSync(at(f)));
  const ca: DevCa = kept ? { dir, caCertFile: at('ca.crt'), caKeyFile: at('ca.key') } : createDevCa(dir);
  const broker: DevCertificate = kept
    ? { keystoreFile: at('broker.pem'), certFile: at('broker.crt'), keyFile: at('broker.key') }
    : issueDevCertificate(ca, 'broker', '/O=minikafka/CN=minikafka-broker', [...new Set(['localhost', '127.0.0.1', ...hosts])]);
  return {
    ca,
    broker,
    config: { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': broker.keystoreFile, 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': ca.caCertFile },
  };
}
