// FindCoordinator over a raw connection, and waiting until it names a coordinator: the first
// request creates __consumer_offsets, and until its partition has a leader the answer is
// COORDINATOR_NOT_AVAILABLE (clients retry; raw tests call this first).
import * as M from '../../src/protocol/messages/index.js';
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
