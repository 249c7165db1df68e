// Kafka's `Time`: the clock and timers a state machine uses, injected so that tests can run it
// in simulated time. `SYSTEM_TIME` is the real clock; `MockTime` only moves when a test
// advances it, firing due timers in order, so a test of ISR lag or session expiry never sleeps.

export interface TimerHandle {
  /** Do not keep the process alive for this timer (real timers only). */
  unref(): TimerHandle;
}

export interface Time {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  setInterval(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timeout or an interval; null and undefined are ignored. */
  clear(handle: TimerHandle | null | undefined): void;
  /** Resolves after ms, or at once when `signal` aborts. Never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Node's longest timer: a longer one fires after 1 ms (with a TimeoutOverflowWarning), so waits a client can make long are clamped here. */
const MAX_TIMER_MS = 2147483647;

export const SYSTEM_TIME: Time = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.min(ms, MAX_TIMER_MS)),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clear(handle) {
    if (handle) clearTimeout(handle as unknown as NodeJS.Timeout);
  },
  sleep(ms, signal) {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, Math.min(ms, MAX_TIMER_MS));
      signal?.addEventListener('abort', done, { once: true });
    });
  },
};

interface MockTimer extends TimerHandle {
  due: number;
  seq: number;
  fn: () => void;
  /** > 0 for intervals. */
  period: number;
  cancelled: boolean;
}

/** Simulated time: `advance(ms)` moves the clock and runs every timer that falls due, in order. */
export class MockTime implements Time {
  private current: number;
  private seq = 0;
  private timers: MockTimer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, Math.max(0, ms), 0);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, Math.max(1, ms), Math.max(1, ms));
  }

  clear(handle: TimerHandle | null | undefined): void {
    if (!handle) return;
    const t = handle as MockTimer;
    t.cancelled = true;
    this.timers = this.timers.filter((x) => x !== t);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const t = this.setTimeout(() => resolve(), ms);
      signal?.addEventListener(
        'abort',
        () => {
          this.clear(t);
          resolve();
        },
        { once: true },
      );
    });
  }

  /** Timers not yet fired or cancelled. */
  get pending(): number {
    return this.timers.length;
  }

  /**
   * Move the clock forward by ms, firing due timers in time order; promise callbacks queued by
   * a timer run before the next timer fires (so async code sees the time it was woken at).
   */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await flushMicrotasks();
      const next = this.timers[0];
      if (!next || next.due > target) break;
      this.timers.shift();
      this.current = Math.max(this.current, next.due);
      if (next.period > 0) {
        next.due += next.period;
        this.insert(next);
      }
      next.fn();
    }
    this.current = target;
    await flushMicrotasks();
  }

  /**
   * The clock jumps by ms while no timer runs, as during a blocked event loop; the timers that
   * fell due run late, at the next advance().
   */
  stall(ms: number): void {
    this.current += ms;
  }

  private add(fn: () => void, delay: number, period: number): MockTimer {
    const t: MockTimer = { due: this.current + delay, seq: this.seq++, fn, period, cancelled: false, unref: () => t };
    this.insert(t);
    return t;
  }

  private insert(t: MockTimer): void {
    let i = this.timers.length;
    while (i > 0 && (this.timers[i - 1]!.due > t.due || (this.timers[i - 1]!.due === t.due && this.timers[i - 1]!.seq > t.seq))) i--;
    this.timers.splice(i, 0, t);
  }
}

/** Let every queued promise callback (and those they queue) run. */
async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
