// Our producer on TLS and SASL listeners, configured with Kafka's producer settings
// (security.protocol, ssl.truststore.*, ssl.keystore.*, ssl.endpoint.identification.algorithm,
// sasl.mechanism, sasl.jaas.config): SSL (with and without hostname verification, mutual TLS),
// SASL_PLAINTEXT with PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER (unsecured token),
// SASL_SSL; KIP-368 re-authentication on the same connection; refused credentials and
// certificates fail sends with typed errors at once. One in-process broker serves every
// listener; kafkajs reads everything back over PLAINTEXT at the end.
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  Producer,
  SaslAuthenticationError,
  SslAuthenticationError,
  startCluster,
  type Cluster,
  type ProducerOptions,
} from '../src/index.js';
import * as M from '../src/protocol/messages/index.js';
import { createDevCa, issueDevCertificate, type DevCertificate } from '../src/security/DevCertificates.js';
import { RawClient } from './support/RawClient.js';

const LISTENERS = ['PLAINTEXT', 'SSL', 'MTLS', 'WRONGHOST', 'SASL_PLAINTEXT', 'SASL_SSL', 'REAUTH'];
const PROTOCOLS = 'PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL,WRONGHOST:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,REAUTH:SASL_PLAINTEXT';
const PLAIN = (user: string, password: string) => `org.apache.kafka.common.security.plain.PlainLoginModule required username="${user}" password="${password}";`;
const SCRAM = (user: string, password: string) => `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";`;

