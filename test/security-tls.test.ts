// TLS listeners with client authentication: ssl.client.auth=required on one listener (also the
// inter-broker listener, so replication runs over mutual TLS) and requested on another
// (listener.name.<l>.ssl.client.auth). The principal is the client certificate's DN as Kafka's
// default principal builder formats it; a missing or untrusted certificate is refused where
// required, an untrusted one also where requested.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import { createDevCa, issueDevCertificate, type DevCertificate } from '../src/security/DevCertificates.js';

let dir: string;
let cluster: Cluster;
let ca: Buffer;
let alice: DevCertificate;
let mallory: DevCertificate;
let rogueCa: Buffer;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-tls-'));
  const trusted = createDevCa(path.join(dir, 'trusted'));
  const broker = issueDevCertificate(trusted, 'broker', '/O=minikafka/CN=broker', ['localhost', '127.0.0.1']);
  alice = issueDevCertificate(trusted, 'alice', '/C=NO/O=acme/OU=eng/CN=alice');
  const rogue = createDevCa(path.join(dir, 'rogue'), 'rogue-ca');
  mallory = issueDevCertificate(rogue, 'mallory', '/O=acme/CN=mallory');
  ca = fs.readFileSync(trusted.caCertFile);
  rogueCa = fs.readFileSync(rogue.caCertFile);
  cluster = await startCluster({
    brokers: 2,
    listeners: 'SSL://127.0.0.1:0,REQ://127.0.0.1:0',
    config: {
      'listener.security.protocol.map': 'SSL:SSL,REQ:SSL',
      'inter.broker.listener.name': 'SSL',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': broker.keystoreFile,
      'ssl.truststore.location': trusted.caCertFile,
      'ssl.client.auth': 'required',
      'listener.name.req.ssl.client.auth': 'requested',
      'offsets.topic.replication.factor': 1,
      'group.initial.rebalance.delay.ms': 0,
    },
  });
});
afterAll(async () => {
  await cluster?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const pem = (file: string) => fs.readFileSync(file, 'utf8');

function kafka(listener: string, ssl: KafkaConfig['ssl']): Kafka {
  return new Kafka({ clientId: 'tls-test', brokers: cluster.bootstrapFor(listener), logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 }, ssl, connectionTimeout: 5000 });
}

function principalsOn(listener: string): string[] {
  return cluster.brokers.flatMap((b) => [...b.clientConnections]).filter((c) => c.listenerName === listener).map((c) => c.principal);
}

async function refused(k: Kafka): Promise<void> {
  const admin = k.admin();
  await expect(admin.connect()).rejects.toThrow();
  await admin.disconnect();
}

describe('mutual TLS (ssl.client.auth=required), replication over the SSL inter-broker listener', () => {
  it('a client with a trusted certificate produces (acks=all, 2 replicas) and consumes; its principal is the DN', async () => {
    const k = kafka('SSL', { ca: [ca], cert: pem(alice.certFile), key: pem(alice.keyFile) });
    const admin = k.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'mtls', numPartitions: 2, replicationFactor: 2 }], waitForLeaders: true });
    expect(principalsOn('SSL')).toContain('User:CN=alice,OU=eng,O=acme,C=NO');
    const producer = k.producer();
    await producer.connect();
    await producer.send({ topic: 'mtls', acks: -1, messages: [{ key: 'a', value: 'one' }, { key: 'b', value: 'two' }, { key: 'c', value: 'three' }] });
    await producer.disconnect();
    await cluster.waitForReplication('mtls'); // the followers fetched over mutual TLS
    const consumer = k.consumer({ groupId: 'mtls-group' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'mtls', fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer.run({ eachMessage: async ({ message }) => void (seen.push(message.value!.toString()) === 3 && resolve()) }).catch(reject);
    });
    await consumer.disconnect();
    await admin.disconnect();
    expect(seen.sort()).toEqual(['one', 'three', 'two']);
    for (const b of cluster.brokers) {
      const offsets = [0, 1].map((p) => b.replicaManager.getPartition('mtls', p)?.log.logEndOffset ?? -1);
      expect(offsets.reduce((a, n) => a + n, 0)).toBe(3); // every broker holds all three records
    }
  });

  it('no client certificate is refused', async () => {
    await refused(kafka('SSL', { ca: [ca] }));
  });

  it('a certificate from an untrusted CA is refused', async () => {
    await refused(kafka('SSL', { ca: [ca], cert: pem(mallory.certFile), key: pem(mallory.keyFile) }));
  });

  it('a client that does not trust the broker certificate does not connect', async () => {
    await refused(kafka('SSL', { ca: [rogueCa], cert: pem(alice.certFile), key: pem(alice.keyFile) }));
  });
});

describe('ssl.client.auth=requested (one listener)', () => {
  it('no certificate: served as User:ANONYMOUS', async () => {
    const admin = kafka('REQ', { ca: [ca] }).admin();
    await admin.connect();
    expect(await admin.listTopics()).toContain('mtls');
    expect(principalsOn('REQ')).toContain('User:ANONYMOUS');
    await admin.disconnect();
  });

  it('a trusted certificate: its DN', async () => {
    const admin = kafka('REQ', { ca: [ca], cert: pem(alice.certFile), key: pem(alice.keyFile) }).admin();
    await admin.connect();
    await admin.listTopics();
    expect(principalsOn('REQ')).toContain('User:CN=alice,OU=eng,O=acme,C=NO');
    await admin.disconnect();
  });

  it('an untrusted certificate is refused', async () => {
    await refused(kafka('REQ', { ca: [ca], cert: pem(mallory.certFile), key: pem(mallory.keyFile) }));
  });
});

describe('inline PEM keystore (ssl.keystore.key + ssl.keystore.certificate.chain) with an encrypted key', () => {
  it('serves TLS with the key decrypted by ssl.key.password; a wrong password is a config error', async () => {
    const ca = createDevCa(path.join(dir, 'inline'));
    const broker = issueDevCertificate(ca, 'broker', '/CN=inline-broker', ['127.0.0.1']);
    const encrypted = path.join(dir, 'inline', 'broker-enc.key');
    execFileSync('openssl', ['pkcs8', '-topk8', '-v2', 'aes256', '-in', broker.keyFile, '-out', encrypted, '-passout', 'pass:key-secret']);
    const config = {
      'ssl.keystore.key': pem(encrypted),
      'ssl.keystore.certificate.chain': pem(broker.certFile),
      'ssl.key.password': 'key-secret',
    };
    const c = await startCluster({ listeners: 'SSL://127.0.0.1:0', config });
    try {
      const admin = new Kafka({ clientId: 'inline', brokers: c.bootstrapFor('SSL'), logLevel: logLevel.NOTHING, ssl: { ca: [fs.readFileSync(ca.caCertFile)] } }).admin();
      await admin.connect();
      expect((await admin.describeCluster()).brokers).toHaveLength(1);
      await admin.disconnect();
    } finally {
      await c.close();
    }
    await expect(startCluster({ listeners: 'SSL://127.0.0.1:0', config: { ...config, 'ssl.key.password': 'wrong' } })).rejects.toThrow(/listener SSL: the keystore cannot be used/);
  });
});
