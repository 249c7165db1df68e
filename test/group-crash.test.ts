// The group coordinator behind the crash boundary: a throw in one of its timers, its periodic
// cleanup or the load of a __consumer_offsets partition is logged at ERROR with its stack and
// contained, and the coordinator and its broker keep serving. In simulated time on one broker:
// a failed timer is retried after TIMER_RETRY_BACKOFF_MS and given up after TIMER_MAX_RETRIES
// (the group is then left to its next event, here the new member's join timeout); a failed
// cleanup runs again at the next interval. On a 3-broker cluster (real time, kafkajs and raw
// requests): a group joins, commits and fetches after each injected crash, and a coordinator
// whose load failed loads the partition again. (With the cleanup every 100 ms, this cluster
// also shows that a commit still being replicated keeps its group from being cleaned up.)
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import * as M from '../src/protocol/messages/index.js';
import { TIMER_MAX_RETRIES, TIMER_RETRY_BACKOFF_MS } from '../src/server/group/CoordinatorTimer.js';
import { partitionForGroup } from '../src/server/group/GroupMetadataRecords.js';
import { armCrashPoint, disarmCrashPoints } from '../src/util/CrashBoundary.js';
import { MockTime } from '../src/util/Time.js';
import { startSimulatedGroupBroker, until, waitForCoordinator, type SimulatedGroupBroker } from './support/coordinator.js';
import { RawClient } from './support/RawClient.js';

const E = { NONE: 0, UNKNOWN_MEMBER_ID: 25, MEMBER_ID_REQUIRED: 79 };
const TOPIC = 'crash-topic';
const clients: RawClient[] = [];
let stderr: MockInstance;

/** ERROR lines logged since the spy was installed that mention `text`. */
const errorsAbout = (text: string) =>
  stderr.mock.calls.map((c) => String(c[0])).filter((line) => line.includes(' ERROR ') && line.includes(text));

beforeAll(() => {
  stderr = vi.spyOn(process.stderr, 'write');
});
afterEach(() => disarmCrashPoints());
afterAll(() => {
  for (const c of clients) c.close();
  stderr.mockRestore();
});

async function connect(bootstrap: string, groupId: string): Promise<RawClient> {
  const c = await RawClient.connect(bootstrap);
  clients.push(c);
  await waitForCoordinator(c, groupId);
  return c;
}

function join(c: RawClient, groupId: string, memberId = '') {
  return c.request(11, 5, M.encodeJoinGroupRequest, M.decodeJoinGroupResponse, {
    ...M.defaultJoinGroupRequest(),
    groupId,
    memberId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('meta') }],
  });
}

function sync(c: RawClient, groupId: string, generationId: number, memberId: string) {
  return c.request(14, 3, M.encodeSyncGroupRequest, M.decodeSyncGroupResponse, {
    groupId,
    generationId,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: [{ memberId, assignment: Buffer.from('all') }],
  });
}

function heartbeat(c: RawClient, groupId: string, generationId: number, memberId: string) {
  return c.request(12, 3, M.encodeHeartbeatRequest, M.decodeHeartbeatResponse, { groupId, generationId, memberId, groupInstanceId: null });
}

async function commit(c: RawClient, groupId: string, offset: number, generationId = -1, memberId = ''): Promise<number> {
  const res = await c.request(8, 8, M.encodeOffsetCommitRequest, M.decodeOffsetCommitResponse, {
    ...M.defaultOffsetCommitRequest(),
    groupId,
    generationIdOrMemberEpoch: generationId,
    memberId,
    topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }],
  });
  return res.topics[0]!.partitions[0]!.errorCode;
}

async function fetched(c: RawClient, groupId: string): Promise<[number, number]> {
  const res = await c.request(9, 7, M.encodeOffsetFetchRequest, M.decodeOffsetFetchResponse, { ...M.defaultOffsetFetchRequest(), groupId, topics: [{ name: TOPIC, partitionIndexes: [0] }] });
  return [res.errorCode, Number(res.topics[0]?.partitions[0]?.committedOffset ?? -1)];
}

