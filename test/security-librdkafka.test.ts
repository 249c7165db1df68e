// librdkafka (Debian's python3-confluent-kafka) through each secured listener: SSL (with a
// client certificate), SASL_PLAINTEXT with PLAIN, SASL_SSL with SCRAM-SHA-256 and
// SCRAM-SHA-512 (credentials made by AlterUserScramCredentials) and OAUTHBEARER (librdkafka's
// built-in unsecured token); a wrong password and an untrusted certificate deliver nothing.
import { execFile, spawnSync } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import * as M from '../src/protocol/messages/index.js';
import { createDevCa, issueDevCertificate, type DevCertificate } from '../src/security/DevCertificates.js';
import { RawClient } from './support/RawClient.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./support/librdkafka_secure_roundtrip.py', import.meta.url));
const hasLibrdkafka = spawnSync(PYTHON, ['-c', 'import confluent_kafka'], { stdio: 'ignore' }).status === 0;
if (!hasLibrdkafka) console.warn('librdkafka security tests skipped: /usr/bin/python3 cannot import confluent_kafka');

interface Report {
  delivered: number;
  consumed: string[];
  errors: string[];
}

function roundTrip(bootstrap: string, topic: string, count: number, config: Record<string, unknown>): Promise<Report> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT, bootstrap, topic, String(count), JSON.stringify(config)], { timeout: 90_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Report);
    });
  });
}

let dir: string;
let cluster: Cluster;
let caFile: string;
let client: DevCertificate;
let rogue: DevCertificate;

beforeAll(async () => {
  if (!hasLibrdkafka) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-rdk-sec-'));
  const ca = createDevCa(path.join(dir, 'ca'));
  caFile = ca.caCertFile;
  const broker = issueDevCertificate(ca, 'broker', '/O=minikafka/CN=broker', ['localhost', '127.0.0.1']);
  client = issueDevCertificate(ca, 'client', '/O=acme/CN=rdk-client');
  rogue = issueDevCertificate(createDevCa(path.join(dir, 'rogue'), 'rogue'), 'rogue', '/CN=rogue');
  cluster = await startCluster({
    listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
    config: {
      'ssl.keystore.location': broker.keystoreFile,
      'ssl.truststore.location': ca.caCertFile,
      'ssl.client.auth': 'required',
      'sasl.plain.users': 'alice:alice-secret',
      'group.initial.rebalance.delay.ms': 0,
    },
  });
  const c = await RawClient.connect(cluster.bootstrapServers[0]!);
  const upsert = (name: string, mechanism: 1 | 2, password: string) => {
    const salt = randomBytes(16);
    const saltedPassword = pbkdf2Sync(password, salt, 4096, mechanism === 1 ? 32 : 64, mechanism === 1 ? 'sha256' : 'sha512');
    return { name, mechanism, iterations: 4096, salt, saltedPassword };
  };
  const res = await c.request(51, 0, M.encodeAlterUserScramCredentialsRequest, M.decodeAlterUserScramCredentialsResponse, {
    deletions: [],
    upsertions: [upsert('scram256', 1, 'pw-256'), upsert('scram512', 2, 'pw-512')],
  });
  c.close();
  expect(res.results.every((r) => r.errorCode === 0)).toBe(true);
}, 60_000);
afterAll(async () => {
  await cluster?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const ssl = () => ({ 'ssl.ca.location': caFile, 'ssl.endpoint.identification.algorithm': 'none' });
const expected = (topic: string, n: number) => Array.from({ length: n }, (_, i) => `${topic}-${i}`).sort();

describe.runIf(hasLibrdkafka)('librdkafka through secured listeners', () => {
  it('SSL with a client certificate', async () => {
    const cfg = { 'security.protocol': 'SSL', ...ssl(), 'ssl.certificate.location': client.certFile, 'ssl.key.location': client.keyFile };
    const r = await roundTrip(cluster.bootstrapFor('SSL')[0]!, 'rdk-ssl', 20, cfg);
    expect([r.delivered, r.consumed]).toEqual([20, expected('rdk-ssl', 20)]);
  });

  it('SASL_PLAINTEXT with PLAIN', async () => {
    const cfg = { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN', 'sasl.username': 'alice', 'sasl.password': 'alice-secret' };
    const r = await roundTrip(cluster.bootstrapFor('SASL_PLAINTEXT')[0]!, 'rdk-plain', 20, cfg);
    expect([r.delivered, r.consumed]).toEqual([20, expected('rdk-plain', 20)]);
  });

  it('SASL_SSL with SCRAM-SHA-256 and SCRAM-SHA-512', async () => {
    for (const [mech, user, pw] of [
      ['SCRAM-SHA-256', 'scram256', 'pw-256'],
      ['SCRAM-SHA-512', 'scram512', 'pw-512'],
    ] as const) {
      const topic = `rdk-${mech.toLowerCase()}`;
      const cfg = { 'security.protocol': 'SASL_SSL', ...ssl(), 'sasl.mechanism': mech, 'sasl.username': user, 'sasl.password': pw };
      const r = await roundTrip(cluster.bootstrapFor('SASL_SSL')[0]!, topic, 20, cfg);
      expect([r.delivered, r.consumed]).toEqual([20, expected(topic, 20)]);
    }
  });

  it("SASL_PLAINTEXT with OAUTHBEARER (librdkafka's unsecured JWT)", async () => {
    const cfg = { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'OAUTHBEARER', 'sasl.oauthbearer.config': 'principal=rdk-service', 'enable.sasl.oauthbearer.unsecure.jwt': true };
    const r = await roundTrip(cluster.bootstrapFor('SASL_PLAINTEXT')[0]!, 'rdk-oauth', 10, cfg);
    expect([r.delivered, r.consumed, r.errors]).toEqual([10, expected('rdk-oauth', 10), []]);
  });

  it('a wrong SCRAM password delivers nothing and reports an authentication error', async () => {
    const cfg = { 'security.protocol': 'SASL_SSL', ...ssl(), 'sasl.mechanism': 'SCRAM-SHA-512', 'sasl.username': 'scram512', 'sasl.password': 'nope', 'message.timeout.ms': 3000 };
    const r = await roundTrip(cluster.bootstrapFor('SASL_SSL')[0]!, 'rdk-refused', 3, cfg);
    expect(r.delivered).toBe(0);
    expect(r.errors).toContain('_AUTHENTICATION');
  });

  it('an untrusted client certificate delivers nothing', async () => {
    const cfg = { 'security.protocol': 'SSL', ...ssl(), 'ssl.certificate.location': rogue.certFile, 'ssl.key.location': rogue.keyFile, 'message.timeout.ms': 3000 };
    const r = await roundTrip(cluster.bootstrapFor('SSL')[0]!, 'rdk-untrusted', 3, cfg);
    expect(r.delivered).toBe(0);
    expect(r.errors.length).toBeGreaterThan(0);
  });
});
