// Kafka's MemoryPool for requests: a broker-wide budget (queued.max.request.bytes) for request
// bytes announced by a size prefix and not yet answered. A connection reserves a frame's size
// before reading its body; when the pool is exhausted it stops reading until memory is given
// back. A frame is admitted alone when nothing is reserved, whatever its size (Kafka's
// non-strict pool), so a request below socket.request.max.bytes is never refused outright.
export class MemoryPool {
  private used = 0;
  private readonly waiters = new Set<() => void>();
  private waking = false;

  constructor(readonly capacity: number) {}

  /** Bytes reserved now (a gauge). */
  get reserved(): number {
    return this.used;
  }

  tryReserve(bytes: number): boolean {
    if (this.used > 0 && this.used + bytes > this.capacity) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    if (bytes <= 0) return;
    this.used = Math.max(0, this.used - bytes);
    if (this.waiters.size === 0 || this.waking) return;
    // Wake the waiters on the next turn (not inside the releasing connection's own call stack);
    // each retries and may take what was freed.
    this.waking = true;
    setImmediate(() => {
      this.waking = false;
      for (const w of [...this.waiters]) {
        if (this.used >= this.capacity) break;
        this.waiters.delete(w);
        try {
          w();
        } catch {
          // a waiter's failure is its own (connections contain their errors)
        }
      }
    });
  }

  /** Call `fn` (once) when memory is given back. Returns a cancel function. */
  whenAvailable(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }
}

/** A pool that never refuses (the controller's connections, and a broker without a bound). */
export const UNBOUNDED_POOL = new MemoryPool(Number.POSITIVE_INFINITY);
