// Partition reassignment (KIP-455) and ElectLeaders in the controller, driven through its
// methods in simulated time: the target recorded as adding/removing replicas, completion when
// the leader's AlterPartition puts every target replica in the ISR (the leader moves if it was
// removed: NEW_LEADER_ELECTED to the proposer), cancelling, Kafka's validation errors, the
// state surviving a controller restart, and preferred/unclean elections with Kafka's errors.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, KafkaError } from '../src/protocol/errors.js';
import { Controller } from '../src/replication/Controller.js';
import type { PartitionState } from '../src/replication/MetadataImage.js';
import { MockTime } from '../src/util/Time.js';

const controllers: Controller[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const c of controllers.splice(0)) await c.stop();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

interface Setup {
  c: Controller;
  epochs: Map<number, number>;
}

function register(c: Controller, id: number): number {
  const epoch = c.registerBroker(id, '127.0.0.1', 9000 + id, null);
  expect(c.heartbeat(id, epoch, c.logEndOffset, false)).toMatchObject({ errorCode: ErrorCode.NONE, fenced: false });
  return epoch;
}

function setup(brokers: number, dataDir: string | null = null): Setup {
  const c = new Controller({ dataDir, time: new MockTime() });
  controllers.push(c);
  const epochs = new Map<number, number>();
  for (let id = 1; id <= brokers; id++) epochs.set(id, register(c, id));
  return { c, epochs };
}

function state(s: Setup, name = 't', partition = 0): PartitionState {
  return s.c.image.topics.get(name)!.partitions[partition]!;
}

/** The leader proposes an ISR, as its AlterPartition would. */
function proposeIsr(s: Setup, isr: number[], name = 't'): PartitionState {
  const p = state(s, name);
  return s.c.alterPartition({ brokerId: p.leader, brokerEpoch: s.epochs.get(p.leader)!, topic: name, partition: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, newIsr: isr });
}

function errorOf(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    if (err instanceof KafkaError) return err.code;
    throw err;
  }
  return ErrorCode.NONE;
}

