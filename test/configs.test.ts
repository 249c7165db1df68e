// Configs as Kafka 3.9 reports and changes them: every topic config with its type, source,
// synonyms and documentation; dynamic broker configs (per broker and cluster default) that
// topics inherit at runtime and that survive a restart; broker loggers; client-metrics
// subscriptions; ApiVersions' features; an empty group gone with its last offsets.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/cluster.js';
import * as M from '../src/protocol/messages/index.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { RawClient } from './support/RawClient.js';

const clusters: Cluster[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.destroy();
  await Promise.all(clusters.splice(0).map((c) => c.close()));
});

async function start(opts: Parameters<typeof startCluster>[0] = {}): Promise<Cluster> {
  const c = await startCluster({ inMemory: true, ...opts });
  clusters.push(c);
  return c;
}
async function raw(bootstrap: string): Promise<RawClient> {
  const c = await RawClient.connect(bootstrap);
  clients.push(c);
  return c;
}

type Res = { resourceType: number; resourceName: string; configurationKeys: string[] | null };
const describeConfigs = (c: RawClient, resources: Res[], includeDocumentation = false) =>
  c.request(32, 4, M.encodeDescribeConfigsRequest, M.decodeDescribeConfigsResponse, { resources, includeSynonyms: true, includeDocumentation });
const incremental = (c: RawClient, resources: M.IncrementalAlterConfigsRequest['resources'], validateOnly = false) =>
  c.request(44, 1, M.encodeIncrementalAlterConfigsRequest, M.decodeIncrementalAlterConfigsResponse, { resources, validateOnly });
const syn = (e: { synonyms: { name: string; value: string | null; source: number }[] }) => e.synonyms.map((s) => [s.name, s.value, s.source]);

