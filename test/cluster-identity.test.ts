// Cluster identity as Kafka has it: brokers numbered as asked (0,1,2 like Kafka's own setups,
// or node.id for a single broker), broker.id = node.id in DescribeConfigs, DescribeCluster
// listing every live broker with the controller id Metadata names, a pinnable controller
// port, a clear failure on a taken port, and CreateTopics' null message on success.
import fs from 'node:fs';
import net from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/cluster.js';
import * as M from '../src/protocol/messages/index.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { RawClient } from './support/RawClient.js';
import { until, untilValue } from './support/coordinator.js';

const FAST_FENCING = { 'broker.heartbeat.interval.ms': 200, 'broker.session.timeout.ms': 1500 };
const clusters: Cluster[] = [];
const clients: RawClient[] = [];
const servers: net.Server[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.destroy();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  await Promise.all(clusters.splice(0).map((c) => c.close()));
});

async function start(opts: Parameters<typeof startCluster>[0]): Promise<Cluster> {
  const c = await startCluster({ inMemory: true, ...opts });
  clusters.push(c);
  return c;
}

async function raw(bootstrap: string): Promise<RawClient> {
  const c = await RawClient.connect(bootstrap);
  clients.push(c);
  return c;
}

const describeCluster = (c: RawClient) => c.request(60, 1, M.encodeDescribeClusterRequest, M.decodeDescribeClusterResponse, M.defaultDescribeClusterRequest());
const metadata = (c: RawClient) => c.request(3, 12, M.encodeMetadataRequest, M.decodeMetadataResponse, { ...M.defaultMetadataRequest(), topics: [] });