describe('partition reassignment in the controller', () => {
  it('adds the new replicas, completes once they are in the ISR and moves the leadership off a removed leader', () => {
    const s = setup(4);
    s.c.createTopic('t', -1, -1, [[1, 2, 3]], {}, false);
    const before = state(s);
    s.c.reassignments.alter('t', 0, [2, 3, 4]);
    expect(state(s)).toMatchObject({ replicas: [2, 3, 4, 1], isr: [1, 2, 3], leader: 1, leaderEpoch: before.leaderEpoch, addingReplicas: [4], removingReplicas: [1] });
    expect(s.c.reassignments.list(null)).toEqual([{ topic: 't', partition: 0, replicas: [2, 3, 4, 1], addingReplicas: [4], removingReplicas: [1] }]);
    // Broker 4 caught up: the leader adds it; every target replica is in the ISR, so the reassignment completes.
    expect(errorOf(() => proposeIsr(s, [1, 2, 3, 4]))).toBe(ErrorCode.NEW_LEADER_ELECTED);
    const after = state(s);
    expect(after).toMatchObject({ replicas: [2, 3, 4], isr: [2, 3, 4], leader: 2, leaderEpoch: before.leaderEpoch + 1 });
    expect(after.addingReplicas).toBeUndefined();
    expect(after.removingReplicas).toBeUndefined();
    expect(s.c.reassignments.list(null)).toEqual([]);
  });

  it('keeps the leader when it stays, and bumps the leader epoch because a replica left', () => {
    const s = setup(4);
    s.c.createTopic('t', -1, -1, [[1, 2, 3]], {}, false);
    s.c.reassignments.alter('t', 0, [1, 2, 4]);
    expect(state(s)).toMatchObject({ replicas: [1, 2, 4, 3], addingReplicas: [4], removingReplicas: [3] });
    const done = proposeIsr(s, [1, 2, 3, 4]);
    expect(done).toMatchObject({ replicas: [1, 2, 4], isr: [1, 2, 4], leader: 1, leaderEpoch: 1 });
    expect(state(s)).toMatchObject({ replicas: [1, 2, 4], isr: [1, 2, 4], leader: 1, leaderEpoch: 1 });
  });

  it('waits for every added replica: an ISR with only some of them does not complete it', () => {
    const s = setup(4);
    s.c.createTopic('t', -1, -1, [[1, 2]], {}, false);
    s.c.reassignments.alter('t', 0, [3, 4]);
    expect(state(s)).toMatchObject({ replicas: [3, 4, 1, 2], addingReplicas: [3, 4], removingReplicas: [1, 2] });
    proposeIsr(s, [1, 2, 3]);
    expect(state(s)).toMatchObject({ replicas: [3, 4, 1, 2], isr: [1, 2, 3], leader: 1 });
    expect(errorOf(() => proposeIsr(s, [1, 2, 3, 4]))).toBe(ErrorCode.NEW_LEADER_ELECTED);
    expect(state(s)).toMatchObject({ replicas: [3, 4], isr: [3, 4], leader: 3 });
  });

  it('a pure removal or reordering completes at once', () => {
    const s = setup(3);
    s.c.createTopic('t', -1, -1, [[1, 2, 3]], {}, false);
    s.c.reassignments.alter('t', 0, [3, 2, 1]);
    expect(state(s)).toMatchObject({ replicas: [3, 2, 1], isr: [1, 2, 3], leader: 1, leaderEpoch: 0 });
    s.c.reassignments.alter('t', 0, [2, 1]);
    const p = state(s);
    expect(p).toMatchObject({ replicas: [2, 1], isr: [1, 2], leader: 1, leaderEpoch: 1 });
    expect(p.removingReplicas).toBeUndefined();
    expect(s.c.reassignments.list(null)).toEqual([]);
  });

  it('cancels: the added replicas leave the replica list and the ISR', () => {
    const s = setup(4);
    s.c.createTopic('t', -1, -1, [[1, 2]], {}, false);
    expect(errorOf(() => s.c.reassignments.alter('t', 0, null))).toBe(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
    s.c.reassignments.alter('t', 0, [1, 2, 3, 4]);
    expect(state(s)).toMatchObject({ replicas: [1, 2, 3, 4], addingReplicas: [3, 4] });
    proposeIsr(s, [1, 2, 3]);
    s.c.reassignments.alter('t', 0, null);
    const p = state(s);
    expect(p).toMatchObject({ replicas: [1, 2], isr: [1, 2], leader: 1 });
    expect(p.addingReplicas).toBeUndefined();
    expect(s.c.reassignments.list([{ name: 't', partitionIndexes: [0] }])).toEqual([]);
  });

  it('a new target replaces an ongoing reassignment, computed from the current replicas (the old adding ones are now removed)', () => {
    const s = setup(5);
    s.c.createTopic('t', -1, -1, [[1, 2, 3]], {}, false);
    s.c.reassignments.alter('t', 0, [1, 2, 4]);
    s.c.reassignments.alter('t', 0, [1, 2, 5]);
    expect(state(s)).toMatchObject({ replicas: [1, 2, 5, 3, 4], isr: [1, 2, 3], addingReplicas: [5], removingReplicas: [3, 4] });
    expect(errorOf(() => proposeIsr(s, [1, 2, 3, 5]))).toBe(ErrorCode.NONE);
    expect(state(s)).toMatchObject({ replicas: [1, 2, 5], isr: [1, 2, 5], leader: 1 });
  });

  it('a cancel that would need an unclean election is refused unless the topic allows one', () => {
    const s = setup(4);
    s.c.createTopic('t', -1, -1, [[1, 2]], {}, false);
    s.c.createTopic('u', -1, -1, [[1, 2]], { 'unclean.leader.election.enable': 'true' }, false);
    for (const name of ['t', 'u']) {
      s.c.reassignments.alter(name, 0, [3, 4]);
      proposeIsr(s, [1, 2, 3], name);
      // Only the added replica 3 is left in the ISR once 1 and 2 are out (controlled shutdowns).
    }
    s.c.heartbeat(1, s.epochs.get(1)!, s.c.logEndOffset, true);
    s.c.heartbeat(2, s.epochs.get(2)!, s.c.logEndOffset, true);
    expect(state(s, 't')).toMatchObject({ isr: [3], leader: 3 });
    expect(errorOf(() => s.c.reassignments.alter('t', 0, null))).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(state(s, 't')).toMatchObject({ replicas: [3, 4, 1, 2], addingReplicas: [3, 4] });
    s.c.reassignments.alter('u', 0, null);
    expect(state(s, 'u').replicas).toEqual([1, 2]);
    expect(state(s, 'u').addingReplicas).toBeUndefined();
  });

  it("refuses targets as Kafka does", () => {
    const s = setup(3);
    s.c.createTopic('t', -1, -1, [[1, 2]], {}, false);
    expect(errorOf(() => s.c.reassignments.alter('t', 0, []))).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(errorOf(() => s.c.reassignments.alter('t', 0, [1, 1]))).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(errorOf(() => s.c.reassignments.alter('t', 0, [1, 9]))).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(errorOf(() => s.c.reassignments.alter('nope', 0, [1, 2]))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(errorOf(() => s.c.reassignments.alter('t', 5, [1, 2]))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    // The current replicas again, nothing in progress: nothing to do.
    const before = s.c.logEndOffset;
    s.c.reassignments.alter('t', 0, [1, 2]);
    expect(s.c.logEndOffset).toBe(before);
  });

  it('an ongoing reassignment survives a controller restart (the metadata log) and completes after it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reassign-'));
    dirs.push(dir);
    const s = setup(4, dir);
    s.c.createTopic('t', -1, -1, [[1, 2, 3]], {}, false);
    s.c.reassignments.alter('t', 0, [2, 3, 4]);
    await s.c.stop();
    controllers.splice(controllers.indexOf(s.c), 1);
    const c2 = new Controller({ dataDir: dir, time: new MockTime() });
    controllers.push(c2);
    const s2: Setup = { c: c2, epochs: s.epochs };
    expect(state(s2)).toMatchObject({ replicas: [2, 3, 4, 1], addingReplicas: [4], removingReplicas: [1] });
    expect(c2.reassignments.list(null)).toHaveLength(1);
    expect(errorOf(() => proposeIsr(s2, [1, 2, 3, 4]))).toBe(ErrorCode.NEW_LEADER_ELECTED);
    expect(state(s2)).toMatchObject({ replicas: [2, 3, 4], isr: [2, 3, 4], leader: 2 });
  });
});