describe('topic configs', () => {
  it('lists Kafka 3.9’s 36 topic configs with types, sources, synonyms and documentation', async () => {
    const cluster = await start();
    await cluster.createTopic('t', { partitions: 1, config: { 'retention.ms': 1000, 'message.timestamp.difference.max.ms': 5000 } });
    const c = await raw(cluster.bootstrapServers[0]!);
    const res = await describeConfigs(c, [{ resourceType: 2, resourceName: 't', configurationKeys: null }], true);
    const configs = new Map(res.results[0]!.configs.map((e) => [e.name, e]));
    expect(configs.size).toBe(36);
    for (const name of ['message.format.version', 'message.downconversion.enable', 'remote.storage.enable', 'local.retention.ms', 'min.cleanable.dirty.ratio', 'leader.replication.throttled.replicas', 'compression.zstd.level', 'remote.log.delete.on.disable']) {
      expect(configs.has(name), name).toBe(true);
    }
    const retention = configs.get('retention.ms')!;
    expect([retention.value, retention.configSource, retention.configType, syn(retention)]).toEqual(['1000', 1, 5, [['retention.ms', '1000', 1]]]);
    expect(configs.get('message.timestamp.difference.max.ms')!.value).toBe('5000');
    // the primary broker synonym (log.roll.ms) has no value: Kafka shows none, though log.roll.hours supplies 168h
    const segmentMs = configs.get('segment.ms')!;
    expect([segmentMs.value, segmentMs.configSource, syn(segmentMs)]).toEqual(['604800000', 5, []]);
    expect(syn(configs.get('delete.retention.ms')!)).toEqual([['log.cleaner.delete.retention.ms', '86400000', 5]]);
    expect(syn(configs.get('remote.storage.enable')!)).toEqual([]);
    expect([configs.get('min.cleanable.dirty.ratio')!.value, configs.get('min.cleanable.dirty.ratio')!.configType]).toEqual(['0.5', 6]);
    expect([configs.get('message.format.version')!.value, configs.get('cleanup.policy')!.configType]).toEqual(['3.0-IV1', 7]);
    for (const e of configs.values()) {
      expect(e.readOnly || e.isSensitive).toBe(false);
      expect(typeof e.documentation).toBe('string');
    }
    const noDocs = await describeConfigs(c, [{ resourceType: 2, resourceName: 't', configurationKeys: ['retention.ms'] }]);
    expect(noDocs.results[0]!.configs.map((e) => [e.name, e.documentation])).toEqual([['retention.ms', null]]);
  });

  it('accepts every name Kafka accepts, refuses unknown names and bad values with INVALID_CONFIG', async () => {
    const cluster = await start();
    await cluster.createTopic('t', { partitions: 1 });
    const c = await raw(cluster.bootstrapServers[0]!);
    const set = (name: string, value: string) => ({ resourceType: 2, resourceName: 't', configs: [{ name, configOperation: 0, value }] });
    const ok = await incremental(c, [set('message.timestamp.difference.max.ms', '1000')]);
    expect(ok.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    for (const [name, value] of [['bogus.config', '1'], ['min.cleanable.dirty.ratio', '2'], ['preallocate', 'yes'], ['remote.storage.enable', 'true']]) {
      const r = await incremental(c, [set(name!, value!)], true);
      expect([name, r.responses[0]!.errorCode]).toEqual([name, ErrorCode.INVALID_CONFIG]);
    }
    const dup = await incremental(c, [set('preallocate', 'true'), set('preallocate', 'false')]);
    expect(dup.responses.map((r) => [r.errorCode, r.errorMessage])).toEqual([
      [ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
      [ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
    ]);
    const twice = await incremental(c, [{ resourceType: 2, resourceName: 't', configs: [{ name: 'cleanup.policy', configOperation: 2, value: 'compact' }, { name: 'cleanup.policy', configOperation: 0, value: 'compact' }] }]);
    expect([twice.responses[0]!.errorCode, twice.responses[0]!.errorMessage]).toEqual([ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys']);
    const missing = await describeConfigs(c, [{ resourceType: 2, resourceName: 'nosuch', configurationKeys: null }]);
    expect([missing.results[0]!.errorCode, missing.results[0]!.errorMessage]).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, '']);
  });
});

describe('broker configs', () => {
  it('a cluster-default log.retention.ms and message.max.bytes reach topics at once; static configs are refused', async () => {
    const cluster = await start({ config: { 'log.retention.hours': 24 } });
    await cluster.createTopic('t', { partitions: 1 });
    const c = await raw(cluster.bootstrapServers[0]!);
    const before = await describeConfigs(c, [{ resourceType: 2, resourceName: 't', configurationKeys: ['retention.ms'] }]);
    // log.retention.hours (static) supplies the value; Kafka lists no synonym since log.retention.ms is unset
    expect(before.results[0]!.configs.map((e) => [e.value, e.configSource, syn(e)])).toEqual([['86400000', 5, []]]);

    const r = await incremental(c, [
      { resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '60000' }, { name: 'message.max.bytes', configOperation: 0, value: '2000' }] },
    ]);
    expect(r.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    const after = await describeConfigs(c, [{ resourceType: 2, resourceName: 't', configurationKeys: ['retention.ms'] }]);
    expect(after.results[0]!.configs.map((e) => [e.value, e.configSource, syn(e)])).toEqual([
      ['60000', 3, [['log.retention.ms', '60000', 3], ['log.retention.hours', '24', 4], ['log.retention.hours', '168', 5]]],
    ]);

    const refused = await incremental(c, [{ resourceType: 4, resourceName: '', configs: [{ name: 'num.partitions', configOperation: 0, value: '3' }] }]);
    expect([refused.responses[0]!.errorCode, refused.responses[0]!.errorMessage]).toEqual([ErrorCode.INVALID_REQUEST, 'Cannot update these configs dynamically: [num.partitions]']);
    // a value the topics could not take is refused before it is stored
    for (const [name, value] of [['log.segment.bytes', '5'], ['log.cleanup.policy', 'shred'], ['log.retention.ms', 'soon']]) {
      const bad = await incremental(c, [{ resourceType: 4, resourceName: '', configs: [{ name: name!, configOperation: 0, value: value! }] }]);
      expect([name, bad.responses[0]!.errorCode]).toEqual([name, ErrorCode.INVALID_REQUEST]);
    }
    // APPEND starts from Kafka's default when the level sets nothing
    const appended = await incremental(c, [{ resourceType: 4, resourceName: '1', configs: [{ name: 'log.cleanup.policy', configOperation: 2, value: 'compact' }] }]);
    expect(appended.responses[0]!.errorCode).toBe(0);
    const policy = await describeConfigs(c, [{ resourceType: 2, resourceName: 't', configurationKeys: ['cleanup.policy'] }]);
    expect(policy.results[0]!.configs.map((e) => [e.value, e.configSource])).toEqual([['delete,compact', 2]]);
    await incremental(c, [{ resourceType: 4, resourceName: '1', configs: [{ name: 'log.cleanup.policy', configOperation: 1, value: null }] }]);
    const otherBroker = await incremental(c, [{ resourceType: 4, resourceName: '7', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '1' }] }]);
    expect(otherBroker.responses[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);

    const defaults = await describeConfigs(c, [{ resourceType: 4, resourceName: '', configurationKeys: null }]);
    expect(defaults.results[0]!.configs.map((e) => [e.name, e.value, e.configSource, e.readOnly])).toEqual([
      ['log.retention.ms', '60000', 3, false],
      ['message.max.bytes', '2000', 3, false],
    ]);
    const own = await describeConfigs(c, [{ resourceType: 4, resourceName: '1', configurationKeys: ['message.max.bytes', 'num.partitions', 'log.retention.hours', 'broker.id'] }]);
    expect(own.results[0]!.configs.map((e) => [e.name, e.value, e.configSource, e.readOnly, syn(e)])).toEqual([
      ['broker.id', '1', 4, true, [['broker.id', '1', 4], ['broker.id', '-1', 5]]],
      ['log.retention.hours', '24', 4, true, [['log.retention.hours', '24', 4], ['log.retention.hours', '168', 5]]],
      ['message.max.bytes', '2000', 3, false, [['message.max.bytes', '2000', 3], ['message.max.bytes', '1048588', 5]]],
      ['num.partitions', '1', 5, true, [['num.partitions', '1', 5]]],
    ]);

    // message.max.bytes took effect: a 5000-byte record is too large now
    const kafka = new Kafka({ clientId: 'configs-test', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const producer = kafka.producer();
    await producer.connect();
    try {
      await expect(producer.send({ topic: 't', messages: [{ value: 'x'.repeat(5000) }] })).rejects.toMatchObject({ type: 'MESSAGE_TOO_LARGE' });
      await producer.send({ topic: 't', messages: [{ value: 'small' }] });
    } finally {
      await producer.disconnect();
    }
  });

  it('max.connections.per.ip changed at runtime applies to the next connection', async () => {
    const cluster = await start();
    const c = await raw(cluster.bootstrapServers[0]!);
    const per = (op: number, value: string | null) => incremental(c, [{ resourceType: 4, resourceName: '1', configs: [{ name: 'max.connections.per.ip', configOperation: op, value }] }]);
    expect((await per(0, '1')).responses[0]!.errorCode).toBe(0);
    const [host, port] = cluster.bootstrapServers[0]!.split(':');
    const refused = net.connect(Number(port), host);
    refused.on('error', () => {});
    await new Promise((resolve) => refused.once('close', resolve)); // closed by the broker: c holds the one allowed
    expect((await per(1, null)).responses[0]!.errorCode).toBe(0);
    const again = await raw(cluster.bootstrapServers[0]!);
    const d = await describeConfigs(again, [{ resourceType: 4, resourceName: '1', configurationKeys: ['max.connections.per.ip'] }]);
    expect(d.results[0]!.configs.map((e) => [e.value, e.configSource, e.readOnly])).toEqual([['2147483647', 5, false]]);
  });

  it('dynamic broker configs are stored in the metadata log and survive a restart', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-configs-'));
    try {
      let cluster = await startCluster({ dataDir });
      let c = await RawClient.connect(cluster.bootstrapServers[0]!);
      const r = await incremental(c, [
        { resourceType: 4, resourceName: '1', configs: [{ name: 'log.segment.bytes', configOperation: 0, value: '1048576' }] },
        { resourceType: 16, resourceName: 'sub1', configs: [{ name: 'interval.ms', configOperation: 0, value: '1000' }, { name: 'metrics', configOperation: 0, value: 'org.apache.kafka.producer.' }] },
      ]);
      expect(r.responses.map((x) => x.errorCode)).toEqual([0, 0]);
      c.socket.destroy();
      const port = Number(cluster.bootstrapServers[0]!.split(':')[1]);
      await cluster.close();
      cluster = await startCluster({ dataDir, port });
      try {
        c = await RawClient.connect(cluster.bootstrapServers[0]!);
        const d = await describeConfigs(c, [
          { resourceType: 4, resourceName: '1', configurationKeys: ['log.segment.bytes'] },
          { resourceType: 16, resourceName: 'sub1', configurationKeys: null },
        ]);
        expect(d.results[0]!.configs.map((e) => [e.value, e.configSource])).toEqual([['1048576', 2]]);
        expect(d.results[1]!.configs.map((e) => [e.name, e.value, e.configSource]).sort()).toEqual([
          ['interval.ms', '1000', 7],
          ['metrics', 'org.apache.kafka.producer.', 7],
        ]);
        c.socket.destroy();
      } finally {
        await cluster.close();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('through kafkajs admin', () => {
  it('describeConfigs and alterConfigs on a topic and a broker', async () => {
    const cluster = await start();
    await cluster.createTopic('k', { partitions: 1, config: { 'cleanup.policy': 'compact' } });
    const kafka = new Kafka({ clientId: 'configs-test', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      // (kafkajs refuses the cluster default's empty name itself)
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: 4, name: '1', configEntries: [{ name: 'log.retention.bytes', value: '1000000' }] }] });
      const d = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: 2, name: 'k' }, { type: 4, name: '1', configNames: ['log.retention.bytes'] }] });
      const topic = new Map(d.resources[0]!.configEntries.map((e) => [e.configName, e]));
      expect(topic.size).toBe(36);
      expect(topic.get('cleanup.policy')).toMatchObject({ configValue: 'compact', isDefault: false, configSource: 1, readOnly: false, isSensitive: false });
      expect(topic.get('retention.bytes')).toMatchObject({ configValue: '1000000', isDefault: false, configSource: 2 });
      expect(topic.get('retention.bytes')!.configSynonyms).toEqual([
        { configName: 'log.retention.bytes', configValue: '1000000', configSource: 2 },
        { configName: 'log.retention.bytes', configValue: '-1', configSource: 5 },
      ]);
      expect(d.resources[1]!.configEntries.map((e) => [e.configName, e.configValue, e.configSource, e.readOnly])).toEqual([['log.retention.bytes', '1000000', 2, false]]);
      await expect(admin.alterConfigs({ validateOnly: false, resources: [{ type: 4, name: '1', configEntries: [{ name: 'num.partitions', value: '2' }] }] })).rejects.toMatchObject({ type: 'INVALID_REQUEST' });
    } finally {
      await admin.disconnect();
    }
  });
});

describe('broker loggers and client metrics', () => {
  it('describes and changes log levels as Kafka answers', async () => {
    const cluster = await start();
    const c = await raw(cluster.bootstrapServers[0]!);
    const d = await describeConfigs(c, [{ resourceType: 8, resourceName: '1', configurationKeys: null }]);
    const root = d.results[0]!.configs.find((e) => e.name === 'root')!;
    expect([root.configSource, root.readOnly, syn(root)]).toEqual([6, false, []]);
    const logger = d.results[0]!.configs.find((e) => e.name === 'broker-1')!;
    expect(logger).toBeDefined();
    const set = await incremental(c, [{ resourceType: 8, resourceName: '1', configs: [{ name: 'broker-1', configOperation: 0, value: 'ERROR' }] }]);
    expect(set.responses[0]!.errorCode).toBe(0);
    const after = await describeConfigs(c, [{ resourceType: 8, resourceName: '1', configurationKeys: ['broker-1'] }]);
    expect(after.results[0]!.configs.map((e) => e.value)).toEqual(['ERROR']);
    const bad = await incremental(c, [
      { resourceType: 8, resourceName: '1', configs: [{ name: 'root', configOperation: 1, value: null }] },
      { resourceType: 8, resourceName: '2', configs: [{ name: 'root', configOperation: 0, value: 'INFO' }] },
    ]);
    expect(bad.responses.map((r) => r.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
    const unknown = await incremental(c, [{ resourceType: 8, resourceName: '1', configs: [{ name: 'no.such.logger', configOperation: 0, value: 'INFO' }] }]);
    expect([unknown.responses[0]!.errorCode, unknown.responses[0]!.errorMessage]).toEqual([ErrorCode.INVALID_CONFIG, 'Logger no.such.logger does not exist!']);
    await incremental(c, [{ resourceType: 8, resourceName: '1', configs: [{ name: 'broker-1', configOperation: 1, value: null }] }]);
  });

  it('client-metrics subscriptions are validated as Kafka’s ClientMetricsConfigs', async () => {
    const cluster = await start();
    const c = await raw(cluster.bootstrapServers[0]!);
    const r = await incremental(c, [
      { resourceType: 16, resourceName: 'a', configs: [{ name: 'interval.ms', configOperation: 0, value: '5' }] },
      { resourceType: 16, resourceName: 'b', configs: [{ name: 'colour', configOperation: 0, value: 'red' }] },
      { resourceType: 16, resourceName: 'c', configs: [{ name: 'match', configOperation: 0, value: 'client_id=a.*,nope=1' }] },
    ]);
    expect(r.responses.map((x) => [x.errorCode, x.errorMessage])).toEqual([
      [ErrorCode.INVALID_REQUEST, 'Invalid value 5 for interval.ms, interval must be between 100 and 3600000 (1 hour)'],
      [ErrorCode.INVALID_REQUEST, 'Unknown client metrics configuration: colour'],
      [ErrorCode.INVALID_CONFIG, 'Illegal client matching pattern: nope=1'],
    ]);
    const d = await describeConfigs(c, [{ resourceType: 16, resourceName: 'unknown', configurationKeys: null }]);
    expect([d.results[0]!.errorCode, d.results[0]!.configs]).toEqual([0, []]);

    // ListClientMetricsResources v0 (API 74) names the stored subscriptions
    await incremental(c, [{ resourceType: 16, resourceName: 'sub-b', configs: [{ name: 'interval.ms', configOperation: 0, value: '1000' }] }]);
    await incremental(c, [{ resourceType: 16, resourceName: 'sub-a', configs: [{ name: 'metrics', configOperation: 0, value: '*' }] }]);
    const list = await c.request(74, 0, M.encodeListClientMetricsResourcesRequest, M.decodeListClientMetricsResourcesResponse, {});
    expect([list.errorCode, list.clientMetricsResources.map((r) => r.name)]).toEqual([0, ['sub-a', 'sub-b']]);
  });
});

describe('features and groups', () => {
  it('ApiVersions v3 lists Kafka 3.9’s supported and finalized features', async () => {
    const cluster = await start();
    const c = await raw(cluster.bootstrapServers[0]!);
    const r = await c.request(18, 3, M.encodeApiVersionsRequest, M.decodeApiVersionsResponse, { clientSoftwareName: 'test', clientSoftwareVersion: '1.0' });
    expect(r.supportedFeatures.map((f) => [f.name, f.minVersion, f.maxVersion])).toEqual([
      ['group.version', 0, 1],
      ['kraft.version', 0, 1],
      ['metadata.version', 1, 21],
      ['transaction.version', 0, 1],
    ]);
    expect(r.finalizedFeatures.map((f) => [f.name, f.minVersionLevel, f.maxVersionLevel])).toEqual([['metadata.version', 21, 21]]);
    expect(r.finalizedFeaturesEpoch).toBeGreaterThanOrEqual(0);
  });

  it('an empty group whose last offsets are deleted is gone: DeleteGroups then gets GROUP_ID_NOT_FOUND', async () => {
    const cluster = await start({ config: { 'offsets.topic.num.partitions': 1, 'group.initial.rebalance.delay.ms': 0 } });
    await cluster.createTopic('t', { partitions: 1 });
    const kafka = new Kafka({ clientId: 'configs-test', brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.setOffsets({ groupId: 'g', topic: 't', partitions: [{ partition: 0, offset: '0' }] });
      expect((await admin.listGroups()).groups.map((g) => g.groupId)).toContain('g');
      const c = await raw(cluster.bootstrapServers[0]!);
      const coordinator = await c.request(10, 1, M.encodeFindCoordinatorRequest, M.decodeFindCoordinatorResponse, { ...M.defaultFindCoordinatorRequest(), key: 'g' });
      expect(coordinator.errorCode).toBe(0);
      const del = await c.request(47, 0, M.encodeOffsetDeleteRequest, M.decodeOffsetDeleteResponse, { groupId: 'g', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }] });
      expect(del.errorCode).toBe(0);
      expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain('g');
      await expect(admin.deleteGroups(['g'])).rejects.toMatchObject({ groups: [{ groupId: 'g', errorCode: ErrorCode.GROUP_ID_NOT_FOUND }] });
    } finally {
      await admin.disconnect();
    }
  });
});
