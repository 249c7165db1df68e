// DescribeQuorum, UnregisterBroker, DescribeClientQuotas/AlterClientQuotas and ElectLeaders over
// TCP with raw requests, asserting Kafka's fields and errors.
import { until } from './support/coordinator.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import * as M from '../src/protocol/messages/index.js';
import { RawClient } from './support/RawClient.js';

const FAST = { 'broker.session.timeout.ms': 1000, 'broker.heartbeat.interval.ms': 100 };
const clusters: Cluster[] = [];
const raws: RawClient[] = [];

afterEach(async () => {
  for (const r of raws.splice(0)) r.close();
  for (const c of clusters.splice(0)) await c.close();
});

async function setup(brokers: number): Promise<{ c: Cluster; r: RawClient }> {
  const c = await startCluster({ brokers, config: FAST });
  clusters.push(c);
  const r = await RawClient.connect(c.bootstrapServers[0]!);
  raws.push(r);
  return { c, r };
}


describe('DescribeQuorum', () => {
  it('the controller as the single voter, the other brokers as observers (v2 with nodes, v0)', async () => {
    const { c, r } = await setup(3);
    const body = { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] };
    const res = await r.request(M.DescribeQuorumApi.key, 2, M.encodeDescribeQuorumRequest, M.decodeDescribeQuorumResponse, body);
    expect(res.errorCode).toBe(0);
    const p = res.topics[0]!.partitions[0]!;
    expect(res.topics[0]!.topicName).toBe('__cluster_metadata');
    expect(p).toMatchObject({ partitionIndex: 0, errorCode: 0, leaderId: 1, leaderEpoch: 1 });
    expect(p.highWatermark).toBeGreaterThan(0);
    expect(p.highWatermark).toBeLessThanOrEqual(c.controller.logEndOffset);
    expect(p.currentVoters.map((v) => v.replicaId)).toEqual([1]);
    expect(p.currentVoters[0]!.logEndOffset).toBe(p.highWatermark);
    expect(p.observers.map((o) => o.replicaId)).toEqual([2, 3]);
    for (const o of p.observers) {
      expect(o.logEndOffset).toBeGreaterThan(0);
      expect(o.lastFetchTimestamp).toBeGreaterThan(0);
    }
    expect(res.nodes).toEqual([{ nodeId: 1, listeners: [{ name: 'CONTROLLER', host: c.controller.host, port: c.controller.port }] }]);
    const v0 = await r.request(M.DescribeQuorumApi.key, 0, M.encodeDescribeQuorumRequest, M.decodeDescribeQuorumResponse, body);
    expect(v0.topics[0]!.partitions[0]!.leaderId).toBe(1);
    const wrong = await r.request(M.DescribeQuorumApi.key, 1, M.encodeDescribeQuorumRequest, M.decodeDescribeQuorumResponse, { topics: [{ topicName: 'x', partitions: [{ partitionIndex: 0 }] }] });
    expect(wrong.topics[0]!.partitions[0]!.errorCode).toBe(3);
  }, 30_000);
});

describe('UnregisterBroker', () => {
  it('removes a stopped broker; an unknown id is BROKER_ID_NOT_REGISTERED', async () => {
    const { c, r } = await setup(3);
    await c.createTopic('t', { partitions: 1, replicationFactor: 3 });
    await c.stopBroker(3);
    const ok = await r.request(M.UnregisterBrokerApi.key, 0, M.encodeUnregisterBrokerRequest, M.decodeUnregisterBrokerResponse, { brokerId: 3 });
    expect(ok).toEqual({ throttleTimeMs: 0, errorCode: 0, errorMessage: null });
    expect(c.controller.image.brokers.has(3)).toBe(false);
    expect(c.brokers[0]!.image.brokers.has(3)).toBe(false);
    expect(c.controller.image.topics.get('t')!.partitions[0]!.isr).not.toContain(3);
    const again = await r.request(M.UnregisterBrokerApi.key, 0, M.encodeUnregisterBrokerRequest, M.decodeUnregisterBrokerResponse, { brokerId: 3 });
    expect(again).toEqual({ throttleTimeMs: 0, errorCode: 102, errorMessage: 'Broker ID 3 is not currently registered' });
    // It registers again when it comes back.
    await c.startBroker(3);
    await until(() => c.controller.image.isLive(3), 'broker 3 to register again');
  }, 30_000);
});

