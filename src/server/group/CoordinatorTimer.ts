// Kafka's coordinator timer for the classic groups: keyed timers on the coordinator's injected
// clock (join phase, pending syncs, members' sessions), every operation behind the crash
// boundary.
import type { Logger } from '../../logger.js';
import { contain, crashPoint } from '../../util/CrashBoundary.js';
import type { Time, TimerHandle } from '../../util/Time.js';

/** Kafka's retry backoff for a coordinator timer whose operation failed. */
export const TIMER_RETRY_BACKOFF_MS = 500;
/** Retries of a failing group timer before it is given up (the group is then left to its next event). */
export const TIMER_MAX_RETRIES = 3;

/**
 * Keyed timers (Kafka's coordinator timer): scheduling a key again replaces its timer. Every
 * operation runs through the crash boundary: a throw is logged at ERROR with its stack and the
 * operation is retried after TIMER_RETRY_BACKOFF_MS (as Kafka's CoordinatorTimer does for
 * operations scheduled with retry), unless it scheduled its key again itself; after
 * TIMER_MAX_RETRIES failures it is given up, as Kafka gives up its classic group timers.
 */
export class CoordinatorTimer {
  private readonly timers = new Map<string, TimerHandle>();

  constructor(
    private readonly time: Time,
    private readonly log: Logger,
  ) {}

  schedule(key: string, ms: number, fn: () => void, attempt = 0): void {
    this.cancel(key);
    const t = this.time.setTimeout(() => {
      if (this.timers.get(key) !== t) return;
      this.timers.delete(key);
      const run = () => {
        crashPoint('group.timer');
        fn();
      };
      contain(this.log, `group timer ${describeKey(key)}`, run, () => this.retry(key, fn, attempt));
    }, Math.max(0, ms));
    t.unref();
    this.timers.set(key, t);
  }

  private retry(key: string, fn: () => void, attempt: number): void {
    if (this.timers.has(key)) return; // the operation scheduled its key again before it threw: that timer stands
    if (attempt >= TIMER_MAX_RETRIES) {
      this.log.error(`group timer ${describeKey(key)} failed ${attempt + 1} times; giving it up (the group is left to its next event)`);
      return;
    }
    this.log.warn(`retrying group timer ${describeKey(key)} in ${TIMER_RETRY_BACKOFF_MS} ms`);
    this.schedule(key, TIMER_RETRY_BACKOFF_MS, fn, attempt + 1);
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) {
      this.time.clear(t);
      this.timers.delete(key);
    }
  }

  has(key: string): boolean {
    return this.timers.has(key);
  }

  /** Cancel every timer of a group (join, sync, members' sessions). */
  cancelGroup(groupId: string): void {
    const hb = heartbeatKey(groupId, '');
    for (const key of [...this.timers.keys()]) if (key === joinKey(groupId) || key === syncKey(groupId) || key.startsWith(hb)) this.cancel(key);
  }

  clear(): void {
    for (const t of this.timers.values()) this.time.clear(t);
    this.timers.clear();
  }
}

export const joinKey = (g: string) => `join\0${g}`;
export const syncKey = (g: string) => `sync\0${g}`;
export const heartbeatKey = (g: string, m: string) => `hb\0${g}\0${m}`;
/** A timer key as logs show it: "join/group", "hb/group/member". */
const describeKey = (key: string) => key.split('\0').join('/');
