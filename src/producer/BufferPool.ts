// buffer.memory as a real pool (Kafka's BufferPool): batch.size buffers are recycled through a
// free list, other sizes are allocated and counted against the same total. When the memory is
// used up an allocation fails; the producer then queues the send and retries it each time
// memory comes back (see Producer), failing it after max.block.ms.

export class BufferPool {
  private readonly free: Buffer[] = [];
  /** Memory not held by buffers in the free list nor by allocated buffers. */
  private nonPooledAvailable: number;
  /** Called whenever memory is returned. */
  onAvailable: (() => void) | null = null;

  constructor(
    readonly totalMemory: number,
    readonly poolableSize: number,
  ) {
    this.nonPooledAvailable = totalMemory;
  }

  /** A buffer of at least `size` bytes (exactly poolableSize for poolable requests), or null when memory is used up. */
  tryAllocate(size: number): Buffer | null {
    if (size === this.poolableSize && size > 0 && this.free.length > 0) return this.free.pop()!;
    const freeListBytes = this.free.length * this.poolableSize;
    if (this.nonPooledAvailable + freeListBytes < size) return null;
    // Release pooled buffers until the non-pooled memory covers the request.
    while (this.nonPooledAvailable < size && this.free.length > 0) {
      this.free.pop();
      this.nonPooledAvailable += this.poolableSize;
    }
    this.nonPooledAvailable -= size;
    return Buffer.allocUnsafeSlow(size);
  }

  /**
   * Give back a buffer of `size` bytes. `reusable` is false when the buffer may still be
   * referenced by a socket write (a batch failed while its request was in flight): its memory
   * is returned but the buffer itself is left to the garbage collector.
   */
  deallocate(buf: Buffer, size: number, reusable = true): void {
    if (reusable && size === this.poolableSize && buf.length === size) this.free.push(buf);
    else this.nonPooledAvailable += size;
    this.onAvailable?.();
  }

  /** Bytes that can be allocated now (free list + unallocated). */
  get availableMemory(): number {
    return this.nonPooledAvailable + this.free.length * this.poolableSize;
  }

  get unallocatedMemory(): number {
    return this.nonPooledAvailable;
  }
}