let dir: string;
let cluster: Cluster;
let caPem: string;
let caFile: string;
let alice: DevCertificate;
const producers: Producer[] = [];
/** What each test produced: read back once at the end. */
const produced = new Map<string, string[]>();

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-psec-'));
  const ca = createDevCa(path.join(dir, 'ca'));
  const broker = issueDevCertificate(ca, 'broker', '/O=minikafka/CN=broker', ['localhost', '127.0.0.1']);
  const elsewhere = issueDevCertificate(ca, 'elsewhere', '/O=minikafka/CN=elsewhere', ['wrong.example']);
  alice = issueDevCertificate(ca, 'alice', '/O=acme/CN=alice');
  caFile = ca.caCertFile;
  caPem = fs.readFileSync(caFile, 'utf8');
  cluster = await startCluster({
    dataDir: path.join(dir, 'data'),
    listeners: LISTENERS.map((l) => `${l}://127.0.0.1:0`).join(','),
    config: {
      'listener.security.protocol.map': PROTOCOLS,
      'inter.broker.listener.name': 'PLAINTEXT',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': broker.keystoreFile,
      'ssl.truststore.location': caFile,
      'listener.name.mtls.ssl.client.auth': 'required',
      'listener.name.wronghost.ssl.keystore.location': elsewhere.keystoreFile,
      'sasl.plain.users': 'alice:alice-secret',
      'listener.name.reauth.connections.max.reauth.ms': 1000,
      'group.initial.rebalance.delay.ms': 0,
      'offsets.topic.replication.factor': 1,
    },
  });
  await setScram('carol', 'carol-256', 1);
  await setScram('carol', 'carol-512', 2);
});
afterEach(async () => {
  for (const p of producers.splice(0)) await p.close({ timeoutMs: 0 });
});
afterAll(async () => {
  await cluster?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** AlterUserScramCredentials (mechanism 1 = SHA-256, 2 = SHA-512) over PLAINTEXT. */
async function setScram(user: string, password: string, mechanism: 1 | 2): Promise<void> {
  const salt = randomBytes(16);
  const saltedPassword = pbkdf2Sync(password, salt, 4096, mechanism === 1 ? 32 : 64, mechanism === 1 ? 'sha256' : 'sha512');
  const c = await RawClient.connect(cluster.bootstrapFor('PLAINTEXT')[0]!);
  try {
    const res = await c.request(51, 0, M.encodeAlterUserScramCredentialsRequest, M.decodeAlterUserScramCredentialsResponse, {
      deletions: [],
      upsertions: [{ name: user, mechanism, iterations: 4096, salt, saltedPassword }],
    });
    expect(res.results[0]!.errorCode).toBe(0);
  } finally {
    c.close();
  }
}

function producer(listener: string, opts: Partial<ProducerOptions>): Producer {
  const p = new Producer({ bootstrapServers: cluster.bootstrapFor(listener), maxBlockMs: 5000, deliveryTimeoutMs: 8000, requestTimeoutMs: 5000, ...opts });
  producers.push(p);
  return p;
}

/** Send two records and remember them for the read-back. */
async function produceTwo(p: Producer, topic: string): Promise<void> {
  const values = [`${topic}-1`, `${topic}-2`];
  const meta = await Promise.all(values.map((value) => p.send({ topic, value })));
  expect(meta.map((m) => m.offset)).toEqual([0, 1]);
  produced.set(topic, values);
}

describe('SSL', () => {
  it('trusts the broker through ssl.truststore.certificates (PEM) and verifies its host name', async () => {
    await produceTwo(producer('SSL', { securityProtocol: 'SSL', sslTruststoreType: 'PEM', sslTruststoreCertificates: caPem }), 'ssl-pem');
  });

  it('ssl.truststore.location (and librdkafka\'s ssl.ca.location) from Kafka property names', async () => {
    const p = Producer.fromProperties({ 'bootstrap.servers': cluster.bootstrapFor('SSL').join(','), 'security.protocol': 'ssl', 'ssl.ca.location': caFile, 'max.block.ms': 5000 });
    producers.push(p);
    expect(p.config.sslTruststoreLocation).toBe(caFile);
    await produceTwo(p, 'ssl-location');
  });

  it('a certificate that does not name the host fails with SslAuthenticationError; with ssl.endpoint.identification.algorithm empty it is accepted', async () => {
    const checked = producer('WRONGHOST', { securityProtocol: 'SSL', sslTruststoreLocation: caFile });
    const started = Date.now();
    const err = await checked.send({ topic: 'wronghost', value: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SslAuthenticationError);
    expect((err as Error).message).toMatch(/SSL handshake failed.*(altnames|Hostname\/IP does not match)/);
    expect(Date.now() - started).toBeLessThan(4000);
    await produceTwo(producer('WRONGHOST', { securityProtocol: 'SSL', sslTruststoreLocation: caFile, sslEndpointIdentificationAlgorithm: '' }), 'wronghost');
  });

  it('an untrusted broker (Node\'s default CAs only) fails with SslAuthenticationError', async () => {
    const err = await producer('SSL', { securityProtocol: 'SSL' })
      .send({ topic: 'untrusted', value: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SslAuthenticationError);
  });

  it('mutual TLS (ssl.client.auth=required): a PEM keystore inline or as one file; none is refused', async () => {
    const inline = { sslKeystoreType: 'PEM', sslKeystoreCertificateChain: fs.readFileSync(alice.certFile, 'utf8'), sslKeystoreKey: fs.readFileSync(alice.keyFile, 'utf8') };
    await produceTwo(producer('MTLS', { securityProtocol: 'SSL', sslTruststoreLocation: caFile, ...inline }), 'mtls-inline');
    await produceTwo(producer('MTLS', { securityProtocol: 'SSL', sslTruststoreLocation: caFile, sslKeystoreLocation: alice.keystoreFile }), 'mtls-file');
    const principals = [...cluster.brokers[0]!.clientConnections].filter((c) => c.listenerName === 'MTLS').map((c) => c.principal);
    expect(principals).toContain('User:CN=alice,O=acme');
    const err = await producer('MTLS', { securityProtocol: 'SSL', sslTruststoreLocation: caFile })
      .send({ topic: 'mtls-none', value: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SslAuthenticationError);
  });
});

describe('SASL', () => {
  it('SASL_PLAINTEXT with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512', async () => {
    await produceTwo(producer('SASL_PLAINTEXT', { securityProtocol: 'SASL_PLAINTEXT', saslMechanism: 'PLAIN', saslJaasConfig: PLAIN('alice', 'alice-secret') }), 'sasl-plain');
    await produceTwo(producer('SASL_PLAINTEXT', { securityProtocol: 'SASL_PLAINTEXT', saslMechanism: 'SCRAM-SHA-256', saslJaasConfig: SCRAM('carol', 'carol-256') }), 'sasl-scram256');
    await produceTwo(producer('SASL_PLAINTEXT', { securityProtocol: 'SASL_PLAINTEXT', saslMechanism: 'SCRAM-SHA-512', saslJaasConfig: SCRAM('carol', 'carol-512') }), 'sasl-scram512');
  });

  it('OAUTHBEARER with an unsecured token from the login module options; the principal is its sub', async () => {
    const jaas = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="service-a" unsecuredLoginListClaim_scope=",read,write";';
    await produceTwo(producer('SASL_PLAINTEXT', { securityProtocol: 'SASL_PLAINTEXT', saslMechanism: 'OAUTHBEARER', saslJaasConfig: jaas }), 'sasl-oauth');
    const principals = [...cluster.brokers[0]!.clientConnections].filter((c) => c.listenerName === 'SASL_PLAINTEXT').map((c) => c.principal);
    expect(principals).toContain('User:service-a');
  });

  it('SASL_SSL with SCRAM-SHA-512, from Kafka property names', async () => {
    const p = Producer.fromProperties({
      'bootstrap.servers': cluster.bootstrapFor('SASL_SSL').join(','),
      'security.protocol': 'SASL_SSL',
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': caFile,
      'sasl.mechanism': 'SCRAM-SHA-512',
      'sasl.jaas.config': SCRAM('carol', 'carol-512'),
    });
    producers.push(p);
    await produceTwo(p, 'sasl-ssl');
  });

  it('a wrong password fails the send with SaslAuthenticationError at once (PLAIN, SCRAM), not after max.block.ms', async () => {
    for (const [mechanism, jaas] of [
      ['PLAIN', PLAIN('alice', 'wrong')],
      ['SCRAM-SHA-256', SCRAM('carol', 'carol-512')],
    ] as const) {
      const p = producer('SASL_PLAINTEXT', { securityProtocol: 'SASL_PLAINTEXT', saslMechanism: mechanism, saslJaasConfig: jaas, maxBlockMs: 30_000 });
      const started = Date.now();
      const err = await p.send({ topic: 'refused', value: 'x' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SaslAuthenticationError);
      expect((err as SaslAuthenticationError).retriable).toBe(false);
      expect((err as Error).message).toMatch(/Authentication failed/);
      expect(Date.now() - started).toBeLessThan(3000);
      await p.close({ timeoutMs: 1000 });
    }
  });

  it('a transactional producer with a wrong password: initTransactions fails with SaslAuthenticationError', async () => {
    const p = producer('SASL_PLAINTEXT', { securityProtocol: 'SASL_PLAINTEXT', saslMechanism: 'PLAIN', saslJaasConfig: PLAIN('alice', 'nope'), transactionalId: 'tx-refused' });
    await expect(p.initTransactions()).rejects.toBeInstanceOf(SaslAuthenticationError);
  });

  it('KIP-368: with connections.max.reauth.ms the producer re-authenticates on its connection and keeps sending', async () => {
    const p = producer('REAUTH', { securityProtocol: 'SASL_PLAINTEXT', saslMechanism: 'PLAIN', saslJaasConfig: PLAIN('alice', 'alice-secret') });
    const values: string[] = [];
    for (let i = 0; i < 3; i++) {
      values.push(`reauth-${i}`);
      expect((await p.send({ topic: 'reauth', value: `reauth-${i}` })).offset).toBe(i);
      await new Promise((r) => setTimeout(r, 700)); // past 85-95% of the 1 s session twice
    }
    produced.set('reauth', values);
    // A request after the session expired would have closed the connection (and made another).
    expect(p.metrics().connectionsCreated).toBe(1);
  });
});

describe('configuration', () => {
  const base = { bootstrapServers: '127.0.0.1:1' };
  it('Kafka defaults, and settings that cannot work are ConfigErrors when the producer is made', () => {
    const p = new Producer(base);
    producers.push(p);
    expect(p.config).toMatchObject({ securityProtocol: 'PLAINTEXT', saslMechanism: 'GSSAPI', sslEndpointIdentificationAlgorithm: 'https', saslJaasConfig: null });
    const bad: [Partial<ProducerOptions>, RegExp][] = [
      [{ securityProtocol: 'TLS' as never }, /security.protocol: String must be one of: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL/],
      [{ securityProtocol: 'SASL_PLAINTEXT', saslJaasConfig: PLAIN('a', 'b') }, /sasl.mechanism: .*GSSAPI is Kafka's default/],
      [{ securityProtocol: 'SASL_SSL', saslMechanism: 'PLAIN' }, /sasl.jaas.config: SASL_SSL needs sasl.jaas.config/],
      [{ securityProtocol: 'SASL_PLAINTEXT', saslMechanism: 'PLAIN', saslJaasConfig: 'org.x.PlainLoginModule required username="a";' }, /PLAIN needs the option password/],
      [{ securityProtocol: 'SASL_PLAINTEXT', saslMechanism: 'PLAIN', saslJaasConfig: 'PlainLoginModule username="a"' }, /expected '<LoginModule> required/],
      [{ securityProtocol: 'SASL_PLAINTEXT', saslMechanism: 'PLAIN', saslJaasConfig: `${PLAIN('a', 'b')} ${PLAIN('c', 'd')}` }, /more than one login module/],
      [{ securityProtocol: 'SASL_PLAINTEXT', saslMechanism: 'OAUTHBEARER', saslJaasConfig: 'x.OAuthBearerLoginModule required unsecuredLoginLifetimeSeconds="60";' }, /no principal claim 'sub'/],
      [{ securityProtocol: 'SSL', sslTruststoreLocation: '/nonexistent/ca.pem' }, /ssl.truststore.location: cannot read/],
      [{ securityProtocol: 'SSL', sslTruststoreType: 'JKS' }, /PEM stores only/],
      [{ securityProtocol: 'SSL', sslKeystoreKey: 'k' }, /ssl.keystore.key and ssl.keystore.certificate.chain go together/],
      [{ securityProtocol: 'SSL', sslEndpointIdentificationAlgorithm: 'ldap' }, /must be 'https' or empty/],
    ];
    for (const [opts, message] of bad) expect(() => new Producer({ ...base, ...opts }), JSON.stringify(opts)).toThrow(message);
    for (const [opts] of bad) expect(() => new Producer({ ...base, ...opts })).toThrow(ConfigError);
  });

  it('JAAS values may be quoted with escapes or bare; the password never shows in an error', () => {
    const p = new Producer({ ...base, securityProtocol: 'SASL_PLAINTEXT', saslMechanism: 'SCRAM-SHA-256', saslJaasConfig: 'x.ScramLoginModule required\n  username=bob\n  password="p\\"w;d";' });
    producers.push(p);
    expect(() => new Producer({ ...base, securityProtocol: 'SASL_PLAINTEXT', saslMechanism: 'PLAIN', saslJaasConfig: 'x.PlainLoginModule required password="s3cret"' })).toThrow(
      /^(?!.*s3cret).*no ';' at the end/,
    );
  });
});

describe('read back with kafkajs', () => {
  it('every record sent above landed', async () => {
    const kafka = new Kafka({ clientId: 'psec-reader', brokers: cluster.bootstrapFor('PLAINTEXT'), logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 } });
    const consumer = kafka.consumer({ groupId: 'psec-reader' });
    await consumer.connect();
    await consumer.subscribe({ topics: [...produced.keys()], fromBeginning: true });
    const want = [...produced.values()].flat().length;
    const seen = new Map<string, string[]>();
    let count = 0;
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ topic, message }) => {
            seen.set(topic, [...(seen.get(topic) ?? []), message.value!.toString()]);
            if (++count === want) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(new Map([...seen].sort())).toEqual(new Map([...produced].sort()));
    expect(produced.size).toBe(11);
  });
});
