// Bounded decompression of record batch payloads for the codecs Kafka has (attribute bits 0-2):
// gzip through node:zlib, snappy and lz4 with the pure-TS decoders beside this file, zstd
// through node:zlib where the runtime has it (Node >= 22.15 / 23.8) and the pure-TS decoder
// (zstd.ts) elsewhere. Every call takes an output bound and fails past it without allocating
// beyond it; decompressionLimit() is the bound the broker uses for one batch.

import * as zlib from 'node:zlib';
import { CompressionError, corrupt, tooLarge } from './CompressionError.js';
import { lz4Decompress } from './lz4.js';
import { lz4Compress } from './lz4Compress.js';
import { snappyDecompress } from './snappy.js';
import { snappyCompress } from './snappyCompress.js';
import { zstdCheckFrames, zstdDecompress } from './zstd.js';

export { CompressionError } from './CompressionError.js';
export type { CompressionErrorKind } from './CompressionError.js';
export { lz4Decompress, xxhash32 } from './lz4.js';
export { snappyDecompress } from './snappy.js';
export { lz4Compress } from './lz4Compress.js';
export { snappyCompress, snappyCompressRaw } from './snappyCompress.js';
export { zstdDecompress } from './zstd.js';

export const CODEC_NONE = 0;
export const CODEC_GZIP = 1;
export const CODEC_SNAPPY = 2;
export const CODEC_LZ4 = 3;
export const CODEC_ZSTD = 4;

const MiB = 1024 * 1024;
/** Floor and ceiling of the per-batch decompressed size bound. */
export const MIN_DECOMPRESSION_LIMIT = 16 * MiB;
export const MAX_DECOMPRESSION_LIMIT = 512 * MiB;
/** The bound is this many times the topic's max.message.bytes, within the floor and ceiling above. */
export const DECOMPRESSION_RATIO_LIMIT = 64;

/**
 * Largest decompressed size accepted for one batch: 64 × max.message.bytes, at least 16 MiB and
 * at most 512 MiB (64 MiB with Kafka's default max.message.bytes of 1 MiB).
 */
export function decompressionLimit(maxMessageBytes: number): number {
  return Math.min(MAX_DECOMPRESSION_LIMIT, Math.max(MIN_DECOMPRESSION_LIMIT, DECOMPRESSION_RATIO_LIMIT * maxMessageBytes));
}

/** The bound for stored batches read back with Kafka's default max.message.bytes. */
export const DEFAULT_DECOMPRESSION_LIMIT = decompressionLimit(1048588);

type ZstdSync = (buf: Buffer, opts: { maxOutputLength: number }) => Buffer;
const zstdSync: ZstdSync | undefined = (zlib as unknown as { zstdDecompressSync?: ZstdSync }).zstdDecompressSync;

type ZstdCompressSync = (buf: Buffer, opts: { pledgedSrcSize?: number }) => Buffer;
const zstdCompressSync: ZstdCompressSync | undefined = (zlib as unknown as { zstdCompressSync?: ZstdCompressSync }).zstdCompressSync;

/** The Node versions whose node:zlib has zstd (compress() needs it for CODEC_ZSTD). */
export const ZSTD_NODE_VERSIONS = '>= 22.15 or >= 23.8';

/** True when this runtime can compress with `codec` (zstd needs node:zlib's zstd). */
export function canCompress(codec: number): boolean {
  return codec === CODEC_ZSTD ? zstdCompressSync !== undefined : isCodecSupported(codec);
}

/** Options of compress(): the gzip level (zlib's 1-9; -1 or absent = zlib's default). */
export interface CompressOptions {
  gzipLevel?: number;
}

/**
 * A batch's records section compressed with `codec`, framed as Kafka's Java producer frames it
 * (xerial snappy, LZ4 frame with independent 64 KiB blocks). Throws CompressionError
 * 'unsupported' for an unknown codec or zstd on a runtime without it (see canCompress).
 */
export function compress(codec: number, input: Buffer, opts: CompressOptions = {}): Buffer {
  switch (codec) {
    case CODEC_NONE:
      return input;
    case CODEC_GZIP:
      return zlib.gzipSync(input, opts.gzipLevel !== undefined && opts.gzipLevel >= 0 ? { level: opts.gzipLevel } : {});
    case CODEC_SNAPPY:
      return snappyCompress(input);
    case CODEC_LZ4:
      return lz4Compress(input);
    case CODEC_ZSTD:
      if (zstdCompressSync) return zstdCompressSync(input, { pledgedSrcSize: input.length });
      throw new CompressionError('unsupported', `zstd compression needs node:zlib's zstd (Node ${ZSTD_NODE_VERSIONS}); this is Node ${process.versions.node}`);
    default:
      throw new CompressionError('unsupported', `Unknown compression type id: ${codec}`);
  }
}

/** True when the codec id is one this module decompresses (every codec Kafka has). */
export function isCodecSupported(codec: number): boolean {
  return codec >= CODEC_NONE && codec <= CODEC_ZSTD;
}

function viaZlib(name: string, fn: (buf: Buffer, opts: { maxOutputLength: number }) => Buffer, input: Buffer, limit: number): Buffer {
  try {
    return fn(input, { maxOutputLength: Math.max(1, limit) });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') tooLarge(limit);
    return corrupt(`${name}: ${(err as Error).message}`);
  }
}

/** node:zlib's zstd, frame by frame (it decodes only the first of concatenated frames, and a cut one silently). */
function zstdViaZlib(fn: ZstdSync, input: Buffer, limit: number): Buffer {
  const frames = zstdCheckFrames(input, limit);
  if (frames.length === 1) return viaZlib('zstd', fn, input.subarray(frames[0]![0], frames[0]![1]), limit);
  const parts: Buffer[] = [];
  let total = 0;
  for (const [start, end] of frames) {
    const part = viaZlib('zstd', fn, input.subarray(start, end), limit - total);
    total += part.length;
    if (total > limit) tooLarge(limit);
    parts.push(part);
  }
  return Buffer.concat(parts, total);
}

/**
 * The decompressed bytes of a batch's records section. Throws CompressionError: 'corrupt' if the
 * payload does not decode, 'too-large' past `limit` bytes, 'unsupported' for an unknown codec or
 * zstd on a runtime without it.
 */
export function decompress(codec: number, input: Buffer, limit: number): Buffer {
  try {
    return decompressUnchecked(codec, input, limit);
  } catch (err) {
    if (err instanceof CompressionError) throw err;
    // a decoder tripping over input it did not foresee (a read past the end): still corrupt input
    return corrupt(`${(err as Error).message}`);
  }
}

function decompressUnchecked(codec: number, input: Buffer, limit: number): Buffer {
  switch (codec) {
    case CODEC_NONE:
      if (input.length > limit) tooLarge(limit);
      return input;
    case CODEC_GZIP:
      return viaZlib('gzip', zlib.gunzipSync, input, limit);
    case CODEC_SNAPPY:
      return snappyDecompress(input, limit);
    case CODEC_LZ4:
      return lz4Decompress(input, limit);
    case CODEC_ZSTD:
      return zstdSync ? zstdViaZlib(zstdSync, input, limit) : zstdDecompress(input, limit);
    default:
      throw new CompressionError('unsupported', `Unknown compression type id: ${codec}`);
  }
}
