// SASL on SASL_PLAINTEXT and SASL_SSL listeners with kafkajs: PLAIN (sasl.plain.users and a
// listener's JAAS config), SCRAM-SHA-256/512 with credentials made by AlterUserScramCredentials,
// OAUTHBEARER with unsecured JWS tokens. Wrong credentials are SASL_AUTHENTICATION_FAILED and a
// closed connection; requests before authentication close it; the SCRAM credential APIs follow
// Kafka's rules and the credentials survive a restart of the whole cluster.
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import * as M from '../src/protocol/messages/index.js';
import { RawClient } from './support/RawClient.js';

const LISTENERS = 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0';
const CONFIG = {
  'sasl.plain.users': 'alice:alice-secret',
  'listener.name.sasl_ssl.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="x" user_bob="bob-secret";',
  'group.initial.rebalance.delay.ms': 0,
};

let dataDir: string;
let cluster: Cluster;
let ca: Buffer;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-sasl-'));
  cluster = await startCluster({ dataDir, tlsDev: true, listeners: LISTENERS, config: CONFIG });
  ca = fs.readFileSync(cluster.tlsDev!.caFile);
});
afterAll(async () => {
  await cluster?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function kafka(listener: string, sasl: SASLOptions, extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: 'sasl-test',
    brokers: cluster.bootstrapFor(listener),
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 100 }, // the first consumer waits for __consumer_offsets
    sasl,
    ...(listener === 'SASL_SSL' ? { ssl: { ca: [ca] } } : {}),
    ...extra,
  });
}

/** Produce one record and read it back: the listener serves this client. */
async function produceAndRead(k: Kafka, topic: string): Promise<string> {
  const producer = k.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ value: `hello ${topic}` }] });
  await producer.disconnect();
  const consumer = k.consumer({ groupId: `g-${topic}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const value = await new Promise<string>((resolve, reject) => {
    consumer.run({ eachMessage: async ({ message }) => resolve(message.value!.toString()) }).catch(reject);
  });
  await consumer.disconnect();
  return value;
}

const MECHANISM_TYPE = { 'scram-sha-256': 1, 'scram-sha-512': 2 } as const;

/** AlterUserScramCredentials as Kafka's admin client sends it: the salted password, never the password. */
async function setScram(user: string, password: string, mechanism: keyof typeof MECHANISM_TYPE, iterations = 4096): Promise<M.AlterUserScramCredentialsResponse> {
  const salt = randomBytes(16);
  const hash = mechanism === 'scram-sha-256' ? 'sha256' : 'sha512';
  const saltedPassword = pbkdf2Sync(password, salt, iterations, hash === 'sha256' ? 32 : 64, hash);
  const c = await RawClient.connect(cluster.bootstrapServers[0]!);
  try {
    return await c.request(51, 0, M.encodeAlterUserScramCredentialsRequest, M.decodeAlterUserScramCredentialsResponse, {
      deletions: [],
      upsertions: [{ name: user, mechanism: MECHANISM_TYPE[mechanism], iterations, salt, saltedPassword }],
    });
  } finally {
    c.close();
  }
}

/** An unsecured JWS (alg none) as Kafka's OAuthBearerUnsecuredLoginCallbackHandler makes. */
function unsecuredJws(claims: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none' })}.${part(claims)}.`;
}

describe('SASL/PLAIN', () => {
  it('kafkajs produces and consumes over SASL_PLAINTEXT (sasl.plain.users)', async () => {
    expect(await produceAndRead(kafka('SASL_PLAINTEXT', { mechanism: 'plain', username: 'alice', password: 'alice-secret' }), 'plain-1')).toBe('hello plain-1');
  });

  it('kafkajs produces and consumes over SASL_SSL (a user from the listener JAAS config)', async () => {
    expect(await produceAndRead(kafka('SASL_SSL', { mechanism: 'plain', username: 'bob', password: 'bob-secret' }), 'plain-2')).toBe('hello plain-2');
  });

  it('a wrong password is refused with SASL_AUTHENTICATION_FAILED', async () => {
    const admin = kafka('SASL_PLAINTEXT', { mechanism: 'plain', username: 'alice', password: 'wrong' }).admin();
    await expect(admin.connect()).rejects.toThrow(/SASL PLAIN authentication failed|Invalid username or password/);
    const bob = kafka('SASL_PLAINTEXT', { mechanism: 'plain', username: 'bob', password: 'bob-secret' }).admin(); // bob exists on SASL_SSL only
    await expect(bob.connect()).rejects.toThrow(/authentication failed/i);
  });

  it('on the wire: the failure is answered, then the connection is closed', async () => {
    const c = await RawClient.connect(cluster.bootstrapFor('SASL_PLAINTEXT')[0]!);
    const hs = await c.request(17, 1, M.encodeSaslHandshakeRequest, M.decodeSaslHandshakeResponse, { mechanism: 'PLAIN' });
    expect(hs).toEqual({ errorCode: 0, mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] });
    const res = await c.request(36, 2, M.encodeSaslAuthenticateRequest, M.decodeSaslAuthenticateResponse, { authBytes: Buffer.from('\0alice\0nope') });
    expect(res.errorCode).toBe(58); // SASL_AUTHENTICATION_FAILED
    expect(res.errorMessage).toBe('Authentication failed: Invalid username or password');
    await c.closed;
  });

  it('a request other than ApiVersions/SaslHandshake before authentication closes the connection', async () => {
    const c = await RawClient.connect(cluster.bootstrapFor('SASL_PLAINTEXT')[0]!);
    const versions = await c.request(18, 3, M.encodeApiVersionsRequest, M.decodeApiVersionsResponse, { ...M.defaultApiVersionsRequest(), clientSoftwareName: 't', clientSoftwareVersion: '1' });
    expect(versions.errorCode).toBe(0);
    await expect(c.request(3, 12, M.encodeMetadataRequest, M.decodeMetadataResponse, { ...M.defaultMetadataRequest(), topics: null })).rejects.toThrow(/closed/);
  });

  it('SaslHandshake v0 (clients before Kafka 1.0): raw size-prefixed tokens, then requests are served', async () => {
    const raw = (token: string) => {
      const b = Buffer.alloc(4 + Buffer.byteLength(token));
      b.writeInt32BE(b.length - 4, 0);
      b.write(token, 4);
      return b;
    };
    const c = await RawClient.connect(cluster.bootstrapFor('SASL_PLAINTEXT')[0]!);
    expect((await c.request(17, 0, M.encodeSaslHandshakeRequest, M.decodeSaslHandshakeResponse, { mechanism: 'PLAIN' })).errorCode).toBe(0);
    const reply = c.nextFrame();
    c.writeRaw(raw('\0alice\0alice-secret'));
    expect((await reply).length).toBe(0); // PLAIN's empty server token
    const meta = await c.request(3, 12, M.encodeMetadataRequest, M.decodeMetadataResponse, { ...M.defaultMetadataRequest(), topics: [] });
    expect(meta.brokers).toHaveLength(1);
    c.close();
    const bad = await RawClient.connect(cluster.bootstrapFor('SASL_PLAINTEXT')[0]!);
    await bad.request(17, 0, M.encodeSaslHandshakeRequest, M.decodeSaslHandshakeResponse, { mechanism: 'PLAIN' });
    bad.writeRaw(raw('\0alice\0wrong-secret'));
    await bad.closed; // no answer in the raw form: the connection closes
  });

  it('an unknown mechanism is UNSUPPORTED_SASL_MECHANISM with the enabled list, then closed', async () => {
    const c = await RawClient.connect(cluster.bootstrapFor('SASL_PLAINTEXT')[0]!);
    const hs = await c.request(17, 1, M.encodeSaslHandshakeRequest, M.decodeSaslHandshakeResponse, { mechanism: 'GSSAPI' });
    expect(hs.errorCode).toBe(33);
    expect(hs.mechanisms).toContain('SCRAM-SHA-512');
    await c.closed;
  });
});

