// The controller's rules in simulated time: registration and unfencing, session expiry,
// elections inside the ISR (unclean only when enabled), AlterPartition validation as Kafka 3.9's
// ReplicationControlManager does it, controlled shutdown, and a session check that survives a
// crash. The controller is built in-process and driven through its methods.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, KafkaError } from '../src/protocol/errors.js';
import { Controller, SESSION_CHECK_INTERVAL_MS, UNCLEAN_ELECTION_INTERVAL_MS } from '../src/replication/Controller.js';
import type { PartitionState } from '../src/replication/MetadataImage.js';
import * as M from '../src/protocol/messages/index.js';
import { armCrashPoint, disarmCrashPoints } from '../src/util/CrashBoundary.js';
import { MockTime } from '../src/util/Time.js';
import { RawClient } from './support/RawClient.js';

const SESSION_MS = 9000;
const HEARTBEAT_MS = 2000;

interface Setup {
  c: Controller;
  time: MockTime;
  epochs: Map<number, number>;
}

const started: Controller[] = [];

afterEach(async () => {
  disarmCrashPoints();
  vi.restoreAllMocks();
  for (const c of started.splice(0)) await c.stop();
});

/** A controller with `brokers` registered and unfenced brokers (ids 1..n). */
async function setup(brokers: number, config: Record<string, string | number> = {}, start = false): Promise<Setup> {
  const time = new MockTime();
  const c = new Controller({ dataDir: null, config, time });
  if (start) {
    await c.start();
    started.push(c);
  }
  const epochs = new Map<number, number>();
  for (let id = 1; id <= brokers; id++) epochs.set(id, register(c, id));
  return { c, time, epochs };
}

function register(c: Controller, id: number): number {
  const epoch = c.registerBroker(id, '127.0.0.1', 9000 + id, null);
  const hb = c.heartbeat(id, epoch, c.logEndOffset, false);
  expect(hb).toMatchObject({ errorCode: ErrorCode.NONE, fenced: false, caughtUp: true });
  return epoch;
}

/** Heartbeat now from each of `alive`. */
function heartbeats(s: Setup, alive: number[]): void {
  for (const id of alive) expect(s.c.heartbeat(id, s.epochs.get(id)!, s.c.logEndOffset, false).errorCode).toBe(ErrorCode.NONE);
}

/** Advance simulated time by ms, with `alive` heartbeating every broker.heartbeat.interval.ms. */
async function advance(s: Setup, ms: number, alive: number[]): Promise<void> {
  let left = ms;
  while (left > 0) {
    const step = Math.min(HEARTBEAT_MS, left);
    await s.time.advance(step);
    left -= step;
    heartbeats(s, alive);
  }
}

function topic(s: Setup, name: string, replicas: number[][], configs: Record<string, string> = {}): void {
  s.c.createTopic(name, -1, -1, replicas, configs, false);
}

function state(s: Setup, name: string, partition = 0): PartitionState {
  return s.c.image.topics.get(name)!.partitions[partition]!;
}

function alterPartition(s: Setup, brokerId: number, name: string, isr: number[], over: Partial<{ leaderEpoch: number; partitionEpoch: number; brokerEpoch: number }> = {}) {
  const p = state(s, name);
  return s.c.alterPartition({
    brokerId,
    brokerEpoch: over.brokerEpoch ?? s.epochs.get(brokerId) ?? -1,
    topic: name,
    partition: 0,
    leaderEpoch: over.leaderEpoch ?? p.leaderEpoch,
    partitionEpoch: over.partitionEpoch ?? p.partitionEpoch,
    newIsr: isr,
  });
}

function codeOf(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    if (err instanceof KafkaError) return err.code;
    throw err;
  }
  return ErrorCode.NONE;
}

