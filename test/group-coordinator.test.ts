// The group coordinator through raw requests: Kafka's error codes for bad input (and the
// group staying usable afterwards), the rebalance rules (initial delay, rebalance timeout,
// session expiry, static members), offset expiration, and the durability of offsets and group
// metadata. Rules about time run against a broker whose group coordinator has a MockTime: the
// test advances the clock to just before and just after each deadline, never sleeps.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../src/index.js';
import * as M from '../src/protocol/messages/index.js';
import { MockTime } from '../src/util/Time.js';
import { settled, startSimulatedGroupBroker, until, waitForCoordinator, type SimulatedGroupBroker } from './support/coordinator.js';
import { RawClient } from './support/RawClient.js';

const E = {
  NONE: 0,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  REQUEST_TIMED_OUT: 7,
  OFFSET_METADATA_TOO_LARGE: 12,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  MEMBER_ID_REQUIRED: 79,
  GROUP_MAX_SIZE_REACHED: 81,
  INVALID_REQUEST: 42,
  FENCED_INSTANCE_ID: 82,
  GROUP_SUBSCRIBED_TO_TOPIC: 86,
};
const TOPIC = 'offsets';
const META = Buffer.from('meta');

interface JoinOpts {
  memberId?: string;
  groupInstanceId?: string | null;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  protocolType?: string;
  protocols?: { name: string; metadata: Buffer }[];
  version?: number;
}

/** A raw client with one method per group request (one connection per member). */
class Member {
  memberId = '';
  generationId = -1;
  private constructor(
    readonly client: RawClient,
    readonly groupId: string,
  ) {}

  static async connect(cluster: { bootstrapServers: string[] }, groupId: string): Promise<Member> {
    const client = await RawClient.connect(cluster.bootstrapServers[0]!);
    await waitForCoordinator(client, groupId);
    return new Member(client, groupId);
  }

  join(o: JoinOpts = {}) {
    return this.client.request(11, o.version ?? 5, M.encodeJoinGroupRequest, M.decodeJoinGroupResponse, {
      ...M.defaultJoinGroupRequest(),
      groupId: this.groupId,
      memberId: o.memberId ?? this.memberId,
      groupInstanceId: o.groupInstanceId ?? null,
      sessionTimeoutMs: o.sessionTimeoutMs ?? 10_000,
      rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? 10_000,
      protocolType: o.protocolType ?? 'consumer',
      protocols: o.protocols ?? [{ name: 'range', metadata: META }],
    });
  }

  /** Join (answering MEMBER_ID_REQUIRED) and remember the member id and generation. */
  async joined(o: JoinOpts = {}) {
    let res = await this.join(o);
    if (res.errorCode === E.MEMBER_ID_REQUIRED) res = await this.join({ ...o, memberId: res.memberId });
    expect(res.errorCode).toBe(E.NONE);
    this.memberId = res.memberId;
    this.generationId = res.generationId;
    return res;
  }

  sync(assignments: { memberId: string; assignment: Buffer }[] = [], o: { generationId?: number; memberId?: string; groupInstanceId?: string | null; version?: number; protocolName?: string | null; protocolType?: string | null } = {}) {
    return this.client.request(14, o.version ?? 3, M.encodeSyncGroupRequest, M.decodeSyncGroupResponse, {
      groupId: this.groupId,
      generationId: o.generationId ?? this.generationId,
      memberId: o.memberId ?? this.memberId,
      groupInstanceId: o.groupInstanceId ?? null,
      protocolType: o.protocolType === undefined ? 'consumer' : o.protocolType,
      protocolName: o.protocolName === undefined ? 'range' : o.protocolName,
      assignments,
    });
  }

  async heartbeat(o: { generationId?: number; memberId?: string; groupInstanceId?: string | null } = {}) {
    const res = await this.client.request(12, 3, M.encodeHeartbeatRequest, M.decodeHeartbeatResponse, {
      groupId: this.groupId,
      generationId: o.generationId ?? this.generationId,
      memberId: o.memberId ?? this.memberId,
      groupInstanceId: o.groupInstanceId ?? null,
    });
    return res.errorCode;
  }

  leave(members: { memberId: string; groupInstanceId?: string | null }[], version = 3) {
    return this.client.request(13, version, M.encodeLeaveGroupRequest, M.decodeLeaveGroupResponse, {
      groupId: this.groupId,
      memberId: members[0]?.memberId ?? '',
      members: members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, reason: null })),
    });
  }

  async commit(
    partitions: { topic?: string; partition?: number; offset: number; metadata?: string | null }[],
    o: { generationId?: number; memberId?: string; version?: number } = {},
  ): Promise<number[]> {
    const res = await this.client.request(8, o.version ?? 8, M.encodeOffsetCommitRequest, M.decodeOffsetCommitResponse, {
      ...M.defaultOffsetCommitRequest(),
      groupId: this.groupId,
      generationIdOrMemberEpoch: o.generationId ?? this.generationId,
      memberId: o.memberId ?? this.memberId,
      topics: partitions.map((p) => ({
        name: p.topic ?? TOPIC,
        partitions: [{ partitionIndex: p.partition ?? 0, committedOffset: p.offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: p.metadata ?? null }],
      })),
    });
    return res.topics.map((t) => t.partitions[0]!.errorCode);
  }

  async fetch(topics: { name: string; partitionIndexes: number[] }[] | null = [{ name: TOPIC, partitionIndexes: [0, 1] }]) {
    const res = await this.client.request(9, 7, M.encodeOffsetFetchRequest, M.decodeOffsetFetchResponse, {
      ...M.defaultOffsetFetchRequest(),
      groupId: this.groupId,
      topics,
    });
    expect(res.errorCode).toBe(E.NONE);
    return res.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata])]);
  }

  async describe() {
    const res = await this.client.request(15, 5, M.encodeDescribeGroupsRequest, M.decodeDescribeGroupsResponse, { groups: [this.groupId], includeAuthorizedOperations: false });
    return res.groups[0]!;
  }

  close(): void {
    this.client.close();
  }
}