describe('ElectLeaders in the controller', () => {
  it('preferred: not needed, not available while the preferred replica is out of the ISR, then elected', () => {
    const s = setup(3);
    s.c.createTopic('t', -1, -1, [[1, 2, 3]], {}, false);
    expect(errorOf(() => s.c.reassignments.electLeader('t', 0, 'preferred'))).toBe(ErrorCode.ELECTION_NOT_NEEDED);
    // Broker 1 shuts down (controlled): broker 2 leads; back, it is not in the ISR yet.
    s.c.heartbeat(1, s.epochs.get(1)!, s.c.logEndOffset, true);
    expect(state(s)).toMatchObject({ leader: 2, isr: [2, 3] });
    s.epochs.set(1, register(s.c, 1));
    expect(errorOf(() => s.c.reassignments.electLeader('t', 0, 'preferred'))).toBe(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
    proposeIsr(s, [2, 3, 1]);
    const epoch = state(s).leaderEpoch;
    s.c.reassignments.electLeader('t', 0, 'preferred');
    expect(state(s)).toMatchObject({ leader: 1, leaderEpoch: epoch + 1, isr: [2, 3, 1] });
    expect(errorOf(() => s.c.reassignments.electLeader('t', 0, 'preferred'))).toBe(ErrorCode.ELECTION_NOT_NEEDED);
    expect(errorOf(() => s.c.reassignments.electLeader('x', 0, 'preferred'))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('unclean: not needed with a leader; elects a live replica outside the ISR of an offline partition', () => {
    const s = setup(2);
    s.c.createTopic('t', -1, -1, [[1, 2]], {}, false);
    expect(errorOf(() => s.c.reassignments.electLeader('t', 0, 'unclean'))).toBe(ErrorCode.ELECTION_NOT_NEEDED);
    s.c.heartbeat(2, s.epochs.get(2)!, s.c.logEndOffset, true);
    s.c.heartbeat(1, s.epochs.get(1)!, s.c.logEndOffset, true);
    expect(state(s)).toMatchObject({ leader: -1, isr: [1] });
    s.epochs.set(2, register(s.c, 2));
    expect(state(s).leader).toBe(-1); // unclean.leader.election.enable is false
    expect(errorOf(() => s.c.reassignments.electLeader('t', 0, 'preferred'))).toBe(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
    s.c.reassignments.electLeader('t', 0, 'unclean');
    expect(state(s)).toMatchObject({ leader: 2, isr: [2] });
  });

  it('unclean with no live replica: ELIGIBLE_LEADERS_NOT_AVAILABLE', () => {
    const s = setup(1);
    s.c.createTopic('t', -1, -1, [[1]], {}, false);
    s.c.heartbeat(1, s.epochs.get(1)!, s.c.logEndOffset, true);
    expect(errorOf(() => s.c.reassignments.electLeader('t', 0, 'unclean'))).toBe(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE);
  });
});