describe('registration and heartbeats', () => {
  it('a registered broker stays fenced until it has applied its own registration record, then is unfenced', async () => {
    const { c } = await setup(0);
    const epoch = c.registerBroker(1, '127.0.0.1', 9001, null);
    expect(c.image.brokers.get(1)).toMatchObject({ fenced: true, epoch });
    // The broker reports the next offset it will apply: at `epoch` it has not seen its registration yet.
    expect(c.heartbeat(1, epoch, epoch, false)).toMatchObject({ errorCode: ErrorCode.NONE, fenced: true, caughtUp: false });
    expect(c.image.isLive(1)).toBe(false);
    expect(c.heartbeat(1, epoch, epoch + 1, false)).toMatchObject({ errorCode: ErrorCode.NONE, fenced: false, caughtUp: true });
    expect(c.image.isLive(1)).toBe(true);
    expect(c.heartbeat(1, epoch + 1, c.logEndOffset, false).errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);
    expect(c.heartbeat(2, epoch, c.logEndOffset, false).errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);
  });
});

describe('registering again', () => {
  it('a broker that registers again while still in ISRs (a crash and restart within its session) leaves them: its leaderships move first', async () => {
    const s = await setup(3);
    topic(s, 'a', [[1, 2, 3]]);
    topic(s, 'solo', [[1]]);
    const epoch = s.c.registerBroker(1, '127.0.0.1', 9001, null); // the restarted process, before its old session expired
    expect(epoch).toBeGreaterThan(s.epochs.get(1)!);
    expect(s.c.image.brokers.get(1)).toMatchObject({ fenced: true, epoch });
    expect(state(s, 'a')).toEqual({ replicas: [1, 2, 3], isr: [2, 3], leader: 2, leaderEpoch: 1, partitionEpoch: 1 });
    // Its only replica keeps the data: offline until it is back, then it leads again under a new epoch.
    expect(state(s, 'solo')).toEqual({ replicas: [1], isr: [1], leader: -1, leaderEpoch: 1, partitionEpoch: 1 });
    expect(s.c.heartbeat(1, epoch, s.c.logEndOffset, false).fenced).toBe(false);
    expect(state(s, 'solo')).toEqual({ replicas: [1], isr: [1], leader: 1, leaderEpoch: 2, partitionEpoch: 2 });
    expect(state(s, 'a')).toMatchObject({ isr: [2, 3], leader: 2 });
  });
});