describe('client quotas', () => {
  const alter = (r: RawClient, entries: M.AlterClientQuotasRequest['entries'], validateOnly = false) =>
    r.request(M.AlterClientQuotasApi.key, 1, M.encodeAlterClientQuotasRequest, M.decodeAlterClientQuotasResponse, { entries, validateOnly });
  const describeQ = (r: RawClient, components: M.DescribeClientQuotasRequest['components'], strict = false) =>
    r.request(M.DescribeClientQuotasApi.key, 1, M.encodeDescribeClientQuotasRequest, M.decodeDescribeClientQuotasResponse, { components, strict });

  it('stores quotas in the metadata log and describes them with exact, default and specified filters', async () => {
    const { c, r } = await setup(2);
    const res = await alter(r, [
      { entity: [{ entityType: 'user', entityName: 'alice' }], ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }, { key: 'request_percentage', value: 12.5, remove: false }] },
      { entity: [{ entityType: 'client-id', entityName: 'app' }, { entityType: 'user', entityName: 'alice' }], ops: [{ key: 'consumer_byte_rate', value: 2048, remove: false }] },
      { entity: [{ entityType: 'user', entityName: null }], ops: [{ key: 'producer_byte_rate', value: 100, remove: false }] },
      { entity: [{ entityType: 'ip', entityName: '10.0.0.1' }], ops: [{ key: 'connection_creation_rate', value: 5, remove: false }] },
      { entity: [{ entityType: 'ip', entityName: 'not-an-ip' }], ops: [{ key: 'connection_creation_rate', value: 5, remove: false }] },
      { entity: [{ entityType: 'user', entityName: 'bob' }], ops: [{ key: 'no_such_quota', value: 1, remove: false }] },
      { entity: [{ entityType: 'user', entityName: 'bob' }, { entityType: 'ip', entityName: null }], ops: [{ key: 'producer_byte_rate', value: 1, remove: false }] },
    ]);
    expect(res.entries.map((e) => e.errorCode)).toEqual([0, 0, 0, 0, 42, 42, 42]);
    expect(res.entries[4]!.errorMessage).toBe('not-an-ip is not a valid IP or resolvable host.');
    expect(res.entries[0]!.errorMessage).toBeNull();

    const alice = await describeQ(r, [{ entityType: 'user', matchType: 0, match: 'alice' }], true);
    expect(alice).toEqual({
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      entries: [{ entity: [{ entityType: 'user', entityName: 'alice' }], values: [{ key: 'producer_byte_rate', value: 1024 }, { key: 'request_percentage', value: 12.5 }] }],
    });
    const aliceAny = await describeQ(r, [{ entityType: 'user', matchType: 0, match: 'alice' }]);
    expect(aliceAny.entries!.map((e) => e.entity.map((p) => `${p.entityType}=${p.entityName}`).join(','))).toEqual(['user=alice', 'client-id=app,user=alice']);
    const defaults = await describeQ(r, [{ entityType: 'user', matchType: 1, match: null }]);
    expect(defaults.entries).toEqual([{ entity: [{ entityType: 'user', entityName: null }], values: [{ key: 'producer_byte_rate', value: 100 }] }]);
    const specified = await describeQ(r, [{ entityType: 'user', matchType: 2, match: null }], true);
    expect(specified.entries!.map((e) => e.entity[0]!.entityName)).toEqual(['alice']);
    // Other brokers see them too (the metadata log), and a removal.
    const r2 = await RawClient.connect(c.bootstrapServers[1]!);
    raws.push(r2);
    await alter(r, [{ entity: [{ entityType: 'user', entityName: 'alice' }], ops: [{ key: 'request_percentage', value: 0, remove: true }] }]);
    await until(() => c.brokers[1]!.image.clientQuotas.size === 4 && Object.keys([...c.brokers[1]!.image.clientQuotas.values()].find((q) => q.entity[0]!.entityName === 'alice' && q.entity.length === 1)!.values).length === 1, 'broker 2 to see the removal');
    const fromTwo = await describeQ(r2, [{ entityType: 'user', matchType: 0, match: 'alice' }], true);
    expect(fromTwo.entries).toEqual([{ entity: [{ entityType: 'user', entityName: 'alice' }], values: [{ key: 'producer_byte_rate', value: 1024 }] }]);
    // validate_only changes nothing; a bad filter is INVALID_REQUEST with null entries.
    await alter(r, [{ entity: [{ entityType: 'user', entityName: 'carol' }], ops: [{ key: 'producer_byte_rate', value: 1, remove: false }] }], true);
    expect((await describeQ(r, [{ entityType: 'user', matchType: 0, match: 'carol' }])).entries).toEqual([]);
    const bad = await describeQ(r, [{ entityType: 'user', matchType: 0, match: 'a' }, { entityType: 'user', matchType: 1, match: null }]);
    expect(bad).toEqual({ throttleTimeMs: 0, errorCode: 42, errorMessage: 'Entity type user cannot appear more than once in the filter.', entries: null });
  }, 30_000);
});

