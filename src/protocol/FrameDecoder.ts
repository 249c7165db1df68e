// Kafka's framing on a byte stream: int32 size + that many bytes. Bytes arrive in arbitrary
// chunks; whole frames come out as slices (copied only when a frame spans chunks). Every
// size the peer claims is checked against [minSize, maxSize] before anything is buffered for it.
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private expected = -1; // size of the frame being assembled, -1 = reading the size prefix

  constructor(
    private readonly minSize: number,
    private readonly maxSize: number,
  ) {}

  /**
   * Feed bytes; `onFrame` gets each whole frame (without its size prefix) and may return false
   * to stop. Returns a reason when the stream claims an impossible size (the caller closes).
   */
  push(data: Buffer, onFrame: (frame: Buffer) => boolean | void): string | null {
    this.pending.push(data);
    this.pendingBytes += data.length;
    for (;;) {
      if (this.expected < 0) {
        if (this.pendingBytes < 4) return null;
        const size = this.peekInt32();
        if (size < this.minSize || size > this.maxSize) {
          this.reset();
          return size > this.maxSize ? `frame size ${size} exceeds the limit of ${this.maxSize} bytes` : `invalid frame size ${size}`;
        }
        this.consume(4);
        this.expected = size;
      }
      if (this.pendingBytes < this.expected) return null;
      const frame = this.consume(this.expected);
      this.expected = -1;
      if (onFrame(frame) === false) return null;
    }
  }

  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.expected = -1;
  }

  private peekInt32(): number {
    const head = this.pending[0]!;
    if (head.length >= 4) return head.readInt32BE(0);
    return this.join().readInt32BE(0);
  }

  private join(): Buffer {
    const all = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [all];
    return all;
  }

  /** Take n bytes off the front (a slice when they lie in one chunk). */
  private consume(n: number): Buffer {
    let head = this.pending[0]!;
    if (head.length < n) head = this.join();
    const out = head.subarray(0, n);
    if (head.length === n) this.pending.shift();
    else this.pending[0] = head.subarray(n);
    this.pendingBytes -= n;
    return out;
  }
}