describe('metadata fetch', () => {
  it('a fetch at the end waits in simulated time until max wait, or until a change is committed', async () => {
    const s = await setup(1);
    const end = s.c.logEndOffset;
    let answered = false;
    const idle = s.c.readMetadata(end, 1 << 20, 500).then((r) => ((answered = true), r));
    await s.time.advance(499);
    expect(answered).toBe(false);
    await s.time.advance(1);
    expect(await idle).toMatchObject({ records: null, highWatermark: end, errorCode: ErrorCode.NONE });
    const waiting = s.c.readMetadata(end, 1 << 20, 500);
    topic(s, 'orders', [[1]]);
    const r = await waiting;
    expect(r.records).not.toBeNull();
    expect(r.highWatermark).toBe(s.c.logEndOffset);
    expect((await s.c.readMetadata(s.c.logEndOffset + 1, 1 << 20, 0)).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });
});

describe('session expiry', () => {
  it('fences a broker silent for broker.session.timeout.ms; its leadership moves to the first ISR member in replica order with both epochs bumped', async () => {
    const s = await setup(3, {}, true);
    topic(s, 'orders', [[1, 2, 3]]);
    // The leader reorders its ISR: the next leader is still chosen in replica order (2), as Kafka does.
    alterPartition(s, 1, 'orders', [1, 3, 2]);
    const before = state(s, 'orders');
    expect(before).toMatchObject({ leader: 1, isr: [1, 3, 2] });

    await advance(s, SESSION_MS, [2, 3]);
    expect(s.c.image.isLive(1)).toBe(true); // not yet: silent for exactly the timeout
    await advance(s, 2 * SESSION_CHECK_INTERVAL_MS, [2, 3]);
    expect(s.c.image.isLive(1)).toBe(false);
    expect(state(s, 'orders')).toEqual({
      replicas: [1, 2, 3],
      isr: [3, 2],
      leader: 2,
      leaderEpoch: before.leaderEpoch + 1,
      partitionEpoch: before.partitionEpoch + 1,
    });
    expect(s.c.image.isLive(2) && s.c.image.isLive(3)).toBe(true);
  });

  it('an event loop stall longer than the session timeout fences nobody (nobody could heartbeat); silence after it still does', async () => {
    const s = await setup(3, {}, true);
    topic(s, 'orders', [[1, 2, 3]]);
    await advance(s, HEARTBEAT_MS, [1, 2, 3]);
    s.time.stall(2 * SESSION_MS); // the process was blocked: no timer ran, no heartbeat was read
    await s.time.advance(0); // the late session check
    expect([1, 2, 3].map((id) => s.c.image.isLive(id))).toEqual([true, true, true]);
    await advance(s, SESSION_MS + 2 * SESSION_CHECK_INTERVAL_MS, [2, 3]);
    expect([1, 2, 3].map((id) => s.c.image.isLive(id))).toEqual([false, true, true]);
  });

  it('fencing a follower only shrinks the ISR: same leader, same leader epoch, partition epoch + 1', async () => {
    const s = await setup(3, {}, true);
    topic(s, 'orders', [[1, 2, 3]]);
    await advance(s, SESSION_MS + 2 * SESSION_CHECK_INTERVAL_MS, [1, 2]);
    expect(state(s, 'orders')).toEqual({ replicas: [1, 2, 3], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 1 });
  });

  it('fencing the last ISR member keeps it as the sole ISR member with no leader; its unfencing elects it again', async () => {
    const s = await setup(2, {}, true);
    topic(s, 'orders', [[1, 2]]);
    await advance(s, SESSION_MS + 2 * SESSION_CHECK_INTERVAL_MS, [1]); // 2 leaves the ISR
    expect(state(s, 'orders')).toMatchObject({ isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 1 });
    heartbeats(s, [2]); // 2 is back (unfenced) but not in the ISR
    expect(s.c.image.isLive(2)).toBe(true);
    await advance(s, SESSION_MS + 2 * SESSION_CHECK_INTERVAL_MS, [2]); // 1 expires
    expect(s.c.image.isLive(1)).toBe(false);
    expect(state(s, 'orders')).toEqual({ replicas: [1, 2], isr: [1], leader: -1, leaderEpoch: 1, partitionEpoch: 2 });
    heartbeats(s, [1]);
    expect(s.c.image.isLive(1)).toBe(true);
    expect(state(s, 'orders')).toEqual({ replicas: [1, 2], isr: [1], leader: 1, leaderEpoch: 2, partitionEpoch: 3 });
  });

  it('a crash in one session check is logged at ERROR and the next check still fences', async () => {
    const s = await setup(2, {}, true);
    topic(s, 'orders', [[1, 2]]);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await advance(s, SESSION_MS, [2]);
    armCrashPoint('controller.sessions', 3);
    await advance(s, 3 * SESSION_CHECK_INTERVAL_MS, [2]);
    const errors = stderr.mock.calls.map((call) => String(call[0])).filter((line) => line.includes('ERROR') && line.includes('controller.sessions'));
    expect(errors).toHaveLength(3);
    expect(errors[0]).toContain('injected crash at controller.sessions');
    expect(s.c.image.isLive(1)).toBe(true); // every check so far crashed
    await advance(s, SESSION_CHECK_INTERVAL_MS, [2]);
    expect(s.c.image.isLive(1)).toBe(false);
    expect(state(s, 'orders')).toMatchObject({ leader: 2, isr: [2], leaderEpoch: 1 });
  });
});

describe('unclean leader election', () => {
  it('with unclean.leader.election.enable=true a live replica outside the ISR leads, alone in the ISR', async () => {
    const s = await setup(2, {}, true);
    topic(s, 'orders', [[1, 2]], { 'unclean.leader.election.enable': 'true' });
    await advance(s, SESSION_MS + 2 * SESSION_CHECK_INTERVAL_MS, [1]);
    heartbeats(s, [2]);
    expect(state(s, 'orders')).toMatchObject({ isr: [1], leader: 1 });
    await advance(s, SESSION_MS + 2 * SESSION_CHECK_INTERVAL_MS, [2]);
    expect(state(s, 'orders')).toEqual({ replicas: [1, 2], isr: [2], leader: 2, leaderEpoch: 1, partitionEpoch: 2 });
  });

  it('an offline partition with unclean election enabled is led by the first out-of-ISR replica to be unfenced', async () => {
    const s = await setup(2, {}, true);
    topic(s, 'orders', [[1, 2]], { 'unclean.leader.election.enable': 'true' });
    await advance(s, SESSION_MS + 2 * SESSION_CHECK_INTERVAL_MS, [1]); // ISR [1]
    await advance(s, SESSION_MS + 2 * SESSION_CHECK_INTERVAL_MS, []); // 1 fenced too: offline
    expect(state(s, 'orders')).toMatchObject({ isr: [1], leader: -1 });
    heartbeats(s, [2]);
    expect(state(s, 'orders')).toEqual({ replicas: [1, 2], isr: [2], leader: 2, leaderEpoch: 2, partitionEpoch: 3 });
  });

  it('enabled on an offline partition later (AlterConfigs), it elects at the next periodic unclean election check', async () => {
    const s = await setup(2, {}, true);
    topic(s, 'orders', [[1, 2]]);
    await advance(s, SESSION_MS + 2 * SESSION_CHECK_INTERVAL_MS, [1]);
    heartbeats(s, [2]);
    await advance(s, SESSION_MS + 2 * SESSION_CHECK_INTERVAL_MS, [2]);
    expect(state(s, 'orders')).toMatchObject({ isr: [1], leader: -1 });
    s.c.setTopicConfigs('orders', { 'unclean.leader.election.enable': 'true' });
    expect(state(s, 'orders').leader).toBe(-1);
    await advance(s, UNCLEAN_ELECTION_INTERVAL_MS - 2 * (SESSION_MS + 2 * SESSION_CHECK_INTERVAL_MS), [2]);
    expect(state(s, 'orders')).toEqual({ replicas: [1, 2], isr: [2], leader: 2, leaderEpoch: 2, partitionEpoch: 3 });
  });

  it('without it (the default) the partition stays offline while only out-of-ISR replicas live', async () => {
    const s = await setup(2, {}, true);
    topic(s, 'orders', [[1, 2]]);
    await advance(s, SESSION_MS + 2 * SESSION_CHECK_INTERVAL_MS, [1]);
    await advance(s, SESSION_MS + 2 * SESSION_CHECK_INTERVAL_MS, []);
    heartbeats(s, [2]);
    expect(s.c.image.isLive(2)).toBe(true);
    expect(state(s, 'orders')).toMatchObject({ isr: [1], leader: -1 });
  });
});

describe('AlterPartition', () => {
  async function threeReplicas(): Promise<Setup> {
    const s = await setup(3);
    topic(s, 'orders', [[1, 2, 3]]);
    alterPartition(s, 1, 'orders', [1, 2]); // partition epoch 1
    return s;
  }

  it('accepts a valid ISR from the leader: partition epoch + 1, leader epoch unchanged', async () => {
    const s = await threeReplicas();
    const next = alterPartition(s, 1, 'orders', [1, 2, 3]);
    expect(next).toEqual({ replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 0, partitionEpoch: 2 });
    expect(state(s, 'orders')).toEqual(next);
  });

  it('the same ISR again writes nothing and answers the current state', async () => {
    const s = await threeReplicas();
    const end = s.c.logEndOffset;
    expect(alterPartition(s, 1, 'orders', [1, 2])).toMatchObject({ isr: [1, 2], partitionEpoch: 1 });
    expect(s.c.logEndOffset).toBe(end);
  });

  it('FENCED_LEADER_EPOCH for an older leader epoch; NOT_CONTROLLER for a newer one', async () => {
    const s = await threeReplicas();
    expect(codeOf(() => alterPartition(s, 1, 'orders', [1], { leaderEpoch: -1 }))).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect(codeOf(() => alterPartition(s, 1, 'orders', [1], { leaderEpoch: 1 }))).toBe(ErrorCode.NOT_CONTROLLER);
    expect(codeOf(() => alterPartition(s, 1, 'orders', [1], { partitionEpoch: 2 }))).toBe(ErrorCode.NOT_CONTROLLER);
  });

  it('INVALID_REQUEST from a broker that is not the leader (at the current leader epoch)', async () => {
    const s = await threeReplicas();
    expect(codeOf(() => alterPartition(s, 2, 'orders', [2]))).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('INVALID_UPDATE_VERSION for a stale partition epoch', async () => {
    const s = await threeReplicas();
    expect(codeOf(() => alterPartition(s, 1, 'orders', [1], { partitionEpoch: 0 }))).toBe(ErrorCode.INVALID_UPDATE_VERSION);
  });

  it('INVALID_REQUEST for an ISR that is not a subset of the replicas, repeats a replica, or leaves out the leader', async () => {
    const s = await setup(4);
    topic(s, 'orders', [[1, 2, 3]]);
    expect(codeOf(() => alterPartition(s, 1, 'orders', [1, 4]))).toBe(ErrorCode.INVALID_REQUEST);
    expect(codeOf(() => alterPartition(s, 1, 'orders', [1, 2, 2]))).toBe(ErrorCode.INVALID_REQUEST);
    expect(codeOf(() => alterPartition(s, 1, 'orders', [2, 3]))).toBe(ErrorCode.INVALID_REQUEST);
    expect(state(s, 'orders').partitionEpoch).toBe(0);
  });

  it('INELIGIBLE_REPLICA for a fenced replica in the new ISR', async () => {
    const s = await setup(3, {}, true);
    topic(s, 'orders', [[1, 2, 3]]);
    await advance(s, SESSION_MS + 2 * SESSION_CHECK_INTERVAL_MS, [1, 2]); // 3 fenced, ISR [1,2]
    expect(codeOf(() => alterPartition(s, 1, 'orders', [1, 2, 3]))).toBe(ErrorCode.INELIGIBLE_REPLICA);
    expect(state(s, 'orders').isr).toEqual([1, 2]);
  });

  it('STALE_BROKER_EPOCH from a leader whose registration is not the current one; UNKNOWN_TOPIC_OR_PARTITION for an unknown partition', async () => {
    const s = await threeReplicas();
    expect(codeOf(() => alterPartition(s, 1, 'orders', [1], { brokerEpoch: s.epochs.get(1)! - 1 }))).toBe(ErrorCode.STALE_BROKER_EPOCH);
    expect(codeOf(() => s.c.alterPartition({ brokerId: 1, brokerEpoch: s.epochs.get(1)!, topic: 'orders', partition: 7, leaderEpoch: 0, partitionEpoch: 0, newIsr: [1] }))).toBe(
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    );
  });
});

describe('AlterPartition on the wire', () => {
  it('answers ineligible replicas per version, topics by id from v2, and a stale requester epoch for the whole request', async () => {
    const s = await setup(3, {}, true);
    topic(s, 'orders', [[1, 2, 3]]);
    await advance(s, SESSION_MS + 2 * SESSION_CHECK_INTERVAL_MS, [1, 2]); // 3 fenced
    const client = await RawClient.connect(`127.0.0.1:${s.c.port}`);
    try {
      const p = state(s, 'orders');
      const topicId = Buffer.from(s.c.image.topics.get('orders')!.topicId, 'hex');
      const send = (version: number, brokerEpoch: number, isr: number[]) =>
        client.request(M.AlterPartitionApi.key, version, M.encodeAlterPartitionRequest, M.decodeAlterPartitionResponse, {
          brokerId: 1,
          brokerEpoch,
          topics: [
            {
              topicName: 'orders',
              topicId,
              partitions: [{ ...M.defaultAlterPartitionRequestPartitionData(), leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, newIsr: isr, newIsrWithEpochs: isr.map((b) => ({ brokerId: b, brokerEpoch: -1 })) }],
            },
          ],
        });
      const epoch = s.epochs.get(1)!;
      expect((await send(1, epoch, [1, 2, 3])).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.OPERATION_NOT_ATTEMPTED);
      expect((await send(2, epoch, [1, 2, 3])).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INELIGIBLE_REPLICA);
      expect((await send(3, epoch, [1, 2, 3])).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INELIGIBLE_REPLICA);
      expect(await send(1, epoch - 1, [1])).toMatchObject({ errorCode: ErrorCode.STALE_BROKER_EPOCH, topics: [] });
      const ok = (await send(2, epoch, [1])).topics[0]!;
      expect(ok.topicId.equals(topicId)).toBe(true);
      expect(ok.partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, leaderId: 1, isr: [1], partitionEpoch: p.partitionEpoch + 1 });
      expect(state(s, 'orders').isr).toEqual([1]);
    } finally {
      client.close();
    }
  });
});

describe('manual replica assignments', () => {
  it('are checked as Kafka does: -1 for partitions and replication factor, registered distinct brokers, one size, at least one unfenced', async () => {
    const s = await setup(3);
    s.c.registerBroker(4, '127.0.0.1', 9004, null); // registered, still fenced
    const create = (replicas: number[][], partitions = -1, rf = -1) => codeOf(() => s.c.createTopic('t', partitions, rf, replicas, {}, false));
    expect(create([[1, 2]], -1, 2)).toBe(ErrorCode.INVALID_REQUEST);
    expect(create([[1, 2]], 1, -1)).toBe(ErrorCode.INVALID_REQUEST);
    expect(create([[]])).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(create([[1, 5]])).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(create([[1, 1]])).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(create([[1, 2], [3]])).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(create([[1], [4]])).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(s.c.image.topics.has('t')).toBe(false);
    expect(create([[4, 1], [2, 3]])).toBe(ErrorCode.NONE);
    expect(state(s, 't', 0)).toEqual({ replicas: [4, 1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 });
    expect(codeOf(() => s.c.createPartitions('t', 3, [[4, 4]], false))).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    expect(codeOf(() => s.c.createPartitions('t', 3, [[4, 5]], false))).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    s.c.createPartitions('t', 3, [[3, 2]], false);
    expect(state(s, 't', 2)).toMatchObject({ replicas: [3, 2], isr: [3, 2], leader: 3 });
  });

  it('CreateTopics on the wire takes them by partition index: each once, numbered from 0', async () => {
    const s = await setup(2, {}, true);
    const client = await RawClient.connect(`127.0.0.1:${s.c.port}`);
    try {
      const create = async (name: string, assignments: { partitionIndex: number; brokerIds: number[] }[]) =>
        (
          await client.request(M.CreateTopicsApi.key, 7, M.encodeCreateTopicsRequest, M.decodeCreateTopicsResponse, {
            ...M.defaultCreateTopicsRequest(),
            topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments, configs: [] }],
          })
        ).topics[0]!.errorCode;
      expect(await create('a', [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 0, brokerIds: [2] }])).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
      expect(await create('a', [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 2, brokerIds: [2] }])).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
      expect(await create('a', [{ partitionIndex: 1, brokerIds: [2] }, { partitionIndex: 0, brokerIds: [1] }])).toBe(ErrorCode.NONE);
      expect(s.c.image.topics.get('a')!.partitions.map((p) => p.replicas)).toEqual([[1], [2]]);
    } finally {
      client.close();
    }
  });
});

describe('controlled shutdown', () => {
  it('a heartbeat with wantShutDown moves the broker\'s leaderships to other ISR members at once', async () => {
    const s = await setup(3);
    topic(s, 'a', [[1, 2, 3]]);
    topic(s, 'b', [[2, 1, 3]]);
    const res = s.c.heartbeat(1, s.epochs.get(1)!, s.c.logEndOffset, true);
    expect(res).toMatchObject({ errorCode: ErrorCode.NONE, shouldShutDown: true });
    expect(state(s, 'a')).toEqual({ replicas: [1, 2, 3], isr: [2, 3], leader: 2, leaderEpoch: 1, partitionEpoch: 1 });
    expect(state(s, 'b')).toEqual({ replicas: [2, 1, 3], isr: [2, 3], leader: 2, leaderEpoch: 0, partitionEpoch: 1 });
  });
});