describe('SASL/SCRAM', () => {
  it('AlterUserScramCredentials creates credentials DescribeUserScramCredentials lists (never the keys)', async () => {
    expect((await setScram('carol', 'carol-256', 'scram-sha-256')).results).toEqual([{ user: 'carol', errorCode: 0, errorMessage: null }]);
    expect((await setScram('carol', 'carol-512', 'scram-sha-512', 8192)).results).toEqual([{ user: 'carol', errorCode: 0, errorMessage: null }]);
    const c = await RawClient.connect(cluster.bootstrapServers[0]!);
    const res = await c.request(50, 0, M.encodeDescribeUserScramCredentialsRequest, M.decodeDescribeUserScramCredentialsResponse, { users: [{ name: 'carol' }] });
    c.close();
    expect(res.results).toEqual([
      {
        user: 'carol',
        errorCode: 0,
        errorMessage: null,
        credentialInfos: [
          { mechanism: 1, iterations: 4096 },
          { mechanism: 2, iterations: 8192 },
        ],
      },
    ]);
  });

  it('kafkajs SCRAM-SHA-256 over SASL_PLAINTEXT and SCRAM-SHA-512 over SASL_SSL', async () => {
    expect(await produceAndRead(kafka('SASL_PLAINTEXT', { mechanism: 'scram-sha-256', username: 'carol', password: 'carol-256' }), 'scram-1')).toBe('hello scram-1');
    expect(await produceAndRead(kafka('SASL_SSL', { mechanism: 'scram-sha-512', username: 'carol', password: 'carol-512' }), 'scram-2')).toBe('hello scram-2');
  });

  it('a wrong SCRAM password or an unknown user is refused', async () => {
    const wrong = kafka('SASL_SSL', { mechanism: 'scram-sha-256', username: 'carol', password: 'carol-512' }).admin();
    await expect(wrong.connect()).rejects.toThrow(/authentication failed/i);
    const nobody = kafka('SASL_PLAINTEXT', { mechanism: 'scram-sha-512', username: 'nobody', password: 'x' }).admin();
    await expect(nobody.connect()).rejects.toThrow(/authentication failed/i);
  });

  it("the credential APIs' errors: duplicate user, too few or too many iterations, unknown mechanism, missing credential", async () => {
    const c = await RawClient.connect(cluster.bootstrapServers[0]!);
    const up = (name: string, mechanism: number, iterations: number) => ({ name, mechanism, iterations, salt: Buffer.from('s'), saltedPassword: Buffer.alloc(32, 1) });
    const res = await c.request(51, 0, M.encodeAlterUserScramCredentialsRequest, M.decodeAlterUserScramCredentialsResponse, {
      deletions: [
        { name: 'dave', mechanism: 1 },
        { name: 'nobody', mechanism: 1 },
      ],
      upsertions: [up('dave', 1, 4096), up('erin', 1, 100), up('frank', 2, 20000), up('gina', 9, 4096), up('', 1, 4096), up('hank', 1, 4096)],
    });
    expect(Object.fromEntries(res.results.map((r) => [r.user, [r.errorCode, r.errorMessage]]))).toEqual({
      hank: [0, null],
      dave: [91, 'Attempt to delete a user credential that does not exist'], // its deletion failed first; the upsertion is not looked at (Kafka's order)
      nobody: [91, 'Attempt to delete a user credential that does not exist'],
      erin: [93, 'Too few iterations'],
      frank: [93, 'Too many iterations'],
      gina: [33, 'Unknown SCRAM mechanism'],
      '': [93, 'Username must not be empty'],
    });
    const del = await c.request(51, 0, M.encodeAlterUserScramCredentialsRequest, M.decodeAlterUserScramCredentialsResponse, { deletions: [{ name: 'hank', mechanism: 1 }], upsertions: [] });
    expect(del.results).toEqual([{ user: 'hank', errorCode: 0, errorMessage: null }]);
    const described = await c.request(50, 0, M.encodeDescribeUserScramCredentialsRequest, M.decodeDescribeUserScramCredentialsResponse, { users: [{ name: 'hank' }, { name: 'carol' }, { name: 'carol' }] });
    expect(described.results.map((r) => [r.user, r.errorCode])).toEqual([
      ['hank', 91],
      ['carol', 92],
    ]);
    const all = await c.request(50, 0, M.encodeDescribeUserScramCredentialsRequest, M.decodeDescribeUserScramCredentialsResponse, { users: null });
    expect(all.results.map((r) => r.user)).toEqual(['carol']);
    c.close();
  });
});

