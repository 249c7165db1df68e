// The crash boundary: every timer callback and detached promise of the broker, the controller
// and the coordinators runs through here, so that one failure is logged at ERROR with its stack
// and contained (the caller says how: close a connection, mark a partition offline, retry a
// load) instead of ending the process that an in-process cluster shares with the user's tests.
//
// Tests arm a named crash point (`armCrashPoint`) to make the next pass through it throw, and
// check that the other brokers — and the faulty one where Kafka would — keep serving.
import type { Logger } from '../logger.js';

/** The places a test can make throw (one per kind of callback). */
export type CrashPoint =
  | 'fetch.expire' // a parked Fetch's max.wait.ms timer
  | 'group.timer' // a group coordinator timer (heartbeat expiry, join/rebalance delays)
  | 'group.cleanup' // the group coordinator's periodic offset/group expiration
  | 'group.load' // the group coordinator loading a __consumer_offsets partition
  | 'controller.sessions' // the controller's broker-session check
  | 'broker.maintenance' // the broker's periodic ISR-shrink / flush / retention pass
  | 'metadata.apply' // a broker applying a metadata batch
  | 'isr.answer' // the broker handling an AlterPartition answer
  | 'replica.fetch'; // a follower applying a fetch answer

const armed = new Map<CrashPoint, number>();

/** Test hook: the next `times` passes through `point` throw. */
export function armCrashPoint(point: CrashPoint, times = 1): void {
  armed.set(point, (armed.get(point) ?? 0) + times);
}

/** Test hook: passes still armed at `point` (0 once every armed throw has happened). */
export function armedCrashes(point: CrashPoint): number {
  return armed.get(point) ?? 0;
}

export function disarmCrashPoints(): void {
  armed.clear();
}

/** Throws if a test armed this point. A no-op map lookup otherwise. */
export function crashPoint(point: CrashPoint): void {
  if (armed.size === 0) return;
  const n = armed.get(point);
  if (!n) return;
  if (n <= 1) armed.delete(point);
  else armed.set(point, n - 1);
  throw new Error(`injected crash at ${point}`);
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/** Run fn; a throw is logged at ERROR with its stack and handed to onError (whose own throw is logged too). */
export function contain(log: Logger, what: string, fn: () => void, onError?: (err: unknown) => void): void {
  try {
    fn();
  } catch (err) {
    reportContained(log, what, err, onError);
  }
}

/** fn wrapped in `contain`, for handing to a timer or an event emitter. */
export function guarded<A extends unknown[]>(log: Logger, what: string, fn: (...args: A) => void, onError?: (err: unknown) => void): (...args: A) => void {
  return (...args: A) => contain(log, what, () => fn(...args), onError);
}

/** A promise nobody awaits: its rejection is logged and contained instead of being unhandled. */
export function detach(log: Logger, what: string, promise: Promise<unknown>, onError?: (err: unknown) => void): void {
  promise.catch((err: unknown) => reportContained(log, what, err, onError));
}

function reportContained(log: Logger, what: string, err: unknown, onError?: (err: unknown) => void): void {
  log.error(`${what} failed (contained): ${describe(err)}`);
  if (!onError) return;
  try {
    onError(err);
  } catch (again) {
    log.error(`${what}: recovery failed too (contained): ${describe(again)}`);
  }
}
