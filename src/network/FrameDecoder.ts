// Kafka's framing on a byte stream: int32 size + that many bytes. Bytes arrive in arbitrary
// chunks. Every size the peer claims is checked against [minSize, maxSize] before anything is
// held for it; a frame that lies whole in one chunk comes out as a slice of it, any other is
// assembled into ONE buffer of the announced size (so a frame sent a byte per TCP segment costs
// its own size, not a list of tiny chunks). An optional `reserve(size)` (Kafka's memory pool)
// is asked before a frame's bytes are taken in; when it refuses, the decoder keeps the unread
// input, reports `blocked`, and goes on at the next push (an empty one will do).
export class FrameDecoder {
  private readonly header = Buffer.alloc(4);
  private headerFill = 0;
  /** Announced size of the frame being read, -1 while reading a size prefix. */
  private size = -1;
  private reserved = false;
  /** The frame being assembled when it spans chunks. */
  private frame: Buffer | null = null;
  private frameFill = 0;
  /** Input not consumed yet (the pool refused, or onFrame asked to stop). */
  private stash: Buffer | null = null;
  private waiting = false;

  constructor(
    private readonly minSize: number,
    private readonly maxSize: number,
    private readonly reserve: (size: number) => boolean = () => true,
  ) {}

  /** Waiting for `reserve` to accept the announced frame. */
  get blocked(): boolean {
    return this.waiting;
  }

  /** Bytes reserved for the frame being read (the caller gives them back if it drops the decoder). */
  get reservedBytes(): number {
    return this.reserved ? this.size : 0;
  }

  /** Bytes held: the frame buffer in assembly plus unread input. */
  get heldBytes(): number {
    return (this.frame?.length ?? 0) + (this.stash?.length ?? 0) + this.headerFill;
  }

  /**
   * Feed bytes; `onFrame` gets each whole frame (without its size prefix) and may return false
   * to stop (the rest is kept for the next push). Returns a reason when the stream claims an
   * impossible size (the caller closes).
   */
  /** Bumped by reset(), so a reset from inside onFrame drops the rest of the input being pushed. */
  private generation = 0;

  push(data: Buffer, onFrame: (frame: Buffer) => boolean | void): string | null {
    let input = data;
    if (this.stash) {
      input = data.length === 0 ? this.stash : Buffer.concat([this.stash, data]);
      this.stash = null;
    }
    this.waiting = false;
    let pos = 0;
    for (;;) {
      if (this.size < 0) {
        if (this.headerFill === 0 && input.length - pos >= 4) {
          this.size = input.readInt32BE(pos);
          pos += 4;
        } else {
          const n = Math.min(4 - this.headerFill, input.length - pos);
          input.copy(this.header, this.headerFill, pos, pos + n);
          this.headerFill += n;
          pos += n;
          if (this.headerFill < 4) return null;
          this.headerFill = 0;
          this.size = this.header.readInt32BE(0);
        }
        const size = this.size;
        if (size < this.minSize || size > this.maxSize) {
          this.reset();
          return size > this.maxSize ? `frame size ${size} exceeds the limit of ${this.maxSize} bytes` : `invalid frame size ${size}`;
        }
      }
      if (!this.reserved) {
        if (!this.reserve(this.size)) {
          this.waiting = true;
          if (pos < input.length) this.stash = input.subarray(pos);
          return null;
        }
        this.reserved = true;
      }
      let frame: Buffer;
      if (this.frame === null && input.length - pos >= this.size) {
        frame = input.subarray(pos, pos + this.size);
        pos += this.size;
      } else {
        if (pos === input.length) return null; // allocate once the first body byte arrives
        if (this.frame === null) {
          this.frame = Buffer.allocUnsafe(this.size);
          this.frameFill = 0;
        }
        const n = Math.min(this.size - this.frameFill, input.length - pos);
        input.copy(this.frame, this.frameFill, pos, pos + n);
        this.frameFill += n;
        pos += n;
        if (this.frameFill < this.size) return null;
        frame = this.frame;
        this.frame = null;
      }
      this.size = -1;
      this.reserved = false;
      const generation = this.generation;
      if (onFrame(frame) === false) {
        // Keep the rest for later, unless the callback reset the decoder (its connection is
        // gone): those bytes belong to no future frame.
        if (pos < input.length && this.generation === generation) this.stash = input.subarray(pos);
        return null;
      }
      if (this.generation !== generation) return null;
    }
  }

  /** Forget everything held (a reserved frame's bytes are the caller's to give back first). */
  reset(): void {
    this.generation++;
    this.headerFill = 0;
    this.size = -1;
    this.reserved = false;
    this.frame = null;
    this.frameFill = 0;
    this.stash = null;
    this.waiting = false;
  }
}