describe('SASL/OAUTHBEARER (unsecured JWS)', () => {
  const bearer = (token: string): SASLOptions => ({ mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: token }) });

  it('kafkajs authenticates with an unsecured token; the principal is its sub', async () => {
    const token = unsecuredJws({ sub: 'service-a', exp: Math.floor(Date.now() / 1000) + 3600, iat: Math.floor(Date.now() / 1000) });
    const k = kafka('SASL_SSL', bearer(token));
    expect(await produceAndRead(k, 'oauth-1')).toBe('hello oauth-1');
    const admin = k.admin();
    await admin.connect();
    await admin.listTopics();
    const principals = [...cluster.brokers[0]!.clientConnections].filter((c) => c.listenerName === 'SASL_SSL').map((c) => c.principal);
    expect(principals).toContain('User:service-a');
    await admin.disconnect();
  });

  it('an expired token, a signed token or one without sub is refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const token of [
      unsecuredJws({ sub: 'late', exp: now - 10 }),
      unsecuredJws({ exp: now + 100 }),
      `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', exp: now + 100 })).toString('base64url')}.c2ln`,
    ]) {
      const admin = kafka('SASL_PLAINTEXT', bearer(token)).admin();
      await expect(admin.connect()).rejects.toThrow(/invalid_token|authentication failed/i);
    }
  });
});

describe('durability', () => {
  it('SCRAM credentials live in the metadata log: a restarted cluster still knows them', async () => {
    await cluster.close();
    cluster = await startCluster({ dataDir, tlsDev: true, listeners: LISTENERS, config: CONFIG });
    expect(fs.readFileSync(cluster.tlsDev!.caFile)).toEqual(ca); // --tls-dev keeps its CA across restarts
    const admin = kafka('SASL_SSL', { mechanism: 'scram-sha-512', username: 'carol', password: 'carol-512' }).admin();
    await admin.connect();
    expect(await admin.listTopics()).toContain('scram-2');
    await admin.disconnect();
  });
});
