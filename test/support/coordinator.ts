// Group coordinator test support. FindCoordinator over a raw connection, and waiting until it
// names a coordinator: the first request creates __consumer_offsets, and until its partition
// has a leader the answer is COORDINATOR_NOT_AVAILABLE (clients retry; raw tests call this
// first). And brokers whose group coordinators run on a MockTime, so that tests of sessions,
// rebalance delays, commit timeouts and offset expiration advance a simulated clock instead of
// sleeping (everything else in the brokers keeps the system clock).
import { Controller } from '../../src/replication/Controller.js';
import * as M from '../../src/protocol/messages/index.js';
import { Broker } from '../../src/server/Broker.js';
import type { Properties } from '../../src/common/KafkaConfig.js';
import type { MockTime } from '../../src/util/Time.js';
import type { RawClient } from './RawClient.js';

export async function findCoordinator(client: RawClient, key: string, version = 3) {
  return client.request(10, version, M.encodeFindCoordinatorRequest, M.decodeFindCoordinatorResponse, { ...M.defaultFindCoordinatorRequest(), key, keyType: 0, coordinatorKeys: [key] });
}

/** The coordinator's node id once FindCoordinator names one. */
export async function waitForCoordinator(client: RawClient, key: string, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await findCoordinator(client, key);
    if (res.errorCode === 0) return res.nodeId;
    if (Date.now() > deadline) throw new Error(`no coordinator for ${key} after ${timeoutMs} ms (error ${res.errorCode})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Resolves once cond() holds, checking after every turn of the event loop: for a request sent
 * over TCP to have been handled before a test advances simulated time. It waits for I/O, not
 * for time to pass (the deadline only turns a hang into a failure).
 */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let turns = 0; !(await cond()); turns++) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    // A request round trip takes a few turns; a longer wait (replication) need not spin.
    await new Promise((r) => (turns < 200 ? setImmediate(r) : setTimeout(r, 5)));
  }
}

/** Resolves with probe()'s first value other than undefined, null or false, asking every 50 ms. */
export async function untilValue<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether a promise has settled (without waiting for it). */
export async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 20; i++) await Promise.resolve();
  return done;
}

export interface SimulatedGroupBroker {
  readonly bootstrapServers: string[];
  /** Broker 1. */
  readonly broker: Broker;
  /** Brokers 1..N. */
  readonly brokers: Broker[];
  readonly time: MockTime;
  createTopic(name: string, partitions: number): Promise<void>;
  /** Cut a broker's replication and controller traffic (clients still reach it); heal() restores it. */
  isolate(id: number): void;
  heal(): void;
  close(): Promise<void>;
}

/** A controller and N in-memory brokers (ids 1..N) whose group coordinators run on `time`. */
export async function startSimulatedGroupBroker(time: MockTime, config: Properties = {}, count = 1): Promise<SimulatedGroupBroker> {
  const base: Properties = { 'default.replication.factor': Math.min(3, count), ...config };
  const controller = new Controller({ host: '127.0.0.1', dataDir: null, config: base });
  await controller.start();
  const isolated = new Set<number>();
  const brokers: Broker[] = [];
  try {
    for (let id = 1; id <= count; id++) {
      brokers.push(
        new Broker({
          host: '127.0.0.1',
          port: 0,
          inMemory: true,
          config: { ...base, 'node.id': id },
          controller: `127.0.0.1:${controller.port}`,
          canReach: (to) => !isolated.has(id) && !isolated.has(to),
          groupCoordinatorTime: time,
        }),
      );
    }
    await Promise.all(brokers.map((b) => b.start()));
  } catch (err) {
    await Promise.all(brokers.map((b) => b.stop()));
    await controller.stop();
    throw err;
  }
  const served = (name: string) => {
    const t = controller.image.topics.get(name);
    return t !== undefined && t.partitions.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length) && brokers.every((b) => b.image.offset >= controller.logEndOffset);
  };
  return {
    bootstrapServers: brokers.map((b) => `127.0.0.1:${b.port}`),
    broker: brokers[0]!,
    brokers,
    time,
    async createTopic(name, partitions) {
      controller.createTopic(name, partitions, -1, [], {}, false);
      await until(() => served(name), `topic ${name} is served`);
    },
    isolate: (id) => void isolated.add(id),
    heal: () => isolated.clear(),
    async close() {
      await Promise.all(brokers.map((b) => b.stop()));
      await controller.stop();
    },
  };
}