describe('in simulated time', () => {
  let sim: SimulatedGroupBroker;
  let time: MockTime;
  const group = (groupId: string) => sim.broker.groupCoordinator.classicGroup(groupId);

  beforeAll(async () => {
    time = new MockTime(Date.now());
    sim = await startSimulatedGroupBroker(time, {
      'group.initial.rebalance.delay.ms': 0,
      'offsets.retention.minutes': 1,
      'offsets.retention.check.interval.ms': 1000,
    });
    await sim.createTopic(TOPIC, 1);
  });
  afterAll(async () => {
    await sim?.close();
  });

  /** A JoinGroup as a new member, once it is parked until the group's join timer runs. */
  async function parkedJoin(c: RawClient, groupId: string) {
    const first = await join(c, groupId);
    expect(first.errorCode).toBe(E.MEMBER_ID_REQUIRED);
    const joined = join(c, groupId, first.memberId);
    await until(() => group(groupId)?.numAwaitingJoinResponse === 1, 'the JoinGroup is parked');
    return { joined };
  }

  it('a group timer that throws is logged with its stack and retried; the group then joins, commits and fetches', async () => {
    const groupId = 'timer-crash';
    const c = await connect(sim.bootstrapServers[0]!, groupId);
    const { joined } = await parkedJoin(c, groupId);
    armCrashPoint('group.timer');
    await time.advance(0); // the initial rebalance delay ends: its timer throws
    const logged = errorsAbout(`group timer join/${groupId} failed (contained): Error: injected crash at group.timer`);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/\n\s+at /); // with its stack
    expect(group(groupId)!.state).toBe('PreparingRebalance');
    await time.advance(TIMER_RETRY_BACKOFF_MS - 1);
    expect(group(groupId)!.state).toBe('PreparingRebalance');
    await time.advance(1); // the retry completes the join phase
    const res = await joined;
    expect([res.errorCode, res.generationId]).toEqual([E.NONE, 1]);
    expect((await sync(c, groupId, 1, res.memberId)).errorCode).toBe(E.NONE);
    expect((await heartbeat(c, groupId, 1, res.memberId)).errorCode).toBe(E.NONE);
    expect(await commit(c, groupId, 7, 1, res.memberId)).toBe(E.NONE);
    expect(await fetched(c, groupId)).toEqual([E.NONE, 7]);
  });

  it('a timer that keeps throwing is given up; the group is left to its next event (the new member join timeout)', async () => {
    const groupId = 'timer-given-up';
    const c = await connect(sim.bootstrapServers[0]!, groupId);
    const { joined } = await parkedJoin(c, groupId);
    armCrashPoint('group.timer', 1 + TIMER_MAX_RETRIES);
    await time.advance(TIMER_MAX_RETRIES * TIMER_RETRY_BACKOFF_MS);
    expect(errorsAbout(`group timer join/${groupId} failed (contained)`)).toHaveLength(1 + TIMER_MAX_RETRIES);
    expect(errorsAbout(`group timer join/${groupId} failed ${1 + TIMER_MAX_RETRIES} times; giving it up`)).toHaveLength(1);
    await time.advance(60_000);
    expect(group(groupId)!.state).toBe('PreparingRebalance'); // no join timer any more
    // Kafka's group.classic.new.member.join.timeout.ms (5 min) expires the parked new member:
    // its JoinGroup is answered, and the client's next join works.
    await time.advance(5 * 60_000);
    expect((await joined).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect(group(groupId)?.size ?? 0).toBe(0); // Empty, or already dropped by the cleanup (no offsets)
    const again = await parkedJoin(c, groupId);
    await time.advance(0);
    expect((await again.joined).errorCode).toBe(E.NONE);
  });

  it('a cleanup that throws is logged and contained; the next interval expires the offsets', async () => {
    const groupId = 'cleanup-crash';
    const c = await connect(sim.bootstrapServers[0]!, groupId);
    expect(await commit(c, groupId, 3)).toBe(E.NONE);
    const coordinator = sim.broker.groupCoordinator;
    await time.advance(59_999);
    expect(coordinator.groupState(groupId)).toBe('Empty');
    armCrashPoint('group.cleanup');
    // The one cleanup in the next second finds the offsets expired (retention 60 s), and throws.
    await time.advance(1_000);
    const logged = errorsAbout('group metadata cleanup failed (contained): Error: injected crash at group.cleanup');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/\n\s+at /);
    expect(coordinator.groupState(groupId)).toBe('Empty');
    expect(await fetched(c, groupId)).toEqual([E.NONE, 3]);
    await time.advance(1_000);
    expect(coordinator.groupState(groupId)).toBeUndefined();
    expect(await fetched(c, groupId)).toEqual([E.NONE, -1]);
    // And the coordinator serves on.
    expect(await commit(c, groupId, 4)).toBe(E.NONE);
    expect(await fetched(c, groupId)).toEqual([E.NONE, 4]);
  });
});