let cluster: Cluster;
/** Sessions, rebalance delays and offset expiration in simulated time. */
let sim: SimulatedGroupBroker;
let time: MockTime;
const members: Member[] = [];

async function member(groupId: string, on: { bootstrapServers: string[] } = cluster): Promise<Member> {
  const m = await Member.connect(on, groupId);
  members.push(m);
  return m;
}

/** A one-member Stable group. */
async function stableGroup(groupId: string, o: JoinOpts = {}): Promise<Member> {
  const m = await member(groupId);
  await m.joined(o);
  const sync = await m.sync([{ memberId: m.memberId, assignment: Buffer.from('mine') }], { groupInstanceId: o.groupInstanceId ?? null });
  expect(sync.errorCode).toBe(E.NONE);
  return m;
}

/** A group of the simulated broker, as its coordinator holds it. */
const simGroup = (groupId: string) => sim.broker.groupCoordinator.classicGroup(groupId);
const realGroup = (groupId: string) => cluster.brokers[0]!.groupCoordinator.classicGroup(groupId);

/** Until n JoinGroups of the simulated broker's group are parked (they went over TCP). */
async function parkedJoins(groupId: string, n: number): Promise<void> {
  await until(() => (simGroup(groupId)?.numAwaitingJoinResponse ?? 0) >= n, `${n} JoinGroup(s) of ${groupId} are parked`);
}

/** The first member of a group of the simulated broker: the initial rebalance delay (0 ms here) is a timer too. */
async function simJoined(m: Member, o: JoinOpts = {}) {
  const joined = m.joined(o);
  await parkedJoins(m.groupId, 1);
  await time.advance(0);
  return joined;
}

/** A one-member Stable group of the simulated broker. */
async function simStableGroup(groupId: string, o: JoinOpts = {}): Promise<Member> {
  const m = await member(groupId, sim);
  await simJoined(m, o);
  const sync = await m.sync([{ memberId: m.memberId, assignment: Buffer.from('mine') }], { groupInstanceId: o.groupInstanceId ?? null });
  expect(sync.errorCode).toBe(E.NONE);
  return m;
}

beforeAll(async () => {
  // Sessions down to 100 ms; Kafka's 6 s floor is tested below on its own broker.
  cluster = await startCluster({ config: { 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 100 } });
  await cluster.createTopic(TOPIC, { partitions: 2 });
  time = new MockTime(Date.now());
  sim = await startSimulatedGroupBroker(time, {
    'group.initial.rebalance.delay.ms': 0,
    'group.min.session.timeout.ms': 100,
    'offsets.retention.minutes': 1,
    'offsets.retention.check.interval.ms': 1000,
  });
  await sim.createTopic(TOPIC, 2);
});
afterAll(async () => {
  for (const m of members) m.close();
  await cluster?.close();
  await sim?.close();
});

