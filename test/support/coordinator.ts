// Group coordinator test support. FindCoordinator over a raw connection, and waiting until it
// names a coordinator: the first request creates __consumer_offsets, and until its partition
// has a leader the answer is COORDINATOR_NOT_AVAILABLE (clients retry; raw tests call this
// first). And a single broker whose group coordinator runs on a MockTime, so that tests of
// sessions, rebalance delays and offset expiration advance a simulated clock instead of
// sleeping (everything else in the broker keeps the system clock).
import { Controller } from '../../src/replication/Controller.js';
import * as M from '../../src/protocol/messages/index.js';
import { Broker } from '../../src/server/Broker.js';
import type { Properties } from '../../src/server/KafkaConfig.js';
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
export async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setImmediate(r));
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
  readonly broker: Broker;
  readonly time: MockTime;
  createTopic(name: string, partitions: number): Promise<void>;
  close(): Promise<void>;
}

/** A controller and one in-memory broker whose group coordinator runs on `time`. */
export async function startSimulatedGroupBroker(time: MockTime, config: Properties = {}): Promise<SimulatedGroupBroker> {
  const base: Properties = { 'default.replication.factor': 1, ...config };
  const controller = new Controller({ host: '127.0.0.1', dataDir: null, config: base });
  await controller.start();
  const broker = new Broker({
    host: '127.0.0.1',
    port: 0,
    inMemory: true,
    config: { ...base, 'node.id': 1 },
    controller: `127.0.0.1:${controller.port}`,
    groupCoordinatorTime: time,
  });
  try {
    await broker.start();
  } catch (err) {
    await controller.stop();
    throw err;
  }
  return {
    bootstrapServers: [`127.0.0.1:${broker.port}`],
    broker,
    time,
    async createTopic(name, partitions) {
      controller.createTopic(name, partitions, -1, [], {}, false);
      await until(() => broker.image.offset >= controller.logEndOffset && (broker.image.topics.get(name)?.partitions.every((p) => p.leader === 1) ?? false), `topic ${name} is served`);
    },
    async close() {
      await broker.stop();
      await controller.stop();
    },
  };
}
