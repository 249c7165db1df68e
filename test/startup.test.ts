// Start and restart without waits (issue 14): a broker that registered and caught up with the
// metadata log is unfenced by that event, not by a heartbeat tick; the brokers and the
// controller run on a MockTime that never advances, so any start that needed a timer would hang.
import { afterEach, describe, expect, it } from 'vitest';
import { Controller } from '../src/replication/Controller.js';
import { Broker } from '../src/server/Broker.js';
import { MockTime } from '../src/util/Time.js';

const stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** Rejects if p has not settled after ms of real time: a hang becomes a failure, not a timeout. */
function withinRealTime<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish without advancing simulated time`)), ms);
  });
  return Promise.race([p, hang]).finally(() => clearTimeout(timer));
}

describe('startup in simulated time', () => {
  it('a broker is unfenced once caught up, with no timer tick', async () => {
    const time = new MockTime();
    const controller = new Controller({ host: '127.0.0.1', dataDir: null, time });
    await controller.start();
    stops.push(() => controller.stop());
    const startedAt = time.now();
    const brokers = [1, 2, 3].map(
      (id) => new Broker({ host: '127.0.0.1', port: 0, inMemory: true, config: { 'node.id': id }, controller: `127.0.0.1:${controller.port}`, time }),
    );
    for (const b of brokers) stops.push(() => b.stop());
    await withinRealTime(Promise.all(brokers.map((b) => b.start())), 10_000, 'start');
    expect(time.now()).toBe(startedAt);
    for (const b of brokers) expect(b.isFenced).toBe(false);
    expect(controller.image.liveBrokers().map((b) => b.nodeId)).toEqual([1, 2, 3]);
  });

  it('a broker restarted on the same controller is unfenced again with no timer tick', async () => {
    const time = new MockTime();
    const controller = new Controller({ host: '127.0.0.1', dataDir: null, time });
    await controller.start();
    stops.push(() => controller.stop());
    const broker = new Broker({ host: '127.0.0.1', port: 0, inMemory: true, config: { 'node.id': 1 }, controller: `127.0.0.1:${controller.port}`, time });
    stops.push(() => broker.stop());
    await withinRealTime(broker.start(), 10_000, 'start');
    await broker.stop();
    expect(controller.image.isLive(1)).toBe(false); // controlled shutdown fenced it
    await withinRealTime(broker.start(), 10_000, 'restart');
    expect(broker.isFenced).toBe(false);
    expect(controller.image.isLive(1)).toBe(true);
  });
});
