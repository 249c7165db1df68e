// Several listeners on one broker (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL) with --tls-dev's
// certificates: kafkajs produces and consumes through each, and each listener's Metadata names
// that listener's endpoints; a connection's listener name, security protocol and principal are
// what the authorizer will see.
import fs from 'node:fs';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';

let cluster: Cluster;
let ca: Buffer;

beforeAll(async () => {
  cluster = await startCluster({
    brokers: 2,
    tlsDev: true,
    listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
    config: { 'sasl.plain.users': 'alice:alice-secret', 'offsets.topic.replication.factor': 1, 'group.initial.rebalance.delay.ms': 0 },
  });
  ca = fs.readFileSync(cluster.tlsDev!.caFile);
});
afterAll(async () => {
  await cluster?.close();
});

function client(listener: string, extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({ clientId: `listeners-${listener}`, brokers: cluster.bootstrapFor(listener), logLevel: logLevel.NOTHING, retry: { retries: 2 }, ...extra });
}

const alice: SASLOptions = { mechanism: 'plain', username: 'alice', password: 'alice-secret' };

async function roundTrip(kafka: Kafka, topic: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 2 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ value: `${topic}-1` }, { value: `${topic}-2` }] });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `${topic}-group` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value!.toString());
        if (seen.length === 2) resolve();
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  return seen;
}

describe('several listeners per broker', () => {
  it('each listener has its own port on every broker', () => {
    const names = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
    const ports = names.flatMap((n) => cluster.bootstrapFor(n));
    expect(new Set(ports).size).toBe(8);
    expect(cluster.bootstrapServers).toEqual(cluster.bootstrapFor('PLAINTEXT'));
    expect(cluster.listenerNames).toEqual(['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']);
    expect(cluster.brokers[0]!.listeners.map((l) => [l.name, l.securityProtocol])).toEqual([
      ['PLAINTEXT', 'PLAINTEXT'],
      ['SSL', 'SSL'],
      ['SASL_PLAINTEXT', 'SASL_PLAINTEXT'],
      ['SASL_SSL', 'SASL_SSL'],
    ]);
  });

  it('PLAINTEXT: produce and consume', async () => {
    expect(await roundTrip(client('PLAINTEXT'), 'via-plaintext')).toEqual(['via-plaintext-1', 'via-plaintext-2']);
  });

  it('SSL: produce and consume', async () => {
    expect(await roundTrip(client('SSL', { ssl: { ca: [ca] } }), 'via-ssl')).toEqual(['via-ssl-1', 'via-ssl-2']);
  });

  it('SASL_PLAINTEXT with PLAIN: produce and consume', async () => {
    expect(await roundTrip(client('SASL_PLAINTEXT', { sasl: alice }), 'via-sasl-plaintext')).toEqual(['via-sasl-plaintext-1', 'via-sasl-plaintext-2']);
  });

  it('SASL_SSL with PLAIN: produce and consume', async () => {
    expect(await roundTrip(client('SASL_SSL', { ssl: { ca: [ca] }, sasl: alice }), 'via-sasl-ssl')).toEqual(['via-sasl-ssl-1', 'via-sasl-ssl-2']);
  });

  it('Metadata, FindCoordinator and DescribeCluster answer with the endpoints of the listener asked through', async () => {
    const cases: [string, Partial<KafkaConfig>][] = [
      ['PLAINTEXT', {}],
      ['SSL', { ssl: { ca: [ca] } }],
      ['SASL_SSL', { ssl: { ca: [ca] }, sasl: alice }],
    ];
    for (const [listener, extra] of cases) {
      const admin = client(listener, extra).admin();
      await admin.connect();
      const described = await admin.describeCluster();
      expect(described.brokers.map((b) => `${b.host}:${b.port}`).sort()).toEqual([...cluster.bootstrapFor(listener)].sort());
      const groups = await admin.describeGroups(['via-plaintext-group']);
      expect(groups.groups[0]!.state).toBe('Empty'); // found through FindCoordinator on this listener
      await admin.disconnect();
    }
  });

  it('connections carry their listener, security protocol and principal', async () => {
    const kafka = client('SASL_PLAINTEXT', { sasl: alice });
    const admin = kafka.admin();
    await admin.connect();
    await admin.listTopics();
    const conns = cluster.brokers.flatMap((b) => [...b.clientConnections]).filter((c) => c.listenerName === 'SASL_PLAINTEXT');
    expect(conns.length).toBeGreaterThan(0);
    for (const c of conns) {
      expect(c.securityProtocol).toBe('SASL_PLAINTEXT');
      expect(c.principal).toBe('User:alice');
    }
    await admin.disconnect();
  });
});

describe('listeners with a broker per process', () => {
  it('the child reports its listener ports; SASL works there too', async () => {
    const c = await startCluster({
      brokers: 2,
      processPerBroker: true,
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      config: { 'sasl.plain.users': 'alice:alice-secret' },
    });
    try {
      const admin = new Kafka({ clientId: 'ppb', brokers: c.bootstrapFor('SASL_PLAINTEXT'), logLevel: logLevel.NOTHING, sasl: alice }).admin();
      await admin.connect();
      const described = await admin.describeCluster();
      expect(described.brokers.map((b) => `${b.host}:${b.port}`).sort()).toEqual([...c.bootstrapFor('SASL_PLAINTEXT')].sort());
      await admin.disconnect();
    } finally {
      await c.close();
    }
  });
});