describe('JoinGroup', () => {
  it('MEMBER_ID_REQUIRED (with a generated member id) from v4 on, never below', async () => {
    for (let v = 0; v <= 9; v++) {
      const m = await member(`mid-v${v}`);
      const res = await m.join({ version: v });
      if (v >= 4) {
        expect(res.errorCode).toBe(E.MEMBER_ID_REQUIRED);
        expect(res.memberId).toMatch(/^minikafka-test-[0-9a-f-]{36}$/);
        expect(res.generationId).toBe(-1);
        const again = await m.join({ version: v, memberId: res.memberId });
        expect([again.errorCode, again.memberId, again.generationId]).toEqual([E.NONE, res.memberId, 1]);
      } else {
        expect([res.errorCode, res.generationId]).toEqual([E.NONE, 1]);
        expect(res.memberId).toMatch(/^minikafka-test-/);
      }
    }
  });

  it('empty group id, session timeouts outside the broker bounds, unknown member ids', async () => {
    const bounded = await startCluster({ inMemory: true, config: { 'group.initial.rebalance.delay.ms': 0 } });
    try {
      const m = await member('bounds', bounded);
      expect((await m.join({ sessionTimeoutMs: 5999 })).errorCode).toBe(E.INVALID_SESSION_TIMEOUT);
      expect((await m.join({ sessionTimeoutMs: 1_800_001 })).errorCode).toBe(E.INVALID_SESSION_TIMEOUT);
      expect((await m.join({ sessionTimeoutMs: 6000 })).errorCode).toBe(E.MEMBER_ID_REQUIRED);
      expect((await m.join({ sessionTimeoutMs: 1_800_000 })).errorCode).toBe(E.MEMBER_ID_REQUIRED);
      const empty = await member('', bounded);
      expect((await empty.join()).errorCode).toBe(E.INVALID_GROUP_ID);
      expect((await empty.sync()).errorCode).toBe(E.INVALID_GROUP_ID);
      expect(await empty.heartbeat()).toBe(E.INVALID_GROUP_ID);
      expect((await empty.leave([{ memberId: 'x' }])).errorCode).toBe(E.INVALID_GROUP_ID);
      const del = await empty.client.request(47, 0, M.encodeOffsetDeleteRequest, M.decodeOffsetDeleteResponse, { groupId: '', topics: [] });
      expect(del.errorCode).toBe(E.INVALID_GROUP_ID);
      // A member id the group does not know (or for a group that does not exist).
      expect((await m.join({ memberId: 'made-up' })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
      const other = await member('no-such-group', bounded);
      expect((await other.join({ memberId: 'made-up' })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    } finally {
      await bounded.close();
    }
  });

  it('INCONSISTENT_GROUP_PROTOCOL: no protocol, no protocol type, another protocol type, no shared protocol', async () => {
    expect((await (await member('bad-proto-1')).join({ protocols: [] })).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect((await (await member('bad-proto-2')).join({ protocolType: '' })).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    const leader = await stableGroup('mixed', { protocols: [{ name: 'range', metadata: META }, { name: 'roundrobin', metadata: META }] });
    const connect = await member('mixed');
    expect((await connect.join({ protocolType: 'connect' })).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect((await connect.join({ protocols: [{ name: 'sticky', metadata: META }] })).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    // The group is untouched: same generation, the leader still heartbeats.
    expect(await leader.heartbeat()).toBe(E.NONE);
    expect((await leader.describe()).groupState).toBe('Stable');
  });

  it('the protocol with the most votes among those every member supports is selected', async () => {
    const a = await member('votes', sim);
    const b = await member('votes', sim);
    const c = await member('votes', sim);
    const protos = (...names: string[]) => names.map((name) => ({ name, metadata: Buffer.from(name) }));
    // a gets generation 1 alone.
    const ra1 = await simJoined(a, { version: 3, protocols: protos('sticky', 'range', 'roundrobin'), rebalanceTimeoutMs: 2000 });
    expect(ra1.generationId).toBe(1);
    // b and c prefer roundrobin; sticky is not supported by c.
    const jb = b.joined({ version: 3, protocols: protos('roundrobin', 'sticky', 'range') });
    const jc = c.joined({ version: 3, protocols: protos('roundrobin', 'range') });
    await parkedJoins('votes', 2);
    // a rejoins for the rebalance that b and c started.
    const ja2 = a.joined({ version: 3, memberId: a.memberId, protocols: protos('sticky', 'range', 'roundrobin') });
    const [ra, rb, rc] = await Promise.all([ja2, jb, jc]);
    expect(new Set([ra.generationId, rb.generationId, rc.generationId]).size).toBe(1);
    expect(ra.protocolName).toBe('roundrobin');
    const leader = [ra, rb, rc].find((r) => r.memberId === r.leader)!;
    expect(leader.members.map((m) => m.metadata.toString())).toEqual(['roundrobin', 'roundrobin', 'roundrobin']);
  });
});

describe('rebalances', () => {
  it('members that do not rejoin within the rebalance timeout are removed', async () => {
    const a = await member('slow-rejoin', sim);
    await simJoined(a, { rebalanceTimeoutMs: 300 });
    expect((await a.sync([{ memberId: a.memberId, assignment: Buffer.from('a') }])).errorCode).toBe(E.NONE);
    const b = await member('slow-rejoin', sim);
    const jb = b.joined({ rebalanceTimeoutMs: 300 }); // a never rejoins
    await parkedJoins('slow-rejoin', 1);
    await time.advance(299);
    expect([simGroup('slow-rejoin')!.state, simGroup('slow-rejoin')!.has(a.memberId)]).toEqual(['PreparingRebalance', true]);
    await time.advance(1);
    const rb = await jb;
    expect([rb.generationId, rb.leader, rb.members.map((m) => m.memberId)]).toEqual([2, b.memberId, [b.memberId]]);
    expect(await a.heartbeat()).toBe(E.UNKNOWN_MEMBER_ID);
  });

  it('a member whose session expires is removed and the group rebalances', async () => {
    const a = await simStableGroup('expiry', { sessionTimeoutMs: 400 });
    const b = await member('expiry', sim);
    const jb = b.joined({ sessionTimeoutMs: 10_000 });
    await parkedJoins('expiry', 1);
    expect(await a.heartbeat()).toBe(E.REBALANCE_IN_PROGRESS); // restarts a's session
    // a stops heartbeating and never rejoins: once its session runs out, b's join completes.
    await time.advance(399);
    expect([simGroup('expiry')!.state, simGroup('expiry')!.has(a.memberId)]).toEqual(['PreparingRebalance', true]);
    await time.advance(1);
    const res = await jb;
    expect(res.members.map((m) => m.memberId)).toEqual([b.memberId]);
    expect(await a.heartbeat({ generationId: res.generationId })).toBe(E.UNKNOWN_MEMBER_ID);
    // b's own session: silent for longer than it, b is gone too and the group is empty.
    await b.sync([{ memberId: b.memberId, assignment: Buffer.alloc(0) }]);
    expect(await b.heartbeat()).toBe(E.NONE);
    const lonely = await simStableGroup('expiry-alone', { sessionTimeoutMs: 200 });
    await time.advance(199);
    expect((await lonely.describe()).groupState).toBe('Stable');
    await time.advance(1);
    expect((await lonely.describe()).groupState).toBe('Empty');
    expect(await lonely.heartbeat()).toBe(E.UNKNOWN_MEMBER_ID);
  });

  it('SyncGroup and Heartbeat: unknown member, stale generation, rebalance in progress, protocol checks (v5)', async () => {
    const a = await stableGroup('sync-errors');
    expect((await a.sync([], { memberId: 'stranger' })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect((await a.sync([], { generationId: a.generationId + 1 })).errorCode).toBe(E.ILLEGAL_GENERATION);
    expect((await a.sync([], { version: 5, protocolName: 'roundrobin' })).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect((await a.sync([], { version: 5, protocolType: 'connect' })).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect((await a.sync([], { version: 5, protocolType: null })).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    const stable = await a.sync([], { version: 5 });
    expect([stable.errorCode, stable.protocolType, stable.protocolName, stable.assignment.toString()]).toEqual([E.NONE, 'consumer', 'range', 'mine']);
    expect(await a.heartbeat({ memberId: 'stranger' })).toBe(E.UNKNOWN_MEMBER_ID);
    expect(await a.heartbeat({ generationId: 0 })).toBe(E.ILLEGAL_GENERATION);
    const nobody = await member('no-group-here');
    expect(await nobody.heartbeat({ memberId: 'x', generationId: 1 })).toBe(E.UNKNOWN_MEMBER_ID);
    expect((await nobody.sync([], { memberId: 'x', generationId: 1 })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    // A second member starts a rebalance: heartbeats and syncs of the old generation are told so.
    const b = await member('sync-errors');
    const jb = b.joined();
    await until(() => realGroup('sync-errors')?.state === 'PreparingRebalance', 'b started a rebalance');
    expect(await a.heartbeat()).toBe(E.REBALANCE_IN_PROGRESS);
    expect((await a.sync([])).errorCode).toBe(E.REBALANCE_IN_PROGRESS);
    expect((await a.commit([{ offset: 1 }])).every((c) => c === E.NONE)).toBe(true); // commits are still allowed
    const ra = await a.joined({ memberId: a.memberId });
    await jb;
    expect(ra.generationId).toBe(b.generationId);
    // Followers' SyncGroups wait for the leader's.
    const leader = ra.leader === a.memberId ? a : b;
    const follower = leader === a ? b : a;
    const parked = follower.sync();
    await until(() => realGroup('sync-errors')?.members.get(follower.memberId)?.isAwaitingSync === true, "the follower's SyncGroup is parked");
    const done = await leader.sync([
      { memberId: a.memberId, assignment: Buffer.from('for-a') },
      { memberId: b.memberId, assignment: Buffer.from('for-b') },
    ]);
    expect((await parked).assignment.toString()).toBe(follower === a ? 'for-a' : 'for-b');
    expect(done.assignment.toString()).toBe(leader === a ? 'for-a' : 'for-b');
  });

  it('LeaveGroup: per member (v3+), top-level below v3; the group rebalances without the leaver', async () => {
    const a = await stableGroup('leaving');
    expect((await a.leave([{ memberId: 'stranger' }], 1)).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    const v3 = await a.leave([{ memberId: 'stranger' }, { memberId: '', groupInstanceId: 'nobody' }]);
    expect([v3.errorCode, v3.members.map((m) => m.errorCode)]).toEqual([E.NONE, [E.UNKNOWN_MEMBER_ID, E.UNKNOWN_MEMBER_ID]]);
    expect(await a.heartbeat()).toBe(E.NONE);
    expect((await a.leave([{ memberId: a.memberId }], 0)).errorCode).toBe(E.NONE);
    expect((await a.describe()).groupState).toBe('Empty');
    const nobody = await member('never-existed');
    const res = await nobody.leave([{ memberId: 'x' }]);
    expect(res.members.map((m) => m.errorCode)).toEqual([E.UNKNOWN_MEMBER_ID]);
  });

  it('a member that gets its JoinGroup answer but never syncs is dropped after the rebalance timeout', async () => {
    const a = await member('no-sync', sim);
    const b = await member('no-sync', sim);
    await simJoined(a, { version: 3, rebalanceTimeoutMs: 300 });
    await a.sync([{ memberId: a.memberId, assignment: Buffer.from('a') }]);
    const jb = b.joined({ version: 3, rebalanceTimeoutMs: 300 });
    await parkedJoins('no-sync', 1);
    const ja = await a.joined({ version: 3, memberId: a.memberId, rebalanceTimeoutMs: 300 });
    await jb;
    // Only the leader syncs; the follower never does, so after 300 ms it is removed and the
    // leader's heartbeat says to rejoin.
    const leader = ja.leader === a.memberId ? a : b;
    const follower = leader === a ? b : a;
    expect((await leader.sync([{ memberId: leader.memberId, assignment: Buffer.from('x') }])).errorCode).toBe(E.NONE);
    await time.advance(299);
    expect(await leader.heartbeat()).toBe(E.NONE);
    await time.advance(1);
    expect(await leader.heartbeat()).toBe(E.REBALANCE_IN_PROGRESS);
    expect(await follower.heartbeat()).toBe(E.UNKNOWN_MEMBER_ID);
    const again = await leader.joined({ version: 3, memberId: leader.memberId, rebalanceTimeoutMs: 300 });
    expect(again.members.map((m) => m.memberId)).toEqual([leader.memberId]);
  });

  it('a member id handed out with MEMBER_ID_REQUIRED expires if the client does not rejoin with it', async () => {
    const m = await member('pending', sim);
    const first = await m.join({ sessionTimeoutMs: 200 });
    expect(first.errorCode).toBe(E.MEMBER_ID_REQUIRED);
    await time.advance(199);
    // Another member's id, handed out just before the first one expires, lives its own session.
    const other = await member('pending', sim);
    const second = await other.join({ sessionTimeoutMs: 200 });
    expect(second.errorCode).toBe(E.MEMBER_ID_REQUIRED);
    expect(simGroup('pending')!.isPendingMember(first.memberId)).toBe(true);
    await time.advance(1);
    expect((await m.join({ memberId: first.memberId, sessionTimeoutMs: 200 })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    const joined = other.join({ memberId: second.memberId, sessionTimeoutMs: 200 });
    await parkedJoins('pending', 1);
    await time.advance(0);
    expect((await joined).errorCode).toBe(E.NONE);
  });

  it('group.max.size: GROUP_MAX_SIZE_REACHED for members beyond it', async () => {
    const small = await startCluster({ inMemory: true, config: { 'group.initial.rebalance.delay.ms': 0, 'group.max.size': 1 } });
    try {
      const a = await member('small', small);
      await a.joined();
      await a.sync([{ memberId: a.memberId, assignment: Buffer.alloc(0) }]);
      const b = await member('small', small);
      const res = await b.join();
      expect([res.errorCode, res.memberId]).toEqual([E.GROUP_MAX_SIZE_REACHED, '']);
      expect(await a.heartbeat()).toBe(E.NONE);
    } finally {
      await small.close();
    }
  });

  it('FindCoordinator: INVALID_REQUEST for key types other than group and transaction', async () => {
    const m = await member('coordinator');
    const old = await m.client.request(10, 3, M.encodeFindCoordinatorRequest, M.decodeFindCoordinatorResponse, { ...M.defaultFindCoordinatorRequest(), key: 'x', keyType: 2 });
    expect([old.errorCode, old.nodeId]).toEqual([E.INVALID_REQUEST, -1]);
    const batched = await m.client.request(10, 6, M.encodeFindCoordinatorRequest, M.decodeFindCoordinatorResponse, { ...M.defaultFindCoordinatorRequest(), keyType: 2, coordinatorKeys: ['x'] });
    expect(batched.coordinators.map((c) => [c.key, c.errorCode])).toEqual([['x', E.INVALID_REQUEST]]);
  });

  it('the initial rebalance waits group.initial.rebalance.delay.ms, so early members share generation 1', async () => {
    const delayedTime = new MockTime(Date.now());
    const delayed = await startSimulatedGroupBroker(delayedTime, { 'group.initial.rebalance.delay.ms': 300 });
    try {
      const a = await member('delayed', delayed);
      const b = await member('delayed', delayed);
      const joins = Promise.all([a.joined({ version: 3 }), b.joined({ version: 3 })]);
      const group = () => delayed.broker.groupCoordinator.classicGroup('delayed');
      await until(() => group()?.numAwaitingJoinResponse === 2, 'both JoinGroups are parked');
      await delayedTime.advance(299);
      expect(group()!.state).toBe('PreparingRebalance');
      // b arrived during the delay, so it is extended once more (up to the rebalance timeout).
      await delayedTime.advance(1);
      expect(group()!.state).toBe('PreparingRebalance');
      await delayedTime.advance(299);
      expect(group()!.state).toBe('PreparingRebalance');
      await delayedTime.advance(1);
      const [ra, rb] = await joins;
      expect([ra.generationId, rb.generationId]).toEqual([1, 1]);
      expect(ra.leader).toBe(rb.leader);

      // The extensions stop at the rebalance timeout (500 ms here): a member arriving during the
      // last one does not extend it again.
      const capped = () => delayed.broker.groupCoordinator.classicGroup('capped');
      const [x, y, z] = await Promise.all([member('capped', delayed), member('capped', delayed), member('capped', delayed)]);
      const early = Promise.all([x.joined({ version: 3, rebalanceTimeoutMs: 500 }), y.joined({ version: 3, rebalanceTimeoutMs: 500 })]);
      await until(() => capped()?.numAwaitingJoinResponse === 2, 'two JoinGroups are parked');
      await delayedTime.advance(300);
      expect(capped()!.state).toBe('PreparingRebalance');
      const late = z.joined({ version: 3, rebalanceTimeoutMs: 500 });
      await until(() => capped()?.numAwaitingJoinResponse === 3, 'the third JoinGroup is parked');
      await delayedTime.advance(199);
      expect(capped()!.state).toBe('PreparingRebalance');
      await delayedTime.advance(1);
      const [[rx, ry], rz] = await Promise.all([early, late]);
      expect([rx.generationId, ry.generationId, rz.generationId, rz.members.length + rx.members.length + ry.members.length]).toEqual([1, 1, 1, 3]);
    } finally {
      await delayed.close();
    }
  });
});

describe('static membership', () => {
  it('a static member rejoining with a new member id fences the old one without a rebalance', async () => {
    const old = await stableGroup('static', { groupInstanceId: 'instance-1' });
    const generation = old.generationId;
    const fresh = await member('static');
    const res = await fresh.join({ groupInstanceId: 'instance-1', version: 5 });
    expect(res.errorCode).toBe(E.NONE);
    expect(res.memberId).not.toBe(old.memberId);
    expect(res.generationId).toBe(generation); // no rebalance of a Stable group
    fresh.memberId = res.memberId;
    fresh.generationId = res.generationId;
    expect(await old.heartbeat({ groupInstanceId: 'instance-1' })).toBe(E.FENCED_INSTANCE_ID);
    expect((await old.sync([], { groupInstanceId: 'instance-1' })).errorCode).toBe(E.FENCED_INSTANCE_ID);
    expect(await fresh.heartbeat({ groupInstanceId: 'instance-1' })).toBe(E.NONE);
    const sync = await fresh.sync([], { groupInstanceId: 'instance-1' });
    expect(sync.assignment.toString()).toBe('mine'); // the assignment follows the instance
    // Removal by instance id (LeaveGroup v3+ with an empty member id).
    const left = await fresh.leave([{ memberId: '', groupInstanceId: 'instance-1' }]);
    expect(left.members.map((m) => m.errorCode)).toEqual([E.NONE]);
    expect((await fresh.describe()).groupState).toBe('Empty');
  });

  it('JoinGroup v9: a rejoining static leader of a stable group is told to skip the assignment', async () => {
    await stableGroup('static-v9', { groupInstanceId: 'leader-1', version: 9 });
    const again = await member('static-v9');
    const res = await again.join({ groupInstanceId: 'leader-1', version: 9 });
    expect([res.errorCode, res.skipAssignment, res.leader === res.memberId, res.members.length]).toEqual([E.NONE, true, true, 1]);
  });
});

describe('OffsetCommit / OffsetFetch', () => {
  it('commits by a member; bad input gets its error code and the group stays consistent', async () => {
    const a = await stableGroup('committer');
    expect(await a.commit([{ offset: 5, metadata: 'x'.repeat(4096) }, { topic: 'no-such-topic', offset: 1 }, { partition: 7, offset: 1 }])).toEqual([
      E.NONE,
      E.UNKNOWN_TOPIC_OR_PARTITION,
      E.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
    expect(await a.commit([{ offset: 6, metadata: 'x'.repeat(4097) }])).toEqual([E.OFFSET_METADATA_TOO_LARGE]);
    expect(await a.commit([{ offset: 7 }], { generationId: a.generationId + 1 })).toEqual([E.ILLEGAL_GENERATION]);
    expect(await a.commit([{ offset: 7 }], { memberId: 'stranger' })).toEqual([E.UNKNOWN_MEMBER_ID]);
    // Without member id and generation a commit is only for an empty group.
    expect(await a.commit([{ offset: 7 }], { memberId: '', generationId: -1 })).toEqual([E.UNKNOWN_MEMBER_ID]);
    expect(await a.fetch()).toEqual([[TOPIC, [[0, 5, 'x'.repeat(4096)], [1, -1, '']]]]);
    expect(await a.heartbeat()).toBe(E.NONE);
    expect((await a.describe()).groupState).toBe('Stable');
    // Another group was not touched by any of it.
    const other = await member('bystander');
    expect(await other.fetch()).toEqual([[TOPIC, [[0, -1, ''], [1, -1, '']]]]);
  });

  it('a commit with a generation for a group that does not exist: ILLEGAL_GENERATION, GROUP_ID_NOT_FOUND at v9', async () => {
    const m = await member('ghost');
    expect(await m.commit([{ offset: 1 }], { generationId: 3, memberId: 'x', version: 8 })).toEqual([E.ILLEGAL_GENERATION]);
    expect(await m.commit([{ offset: 1 }], { generationId: 3, memberId: 'x', version: 9 })).toEqual([E.GROUP_ID_NOT_FOUND]);
    const listed = await m.client.request(16, 4, M.encodeListGroupsRequest, M.decodeListGroupsResponse, { statesFilter: [], typesFilter: [] });
    expect(listed.groups.map((g) => g.groupId)).not.toContain('ghost');
  });

  it('simple commits (no group management), the null topic list, and the empty group id as Kafka allows', async () => {
    const m = await member('simple');
    expect(await m.commit([{ offset: 11 }, { partition: 1, offset: 12, metadata: 'm' }], { generationId: -1, memberId: '' })).toEqual([E.NONE, E.NONE]);
    expect(await m.fetch(null)).toEqual([[TOPIC, [[0, 11, ''], [1, 12, 'm']]]]);
    expect((await m.describe()).groupState).toBe('Empty');
    const blank = await member('');
    expect(await blank.commit([{ offset: 3 }], { generationId: -1, memberId: '' })).toEqual([E.NONE]);
    expect(await blank.fetch(null)).toEqual([[TOPIC, [[0, 3, '']]]]);
  });

  it('OffsetDelete: NON_EMPTY_GROUP unless the topic is not subscribed, GROUP_SUBSCRIBED_TO_TOPIC otherwise', async () => {
    await cluster.createTopic('other-topic', { partitions: 1 });
    // Subscription metadata in the consumer protocol: version 0, topics [offsets], no user data.
    const subscription = Buffer.from([0, 0, 0, 0, 0, 1, 0, TOPIC.length, ...Buffer.from(TOPIC), 0xff, 0xff, 0xff, 0xff]);
    const a = await stableGroup('offset-delete', { protocols: [{ name: 'range', metadata: subscription }] });
    expect(await a.commit([{ offset: 1 }, { topic: 'other-topic', offset: 2 }])).toEqual([E.NONE, E.NONE]);
    const del = await a.client.request(47, 0, M.encodeOffsetDeleteRequest, M.decodeOffsetDeleteResponse, {
      groupId: 'offset-delete',
      topics: [
        { name: TOPIC, partitions: [{ partitionIndex: 0 }] },
        { name: 'other-topic', partitions: [{ partitionIndex: 0 }] },
      ],
    });
    expect([del.errorCode, del.topics.map((t) => [t.name, t.partitions.map((p) => p.errorCode)])]).toEqual([
      E.NONE,
      [
        [TOPIC, [E.GROUP_SUBSCRIBED_TO_TOPIC]],
        ['other-topic', [E.NONE]],
      ],
    ]);
    expect(await a.fetch(null)).toEqual([[TOPIC, [[0, 1, '']]]]);
    const missing = await a.client.request(47, 0, M.encodeOffsetDeleteRequest, M.decodeOffsetDeleteResponse, { groupId: 'missing', topics: [] });
    expect(missing.errorCode).toBe(E.GROUP_ID_NOT_FOUND);
    const connect = await stableGroup('offset-delete-connect', { protocolType: 'connect' });
    const busy = await connect.client.request(47, 0, M.encodeOffsetDeleteRequest, M.decodeOffsetDeleteResponse, { groupId: 'offset-delete-connect', topics: [] });
    expect(busy.errorCode).toBe(E.NON_EMPTY_GROUP);
  });

  it('DeleteGroups: NON_EMPTY_GROUP with members, GROUP_ID_NOT_FOUND when unknown; the offsets go with the group', async () => {
    const a = await stableGroup('doomed');
    expect(await a.commit([{ offset: 9 }])).toEqual([E.NONE]);
    const del = (ids: string[]) => a.client.request(42, 1, M.encodeDeleteGroupsRequest, M.decodeDeleteGroupsResponse, { groupsNames: ids });
    expect((await del(['doomed', 'never-was'])).results.map((r) => r.errorCode)).toEqual([E.NON_EMPTY_GROUP, E.GROUP_ID_NOT_FOUND]);
    expect(await a.heartbeat()).toBe(E.NONE);
    await a.leave([{ memberId: a.memberId }]);
    expect((await del(['doomed', 'doomed'])).results.map((r) => [r.groupId, r.errorCode])).toEqual([['doomed', E.NONE]]);
    expect(await a.fetch()).toEqual([[TOPIC, [[0, -1, ''], [1, -1, '']]]]);
    expect((await a.describe()).groupState).toBe('Dead');
  });

  it('deleting a topic removes its committed offsets from every group', async () => {
    await cluster.createTopic('short-lived', { partitions: 1 });
    const g1 = await member('topic-deleted-1');
    const g2 = await member('topic-deleted-2');
    expect(await g1.commit([{ topic: 'short-lived', offset: 4 }, { offset: 4 }], { generationId: -1 })).toEqual([E.NONE, E.NONE]);
    expect(await g2.commit([{ topic: 'short-lived', offset: 5 }], { generationId: -1 })).toEqual([E.NONE]);
    await cluster.brokers[0]!.deleteTopics(['short-lived']);
    expect(await g1.fetch(null)).toEqual([[TOPIC, [[0, 4, '']]]]);
    expect(await g2.fetch(null)).toEqual([]);
  });

  it('expired offsets of empty groups go, and so do the groups (offsets.retention.minutes)', async () => {
    // The simulated broker keeps offsets 1 minute and looks for expired ones every second.
    const m = await member('expiring', sim);
    expect(await m.commit([{ offset: 1 }], { generationId: -1 })).toEqual([E.NONE]);
    const keep = await simStableGroup('not-expiring', { sessionTimeoutMs: 120_000 });
    expect(await keep.commit([{ offset: 1 }])).toEqual([E.NONE]);
    const coordinator = sim.broker.groupCoordinator;
    await time.advance(59_000);
    expect(coordinator.groupState('expiring')).toBe('Empty');
    expect(await m.fetch(null)).toEqual([[TOPIC, [[0, 1, '']]]]);
    // Expired at 60 s; the next cleanup (within a second) removes the offsets and the group.
    await time.advance(2_000);
    expect(coordinator.groupState('expiring')).toBeUndefined();
    expect(await m.fetch(null)).toEqual([]);
    // A group with members keeps its offsets.
    expect(await keep.fetch([{ name: TOPIC, partitionIndexes: [0] }])).toEqual([[TOPIC, [[0, 1, '']]]]);
  });
});

describe('acks=all writes', () => {
  it('a commit the followers do not replicate is answered REQUEST_TIMED_OUT after offsets.commit.timeout.ms of the coordinator clock; it becomes visible once replicated', async () => {
    const trioTime = new MockTime(Date.now());
    const trio = await startSimulatedGroupBroker(trioTime, { 'offsets.topic.num.partitions': 3, 'offsets.commit.timeout.ms': 5000 }, 3);
    const probe = await RawClient.connect(trio.bootstrapServers[0]!);
    try {
      await trio.createTopic(TOPIC, 2);
      const groupId = 'stalled';
      const leaderId = await waitForCoordinator(probe, groupId);
      const atLeader = { bootstrapServers: [trio.bootstrapServers[leaderId - 1]!] };
      const m = await member(groupId, atLeader);
      const coordinator = trio.brokers[leaderId - 1]!.groupCoordinator;
      for (const b of [1, 2, 3]) if (b !== leaderId) trio.isolate(b);
      const committing = m.commit([{ offset: 9 }], { generationId: -1, memberId: '' });
      await until(() => coordinator.classicGroup(groupId)?.pendingOffsetCommits === 1, 'the commit waits for the followers');
      await trioTime.advance(4999);
      // A round trip on another connection: not visible yet, and the commit is still unanswered.
      const other = await member(groupId, atLeader);
      expect(await other.fetch()).toEqual([[TOPIC, [[0, -1, ''], [1, -1, '']]]]);
      expect(await settled(committing)).toBe(false);
      await trioTime.advance(1);
      await other.fetch(); // a round trip: the answer is out by then
      expect(await settled(committing)).toBe(true);
      expect(await committing).toEqual([E.REQUEST_TIMED_OUT]);
      // The record is in the log: once the followers have it, the commit is applied (as a new leader would load it).
      trio.heal();
      await until(() => coordinator.classicGroup(groupId)?.pendingOffsetCommits === 0, 'the commit is replicated');
      expect(await other.fetch()).toEqual([[TOPIC, [[0, 9, ''], [1, -1, '']]]]);
    } finally {
      probe.close();
      trio.heal();
      await trio.close();
    }
  });
});

describe('durability', () => {
  it('offsets, group metadata and deletions survive a restart; members of a stable group carry on', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minikafka-groups-'));
    let c: Cluster | null = await startCluster({ dataDir: dir, config: { 'group.initial.rebalance.delay.ms': 0 } });
    try {
      await c.createTopic(TOPIC, { partitions: 2 });
      const port = c.brokers[0]!.port;
      const a = await member('durable', c);
      await a.joined({ groupInstanceId: 'durable-1' });
      await a.sync([{ memberId: a.memberId, assignment: Buffer.from('kept') }], { groupInstanceId: 'durable-1' });
      expect(await a.commit([{ offset: 42, metadata: 'meta' }, { partition: 1, offset: 43 }])).toEqual([E.NONE, E.NONE]);
      const gone = await member('deleted-before-restart', c);
      expect(await gone.commit([{ offset: 1 }], { generationId: -1 })).toEqual([E.NONE]);
      const del = await gone.client.request(42, 1, M.encodeDeleteGroupsRequest, M.decodeDeleteGroupsResponse, { groupsNames: ['deleted-before-restart'] });
      expect(del.results[0]!.errorCode).toBe(E.NONE);
      await c.close();
      c = await startCluster({ dataDir: dir, port, config: { 'group.initial.rebalance.delay.ms': 0 } });

      const b = await member('durable', c);
      b.memberId = a.memberId;
      b.generationId = a.generationId;
      expect(await b.fetch()).toEqual([[TOPIC, [[0, 42, 'meta'], [1, 43, '']]]]);
      const d = await b.describe();
      expect([d.groupState, d.protocolData, d.members.map((m) => [m.memberId, m.groupInstanceId, m.memberAssignment.toString()])]).toEqual([
        'Stable',
        'range',
        [[a.memberId, 'durable-1', 'kept']],
      ]);
      expect(await b.heartbeat({ groupInstanceId: 'durable-1' })).toBe(E.NONE);
      expect(await b.commit([{ offset: 44 }])).toEqual([E.NONE]);
      const g = await member('deleted-before-restart', c);
      expect(await g.fetch(null)).toEqual([]);
      expect((await g.describe()).groupState).toBe('Dead');
    } finally {
      await c?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
