// The one error every decoder in this folder throws. `kind` says why, so the broker can answer
// as Kafka would: 'corrupt' (the payload does not decode), 'too-large' (it decodes past the
// caller's output bound — a decompression bomb; nothing beyond the bound is allocated) or
// 'unsupported' (a codec this runtime cannot decode).

export type CompressionErrorKind = 'corrupt' | 'too-large' | 'unsupported';

export class CompressionError extends Error {
  constructor(
    readonly kind: CompressionErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'CompressionError';
  }
}

export const corrupt = (message: string): never => {
  throw new CompressionError('corrupt', message);
};

export const tooLarge = (limit: number): never => {
  throw new CompressionError('too-large', `decompressed size exceeds the limit of ${limit} bytes`);
};

/**
 * Output of a decoder that never grows past `limit`: chunks are collected and joined once.
 */
export class BoundedOutput {
  private readonly chunks: Buffer[] = [];
  size = 0;

  constructor(readonly limit: number) {}

  /** Room for n more bytes, else CompressionError('too-large'). */
  reserve(n: number): void {
    if (this.size + n > this.limit) tooLarge(this.limit);
  }

  push(chunk: Buffer): void {
    this.reserve(chunk.length);
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  result(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
  }
}