/** A port nobody listens on right now (held and released). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function holdPort(): Promise<number> {
  const s = net.createServer();
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as net.AddressInfo).port;
}

describe('broker ids', () => {
  it('nodeIds [0,1,2]: every broker, Metadata and DescribeCluster use them, and every cluster method takes them', async () => {
    const cluster = await start({ nodeIds: [0, 1, 2], config: FAST_FENCING });
    const ports = cluster.bootstrapServers.map((b) => Number(b.split(':')[1]));
    expect(cluster.brokers.map((b) => b.nodeId)).toEqual([0, 1, 2]);

    const admin = new Kafka({ clientId: 'identity', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const described = await admin.describeCluster();
      expect(described.brokers.map((b) => [b.nodeId, b.port]).sort((a, b) => a[0]! - b[0]!)).toEqual([
        [0, ports[0]],
        [1, ports[1]],
        [2, ports[2]],
      ]);
      expect(described.controller).toBe(0);
      await admin.createTopics({ topics: [{ topic: 'ids', numPartitions: 3 }], waitForLeaders: true });
      await cluster.waitForReplication('ids');
      const meta = await admin.fetchTopicMetadata({ topics: ['ids'] });
      for (const p of meta.topics[0]!.partitions) expect([...p.replicas].sort()).toEqual([0, 1, 2]);
    } finally {
      await admin.disconnect();
    }

    // Broker 0 leads some partition; stopping it moves every leadership to 1 or 2.
    const leaders = [0, 1, 2].map((p) => cluster.leaderOf('ids', p));
    expect(leaders.every((l) => [0, 1, 2].includes(l))).toBe(true);
    await cluster.stopBroker(0);
    await until(() => [0, 1, 2].every((p) => [1, 2].includes(cluster.leaderOf('ids', p))), 'leaders moved off broker 0');
    expect(cluster.isr('ids', 0).includes(0)).toBe(false);
    const client = await raw(cluster.bootstrapServers[1]!);
    // Broker 1 learns of broker 0's fencing from the metadata log a moment after the controller.
    const dc = await untilValue('broker 1 to list only brokers 1 and 2', async () => {
      const d = await describeCluster(client);
      return d.brokers.map((b) => b.brokerId).join() === '1,2' && d;
    });
    expect(dc.brokers.map((b) => b.brokerId)).toEqual([1, 2]);
    expect(dc.controllerId).toBe(1);

    await cluster.startBroker(0);
    await cluster.waitForReplication('ids');
    expect(cluster.isr('ids', 0).sort()).toEqual([0, 1, 2]);
    cluster.isolate(0);
    await until(() => !cluster.controller.image.isLive(0), 'broker 0 fenced while isolated', 20_000);
    cluster.heal();
    await until(() => cluster.controller.image.isLive(0), 'broker 0 back after heal', 20_000);
    expect(cluster.pidOf(0)).toBeUndefined(); // in-process brokers have no process of their own
    expect(() => cluster.leaderOf('ids', 0)).not.toThrow();
    await expect(async () => cluster.stopBroker(3)).rejects.toThrow('no broker 3');
  }, 60_000);

  it('a single broker with config node.id=5 is broker 5, and reports broker.id=5', async () => {
    const cluster = await start({ config: { 'node.id': 5 } });
    const client = await raw(cluster.bootstrapServers[0]!);
    const meta = await metadata(client);
    expect(meta.brokers.map((b) => b.nodeId)).toEqual([5]);
    expect(meta.controllerId).toBe(5);
    const res = await client.request(32, 4, M.encodeDescribeConfigsRequest, M.decodeDescribeConfigsResponse, {
      ...M.defaultDescribeConfigsRequest(),
      resources: [{ resourceType: 4, resourceName: '5', configurationKeys: ['broker.id', 'node.id'] }],
    });
    expect(res.results[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(res.results[0]!.configs.map((c) => [c.name, c.value, c.configSource])).toEqual([
      ['broker.id', '5', 4],
      ['node.id', '5', 4],
    ]);
  });

  it('the default single broker is broker 1 and reports broker.id=1, not -1', async () => {
    const cluster = await start({});
    const client = await raw(cluster.bootstrapServers[0]!);
    const res = await client.request(32, 4, M.encodeDescribeConfigsRequest, M.decodeDescribeConfigsResponse, {
      ...M.defaultDescribeConfigsRequest(),
      resources: [{ resourceType: 4, resourceName: '1', configurationKeys: ['broker.id'] }],
    });
    expect(res.results[0]!.configs.map((c) => [c.name, c.value])).toEqual([['broker.id', '1']]);
  });

  it('refuses ids it cannot honour', async () => {
    await expect(startCluster({ inMemory: true, brokers: 3, config: { 'node.id': 0 } })).rejects.toThrow('nodeIds');
    await expect(startCluster({ inMemory: true, nodeIds: [0, 0] })).rejects.toThrow('distinct');
    await expect(startCluster({ inMemory: true, brokers: 2, nodeIds: [0, 1, 2] })).rejects.toThrow('2 brokers but 3 nodeIds');
  });

  it('process-per-broker mode with nodeIds [0,1,2]: pidOf, crash and restart by id', async () => {
    if (!fs.existsSync(new URL('../dist/bundle/brokerProcess.js', import.meta.url))) throw new Error('run npm run build first');
    const cluster = await start({ nodeIds: [0, 1, 2], processPerBroker: true, config: FAST_FENCING });
    const pid0 = cluster.pidOf(0);
    expect(pid0).toBeGreaterThan(0);
    expect(new Set([0, 1, 2].map((id) => cluster.pidOf(id))).size).toBe(3);
    const client = await raw(cluster.bootstrapServers[2]!);
    // A broker process lists itself once started; the others' unfencing reaches it a moment later.
    const dc = await untilValue('broker 2 to list brokers 0, 1 and 2', async () => {
      const d = await describeCluster(client);
      return d.brokers.map((b) => b.brokerId).join() === '0,1,2' && d;
    });
    expect(dc.brokers.map((b) => b.brokerId)).toEqual([0, 1, 2]);
    await cluster.stopBroker(0, { crash: true });
    await until(() => !cluster.controller.image.isLive(0), 'broker 0 fenced after SIGKILL', 20_000);
    await cluster.startBroker(0);
    expect(cluster.pidOf(0)).not.toBe(pid0);
    await until(() => cluster.controller.image.isLive(0), 'broker 0 back', 20_000);
  }, 60_000);
});

describe('DescribeCluster', () => {
  it('lists every live broker with the controller id Metadata names, from any broker', async () => {
    const cluster = await start({ brokers: 3 });
    for (const bootstrap of cluster.bootstrapServers) {
      const client = await raw(bootstrap);
      const dc = await describeCluster(client);
      const meta = await metadata(client);
      expect(dc.errorCode).toBe(ErrorCode.NONE);
      expect(dc.errorMessage).toBeNull();
      expect(dc.endpointType).toBe(1);
      expect(dc.clusterId).toBe(meta.clusterId);
      expect(dc.controllerId).toBe(meta.controllerId);
      expect(dc.controllerId).toBe(1);
      expect(dc.brokers).toEqual(meta.brokers.map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: null })));
      expect(dc.brokers.map((b) => `${b.host}:${b.port}`)).toEqual(cluster.bootstrapServers);
    }
  });
});

describe('ports', () => {
  it('controllerPort pins the controller listener', async () => {
    const port = await freePort();
    const cluster = await start({ controllerPort: port });
    expect(cluster.controller.port).toBe(port);
  });

  it('a taken broker port fails with EADDRINUSE naming the port, leaving no controller behind', async () => {
    const taken = await holdPort();
    const controllerPort = await freePort();
    const err = (await startCluster({ inMemory: true, port: taken, controllerPort }).catch((e: unknown) => e)) as NodeJS.ErrnoException & { port?: number };
    expect(err.code).toBe('EADDRINUSE');
    expect(err.port).toBe(taken);
    // The controller it started was stopped: its port can be bound again.
    const again = await start({ controllerPort });
    expect(again.controller.port).toBe(controllerPort);
  });
});

describe('CreateTopics', () => {
  it('answers success with a null error message (v1 and v7), as Kafka does', async () => {
    const cluster = await start({});
    const client = await raw(cluster.bootstrapServers[0]!);
    for (const [version, name] of [
      [1, 'created-v1'],
      [7, 'created-v7'],
    ] as const) {
      const res = await client.request(19, version, M.encodeCreateTopicsRequest, M.decodeCreateTopicsResponse, {
        ...M.defaultCreateTopicsRequest(),
        topics: [{ name, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
      });
      expect(res.topics.map((t) => [t.name, t.errorCode, t.errorMessage])).toEqual([[name, ErrorCode.NONE, null]]);
    }
    const dup = await client.request(19, 7, M.encodeCreateTopicsRequest, M.decodeCreateTopicsResponse, {
      ...M.defaultCreateTopicsRequest(),
      topics: [{ name: 'created-v7', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
    });
    expect(dup.topics.map((t) => [t.errorCode, t.errorMessage])).toEqual([[ErrorCode.TOPIC_ALREADY_EXISTS, "Topic 'created-v7' already exists."]]);
  });
});