describe('on a 3-broker cluster', () => {
  const PARTITIONS = 3;
  let cluster: Cluster;

  /** Real time here: poll every 50 ms. */
  async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await cond())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    cluster = await startCluster({
      brokers: 3,
      config: {
        'broker.session.timeout.ms': 1000,
        'broker.heartbeat.interval.ms': 100,
        'group.initial.rebalance.delay.ms': 0,
        'offsets.topic.num.partitions': PARTITIONS,
        'offsets.retention.check.interval.ms': 100,
      },
    });
    await cluster.createTopic(TOPIC, { partitions: 3 });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  const coordinatorOf = (groupId: string) => cluster.leaderOf('__consumer_offsets', partitionForGroup(groupId, PARTITIONS));

  /** A kafkajs group on every broker's bootstrap: consumes what is produced and commits it. */
  async function consumeAndCommit(groupId: string, values: string[]): Promise<void> {
    const kafka = new Kafka({ clientId: groupId, brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, retries: 30, maxRetryTime: 1000 } });
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, heartbeatInterval: 300, sessionTimeout: 6000 });
    const admin = kafka.admin();
    const seen: string[] = [];
    try {
      await Promise.all([producer.connect(), consumer.connect(), admin.connect()]);
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
      await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value, i) => ({ partition: i % 3, value })) });
      const perPartition = values.length / 3;
      await waitFor(`${groupId} consumed every record`, () => values.every((v) => seen.includes(v)));
      await waitFor(`${groupId} committed every record`, async () =>
        (await admin.fetchOffsets({ groupId, topics: [TOPIC] }))[0]!.partitions.every((p) => Number(p.offset) >= perPartition),
      );
    } finally {
      await consumer.disconnect();
      await Promise.all([producer.disconnect(), admin.disconnect()]);
    }
  }

  it('after a crash in a group timer, a kafkajs group joins, consumes, commits and fetches; every broker serves', async () => {
    const before = errorsAbout('injected crash at group.timer').length;
    armCrashPoint('group.timer');
    await consumeAndCommit('kafkajs-after-timer-crash', ['a', 'b', 'c', 'd', 'e', 'f']);
    expect(errorsAbout('injected crash at group.timer').length).toBe(before + 1);
    // Groups coordinated by each broker work too (one group id per __consumer_offsets partition).
    const ids = ['g0', 'g1', 'g2', 'g3', 'g4', 'g5'].filter((g, i, all) => all.findIndex((x) => partitionForGroup(x, PARTITIONS) === partitionForGroup(g, PARTITIONS)) === i);
    expect(new Set(ids.map(coordinatorOf)).size).toBe(3);
    for (const groupId of ids) {
      const c = await connect(cluster.bootstrapServers[coordinatorOf(groupId) - 1]!, groupId);
      expect(await commit(c, groupId, 11)).toBe(E.NONE);
      expect(await fetched(c, groupId)).toEqual([E.NONE, 11]);
    }
  }, 60_000);

  it('after a crash in the periodic cleanup, the coordinators keep serving', async () => {
    armCrashPoint('group.cleanup', 3);
    await waitFor('three cleanups crashed', () => errorsAbout('injected crash at group.cleanup').length >= 3);
    await consumeAndCommit('kafkajs-after-cleanup-crash', ['g', 'h', 'i']);
  }, 60_000);

  it('a commit still being replicated keeps its new group from being cleaned up as empty and without offsets', async () => {
    // Kafka counts pending offset commits as offsets of the group (GroupMetadata.hasOffsets).
    const groupId = 'pending-commit';
    await connect(cluster.bootstrapServers[0]!, groupId); // __consumer_offsets exists
    const coordinator = coordinatorOf(groupId);
    const leader = await connect(cluster.bootstrapServers[coordinator - 1]!, groupId);
    const coordinatorBroker = cluster.brokers.find((b) => b.nodeId === coordinator)!;
    for (const b of [1, 2, 3]) if (b !== coordinator) cluster.isolate(b);
    try {
      const committing = commit(leader, groupId, 5);
      await waitFor('the commit waits for the followers', () => coordinatorBroker.groupCoordinator.groupState(groupId) === 'Empty');
      // Three cleanup passes while the commit waits (run here, not left to the 100 ms timer).
      for (let i = 0; i < 3; i++) coordinatorBroker.groupCoordinator.cleanupGroupMetadata();
      expect(coordinatorBroker.groupCoordinator.groupState(groupId)).toBe('Empty');
      cluster.heal();
      expect(await committing).toBe(E.NONE);
    } finally {
      cluster.heal();
    }
    expect(await fetched(leader, groupId)).toEqual([E.NONE, 5]);
    expect(coordinatorBroker.groupCoordinator.groupState(groupId)).toBe('Empty');
  }, 30_000);

  it('a load that throws on the new coordinator is retried: the group is served there with its committed offsets', async () => {
    const groupId = 'load-crash';
    const coordinator = coordinatorOf(groupId);
    const c = await connect(cluster.bootstrapServers[coordinator - 1]!, groupId);
    expect(await commit(c, groupId, 42)).toBe(E.NONE);
    // Every partition the coordinator leads moves: each new leader's first load throws.
    const moving = [0, 1, 2].filter((p) => cluster.leaderOf('__consumer_offsets', p) === coordinator).length;
    armCrashPoint('group.load', moving);
    await cluster.stopBroker(coordinator, { crash: true });
    await waitFor('a new coordinator', () => coordinatorOf(groupId) > 0 && coordinatorOf(groupId) !== coordinator);
    const next = coordinatorOf(groupId);
    await waitFor('the loads crashed', () => errorsAbout('injected crash at group.load').length === moving);
    expect(errorsAbout('injected crash at group.load')[0]).toMatch(/\n\s+at /);
    const survivor = await connect(cluster.bootstrapServers[next - 1]!, groupId);
    // NOT_COORDINATOR until the reload (a second later), as clients retry.
    let answer = await fetched(survivor, groupId);
    await waitFor('the group served again', async () => (answer = await fetched(survivor, groupId))[0] === E.NONE);
    expect(answer).toEqual([E.NONE, 42]);
    expect(await commit(survivor, groupId, 43)).toBe(E.NONE);
    expect(await fetched(survivor, groupId)).toEqual([E.NONE, 43]);
    await cluster.startBroker(coordinator);
    await cluster.waitForReplication('__consumer_offsets');
  }, 60_000);
});