describe('ElectLeaders', () => {
  it('preferred election moves leadership back to the first replica once it is in the ISR; per-partition errors as Kafka', async () => {
    const { c, r } = await setup(3);
    await c.createTopic('e', { partitions: 1, replicationFactor: 3 });
    const preferred = c.controller.image.topics.get('e')!.partitions[0]!.replicas[0]!;
    const elect = (v: number, electionType: number, topicPartitions: M.ElectLeadersRequest['topicPartitions']) =>
      r.request(M.ElectLeadersApi.key, v, M.encodeElectLeadersRequest, M.decodeElectLeadersResponse, { electionType, topicPartitions, timeoutMs: 10_000 });
    const notNeeded = await elect(2, 0, [{ topic: 'e', partitions: [0] }, { topic: 'nope', partitions: [0] }]);
    expect(notNeeded).toEqual({
      throttleTimeMs: 0,
      errorCode: 0,
      replicaElectionResults: [
        { topic: 'e', partitionResult: [{ partitionId: 0, errorCode: 84, errorMessage: 'Leader election not needed for topic partition.' }] },
        { topic: 'nope', partitionResult: [{ partitionId: 0, errorCode: 3, errorMessage: 'No such topic as nope' }] },
      ],
    });
    // All partitions (null): the ones not needing an election are left out.
    expect((await elect(1, 0, null)).replicaElectionResults).toEqual([]);
    await c.stopBroker(preferred);
    await until(() => c.leaderOf('e', 0) !== preferred && c.leaderOf('e', 0) !== -1, 'the leadership to move');
    const r2 = await RawClient.connect(c.bootstrapServers.find((_, i) => i + 1 !== preferred)!);
    raws.push(r2);
    const unavailable = await r2.request(M.ElectLeadersApi.key, 0, M.encodeElectLeadersRequest, M.decodeElectLeadersResponse, { electionType: 0, topicPartitions: [{ topic: 'e', partitions: [0] }], timeoutMs: 10_000 });
    expect(unavailable.replicaElectionResults[0]!.partitionResult[0]!.errorCode).toBe(80);
    await c.startBroker(preferred);
    await until(() => c.isr('e', 0).includes(preferred), 'the preferred replica to rejoin the ISR');
    const done = await r2.request(M.ElectLeadersApi.key, 2, M.encodeElectLeadersRequest, M.decodeElectLeadersResponse, { electionType: 0, topicPartitions: [{ topic: 'e', partitions: [0] }], timeoutMs: 10_000 });
    expect(done.replicaElectionResults).toEqual([{ topic: 'e', partitionResult: [{ partitionId: 0, errorCode: 0, errorMessage: null }] }]);
    expect(c.leaderOf('e', 0)).toBe(preferred);
    // Unclean with a leader: not needed.
    const unclean = await r2.request(M.ElectLeadersApi.key, 1, M.encodeElectLeadersRequest, M.decodeElectLeadersResponse, { electionType: 1, topicPartitions: [{ topic: 'e', partitions: [0] }], timeoutMs: 10_000 });
    expect(unclean.replicaElectionResults[0]!.partitionResult[0]!.errorCode).toBe(84);
  }, 60_000);
});
